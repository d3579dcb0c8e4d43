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
    let got = hook.wait(Duration::from_secs(15), |g| g.len() >= 5);
    let events: Vec<&str> = got.iter().map(|r| r.headers["lango-event"].as_str()).collect();
    assert_eq!(events[2..], ["service.suspended", "service.activated", "voucher.redeemed"], "{events:?}");
    assert!(got.iter().all(|r| verify(&secret, r)));
    let redeemed: serde_json::Value = serde_json::from_str(&got[4].body).unwrap();
    assert_eq!(redeemed["data"]["username"], code.as_str());
    assert!(redeemed["data"].get("password").is_none_or(|p| p.as_array().is_some_and(|a| a.is_empty())), "no password");

    let log = lango_ok(&data, &["webhook", "log", "--tenant", "demo"]);
    assert!(log.contains("retry in 10 s") && log.contains("delivered"), "{log}");
    assert_eq!(log.lines().filter(|l| l.ends_with("delivered")).count(), 4, "{log}");
}
