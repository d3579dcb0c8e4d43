//! Money against the real binary, with a Daraja simulator and a NAS
//! simulator as peers: an expired PPPoE customer pays by STK Push and is
//! reconnected with the full plan (callback, or the reconciler when the
//! callback is lost); duplicate and forged callbacks; kill -9 during a
//! callback burst; FUP by CoA; disconnect at expiry; vouchers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::harness::*;
use crate::support::daraja::{self, DarajaSim, Outcome};
use crate::support::nas::NasSim;

pub(crate) const DISCONNECT: u8 = 40;
pub(crate) const COA: u8 = 43;

pub(crate) struct Rig {
    pub(crate) server: Server,
    pub(crate) daraja: DarajaSim,
    pub(crate) nas: NasSim,
    pub(crate) token: String,
}

#[allow(clippy::disallowed_methods)] // the simulator checks Nairobi time against the real clock
pub(crate) fn real_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn serve(data: &std::path::Path) -> Server {
    serve_at(data, real_now())
}

fn serve_at(data: &std::path::Path, clock: i64) -> Server {
    let now = clock.to_string();
    let env = [("LANGO_JOBS_TICK_SECS", "1"), ("LANGO_JOBS_COA_TIMEOUTS", "[1, 1]")];
    Server::start_env(data, &["--demo", "--test-clock", &now], &env)
}

pub(crate) fn rig(name: &str) -> Rig {
    rig_at(name, 0)
}

/// A rig whose server clock starts `offset` seconds from real time (the NAS
/// simulator, like RouterOS, refuses an Event-Timestamp far from its own
/// time, so a test that jumps days starts in the past).
pub(crate) fn rig_at(name: &str, offset: i64) -> Rig {
    let daraja = DarajaSim::start();
    let nas = NasSim::start(DEMO_SECRET.as_bytes());
    let data = temp_dir(name);
    let server = serve_at(&data, real_now() + offset);
    let out = mpesa_setup(&data, &daraja.base_url(), &["--shortcode", daraja::SHORTCODE]);
    let token = out.split("/pay/").nth(1).and_then(|s| s.split('/').next()).expect("callback URL").to_string();
    let list = lango_ok(&data, &["nas", "list", "--tenant", "demo"]);
    let nas_id = list.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    lango_ok(&data, &["nas", "coa-port", "--tenant", "demo", &nas_id, &nas.addr().port().to_string()]);
    Rig { server, daraja, nas, token }
}

/// `lango mpesa setup` with the simulator's credentials.
pub(crate) fn mpesa_setup(data: &std::path::Path, env: &str, extra: &[&str]) -> String {
    let mut args = vec!["mpesa", "setup", "--tenant", "demo", "--env", env];
    args.extend(["--consumer-key", daraja::CONSUMER_KEY, "--consumer-secret", daraja::CONSUMER_SECRET]);
    args.extend(["--passkey", daraja::PASSKEY]);
    args.extend(extra);
    lango_ok(data, &args)
}

impl Rig {
    pub(crate) fn cli(&self, args: &[&str]) -> String {
        lango_ok(&self.server.data, args)
    }

    pub(crate) fn start_session(&self, user: &str, session: &str, ip: &str, extra: &str) {
        let r = radclient(
            self.server.acct,
            "acct",
            DEMO_SECRET,
            &format!("User-Name={user},Acct-Status-Type=Start,Acct-Session-Id={session},Framed-IP-Address={ip}{extra}"),
        );
        assert!(r.is("Accounting-Response"), "{}", r.raw);
        self.nas.add_session(user, session, Some(ip.parse().unwrap()));
        // The fold may trail the Accounting-Response under load; what a
        // test does next (suspend, expire, look up) needs the session.
        let key = format!("\"acct_session_id\":\"{session}\"");
        eventually("the session to be folded", Duration::from_secs(10), || {
            self.cli(&["sessions", "--tenant", "demo", "--json"]).contains(&key)
        });
    }

    /// The NAS simulator got a valid request of `code` for `session`.
    pub(crate) fn nas_got(&self, code: u8, session: &str, within: Duration) -> bool {
        self.nas.wait_for(
            |reqs| {
                reqs.iter().any(|r| {
                    r.code == code && r.valid && r.attributes.iter().any(|(t, v)| *t == 44 && v == session.as_bytes())
                })
            },
            within,
        )
    }

    /// A new customer `name` with one service on `plan`.
    /// `lango plan add` for the demo tenant.
    pub(crate) fn plan(&self, name: &str, extra: &[&str]) {
        let mut args = vec!["plan", "add", "--tenant", "demo", "--name", name];
        args.extend(extra);
        self.cli(&args);
    }

