//! A MikroTik hotspot, as far as a browser and lango can tell: it serves
//! the login.html lango generated (`lango hotspot files`) with RouterOS's
//! `$(var)` substitutions (mac, ip, link-login-only, link-orig, and chap-id
//! and chap-challenge as octal-escaped strings), takes the HTTP-CHAP login
//! form on POST /login, and checks it the way RouterOS does: an
//! Access-Request to lango (built by hand) with CHAP-Password (chap-id + the form's MD5)
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
        let (user, pass, dst) = (
            f["username"].clone(),
            f.get("password").cloned().unwrap_or_default(),
            f.get("dst").cloned().unwrap_or_default(),
        );
        let (chap_id, challenge, mac, radius, secret) = {
            let s = self.state.lock().unwrap();
            (s.chap_id, s.challenge, s.mac.clone(), s.radius, s.secret.clone())
        };
        let reply = chap_request(radius, secret.as_bytes(), &user, chap_id, &hex_bytes(&pass), &challenge, &mac, peer);
        let accepted = reply.starts_with("Access-Accept");
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
                    if reply.starts_with("Access-Reject") {
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
    s.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (unescape(k), unescape(v))).collect()
}

fn unescape(s: &str) -> String {
    let b = s.replace('+', " ");
    let b = b.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}

/// The Access-Request RouterOS sends for an HTTP-CHAP login, built by hand
/// (radclient would re-encode CHAP-Password from a cleartext password):
/// User-Name, CHAP-Password (chap-id + the form's MD5), CHAP-Challenge,
/// Service-Type Login-User, Calling-Station-Id, Framed-IP-Address,
/// NAS-Port-Type Wireless-802.11, Message-Authenticator. The answer as
/// text: "Access-Accept" or "Access-Reject", then one `Name = "value"`
/// line per attribute we know.
#[allow(clippy::too_many_arguments)] // one per attribute RouterOS sends
fn chap_request(
    to: SocketAddr,
    secret: &[u8],
    user: &str,
    chap_id: u8,
    md5: &[u8],
    challenge: &[u8],
    mac: &str,
    ip: &str,
) -> String {
    use hmac::{KeyInit, Mac};
    let attr = |t: u8, v: &[u8]| -> Vec<u8> { [&[t, (v.len() + 2) as u8][..], v].concat() };
    let mut chap = vec![chap_id];
    chap.extend_from_slice(md5);
    let ip4: std::net::Ipv4Addr = ip.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST);
    let mut attrs = Vec::new();
    attrs.extend(attr(80, &[0u8; 16]));
    attrs.extend(attr(1, user.as_bytes()));
    attrs.extend(attr(3, &chap));
    attrs.extend(attr(60, challenge));
    attrs.extend(attr(6, &1u32.to_be_bytes()));
    attrs.extend(attr(31, mac.as_bytes()));
    attrs.extend(attr(8, &ip4.octets()));
    attrs.extend(attr(61, &19u32.to_be_bytes()));
    let id = (std::process::id() as u8).wrapping_add(chap_id);
    let mut auth = [0u8; 16];
    for (i, b) in auth.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(91).wrapping_add(id);
    }
    let len = (20 + attrs.len()) as u16;
    let mut pkt = vec![1, id];
    pkt.extend_from_slice(&len.to_be_bytes());
    pkt.extend_from_slice(&auth);
    pkt.extend_from_slice(&attrs);
    let mut m = <hmac::Hmac<md5::Md5> as KeyInit>::new_from_slice(secret).unwrap();
    m.update(&pkt);
    let tag = m.finalize().into_bytes();
    pkt[22..38].copy_from_slice(&tag);
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(3))).unwrap();
    let mut buf = [0u8; 4096];
    let mut answer = None;
    for _ in 0..3 {
        sock.send_to(&pkt, to).unwrap();
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            answer = Some(buf[..n].to_vec());
            break;
        }
    }
    let Some(a) = answer else { return "no answer".into() };
    let mut out = match a[0] {
        2 => "Access-Accept\n".to_string(),
        3 => "Access-Reject\n".to_string(),
        c => format!("code {c}\n"),
    };
    let mut i = 20;
    while i + 2 <= a.len() {
        let (t, l) = (a[i], a[i + 1] as usize);
        if l < 2 || i + l > a.len() {
            break;
        }
        let v = &a[i + 2..i + l];
        match t {
            18 => out.push_str(&format!("Reply-Message = \"{}\"\n", String::from_utf8_lossy(v))),
            27 if v.len() == 4 => {
                out.push_str(&format!("Session-Timeout = {}\n", u32::from_be_bytes(v.try_into().unwrap())))
            }
            // MikroTik vendor 14988, Mikrotik-Rate-Limit (8).
            26 if v.len() > 6 && v[..4] == 14988u32.to_be_bytes() && v[4] == 8 => {
                out.push_str(&format!("Mikrotik-Rate-Limit = \"{}\"\n", String::from_utf8_lossy(&v[6..])));
            }
            _ => {}
        }
        i += l;
    }
    out
}
