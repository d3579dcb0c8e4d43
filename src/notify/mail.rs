//! E-mail over SMTP (lettre, rustls with ring, tokio): the operator's
//! server settings (`Smtp`, checked for the settings form by `check`), the
//! MIME message (text, optional HTML alternative, attachments; UTF-8
//! headers and bodies encoded by lettre so the message itself is 7-bit),
//! and one SMTP conversation per message, driven command by command so a
//! failure is reported for the step that failed: connection and TLS →
//! `Unreachable`, AUTH, MAIL or DATA refused → `Refused`, a recipient
//! refused → `NotSent`.
//!
//! The password never appears in an error or a log line: it is only handed
//! to lettre's AUTH, server replies are scrubbed of it, `Smtp`'s `Debug`
//! hides it, and lettre's own `tracing` feature (which logs every line
//! written, the AUTH line included) stays off. A password is refused over
//! plain SMTP unless the server is on this machine (a local relay).

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail as MailFrom, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::{Address, Message};
use ring::rand::{SecureRandom, SystemRandom};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::{Attachment, SendError};

/// How long one step (DNS, connect, TLS handshake, one command) may take.
const STEP: Duration = Duration::from_secs(15);

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// No TLS (port 25, or a relay on this machine).
    Plain,
    /// Plain connect, then `STARTTLS` before anything else (port 587).
    StartTls,
    /// TLS from the first byte, "SMTPS" (port 465).
    Tls,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Plain => "plain",
            Security::StartTls => "starttls",
            Security::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<Security> {
        match s.trim().to_ascii_lowercase().as_str() {
            "plain" => Some(Security::Plain),
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            _ => None,
        }
    }
}

/// The operator's SMTP server.
#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `"Name <addr@example.com>"` or `"addr@example.com"`.
    pub from: String,
    /// A private CA (PEM) trusted besides the public roots, for a server
    /// with its own certificate.
    pub extra_root_pem: Option<Vec<u8>>,
}

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("extra_root_pem", &self.extra_root_pem.as_ref().map(|p| p.len()))
            .finish()
    }
}

/// One message to one recipient.
#[derive(Debug, Clone, Copy)]
pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
    pub attachments: &'a [Attachment],
}

