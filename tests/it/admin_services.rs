//! A service's page in the admin UI against the real binary: renewal from
//! the wallet (refused while the wallet is short, then a receipt and full
//! speed at the next login), the expiry set by hand, a new password that
//! radclient proves, and an unmatched M-Pesa payment given to a customer.

use crate::billing::{mpesa_setup, pppoe_auth, rig};
use crate::harness::*;
use crate::support::daraja::{self, C2bPayKind};

fn service_id(r: &crate::billing::Rig, username: &str) -> String {
    let list = r.cli(&["service", "list", "--tenant", "demo"]);
    list.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(username))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn renew_expiry_password_and_unmatched_payments_from_the_ui() {
    let r = rig("admin-services");
    let web = AdminWeb::login(r.server.http, "demo", "demo-admin-pass");
    let id = service_id(&r, "demo-expired");
    let page = web.get(&format!("/admin/services/{id}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"renew-form\"") && page.body.contains("id=\"expiry-form\""));

    // Renewal needs the money first.
    let short = web.post(&format!("/admin/services/{id}/renew"), &[("plan", "")]);
    assert_eq!(short.status, 409, "{}", short.body);
    assert!(short.body.contains("wallet holds KES 0.00"), "{}", short.body);
    assert!(pppoe_auth(&r, "demo-expired", "demo-pass").raw.contains("lango-expired"), "still captive");
    let customers = r.cli(&["customer", "list", "--tenant", "demo"]);
    let brian = customers.lines().find(|l| l.contains("Brian")).unwrap().split_whitespace().next().unwrap().to_string();
    r.cli(&[
        "wallet",
        "post",
        "--tenant",
        "demo",
        "--customer",
        &brian,
        "--kind",
        "payment",
        "--amount",
        "1500",
        "--reason",
        "cash at the shop",
    ]);
    let renewed = web.post(&format!("/admin/services/{id}/renew"), &[("plan", "")]);
    assert_eq!(renewed.status, 303, "{}", renewed.body);
    let flash = set_cookie(&renewed, "lango_flash").unwrap_or_default();
    assert!(flash.starts_with("Renewed+until") && flash.contains("receipt+RCT-"), "{flash}");
    let full = pppoe_auth(&r, "demo-expired", "demo-pass");
    assert_eq!(full.get("Mikrotik-Rate-Limit"), Some("10M/10M 20M/20M 8M/8M 10/10"), "{}", full.raw);

    // The expiry by hand; a cashier may renew but not set it.
    let set = web.post(&format!("/admin/services/{id}/expiry"), &[("expires", "2031-03-01 10:00")]);
    assert_eq!(set.status, 303, "{}", set.body);
    assert!(r.cli(&["service", "show", "--tenant", "demo", "demo-expired"]).contains("2031-03-01 10:00"));
    let bad = web.post(&format!("/admin/services/{id}/expiry"), &[("expires", "next week")]);
    assert_eq!(bad.status, 422);
    let pw = make_admin(&r.server.data, &["--tenant", "demo", "--name", "till", "--role", "cashier"]);
    let cashier = AdminWeb::login(r.server.http, "till", &pw);
    assert_eq!(cashier.post(&format!("/admin/services/{id}/expiry"), &[("expires", "2040-01-01")]).status, 403);
    assert!(r.cli(&["service", "show", "--tenant", "demo", "demo-expired"]).contains("2031-03-01 10:00"));

    // A new password works at once; the old one no longer does.
    let changed = web.post(&format!("/admin/services/{id}/password"), &[("password", "brand-new-9")]);
    assert_eq!(changed.status, 200);
    assert!(changed.body.contains("id=\"new-password\""));
    assert!(pppoe_auth(&r, "demo-expired", "demo-pass").is("Access-Reject"));
    assert!(pppoe_auth(&r, "demo-expired", "brand-new-9").is("Access-Accept"));
    let audit = web.get(&format!("/admin/audit?object=service%2F{id}"));
    assert!(audit.body.contains("service.password") && !audit.body.contains("brand-new-9"), "audited, value not shown");

    // An unmatched C2B payment, given to a customer from the payments page.
    mpesa_setup(&r.server.data, &r.daraja.base_url(), &["--shortcode", daraja::C2B_SHORTCODE]);
    r.cli(&["mpesa", "register-c2b", "--tenant", "demo"]);
    let (_, confirmed) = r.daraja.c2b_pay(C2bPayKind::PayBill, "254700000009", 250, "no-such-account");
    assert_eq!(confirmed, Some(200));
    let list = web.get("/admin/payments?q=unmatched");
    let payment = list
        .body
        .split("action=\"/admin/payments/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("an Assign form")
        .to_string();
    let wrong = web.post(&format!("/admin/payments/{payment}/assign"), &[("customer", "nobody-at-all")]);
    assert_eq!(wrong.status, 422);
    let given = web.post(&format!("/admin/payments/{payment}/assign"), &[("customer", "demo-pppoe")]);
    assert_eq!(given.status, 303, "{}", given.body);
    assert!(!web.get("/admin/payments?q=unmatched").body.contains("/assign\""), "no unmatched payment left");
    let again = web.post(&format!("/admin/payments/{payment}/assign"), &[("customer", "demo-pppoe")]);
    assert_ne!(again.status, 303, "a payment is given once");
}

#[test]
fn mac_address_and_plan_change_outside_a_renewal_from_the_page_and_the_cli() {
    use crate::billing::DISCONNECT;
    use std::time::Duration;
    let r = rig("admin-service-access");
    let web = AdminWeb::login(r.server.http, "demo", "demo-admin-pass");
    let id = service_id(&r, "demo-pppoe");
    let plans = r.cli(&["plan", "list", "--tenant", "demo"]);
    let home20 = plans.lines().find(|l| l.contains("Home 20M")).unwrap().split_whitespace().next().unwrap().to_string();
    let before = pppoe_auth(&r, "demo-pppoe", "demo-pass");
    assert_eq!(before.get("Mikrotik-Rate-Limit"), Some("10M/10M 20M/20M 8M/8M 10/10"), "{}", before.raw);
    r.start_session("demo-pppoe", "edit-1", "10.10.0.5", "");

    // Wrong values are field errors and what was typed comes back; the MAC
    // of another service is refused.
    let bad = web.post(
        &format!("/admin/services/{id}/access"),
        &[("mac", "AA:BB:CC:00:00:01"), ("ip", "10.99.0"), ("plan", &home20)],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-ip\"") && bad.body.contains("value=\"10.99.0\""), "{}", bad.body);
    let bad = web.post(
        &format!("/admin/services/{id}/access"),
        &[("mac", "AA:BB:CC:00:00:01"), ("ip", "10.99.0.50"), ("plan", &home20)],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-mac\"") && bad.body.contains("already belongs"), "{}", bad.body);
    assert!(!r.cli(&["service", "show", "--tenant", "demo", "demo-pppoe", "--json"]).contains("10.99.0.50"));

    // Saved: no charge, the online session is disconnected, the next login
    // has the new address and the new plan's speed.
    let expires_before = r.cli(&["service", "show", "--tenant", "demo", "demo-pppoe", "--json"]);
    let ok = web.post(
        &format!("/admin/services/{id}/access"),
        &[("mac", "aa-bb-cc-00-00-42"), ("ip", "10.99.0.50"), ("plan", &home20)],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(r.nas_got(DISCONNECT, "edit-1", Duration::from_secs(15)), "no Disconnect; log:\n{}", r.server.log());
    r.stop_session("demo-pppoe", "edit-1", "");
    let after = pppoe_auth(&r, "demo-pppoe", "demo-pass");
    assert!(after.is("Access-Accept"), "{}", after.raw);
    assert_eq!(after.get("Framed-IP-Address"), Some("10.99.0.50"), "{}", after.raw);
    assert_eq!(after.get("Mikrotik-Rate-Limit"), Some("20M/20M 40M/40M 16M/16M 10/10"), "{}", after.raw);
    let page = web.get(&format!("/admin/services/{id}"));
    assert!(page.body.contains("value=\"AA:BB:CC:00:00:42\"") && page.body.contains("Home 20M"), "{}", page.body);
    assert!(page.body.contains("service.edit"), "audited: {}", page.body);
    let json_after = r.cli(&["service", "show", "--tenant", "demo", "demo-pppoe", "--json"]);
    let expiry = |j: &str| j.split("\"expires_at\":").nth(1).unwrap().split([',', '}']).next().unwrap().to_string();
    assert_eq!(expiry(&expires_before), expiry(&json_after), "the expiry stays");

    // The CLI: the DHCP service's MAC moves; the old one is refused, the
    // new one accepted; "none" is refused for a DHCP service.
    let dhcp = auth_mac(&r, "AA:BB:CC:00:00:01");
    assert!(dhcp.is("Access-Accept"), "{}", dhcp.raw);
    let dhcp_user = r.cli(&["service", "list", "--tenant", "demo"]);
    let dhcp_user =
        dhcp_user.lines().find(|l| l.contains("dhcp")).unwrap().split_whitespace().nth(1).unwrap().to_string();
    let out = r.cli(&["service", "edit", "--tenant", "demo", &dhcp_user, "--mac", "AA:BB:CC:00:00:77"]);
    assert!(out.contains("MAC AA:BB:CC:00:00:77"), "{out}");
    assert!(auth_mac(&r, "AA:BB:CC:00:00:01").is("Access-Reject"));
    assert!(auth_mac(&r, "AA:BB:CC:00:00:77").is("Access-Accept"));
    // Named by its MAC, the DHCP login is renamed with it.
    assert_eq!(dhcp_user, "AA:BB:CC:00:00:01");
    let listed = r.cli(&["service", "list", "--tenant", "demo"]);
    assert!(listed.contains("AA:BB:CC:00:00:77") && !listed.contains("AA:BB:CC:00:00:01"), "{listed}");
    let refused = lango(&r.server.data, &["service", "edit", "--tenant", "demo", "AA:BB:CC:00:00:77", "--mac", "none"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--mac: a DHCP (MAC) service needs"), "{refused:?}");
}

fn auth_mac(r: &crate::billing::Rig, mac: &str) -> Reply {
    radclient(
        r.server.auth,
        "auth",
        DEMO_SECRET,
        &format!("User-Name={mac},Calling-Station-Id={mac},Message-Authenticator=0x00"),
    )
}

#[test]
fn a_payment_prompt_and_wallet_entries_from_the_customer_and_service_pages() {
    use std::time::Duration;
    let r = rig("admin-stk-wallet");
    let web = AdminWeb::login(r.server.http, "demo", "demo-admin-pass");
    let id = service_id(&r, "demo-expired");
    let customers = r.cli(&["customer", "list", "--tenant", "demo"]);
    let brian = customers.lines().find(|l| l.contains("Brian")).unwrap().split_whitespace().next().unwrap().to_string();

    // The prompt: Daraja gets an STK Push for the plan's price; its
    // callback renews the service, as a portal payment would.
    assert!(pppoe_auth(&r, "demo-expired", "demo-pass").raw.contains("lango-expired"));
    let sent = web.post(&format!("/admin/services/{id}/stk"), &[("phone", "0712345678"), ("plan", "")]);
    assert_eq!(sent.status, 303, "{}", sent.body);
    let stk = r.daraja.stk_requests();
    assert_eq!(stk.len(), 1, "{stk:?}");
    assert_eq!(stk[0].body["Amount"], 1500, "{:?}", stk[0].body);
    assert_eq!(stk[0].body["PhoneNumber"], "254712345678", "{:?}", stk[0].body);
    crate::billing::eventually("the renewal", Duration::from_secs(20), || {
        pppoe_auth(&r, "demo-expired", "demo-pass").get("Mikrotik-Rate-Limit") == Some("10M/10M 20M/20M 8M/8M 10/10")
    });
    let bad = web.post(&format!("/admin/services/{id}/stk"), &[("phone", "12")]);
    assert_eq!(bad.status, 409, "{}", bad.body);

    // Wallet entries: field errors keep what was typed; a credit posts,
    // audited; a cashier may record payments but not adjust wallets.
    let wrong =
        web.post(&format!("/admin/customers/{brian}/wallet"), &[("kind", "credit"), ("amount", "-50"), ("reason", "")]);
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("id=\"error-amount\"") && wrong.body.contains("id=\"error-reason\""));
    assert!(wrong.body.contains("value=\"-50\""), "{}", wrong.body);
    let before = r.cli(&["wallet", "show", "--tenant", "demo", "--customer", &brian]);
    let ok = web.post(
        &format!("/admin/customers/{brian}/wallet"),
        &[("kind", "credit"), ("amount", "250"), ("reason", "outage on 3 Dec")],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let after = r.cli(&["wallet", "show", "--tenant", "demo", "--customer", &brian]);
    assert!(after.contains("outage on 3 Dec") && !before.contains("outage on 3 Dec"), "{after}");
    let adj = web.post(
        &format!("/admin/customers/{brian}/wallet"),
        &[("kind", "adjustment"), ("amount", "-100"), ("reason", "typo fixed")],
    );
    assert_eq!(adj.status, 303, "a negative adjustment is allowed: {}", adj.body);
    let page = web.get(&format!("/admin/customers/{brian}"));
    assert!(page.body.contains("wallet.post"), "audited: {}", page.body);
    let pw = make_admin(&r.server.data, &["--tenant", "demo", "--name", "till", "--role", "cashier"]);
    let cashier = AdminWeb::login(r.server.http, "till", &pw);
    let refused = cashier.post(&format!("/admin/customers/{brian}/wallet"), &[("kind", "credit"), ("amount", "1")]);
    assert_eq!(refused.status, 403);
    let own = cashier.get(&format!("/admin/customers/{brian}"));
    assert!(own.body.contains("id=\"record-payment\"") && !own.body.contains("id=\"wallet-form\""), "{}", own.body);
}
