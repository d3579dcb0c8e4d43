//! RouterOS orchestration against the real binary and the RouterOS API
//! simulator: credentials through the CLI (forwarded to a running server,
//! and offline), provisioning that applies, converges and leaves the
//! operator's rows alone, dry runs, refused logins, trapped commands,
//! unreachable routers, and lookups of seeded leases, hosts and sessions.

use std::path::Path;
use std::process::{Command, Output};

use crate::harness::*;
use crate::support::routeros::{RouterOsSim, Row};

const USER: &str = "lango-api";
const PASS: &str = "api-pass-7Qx";
const NAS: &str = "demo-loopback";

fn lango_env(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    crate::harness::without_lango_env(Command::new(BIN))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("run lango")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// `lango routeros set` for the demo NAS, password through the environment.
fn set_credentials(data: &Path, port: u16, password: &str) {
    let port = port.to_string();
    let args = ["routeros", "set", NAS, "--host", "127.0.0.1", "--port", &port, "--user", USER];
    let mut args = args.to_vec();
    args.extend(["--password-env", "ROUTER_API_PASSWORD"]);
    let out = lango_env(data, &args, &[("ROUTER_API_PASSWORD", password)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("{USER}@127.0.0.1:{port}")), "{}", text(&out));
}

fn provision(data: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["routeros", "provision", NAS, "--lango-address", "10.5.50.2", "--portal-port", "8080"];
    args.extend(extra);
    lango_env(data, &args, &[])
}

/// The number in "N change(s) ..." of a provision report.
fn count(out: &str, suffix: &str) -> usize {
    out.lines()
        .find_map(|l| l.strip_suffix(suffix).and_then(|l| l.rsplit(' ').next()))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {suffix:?} in:\n{out}"))
}

fn one<'a>(rows: &'a [Row], key: &str) -> &'a Row {
    let found: Vec<&Row> = rows.iter().filter(|r| r.get("comment").map(String::as_str) == Some(key)).collect();
    assert_eq!(found.len(), 1, "{key} in {rows:#?}");
    found[0]
}

/// Operator rows on a fresh router: a DHCP server, a masquerade rule, a
/// filter rule and an address-list entry of their own.
fn operator_router() -> RouterOsSim {
    let sim = RouterOsSim::start(USER, PASS);
    sim.seed(
        "/ip/dhcp-server",
        &[("name", "lan"), ("interface", "bridge"), ("use-radius", "no"), ("disabled", "false")],
    );
    sim.seed("/ip/firewall/nat", &[("chain", "srcnat"), ("action", "masquerade"), ("out-interface", "ether1")]);
    sim.seed(
        "/ip/firewall/filter",
        &[("chain", "forward"), ("action", "fasttrack-connection"), ("comment", "defconf: fasttrack")],
    );
    sim.seed("/ip/firewall/address-list", &[("list", "mgmt"), ("address", "192.168.88.0/24")]);
    sim
}

