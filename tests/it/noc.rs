//! The NOC against the real binary and a real snmpd: a router polled over
//! SNMP v2c and v3 shows its name, interfaces and health on the NOC page;
//! a wrong v3 key is a clear error there; stopping the agent reports the
//! router down within two polls (one router.down webhook, one operator
//! SMS naming the customers online) and starting it again reports it back
//! (one router.up); settings are in the RBAC matrix and never echo a secret;
//! SFP optics and PoE-out ports show on the router's page, and low receive
//! power (after three polls) and a PoE overload (at once) alert and resolve.

use std::time::Duration;

use crate::billing::eventually;
use crate::harness::*;
use crate::support::gateways::{CELCOM_API_KEY, CELCOM_PARTNER_ID, CELCOM_SHORTCODE, CelcomSim};
use crate::support::receiver::Receiver;
use crate::support::snmpd::{self, SnmpPeer};

const WAIT: Duration = Duration::from_secs(15);

fn serve(name: &str) -> Server {
    let data = temp_dir(name);
    Server::start_env(
        &data,
        &["--demo"],
        &[("LANGO_SNMP_INTERVAL_SECS", "1"), ("LANGO_SNMP_TIMEOUT_MS", "300"), ("LANGO_SNMP_RETRIES", "0")],
    )
}

fn nas_id(s: &Server) -> String {
    let list = lango_ok(&s.data, &["nas", "list", "--tenant", "demo"]);
    list.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string()
}

/// `lango snmp set` for router `id` over v2c to `peer`, then the first
/// poll; what the command printed.
fn poll_v2c(s: &Server, id: &str, peer: &SnmpPeer) -> String {
    let port = peer.addr().port().to_string();
    let set = ["snmp", "set", "--tenant", "demo", id, "--host", "127.0.0.1", "--port", &port];
    let out = lango_ok(&s.data, &[&set[..], &["--community", snmpd::COMMUNITY]].concat());
    eventually("the first poll", WAIT, || show(s).contains(" up "));
    out
}

fn show(s: &Server) -> String {
    lango_ok(&s.data, &["snmp", "show", "--tenant", "demo"])
}

