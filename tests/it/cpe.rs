//! CPE management through GenieACS against the real binary and the NBI
//! simulator (`support::genieacs`): settings with the NBI password from the
//! environment, an imported inventory whose transitions are enforced, the
//! zero-touch push of the PPPoE login and Wi-Fi when the linked service is
//! activated, the device's live state on the customer and service pages,
//! reboot rate-limited and audited, a push that waits out a GenieACS that
//! is down, and the password in no argv, log, page or audit record; on a
//! manual clock, a push when a CPE is installed on a live service, and
//! reboot / refresh one a minute, done (200) or queued at GenieACS (202).

use std::time::Duration;

use crate::harness::*;
use crate::support::genieacs::{Device, GenieAcs};

const ACS_PASSWORD: &str = "nbi-Secret-7557-xyz";
const WIFI_KEY: &str = "wifi-key-Kamau-2026";
const DEVICE: &str = "00259E-HG8245H-HWTC00000001";
const PPP_USER: &str = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Username";
const PPP_PASS: &str = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Password";
const SSID: &str = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID";
const KEY: &str = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.KeyPassphrase";

use crate::billing::eventually;

fn refused(data: &std::path::Path, args: &[&str]) -> String {
    let out = lango(data, args);
    assert!(!out.status.success(), "lango {args:?} should have been refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_cpe_is_provisioned_when_its_service_is_activated() {
    let acs = GenieAcs::start();
    acs.require_auth("nbi", ACS_PASSWORD);
    acs.add(Device::tr098(DEVICE, "HWTC00000001"));
    let s = Server::demo();
    let d = &s.data;
    let cli = |args: &[&str]| lango_ok(d, args);
    let url = acs.base_url();

    // The password comes from the environment (the harness moves
    // `--password X` into a variable and checks argv holds no secret).
    let set =
        cli(&["cpe", "settings", "--tenant", "demo", "--url", &url, "--username", "nbi", "--password", ACS_PASSWORD]);
    assert!(set.contains("as nbi (password stored)"), "{set}");
    assert!(!set.contains(ACS_PASSWORD));

    // Import: all or none.
    let file = d.join("cpes.csv");
    std::fs::write(&file, "serial,mac,model\nHWTC00000001,AA:BB:CC:DD:EE:01,HG8245H\nHWTC00000002,,HG8245H\n").unwrap();
    assert!(cli(&["cpe", "import", "--tenant", "demo", file.to_str().unwrap()]).contains("2 CPEs added"));
    let again = refused(d, &["cpe", "add", "--tenant", "demo", "--serial", "HWTC00000002"]);
    assert!(again.contains("already in the inventory"), "{again}");
    cli(&["cpe", "wifi", "--tenant", "demo", "--cpe", "HWTC00000001", "--ssid", "Kamau-Home", "--key", WIFI_KEY]);

    // Installed (by MAC) on the lapsed service: nothing to push yet.
    let linked = cli(&["cpe", "link", "--tenant", "demo", "--cpe", "AA:BB:CC:DD:EE:01", "--service", "demo-expired"]);
    assert!(linked.contains("HWTC00000001 installed"), "{linked}");

    // Transitions are enforced.
    let e = refused(d, &["cpe", "link", "--tenant", "demo", "--cpe", "HWTC00000001", "--service", "demo-pppoe"]);
    assert!(e.contains("return it first"), "{e}");
    let e = refused(d, &["cpe", "link", "--tenant", "demo", "--cpe", "HWTC00000002", "--service", "demo-expired"]);
    assert!(e.contains("already has CPE HWTC00000001"), "{e}");
    let e = refused(d, &["cpe", "restock", "--tenant", "demo", "--cpe", "HWTC00000002"]);
    assert!(e.contains("only a returned device"), "{e}");
    cli(&["cpe", "link", "--tenant", "demo", "--cpe", "HWTC00000002", "--service", "demo-pppoe"]);
    cli(&["cpe", "return", "--tenant", "demo", "--cpe", "HWTC00000002"]);
    let e = refused(d, &["cpe", "link", "--tenant", "demo", "--cpe", "HWTC00000002", "--service", "demo-pppoe"]);
    assert!(e.contains("put it back in stock first"), "{e}");
    cli(&["cpe", "restock", "--tenant", "demo", "--cpe", "HWTC00000002"]);
    let list = cli(&["cpe", "list", "--tenant", "demo"]);
    assert!(list.lines().any(|l| l.contains("HWTC00000001") && l.contains("installed")), "{list}");
    assert!(list.lines().any(|l| l.contains("HWTC00000002") && l.contains("in_stock")), "{list}");
    assert_eq!(acs.param(DEVICE, PPP_USER), Some(serde_json::json!("")), "no push for a lapsed service");

    // Activation: the lapsed service gets a new expiry → the push.
    cli(&["service", "renew", "--tenant", "demo", "demo-expired", "--expires", "30d"]);
    eventually("the PPPoE login on the device", Duration::from_secs(15), || {
        acs.param(DEVICE, PPP_USER) == Some(serde_json::json!("demo-expired"))
    });
    assert_eq!(acs.param(DEVICE, PPP_PASS), Some(serde_json::json!("demo-pass")), "the service's password, opened");
    assert_eq!(acs.param(DEVICE, SSID), Some(serde_json::json!("Kamau-Home")));
    assert_eq!(acs.param(DEVICE, KEY), Some(serde_json::json!(WIFI_KEY)));
    let done = acs.done();
    assert_eq!(done.len(), 1, "one task: {done:?}");
    assert_eq!(done[0]["name"], "setParameterValues");
    assert!(acs.requests().iter().all(|r| r.authorized), "every NBI request carried the credentials");
    assert!(
        acs.requests().iter().any(|r| r.method == "GET" && r.target.contains("_deviceId._SerialNumber")),
        "the device was found by serial: {:?}",
        acs.requests()
    );

    // The customer and service pages show the device's state.
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let brian = first_id_of(&cli(&["customer", "list", "--tenant", "demo"]), "Brian");
    let page = web.get(&format!("/admin/customers/{brian}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"cpe-online\">online<"), "{}", page.body);
    assert!(page.body.contains("-21.40 dBm"), "optical Rx");
    assert!(page.body.contains("HWTC00000001"));
    let service = first_id_of(&cli(&["service", "list", "--tenant", "demo"]), "demo-expired");
    let page = web.get(&format!("/admin/services/{service}"));
    assert!(page.body.contains("id=\"cpe-uptime\">24h01m"), "uptime of 86461 s: {}", page.body);
    assert!(!page.body.contains("id=\"cpe-provisioned\">-<"), "provisioned time shown");

    // Reboot from the page: done once, then refused for a minute (page and CLI).
    let cpe = first_id_of(&cli(&["cpe", "list", "--tenant", "demo"]), "HWTC00000001");
    let a = web.post(&format!("/admin/cpe/{cpe}/reboot"), &[]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(acs.device(DEVICE).reboots, 1);
    let a = web.post(&format!("/admin/cpe/{cpe}/reboot"), &[]);
    assert_eq!(a.status, 429, "{}", a.body);
    assert!(a.body.contains("less than a minute ago"), "{}", a.body);
    let e = refused(d, &["cpe", "refresh", "--tenant", "demo", "--cpe", "HWTC00000001"]);
    assert!(e.contains("less than a minute ago"), "{e}");
    assert_eq!(acs.device(DEVICE).reboots, 1, "the refused reboot never reached GenieACS");
    assert_eq!(acs.device(DEVICE).refreshes, 0);
    let audit = web.get("/admin/audit?format=csv").body;
    assert_eq!(audit.matches("cpe.reboot").count(), 1, "{audit}");
    assert!(audit.contains("cpe.provisioned") && audit.contains("cpe.link") && audit.contains("tenant.genieacs"));

    // GenieACS down: the push waits and goes when it is back.
    acs.set_down(true);
    cli(&["cpe", "push", "--tenant", "demo", "--cpe", "HWTC00000001"]);
    eventually("a failed push", Duration::from_secs(10), || s.log().contains("CPE push failed"));
    let page = web.get(&format!("/admin/cpe/{cpe}"));
    assert!(page.body.contains("Pushes waiting for GenieACS"), "{}", page.body);
    acs.set_down(false);
    eventually("the push after GenieACS is back", Duration::from_secs(30), || acs.done().len() >= 3);

    // A device the ACS cannot reach now gets its task at the next inform (202).
    acs.set_reachable(DEVICE, false);
    let a = web.post(&format!("/admin/services/{service}/password"), &[("password", "new-ppp-pass-1")]);
    assert!(a.status < 400, "{}", a.body);
    eventually("the task queued at GenieACS", Duration::from_secs(15), || !acs.pending().is_empty());
    assert_eq!(acs.param(DEVICE, PPP_PASS), Some(serde_json::json!("demo-pass")));
    // GenieACS lists it among the device's tasks until the device informs.
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("nbi:{ACS_PASSWORD}"))
    );
    let q = format!("/tasks?query=%7B%22device%22%3A%22{DEVICE}%22%7D");
    let listed = http(acs.addr, "GET", &q, &[("Authorization", &auth)], "");
    assert_eq!(listed.status, 200);
    assert!(listed.body.contains("new-ppp-pass-1") && listed.body.contains("setParameterValues"), "{}", listed.body);
    acs.inform(DEVICE);
    assert_eq!(acs.param(DEVICE, PPP_PASS), Some(serde_json::json!("new-ppp-pass-1")));

    // The NBI password and the Wi-Fi key are in no page, audit record or log.
    for path in ["/admin/genieacs", "/admin/audit?format=csv", &format!("/admin/cpe/{cpe}"), "/admin/cpe"] {
        let body = web.get(path).body;
        assert!(!body.contains(ACS_PASSWORD) && !body.contains(WIFI_KEY), "{path}");
    }
    let log = s.log();
    assert!(!log.contains(ACS_PASSWORD) && !log.contains(WIFI_KEY), "a secret in the log");
}

