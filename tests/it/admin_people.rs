//! The admin UI's people, tenants and webhooks pages against the real
//! binary: a tenant admin makes an operator whose generated password signs
//! in, is refused a taken name and a platform-admin role, disables the
//! operator (its live session ends); a platform admin makes a tenant,
//! edits its settings, shows it and makes its admin, who sees nothing of
//! the demo tenant; the webhooks page shows real deliveries, newest
//! first, and adds an endpoint showing its secret once.

use std::time::{Duration, Instant};

use crate::harness::*;
use crate::support::receiver::Receiver;

/// The text of the element with `id` (up to its closing tag).
fn by_id<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no id={id} in {page}"));
    let rest = &page[start..];
    let open = rest.find('>').unwrap() + 1;
    &rest[open..open + rest[open..].find('<').unwrap()]
}

/// The table with `id`, whole.
fn table<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<table class=\"list\" id=\"{id}\"")).unwrap_or_else(|| panic!("no table {id}"));
    let rest = &page[start..];
    &rest[..rest.find("</table>").unwrap()]
}

fn location(a: &Answer) -> String {
    a.head
        .lines()
        .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
        .unwrap_or_else(|| panic!("no location: {}", a.head))
        .trim()
        .to_string()
}

/// The id of the demo customer named `name`.
fn demo_customer(data: &std::path::Path, name: &str) -> String {
    lango_ok(data, &["customer", "list", "--tenant", "demo"])
        .lines()
        .find(|l| l.contains(name))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string()
}

#[test]
fn tenant_admin_makes_and_disables_admins() {
    let s = Server::demo();
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let form = boss.get("/admin/admins/new");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"operator\"") && !form.body.contains("platform-admin"), "{}", form.body);

    let made = boss.post("/admin/admins", &[("name", "olive"), ("role", "operator")]);
    assert_eq!(made.status, 200, "{}", made.body);
    let pw = by_id(&made.body, "new-password").to_string();
    assert_eq!(pw.chars().count(), 20, "{pw}");
    let olive = AdminWeb::login(s.http, "olive", &pw);
    assert_eq!(olive.get("/admin/customers").status, 200);
    assert_eq!(olive.get("/admin/admins").status, 403, "an operator manages no admins");
    assert_eq!(olive.post("/admin/admins", &[("name", "x"), ("role", "operator")]).status, 403);
    let listed = lango_ok(&s.data, &["admin", "list", "--tenant", "demo"]);
    assert!(listed.lines().any(|l| l.starts_with("olive") && l.contains("operator") && l.contains("active")));

    // A taken name and a role it may not give come back with the field's error and what was typed.
    let taken = boss.post("/admin/admins", &[("name", "olive"), ("role", "cashier")]);
    assert_eq!(taken.status, 422);
    assert!(by_id(&taken.body, "error-name").contains("taken"), "{}", taken.body);
    assert!(taken.body.contains("name=\"name\" value=\"olive\""));
    assert!(taken.body.contains("<option value=\"cashier\" selected>"), "the role typed is kept");
    let root = boss.post("/admin/admins", &[("name", "sneaky"), ("role", "platform-admin")]);
    assert_eq!(root.status, 422);
    assert!(by_id(&root.body, "error-role").contains("platform admin"), "{}", root.body);
    let bad = boss.post("/admin/admins", &[("name", "wiz"), ("role", "wizard")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-role\""));
    let all = lango_ok(&s.data, &["admin", "list"]) + &lango_ok(&s.data, &["admin", "list", "--tenant", "demo"]);
    assert!(!all.contains("sneaky") && !all.contains("wiz"), "nothing was made: {all}");

    // A reseller comes with its wallet customer.
    let rita = boss.post("/admin/admins", &[("name", "rita"), ("role", "reseller")]);
    assert_eq!(rita.status, 200, "{}", rita.body);
    assert!(lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]).contains("Reseller rita"));

    // The list: everyone of the tenant, the caller without a disable button.
    let list = boss.get("/admin/admins");
    let rows = table(&list.body, "admins");
    assert!(rows.contains("olive") && rows.contains("rita") && rows.contains("reseller"), "{rows}");
    assert!(!rows.contains("action=\"/admin/admins/demo/disable\""), "no disabling oneself from the list");
    let me = boss.post("/admin/admins/demo/disable", &[]);
    assert_eq!(me.status, 422, "{}", me.body);

    // Disabling the operator ends its live session and refuses its sign-in.
    let off = boss.post("/admin/admins/olive/disable", &[]);
    assert_eq!(off.status, 303, "{}", off.body);
    let after = olive.get("/admin/customers");
    assert_eq!(after.status, 303);
    assert!(location(&after).starts_with("/admin/login"), "{}", after.head);
    assert_eq!(AdminWeb::try_login(s.http, "olive", &pw).status, 401);
    assert!(table(&boss.get("/admin/admins").body, "admins").contains("status-disabled"));
    let audit = boss.get("/admin/audit?object=admin%2Folive");
    assert!(audit.body.contains("admin.disable") && audit.body.contains("admin:demo from 127.0.0.1"), "{}", audit.body);
    assert_eq!(boss.post("/admin/admins/olive/enable", &[]).status, 303);
    assert_eq!(AdminWeb::try_login(s.http, "olive", &pw).status, 303, "enabled again");

    // Another tenant's admin, or a platform admin, is not found.
    lango_ok(&s.data, &["tenant", "add", "other"]);
    let pw_x = make_admin(&s.data, &["--tenant", "other", "--name", "xavier", "--role", "tenant-admin"]);
    let pw_p = make_admin(&s.data, &["--name", "root", "--role", "platform-admin"]);
    assert_eq!(boss.post("/admin/admins/xavier/disable", &[]).status, 404);
    assert_eq!(boss.post("/admin/admins/root/disable", &[]).status, 404);
    assert!(!table(&boss.get("/admin/admins").body, "admins").contains("xavier"));
    assert_eq!(AdminWeb::try_login(s.http, "xavier", &pw_x).status, 303, "still enabled");
    assert_eq!(AdminWeb::try_login(s.http, "root", &pw_p).status, 303, "still enabled");
}

