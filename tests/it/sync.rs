//! A hub and its sites over real NATS JetStream (tests/support/nats.rs): a
//! 3-node hub cluster with R3 streams, site A behind its own leaf node
//! whose WAN link a relay cuts, site B straight on the cluster.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::*;
use crate::support::nats::{self, Cluster, Relay};

const KEY: &str = "5f1c0e2a9b7d4c3e8a6f0b1d2c4e6a8b9d0f1e2c3b4a5968778695a4b3c2d1e0";

fn eventually(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn hub(dir: &Path, cluster: &Cluster) -> Server {
    let urls = cluster.urls();
    let env = [
        ("LANGO_SYNC_KEY", KEY),
        ("LANGO_SYNC_NODE", "hub"),
        ("LANGO_SYNC_NATS_URLS", urls.as_str()),
        ("LANGO_SYNC_STREAM_MAX_MB", "64"),
    ];
    Server::start_env(dir, &["--demo", "--role", "hub"], &env)
}

fn site(dir: &Path, node: &str, urls: &str, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("LANGO_SYNC_KEY", KEY),
        ("LANGO_SYNC_NODE", node),
        ("LANGO_SYNC_NATS_URLS", urls),
        ("LANGO_SYNC_DOMAIN", nats::DOMAIN),
    ];
    env.extend_from_slice(extra);
    Server::start_env(dir, &["--role", "site"], &env)
}

fn status(s: &Server) -> serde_json::Value {
    serde_json::from_str(&lango_ok(&s.data, &["sync", "status", "--json"])).unwrap()
}

/// Records this node applied from the node named `node`.
fn applied_from(s: &Server, node: &str) -> u64 {
    let st = status(s);
    st["peers"].as_array().unwrap().iter().filter(|p| p["node"] == node).map(|p| p["records"].as_u64().unwrap()).sum()
}

fn service(s: &Server, user: &str) -> Option<serde_json::Value> {
    let out = lango(&s.data, &["service", "show", "--tenant", "demo", user, "--json"]);
    out.status.success().then(|| serde_json::from_slice(&out.stdout).unwrap())
}

fn expiry(s: &Server, user: &str) -> Option<i64> {
    service(s, user).and_then(|v| v["service"]["expires_at"].as_i64())
}

fn usage(s: &Server, user: &str) -> (u64, u64) {
    let v = service(s, user).unwrap();
    (v["usage"]["bytes_in"].as_u64().unwrap(), v["usage"]["bytes_out"].as_u64().unwrap())
}

fn accepts(s: &Server, user: &str, pass: &str) -> bool {
    let attrs = format!("User-Name={user},User-Password={pass},Framed-Protocol=PPP,Message-Authenticator=0x00");
    radclient(s.auth, "auth", DEMO_SECRET, &attrs).is("Access-Accept")
}

fn acct(s: &Server, user: &str, kind: &str, session: &str, minutes: u64, bytes: u64) {
    let attrs = format!(
        "User-Name={user},Acct-Status-Type={kind},Acct-Session-Id={session},NAS-IP-Address=127.0.0.1,\
         Acct-Session-Time={},Acct-Input-Octets={bytes},Acct-Output-Octets={}",
        minutes * 60,
        bytes * 3
    );
    let r = radclient(s.acct, "acct", DEMO_SECRET, &attrs);
    assert!(r.is("Accounting-Response"), "{kind} {session}: {}", r.raw);
}

/// Closed sessions of `user` at `s`, as (session id, bytes in, bytes out).
fn history(s: &Server, user: &str) -> Vec<(String, u64, u64)> {
    let out = lango_ok(&s.data, &["sessions", "--tenant", "demo", "--history", "--json"]);
    let mut list: Vec<(String, u64, u64)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["username"] == user)
        .map(|v| {
            let c = &v["counters"];
            (
                v["acct_session_id"].as_str().unwrap().to_string(),
                c["bytes_in"].as_u64().unwrap(),
                c["bytes_out"].as_u64().unwrap(),
            )
        })
        .collect();
    list.sort();
    list
}

/// A customer with one PPPoE service at the hub; returns the customer's id.
fn add_service(hub: &Server, name: &str, user: &str, pass: &str) -> String {
    let out = lango_ok(&hub.data, &["customer", "add", "--tenant", "demo", "--name", name]);
    let c = out.split("(id ").nth(1).unwrap().trim_end().trim_end_matches(')').to_string();
    let args = ["service", "add", "--tenant", "demo", "--customer", &c, "--plan", "Home 10M"];
    lango_ok(&hub.data, &[&args[..], &["--username", user, "--password", pass, "--expires", "7d"]].concat());
    c
}