    /// `lango voucher batch` of the demo hotspot plan; returns the batch id
    /// and what the command printed.
    pub(crate) fn voucher_batch(&self, count: &str, extra: &[&str]) -> (String, String) {
        let mut args = vec!["voucher", "batch", "--tenant", "demo", "--plan", "Hotspot 1 hour 1 GB", "--count", count];
        args.extend(extra);
        let out = self.cli(&args);
        (out.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string(), out)
    }

    /// A new customer; returns its id.
    pub(crate) fn customer(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["customer", "add", "--tenant", "demo", "--name", name];
        args.extend(extra);
        let out = self.cli(&args);
        out.split("(id ").nth(1).unwrap().trim_end().trim_end_matches(')').to_string()
    }

    pub(crate) fn service(&self, name: &str, plan: &str, user: &str, pass: &str, extra: &[&str]) {
        let c = self.customer(name, &[]);
        let mut args = vec!["service", "add", "--tenant", "demo", "--customer", &c, "--plan", plan];
        args.extend(["--username", user, "--password", pass]);
        args.extend(extra);
        self.cli(&args);
    }

    /// The session's Stop, as the NAS sends it after a Disconnect.
    pub(crate) fn stop_session(&self, user: &str, session: &str, extra: &str) {
        let stop =
            format!("User-Name={user},Acct-Status-Type=Stop,Acct-Session-Id={session},Acct-Session-Time=60{extra}");
        assert!(radclient(self.server.acct, "acct", DEMO_SECRET, &stop).is("Accounting-Response"));
    }

    pub(crate) fn payments(&self) -> Vec<String> {
        self.cli(&["pay", "list", "--tenant", "demo"]).lines().map(str::to_string).collect()
    }
}

pub(crate) fn pppoe_auth(r: &Rig, user: &str, pass: &str) -> Reply {
    radclient(
        r.server.auth,
        "auth",
        DEMO_SECRET,
        &format!("User-Name={user},User-Password={pass},Framed-Protocol=PPP,Message-Authenticator=0x00"),
    )
}

