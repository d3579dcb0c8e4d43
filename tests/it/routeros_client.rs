//! lango's RouterOS client (the library, not the binary) against the
//! simulator: address lists and simple queues for enforcement, and the
//! connection pool's reconnect and backoff.

use std::time::Duration;

use lango::routeros::{Endpoint, Pool, Router, RouterError};

use crate::support::routeros::RouterOsSim;

fn endpoint(port: u16) -> Endpoint {
    Endpoint {
        label: "edge (NAS 10.0.0.1, API 127.0.0.1)".into(),
        host: "127.0.0.1".into(),
        port,
        tls: false,
        user: "u".into(),
        password: "p".into(),
        timeout: Duration::from_secs(3),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn address_lists_and_queues_are_kept_without_touching_the_operators() {
    let sim = RouterOsSim::start("u", "p");
    let operator = sim.seed("/ip/firewall/address-list", &[("list", "lango-suspended"), ("address", "10.9.0.2")]);
    rt().block_on(async {
        let r = Router::connect(&endpoint(sim.addr().port())).await.unwrap();
        let ip = "10.9.0.7".parse().unwrap();
        assert!(r.address_list_add("lango-suspended", ip, "static-7").await.unwrap());
        assert!(!r.address_list_add("lango-suspended", ip, "static-7").await.unwrap(), "once");
        let rows = sim.rows("/ip/firewall/address-list");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["comment"], "lango:static-7");
        // The operator's own entry for an address stays.
        assert_eq!(r.address_list_remove("lango-suspended", "10.9.0.2".parse().unwrap()).await.unwrap(), 0);
        assert_eq!(r.address_list_remove("lango-suspended", ip).await.unwrap(), 1);
        let rows = sim.rows("/ip/firewall/address-list");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][".id"], operator);

        assert!(r.queue_upsert("cust-7", ip, "5M/10M").await.unwrap());
        assert!(!r.queue_upsert("cust-7", ip, "5M/10M").await.unwrap(), "nothing to change");
        assert!(r.queue_upsert("cust-7", ip, "2M/4M").await.unwrap());
        let q = sim.rows("/queue/simple");
        assert_eq!(q.len(), 1);
        assert_eq!((q[0]["target"].as_str(), q[0]["max-limit"].as_str()), ("10.9.0.7/32", "2M/4M"));
        let adds = sim.changes().iter().filter(|s| s[0] == "/queue/simple/add").count();
        assert_eq!(adds, 1);
    });
}

#[test]
fn the_pool_reconnects_once_and_backs_off_from_dead_routers() {
    let sim = RouterOsSim::start("u", "p");
    sim.seed("/ip/dhcp-server/lease", &[("address", "10.5.50.9"), ("mac-address", "AA:BB:CC:00:00:09")]);
    let pool = Pool::new();
    let cmd = lango::routeros::Cmd::new("/ip/dhcp-server/lease", "print");
    rt().block_on(async {
        let ep = endpoint(sim.addr().port());
        assert_eq!(pool.run((1, 1), &ep, &cmd).await.unwrap().len(), 1);
        assert_eq!(sim.state().logins, 1);
        assert_eq!(pool.run((1, 1), &ep, &cmd).await.unwrap().len(), 1);
        assert_eq!(sim.state().logins, 1, "the connection is reused");
        // The router drops the connection: one reconnect, same answer.
        sim.close_on("/ip/dhcp-server/lease/print");
        assert_eq!(pool.run((1, 1), &ep, &cmd).await.unwrap().len(), 1);
        assert_eq!(sim.state().logins, 2);

        // Nothing listens here: the first call tries, the next one is refused
        // at once while the backoff runs.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dead = endpoint(port);
        let first = pool.run((1, 2), &dead, &cmd).await.unwrap_err();
        assert!(matches!(first, RouterError::Unreachable { .. }), "{first}");
        let second = pool.run((1, 2), &dead, &cmd).await.unwrap_err();
        assert!(second.to_string().contains("failed 1 time(s); next try in"), "{second}");
        assert!(second.to_string().starts_with("router edge (NAS 10.0.0.1, API 127.0.0.1)"), "{second}");
    });
}
