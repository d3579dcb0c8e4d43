//! Accounting against the real binary: Start / Interim-Update / Stop with
//! Gigawords, retransmissions stored once, Accounting-On closing a NAS's
//! sessions, simultaneous-use, and kill -9 during a burst losing nothing
//! that was acknowledged.

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::harness::*;
use lango::radius::codec::{self, Builder, Code, Packet};
use lango::radius::dict::attr;
use lango::store::Store;

const MA: &str = "Message-Authenticator=0x00";

/// Open the database of a server that has stopped.
fn store(s: &Server) -> Store {
    Store::open(&s.data.join("lango.redb"), &s.data.join("lango.key"), 4).unwrap()
}

/// Usage of a service, asked of the running server through the CLI.
fn usage(s: &Server, user: &str) -> (u64, u64, u64) {
    let out = lango_ok(&s.data, &["service", "show", "--tenant", "demo", user, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let u = &v["usage"];
    (u["bytes_in"].as_u64().unwrap(), u["bytes_out"].as_u64().unwrap(), u["seconds"].as_u64().unwrap())
}

fn service_json(s: &Server, user: &str) -> serde_json::Value {
    let out = lango_ok(&s.data, &["service", "show", "--tenant", "demo", user, "--json"]);
    serde_json::from_str::<serde_json::Value>(&out).unwrap()["service"].clone()
}

/// Online (or, with `history`, closed) sessions via `lango sessions --json`.
fn sessions(s: &Server, history: bool) -> Vec<serde_json::Value> {
    let mut args = vec!["sessions", "--tenant", "demo", "--json"];
    if history {
        args.push("--history");
    }
    lango_ok(&s.data, &args).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Accounting is acknowledged once journaled and folded into the database
/// within a fraction of a second under load: poll reads until `ok` (or 3 s).
fn eventually<T: std::fmt::Debug>(f: impl Fn() -> T, ok: impl Fn(&T) -> bool) -> T {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let v = f();
        if ok(&v) || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn acct(s: &Server, attrs: &str) -> Reply {
    radclient(s.acct, "acct", DEMO_SECRET, attrs)
}

fn demo_tenant(st: &Store) -> u32 {
    st.tenant_by_slug("demo").unwrap().id
}

#[test]
fn start_interim_stop_with_gigawords_and_retransmissions() {
    let s = Server::demo();
    let base = "User-Name=demo-pppoe,Acct-Session-Id=81a00001,Framed-IP-Address=10.0.0.5,Calling-Station-Id=AA:BB:CC:11:22:33,NAS-Port-Id=ether2";
    let r = acct(&s, &format!("{base},Acct-Status-Type=Start"));
    assert!(r.is("Accounting-Response"), "{}", r.raw);

    let online = eventually(|| sessions(&s, false), |v| v.len() == 1);
    assert_eq!(online.len(), 1);
    assert_eq!(online[0]["framed_ip"], "10.0.0.5");
    assert_eq!(online[0]["service"], service_json(&s, "demo-pppoe")["id"]);

    // Interim: 1 Gigaword + 100 octets in, 2 000 out.
    let interim = format!(
        "{base},Acct-Status-Type=Interim-Update,Acct-Session-Time=60,Acct-Input-Octets=100,Acct-Input-Gigawords=1,Acct-Output-Octets=2000"
    );
    assert!(acct(&s, &interim).is("Accounting-Response"));
    // The same record again, as a NAS retransmits it: new Identifier and a
    // growing Acct-Delay-Time. Acknowledged, stored once.
    assert!(acct(&s, &format!("{interim},Acct-Delay-Time=3")).is("Accounting-Response"));
    assert!(acct(&s, &format!("{interim},Acct-Delay-Time=6")).is("Accounting-Response"));
    let want = ((1u64 << 32) + 100, 2000, 60);
    assert_eq!(eventually(|| usage(&s, "demo-pppoe"), |u| *u == want), want);

    // Stop adds only the growth since the interim.
    let stop = format!(
        "{base},Acct-Status-Type=Stop,Acct-Session-Time=90,Acct-Input-Octets=300,Acct-Input-Gigawords=1,Acct-Output-Octets=5000,Acct-Terminate-Cause=User-Request"
    );
    assert!(acct(&s, &stop).is("Accounting-Response"));
    assert!(acct(&s, &format!("{stop},Acct-Delay-Time=2")).is("Accounting-Response"));
    let want = ((1u64 << 32) + 300, 5000, 90);
    assert_eq!(eventually(|| usage(&s, "demo-pppoe"), |u| *u == want), want);
    assert!(eventually(|| sessions(&s, false), |v| v.is_empty()).is_empty());
    let hist = eventually(|| sessions(&s, true), |v| !v.is_empty());
    assert_eq!(hist.len(), 1, "one history record despite the retransmitted Stop");
    assert_eq!(hist[0]["terminate_cause"], 1);
    assert!(eventually(|| s.counter("acct_duplicates"), |n| *n >= 3) >= 3);
}

#[test]
fn simultaneous_use_and_accounting_on() {
    let s = Server::demo();
    let login = "User-Name=demo-pppoe,User-Password=demo-pass,Framed-Protocol=PPP";
    assert!(radclient(s.auth, "auth", DEMO_SECRET, &format!("{login},{MA}")).is("Access-Accept"));
    let start = "User-Name=demo-pppoe,Acct-Status-Type=Start,Acct-Session-Id=sess-1";
    assert!(acct(&s, start).is("Accounting-Response"));
    // Plan allows one session: a second login is refused while it is online.
    let r = eventually(|| radclient(s.auth, "auth", DEMO_SECRET, &format!("{login},{MA}")), |r| r.is("Access-Reject"));
    assert!(r.is("Access-Reject"), "{}", r.raw);
    assert_eq!(r.get("Reply-Message"), Some("Already logged in on another device"));

    // The router reboots: Accounting-On closes every session it had.
    assert!(acct(&s, "Acct-Status-Type=Accounting-On,NAS-Identifier=demo-router").is("Accounting-Response"));
    assert!(eventually(|| sessions(&s, false), |v| v.is_empty()).is_empty());
    assert_eq!(eventually(|| sessions(&s, true), |v| !v.is_empty())[0]["terminate_cause"], 11);
    assert!(radclient(s.auth, "auth", DEMO_SECRET, &format!("{login},{MA}")).is("Access-Accept"));

    // A voucher's validity starts at its first session.
    assert!(service_json(&s, "DEMO-VOUCHER")["expires_at"].is_null());
    assert!(acct(&s, "User-Name=DEMO-VOUCHER,Acct-Status-Type=Start,Acct-Session-Id=v-1").is("Accounting-Response"));
    let exp = eventually(|| service_json(&s, "DEMO-VOUCHER"), |v| !v["expires_at"].is_null())["expires_at"]
        .as_i64()
        .expect("activated by first use");
    let now = lango::clock::Clock::System.now();
    assert!((now + 3500..=now + 3600).contains(&exp), "expires {exp} vs now {now}");
}

#[test]
fn bad_accounting_authenticator_is_dropped() {
    let s = Server::demo();
    let r = radclient(s.acct, "acct", "wrong-secret", "User-Name=x,Acct-Status-Type=Start,Acct-Session-Id=z");
    assert!(r.code.is_none(), "{}", r.raw);
    assert_eq!(s.counter("dropped_bad_authenticator"), 1);
    // Missing Acct-Session-Id on a Start: dropped and counted.
    let r = radclient(s.acct, "acct", DEMO_SECRET, "User-Name=x,Acct-Status-Type=Start");
    assert!(r.code.is_none(), "{}", r.raw);
    assert_eq!(s.counter("dropped_missing_attribute"), 1);
}

fn start_packet(id: u8, session: &str) -> Vec<u8> {
    let mut b = Builder::new(Code::AccountingRequest, id);
    b.add_u32(attr::ACCT_STATUS_TYPE, 1).unwrap();
    b.add_str(attr::ACCT_SESSION_ID, session).unwrap();
    b.add_str(attr::USER_NAME, "demo-pppoe").unwrap();
    b.finish_signed_request(DEMO_SECRET.as_bytes()).unwrap()
}

/// Closed-loop sender: `window` requests in flight on one socket; records
/// which sessions were acknowledged (valid Accounting-Response).
fn burst(
    sock: &UdpSocket,
    to: SocketAddr,
    prefix: &str,
    n: usize,
    window: usize,
    acked: &mut HashSet<String>,
    stop_after: Duration,
) {
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut pending: std::collections::HashMap<u8, (String, [u8; 16])> = Default::default();
    let (mut next, mut id) = (0usize, 0u8);
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        while pending.len() < window && next < n && started.elapsed() < stop_after {
            while pending.contains_key(&id) {
                id = id.wrapping_add(1);
            }
            let session = format!("{prefix}-{next:06}");
            let pkt = start_packet(id, &session);
            let auth: [u8; 16] = pkt[4..20].try_into().unwrap();
            if sock.send_to(&pkt, to).is_err() {
                return;
            }
            pending.insert(id, (session, auth));
            next += 1;
        }
        if pending.is_empty() {
            return;
        }
        match sock.recv_from(&mut buf) {
            Ok((len, _)) => {
                let Ok(p) = Packet::decode(&buf[..len]) else { continue };
                if let Some((session, auth)) = pending.remove(&p.identifier)
                    && p.code == Code::AccountingResponse
                    && codec::verify_response_authenticator(&p, &auth, DEMO_SECRET.as_bytes())
                {
                    acked.insert(session);
                }
            }
            Err(_) => return, // server gone (killed) or idle
        }
    }
}

#[test]
fn kill_9_during_burst_loses_no_acknowledged_record() {
    let mut s = Server::demo();
    let to = s.acct;
    // Kill the server from another thread while the burst is running:
    // once it has acknowledged some records (a fixed delay found none on
    // a loaded machine), then a little later, mid-burst.
    let (pid, web) = (s.pid(), s.http);
    let killer = std::thread::spawn(move || {
        let acks = || {
            let body = http(web, "GET", "/metrics", &[], "").body;
            body.lines().find_map(|l| l.strip_prefix("lango_radius_acct_responses ")?.trim().parse::<u64>().ok())
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while acks().unwrap_or(0) < 500 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
    });
    // 1,000 in flight: four sockets with 250 outstanding Identifiers each.
    let senders: Vec<_> = (0..4)
        .map(|k| {
            std::thread::spawn(move || {
                let mut acked = HashSet::new();
                burst(&udp(), to, &format!("burst{k}"), 200_000, 250, &mut acked, Duration::from_secs(20));
                acked
            })
        })
        .collect();
    let mut acked = HashSet::new();
    for t in senders {
        acked.extend(t.join().unwrap());
    }
    killer.join().unwrap();
    s.kill9();
    assert!(acked.len() > 100, "the burst should have had records acknowledged before the kill ({})", acked.len());

    let st = store(&s);
    let t = demo_tenant(&st);
    let stored: HashSet<String> =
        st.tenant_active_sessions(t).unwrap().into_iter().map(|x| x.acct_session_id).collect();
    let lost: Vec<&String> = acked.iter().filter(|a| !stored.contains(*a)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged records lost after kill -9, e.g. {:?}",
        lost.len(),
        lost.iter().take(5).collect::<Vec<_>>()
    );
    eprintln!("kill -9: {} acknowledged, {} stored", acked.len(), stored.len());
}
