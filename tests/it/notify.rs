//! Notifications against the real binary with the test clock, a Celcom
//! gateway simulator and a real SMTP server (aiosmtpd): expiry reminders
//! exactly once at the lead time (caught up after a gap, held through the
//! night, never for a service renewed first), a payment confirmation with
//! the receipt number and the new expiry, an invoice e-mailed with its PDF,
//! retries with the gateway's words, the daily cap and its alert to the
//! operator, preferences and consent honoured by broadcasts.

use std::time::Duration;

use crate::billing::{eventually, rig};
use crate::harness::*;
use crate::support::gateways::{CELCOM_API_KEY, CELCOM_PARTNER_ID, CELCOM_SHORTCODE, CelcomSim};
use crate::support::smtp::SmtpServer;

/// 2025-12-01 10:00 in Nairobi (07:00 UTC): a Monday morning.
const T0: i64 = 1_764_572_400;
const WAIT: Duration = Duration::from_secs(10);

fn serve(name: &str, at: i64) -> Server {
    let data = temp_dir(name);
    Server::start_env(&data, &["--demo", "--test-clock", &at.to_string()], &[("LANGO_JOBS_TICK_SECS", "1")])
}

fn cli(s: &Server, args: &[&str]) -> String {
    lango_ok(&s.data, args)
}

/// `notify setup` with the Celcom simulator as the gateway, plus `extra`.
fn setup_celcom(s: &Server, sim: &CelcomSim, extra: &[&str]) -> String {
    let url = sim.base_url();
    let mut args = vec!["notify", "setup", "--tenant", "demo", "--sms", "celcom", "--sms-url", &url];
    args.extend(["--sms-account", CELCOM_PARTNER_ID, "--sms-key", CELCOM_API_KEY, "--sms-sender", CELCOM_SHORTCODE]);
    args.extend(extra);
    cli(s, &args)
}

fn customer(s: &Server, name: &str, phone: &str) -> String {
    let out = cli(s, &["customer", "add", "--tenant", "demo", "--name", name, "--phone", phone]);
    out.split("(id ").nth(1).unwrap().trim_end().trim_end_matches(')').to_string()
}

/// A Home 10M login for a new customer, valid for `expires`.
fn service(s: &Server, name: &str, phone: &str, user: &str, expires: &str) -> String {
    let c = customer(s, name, phone);
    let args = ["service", "add", "--tenant", "demo", "--customer", &c, "--plan", "Home 10M", "--username", user];
    cli(s, &[&args[..], &["--password", "secret-pass", "--expires", expires]].concat());
    c
}

/// Messages the simulator accepted for `msisdn`.
fn texts_to(sim: &CelcomSim, msisdn: &str) -> Vec<String> {
    sim.received().into_iter().filter(|r| r.accepted && r.to == msisdn).map(|r| r.message).collect()
}

fn advance(s: &Server, secs: i64) {
    cli(s, &["clock-advance", &secs.to_string()]);
}

fn log(s: &Server, extra: &[&str]) -> String {
    let mut args = vec!["notify", "log", "--tenant", "demo"];
    args.extend(extra);
    cli(s, &args)
}

