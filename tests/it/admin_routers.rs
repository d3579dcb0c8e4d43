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
    assert!(rotated.body.contains("/radius set [find comment=&#34;lango&#34;]"), "{}", rotated.body);
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
    assert!(out.contains("/radius set [find comment=\"lango\"]"), "{out}");
    eventually("the CLI's secret is answered", Duration::from_secs(15), || {
        radclient(s.auth, "auth", &cli_secret, LOGIN).is("Access-Accept")
    });
}