#[test]
fn a_router_polled_over_v2c_and_v3_and_reported_down_and_back() {
    let mut peer = SnmpPeer::start();
    let sim = CelcomSim::start();
    let hook = Receiver::start(&[]);
    let s = serve("noc");
    let id = nas_id(&s);
    let port = peer.addr().port().to_string();
    let url = sim.base_url();
    let mut setup = vec!["notify", "setup", "--tenant", "demo", "--sms", "celcom", "--sms-url", &url];
    setup.extend(["--sms-account", CELCOM_PARTNER_ID, "--sms-key", CELCOM_API_KEY, "--sms-sender", CELCOM_SHORTCODE]);
    lango_ok(&s.data, &[&setup[..], &["--operator-phone", "0722000090"]].concat());
    let hook_url = format!("http://{}/hook", hook.addr);
    lango_ok(&s.data, &["webhook", "add", "--tenant", "demo", "--url", &hook_url, "--events", "router.down,router.up"]);

    // v2c
    let out = poll_v2c(&s, &id, &peer);
    assert!(out.contains("v2c, community stored") && !out.contains(snmpd::COMMUNITY), "{out}");
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = web.get(&format!("/admin/noc/{id}")).body;
    assert!(page.contains(snmpd::SYS_NAME), "{page}");
    assert!(page.contains("<td>lo</td>"), "the loopback interface: {page}");
    assert!(page.contains("<svg"), "charts: {page}");
    assert!(!page.contains(snmpd::COMMUNITY));
    eventually("a rate after two polls", WAIT, || web.get(&format!("/admin/noc/{id}")).body.contains("bit/s</td>"));
    let list = web.get("/admin/noc").body;
    assert!(list.contains(&format!("id=\"noc-{id}\" data-state=\"up\"")), "{list}");
    {
        let b = crate::support::browser::Browser::start_laptop();
        let base = format!("http://127.0.0.1:{}", s.http.port());
        b.goto(&format!("{base}/admin"));
        b.find("#username", WAIT);
        b.clear_and_type("#username", "demo");
        b.clear_and_type("#password", "demo-admin-pass");
        b.click("#sign-in");
        b.wait_text("Dashboard", WAIT);
        b.goto(&format!("{base}/admin/noc"));
        b.find("#noc", WAIT);
        b.keep_screenshot("noc");
        b.goto(&format!("{base}/admin/noc/{id}?range=1h"));
        b.find("#router-state", WAIT);
        assert!(b.source().contains("<polyline"), "a chart was drawn");
        b.keep_screenshot("noc-router");
    }

    // v3 with a wrong privacy key: a clear error on the NOC page.
    let bad = ["--version", "v3", "--user", snmpd::USER_SHA, "--auth", "sha", "--auth-pass", snmpd::AUTH_PASS];
    let args = ["snmp", "set", "--tenant", "demo", &id, "--host", "127.0.0.1", "--port", &port];
    lango_ok(&s.data, &[&args[..], &bad[..], &["--priv-pass", "wrong-priv-pass"]].concat());
    eventually("the error shown", WAIT, || web.get(&format!("/admin/noc/{id}")).body.contains("id=\"router-error\""));
    let page = web.get(&format!("/admin/noc/{id}")).body;
    assert!(page.contains("wrong community") || page.contains("keys"), "the words say what to check: {page}");
    let v3 = ["--version", "v3", "--user", snmpd::USER_SHA256, "--auth", "sha256", "--auth-pass", snmpd::AUTH_PASS];
    lango_ok(&s.data, &[&args[..], &v3[..], &["--priv-pass", snmpd::PRIV_PASS]].concat());
    eventually("v3 polls", WAIT, || {
        let p = web.get(&format!("/admin/noc/{id}")).body;
        p.contains("data-state=\"up\"") && !p.contains("id=\"router-error\"")
    });
    assert!(hook.received().is_empty(), "not down: one failed poll is not an outage");

    // The agent stops: down within two polls, once; then back, once.
    peer.stop();
    eventually("reported down", WAIT, || show(&s).contains(" down "));
    eventually("the router.down webhook", WAIT, || hook.received().iter().any(|r| r.body.contains("router.down")));
    eventually("the operator's SMS", WAIT, || {
        sim.received().iter().any(|r| r.to == "254722000090" && r.message.contains("down"))
    });
    std::thread::sleep(Duration::from_secs(3));
    peer.start_again();
    eventually("back up", WAIT, || show(&s).contains(" up "));
    eventually("the router.up webhook", WAIT, || hook.received().iter().any(|r| r.body.contains("router.up")));
    std::thread::sleep(Duration::from_secs(3));
    let events: Vec<String> =
        hook.received().iter().map(|r| r.headers.get("lango-event").cloned().unwrap_or_default()).collect();
    assert_eq!(events, vec!["router.down".to_string(), "router.up".to_string()], "one each");
    let sms: Vec<String> = sim.received().into_iter().filter(|r| r.to == "254722000090").map(|r| r.message).collect();
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(sms[0].contains("Router demo-loopback down: 0 customers online"), "{sms:?}");

    // Prometheus sees the router and the business gauges (a rate once two
    // polls have come in since the router was back).
    let rate = "lango_router_interface_bits_per_second{tenant=\"demo\",router=\"demo-loopback\",interface=\"lo\",direction=\"in\"}";
    eventually("the interface rate in the metrics", WAIT, || s.http_get("/metrics").contains(rate));
    let m = s.http_get("/metrics");
    assert!(m.contains("lango_router_up{tenant=\"demo\",router=\"demo-loopback\"} 1"), "{m}");
    assert!(m.contains("lango_services{tenant=\"demo\",state=\"expired\"} 1"), "{m}");
    assert!(m.contains("lango_notifications{tenant=\"demo\",status=\"sent\"}"), "{m}");

    // Off: no longer polled.
    lango_ok(&s.data, &["snmp", "off", "--tenant", "demo", &id]);
    assert!(show(&s).contains("not polled"));
}

#[test]
fn snmp_settings_are_checked_field_by_field() {
    let s = serve("noc-form");
    let id = nas_id(&s);
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let a = web.post(
        &format!("/admin/nas/{id}/snmp"),
        &[("version", "v3"), ("user", ""), ("auth", "sha"), ("auth_pass", "short"), ("priv_pass", "")],
    );
    assert_eq!(a.status, 422, "{}", a.body);
    for field in ["user", "auth_pass", "priv_pass"] {
        assert!(a.body.contains(&format!("id=\"error-{field}\"")), "{field}: {}", a.body);
    }
    let a = web.post(&format!("/admin/nas/{id}/snmp"), &[("version", "v2c"), ("port", "99999"), ("community", "x")]);
    assert!(a.body.contains("id=\"error-port\""), "{}", a.body);
    let a = web.post(&format!("/admin/nas/{id}/snmp"), &[("version", "v2c"), ("community", "sekrit-community")]);
    assert_eq!(a.status, 303, "{}", a.body);
    let page = web.get(&format!("/admin/noc/{id}")).body;
    assert!(!page.contains("sekrit-community") && page.contains("stored; leave blank to keep it"), "{page}");
    let audit = web.get("/admin/audit").body;
    assert!(audit.contains("nas.snmp") && !audit.contains("sekrit-community"), "{audit}");
    assert!(
        !std::fs::read(s.data.join("lango.redb")).unwrap().windows(16).any(|w| w == b"sekrit-community"),
        "sealed at rest"
    );
}

