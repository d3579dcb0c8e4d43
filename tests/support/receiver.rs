//! An HTTP endpoint that records what it is sent (method, path, headers,
//! body) and answers with the statuses it is told, in order (200 once the
//! list runs out): a CRM receiving lango's webhooks.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
    pub answered: u16,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    pub fn start(answers: &[u16]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let r = Receiver {
            addr: listener.local_addr().unwrap(),
            got: Arc::default(),
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
        };
        let me = r.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut c) = conn else { continue };
                let mut rd = BufReader::new(c.try_clone().unwrap());
                let mut line = String::new();
                let _ = rd.read_line(&mut line);
                let mut headers = HashMap::new();
                loop {
                    let mut h = String::new();
                    if rd.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let len = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                let mut body = vec![0u8; len];
                let _ = rd.read_exact(&mut body);
                let status = me.answers.lock().unwrap().pop_front().unwrap_or(200);
                me.got.lock().unwrap().push(Received {
                    path: line.split_whitespace().nth(1).unwrap_or("").to_string(),
                    headers,
                    body: String::from_utf8_lossy(&body).to_string(),
                    answered: status,
                });
                let _ = c.write_all(
                    format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
                );
            }
        });
        r
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Wait until `f` holds for what arrived.
    pub fn wait(&self, within: Duration, f: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if f(&got) || Instant::now() > deadline {
                return got;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}
