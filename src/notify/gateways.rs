//! SMS gateways besides Africa's Talking (`sms.rs`). Each client sends one
//! text to one 2547XXXXXXXX number through a shared `reqwest::Client` (whose
//! timeouts apply) and answers the gateway's message id:
//!
//! - [`Celcom`]: the Celcom Africa / TextSMS / Advanta family, one API
//!   (`/api/services/sendsms/`, `getbalance/`, `getdlr/`) as documented at
//!   textsms.co.ke/bulk-sms-api and in Advanta's public API docs
//!   (github.com/harrykerry/advanta-africa-apis, `docs/sms-api/`).
//! - [`Onfon`]: Onfon Media's REST API, `POST /v1/sms/SendBulkSMS`, as
//!   documented at docs.onfonmedia.co.ke/rest.
//! - [`HttpGateway`]: any other provider, described by the operator as URL,
//!   header and body templates using `{to}`, `{to_plus}`, `{message}`,
//!   `{sender}` and `{token}`.
//!
//! Errors are [`SendError`]s in the provider's own words. API keys, access
//! keys and tokens never appear in them, even when an answer echoes them.

use std::collections::VecDeque;
use std::fmt;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::parts::is_gsm7;
use super::{Delivery, SendError};

/// How much of an answer goes into an error.
const EXCERPT: usize = 200;
const JSON: &str = "application/json";

/// Celcom Africa's own host; TextSMS and Advanta run the same API.
pub const CELCOM_URL: &str = "https://isms.celcomafrica.com";
pub const TEXTSMS_URL: &str = "https://sms.textsms.co.ke";
pub const ADVANTA_URL: &str = "https://quicksms.advantasms.com";
pub const ONFON_URL: &str = "https://api.onfonmedia.co.ke";

// ---------------------------------------------------------------- Celcom

/// The Celcom Africa / TextSMS / Advanta API: JSON POSTs carrying `apikey`
/// and `partnerID`; answers carry `response-code` (200 = success) and
/// `response-description`.
#[derive(Clone, PartialEq, Eq)]
pub struct Celcom {
    /// e.g. [`CELCOM_URL`], [`TEXTSMS_URL`] or [`ADVANTA_URL`].
    pub base_url: String,
    pub partner_id: String,
    pub api_key: String,
    /// The sender id the provider assigned (case-sensitive).
    pub shortcode: String,
}

impl fmt::Debug for Celcom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Celcom")
            .field("base_url", &self.base_url)
            .field("partner_id", &self.partner_id)
            .field("shortcode", &self.shortcode)
            .finish_non_exhaustive()
    }
}

impl Celcom {
    /// Send `text` to `msisdn`; the gateway's message id.
    pub async fn send(&self, http: &reqwest::Client, msisdn: &str, text: &str) -> Result<String, SendError> {
        let body = json!({"message": text, "shortcode": self.shortcode, "mobile": msisdn});
        let (status, answer) = self.call(http, "sendsms", body).await?;
        // Success comes as {"responses":[{...}]}; errors sometimes as one
        // flat object (Advanta's docs), so both are read.
        let row = answer.get("responses").and_then(|r| r.get(0)).unwrap_or(&answer);
        match celcom_code(row) {
            Some(200) => Ok(row.get("messageid").and_then(text_of).unwrap_or_default()),
            Some(_) => Err(self.refusal(status, row, Some(msisdn))),
            None => Err(SendError::Unexpected(self.scrub(&answer.to_string()))),
        }
    }

    /// The account's remaining credit, as the gateway writes it ("545.00").
    pub async fn balance(&self, http: &reqwest::Client) -> Result<String, SendError> {
        let (status, answer) = self.call(http, "getbalance", json!({})).await?;
        match celcom_code(&answer) {
            Some(200) => answer
                .get("credit")
                .and_then(text_of)
                .ok_or_else(|| SendError::Unexpected(self.scrub(&answer.to_string()))),
            Some(_) => Err(self.refusal(status, &answer, None)),
            None => Err(SendError::Unexpected(self.scrub(&answer.to_string()))),
        }
    }