#[test]
fn reminders_once_at_the_lead_time_in_the_morning_and_never_after_renewal() {
    let sim = CelcomSim::start();
    let s = serve("notify-remind", T0);
    let out = setup_celcom(&s, &sim, &["--events", "expiry_reminder", "--leads", "3d", "--quiet", "21:00-08:00"]);
    assert!(out.contains("celcom"), "{out}");
    assert!(!out.contains(CELCOM_API_KEY), "the key is never shown: {out}");

    // Lead point 23:00 tonight (quiet): goes at 08:00 tomorrow.
    let _ = service(&s, "Amina Njeri", "0722000001", "amina", &format!("{}s", 3 * 86_400 + 13 * 3600));
    // Lead point 23:05 tonight: queued for the morning, then renewed at night.
    let _ = service(&s, "Dalia Achieng", "0722000004", "dalia", &format!("{}s", 3 * 86_400 + 13 * 3600 + 300));
    // Lead point 00:00 tomorrow: renewed before it comes.
    let _ = service(&s, "Baraka Otieno", "0722000002", "baraka", &format!("{}s", 3 * 86_400 + 14 * 3600));
    // Lead point passed already (expires in two days): caught up now.
    let _ = service(&s, "Chebet Koech", "0722000003", "chebet", "2d");

    advance(&s, 60);
    eventually("Chebet's reminder", WAIT, || texts_to(&sim, "254722000003").len() == 1);
    let chebet = texts_to(&sim, "254722000003");
    assert!(chebet[0].contains("Home 10M") && chebet[0].contains("in 2 days"), "{chebet:?}");
    assert!(chebet[0].contains("Chebet"), "first name: {chebet:?}");

    // 23:10: Amina's and Dalia's lead times have passed, in quiet hours.
    advance(&s, 13 * 3600 + 10 * 60 - 60);
    eventually("reminders queued for the morning", WAIT, || log(&s, &["--status", "queued"]).contains("254722000004"));
    let queued = log(&s, &["--status", "queued"]);
    assert!(queued.contains("254722000001"), "{queued}");
    std::thread::sleep(Duration::from_secs(3));
    assert!(texts_to(&sim, "254722000001").is_empty(), "nothing at night");
    cli(&s, &["service", "renew", "--tenant", "demo", "dalia", "--expires", "30d"]);
    cli(&s, &["service", "renew", "--tenant", "demo", "baraka", "--expires", "30d"]);

    // 08:05 tomorrow: Amina's goes; Dalia renewed in the night, Baraka before.
    advance(&s, 8 * 3600 + 55 * 60);
    eventually("Amina's reminder in the morning", WAIT, || texts_to(&sim, "254722000001").len() == 1);
    let amina = texts_to(&sim, "254722000001");
    assert!(amina[0].contains("Amina") && amina[0].contains("amina"), "account in the text: {amina:?}");
    eventually("Dalia's reminder cancelled", WAIT, || log(&s, &["--status", "cancelled"]).contains("254722000004"));
    assert!(log(&s, &["--status", "cancelled"]).contains("renewed"), "{}", log(&s, &[]));

    // Later rounds send nothing again.
    advance(&s, 2 * 3600);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(texts_to(&sim, "254722000001").len(), 1, "exactly once");
    assert_eq!(texts_to(&sim, "254722000003").len(), 1, "exactly once");
    assert!(texts_to(&sim, "254722000002").is_empty() && texts_to(&sim, "254722000004").is_empty());
}