impl Smtp {
    /// Whether these settings can be used at all, in words for the settings
    /// form. Does not connect.
    pub fn check(&self) -> Result<(), String> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err("the SMTP server's host name is missing".into());
        }
        if host.chars().any(|c| c.is_whitespace() || c == '/' || c == '@') {
            return Err(format!("\"{host}\" is not a host name"));
        }
        if self.port == 0 {
            return Err("the SMTP port must be between 1 and 65535".into());
        }
        self.from.trim().parse::<Mailbox>().map_err(|_| {
            format!("\"{}\" is not an e-mail address (user@example.com or Name <user@example.com>)", self.from)
        })?;
        if blank(&self.username) != blank(&self.password) {
            return Err("give both the SMTP user name and the password, or neither".into());
        }
        if self.credentials().is_some() && self.security == Security::Plain && !is_local(host) {
            return Err(
                "the password would cross the network unencrypted: choose STARTTLS (port 587) or TLS (port 465)".into(),
            );
        }
        if let Some(pem) = &self.extra_root_pem {
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| "the CA certificate is not valid PEM".to_string())?;
            if certs.is_empty() {
                return Err("the CA certificate holds no \"BEGIN CERTIFICATE\" block".into());
            }
        }
        Ok(())
    }

    /// Send `mail`; the Message-ID it was sent with.
    pub async fn send(&self, mail: &Mail<'_>) -> Result<String, SendError> {
        self.check().map_err(SendError::Config)?;
        let from: Mailbox = self.from.trim().parse().map_err(|_| SendError::Config("bad from address".into()))?;
        let to: Mailbox = mail
            .to
            .trim()
            .parse()
            .map_err(|_| SendError::NotSent { to: mail.to.to_string(), status: "not an e-mail address".into() })?;
        let message_id = message_id(&from.email)?;
        let message = build(&from, &to, &message_id, mail)?;
        let bytes = message.formatted();

        let host = self.host.trim();
        let addr = format!("{host}:{}", self.port);
        let mut conn = self.connect(host, &addr).await?;
        let outcome = self.converse(&mut conn, &addr, &from.email, &to.email, &bytes).await;
        match outcome {
            Ok(()) => {
                let _ = tokio::time::timeout(STEP, conn.quit()).await;
                tracing::debug!(server = %addr, to = %to.email, %message_id, "mail accepted");
                Ok(message_id)
            }
            Err(e) => {
                let _ = tokio::time::timeout(STEP, conn.abort()).await;
                Err(e)
            }
        }
    }

    fn credentials(&self) -> Option<Credentials> {
        match (&self.username, &self.password) {
            (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Some(Credentials::new(u.clone(), p.clone())),
            _ => None,
        }
    }

    fn tls(&self, host: &str) -> Result<TlsParameters, SendError> {
        let mut b = TlsParameters::builder(host.to_string());
        if let Some(pem) = &self.extra_root_pem {
            let cert = Certificate::from_pem(pem)
                .map_err(|_| SendError::Config("the CA certificate is not valid PEM".into()))?;
            b = b.add_root_certificate(cert);
        }
        b.build().map_err(|e| SendError::Config(format!("TLS settings: {e}")))
    }

    /// Resolve, connect, greet; TLS first (`Tls`) or after EHLO
    /// (`StartTls`).
    async fn connect(&self, host: &str, addr: &str) -> Result<AsyncSmtpConnection, SendError> {
        let resolved: Vec<SocketAddr> = match tokio::time::timeout(STEP, tokio::net::lookup_host((host, self.port)))
            .await
        {
            Err(_) => {
                return Err(SendError::Unreachable(format!("looking up {host} took longer than {}s", STEP.as_secs())));
            }
            Ok(Err(e)) => return Err(SendError::Unreachable(format!("cannot find the host {host} ({e})"))),
            Ok(Ok(found)) => found.collect(),
        };
        let hello = ClientId::default();
        let implicit = match self.security {
            Security::Tls => Some(self.tls(host)?),
            Security::Plain | Security::StartTls => None,
        };
        let connecting = AsyncSmtpConnection::connect_tokio1(&resolved[..], Some(STEP), &hello, implicit, None);
        let mut conn = step(addr, "connecting", connecting).await?.map_err(|e| connect_error(addr, &e))?;
        if self.security == Security::StartTls {
            if !conn.can_starttls() {
                conn.abort().await;
                return Err(SendError::Unreachable(format!(
                    "{addr} does not offer STARTTLS (choose TLS for port 465, plain only for a local relay)"
                )));
            }
            let tls = self.tls(host)?;
            step(addr, "starting TLS", conn.starttls(tls, &hello)).await?.map_err(|e| connect_error(addr, &e))?;
        }
        Ok(conn)
    }

    /// AUTH, MAIL, RCPT, DATA on an open connection.
    async fn converse(
        &self,
        conn: &mut AsyncSmtpConnection,
        addr: &str,
        from: &Address,
        to: &Address,
        bytes: &[u8],
    ) -> Result<(), SendError> {
        let secret = self.password.as_deref().unwrap_or("");
        if let Some(creds) = self.credentials() {
            let offered = [Mechanism::Plain, Mechanism::Login];
            if conn.server_info().get_auth_mechanism(&offered).is_none() {
                return Err(SendError::Config(format!(
                    "{addr} does not offer login (AUTH PLAIN or LOGIN) on this connection{}",
                    if conn.is_encrypted() { "" } else { "; choose STARTTLS or TLS" }
                )));
            }
            step(addr, "logging in", conn.auth(&offered, &creds)).await?.map_err(|e| refused(&e, secret))?;
        }
        let mut params = Vec::new();
        if !bytes.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        if !(from.to_string().is_ascii() && to.to_string().is_ascii()) {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(SendError::NotSent {
                    to: to.to_string(),
                    status: format!("{addr} cannot take non-ASCII addresses (no SMTPUTF8)"),
                });
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        step(addr, "MAIL FROM", conn.command(MailFrom::new(Some(from.clone()), params)))
            .await?
            .map_err(|e| refused(&e, secret))?;
        step(addr, "RCPT TO", conn.command(Rcpt::new(to.clone(), Vec::new()))).await?.map_err(|e| {
            match reply(&e, secret) {
                Some((code, text)) => SendError::NotSent { to: to.to_string(), status: format!("{code} {text}") },
                None => other(addr, &e),
            }
        })?;
        step(addr, "DATA", conn.command(Data)).await?.map_err(|e| refused(&e, secret))?;
        step(addr, "sending the message", conn.message(bytes)).await?.map_err(|e| refused(&e, secret))?;
        Ok(())
    }
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.is_empty())
}

