//! The admin import page against the real binary: a daloRADIUS dump
//! checked (nothing written) and then imported from the page, working
//! with radclient; a dump with hashed passwords refused by line; field
//! errors, a forged form and a cashier refused; a form larger than the
//! usual limit taken on this page only; passwords never on the page, in
//! the log or the audit log; and one CSV upload through the real form in
//! a headless browser.

use std::path::Path;

use crate::harness::*;

const BOUNDARY: &str = "----langoImportTest7MA4YWxkTrZu0gW";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name);
    std::fs::read_to_string(path).unwrap()
}

fn services(s: &Server) -> String {
    lango_ok(&s.data, &["service", "list", "--tenant", "demo"])
}

fn auth(s: &Server, attrs: &str) -> Reply {
    radclient(s.auth, "auth", DEMO_SECRET, &format!("{attrs},Message-Authenticator=0x00"))
}

/// A `multipart/form-data` body as a browser sends it: the fields, then
/// the file part (name and contents) when there is one.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str)>) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    if let Some((filename, contents)) = file {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n{contents}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body
}

/// POST /admin/import as `web`, with `fields` as given (add the CSRF
/// field yourself: a forged form leaves it out).
fn upload(web: &AdminWeb, fields: &[(&str, &str)], file: Option<(&str, &str)>) -> Answer {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let cookie = format!("lango_admin={}", web.cookie);
    let headers = [("Cookie", cookie.as_str()), ("Content-Type", content_type.as_str())];
    http(web.to, "POST", "/admin/import", &headers, &multipart(fields, file))
}

/// The text of the element with `id` (up to its next tag).
fn by_id<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in\n{page}"));
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    &rest[start..start + rest[start..].find('<').unwrap()]
}

const PASSWORDS: [&str; 5] = ["alice-pass", "carol-pass", "dan-pass", "bob&#39;s pass", "bob's pass"];

fn no_password(page: &str, what: &str) {
    for pw in PASSWORDS {
        assert!(!page.contains(pw), "{what} shows the password {pw:?}:\n{page}");
    }
}

#[test]
fn a_daloradius_dump_is_checked_then_imported_from_the_page() {
    let s = Server::demo();
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let dump = fixture("daloradius.sql");
    let form = boss.get("/admin/import");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("href=\"/admin/import\""), "in the menu");
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    assert!(form.body.contains("id=\"import-check-only\" checked"), "check only is on by default");

    // Check only: the counts, nothing written, the import offered.
    let before = services(&s);
    let fields = [("csrf", boss.csrf.as_str()), ("kind", "daloradius"), ("check_only", "1")];
    let checked = upload(&boss, &fields, Some(("daloradius.sql", &dump)));
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert!(checked.body.contains("data-state=\"checked\""), "{}", checked.body);
    assert_eq!(by_id(&checked.body, "count-services"), "5");
    assert_eq!(by_id(&checked.body, "count-customers"), "5");
    assert!(checked.body.contains("would be imported") && checked.body.contains("id=\"import-offer\""));
    assert!(checked.body.contains("7946 0000") && checked.body.contains("left out"), "notes shown");
    assert!(!checked.body.contains("id=\"import-check-only\" checked"), "the import is offered next");
    assert!(checked.body.contains("<option value=\"daloradius\" selected>"), "the kind is kept");
    no_password(&checked.body, "the check");
    assert_eq!(services(&s), before, "a check writes nothing");
    assert!(auth(&s, "User-Name=alice,User-Password=alice-pass,Framed-Protocol=PPP").is("Access-Reject"));

    // The same file again with "check only" off: imported, and it works.
    let fields = [("csrf", boss.csrf.as_str()), ("kind", "daloradius")];
    let done = upload(&boss, &fields, Some(("daloradius.sql", &dump)));
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("data-state=\"imported\""), "{}", done.body);
    assert_eq!(by_id(&done.body, "count-services"), "5");
    no_password(&done.body, "the import");
    let r = auth(&s, "User-Name=alice,User-Password=alice-pass,Framed-Protocol=PPP");
    assert!(r.is("Access-Accept"), "{}", r.raw);
    assert_eq!(r.get("Mikrotik-Rate-Limit"), Some("10M/10M"));
    assert!(services(&s).contains("alice"));

    // Audited as the command line's import is, by the admin from its address.
    let audit = boss.get("/admin/audit");
    assert!(audit.body.contains("admin:demo from 127.0.0.1") && audit.body.contains("import/5"), "{}", audit.body);
    no_password(&audit.body, "the audit log");
    no_password(&boss.get("/admin/audit?format=csv").body, "the audit CSV");

    // A second import: every login is taken, by line; nothing changes.
    let after = services(&s);
    let again = upload(&boss, &fields, Some(("daloradius.sql", &dump)));
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.body.contains("data-state=\"refused\""));
    assert!(again.body.contains("username &#34;alice&#34; is taken"), "{}", again.body);
    no_password(&again.body, "the refusal");
    assert_eq!(services(&s), after);
    no_password(&s.log(), "lango's log");
}