#[test]
fn provision_applies_converges_and_leaves_the_operators_rows_alone() {
    let sim = operator_router();
    let server = Server::demo();
    set_credentials(&server.data, sim.addr().port(), PASS);
    let operator_nat = sim.rows("/ip/firewall/nat");
    let operator_filter = sim.rows("/ip/firewall/filter");

    // A dry run shows everything and changes nothing.
    let dry = provision(&server.data, &["--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    let dry = text(&dry);
    let planned = count(&dry, " change(s) would be applied; nothing was changed");
    assert!(sim.changes().is_empty(), "dry run sent {:?}", sim.changes());
    assert_eq!(sim.rows("/ip/firewall/nat"), operator_nat);
    assert!(sim.rows("/radius").is_empty());

    // The real run applies exactly what the dry run showed.
    let first = provision(&server.data, &[]);
    assert!(first.status.success(), "{}", text(&first));
    let first = text(&first);
    assert_eq!(count(&first, " change(s) applied"), planned, "{first}");
    // 17 rows added; /radius incoming, /ppp aaa, the DHCP server and the
    // hotspot profile set.
    assert_eq!(planned, 21, "{first}");
    assert_eq!(sim.changes().len(), planned);
    assert!(first.contains(&format!("router {NAS} (NAS 127.0.0.0/8, API 127.0.0.1:{})", sim.addr().port())), "{first}");
    assert!(first.contains("+ /radius add address=10.5.50.2 secret=*** service=ppp,hotspot,dhcp"), "{first}");
    assert!(first.contains("~ /ppp/aaa set (singleton): use-radius=false -> yes"), "{first}");
    assert!(!first.contains(DEMO_SECRET), "secret shown: {first}");

    // The router now holds it.
    let radius = sim.rows("/radius");
    let r = one(&radius, "lango:radius");
    assert_eq!(r["secret"], DEMO_SECRET);
    assert_eq!(r["address"], "10.5.50.2");
    assert_eq!(r["authentication-port"], "1812");
    assert_eq!(r["require-message-auth"], "yes-for-request-resp");
    let incoming = &sim.rows("/radius/incoming")[0];
    assert_eq!((incoming["accept"].as_str(), incoming["port"].as_str()), ("true", "3799"));
    let aaa = &sim.rows("/ppp/aaa")[0];
    assert_eq!((aaa["use-radius"].as_str(), aaa["interim-update"].as_str()), ("true", "5m"));
    assert_eq!(sim.rows("/ip/dhcp-server")[0]["use-radius"], "yes");
    assert_eq!(sim.rows("/ip/hotspot/profile")[0]["use-radius"], "true");
    let nat = sim.rows("/ip/firewall/nat");
    assert_eq!(nat.len(), 4);
    let redirect = one(&nat, "lango:captive-lango-expired");
    assert_eq!(redirect["to-addresses"], "10.5.50.2");
    assert_eq!(redirect["to-ports"], "8080");
    assert_eq!(redirect["src-address-list"], "lango-expired");
    let gardens = sim.rows("/ip/hotspot/walled-garden");
    assert_eq!(one(&gardens, "lango:pay-api.safaricom.co.ke")["action"], "allow");
    let filter = sim.rows("/ip/firewall/filter");
    assert_eq!(filter.len(), 8);
    assert_eq!(filter.last().unwrap()["comment"], "lango:captive-drop", "drop comes last");
    assert_eq!(sim.rows("/ip/firewall/nat")[0], operator_nat[0]);
    assert_eq!(sim.rows("/ip/firewall/filter")[0], operator_filter[0]);

    // A second run reads, finds nothing to do, and sends no change.
    sim.clear_log();
    let second = provision(&server.data, &[]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("no changes: the router already matches"), "{}", text(&second));
    assert!(sim.changes().is_empty(), "second run sent {:?}", sim.changes());
    assert!(sim.commands().iter().all(|c| c == "/login" || c.ends_with("/print")), "{:?}", sim.commands());

    // Someone edits a lango rule and leaves a stale one: both are put
    // right, the operator's rows still untouched.
    let edited = one(&nat, "lango:captive-lango-quota")[".id"].clone();
    {
        let mut st = sim.state();
        let rows = st.tables.get_mut("/ip/firewall/nat").unwrap();
        rows.iter_mut().find(|r| r[".id"] == edited).unwrap().insert("to-ports".into(), "81".into());
    }
    let stale = sim.seed("/ip/firewall/nat", &[("chain", "dstnat"), ("action", "accept"), ("comment", "lango:old")]);
    let third = text(&provision(&server.data, &[]));
    assert!(third.contains(&format!("- /ip/firewall/nat remove {stale} (lango:old)")), "{third}");
    assert!(third.contains("~ /ip/firewall/nat set lango:captive-lango-quota: to-ports=81 -> 8080"), "{third}");
    assert!(third.contains("2 change(s) applied"), "{third}");
    let nat = sim.rows("/ip/firewall/nat");
    assert_eq!(nat.len(), 4);
    assert_eq!(nat[0], operator_nat[0]);
}

#[test]
fn a_refused_login_names_the_router_and_applies_nothing() {
    let sim = RouterOsSim::start(USER, PASS);
    let server = Server::demo();
    set_credentials(&server.data, sim.addr().port(), "not-the-password");
    let out = provision(&server.data, &[]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains(&format!("router {NAS} (NAS 127.0.0.0/8, API 127.0.0.1:{})", sim.addr().port())), "{t}");
    assert!(t.contains("login refused: invalid user name or password (6)"), "{t}");
    assert!(t.contains("nothing was applied"), "{t}");
    assert!(sim.changes().is_empty());
    assert_eq!(sim.state().logins, 0);
    // The wrong password went to the router, and only there.
    assert!(sim.log()[0].contains(&"=password=not-the-password".to_string()), "{:?}", sim.log());
    assert!(!t.contains("not-the-password"));
}

#[test]
fn a_trapped_command_is_named_with_what_was_applied_before_it() {
    let sim = operator_router();
    sim.trap_on("/ip/firewall/nat/add", "failure: rule limit reached");
    let server = Server::demo();
    set_credentials(&server.data, sim.addr().port(), PASS);
    let out = provision(&server.data, &[]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains(&format!("router {NAS} (NAS 127.0.0.0/8, API 127.0.0.1:{})", sim.addr().port())), "{t}");
    assert!(
        t.contains("`/ip/firewall/nat add chain=dstnat src-address-list=lango-expired protocol=tcp dst-port=80"),
        "{t}"
    );
    assert!(t.contains("failed: failure: rule limit reached"), "{t}");
    // Everything sent before the trapped add is reported as applied.
    let sent = sim.changes();
    let applied = sent.len() - 1;
    assert_eq!(applied, 11, "radius, incoming, aaa, DHCP, profile, 3 walled garden, 3 address list");
    assert!(t.contains(&format!("applied before the failure ({applied}):")), "{t}");
    assert!(t.contains("+ /radius add address=10.5.50.2 secret=***"), "{t}");
    assert!(t.contains("not applied: 10 change(s), the failed one included"), "{t}");
    assert!(!t.contains(DEMO_SECRET));
    assert_eq!(sim.rows("/radius").len(), 1, "applied rows stay");
    assert_eq!(sim.rows("/ip/firewall/nat").len(), 1, "only the operator's rule");
    assert!(
        sim.rows("/ip/firewall/filter")
            .iter()
            .all(|r| !r.contains_key("comment") || r["comment"].starts_with("defconf"))
    );
}

#[test]
fn unreachable_and_vanishing_routers_are_named() {
    let server = Server::demo();
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    set_credentials(&server.data, port, PASS);
    let out = provision(&server.data, &["--timeout", "3"]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains(&format!("router {NAS} (NAS 127.0.0.0/8, API 127.0.0.1:{port}): cannot connect")), "{t}");
    assert!(t.contains("nothing was applied"), "{t}");

    // A router that drops the connection in the middle.
    let sim = RouterOsSim::start(USER, PASS);
    sim.close_on("/ip/firewall/nat/print");
    set_credentials(&server.data, sim.addr().port(), PASS);
    let t = text(&provision(&server.data, &[]));
    assert!(t.contains("connection lost during `/ip/firewall/nat print`"), "{t}");
    assert!(t.contains("nothing was applied"), "{t}");
    assert!(sim.changes().is_empty());
}

#[test]
fn lookups_and_kick_work_offline() {
    let sim = RouterOsSim::start(USER, PASS);
    sim.seed(
        "/ip/dhcp-server/lease",
        &[
            ("address", "10.5.50.23"),
            ("mac-address", "AA:BB:CC:00:00:23"),
            ("host-name", "amina-phone"),
            ("status", "bound"),
            ("server", "lan"),
        ],
    );
    sim.seed(
        "/ip/dhcp-server/lease",
        &[("address", "10.5.50.24"), ("mac-address", "AA:BB:CC:00:00:24"), ("status", "waiting"), ("server", "lan")],
    );
    sim.seed(
        "/ip/hotspot/host",
        &[
            ("mac-address", "AA:BB:CC:00:00:31"),
            ("address", "10.5.60.31"),
            ("to-address", "10.5.60.31"),
            ("server", "hs1"),
            ("authorized", "true"),
        ],
    );
    sim.seed(
        "/ppp/active",
        &[
            ("name", "pppoe-jane"),
            ("service", "pppoe"),
            ("caller-id", "AA:BB:CC:00:00:41"),
            ("address", "10.7.0.41"),
            ("uptime", "1h2m"),
        ],
    );
    sim.seed(
        "/ip/hotspot/active",
        &[("user", "VOUCHER-1"), ("address", "10.5.60.31"), ("mac-address", "AA:BB:CC:00:00:31"), ("uptime", "5m")],
    );

    // No server: the commands open the database themselves.
    let data = temp_dir("routeros-offline");
    lango_ok(&data, &["tenant", "add", "isp"]);
    lango_ok(
        &data,
        &["nas", "add", "--tenant", "isp", "--name", "core-1", "--address", "127.0.0.1", "--secret", "radius-secret-1"],
    );
    let port = sim.addr().port().to_string();
    let out = lango_env(
        &data,
        &[
            "routeros",
            "set",
            "core-1",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            USER,
            "--password-env",
            "ROS_PW",
            "--lango-address",
            "10.1.1.1",
        ],
        &[("ROS_PW", PASS)],
    );
    assert!(out.status.success(), "{}", text(&out));
    let show = lango_ok(&data, &["routeros", "show", "core-1"]);
    assert!(show.contains(&format!("127.0.0.1:{port} plain API")) && show.contains("(sealed)"), "{show}");
    assert!(!show.contains(PASS));

    assert!(show.contains("lango     10.1.1.1"), "{show}");
    // Provisioning offline, with the stored lango address.
    let dry = lango_ok(&data, &["routeros", "provision", "core-1", "--dry-run"]);
    assert!(dry.contains("+ /radius add address=10.1.1.1 secret=***"), "{dry}");
    assert!(dry.contains("to-addresses=10.1.1.1 to-ports=80 "), "{dry}");
    assert!(dry.contains("dry run: 20 change(s) would be applied"), "{dry}");
    assert!(sim.changes().is_empty());

    let leases = lango_ok(&data, &["routeros", "leases", "core-1"]);
    let line = leases.lines().find(|l| l.starts_with("10.5.50.23")).unwrap_or_else(|| panic!("{leases}"));
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        ["10.5.50.23", "AA:BB:CC:00:00:23", "amina-phone", "bound", "lan"]
    );
    assert!(leases.lines().any(|l| l.starts_with("10.5.50.24")), "{leases}");
    let hosts = lango_ok(&data, &["routeros", "hosts", "core-1"]);
    let line = hosts.lines().nth(1).unwrap_or_else(|| panic!("{hosts}"));
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        ["AA:BB:CC:00:00:31", "10.5.60.31", "10.5.60.31", "hs1", "true"]
    );
    let active = lango_ok(&data, &["routeros", "active", "core-1"]);
    assert!(
        active.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["ppp", "pppoe-jane", "10.7.0.41", "AA:BB:CC:00:00:41", "1h2m"]),
        "{active}"
    );
    assert!(active.lines().any(|l| l.starts_with("hotspot") && l.contains("VOUCHER-1")), "{active}");

    let kicked = lango_ok(&data, &["routeros", "kick", "core-1", "--user", "pppoe-jane"]);
    assert!(kicked.contains("1 session(s) ended on core-1"), "{kicked}");
    assert!(sim.rows("/ppp/active").is_empty());
    assert_eq!(sim.rows("/ip/hotspot/active").len(), 1, "the other session stays");
    let kicked = lango_ok(&data, &["routeros", "kick", "core-1", "--address", "10.5.60.31"]);
    assert!(kicked.contains("1 session(s) ended"), "{kicked}");
    assert!(sim.rows("/ip/hotspot/active").is_empty());
    // The password is in the database only sealed.
    let db = std::fs::read(data.join("lango.redb")).unwrap();
    assert!(!db.windows(PASS.len()).any(|w| w == PASS.as_bytes()));
}