/// A host on this machine, where plain SMTP with a password is acceptable.
fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `<32 hex digits@the sender's domain>`.
fn message_id(from: &Address) -> Result<String, SendError> {
    let mut b = [0u8; 16];
    SystemRandom::new().fill(&mut b).map_err(|_| SendError::Unexpected("no randomness for the Message-ID".into()))?;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!("<{hex}@{}>", from.domain()))
}

/// multipart/mixed (when there are attachments) around the text, or
/// around multipart/alternative text + HTML when there is HTML.
fn build(from: &Mailbox, to: &Mailbox, message_id: &str, mail: &Mail<'_>) -> Result<Message, SendError> {
    let text = SinglePart::plain(mail.text.to_string());
    let builder = Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(mail.subject)
        .message_id(Some(message_id.to_string()))
        .user_agent(concat!("lango/", env!("CARGO_PKG_VERSION")).to_string());
    let built = match (mail.html, mail.attachments) {
        (None, []) => builder.singlepart(text),
        (html, attachments) => {
            let body = match html {
                Some(h) => {
                    Part::Multi(MultiPart::alternative().singlepart(text).singlepart(SinglePart::html(h.to_string())))
                }
                None => Part::Single(text),
            };
            if attachments.is_empty() {
                match body {
                    Part::Multi(m) => builder.multipart(m),
                    Part::Single(s) => builder.singlepart(s),
                }
            } else {
                let mut mixed = match body {
                    Part::Multi(m) => MultiPart::mixed().multipart(m),
                    Part::Single(s) => MultiPart::mixed().singlepart(s),
                };
                for a in attachments {
                    let ct = ContentType::parse(&a.content_type)
                        .unwrap_or_else(|_| ContentType::parse("application/octet-stream").unwrap());
                    mixed = mixed.singlepart(MimeAttachment::new(a.filename.clone()).body(a.bytes.clone(), ct));
                }
                builder.multipart(mixed)
            }
        }
    };
    built.map_err(|e| SendError::Unexpected(format!("the message could not be built: {e}")))
}

enum Part {
    Single(SinglePart),
    Multi(MultiPart),
}

/// Run one step under the step timeout.
async fn step<T>(addr: &str, what: &str, f: impl Future<Output = T>) -> Result<T, SendError> {
    tokio::time::timeout(STEP, f)
        .await
        .map_err(|_| SendError::Unreachable(format!("{addr} did not answer within {}s ({what})", STEP.as_secs())))
}

/// The server's negative reply: code and text (password scrubbed).
fn reply(e: &lettre::transport::smtp::Error, secret: &str) -> Option<(u16, String)> {
    let code: u16 = e.status()?.to_string().parse().ok()?;
    let text = e.source().map(|s| s.to_string()).unwrap_or_default();
    Some((code, scrub(text.trim(), secret)))
}

fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() { text.to_string() } else { text.replace(secret, "***") }
}

/// A refusal by the server (AUTH, MAIL, DATA), or a broken conversation.
fn refused(e: &lettre::transport::smtp::Error, secret: &str) -> SendError {
    match reply(e, secret) {
        Some((status, body)) => SendError::Refused { status, body },
        None => SendError::Unexpected(scrub(&e.to_string(), secret)),
    }
}

/// A failure that is not a server reply: the network or TLS.
fn other(addr: &str, e: &lettre::transport::smtp::Error) -> SendError {
    if let Some(reason) = find::<rustls::Error>(e).map(tls_reason) {
        return SendError::Unreachable(format!("{addr}: {reason}"));
    }
    SendError::Unreachable(format!("{addr}: {e}"))
}