#[test]
fn a_site_cut_off_keeps_serving_and_catches_up_exactly_once() {
    let dir = temp_dir("sync-outage");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    // Site A's WAN: its leaf node reaches the hub through a relay.
    let wan = Relay::start(format!("127.0.0.1:{}", cluster.nodes[0].leaf_port).parse().unwrap());
    let leaf_a = nats::leaf(&dir.join("nats"), "leaf-a", wan.addr);
    let hub = hub(&dir.join("hub"), &cluster);
    let a = site(&dir.join("site-a"), "site-a", &leaf_a.url(), &[]);
    let b = site(&dir.join("site-b"), "site-b", &cluster.urls(), &[]);

    // A service created at the hub logs in at both sites.
    let rita = add_service(&hub, "Roaming Rita", "rita", "rita-pass");
    eventually("rita at site A", Duration::from_secs(30), || accepts(&a, "rita", "rita-pass"));
    eventually("rita at site B", Duration::from_secs(30), || accepts(&b, "rita", "rita-pass"));
    assert!(!accepts(&a, "rita", "wrong-pass"), "the password arrived as itself, not as anything");
    // A site refuses to change what the hub owns.
    let out = lango(&a.data, &["service", "renew", "--tenant", "demo", "rita", "--expires", "60d"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("managed at the hub"));

    // The link goes down.
    wan.cut();
    eventually("site A's leaf link down", Duration::from_secs(10), || !leaf_a.leaf_connected());
    let old_expiry = expiry(&a, "rita").unwrap();

    // Ten minutes of traffic at site A: three sessions, a Start, an
    // Interim-Update every minute and a Stop each.
    let mut sent = 0;
    let mut totals = Vec::new();
    for s in 1..=3u64 {
        let id = format!("outage-{s}");
        acct(&a, "rita", "Start", &id, 0, 0);
        for minute in 1..=10 {
            acct(&a, "rita", "Interim-Update", &id, minute, minute * 1000 * s);
        }
        acct(&a, "rita", "Stop", &id, 10, 10_000 * s);
        sent += 12;
        totals.push((id, 10_000 * s, 30_000 * s));
        // (The Stop is folded a moment after it is acknowledged.)
        eventually("site A authenticating while cut off", Duration::from_secs(5), || accepts(&a, "rita", "rita-pass"));
    }
    // A voucher sold at site A is used there for the first time.
    assert_eq!(expiry(&a, "DEMO-VOUCHER"), None);
    let login = "User-Name=DEMO-VOUCHER,User-Password=DEMO-VOUCHER,Service-Type=Login-User,Message-Authenticator=0x00";
    let r = radclient(a.auth, "auth", DEMO_SECRET, login);
    assert!(r.is("Access-Accept"), "the hotspot voucher at site A: {}", r.raw);
    acct(&a, "DEMO-VOUCHER", "Start", "voucher-1", 0, 0);
    sent += 1;
    eventually("the voucher activated at site A", Duration::from_secs(5), || expiry(&a, "DEMO-VOUCHER").is_some());
    // Rita pays cash at site A's counter: queued for the hub, not credited
    // here (a site keeps no money).
    let cash = ["wallet", "post", "--tenant", "demo", "--customer", &rita, "--kind", "payment"];
    let out = lango_ok(&a.data, &[&cash[..], &["--amount", "500", "--reason", "cash at site A"]].concat());
    assert!(out.contains("queued for the hub"), "{out}");
    sent += 1;
    assert_eq!(status(&a)["backlog"].as_u64().unwrap(), sent, "site A queues every record it stored");
    assert!(a.http_get("/metrics").contains(&format!("lango_sync_backlog{{}} {sent}")));

    // Meanwhile the hub renews the service; site B hears of it, site A not yet.
    lango_ok(&hub.data, &["service", "renew", "--tenant", "demo", "rita", "--expires", "90d"]);
    let renewed = expiry(&hub, "rita").unwrap();
    assert!(renewed > old_expiry);
    eventually("the renewal at site B", Duration::from_secs(30), || expiry(&b, "rita") == Some(renewed));
    assert_eq!(expiry(&a, "rita"), Some(old_expiry), "renewed {renewed}; leaf: {}", leaf_a.leaf_connected());
    assert!(history(&hub, "rita").is_empty(), "nothing of site A's traffic reached the hub yet");

    // The link returns: site A gets the renewal, the hub every record once.
    wan.restore();
    eventually("the renewal at site A", Duration::from_secs(60), || expiry(&a, "rita") == Some(renewed));
    eventually("site A's records at the hub", Duration::from_secs(60), || applied_from(&hub, "site-a") == sent);
    assert_eq!(status(&a)["backlog"].as_u64().unwrap(), 0);
    let metrics = hub.http_get("/metrics");
    assert!(metrics.contains("lango_sync_peer_seq{origin=\"site-a/"), "{metrics}");
    assert_eq!(history(&hub, "rita"), totals, "each session once, with its totals");
    assert_eq!(usage(&hub, "rita"), usage(&a, "rita"), "the hub counted what the site counted");
    assert_eq!(usage(&hub, "rita"), (60_000, 180_000));
    // Nothing more arrives later (no redelivery doubles anything).
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(applied_from(&hub, "site-a"), sent);
    assert_eq!(usage(&hub, "rita"), (60_000, 180_000));
    // The cash reached the hub's wallet once.
    let wallet = lango_ok(&hub.data, &["wallet", "show", "--tenant", "demo", "--customer", &rita]);
    assert!(wallet.lines().next().unwrap().contains("500.00"), "{wallet}");
    assert_eq!(wallet.matches("cash at site A").count(), 1, "{wallet}");
    // The voucher's first use reached the hub, which activated it with the
    // same expiry, and every site hears of it.
    let voucher = expiry(&a, "DEMO-VOUCHER");
    assert!(voucher.is_some());
    assert_eq!(expiry(&hub, "DEMO-VOUCHER"), voucher);
    eventually("the voucher's activation at site B", Duration::from_secs(30), || expiry(&b, "DEMO-VOUCHER") == voucher);

    // The hub's Sites page shows site A (site B sent nothing); "send again"
    // reaches the sites.
    let pw = make_admin(&hub.data, &["--name", "root", "--role", "platform-admin"]);
    let web = AdminWeb::login(hub.http, "root", &pw);
    let page = web.get("/admin/sites");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<td>site-a</td>") && !page.body.contains("id=\"last-error\""), "{}", page.body);
    assert!(page.body.contains(&format!("<td>{sent}</td>")), "site A's record count: {}", page.body);
    let before = applied_from(&b, "hub");
    assert_eq!(web.post("/admin/sites/resend", &[]).status, 303);
    eventually("everything again at site B", Duration::from_secs(30), || applied_from(&b, "hub") > before + 10);
    // A site has nothing to send again.
    let out = lango(&a.data, &["sync", "resend"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("only a hub"));
    // The resend is in the hub's platform audit log, with who asked.
    let mut hub = hub;
    hub.kill9();
    let store = lango::store::Store::open(&hub.data.join("lango.redb"), &hub.data.join("lango.key"), 4).unwrap();
    let audit = store.audit_page(0, lango::store::AuditFilter::All, None, 20).unwrap().items;
    assert!(audit.iter().any(|(_, r)| r.action == "sync.resend" && r.actor.contains("root")), "{audit:?}");
}