#[test]
fn api_ssl_logs_in_over_tls() {
    let sim = RouterOsSim::start_tls(USER, PASS);
    sim.seed(
        "/ppp/active",
        &[("name", "tls-user"), ("address", "10.7.0.9"), ("caller-id", "AA:BB:CC:00:00:09"), ("uptime", "9s")],
    );
    let data = temp_dir("routeros-tls");
    lango_ok(&data, &["tenant", "add", "isp"]);
    lango_ok(
        &data,
        &["nas", "add", "--tenant", "isp", "--name", "edge", "--address", "127.0.0.1", "--secret", "radius-secret-1"],
    );
    let port = sim.addr().port().to_string();
    let args = [
        "routeros",
        "set",
        "edge",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        "--user",
        USER,
        "--password-env",
        "ROS_PW",
    ];
    let out = lango_env(&data, &args, &[("ROS_PW", PASS)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("(TLS)"), "{}", text(&out));
    let active = lango_ok(&data, &["routeros", "active", "edge"]);
    assert!(active.contains("tls-user"), "{active}");
    assert_eq!(sim.state().logins, 1);
    // The same router spoken to without TLS does not answer a login.
    let args =
        ["routeros", "set", "edge", "--host", "127.0.0.1", "--port", &port, "--user", USER, "--password-env", "ROS_PW"];
    assert!(lango_env(&data, &args, &[("ROS_PW", PASS)]).status.success());
    let plain = lango_env(&data, &["routeros", "active", "edge", "--timeout", "2"], &[]);
    assert!(!plain.status.success());
    assert!(text(&plain).contains("router edge (NAS 127.0.0.1, API 127.0.0.1:"), "{}", text(&plain));
    assert_eq!(sim.state().logins, 1);
}

/// When the router does not answer the Disconnect-Request, the enforcement
/// worker ends the session through the RouterOS API; when it answers, the
/// API is not used.
#[test]
fn enforcement_falls_back_to_the_api_when_coa_gets_no_answer() {
    use crate::billing::{DISCONNECT, rig};
    use std::time::Duration;
    let r = rig("routeros-fallback");
    let sim = RouterOsSim::start(USER, PASS);
    set_credentials(&r.server.data, sim.addr().port(), PASS);

    // The router answers: RADIUS is enough, the API stays untouched.
    r.start_session("demo-pppoe", "ok-1", "10.0.0.9", "");
    r.cli(&["service", "suspend", "--tenant", "demo", "demo-pppoe"]);
    assert!(r.nas_got(DISCONNECT, "ok-1", Duration::from_secs(5)), "log:\n{}", r.server.log());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(sim.log().is_empty(), "API used although CoA worked: {:?}", sim.log());
    r.stop_session("demo-pppoe", "ok-1", "");
    r.cli(&["service", "resume", "--tenant", "demo", "demo-pppoe"]);

    // The router's RADIUS side is deaf: the API ends the session.
    sim.seed("/ppp/active", &[("name", "demo-pppoe"), ("address", "10.0.0.10"), ("caller-id", "AA:BB:CC:00:00:10")]);
    sim.seed("/ppp/active", &[("name", "someone-else"), ("address", "10.0.0.11")]);
    r.start_session("demo-pppoe", "deaf-1", "10.0.0.10", "");
    r.nas.drop_next(1000);
    r.cli(&["service", "suspend", "--tenant", "demo", "demo-pppoe"]);
    let kicked = sim.wait_for(|log| log.iter().any(|s| s[0] == "/ppp/active/remove"), Duration::from_secs(20));
    assert!(kicked, "no kick through the API; log:\n{}", r.server.log());
    let left = sim.rows("/ppp/active");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["name"], "someone-else");
    let deaf: Vec<_> = r
        .nas
        .requests()
        .into_iter()
        .filter(|q| q.code == DISCONNECT && q.attr(44) == Some(b"deaf-1".as_slice()))
        .collect();
    assert!(!deaf.is_empty(), "the Disconnect-Request was tried first");
    assert!(deaf.iter().all(|q| q.replied.is_none()), "the NAS did not answer");
    let query = sim.log().into_iter().find(|s| s[0] == "/ppp/active/print").unwrap();
    assert!(
        query.contains(&"?name=demo-pppoe".to_string()) && query.contains(&"?address=10.0.0.10".to_string()),
        "{query:?}"
    );
}

