//! Admin UI sign-in security against the real binary: redirects to the
//! sign-in page, lockout after five failures (audited, survives until a
//! reset), session rotation, server-side sign-out, cookie attributes on
//! plain http and on loopback, CSRF on forms, TOTP as a second step, and
//! escaped output of hostile names.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use crate::harness::*;

/// A request with our own Host header (the shared helper sends lango.test).
fn raw(to: SocketAddr, host: &str, method: &str, path: &str, cookie: &str, body: &str) -> Answer {
    let mut s = TcpStream::connect(to).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Answer { status, head: head.to_string(), body: body.to_string() }
}

#[allow(clippy::disallowed_methods)] // TOTP codes are for the real time the server reads
fn real_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn header<'a>(a: &'a Answer, name: &str) -> Vec<&'a str> {
    a.head
        .lines()
        .filter_map(|l| l.split_once(": ").filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
        .collect()
}

#[test]
fn lockout_rotation_logout_cookies_and_csrf() {
    let s = Server::demo();
    let to = s.http;
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "opal", "--role", "operator"]);

    let anon = http(to, "GET", "/admin/customers?q=x", &[], "");
    assert_eq!(anon.status, 303);
    assert!(anon.head.contains("location: /admin/login?next=%2Fadmin%2Fcustomers"), "{}", anon.head);
    let login = http(to, "GET", "/admin/login", &[], "");
    assert!(header(&login, "content-security-policy")[0].contains("frame-ancestors 'none'"));
    assert!(login.body.contains("id=\"insecure\""), "plain http on a network name gets the warning");

    // A stolen sign-in form from another address or an edited token is refused.
    let forged =
        http(to, "POST", "/admin/login", &[], &form(&[("csrf", "1.ab"), ("username", "opal"), ("password", &pw)]));
    assert_eq!(forged.status, 403);

    // Five wrong passwords lock the name: the right one is refused too.
    for _ in 0..5 {
        let a = AdminWeb::try_login(to, "opal", "wrong-password");
        assert_eq!(a.status, 401);
        assert!(set_cookie(&a, "lango_admin").is_none());
    }
    let locked = AdminWeb::try_login(to, "opal", &pw);
    assert_eq!(locked.status, 401, "locked after five failures");
    assert!(locked.body.contains("locked"), "{}", locked.body);
    let unknown = AdminWeb::try_login(to, "nobody-here", "x");
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.body.split("id=\"error\"").nth(1).map(|b| &b[..80]),
        locked.body.split("id=\"error\"").nth(1).map(|b| &b[..80]),
        "an unknown name reads like a wrong password"
    );

    // Every attempt is in the audit log, seen by the tenant admin.
    let boss = AdminWeb::login(to, "demo", "demo-admin-pass");
    let audit = boss.get("/admin/audit?actor=admin%3Aopal");
    assert_eq!(audit.status, 200);
    assert_eq!(audit.body.matches("admin.login_failed").count(), 5, "{}", audit.body);
    assert_eq!(audit.body.matches("admin.login_locked").count(), 1);
    assert!(audit.body.contains("admin:opal from 127.0.0.1"));

    // A reset unlocks with a new password.
    let out = lango_ok(&s.data, &["admin", "reset", "--name", "opal"]);
    let pw = out.split("new password: ").nth(1).unwrap().trim().to_string();
    let op = AdminWeb::login(to, "opal", &pw);
    assert_eq!(op.get("/admin/customers").status, 200);

    // Signing in again with a live cookie rotates it: the old one is dead.
    let page = http(to, "GET", "/admin/login", &[], "");
    let csrf = input_value(&page.body, "csrf").unwrap();
    let again = http(
        to,
        "POST",
        "/admin/login",
        &[("Cookie", &format!("lango_admin={}", op.cookie))],
        &form(&[("csrf", &csrf), ("username", "opal"), ("password", &pw)]),
    );
    assert_eq!(again.status, 303);
    let fresh = set_cookie(&again, "lango_admin").unwrap();
    assert_ne!(fresh, op.cookie);
    assert_eq!(op.get("/admin/customers").status, 303, "the pre-rotation cookie no longer works");
    let op = AdminWeb { cookie: fresh, ..op };
    let op = AdminWeb { csrf: input_value(&op.get("/admin/me").body, "csrf").unwrap(), ..op };

    // Cookie attributes: HttpOnly and SameSite=Strict always; on a
    // loopback host (a secure context) Secure and the __Host- prefix.
    let cookie = header(&again, "set-cookie").into_iter().find(|c| c.starts_with("lango_admin=")).unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    let host = format!("127.0.0.1:{}", to.port());
    let form_page = raw(to, &host, "GET", "/admin/login", "", "");
    let csrf = input_value(&form_page.body, "csrf").unwrap();
    assert!(!form_page.body.contains("id=\"insecure\""));
    let secure =
        raw(to, &host, "POST", "/admin/login", "", &form(&[("csrf", &csrf), ("username", "opal"), ("password", &pw)]));
    assert_eq!(secure.status, 303);
    let cookie = header(&secure, "set-cookie").into_iter().find(|c| c.starts_with("__Host-lango_admin=")).unwrap();
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");

    // CSRF: a form without the session's token changes nothing.
    let before = lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]);
    let cookie_h = format!("lango_admin={}", op.cookie);
    for body in [form(&[("name", "No Token")]), form(&[("csrf", "0123456789abcdef"), ("name", "No Token")])] {
        let a = http(to, "POST", "/admin/customers", &[("Cookie", &cookie_h)], &body);
        assert_eq!(a.status, 403, "{}", a.body);
    }
    assert_eq!(lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]), before);
    let made = op.post("/admin/customers", &[("name", "With Token"), ("phone", "0712555001")]);
    assert_eq!(made.status, 303, "{}", made.body);
    assert!(lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]).contains("With Token"));

    // Sign-out ends the session on the server: the cookie is worthless after.
    let out = op.post("/admin/logout", &[]);
    assert_eq!(out.status, 303);
    assert!(header(&out, "set-cookie").iter().any(|c| c.starts_with("lango_admin=;") && c.contains("Max-Age=0")));
    assert_eq!(op.get("/admin").status, 303);
    assert_eq!(op.post("/admin/customers", &[("name", "After Logout")]).status, 403);
}

