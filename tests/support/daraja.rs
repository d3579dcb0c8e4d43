//! A Safaricom Daraja simulator for integration tests: OAuth, STK push/query with callbacks, C2B
//! register/simulate with validation and confirmation calls. It runs axum on 127.0.0.1:0 on its own
//! thread and runtime, checks requests the way Daraja does, answers in Daraja's shapes, and records
//! everything. Only URLs on 127.0.0.1/localhost are called back; others are recorded as undelivered.
#![allow(dead_code)]

// The HTTP side (Daraja's endpoints and the calls back to us) lives in `daraja/endpoints.rs`.
#[path = "daraja/endpoints.rs"]
mod endpoints;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const CONSUMER_KEY: &str = "sim-consumer-key";
pub const CONSUMER_SECRET: &str = "sim-consumer-secret";
/// Paybill accepted for STK push (Safaricom's sandbox short code and passkey).
pub const SHORTCODE: &str = "174379";
pub const PASSKEY: &str = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";
/// Buy Goods store number (BusinessShortCode, same PASSKEY) and its till (PartyB).
pub const STORE: &str = "5678901";
pub const TILL: &str = "5678902";
/// The sandbox C2B paybill.
pub const C2B_SHORTCODE: &str = "600638";

/// What the customer does with the STK prompt (and how the callback travels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outcome {
    #[default]
    Success,
    Cancelled,
    InsufficientFunds,
    Timeout,
    WrongPin,
    /// Success, callback delivered n times concurrently.
    Duplicate(usize),
    /// Success settles at the normal delay, the callback arrives this much later.
    Late(Duration),
    /// Success, but no callback is ever sent; the STK query still reports it.
    NoCallback,
}

