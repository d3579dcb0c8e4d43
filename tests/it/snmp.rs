//! lango's SNMP poller (`lango::snmp`, the library) against a real agent:
//! net-snmp's snmpd on loopback with a MikroTik-like subtree served by a
//! script (`support/snmpd.rs`). SNMPv2c and SNMPv3 (SHA-1, SHA-256, MD5
//! with AES-128) read the same sample; wrong credentials fail in plain words
//! within the timeout; a restarted agent is polled again and seen as
//! rebooted; a wrapping Counter32 gives the right delta; SFP optics and
//! PoE-out ports are read with their scales, and are simply absent from an
//! agent without those tables.

use std::time::{Duration, Instant};

use lango::snmp::{self, AuthProto, Credentials, HealthSource, Optic, PoePort, Sample, SnmpError, Target};

use crate::support::snmpd::{
    AUTH_PASS, COMMUNITY, ENGINE_BOOTS_OID, PRIV_PASS, SYS_NAME, SnmpPeer, USER_MD5, USER_SHA, USER_SHA256, WRAP_OID,
};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn target(peer: &SnmpPeer, creds: Credentials) -> Target {
    Target { addr: peer.addr(), creds, timeout: Duration::from_secs(1), retries: 1 }
}

fn v2c(community: &str) -> Credentials {
    Credentials::V2c { community: community.into() }
}

fn v3(user: &str, auth: AuthProto, auth_pass: &str, priv_pass: &str) -> Credentials {
    Credentials::V3 { user: user.into(), auth, auth_pass: auth_pass.into(), priv_pass: priv_pass.into() }
}

fn poll(t: &Target) -> Result<Sample, SnmpError> {
    rt().block_on(snmp::poll(t))
}

/// What the script serves in the gauge table, and what snmpd reads from
/// this host.
fn assert_full_sample(s: &Sample) {
    assert_eq!(s.sys_name, SYS_NAME);
    let lo = s.ifaces.iter().find(|i| i.name == "lo").unwrap_or_else(|| panic!("no lo in {:?}", s.ifaces));
    assert!(lo.up && lo.hc, "{lo:?}");
    assert!(s.ifaces.iter().all(|i| i.index > 0));
    let (used, total) = (s.mem_used.unwrap(), s.mem_total.unwrap());
    assert!(total > 1 << 20 && used <= total, "memory {used} of {total}");
    assert!(s.cpu_load.is_none_or(|l| l <= 100));
    let h = &s.health;
    assert_eq!(h.source, HealthSource::GaugeTable);
    assert_eq!((h.temperature_c, h.cpu_temperature_c, h.voltage_v), (Some(38.0), Some(47.0), Some(24.1)));
    assert_eq!(h.fans_rpm, vec![4200, 4150]);
    assert_eq!(h.psu_ok, vec![true, false]);
    assert_eq!(s.wireless_clients, Some(7));
    assert_eq!(s.dhcp_leases, Some(17));
    assert_eq!(
        s.optics,
        vec![
            Optic {
                index: 1,
                name: "sfp1".into(),
                rx_loss: false,
                tx_fault: false,
                wavelength_nm: Some(1310.0),
                temperature_c: Some(41.0),
                supply_v: Some(3.3),
                tx_bias_ma: Some(12),
                tx_dbm: Some(-4.2),
                rx_dbm: Some(-5.1),
            },
            Optic {
                index: 2,
                name: "sfp-sfpplus1".into(),
                rx_loss: false,
                tx_fault: false,
                wavelength_nm: Some(1550.0),
                temperature_c: Some(38.0),
                supply_v: Some(3.28),
                tx_bias_ma: Some(20),
                tx_dbm: Some(1.2),
                rx_dbm: Some(-12.3),
            },
        ]
    );
    let port = |index: u32, name: &str, status: i32, dv: f64, ma: i64, dw: f64| PoePort {
        index,
        name: name.into(),
        status,
        voltage_v: Some(dv / 10.0),
        current_ma: Some(ma),
        power_w: Some(dw / 10.0),
    };
    assert_eq!(s.poe, vec![port(4, "ether4", 3, 240.0, 150, 36.0), port(5, "ether5", 2, 0.0, 0, 0.0)]);
    let words: Vec<String> = s.poe.iter().map(PoePort::status_word).collect();
    assert_eq!(words, ["powered-on", "waiting-for-load"]);
}

#[test]
fn v2c_reads_system_interfaces_memory_and_mikrotik_health() {
    let peer = SnmpPeer::start();
    let s = poll(&target(&peer, v2c(COMMUNITY))).unwrap();
    assert_full_sample(&s);
    // Traffic on lo between two polls: the HC counters move forward.
    let again = poll(&target(&peer, v2c(COMMUNITY))).unwrap();
    assert!(!snmp::rebooted(&s, &again));
    let rates = snmp::rates(&s, &again, 1.0).unwrap();
    assert!(rates.iter().any(|r| s.ifaces.iter().any(|i| i.index == r.index && i.name == "lo")), "{rates:?}");
}

#[test]
fn snmpv3_sha_sha256_and_md5_with_aes_read_the_same_sample() {
    let peer = SnmpPeer::start();
    for (user, auth) in [(USER_SHA, AuthProto::Sha1), (USER_SHA256, AuthProto::Sha256), (USER_MD5, AuthProto::Md5)] {
        let s = poll(&target(&peer, v3(user, auth, AUTH_PASS, PRIV_PASS)))
            .unwrap_or_else(|e| panic!("{user}: {e}\n{}", peer.log()));
        assert_full_sample(&s);
    }
}

