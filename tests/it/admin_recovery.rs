//! TOTP recovery codes against the real binary: ten made at enrolment and
//! shown once, each accepted once at the TOTP step in place of the 6 digits
//! (however it is typed), wrong ones counted towards the lockout, a new set
//! (page or `lango admin recovery-codes`) ending the old one, and the audit
//! log recording their use by count, never a code.

use crate::harness::*;

#[allow(clippy::disallowed_methods)] // TOTP codes are for the real time the server reads
fn real_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Turn TOTP on for a signed-in admin, as the page asks: the secret.
fn enrol(web: &AdminWeb) -> Vec<u8> {
    let me = web.get("/admin/me");
    let enrol = input_value(&me.body, "enrol").unwrap();
    let secret = lango::store::from_hex(enrol.split(':').next().unwrap()).unwrap();
    let code = format!("{:06}", lango::web::admin::totp::hotp(&secret, real_now() / 30));
    let on = web.post("/admin/me/totp", &[("enrol", &enrol), ("code", &code)]);
    assert_eq!(on.status, 303, "{}", on.body);
    secret
}

/// The recovery codes a page shows.
fn codes_on(page: &str) -> Vec<String> {
    page.split("<code class=\"recovery-code\">").skip(1).map(|p| p.split('<').next().unwrap().to_string()).collect()
}

/// `XXXX-XXXX-XXXX` lines of the command line's output.
fn codes_printed(out: &str) -> Vec<String> {
    out.lines().map(str::trim).filter(|l| l.len() == 14 && l.matches('-').count() == 2).map(String::from).collect()
}

/// Password, then `code` at the TOTP step: the second step's answer.
fn second_step(s: &Server, user: &str, password: &str, code: &str) -> Answer {
    let first = AdminWeb::try_login(s.http, user, password);
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("id=\"totp-form\""), "{}", first.body);
    let cookie = format!("lango_admin={}", set_cookie(&first, "lango_admin").unwrap());
    let csrf = input_value(&first.body, "csrf").unwrap();
    http(s.http, "POST", "/admin/login/totp", &[("Cookie", &cookie)], &form(&[("csrf", &csrf), ("code", code)]))
}

/// A browser signed in by `second_step`'s answer.
fn signed_in(s: &Server, ok: &Answer) -> AdminWeb {
    assert_eq!(ok.status, 303, "{}", ok.body);
    let cookie = set_cookie(ok, "lango_admin").unwrap();
    let mut web = AdminWeb { to: s.http, cookie, csrf: String::new() };
    web.csrf = input_value(&web.get("/admin/me").body, "csrf").unwrap();
    web
}