/// Policy tagging: a plan's routing mark becomes, at `routeros provision`,
/// a routing table and the mangle rule marking the mark's address list
/// (the simulator, like RouterOS 7, refuses a mark with no table, so the
/// order is checked too); a second run changes nothing.
#[test]
fn a_plans_routing_mark_reaches_the_router_as_a_mangle_rule_and_a_table() {
    let sim = operator_router();
    let server = Server::demo();
    set_credentials(&server.data, sim.addr().port(), PASS);
    let plan = ["plan", "add", "--tenant", "demo", "--name", "Business via ISP2", "--validity", "30d"];
    lango_ok(&server.data, &[&plan[..], &["--routing-mark", "via-isp2", "--group", "gold"]].concat());
    let out = provision(&server.data, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = text(&out);
    assert!(out.contains("+ /routing/table add name=via-isp2 fib=yes"), "{out}");
    let tables = sim.rows("/routing/table");
    assert_eq!(one(&tables, "lango:route-via-isp2")["name"], "via-isp2");
    let mangle = sim.rows("/ip/firewall/mangle");
    assert_eq!(mangle.len(), 1, "{mangle:?}");
    let rule = one(&mangle, "lango:route-via-isp2");
    assert_eq!(rule["chain"], "prerouting");
    assert_eq!(rule["src-address-list"], "lango-route-via-isp2");
    assert_eq!(rule["action"], "mark-routing");
    assert_eq!(rule["new-routing-mark"], "via-isp2");
    assert_eq!(rule["passthrough"], "true");
    let again = text(&provision(&server.data, &[]));
    assert!(again.contains("no changes: the router already matches"), "{again}");
}
