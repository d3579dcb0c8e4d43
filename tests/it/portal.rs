//! The portal in a real browser (headless Chromium) against the real
//! binary, with the Daraja, NAS, dst-nat and hotspot simulators as peers:
//! an expired PPPoE customer opens any web page, is recognised by address,
//! pays and is reconnected; a hotspot device buys a package and is logged
//! in through the router's CHAP form; a voucher is redeemed; a client
//! nobody knows gets a page that shows no one's account.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::billing::{DISCONNECT, Rig, eventually, pppoe_auth, rig};
use crate::harness::*;
use crate::support::browser::{Browser, Options};
use crate::support::dstnat::DstNat;
use crate::support::hotspot::HotspotSim;

const PAGE: Duration = Duration::from_secs(20);

/// A browser whose web traffic reaches lango from `client`, as behind the
/// router's captive dst-nat.
fn captive_browser(r: &Rig, client: Ipv4Addr) -> (Browser, DstNat) {
    let nat = DstNat::start(client, r.server.http);
    (Browser::start(Options { proxy: Some(nat.addr) }), nat)
}

#[test]
fn expired_customer_pays_from_any_page_and_is_back_online() {
    let r = rig("portal-expired");
    r.start_session("demo-expired", "exp-1", "127.0.0.23", "");
    let (b, _nat) = captive_browser(&r, Ipv4Addr::new(127, 0, 0, 23));

    // Any page: the customer asked for a news site; lango answers.
    eventually("the session to be known by address", Duration::from_secs(5), || {
        b.goto("http://news.example.com/today");
        b.text("body").contains("Brian (expired)")
    });
    assert!(b.url().ends_with("/portal"), "redirected to the portal: {}", b.url());
    assert_eq!(b.text("#plan"), "Home 10M");
    assert!(b.text("#account").contains("Expired"), "{}", b.text("#account"));
    assert!(b.source().contains(r#"data-standing="expired""#));
    // Packages for PPPoE only: the hotspot and DHCP plans are not offered.
    let packages = b.text("#buy");
    assert!(packages.contains("Home 20M") && !packages.contains("Hotspot"), "{packages}");
    assert!(!b.source().contains("Corner shop"), "no other customer on the page");
    b.keep_screenshot("portal-expired");

    // A bad number re-renders with the error and what was typed.
    b.clear_and_type("#phone", "12345");
    b.click("#pay");
    b.wait_text("Enter an M-Pesa number", PAGE);
    assert!(b.source().contains(r#"value="12345""#), "typed number kept");
    b.keep_screenshot("portal-error");

    b.clear_and_type("#phone", "0712 000 005");
    b.click("#pay");
    b.wait_text("You are back online", Duration::from_secs(40));
    b.keep_screenshot("portal-paid");

    let payments = r.payments();
    assert_eq!(payments.len(), 1, "one payment: {payments:?}");
    assert!(payments[0].contains("KES 1,500.00"), "{payments:?}");
    assert!(r.nas_got(DISCONNECT, "exp-1", Duration::from_secs(10)), "the captive session is disconnected");
    r.stop_session("demo-expired", "exp-1", "");
    let again = pppoe_auth(&r, "demo-expired", "demo-pass");
    assert_eq!(again.get("Mikrotik-Rate-Limit"), Some("10M/10M 20M/20M 8M/8M 10/10"), "{}", again.raw);
}

#[test]
fn unknown_client_sees_no_account_and_probes_redirect() {
    let r = rig("portal-unknown");
    // Someone else is online; the stranger at .99 must not see them.
    r.start_session("demo-pppoe", "pp-1", "127.0.0.24", "");
    let (b, _nat) = captive_browser(&r, Ipv4Addr::new(127, 0, 0, 99));
    b.goto("http://connectivitycheck.gstatic.com/generate_204");
    assert!(b.url().ends_with("/portal"), "probe redirected: {}", b.url());
    let t = b.wait_text("We could not tell who you are", PAGE);
    assert!(!t.contains("Alice") && !t.contains("demo-pppoe"), "{t}");
    b.keep_screenshot("portal-unknown");

    // A forged form from the stranger starts nothing.
    let forged = http(r.server.http, "POST", "/portal/pay", &[], "plan=1&phone=0712000001&method=mpesa&csrf=1.00");
    assert_eq!(forged.status, 200);
    assert!(r.daraja.stk_requests().is_empty(), "no STK push for an unknown client");
}

/// The router-side pages for the demo router, written by the CLI.
fn hotspot(r: &Rig, mac: &str) -> HotspotSim {
    let dir = r.server.data.join("hotspot-files");
    let url = format!("http://{}", r.server.http);
    let out = r.cli(
        &["hotspot", "files", "--tenant", "demo", "--nas", "demo-loopback", "--url", &url, "--out"]
            .iter()
            .copied()
            .chain([dir.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    assert!(out.contains("login.html"), "{out}");
    HotspotSim::start(dir, mac, r.server.auth, DEMO_SECRET)
}

#[test]
fn hotspot_device_buys_a_package_and_is_logged_in_by_chap() {
    let r = rig("portal-hotspot");
    let sim = hotspot(&r, "AA:BB:CC:00:00:77");
    let b = Browser::start(Options { proxy: None });
    b.goto(&sim.login_url("http://example.com/"));
    let t = b.wait_text("Hotspot 1 day", PAGE);
    assert!(t.contains("Hotspot 1 hour 1 GB") && !t.contains("Home 10M"), "hotspot packages only: {t}");
    b.keep_screenshot("hotspot-packages");

    b.click(r#"input[name=plan]:not([checked])"#);
    b.clear_and_type("#phone", "0712345678");
    b.click("#pay");
    let done = b.wait_text_or("You are connected", Duration::from_secs(40));
    assert!(done, "not connected; the hotspot saw {:?}", sim.logins());
    b.keep_screenshot("hotspot-connected");

    let logins = sim.logins();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert!(logins[0].accepted && logins[0].username.starts_with("d-aabbcc000077"), "{logins:?}");
    assert!(logins[0].reply.contains("Mikrotik-Rate-Limit = \"5M/5M\""), "{}", logins[0].reply);
    let stk = r.daraja.stk_requests();
    assert_eq!(stk.len(), 1);
    assert_eq!(stk[0].body["Amount"], 50, "Hotspot 1 day costs KES 50: {:?}", stk[0].body);
    // The device is bound: the router's MAC login (login-by=mac) works now.
    let mac_login = radclient(
        r.server.auth,
        "auth",
        DEMO_SECRET,
        r#"User-Name=AA:BB:CC:00:00:77,User-Password="",Calling-Station-Id=AA:BB:CC:00:00:77,Service-Type=Login-User,Message-Authenticator=0x00"#,
    );
    assert!(mac_login.is("Access-Accept"), "{}", mac_login.raw);
}

#[test]
fn hotspot_voucher_is_redeemed_and_a_wrong_code_is_refused() {
    let r = rig("portal-voucher");
    let sim = hotspot(&r, "AA:BB:CC:00:00:78");
    let (batch, _) = r.voucher_batch("1", &["--prefix", "HS-"]);
    let list = r.cli(&["voucher", "list", "--tenant", "demo", &batch]);
    let code = list.lines().next().and_then(|l| l.split_whitespace().next()).unwrap().to_string();

    let b = Browser::start(Options { proxy: None });
    b.goto(&sim.login_url("http://example.com/"));
    b.find("#code", PAGE);
    b.clear_and_type("#code", "NOPE-NOPE");
    b.click("#use-voucher");
    b.wait_text("That voucher code was not found", PAGE);
    assert!(sim.logins().is_empty(), "an unknown code never reaches the router");

    // Typed in lower case with spaces: normalised.
    let typed = code.to_lowercase().replace('-', " ");
    b.clear_and_type("#code", &typed);
    b.click("#use-voucher");
    b.wait_text("You are connected", PAGE);
    let logins = sim.logins();
    assert_eq!(logins.len(), 1);
    assert!(logins[0].accepted && logins[0].username == code, "{logins:?} vs {code}");
}