/// While connecting and greeting: refusals by the server, then network
/// and TLS failures in words.
fn connect_error(addr: &str, e: &lettre::transport::smtp::Error) -> SendError {
    if let Some((status, text)) = reply(e, "") {
        return SendError::Unreachable(format!("{addr} turned the connection away: {status} {text}"));
    }
    if let Some(io) = find::<std::io::Error>(e) {
        use std::io::ErrorKind::*;
        let why = match io.kind() {
            ConnectionRefused => Some("nothing is listening there (connection refused)"),
            TimedOut => Some("no answer (connection timed out)"),
            HostUnreachable | NetworkUnreachable => Some("no route to the server"),
            ConnectionReset | ConnectionAborted | UnexpectedEof => {
                Some("the server closed the connection (wrong port or wrong TLS choice?)")
            }
            _ => None,
        };
        if let (Some(why), None) = (why, find::<rustls::Error>(e)) {
            return SendError::Unreachable(format!("{addr}: {why}"));
        }
    }
    other(addr, e)
}

/// The first error of type `T` in `e`'s chain, looking inside `io::Error`s
/// (whose `source()` skips the error they wrap).
fn find<'a, T: StdError + 'static>(e: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        if let Some(t) =
            err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|i| i.downcast_ref::<T>())
        {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

fn tls_reason(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                "TLS failed: the server's certificate is not trusted (unknown issuer; add its CA certificate)".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "TLS failed: the server's certificate is for another host name".into()
            }
            C::Expired | C::ExpiredContext { .. } => "TLS failed: the server's certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "TLS failed: the server's certificate is not valid yet".into()
            }
            C::Revoked => "TLS failed: the server's certificate was revoked".into(),
            C::BadSignature | C::BadEncoding => "TLS failed: the server's certificate is damaged".into(),
            other => format!("TLS failed: the server's certificate was refused ({other:?})"),
        },
        rustls::Error::InvalidMessage(_) => {
            "TLS failed: the server did not answer in TLS (is the port plain SMTP or STARTTLS?)".into()
        }
        rustls::Error::AlertReceived(alert) => format!("TLS failed: the server ended the handshake ({alert:?})"),
        other => format!("TLS failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp() -> Smtp {
        Smtp {
            host: "mail.example.com".into(),
            port: 587,
            security: Security::StartTls,
            username: Some("billing".into()),
            password: Some("s3cret-Pass".into()),
            from: "Lango ISP <billing@example.com>".into(),
            extra_root_pem: None,
        }
    }

    #[test]
    fn security_round_trips() {
        for s in [Security::Plain, Security::StartTls, Security::Tls] {
            assert_eq!(Security::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        assert_eq!(Security::parse(" STARTTLS "), Some(Security::StartTls));
        assert_eq!(Security::parse("ssl"), None);
    }

    #[test]
    fn check_table() {
        assert_eq!(smtp().check(), Ok(()));
        type Change = fn(&mut Smtp);
        let cases: [(Change, &str); 8] = [
            (|s| s.host = " ".into(), "host name is missing"),
            (|s| s.host = "mail example".into(), "not a host name"),
            (|s| s.port = 0, "port"),
            (|s| s.from = "billing".into(), "not an e-mail address"),
            (|s| s.password = None, "both"),
            (|s| s.username = None, "both"),
            (|s| s.security = Security::Plain, "unencrypted"),
            (|s| s.extra_root_pem = Some(b"hello".to_vec()), "BEGIN CERTIFICATE"),
        ];
        for (change, want) in cases {
            let mut s = smtp();
            change(&mut s);
            let err = s.check().unwrap_err();
            assert!(err.contains(want), "{err:?} should say {want:?}");
        }
        let mut local = smtp();
        local.host = "127.0.0.1".into();
        local.security = Security::Plain;
        assert_eq!(local.check(), Ok(()));
        let mut open = smtp();
        (open.username, open.password, open.security) = (None, Some(String::new()), Security::Plain);
        assert_eq!(open.check(), Ok(()));
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", smtp());
        assert!(!shown.contains("s3cret-Pass") && shown.contains("***"), "{shown}");
    }

    #[test]
    fn message_id_uses_the_sender_domain() {
        let from: Mailbox = "Lango <billing@example.com>".parse().unwrap();
        let id = message_id(&from.email).unwrap();
        assert!(
            id.starts_with('<') && id.ends_with("@example.com>") && id.len() == 32 + "<@example.com>".len(),
            "{id}"
        );
    }
}
