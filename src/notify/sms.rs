//! Africa's Talking SMS (POST {base}/version1/messaging, form fields
//! username, to, message and optional from; `apiKey` header; JSON
//! `SMSMessageData.Recipients[].status`), and the delivery reports it
//! POSTs back (`parse_delivery_report`). Errors are plain words; the API
//! key never appears in them.

use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

use super::Delivery;
use crate::model::SmsSettings;

/// The errors every gateway shares (`notify::SendError`).
pub type SmsError = super::SendError;

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

    /// The account's balance as Africa's Talking words it ("KES 1784.8000"):
    /// `GET {base}/version1/user?username=…`, `UserData.balance`.
    pub async fn balance(&self, s: &SmsSettings, api_key: &str) -> Result<String, SmsError> {
        let query = serde_urlencoded::to_string([("username", s.username.as_str())])
            .map_err(|e| SmsError::Unexpected(e.to_string()))?;
        let resp = self
            .http
            .get(format!("{}/version1/user?{query}", s.base_url.trim_end_matches('/')))
            .header("apiKey", api_key)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| SmsError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| SmsError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(SmsError::Refused { status, body: text.chars().take(200).collect() });
        }
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| SmsError::Unexpected(e.to_string()))?;
        v["UserData"]["balance"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| SmsError::Unexpected("an answer without UserData.balance".into()))
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

/// An Africa's Talking delivery report, the form it POSTs to the callback
/// URL (`id`, `status`, `phoneNumber`, `networkCode`, `failureReason`,
/// `retryCount`): the message id (as [`Sms::send`] returned it) and what
/// happened. Success is delivered; Sent, Submitted and Buffered are on the
/// way; Rejected and Failed are final, with the `failureReason` when the
/// network gave one ("Failed: UserInBlackList"). A status AT does not
/// document is taken as still pending rather than guessed to have failed.
pub fn parse_delivery_report(form: &[u8]) -> Result<(String, Delivery), SmsError> {
    let f: HashMap<String, String> = serde_urlencoded::from_bytes(form)
        .map_err(|e| SmsError::Unexpected(format!("a delivery report that is not a form: {e}")))?;
    let field = |k: &str| f.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let id = field("id").ok_or_else(|| SmsError::Unexpected("a delivery report without an id".into()))?;
    let status = field("status").ok_or_else(|| SmsError::Unexpected("a delivery report without a status".into()))?;
    let delivery = match status {
        "Success" => Delivery::Delivered,
        "Rejected" | "Failed" => Delivery::Failed(match field("failureReason") {
            Some(reason) => format!("{status}: {reason}"),
            None => status.to_string(),
        }),
        _ => Delivery::Pending,
    };
    Ok((id.to_string(), delivery))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_reports() {
        let table: [(&str, Delivery); 7] = [
            ("id=ATXid_1&status=Success&phoneNumber=%2B254712345678&networkCode=63902", Delivery::Delivered),
            ("id=ATXid_1&status=Sent&phoneNumber=%2B254712345678", Delivery::Pending),
            ("id=ATXid_1&status=Submitted", Delivery::Pending),
            ("id=ATXid_1&status=Buffered&networkCode=63903", Delivery::Pending),
            (
                "id=ATXid_1&status=Rejected&failureReason=UserInBlackList",
                Delivery::Failed("Rejected: UserInBlackList".into()),
            ),
            ("id=ATXid_1&status=Failed&failureReason=&retryCount=0", Delivery::Failed("Failed".into())),
            (
                "status=Failed&id=ATXid_1&failureReason=DeliveryFailure",
                Delivery::Failed("Failed: DeliveryFailure".into()),
            ),
        ];
        for (form, want) in table {
            assert_eq!(parse_delivery_report(form.as_bytes()), Ok(("ATXid_1".to_string(), want)), "{form}");
        }
        assert!(matches!(parse_delivery_report(b"status=Success"), Err(SmsError::Unexpected(_))));
        assert!(matches!(parse_delivery_report(b"id=ATXid_1"), Err(SmsError::Unexpected(_))));
    }
}
