//! Africa's Talking SMS (POST {base}/version1/messaging, form fields
//! username, to, message and optional from; `apiKey` header; JSON
//! `SMSMessageData.Recipients[].status`). Errors are plain words; the
//! API key never appears in them.

use serde::Deserialize;
use std::time::Duration;

use crate::model::SmsSettings;

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("the SMS gateway could not be reached: {0}")]
    Unreachable(String),
    #[error("the SMS gateway refused the request (HTTP {status}): {body}")]
    Refused { status: u16, body: String },
    #[error("the SMS gateway did not send to {to}: {status}")]
    NotSent { to: String, status: String },
    #[error("the SMS gateway answered something unexpected: {0}")]
    Unexpected(String),
}

pub struct Sms {
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "SMSMessageData")]
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "Recipients", default)]
    recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
struct Recipient {
    number: String,
    status: String,
    #[serde(rename = "messageId", default)]
    message_id: String,
}

impl Sms {
    pub fn new() -> Result<Sms, SmsError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("lango/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SmsError::Unreachable(e.to_string()))?;
        Ok(Sms { http })
    }

    /// Send `text` to `msisdn` (2547XXXXXXXX); the gateway's message id.
    pub async fn send(&self, s: &SmsSettings, api_key: &str, msisdn: &str, text: &str) -> Result<String, SmsError> {
        let to = format!("+{msisdn}");
        let mut form = vec![("username", s.username.as_str()), ("to", to.as_str()), ("message", text)];
        if let Some(from) = &s.sender {
            form.push(("from", from.as_str()));
        }
        let body = serde_urlencoded::to_string(&form).map_err(|e| SmsError::Unexpected(e.to_string()))?;
        let resp = self
            .http
            .post(format!("{}/version1/messaging", s.base_url.trim_end_matches('/')))
            .header("apiKey", api_key)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| SmsError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| SmsError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(SmsError::Refused { status, body: text.chars().take(200).collect() });
        }
        let a: Answer = serde_json::from_str(&text).map_err(|e| SmsError::Unexpected(e.to_string()))?;
        let r = a
            .data
            .recipients
            .into_iter()
            .next()
            .ok_or_else(|| SmsError::NotSent { to: to.clone(), status: "no recipient".into() })?;
        if r.status != "Success" {
            return Err(SmsError::NotSent { to: r.number, status: r.status });
        }
        Ok(r.message_id)
    }
}
