//! What the server must refuse: missing or wrong Message-Authenticator,
//! unknown clients, malformed packets, bad config; and the duplicate-reply
//! cache answering retransmissions without re-running policy.

use crate::harness::*;
use lango::radius::codec::{self, Builder, Code, Packet};
use lango::radius::crypto;
use lango::radius::dict::attr;

fn pap_request(secret: &str, user: &str, pass: &str, with_ma: bool, id: u8) -> Vec<u8> {
    let auth = codec::random_authenticator();
    let mut b = Builder::new(Code::AccessRequest, id);
    b.add_str(attr::USER_NAME, user).unwrap();
    b.add(attr::USER_PASSWORD, &crypto::hide_password(pass.as_bytes(), secret.as_bytes(), &auth)).unwrap();
    let bytes = b.finish_access_request(auth, secret.as_bytes()).unwrap();
    if with_ma { bytes } else { strip_message_authenticator(&bytes) }
}

/// The Builder always puts Message-Authenticator first (20..38); remove it
/// to make a request as an old NAS would send it.
fn strip_message_authenticator(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(bytes[20], attr::MESSAGE_AUTHENTICATOR);
    let mut out = bytes[..20].to_vec();
    out.extend_from_slice(&bytes[38..]);
    let len = out.len() as u16;
    out[2..4].copy_from_slice(&len.to_be_bytes());
    out
}