#[test]
fn metrics_need_an_allowed_address_or_the_token() {
    let data = temp_dir("noc-metrics");
    let token = "metrics-token-0123456789";
    let env = [("LANGO_HTTP_METRICS_ALLOW", "[\"192.0.2.0/24\"]"), ("LANGO_HTTP_METRICS_TOKEN", token)];
    let s = Server::start_env(&data, &["--demo"], &env);
    let refused = http(s.http, "GET", "/metrics", &[], "");
    assert_eq!(refused.status, 403, "loopback is not in the list: {}", refused.body);
    let wrong = http(s.http, "GET", "/metrics", &[("Authorization", "Bearer metrics-token-wrong-one")], "");
    assert_eq!(wrong.status, 403);
    let ok = http(s.http, "GET", "/metrics", &[("Authorization", &format!("Bearer {token}"))], "");
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("lango_customers{tenant=\"demo\"}"), "{}", ok.body);
}

/// A temperature over the limit for three polls opens one alert (NOC page,
/// router.alert webhook); under 90 % of it for three polls resolves it.
#[test]
fn a_hot_router_raises_one_alert_and_resolves_it() {
    let peer = SnmpPeer::start();
    let hook = Receiver::start(&[]);
    let data = temp_dir("noc-alert");
    let env =
        [("LANGO_SNMP_INTERVAL_SECS", "1"), ("LANGO_SNMP_TIMEOUT_MS", "500"), ("LANGO_SNMP_TEMPERATURE_ALERT_C", "50")];
    let s = Server::start_env(&data, &["--demo"], &env);
    let id = nas_id(&s);
    let hook_url = format!("http://{}/hook", hook.addr);
    lango_ok(
        &s.data,
        &["webhook", "add", "--tenant", "demo", "--url", &hook_url, "--events", "router.alert,router.alert_resolved"],
    );
    poll_v2c(&s, &id, &peer);
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    std::thread::sleep(Duration::from_secs(4));
    assert!(hook.received().is_empty(), "47 °C is under 50");

    peer.set_cpu_temperature(55);
    eventually("the alert", WAIT, || hook.received().iter().any(|r| r.body.contains("router.alert")));
    let page = web.get(&format!("/admin/noc/{id}")).body;
    assert!(page.contains("id=\"alerts\"") && page.contains("temperature 55 °C, over 50 °C"), "{page}");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(hook.received().len(), 1, "one alert while it stays hot");
    assert_eq!(web.post(&format!("/admin/noc/{id}/ack"), &[]).status, 303);
    assert!(web.get(&format!("/admin/noc/{id}")).body.contains("Acknowledged by admin:demo"), "who took it in hand");

    peer.set_cpu_temperature(48);
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(hook.received().len(), 1, "48 is under 50 but not under the clear line 45: no flapping");
    peer.set_cpu_temperature(40);
    eventually("resolved", WAIT, || hook.received().iter().any(|r| r.body.contains("router.alert_resolved")));
    let page = web.get(&format!("/admin/noc/{id}")).body;
    assert!(!page.contains("id=\"alerts\"") && !page.contains("id=\"acked\""), "resolved clears the acknowledgement");
    assert!(
        lango(&s.data, &["snmp", "ack", "--tenant", "demo", &id]).status.code() != Some(0),
        "nothing to acknowledge"
    );
    std::thread::sleep(Duration::from_secs(3));
    let events: Vec<String> =
        hook.received().iter().map(|r| r.headers.get("lango-event").cloned().unwrap_or_default()).collect();
    assert_eq!(events, vec!["router.alert".to_string(), "router.alert_resolved".to_string()]);
}

