//! A MikroTik hotspot, as far as a browser and lango can tell: it serves
//! the login.html lango generated (`lango hotspot files`) with RouterOS's
//! `$(var)` substitutions (mac, ip, link-login-only, link-orig, and chap-id
//! and chap-challenge as octal-escaped strings), takes the HTTP-CHAP login
//! form on POST /login, and checks it the way RouterOS does: an
//! Access-Request to lango with CHAP-Password (chap-id + the form's MD5)
//! and CHAP-Challenge, Service-Type Login-User, the device's MAC as
//! Calling-Station-Id. Accept → alogin.html; reject → login.html again with
//! `$(error)` set to the Reply-Message.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Clone, Debug)]
pub struct Login {
    pub username: String,
    pub accepted: bool,
    pub reply: String,
}

struct State {
    pages: PathBuf,
    mac: String,
    radius: SocketAddr,
    secret: String,
    chap_id: u8,
    challenge: [u8; 16],
    logins: Vec<Login>,
}

#[derive(Clone)]
pub struct HotspotSim {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl HotspotSim {
    /// `pages`: the folder `lango hotspot files` wrote; `mac`: the device.
    pub fn start(pages: PathBuf, mac: &str, radius: SocketAddr, secret: &str) -> HotspotSim {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut challenge = [0u8; 16];
        for (i, b) in challenge.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(0x5c);
        }
        let state = Arc::new(Mutex::new(State {
            pages,
            mac: mac.into(),
            radius,
            secret: secret.into(),
            chap_id: 0xa7,
            challenge,
            logins: Vec::new(),
        }));
        let sim = HotspotSim { addr, state };
        let s = sim.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(c) = conn else { continue };
                let s = s.clone();
                thread::spawn(move || s.serve(c));
            }
        });
        sim
    }

    pub fn logins(&self) -> Vec<Login> {
        self.state.lock().unwrap().logins.clone()
    }

    pub fn login_url(&self, dst: &str) -> String {
        format!("http://{}/login?dst={dst}", self.addr)
    }

    fn serve(&self, mut c: TcpStream) {
        let peer = c.peer_addr().unwrap().ip().to_string();
        let mut r = BufReader::new(c.try_clone().unwrap());
        let mut line = String::new();
        if r.read_line(&mut line).is_err() {
            return;
        }
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).is_err() || h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        let _ = r.read_exact(&mut body);
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let (status, page) = match (line.starts_with("POST"), path) {
            (false, "/login") => {
                let q = form(query);
                (200, self.page("login.html", &peer, q.get("dst").map_or("", String::as_str), ""))
            }
            (true, "/login") => self.login(&peer, &form(&String::from_utf8_lossy(&body))),
            _ => (404, "not found".to_string()),
        };
        let resp = format!(
            "HTTP/1.0 {status} OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = c.write_all(resp.as_bytes());
    }

    fn login(&self, peer: &str, f: &HashMap<String, String>) -> (u16, String) {
        let (user, pass, dst) = (f["username"].clone(), f.get("password").cloned().unwrap_or_default(), f.get("dst").cloned().unwrap_or_default());
        let (chap_id, challenge, mac, radius, secret) = {
            let s = self.state.lock().unwrap();
            (s.chap_id, s.challenge, s.mac.clone(), s.radius, s.secret.clone())
        };
        let attrs = format!(
            "User-Name={user},CHAP-Password=0x{:02x}{pass},CHAP-Challenge=0x{},Service-Type=Login-User,Calling-Station-Id={mac},Framed-IP-Address={peer},NAS-Port-Type=Wireless-802.11,Message-Authenticator=0x00",
            chap_id,
            hex(&challenge)
        );
        let out = std::process::Command::new("radclient")
            .args(["-x", "-r", "3", "-t", "5", &radius.to_string(), "auth", &secret])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut ch| {
                ch.stdin.take().unwrap().write_all(attrs.as_bytes())?;
                ch.wait_with_output()
            })
            .expect("radclient");
        let reply = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        let accepted = reply.contains("Received Access-Accept");
        self.state.lock().unwrap().logins.push(Login { username: user.clone(), accepted, reply: reply.clone() });
        if accepted {
            let mut p = self.page("alogin.html", peer, &dst, "");
            p = p.replace("$(username)", &user).replace("$(link-redirect)", &dst);
            (200, p)
        } else {
            let msg = reply
                .lines()
                .find_map(|l| l.trim().strip_prefix("Reply-Message = "))
                .map(|m| m.trim_matches('"').to_string())
                .unwrap_or_else(|| {
                    if reply.contains("Received Access-Reject") {
                        "invalid username or password".into()
                    } else {
                        "RADIUS server is not responding".into()
                    }
                });
            (200, self.page("login.html", peer, &dst, &msg))
        }
    }

    fn page(&self, name: &str, peer: &str, dst: &str, error: &str) -> String {
        let s = self.state.lock().unwrap();
        let text = std::fs::read_to_string(s.pages.join(name)).expect("hotspot page");
        let octal = |b: &[u8]| b.iter().map(|x| format!("\\{x:03o}")).collect::<String>();
        text.replace("$(mac)", &s.mac)
            .replace("$(ip)", peer)
            .replace("$(link-login-only)", &format!("http://{}/login", self.addr))
            .replace("$(link-orig)", dst)
            .replace("$(chap-id)", &octal(&[s.chap_id]))
            .replace("$(chap-challenge)", &octal(&s.challenge))
            .replace("$(error)", error)
    }
}

fn form(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (unescape(k), unescape(v)))
        .collect()
}

fn unescape(s: &str) -> String {
    let b = s.replace('+', " ");
    let b = b.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