#[test]
fn message_authenticator_required_absent_wrong() {
    let s = Server::demo();
    let sock = udp();
    // Required by default: a request without it gets no answer at all.
    let r = exchange(&sock, s.auth, &pap_request(DEMO_SECRET, "demo-pppoe", "demo-pass", false, 1));
    assert!(r.is_none(), "a request without Message-Authenticator must be dropped");
    assert_eq!(s.counter("dropped_missing_message_authenticator"), 1);

    // Wrong: flip one byte of the HMAC.
    let mut bad = pap_request(DEMO_SECRET, "demo-pppoe", "demo-pass", true, 2);
    bad[25] ^= 0xff;
    assert!(exchange(&sock, s.auth, &bad).is_none());
    assert_eq!(s.counter("dropped_bad_message_authenticator"), 1);

    // Right: answered, and the reply's Message-Authenticator verifies.
    let good = pap_request(DEMO_SECRET, "demo-pppoe", "demo-pass", true, 3);
    let reply = exchange(&sock, s.auth, &good).expect("reply");
    let req = Packet::decode(&good).unwrap();
    let p = Packet::decode(&reply).unwrap();
    assert_eq!(p.code, Code::AccessAccept);
    assert_eq!(
        codec::check_message_authenticator(&p, DEMO_SECRET.as_bytes(), Some(&req.authenticator)),
        codec::MaStatus::Valid
    );
    assert!(codec::verify_response_authenticator(&p, &req.authenticator, DEMO_SECRET.as_bytes()));
    assert_eq!(p.attributes().next().map(|(t, _)| t), Some(attr::MESSAGE_AUTHENTICATOR));

    // A NAS explicitly exempted (old RouterOS) may omit it.
    lango_ok(
        &s.data,
        &[
            "nas",
            "add",
            "--tenant",
            "demo",
            "--name",
            "old-router",
            "--address",
            "127.0.0.1",
            "--secret",
            "old-router-secret",
            "--allow-missing-message-authenticator",
        ],
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    let reply = exchange(&sock, s.auth, &pap_request("old-router-secret", "demo-pppoe", "demo-pass", false, 4))
        .expect("exempt NAS is answered");
    let p = Packet::decode(&reply).unwrap();
    assert_eq!(p.code, Code::AccessAccept);
    // Even then the reply carries Message-Authenticator first.
    assert_eq!(p.attributes().next().map(|(t, _)| t), Some(attr::MESSAGE_AUTHENTICATOR));
}

#[test]
fn duplicates_are_answered_from_cache() {
    let s = Server::demo();
    let sock = udp();
    let req = pap_request(DEMO_SECRET, "demo-pppoe", "demo-pass", true, 9);
    let first = exchange(&sock, s.auth, &req).expect("reply");
    let second = exchange(&sock, s.auth, &req).expect("reply to retransmission");
    assert_eq!(first, second, "a retransmission gets the identical reply");
    assert_eq!(s.counter("access_requests"), 1, "policy ran once");
    assert_eq!(s.counter("duplicate_replies"), 1);
    // Same Identifier, new authenticator: a new request, not a duplicate.
    let other = pap_request(DEMO_SECRET, "demo-pppoe", "demo-pass", true, 9);
    exchange(&sock, s.auth, &other).expect("reply");
    assert_eq!(s.counter("access_requests"), 2);
}

#[test]
fn malformed_and_unknown_are_dropped_and_counted() {
    let s = Server::demo();
    let sock = udp();
    let good = pap_request(DEMO_SECRET, "demo-pppoe", "demo-pass", true, 1);
    let mut cases: Vec<Vec<u8>> = vec![vec![], vec![1; 19], good[..30].to_vec()];
    let mut bad_len = good.clone();
    bad_len[2..4].copy_from_slice(&2000u16.to_be_bytes()); // header longer than datagram
    cases.push(bad_len);
    let mut zero_attr = good.clone();
    zero_attr[21] = 0; // attribute length 0
    cases.push(zero_attr);
    for c in &cases {
        assert!(exchange(&sock, s.auth, c).is_none());
    }
    assert_eq!(s.counter("dropped_malformed"), cases.len() as u64);
    // An Accounting-Request sent to the auth port is not served there.
    let mut b = Builder::new(Code::AccountingRequest, 1);
    b.add_u32(attr::ACCT_STATUS_TYPE, 1).unwrap();
    assert!(exchange(&sock, s.auth, &b.finish_signed_request(DEMO_SECRET.as_bytes()).unwrap()).is_none());
    assert_eq!(s.counter("dropped_unexpected_code"), 1);
    // The server still works.
    assert!(exchange(&sock, s.auth, &good).is_some());
    assert!(s.log().contains("RADIUS packets dropped") || s.counter("dropped_malformed") > 0);
}

#[test]
fn unknown_client_is_dropped() {
    let data = temp_dir("unknown");
    lango_ok(&data, &["tenant", "add", "isp"]);
    lango_ok(
        &data,
        &[
            "nas",
            "add",
            "--tenant",
            "isp",
            "--name",
            "far-router",
            "--address",
            "10.1.2.3",
            "--secret",
            "far-router-secret",
        ],
    );
    let s = Server::start(&data, &[]);
    let sock = udp();
    assert!(exchange(&sock, s.auth, &pap_request("far-router-secret", "x", "y", true, 1)).is_none());
    assert_eq!(s.counter("dropped_unknown_client"), 1);
}

#[test]
fn bad_config_refuses_to_start_and_names_the_key() {
    let dir = temp_dir("badcfg");
    let cfg = dir.join("lango.toml");
    std::fs::write(&cfg, "[radius]\nauth_workers = 0\n").unwrap();
    let out = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .args(["--config", cfg.to_str().unwrap(), "--data", dir.to_str().unwrap(), "serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("radius.auth_workers"), "{err}");

    let out = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .args(["--data", dir.to_str().unwrap(), "serve"])
        .env("LANGO_RADIUS_AUTH_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auth_listen"), "{err}");
}

#[test]
fn secrets_are_encrypted_at_rest() {
    let s = Server::demo();
    drop(s);
    let data = temp_dir("rest");
    let s = Server::start(&data, &["--demo"]);
    let db = std::fs::read(data.join("lango.redb")).unwrap();
    for secret in [&b"demo-secret"[..], b"demo-pass", b"demo-static-pass"] {
        assert!(
            !db.windows(secret.len()).any(|w| w == secret),
            "{} found in clear in the database",
            String::from_utf8_lossy(secret)
        );
    }
    // Without the key file the database refuses to open, saying why.
    drop(s);
    std::fs::rename(data.join("lango.key"), data.join("moved.key")).unwrap();
    let out = lango(&data, &["tenant", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lango.key"), "{}", String::from_utf8_lossy(&out.stderr));
}
