//! The few FTP commands backups need (RFC 959, with RFC 2428 EPSV and
//! RFC 3659 passive data connections): log in, change to the directory
//! (made if missing), STOR, NLST and DELE, binary mode. Blocking: it runs
//! on a backup's worker thread, never on the async threads.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::OffsiteError;

const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Ftp {
    ctrl: BufReader<TcpStream>,
    host: String,
}

impl Ftp {
    /// Connect and log in; `dir` becomes the working directory.
    pub fn login(host: &str, port: u16, user: &str, password: &str, dir: &str) -> Result<Ftp, OffsiteError> {
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| OffsiteError::Unreachable(format!("{host}:{port}: {e}")))?
            .next()
            .ok_or_else(|| OffsiteError::Unreachable(format!("{host}:{port}: no address")))?;
        let tcp = TcpStream::connect_timeout(&addr, TIMEOUT)
            .map_err(|e| OffsiteError::Unreachable(format!("{host}:{port}: {e}")))?;
        tcp.set_read_timeout(Some(TIMEOUT)).ok();
        tcp.set_write_timeout(Some(TIMEOUT)).ok();
        let mut f = Ftp { ctrl: BufReader::new(tcp), host: host.to_string() };
        f.expect(&[220])?;
        let (code, text) = f.cmd(&format!("USER {user}"))?;
        if code == 331 {
            let (code, text) = f.cmd(&format!("PASS {password}"))?;
            if code != 230 {
                return Err(OffsiteError::Refused(format!("the FTP server refused user {user:?}: {code} {text}")));
            }
        } else if code != 230 {
            return Err(OffsiteError::Refused(format!("the FTP server refused user {user:?}: {code} {text}")));
        }
        f.ok(&["TYPE I"], &[200])?;
        let dir = dir.trim_matches('/');
        if !dir.is_empty() {
            for part in dir.split('/') {
                let (code, _) = f.cmd(&format!("CWD {part}"))?;
                if code != 250 {
                    f.ok(&[&format!("MKD {part}")], &[257])?;
                    f.ok(&[&format!("CWD {part}")], &[250])?;
                }
            }
        }
        Ok(f)
    }

    fn reply(&mut self) -> Result<(u16, String), OffsiteError> {
        let lost = |e: std::io::Error| OffsiteError::Unreachable(format!("FTP connection to {}: {e}", "server"));
        let mut line = String::new();
        self.ctrl.read_line(&mut line).map_err(lost)?;
        let code: u16 = line
            .get(..3)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| OffsiteError::Refused(format!("not an FTP reply: {:?}", line.trim_end())))?;
        // A multi-line reply ends with "NNN " on its last line.
        if line.as_bytes().get(3) == Some(&b'-') {
            loop {
                let mut more = String::new();
                if self.ctrl.read_line(&mut more).map_err(lost)? == 0 {
                    break;
                }
                if more.starts_with(&format!("{code} ")) {
                    break;
                }
            }
        }
        Ok((code, line[3..].trim().to_string()))
    }

    fn expect(&mut self, codes: &[u16]) -> Result<String, OffsiteError> {
        let (code, text) = self.reply()?;
        if codes.contains(&code) { Ok(text) } else { Err(OffsiteError::Refused(format!("FTP server: {code} {text}"))) }
    }

    fn cmd(&mut self, line: &str) -> Result<(u16, String), OffsiteError> {
        let s = self.ctrl.get_mut();
        s.write_all(format!("{line}\r\n").as_bytes())
            .map_err(|e| OffsiteError::Unreachable(format!("FTP connection: {e}")))?;
        self.reply()
    }

    fn ok(&mut self, lines: &[&str], codes: &[u16]) -> Result<(), OffsiteError> {
        for l in lines {
            let (code, text) = self.cmd(l)?;
            if !codes.contains(&code) {
                let shown = if l.starts_with("PASS") { "PASS ***" } else { l };
                return Err(OffsiteError::Refused(format!("FTP {shown}: {code} {text}")));
            }
        }
        Ok(())
    }

    /// A passive data connection (EPSV, or PASV when the server lacks it).
    fn data(&mut self) -> Result<TcpStream, OffsiteError> {
        let (code, text) = self.cmd("EPSV")?;
        let port = if code == 229 {
            // "Entering Extended Passive Mode (|||6446|)"
            text.split('|').nth(3).and_then(|p| p.parse::<u16>().ok())
        } else {
            let (code, text) = self.cmd("PASV")?;
            (code == 227)
                .then(|| {
                    let inside = text.split('(').nth(1)?.split(')').next()?;
                    let n: Vec<u16> = inside.split(',').filter_map(|x| x.trim().parse().ok()).collect();
                    (n.len() == 6).then(|| n[4] * 256 + n[5])
                })
                .flatten()
        };
        let port = port.ok_or_else(|| OffsiteError::Refused(format!("FTP server gave no passive port: {text}")))?;
        let addr = (self.host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| OffsiteError::Unreachable(format!("{}:{port}", self.host)))?;
        let s = TcpStream::connect_timeout(&addr, TIMEOUT)
            .map_err(|e| OffsiteError::Unreachable(format!("FTP data connection {addr}: {e}")))?;
        s.set_read_timeout(Some(TIMEOUT)).ok();
        s.set_write_timeout(Some(TIMEOUT)).ok();
        Ok(s)
    }

    /// Upload `body` as `name` (written to a temporary name and renamed,
    /// so a cut connection never leaves a partial backup under its name).
    pub fn put(&mut self, name: &str, body: &mut impl Read) -> Result<(), OffsiteError> {
        let part = format!("{name}.part");
        let mut data = self.data()?;
        let (code, text) = self.cmd(&format!("STOR {part}"))?;
        if code != 150 && code != 125 {
            return Err(OffsiteError::Refused(format!("FTP STOR: {code} {text}")));
        }
        std::io::copy(body, &mut data).map_err(|e| OffsiteError::Unreachable(format!("FTP upload: {e}")))?;
        drop(data);
        self.expect(&[226, 250])?;
        self.ok(&[&format!("RNFR {part}")], &[350])?;
        self.ok(&[&format!("RNTO {name}")], &[250])?;
        Ok(())
    }

    /// The names in the working directory.
    pub fn list(&mut self) -> Result<Vec<String>, OffsiteError> {
        let mut data = self.data()?;
        let (code, text) = self.cmd("NLST")?;
        if code == 450 || code == 550 {
            return Ok(vec![]);
        }
        if code != 150 && code != 125 {
            return Err(OffsiteError::Refused(format!("FTP NLST: {code} {text}")));
        }
        let mut listing = String::new();
        data.read_to_string(&mut listing).map_err(|e| OffsiteError::Unreachable(format!("FTP listing: {e}")))?;
        drop(data);
        self.expect(&[226, 250])?;
        Ok(listing
            .lines()
            .map(|l| l.trim().rsplit('/').next().unwrap_or("").to_string())
            .filter(|l| !l.is_empty())
            .collect())
    }

    pub fn delete(&mut self, name: &str) -> Result<(), OffsiteError> {
        self.ok(&[&format!("DELE {name}")], &[250])
    }

    pub fn quit(mut self) {
        let _ = self.cmd("QUIT");
    }
}
