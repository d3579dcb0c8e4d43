//! Support tickets through the admin UI against the real binary: a
//! customer opens one from the account pages, the operator reads and
//! answers it (closing it), the customer sees the answer, and a reseller
//! who does not own the customer gets 404.

use crate::harness::*;

#[test]
fn a_customers_ticket_is_answered_and_closed_from_the_admin_ui() {
    let s = Server::demo();
    let to = s.http;

    // The customer signs in to the account pages and opens a ticket.
    let login = http(to, "GET", "/account", &[], "");
    let csrf = input_value(&login.body, "csrf").expect("account sign-in form");
    let fields = [("csrf", csrf.as_str()), ("tenant", "demo"), ("username", "demo-pppoe"), ("password", "demo-pass")];
    let signed = http(to, "POST", "/account/login", &[], &form(&fields));
    let acct = set_cookie(&signed, "lango_acct").unwrap_or_else(|| panic!("{}\n{}", signed.head, signed.body));
    let cookie = format!("lango_acct={acct}");
    let home = http(to, "GET", "/account", &[("Cookie", &cookie)], "");
    let csrf = input_value(&home.body, "csrf").unwrap();
    let opened = http(
        to,
        "POST",
        "/account/tickets",
        &[("Cookie", &cookie)],
        &form(&[("csrf", &csrf), ("subject", "Slow <b>at night</b>"), ("message", "Drops after 8 pm.")]),
    );
    assert!(opened.status == 303 || opened.status == 200, "{}", opened.body);

    // The operator finds it, open, and answers it with the close box ticked.
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "desk", "--role", "operator"]);
    let op = AdminWeb::login(to, "desk", &pw);
    let list = op.get("/admin/tickets");
    assert!(
        list.body.contains("Slow &lt;b&gt;at night&lt;/b&gt;") || list.body.contains("Slow &#60;b&#62;"),
        "{}",
        list.body
    );
    assert!(!list.body.contains("<b>at night</b>"));
    let id = list.body.split("href=\"/admin/tickets/").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let page = op.get(&format!("/admin/tickets/{id}"));
    assert!(page.body.contains("Drops after 8 pm.") && page.body.contains("id=\"answer-form\""));
    let empty = op.post(&format!("/admin/tickets/{id}"), &[("message", "   ")]);
    assert_eq!(empty.status, 422, "an empty answer re-renders: {}", empty.body);
    let sent = op.post(&format!("/admin/tickets/{id}"), &[("message", "Fixed the link; try again."), ("close", "on")]);
    assert_eq!(sent.status, 303, "{}", sent.body);
    let cli = lango_ok(&s.data, &["ticket", "list", "--tenant", "demo"]);
    assert!(cli.lines().any(|l| l.starts_with(&id) && l.contains("closed")), "{cli}");

    // The customer sees the answer; a read-only admin reads but cannot answer.
    let thread = http(to, "GET", &format!("/account/tickets/{id}"), &[("Cookie", &cookie)], "");
    assert!(thread.body.contains("Fixed the link; try again."), "{}", thread.body);
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "viewer", "--role", "read-only"]);
    let ro = AdminWeb::login(to, "viewer", &pw);
    assert_eq!(ro.get(&format!("/admin/tickets/{id}")).status, 200);
    assert_eq!(ro.post(&format!("/admin/tickets/{id}"), &[("message", "hi")]).status, 403);

    // A reseller does not see another's customer's ticket.
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "kiosk", "--role", "reseller"]);
    let reseller = AdminWeb::login(to, "kiosk", &pw);
    assert_eq!(reseller.get(&format!("/admin/tickets/{id}")).status, 404);
    assert!(!reseller.get("/admin/tickets").body.contains(&format!("/admin/tickets/{id}\"")));
}
