//! First-run setup as a new operator meets it: lango on an empty data
//! directory (the binary unpacked from the container image when CI gives
//! it as IMAGE_BINARY_UNDER_TEST) logs a one-time link; the setup page in
//! headless Chromium creates the admin, the ISP and the router; the new
//! admin adds a plan, a customer and a PPPoE service through the forms and
//! radclient, as the router, gets Access-Accept with the secret shown at
//! setup. Also: the link works once, wrong tokens are refused and limited,
//! LANGO_SETUP_TOKEN is honoured and never logged, weak passwords are
//! field errors that keep what was typed, and no setup is offered once an
//! admin exists.

use std::time::Duration;

use crate::harness::*;
use crate::support::browser::Browser;

const PAGE: Duration = Duration::from_secs(20);
const MA: &str = "Message-Authenticator=0x00";

/// The binary under test: the image's, or the one cargo built.
fn binary() -> String {
    match std::env::var("IMAGE_BINARY_UNDER_TEST") {
        Ok(b) if !b.is_empty() => {
            assert!(std::path::Path::new(&b).is_file(), "IMAGE_BINARY_UNDER_TEST={b} is not a file");
            b
        }
        _ => BIN.to_string(),
    }
}

/// The path and query of the setup link in the log (`/setup?token=…`).
fn setup_link(s: &Server) -> String {
    let log = s.log();
    let line = log.lines().find(|l| l.contains("finish setup at ")).unwrap_or_else(|| panic!("no setup link:\n{log}"));
    let url = line.split("finish setup at ").nth(1).unwrap().split_whitespace().next().unwrap();
    let at = url.find("/setup?token=").unwrap_or_else(|| panic!("{url}"));
    url[at..].to_string()
}

pub(crate) fn fields<'a>(csrf: &'a str, token: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("token", token),
        ("admin", "wanjiru"),
        ("password", password),
        ("password2", password),
        ("tenant_name", "Kibera Fibre"),
        ("currency", "KES"),
        ("timezone", "Africa/Nairobi"),
        ("vat", "16"),
        ("vat_inclusive", "on"),
        ("language", "sw"),
        ("router_name", "hap-ac2"),
        ("router_address", "127.0.0.1"),
    ]
}

