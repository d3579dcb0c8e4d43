//! Authentication against the real binary with radclient (FreeRADIUS's
//! client) as the peer: PAP, CHAP, MS-CHAPv2, MAC, every access type, the
//! captive state, reject reasons and Status-Server.

use crate::harness::*;
use lango::radius::codec::{self, Builder, Code, Packet};
use lango::radius::crypto::{self, mschapv2};
use lango::radius::dict::attr;

const MA: &str = "Message-Authenticator=0x00";

fn auth(s: &Server, attrs: &str) -> Reply {
    radclient(s.auth, "auth", DEMO_SECRET, &format!("{attrs},{MA}"))
}

#[test]
fn pap_chap_and_mikrotik_attributes() {
    let s = Server::demo();
    for cred in ["User-Password=demo-pass", "CHAP-Password=demo-pass"] {
        let r = auth(&s, &format!("User-Name=demo-pppoe,{cred},Framed-Protocol=PPP,NAS-Port-Type=Virtual"));
        assert!(r.is("Access-Accept"), "{cred}: {}", r.raw);
        // Message-Authenticator is the first attribute of every reply.
        assert_eq!(r.attrs[0].0, "Message-Authenticator", "{}", r.raw);
        assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("10M/10M 20M/20M 8M/8M 10/10"));
        assert_eq!(r.get("Framed-Pool"), Some("pppoe-pool"));
        assert_eq!(r.get("Acct-Interim-Interval"), Some("300"));
        assert_eq!(r.get("Idle-Timeout"), Some("900"));
        let timeout: u64 = r.get("Session-Timeout").unwrap().parse().unwrap();
        assert!((30 * 86_400 - 120..=30 * 86_400).contains(&timeout), "session timeout {timeout} should end at expiry");
    }
    for cred in ["User-Password=wrong", "CHAP-Password=wrong"] {
        let r = auth(&s, &format!("User-Name=demo-pppoe,{cred}"));
        assert!(r.is("Access-Reject"), "{cred}: {}", r.raw);
        assert_eq!(r.attrs[0].0, "Message-Authenticator");
        assert_eq!(r.get("Reply-Message"), Some("Invalid username or password"));
    }
    let r = auth(&s, "User-Name=nobody,User-Password=demo-pass");
    assert!(r.is("Access-Reject"), "{}", r.raw);
    assert_eq!(s.counter("access_accepts"), 2);
    assert_eq!(s.counter("access_rejects"), 3);
}

#[test]
fn mschapv2_success_and_mppe_keys() {
    let s = Server::demo();
    let challenge: [u8; 16] = *b"0123456789abcdef";
    let peer: [u8; 16] = *b"fedcba9876543210";
    let response = mschapv2::client_response(7, &challenge, &peer, b"demo-pppoe", "demo-pass");
    let attrs = format!(
        "User-Name=demo-pppoe,MS-CHAP-Challenge=0x{},MS-CHAP2-Response=0x{},Framed-Protocol=PPP",
        hex(&challenge),
        hex(&response)
    );
    let r = auth(&s, &attrs);
    assert!(r.is("Access-Accept"), "{}", r.raw);

    // The authenticator response the client will check (RFC 2759 §8.7).
    let nt: [u8; 24] = response[26..50].try_into().unwrap();
    let expect = mschapv2::generate_authenticator_response("demo-pass", &nt, &peer, &challenge, b"demo-pppoe");
    let mut success = vec![7u8];
    success.extend_from_slice(&expect);
    assert_eq!(r.get("MS-CHAP2-Success"), Some(format!("0x{}", hex(&success)).as_str()), "{}", r.raw);

    // radclient decrypts the MPPE keys with the shared secret (RFC 2548);
    // they must be the RFC 3079 server keys.
    let master = mschapv2::master_key("demo-pass", &nt);
    let send = mschapv2::asymmetric_start_key(&master, true, true);
    let recv = mschapv2::asymmetric_start_key(&master, false, true);
    assert_eq!(r.get("MS-MPPE-Send-Key"), Some(format!("0x{}", hex(&send)).as_str()), "{}", r.raw);
    assert_eq!(r.get("MS-MPPE-Recv-Key"), Some(format!("0x{}", hex(&recv)).as_str()), "{}", r.raw);

    let bad = mschapv2::client_response(8, &challenge, &peer, b"demo-pppoe", "not-the-password");
    let r = auth(
        &s,
        &format!("User-Name=demo-pppoe,MS-CHAP-Challenge=0x{},MS-CHAP2-Response=0x{}", hex(&challenge), hex(&bad)),
    );
    assert!(r.is("Access-Reject"), "{}", r.raw);
    let err = r.get("MS-CHAP-Error").unwrap_or_default();
    assert!(err.contains("E=691"), "MS-CHAP-Error should say E=691: {}", r.raw);
}

