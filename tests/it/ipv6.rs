//! IPv6 end to end against the real binary on `[::]`: RADIUS answers a
//! router on IPv6 (its own NAS entry and secret) and, on the same
//! dual-stack socket, the IPv4 one; accounting keeps a session's
//! Framed-IPv6-Address and Delegated-IPv6-Prefix; the portal identifies a
//! client on `::1` by the delegated prefix that holds it; the REST API
//! lists the prefixes; a Disconnect reaches the router over IPv6.

use std::net::{Ipv6Addr, SocketAddr};
use std::time::Duration;

use serde_json::Value;

use crate::harness::*;
use crate::support::nas::NasSim;

const V6_SECRET: &str = "v6-router-secret";

fn on_loopback6(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(Ipv6Addr::LOCALHOST.into(), a.port())
}

#[test]
fn a_router_and_a_customer_on_ipv6() {
    let data = temp_dir("ipv6");
    let s = Server::start(&data, &["--demo", "--radius-auth", "[::]:0", "--radius-acct", "[::]:0", "--http", "[::]:0"]);
    let sim = NasSim::start_on("[::1]:0", V6_SECRET.as_bytes());
    lango_ok(
        &data,
        &["nas", "add", "--tenant", "demo", "--name", "v6-router", "--address", "::1", "--secret", V6_SECRET],
    );
    let list = lango_ok(&data, &["nas", "list", "--tenant", "demo"]);
    let id = list.lines().find(|l| l.contains("v6-router")).and_then(|l| l.split_whitespace().next()).unwrap();
    lango_ok(&data, &["nas", "coa-port", "--tenant", "demo", id, &sim.addr().port().to_string()]);

    // RADIUS over IPv6, with the IPv6 router's own secret; the IPv4 router
    // on the same dual-stack socket keeps its.
    let login = "User-Name = demo-pppoe, User-Password = demo-pass, Message-Authenticator = 0x00";
    let auth6 = on_loopback6(s.auth);
    let mut accepted = None;
    for _ in 0..50 {
        let r = radclient(auth6, "auth", V6_SECRET, login);
        if r.is("Access-Accept") {
            accepted = Some(r);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = accepted.expect("the IPv6 router is answered once its NAS entry is loaded");
    assert!(r.get("Mikrotik-Rate-Limit").is_some(), "{}", r.raw);
    let v4 = SocketAddr::new([127, 0, 0, 1].into(), s.auth.port());
    assert!(radclient(v4, "auth", DEMO_SECRET, login).is("Access-Accept"), "IPv4 on the [::] socket");
    assert!(
        !radclient(auth6, "auth", DEMO_SECRET, login).is("Access-Accept"),
        "the IPv4 router's secret is not the IPv6 one's"
    );

    // Accounting with the session's IPv6: one address and a delegated
    // prefix that holds ::1, where the "customer's browser" is.
    let start = "User-Name = demo-pppoe, Acct-Session-Id = v6-1, Acct-Status-Type = Start, \
                 Framed-IPv6-Address = 2001:db8:ffff::7, Delegated-IPv6-Prefix = ::/64";
    assert!(radclient(on_loopback6(s.acct), "acct", V6_SECRET, start).is("Accounting-Response"));

    let portal = on_loopback6(s.http);
    let mut page = String::new();
    for _ in 0..50 {
        page = http(portal, "GET", "/portal", &[], "").body;
        if page.contains("Alice Wanjiru") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(page.contains("Alice Wanjiru") && page.contains("Home 10M"), "identified by the delegated prefix: {page}");
    // An IPv4 client that is nobody's sees no account.
    let nobody = http(SocketAddr::new([127, 0, 0, 99].into(), s.http.port()), "GET", "/portal", &[], "").body;
    assert!(!nobody.contains("Alice Wanjiru"));

    // The admin's sessions page shows them, and finds the session by an
    // address inside its delegated prefix.
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let list = web.get("/admin/sessions").body;
    assert!(list.contains("2001:db8:ffff::7 · ::/64"), "{list}");
    let found = web.get("/admin/sessions?q=::1").body;
    assert!(found.contains("data-user=\"demo-pppoe\""), "{found}");
    let none = web.get("/admin/sessions?q=2001:db8:1::1").body;
    assert!(!none.contains("data-user=\"demo-pppoe\""), "{none}");
    let csv = web.get("/admin/sessions?format=csv").body;
    assert!(
        csv.lines().next().is_some_and(|h| h.ends_with(",ipv6")) && csv.contains("2001:db8:ffff::7 · ::/64"),
        "{csv}"
    );

    // The REST API shows the session's IPv6; a Disconnect goes to the
    // router over IPv6.
    let token = lango_ok(&data, &["api-token", "create", "--tenant", "demo", "--name", "noc", "--role", "operator"]);
    let auth = format!("Bearer {}", token.trim());
    let h = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let list: Value =
        serde_json::from_str(&http(portal, "GET", "/api/v1/sessions?username=demo-pppoe", &h, "").body).unwrap();
    let one = &list["items"][0];
    assert_eq!(one["framed_ipv6_address"], "2001:db8:ffff::7", "{list}");
    assert_eq!(one["delegated_ipv6_prefix"], "::/64", "{list}");
    let body = format!(r#"{{"nas":{id},"session_id":"v6-1"}}"#);
    assert_eq!(http(portal, "POST", "/api/v1/sessions/disconnect", &h, &body).status, 202);
    assert!(
        sim.wait_for(
            |reqs| reqs.iter().any(|q| q.code == 40 && q.valid && q.attr(44) == Some(&b"v6-1"[..])),
            Duration::from_secs(10)
        ),
        "a valid Disconnect-Request for v6-1 over IPv6: {:?}",
        sim.requests()
    );

    // The Stop takes the prefix off the index: ::1 is nobody's again.
    let stop = "User-Name = demo-pppoe, Acct-Session-Id = v6-1, Acct-Status-Type = Stop, Acct-Session-Time = 60";
    assert!(radclient(on_loopback6(s.acct), "acct", V6_SECRET, stop).is("Accounting-Response"));
    let mut gone = false;
    for _ in 0..50 {
        if !http(portal, "GET", "/portal", &[], "").body.contains("Alice Wanjiru") {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(gone, "a stopped session no longer identifies ::1");
}
