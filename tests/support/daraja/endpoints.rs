//! The simulated Daraja endpoints (OAuth, STK push/query, C2B register/simulate), the checks Daraja
//! makes on each request, and the calls the simulator makes back to our server (STK callbacks, C2B
//! validation and confirmation). State and the public API live in `../daraja.rs`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::{
    Answer, C2B_SHORTCODE, C2bOutcome, C2bPayKind, CONSUMER_KEY, CONSUMER_SECRET, CallbackRecord, Canned, Outcome,
    PASSKEY, Push, SHORTCODE, STORE, Shared, StkRecord, TILL,
};

type S = State<Arc<Shared>>;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth/v1/generate", get(oauth))
        .route("/mpesa/stkpush/v1/processrequest", post(stk_push))
        .route("/mpesa/stkpushquery/v1/query", post(stk_query))
        .route("/mpesa/c2b/v1/registerurl", post(c2b_register))
        .route("/mpesa/c2b/v1/simulate", post(c2b_simulate))
        .with_state(shared)
}
static SEQ: AtomicU64 = AtomicU64::new(1);

fn seq() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

fn nairobi_now() -> jiff::ZonedDateTime {
    let tz =
        jiff::tz::TimeZone::get("Africa/Nairobi").unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(3)));
    jiff::Timestamp::now().to_zoned_datetime(tz)
}

/// 10 characters, uppercase letters and digits, unique within the process (e.g. "SLJ7RT61SV").
fn receipt() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let space = 36u64.pow(9);
    let mut n = (seq().wrapping_mul(1_000_000_007) + 0x2545F491) % space;
    let mut out = vec![b'S'];
    for _ in 0..9 {
        out.push(ALPHABET[(n % 36) as usize]);
        n /= 36;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn daraja_error(status: u16, code: &str, message: &str) -> Answer {
    let request_id = format!("{}-{}-1", 10000 + seq() % 90000, seq() % 100_000_000);
    (status, json!({"requestId": request_id, "errorCode": code, "errorMessage": message}))
}

fn bad(field: &str) -> Answer {
    daraja_error(400, "400.002.02", &format!("Bad Request - Invalid {field}"))
}

fn reply((status, body): (u16, Value)) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn is_msisdn(s: &str) -> bool {
    s.len() == 12 && (s.starts_with("2547") || s.starts_with("2541")) && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_callback_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let scheme_ok = (s.starts_with("https://") && s.len() > 8) || local_url(s);
    // Daraja refuses URLs that mention M-Pesa or Safaricom.
    scheme_ok && !lower.contains("mpesa") && !lower.contains("safaricom")
}

fn local_url(url: &str) -> bool {
    url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost")
}

fn take_canned(shared: &Shared, path: &str) -> Option<Canned> {
    shared.lock().canned.get_mut(path).and_then(VecDeque::pop_front)
}

async fn canned_reply(c: Canned) -> Response {
    tokio::time::sleep(c.delay).await;
    let status = StatusCode::from_u16(c.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], c.body).into_response()
}

async fn oauth(State(s): S, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    s.lock().token_requests += 1;
    if let Some(c) = take_canned(&s, "/oauth/v1/generate") {
        return canned_reply(c).await;
    }
    if q.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return reply(daraja_error(400, "400.008.02", "Invalid grant type passed"));
    }
    let expected = format!("Basic {}", B64.encode(format!("{CONSUMER_KEY}:{CONSUMER_SECRET}")));
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return reply(daraja_error(400, "400.008.01", "Invalid Authentication passed"));
    }
    let token: String = receipt().chars().chain(receipt().chars()).chain(receipt().chars()).take(28).collect();
    s.lock().tokens.insert(token.clone(), Instant::now() + Duration::from_secs(3599));
    reply((200, json!({"access_token": token, "expires_in": "3599"})))
}

fn check_bearer(s: &Shared, headers: &HeaderMap) -> Result<(), Answer> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(token) = auth.strip_prefix("Bearer ") else {
        return Err(daraja_error(401, "404.001.04", "Invalid Authentication Header"));
    };
    match s.lock().tokens.get(token) {
        Some(expiry) if Instant::now() < *expiry => Ok(()),
        _ => Err(daraja_error(401, "404.001.03", "Invalid Access Token")),
    }
}

