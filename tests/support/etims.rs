//! A KRA eTIMS OSCU simulator, from KRA's published OSCU API specification:
//! `POST /selectInitOsdcInfo` with `{tin, bhfId, dvcSrlNo}` answers
//! `{resultCd:"000", resultMsg, resultDt, data:{info:{tin, bhfId, sdcId,
//! mrcNo, cmcKey, …}}}` for a device KRA approved, and `resultCd "901"`
//! ("It is not valid device.") for any other; `POST /saveTrnsSalesOsdc`
//! with the `tin`, `bhfId` and `cmcKey` headers answers the control unit's
//! data (`rcptNo` counting up, `intrlData`, `rcptSign`, `sdcId`, `mrcNo`),
//! "894" for a wrong communication key and the code set with
//! `refuse_sales`; set `down` and every connection is closed unanswered
//! (the OSCU unreachable). It records the requests it answered.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// The communication key the simulator hands out for an approved device.
pub const CMC_KEY: &str = "5A1C0E9F2B7D44E8A3B6C1D0E9F8A7B6";
pub const SDC_ID: &str = "KRACU0300001234";
pub const MRC_NO: &str = "WIS00001234";

#[derive(Clone)]
pub struct Oscu {
    pub addr: SocketAddr,
    /// Approved devices: (tin, bhfId, serial).
    approved: Arc<Mutex<Vec<(String, String, String)>>>,
    down: Arc<AtomicBool>,
    refuse: Arc<Mutex<Option<String>>>,
    receipts: Arc<Mutex<u64>>,
    pub requests: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

impl Oscu {
    pub fn start() -> Oscu {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let o = Oscu {
            addr: listener.local_addr().unwrap(),
            approved: Arc::default(),
            down: Arc::default(),
            refuse: Arc::default(),
            receipts: Arc::default(),
            requests: Arc::default(),
        };
        let me = o.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut c) = conn else { continue };
                if me.down.load(Ordering::SeqCst) {
                    drop(c);
                    continue;
                }
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
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let req: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let answer = me.answer(&path, &headers, &req);
                me.requests.lock().unwrap().push((path, req));
                let text = answer.to_string();
                let _ = write!(
                    c,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        o
    }

    pub fn url(&self) -> String {
        format!("http://{}/etims-api", self.addr)
    }

    pub fn approve(&self, tin: &str, branch: &str, serial: &str) {
        self.approved.lock().unwrap().push((tin.into(), branch.into(), serial.into()));
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Refuse every sale with `code` (None: take them).
    pub fn refuse_sales(&self, code: Option<&str>) {
        *self.refuse.lock().unwrap() = code.map(str::to_string);
    }

    /// The sales the control unit signed.
    pub fn sales(&self) -> Vec<serde_json::Value> {
        let reqs = self.requests.lock().unwrap();
        reqs.iter().filter(|(p, _)| p.ends_with("/saveTrnsSalesOsdc")).map(|(_, r)| r.clone()).collect()
    }

    fn answer(&self, path: &str, headers: &HashMap<String, String>, req: &serde_json::Value) -> serde_json::Value {
        let result = |code: &str, msg: &str, data: serde_json::Value| serde_json::json!({"resultCd": code, "resultMsg": msg, "resultDt": "20261208000000", "data": data});
        match path {
            "/etims-api/selectInitOsdcInfo" => {
                let s = |k: &str| req[k].as_str().unwrap_or_default().to_string();
                let device = (s("tin"), s("bhfId"), s("dvcSrlNo"));
                if !self.approved.lock().unwrap().contains(&device) {
                    return result("901", "It is not valid device.", serde_json::Value::Null);
                }
                let info = serde_json::json!({"tin": device.0, "taxprNm": "Demo ISP", "bhfId": device.1,
                    "bhfNm": "Headquarter", "dvcId": "9999999999", "sdcId": SDC_ID, "mrcNo": MRC_NO,
                    "cmcKey": CMC_KEY});
                result("000", "It is succeeded", serde_json::json!({"info": info}))
            }
            "/etims-api/saveTrnsSalesOsdc" => {
                if headers.get("cmckey").map(String::as_str) != Some(CMC_KEY) {
                    return result("894", "Unable to connect: invalid cmcKey", serde_json::Value::Null);
                }
                if let Some(code) = self.refuse.lock().unwrap().clone() {
                    return result(&code, "Request parameter error", serde_json::Value::Null);
                }
                let mut n = self.receipts.lock().unwrap();
                *n += 1;
                let data = serde_json::json!({"rcptNo": *n, "intrlData": format!("INTRL{:010}", *n),
                    "rcptSign": format!("SIGN{:012}", req["invcNo"].as_u64().unwrap_or(0)), "totRcptNo": *n,
                    "vsdcRcptPbctDate": "20261208000000", "sdcId": SDC_ID, "mrcNo": MRC_NO});
                result("000", "It is succeeded", data)
            }
            _ => result("899", "Unknown operation", serde_json::Value::Null),
        }
    }
}
