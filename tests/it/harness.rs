//! Test harness: spawns the real `lango` binary on port 0 in a fresh data
//! directory, waits for its "listening on" lines, and on drop kills it and
//! (when the test failed) prints its log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_lango");
pub const DEMO_SECRET: &str = "demo-secret";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Random per test process: part of every temporary directory's name.
static RUN_STAMP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 4];
    ring::rand::SystemRandom::new().fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
});

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    // The start time too: process ids wrap (32,768 here), and a server
    // left from an earlier run must never share a directory with this one.
    let dir = std::env::temp_dir().join(format!(
        "lango-it-{}-{}-{}-{name}",
        std::process::id(),
        *RUN_STAMP,
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Options that take a secret, and the `-env` option lango reads it from.
const SECRET_OPTIONS: [(&str, &str); 10] = [
    ("--key", "--key-env"),
    ("--community", "--community-env"),
    ("--auth-pass", "--auth-pass-env"),
    ("--priv-pass", "--priv-pass-env"),
    ("--sms-key", "--sms-key-env"),
    ("--smtp-password", "--smtp-password-env"),
    ("--password", "--password-env"),
    ("--secret", "--secret-env"),
    ("--consumer-secret", "--consumer-secret-env"),
    ("--passkey", "--passkey-env"),
];

/// Tests write a secret as `--secret VALUE` for readability; lango takes
/// secrets only from the environment (never on a command line, where `ps`
/// shows them), so the value moves into a variable named by the `-env`
/// option. The returned arguments hold no secret.
pub fn secrets_to_env(args: &[&str]) -> (Vec<String>, Vec<(String, String)>) {
    let (mut out, mut env) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match SECRET_OPTIONS.iter().find(|(o, _)| o == a) {
            Some((_, env_option)) if args.first() != Some(&"bench") => {
                let var = format!("TEST_SECRET_{}", env.len());
                env.push((var.clone(), it.next().expect("a value after a secret option").to_string()));
                out.extend([env_option.to_string(), var]);
            }
            _ => out.push(a.to_string()),
        }
    }
    (out, env)
}

/// Run a CLI command against `data` and return its output.
pub fn lango(data: &Path, args: &[&str]) -> Output {
    let (args, env) = secrets_to_env(args);
    for a in &args {
        for (_, v) in &env {
            assert!(!a.contains(v.as_str()), "a secret on the command line: {args:?}");
        }
    }
    without_lango_env(Command::new(BIN))
        .arg("--data")
        .arg(data)
        .args(&args)
        .envs(env)
        .env_remove("RUST_LOG")
        .output()
        .expect("run lango")
}

/// Like [`lango`] but asserts success and returns stdout.
pub fn lango_ok(data: &Path, args: &[&str]) -> String {
    let out = lango(data, args);
    assert!(
        out.status.success(),
        "lango {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub struct Server {
    child: Child,
    pub data: PathBuf,
    pub auth: SocketAddr,
    pub acct: SocketAddr,
    pub http: SocketAddr,
    /// lango's own HTTPS listener, when the test asked for one (--https).
    pub https: Option<SocketAddr>,
    log: Arc<Mutex<Vec<String>>>,
    /// Remove `data` on drop (only directories the harness made itself).
    owns_data: bool,
}

/// `cmd` without the `LANGO_*` variables of the environment the tests run
/// in: lango reads those as settings (and refuses unknown ones), so each
/// test passes its own explicitly.
pub fn without_lango_env(mut cmd: Command) -> Command {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("LANGO_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

impl Server {
    /// `lango serve --demo` in a fresh directory.
    pub fn demo() -> Server {
        let data = temp_dir("demo");
        let mut s = Server::start(&data, &["--demo"]);
        s.owns_data = true;
        s
    }

    /// `lango serve` on `data` with extra arguments, all sockets on port 0.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_env(data, extra, &[])
    }

    /// Same, with extra environment variables (LANGO_JOBS_TICK_SECS=1, ...).
    pub fn start_env(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_bin(BIN, data, extra, env)
    }

    /// Same, with another lango binary (the one unpacked from the image).
    pub fn start_bin(bin: &str, data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = without_lango_env(Command::new(bin))
            .arg("--data")
            .arg(data)
            .arg("serve")
            // Each on loopback port 0, unless the test names its own.
            .args(
                [("--radius-auth", "127.0.0.1:0"), ("--radius-acct", "127.0.0.1:0"), ("--http", "127.0.0.1:0")]
                    .into_iter()
                    .filter(|(flag, _)| !extra.contains(flag))
                    .flat_map(|(flag, addr)| [flag, addr]),
            )
            // Plain HTTP unless the test asks for HTTPS (tests/it/tls.rs).
            .args(if extra.contains(&"--https") { &[][..] } else { &["--https", "off"][..] })
            .args(extra)
            .env("RUST_LOG", "info,lango=debug")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn lango");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line.find(" listening on ") {
                    let what = line[..i].rsplit(' ').next().unwrap_or("").to_string();
                    let addr = line[i + 14..].split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send((what, addr));
                }
                sink.lock().unwrap().push(line);
            }
        });
        let (mut auth, mut acct, mut http, mut https) = (None, None, None, None);
        let want_https = extra.contains(&"--https") && !extra.contains(&"off");
        // The control socket too: a command forwarded right after start
        // must find it.
        let mut control = !cfg!(unix);
        while auth.is_none() || acct.is_none() || http.is_none() || !control || (want_https && https.is_none()) {
            let Ok((what, addr)) = rx.recv_timeout(Duration::from_secs(60)) else {
                let _ = child.kill();
                panic!("lango did not start; log:\n{}", log.lock().unwrap().join("\n"));
            };
            if what == "control" {
                control = true;
                continue;
            }
            let Ok(addr) = addr.parse::<SocketAddr>() else { continue };
            match what.as_str() {
                "radius-auth" => auth = Some(addr),
                "radius-acct" => acct = Some(addr),
                "http" => http = Some(addr),
                "https" => https = Some(addr),
                _ => {}
            }
        }
        Server {
            child,
            data: data.to_path_buf(),
            auth: auth.unwrap(),
            acct: acct.unwrap(),
            http: http.unwrap(),
            https,
            log,
            owns_data: false,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, no chance to flush anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// GET a path from the HTTP endpoint.
    pub fn http_get(&self, path: &str) -> String {
        let mut s = TcpStream::connect(self.http).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
        let mut body = String::new();
        s.read_to_string(&mut body).unwrap();
        body
    }

    /// A counter from /metrics (`lango_radius_<name>`).
    pub fn counter(&self, name: &str) -> u64 {
        let body = self.http_get("/metrics");
        let key = format!("lango_radius_{name} ");
        body.lines()
            .find_map(|l| l.strip_prefix(&key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("counter {name} not in /metrics:\n{body}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- lango log ----\n{}\n-------------------", self.log());
        } else if self.owns_data {
            let _ = std::fs::remove_dir_all(&self.data);
        }
    }
}

/// What radclient printed, split into the reply code and its attributes.
#[derive(Debug)]
pub struct Reply {
    pub code: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub raw: String,
}

impl Reply {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

/// Send one request with radclient (`kind` = auth, acct or status) and parse
/// the reply it prints. One try, two-second timeout.
pub fn radclient(to: SocketAddr, kind: &str, secret: &str, attrs: &str) -> Reply {
    let mut child = Command::new("radclient")
        .args(["-x", "-r", "1", "-t", "2"])
        .arg(to.to_string())
        .arg(kind)
        .arg(secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radclient (apt-get install freeradius-utils)");
    child.stdin.take().unwrap().write_all(attrs.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let raw = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    parse_radclient(&raw)
}

fn parse_radclient(raw: &str) -> Reply {
    let mut code = None;
    let mut attrs = Vec::new();
    let mut in_reply = false;
    for line in raw.lines() {
        if let Some(rest) = line.strip_prefix("Received ") {
            code = rest.split_whitespace().next().map(str::to_string);
            in_reply = true;
            continue;
        }
        if line.starts_with("Sent ") || line.starts_with("(") {
            in_reply = false;
        }
        if in_reply
            && line.starts_with(|c: char| c.is_whitespace())
            && let Some((n, v)) = line.trim().split_once(" = ")
        {
            attrs.push((n.trim().to_string(), v.trim().trim_matches('"').to_string()));
        }
    }
    Reply { code, attrs, raw: raw.to_string() }
}

/// A UDP socket for hand-built packets, with a short read timeout.
pub fn udp() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
    s
}

/// Send `bytes` and wait for one reply.
pub fn exchange(sock: &UdpSocket, to: SocketAddr, bytes: &[u8]) -> Option<Vec<u8>> {
    sock.send_to(bytes, to).unwrap();
    let mut buf = [0u8; 4096];
    match sock.recv_from(&mut buf) {
        Ok((n, _)) => Some(buf[..n].to_vec()),
        Err(_) => None,
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An answer to [`http`].
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// One plain HTTP/1.1 request (form body when not empty); the status,
/// head and body of the answer.
pub fn http(to: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut s = TcpStream::connect(to).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    http_over(&mut s, method, path, headers, body)
}

/// One HTTP/1.1 request over `stream` (Host lango.test unless `headers`
/// names one; form body when not empty), read to the end.
pub fn http_over(
    stream: &mut (impl Read + Write),
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str("Host: lango.test\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        // A TLS peer that closes without close_notify: what arrived counts.
        assert!(!raw.is_empty(), "reading the answer: {e}");
    }
    // A binary body (a PDF) is read lossily; its callers check the head.
    let out = String::from_utf8_lossy(&raw);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Answer { status, head: head.to_string(), body: body.to_string() }
}

/// Form fields, URL-encoded.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| -> String {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                            char::from(b).to_string()
                        }
                        b' ' => "+".into(),
                        _ => format!("%{b:02X}"),
                    })
                    .collect()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the first `name="..." value="..."` input in a page.
pub fn input_value(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &page[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

/// A `Set-Cookie` value by cookie name, from an answer's head.
pub fn set_cookie(a: &Answer, name: &str) -> Option<String> {
    a.head.lines().find_map(|l| {
        let v = l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: "))?;
        let v = v.strip_prefix(name)?.strip_prefix('=')?;
        Some(v.split(';').next().unwrap_or("").to_string())
    })
}

/// `lango admin create …`: the generated password.
pub fn make_admin(data: &Path, args: &[&str]) -> String {
    let mut all = vec!["admin", "create"];
    all.extend_from_slice(args);
    let out = lango_ok(data, &all);
    out.lines()
        .find_map(|l| l.split("password: ").nth(1))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| panic!("{out}"))
}

/// A signed-in admin browser on plain http (cookie `lango_admin`): its
/// session cookie and the CSRF token of its session.
pub struct AdminWeb {
    pub to: SocketAddr,
    pub cookie: String,
    pub csrf: String,
}

impl AdminWeb {
    /// The sign-in form's answer (no redirect followed).
    pub fn try_login(to: SocketAddr, user: &str, password: &str) -> Answer {
        let page = http(to, "GET", "/admin/login", &[], "");
        let csrf = input_value(&page.body, "csrf").expect("login form has a csrf field");
        http(to, "POST", "/admin/login", &[], &form(&[("csrf", &csrf), ("username", user), ("password", password)]))
    }

    pub fn login(to: SocketAddr, user: &str, password: &str) -> AdminWeb {
        let a = AdminWeb::try_login(to, user, password);
        assert_eq!(a.status, 303, "sign-in of {user} refused: {}", a.body);
        let cookie = set_cookie(&a, "lango_admin").expect("session cookie");
        let mut web = AdminWeb { to, cookie, csrf: String::new() };
        let me = web.get("/admin/me");
        web.csrf = input_value(&me.body, "csrf").expect("csrf on /admin/me");
        web
    }

    pub fn get(&self, path: &str) -> Answer {
        http(self.to, "GET", path, &[("Cookie", &format!("lango_admin={}", self.cookie))], "")
    }

    /// POST a form with this session's CSRF token added.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        http(self.to, "POST", path, &[("Cookie", &format!("lango_admin={}", self.cookie))], &form(&all))
    }
}
