//! Data protection against the real binary: a customer's export holds what
//! its page shows and nothing of another customer; erasure makes radclient
//! refused, removes the name and phone from every page and export, and
//! leaves the VAT report as it was; retention is set
//! from both front ends; read-only admins see masked phone numbers.

use crate::harness::*;

const MA: &str = "Message-Authenticator=0x00";

fn customer_id(data: &std::path::Path, name: &str) -> String {
    let list = lango_ok(data, &["customer", "list", "--tenant", "demo"]);
    let line = list.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} in {list}"));
    line.split_whitespace().next().unwrap().to_string()
}

/// (name, contents) of each entry of a stored (uncompressed) zip.
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
    while i + 30 <= bytes.len() && u32_at(i) == 0x0403_4b50 {
        assert_eq!(u16_at(i + 8), 0, "stored entries");
        let (size, name_len, extra) = (u32_at(i + 18), u16_at(i + 26), u16_at(i + 28));
        let name = String::from_utf8(bytes[i + 30..i + 30 + name_len].to_vec()).unwrap();
        let start = i + 30 + name_len + extra;
        let data = &bytes[start..start + size];
        assert_eq!(crc32fast::hash(data) as usize, u32_at(i + 14), "{name}: CRC");
        out.push((name, String::from_utf8(data.to_vec()).unwrap()));
        i = start + size;
    }
    out
}

fn export(data: &std::path::Path, id: &str) -> Vec<(String, String)> {
    let file = data.join(format!("export-{id}.zip"));
    let out = lango_ok(data, &["customer", "export", "--tenant", "demo", id, "--out", file.to_str().unwrap()]);
    assert!(out.contains("bytes written"), "{out}");
    unzip(&std::fs::read(&file).unwrap())
}

fn session(s: &Server, user: &str, id: &str, kind: &str, mac: &str) {
    let r = radclient(
        s.acct,
        "acct",
        DEMO_SECRET,
        &format!(
            "User-Name={user},Acct-Status-Type={kind},Acct-Session-Id={id},Framed-IP-Address=10.0.0.9,Calling-Station-Id={mac},Acct-Session-Time=60"
        ),
    );
    assert!(r.is("Accounting-Response"), "{}", r.raw);
}

