//! The other SMS gateways as their public documentation describes them:
//! the Celcom Africa / TextSMS / Advanta API (`/api/services/sendsms/`,
//! `getbalance/`, `getdlr/`; JSON with `apikey` and `partnerID`; answers
//! with `response-code`, spelled "respose-code" in the send answer as
//! TextSMS documents it), Onfon Media's `POST /v1/sms/SendBulkSMS`
//! (`ErrorCode` 0 or "007" Invalid api credential, `Data[].MessageId`), and
//! a generic HTTP gateway standing in for any local provider an operator
//! configures by template (a bearer token or a `key` parameter; a nested
//! `message_id`). Each keeps what it received, answers wrong credentials
//! the way the provider does, and can be told to fail the next sends.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::{Value, json};

/// One send request as a gateway saw it.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub to: String,
    pub message: String,
    pub sender: String,
    /// Whether the gateway took the message (credentials right, no
    /// injected failure).
    pub accepted: bool,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// Query parameters, then the body's (a JSON object or a form).
    fn params(&self) -> HashMap<String, String> {
        let query = self.target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let mut p: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
        match serde_json::from_str::<Value>(&self.body) {
            Ok(Value::Object(m)) => p.extend(m.iter().map(|(k, v)| (k.clone(), text(v)))),
            _ => p.extend(serde_urlencoded::from_str::<Vec<(String, String)>>(&self.body).unwrap_or_default()),
        }
        p
    }

    fn received(&self, to: &str, message: &str, sender: &str) -> Received {
        Received {
            method: self.method.clone(),
            target: self.target.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            to: to.into(),
            message: message.into(),
            sender: sender.into(),
            accepted: false,
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

fn read_request(c: &TcpStream) -> Option<Request> {
    let mut r = BufReader::new(c.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some(Request { method, target, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Serve HTTP/1.1 on a thread, one connection at a time, each request
/// answered by `answer` with a status and a body.
fn serve(answer: impl Fn(Request) -> (u16, String) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { continue };
            let Some(req) = read_request(&c) else { continue };
            let (status, body) = answer(req);
            let kind = if body.starts_with('{') { "application/json" } else { "text/plain" };
            let resp = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = c.write_all(resp.as_bytes());
        }
    });
    addr
}

/// A Kenyan mobile number as the gateways want it.
fn valid_msisdn(n: &str) -> bool {
    n.len() == 12 && n.starts_with("254") && n.bytes().all(|b| b.is_ascii_digit())
}

// ---------------------------------------------------------------- Celcom

pub const CELCOM_PARTNER_ID: &str = "7281";
pub const CELCOM_API_KEY: &str = "celcom_test_5f1e9a0c2b7d4e63";
pub const CELCOM_SHORTCODE: &str = "LANGO";

struct CelcomState {
    received: Vec<Received>,
    fail: usize,
    credit: String,
    dlr: HashMap<String, String>,
    next_id: u64,
}

#[derive(Clone)]
pub struct CelcomSim {
    pub addr: SocketAddr,
    state: Arc<Mutex<CelcomState>>,
}

impl CelcomSim {
    pub fn start() -> CelcomSim {
        let state = Arc::new(Mutex::new(CelcomState {
            received: Vec::new(),
            fail: 0,
            credit: "1000.00".into(),
            dlr: HashMap::new(),
            next_id: 8290842,
        }));
        let s = state.clone();
        let addr = serve(move |req| celcom(&mut s.lock().unwrap(), &req));
        CelcomSim { addr, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every sendsms request, accepted or not.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The next `n` sends answer 1005 "Failed. System error".
    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail = n;
    }

    /// What getbalance answers as `credit`.
    pub fn set_credit(&self, credit: &str) {
        self.state.lock().unwrap().credit = credit.into();
    }

    /// The `delivery-description` getdlr answers for `message_id`; until
    /// one is set getdlr answers 1008 "No Delivery Report".
    pub fn set_dlr(&self, message_id: &str, description: &str) {
        self.state.lock().unwrap().dlr.insert(message_id.into(), description.into());
    }
}

fn celcom(st: &mut CelcomState, req: &Request) -> (u16, String) {
    let p = req.params();
    let get = |k: &str| p.get(k).cloned().unwrap_or_default();
    let error = |code: u32, words: &str| json!({"response-code": code, "response-description": words}).to_string();
    let service = req.path().trim_end_matches('/').to_string();
    let sending = service == "/api/services/sendsms";
    let mut rec = req.received(&get("mobile"), &get("message"), &get("shortcode"));
    let answer = if get("apikey") != CELCOM_API_KEY || get("partnerID") != CELCOM_PARTNER_ID {
        (200, error(1006, "Invalid credentials"))
    } else {
        match service.as_str() {
            "/api/services/sendsms" => {
                let mobile = get("mobile");
                let number = mobile.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(mobile.as_str()));
                if get("shortcode") != CELCOM_SHORTCODE {
                    (200, error(1001, "Invalid sender id"))
                } else if !valid_msisdn(&mobile) {
                    (
                        200,
                        json!({"responses": [{"response-code": 1003, "response-description": "Invalid mobile number",
                                                "mobile": number}]})
                        .to_string(),
                    )
                } else if st.fail > 0 {
                    st.fail -= 1;
                    (
                        200,
                        json!({"responses": [{"response-code": 1005, "response-description": "Failed. System error",
                                                "mobile": number}]})
                        .to_string(),
                    )
                } else {
                    rec.accepted = true;
                    let id = st.next_id;
                    st.next_id += 1;
                    (
                        200,
                        json!({"responses": [{"respose-code": 200, "response-description": "Success",
                                                "mobile": number, "messageid": id, "networkid": "1"}]})
                        .to_string(),
                    )
                }
            }
            "/api/services/getbalance" => {
                (200, json!({"response-code": 200, "credit": st.credit, "partner-id": CELCOM_PARTNER_ID}).to_string())
            }
            "/api/services/getdlr" => match st.dlr.get(&get("messageID")) {
                Some(d) => {
                    let mut a = json!({"response-code": 200, "message-id": get("messageID"),
                                       "response-description": "Success", "delivery-description": d,
                                       "delivery-tat": "00:00:05", "delivery-networkid": 1,
                                       "delivery-time": "2025-01-06 10:15:32"});
                    if d == "DeliveredToTerminal" {
                        a["delivery-status"] = json!(32);
                    }
                    (200, a.to_string())
                }
                None => (200, error(1008, "No Delivery Report")),
            },
            _ => (404, "Not found".into()),
        }
    };
    if sending {
        st.received.push(rec);
    }
    answer
}

// ----------------------------------------------------------------- Onfon

pub const ONFON_CLIENT_ID: &str = "3f6c2a9e-5b1d-4c8e-9a07-6d2f1e4b8c35";
/// Onfon's keys are base64, so this one carries the characters that need
/// encoding (`+`, `/`, `=`).
pub const ONFON_API_KEY: &str = "rL56LBk+GeOa1MK/Fm5SrSKtz=";
pub const ONFON_ACCESS_KEY: &str = "onfon_access_8oj1kheKHtCX6Rii";
pub const ONFON_SENDER: &str = "LANGO";

#[derive(Default)]
struct OnfonState {
    received: Vec<Received>,
    fail: usize,
    next_id: u64,
}

#[derive(Clone)]
pub struct OnfonSim {
    pub addr: SocketAddr,
    state: Arc<Mutex<OnfonState>>,
}

impl OnfonSim {
    pub fn start() -> OnfonSim {
        let state = Arc::new(Mutex::new(OnfonState::default()));
        let s = state.clone();
        let addr = serve(move |req| onfon(&mut s.lock().unwrap(), &req));
        OnfonSim { addr, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every SendBulkSMS request (its first message), accepted or not.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The next `n` sends answer ErrorCode "006" "Something went wrong".
    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail = n;
    }
}

fn onfon(st: &mut OnfonState, req: &Request) -> (u16, String) {
    if req.method != "POST" || req.path() != "/v1/sms/SendBulkSMS" {
        return (404, "Not found".into());
    }
    let v: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
    let messages = v["MessageParameters"].as_array().cloned().unwrap_or_default();
    let first = messages.first().cloned().unwrap_or(Value::Null);
    let mut rec = req.received(&text(&first["Number"]), &text(&first["Text"]), &text(&v["SenderId"]));
    let error = |code: &str, words: &str| json!({"ErrorCode": code, "ErrorDescription": words, "Data": null});
    // Some clients send no AccessKey header at all; one that is sent must match.
    let access_ok = req.header("accesskey").is_none_or(|k| k == ONFON_ACCESS_KEY);
    let answer = if v["ApiKey"] != ONFON_API_KEY || v["ClientId"] != ONFON_CLIENT_ID || !access_ok {
        error("007", "Invalid api credential")
    } else if v["SenderId"] != ONFON_SENDER {
        error("015", "Invalid SenderId")
    } else if messages.is_empty() {
        error("005", "Message properties cannot be blank")
    } else if st.fail > 0 {
        st.fail -= 1;
        error("006", "Something went wrong")
    } else {
        let mut data = Vec::new();
        for m in &messages {
            let number = text(&m["Number"]);
            if valid_msisdn(&number) {
                st.next_id += 1;
                rec.accepted = true;
                data.push(json!({"MessageErrorCode": 0, "MessageErrorDescription": "Success", "MobileNumber": number,
                                 "MessageId": format!("onfon-sim-{}", st.next_id)}));
            } else {
                data.push(json!({"MessageErrorCode": "013", "MessageErrorDescription": "Invalid mobile numbers",
                                 "MobileNumber": number, "MessageId": null}));
            }
        }
        json!({"ErrorCode": 0, "ErrorDescription": "Success", "Data": data})
    };
    st.received.push(rec);
    (200, answer.to_string())
}

// ----------------------------------------------------------- generic HTTP

/// The generic gateway's secret: `Authorization: Bearer <it>` or a `key`
/// parameter (query, JSON or form).
pub const HTTP_TOKEN: &str = "gw_token_0123456789abcdef";

#[derive(Default)]
struct HttpState {
    received: Vec<Received>,
    fail: usize,
    next_id: u64,
}

/// A generic gateway on any path: reads `to`, `message` and `sender` from
/// the query, a JSON body or a form; answers 200
/// `{"status":"queued","data":{"message_id":...}}`, 401 naming the wrong
/// token it was given, 500 when told to fail.
#[derive(Clone)]
pub struct HttpSim {
    pub addr: SocketAddr,
    state: Arc<Mutex<HttpState>>,
}

impl HttpSim {
    pub fn start() -> HttpSim {
        let state = Arc::new(Mutex::new(HttpState::default()));
        let s = state.clone();
        let addr = serve(move |req| http(&mut s.lock().unwrap(), &req));
        HttpSim { addr, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request, accepted or not.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The next `n` requests answer HTTP 500.
    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().fail = n;
    }
}

fn http(st: &mut HttpState, req: &Request) -> (u16, String) {
    let p = req.params();
    let get = |k: &str| p.get(k).cloned().unwrap_or_default();
    let mut rec = req.received(&get("to"), &get("message"), &get("sender"));
    let given = match req.header("authorization").and_then(|a| a.strip_prefix("Bearer ")) {
        Some(t) => t.to_string(),
        None => get("key"),
    };
    let answer = if given != HTTP_TOKEN {
        // Like many gateways, it repeats the credential it was given.
        (401, json!({"error": format!("invalid token {given}")}).to_string())
    } else if st.fail > 0 {
        st.fail -= 1;
        (500, "Internal Server Error".to_string())
    } else {
        st.next_id += 1;
        rec.accepted = true;
        (
            200,
            json!({"status": "queued", "data": {"to": get("to"), "message_id": format!("gw-{}", st.next_id)}})
                .to_string(),
        )
    };
    st.received.push(rec);
    answer
}
