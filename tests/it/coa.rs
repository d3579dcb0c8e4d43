//! RFC 5176 Dynamic Authorization: lango's `CoaClient` against the
//! independent NAS simulator (`support::nas`): Disconnect and CoA outcomes,
//! retransmission, replies signed with the wrong secret, and many requests
//! in flight to one NAS.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use lango::radius::coa::{Action, Change, CoaClient, CoaError, Outcome, Retry, SessionRef, Target};
use tokio::net::UdpSocket;

use crate::support::nas::{NasSim, SESSION_CONTEXT_NOT_FOUND};

const SECRET: &[u8] = b"coa-it-secret";
const DISCONNECT_REQUEST: u8 = 40;
const COA_REQUEST: u8 = 43;

async fn client(timeouts_ms: &[u64]) -> CoaClient {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    CoaClient::new(socket, Retry { timeouts: timeouts_ms.iter().map(|&ms| Duration::from_millis(ms)).collect() })
}

fn target(sim: &NasSim) -> Target {
    Target { addr: sim.addr(), secret: SECRET.to_vec() }
}

fn session(user: &str, acct_id: &str, ip: Option<Ipv4Addr>) -> SessionRef {
    SessionRef {
        user_name: user.into(),
        acct_session_id: Some(acct_id.into()),
        framed_ip: ip,
        calling_station_id: Some("AA-BB-CC-DD-EE-FF".into()),
    }
}

#[tokio::test]
async fn disconnect_ack_removes_the_session() {
    let sim = NasSim::start(SECRET);
    let ip = Ipv4Addr::new(10, 0, 0, 9);
    sim.add_session("alice", "81a0000a", Some(ip));
    let c = client(&[1000, 2000]).await;
    let outcome = c.send(&target(&sim), &session("alice", "81a0000a", Some(ip)), &Action::Disconnect).await.unwrap();
    assert_eq!(outcome, Outcome::Ack);
    assert!(sim.session("81a0000a").is_none());
    let reqs = sim.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].valid, "{:?}", reqs[0].reject);
    assert_eq!(reqs[0].code, DISCONNECT_REQUEST);
    assert_eq!(reqs[0].attributes[0].0, 80, "Message-Authenticator first");
    assert_eq!(reqs[0].attr(1), Some(&b"alice"[..]));
    assert_eq!(reqs[0].attr(8), Some(&ip.octets()[..]));
    assert_eq!(reqs[0].attr(31), Some(&b"AA-BB-CC-DD-EE-FF"[..]));
    assert!(reqs[0].attr(55).is_some(), "Event-Timestamp");
    assert_eq!(c.counters().acked.load(Relaxed), 1);
}

#[tokio::test]
async fn unknown_session_is_naked_with_503() {
    let sim = NasSim::start(SECRET);
    sim.add_session("alice", "81a0000a", None);
    let c = client(&[1000]).await;
    let outcome = c.send(&target(&sim), &session("bob", "81a0000b", None), &Action::Disconnect).await.unwrap();
    assert_eq!(outcome, Outcome::Nak { error_cause: Some(SESSION_CONTEXT_NOT_FOUND) });
    assert!(sim.session("81a0000a").is_some());
    assert_eq!(c.counters().naked.load(Relaxed), 1);
}

#[tokio::test]
async fn coa_changes_the_rate_limit() {
    let sim = NasSim::start(SECRET);
    sim.add_session("alice", "81a0000a", None);
    let c = client(&[1000]).await;
    let action = Action::Change(vec![
        Change::RateLimit("5M/10M".into()),
        Change::SessionTimeout(1800),
        Change::AddressList("paid".into()),
        Change::FilterId("gold".into()),
    ]);
    let outcome = c.send(&target(&sim), &session("alice", "81a0000a", None), &action).await.unwrap();
    assert_eq!(outcome, Outcome::Ack);
    let s = sim.session("81a0000a").unwrap();
    assert_eq!(s.rate_limit.as_deref(), Some("5M/10M"));
    assert_eq!(s.session_timeout, Some(1800));
    assert_eq!(s.address_list.as_deref(), Some("paid"));
    assert_eq!(s.filter_id.as_deref(), Some("gold"));
    assert_eq!(s.changes, 1);
    let reqs = sim.requests();
    assert_eq!(reqs[0].code, COA_REQUEST);
    assert_eq!(reqs[0].vsa(14988, 8), Some(&b"5M/10M"[..]));
}

