//! A router's page against the real binary: settings edited with field
//! errors that keep what was typed, the Message-Authenticator exemption
//! saved and audited; the shared secret rotated (radclient: the new one is
//! answered, the old one no longer) and a new hook token (the old one 401,
//! the new one 200) — each shown once and never in the audit log. The same
//! operations through `lango nas edit|rotate-secret`.

use std::time::Duration;

use crate::billing::eventually;
use crate::harness::*;

const LOGIN: &str = "User-Name=demo-pppoe,User-Password=demo-pass,Message-Authenticator=0x00";

/// The text of the element with `id` (up to its first tag).
fn by_id<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no id={id} in {page}"));
    let rest = &page[start..];
    let open = rest.find('>').unwrap() + 1;
    &rest[open..open + rest[open..].find('<').unwrap()]
}

fn hook_health(s: &Server, token: &str) -> u16 {
    http(s.http, "GET", "/hook/health", &[("Authorization", &format!("Bearer {token}"))], "").status
}

#[test]
fn a_router_is_edited_its_secret_rotated_and_its_hook_token_renewed() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get("/admin/nas/1");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("value=\"127.0.0.0/8\"") && !page.body.contains(DEMO_SECRET), "{}", page.body);
    assert!(page.body.contains("Blast-RADIUS"), "the exemption carries its warning");

    // Field errors, all at once, and what was typed comes back.
    let bad = web.post("/admin/nas/1", &[("name", "Core"), ("address", "10.0.0.0/40"), ("coa_port", "abc")]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-address\"") && bad.body.contains("id=\"error-coa_port\""));
    assert!(bad.body.contains("value=\"10.0.0.0/40\"") && bad.body.contains("value=\"abc\""));
    let ok = web.post(
        "/admin/nas/1",
        &[
            ("name", "Core"),
            ("address", "127.0.0.0/8"),
            ("coa_port", "3800"),
            ("allow_missing_message_authenticator", "on"),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let list = lango_ok(&s.data, &["nas", "list", "--tenant", "demo"]);
    assert!(list.contains("Core") && list.contains("false"), "MA no longer required: {list}");
    let audit = web.get("/admin/audit").body;
    assert!(audit.contains("nas.update") && audit.contains("coa_port=3800"), "before → after audited");
    lango_ok(&s.data, &["nas", "edit", "--tenant", "demo", "1", "--allow-missing-message-authenticator", "false"]);
    assert!(lango_ok(&s.data, &["nas", "list", "--tenant", "demo"]).contains("true"), "required again");

    // A new secret: shown once; the router's old one stops working.
    assert!(radclient(s.auth, "auth", DEMO_SECRET, LOGIN).is("Access-Accept"));
    let rotated = web.post("/admin/nas/1/secret", &[]);
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let secret = by_id(&rotated.body, "radius-secret").to_string();
    assert_eq!(secret.len(), 24);
    assert!(rotated.body.contains("/radius set [find comment=&#34;lango:radius&#34;]"), "{}", rotated.body);
    eventually("the new secret is answered", Duration::from_secs(15), || {
        radclient(s.auth, "auth", &secret, LOGIN).is("Access-Accept")
    });
    assert!(!radclient(s.auth, "auth", DEMO_SECRET, LOGIN).is("Access-Accept"), "the old secret is dead");
    assert!(!web.get("/admin/nas/1").body.contains(&secret), "never shown again");

    // Hook tokens: a new one replaces the old.
    let old = lango_ok(&s.data, &["nas", "hook-token", "--tenant", "demo", "1"]).trim().to_string();
    assert_eq!(hook_health(&s, &old), 200);
    let made = web.post("/admin/nas/1/hook-token", &[]);
    let token = by_id(&made.body, "hook-token").to_string();
    assert_eq!(hook_health(&s, &token), 200);
    assert_eq!(hook_health(&s, &old), 401);

    let audit = web.get("/admin/audit").body;
    assert!(audit.contains("nas.secret_rotated"));
    for hidden in [secret.as_str(), token.as_str()] {
        assert!(!audit.contains(hidden) && !s.log().contains(hidden), "{hidden} leaked");
    }
    assert_eq!(web.get("/admin/nas/999999").status, 404);

    // The command line rotates too.
    let out = lango_ok(&s.data, &["nas", "rotate-secret", "--tenant", "demo", "1"]);
    let cli_secret = out.lines().next().unwrap().rsplit(' ').next().unwrap().to_string();
    assert!(out.contains("/radius set [find comment=\"lango:radius\"]"), "{out}");
    eventually("the CLI's secret is answered", Duration::from_secs(15), || {
        radclient(s.auth, "auth", &cli_secret, LOGIN).is("Access-Accept")
    });
}

/// The router's API login saved from its page, then provisioning in
/// Chromium against the RouterOS API simulator: the changes previewed
/// (nothing sent), applied after the confirm dialog, and a second preview
/// that finds nothing to do.
#[test]
fn a_router_is_provisioned_from_the_browser_with_a_preview_first() {
    use crate::support::browser::Browser;
    use crate::support::routeros::RouterOsSim;
    const PAGE: Duration = Duration::from_secs(20);
    let sim = RouterOsSim::start("lango-api", "api-pass-Browser1");
    let s = Server::demo();
    let base = format!("http://127.0.0.1:{}", s.http.port());
    let b = Browser::start_laptop();
    b.goto(&format!("{base}/admin/nas/1"));
    b.find("#username", PAGE);
    b.clear_and_type("#username", "demo");
    b.clear_and_type("#password", "demo-admin-pass");
    b.click("#sign-in");
    b.find("#api-form", PAGE);
    b.clear_and_type("#api-form input[name=host]", "127.0.0.1");
    b.clear_and_type("#api-form input[name=port]", &sim.addr().port().to_string());
    b.clear_and_type("#api-form input[name=user]", "lango-api");
    b.clear_and_type("#api-form input[name=password]", "api-pass-Browser1");
    b.clear_and_type("#api-form input[name=lango_address]", "10.5.50.2");
    b.click("#save-api");
    b.wait_text("RouterOS API of", PAGE);
    assert!(!b.source().contains("api-pass-Browser1"), "the password is never shown back");

    b.click("#provision");
    b.find("#change-list", PAGE);
    let planned = b.text("#change-list");
    assert!(planned.contains("/radius add address=10.5.50.2 secret=***"), "{planned}");
    assert!(!planned.contains(DEMO_SECRET));
    assert!(sim.changes().is_empty(), "a preview sends nothing: {:?}", sim.changes());
    b.keep_screenshot("admin-provision-preview");
    b.click("#apply");
    b.accept_alert();
    b.find("#applied", PAGE);
    assert!(!sim.changes().is_empty());
    let radius = sim.rows("/radius");
    let ours: Vec<_> = radius.iter().filter(|r| r.get("comment").map(String::as_str) == Some("lango:radius")).collect();
    assert_eq!(ours.len(), 1, "{radius:?}");
    assert_eq!(ours[0]["secret"], DEMO_SECRET);
    assert_eq!(ours[0]["address"], "10.5.50.2");
    b.keep_screenshot("admin-provision-applied");

    // Again: nothing left to do.
    let sent = sim.changes().len();
    b.goto(&format!("{base}/admin/nas/1/provision?lango_address=10.5.50.2&portal_port=8080"));
    b.find("#no-changes", PAGE);
    assert_eq!(sim.changes().len(), sent);
    let audit = lango_ok(&s.data, &["routeros", "show", "demo-loopback"]);
    assert!(audit.contains("lango-api") && !audit.contains("api-pass-Browser1"), "{audit}");
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let log = web.get("/admin/audit").body;
    assert!(log.contains("router_api") || log.contains("routeros"), "the API login change is audited");
    assert!(!log.contains("api-pass-Browser1"));
}

#[test]
fn a_routers_sessions_leases_and_hosts_are_read_and_a_session_ended_from_its_page() {
    use crate::support::routeros::RouterOsSim;
    let sim = RouterOsSim::start("lango-api", "api-pass-Lookup1");
    sim.seed(
        "/ip/dhcp-server/lease",
        &[("address", "10.5.50.23"), ("mac-address", "AA:BB:CC:00:00:23"), ("host-name", "amina-phone")],
    );
    sim.seed("/ip/hotspot/host", &[("mac-address", "AA:BB:CC:00:00:31"), ("address", "10.5.60.31")]);
    sim.seed("/ppp/active", &[("name", "pppoe-jane"), ("address", "10.7.0.41"), ("uptime", "1h2m")]);
    sim.seed("/ip/hotspot/active", &[("user", "VOUCHER-1"), ("address", "10.5.60.31"), ("uptime", "5m")]);
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");

    // Without an API login the page says what to do.
    let none = web.get("/admin/nas/1/lookup?what=active");
    assert_eq!(none.status, 409, "{}", none.body);
    assert!(none.body.contains("no RouterOS API login yet"), "{}", none.body);

    let port = sim.addr().port().to_string();
    let saved = web.post(
        "/admin/nas/1/api",
        &[
            ("host", "127.0.0.1"),
            ("port", &port),
            ("user", "lango-api"),
            ("password", "api-pass-Lookup1"),
            ("lango_address", "10.5.50.2"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let leases = web.get("/admin/nas/1/lookup?what=leases");
    assert_eq!(leases.status, 200, "{}", leases.body);
    assert!(leases.body.contains("amina-phone") && leases.body.contains("10.5.50.23"), "{}", leases.body);
    let hosts = web.get("/admin/nas/1/lookup?what=hosts");
    assert!(hosts.body.contains("AA:BB:CC:00:00:31"), "{}", hosts.body);
    let active = web.get("/admin/nas/1/lookup?what=active");
    assert!(active.body.contains("pppoe-jane") && active.body.contains("VOUCHER-1"), "{}", active.body);

    // End one by login: the router loses it, the other stays, audited.
    let none_given = web.post("/admin/nas/1/kick", &[("user", ""), ("address", "")]);
    assert_eq!(none_given.status, 409, "{}", none_given.body);
    let ended = web.post("/admin/nas/1/kick", &[("user", "pppoe-jane")]);
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert!(set_cookie(&ended, "lango_flash").unwrap_or_default().starts_with("1+session"), "{}", ended.head);
    assert!(sim.rows("/ppp/active").is_empty());
    assert_eq!(sim.rows("/ip/hotspot/active").len(), 1);
    let by_address = web.post("/admin/nas/1/kick", &[("address", "10.5.60.31")]);
    assert_eq!(by_address.status, 303, "{}", by_address.body);
    assert!(sim.rows("/ip/hotspot/active").is_empty());
    let audit = web.get("/admin/audit");
    assert!(audit.body.contains("nas.kick") && audit.body.contains("user=pppoe-jane ended=1"), "{}", audit.body);

    // Other tenants' admins: the RBAC walk (admin_rbac.rs) tries these
    // routes with this router's id.
}