/// The router page lists the SFPs and PoE ports; sfp1's receive power
/// under `snmp.sfp_rx_alert_dbm` (-25) for three polls opens one alert,
/// resolved once back over -23; ether4 in overload opens one at once.
#[test]
fn sfp_optics_and_poe_ports_show_and_alert() {
    let peer = SnmpPeer::start();
    let hook = Receiver::start(&[]);
    let s = serve("noc-optics");
    let id = nas_id(&s);
    let hook_url = format!("http://{}/hook", hook.addr);
    let events = "router.alert,router.alert_resolved";
    lango_ok(&s.data, &["webhook", "add", "--tenant", "demo", "--url", &hook_url, "--events", events]);
    poll_v2c(&s, &id, &peer);
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    let page = || web.get(&format!("/admin/noc/{id}")).body;
    let p = page();
    let sfp1 = "<tr id=\"optic-1\"><td>sfp1</td><td class=\"rx\">-5.10 dBm</td><td class=\"tx\">-4.20 dBm</td><td>41 °C</td><td class=\"state\">ok</td></tr>";
    assert!(p.contains("id=\"optics\"") && p.contains(sfp1), "{p}");
    assert!(p.contains("<td>sfp-sfpplus1</td><td class=\"rx\">-12.30 dBm</td>"), "{p}");
    let ether4 = "<tr id=\"poe-4\"><td>ether4</td><td class=\"status\">powered-on</td><td>24.0 V</td><td>150 mA</td><td>3.6 W</td></tr>";
    assert!(p.contains("id=\"poe\"") && p.contains(ether4), "{p}");
    let received = |what: &str| hook.received().iter().filter(|r| r.body.contains(what)).count();

    // No light to speak of: three polls under -25 dBm, then one alert.
    peer.set_sfp_rx(-30_000);
    let opened = "SFP sfp1 receive power -30.0 dBm, under -25 dBm";
    eventually("the SFP alert on the page", Duration::from_secs(10), || page().contains(opened));
    let p = page();
    assert!(p.contains("id=\"alerts\"") && p.contains("<td class=\"rx\">-30.00 dBm</td>"), "{p}");
    eventually("the SFP alert webhook", WAIT, || received(opened) == 1);
    peer.set_sfp_rx(-5_100);
    let resolved = "SFP sfp1 receive power back to -5.1 dBm";
    eventually("the SFP alert resolved", WAIT, || received(resolved) == 1);
    assert!(!page().contains("id=\"alerts\""), "nothing open");

    // An overloaded PoE port alerts at the next poll.
    peer.set_poe_status(4);
    let overloaded = "PoE on ether4 overloaded";
    eventually("the PoE alert on the page", Duration::from_secs(5), || page().contains(overloaded));
    assert!(page().contains("<span class=\"status-disabled\">overload</span>"));
    eventually("the PoE alert webhook", WAIT, || received(overloaded) == 1);
    peer.set_poe_status(3);
    let back = "PoE on ether4 no longer overloaded (powered-on)";
    eventually("the PoE alert resolved", WAIT, || received(back) == 1);

    std::thread::sleep(Duration::from_secs(2));
    let events: Vec<String> =
        hook.received().iter().map(|r| r.headers.get("lango-event").cloned().unwrap_or_default()).collect();
    assert_eq!(events, ["router.alert", "router.alert_resolved", "router.alert", "router.alert_resolved"], "once each");
}

/// Planned work: an outage inside a maintenance window is shown but not
/// announced, and its end is not announced either.
#[test]
fn an_outage_in_maintenance_is_not_announced() {
    let mut peer = SnmpPeer::start();
    let hook = Receiver::start(&[]);
    let s = serve("noc-maintenance");
    let id = nas_id(&s);
    let hook_url = format!("http://{}/hook", hook.addr);
    lango_ok(&s.data, &["webhook", "add", "--tenant", "demo", "--url", &hook_url, "--events", "router.down,router.up"]);
    poll_v2c(&s, &id, &peer);
    let out = lango_ok(&s.data, &["snmp", "maintenance", "--tenant", "demo", &id, "--for", "1h"]);
    assert!(out.contains("in maintenance until"), "{out}");
    let bad = lango(&s.data, &["snmp", "maintenance", "--tenant", "demo", &id, "--for", "90d"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--for"), "{bad:?}");
    peer.stop();
    eventually("down, in maintenance", WAIT, || show(&s).contains("down (maintenance)"));
    peer.start_again();
    eventually("back up", WAIT, || show(&s).contains(" up "));
    lango_ok(&s.data, &["snmp", "maintenance", "--tenant", "demo", &id, "--for", "off"]);
    std::thread::sleep(Duration::from_secs(3));
    assert!(hook.received().is_empty(), "nothing announced: {:?}", hook.received());
    let web = AdminWeb::login(s.http, "demo", "demo-admin-pass");
    assert!(web.get("/admin/audit").body.contains("nas.maintenance"));
}