    /// What the network said about `message_id` (from [`Celcom::send`]).
    pub async fn dlr(&self, http: &reqwest::Client, message_id: &str) -> Result<Delivery, SendError> {
        let (status, answer) = self.call(http, "getdlr", json!({"messageID": message_id})).await?;
        let row = answer.get("responses").and_then(|r| r.get(0)).unwrap_or(&answer);
        let description = field_text(row, "response-description");
        match celcom_code(row) {
            Some(200) => Ok(celcom_delivery(&field_text(row, "delivery-description"))),
            // The code list says 1008 "No Delivery Report"; the getdlr sample
            // shows 1009 "No dlr" (1009 is "Unsupported data type" in the
            // list), so the words decide too: no report yet is still pending.
            Some(1008) => Ok(Delivery::Pending),
            Some(_) if description.to_ascii_lowercase().contains("no dlr") => Ok(Delivery::Pending),
            Some(_) => Err(self.refusal(status, row, None)),
            None => Err(SendError::Unexpected(self.scrub(&answer.to_string()))),
        }
    }

    async fn call(&self, http: &reqwest::Client, service: &str, mut body: Value) -> Result<(u16, Value), SendError> {
        body["apikey"] = json!(self.api_key);
        body["partnerID"] = json!(self.partner_id);
        let url = format!("{}/api/services/{service}/", self.base_url.trim_end_matches('/'));
        let req = http.post(url).header(ACCEPT, JSON).header(CONTENT_TYPE, JSON).body(body.to_string());
        let (status, text) = exchange(req, &self.secrets()).await?;
        json_answer(status, &text, &self.secrets())
    }

    fn secrets(&self) -> [&str; 1] {
        [&self.api_key]
    }

    fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets())
    }

    /// A non-200 `response-code`: the account's problem (credentials,
    /// sender id, request) is `Refused`; a message the gateway would not
    /// send (number, network, credit, a failure on its side) is `NotSent`.
    fn refusal(&self, status: u16, row: &Value, to: Option<&str>) -> SendError {
        let code = row.get("response-code").or_else(|| row.get("respose-code")).and_then(text_of).unwrap_or_default();
        let words = self.scrub(&format!("{} (code {code})", field_text(row, "response-description")));
        match (celcom_code(row), to) {
            (Some(1002 | 1003 | 1004 | 1005 | 1007 | 4090), Some(to)) => {
                SendError::NotSent { to: to.to_string(), status: words }
            }
            _ => SendError::Refused { status, body: words },
        }
    }
}

/// The `response-code` of a Celcom answer. TextSMS's and Celcom's docs (and
/// their live answers) spell the key "respose-code", Advanta's docs
/// "response-code": both are read, as a number or a string.
fn celcom_code(row: &Value) -> Option<i64> {
    row.get("response-code").or_else(|| row.get("respose-code")).and_then(code_of)
}

/// A Celcom delivery description (getdlr's `delivery-description`, or the
/// `description` of a delivery callback) as a [`Delivery`]. The documented
/// descriptions are DeliveredToTerminal, SentToNetwork, Scheduled (still
/// on the way), and AbsentSubscriber, DeliveryImpossible, SenderName
/// Blacklisted, Unknown (Airtel / Telkom's word for unreachable). Anything
/// else is taken as still pending rather than guessed to have failed.
pub fn celcom_delivery(description: &str) -> Delivery {
    let d = description.trim();
    let squashed: String = d.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    match squashed.as_str() {
        "deliveredtoterminal" | "delivered" | "delivrd" => Delivery::Delivered,
        "absentsubscriber"
        | "deliveryimpossible"
        | "sendernameblacklisted"
        | "unknown"
        | "invalidsourceaddress"
        | "failed"
        | "rejected"
        | "expired"
        | "undeliverable"
        | "undeliv" => Delivery::Failed(d.to_string()),
        _ => Delivery::Pending,
    }
}

