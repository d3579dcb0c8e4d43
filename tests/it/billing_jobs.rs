//! More of the billing issue against the real binary: C2B Paybill and Buy
//! Goods (matched, unmatched and assigned), Daraja unreachable at push time,
//! the voucher-guessing guard, kick-oldest, stale sessions, and postpaid
//! invoicing with suspension when overdue and resumption on payment.

use std::time::Duration;

use crate::billing::{DISCONNECT, eventually, mpesa_setup, pppoe_auth, rig, rig_at};
use crate::harness::*;
use crate::support::daraja::{self, C2bPayKind};

/// C2B: a Paybill payment with a service's username as account renews it; one
/// with an unknown account is parked until an admin assigns it; a Buy Goods
/// payment is matched to a customer by phone. Each gets a receipt.
#[test]
fn c2b_paybill_and_buy_goods() {
    let r = rig("c2b");
    let base = r.daraja.base_url();
    mpesa_setup(&r.server.data, &base, &["--shortcode", daraja::C2B_SHORTCODE]);
    let out = r.cli(&["mpesa", "register-c2b", "--tenant", "demo"]);
    assert!(out.contains("/c2b/confirmation"), "{out}");

    let (validation, confirmed) = r.daraja.c2b_pay(C2bPayKind::PayBill, "254712345678", 1500, "demo-expired");
    assert_eq!(validation.as_ref().and_then(|v| v["ResultCode"].as_str()), Some("0"), "{validation:?}");
    assert_eq!(confirmed, Some(200));
    let full = pppoe_auth(&r, "demo-expired", "demo-pass");
    assert_eq!(full.get("Mikrotik-Rate-Limit"), Some("10M/10M 20M/20M 8M/8M 10/10"), "renewed: {}", full.raw);
    assert!(r.payments().iter().any(|l| l.contains("mpesa-c2b") && l.contains("KES 1,500.00")), "{:?}", r.payments());

    let (_, confirmed) = r.daraja.c2b_pay(C2bPayKind::PayBill, "254700000001", 200, "nobody-here");
    assert_eq!(confirmed, Some(200), "the money moved: we take it and park it");
    let unmatched = r.cli(&["pay", "list", "--tenant", "demo", "--unmatched"]);
    assert_eq!(unmatched.lines().count(), 1, "{unmatched}");
    let payment = unmatched.split_whitespace().next().unwrap().to_string();
    let owner = r.customer("Walk-in Payer", &[]);
    r.cli(&["pay", "assign", "--tenant", "demo", &payment, "--customer", &owner]);
    let wallet = r.cli(&["wallet", "show", "--tenant", "demo", "--customer", &owner]);
    assert!(wallet.starts_with("balance KES 200.00"), "{wallet}");
    assert!(r.cli(&["pay", "list", "--tenant", "demo", "--unmatched"]).is_empty());

    mpesa_setup(&r.server.data, &base, &["--shortcode", daraja::STORE, "--till", daraja::TILL]);
    r.cli(&["mpesa", "register-c2b", "--tenant", "demo"]);
    let shopper = r.customer("Till Shopper", &["--phone", "0711 222 333"]);
    let (_, confirmed) = r.daraja.c2b_pay(C2bPayKind::BuyGoods, "254711222333", 300, "");
    assert_eq!(confirmed, Some(200));
    let wallet = r.cli(&["wallet", "show", "--tenant", "demo", "--customer", &shopper]);
    assert!(wallet.starts_with("balance KES 300.00"), "{wallet}");

    let receipts = r.cli(&["invoice", "list", "--tenant", "demo"]);
    assert_eq!(receipts.lines().filter(|l| l.contains("Receipt")).count(), 3, "one receipt per payment:\n{receipts}");
}

/// Daraja unreachable: the customer gets a plain retry message and nothing
/// is recorded as paid.
#[test]
fn daraja_unreachable_is_a_plain_failure() {
    let r = rig("unreachable");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    mpesa_setup(&r.server.data, &format!("http://{closed}"), &["--shortcode", daraja::SHORTCODE]);
    let out = lango(
        &r.server.data,
        &["pay", "stk", "--tenant", "demo", "--service", "demo-expired", "--phone", "0712345678"],
    );
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("M-Pesa is not responding right now. Please try again in a minute."), "{text}");
    assert!(r.payments().is_empty());
}

