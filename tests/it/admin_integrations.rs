//! The tenant's integrations from the admin pages: the hotspot files as a
//! zip whose login.html the hotspot simulator serves, plus the router's
//! `/tool fetch` route, and the SMS gateway's settings and test message.
//! (M-Pesa's page is tested in `admin_mpesa.rs`.)

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::billing::rig;
use crate::harness::*;
use crate::support::browser::Browser;
use crate::support::hotspot::HotspotSim;

/// GET `path` with the admin session; the raw body bytes.
fn get_bytes(to: SocketAddr, cookie: &str, path: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(to).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: lango.test\r\nCookie: lango_admin={cookie}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head");
    (String::from_utf8_lossy(&raw[..at]).into_owned(), raw[at + 4..].to_vec())
}

#[test]
fn hotspot_files_come_as_a_zip_the_hotspot_serves_and_by_tool_fetch() {
    let r = rig("admin-hotspot-zip");
    let s = &r.server;
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let list = lango_ok(&s.data, &["nas", "list", "--tenant", "demo"]);
    let nas = list.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let url = format!("http://{}", s.http);

    // A wrong address is refused next to its field.
    let bad = web.get(&format!("/admin/hotspot-files?nas={nas}&url=ftp%3A%2F%2Fx"));
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-url\""), "{}", bad.body);

    let q = form(&[("nas", &nas), ("url", &url)]);
    let page = web.get(&format!("/admin/hotspot-files?{q}"));
    assert_eq!(page.status, 200, "{}", page.body);
    let fetch = format!("/tool fetch url=&#34;{url}/hotspot/files/{nas}/login.html&#34; dst-path=hotspot/login.html");
    assert!(page.body.contains(&fetch), "{}", page.body);
    assert!(page.body.contains("files.zip?"), "{}", page.body);

    let (head, zip) = get_bytes(s.http, &web.cookie, &format!("/admin/hotspot-files/files.zip?{q}"));
    assert!(head.contains(" 200 ") && head.contains("application/zip"), "{head}");
    let dir = s.data.join("from-zip");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hotspot.zip"), &zip).unwrap();
    let out = std::process::Command::new("unzip").arg("-o").arg("hotspot.zip").current_dir(&dir).output().unwrap();
    assert!(out.status.success(), "unzip: {}", String::from_utf8_lossy(&out.stderr));
    for f in ["login.html", "alogin.html", "status.html", "logout.html", "error.html"] {
        assert!(dir.join(f).exists(), "{f} in the zip");
    }
    std::fs::remove_file(dir.join("hotspot.zip")).unwrap();

    // The same pages the CLI writes.
    let cli_dir = s.data.join("from-cli");
    let cli = ["hotspot", "files", "--tenant", "demo", "--nas", "demo-loopback", "--url", &url, "--out"];
    let args: Vec<&str> = cli.iter().copied().chain([cli_dir.to_str().unwrap()]).collect();
    lango_ok(&s.data, &args);
    let zipped = std::fs::read_to_string(dir.join("login.html")).unwrap();
    assert_eq!(zipped, std::fs::read_to_string(cli_dir.join("login.html")).unwrap());

    // The hotspot simulator serves the zip's login.html and it leads to lango.
    let sim = HotspotSim::start(dir, "AA:BB:CC:00:00:78", s.auth, DEMO_SECRET);
    let b = Browser::start_laptop();
    b.goto(&sim.login_url("http://example.com/"));
    let t = b.wait_text("Hotspot 1 day", Duration::from_secs(20));
    assert!(t.contains("Hotspot 1 hour 1 GB"), "lango's hotspot page behind the router's: {t}");

    // The router's /tool fetch: from the router's address, the page
    // pointing at lango as the router reached it.
    let fetched = http(s.http, "GET", &format!("/hotspot/files/{nas}/login.html"), &[], "");
    assert_eq!(fetched.status, 200, "{}", fetched.body);
    assert!(fetched.body.contains("http://lango.test/hotspot"), "{}", fetched.body);
    assert_eq!(http(s.http, "GET", &format!("/hotspot/files/{nas}/secret.txt"), &[], "").status, 404);
    lango_ok(
        &s.data,
        &["nas", "add", "--tenant", "demo", "--name", "far", "--address", "10.9.9.9", "--secret", "far-secret-12345"],
    );
    let far = lango_ok(&s.data, &["nas", "list", "--tenant", "demo"]);
    let far = far.lines().find(|l| l.contains("far")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let refused = http(s.http, "GET", &format!("/hotspot/files/{far}/login.html"), &[], "");
    assert_eq!(refused.status, 404, "only the router itself fetches its pages: {}", refused.body);
}