#[test]
fn admin_recovery_codes_sign_in_once_each_and_are_shown_once() {
    let s = Server::demo();
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "rhea", "--role", "cashier"]);
    let web = AdminWeb::login(s.http, "rhea", &pw);
    let off = web.get("/admin/me");
    assert!(!off.body.contains("id=\"recovery-form\""), "no recovery codes while TOTP is off");
    assert_eq!(web.post("/admin/me/recovery-codes", &[]).status, 422, "refused while TOTP is off");

    let secret = enrol(&web);
    let me = web.get("/admin/me");
    let codes = codes_on(&me.body);
    assert_eq!(codes.len(), 10, "{}", me.body);
    assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10);
    assert!(me.body.contains("shown only this once"), "{}", me.body);
    assert!(me.body.contains("10 unused recovery codes left"), "{}", me.body);
    let again = web.get("/admin/me");
    assert!(codes_on(&again.body).is_empty() && !again.body.contains(&codes[0]), "shown once only");
    assert!(again.body.contains("10 unused recovery codes left") && again.body.contains("id=\"recovery-form\""));
    assert_eq!(web.post("/admin/logout", &[]).status, 303);

    // Typed in lower case with spaces; lands on the account page, which says how many are left.
    let ok = second_step(&s, "rhea", &pw, &codes[0].to_lowercase().replace('-', " "));
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(ok.head.contains("location: /admin/me"), "{}", ok.head);
    let full = set_cookie(&ok, "lango_admin").unwrap();
    let flash = set_cookie(&ok, "lango_flash").unwrap();
    let cookies = format!("lango_admin={full}; lango_flash={flash}");
    let landed = http(s.http, "GET", "/admin/me", &[("Cookie", &cookies)], "");
    assert_eq!(landed.status, 200);
    assert!(landed.body.contains("9 are left"), "{}", landed.body);
    assert!(landed.body.contains("9 unused recovery codes left"), "{}", landed.body);
    let _ = signed_in(&s, &ok);

    // The same code again, however typed, is refused; so is a made-up one.
    assert_eq!(second_step(&s, "rhea", &pw, &codes[0]).status, 401);
    assert_eq!(second_step(&s, "rhea", &pw, "ABCD-EFGH-JKMN").status, 401);
    // A TOTP code still works.
    let totp = format!("{:06}", lango::web::admin::totp::hotp(&secret, real_now() / 30));
    let web = signed_in(&s, &second_step(&s, "rhea", &pw, &totp));

    // A new set from the page: shown once, the old codes stop working.
    let made = web.post("/admin/me/recovery-codes", &[]);
    assert_eq!(made.status, 303, "{}", made.body);
    let fresh = codes_on(&web.get("/admin/me").body);
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    assert_eq!(second_step(&s, "rhea", &pw, &codes[1]).status, 401, "the old set ended");
    let web = signed_in(&s, &second_step(&s, "rhea", &pw, &fresh[0]));
    assert!(web.get("/admin/me").body.contains("9 unused recovery codes left"));

    // Wrong codes count towards the lockout like wrong TOTP codes: five in a row lock the name.
    for wrong in ["WXYZ-WXYZ-WXYZ", &fresh[0], "not a code", "2345-6789-ABCD", "QQQQ-QQQQ-QQQQ"] {
        assert_eq!(second_step(&s, "rhea", &pw, wrong).status, 401, "{wrong}");
    }
    assert_eq!(AdminWeb::try_login(s.http, "rhea", &pw).status, 401, "locked after five wrong codes");
    let reset = lango_ok(&s.data, &["admin", "reset", "--name", "rhea"]);
    let pw = reset.split("new password: ").nth(1).unwrap().trim().to_string();
    // The lock used up nothing: the next code of the set still works.
    let web = signed_in(&s, &second_step(&s, "rhea", &pw, &fresh[1]));
    assert!(web.get("/admin/me").body.contains("8 unused recovery codes left"));

    // The audit log counts, and never shows a code in any form.
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let audit = boss.get("/admin/audit?format=csv").body;
    for action in ["admin.recovery_codes", "admin.recovery_code_used", "admin.login_failed_totp"] {
        assert!(audit.contains(action), "{action}\n{audit}");
    }
    assert!(audit.contains("9 left") && audit.contains("8 left"), "{audit}");
    let log = s.log();
    for code in codes.iter().chain(&fresh) {
        for form in [code.clone(), code.replace('-', ""), code.to_lowercase()] {
            assert!(!audit.contains(&form), "the audit log shows a code\n{audit}");
            assert!(!log.contains(&form), "the server log shows a code");
        }
    }
}

#[test]
fn admin_recovery_codes_from_the_command_line() {
    let s = Server::demo();
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "cleo", "--role", "operator"]);
    make_admin(&s.data, &["--tenant", "demo", "--name", "noor", "--role", "operator"]);

    // Refused while TOTP is off, naming the reason.
    let refused = lango(&s.data, &["admin", "recovery-codes", "--tenant", "demo", "--name", "noor"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("two-step sign-in off"), "{said}");
    // The admin must be the named tenant's.
    let elsewhere = lango(&s.data, &["admin", "recovery-codes", "--name", "noor"]);
    assert!(!elsewhere.status.success());
    assert!(String::from_utf8_lossy(&elsewhere.stderr).contains("no platform admin named"));

    let web = AdminWeb::login(s.http, "cleo", &pw);
    enrol(&web);
    let from_page = codes_on(&web.get("/admin/me").body);
    assert_eq!(from_page.len(), 10);

    let out = lango_ok(&s.data, &["admin", "recovery-codes", "--tenant", "demo", "--name", "cleo"]);
    let codes = codes_printed(&out);
    assert_eq!(codes.len(), 10, "{out}");
    assert!(codes.iter().all(|c| !from_page.contains(c)));
    assert_eq!(second_step(&s, "cleo", &pw, &from_page[0]).status, 401, "the page's set ended");
    let web = signed_in(&s, &second_step(&s, "cleo", &pw, &codes[3]));
    assert!(web.get("/admin/me").body.contains("9 unused recovery codes left"));

    // Turning TOTP off forgets the codes.
    assert_eq!(web.post("/admin/me/totp", &[("off", "1")]).status, 303);
    let web = AdminWeb::login(s.http, "cleo", &pw);
    assert!(!web.get("/admin/me").body.contains("id=\"recovery-form\""));
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let audit = boss.get("/admin/audit?format=csv").body;
    assert!(audit.contains("admin.recovery_code_used") && !audit.contains(&codes[3]), "{audit}");
}