/// Five wrong codes from a device lock that device and its address out,
/// even with a good code, until the block ends; other devices are not hurt.
#[test]
fn voucher_guessing_is_refused() {
    let r = rig("guess");
    let login = |code: &str, mac: &str, ip: &str| {
        let attrs = format!(
            "User-Name={code},User-Password={code},Service-Type=Login-User,Calling-Station-Id={mac},Framed-IP-Address={ip},Message-Authenticator=0x00"
        );
        radclient(r.server.auth, "auth", DEMO_SECRET, &attrs)
    };
    for guess in ["AAAAAAAA", "BBBBBBBB", "CCCCCCCC", "DDDDDDDD", "EEEEEEEE"] {
        let reply = login(guess, "02-00-00-00-00-01", "10.5.0.9");
        assert_eq!(reply.get("Reply-Message"), Some("Invalid username or password"), "{}", reply.raw);
    }
    let locked = login("DEMO-VOUCHER", "02-00-00-00-00-01", "10.5.0.9");
    assert!(locked.is("Access-Reject"), "{}", locked.raw);
    assert!(locked.get("Reply-Message").is_some_and(|m| m.starts_with("Too many wrong codes")), "{}", locked.raw);
    let same_address = login("DEMO-VOUCHER", "02-00-00-00-00-02", "10.5.0.9");
    assert!(same_address.is("Access-Reject"), "the address is locked too: {}", same_address.raw);
    assert!(login("DEMO-VOUCHER", "02-00-00-00-00-03", "10.5.0.10").is("Access-Accept"));
    assert!(r.server.counter("access_rejects_guessing") >= 2);
    r.cli(&["clock-advance", "601"]);
    assert!(login("DEMO-VOUCHER", "02-00-00-00-00-01", "10.5.0.9").is("Access-Accept"), "the block ends");
}

/// A plan that kicks the oldest session at its limit lets the new login in
/// and disconnects the old session.
#[test]
fn kick_oldest_at_the_simultaneous_use_limit() {
    let r = rig("kick");
    r.plan("Kick", &["--validity", "30d", "--simultaneous-use", "1", "--kick-oldest"]);
    r.service("Kicker", "Kick", "kicker", "kick-pass", &[]);
    r.start_session("kicker", "k-1", "10.0.1.1", "");
    eventually("k-1 online", Duration::from_secs(5), || pppoe_auth(&r, "kicker", "kick-pass").is("Access-Accept"));
    r.start_session("kicker", "k-2", "10.0.1.2", "");
    assert!(r.nas_got(DISCONNECT, "k-1", Duration::from_secs(10)), "log:\n{}", r.server.log());
    assert!(!r.nas_got(DISCONNECT, "k-2", Duration::from_millis(300)), "the newest stays");
}

