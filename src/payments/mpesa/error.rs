//! What can go wrong when talking to Daraja, and the plain words we show the customer for it.

use std::borrow::Cow;

/// A failed call to Daraja.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DarajaError {
    /// Could not connect, timed out, or the connection broke. Retryable; for an STK push the request
    /// may still have reached M-Pesa, so query before pushing again.
    #[error("Daraja is unreachable: {0}")]
    Unreachable(String),
    /// Daraja understood the request and said no.
    #[error("Daraja rejected the request (HTTP {http_status}, {code}): {message}")]
    Rejected { http_status: u16, code: String, message: String },
    /// Our consumer key/secret or access token was refused (even after fetching a fresh token).
    #[error("Daraja refused our credentials: {0}")]
    Auth(String),
    /// Daraja answered with something we cannot interpret; `body` is a truncated copy.
    #[error("unexpected answer from Daraja (HTTP {http_status}): {body}")]
    Malformed { http_status: u16, body: String },
    /// We refused to send the request (e.g. amount 0, empty account reference, bad callback URL).
    #[error("invalid M-Pesa request: {0}")]
    InvalidRequest(String),
}

/// Daraja's code for "a transaction is already in process for the subscriber" and for
/// "the transaction is being processed"; the message tells which.
pub(crate) const CODE_PROCESSING: &str = "500.001.1001";

impl DarajaError {
    /// Whether trying again later may succeed without anybody changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            DarajaError::Unreachable(_) | DarajaError::Malformed { .. } => true,
            DarajaError::Rejected { http_status, code, .. } => *http_status >= 500 || code == CODE_PROCESSING,
            DarajaError::Auth(_) | DarajaError::InvalidRequest(_) => false,
        }
    }

    /// Plain words for the operator testing the connection: what failed and
    /// what to check.
    pub fn operator_message(&self) -> String {
        match self {
            DarajaError::Auth(why) => format!(
                "Daraja refused the consumer key or secret ({why}). Copy both again from the Daraja portal's app, and check the environment: sandbox keys do not work in production."
            ),
            DarajaError::Unreachable(why) => format!(
                "lango could not reach Daraja ({why}). Check that lango can reach the internet (DNS, the router's NAT for the container) and the environment's address."
            ),
            DarajaError::Malformed { http_status, .. } => format!(
                "Daraja's address answered, but not as Daraja does (HTTP {http_status}). Check the environment: a custom base URL must be Daraja's or a proxy in front of it."
            ),
            DarajaError::Rejected { http_status, code, message } => {
                format!("Daraja answered HTTP {http_status} with {code}: {message}.")
            }
            DarajaError::InvalidRequest(why) => format!("lango could not make the request: {why}."),
        }
    }

    /// Plain words for the customer on the captive portal.
    pub fn customer_message(&self) -> &'static str {
        match self {
            DarajaError::Unreachable(_) => "M-Pesa is not responding right now. Please try again in a minute.",
            DarajaError::Malformed { .. } => "M-Pesa gave an unexpected answer. Please try again in a minute.",
            DarajaError::Auth(_) => "M-Pesa payments are not available right now. Please tell the shop.",
            DarajaError::InvalidRequest(_) => "This payment could not be started. Please tell the shop.",
            DarajaError::Rejected { code, message, .. } => {
                let m = message.to_ascii_lowercase();
                if code == CODE_PROCESSING && (m.contains("lock") || m.contains("in process")) {
                    "You already have an M-Pesa payment waiting on your phone. Finish or cancel it, then try again."
                } else if m.contains("phone") || m.contains("partya") || m.contains("msisdn") {
                    "M-Pesa did not accept this phone number. Check it and try again."
                } else if m.contains("amount") {
                    "M-Pesa did not accept this amount."
                } else {
                    "M-Pesa did not accept the payment request. Please try again, or tell the shop if it keeps happening."
                }
            }
        }
    }
}

/// Plain words for an STK `ResultCode` (from the callback or the query).
/// Returns `Cow` because unknown codes are spelled out ("... (code 17).").
pub fn result_message(code: i64) -> Cow<'static, str> {
    match code {
        0 => "Payment received. Thank you.".into(),
        1032 => "You cancelled the payment on your phone.".into(),
        1 => "Your M-Pesa balance is not enough for this payment.".into(),
        1037 => "Your phone could not be reached. Make sure it is on and try again.".into(),
        2001 => "The M-Pesa PIN was wrong.".into(),
        other => format!("M-Pesa could not complete the payment (code {other}).").into(),
    }
}