pub(crate) fn eventually(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn http_post(addr: SocketAddr, path: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn checkout_of(out: &str) -> String {
    out.lines().find_map(|l| l.strip_prefix("checkout ")).expect("checkout id").trim().to_string()
}

/// The whole story: captive → STK Push → callback confirmed by our query →
/// payment → renewal → Disconnect at the NAS → full plan at the next login.
#[test]
fn expired_customer_pays_and_is_reconnected() {
    let r = rig("story");
    let captive = pppoe_auth(&r, "demo-expired", "demo-pass");
    assert!(captive.is("Access-Accept"), "{}", captive.raw);
    assert_eq!(captive.get("Mikrotik-Address-List"), Some("lango-expired"), "{}", captive.raw);
    r.start_session("demo-expired", "story-1", "10.0.0.5", "");

    let out = r.cli(&["pay", "stk", "--tenant", "demo", "--service", "demo-expired", "--phone", "0712345678"]);
    assert!(out.contains("STK Push sent to 254712345678"), "{out}");
    assert!(r.nas_got(DISCONNECT, "story-1", Duration::from_secs(15)), "no Disconnect; log:\n{}", r.server.log());
    // As RouterOS does after a Disconnect: the session's Stop.
    r.stop_session("demo-expired", "story-1", "");

    let full = pppoe_auth(&r, "demo-expired", "demo-pass");
    assert!(full.is("Access-Accept"), "{}", full.raw);
    assert_ne!(full.get("Mikrotik-Address-List"), Some("lango-expired"), "{}", full.raw);
    assert_eq!(full.get("Mikrotik-Rate-Limit"), Some("10M/10M 20M/20M 8M/8M 10/10"), "{}", full.raw);

    let payments = r.payments();
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert!(payments[0].contains("mpesa-stk") && payments[0].contains("KES 1,500.00"), "{payments:?}");
    let docs = r.cli(&["invoice", "list", "--tenant", "demo"]);
    assert!(docs.contains("RCT-") && docs.contains("Receipt"), "{docs}");
    let number = docs.split_whitespace().next().unwrap();
    let pdf = r.server.data.join("receipt.pdf");
    r.cli(&["invoice", "print", "--tenant", "demo", number, "--pdf", pdf.to_str().unwrap()]);
    let text = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(number) && text.contains("1,500.00"), "{text}");
}

/// The callback never arrives: the reconciler's status query completes the
/// same story one scheduler round after `reconcile_after_secs`.
#[test]
fn lost_callback_is_reconciled() {
    let r = rig("lost");
    r.daraja.set_outcome(Outcome::NoCallback);
    r.start_session("demo-expired", "lost-1", "10.0.0.6", "");
    let out = r.cli(&["pay", "stk", "--tenant", "demo", "--service", "demo-expired", "--phone", "0712345679"]);
    let checkout = checkout_of(&out);
    std::thread::sleep(Duration::from_millis(600));
    assert!(r.payments().is_empty(), "nothing is credited before M-Pesa confirms");
    r.cli(&["clock-advance", "120"]);
    assert!(r.nas_got(DISCONNECT, "lost-1", Duration::from_secs(15)), "log:\n{}", r.server.log());
    let status = r.cli(&["pay", "status", "--tenant", "demo", &checkout]);
    assert!(status.starts_with("paid"), "{status}");
    assert!(r.daraja.callbacks().is_empty());
}

/// Ten concurrent copies of one callback credit once; forged callbacks
/// (unknown CheckoutRequestID, wrong amount) credit nothing and get a 4xx.
#[test]
fn duplicate_and_forged_callbacks() {
    let r = rig("dup");
    r.daraja.set_outcome(Outcome::Duplicate(10));
    r.cli(&["pay", "stk", "--tenant", "demo", "--service", "demo-pppoe", "--phone", "0712000001", "--topup", "100"]);
    let cbs = r.daraja.wait_callbacks(10, Duration::from_secs(10));
    assert_eq!(cbs.len(), 10);
    assert!(cbs.iter().all(|c| c.status == Some(200)), "{:?}", cbs.iter().map(|c| c.status).collect::<Vec<_>>());
    assert_eq!(r.payments().len(), 1, "{:?}", r.payments());

    r.daraja.set_outcome(Outcome::NoCallback);
    let out =
        r.cli(&["pay", "stk", "--tenant", "demo", "--service", "demo-pppoe", "--phone", "0712000002", "--topup", "50"]);
    let pending = checkout_of(&out);
    let forged = |checkout: &str, amount: &str| {
        format!(
            r#"{{"Body":{{"stkCallback":{{"MerchantRequestID":"1-2-3","CheckoutRequestID":"{checkout}","ResultCode":0,"ResultDesc":"ok","CallbackMetadata":{{"Item":[{{"Name":"Amount","Value":{amount}}},{{"Name":"MpesaReceiptNumber","Value":"FORGED0001"}},{{"Name":"PhoneNumber","Value":254712000002}}]}}}}}}}}"#
        )
    };
    let path = format!("/pay/{}/stk", r.token);
    assert_eq!(http_post(r.server.http, &path, &forged("ws_CO_000000000000000000", "50.00")), 404);
    assert_eq!(http_post(r.server.http, &path, &forged(&pending, "1.00")), 400);
    assert_eq!(http_post(r.server.http, &path, "{not json"), 400);
    assert_eq!(http_post(r.server.http, "/pay/wrong-token/stk", &forged(&pending, "50.00")), 404);
    let status = r.cli(&["pay", "status", "--tenant", "demo", &pending]);
    assert!(status.starts_with("disputed"), "{status}");
    assert_eq!(r.payments().len(), 1, "forged callbacks credited something: {:?}", r.payments());
    let wallet = r.cli(&["wallet", "show", "--tenant", "demo", "--customer", "1"]);
    assert!(wallet.lines().filter(|l| l.starts_with("Payment")).count() <= 1, "{wallet}");
}

/// kill -9 while callbacks arrive: every callback answered 200 is credited
/// after the restart, and the reconciler finishes the rest.
#[test]
fn kill9_during_callback_burst_loses_no_acknowledged_payment() {
    let mut r = rig("kill9");
    r.daraja.set_callback_delay(Duration::from_millis(300));
    let n = 12;
    let mut checkouts = Vec::new();
    for i in 0..n {
        let phone = format!("07120100{i:02}");
        let out =
            r.cli(&["pay", "stk", "--tenant", "demo", "--service", "demo-pppoe", "--phone", &phone, "--topup", "10"]);
        checkouts.push(checkout_of(&out));
    }
    r.server.kill9();
    std::thread::sleep(Duration::from_millis(800));
    let acked: Vec<String> = r
        .daraja
        .callbacks()
        .iter()
        .filter(|c| c.status == Some(200))
        .map(|c| c.body["Body"]["stkCallback"]["CheckoutRequestID"].as_str().unwrap().to_string())
        .collect();
    r.server = serve(&r.server.data.clone());
    for c in &acked {
        let status = r.cli(&["pay", "status", "--tenant", "demo", c]);
        assert!(status.starts_with("paid"), "acknowledged {c} lost: {status}");
    }
    r.cli(&["clock-advance", "120"]);
    eventually("the reconciler to settle every push", Duration::from_secs(20), || {
        checkouts.iter().all(|c| r.cli(&["pay", "status", "--tenant", "demo", c]).starts_with("paid"))
    });
    assert_eq!(r.payments().len(), n, "{:?}", r.payments());
    eprintln!("{} of {n} callbacks were acknowledged before kill -9", acked.len());
}

/// Crossing the plan's Fair Usage threshold in an interim update lowers the
/// session's rate by CoA, without disconnecting.
#[test]
fn fup_threshold_changes_rate_by_coa() {
    let r = rig("fup");
    r.plan("FUP 10M", &["--validity", "30d", "--price", "1000", "--rate", "10M/10M", "--fup", "1000 2M/2M"]);
    r.service("Fair User", "FUP 10M", "fup-user", "fup-pass", &[]);
    r.start_session("fup-user", "fup-1", "10.0.0.7", "");
    let interim = radclient(
        r.server.acct,
        "acct",
        DEMO_SECRET,
        "User-Name=fup-user,Acct-Status-Type=Interim-Update,Acct-Session-Id=fup-1,Acct-Input-Octets=800,Acct-Output-Octets=400,Acct-Session-Time=60",
    );
    assert!(interim.is("Accounting-Response"), "{}", interim.raw);
    assert!(r.nas_got(COA, "fup-1", Duration::from_secs(10)), "no CoA; log:\n{}", r.server.log());
    let coa = r.nas.requests().into_iter().find(|q| q.code == COA).unwrap();
    assert!(coa.vsas.iter().any(|(v, t, val)| *v == 14988 && *t == 8 && val == b"2M/2M"), "{:?}", coa.vsas);
    assert!(!r.nas.requests().iter().any(|q| q.code == DISCONNECT), "FUP must not disconnect");
    r.stop_session("fup-user", "fup-1", ",Acct-Input-Octets=800,Acct-Output-Octets=400");
    let again = pppoe_auth(&r, "fup-user", "fup-pass");
    assert_eq!(again.get("Mikrotik-Rate-Limit"), Some("2M/2M"), "{}", again.raw);
}

/// A session of a service that expires is disconnected within one
/// scheduler round.
#[test]
fn expiry_disconnects_within_a_tick() {
    let r = rig("expiry");
    r.service("Short Stay", "Home 10M", "short", "short-pass", &["--expires", "60s"]);
    r.start_session("short", "exp-1", "10.0.0.8", "");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!r.nas.requests().iter().any(|q| q.code == DISCONNECT), "disconnected before expiry");
    r.cli(&["clock-advance", "61"]);
    assert!(r.nas_got(DISCONNECT, "exp-1", Duration::from_secs(5)), "log:\n{}", r.server.log());

    // Suspension disconnects at once, without waiting for a round.
    r.start_session("demo-pppoe", "susp-1", "10.0.0.9", "");
    r.cli(&["service", "suspend", "--tenant", "demo", "demo-pppoe"]);
    assert!(r.nas_got(DISCONNECT, "susp-1", Duration::from_secs(5)), "log:\n{}", r.server.log());
}