#[test]
fn platform_admin_makes_a_tenant_and_its_admin() {
    let s = Server::demo();
    let pw = make_admin(&s.data, &["--name", "root", "--role", "platform-admin"]);
    let root = AdminWeb::login(s.http, "root", &pw);
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    assert_eq!(boss.get("/admin/tenants").status, 403, "a tenant admin manages no tenants");
    assert_eq!(boss.post("/admin/tenants", &[("slug", "x")]).status, 403);
    assert!(table(&root.get("/admin/tenants").body, "tenants").contains("demo"));

    let bad = root
        .post("/admin/tenants", &[("slug", "demo"), ("name", ""), ("timezone", "Mars/Olympus"), ("currency", "KE")]);
    assert_eq!(bad.status, 422);
    for field in ["slug", "timezone", "currency"] {
        assert!(bad.body.contains(&format!("id=\"error-{field}\"")), "{field}: {}", bad.body);
    }
    assert!(bad.body.contains("value=\"Mars/Olympus\""), "what was typed is kept");
    let made = root.post(
        "/admin/tenants",
        &[("slug", "acme"), ("name", "Acme Net"), ("timezone", "Africa/Kampala"), ("currency", "ugx")],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let settings = location(&made);
    let id = settings.rsplit('/').next().unwrap().to_string();
    let tenants = lango_ok(&s.data, &["tenant", "list"]);
    let line = tenants.lines().find(|l| l.contains("acme")).unwrap_or_else(|| panic!("{tenants}"));
    assert!(line.contains("Acme Net") && line.contains("Africa/Kampala") && line.contains("UGX"), "{line}");

    // Settings: refused field by field, then saved.
    let page = root.get(&settings);
    assert_eq!(page.status, 200);
    assert!(by_id(&page.body, "mpesa").starts_with("Not configured"));
    let mut fields = vec![
        ("name", "Acme Networks"),
        ("timezone", "Africa/Kampala"),
        ("currency", "UGX"),
        ("vat", "18"),
        ("inclusive", "on"),
        ("prefix", "ACME-"),
        ("tax_pin", "P051234567X"),
        ("display_name", "Acme WiFi"),
        ("colour", "red"),
        ("support_phone", "0700111222"),
        ("terms", "Fair use applies."),
        ("language", "sw"),
    ];
    let refused = root.post(&settings, &fields);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("id=\"error-colour\""), "{}", refused.body);
    assert!(lango_ok(&s.data, &["tenant", "list"]).contains("Acme Net "), "nothing saved");
    fields[8] = ("colour", "#112233");
    let saved = root.post(&settings, &fields);
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(lango_ok(&s.data, &["tenant", "list"]).contains("Acme Networks"));
    let page = root.get(&settings);
    for shown in [
        "name=\"vat\" value=\"18\"",
        "name=\"inclusive\" checked",
        "value=\"ACME-\"",
        "value=\"P051234567X\"",
        "value=\"#112233\"",
        "<option value=\"sw\" selected>",
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }

    // M-Pesa: configured or not, its secrets never shown.
    lango_ok(
        &s.data,
        &[
            "mpesa",
            "setup",
            "--tenant",
            "demo",
            "--consumer-key",
            "ck-visible-nowhere",
            "--consumer-secret",
            "cs-visible-nowhere",
            "--shortcode",
            "174379",
            "--passkey",
            "pk-visible-nowhere",
        ],
    );
    let demo_id = tenants.lines().find(|l| l.contains(" demo ")).and_then(|l| l.split_whitespace().next()).unwrap();
    let demo = root.get(&format!("/admin/tenants/{demo_id}"));
    assert!(by_id(&demo.body, "mpesa").starts_with("Configured: sandbox, shortcode 174379"), "{}", demo.body);
    assert!(!demo.body.contains("visible-nowhere"));
    assert_eq!(root.get("/admin/tenants/999").status, 404);

    // Shown as the acting tenant, the platform admin makes its admin.
    let switched = root.post("/admin/tenant", &[("tenant", &id)]);
    assert_eq!(switched.status, 303);
    let audit = root.get("/admin/audit").body;
    for action in ["tenant.create", "tenant.update", "tenant.billing", "tenant.branding"] {
        assert!(audit.contains(action), "{action} in the new tenant's audit log: {audit}");
    }
    let form = root.get("/admin/admins/new");
    assert!(form.body.contains("value=\"platform-admin\""), "a platform admin may make platform admins");
    let made = root.post("/admin/admins", &[("name", "acme-boss"), ("role", "tenant-admin")]);
    assert_eq!(made.status, 200, "{}", made.body);
    let pw_acme = by_id(&made.body, "new-password").to_string();
    assert!(lango_ok(&s.data, &["admin", "list", "--tenant", "acme"]).contains("acme-boss"));
    assert!(!lango_ok(&s.data, &["admin", "list", "--tenant", "demo"]).contains("acme-boss"));
    let list = table(&root.get("/admin/admins").body, "admins").to_string();
    assert!(list.contains("acme-boss") && list.contains("root") && !list.contains(">demo<"), "{list}");

    // That admin sees nothing of the demo tenant.
    let acme = AdminWeb::login(s.http, "acme-boss", &pw_acme);
    let alice = demo_customer(&s.data, "Alice");
    assert_eq!(acme.get(&format!("/admin/customers/{alice}")).status, 404);
    assert_eq!(boss.get(&format!("/admin/customers/{alice}")).status, 200, "the demo admin does");
    let customers = acme.get("/admin/customers");
    assert_eq!(customers.status, 200);
    assert!(!customers.body.contains("Alice"));
    assert!(by_id(&customers.body, "tenant-name").contains("Acme Networks"));
    let theirs = table(&acme.get("/admin/admins").body, "admins").to_string();
    assert!(theirs.contains("acme-boss") && !theirs.contains("root") && !theirs.contains(">demo<"), "{theirs}");
    assert_eq!(acme.post("/admin/admins/demo/disable", &[]).status, 404);
    assert_eq!(acme.post("/admin/admins/root/disable", &[]).status, 404);
    assert_eq!(acme.get("/admin/tenants").status, 403);

    // A platform admin made from the form belongs to no tenant.
    let p2 = root.post("/admin/admins", &[("name", "root2"), ("role", "platform-admin")]);
    assert_eq!(p2.status, 200);
    assert!(lango_ok(&s.data, &["admin", "list"]).contains("root2"));
}

