//! A real SMTP server on loopback, started per test: aiosmtpd (from PyPI;
//! `.ci/run` installs it) run by `smtp_server.py` beside this file. It can
//! offer STARTTLS and an implicit-TLS port with a certificate made here
//! (rcgen: a private CA and a leaf for 127.0.0.1 / localhost; the CA's PEM
//! is `SmtpServer::ca_pem`), require AUTH PLAIN/LOGIN for one user (after
//! STARTTLS, aiosmtpd's default, unless `auth_on_plain`), and refuse chosen
//! recipients. The script parses each message it accepts with Python's
//! `email` package, independently of lettre, and `received()` reads those
//! summaries back.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use serde::Deserialize;

/// What the server offers and requires.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Offer STARTTLS on the plain port.
    pub starttls: bool,
    /// Also listen with implicit TLS (`SmtpServer::tls_port`).
    pub implicit_tls: bool,
    /// Require AUTH as this user and password before MAIL.
    pub login: Option<(String, String)>,
    /// Allow AUTH on the unencrypted port (aiosmtpd refuses it by default).
    pub auth_on_plain: bool,
    /// Recipients refused at RCPT with 550 5.1.1.
    pub reject: Vec<String>,
}

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    /// The implicit-TLS port, when `Options::implicit_tls`.
    pub tls_port: Option<u16>,
    /// The private CA that signed the server's certificate, when TLS is on.
    pub ca_pem: Option<Vec<u8>>,
    dir: PathBuf,
}

/// One message as the server received and parsed it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The bytes after DATA, as sent.
    pub raw: Vec<u8>,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// Whether the message came over TLS (STARTTLS or implicit).
    pub tls: bool,
    /// The user that logged in, if any.
    pub auth_user: Option<String>,
    /// Every header in order, RFC 2047 words decoded.
    pub headers: Vec<(String, String)>,
    /// The MIME tree in depth-first order, the message itself first.
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug)]
pub struct Part {
    /// 0 for the message, 1 for its parts, ...
    pub depth: usize,
    /// Lower case, without parameters: "text/plain".
    pub content_type: String,
    pub charset: Option<String>,
    pub transfer_encoding: Option<String>,
    /// "attachment", "inline" or none.
    pub disposition: Option<String>,
    pub filename: Option<String>,
    /// The decoded body (empty for a multipart).
    pub bytes: Vec<u8>,
    /// The decoded text, for text/* parts.
    pub text: Option<String>,
}

impl Received {
    /// The first header called `name` (any case), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first part of this content type.
    pub fn part(&self, content_type: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.content_type == content_type)
    }

    /// The parts with a filename.
    pub fn attachments(&self) -> Vec<&Part> {
        self.parts.iter().filter(|p| p.filename.is_some()).collect()
    }

    /// The MIME tree as indented content types, e.g.
    /// `["multipart/mixed", "  multipart/alternative", "    text/plain", ...]`.
    pub fn structure(&self) -> Vec<String> {
        self.parts.iter().map(|p| format!("{}{}", "  ".repeat(p.depth), p.content_type)).collect()
    }
}

#[derive(Deserialize)]
struct Summary {
    mail_from: String,
    rcpt_tos: Vec<String>,
    tls: bool,
    auth_user: Option<String>,
    headers: Vec<(String, String)>,
    parts: Vec<SummaryPart>,
}

#[derive(Deserialize)]
struct SummaryPart {
    depth: usize,
    content_type: String,
    charset: Option<String>,
    transfer_encoding: Option<String>,
    disposition: Option<String>,
    filename: Option<String>,
    #[serde(default)]
    bytes_b64: String,
    text: Option<String>,
}

fn unique_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lango-smtp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A private CA and a server certificate it signed for 127.0.0.1 and
/// localhost, written as `cert.pem` / `key.pem` in `dir`; the CA's PEM.
fn make_certificates(dir: &Path) -> Vec<u8> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "lango test mail CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, "smtp.test");
    let cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
    ca_pem.into_bytes()
}

impl SmtpServer {
    /// A plain server: no TLS, no AUTH, every recipient accepted.
    pub fn plain() -> SmtpServer {
        SmtpServer::start(Options::default())
    }

    pub fn start(opts: Options) -> SmtpServer {
        let dir = unique_dir();
        let out = dir.join("received");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg("--out").arg(&out);
        let ca_pem = (opts.starttls || opts.implicit_tls).then(|| make_certificates(&dir));
        if ca_pem.is_some() {
            cmd.arg("--cert").arg(dir.join("cert.pem")).arg("--key").arg(dir.join("key.pem"));
        }
        if opts.starttls {
            cmd.arg("--starttls");
        }
        if opts.implicit_tls {
            cmd.arg("--tls");
        }
        if let Some((user, password)) = &opts.login {
            cmd.args(["--user", user, "--password", password]);
        }
        if opts.auth_on_plain {
            cmd.arg("--auth-on-plain");
        }
        for r in &opts.reject {
            cmd.args(["--reject", r]);
        }
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("python3 tests/support/smtp_server.py (pip install aiosmtpd)");

        // Wait for "ready port=N tls_port=M"; the script binds port 0, so
        // no port is picked here and then raced for.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                panic!("the SMTP server did not start (pip install aiosmtpd):\n{log}");
            }
        };
        let field = |name: &str| -> u16 {
            ready
                .split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("unexpected line from the SMTP server: {ready:?}"))
        };
        let port = field("port");
        let tls_port = Some(field("tls_port")).filter(|&p| p != 0);
        SmtpServer { child, port, tls_port, ca_pem, dir }
    }

    /// The messages accepted so far, oldest first. A message is on disk
    /// before the server answers DATA, so no waiting is needed.
    pub fn received(&self) -> Vec<Received> {
        let out = self.dir.join("received");
        let mut emls: Vec<PathBuf> = match std::fs::read_dir(&out) {
            Ok(entries) => {
                entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect()
            }
            Err(_) => return Vec::new(),
        };
        emls.sort();
        emls.into_iter()
            .map(|eml| {
                let raw = std::fs::read(&eml).unwrap();
                let json = std::fs::read(eml.with_extension("json")).unwrap();
                let s: Summary = serde_json::from_slice(&json).unwrap();
                let b64 = base64::engine::general_purpose::STANDARD;
                Received {
                    raw,
                    mail_from: s.mail_from,
                    rcpt_tos: s.rcpt_tos,
                    tls: s.tls,
                    auth_user: s.auth_user,
                    headers: s.headers,
                    parts: s
                        .parts
                        .into_iter()
                        .map(|p| Part {
                            depth: p.depth,
                            content_type: p.content_type,
                            charset: p.charset,
                            transfer_encoding: p.transfer_encoding,
                            disposition: p.disposition,
                            filename: p.filename,
                            bytes: b64.decode(p.bytes_b64).unwrap(),
                            text: p.text,
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// The only message received; panics unless there is exactly one.
    pub fn one(&self) -> Received {
        let mut all = self.received();
        assert_eq!(all.len(), 1, "messages received: {}", all.len());
        all.remove(0)
    }

    /// The server's log (aiosmtpd's stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- SMTP server log ({}):\n{}", self.dir.display(), self.log());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