#[test]
fn a_new_operator_sets_up_in_the_browser_and_the_first_customer_gets_online() {
    let data = temp_dir("setup-browser");
    let s = Server::start_bin(&binary(), &data, &[], &[]);
    let base = format!("http://127.0.0.1:{}", s.http.port());
    let link = setup_link(&s);
    assert_eq!(http(s.http, "GET", "/admin/login", &[], "").status, 200, "sign-in is there, but nobody can pass it");

    let b = Browser::start_laptop();
    b.goto(&format!("{base}{link}"));
    b.find("#setup-form", PAGE);
    b.keep_screenshot("setup-form");
    b.clear_and_type("#admin", "wanjiru");
    b.clear_and_type("#password", "Password1234!");
    b.clear_and_type("#password2", "Password1234!");
    b.clear_and_type("#tenant_name", "Kibera Fibre");
    b.clear_and_type("#router_name", "hap-ac2");
    b.clear_and_type("#router_address", "127.0.0.1");
    b.select("#language", "sw");
    b.click("#finish");
    b.find("#error-password", PAGE);
    assert!(b.text("#error-password").contains("most common"), "{}", b.text("#error-password"));
    assert!(b.source().contains("value=\"Kibera Fibre\""), "what was typed is kept");
    b.keep_screenshot("setup-error");
    b.clear_and_type("#password", "tiny goats eat fibre");
    b.clear_and_type("#password2", "tiny goats eat fibre");
    b.click("#finish");
    b.find("#done", PAGE);
    let secret = b.text("#radius-secret");
    assert_eq!(secret.len(), 24, "a generated secret: {secret}");
    let commands = b.text("#radius-commands");
    assert!(
        commands.contains(&format!("secret=\"{secret}\"")) && commands.contains("src-address=127.0.0.1"),
        "{commands}"
    );
    assert!(commands.contains("/radius incoming set accept=yes port=3799"), "{commands}");
    b.keep_screenshot("setup-done");

    // Signed in as the new platform admin, acting for the new tenant.
    b.click("#to-admin");
    b.wait_text("Dashboard", PAGE);
    b.goto(&format!("{base}/admin/plans/new"));
    b.clear_and_type("input[name=name]", "Home 10M");
    b.clear_and_type("input[name=validity]", "30d");
    b.clear_and_type("input[name=price]", "1500");
    b.clear_and_type("input[name=rate]", "10M/10M");
    b.click("#save");
    b.wait_text("Home 10M", PAGE);
    b.goto(&format!("{base}/admin/customers/new"));
    b.clear_and_type("input[name=name]", "Otieno Were");
    b.clear_and_type("input[name=phone]", "0712 345 678");
    b.click("#save");
    b.wait_text("Customer Otieno Were created", PAGE);
    let plans = lango_ok(&data, &["plan", "list", "--tenant", "kibera-fibre"]);
    let plan = plans.lines().find(|l| l.contains("Home 10M")).and_then(|l| l.split_whitespace().next()).unwrap();
    b.click("#new-service");
    b.select("#plan", plan);
    b.clear_and_type("input[name=username]", "otieno");
    b.clear_and_type("input[name=password]", "otieno-pppoe-1");
    b.click("#save");
    b.wait_text("Service otieno created", PAGE);

    // The router, with the secret shown at setup.
    let login = format!("User-Name=otieno,User-Password=otieno-pppoe-1,Framed-Protocol=PPP,{MA}");
    // The new router reaches the RADIUS directory at its next reload.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut reply = radclient(s.auth, "auth", &secret, &login);
    while !reply.is("Access-Accept") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        reply = radclient(s.auth, "auth", &secret, &login);
    }
    assert!(reply.is("Access-Accept"), "{}", reply.raw);
    assert!(reply.raw.contains("10M/10M"), "the plan's speed: {}", reply.raw);
    let wrong = radclient(s.auth, "auth", "not-the-secret", &login);
    assert!(!wrong.is("Access-Accept"), "another secret gets nothing: {}", wrong.raw);

    // Setup is gone: the link, and the page without one, are 404.
    assert_eq!(http(s.http, "GET", &link, &[], "").status, 404);
    assert_eq!(http(s.http, "GET", "/setup", &[], "").status, 404);
    // Neither the password nor the secret is in the log or the audit log.
    b.goto(&format!("{base}/admin/audit"));
    let page = b.wait_text("setup from", PAGE);
    for hidden in ["tiny goats eat fibre", secret.as_str()] {
        assert!(!page.contains(hidden), "audit log shows {hidden:?}");
        assert!(!s.log().contains(hidden), "server log shows {hidden:?}");
    }
}