/// Alice pays cash and renews with 16 % VAT; she and Brian each have a
/// closed session.
fn history(s: &Server, alice: &str) {
    let d = &s.data;
    lango_ok(d, &["invoice", "settings", "--tenant", "demo", "--vat", "16"]);
    let pay = ["wallet", "post", "--tenant", "demo", "--customer", alice, "--kind", "payment"];
    lango_ok(d, &[&pay[..], &["--amount", "3000", "--reason", "cash at the office"]].concat());
    lango_ok(d, &["wallet", "renew", "--tenant", "demo", "--service", "demo-pppoe"]);
    session(s, "demo-pppoe", "priv-alice", "Start", "AA-00-00-00-00-A1");
    session(s, "demo-pppoe", "priv-alice", "Stop", "AA-00-00-00-00-A1");
    session(s, "demo-expired", "priv-brian", "Start", "BB-00-00-00-00-B2");
    session(s, "demo-expired", "priv-brian", "Stop", "BB-00-00-00-00-B2");
    let wait = std::time::Instant::now();
    while !lango_ok(d, &["sessions", "--tenant", "demo", "--history", "--json"]).contains("priv-brian") {
        assert!(wait.elapsed().as_secs() < 10, "accounting not folded");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn an_export_holds_what_the_customer_page_shows_and_nothing_of_another_customer() {
    let s = Server::demo();
    let d = &s.data;
    let (alice, brian) = (customer_id(d, "Alice Wanjiru"), customer_id(d, "Brian"));
    history(&s, &alice);
    lango_ok(d, &["notify", "prefs", "--tenant", "demo", "--customer", &alice, "--marketing-sms", "on"]);

    let files = export(d, &alice);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for want in ["customer.json", "customer.csv", "services.csv", "sessions.csv", "payments.csv", "ledger.csv"] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    for want in ["invoices.csv", "messages.csv", "tickets.csv", "consent.csv", "audit.csv", "README.txt"] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let all: String = files.iter().map(|(_, b)| b.as_str()).collect();
    let json = &files.iter().find(|(n, _)| n == "customer.json").unwrap().1;
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(doc["customer"]["name"], "Alice Wanjiru");
    assert_eq!(doc["customer"]["phone"], "254712000001");
    assert_eq!(doc["consent"]["marketing_sms"], true, "{}", doc["consent"]);
    for want in ["demo-pppoe", "priv-alice", "AA-00-00-00-00-A1", "cash at the office", "300000"] {
        assert!(all.contains(want), "{want} in the export");
    }
    assert!(!json.contains("\"password\""), "no password in the export");
    // Nothing of Brian's.
    for other in ["Brian", "254712000005", "demo-expired", "priv-brian", "BB-00-00-00-00-B2", "Corner shop"] {
        assert!(!all.contains(other), "{other} is another customer's");
    }

    // Every record the customer page shows is in the export.
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get(&format!("/admin/customers/{alice}")).body;
    let links = |prefix: &str| -> Vec<String> {
        page.split(prefix).skip(1).map(|r| r[..r.find('"').unwrap()].to_string()).collect()
    };
    let invoices = links("href=\"/admin/invoices/");
    assert!(!invoices.is_empty(), "{page}");
    for number in invoices {
        assert!(json.contains(&format!("\"number\": \"{number}\"")), "invoice {number}");
    }
    for id in links("href=\"/admin/services/") {
        assert!(json.contains(&format!("\"id\": {id},")), "service {id}");
    }
    for action in ["customer.create", "service.create", "payment.received"] {
        if page.contains(action) {
            assert!(json.contains(action), "{action}");
        }
    }

    // The same from the admin page, audited; a read-only admin may not.
    let a = web.post(&format!("/admin/customers/{alice}/export"), &[]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.head.to_lowercase().contains("content-type: application/zip"), "{}", a.head);
    assert!(a.body.contains("Alice Wanjiru") && !a.body.contains("Brian"));
    let audit = web.get("/admin/audit?format=csv").body;
    assert_eq!(audit.matches("customer.export").count(), 2, "{audit}");
    let pw = make_admin(d, &["--tenant", "demo", "--name", "viewer", "--role", "read-only"]);
    let viewer = AdminWeb::login(s.http, "viewer", &pw);
    assert_eq!(viewer.post(&format!("/admin/customers/{alice}/export"), &[]).status, 403);
    assert_eq!(viewer.get(&format!("/admin/customers/{brian}/erase")).status, 403);
}

#[test]
fn erasure_refuses_the_login_forgets_the_person_and_keeps_the_tax_report() {
    let s = Server::demo();
    let d = &s.data;
    let alice = customer_id(d, "Alice Wanjiru");
    history(&s, &alice);
    let login = "User-Name=demo-pppoe,User-Password=demo-pass";
    assert!(radclient(s.auth, "auth", DEMO_SECRET, &format!("{login},{MA}")).is("Access-Accept"));
    let tax_before = lango_ok(d, &["report", "tax", "--tenant", "demo"]);
    assert!(tax_before.contains("KES 240.00") && tax_before.contains(&format!("customer {alice}")), "{tax_before}");

    // The typed confirmation must be the customer's number.
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get(&format!("/admin/customers/{alice}/erase"));
    assert_eq!(page.status, 200);
    let wrong = web.post(&format!("/admin/customers/{alice}/erase"), &[("confirm", "yes")]);
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("id=\"error-confirm\""), "{}", wrong.body);
    let bad = lango(d, &["customer", "erase", "--tenant", "demo", &alice, "--confirm", "1"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("--confirm"));
    assert!(radclient(s.auth, "auth", DEMO_SECRET, &format!("{login},{MA}")).is("Access-Accept"), "still there");

    let out = lango_ok(d, &["customer", "erase", "--tenant", "demo", &alice, "--confirm", &alice]);
    let pseudonym = format!("Erased customer {alice}");
    assert!(out.contains(&pseudonym), "{out}");

    let r = radclient(s.auth, "auth", DEMO_SECRET, &format!("{login},{MA}"));
    assert!(r.is("Access-Reject"), "{}", r.raw);

    // The VAT report is the same (it names customers by number).
    let tax_after = lango_ok(d, &["report", "tax", "--tenant", "demo"]);
    assert_eq!(tax_after, tax_before);

    let forgotten =
        ["Alice", "Wanjiru", "254712000001", "0712000001", "demo-pppoe", "AA-00-00-00-00-A1", "AA:00:00:00:00:A1"];
    let number = tax_after.lines().find_map(|l| l.split_whitespace().find(|w| w.starts_with("RCT-"))).unwrap();
    for path in [
        "/admin/customers".to_string(),
        "/admin/customers?format=csv".into(),
        format!("/admin/customers/{alice}"),
        "/admin/services".into(),
        "/admin/payments".into(),
        "/admin/invoices".into(),
        format!("/admin/invoices/{number}"),
        "/admin/audit".into(),
        "/admin/audit?format=csv".into(),
        "/admin/sessions".into(),
        "/admin/notifications".into(),
    ] {
        let a = web.get(&path);
        assert_eq!(a.status, 200, "{path}");
        for gone in forgotten {
            assert!(!a.body.contains(gone), "{gone} still on {path}:\n{}", a.body);
        }
    }
    assert!(web.get(&format!("/admin/invoices/{number}")).body.contains(&pseudonym));
    let files = export(d, &alice);
    let all: String = files.iter().map(|(_, b)| b.as_str()).collect();
    for gone in forgotten {
        assert!(
            !all.contains(gone),
            "{gone} still in the export: {}",
            all.split(gone)
                .next()
                .unwrap()
                .chars()
                .rev()
                .take(300)
                .collect::<String>()
                .chars()
                .rev()
                .collect::<String>()
        );
    }
    assert!(all.contains(&pseudonym) && all.contains("customer.erase"));
    for cmd in [&["customer", "list", "--tenant", "demo"][..], &["sessions", "--tenant", "demo", "--history", "--json"]]
    {
        let text = lango_ok(d, cmd);
        assert!(!text.contains("Alice") && !text.contains("demo-pppoe"), "{text}");
    }
    // The phone and login indexes moved with it: both are free again.
    lango_ok(d, &["customer", "add", "--tenant", "demo", "--name", "New Owner", "--phone", "0712000001"]);
    let who = lango_ok(d, &["customer", "list", "--tenant", "demo"]);
    assert!(who.contains("New Owner") && who.contains("254712000001"), "{who}");
}

#[test]
fn retention_is_set_from_both_front_ends_and_read_only_admins_see_masked_phones() {
    let s = Server::demo();
    let d = &s.data;
    let out = lango_ok(d, &["retention", "set", "--tenant", "demo", "--sessions-days", "90"]);
    assert!(out.contains("sessions: 90 days") && out.contains("audit: kept"), "{out}");
    let bad = lango(d, &["retention", "set", "--tenant", "demo", "--audit-days", "30"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--audit-days"), "{bad:?}");
    let purge = lango_ok(d, &["retention", "purge", "--tenant", "demo"]);
    assert!(purge.contains("removed 0 session(s)"), "{purge}");

    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get("/admin/privacy");
    assert_eq!(input_value(&page.body, "sessions_days").as_deref(), Some("90"));
    let a = web.post("/admin/privacy", &[("sessions_days", "3"), ("messages_days", "30"), ("audit_days", "")]);
    assert_eq!(a.status, 422, "{}", a.body);
    assert!(a.body.contains("id=\"error-sessions_days\""), "{}", a.body);
    let a = web.post("/admin/privacy", &[("sessions_days", "30"), ("messages_days", "60"), ("audit_days", "400")]);
    assert_eq!(a.status, 303, "{}", a.body);
    let shown = lango_ok(d, &["retention", "show", "--tenant", "demo"]);
    assert!(shown.contains("sessions: 30 days") && shown.contains("audit: 400 days"), "{shown}");
    assert!(web.get("/admin/audit?format=csv").body.contains("tenant.retention"));

    // Phones: in full for the roles that call customers, masked for
    // read-only admins, on the list, its CSV, the customer page and the
    // audit trail.
    let alice = customer_id(d, "Alice Wanjiru");
    let pages =
        ["/admin/customers".to_string(), "/admin/customers?format=csv".into(), format!("/admin/customers/{alice}")];
    for (role, full) in [("read-only", false), ("operator", true), ("cashier", true), ("tenant-admin", true)] {
        let name = format!("phones-{role}");
        let pw = make_admin(d, &["--tenant", "demo", "--name", &name, "--role", role]);
        let web = AdminWeb::login(s.http, &name, &pw);
        for path in &pages {
            let body = web.get(path).body;
            assert_eq!(body.contains("254712000001"), full, "{role} on {path}");
            // (The audit trail on the customer page holds it masked for
            // every role: the audit log is not sealed.)
            if !full {
                assert!(body.contains("2547****0001"), "{role} on {path}");
            }
        }
        if role == "read-only" {
            let audit = web.get("/admin/audit").body;
            assert!(!audit.contains("254712000001") && audit.contains("2547****0001"), "{audit}");
        }
    }
}

#[test]
fn no_full_msisdn_in_a_payments_webhook_log_or_export() {
    use crate::support::daraja::{self, C2bPayKind};
    use crate::support::receiver::Receiver;
    let r = crate::billing::rig("privacy-c2b");
    let d = &r.server.data;
    crate::billing::mpesa_setup(d, &r.daraja.base_url(), &["--shortcode", daraja::C2B_SHORTCODE]);
    r.cli(&["mpesa", "register-c2b", "--tenant", "demo"]);
    let hook = Receiver::start(&[]);
    r.cli(&["webhook", "add", "--tenant", "demo", "--url", &format!("http://{}/h", hook.addr)]);

    let (_, confirmed) = r.daraja.c2b_pay(C2bPayKind::PayBill, "254712345678", 1500, "demo-expired");
    assert_eq!(confirmed, Some(200));
    // Money nobody can match, the payer's number typed as the account.
    let (_, confirmed) = r.daraja.c2b_pay(C2bPayKind::PayBill, "254700000001", 200, "0700000001");
    assert_eq!(confirmed, Some(200));
    let got = hook.wait(std::time::Duration::from_secs(15), |g| {
        g.iter().filter(|x| x.headers["lango-event"] == "payment.received").count() >= 2
    });
    let payments: Vec<_> = got.iter().filter(|x| x.headers["lango-event"] == "payment.received").collect();
    assert_eq!(payments.len(), 2, "{got:?}");
    let full = ["254712345678", "0712345678", "254700000001", "0700000001"];
    for p in &payments {
        for n in full {
            assert!(!p.body.contains(n), "{n} in the webhook: {}", p.body);
        }
    }
    let matched: serde_json::Value = serde_json::from_str(&payments[0].body).unwrap();
    assert_eq!(matched["data"]["phone"], "2547****5678", "{matched}");
    assert_eq!(matched["data"]["amount"], 150000, "amounts are untouched: {matched}");

    let log = r.server.log();
    for n in full {
        assert!(!log.contains(n), "{n} in the log");
    }
    assert!(log.contains("matches no customer"), "the unmatched payment was logged");

    let csv = r.cli(&["export", "payments", "--tenant", "demo"]);
    assert!(csv.contains("2547****5678") && csv.contains("07****0001"), "{csv}");
    for n in full {
        assert!(!csv.contains(n), "{n} in the export: {csv}");
    }
    let csv = r.cli(&["export", "payments", "--tenant", "demo", "--with-phones"]);
    assert!(csv.contains("254712345678") && csv.contains("0700000001"), "{csv}");
}

#[test]
fn the_voucher_account_and_a_resellers_wallet_are_not_erased() {
    let s = Server::demo();
    let d = &s.data;
    lango_ok(d, &["voucher", "batch", "--tenant", "demo", "--plan", "Hotspot 1 hour 1 GB", "--count", "2"]);
    let sales = customer_id(d, "Voucher sales");
    let bad = lango(d, &["customer", "erase", "--tenant", "demo", &sales, "--confirm", &sales]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a person"), "{bad:?}");
    make_admin(d, &["--tenant", "demo", "--name", "shopkeeper", "--role", "reseller"]);
    let wallet = lango_ok(d, &["customer", "list", "--tenant", "demo"]);
    let wallet = wallet.lines().last().unwrap().split_whitespace().next().unwrap().to_string();
    let bad = lango(d, &["customer", "erase", "--tenant", "demo", &wallet, "--confirm", &wallet]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("reseller shopkeeper's wallet"), "{bad:?}");
}

#[test]
fn a_customer_gives_and_withdraws_consent_on_the_account_page() {
    let s = Server::demo();
    let d = &s.data;
    let alice = customer_id(d, "Alice Wanjiru");
    let login = http(s.http, "GET", "/account", &[], "");
    let csrf = input_value(&login.body, "csrf").unwrap_or_else(|| panic!("{}", login.body));
    let fields = [("csrf", csrf.as_str()), ("tenant", "demo"), ("username", "demo-pppoe"), ("password", "demo-pass")];
    let a = http(s.http, "POST", "/account/login", &[], &form(&fields));
    let cookie = format!("lango_acct={}", set_cookie(&a, "lango_acct").unwrap_or_else(|| panic!("{}", a.head)));
    let home = http(s.http, "GET", "/account", &[("Cookie", &cookie)], "");
    assert!(home.body.contains("id=\"consent-form\"") && !home.body.contains("checked"), "{}", home.body);
    let csrf = input_value(&home.body, "csrf").unwrap();

    let said = http(
        s.http,
        "POST",
        "/account/consent",
        &[("Cookie", &cookie)],
        &form(&[("csrf", &csrf), ("marketing_sms", "on")]),
    );
    assert_eq!(said.status, 303, "{}", said.body);
    let prefs = lango_ok(d, &["notify", "prefs", "--tenant", "demo", "--customer", &alice]);
    assert!(prefs.contains("marketing sms    on") && prefs.contains("marketing email  off"), "{prefs}");
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get(&format!("/admin/customers/{alice}")).body;
    assert!(page.contains("by customer:account-page"), "{page}");
    // A forged form (no valid token) changes nothing.
    let forged = http(
        s.http,
        "POST",
        "/account/consent",
        &[("Cookie", &cookie)],
        &form(&[("csrf", "x"), ("marketing_email", "on")]),
    );
    assert_eq!(forged.status, 200);
    assert!(
        lango_ok(d, &["notify", "prefs", "--tenant", "demo", "--customer", &alice]).contains("marketing email  off")
    );

    // Withdrawn: the box left unticked.
    let a = http(s.http, "POST", "/account/consent", &[("Cookie", &cookie)], &form(&[("csrf", &csrf)]));
    assert_eq!(a.status, 303);
    let prefs = lango_ok(d, &["notify", "prefs", "--tenant", "demo", "--customer", &alice]);
    assert!(prefs.contains("marketing sms    off"), "{prefs}");
    let audit = web.get("/admin/audit?format=csv").body;
    assert_eq!(audit.matches(",customer:account-page,customer.prefs,").count(), 2, "{audit}");
}

/// Payment tokenization: every phone number is sealed in the database
/// file, and found only through its token. Money from a customer's number
/// with an account that names nothing is still that customer's; an admin
/// finds the customer by the whole number in any form, not by a part of it.
#[test]
fn phones_are_sealed_in_the_database_and_found_through_their_tokens() {
    use crate::support::daraja::{self, C2bPayKind};
    let r = crate::billing::rig("privacy-sealed");
    let d = &r.server.data;
    crate::billing::mpesa_setup(d, &r.daraja.base_url(), &["--shortcode", daraja::C2B_SHORTCODE]);
    r.cli(&["mpesa", "register-c2b", "--tenant", "demo"]);
    let alice = customer_id(d, "Alice Wanjiru");
    // A customer the portal would make from an STK number, and one with an
    // e-mail address.
    r.cli(&[
        "customer",
        "add",
        "--tenant",
        "demo",
        "--name",
        "Njeri",
        "--phone",
        "0722000777",
        "--email",
        "njeri@example.org",
    ]);

    let (_, confirmed) = r.daraja.c2b_pay(C2bPayKind::PayBill, "254712000001", 300, "no-such-account");
    assert_eq!(confirmed, Some(200));
    let mut line = String::new();
    for _ in 0..100 {
        let csv = r.cli(&["export", "payments", "--tenant", "demo"]);
        if let Some(l) = csv.lines().find(|l| l.contains("no-such-account")) {
            line = l.to_string();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let cols: Vec<&str> = line.split(',').collect();
    assert_eq!(cols.get(2), Some(&alice.as_str()), "matched to Alice by her number's token: {line}");
    assert!(line.contains("2547****0001"), "masked in the export: {line}");

    let web = AdminWeb::login(r.server.http, "demo", "demo-admin-pass");
    for q in ["0712000001", "%2B254712000001", "254712000001", "0722000777"] {
        let page = web.get(&format!("/admin/customers?q={q}"));
        let want = if q == "0722000777" { "Njeri" } else { "Alice Wanjiru" };
        assert!(page.body.contains(want), "{q} finds {want}");
        assert!(!page.body.contains("Corner shop"), "{q} finds only {want}");
    }
    let page = web.get("/admin/customers?q=2000001");
    assert!(!page.body.contains("Alice Wanjiru"), "a part of a number finds nothing");
    let page = web.get("/admin/customers?q=njeri%40example");
    assert!(page.body.contains("Njeri"), "an e-mail search opens the rows");
    // Payments by the payer's whole number; the page shows it opened.
    let page = web.get("/admin/payments?q=0712000001").body;
    assert!(page.contains("<tr id=\"payment-") && page.contains("<td>254712000001</td>"), "{page}");
    let page = web.get("/admin/payments?q=2000001").body;
    assert!(!page.contains("<tr id=\"payment-"), "a part of a number finds no payment: {page}");
    let page = web.get("/admin/payments").body;
    assert!(page.contains("254712000001"), "the newest page is opened: {page}");

    // Nothing in the data directory but the key file holds a number or
    // the address in clear: not the database, not the journal.
    let forms = ["254712000001", "0712000001", "712000001", "254722000777", "0722000777", "njeri@example.org"];
    let mut files = vec![d.to_path_buf()];
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        // (The control socket is not a file.)
        if p.file_name().is_some_and(|n| n == "lango.key") || !p.is_file() {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        seen += bytes.len();
        for f in forms {
            assert!(!bytes.windows(f.len()).any(|w| w == f.as_bytes()), "{f} in clear in {}", p.display());
        }
    }
    assert!(seen > 100_000, "the database was read ({seen} bytes)");
}