#[test]
fn an_older_routeros_falls_back_to_the_legacy_health_scalars() {
    let peer = SnmpPeer::start();
    peer.set_minimal(true);
    let s = poll(&target(&peer, v3(USER_SHA, AuthProto::Sha1, AUTH_PASS, PRIV_PASS))).unwrap();
    let h = &s.health;
    assert_eq!(h.source, HealthSource::Legacy);
    assert_eq!((h.temperature_c, h.cpu_temperature_c, h.voltage_v), (Some(38.5), Some(51.2), Some(24.1)));
    assert_eq!(h.fans_rpm, vec![4200]);
    assert_eq!(h.psu_ok, vec![true, false]);
    assert_eq!((s.wireless_clients, s.dhcp_leases), (None, None));
    assert!(s.optics.is_empty() && s.poe.is_empty(), "absent tables are empty, not an error");
    assert_eq!(s.sys_name, SYS_NAME);
}

#[test]
fn wrong_credentials_fail_in_plain_words_within_the_timeout() {
    let peer = SnmpPeer::start();
    let wrong = [
        ("wrong community", v2c("not-the-community")),
        ("wrong auth key", v3(USER_SHA, AuthProto::Sha1, "wrong-auth-pass", PRIV_PASS)),
        ("wrong priv key", v3(USER_SHA256, AuthProto::Sha256, AUTH_PASS, "wrong-priv-pass")),
        ("wrong auth protocol", v3(USER_SHA256, AuthProto::Sha1, AUTH_PASS, PRIV_PASS)),
        ("unknown user", v3("nobody-here", AuthProto::Sha1, AUTH_PASS, PRIV_PASS)),
    ];
    let targets: Vec<(&str, Target)> = wrong.into_iter().map(|(what, c)| (what, target(&peer, c))).collect();
    let started = Instant::now();
    // All at once: each waits 1 s twice (one retry).
    let results = rt().block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (what, t) in targets {
            set.spawn(async move { (what, snmp::poll(&t).await) });
        }
        set.join_all().await
    });
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    let said = format!(
        "no answer from {} within 2 s (router unreachable, or wrong community / SNMPv3 user or keys)",
        peer.addr()
    );
    for (what, r) in results {
        let e = r.expect_err(what);
        assert!(matches!(e, SnmpError::NoAnswer { .. }), "{what}: {e:?}");
        assert_eq!(e.to_string(), said, "{what}");
    }

    // Settings that cannot work fail before anything is sent.
    let short = rt().block_on(snmp::poll(&target(&peer, v3(USER_SHA, AuthProto::Sha1, "short", PRIV_PASS))));
    let e = short.unwrap_err();
    assert!(matches!(e, SnmpError::Config { .. }), "{e:?}");
    assert!(e.to_string().starts_with(&format!("SNMP settings for {} are unusable", peer.addr())), "{e}");
    let e = rt().block_on(snmp::poll(&target(&peer, v2c("")))).unwrap_err();
    assert!(matches!(e, SnmpError::Config { .. }), "{e:?}");
}

#[test]
fn a_restarted_agent_is_polled_again_and_seen_as_rebooted() {
    let mut peer = SnmpPeer::start();
    let t = target(&peer, v3(USER_SHA, AuthProto::Sha1, AUTH_PASS, PRIV_PASS));
    let boots = |t: &Target| rt().block_on(snmp::get_counter(t, ENGINE_BOOTS_OID)).unwrap();
    // Let sysUpTime grow past what it will be right after the restart.
    std::thread::sleep(Duration::from_millis(1500));
    let before = poll(&t).unwrap();
    let boots_before = boots(&t);
    assert!(before.uptime_ticks >= 150, "{}", before.uptime_ticks);

    peer.stop();
    let e = poll(&t).unwrap_err();
    assert!(matches!(e, SnmpError::NoAnswer { .. } | SnmpError::Network { .. }), "{e:?}");

    peer.start_again();
    let after = poll(&t).unwrap_or_else(|e| panic!("{e}\n{}", peer.log()));
    assert_eq!(after.sys_name, SYS_NAME);
    assert!(after.uptime_ticks < before.uptime_ticks, "{} then {}", before.uptime_ticks, after.uptime_ticks);
    assert!(snmp::rebooted(&before, &after));
    assert_eq!(snmp::rates(&before, &after, 5.0), None);
    assert_eq!(boots(&t), boots_before + 1);
}

#[test]
fn a_wrapping_counter32_gives_the_right_delta() {
    let peer = SnmpPeer::start();
    let t = target(&peer, v2c(COMMUNITY));
    let read = || rt().block_on(snmp::get_counter(&t, WRAP_OID)).unwrap();
    peer.set_counter32(u32::MAX - 999);
    let before = read();
    assert_eq!(before, u64::from(u32::MAX - 999));
    peer.set_counter32(500);
    let after = read();
    assert_eq!(after, 500);
    assert_eq!(snmp::delta(before, after, 32), 1_500);

    // An object the agent does not have is an error that names it.
    let e = rt().block_on(snmp::get_counter(&t, "1.3.6.1.4.1.14988.1.1.99.2.0")).unwrap_err();
    assert!(e.to_string().contains("no counter at 1.3.6.1.4.1.14988.1.1.99.2.0"), "{e}");
}