#[test]
fn the_sms_gateway_is_set_up_and_tested_from_the_admin_pages() {
    use crate::support::sms::{self, SmsSim};
    let s = Server::demo();
    let sim = SmsSim::start();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let gateway = sim.base_url();

    let bad = web.post("/admin/sms", &[("env", &gateway), ("username", ""), ("api_key", ""), ("sender", "")]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("id=\"error-username\"") && bad.body.contains("id=\"error-api_key\""), "{}", bad.body);

    // A wrong key: saved, and the test SMS says the gateway refused it.
    let saved = web.post("/admin/sms", &[("env", &gateway), ("username", sms::USERNAME), ("api_key", "wrong-key")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let test = web.post("/admin/sms/test", &[("phone", "0712345678")]);
    assert!(test.body.contains("data-ok=\"false\"") && test.body.contains("refused"), "{}", test.body);

    // The right key; a blank key on the next save keeps it.
    web.post("/admin/sms", &[("env", &gateway), ("username", sms::USERNAME), ("api_key", sms::API_KEY)]);
    let kept =
        web.post("/admin/sms", &[("env", &gateway), ("username", sms::USERNAME), ("api_key", ""), ("sender", "LANGO")]);
    assert_eq!(kept.status, 303, "{}", kept.body);
    let page = web.get("/admin/sms");
    assert!(!page.body.contains(sms::API_KEY) && page.body.contains("LANGO"), "{}", page.body);
    let test = web.post("/admin/sms/test", &[("phone", "0712345678")]);
    assert!(test.body.contains("data-ok=\"true\""), "{}", test.body);
    let sent = sim.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "+254712345678");
    assert_eq!(sent[0].from.as_deref(), Some("LANGO"));
    let audit = web.get("/admin/audit");
    assert!(audit.body.contains("tenant.sms") && !audit.body.contains(sms::API_KEY));
}

/// The pages added for running a site from the browser render there (the
/// strict CSP lets them work) and keep a screenshot each.
#[test]
fn the_new_operation_pages_render_in_a_browser() {
    use crate::support::routeros::RouterOsSim;
    const PAGE: Duration = Duration::from_secs(20);
    let sim = RouterOsSim::start("lango-api", "api-pass-Shots12");
    sim.seed("/ppp/active", &[("name", "pppoe-jane"), ("address", "10.7.0.41"), ("uptime", "1h2m")]);
    sim.seed("/ip/hotspot/active", &[("user", "VOUCHER-1"), ("address", "10.5.60.31"), ("uptime", "5m")]);
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let port = sim.addr().port().to_string();
    let api = [
        ("host", "127.0.0.1"),
        ("port", port.as_str()),
        ("user", "lango-api"),
        ("password", "api-pass-Shots12"),
        ("lango_address", "10.5.50.2"),
    ];
    assert_eq!(web.post("/admin/nas/1/api", &api).status, 303);
    let list = lango_ok(&s.data, &["service", "list", "--tenant", "demo"]);
    let pppoe = list.lines().find(|l| l.contains("demo-pppoe")).unwrap().split_whitespace().next().unwrap();

    let base = format!("http://127.0.0.1:{}", s.http.port());
    let b = Browser::start_laptop();
    b.goto(&format!("{base}/admin/login"));
    b.clear_and_type("#username", "demo");
    b.clear_and_type("#password", "demo-admin-pass");
    b.click("#sign-in");
    b.find("#nav", PAGE);
    for (path, element, shot) in [
        (format!("/admin/services/{pppoe}"), "#access-form", "admin-service-access"),
        ("/admin/nas/1/lookup?what=active".to_string(), "#lookup", "admin-router-sessions"),
        ("/admin/sms".to_string(), "#sms-form", "admin-sms"),
        (format!("/admin/hotspot-files?nas=1&url={base}"), "#hotspot-commands", "admin-hotspot-files"),
        ("/admin/admins".to_string(), "table", "admin-admins"),
    ] {
        b.goto(&format!("{base}{path}"));
        b.find(element, PAGE);
        b.keep_screenshot(shot);
    }
    b.goto(&format!("{base}/admin/nas/1/lookup?what=active"));
    b.find("#lookup", PAGE);
    assert!(b.text("#lookup").contains("pppoe-jane"), "{}", b.text("body"));
    // The service page's access form works from the browser.
    b.goto(&format!("{base}/admin/services/{pppoe}"));
    b.clear_and_type("#access-ip", "10.99.0.77");
    b.click("#access-save");
    b.wait_text("Saved; online sessions were disconnected", PAGE);
    assert!(b.source().contains("10.99.0.77"));
}