impl Outcome {
    fn result(self) -> (i64, &'static str) {
        match self {
            Outcome::Cancelled => (1032, "Request cancelled by user"),
            Outcome::InsufficientFunds => (1, "The balance is insufficient for the transaction."),
            Outcome::Timeout => (1037, "DS timeout user cannot be reached"),
            Outcome::WrongPin => (2001, "The initiator information is invalid."),
            _ => (0, "The service request is processed successfully."),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum C2bPayKind {
    PayBill,
    BuyGoods,
}

/// One STK push request as received, and what the simulator answered.
#[derive(Debug, Clone)]
pub struct StkRecord {
    pub body: Value,
    pub status: u16,
    pub response: Value,
}

/// One call the simulator made to our server. `status` is None when it could not be delivered.
#[derive(Debug, Clone)]
pub struct CallbackRecord {
    /// "stk", "validation" or "confirmation".
    pub kind: &'static str,
    pub url: String,
    pub raw: String,
    pub body: Value,
    pub status: Option<u16>,
    pub response: String,
}

struct Push {
    merchant_id: String,
    phone: String,
    /// (ResultCode, ResultDesc) once the customer has answered.
    settled: Option<(i64, String)>,
}

struct Canned {
    status: u16,
    body: String,
    delay: Duration,
}

#[derive(Default)]
struct Inner {
    tokens: HashMap<String, Instant>,
    token_requests: usize,
    default_outcome: Outcome,
    per_phone: HashMap<String, Outcome>,
    /// None: 100 ms.
    callback_delay: Option<Duration>,
    pushes: HashMap<String, Push>,
    stk_requests: Vec<StkRecord>,
    queries: usize,
    callbacks: Vec<CallbackRecord>,
    /// shortcode → (ConfirmationURL, ValidationURL, ResponseType)
    c2b_urls: HashMap<String, (String, String, String)>,
    canned: HashMap<String, VecDeque<Canned>>,
    no_clock_check: bool,
    no_subscriber_lock: bool,
    no_external_validation: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    http: reqwest::Client,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A Daraja-shaped answer: HTTP status and JSON body.
type Answer = (u16, Value);
/// What `c2b_pay` saw: the validation answer (None if validation was not called) and the confirmation status.
pub type C2bOutcome = (Option<Value>, Option<u16>);

pub struct DarajaSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    rt: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DarajaSim {
    /// Start the simulator on its own thread; returns once it is listening.
    pub fn start() -> DarajaSim {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("sim http client");
        let shared = Arc::new(Shared { inner: Mutex::default(), http });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let app = endpoints::router(shared.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("sim runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("sim bind");
                let addr = listener.local_addr().expect("sim addr");
                let _ = ready_tx.send((addr, tokio::runtime::Handle::current()));
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stop_rx => {}
                }
            });
        });
        let (addr, rt) = ready_rx.recv().expect("simulator failed to start");
        DarajaSim { addr, shared, rt, stop: Some(stop_tx), thread: Some(thread) }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Outcome for subsequent pushes to phones without their own outcome.
    pub fn set_outcome(&self, outcome: Outcome) {
        self.shared.lock().default_outcome = outcome;
    }
    /// Outcome for subsequent pushes to `phone` (`2547XXXXXXXX`).
    pub fn set_outcome_for(&self, phone: &str, outcome: Outcome) {
        self.shared.lock().per_phone.insert(phone.to_string(), outcome);
    }
    /// How long the "customer" takes to answer (default 100 ms).
    pub fn set_callback_delay(&self, delay: Duration) {
        self.shared.lock().callback_delay = Some(delay);
    }
    /// Check Timestamp against the real clock (±5 min); on by default.
    pub fn set_clock_check(&self, on: bool) {
        self.shared.lock().no_clock_check = !on;
    }
    /// Refuse a push while the same phone has one pending, like Daraja; on by default.
    pub fn set_subscriber_lock(&self, on: bool) {
        self.shared.lock().no_subscriber_lock = !on;
    }
    /// Call ValidationURL before confirmation (needs Safaricom to enable it in reality); on by default.
    pub fn set_external_validation(&self, on: bool) {
        self.shared.lock().no_external_validation = !on;
    }
    /// The next request to `path` gets this raw answer instead (after `delay`).
    pub fn inject(&self, path: &str, status: u16, body: &str, delay: Duration) {
        let canned = Canned { status, body: body.to_string(), delay };
        self.shared.lock().canned.entry(path.to_string()).or_default().push_back(canned);
    }
    /// Make every token issued so far invalid (Daraja answers 401 until a new one is fetched).
    pub fn expire_tokens(&self) {
        self.shared.lock().tokens.clear();
    }
    pub fn token_requests(&self) -> usize {
        self.shared.lock().token_requests
    }
    pub fn stk_requests(&self) -> Vec<StkRecord> {
        self.shared.lock().stk_requests.clone()
    }
    pub fn query_count(&self) -> usize {
        self.shared.lock().queries
    }
    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.shared.lock().callbacks.clone()
    }
    /// Wait until at least `n` callbacks were made (or `timeout` passes); returns all of them.
    pub fn wait_callbacks(&self, n: usize, timeout: Duration) -> Vec<CallbackRecord> {
        let until = Instant::now() + timeout;
        while self.shared.lock().callbacks.len() < n && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.callbacks()
    }
    /// A customer pays at the counter: Pay Bill to [`C2B_SHORTCODE`] or Buy Goods to [`STORE`].
    pub fn c2b_pay(&self, kind: C2bPayKind, msisdn: &str, amount: u64, bill_ref: &str) -> C2bOutcome {
        let shortcode = if kind == C2bPayKind::PayBill { C2B_SHORTCODE } else { STORE };
        let (tx, rx) = std::sync::mpsc::channel();
        let (shared, sc, phone, bill) =
            (self.shared.clone(), shortcode.to_string(), msisdn.to_string(), bill_ref.to_string());
        self.rt.spawn(async move {
            let _ = tx.send(endpoints::c2b_run(shared, sc, kind, phone, amount, bill).await);
        });
        rx.recv_timeout(Duration::from_secs(15)).unwrap_or((None, None))
    }
}

impl Drop for DarajaSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