#[test]
fn the_setup_link_is_checked_limited_and_used_once() {
    let data = temp_dir("setup-http");
    let s = Server::start(&data, &[]);
    let link = setup_link(&s);
    let token = link.split("token=").nth(1).unwrap().to_string();

    let page = http(s.http, "GET", &link, &[], "");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.head.to_ascii_lowercase().contains("content-security-policy"), "hardened like the admin pages");
    let csrf = input_value(&page.body, "csrf").unwrap();

    // An 11-character password and differing confirmations are field errors;
    // what was typed (but the password) comes back.
    let mut f = fields(&csrf, &token, "eleven-char");
    let bad = http(s.http, "POST", "/setup", &[], &form(&f));
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-password\"") && bad.body.contains("At least 12 characters (11 typed)"));
    assert!(bad.body.contains("value=\"Kibera Fibre\"") && !bad.body.contains("eleven-char"));
    f[4] = ("password2", "something else entirely");
    f[3] = ("password", "long enough passphrase");
    let bad = http(s.http, "POST", "/setup", &[], &form(&f));
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-password2\""), "{}", bad.body);
    // A bad router address and time zone, reported together.
    let mut f = fields(&csrf, &token, "long enough passphrase");
    f[12] = ("router_address", "my router");
    f[7] = ("timezone", "Mars/Olympus");
    let bad = http(s.http, "POST", "/setup", &[], &form(&f));
    assert!(bad.body.contains("id=\"error-router_address\"") && bad.body.contains("id=\"error-timezone\""));
    // A form without its page's CSRF token is refused.
    let f = fields("forged", &token, "long enough passphrase");
    assert_eq!(http(s.http, "POST", "/setup", &[], &form(&f)).status, 403);

    // Wrong tokens: refused, then the address must wait (the right one too).
    for _ in 0..10 {
        assert_eq!(http(s.http, "GET", "/setup?token=guess", &[], "").status, 403);
    }
    assert_eq!(http(s.http, "GET", &link, &[], "").status, 429);
    assert!(s.log().contains("setup page refused"), "refusals are logged");

    // From another address (a trusted proxy is not configured, so the
    // harness cannot fake one): a second server proves the token is once.
    let data2 = temp_dir("setup-once");
    let s2 = Server::start(&data2, &[]);
    let link2 = setup_link(&s2);
    let token2 = link2.split("token=").nth(1).unwrap().to_string();
    let page = http(s2.http, "GET", &link2, &[], "");
    let csrf = input_value(&page.body, "csrf").unwrap();
    let ok = http(s2.http, "POST", "/setup", &[], &form(&fields(&csrf, &token2, "long enough passphrase")));
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Plain http to a non-loopback Host: the cookie without Secure.
    assert!(set_cookie(&ok, "lango_admin").is_some(), "the new admin is signed in: {}", ok.head);
    let again = http(s2.http, "POST", "/setup", &[], &form(&fields(&csrf, &token2, "long enough passphrase")));
    assert_eq!(again.status, 404, "setup is over");
    let out = lango_ok(&data2, &["admin", "list"]);
    assert!(out.contains("wanjiru") && out.contains("platform-admin"), "{out}");
    let out = lango_ok(&data2, &["nas", "list", "--tenant", "kibera-fibre"]);
    assert!(out.contains("hap-ac2") && out.contains("127.0.0.1/32"), "{out}");
}

#[test]
fn an_operator_token_is_honoured_and_not_logged_and_setup_is_closed_once_an_admin_exists() {
    let data = temp_dir("setup-env");
    let chosen = "operator-chosen-token-2026";
    let s = Server::start_env(&data, &[], &[("LANGO_SETUP_TOKEN", chosen)]);
    assert!(s.log().contains("/setup?token=<LANGO_SETUP_TOKEN>"), "{}", s.log());
    assert!(!s.log().contains(chosen), "the operator's token is not logged");
    assert_eq!(http(s.http, "GET", &format!("/setup?token={chosen}"), &[], "").status, 200);
    assert_eq!(http(s.http, "GET", "/setup?token=operator-chosen-token-2025", &[], "").status, 403);
    drop(s);

    // Too short a token: lango refuses to start and says why.
    let out = crate::harness::without_lango_env(std::process::Command::new(BIN))
        .arg("--data")
        .arg(&data)
        .args(["serve", "--radius-auth", "127.0.0.1:0", "--radius-acct", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .env("LANGO_SETUP_TOKEN", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("LANGO_SETUP_TOKEN must be at least 16 characters"));

    // With an admin (lango init), there is no link and no page.
    let data = temp_dir("setup-closed");
    lango_ok(&data, &["init", "--tenant", "isp", "--admin", "root"]);
    let s = Server::start(&data, &[]);
    assert!(!s.log().contains("finish setup at"), "{}", s.log());
    assert_eq!(http(s.http, "GET", "/setup?token=anything", &[], "").status, 404);
    assert_eq!(http(s.http, "POST", "/setup", &[], "token=anything").status, 404);
}