#[test]
fn nothing_acknowledged_is_lost_when_a_hub_node_and_the_hub_lango_are_killed() {
    let dir = temp_dir("sync-kill");
    let mut cluster = Cluster::start(&dir.join("nats"), 3);
    let mut hub_server = hub(&dir.join("hub"), &cluster);
    let b = site(&dir.join("site-b"), "site-b", &cluster.urls(), &[]);
    eventually("the demo tenant at site B", Duration::from_secs(30), || accepts(&b, "demo-pppoe", "demo-pass"));

    let mut created = Vec::new();
    let mut sessions = 0;
    for i in 0..30 {
        if i == 10 {
            cluster.nodes[1].kill9();
        }
        if i == 20 {
            hub_server.kill9();
            hub_server = hub(&dir.join("hub"), &cluster);
        }
        let user = format!("k{i:02}");
        add_service(&hub_server, &format!("Customer {i}"), &user, "kill-pass");
        created.push(user);
        // Site B's accounting keeps flowing the other way.
        acct(&b, "demo-pppoe", "Start", &format!("k-{i}"), 0, 0);
        sessions += 1;
    }
    for user in &created {
        eventually(&format!("{user} at site B"), Duration::from_secs(60), || accepts(&b, user, "kill-pass"));
    }
    eventually("every Start at the hub", Duration::from_secs(60), || applied_from(&hub_server, "site-b") == sessions);
    let online = lango_ok(&hub_server.data, &["sessions", "--tenant", "demo", "--json"]);
    assert_eq!(online.lines().filter(|l| l.contains("\"k-")).count(), sessions as usize);
    cluster.nodes[1].start_again();
}

