//! HTTPS served by lango itself: a client that pins the certificate's
//! SHA-256 fingerprint (read from lango's log, checked against the PEM file
//! lango generated) signs in to the admin pages; cookies are `__Host-` and
//! Secure, private pages carry HSTS; plain HTTP sends admin, setup and
//! account pages (only those) to HTTPS, whatever headers the client sends;
//! first-run setup over HTTPS shows the same fingerprint.

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::harness::*;

/// Accepts exactly the certificate whose SHA-256 is `fingerprint`.
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

fn sha256_colons(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    d.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if sha256_colons(end_entity) == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("certificate fingerprint differs from the pinned one".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

fn client(fingerprint: &str) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Pinned { fingerprint: fingerprint.to_string(), provider: provider.clone() });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

/// One request over TLS to `to`, trusting only `fingerprint`.
fn https(
    to: SocketAddr,
    fingerprint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Answer, String> {
    let tcp = TcpStream::connect(to).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let name = ServerName::try_from("lango").unwrap();
    let conn = rustls::ClientConnection::new(client(fingerprint), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // The handshake, so that a refused certificate is an error here.
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).map_err(|e| e.to_string())?;
    }
    Ok(http_over(&mut tls, method, path, headers, body))
}

/// The fingerprint lango logged.
fn logged_fingerprint(s: &Server) -> String {
    let log = s.log();
    let line = log.lines().find(|l| l.contains("SHA-256 fingerprint ")).unwrap_or_else(|| panic!("{log}"));
    line.split("SHA-256 fingerprint ").nth(1).unwrap().split_whitespace().next().unwrap().to_string()
}

fn header<'a>(a: &'a Answer, name: &str) -> Option<&'a str> {
    a.head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

#[test]
fn admin_pages_are_served_over_https_with_a_pinned_self_signed_certificate() {
    let data = temp_dir("tls");
    let s = Server::start(&data, &["--demo", "--https", "127.0.0.1:0"]);
    let to = s.https.expect("https listener");
    let fp = logged_fingerprint(&s);

    // The fingerprint is the one of the certificate lango generated.
    let pem = std::fs::read_to_string(data.join("tls/lango-cert.pem")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    assert_eq!(sha256_colons(&der), fp);

    // Another pin is refused at the handshake.
    let wrong = fp.replacen(&fp[..2], if &fp[..2] == "00" { "01" } else { "00" }, 1);
    let refused = https(to, &wrong, "GET", "/admin/login", &[], "");
    assert!(refused.as_ref().is_err_and(|e| e.contains("fingerprint")), "{:?}", refused.map(|a| a.status));

    // Sign in over HTTPS: HSTS, and the cookie is __Host- and Secure.
    let page = https(to, &fp, "GET", "/admin/login", &[], "").unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(header(&page, "strict-transport-security"), Some("max-age=31536000"), "{}", page.head);
    assert!(!page.body.contains("id=\"insecure\""), "no plain-http warning over https");
    let csrf = input_value(&page.body, "csrf").unwrap();
    let body = form(&[("csrf", &csrf), ("username", "demo"), ("password", "demo-admin-pass")]);
    let signed = https(to, &fp, "POST", "/admin/login", &[], &body).unwrap();
    assert_eq!(signed.status, 303, "{}", signed.body);
    let cookie = header(&signed, "set-cookie").unwrap();
    assert!(cookie.starts_with("__Host-lango_admin=") && cookie.contains("; Secure"), "{cookie}");
    let token = set_cookie(&signed, "__Host-lango_admin").unwrap();
    let home = https(to, &fp, "GET", "/admin", &[("Cookie", &format!("__Host-lango_admin={token}"))], "").unwrap();
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("Dashboard"), "{}", home.body);
    // The portal over https has no HSTS (it is served on plain http too).
    let portal = https(to, &fp, "GET", "/portal", &[], "").unwrap();
    assert_ne!(portal.status, 308);
    assert_eq!(header(&portal, "strict-transport-security"), None);

    // Plain HTTP: admin, setup and account pages go to HTTPS (308 keeps a
    // POST a POST), even when the client claims to be secure; nothing else.
    let port = to.port();
    for (method, path) in [("GET", "/admin/login"), ("POST", "/admin/login"), ("GET", "/account"), ("GET", "/setup")] {
        let forged = [("X-Lango-Secure", "1"), ("X-Forwarded-Proto", "https")];
        let a = http(s.http, method, path, &forged, "");
        assert_eq!(a.status, 308, "{method} {path}: {}", a.head);
        assert_eq!(header(&a, "location"), Some(format!("https://lango.test:{port}{path}").as_str()), "{}", a.head);
    }
    let q = http(s.http, "GET", "/admin/customers?q=x", &[("Host", "10.0.0.5:8080")], "");
    assert_eq!(header(&q, "location"), Some(format!("https://10.0.0.5:{port}/admin/customers?q=x").as_str()));
    for path in ["/healthz", "/portal", "/hotspot/login"] {
        let a = http(s.http, "GET", path, &[], "");
        assert_ne!(a.status, 308, "{path} stays on plain http: {}", a.head);
        assert_eq!(header(&a, "strict-transport-security"), None);
    }
}

