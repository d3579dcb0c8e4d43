//! The Daraja HTTP client: OAuth token cache, STK push, STK query, C2B URL registration and C2B simulate.
//!
//! Never reads the clock: every call takes `now` (UTC unix seconds). Tokens are cached per
//! (base_url, consumer_key) until 60 s before they expire; a 401 drops the token and retries once.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{CODE_PROCESSING, DarajaError};
use super::phone::Msisdn;
use super::wire;

/// Safaricom's production API.
pub const PRODUCTION_URL: &str = "https://api.safaricom.co.ke";
/// Safaricom's sandbox API.
pub const SANDBOX_URL: &str = "https://sandbox.safaricom.co.ke";

const BODY_COPY_LIMIT: usize = 300;
const TOKEN_MARGIN_SECS: i64 = 60;

/// What kind of M-Pesa account receives the money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShortcodeKind {
    Paybill,
    /// Buy Goods: `Credentials::shortcode` is the store (head office) number, `till` the till number.
    BuyGoods {
        till: String,
    },
}

/// One Daraja app and the short code it collects for. `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// e.g. [`PRODUCTION_URL`]; no trailing slash needed.
    pub base_url: String,
    pub consumer_key: String,
    pub consumer_secret: String,
    pub shortcode: String,
    pub passkey: String,
    pub kind: ShortcodeKind,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("base_url", &self.base_url)
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"<redacted>")
            .field("shortcode", &self.shortcode)
            .field("passkey", &"<redacted>")
            .field("kind", &self.kind)
            .finish()
    }
}

/// An STK push ("Lipa na M-Pesa Online") request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StkRequest {
    pub phone: Msisdn,
    /// Whole shillings, at least 1.
    pub amount_major: u64,
    /// Shown on the customer's phone; truncated to 12 characters.
    pub account_ref: String,
    /// Truncated to 13 characters; "Payment" if empty.
    pub description: String,
    /// Where Daraja POSTs the result; must be https in production.
    pub callback_url: String,
}

/// Daraja accepted the push and the prompt is on its way to the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StkAccepted {
    pub merchant_request_id: String,
    pub checkout_request_id: String,
    pub customer_message: String,
}

/// What an STK query says about a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StkStatus {
    /// The customer has not answered yet.
    Pending,
    /// Paid. The query carries no receipt number; that only comes in the callback.
    Completed,
    Failed {
        code: i64,
        description: String,
    },
}

/// What M-Pesa does with a C2B payment when our validation URL cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum C2bResponseType {
    Completed,
    Cancelled,
}

/// URLs to register for C2B notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2bUrls {
    pub confirmation_url: String,
    pub validation_url: String,
    pub response_type: C2bResponseType,
}

/// Daraja accepted a C2B register or simulate call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2bAccepted {
    pub originator_conversation_id: String,
    pub description: String,
}

#[derive(Clone)]
struct CachedToken {
    token: String,
    valid_until: i64,
}

type TokenSlot = Arc<tokio::sync::Mutex<Option<CachedToken>>>;

/// A Daraja client; cheap to share (`Arc<Daraja>`), holds one connection pool and the token cache.
pub struct Daraja {
    http: reqwest::Client,
    tokens: Mutex<HashMap<(String, String), TokenSlot>>,
}

impl fmt::Debug for Daraja {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Daraja").finish_non_exhaustive()
    }
}

/// Format `now` (UTC unix seconds) as Daraja's `Timestamp`: Africa/Nairobi local time, `YYYYMMDDHHmmss`.
pub fn nairobi_timestamp(now: i64) -> Result<String, DarajaError> {
    let ts =
        jiff::Timestamp::from_second(now).map_err(|e| DarajaError::InvalidRequest(format!("bad time {now}: {e}")))?;
    // Kenya has been UTC+3 without DST since 1960; the fixed offset is only a fallback.
    let tz =
        jiff::tz::TimeZone::get("Africa/Nairobi").unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(3)));
    Ok(ts.to_zoned_datetime(tz).strftime("%Y%m%d%H%M%S").to_string())
}

/// Daraja's `Password`: base64(shortcode + passkey + timestamp).
pub fn stk_password(shortcode: &str, passkey: &str, timestamp: &str) -> String {
    B64.encode(format!("{shortcode}{passkey}{timestamp}"))
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.trim().chars().take(max_chars).collect()
}