#[test]
fn a_standby_takes_over_the_primarys_sessions_without_counting_twice() {
    let dir = temp_dir("sync-ha");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    let hub = hub(&dir.join("hub"), &cluster);
    let mut primary = site(&dir.join("primary"), "primary", &cluster.urls(), &[]);
    let standby = site(&dir.join("standby"), "standby", &cluster.urls(), &[("LANGO_SYNC_FOLLOW", "primary")]);
    eventually("the demo tenant at the primary", Duration::from_secs(30), || {
        accepts(&primary, "demo-pppoe", "demo-pass")
    });
    eventually("the demo tenant at the standby", Duration::from_secs(30), || {
        accepts(&standby, "demo-pppoe", "demo-pass")
    });

    // The router's burst goes to the primary...
    acct(&primary, "demo-pppoe", "Start", "ha-1", 0, 0);
    for minute in 1..=5 {
        acct(&primary, "demo-pppoe", "Interim-Update", "ha-1", minute, minute * 1000);
    }
    // ...which the standby follows.
    let at_standby = || {
        let out = lango_ok(&standby.data, &["sessions", "--tenant", "demo", "--json"]);
        out.lines().any(|l| l.contains("\"ha-1\"") && l.contains("\"bytes_in\":5000"))
    };
    eventually("the primary's session at the standby", Duration::from_secs(30), at_standby);
    primary.kill9();

    // RouterOS sends the next requests to the second server in /radius.
    for minute in 6..=10 {
        acct(&standby, "demo-pppoe", "Interim-Update", "ha-1", minute, minute * 1000);
    }
    acct(&standby, "demo-pppoe", "Stop", "ha-1", 10, 10_000);
    eventually("the standby authenticating", Duration::from_secs(5), || accepts(&standby, "demo-pppoe", "demo-pass"));

    // The hub holds the session once, with what the router sent in all.
    eventually("the standby's records at the hub", Duration::from_secs(30), || applied_from(&hub, "standby") == 6);
    assert_eq!(applied_from(&hub, "primary"), 6);
    assert_eq!(history(&hub, "demo-pppoe"), vec![("ha-1".to_string(), 10_000, 30_000)]);
    assert_eq!(usage(&hub, "demo-pppoe"), (10_000, 30_000));
    assert_eq!(usage(&standby, "demo-pppoe"), (10_000, 30_000), "the standby counted the whole session once too");
}

#[test]
fn the_hubs_nats_config_in_the_image_folder_is_valid() {
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("container/nats-hub.conf");
    let out = std::process::Command::new("nats-server")
        .arg("-t")
        .arg("-c")
        .arg(&conf)
        .env("SERVER_NAME", "nats1")
        .env("NATS_TOKEN", "t")
        .env("LEAF_PASSWORD", "p")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("is valid"), "{text}");
    let compose = std::fs::read_to_string(conf.with_file_name("compose-hub.yaml")).unwrap();
    for service in ["nats1:", "nats2:", "nats3:", "hub:", "LANGO_SYNC_KEY", "serve\", \"--role\", \"hub"] {
        assert!(compose.contains(service), "compose-hub.yaml lacks {service}");
    }
}

#[test]
fn a_sites_first_run_setup_makes_only_its_admin() {
    let dir = temp_dir("sync-setup");
    let token = "site-setup-token-2026";
    // No hub reachable: a site starts anyway and keeps trying.
    let s = site(&dir.join("site"), "lonely", "nats://127.0.0.1:9", &[("LANGO_SETUP_TOKEN", token)]);
    let page = http(s.http, "GET", &format!("/setup?token={token}"), &[], "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"site-setup\"") && !page.body.contains("name=\"tenant_name\""), "{}", page.body);
    let csrf = input_value(&page.body, "csrf").unwrap();
    let pass = "a long site passphrase";
    // The password rules still hold.
    let weak = [
        ("csrf", csrf.as_str()),
        ("token", token),
        ("admin", "site-admin"),
        ("password", "short"),
        ("password2", "short"),
    ];
    let refused = http(s.http, "POST", "/setup", &[], &form(&weak));
    assert_eq!(refused.status, 422, "{}", refused.body);
    let f =
        [("csrf", csrf.as_str()), ("token", token), ("admin", "site-admin"), ("password", pass), ("password2", pass)];
    let done = http(s.http, "POST", "/setup", &[], &form(&f));
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("id=\"site-done\""), "{}", done.body);
    assert!(set_cookie(&done, "lango_admin").is_some(), "signed in");
    let web = AdminWeb::login(s.http, "site-admin", pass);
    let sites = web.get("/admin/sites");
    assert!(sites.body.contains("<dd id=\"role\">site</dd>"), "{}", sites.body);
    let tenants = lango_ok(&s.data, &["tenant", "list"]);
    assert_eq!(tenants.lines().count(), 1, "only the heading: no tenant made at the site\n{tenants}");
    assert_eq!(http(s.http, "GET", &format!("/setup?token={token}"), &[], "").status, 404, "setup is closed");
}