/// The id (first column) of the listing's line that mentions `what`.
fn first_id_of(listing: &str, what: &str) -> String {
    listing
        .lines()
        .find(|l| l.contains(what))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("{what} in {listing}"))
        .to_string()
}

#[test]
fn the_admin_pages_set_up_genieacs_and_the_inventory() {
    let acs = GenieAcs::start();
    let s = Server::demo();
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let bad = web.post("/admin/genieacs", &[("base_url", "acs:7557")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-base_url\""), "{}", bad.body);
    let ok =
        web.post("/admin/genieacs", &[("base_url", &acs.base_url()), ("username", "nbi"), ("password", ACS_PASSWORD)]);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = web.get("/admin/genieacs");
    assert!(page.body.contains("stored; leave blank to keep it") && !page.body.contains(ACS_PASSWORD));

    // The command line takes the password on stdin too (forwarded to the
    // running server with the request, never in argv).
    acs.require_auth("nbi", "from-stdin-pw-99");
    let mut child = without_lango_env(std::process::Command::new(BIN))
        .args(["--data", s.data.to_str().unwrap(), "cpe", "settings", "--tenant", "demo"])
        .args(["--url", &acs.base_url(), "--username", "nbi", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"from-stdin-pw-99\n").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());

    let bad = web.post("/admin/cpe", &[("rows", "HW1,not-a-mac,X")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("line 1"), "{}", bad.body);
    let ok = web.post("/admin/cpe", &[("rows", "HWTC00000009,AA:BB:CC:DD:EE:09,HG8245H")]);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let list = web.get("/admin/cpe");
    assert!(list.body.contains("data-serial=\"HWTC00000009\""), "{}", list.body);
    let cpe = lango_ok(&s.data, &["cpe", "list", "--tenant", "demo"]);
    let id = first_id_of(&cpe, "HWTC00000009");
    let bad = web.post(&format!("/admin/cpe/{id}/link"), &[("service", "nobody")]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("no service with username"), "{}", bad.body);
    let ok = web.post(&format!("/admin/cpe/{id}/link"), &[("service", "demo-static")]);
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = web.get(&format!("/admin/cpe/{id}"));
    assert!(page.body.contains("id=\"cpe-state\">installed<"), "{}", page.body);
    // The device never informed: the panel says so instead of a state (and
    // GenieACS accepted the password given on stdin).
    assert!(page.body.contains("GenieACS has no device with this serial number yet"), "{}", page.body);
    assert!(acs.requests().iter().all(|r| r.authorized));
}

#[allow(clippy::disallowed_methods)] // the server's manual clock starts at real time
fn real_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn installing_on_a_live_service_pushes_at_once_and_actions_wait_a_minute() {
    let acs = GenieAcs::start();
    acs.add(Device::tr098(DEVICE, "HWTC00000001"));
    let data = temp_dir("cpe-clock");
    let now = real_now().to_string();
    let s = Server::start(&data, &["--demo", "--test-clock", &now]);
    let cli = |args: &[&str]| lango_ok(&s.data, args);
    cli(&["cpe", "settings", "--tenant", "demo", "--url", &acs.base_url()]);
    cli(&["cpe", "add", "--tenant", "demo", "--serial", "HWTC00000001", "--model", "HG8245H"]);
    // demo-pppoe is active: installing the CPE queues the push at once
    // (no Wi-Fi set: only the PPPoE login goes).
    cli(&["cpe", "link", "--tenant", "demo", "--cpe", "HWTC00000001", "--service", "demo-pppoe"]);
    eventually("the push", Duration::from_secs(15), || {
        acs.param(DEVICE, PPP_USER) == Some(serde_json::json!("demo-pppoe"))
    });
    assert_eq!(acs.done()[0]["parameterValues"].as_array().map(Vec::len), Some(2), "{:?}", acs.done());
    let status = cli(&["cpe", "status", "--tenant", "demo", "--cpe", "HWTC00000001"]);
    assert!(status.contains("online   yes") && status.contains("rx power -21.40 dBm"), "{status}");

    let out = cli(&["cpe", "reboot", "--tenant", "demo", "--cpe", "HWTC00000001"]);
    assert!(out.contains("Reboot of HWTC00000001 done"), "{out}");
    let e = refused(&s.data, &["cpe", "refresh", "--tenant", "demo", "--cpe", "HWTC00000001"]);
    assert!(e.contains("try again in 60 s"), "{e}");
    cli(&["clock-advance", "61"]);
    let out = cli(&["cpe", "refresh", "--tenant", "demo", "--cpe", "HWTC00000001"]);
    assert!(out.contains("Refresh of HWTC00000001 done"), "{out}");
    assert_eq!(acs.device(DEVICE).refreshes, 1);
    let last = acs.done().last().cloned().unwrap();
    assert_eq!(last["name"], "refreshObject");
    assert_eq!(last["objectName"], "InternetGatewayDevice");

    // A device that does not answer the connection request: GenieACS keeps
    // the reboot for its next inform (202), which the operator is told.
    acs.set_reachable(DEVICE, false);
    cli(&["clock-advance", "61"]);
    let out = cli(&["cpe", "reboot", "--tenant", "demo", "--cpe", "HWTC00000001"]);
    assert!(out.contains("queued at GenieACS"), "{out}");
    assert_eq!(acs.device(DEVICE).reboots, 1);
    acs.inform(DEVICE);
    assert_eq!(acs.device(DEVICE).reboots, 2);
}
