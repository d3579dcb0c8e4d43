//! REST API tokens from the admin pages in headless Chromium: made (shown
//! once), used on /api/v1 (its "last used" then shows), revoked (the API
//! answers 401 at once); the same tokens through `lango api-token`.

use std::time::Duration;

use crate::harness::*;
use crate::support::browser::Browser;

const PAGE: Duration = Duration::from_secs(15);

fn api(s: &Server, token: &str) -> Answer {
    http(s.http, "GET", "/api/v1/customers", &[("Authorization", &format!("Bearer {token}"))], "")
}

#[test]
fn a_token_is_made_used_and_revoked_from_the_admin_pages() {
    let s = Server::demo();
    let base = format!("http://127.0.0.1:{}", s.http.port());
    let b = Browser::start_laptop();
    b.goto(&format!("{base}/admin/api-tokens"));
    b.find("#username", PAGE);
    b.clear_and_type("#username", "demo");
    b.clear_and_type("#password", "demo-admin-pass");
    b.click("#sign-in");
    b.find("#token-form", PAGE);
    b.clear_and_type("#token-name", "crm-sync");
    b.select("#token-role", "operator");
    b.click("#make-token");
    b.find("#api-token", PAGE);
    let token = b.text("#api-token");
    assert!(token.starts_with("lgo_"), "{token}");
    b.keep_screenshot("admin-api-token");

    let used = api(&s, &token);
    assert_eq!(used.status, 200, "{}", used.body);
    b.goto(&format!("{base}/admin/api-tokens"));
    let row = b.text("tr[data-token=crm-sync]");
    assert!(row.contains("operator") && !row.contains("never"), "last used shows: {row}");
    let listed = lango_ok(&s.data, &["api-token", "list", "--tenant", "demo"]);
    assert!(listed.contains("crm-sync") && listed.contains("operator"), "{listed}");
    assert!(!listed.contains(&token) && !b.source().contains(&token), "the token is never shown again");

    b.click("tr[data-token=crm-sync] button");
    b.accept_alert();
    b.wait_text("revoked", PAGE);
    assert_eq!(api(&s, &token).status, 401, "a revoked token stops at once");
    assert!(!lango_ok(&s.data, &["api-token", "list", "--tenant", "demo"]).contains("crm-sync"));
    b.goto(&format!("{base}/admin/audit"));
    let audit = b.wait_text("api_token.revoke", PAGE);
    assert!(audit.contains("api_token.create") && !b.source().contains(&token), "audited without the token");
}

#[test]
fn token_forms_check_their_fields_and_the_cli_revokes_too() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let bad = web.post("/admin/api-tokens", &[("name", ""), ("role", "operator")]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-name\""));
    let bad = web.post("/admin/api-tokens", &[("name", "erp"), ("role", "platform-admin")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-role\"") && bad.body.contains("value=\"erp\""), "{}", bad.body);
    assert_eq!(web.post("/admin/api-tokens/0123456789abcdef/revoke", &[]).status, 404);

    let token = lango_ok(&s.data, &["api-token", "create", "--tenant", "demo", "--name", "erp"]).trim().to_string();
    assert_eq!(api(&s, &token).status, 200);
    let id = lango::store::sha256_hex(&token)[..16].to_string();
    assert!(web.get("/admin/api-tokens").body.contains(&id), "the page lists the CLI's token");
    let out = lango_ok(&s.data, &["api-token", "revoke", "--tenant", "demo", &id]);
    assert!(out.contains("revoked"), "{out}");
    assert_eq!(api(&s, &token).status, 401);
    let audit = web.get("/admin/audit").body;
    assert!(audit.contains("api_token.revoke") && !audit.contains(&token));
}