fn clip_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(BODY_COPY_LIMIT).collect();
    if text.chars().count() > BODY_COPY_LIMIT {
        out.push('…');
    }
    out
}

fn transport_error(e: reqwest::Error) -> DarajaError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    DarajaError::Unreachable(format!("{what}: {e}"))
}

/// A non-success HTTP answer: Daraja's error envelope → Rejected; a gateway page → Unreachable.
fn error_answer(status: u16, body: &[u8]) -> DarajaError {
    match serde_json::from_slice::<wire::ErrorResponse>(body) {
        Ok(e) => DarajaError::Rejected { http_status: status, code: e.error_code, message: e.error_message },
        Err(_) if matches!(status, 502..=504) => {
            DarajaError::Unreachable(format!("HTTP {status} from Daraja's gateway"))
        }
        Err(_) => DarajaError::Malformed { http_status: status, body: clip_body(body) },
    }
}

fn parse_ok<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, DarajaError> {
    serde_json::from_slice(body).map_err(|_| match serde_json::from_slice::<wire::ErrorResponse>(body) {
        Ok(e) => DarajaError::Rejected { http_status: status, code: e.error_code, message: e.error_message },
        Err(_) => DarajaError::Malformed { http_status: status, body: clip_body(body) },
    })
}

/// `"0"` (some Daraja deployments answer `"00000000"`).
fn is_zero(code: &str) -> bool {
    let code = code.trim();
    !code.is_empty() && code.bytes().all(|b| b == b'0')
}

fn base(creds: &Credentials) -> &str {
    creds.base_url.trim_end_matches('/')
}

impl Daraja {
    /// A client with the default timeouts: connect 5 s, whole request 15 s.
    pub fn new() -> Result<Daraja, DarajaError> {
        Daraja::with_timeouts(Duration::from_secs(5), Duration::from_secs(15))
    }

    pub fn with_timeouts(connect: Duration, total: Duration) -> Result<Daraja, DarajaError> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(total)
            .user_agent(concat!("lango/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DarajaError::InvalidRequest(format!("cannot build HTTP client: {e}")))?;
        Ok(Daraja { http, tokens: Mutex::new(HashMap::new()) })
    }

    fn slot(&self, creds: &Credentials) -> TokenSlot {
        let key = (base(creds).to_string(), creds.consumer_key.clone());
        let mut map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key).or_default().clone()
    }

