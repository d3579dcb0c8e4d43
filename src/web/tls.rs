//! HTTPS served by lango itself: the certificate (the operator's PEM files,
//! or a self-signed one generated at first start into `<data_dir>/tls/`),
//! its SHA-256 fingerprint, the accept loop (rustls on the ring provider,
//! HTTP/1.1 through hyper, the same axum router as plain HTTP), and the
//! policy every request passes: admin, setup and account pages move from
//! plain HTTP to HTTPS when TLS is on, and carry HSTS there.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::WebState;

/// Marks a request that arrived over lango's own TLS listener (a request
/// extension, set only by [`serve`]).
#[derive(Clone, Copy, Debug)]
pub struct OverTls;

/// The header [`policy`] sets on every request that reached lango over
/// HTTPS (its own, or a trusted proxy's `X-Forwarded-Proto: https`) and
/// strips from every other, so handlers can trust it.
pub const SECURE_HEADER: &str = "x-lango-secure";

/// Paths that only travel over HTTPS when TLS is on.
fn private_path(path: &str) -> bool {
    ["/admin", "/setup", "/account"]
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{setting} {path}: {message}")]
    File { setting: &'static str, path: PathBuf, message: String },
    #[error("generating a self-signed certificate: {0}")]
    Generate(String),
    #[error("the certificate and key do not work together: {0}")]
    Config(#[from] rustls::Error),
}

/// A server configuration and what the operator is told about it.
pub struct Certificate {
    pub config: Arc<rustls::ServerConfig>,
    /// SHA-256 of the leaf certificate, "AB:CD:…" as browsers show it.
    pub fingerprint: String,
    /// Where the PEM files are (generated ones included).
    pub cert_path: PathBuf,
    pub generated: bool,
}

/// The operator's certificate and key, or the generated pair under
/// `data_dir/tls/` (made on first call, reused afterwards).
pub fn certificate(cert: Option<&Path>, key: Option<&Path>, data_dir: &Path) -> Result<Certificate, TlsError> {
    let (cert_path, key_path, generated) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf(), false),
        _ => {
            let dir = data_dir.join("tls");
            let (c, k) = (dir.join("lango-cert.pem"), dir.join("lango-key.pem"));
            if !c.exists() || !k.exists() {
                generate(&dir, &c, &k)?;
            }
            (c, k, true)
        }
    };
    let file = |setting: &'static str, path: &Path| {
        std::fs::read(path).map_err(|e| TlsError::File { setting, path: path.into(), message: e.to_string() })
    };
    let bad =
        |setting: &'static str, path: &Path, message: String| TlsError::File { setting, path: path.into(), message };
    let cert_pem = file("http.tls_cert", &cert_path)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| bad("http.tls_cert", &cert_path, format!("not a PEM certificate ({e})")))?;
    let Some(leaf) = chain.first() else {
        return Err(bad("http.tls_cert", &cert_path, "holds no certificate".into()));
    };
    let fingerprint = fingerprint(leaf.as_ref());
    let key_pem = file("http.tls_key", &key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| bad("http.tls_key", &key_path, format!("not a PEM private key ({e})")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Certificate { config: Arc::new(config), fingerprint, cert_path, generated })
}

