//! A NAS simulator for RFC 5176 Dynamic Authorization (CoA / Disconnect) on
//! its own thread. It deliberately shares no code with lango's codec: it
//! decodes packets, checks the Request Authenticator (MD5) and the
//! Message-Authenticator (HMAC-MD5) itself, keeps a session table, answers
//! as RouterOS does (no reply at all to a badly signed request), records
//! every request, and injects faults (dropped requests, NAK everything,
//! replies signed with the wrong secret).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};

type HmacMd5 = Hmac<Md5>;

// Numbers written out here on purpose, not taken from lango's dictionary.
const DISCONNECT_REQUEST: u8 = 40;
const DISCONNECT_ACK: u8 = 41;
const DISCONNECT_NAK: u8 = 42;
const COA_REQUEST: u8 = 43;
const COA_ACK: u8 = 44;
const COA_NAK: u8 = 45;
const USER_NAME: u8 = 1;
const FRAMED_IP_ADDRESS: u8 = 8;
const FILTER_ID: u8 = 11;
const VENDOR_SPECIFIC: u8 = 26;
const SESSION_TIMEOUT: u8 = 27;
const CALLING_STATION_ID: u8 = 31;
const ACCT_SESSION_ID: u8 = 44;
const EVENT_TIMESTAMP: u8 = 55;
const MESSAGE_AUTHENTICATOR: u8 = 80;
const ERROR_CAUSE: u8 = 101;
const MIKROTIK: u32 = 14988;
const MT_RATE_LIMIT: u8 = 8;
const MT_ADDRESS_LIST: u8 = 19;
/// RFC 5176 §3.5 Error-Cause values the simulator sends.
pub const UNSUPPORTED_ATTRIBUTE: u32 = 401;
pub const MISSING_ATTRIBUTE: u32 = 402;
pub const INVALID_REQUEST: u32 = 404;
pub const SESSION_CONTEXT_NOT_FOUND: u32 = 503;
pub const MULTIPLE_SESSION_SELECTION_UNSUPPORTED: u32 = 508;
/// Event-Timestamp window (RFC 5176 §3.5 suggests 300 s).
const FRESHNESS: i64 = 300;

/// One request as the simulator saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub code: u8,
    pub identifier: u8,
    pub authenticator: [u8; 16],
    /// Standard attributes in wire order (Vendor-Specific included).
    pub attributes: Vec<(u8, Vec<u8>)>,
    /// Vendor sub-attributes as (vendor, type, value).
    pub vsas: Vec<(u32, u8, Vec<u8>)>,
    /// Request Authenticator, Message-Authenticator (present, first, right)
    /// and Event-Timestamp all checked out.
    pub valid: bool,
    /// Why it was rejected, when it was.
    pub reject: Option<&'static str>,
    /// Reply code sent, if any (None: rejected or dropped).
    pub replied: Option<u8>,
    pub from: SocketAddr,
    pub raw: Vec<u8>,
}

impl Received {
    pub fn attr(&self, t: u8) -> Option<&[u8]> {
        self.attributes.iter().find(|(at, _)| *at == t).map(|(_, v)| v.as_slice())
    }

    pub fn vsa(&self, vendor: u32, t: u8) -> Option<&[u8]> {
        self.vsas.iter().find(|(v, vt, _)| *v == vendor && *vt == t).map(|(_, _, v)| v.as_slice())
    }
}

/// A session the NAS knows, with what CoA changed on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimSession {
    pub user: String,
    pub acct_session_id: String,
    pub framed_ip: Option<Ipv4Addr>,
    pub rate_limit: Option<String>,
    pub session_timeout: Option<u32>,
    pub address_list: Option<String>,
    pub filter_id: Option<String>,
    /// CoA-Requests applied.
    pub changes: u32,
}

#[derive(Default)]
struct State {
    sessions: HashMap<String, SimSession>,
    requests: Vec<Received>,
    drop_next: usize,
    nak_all: Option<u32>,
    sign_with: Option<Vec<u8>>,
}

