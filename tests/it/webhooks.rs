//! Webhooks against the real binary: events from real changes (a cash
//! payment, a suspension, a renewal, a voucher's first use) reach an HTTP
//! endpoint signed with HMAC-SHA256; a 500 is retried after the backoff
//! with the same event id; the log shows every attempt.

use std::time::Duration;

use crate::harness::*;
use crate::support::receiver::{Received, Receiver};

#[allow(clippy::disallowed_methods)] // the server's manual clock starts at real time
fn real_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn verify(secret: &str, r: &Received) -> bool {
    let sig = &r.headers["lango-signature"];
    let (t, v1) = sig.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let tag: Vec<u8> = (0..v1.len() / 2).filter_map(|i| u8::from_str_radix(&v1[2 * i..2 * i + 2], 16).ok()).collect();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::verify(&key, format!("{t}.{}", r.body).as_bytes(), &tag).is_ok()
}

#[test]
fn events_are_signed_delivered_and_retried() {
    let hook = Receiver::start(&[500]);
    let data = temp_dir("webhooks");
    let now = real_now().to_string();
    let s = Server::start_env(&data, &["--demo", "--test-clock", &now], &[("LANGO_JOBS_TICK_SECS", "1")]);
    let url = format!("http://{}/lango", hook.addr);
    // The first scheduler round notes the demo's expired service; an
    // endpoint added after it starts past that event.
    crate::billing::eventually("the first scheduler round", Duration::from_secs(15), || {
        s.log().contains("scheduler round")
    });
    let added = lango_ok(&data, &["webhook", "add", "--tenant", "demo", "--url", &url]);
    let secret = added.lines().find_map(|l| l.strip_prefix("secret ")).unwrap().trim().to_string();
    let bad = lango(&data, &["webhook", "add", "--tenant", "demo", "--url", &url, "--events", "payment.made"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown event \"payment.made\""));

    let alice = lango_ok(&data, &["customer", "list", "--tenant", "demo"])
        .lines()
        .find(|l| l.contains("Alice"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    lango_ok(
        &data,
        &[
            "wallet",
            "post",
            "--tenant",
            "demo",
            "--customer",
            &alice,
            "--kind",
            "payment",
            "--amount",
            "1500",
            "--reason",
            "cash",
        ],
    );
    // The first attempt gets 500.
    let got = hook.wait(Duration::from_secs(10), |g| !g.is_empty());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].answered, 500);
    let first_id = got[0].headers["lango-delivery"].clone();
    assert_eq!(got[0].headers["lango-event"], "payment.received");
    assert!(verify(&secret, &got[0]), "signature: {:?}", got[0].headers);
    assert!(!verify("whsec_wrong", &got[0]));
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["event"], "payment.received");
    assert_eq!(body["data"]["amount"], 150000, "{body}");

    // After the backoff it comes again with the same id, and is delivered.
    lango_ok(&data, &["clock-advance", "11"]);
    let got = hook.wait(Duration::from_secs(10), |g| g.len() >= 2);
    assert_eq!(got[1].headers["lango-delivery"], first_id, "same event id on retry");
    assert_eq!(got[1].answered, 200);

    // Suspend, resume, a voucher's first use.
    lango_ok(&data, &["service", "suspend", "--tenant", "demo", "demo-pppoe"]);
    lango_ok(&data, &["service", "resume", "--tenant", "demo", "demo-pppoe"]);
    let (batch, _) = {
        let out =
            lango_ok(&data, &["voucher", "batch", "--tenant", "demo", "--plan", "Hotspot 1 hour 1 GB", "--count", "1"]);
        (out.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string(), out)
    };
    let code = lango_ok(&data, &["voucher", "list", "--tenant", "demo", &batch])
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let start =
        format!("User-Name={code},Acct-Status-Type=Start,Acct-Session-Id=v-1,Calling-Station-Id=AA-BB-CC-DD-EE-09");
    assert!(radclient(s.acct, "acct", DEMO_SECRET, &start).is("Accounting-Response"));
    let stop = format!(
        "User-Name={code},Acct-Status-Type=Stop,Acct-Session-Id=v-1,Acct-Session-Time=60,Acct-Output-Octets=1000"
    );
    assert!(radclient(s.acct, "acct", DEMO_SECRET, &stop).is("Accounting-Response"));
    // Expired: the scheduler notices within a round.
    lango_ok(&data, &["service", "renew", "--tenant", "demo", "demo-pppoe", "--expires", "2020-01-01"]);

    let want = [
        "service.suspended",
        "service.activated",
        "voucher.redeemed",
        "session.started",
        "session.stopped",
        "service.expired",
    ];
    let events = |g: &[Received]| g.iter().map(|r| r.headers["lango-event"].clone()).collect::<Vec<_>>();
    // Each in this order (another service's expiry may come in between).
    let in_order = |ev: &[String]| {
        let mut it = ev.iter().skip(2);
        want.iter().all(|w| it.any(|e| e == w))
    };
    let got = hook.wait(Duration::from_secs(20), |g| in_order(&events(g)));
    assert!(in_order(&events(&got)), "{:?}", events(&got));
    assert!(got.iter().all(|r| verify(&secret, r)));
    let body = |name: &str| -> serde_json::Value {
        serde_json::from_str(&got.iter().find(|r| r.headers["lango-event"] == name).unwrap().body).unwrap()
    };
    let redeemed = body("voucher.redeemed");
    assert_eq!(redeemed["data"]["username"], code.as_str());
    assert!(redeemed["data"].get("password").is_none_or(|p| p.as_array().is_some_and(|a| a.is_empty())), "no password");
    assert_eq!(body("session.stopped")["data"]["counters"]["bytes_out"], 1000);
    let expired: Vec<serde_json::Value> = got
        .iter()
        .filter(|r| r.headers["lango-event"] == "service.expired")
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert!(expired.iter().any(|e| e["data"]["username"] == "demo-pppoe"), "{expired:?}");

    // Every answered request is in the log (written after the answer).
    crate::billing::eventually("the delivery log", Duration::from_secs(10), || {
        let log = lango_ok(&data, &["webhook", "log", "--tenant", "demo"]);
        let delivered = log.lines().filter(|l| l.ends_with("delivered")).count();
        log.contains("retry in 10 s") && delivered + 1 >= hook.received().len()
    });
}
