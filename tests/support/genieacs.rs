//! GenieACS's northbound interface (NBI, `lib/nbi.ts` of GenieACS 1.2) as
//! its documentation and source describe it, for the devices a test adds:
//! - `GET /devices?query=<MongoDB-style JSON>&projection=<a,b,c>`: a JSON
//!   array of device documents (parameters nested by path, each leaf
//!   `{_value, _type, _timestamp}`, plus `_id`, `_deviceId` and
//!   `_lastInform` as an ISO date); the query matches by equality on
//!   `_id`, `_deviceId.*` or a parameter path; the projection keeps the
//!   named paths and their subtrees (and `_id`).
//! - `POST /devices/<id>/tasks[?connection_request][&timeout=ms]` with a
//!   task (`setParameterValues`, `reboot`, `refreshObject`, …): 404 "No
//!   such device" for an unknown id, 400 for a body that is not JSON; with
//!   `connection_request` and the device reachable the task is carried out
//!   at once and answered 200 with the task; otherwise it is kept for the
//!   device's next inform and answered 202 "Task queued but not processed".
//! - `GET /tasks?query={"device":"<id>"}`: the tasks waiting; `DELETE
//!   /tasks/<id>`: 200, or 404 "Task not found".
//! - HTTP basic authentication when credentials are set (401 otherwise),
//!   and `set_down(true)`: connections are closed unanswered (an ACS that
//!   is down). `inform(id)` is the device's periodic inform: waiting tasks
//!   are carried out. Every request is logged (method, path and query,
//!   whether it carried an Authorization header).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use base64::Engine;
use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub struct Device {
    pub id: String,
    pub serial: String,
    /// Reachable by connection request (answers at once).
    pub reachable: bool,
    /// Unix seconds of the last inform.
    pub last_inform: i64,
    /// Flattened parameters: path → value.
    pub params: BTreeMap<String, Value>,
    pub reboots: u32,
    pub refreshes: u32,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub authorized: bool,
}

#[derive(Default)]
struct State {
    devices: Vec<Device>,
    /// Tasks waiting for their device's next session.
    pending: Vec<Value>,
    /// Tasks carried out, in order.
    done: Vec<Value>,
    requests: Vec<Request>,
    down: bool,
    auth: Option<(String, String)>,
    next_task: u64,
}