#[tokio::test]
async fn a_dropped_request_is_retransmitted_unchanged_then_acked() {
    let sim = NasSim::start(SECRET);
    sim.add_session("alice", "81a0000a", None);
    sim.drop_next(1);
    let c = client(&[100, 200, 400]).await;
    let outcome = c.send(&target(&sim), &session("alice", "81a0000a", None), &Action::Disconnect).await.unwrap();
    assert_eq!(outcome, Outcome::Ack);
    let reqs = sim.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.valid));
    assert_eq!(reqs[0].identifier, reqs[1].identifier);
    assert_eq!(reqs[0].authenticator, reqs[1].authenticator);
    assert_eq!(reqs[0].raw, reqs[1].raw);
    assert_eq!((reqs[0].replied, reqs[1].replied), (None, Some(41)));
    assert_eq!(c.counters().retransmitted.load(Relaxed), 1);
}

#[tokio::test]
async fn replies_signed_with_the_wrong_secret_are_not_accepted() {
    let sim = NasSim::start(SECRET);
    sim.add_session("alice", "81a0000a", None);
    sim.sign_with(b"not-the-secret");
    let c = client(&[50, 100]).await;
    let err = c.send(&target(&sim), &session("alice", "81a0000a", None), &Action::Disconnect).await.unwrap_err();
    assert!(matches!(err, CoaError::Timeout { tries: 2 }), "{err}");
    let counters = c.counters();
    assert_eq!(counters.bad_replies.load(Relaxed), 2);
    assert_eq!(counters.timed_out.load(Relaxed), 1);
    assert_eq!(counters.acked.load(Relaxed), 0);
}

#[tokio::test]
async fn a_request_signed_with_the_wrong_secret_is_ignored_by_the_nas() {
    let sim = NasSim::start(SECRET);
    sim.add_session("alice", "81a0000a", None);
    let c = client(&[50]).await;
    let wrong = Target { addr: sim.addr(), secret: b"guess".to_vec() };
    let err = c.send(&wrong, &session("alice", "81a0000a", None), &Action::Disconnect).await.unwrap_err();
    assert!(matches!(err, CoaError::Timeout { tries: 1 }), "{err}");
    let reqs = sim.requests();
    assert_eq!(reqs[0].reject, Some("bad_request_authenticator"));
    assert!(sim.session("81a0000a").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_disconnects_all_complete() {
    const N: usize = 200;
    let sim = NasSim::start(SECRET);
    for i in 0..N {
        sim.add_session(&format!("user{i}"), &format!("sess{i}"), None);
    }
    let c = Arc::new(client(&[1000, 2000, 4000]).await);
    let t = target(&sim);
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let (c, t) = (c.clone(), t.clone());
            tokio::spawn(async move {
                c.send(&t, &session(&format!("user{i}"), &format!("sess{i}"), None), &Action::Disconnect).await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), Outcome::Ack);
    }
    assert_eq!(sim.session_count(), 0);
    assert_eq!(c.counters().acked.load(Relaxed), N as u64);
    assert!(sim.wait_for(|r| r.len() >= N, Duration::from_secs(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_requests_than_identifiers_wait_for_a_free_one() {
    // 300 requests to one NAS: at most 256 identifiers are in flight, so
    // some wait; none may reuse an identifier still outstanding.
    const N: usize = 300;
    let sim = NasSim::start(SECRET);
    sim.nak_all(SESSION_CONTEXT_NOT_FOUND);
    let c = Arc::new(client(&[2000, 4000]).await);
    let t = target(&sim);
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let (c, t) = (c.clone(), t.clone());
            tokio::spawn(async move { c.send(&t, &session("u", &format!("s{i}"), None), &Action::Disconnect).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), Outcome::Nak { error_cause: Some(SESSION_CONTEXT_NOT_FOUND) });
    }
    let counters = c.counters();
    assert_eq!((counters.naked.load(Relaxed), counters.bad_replies.load(Relaxed)), (N as u64, 0));
    assert_eq!(sim.requests().len(), N, "no retransmissions were needed");
}