pub struct NasSim {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl NasSim {
    /// Binds 127.0.0.1:0 and serves on its own thread until dropped.
    pub fn start(secret: &[u8]) -> NasSim {
        NasSim::start_on("127.0.0.1:0", secret)
    }

    /// Binds `addr` (`[::1]:0` for a router on IPv6) and serves.
    pub fn start_on(addr: &str, secret: &[u8]) -> NasSim {
        let sock = UdpSocket::bind(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let addr = sock.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let secret = secret.to_vec();
        let (st, sp) = (state.clone(), stop.clone());
        let thread =
            std::thread::Builder::new().name("nas-sim".into()).spawn(move || serve(&sock, &secret, &st, &sp)).unwrap();
        NasSim { addr, state, stop, thread: Some(thread) }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add_session(&self, user: &str, acct_session_id: &str, framed_ip: Option<Ipv4Addr>) {
        let s = SimSession {
            user: user.into(),
            acct_session_id: acct_session_id.into(),
            framed_ip,
            ..SimSession::default()
        };
        self.state().sessions.insert(acct_session_id.into(), s);
    }

    pub fn session(&self, acct_session_id: &str) -> Option<SimSession> {
        self.state().sessions.get(acct_session_id).cloned()
    }

    pub fn session_count(&self) -> usize {
        self.state().sessions.len()
    }

    /// Leave the next `n` well-signed requests unanswered.
    pub fn drop_next(&self, n: usize) {
        self.state().drop_next = n;
    }

    /// Answer every well-signed request with a NAK carrying `cause`.
    pub fn nak_all(&self, cause: u32) {
        self.state().nak_all = Some(cause);
    }

    /// Sign replies with `secret` instead of the shared one.
    pub fn sign_with(&self, secret: &[u8]) {
        self.state().sign_with = Some(secret.to_vec());
    }

    pub fn reset_faults(&self) {
        let mut st = self.state();
        st.drop_next = 0;
        st.nak_all = None;
        st.sign_with = None;
    }

    pub fn requests(&self) -> Vec<Received> {
        self.state().requests.clone()
    }

    /// Polls until `pred` holds for the recorded requests, or `timeout`.
    pub fn wait_for(&self, pred: impl Fn(&[Received]) -> bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.state().requests) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for NasSim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(sock: &UdpSocket, secret: &[u8], state: &Mutex<State>, stop: &AtomicBool) {
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        let Ok((n, from)) = sock.recv_from(&mut buf) else { continue };
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(reply) = handle(&buf[..n], from, secret, &mut st) {
            let _ = sock.send_to(&reply, from);
        }
    }
}

/// Records the datagram and returns the reply to send, if any.
fn handle(raw: &[u8], from: SocketAddr, secret: &[u8], st: &mut State) -> Option<Vec<u8>> {
    let Some(mut req) = decode(raw, from) else {
        // Not even a packet: recorded with what little there is.
        st.requests.push(Received {
            code: raw.first().copied().unwrap_or(0),
            identifier: raw.get(1).copied().unwrap_or(0),
            authenticator: [0; 16],
            attributes: Vec::new(),
            vsas: Vec::new(),
            valid: false,
            reject: Some("malformed"),
            replied: None,
            from,
            raw: raw.to_vec(),
        });
        return None;
    };
    req.reject = verify(&req, secret);
    req.valid = req.reject.is_none();
    let reply = if !req.valid {
        None
    } else if st.drop_next > 0 {
        st.drop_next -= 1;
        None
    } else {
        let (code, cause) = match st.nak_all {
            Some(cause) => (nak_for(req.code), Some(cause)),
            None => apply(&req, &mut st.sessions),
        };
        req.replied = Some(code);
        let key = st.sign_with.clone().unwrap_or_else(|| secret.to_vec());
        Some(build_reply(code, req.identifier, &req.authenticator, cause, &key))
    };
    st.requests.push(req);
    reply
}

fn be_u32(v: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(v.try_into().ok()?))
}

fn decode(raw: &[u8], from: SocketAddr) -> Option<Received> {
    if raw.len() < 20 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([raw[2], raw[3]]));
    if !(20..=4096).contains(&len) || len > raw.len() {
        return None;
    }
    let raw = &raw[..len];
    let (mut attributes, mut vsas) = (Vec::new(), Vec::new());
    let mut off = 20;
    while off < len {
        let alen = usize::from(*raw.get(off + 1)?);
        if alen < 2 || off + alen > len {
            return None;
        }
        let (t, value) = (raw[off], raw[off + 2..off + alen].to_vec());
        if t == VENDOR_SPECIFIC && value.len() >= 4 {
            let vendor = be_u32(&value[..4])?;
            let mut sub = &value[4..];
            while sub.len() >= 2 {
                let slen = usize::from(sub[1]);
                if slen < 2 || slen > sub.len() {
                    return None;
                }
                vsas.push((vendor, sub[0], sub[2..slen].to_vec()));
                sub = &sub[slen..];
            }
        }
        attributes.push((t, value));
        off += alen;
    }
    Some(Received {
        code: raw[0],
        identifier: raw[1],
        authenticator: raw[4..20].try_into().ok()?,
        attributes,
        vsas,
        valid: false,
        reject: None,
        replied: None,
        from,
        raw: raw.to_vec(),
    })
}

/// The checks a careful NAS makes before acting; `Some(reason)` rejects.
fn verify(req: &Received, secret: &[u8]) -> Option<&'static str> {
    if req.code != DISCONNECT_REQUEST && req.code != COA_REQUEST {
        return Some("unexpected_code");
    }
    // Request Authenticator: MD5(code|id|len|16 zero octets|attributes|secret).
    let mut h = Md5::new();
    h.update(&req.raw[..4]);
    h.update([0u8; 16]);
    h.update(&req.raw[20..]);
    h.update(secret);
    if h.finalize().as_slice() != req.authenticator {
        return Some("bad_request_authenticator");
    }
    // Message-Authenticator: present once, first, HMAC-MD5 over the packet
    // with the authenticator and its own value zeroed.
    let mas: Vec<_> = req.attributes.iter().filter(|(t, _)| *t == MESSAGE_AUTHENTICATOR).collect();
    if mas.len() != 1 || mas[0].1.len() != 16 {
        return Some("missing_message_authenticator");
    }
    if req.attributes[0].0 != MESSAGE_AUTHENTICATOR {
        return Some("message_authenticator_not_first");
    }
    let mut zeroed = req.raw.clone();
    zeroed[4..20].fill(0);
    zeroed[22..38].fill(0);
    let mut mac = <HmacMd5 as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(&zeroed);
    if mac.verify_slice(&req.raw[22..38]).is_err() {
        return Some("bad_message_authenticator");
    }
    // Replay protection (RFC 5176 §3.5).
    let Some(ts) = req.attr(EVENT_TIMESTAMP).and_then(be_u32) else {
        return Some("missing_event_timestamp");
    };
    if (i64::from(ts) - lango::clock::Clock::System.now()).abs() > FRESHNESS {
        return Some("stale_event_timestamp");
    }
    None
}