    /// A valid access token, from the cache or freshly fetched. Concurrent callers share one fetch.
    async fn token(&self, creds: &Credentials, now: i64) -> Result<String, DarajaError> {
        let slot = self.slot(creds);
        let mut cached = slot.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| now < t.valid_until) {
            return Ok(t.token.clone());
        }
        let url = format!("{}/oauth/v1/generate?grant_type=client_credentials", base(creds));
        let basic = B64.encode(format!("{}:{}", creds.consumer_key, creds.consumer_secret));
        let resp = self.http.get(url).header("Authorization", format!("Basic {basic}")).send().await;
        let resp = resp.map_err(transport_error)?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(transport_error)?;
        if matches!(status, 400 | 401 | 403) {
            return Err(match error_answer(status, &body) {
                DarajaError::Rejected { code, message, .. } => DarajaError::Auth(format!("{code}: {message}")),
                _ => DarajaError::Auth(format!("HTTP {status}: {}", clip_body(&body))),
            });
        }
        if status != 200 {
            return Err(error_answer(status, &body));
        }
        let answer: wire::TokenResponse = parse_ok(status, &body)?;
        let expires_in: i64 = answer
            .expires_in
            .trim()
            .parse()
            .map_err(|_| DarajaError::Malformed { http_status: status, body: clip_body(&body) })?;
        if answer.access_token.is_empty() {
            return Err(DarajaError::Malformed { http_status: status, body: clip_body(&body) });
        }
        let fresh = CachedToken { token: answer.access_token, valid_until: now + expires_in - TOKEN_MARGIN_SECS };
        *cached = Some(fresh.clone());
        Ok(fresh.token)
    }

    /// Fetch a fresh access token with `creds` (the cached one forgotten):
    /// whether Daraja takes the consumer key and secret.
    pub async fn check_credentials(&self, creds: &Credentials, now: i64) -> Result<(), DarajaError> {
        *self.slot(creds).lock().await = None;
        self.token(creds, now).await.map(|_| ())
    }

    /// Forget `token` if it is still the cached one (another caller may have refreshed already).
    async fn drop_token(&self, creds: &Credentials, token: &str) {
        let slot = self.slot(creds);
        let mut cached = slot.lock().await;
        if cached.as_ref().is_some_and(|t| t.token == token) {
            *cached = None;
        }
    }

    /// POST `body` with a bearer token; on HTTP 401 fetch a new token and try once more.
    async fn post<B: Serialize>(
        &self,
        creds: &Credentials,
        path: &str,
        body: &B,
        now: i64,
    ) -> Result<(u16, Vec<u8>), DarajaError> {
        let json = serde_json::to_vec(body).map_err(|e| DarajaError::InvalidRequest(e.to_string()))?;
        let url = format!("{}{path}", base(creds));
        for attempt in 0..2 {
            let token = self.token(creds, now).await?;
            let resp = self
                .http
                .post(&url)
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body(json.clone())
                .send()
                .await
                .map_err(transport_error)?;
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await.map_err(transport_error)?.to_vec();
            if status != 401 {
                return Ok((status, bytes));
            }
            self.drop_token(creds, &token).await;
            if attempt == 1 {
                let why = match error_answer(status, &bytes) {
                    DarajaError::Rejected { code, message, .. } => format!("{code}: {message}"),
                    _ => format!("HTTP 401: {}", clip_body(&bytes)),
                };
                return Err(DarajaError::Auth(why));
            }
        }
        Err(DarajaError::Auth("access token refused".into()))
    }

    /// Send an STK push: M-Pesa shows a PIN prompt on `req.phone`. The outcome arrives later at
    /// `req.callback_url` (see `callback::parse_stk_callback`) or via [`Daraja::stk_query`].
    pub async fn stk_push(&self, creds: &Credentials, req: &StkRequest, now: i64) -> Result<StkAccepted, DarajaError> {
        if req.amount_major == 0 {
            return Err(DarajaError::InvalidRequest("amount must be at least 1 shilling".into()));
        }
        let account_ref = truncate(&req.account_ref, 12);
        if account_ref.is_empty() {
            return Err(DarajaError::InvalidRequest("account reference is empty".into()));
        }
        let url = req.callback_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(DarajaError::InvalidRequest(format!("callback URL must be http(s): {url:?}")));
        }
        let mut description = truncate(&req.description, 13);
        if description.is_empty() {
            description = "Payment".into();
        }
        let timestamp = nairobi_timestamp(now)?;
        let (transaction_type, party_b) = match &creds.kind {
            ShortcodeKind::Paybill => ("CustomerPayBillOnline", creds.shortcode.clone()),
            ShortcodeKind::BuyGoods { till } => ("CustomerBuyGoodsOnline", till.clone()),
        };
        let body = wire::StkPushBody {
            business_short_code: creds.shortcode.clone(),
            password: stk_password(&creds.shortcode, &creds.passkey, &timestamp),
            timestamp,
            transaction_type: transaction_type.into(),
            amount: req.amount_major,
            party_a: req.phone.as_str().into(),
            party_b,
            phone_number: req.phone.as_str().into(),
            callback_url: url.into(),
            account_reference: account_ref,
            transaction_desc: description,
        };
        let (status, bytes) = self.post(creds, "/mpesa/stkpush/v1/processrequest", &body, now).await?;
        if status != 200 {
            return Err(error_answer(status, &bytes));
        }
        let ok: wire::StkPushResponse = parse_ok(status, &bytes)?;
        if !is_zero(&ok.response_code) {
            return Err(DarajaError::Rejected {
                http_status: status,
                code: ok.response_code,
                message: ok.response_description,
            });
        }
        if ok.checkout_request_id.is_empty() {
            return Err(DarajaError::Malformed { http_status: status, body: clip_body(&bytes) });
        }
        Ok(StkAccepted {
            merchant_request_id: ok.merchant_request_id,
            checkout_request_id: ok.checkout_request_id,
            customer_message: ok.customer_message,
        })
    }

    /// Ask Daraja how an STK push ended. Use when the callback is late or never came.
    pub async fn stk_query(
        &self,
        creds: &Credentials,
        checkout_request_id: &str,
        now: i64,
    ) -> Result<StkStatus, DarajaError> {
        let timestamp = nairobi_timestamp(now)?;
        let body = wire::StkQueryBody {
            business_short_code: creds.shortcode.clone(),
            password: stk_password(&creds.shortcode, &creds.passkey, &timestamp),
            timestamp,
            checkout_request_id: checkout_request_id.into(),
        };
        let (status, bytes) = self.post(creds, "/mpesa/stkpushquery/v1/query", &body, now).await?;
        if status != 200 {
            return match error_answer(status, &bytes) {
                DarajaError::Rejected { code, message, .. }
                    if code == CODE_PROCESSING && message.to_ascii_lowercase().contains("being processed") =>
                {
                    Ok(StkStatus::Pending)
                }
                other => Err(other),
            };
        }
        let ok: wire::StkQueryResponse = parse_ok(status, &bytes)?;
        if !is_zero(&ok.response_code) {
            return Err(DarajaError::Rejected {
                http_status: status,
                code: ok.response_code,
                message: ok.response_description,
            });
        }
        match ok.result_code.trim().parse::<i64>() {
            Ok(0) => Ok(StkStatus::Completed),
            Ok(code) => Ok(StkStatus::Failed { code, description: ok.result_desc }),
            Err(_) => Err(DarajaError::Malformed { http_status: status, body: clip_body(&bytes) }),
        }
    }

    /// Register where Daraja sends C2B validation and confirmation requests for `creds.shortcode`
    /// (the paybill, or the store number for Buy Goods).
    pub async fn register_c2b_urls(
        &self,
        creds: &Credentials,
        urls: &C2bUrls,
        now: i64,
    ) -> Result<C2bAccepted, DarajaError> {
        let body = wire::C2bRegisterBody {
            short_code: creds.shortcode.clone(),
            response_type: match urls.response_type {
                C2bResponseType::Completed => "Completed".into(),
                C2bResponseType::Cancelled => "Cancelled".into(),
            },
            confirmation_url: urls.confirmation_url.clone(),
            validation_url: urls.validation_url.clone(),
        };
        self.c2b_call(creds, "/mpesa/c2b/v1/registerurl", &body, now).await
    }

    /// Sandbox only: make Daraja pretend `msisdn` paid `amount_major` to `creds.shortcode`.
    pub async fn c2b_simulate(
        &self,
        creds: &Credentials,
        msisdn: &Msisdn,
        amount_major: u64,
        bill_ref: &str,
        now: i64,
    ) -> Result<C2bAccepted, DarajaError> {
        let number = |what: &str, s: &str| {
            s.parse::<u64>().map_err(|_| DarajaError::InvalidRequest(format!("{what} is not a number: {s:?}")))
        };
        let body = wire::C2bSimulateBody {
            short_code: number("short code", &creds.shortcode)?,
            command_id: match creds.kind {
                ShortcodeKind::Paybill => "CustomerPayBillOnline".into(),
                ShortcodeKind::BuyGoods { .. } => "CustomerBuyGoodsOnline".into(),
            },
            amount: amount_major,
            msisdn: number("msisdn", msisdn.as_str())?,
            bill_ref_number: bill_ref.into(),
        };
        self.c2b_call(creds, "/mpesa/c2b/v1/simulate", &body, now).await
    }

    async fn c2b_call<B: Serialize>(
        &self,
        creds: &Credentials,
        path: &str,
        body: &B,
        now: i64,
    ) -> Result<C2bAccepted, DarajaError> {
        let (status, bytes) = self.post(creds, path, body, now).await?;
        if status != 200 {
            return Err(error_answer(status, &bytes));
        }
        let ok: wire::C2bResponse = parse_ok(status, &bytes)?;
        if !is_zero(&ok.response_code) {
            return Err(DarajaError::Rejected {
                http_status: status,
                code: ok.response_code,
                message: ok.response_description,
            });
        }
        Ok(C2bAccepted {
            originator_conversation_id: ok.originator_conversation_id,
            description: ok.response_description,
        })
    }
}