/// "AB:CD:…": SHA-256 of a DER certificate.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// A self-signed ECDSA P-256 certificate for "lango" and "localhost"; the
/// key file is readable by its owner only.
fn generate(dir: &Path, cert: &Path, key: &Path) -> Result<(), TlsError> {
    let io = |path: &Path, e: std::io::Error| TlsError::File {
        setting: "http.tls_cert",
        path: path.into(),
        message: format!("cannot write the generated certificate ({e})"),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let names = vec!["lango".to_string(), "localhost".to_string()];
    let made = rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    write_private(key, made.signing_key.serialize_pem().as_bytes()).map_err(|e| io(key, e))?;
    std::fs::write(cert, made.cert.pem()).map_err(|e| io(cert, e))?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Handshakes that take longer are dropped.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 256;

/// Accept TLS connections on `listener` until `shutdown`, serving `app`
/// over HTTP/1.1 on each.
pub async fn serve(listener: TcpListener, config: Arc<rustls::ServerConfig>, app: Router, shutdown: CancellationToken) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p,
            () = shutdown.cancelled() => break,
        };
        let Ok(permit) = permit else { break };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "https accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        while conns.try_join_next().is_some() {}
        let (acceptor, app, stop) = (acceptor.clone(), app.clone(), shutdown.clone());
        conns.spawn(async move {
            let _permit = permit;
            let tls = match tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.extensions_mut().insert(OverTls);
                let mut app = app.clone();
                async move { tower_service::Service::call(&mut app, req).await }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(tls), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                }
            }
        });
    }
    let _ = tokio::time::timeout(Duration::from_secs(6), async { while conns.join_next().await.is_some() {} }).await;
}

/// Every request: mark it secure or not (see [`SECURE_HEADER`]); with TLS
/// on, send admin, setup and account pages asked over plain HTTP to
/// HTTPS (308, so a POST stays a POST), and give them HSTS over HTTPS.
pub async fn policy(State(s): State<WebState>, mut req: Request, next: Next) -> Response {
    let over_tls = req.extensions().get::<OverTls>().is_some();
    // The header first: most requests carry none, and then the trusted
    // proxies need not be searched.
    let proxied_tls = !over_tls
        && req.headers().get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https")
        && req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|c| s.portal.trusted.iter().any(|t| t.contains(c.0.ip())));
    let secure = over_tls || proxied_tls;
    let private = private_path(req.uri().path());
    if secure {
        req.headers_mut().insert(SECURE_HEADER, HeaderValue::from_static("1"));
    } else {
        req.headers_mut().remove(SECURE_HEADER);
        if let (Some(port), true) = (s.https_port, private) {
            return to_https(&req, port);
        }
    }
    let mut response = next.run(req).await;
    if over_tls && private && s.hsts {
        response.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// 308 to the same host on lango's HTTPS port.
fn to_https(req: &Request, port: u16) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let ok_name = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    if !ok_name {
        return (StatusCode::BAD_REQUEST, "this page is served over HTTPS; ask for it there").into_response();
    }
    let at = if port == 443 { String::new() } else { format!(":{port}") };
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let to = format!("https://{name}{at}{path}");
    match HeaderValue::from_str(&to) {
        Ok(v) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_paths_are_admin_setup_and_account_only() {
        for p in ["/admin", "/admin/", "/admin/customers", "/setup", "/account", "/account/pay"] {
            assert!(private_path(p), "{p}");
        }
        for p in ["/administrator", "/portal", "/hotspot/login", "/pay/x/stk", "/api/v1/customers", "/", "/healthz"] {
            assert!(!private_path(p), "{p}");
        }
    }

    #[test]
    fn a_generated_certificate_is_reused_and_its_key_is_private() {
        let dir = std::env::temp_dir().join(format!("lango-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = certificate(None, None, &dir).unwrap();
        assert!(first.generated);
        let again = certificate(None, None, &dir).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint, "the same certificate after a restart");
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("tls/lango-key.pem")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key readable by its owner only: {mode:o}");
        }
        // The operator's files: a key that is not PEM names the setting.
        let (cert, key) = (dir.join("tls/lango-cert.pem"), dir.join("junk.pem"));
        std::fs::write(&key, "not a key").unwrap();
        let e = certificate(Some(&cert), Some(&key), &dir).err().unwrap().to_string();
        assert!(e.starts_with("http.tls_key "), "{e}");
        let e = certificate(Some(&dir.join("missing.pem")), Some(&key), &dir).err().unwrap().to_string();
        assert!(e.starts_with("http.tls_cert "), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