/// 10,000 vouchers in one batch, printed to PDF, one redeemed on a device
/// and refused on another.
#[test]
fn voucher_batch_prints_and_redeems_once() {
    let r = rig("vouchers");
    let (batch, out) = r.voucher_batch("10000", &["--prefix", "HS-", "--length", "8"]);
    assert!(out.contains("10000 vouchers"), "{out}");
    eprintln!("{out}");
    let list = r.cli(&["voucher", "list", "--tenant", "demo", &batch]);
    let codes: Vec<&str> = list.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(codes.len(), 10_000);
    assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10_000, "duplicate codes");

    let (small_id, _) = r.voucher_batch("30", &["--prefix", "P-"]);
    let pdf = r.server.data.join("cards.pdf");
    r.cli(&["voucher", "print", "--tenant", "demo", &small_id, "--pdf", pdf.to_str().unwrap()]);
    let check =
        std::process::Command::new("qpdf").arg("--check").arg(&pdf).output().expect("qpdf (apt-get install qpdf)");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));

    let code = codes[0];
    let login = |mac: &str| {
        radclient(
            r.server.auth,
            "auth",
            DEMO_SECRET,
            &format!(
                "User-Name={code},User-Password={code},Service-Type=Login-User,Calling-Station-Id={mac},Message-Authenticator=0x00"
            ),
        )
    };
    let first = login("AA-BB-CC-DD-EE-01");
    assert!(first.is("Access-Accept"), "{}", first.raw);
    r.start_session(code, "v-1", "10.5.0.2", ",Calling-Station-Id=AA-BB-CC-DD-EE-01");
    eventually("the voucher to bind to its device", Duration::from_secs(5), || {
        r.cli(&["voucher", "list", "--tenant", "demo", &batch]).contains("AA:BB:CC:DD:EE:01")
    });
    let other = login("AA-BB-CC-DD-EE-02");
    assert!(other.is("Access-Reject"), "{}", other.raw);
    assert_eq!(other.get("Reply-Message"), Some("This voucher is in use on another device"));
    r.stop_session(code, "v-1", "");
    let back = login("AA-BB-CC-DD-EE-01");
    assert!(back.is("Access-Accept"), "the first device may come back: {}", back.raw);
}