#[test]
fn hashed_passwords_refuse_the_dump_by_line_and_import_nothing() {
    let s = Server::demo();
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let dump = fixture("daloradius.sql").replace(
        "(8,'dan','Cleartext-Password',':=','dan-pass');",
        "(8,'dan','Cleartext-Password',':=','dan-pass'),\n(9,'erin','MD5-Password',':=','5f4dcc3b5aa765d61d8327deb882cf99');",
    );
    let before = services(&s);
    for check_only in ["1", ""] {
        let mut fields = vec![("csrf", boss.csrf.as_str()), ("kind", "daloradius")];
        if !check_only.is_empty() {
            fields.push(("check_only", check_only));
        }
        let refused = upload(&boss, &fields, Some(("bad.sql", &dump)));
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains("data-state=\"refused\""), "{}", refused.body);
        assert!(
            refused.body.contains("line 17</span>: erin has only a hashed password (MD5-Password)"),
            "{}",
            refused.body
        );
        assert_eq!(by_id(&refused.body, "problem-count"), "1");
        assert!(refused.body.contains("nothing was imported"));
        assert!(!refused.body.contains("5f4dcc3b5aa765d61d8327deb882cf99"), "nor a hash");
        no_password(&refused.body, "the refusal");
        assert!(refused.body.contains("id=\"import-check-only\" checked"), "the next upload is a check again");
    }
    assert_eq!(services(&s), before, "nothing imported");
    assert!(auth(&s, "User-Name=alice,User-Password=alice-pass,Framed-Protocol=PPP").is("Access-Reject"));
}