#[test]
fn first_run_setup_over_https_shows_the_certificate_fingerprint() {
    let data = temp_dir("tls-setup");
    let s = Server::start(&data, &["--https", "127.0.0.1:0"]);
    let to = s.https.unwrap();
    let fp = logged_fingerprint(&s);
    let log = s.log();
    let link = log.lines().find_map(|l| l.split("finish setup at ").nth(1)).unwrap().split_whitespace().next().unwrap();
    assert!(link.starts_with(&format!("https://{to}/setup?token=")), "the logged link is https: {link}");
    let path = &link[link.find("/setup").unwrap()..];
    let token = path.split("token=").nth(1).unwrap();

    let page = https(to, &fp, "GET", path, &[], "").unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("id=\"insecure\""), "{}", page.body);
    let csrf = input_value(&page.body, "csrf").unwrap();
    let fields = crate::setup::fields(&csrf, token, "a long enough passphrase");
    let done = https(to, &fp, "POST", "/setup", &[], &form(&fields)).unwrap();
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains(&format!("<code id=\"tls-fingerprint\">{fp}</code>")), "{}", done.body);
    let cookie = header(&done, "set-cookie").unwrap();
    assert!(cookie.starts_with("__Host-lango_admin=") && cookie.contains("; Secure"), "{cookie}");

    // A restart keeps the certificate (browsers remember the exception).
    drop(s);
    let again = Server::start(&data, &["--https", "127.0.0.1:0"]);
    assert_eq!(logged_fingerprint(&again), fp);
    std::fs::remove_dir_all(&data).unwrap();
}

#[test]
fn a_bad_certificate_file_stops_lango_and_names_the_setting() {
    let data = temp_dir("tls-bad");
    std::fs::write(data.join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(data.join("key.pem"), "not a key").unwrap();
    let out = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .arg("--data")
        .arg(&data)
        .args(["serve", "--radius-auth", "127.0.0.1:0", "--radius-acct", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .args(["--https", "127.0.0.1:0"])
        .env("LANGO_HTTP_TLS_CERT", data.join("cert.pem"))
        .env("LANGO_HTTP_TLS_KEY", data.join("key.pem"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("http.tls_cert") && err.contains("cert.pem"), "{err}");
    // A certificate without its key is a config error before anything starts.
    let out = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .arg("--data")
        .arg(&data)
        .args(["serve", "--http", "127.0.0.1:0"])
        .env("LANGO_HTTP_TLS_CERT", data.join("cert.pem"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("http.tls_key"), "{err}");
    std::fs::remove_dir_all(&data).unwrap();
}