// ----------------------------------------------------------------- Onfon

/// Onfon Media: `POST {base}/v1/sms/SendBulkSMS` with the credentials in
/// the JSON body; `ErrorCode` 0 / "000" is success, then each message has
/// its own `MessageErrorCode` and `MessageId`.
#[derive(Clone, PartialEq, Eq)]
pub struct Onfon {
    /// [`ONFON_URL`] unless Onfon says otherwise.
    pub base_url: String,
    pub client_id: String,
    pub api_key: String,
    /// The approved sender id.
    pub sender: String,
    /// Onfon's docs say it issues an access key for API access, and most
    /// client code sends it as an `AccessKey` header; others send none.
    /// Sent as that header when not empty.
    pub access_key: String,
}

impl fmt::Debug for Onfon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Onfon")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

impl Onfon {
    /// Onfon at [`ONFON_URL`], without an access key.
    pub fn new(client_id: &str, api_key: &str, sender: &str) -> Onfon {
        Onfon {
            base_url: ONFON_URL.into(),
            client_id: client_id.into(),
            api_key: api_key.into(),
            sender: sender.into(),
            access_key: String::new(),
        }
    }

    /// Send `text` to `msisdn`; the gateway's message id. Texts outside
    /// GSM-7 go with `IsUnicode` (UCS-2).
    pub async fn send(&self, http: &reqwest::Client, msisdn: &str, text: &str) -> Result<String, SendError> {
        let body = json!({
            "SenderId": self.sender,
            "IsUnicode": !is_gsm7(text),
            "IsFlash": false,
            "ScheduleDateTime": null,
            "MessageParameters": [{"Number": msisdn, "Text": text}],
            "ApiKey": self.api_key,
            "ClientId": self.client_id,
        });
        let url = format!("{}/v1/sms/SendBulkSMS", self.base_url.trim_end_matches('/'));
        let mut req = http.post(url).header(ACCEPT, JSON).header(CONTENT_TYPE, JSON).body(body.to_string());
        if !self.access_key.is_empty() {
            req = req.header("AccessKey", &self.access_key);
        }
        let secrets = [self.api_key.as_str(), self.access_key.as_str()];
        let (status, text) = exchange(req, &secrets).await?;
        let answer = json_answer(status, &text, &secrets)?.1;
        let words = |v: &Value, code: &str, description: &str| {
            let code = v.get(code).and_then(text_of).unwrap_or_default();
            scrub(&format!("{} (code {code})", field_text(v, description)), &secrets)
        };
        match answer.get("ErrorCode").and_then(code_of) {
            Some(0) => {}
            // Onfon's list: 003 blank sender, 007 credentials, 008 / 009
            // account inactive or locked, 010 / 011 API access or IP not
            // allowed, 015 sender id, 023 parameter missing. The rest (006
            // "Something went wrong", 013 numbers, 021 credit, ...) are
            // about this message.
            Some(3 | 7 | 8 | 9 | 10 | 11 | 15 | 23) => {
                return Err(SendError::Refused { status, body: words(&answer, "ErrorCode", "ErrorDescription") });
            }
            Some(_) => {
                let status = words(&answer, "ErrorCode", "ErrorDescription");
                return Err(SendError::NotSent { to: msisdn.to_string(), status });
            }
            None => return Err(SendError::Unexpected(scrub(&answer.to_string(), &secrets))),
        }
        let Some(row) = answer.get("Data").and_then(|d| d.get(0)) else {
            return Err(SendError::Unexpected(format!("no message in {}", scrub(&answer.to_string(), &secrets))));
        };
        if row.get("MessageErrorCode").and_then(code_of).unwrap_or(0) != 0 {
            let status = words(row, "MessageErrorCode", "MessageErrorDescription");
            return Err(SendError::NotSent { to: msisdn.to_string(), status });
        }
        match row.get("MessageId").and_then(text_of) {
            Some(id) if !id.is_empty() => Ok(id),
            _ => Err(SendError::Unexpected(format!("no MessageId in {}", scrub(&row.to_string(), &secrets)))),
        }
    }
}