#[test]
fn webhooks_page_shows_deliveries_and_adds_endpoints() {
    let hook = Receiver::start(&[500]);
    let data = temp_dir("admin-webhooks");
    #[allow(clippy::disallowed_methods)] // the server's manual clock starts at real time
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let s = Server::start_env(&data, &["--demo", "--test-clock", &now], &[("LANGO_JOBS_TICK_SECS", "1")]);
    let url = format!("http://{}/crm", hook.addr);
    lango_ok(&data, &["webhook", "add", "--tenant", "demo", "--url", &url]);
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let empty = boss.get("/admin/webhooks");
    assert_eq!(empty.status, 200);
    assert!(table(&empty.body, "webhooks").contains(&url));
    assert!(table(&empty.body, "webhook-log").contains("Nothing delivered yet"));

    let alice = demo_customer(&data, "Alice");
    let pay = ["wallet", "post", "--tenant", "demo", "--customer", &alice, "--kind", "payment"];
    lango_ok(&data, &[&pay[..], &["--amount", "700", "--reason", "cash"]].concat());
    hook.wait(Duration::from_secs(10), |g| !g.is_empty());
    lango_ok(&data, &["clock-advance", "11"]);
    hook.wait(Duration::from_secs(10), |g| g.len() >= 2);
    // The second attempt is logged when its answer is in.
    let deadline = Instant::now() + Duration::from_secs(10);
    let log = loop {
        let page = boss.get("/admin/webhooks");
        let log = table(&page.body, "webhook-log").to_string();
        if log.contains("delivered") || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let rows: Vec<&str> = log.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{log}");
    assert!(rows.iter().all(|r| r.contains("payment.received") && r.contains(&url)), "{log}");
    assert!(rows[0].contains("<td>2</td><td>200</td><td>delivered"), "newest first: {log}");
    assert!(rows[1].contains("<td>1</td><td>500</td><td>retry in 10 s"), "{log}");

    // The form adds an endpoint; the secret is shown once and then never.
    let bad = boss.post("/admin/webhooks", &[("url", "ftp://crm.example.com"), ("event", "payment.made")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-url\"") && bad.body.contains("id=\"error-events\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"ftp://crm.example.com\""));
    let added = boss.post(
        "/admin/webhooks",
        &[("url", "https://crm.example.com/in"), ("event", "payment.received"), ("event", "session.started")],
    );
    assert_eq!(added.status, 200, "{}", added.body);
    let secret = by_id(&added.body, "webhook-secret").to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{secret}");
    let list = lango_ok(&data, &["webhook", "list", "--tenant", "demo"]);
    assert!(
        list.lines()
            .any(|l| l.contains("https://crm.example.com/in") && l.contains("payment.received,session.started"))
    );
    let page = boss.get("/admin/webhooks");
    assert!(table(&page.body, "webhooks").contains("https://crm.example.com/in"));
    assert!(!page.body.contains(&secret));

    // Operators see no webhooks.
    let pw = make_admin(&data, &["--tenant", "demo", "--name", "opal", "--role", "operator"]);
    let op = AdminWeb::login(s.http, "opal", &pw);
    assert_eq!(op.get("/admin/webhooks").status, 403);
    assert_eq!(op.post("/admin/webhooks", &[("url", "https://evil.example.com")]).status, 403);
    assert_eq!(lango_ok(&data, &["webhook", "list", "--tenant", "demo"]).lines().count(), 3);
}

#[test]
fn a_platform_admin_uploads_and_removes_a_tenants_logo_in_the_browser() {
    use crate::support::browser::Browser;
    use std::time::Duration;
    const PAGE: Duration = Duration::from_secs(20);
    let s = Server::demo();
    let pw = make_admin(&s.data, &["--name", "root", "--role", "platform-admin"]);
    // A 1×1 PNG, and a file that is not an image.
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";
    let good = s.data.join("logo.png");
    std::fs::write(&good, png).unwrap();
    let bad = s.data.join("logo.gif");
    std::fs::write(&bad, b"GIF89a not a logo").unwrap();
    let root = AdminWeb::login(s.http, "root", &pw);
    assert!(root.get("/admin/tenants/1").body.contains("id=\"logo-form\""), "tenant 1 is demo");

    let b = Browser::start_laptop();
    b.goto(&format!("http://127.0.0.1:{}/admin/login", s.http.port()));
    b.clear_and_type("#username", "root");
    b.clear_and_type("#password", &pw);
    b.click("#sign-in");
    b.find("nav", PAGE);
    b.goto(&format!("http://127.0.0.1:{}/admin/tenants/1", s.http.port()));
    b.find("#logo-form", PAGE);
    b.type_into("#logo-file", bad.to_str().unwrap());
    b.click("#logo-upload");
    b.find("#error-logo", PAGE);
    assert!(b.text("#error-logo").contains("neither a PNG nor an SVG"), "{}", b.text("body"));
    b.type_into("#logo-file", good.to_str().unwrap());
    b.click("#logo-upload");
    b.wait_text("Logo saved.", PAGE);
    b.find("#logo-preview", PAGE);
    b.keep_screenshot("admin-tenant-logo");
    // The portal serves it, sandboxed.
    let served = http(s.http, "GET", "/portal/logo/1", &[], "");
    assert_eq!(served.status, 200);
    assert!(served.head.to_ascii_lowercase().contains("content-type: image/png"), "{}", served.head);
    assert!(served.head.to_ascii_lowercase().contains("content-security-policy: default-src 'none'"));
    let audit = root.get("/admin/audit");
    assert!(audit.body.contains("tenant.branding"), "audited");
    b.click("#logo-remove");
    b.wait_text("Logo removed.", PAGE);
    assert_eq!(http(s.http, "GET", "/portal/logo/1", &[], "").status, 404);
    // A forged upload (no CSRF field) is refused.
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"l.png\"\r\n\r\nfake\r\n--{boundary}--\r\n"
    );
    let forged = http(
        s.http,
        "POST",
        "/admin/tenants/1/logo",
        &[
            ("Cookie", &format!("lango_admin={}", root.cookie)),
            ("Content-Type", &format!("multipart/form-data; boundary={boundary}")),
        ],
        &body,
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
}

#[test]
fn a_tenant_admin_resets_an_operators_password_shown_once() {
    let s = Server::demo();
    let old = make_admin(&s.data, &["--tenant", "demo", "--name", "olive", "--role", "operator"]);
    let olive = AdminWeb::login(s.http, "olive", &old);
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");

    assert_eq!(boss.post("/admin/admins/demo/reset", &[]).status, 422, "not one's own");
    assert_eq!(olive.post("/admin/admins/demo/reset", &[]).status, 403, "an operator manages no admins");
    let reset = boss.post("/admin/admins/olive/reset", &[("clear_totp", "on")]);
    assert_eq!(reset.status, 200, "{}", reset.body);
    let new = by_id(&reset.body, "new-password").to_string();
    assert!(new.len() >= 12 && new != old, "{new}");
    // Her session ended; the old password no longer works, the new one does.
    assert_eq!(olive.get("/admin/me").status, 303, "signed out");
    assert_eq!(AdminWeb::try_login(s.http, "olive", &old).status, 401, "the old password is refused");
    let again = AdminWeb::login(s.http, "olive", &new);
    assert_eq!(again.get("/admin/me").status, 200);
    let audit = boss.get("/admin/audit");
    assert!(audit.body.contains("admin.reset") && !audit.body.contains(&new), "audited without the password");
    assert!(!s.log().contains(&new), "never logged");
}