#[test]
fn forms_keep_what_was_typed_and_hostile_text_is_escaped() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");

    let bad = web.post("/admin/customers", &[("name", "Wanjiru <b>K</b>"), ("phone", "12345"), ("email", "nope")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-phone\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"error-email\""));
    assert!(
        bad.body.contains("value=\"Wanjiru &#60;b&#62;K&#60;/b&#62;\"")
            || bad.body.contains("value=\"Wanjiru &lt;b&gt;K&lt;/b&gt;\""),
        "typed name kept, escaped"
    );
    assert!(bad.body.contains("value=\"12345\""));

    let xss = "<script>alert(1)</script>";
    let made = web.post("/admin/customers", &[("name", xss), ("phone", "0712555002")]);
    assert_eq!(made.status, 303, "{}", made.body);
    let list = web.get("/admin/customers");
    assert!(!list.body.contains(xss), "raw script in the list");
    assert!(list.body.contains("&lt;script&gt;") || list.body.contains("&#60;script&#62;"));
    let by_phone = web.get("/admin/customers?q=0712+555+002".replace('+', "").as_str());
    assert!(by_phone.body.contains("&lt;script&gt;") || by_phone.body.contains("&#60;script&#62;"), "found by phone");
    assert!(!by_phone.body.contains("Brian"), "only the match: {}", by_phone.body);
    let location = header(&made, "location")[0].to_string();
    let page = web.get(&location);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(xss), "raw script on the customer page");

    // A service with a hostile username on that customer.
    let plan = lango_ok(&s.data, &["plan", "list", "--tenant", "demo"]);
    let plan_id = plan.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let svc = web.post(
        &format!("{location}/services"),
        &[("access", "pppoe"), ("plan", &plan_id), ("username", "<img/src=x>"), ("password", "p")],
    );
    assert_eq!(svc.status, 303, "{}", svc.body);
    let page = web.get(&location);
    assert!(!page.body.contains("<img/src=x>"));
    let by_login = web.get("/admin/customers?q=%3Cimg%2Fsrc%3Dx%3E");
    assert!(by_login.body.contains(&location), "the customer found by its service's username: {}", by_login.body);
    let services = web.get("/admin/services?q=img");
    assert!(
        services.body.contains("&lt;img/src=x&gt;") || services.body.contains("&#60;img/src=x&#62;"),
        "{}",
        services.body
    );
    let audit = web.get("/admin/audit");
    assert!(!audit.body.contains(xss) && !audit.body.contains("<img/src=x>"));
}

