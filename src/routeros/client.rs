//! One logged-in API connection to one router, through `mikrotik-rs`:
//! plain TCP (8728) or API-SSL (8729) with rustls on the ring provider.
//! Each command waits for its `!done`, `!trap` or `!fatal`, with a timeout.

use std::sync::Arc;
use std::time::Duration;

use mikrotik_rs::{CommandBuilder, DeviceError, Event, LoginError, MikrotikDevice};

use super::{Cmd, RouterError, Row};

/// Where a router's API is and how to log in; `label` names the router in
/// every message ("core-1 (NAS 10.0.0.1, API 10.0.0.1:8728)").
#[derive(Clone)]
pub struct Endpoint {
    pub label: String,
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub user: String,
    pub password: String,
    /// For connecting and for each command.
    pub timeout: Duration,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("label", &self.label).field("tls", &self.tls).finish_non_exhaustive()
    }
}

/// A logged-in connection. Cheap to clone; commands share the connection
/// (mikrotik-rs multiplexes them by `.tag`).
#[derive(Clone, Debug)]
pub struct Router {
    pub label: String,
    device: MikrotikDevice,
    timeout: Duration,
}

impl Router {
    pub async fn connect(ep: &Endpoint) -> Result<Router, RouterError> {
        let addr = format!("{}:{}", ep.host, ep.port);
        let builder = MikrotikDevice::builder(addr.as_str()).credentials(&ep.user, Some(&ep.password));
        let connecting = async {
            if ep.tls {
                let name = rustls::pki_types::ServerName::try_from(ep.host.clone())
                    .map_err(|e| DeviceError::Connection(std::io::Error::other(e)))?;
                builder.tls_config(tls_config(), name).connect().await
            } else {
                builder.connect().await
            }
        };
        let device = match tokio::time::timeout(ep.timeout, connecting).await {
            Err(_) => {
                return Err(RouterError::Unreachable {
                    router: ep.label.clone(),
                    reason: format!("no answer within {} s", ep.timeout.as_secs()),
                });
            }
            Ok(Ok(d)) => d,
            Ok(Err(e)) => return Err(connect_error(&ep.label, e)),
        };
        Ok(Router { label: ep.label.clone(), device, timeout: ep.timeout })
    }

    /// Run one command; the rows of its `!re` replies.
    pub async fn run(&self, cmd: &Cmd) -> Result<Vec<Row>, RouterError> {
        let mut b = CommandBuilder::new().command(&cmd.word());
        for (k, v) in &cmd.args {
            b = b.attribute(k, Some(v));
        }
        for (k, v) in &cmd.queries {
            b = b.query_equal(k, v);
        }
        let lost = |reason: String| RouterError::Lost { router: self.label.clone(), command: cmd.to_string(), reason };
        let mut rx = self.device.send_command(b.build()).await.map_err(|e| lost(e.to_string()))?;
        let mut rows = Vec::new();
        loop {
            let event = match tokio::time::timeout(self.timeout, rx.recv()).await {
                Err(_) => {
                    return Err(RouterError::Timeout {
                        router: self.label.clone(),
                        command: cmd.to_string(),
                        secs: self.timeout.as_secs(),
                    });
                }
                Ok(None) => return Err(lost("the router closed the connection".into())),
                Ok(Some(e)) => e,
            };
            match event {
                Event::Reply { response, .. } => {
                    rows.push(response.attributes.into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect());
                }
                Event::Done { .. } | Event::Empty { .. } => return Ok(rows),
                Event::Trap { response, .. } => {
                    return Err(RouterError::Trap {
                        router: self.label.clone(),
                        command: cmd.to_string(),
                        message: response.message,
                    });
                }
                Event::Fatal { reason } => return Err(lost(format!("!fatal {reason}"))),
            }
        }
    }
}

fn connect_error(label: &str, e: DeviceError) -> RouterError {
    let router = label.to_string();
    match e {
        DeviceError::Authentication { response } | DeviceError::Login(LoginError::Authentication(response)) => {
            RouterError::Login { router, message: response.message }
        }
        DeviceError::Login(LoginError::Fatal(m)) => RouterError::Login { router, message: m },
        DeviceError::ConnectionClosed => {
            RouterError::Unreachable { router, reason: "the router closed the connection during login".into() }
        }
        other => RouterError::Unreachable { router, reason: other.to_string() },
    }
}

/// rustls with the ring provider. RouterOS's API-SSL certificate is
/// self-signed unless the operator installed one, so it is not checked
/// against a CA (the handshake signature still is); the password is what
/// authenticates lango, and the channel keeps it private.
fn tls_config() -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    Arc::new(config)
}

#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