#[test]
fn field_errors_forged_forms_and_cashiers_are_refused_and_only_this_form_may_be_large() {
    let s = Server::demo();
    let boss = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let csv = "name,username,password,plan\nMary,mary,mary-pass,Home 10M\n";
    let before = services(&s);

    let no_file = upload(&boss, &[("csrf", &boss.csrf), ("kind", "csv"), ("check_only", "1")], None);
    assert_eq!(no_file.status, 422, "{}", no_file.body);
    assert!(by_id(&no_file.body, "error-file").contains("choose the file"), "{}", no_file.body);
    assert!(no_file.body.contains("<option value=\"csv\" selected>"), "the kind is kept");
    // What a browser sends when no file was chosen: an empty, unnamed part.
    let empty = upload(&boss, &[("csrf", &boss.csrf), ("kind", "csv")], Some(("", "")));
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("id=\"error-file\""));
    assert!(!empty.body.contains("id=\"import-check-only\" checked"), "the box is kept as sent");

    let bad_kind = upload(&boss, &[("csrf", &boss.csrf), ("kind", "radiusdesk")], Some(("x.csv", csv)));
    assert_eq!(bad_kind.status, 422, "{}", bad_kind.body);
    assert!(by_id(&bad_kind.body, "error-kind").contains("daloradius, phpnuxbill or csv"), "{}", bad_kind.body);
    assert!(!bad_kind.body.contains("id=\"error-file\""), "the file was there");
    // A plain form (what the RBAC walk sends) holds no file.
    let plain = boss.post("/admin/import", &[("kind", "csv")]);
    assert_eq!(plain.status, 422, "{}", plain.body);
    assert!(plain.body.contains("id=\"error-file\""));

    // No CSRF part: refused before the handler.
    let forged = upload(&boss, &[("kind", "csv")], Some(("x.csv", csv)));
    assert_eq!(forged.status, 403, "{}", forged.body);
    let wrong = upload(&boss, &[("csrf", "0000"), ("kind", "csv")], Some(("x.csv", csv)));
    assert_eq!(wrong.status, 403);

    // A cashier takes money; it does not import customers.
    let pw = make_admin(&s.data, &["--tenant", "demo", "--name", "cash1", "--role", "cashier"]);
    let cash = AdminWeb::login(s.http, "cash1", &pw);
    assert_eq!(cash.get("/admin/import").status, 403);
    assert_eq!(upload(&cash, &[("csrf", &cash.csrf), ("kind", "csv")], Some(("x.csv", csv))).status, 403);
    assert!(!cash.get("/admin").body.contains("href=\"/admin/import\""), "not in a cashier's menu");
    assert_eq!(services(&s), before, "nothing imported by any of these");

    // Larger than the usual 256 KiB form limit: this page takes it...
    let mut big = String::from("name,username,password,plan\n");
    for i in 0..6000 {
        big.push_str(&format!("Customer number {i:05},big-import-{i:05},big-pass-{i:05},Home 10M\n"));
    }
    assert!(big.len() > 300 * 1024, "{}", big.len());
    let checked = upload(&boss, &[("csrf", &boss.csrf), ("kind", "csv"), ("check_only", "1")], Some(("big.csv", &big)));
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert_eq!(by_id(&checked.body, "count-services"), "6000");
    assert!(!checked.body.contains("big-pass-"), "no password on the page");
    // ...and no other form does.
    let other = boss.post("/admin/customers", &[("name", &big)]);
    assert_eq!(other.status, 413, "{}", other.body);
    assert_eq!(services(&s), before);
}

#[test]
fn a_csv_file_is_checked_and_imported_through_the_form_in_a_browser() {
    use crate::support::browser::Browser;
    use std::time::Duration;
    const PAGE: Duration = Duration::from_secs(20);
    let s = Server::demo();
    let file = s.data.join("people.csv");
    std::fs::write(
        &file,
        "name,phone,username,password,plan,type,expires\nMary Wambui,0712999001,mary,mary-pass,Home 10M,pppoe,2099-01-01\n",
    )
    .unwrap();
    let b = Browser::start_laptop();
    b.goto(&format!("http://127.0.0.1:{}/admin/login", s.http.port()));
    b.clear_and_type("#username", "demo");
    b.clear_and_type("#password", "demo-admin-pass");
    b.click("#sign-in");
    b.find("nav", PAGE);
    b.click("nav a[href=\"/admin/import\"]");
    b.find("#import-form", PAGE);
    // Typed, not clicked: a click leaves the select open under load.
    b.type_into("#import-kind", "CSV");
    b.type_into("#import-file", file.to_str().unwrap());
    b.click("#import-upload");
    // The counts' own element: the form's "Check only" label says "would be
    // imported" too, so waiting for those words can read the page before
    // the upload's answer has replaced it.
    let text = b.wait_text("service(s) would be imported", PAGE);
    assert!(text.contains("1 customer(s), 1 service(s)"), "{text}");
    assert!(auth(&s, "User-Name=mary,User-Password=mary-pass,Framed-Protocol=PPP").is("Access-Reject"));

    // The page offers the import: the same file again, "check only" off.
    b.find("#import-offer", PAGE);
    b.type_into("#import-file", file.to_str().unwrap());
    b.click("#import-upload");
    let text = b.wait_text("Imported", PAGE);
    assert!(text.contains("1 customer(s), 1 service(s)") && !text.contains("mary-pass"), "{text}");
    b.keep_screenshot("admin-import");
    let r = auth(&s, "User-Name=mary,User-Password=mary-pass,Framed-Protocol=PPP");
    assert!(r.is("Access-Accept"), "{}", r.raw);
    assert!(lango_ok(&s.data, &["customer", "list", "--tenant", "demo"]).contains("Mary Wambui"));
}