#[test]
fn each_access_type() {
    let s = Server::demo();
    // DHCP server: User-Name is the MAC, no password.
    let r = auth(&s, "User-Name=AA:BB:CC:00:00:01,Calling-Station-Id=AA:BB:CC:00:00:01");
    assert!(r.is("Access-Accept"), "dhcp: {}", r.raw);
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("5M/5M"));
    // Hotspot login-by-mac sends the MAC in another spelling, empty password.
    let r = auth(&s, r#"User-Name=aa-bb-cc-00-00-01,User-Password="",Service-Type=Login-User"#);
    assert!(r.is("Access-Accept"), "mac by another spelling: {}", r.raw);
    // An unknown MAC is refused.
    let r = auth(&s, "User-Name=AA:BB:CC:99:99:99");
    assert!(r.is("Access-Reject"), "unknown mac: {}", r.raw);

    // Static customer: by username or by MAC, always its fixed address.
    for attrs in
        ["User-Name=demo-static,User-Password=demo-static-pass,Framed-Protocol=PPP", "User-Name=AA:BB:CC:00:00:02"]
    {
        let r = auth(&s, attrs);
        assert!(r.is("Access-Accept"), "static {attrs}: {}", r.raw);
        assert_eq!(r.get("Framed-IP-Address"), Some("10.99.0.10"));
        assert_eq!(r.get("Framed-Route"), Some("192.168.99.0/24 10.99.0.10 1"));
        assert_eq!(r.get("Framed-Pool"), None);
        assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("20M/20M"));
    }

    // Hotspot voucher: password = code; validity from first use, quota.
    let r = auth(&s, "User-Name=DEMO-VOUCHER,User-Password=DEMO-VOUCHER,Service-Type=Login-User");
    assert!(r.is("Access-Accept"), "voucher: {}", r.raw);
    assert_eq!(r.get("Session-Timeout"), Some("3600"));
    assert_eq!(r.get("Mikrotik-Total-Limit"), Some("1000000000"));
    assert_eq!(r.get("Mikrotik-Total-Limit-Gigawords"), None);

    // A PPPoE account used on the hotspot page is refused with a reason.
    let r = auth(&s, "User-Name=demo-pppoe,User-Password=demo-pass,Service-Type=Login-User");
    assert!(r.is("Access-Reject"), "{}", r.raw);
    assert!(r.get("Reply-Message").unwrap().contains("cannot be used"), "{}", r.raw);
}

