//! Messages to customers and operators: SMS through Africa's Talking
//! (`sms.rs`), the Celcom / TextSMS / Advanta family, Onfon and a generic
//! HTTP gateway (`gateways.rs`), and e-mail over SMTP (`mail.rs`); the
//! GSM-7 / UCS-2 part count (`parts.rs`) and the `{variable}` templates
//! (`template.rs`). What is sent when lives in `store/notify.rs` (the
//! queue, fed by the audit log and the reminder pass) and `jobs/notify.rs`
//! (delivery, retries, the daily cap).

pub mod gateways;
pub mod mail;
pub mod parts;
pub mod schedule;
pub mod sms;
pub mod template;

/// Why a message was not sent, in words an operator can act on. Secrets
/// (API keys, passwords) never appear in these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the gateway could not be reached: {0}")]
    Unreachable(String),
    /// `status`: the HTTP status, or the SMTP reply code for e-mail.
    #[error("the gateway refused the request ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("the gateway did not send to {to}: {status}")]
    NotSent { to: String, status: String },
    #[error("the gateway answered something unexpected: {0}")]
    Unexpected(String),
    #[error("{0}")]
    Config(String),
}

/// What a gateway says happened to a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Still on its way (queued at the gateway or the network).
    Pending,
    Delivered,
    /// The network gave up, in the gateway's words.
    Failed(String),
}

/// A file attached to an e-mail.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}