/// Checks shared by push and query: JSON body, known short code, Timestamp and Password.
fn check_common(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<(Value, String), Answer> {
    check_bearer(s, headers)?;
    let v: Value =
        serde_json::from_slice(body).map_err(|_| daraja_error(400, "400.002.05", "Invalid Request Payload"))?;
    let sc = v["BusinessShortCode"]
        .as_str()
        .filter(|sc| [SHORTCODE, STORE].contains(sc))
        .ok_or_else(|| bad("BusinessShortCode"))?;
    let ts = v["Timestamp"].as_str().filter(|t| t.len() == 14).ok_or_else(|| bad("Timestamp"))?;
    let parsed = jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", ts)
        .and_then(|dt| dt.to_zoned_datetime(nairobi_now().time_zone().clone()))
        .map_err(|_| bad("Timestamp"))?;
    let skew = (parsed.timestamp().as_second() - jiff::Timestamp::now().as_second()).abs();
    if !s.lock().no_clock_check && skew > 300 {
        return Err(bad("Timestamp"));
    }
    if v["Password"].as_str() != Some(B64.encode(format!("{sc}{PASSKEY}{ts}")).as_str()) {
        return Err(daraja_error(500, "500.001.1001", "Wrong credentials"));
    }
    Ok((v.clone(), sc.to_string()))
}

async fn stk_push(State(s): S, headers: HeaderMap, body: Bytes) -> Response {
    let recorded_body =
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    if let Some(c) = take_canned(&s, "/mpesa/stkpush/v1/processrequest") {
        let response = serde_json::from_str(&c.body).unwrap_or_else(|_| Value::String(c.body.clone()));
        s.lock().stk_requests.push(StkRecord { body: recorded_body, status: c.status, response });
        return canned_reply(c).await;
    }
    let (status, response) = stk_push_check(&s, &headers, &body).unwrap_or_else(|e| e);
    s.lock().stk_requests.push(StkRecord { body: recorded_body, status, response: response.clone() });
    reply((status, response))
}

fn stk_push_check(s: &Arc<Shared>, headers: &HeaderMap, body: &[u8]) -> Result<Answer, Answer> {
    let (v, sc) = check_common(s, headers, body)?;
    let (tx_type, party_b) =
        if sc == STORE { ("CustomerBuyGoodsOnline", TILL) } else { ("CustomerPayBillOnline", SHORTCODE) };
    if v["TransactionType"].as_str() != Some(tx_type) {
        return Err(bad("TransactionType"));
    }
    let amount = v["Amount"].as_u64().filter(|a| *a >= 1).ok_or_else(|| bad("Amount"))?;
    let phone_of = |k: &str| v[k].as_str().map(str::to_string).or_else(|| v[k].as_u64().map(|n| n.to_string()));
    phone_of("PartyA").filter(|p| is_msisdn(p)).ok_or_else(|| bad("PartyA"))?;
    let phone = phone_of("PhoneNumber").filter(|p| is_msisdn(p)).ok_or_else(|| bad("PhoneNumber"))?;
    if v["PartyB"].as_str() != Some(party_b) {
        return Err(bad("PartyB"));
    }
    let url = v["CallBackURL"].as_str().filter(|u| is_callback_url(u)).ok_or_else(|| bad("CallBackURL"))?;
    let chars = |k: &str, max: usize| v[k].as_str().map(|t| t.chars().count()).filter(|n| (1..=max).contains(n));
    chars("AccountReference", 12).ok_or_else(|| bad("AccountReference"))?;
    chars("TransactionDesc", 13).ok_or_else(|| bad("TransactionDesc"))?;
    let mut g = s.lock();
    if !g.no_subscriber_lock && g.pushes.values().any(|p| p.phone == phone && p.settled.is_none()) {
        let msg = "Unable to lock subscriber, a transaction is already in process for the current subscriber";
        return Err(daraja_error(500, "500.001.1001", msg));
    }
    let n = seq();
    let merchant_id = format!("{}-{}-1", 10000 + n % 90000, n.wrapping_mul(7919) % 100_000_000);
    let checkout_id = format!("ws_CO_{}{:06}", nairobi_now().strftime("%d%m%Y%H%M%S"), n % 1_000_000);
    let outcome = g.per_phone.get(&phone).copied().unwrap_or(g.default_outcome);
    let delay = g.callback_delay.unwrap_or(Duration::from_millis(100));
    g.pushes
        .insert(checkout_id.clone(), Push { merchant_id: merchant_id.clone(), phone: phone.clone(), settled: None });
    drop(g);
    tokio::spawn(settle(s.clone(), checkout_id.clone(), outcome, url.to_string(), delay, amount, phone));
    let msg = "Success. Request accepted for processing";
    Ok((
        200,
        json!({"MerchantRequestID": merchant_id, "CheckoutRequestID": checkout_id,
        "ResponseCode": "0", "ResponseDescription": msg, "CustomerMessage": msg}),
    ))
}

async fn settle(
    s: Arc<Shared>,
    checkout_id: String,
    outcome: Outcome,
    url: String,
    wait: Duration,
    amount: u64,
    phone: String,
) {
    tokio::time::sleep(wait).await;
    let (code, desc) = outcome.result();
    let merchant_id = {
        let mut g = s.lock();
        let Some(push) = g.pushes.get_mut(&checkout_id) else { return };
        push.settled = Some((code, desc.to_string()));
        push.merchant_id.clone()
    };
    let ids = format!(
        r#""MerchantRequestID":"{merchant_id}","CheckoutRequestID":"{checkout_id}","ResultCode":{code},"ResultDesc":"{desc}""#
    );
    let raw = if code == 0 {
        let date = nairobi_now().strftime("%Y%m%d%H%M%S").to_string();
        let items = format!(
            r#"[{{"Name":"Amount","Value":{amount}.00}},{{"Name":"MpesaReceiptNumber","Value":"{}"}},{{"Name":"Balance"}},{{"Name":"TransactionDate","Value":{date}}},{{"Name":"PhoneNumber","Value":{phone}}}]"#,
            receipt()
        );
        format!(r#"{{"Body":{{"stkCallback":{{{ids},"CallbackMetadata":{{"Item":{items}}}}}}}}}"#)
    } else {
        format!(r#"{{"Body":{{"stkCallback":{{{ids}}}}}}}"#)
    };
    let copies = match outcome {
        Outcome::NoCallback => return,
        Outcome::Late(extra) => {
            tokio::time::sleep(extra).await;
            1
        }
        Outcome::Duplicate(n) => n,
        _ => 1,
    };
    let sends: Vec<_> =
        (0..copies).map(|_| tokio::spawn(deliver(s.clone(), "stk", url.clone(), raw.clone()))).collect();
    for send in sends {
        let _ = send.await;
    }
}

/// POST `raw` to `url` and record it; returns (status, answer body).
async fn deliver(s: Arc<Shared>, kind: &'static str, url: String, raw: String) -> (Option<u16>, String) {
    let (status, response) = if local_url(&url) {
        let sent = s.http.post(&url).header(header::CONTENT_TYPE, "application/json").body(raw.clone()).send().await;
        match sent {
            Ok(r) => (Some(r.status().as_u16()), r.text().await.unwrap_or_default()),
            Err(e) => (None, format!("delivery failed: {e}")),
        }
    } else {
        (None, "not delivered: the simulator only calls 127.0.0.1/localhost".to_string())
    };
    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
    let record = CallbackRecord { kind, url, raw, body, status, response: response.clone() };
    s.lock().callbacks.push(record);
    (status, response)
}

async fn stk_query(State(s): S, headers: HeaderMap, body: Bytes) -> Response {
    s.lock().queries += 1;
    if let Some(c) = take_canned(&s, "/mpesa/stkpushquery/v1/query") {
        return canned_reply(c).await;
    }
    let answer = check_common(&s, &headers, &body).and_then(|(v, _)| {
        let id = v["CheckoutRequestID"].as_str().unwrap_or_default();
        let g = s.lock();
        let push = g.pushes.get(id).ok_or_else(|| bad("CheckoutRequestID"))?;
        let Some((code, desc)) = &push.settled else {
            return Err(daraja_error(500, "500.001.1001", "The transaction is being processed"));
        };
        Ok((
            200,
            json!({"ResponseCode": "0", "ResponseDescription": "The service request has been accepted successsfully",
            "MerchantRequestID": push.merchant_id, "CheckoutRequestID": id,
            "ResultCode": code.to_string(), "ResultDesc": desc}),
        ))
    });
    reply(answer.unwrap_or_else(|e| e))
}

fn c2b_ok(description: &str) -> Answer {
    let id = format!("AG_{}_{:016x}", nairobi_now().strftime("%Y%m%d"), seq().wrapping_mul(0x9E37_79B9_7F4A_7C15));
    (200, json!({"OriginatorCoversationID": id, "ResponseCode": "0", "ResponseDescription": description}))
}

async fn c2b_register(State(s): S, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(c) = take_canned(&s, "/mpesa/c2b/v1/registerurl") {
        return canned_reply(c).await;
    }
    let answer = check_bearer(&s, &headers).and_then(|()| {
        let v: Value =
            serde_json::from_slice(&body).map_err(|_| daraja_error(400, "400.002.05", "Invalid Request Payload"))?;
        let sc = v["ShortCode"]
            .as_str()
            .filter(|sc| [SHORTCODE, STORE, C2B_SHORTCODE].contains(sc))
            .ok_or_else(|| bad("ShortCode"))?;
        let rt = v["ResponseType"]
            .as_str()
            .filter(|r| ["Completed", "Cancelled"].contains(r))
            .ok_or_else(|| bad("ResponseType"))?;
        let confirmation =
            v["ConfirmationURL"].as_str().filter(|u| is_callback_url(u)).ok_or_else(|| bad("ConfirmationURL"))?;
        let validation =
            v["ValidationURL"].as_str().filter(|u| is_callback_url(u)).ok_or_else(|| bad("ValidationURL"))?;
        let urls = (confirmation.to_string(), validation.to_string(), rt.to_string());
        s.lock().c2b_urls.insert(sc.to_string(), urls);
        Ok(c2b_ok("success"))
    });
    reply(answer.unwrap_or_else(|e| e))
}

async fn c2b_simulate(State(s): S, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(c) = take_canned(&s, "/mpesa/c2b/v1/simulate") {
        return canned_reply(c).await;
    }
    let answer = check_bearer(&s, &headers).and_then(|()| {
        let v: Value =
            serde_json::from_slice(&body).map_err(|_| daraja_error(400, "400.002.05", "Invalid Request Payload"))?;
        let sc = v["ShortCode"].as_u64().map(|n| n.to_string()).ok_or_else(|| bad("ShortCode"))?;
        let kind = match v["CommandID"].as_str() {
            Some("CustomerPayBillOnline") => C2bPayKind::PayBill,
            Some("CustomerBuyGoodsOnline") => C2bPayKind::BuyGoods,
            _ => return Err(bad("CommandID")),
        };
        let amount = v["Amount"].as_u64().filter(|a| *a >= 1).ok_or_else(|| bad("Amount"))?;
        let msisdn =
            v["Msisdn"].as_u64().map(|n| n.to_string()).filter(|m| is_msisdn(m)).ok_or_else(|| bad("Msisdn"))?;
        let bill_ref = v["BillRefNumber"].as_str().ok_or_else(|| bad("BillRefNumber"))?.to_string();
        if !s.lock().c2b_urls.contains_key(&sc) {
            return Err(daraja_error(500, "500.003.1001", "Internal Server Error: no URLs registered"));
        }
        tokio::spawn(c2b_run(s.clone(), sc, kind, msisdn, amount, bill_ref));
        Ok(c2b_ok("Accept the service request successfully."))
    });
    reply(answer.unwrap_or_else(|e| e))
}

/// Validation (when enabled and registered), then confirmation if accepted.
pub(super) async fn c2b_run(
    s: Arc<Shared>,
    sc: String,
    kind: C2bPayKind,
    msisdn: String,
    amount: u64,
    bill: String,
) -> C2bOutcome {
    let (urls, validate) = {
        let g = s.lock();
        (g.c2b_urls.get(&sc).cloned(), !g.no_external_validation)
    };
    let Some((confirmation, validation, response_type)) = urls else { return (None, None) };
    let tx_type = if kind == C2bPayKind::PayBill { "Pay Bill" } else { "Buy Goods" };
    let body = json!({"TransactionType": tx_type, "TransID": receipt(),
        "TransTime": nairobi_now().strftime("%Y%m%d%H%M%S").to_string(), "TransAmount": format!("{amount}.00"),
        "BusinessShortCode": sc, "BillRefNumber": bill, "InvoiceNumber": "", "OrgAccountBalance": "49197.00",
        "ThirdPartyTransID": "", "MSISDN": msisdn, "FirstName": "John", "MiddleName": "", "LastName": ""});
    let mut validation_answer = None;
    if validate && !validation.is_empty() {
        let (status, text) = deliver(s.clone(), "validation", validation, body.to_string()).await;
        let answer: Option<Value> = serde_json::from_str(&text).ok();
        let accepted = match (status, &answer) {
            (Some(200), Some(a)) => a["ResultCode"] == json!("0") || a["ResultCode"] == json!(0),
            // Unreachable or garbled validation: M-Pesa follows the registered ResponseType.
            _ => response_type == "Completed",
        };
        validation_answer = answer;
        if !accepted {
            return (validation_answer, None);
        }
    }
    let (status, _) = deliver(s, "confirmation", confirmation, body.to_string()).await;
    (validation_answer, status)
}