#[test]
fn captive_states_and_reject_reasons() {
    let s = Server::demo();
    let r = auth(&s, "User-Name=demo-expired,User-Password=demo-pass,Framed-Protocol=PPP");
    assert!(r.is("Access-Accept"), "expired → captive: {}", r.raw);
    assert_eq!(r.get("Mikrotik-Address-List"), Some("lango-expired"));
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("256k/256k"));
    assert_eq!(r.get("Session-Timeout"), Some("300"));
    assert!(r.get("Reply-Message").unwrap().contains("expired"));

    // Changes made by the CLI while the server runs apply at the next login.
    lango_ok(&s.data, &["service", "suspend", "--tenant", "demo", "demo-pppoe"]);
    let r = auth(&s, "User-Name=demo-pppoe,User-Password=demo-pass,Framed-Protocol=PPP");
    assert_eq!(r.get("Mikrotik-Address-List"), Some("lango-suspended"), "{}", r.raw);

    lango_ok(&s.data, &["service", "disable", "--tenant", "demo", "demo-pppoe"]);
    let r = auth(&s, "User-Name=demo-pppoe,User-Password=demo-pass,Framed-Protocol=PPP");
    assert!(r.is("Access-Reject"), "disabled is never captive: {}", r.raw);
    assert_eq!(r.get("Reply-Message"), Some("Account disabled"));

    // A tenant without captive redirect rejects expired customers.
    lango_ok(&s.data, &["tenant", "add", "isp2"]);
    lango_ok(
        &s.data,
        &["nas", "add", "--tenant", "isp2", "--name", "r2", "--address", "127.0.0.9", "--secret", "isp2-secret"],
    );
    lango_ok(&s.data, &["plan", "add", "--tenant", "isp2", "--name", "Basic", "--validity", "30d", "--rate", "2M/2M"]);
    lango_ok(&s.data, &["customer", "add", "--tenant", "isp2", "--name", "Carol"]);
    let cust = lango_ok(&s.data, &["customer", "list", "--tenant", "isp2"]);
    let cid = cust.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    // carol expired at creation (--expires 0s), dave has a full validity.
    for (user, pass, expires) in [("carol", "carol-pass", "0s"), ("dave", "dave-pass", "30d")] {
        let args = ["service", "add", "--tenant", "isp2", "--customer", &cid, "--plan", "Basic"];
        let more = ["--username", user, "--password", pass, "--expires", expires];
        lango_ok(&s.data, &[&args[..], &more[..]].concat());
    }
    std::thread::sleep(std::time::Duration::from_secs(3)); // directory reload

    // From isp2's router (127.0.0.9/32 beats the demo's 127.0.0.0/8).
    let isp2 = bound("127.0.0.9");
    let r = pap(&isp2, s.auth, "isp2-secret", "carol", "carol-pass").expect("reply");
    assert_eq!(r.0, Code::AccessReject);
    assert_eq!(r.1.as_deref(), Some("Subscription expired: please renew"));
    let r = pap(&isp2, s.auth, "isp2-secret", "dave", "dave-pass").expect("reply");
    assert_eq!(r.0, Code::AccessAccept);
    // Tenant isolation: the demo tenant's user does not exist for isp2's
    // router, and isp2's user does not exist for the demo router.
    let r = pap(&isp2, s.auth, "isp2-secret", "demo-static", "demo-static-pass").expect("reply");
    assert_eq!(r.0, Code::AccessReject);
    let demo = bound("127.0.0.1");
    let r = pap(&demo, s.auth, DEMO_SECRET, "dave", "dave-pass").expect("reply");
    assert_eq!(r.0, Code::AccessReject);
    // The demo secret is wrong for isp2's router: the packet is dropped.
    assert!(pap(&isp2, s.auth, DEMO_SECRET, "dave", "dave-pass").is_none());
}

fn bound(ip: &str) -> std::net::UdpSocket {
    let s = std::net::UdpSocket::bind((ip, 0)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_millis(700))).unwrap();
    s
}

/// A PAP Access-Request built with our codec; returns (code, Reply-Message).
fn pap(
    sock: &std::net::UdpSocket,
    to: std::net::SocketAddr,
    secret: &str,
    user: &str,
    pass: &str,
) -> Option<(Code, Option<String>)> {
    let auth = codec::random_authenticator();
    let mut b = Builder::new(Code::AccessRequest, 1);
    b.add_str(attr::USER_NAME, user).unwrap();
    b.add(attr::USER_PASSWORD, &crypto::hide_password(pass.as_bytes(), secret.as_bytes(), &auth)).unwrap();
    let bytes = b.finish_access_request(auth, secret.as_bytes()).unwrap();
    let reply = exchange(sock, to, &bytes)?;
    let p = Packet::decode(&reply).unwrap();
    assert!(codec::verify_response_authenticator(&p, &auth, secret.as_bytes()));
    Some((p.code, p.attr(attr::REPLY_MESSAGE).map(|m| String::from_utf8_lossy(m).into_owned())))
}

#[test]
fn status_server() {
    let s = Server::demo();
    let r = radclient(s.auth, "status", DEMO_SECRET, MA);
    assert!(r.is("Access-Accept"), "{}", r.raw);
    let r = radclient(s.acct, "status", DEMO_SECRET, MA);
    assert!(r.is("Accounting-Response"), "{}", r.raw);
    assert_eq!(s.counter("status_server"), 2);
}
