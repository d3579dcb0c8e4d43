//! Africa's Talking's SMS API as its documentation describes it: POST
//! /version1/messaging with form fields username, to, message (and from),
//! the key in an `apiKey` header; 201 with `SMSMessageData.Recipients`
//! (status "Success", statusCode 101) when sent, 401 "The supplied
//! authentication is invalid" for a wrong key; GET /version1/user answers
//! the balance (`UserData.balance`). Keeps what it sent.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread;

#[derive(Clone, Debug)]
pub struct Sent {
    pub to: String,
    pub message: String,
    pub from: Option<String>,
}

#[derive(Clone)]
pub struct SmsSim {
    pub addr: SocketAddr,
    sent: Arc<Mutex<Vec<Sent>>>,
    balance: Arc<Mutex<String>>,
}

pub const USERNAME: &str = "sandbox";
pub const API_KEY: &str = "atsk_test_0123456789";

impl SmsSim {
    pub fn start() -> SmsSim {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sim = SmsSim {
            addr: listener.local_addr().unwrap(),
            sent: Arc::default(),
            balance: Arc::new(Mutex::new("KES 1784.8000".into())),
        };
        let s = sim.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut c) = conn else { continue };
                let mut r = BufReader::new(c.try_clone().unwrap());
                let mut line = String::new();
                let _ = r.read_line(&mut line);
                let mut headers = HashMap::new();
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let len = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                let mut body = vec![0u8; len];
                let _ = r.read_exact(&mut body);
                let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
                let (status, answer) = if line.starts_with("GET /version1/user?") {
                    // The account's balance (UserData.balance).
                    if headers.get("apikey").map(String::as_str) != Some(API_KEY)
                        || !line.contains(&format!("username={USERNAME}"))
                    {
                        (401, "The supplied authentication is invalid".to_string())
                    } else {
                        let balance = s.balance.lock().unwrap().clone();
                        (200, serde_json::json!({"UserData": {"balance": balance}}).to_string())
                    }
                } else if !line.starts_with("POST /version1/messaging ") {
                    (404, "Not found".to_string())
                } else if headers.get("apikey").map(String::as_str) != Some(API_KEY)
                    || form.get("username").map(String::as_str) != Some(USERNAME)
                {
                    (401, "The supplied authentication is invalid".to_string())
                } else {
                    let to = form.get("to").cloned().unwrap_or_default();
                    s.sent.lock().unwrap().push(Sent {
                        to: to.clone(),
                        message: form.get("message").cloned().unwrap_or_default(),
                        from: form.get("from").cloned(),
                    });
                    let json = serde_json::json!({"SMSMessageData": {
                        "Message": "Sent to 1/1 Total Cost: KES 0.8000",
                        "Recipients": [{"statusCode": 101, "number": to, "status": "Success",
                                        "cost": "KES 0.8000", "messageId": "ATPid_sim_1"}]
                    }});
                    (201, json.to_string())
                };
                let resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = c.write_all(resp.as_bytes());
            }
        });
        sim
    }

    /// What the balance call answers, e.g. "KES 12.5000".
    pub fn set_balance(&self, b: &str) {
        *self.balance.lock().unwrap() = b.into();
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// The six-digit code in the last message to `to` (+2547...).
    pub fn last_code(&self, to: &str) -> Option<String> {
        let sent = self.sent();
        let m = sent.iter().rev().find(|s| s.to == to)?;
        m.message.split_whitespace().find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit())).map(str::to_string)
    }
}