// ----------------------------------------------------------- HttpGateway

/// The variables a [`HttpGateway`] template may use.
pub const VARIABLES: [&str; 5] = ["to", "to_plus", "message", "sender", "token"];

/// Any HTTP SMS gateway, as the operator describes it. In the URL each
/// value is percent-encoded; in the body it is JSON-escaped (without
/// quotes) when a `Content-Type` header says JSON, form-encoded otherwise;
/// in header values it goes in as it is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HttpGateway {
    /// e.g. `https://sms.example.co.ke/send?to={to}&text={message}`.
    pub url: String,
    /// "GET" or "POST".
    pub method: String,
    /// Name and value template, e.g. ("Authorization", "Bearer {token}").
    pub headers: Vec<(String, String)>,
    /// The POST body template; empty for GET. Sent as a form unless a
    /// `Content-Type` header says otherwise.
    pub body: String,
    /// Words that must appear in the answer for the message to count as
    /// sent; empty: any 2xx answer.
    pub success: String,
    /// The secret the templates use as `{token}`.
    pub token: String,
    /// The sender id, `{sender}`.
    pub sender: String,
}

impl fmt::Debug for HttpGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL and headers may hold secrets written in by hand.
        f.debug_struct("HttpGateway")
            .field("method", &self.method)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

/// The values for one message.
struct Vars<'a> {
    to: &'a str,
    to_plus: &'a str,
    message: &'a str,
    sender: &'a str,
    token: &'a str,
}

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        match name {
            "to" => Some(self.to),
            "to_plus" => Some(self.to_plus),
            "message" => Some(self.message),
            "sender" => Some(self.sender),
            "token" => Some(self.token),
            _ => None,
        }
    }
}

/// A request built from the templates.
struct Built {
    get: bool,
    url: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    content_type: Option<String>,
    body: String,
}

impl HttpGateway {
    /// Whether the settings can work: GET or POST, an http(s) URL, valid
    /// header names, no body on a GET, and no `{variable}` outside
    /// [`VARIABLES`]. The error is a sentence for the settings form.
    pub fn check(&self) -> Result<(), String> {
        let sample =
            Vars { to: "254712345678", to_plus: "+254712345678", message: "Test", sender: "LANGO", token: "t" };
        self.build(&sample).map(|_| ())
    }

    /// Send `text` to `msisdn`; the message id from a JSON answer (the
    /// first of `message_id`, `messageId`, `MessageId`, `id` at any depth),
    /// or "" when the answer is not JSON or names none.
    pub async fn send(&self, http: &reqwest::Client, msisdn: &str, text: &str) -> Result<String, SendError> {
        let to_plus = format!("+{msisdn}");
        let vars = Vars { to: msisdn, to_plus: &to_plus, message: text, sender: &self.sender, token: &self.token };
        let b = self.build(&vars).map_err(|e| SendError::Config(scrub(&e, &[&self.token])))?;
        let mut req = if b.get { http.get(b.url) } else { http.post(b.url) };
        for (name, value) in b.headers {
            req = req.header(name, value);
        }
        if !b.get {
            if b.content_type.is_none() && !b.body.is_empty() {
                req = req.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
            }
            req = req.body(b.body);
        }
        let secrets = [self.token.as_str()];
        let (status, answer) = exchange(req, &secrets).await?;
        if !(200..300).contains(&status) {
            return Err(SendError::Refused { status, body: scrub(&answer, &secrets) });
        }
        if !self.success.is_empty() && !answer.contains(&self.success) {
            return Err(SendError::NotSent { to: msisdn.to_string(), status: scrub(&answer, &secrets) });
        }
        Ok(serde_json::from_str::<Value>(&answer).ok().and_then(|v| message_id(&v)).unwrap_or_default())
    }

