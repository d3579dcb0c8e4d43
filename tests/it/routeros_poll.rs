//! The RouterOS API round against the real binary and the API simulator:
//! a device the router leased an address to is known to the portal
//! without any hook, and a static-IP customer gets a queue at its plan's
//! speed, enters the captive address list when it expires and leaves it
//! when it is paid; the operator's own entries are left alone.

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use crate::billing::eventually;
use crate::harness::*;
use crate::support::dstnat::DstNat;
use crate::support::routeros::RouterOsSim;

fn portal_from(server: &Server, client: Ipv4Addr) -> String {
    let nat = DstNat::start(client, server.http);
    http(nat.addr, "GET", "/portal", &[], "").body
}

fn has(sim: &RouterOsSim, menu: &str, pairs: &[(&str, &str)]) -> bool {
    sim.rows(menu).iter().any(|r| pairs.iter().all(|(k, v)| r.get(*k).map(String::as_str) == Some(*v)))
}

#[test]
fn router_round_feeds_the_portal_and_enforces_static_customers() {
    let sim = RouterOsSim::start("lango-api", "api-pass-7Qx");
    sim.seed(
        "/ip/dhcp-server/lease",
        &[("address", "127.0.0.41"), ("mac-address", "AA:BB:CC:00:00:41"), ("status", "bound"), ("server", "lan")],
    );
    sim.seed("/ip/firewall/address-list", &[("list", "lango-expired"), ("address", "10.99.0.77")]);
    let data = temp_dir("routeros-poll");
    let server =
        Server::start_env(&data, &["--demo"], &[("LANGO_JOBS_ROUTER_POLL_SECS", "1"), ("LANGO_JOBS_TICK_SECS", "1")]);
    let port = sim.addr().port().to_string();
    let set = crate::harness::without_lango_env(Command::new(BIN))
        .args(["--data", data.to_str().unwrap(), "routeros", "set", "demo-loopback", "--host", "127.0.0.1"])
        .args(["--port", &port, "--user", "lango-api", "--password-env", "ROUTER_API_PASSWORD"])
        .env("ROUTER_API_PASSWORD", "api-pass-7Qx")
        .output()
        .unwrap();
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));

    // The leased device: a new MAC, offered packages.
    eventually("the lease to reach the portal", Duration::from_secs(10), || {
        portal_from(&server, Ipv4Addr::new(127, 0, 0, 41)).contains("Welcome!")
    });

    // The static customer (demo-static, 10.99.0.10, Static 20M): a queue.
    eventually("the static customer's queue", Duration::from_secs(10), || {
        has(
            &sim,
            "/queue/simple",
            &[("name", "lango-demo-static"), ("target", "10.99.0.10/32"), ("max-limit", "20M/20M")],
        )
    });
    assert!(!has(&sim, "/ip/firewall/address-list", &[("address", "10.99.0.10")]), "active: not captive");

    // Expired: into lango-expired.
    lango_ok(&data, &["service", "renew", "--tenant", "demo", "demo-static", "--expires", "2020-01-01"]);
    eventually("the expired static customer to be captive", Duration::from_secs(10), || {
        has(&sim, "/ip/firewall/address-list", &[("list", "lango-expired"), ("address", "10.99.0.10")])
    });
    // Paid (renewed): out again; the operator's own entry stays.
    lango_ok(&data, &["service", "renew", "--tenant", "demo", "demo-static", "--expires", "30d"]);
    eventually("the renewed static customer to leave the list", Duration::from_secs(10), || {
        !has(&sim, "/ip/firewall/address-list", &[("address", "10.99.0.10")])
    });
    assert!(has(&sim, "/ip/firewall/address-list", &[("list", "lango-expired"), ("address", "10.99.0.77")]));
}