fn ack_for(code: u8) -> u8 {
    if code == DISCONNECT_REQUEST { DISCONNECT_ACK } else { COA_ACK }
}

fn nak_for(code: u8) -> u8 {
    if code == DISCONNECT_REQUEST { DISCONNECT_NAK } else { COA_NAK }
}

/// Finds the session(s) and applies the request: (reply code, Error-Cause).
fn apply(req: &Received, sessions: &mut HashMap<String, SimSession>) -> (u8, Option<u32>) {
    let nak = |cause| (nak_for(req.code), Some(cause));
    let user = req.attr(USER_NAME).map(|v| String::from_utf8_lossy(v).into_owned());
    let sid = req.attr(ACCT_SESSION_ID).map(|v| String::from_utf8_lossy(v).into_owned());
    let ip = match req.attr(FRAMED_IP_ADDRESS).map(<[u8; 4]>::try_from) {
        None => None,
        Some(Ok(o)) => Some(Ipv4Addr::from(o)),
        Some(Err(_)) => return nak(INVALID_REQUEST),
    };
    if user.is_none() && sid.is_none() && ip.is_none() {
        return nak(MISSING_ATTRIBUTE);
    }
    // Identification and authorization attributes this NAS understands; a
    // Disconnect-Request carries no authorization changes (RFC 5176 §3).
    let identification = [USER_NAME, ACCT_SESSION_ID, FRAMED_IP_ADDRESS, CALLING_STATION_ID];
    let meta = [MESSAGE_AUTHENTICATOR, EVENT_TIMESTAMP];
    for (t, _) in &req.attributes {
        let change = [FILTER_ID, SESSION_TIMEOUT, VENDOR_SPECIFIC].contains(t) && req.code == COA_REQUEST;
        if !(identification.contains(t) || meta.contains(t) || change) {
            return nak(UNSUPPORTED_ATTRIBUTE);
        }
    }
    if req.vsas.iter().any(|(v, t, _)| *v != MIKROTIK || ![MT_RATE_LIMIT, MT_ADDRESS_LIST].contains(t)) {
        return nak(UNSUPPORTED_ATTRIBUTE);
    }
    let matches: Vec<String> = sessions
        .values()
        .filter(|s| {
            user.as_ref().is_none_or(|u| *u == s.user)
                && sid.as_ref().is_none_or(|i| *i == s.acct_session_id)
                && ip.is_none_or(|ip| Some(ip) == s.framed_ip)
        })
        .map(|s| s.acct_session_id.clone())
        .collect();
    if matches.is_empty() {
        return nak(SESSION_CONTEXT_NOT_FOUND);
    }
    if req.code == DISCONNECT_REQUEST {
        for id in matches {
            sessions.remove(&id);
        }
        return (DISCONNECT_ACK, None);
    }
    if matches.len() > 1 {
        return nak(MULTIPLE_SESSION_SELECTION_UNSUPPORTED);
    }
    let s = sessions.get_mut(&matches[0]).unwrap();
    let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    if let Some(v) = req.attr(SESSION_TIMEOUT) {
        let Some(secs) = be_u32(v) else { return nak(INVALID_REQUEST) };
        s.session_timeout = Some(secs);
    }
    if let Some(v) = req.attr(FILTER_ID) {
        s.filter_id = Some(text(v));
    }
    if let Some(v) = req.vsa(MIKROTIK, MT_RATE_LIMIT) {
        s.rate_limit = Some(text(v));
    }
    if let Some(v) = req.vsa(MIKROTIK, MT_ADDRESS_LIST) {
        s.address_list = Some(text(v));
    }
    s.changes += 1;
    (ack_for(req.code), None)
}

/// A reply with Message-Authenticator first (HMAC-MD5 over the reply with
/// the request authenticator in place, RFC 5176 §3.5 / RFC 3579 §3.2), an
/// optional Error-Cause, and the Response Authenticator
/// MD5(code|id|len|request authenticator|attributes|secret).
fn build_reply(code: u8, id: u8, request_auth: &[u8; 16], cause: Option<u32>, secret: &[u8]) -> Vec<u8> {
    let mut p = vec![code, id, 0, 0];
    p.extend_from_slice(request_auth);
    p.extend_from_slice(&[MESSAGE_AUTHENTICATOR, 18]);
    p.extend_from_slice(&[0; 16]);
    if let Some(c) = cause {
        p.extend_from_slice(&[ERROR_CAUSE, 6]);
        p.extend_from_slice(&c.to_be_bytes());
    }
    let len = p.len() as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
    let mut mac = <HmacMd5 as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(&p);
    let tag = mac.finalize().into_bytes();
    p[22..38].copy_from_slice(&tag);
    let mut h = Md5::new();
    h.update(&p);
    h.update(secret);
    let digest = h.finalize();
    p[4..20].copy_from_slice(&digest);
    p
}