    fn build(&self, vars: &Vars<'_>) -> Result<Built, String> {
        let get = match self.method.trim().to_ascii_uppercase().as_str() {
            "GET" => true,
            "POST" => false,
            _ => return Err("The method must be GET or POST.".into()),
        };
        let unknown = |place: &str, name: &str| format!("{place} uses {{{name}}}, which is not one of {}.", known());
        let url = expand(&self.url, |n| vars.get(n).map(url_encode)).map_err(|n| unknown("The URL", &n))?;
        match reqwest::Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) => {}
            _ => return Err("The URL must be a full http:// or https:// address.".into()),
        }
        let mut headers = Vec::new();
        let mut content_type = None;
        for (name, value) in &self.headers {
            let name = name.trim();
            let header =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("\"{name}\" is not a header name."))?;
            let value = expand(value, |n| vars.get(n).map(str::to_string))
                .map_err(|n| unknown(&format!("The header {name}"), &n))?;
            let value = HeaderValue::from_str(value.trim())
                .map_err(|_| format!("The header {name} would hold a line break or other character HTTP forbids."))?;
            if header == CONTENT_TYPE {
                content_type = Some(value.to_str().unwrap_or_default().to_ascii_lowercase());
            }
            headers.push((header, value));
        }
        if get && !self.body.trim().is_empty() {
            return Err("A GET request has no body: leave the body empty or use POST.".into());
        }
        let json = content_type.as_deref().is_some_and(|c| c.contains("json"));
        let body = expand(&self.body, |n| vars.get(n).map(|v| if json { json_escape(v) } else { form_encode(v) }))
            .map_err(|n| unknown("The body", &n))?;
        Ok(Built { get, url, headers, content_type, body })
    }
}

fn known() -> String {
    VARIABLES.iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(", ")
}

/// `template` with every `{name}` replaced by `value(name)`; the first name
/// `value` does not know is the error. Braces around anything but a plain
/// name (`{"to": ...}` in a JSON body) stay as they are.
fn expand(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('}') {
            let name = &after[..len];
            out.push_str(&value(name).ok_or_else(|| name.to_string())?);
            rest = &after[len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// RFC 3986 percent-encoding: all but the unreserved characters.
fn url_encode(v: &str) -> String {
    encode(v, false)
}

/// application/x-www-form-urlencoded: as [`url_encode`] with spaces as `+`.
fn form_encode(v: &str) -> String {
    encode(v, true)
}

fn encode(v: &str, form: bool) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            b' ' if form => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `v` as the inside of a JSON string.
fn json_escape(v: &str) -> String {
    let quoted = Value::from(v).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

/// The first of the id keys found in `v`, each looked for shallowest first.
fn message_id(v: &Value) -> Option<String> {
    ["message_id", "messageId", "MessageId", "id"].iter().find_map(|key| {
        let mut queue = VecDeque::from([v]);
        while let Some(v) = queue.pop_front() {
            match v {
                Value::Object(m) => {
                    if let Some(id) = m.get(*key).and_then(text_of).filter(|id| !id.is_empty()) {
                        return Some(id);
                    }
                    queue.extend(m.values());
                }
                Value::Array(a) => queue.extend(a),
                _ => {}
            }
        }
        None
    })
}

// ---------------------------------------------------------------- shared

/// Send `req`; the HTTP status and the answer's text.
async fn exchange(req: reqwest::RequestBuilder, secrets: &[&str]) -> Result<(u16, String), SendError> {
    let resp = req.send().await.map_err(|e| unreachable(e, secrets))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| unreachable(e, secrets))?;
    Ok((status, text))
}

/// A transport error with its causes ("error sending request: ...:
/// connection refused"), without the URL (it may carry a token).
fn unreachable(e: reqwest::Error, secrets: &[&str]) -> SendError {
    let e = e.without_url();
    let mut words = if e.is_timeout() { "timed out".to_string() } else { e.to_string() };
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        let c_words = c.to_string();
        if !words.ends_with(&c_words) {
            words.push_str(": ");
            words.push_str(&c_words);
        }
        cause = c.source();
    }
    SendError::Unreachable(scrub(&words, secrets))
}

/// An answer that must be a JSON object: a non-2xx answer that is not is
/// `Refused`, a 2xx one `Unexpected`.
fn json_answer(status: u16, text: &str, secrets: &[&str]) -> Result<(u16, Value), SendError> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() => Ok((status, v)),
        _ if !(200..300).contains(&status) => Err(SendError::Refused { status, body: scrub(text, secrets) }),
        _ => Err(SendError::Unexpected(scrub(text, secrets))),
    }
}