#[test]
fn a_payment_is_confirmed_by_sms_with_the_receipt_and_new_expiry() {
    let sim = CelcomSim::start();
    let r = rig("notify-pay");
    setup_celcom(&r.server, &sim, &["--events", "payment_received"]);
    let out = r.cli(&["pay", "stk", "--tenant", "demo", "--service", "demo-expired", "--phone", "0712345678"]);
    assert!(out.contains("STK Push sent"), "{out}");
    eventually("the confirmation SMS", WAIT * 2, || !texts_to(&sim, "254712000005").is_empty());
    let sms = texts_to(&sim, "254712000005");
    assert_eq!(sms.len(), 1, "{sms:?}");
    let payments = r.payments();
    let receipt = payments[0].split_whitespace().find(|w| {
        w.len() == 10 && w.chars().all(|c| c.is_ascii_alphanumeric()) && w.chars().any(|c| c.is_ascii_digit())
    });
    let receipt = receipt.unwrap_or_else(|| panic!("an M-Pesa receipt in {payments:?}"));
    assert!(sms[0].contains(receipt), "receipt {receipt} in {sms:?}");
    assert!(sms[0].contains("KES 1500.00"), "{sms:?}");
    let show = r.cli(&["service", "show", "--tenant", "demo", "demo-expired", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&show).unwrap();
    let expiry = v["service"]["expires_at"].as_i64().or_else(|| v["expires_at"].as_i64()).expect("expiry");
    let zone = jiff::tz::TimeZone::get("Africa/Nairobi").unwrap();
    let shown = lango::notify::schedule::show(expiry, &zone);
    assert!(sms[0].contains(&shown), "new expiry {shown} in {sms:?}");
}

#[test]
fn an_invoice_is_mailed_with_its_pdf() {
    let mail = SmtpServer::plain();
    let s = serve("notify-invoice", T0);
    let port = mail.port.to_string();
    let mut args = vec!["notify", "setup", "--tenant", "demo", "--smtp-host", "127.0.0.1", "--smtp-port", &port];
    args.extend(["--smtp-security", "plain", "--smtp-from", "Demo ISP <billing@demo.example>"]);
    cli(&s, &[&args[..], &["--events", "invoice_issued"]].concat());
    cli(
        &s,
        &[
            "plan",
            "add",
            "--tenant",
            "demo",
            "--name",
            "Biz 20M",
            "--validity",
            "30d",
            "--price",
            "5000",
            "--rate",
            "20M/20M",
            "--postpaid-due-days",
            "7",
        ],
    );
    let c = customer(&s, "Biz Ltd", "0722000020");
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let a = web.post(
        &format!("/admin/customers/{c}"),
        &[("name", "Biz Ltd"), ("phone", "0722000020"), ("email", "accounts@biz.example")],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    cli(
        &s,
        &[
            "service",
            "add",
            "--tenant",
            "demo",
            "--customer",
            &c,
            "--plan",
            "Biz 20M",
            "--username",
            "biz",
            "--expires",
            "60s",
        ],
    );

    advance(&s, 61);
    eventually("the invoice e-mail", WAIT * 2, || !mail.received().is_empty());
    let m = mail.one();
    assert_eq!(m.rcpt_tos, vec!["accounts@biz.example".to_string()]);
    let docs = cli(&s, &["invoice", "list", "--tenant", "demo"]);
    let number =
        docs.lines().find(|l| l.contains("Invoice")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let subject = m.header("Subject").unwrap_or_default().to_string();
    assert!(subject.contains(&number) && subject.contains("Demo ISP"), "{subject}");
    assert!(m.header("From").unwrap_or_default().contains("billing@demo.example"));
    let text = m.part("text/plain").and_then(|p| p.text.clone()).unwrap_or_default();
    assert!(text.contains("KES 5000.00") && text.contains(&number), "{text}");
    assert!(m.part("text/html").is_some(), "{:?}", m.structure());
    let pdf = m.attachments().into_iter().find(|p| p.content_type == "application/pdf").expect("a PDF attached");
    assert_eq!(pdf.filename.as_deref(), Some(format!("{number}.pdf").as_str()));
    let file = s.data.join("mailed.pdf");
    std::fs::write(&file, &pdf.bytes).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils)");
    let pdf_text = String::from_utf8_lossy(&out.stdout);
    assert!(pdf_text.contains(&number) && pdf_text.contains("5,000.00"), "{pdf_text}");
}

#[test]
fn a_gateway_that_fails_twice_then_succeeds_shows_three_attempts() {
    let sim = CelcomSim::start();
    let s = serve("notify-retry", T0);
    setup_celcom(&s, &sim, &[]);
    sim.fail_next(2);
    let out = cli(&s, &["notify", "test", "--tenant", "demo", "--channel", "sms", "--to", "0722000009"]);
    let id = out.split_whitespace().find_map(|w| w.parse::<u64>().ok()).unwrap_or_else(|| panic!("{out}"));
    eventually("the first attempt", WAIT, || sim.received().len() == 1);
    advance(&s, 20);
    eventually("the second attempt", WAIT, || sim.received().len() == 2);
    advance(&s, 60);
    eventually("the third attempt", WAIT, || sim.received().len() == 3);
    let tries: Vec<bool> = sim.received().iter().map(|r| r.accepted).collect();
    assert_eq!(tries, vec![false, false, true]);
    eventually("sent in the log", WAIT, || log(&s, &["--status", "sent"]).contains(&id.to_string()));
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get("/admin/notifications").body;
    let row = page.split(&format!("id=\"msg-{id}\"")).nth(1).unwrap().split("</tr>").next().unwrap();
    assert_eq!(row.matches("<li class=\"failed\">").count(), 2, "{row}");
    assert_eq!(row.matches("<li class=\"ok\">").count(), 1, "{row}");
    assert!(row.contains("System error"), "the gateway's words: {row}");

    // Celcom keeps delivery reports: asked a minute after sending.
    for id in 8290842..8290846 {
        sim.set_dlr(&id.to_string(), "DeliveredToTerminal");
    }
    advance(&s, 61);
    eventually("delivered in the log", WAIT, || log(&s, &["--status", "delivered"]).contains(&id.to_string()));
}

/// Africa's Talking posts delivery reports to the tenant's callback URL.
#[test]
fn africas_talking_delivery_reports_mark_messages_delivered() {
    use crate::support::sms::{self, SmsSim};
    let at = SmsSim::start();
    let s = serve("notify-at-dlr", T0);
    let mut args = vec!["sms", "setup", "--tenant", "demo", "--env"];
    let url = at.base_url();
    args.extend([url.as_str(), "--username", sms::USERNAME, "--api-key-env", "AT_API_KEY"]);
    let out = without_lango_env(std::process::Command::new(BIN))
        .arg("--data")
        .arg(&s.data)
        .args(&args)
        .env("AT_API_KEY", sms::API_KEY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    cli(&s, &["notify", "setup", "--tenant", "demo", "--sms", "africastalking"]);
    let out = cli(&s, &["notify", "test", "--tenant", "demo", "--channel", "sms", "--to", "0722000041"]);
    let id = out.split_whitespace().find_map(|w| w.parse::<u64>().ok()).unwrap_or_else(|| panic!("{out}"));
    eventually("sent", WAIT, || log(&s, &["--status", "sent"]).contains(&id.to_string()));
    assert_eq!(at.sent().len(), 1);

    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get("/admin/notifications/settings").body;
    let callback = page.split("id=\"dlr-url\">").nth(1).and_then(|r| r.split('<').next()).expect("the callback URL");
    let token: String =
        callback.rsplit(['/', ';']).next().unwrap().chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 32, "{callback}");
    let path = format!("/sms/dlr/{token}");
    let wrong = http(
        s.http,
        "POST",
        "/sms/dlr/0123456789abcdef0123456789abcdef",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "id=ATPid_sim_1&status=Success",
    );
    assert_eq!(wrong.status, 404);
    let body = "id=ATPid_sim_1&status=Success&phoneNumber=%2B254722000041&networkCode=63902";
    let a = http(s.http, "POST", &path, &[("Content-Type", "application/x-www-form-urlencoded")], body);
    assert_eq!(a.status, 200, "{}", a.body);
    eventually("delivered", WAIT, || log(&s, &["--status", "delivered"]).contains(&id.to_string()));

    // Its balance call feeds the low-credit alert.
    at.set_balance("KES 12.5000");
    cli(&s, &["notify", "setup", "--tenant", "demo", "--low-credit", "100", "--operator-phone", "0722000095"]);
    advance(&s, 3600);
    let to_operator =
        || at.sent().into_iter().filter(|m| m.to == "+254722000095").map(|m| m.message).collect::<Vec<_>>();
    eventually("the low-credit alert", WAIT, || !to_operator().is_empty());
    assert!(to_operator()[0].contains("at africastalking is down to 12.50"), "{:?}", to_operator());
}

#[test]
fn the_daily_cap_holds_messages_and_alerts_the_operator() {
    let sim = CelcomSim::start();
    let s = serve("notify-cap", T0);
    setup_celcom(&s, &sim, &["--daily-cap", "2", "--operator-phone", "0722000099"]);
    for to in ["0722000011", "0722000012", "0722000013"] {
        cli(&s, &["notify", "test", "--tenant", "demo", "--channel", "sms", "--to", to]);
    }
    eventually("the operator's alert", WAIT, || !texts_to(&sim, "254722000099").is_empty());
    std::thread::sleep(Duration::from_secs(2));
    let customers: Vec<String> =
        sim.received().into_iter().filter(|r| r.accepted && r.to != "254722000099").map(|r| r.to).collect();
    assert_eq!(customers.len(), 2, "{customers:?}");
    let alert = texts_to(&sim, "254722000099");
    assert_eq!(alert.len(), 1, "{alert:?}");
    assert!(alert[0].contains("cap of 2"), "{alert:?}");
    let held = log(&s, &["--status", "held"]);
    assert_eq!(held.lines().filter(|l| l.contains("2547220000")).count(), 1, "{held}");

    // The next day the operator releases it.
    advance(&s, 86_400);
    let id =
        held.lines().find(|l| l.contains("2547220000")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    cli(&s, &["notify", "retry", "--tenant", "demo", &id]);
    eventually("the held message sent", WAIT, || {
        sim.received().iter().filter(|r| r.accepted && r.to.starts_with("2547220000")).count() == 3
    });
}

#[test]
fn preferences_and_consent_decide_who_gets_a_broadcast() {
    let sim = CelcomSim::start();
    let s = serve("notify-prefs", T0);
    setup_celcom(&s, &sim, &[]);
    let x = service(&s, "Xavier Mwangi", "0722000031", "xavier", "30d");
    let y = service(&s, "Yvonne Wambui", "0722000032", "yvonne", "30d");
    let z = service(&s, "Zawadi Mutua", "0722000033", "zawadi", "30d");
    let out = cli(&s, &["customer", "edit", "--tenant", "demo", &x, "--email", "xavier@example.com"]);
    assert!(out.contains("e-mail xavier@example.com"), "{out}");
    let bad = lango(&s.data, &["customer", "edit", "--tenant", "demo", &x, "--email", "not-an-address"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--email"), "{bad:?}");
    assert!(cli(&s, &["customer", "list", "--tenant", "demo"]).contains("xavier@example.com"));
    let out = cli(&s, &["notify", "prefs", "--tenant", "demo", "--customer", &y, "--sms", "off"]);
    assert!(out.contains("admin") || out.contains("cli") || out.contains("by"), "who changed it: {out}");
    cli(&s, &["notify", "prefs", "--tenant", "demo", "--customer", &z, "--marketing-sms", "on"]);

    let dry = cli(
        &s,
        &[
            "notify",
            "broadcast",
            "--tenant",
            "demo",
            "--text",
            "Offer: 20M for the price of 10M!",
            "--marketing",
            "--plan",
            "Home 10M",
            "--dry-run",
        ],
    );
    assert!(dry.contains('1'), "one customer agreed to offers: {dry}");
    cli(
        &s,
        &[
            "notify",
            "broadcast",
            "--tenant",
            "demo",
            "--text",
            "Offer for {name}: 20M for the price of 10M!",
            "--marketing",
            "--plan",
            "Home 10M",
        ],
    );
    eventually("the offer to Zawadi", WAIT, || !texts_to(&sim, "254722000033").is_empty());
    assert!(texts_to(&sim, "254722000033")[0].contains("Offer for Zawadi"));

    cli(
        &s,
        &[
            "notify",
            "broadcast",
            "--tenant",
            "demo",
            "--text",
            "Maintenance tonight 01:00-02:00.",
            "--plan",
            "Home 10M",
        ],
    );
    eventually("the notice to Xavier", WAIT, || !texts_to(&sim, "254722000031").is_empty());
    eventually("the notice to Zawadi", WAIT, || texts_to(&sim, "254722000033").len() == 2);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(texts_to(&sim, "254722000031").len(), 1, "no offer without consent");
    assert!(texts_to(&sim, "254722000032").is_empty(), "Yvonne opted out of SMS");
}

/// The template editor in a browser: the preview for a chosen customer with
/// the SMS part count, an unknown variable as a field error, then saved.
#[test]
fn template_editor_previews_counts_parts_and_refuses_unknown_variables() {
    use crate::support::browser::Browser;
    let page = Duration::from_secs(15);
    let s = serve("notify-browser", T0);
    let base = format!("http://127.0.0.1:{}", s.http.port());
    let b = Browser::start_laptop();
    b.goto(&format!("{base}/admin"));
    b.find("#username", page);
    b.clear_and_type("#username", "demo");
    b.clear_and_type("#password", "demo-admin-pass");
    b.click("#sign-in");
    b.wait_text("Dashboard", page);

    b.goto(&format!("{base}/admin/notifications/templates"));
    b.click("#edit-expiry_reminder-sw");
    b.find("#tpl-body", page);
    assert!(b.text("#tpl-variables").contains("{lead}"), "{}", b.text("#tpl-variables"));
    b.select("#tpl-customer", &customer_id(&s, "Alice Wanjiru"));
    b.clear_and_type("#tpl-body", "Habari {name}, {plan} inaisha {lead}. Lipa {paybill} akaunti {account} ✓");
    b.click("#tpl-preview");
    // The page shows the stored wording's preview before the click lands.
    b.wait_text("Home 10M inaisha baada ya siku 2", page);
    let text = b.text("#preview-text");
    assert!(text.starts_with("Habari Alice, Home 10M inaisha baada ya siku 2."), "{text}");
    assert!(text.contains("akaunti demo-pppoe"), "{text}");
    assert!(
        b.text("#preview-parts").contains("Unicode"),
        "a character outside GSM 7-bit (typed in the BMP: ChromeDriver types no others) makes it UCS-2: {}",
        b.text("#preview-parts")
    );
    b.keep_screenshot("notify-template");

    b.clear_and_type("#tpl-body", "Habari {name}, kifurushi kinaisha {expiry_date}.");
    b.click("#tpl-save");
    b.find("#error-body", page);
    assert!(b.text("#error-body").contains("{expiry_date}"), "{}", b.text("#error-body"));
    assert!(b.try_find("#preview-text").is_none() || !b.text("#preview-text").contains("{expiry_date}"));

    b.clear_and_type("#tpl-body", "Habari {name}, {plan} inaisha {expiry}.");
    b.click("#tpl-save");
    b.wait_text("Template saved.", page);
    let shown =
        cli(&s, &["notify", "template", "show", "--tenant", "demo", "--event", "expiry_reminder", "--lang", "sw"]);
    assert!(shown.contains("Habari {name}, {plan} inaisha {expiry}."), "{shown}");

    b.goto(&format!("{base}/admin/notifications/settings"));
    b.find("#notify-form", page);
    b.keep_screenshot("notify-settings");
}

fn customer_id(s: &Server, name: &str) -> String {
    let list = cli(s, &["customer", "list", "--tenant", "demo"]);
    list.lines().find(|l| l.contains(name)).and_then(|l| l.split_whitespace().next()).unwrap().to_string()
}

/// Usage crossing 80 % of the quota, the Fair Usage threshold, and the
/// whole quota each tell the customer once, from accounting.
#[test]
fn data_use_messages_at_80_percent_fair_usage_and_quota() {
    let sim = CelcomSim::start();
    let s = serve("notify-quota", T0);
    setup_celcom(&s, &sim, &["--events", "quota_80,quota_used,fup_drop"]);
    cli(
        &s,
        &[
            "plan",
            "add",
            "--tenant",
            "demo",
            "--name",
            "Data 1G",
            "--validity",
            "30d",
            "--price",
            "500",
            "--rate",
            "10M/10M",
            "--quota",
            "1000",
            "--fup",
            "900 1M/1M",
        ],
    );
    let c = customer(&s, "Neema Chege", "0722000051");
    let args = ["service", "add", "--tenant", "demo", "--customer", &c, "--plan", "Data 1G", "--username", "neema"];
    cli(&s, &[&args[..], &["--password", "neema-pass"]].concat());
    let acct = |kind: &str, octets: u32| {
        let a = format!(
            "User-Name=neema,Acct-Status-Type={kind},Acct-Session-Id=q-1,Framed-IP-Address=10.0.9.1,Acct-Input-Octets={octets},Acct-Output-Octets=0,Acct-Session-Time=60"
        );
        assert!(radclient(s.acct, "acct", DEMO_SECRET, &a).is("Accounting-Response"));
    };
    acct("Start", 0);
    acct("Interim-Update", 850);
    eventually("the 80 % message", WAIT, || texts_to(&sim, "254722000051").len() == 1);
    acct("Interim-Update", 860);
    acct("Interim-Update", 950);
    eventually("the speed-drop message", WAIT, || texts_to(&sim, "254722000051").len() == 2);
    acct("Interim-Update", 1200);
    eventually("the quota message", WAIT, || texts_to(&sim, "254722000051").len() == 3);
    std::thread::sleep(Duration::from_secs(2));
    let got = texts_to(&sim, "254722000051");
    assert_eq!(got.len(), 3, "once each: {got:?}");
    assert!(got[0].contains("used 850B of the 1.0k"), "{got:?}");
    assert!(got[1].contains("1M/1M"), "{got:?}");
    assert!(got[2].contains("used all"), "{got:?}");
}

/// At 20:00 in the tenant's zone the operator gets the day's payments, once.
#[test]
fn the_operator_gets_the_days_payments_at_eight_in_the_evening() {
    let sim = CelcomSim::start();
    let s = serve("notify-revenue", T0);
    setup_celcom(&s, &sim, &["--events", "daily_revenue", "--operator-phone", "0722000098"]);
    let c = customer(&s, "Cash Payer", "0722000061");
    for amount in ["1500", "500"] {
        cli(
            &s,
            &[
                "wallet",
                "post",
                "--tenant",
                "demo",
                "--customer",
                &c,
                "--kind",
                "payment",
                "--amount",
                amount,
                "--reason",
                "cash",
            ],
        );
    }
    advance(&s, 9 * 3600 + 50 * 60);
    std::thread::sleep(Duration::from_secs(3));
    assert!(texts_to(&sim, "254722000098").is_empty(), "not before 20:00");
    advance(&s, 15 * 60);
    eventually("the summary", WAIT, || !texts_to(&sim, "254722000098").is_empty());
    advance(&s, 3600);
    std::thread::sleep(Duration::from_secs(3));
    let got = texts_to(&sim, "254722000098");
    assert_eq!(got, vec!["lango: Demo ISP received KES 2000.00 in 2 payments on 1 Dec 2025.".to_string()]);
}

/// An auto-renewing service the wallet covers gets no reminder; one it does
/// not cover gets the low-balance notice with the price and the balance.
#[test]
fn auto_renewal_the_wallet_covers_is_not_reminded_and_a_short_wallet_is_told() {
    let sim = CelcomSim::start();
    let s = serve("notify-low", T0);
    setup_celcom(&s, &sim, &["--events", "expiry_reminder,low_balance", "--leads", "3d", "--quiet", "none"]);
    for (name, phone, user, wallet) in
        [("Faraji Kamau", "0722000071", "faraji", "1500"), ("Imani Atieno", "0722000072", "imani", "200")]
    {
        let c = customer(&s, name, phone);
        let post = ["wallet", "post", "--tenant", "demo", "--customer", &c, "--kind", "payment", "--amount", wallet];
        cli(&s, &[&post[..], &["--reason", "cash"]].concat());
        let args = ["service", "add", "--tenant", "demo", "--customer", &c, "--plan", "Home 10M", "--username", user];
        cli(&s, &[&args[..], &["--password", "pass-word", "--expires", "2d", "--auto-renew"]].concat());
    }
    advance(&s, 60);
    eventually("Imani's notice", WAIT, || !texts_to(&sim, "254722000072").is_empty());
    let imani = texts_to(&sim, "254722000072");
    assert!(imani[0].contains("for KES 1500.00") && imani[0].contains("wallet has KES 200.00"), "{imani:?}");
    std::thread::sleep(Duration::from_secs(3));
    assert!(texts_to(&sim, "254722000071").is_empty(), "the wallet covers Faraji's renewal");
}

/// Another tenant's admin sees none of these messages and cannot send one
/// again; a read-only admin sees the log but not the settings.
#[test]
fn messages_stay_inside_their_tenant() {
    let sim = CelcomSim::start();
    let s = serve("notify-tenants", T0);
    setup_celcom(&s, &sim, &["--daily-cap", "0", "--operator-phone", "0722000097"]);
    let out = cli(&s, &["notify", "test", "--tenant", "demo", "--channel", "sms", "--to", "0722000081"]);
    let id = out.split_whitespace().find_map(|w| w.parse::<u64>().ok()).unwrap_or_else(|| panic!("{out}"));
    eventually("held by the cap", WAIT, || log(&s, &["--status", "held"]).contains(&id.to_string()));

    cli(&s, &["tenant", "add", "other"]);
    let pw = make_admin(&s.data, &["--tenant", "other", "--name", "other-admin", "--role", "tenant-admin"]);
    let other = AdminWeb::login(s.http, "other-admin", &pw);
    let page = other.get("/admin/notifications").body;
    assert!(!page.contains("254722000081") && !page.contains(&format!("msg-{id}")), "{page}");
    assert_eq!(other.post(&format!("/admin/notifications/{id}/retry"), &[]).status, 404);
    assert!(log(&s, &["--status", "held"]).contains(&id.to_string()), "still held");

    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "reader", "--role", "read-only"]);
    let reader = AdminWeb::login(s.http, "reader", &pw);
    // A read-only admin sees the numbers masked (issue 13: only the roles
    // that call customers see them in full).
    let page = reader.get("/admin/notifications").body;
    assert!(page.contains("2547****0081") && !page.contains("254722000081"), "{page}");
    assert_eq!(reader.get("/admin/notifications/settings").status, 403);
    assert_eq!(reader.post(&format!("/admin/notifications/{id}/retry"), &[]).status, 403);
}

/// The gateway's credit below the threshold tells the operator once a day.
#[test]
fn low_sms_credit_at_the_gateway_tells_the_operator_once() {
    let sim = CelcomSim::start();
    sim.set_credit("42.50");
    let s = serve("notify-credit", T0);
    setup_celcom(&s, &sim, &["--low-credit", "100", "--operator-phone", "0722000096"]);
    advance(&s, 3600);
    eventually("the low-credit alert", WAIT, || !texts_to(&sim, "254722000096").is_empty());
    assert!(texts_to(&sim, "254722000096")[0].contains("down to 42.50"), "{:?}", texts_to(&sim, "254722000096"));
    advance(&s, 3600);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(texts_to(&sim, "254722000096").len(), 1, "once a day");
    assert!(cli(&s, &["notify", "show", "--tenant", "demo"]).contains("alert below 100"));
}