/// A session with no accounting for two interim intervals plus the margin
/// is closed as stale (Acct-Terminate-Cause 3, Lost-Service).
#[test]
fn stale_sessions_are_closed() {
    let r = rig("stale");
    r.cli(&["plan", "add", "--tenant", "demo", "--name", "Chatty", "--validity", "30d", "--interim", "60"]);
    r.service("Quiet", "Chatty", "quiet", "quiet-pass", &[]);
    r.start_session("quiet", "st-1", "10.0.2.1", "");
    let online = || r.cli(&["sessions", "--tenant", "demo", "--json"]).contains("st-1");
    eventually("st-1 online", Duration::from_secs(5), online);
    r.cli(&["clock-advance", "200"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(online(), "2 × 60 s + 120 s margin has not passed yet");
    r.cli(&["clock-advance", "60"]);
    eventually("st-1 closed", Duration::from_secs(5), || !online());
    let history = r.cli(&["sessions", "--tenant", "demo", "--history", "--json"]);
    let closed = history.lines().find(|l| l.contains("st-1")).expect("st-1 in history");
    assert!(closed.contains("\"terminate_cause\":3"), "{closed}");
}

/// Postpaid: the period end issues an invoice charged to the wallet; once it
/// is overdue the service is suspended (and disconnected); paying resumes it.
#[test]
fn postpaid_invoice_overdue_suspension_and_resumption() {
    // The clock jumps 61 s and then 8 days: start that far in the past.
    let r = rig_at("postpaid", -(61 + 8 * 86_400));
    r.plan("Biz 20M", &["--validity", "30d", "--price", "5000", "--rate", "20M/20M", "--postpaid-due-days", "7"]);
    r.service("Biz Ltd", "Biz 20M", "biz", "biz-pass", &["--expires", "60s"]);
    let customer = r.cli(&["customer", "list", "--tenant", "demo"]);
    let id =
        customer.lines().find(|l| l.contains("Biz Ltd")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    r.start_session("biz", "biz-1", "10.0.3.1", "");

    r.cli(&["clock-advance", "61"]);
    eventually("the period's invoice", Duration::from_secs(5), || {
        r.cli(&["invoice", "list", "--tenant", "demo"]).lines().any(|l| l.contains("Invoice") && l.contains("open"))
    });
    let wallet = r.cli(&["wallet", "show", "--tenant", "demo", "--customer", &id]);
    assert!(wallet.starts_with("balance -KES 5,000.00"), "{wallet}");
    assert!(!r.nas_got(DISCONNECT, "biz-1", Duration::from_millis(1500)), "not overdue yet");

    r.cli(&["clock-advance", &(8 * 86_400).to_string()]);
    assert!(r.nas_got(DISCONNECT, "biz-1", Duration::from_secs(10)), "log:\n{}", r.server.log());
    let held = pppoe_auth(&r, "biz", "biz-pass");
    assert_eq!(held.get("Mikrotik-Address-List"), Some("lango-suspended"), "{}", held.raw);

    r.cli(&[
        "wallet",
        "post",
        "--tenant",
        "demo",
        "--customer",
        &id,
        "--kind",
        "payment",
        "--amount",
        "5000",
        "--reason",
        "bank transfer",
    ]);
    let back = pppoe_auth(&r, "biz", "biz-pass");
    assert_eq!(back.get("Mikrotik-Rate-Limit"), Some("20M/20M"), "resumed: {}", back.raw);
    let docs = r.cli(&["invoice", "list", "--tenant", "demo"]);
    assert!(docs.lines().any(|l| l.contains("Invoice") && l.contains("paid")), "{docs}");
}

/// A batch sold for a fixed date works from that date only, with no
/// first-use clock: the period is fixed when the batch is made.
#[test]
fn fixed_date_vouchers() {
    let r = rig("fixed");
    let (batch, _) = r.voucher_batch("2", &["--starts", "2d"]);
    let list = r.cli(&["voucher", "list", "--tenant", "demo", &batch]);
    assert!(list.lines().all(|l| l.contains("valid ") && l.contains(" to ")), "period fixed at creation: {list}");
    let code = list.split_whitespace().next().unwrap().to_string();
    let login = || {
        let attrs = format!("User-Name={code},User-Password={code},Service-Type=Login-User,Message-Authenticator=0x00");
        radclient(r.server.auth, "auth", DEMO_SECRET, &attrs)
    };
    let early = login();
    assert_eq!(early.get("Reply-Message"), Some("This voucher is not valid yet"), "{}", early.raw);
    r.cli(&["clock-advance", &(2 * 86_400 + 1).to_string()]);
    let on_the_day = login();
    assert!(on_the_day.is("Access-Accept"), "{}", on_the_day.raw);
    let timeout: u64 = on_the_day.get("Session-Timeout").unwrap().parse().unwrap();
    assert!(timeout <= 3600, "ends one plan period after the start date: {timeout}");

    // Printed through the running server, a relative --pdf lands where the
    // command was typed, not in the server's working directory.
    let here = temp_dir("print-here");
    let out = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .current_dir(&here)
        .arg("--data")
        .arg(&r.server.data)
        .args(["voucher", "print", "--tenant", "demo", &batch, "--pdf", "cards.pdf"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(here.join("cards.pdf").exists());
}