/// `text` with every secret (as written, percent-, form- or JSON-encoded)
/// replaced by `***`, cut to [`EXCERPT`] characters.
fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.trim().to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        for form in [s.to_string(), url_encode(s), form_encode(s), json_escape(s)] {
            out = out.replace(&form, "***");
        }
    }
    if out.chars().count() > EXCERPT {
        out = out.chars().take(EXCERPT).chain("…".chars()).collect();
    }
    out
}

/// A string or number as text.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A code written as a number or a string ("000", "007").
fn code_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn field_text(v: &Value, key: &str) -> String {
    v.get(key).and_then(text_of).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_known_names_and_leave_json_braces() {
        let v = |n: &str| (n == "to").then(|| "2547".to_string());
        assert_eq!(expand(r#"{"to":"{to}","x":{}}"#, v).unwrap(), r#"{"to":"2547","x":{}}"#);
        assert_eq!(expand("a {to}{to} {", v).unwrap(), "a 25472547 {");
        assert_eq!(expand("{nope}", v).unwrap_err(), "nope");
    }

    #[test]
    fn encodings() {
        assert_eq!(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(form_encode("a b+c"), "a+b%2Bc");
        assert_eq!(json_escape("say \"hi\"\n\\"), r#"say \"hi\"\n\\"#);
        assert_eq!(json_escape("x\""), r#"x\""#);
    }

    #[test]
    fn message_ids_are_found_at_any_depth_in_key_order() {
        let v: Value = serde_json::from_str(r#"{"id":9,"data":[{"messageId":"m-1"}]}"#).unwrap();
        assert_eq!(message_id(&v).as_deref(), Some("m-1"));
        let v: Value = serde_json::from_str(r#"{"a":{"b":{"id":42}}}"#).unwrap();
        assert_eq!(message_id(&v).as_deref(), Some("42"));
        assert_eq!(message_id(&json!({"status": "ok"})), None);
    }

    #[test]
    fn secrets_are_masked_in_every_encoding() {
        let s = "k+y/z=";
        let t = format!("bad key {s} or {} or {}", url_encode(s), form_encode(s));
        assert_eq!(scrub(&t, &[s]), "bad key *** or *** or ***");
        assert_eq!(scrub("nothing", &[""]), "nothing");
    }

    #[test]
    fn celcom_descriptions() {
        let table = [
            ("DeliveredToTerminal", Delivery::Delivered),
            ("SentToNetwork", Delivery::Pending),
            ("Scheduled", Delivery::Pending),
            ("AbsentSubscriber", Delivery::Failed("AbsentSubscriber".into())),
            ("SenderName Blacklisted", Delivery::Failed("SenderName Blacklisted".into())),
            ("Unknown", Delivery::Failed("Unknown".into())),
            ("Something new", Delivery::Pending),
        ];
        for (d, want) in table {
            assert_eq!(celcom_delivery(d), want, "{d}");
        }
    }
}
