//! RouterOS script hooks against the real binary: per-router bearer
//! tokens (wrong ones get 401 and are logged), DHCP lease events, and the
//! zero-touch onboarding they allow: a new MAC's device opens the portal,
//! is offered the DHCP packages, pays, and its MAC then logs in.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::billing::{eventually, rig};
use crate::harness::*;
use crate::support::dstnat::DstNat;

fn lease(to: SocketAddr, token: &str, body: &str) -> Answer {
    let auth = format!("Bearer {token}");
    http(to, "POST", "/hook/dhcp-lease", &[("Authorization", &auth)], body)
}

/// The value of a hidden input in a page.
pub(crate) fn field(page: &str, name: &str) -> String {
    let at = page.find(&format!(r#"name="{name}" value=""#)).unwrap_or_else(|| panic!("no {name} in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// The id of a package offered on a page, by its name.
fn plan_id(page: &str, name: &str) -> String {
    let at = page.find(&format!(r#"<span class="name">{name}</span>"#)).unwrap_or_else(|| panic!("{name} not offered"));
    let before = &page[..at];
    let v = before.rfind(r#"name="plan" value=""#).unwrap();
    let rest = &before[v + 19..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[test]
fn lease_hook_onboards_a_new_device_through_the_portal() {
    let r = rig("hooks");
    let http_addr = r.server.http;
    let token = r.cli(&["nas", "hook-token", "--tenant", "demo", "1"]).trim().to_string();
    assert_eq!(token.len(), 48, "{token}");

    // Wrong or missing tokens: 401, logged, nothing recorded.
    let body = "mac=AA:BB:CC:00:00:99&ip=127.0.0.31&bound=1&server=dhcp1";
    assert_eq!(lease(http_addr, "not-the-token", body).status, 401);
    assert_eq!(http(http_addr, "POST", "/hook/dhcp-lease", &[], body).status, 401);
    eventually("the refusal to be logged", Duration::from_secs(5), || r.server.log().contains("router hook refused"));
    let health = http(http_addr, "GET", "/hook/health", &[("Authorization", &format!("Bearer {token}"))], "");
    assert_eq!(health.status, 200);
    assert!(health.body.contains("demo-loopback"), "{}", health.body);

    // Bad input names the field.
    let bad = lease(http_addr, &token, "mac=nope&ip=127.0.0.31&bound=1");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("mac \"nope\""), "{}", bad.body);

    // A known MAC is not onboarding; a new one is.
    let known = lease(http_addr, &token, "mac=AA:BB:CC:00:00:01&ip=127.0.0.30&bound=1");
    assert!(known.body.contains(r#""onboarding":false"#), "{}", known.body);
    let new = lease(http_addr, &token, body);
    assert_eq!(new.status, 200, "{}", new.body);
    assert!(new.body.contains(r#""onboarding":true"#), "{}", new.body);

    // The device opens the portal: welcome, DHCP packages only.
    let nat = DstNat::start(Ipv4Addr::new(127, 0, 0, 31), http_addr);
    let page = http(nat.addr, "GET", "/portal", &[], "");
    assert!(page.body.contains("Welcome!"), "{}", page.body);
    assert!(page.body.contains("DHCP 5M") && !page.body.contains("Home 10M"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let plan = plan_id(&page.body, "DHCP 5M");

    // A forged token is refused with the form again, starting nothing.
    let forged =
        http(nat.addr, "POST", "/portal/pay", &[], &format!("csrf=1.00&plan={plan}&phone=0712000099&method=mpesa"));
    assert!(forged.body.contains("This page has expired"), "{}", forged.body);
    assert!(r.daraja.stk_requests().is_empty());

    let paid =
        http(nat.addr, "POST", "/portal/pay", &[], &format!("csrf={csrf}&plan={plan}&phone=0712000099&method=mpesa"));
    assert_eq!(paid.status, 303, "{}\n{}", paid.head, paid.body);
    let wait = paid.head.lines().find_map(|l| l.strip_prefix("location: ")).expect("redirect").to_string();
    eventually("the payment to be confirmed", Duration::from_secs(30), || {
        http(nat.addr, "GET", &wait, &[], "").body.contains("You are back online")
    });
    // The router's DHCP server asks for the MAC: accepted with the plan.
    let dhcp = radclient(
        r.server.auth,
        "auth",
        DEMO_SECRET,
        "User-Name=AA:BB:CC:00:00:99,Calling-Station-Id=AA:BB:CC:00:00:99,Message-Authenticator=0x00",
    );
    assert!(dhcp.is("Access-Accept"), "{}", dhcp.raw);
    assert_eq!(dhcp.get("Mikrotik-Rate-Limit"), Some("5M/5M"));

    // The status link is bound to its purchase: another one is 404.
    let tampered = wait.replace("t=", "t=9");
    assert_eq!(http(nat.addr, "GET", &tampered, &[], "").status, 404);

    // Released: the address is nobody's again.
    let gone = lease(http_addr, &token, "mac=AA:BB:CC:00:00:99&ip=127.0.0.31&bound=0");
    assert_eq!(gone.status, 200);
    let page = http(nat.addr, "GET", "/portal", &[], "");
    assert!(page.body.contains("We could not tell who you are"), "{}", page.body);

    // A new token replaces the old one.
    let token2 = r.cli(&["nas", "hook-token", "--tenant", "demo", "1"]).trim().to_string();
    assert_ne!(token, token2);
    assert_eq!(lease(http_addr, &token, body).status, 401, "old token still works");
    assert_eq!(lease(http_addr, &token2, body).status, 200);
}

#[test]
fn portal_speaks_the_tenants_language_and_shows_its_logo() {
    let r = rig("portal-sw");
    let logo = r.server.data.join("logo.svg");
    std::fs::write(
        &logo,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#,
    )
    .unwrap();
    let args =
        ["tenant", "brand", "demo", "--language", "sw", "--colour", "#123456", "--support-phone", "0700 111 222"];
    let mut args = args.to_vec();
    args.extend(["--logo", logo.to_str().unwrap()]);
    r.cli(&args);
    // A bad colour is refused, naming it.
    let bad = lango(&r.server.data, &["tenant", "brand", "demo", "--colour", "blue"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("\"blue\""));

    let token = r.cli(&["nas", "hook-token", "--tenant", "demo", "1"]).trim().to_string();
    let new = lease(r.server.http, &token, "mac=AA:BB:CC:00:00:51&ip=127.0.0.51&bound=1");
    assert!(new.body.contains(r#""onboarding":true"#), "{}", new.body);
    let nat = DstNat::start(Ipv4Addr::new(127, 0, 0, 51), r.server.http);
    let page = http(nat.addr, "GET", "/portal", &[], "");
    assert!(page.body.contains("Karibu!") && page.body.contains("Lipa kwa M-Pesa"), "{}", page.body);
    assert!(page.body.contains("--accent: #123456") && page.body.contains("/portal/logo/1"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let plan = plan_id(&page.body, "DHCP 5M");
    let again = http(nat.addr, "POST", "/portal/pay", &[], &format!("csrf={csrf}&plan={plan}&phone=12&method=mpesa"));
    assert!(again.body.contains("Weka nambari ya M-Pesa"), "the error in Swahili: {}", again.body);
    assert!(again.body.contains(r#"value="12""#), "what was typed is kept");

    let logo = http(r.server.http, "GET", "/portal/logo/1", &[], "");
    assert_eq!(logo.status, 200);
    assert!(logo.head.contains("image/svg+xml") && logo.head.contains("default-src 'none'"), "{}", logo.head);
}

#[test]
fn hotspot_page_refuses_a_mac_the_router_did_not_report_at_that_address() {
    let r = rig("hotspot-mac");
    let token = r.cli(&["nas", "hook-token", "--tenant", "demo", "1"]).trim().to_string();
    let auth = format!("Bearer {token}");
    let login = http(
        r.server.http,
        "POST",
        "/hook/hotspot-login",
        &[("Authorization", &auth)],
        "user=x&mac=AA:BB:CC:00:00:61&ip=127.0.0.1",
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let page = |mac: &str| {
        let q = format!(
            "/hotspot?nas=1&mac={mac}&ip=127.0.0.1&link-login-only=http%3A%2F%2F10.5.50.1%2Flogin&chap-id=%5C001&chap-challenge=%5C002"
        );
        http(r.server.http, "GET", &q, &[], "")
    };
    let own = page("AA:BB:CC:00:00:61");
    assert_eq!(own.status, 200);
    assert!(own.body.contains("Packages"), "{}", own.body);
    let other = page("AA:BB:CC:00:00:62");
    assert_eq!(other.status, 400, "a MAC the router did not report here");
    assert!(!other.body.contains("Packages"));
    crate::billing::eventually("the refusal to be logged", std::time::Duration::from_secs(5), || {
        r.server.log().contains("MAC does not match")
    });
}
