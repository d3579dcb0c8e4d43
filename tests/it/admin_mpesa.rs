//! M-Pesa settings from the admin pages in headless Chromium against the
//! Daraja simulator: saved (secrets sealed, never shown back), "Test
//! connection" with the right credentials (a token is issued) and with a
//! wrong secret (the page says Daraja refused the key or secret), and C2B
//! URL registration; field errors keep what was typed.

use std::time::Duration;

use crate::harness::*;
use crate::support::browser::Browser;
use crate::support::daraja::{self, DarajaSim};

const PAGE: Duration = Duration::from_secs(20);

#[test]
fn mpesa_is_set_up_and_tested_from_the_browser() {
    let sim = DarajaSim::start();
    let s = Server::demo();
    let base = format!("http://127.0.0.1:{}", s.http.port());
    let b = Browser::start_laptop();
    b.goto(&format!("{base}/admin/mpesa"));
    b.find("#username", PAGE);
    b.clear_and_type("#username", "demo");
    b.clear_and_type("#password", "demo-admin-pass");
    b.click("#sign-in");
    b.find("#mpesa-form", PAGE);

    // A bad shortcode is a field error; what was typed (but secrets) stays.
    b.clear_and_type("#env", &sim.base_url());
    b.clear_and_type("#consumer_key", daraja::CONSUMER_KEY);
    b.clear_and_type("#consumer_secret", daraja::CONSUMER_SECRET);
    b.clear_and_type("#shortcode", "17a379");
    b.clear_and_type("#passkey", daraja::PASSKEY);
    b.click("#save");
    b.find("#error-shortcode", PAGE);
    assert!(b.source().contains(&format!("value=\"{}\"", daraja::CONSUMER_KEY)));
    assert!(!b.source().contains(daraja::CONSUMER_SECRET), "a secret is never sent back");
    b.clear_and_type("#shortcode", daraja::SHORTCODE);
    b.clear_and_type("#consumer_secret", daraja::CONSUMER_SECRET);
    b.clear_and_type("#passkey", daraja::PASSKEY);
    b.click("#save");
    b.wait_text("M-Pesa settings saved", PAGE);
    assert!(b.text("#callback-urls").contains("/pay/"), "{}", b.text("#callback-urls"));

    let before = sim.token_requests();
    b.click("#test-connection");
    let said = b.wait_text("access token was issued", PAGE);
    assert!(sim.token_requests() > before, "a fresh token was fetched");
    assert!(!said.contains(daraja::CONSUMER_SECRET) && !said.contains(daraja::PASSKEY));
    b.keep_screenshot("admin-mpesa-test");

    b.click("#register-c2b");
    b.wait_text("C2B URLs registered", PAGE);

    // A wrong secret (the key and passkey kept): plain words on what failed.
    b.clear_and_type("#consumer_secret", "not-the-secret");
    b.click("#save");
    b.wait_text("M-Pesa settings saved", PAGE);
    b.click("#test-connection");
    let said = b.wait_text("refused the consumer key or secret", PAGE);
    assert!(said.contains("sandbox keys do not work in production"), "{said}");

    // An unreachable environment says so.
    b.clear_and_type("#env", "http://127.0.0.1:9");
    b.click("#save");
    b.wait_text("M-Pesa settings saved", PAGE);
    b.click("#test-connection");
    b.wait_text("could not reach Daraja", PAGE);

    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let audit = web.get("/admin/audit").body;
    assert!(audit.contains("tenant.billing"));
    for secret in [daraja::CONSUMER_SECRET, daraja::PASSKEY, "not-the-secret"] {
        assert!(!audit.contains(secret) && !s.log().contains(secret), "{secret} leaked");
    }
}
