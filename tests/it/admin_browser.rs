//! The admin UI in headless Chromium (laptop size) against the real
//! binary: sign in, create a plan, a customer and a service through the
//! forms, see the service authenticate (radclient) and show up online,
//! disconnect it from the UI (the NAS simulator receives the
//! Disconnect-Request); and a reseller's isolation as the UI shows it.
//! The reseller's test runs phone-sized. With
//! SCREENSHOT_DIR=docs/screenshots the pages are saved for the docs.

use std::time::Duration;

use crate::billing::rig;
use crate::harness::*;
use crate::support::browser::{Browser, Options};

const PAGE: Duration = Duration::from_secs(15);

fn sign_in(b: &Browser, base: &str, user: &str, password: &str) {
    b.goto(&format!("{base}/admin"));
    b.find("#username", PAGE);
    b.clear_and_type("#username", user);
    b.clear_and_type("#password", password);
    b.click("#sign-in");
    b.wait_text("Dashboard", PAGE);
}

#[test]
fn operator_creates_plan_customer_service_sees_it_online_and_disconnects_it() {
    let r = rig("admin-browser");
    let base = format!("http://127.0.0.1:{}", r.server.http.port());
    let b = Browser::start_laptop();

    // Signed out: the sign-in page, and the session cookie is __Host- on loopback.
    b.goto(&format!("{base}/admin/customers"));
    b.find("#login-form", PAGE);
    b.keep_screenshot("admin-login");
    b.clear_and_type("#username", "demo");
    b.clear_and_type("#password", "demo-admin-pass");
    b.click("#sign-in");
    b.wait_text("New customer", PAGE);
    assert!(b.url().ends_with("/admin/customers"), "back where the admin was going: {}", b.url());
    assert!(b.cookie("__Host-lango_admin").is_some(), "Secure __Host- cookie on a loopback origin");

    // A plan through the form.
    b.goto(&format!("{base}/admin/plans/new"));
    b.clear_and_type("input[name=name]", "Fibre 15M");
    b.clear_and_type("input[name=validity]", "30d");
    b.clear_and_type("input[name=price]", "abc");
    b.clear_and_type("input[name=rate]", "15M/15M");
    b.click("#save");
    b.find("#error-price", PAGE);
    assert!(b.text("#error-price").contains("not an amount"), "{}", b.text("#error-price"));
    b.clear_and_type("input[name=price]", "1800");
    b.click("#save");
    b.wait_text("Fibre 15M", PAGE);
    let plans = r.cli(&["plan", "list", "--tenant", "demo"]);
    let plan_id =
        plans.lines().find(|l| l.contains("Fibre 15M")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();

    // A customer: a bad phone re-renders with the message and keeps the name.
    b.goto(&format!("{base}/admin/customers"));
    b.click("#new-customer");
    b.clear_and_type("input[name=name]", "Achieng Otieno");
    b.clear_and_type("input[name=phone]", "12345");
    b.click("#save");
    b.find("#error-phone", PAGE);
    assert!(b.source().contains("value=\"Achieng Otieno\""));
    b.keep_screenshot("admin-form-error");
    b.clear_and_type("input[name=phone]", "0712 600 700");
    b.click("#save");
    b.wait_text("Customer Achieng Otieno created", PAGE);

    // A PPPoE service on the new plan.
    b.click("#new-service");
    b.select("#plan", &plan_id);
    b.clear_and_type("input[name=username]", "achieng");
    b.clear_and_type("input[name=password]", "fibre-pass-1");
    b.click("#save");
    b.wait_text("Service achieng created", PAGE);
    let auth = radclient(
        r.server.auth,
        "auth",
        DEMO_SECRET,
        "User-Name=achieng,User-Password=fibre-pass-1,Framed-Protocol=PPP,Message-Authenticator=0x00",
    );
    assert!(auth.is("Access-Accept"), "{}", auth.raw);
    assert!(auth.raw.contains("15M/15M"), "the plan's speed: {}", auth.raw);

    // Online, then disconnected from the UI.
    r.start_session("achieng", "sess-achieng-1", "10.9.8.7", "");
    r.cli(&[
        "wallet",
        "post",
        "--tenant",
        "demo",
        "--customer",
        &customer_id(&r),
        "--kind",
        "payment",
        "--amount",
        "1800",
        "--reason",
        "cash",
    ]);
    b.goto(&format!("{base}/admin"));
    b.wait_text("online now", PAGE);
    assert_eq!(b.text("#online"), "1", "one session online");
    assert!(b.text("#revenue-today").contains("1,800"), "{}", b.text("#revenue-today"));
    assert!(b.text("#routers").contains("up"), "the router was heard: {}", b.text("#routers"));
    b.keep_screenshot("admin-dashboard");
    b.goto(&format!("{base}/admin/sessions"));
    b.wait_text("10.9.8.7", PAGE);
    b.keep_screenshot("admin-sessions");
    b.click("tr[data-user=achieng] button");
    b.accept_alert();
    b.wait_text("Disconnect sent", PAGE);
    assert!(r.nas_got(40, "sess-achieng-1", Duration::from_secs(10)), "the router got a Disconnect-Request");

    // The customer's page shows the service, and its history names who did it.
    b.goto(&format!("{base}/admin/customers?q=achieng"));
    b.click("#customers a");
    b.wait_text("Usage, last 14 days", PAGE);
    let t = b.text("#audit");
    assert!(t.contains("session.disconnect") && t.contains("admin:demo from 127.0.0.1"), "{t}");
    assert!(t.contains("service.create") || t.contains("customer.create"), "{t}");
    b.keep_screenshot("admin-customer");
}

#[test]
fn a_reseller_sees_only_its_own_customers() {
    let s = Server::demo();
    let base = format!("http://127.0.0.1:{}", s.http.port());
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "shop1", "--role", "reseller"]);
    // Phone-sized: resellers work from their phones.
    let b = Browser::start(Options { proxy: None });
    sign_in(&b, &base, "shop1", &pw);
    b.goto(&format!("{base}/admin/customers"));
    let t = b.wait_text("Customers", PAGE);
    assert!(!t.contains("Brian (expired)") && !t.contains("Office (static)"), "the tenant's customers are hidden: {t}");
    assert!(!b.text("#nav").contains("Routers"), "no router pages in a reseller's menu");
    b.click("#new-customer");
    b.clear_and_type("input[name=name]", "Shop Client One");
    b.click("#save");
    b.wait_text("Customer Shop Client One created", PAGE);
    b.goto(&format!("{base}/admin/customers"));
    b.wait_text("Shop Client One", PAGE);
    b.keep_screenshot("admin-reseller-phone");
    b.goto(&format!("{base}/admin/nas"));
    b.wait_text("Not allowed", PAGE);
    b.click("#logout");
    b.find("#login-form", PAGE);

    sign_in(&b, &base, "demo", "demo-admin-pass");
    b.goto(&format!("{base}/admin/customers"));
    let t = b.wait_text("Shop Client One", PAGE);
    assert!(t.contains("Brian (expired)"), "the tenant admin sees everyone: {t}");
}

/// The id of the customer named Achieng Otieno.
fn customer_id(r: &crate::billing::Rig) -> String {
    let list = r.cli(&["customer", "list", "--tenant", "demo"]);
    list.lines().find(|l| l.contains("Achieng Otieno")).and_then(|l| l.split_whitespace().next()).unwrap().to_string()
}