#[test]
fn totp_second_step() {
    let s = Server::demo();
    let to = s.http;
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "tess", "--role", "cashier"]);
    let web = AdminWeb::login(to, "tess", &pw);
    let me = web.get("/admin/me");
    let secret_b32 = me.body.split("id=\"totp-secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    let enrol = input_value(&me.body, "enrol").unwrap();
    let secret = lango::store::from_hex(enrol.split(':').next().unwrap()).unwrap();
    assert_eq!(lango::web::admin::totp::base32(&secret), secret_b32, "the key shown is the key enrolled");
    let now = real_now();
    let code = format!("{:06}", lango::web::admin::totp::hotp(&secret, now / 30));
    let wrong = web.post("/admin/me/totp", &[("enrol", &enrol), ("code", "000000")]);
    assert_eq!(wrong.status, 422);
    assert_eq!(web.post("/admin/me/totp", &[("enrol", &enrol), ("code", &code)]).status, 303);
    assert!(
        lango_ok(&s.data, &["admin", "list", "--tenant", "demo"])
            .lines()
            .any(|l| l.starts_with("tess") && l.contains(" on "))
    );

    // Password alone now gives only the code form, and no usable session.
    let first = AdminWeb::try_login(to, "tess", &pw);
    assert_eq!(first.status, 200);
    assert!(first.body.contains("id=\"totp-form\""));
    let half = set_cookie(&first, "lango_admin").unwrap();
    let cookie = format!("lango_admin={half}");
    assert_eq!(http(to, "GET", "/admin", &[("Cookie", &cookie)], "").status, 303, "half a session opens nothing");
    let csrf = input_value(&first.body, "csrf").unwrap();
    let bad =
        http(to, "POST", "/admin/login/totp", &[("Cookie", &cookie)], &form(&[("csrf", &csrf), ("code", "123456")]));
    assert_eq!(bad.status, 401);
    // A wrong code ends the half session: sign in again from the start.
    let first = AdminWeb::try_login(to, "tess", &pw);
    let half = set_cookie(&first, "lango_admin").unwrap();
    let cookie = format!("lango_admin={half}");
    let csrf = input_value(&first.body, "csrf").unwrap();
    let now = real_now();
    let code = format!("{:06}", lango::web::admin::totp::hotp(&secret, now / 30));
    let ok = http(to, "POST", "/admin/login/totp", &[("Cookie", &cookie)], &form(&[("csrf", &csrf), ("code", &code)]));
    assert_eq!(ok.status, 303, "{}", ok.body);
    let full = set_cookie(&ok, "lango_admin").unwrap();
    assert_ne!(full, half, "the session is rotated after the second step");
    assert_eq!(http(to, "GET", "/admin", &[("Cookie", &format!("lango_admin={full}"))], "").status, 200);
}

#[test]
fn refused_logins_show_the_reply_message_and_hostile_usernames_escaped() {
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let hostile = "<script>alert(1)</script>";
    let r = radclient(
        s.auth,
        "auth",
        DEMO_SECRET,
        &format!("User-Name=\"{hostile}\",User-Password=nope,Message-Authenticator=0x00"),
    );
    assert!(r.is("Access-Reject"), "{}", r.raw);
    let r = radclient(
        s.auth,
        "auth",
        DEMO_SECRET,
        "User-Name=demo-expired,User-Password=demo-pass,Message-Authenticator=0x00",
    );
    assert!(r.is("Access-Accept"), "{}", r.raw);
    let captive_message = r.get("Reply-Message").expect("the captive login carries a Reply-Message").to_string();

    let page = web.get("/admin/auth-log");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(hostile), "raw script in the page");
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || page.body.contains("&#60;script&#62;"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Invalid username or password"));
    let row = page.body.split("demo-expired").nth(1).expect("the captive login is listed");
    assert!(row.contains("captive"), "{row}");
    let shown = captive_message.trim_matches('"');
    assert!(page.body.contains(&shown.replace('\'', "&#39;")) || page.body.contains(shown), "{shown} in {}", page.body);

    let only = web.get("/admin/auth-log?q=demo-expired");
    assert!(only.body.contains("demo-expired") && !only.body.contains("alert(1)"), "search narrows to the username");
}