#[derive(Clone)]
pub struct GenieAcs {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

#[allow(clippy::disallowed_methods)] // a peer of lango, on the real clock as GenieACS is
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn iso(t: i64) -> String {
    jiff::Timestamp::from_second(t).unwrap().strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Device {
    /// A TR-098 ONU (Huawei-like: its optical Rx under
    /// `X_GponInterafceConfig.RXPower`), informing now, reachable.
    pub fn tr098(id: &str, serial: &str) -> Device {
        let mut params = BTreeMap::new();
        params.insert("InternetGatewayDevice.DeviceInfo.UpTime".into(), json!(86_461));
        params.insert("InternetGatewayDevice.DeviceInfo.SoftwareVersion".into(), json!("V5R019C10S125"));
        params.insert("InternetGatewayDevice.WANDevice.1.X_GponInterafceConfig.RXPower".into(), json!("-21.40"));
        for p in [
            "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Username",
            "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Password",
            "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID",
            "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.KeyPassphrase",
        ] {
            params.insert(p.into(), json!(""));
        }
        Device {
            id: id.into(),
            serial: serial.into(),
            reachable: true,
            last_inform: now(),
            params,
            reboots: 0,
            refreshes: 0,
        }
    }

    /// The device document with every parameter.
    fn doc(&self) -> Value {
        let parts: Vec<&str> = self.id.splitn(3, '-').collect();
        let mut doc = json!({
            "_id": self.id,
            "_deviceId": {"_OUI": parts[0], "_ProductClass": parts.get(1).copied().unwrap_or(""), "_SerialNumber": self.serial},
            "_lastInform": iso(self.last_inform),
            "_registered": iso(self.last_inform - 86_400),
        });
        for (path, v) in &self.params {
            let mut at = &mut doc;
            for part in path.split('.') {
                at = at.as_object_mut().unwrap().entry(part).or_insert_with(|| json!({"_object": true}));
            }
            let ty = if v.is_number() { "xsd:unsignedInt" } else { "xsd:string" };
            *at = json!({"_value": v, "_type": ty, "_timestamp": iso(self.last_inform), "_writable": true});
        }
        doc
    }

    fn matches(&self, query: &Value) -> bool {
        let Some(q) = query.as_object() else { return false };
        let doc = self.doc();
        q.iter().all(|(k, want)| {
            let got = k.split('.').try_fold(&doc, |v, p| v.get(p));
            match got {
                Some(v) if v.get("_value").is_some() => &v["_value"] == want,
                Some(v) => v == want,
                None => false,
            }
        })
    }

    fn apply(&mut self, task: &Value) {
        match task["name"].as_str() {
            Some("setParameterValues") => {
                for pv in task["parameterValues"].as_array().into_iter().flatten() {
                    if let (Some(path), Some(v)) = (pv[0].as_str(), pv.get(1)) {
                        self.params.insert(path.into(), v.clone());
                    }
                }
            }
            Some("reboot") => {
                self.reboots += 1;
                for (k, v) in self.params.iter_mut() {
                    if k.ends_with("DeviceInfo.UpTime") {
                        *v = json!(0);
                    }
                }
            }
            Some("refreshObject") => self.refreshes += 1,
            _ => {}
        }
        self.last_inform = now();
    }
}

/// Keep only the projected paths (and `_id`).
fn project(doc: Value, projection: Option<&str>) -> Value {
    let Some(p) = projection.filter(|p| !p.is_empty()) else { return doc };
    let mut out = json!({"_id": doc["_id"].clone()});
    for path in p.split(',') {
        let parts: Vec<&str> = path.split('.').collect();
        let Some(v) = parts.iter().try_fold(&doc, |v, part| v.get(*part)) else { continue };
        let mut at = &mut out;
        for (i, part) in parts.iter().enumerate() {
            let o = at.as_object_mut().unwrap();
            if i + 1 == parts.len() {
                o.insert((*part).into(), v.clone());
                break;
            }
            at = o.entry(*part).or_insert_with(|| json!({}));
        }
    }
    out
}

impl GenieAcs {
    pub fn start() -> GenieAcs {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sim = GenieAcs { addr: listener.local_addr().unwrap(), state: Arc::default() };
        let s = sim.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(c) = conn else { continue };
                let s = s.clone();
                thread::spawn(move || s.serve(c));
            }
        });
        sim
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn add(&self, d: Device) {
        self.state.lock().unwrap().devices.push(d);
    }

    pub fn require_auth(&self, user: &str, password: &str) {
        self.state.lock().unwrap().auth = Some((user.into(), password.into()));
    }

    pub fn set_down(&self, down: bool) {
        self.state.lock().unwrap().down = down;
    }

    pub fn set_reachable(&self, id: &str, reachable: bool) {
        self.with(id, |d| d.reachable = reachable);
    }

    pub fn with<T>(&self, id: &str, f: impl FnOnce(&mut Device) -> T) -> T {
        let mut st = self.state.lock().unwrap();
        f(st.devices.iter_mut().find(|d| d.id == id).expect("no such device in the simulator"))
    }

    pub fn device(&self, id: &str) -> Device {
        self.with(id, |d| d.clone())
    }

    pub fn param(&self, id: &str, path: &str) -> Option<Value> {
        self.with(id, |d| d.params.get(path).cloned())
    }

    /// The device's periodic inform: its waiting tasks are carried out.
    pub fn inform(&self, id: &str) {
        let mut st = self.state.lock().unwrap();
        let (mine, rest): (Vec<Value>, Vec<Value>) =
            std::mem::take(&mut st.pending).into_iter().partition(|t| t["device"] == id);
        st.pending = rest;
        let d = st.devices.iter_mut().find(|d| d.id == id).unwrap();
        d.last_inform = now();
        for t in &mine {
            d.apply(t);
        }
        st.done.extend(mine);
    }

