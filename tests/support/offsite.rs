//! Real off-site backup peers on loopback, started per test: an
//! S3-compatible server (moto's server mode, from PyPI) and an FTP server
//! (pyftpdlib, from PyPI); `.ci/run` installs both.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_listening(addr: SocketAddr, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}); install it: pip install \"moto[server]\" pyftpdlib");
        }
        assert!(Instant::now() < deadline, "{what} did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One plain HTTP request; status and body.
fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..at]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = raw[at + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[line_end + 2..line_end + 2 + size]);
        b = &b[line_end + 2 + size + 2..];
    }
    out
}

pub struct S3Server {
    child: Child,
    pub addr: SocketAddr,
}

impl S3Server {
    pub fn start() -> S3Server {
        let port = free_port();
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server (pip install \"moto[server]\")");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_listening(addr, "moto_server", &mut child);
        S3Server { child, addr }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn make_bucket(&self, name: &str) {
        let (status, body) = http(self.addr, "PUT", &format!("/{name}"));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }

    /// The keys in `bucket`.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let (status, body) = http(self.addr, "GET", &format!("/{bucket}?list-type=2"));
        assert_eq!(status, 200);
        let xml = String::from_utf8(body).unwrap();
        xml.split("<Key>").skip(1).map(|k| k.split("</Key>").next().unwrap().to_string()).collect()
    }

    /// The ETag the bucket lists for `key` (for a single PUT, the MD5 of
    /// the bytes stored), quotes removed. Anonymous GETs of objects are
    /// refused (403), listings are not.
    pub fn etag(&self, bucket: &str, key: &str) -> String {
        let (status, body) = http(self.addr, "GET", &format!("/{bucket}?list-type=2"));
        assert_eq!(status, 200);
        let xml = String::from_utf8(body).unwrap();
        let entry = xml.split("<Contents>").find(|c| c.contains(&format!("<Key>{key}</Key>"))).expect("the key");
        let tag = entry.split("<ETag>").nth(1).unwrap().split("</ETag>").next().unwrap();
        tag.replace("&#34;", "").replace("&quot;", "").replace('"', "")
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct FtpServer {
    child: Child,
    pub port: u16,
    pub root: std::path::PathBuf,
}

pub const FTP_USER: &str = "backup";
pub const FTP_PASS: &str = "ftp-pass-Offsite9";

impl FtpServer {
    pub fn start(root: &std::path::Path) -> FtpServer {
        std::fs::create_dir_all(root).unwrap();
        let port = free_port();
        let mut child = Command::new("python3")
            .args(["-m", "pyftpdlib", "-i", "127.0.0.1", "-p", &port.to_string(), "-w"])
            .args(["-u", FTP_USER, "-P", FTP_PASS, "-d"])
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m pyftpdlib (pip install pyftpdlib)");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_listening(addr, "pyftpdlib", &mut child);
        FtpServer { child, port, root: root.to_path_buf() }
    }
}

impl Drop for FtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