    pub fn done(&self) -> Vec<Value> {
        self.state.lock().unwrap().done.clone()
    }

    pub fn pending(&self) -> Vec<Value> {
        self.state.lock().unwrap().pending.clone()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    fn serve(&self, mut c: TcpStream) {
        let mut r = BufReader::new(c.try_clone().unwrap());
        let mut line = String::new();
        if r.read_line(&mut line).is_err() {
            return;
        }
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
        let mut words = line.split_whitespace();
        let (method, target) =
            (words.next().unwrap_or_default().to_string(), words.next().unwrap_or_default().to_string());
        let (status, reason, answer) = {
            let mut st = self.state.lock().unwrap();
            if st.down {
                return; // closed unanswered
            }
            let authorized = headers.contains_key("authorization");
            st.requests.push(Request { method: method.clone(), target: target.clone(), authorized });
            let ok_auth = match &st.auth {
                None => true,
                Some((u, p)) => {
                    let want =
                        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")));
                    headers.get("authorization") == Some(&want)
                }
            };
            if ok_auth {
                Self::handle(&mut st, &method, &target, &body)
            } else {
                (401, "Unauthorized", "Unauthorized".into())
            }
        };
        let resp = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nGenieACS-Version: 1.2.13\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        );
        let _ = c.write_all(resp.as_bytes());
    }

    fn handle(st: &mut State, method: &str, target: &str, body: &[u8]) -> (u16, &'static str, String) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let q: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let arg = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let segs: Vec<String> = path.trim_matches('/').split('/').map(percent_decode).collect();
        match (method, segs.iter().map(String::as_str).collect::<Vec<_>>().as_slice()) {
            ("GET", ["devices"]) => {
                let query: Value = match serde_json::from_str(arg("query").unwrap_or("{}")) {
                    Ok(v) => v,
                    Err(e) => return (400, "Bad Request", format!("SyntaxError: {e}")),
                };
                let docs: Vec<Value> = st
                    .devices
                    .iter()
                    .filter(|d| d.matches(&query))
                    .map(|d| project(d.doc(), arg("projection")))
                    .collect();
                (200, "OK", Value::Array(docs).to_string())
            }
            ("POST", ["devices", id, "tasks"]) => {
                let mut task: Value = match serde_json::from_slice(body) {
                    Ok(v @ Value::Object(_)) => v,
                    _ => return (400, "Bad Request", "SyntaxError: Unexpected end of JSON input".into()),
                };
                let Some(i) = st.devices.iter().position(|d| d.id == *id) else {
                    return (404, "Not Found", "No such device".into());
                };
                st.next_task += 1;
                task["_id"] = json!(format!("{:024x}", st.next_task));
                task["device"] = json!(id);
                task["timestamp"] = json!(iso(now()));
                let conn_req = arg("connection_request").is_some();
                if conn_req && st.devices[i].reachable {
                    st.devices[i].apply(&task);
                    st.done.push(task.clone());
                    (200, "OK", task.to_string())
                } else {
                    st.pending.push(task.clone());
                    (202, "Task queued but not processed", task.to_string())
                }
            }
            ("GET", ["tasks"]) => {
                let query: Value = serde_json::from_str(arg("query").unwrap_or("{}")).unwrap_or(json!({}));
                let list: Vec<Value> = st
                    .pending
                    .iter()
                    .filter(|t| query.as_object().is_none_or(|q| q.iter().all(|(k, v)| &t[k] == v)))
                    .cloned()
                    .collect();
                (200, "OK", Value::Array(list).to_string())
            }
            ("DELETE", ["tasks", id]) => match st.pending.iter().position(|t| t["_id"] == *id) {
                Some(i) => {
                    st.pending.remove(i);
                    (200, "OK", String::new())
                }
                None => (404, "Not Found", "Task not found".into()),
            },
            _ => (404, "Not Found", "404 Not Found".into()),
        }
    }
}
