//! RFC 5176 Dynamic Authorization client: lango → NAS Disconnect-Request and
//! CoA-Request (UDP 3799 by default; RouterOS needs `/radius incoming set
//! accept=yes`). One [`CoaClient`] owns one UDP socket and a receive task that
//! demultiplexes replies by (peer address, Identifier), so many requests can
//! be outstanding; identifiers are allocated per peer, at most 256 in flight.
//! Retransmissions resend the same bytes (same Identifier and Request
//! Authenticator, RFC 5176 §2.3 / RFC 5080 §2.2.1). Every reply is checked
//! (source, Identifier, code, Response Authenticator, Message-Authenticator
//! when present); one failing a check is counted and dropped.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinHandle;

use super::codec::{self, Builder, Code, EncodeError, MaStatus, Packet};
use super::dict::{attr, error_cause_name, mikrotik};
use crate::clock::Clock;

/// Default Dynamic Authorization port (RFC 5176 §3).
pub const DEFAULT_PORT: u16 = 3799;

/// Identifiers per peer: the Identifier is one octet.
const IDS_PER_PEER: usize = 256;

/// What to do to a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Disconnect-Request: end the session.
    Disconnect,
    /// CoA-Request: change the session's authorization in place.
    Change(Vec<Change>),
}

/// One authorization change carried by a CoA-Request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Mikrotik-Rate-Limit (14988/8), RouterOS rate-limit text form.
    RateLimit(String),
    /// Session-Timeout (27), seconds.
    SessionTimeout(u32),
    /// Mikrotik-Address-List (14988/19).
    AddressList(String),
    /// Filter-Id (11).
    FilterId(String),
}

/// The NAS to talk to and the secret shared with it.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub addr: SocketAddr,
    pub secret: Vec<u8>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target").field("addr", &self.addr).field("secret", &"<redacted>").finish()
    }
}

/// Session identification attributes (RFC 5176 §3): User-Name and, when
/// known, Acct-Session-Id, Framed-IP-Address and Calling-Station-Id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRef {
    pub user_name: String,
    pub acct_session_id: Option<String>,
    pub framed_ip: Option<Ipv4Addr>,
    pub calling_station_id: Option<String>,
}

/// Retransmission schedule: the request is sent once per entry and the
/// entry is how long to wait for a reply to that try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    pub timeouts: Vec<Duration>,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { timeouts: vec![Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4)] }
    }
}

/// The NAS's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Disconnect-ACK or CoA-ACK.
    Ack,
    /// Disconnect-NAK or CoA-NAK, with its Error-Cause when present.
    Nak { error_cause: Option<u32> },
}

#[derive(Debug, thiserror::Error)]
pub enum CoaError {
    #[error("no valid reply after {tries} tries")]
    Timeout { tries: usize },
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("encoding the request: {0}")]
    Encode(#[from] EncodeError),
}

/// What the client did, since it was made.
#[derive(Debug, Default)]
pub struct CoaCounters {
    /// Requests sent (first tries).
    pub sent: AtomicU64,
    /// Retransmissions.
    pub retransmitted: AtomicU64,
    pub acked: AtomicU64,
    pub naked: AtomicU64,
    /// Requests that got no valid reply after every try.
    pub timed_out: AtomicU64,
    /// Replies to an outstanding request that failed a check (code,
    /// Response Authenticator, Message-Authenticator) or did not decode.
    pub bad_replies: AtomicU64,
    /// Replies matching no outstanding request (late duplicates, strangers).
    pub unmatched: AtomicU64,
}

impl CoaCounters {
    /// `(name, value)` of every counter.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("sent", self.sent.load(Relaxed)),
            ("retransmitted", self.retransmitted.load(Relaxed)),
            ("acked", self.acked.load(Relaxed)),
            ("naked", self.naked.load(Relaxed)),
            ("timed_out", self.timed_out.load(Relaxed)),
            ("bad_replies", self.bad_replies.load(Relaxed)),
            ("unmatched", self.unmatched.load(Relaxed)),
        ]
    }
}

/// An outstanding request, as the receive task needs it to check a reply.
struct Pending {
    request_code: Code,
    authenticator: [u8; 16],
    secret: Vec<u8>,
    /// Taken by the first valid reply.
    done: Option<oneshot::Sender<Outcome>>,
}

/// Identifier state of one NAS.
struct Peer {
    /// Bounds the identifiers in flight; a permit guarantees a free one.
    permits: Arc<Semaphore>,
    next: u8,
    pending: HashMap<u8, Pending>,
}

struct Inner {
    socket: UdpSocket,
    retry: Retry,
    clock: Clock,
    peers: Mutex<HashMap<SocketAddr, Peer>>,
    counters: CoaCounters,
}

impl Inner {
    /// Where to send to `addr` from this socket: an IPv4 router is reached
    /// from a dual-stack IPv6 socket at its IPv4-mapped address.
    fn dest(&self, addr: SocketAddr) -> SocketAddr {
        match (addr, self.socket.local_addr()) {
            (SocketAddr::V4(v4), Ok(SocketAddr::V6(_))) => SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port()),
            _ => addr,
        }
    }

    fn peers(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Peer>> {
        self.peers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Dynamic Authorization client. Cheap to share behind an `Arc`; dropping
/// it stops its receive task.
pub struct CoaClient {
    inner: Arc<Inner>,
    receiver: JoinHandle<()>,
}

impl fmt::Debug for CoaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoaClient").field("local", &self.inner.socket.local_addr().ok()).finish_non_exhaustive()
    }
}

impl Drop for CoaClient {
    fn drop(&mut self) {
        self.receiver.abort();
    }
}

/// Frees the identifier (then the permit) when a send ends, however it ends.
struct Slot<'a> {
    inner: &'a Inner,
    peer: SocketAddr,
    id: u8,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(peer) = self.inner.peers().get_mut(&self.peer) {
            peer.pending.remove(&self.id);
        }
    }
}

impl CoaClient {
    /// Takes a bound socket and starts the receive task (needs a tokio
    /// runtime). An empty `retry` schedule means [`Retry::default`].
    pub fn new(socket: UdpSocket, retry: Retry) -> CoaClient {
        Self::with_clock(socket, retry, Clock::System)
    }

    /// Like [`CoaClient::new`], with the clock that stamps Event-Timestamp.
    pub fn with_clock(socket: UdpSocket, retry: Retry, clock: Clock) -> CoaClient {
        let retry = if retry.timeouts.is_empty() { Retry::default() } else { retry };
        let inner = Arc::new(Inner {
            socket,
            retry,
            clock,
            peers: Mutex::new(HashMap::new()),
            counters: CoaCounters::default(),
        });
        let receiver = tokio::spawn(receive_loop(inner.clone()));
        CoaClient { inner, receiver }
    }

    pub fn counters(&self) -> &CoaCounters {
        &self.inner.counters
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.socket.local_addr()
    }

    /// Sends `action` for `session` to `target`, retransmitting per the
    /// [`Retry`] schedule, and returns the NAS's verified answer.
    pub async fn send(&self, target: &Target, session: &SessionRef, action: &Action) -> Result<Outcome, CoaError> {
        let inner = &*self.inner;
        let peer = canonical(target.addr);
        let slot = self.allocate(peer).await;
        let request_code = match action {
            Action::Disconnect => Code::DisconnectRequest,
            Action::Change(_) => Code::CoaRequest,
        };
        let bytes = encode(request_code, slot.id, session, action, inner.clock.now(), &target.secret)?;
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&bytes[4..codec::HEADER_LEN]);
        let (tx, mut rx) = oneshot::channel();
        if let Some(p) = inner.peers().get_mut(&peer) {
            let pending = Pending { request_code, authenticator, secret: target.secret.clone(), done: Some(tx) };
            p.pending.insert(slot.id, pending);
        }
        let tries = inner.retry.timeouts.len();
        for (try_no, wait) in inner.retry.timeouts.iter().enumerate() {
            if try_no == 0 {
                inner.counters.sent.fetch_add(1, Relaxed);
            } else {
                inner.counters.retransmitted.fetch_add(1, Relaxed);
                tracing::debug!(nas = %peer, id = slot.id, try_no = try_no + 1, "retransmitting {request_code:?}");
            }
            inner.socket.send_to(&bytes, inner.dest(target.addr)).await?;
            match tokio::time::timeout(*wait, &mut rx).await {
                Ok(Ok(outcome)) => {
                    match outcome {
                        Outcome::Ack => inner.counters.acked.fetch_add(1, Relaxed),
                        Outcome::Nak { error_cause } => {
                            let cause = error_cause.map_or("none", error_cause_name);
                            tracing::info!(nas = %peer, user = %session.user_name, ?error_cause, cause, "{request_code:?} refused");
                            inner.counters.naked.fetch_add(1, Relaxed)
                        }
                    };
                    return Ok(outcome);
                }
                Err(_elapsed) => {}
                // The sender lives in our pending slot until `slot` drops, so
                // this cannot happen; a finished receiver must not be polled.
                Ok(Err(_)) => break,
            }
        }
        inner.counters.timed_out.fetch_add(1, Relaxed);
        tracing::warn!(nas = %peer, user = %session.user_name, tries, "{request_code:?} got no valid reply");
        Err(CoaError::Timeout { tries })
    }

    /// Waits for a free identifier of `peer` and reserves it.
    async fn allocate(&self, peer: SocketAddr) -> Slot<'_> {
        let inner = &*self.inner;
        let permits = {
            let mut peers = inner.peers();
            let p = peers.entry(peer).or_insert_with(|| Peer {
                permits: Arc::new(Semaphore::new(IDS_PER_PEER)),
                next: codec::random_authenticator()[0],
                pending: HashMap::new(),
            });
            p.permits.clone()
        };
        // The semaphore is never closed.
        let permit = permits.acquire_owned().await.unwrap_or_else(|_| unreachable!());
        let mut peers = inner.peers();
        let p = peers.get_mut(&peer).unwrap_or_else(|| unreachable!("peers are never removed"));
        // Holding one of 256 permits means at most 255 others are in flight.
        let id = (0..=255u8).map(|i| p.next.wrapping_add(i)).find(|id| !p.pending.contains_key(id)).unwrap_or(p.next);
        p.next = id.wrapping_add(1);
        // Reserve the identifier now; `send` fills in the real entry.
        p.pending.insert(
            id,
            Pending { request_code: Code::CoaRequest, authenticator: [0; 16], secret: Vec::new(), done: None },
        );
        Slot { inner, peer, id, _permit: permit }
    }
}

/// IPv4-mapped IPv6 addresses (dual-stack sockets) as plain IPv4, so a
/// target and the source of its replies compare equal.
fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(v4.into(), v6.port()),
            None => addr,
        },
        v4 => v4,
    }
}

/// Builds the signed request: Message-Authenticator first (the builder's
/// rule), identification, Event-Timestamp, then the changes.
fn encode(
    code: Code,
    id: u8,
    session: &SessionRef,
    action: &Action,
    now: i64,
    secret: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    let mut b = Builder::new(code, id);
    b.add_str(attr::USER_NAME, &session.user_name)?;
    if let Some(sid) = &session.acct_session_id {
        b.add_str(attr::ACCT_SESSION_ID, sid)?;
    }
    if let Some(ip) = session.framed_ip {
        b.add_ipv4(attr::FRAMED_IP_ADDRESS, ip)?;
    }
    if let Some(csid) = &session.calling_station_id {
        b.add_str(attr::CALLING_STATION_ID, csid)?;
    }
    b.add_u32(attr::EVENT_TIMESTAMP, u32::try_from(now.max(0)).unwrap_or(u32::MAX))?;
    if let Action::Change(changes) = action {
        for change in changes {
            match change {
                Change::RateLimit(r) => b.add_vsa(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT, r.as_bytes())?,
                Change::SessionTimeout(s) => b.add_u32(attr::SESSION_TIMEOUT, *s)?,
                Change::AddressList(l) => b.add_vsa(mikrotik::VENDOR_ID, mikrotik::ADDRESS_LIST, l.as_bytes())?,
                Change::FilterId(f) => b.add_str(attr::FILTER_ID, f)?,
            };
        }
    }
    b.finish_signed_request(secret)
}

async fn receive_loop(inner: Arc<Inner>) {
    let mut buf = vec![0u8; codec::MAX_PACKET];
    loop {
        let (n, from) = match inner.socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // E.g. ICMP errors surfacing on some platforms; keep serving.
                tracing::debug!(error = %e, "CoA socket receive failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        handle_reply(&inner, &buf[..n], canonical(from));
    }
}

/// Matches one datagram to its outstanding request and completes it when
/// every check passes; otherwise counts it and drops it.
fn handle_reply(inner: &Inner, datagram: &[u8], from: SocketAddr) {
    let counters = &inner.counters;
    // Identifier is octet 1; match before decoding so a broken reply to an
    // outstanding request counts as bad, not as a stranger.
    let Some(&id) = datagram.get(1) else {
        counters.unmatched.fetch_add(1, Relaxed);
        return;
    };
    let mut peers = inner.peers();
    let Some(pending) = peers.get_mut(&from).and_then(|p| p.pending.get_mut(&id)).filter(|p| p.done.is_some()) else {
        counters.unmatched.fetch_add(1, Relaxed);
        tracing::debug!(%from, id, "CoA reply matches no outstanding request");
        return;
    };
    match check_reply(pending, datagram) {
        Ok(outcome) => {
            if let Some(done) = pending.done.take() {
                let _ = done.send(outcome);
            }
        }
        Err(why) => {
            counters.bad_replies.fetch_add(1, Relaxed);
            tracing::warn!(%from, id, why, "CoA reply dropped");
        }
    }
}

fn check_reply(pending: &Pending, datagram: &[u8]) -> Result<Outcome, &'static str> {
    let packet = Packet::decode(datagram).map_err(|e| e.reason())?;
    let (ack, nak) = match pending.request_code {
        Code::DisconnectRequest => (Code::DisconnectAck, Code::DisconnectNak),
        _ => (Code::CoaAck, Code::CoaNak),
    };
    if packet.code != ack && packet.code != nak {
        return Err("unexpected_code");
    }
    if !codec::verify_response_authenticator(&packet, &pending.authenticator, &pending.secret) {
        return Err("bad_response_authenticator");
    }
    if codec::check_message_authenticator(&packet, &pending.secret, Some(&pending.authenticator)) == MaStatus::Invalid {
        return Err("bad_message_authenticator");
    }
    Ok(if packet.code == ack { Outcome::Ack } else { Outcome::Nak { error_cause: packet.attr_u32(attr::ERROR_CAUSE) } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radius::dict::error_cause;

    const SECRET: &[u8] = b"coa-secret";

    fn session() -> SessionRef {
        SessionRef {
            user_name: "alice".into(),
            acct_session_id: Some("81a00001".into()),
            framed_ip: Some(Ipv4Addr::new(10, 5, 0, 7)),
            calling_station_id: None,
        }
    }

    fn fast() -> Retry {
        Retry { timeouts: vec![Duration::from_millis(50), Duration::from_millis(100)] }
    }

    /// A client on 127.0.0.1 and a raw NAS socket it targets.
    async fn pair(retry: Retry) -> (CoaClient, UdpSocket, Target) {
        let client = CoaClient::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), retry);
        let nas = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let target = Target { addr: nas.local_addr().unwrap(), secret: SECRET.to_vec() };
        (client, nas, target)
    }

    /// A signed reply to `request` (Error-Cause when given).
    fn reply(request: &[u8], code: Code, cause: Option<u32>, secret: &[u8]) -> Vec<u8> {
        let req = Packet::decode(request).unwrap();
        let mut b = Builder::new(code, req.identifier);
        if let Some(c) = cause {
            b.add_u32(attr::ERROR_CAUSE, c).unwrap();
        }
        b.finish_response(&req.authenticator, secret).unwrap()
    }

    async fn recv(nas: &UdpSocket) -> (Vec<u8>, SocketAddr) {
        let mut buf = vec![0u8; 4096];
        let (n, from) = nas.recv_from(&mut buf).await.unwrap();
        buf.truncate(n);
        (buf, from)
    }

    #[tokio::test]
    async fn disconnect_is_acked_and_the_request_is_well_formed() {
        let (client, nas, target) = pair(Retry::default()).await;
        let responder = tokio::spawn(async move {
            let (req, from) = recv(&nas).await;
            nas.send_to(&reply(&req, Code::DisconnectAck, None, SECRET), from).await.unwrap();
            req
        });
        let outcome = client.send(&target, &session(), &Action::Disconnect).await.unwrap();
        assert_eq!(outcome, Outcome::Ack);
        let req = responder.await.unwrap();
        let p = Packet::decode(&req).unwrap();
        assert_eq!(p.code, Code::DisconnectRequest);
        assert_eq!(p.attributes().next().map(|(t, _)| t), Some(attr::MESSAGE_AUTHENTICATOR));
        assert!(codec::verify_request_authenticator(&p, SECRET));
        assert_eq!(codec::check_message_authenticator(&p, SECRET, None), MaStatus::Valid);
        assert_eq!(p.attr(attr::USER_NAME), Some(&b"alice"[..]));
        assert_eq!(p.attr(attr::ACCT_SESSION_ID), Some(&b"81a00001"[..]));
        assert_eq!(p.attr(attr::FRAMED_IP_ADDRESS), Some(&[10, 5, 0, 7][..]));
        assert!(p.attr_u32(attr::EVENT_TIMESTAMP).is_some());
        assert!(!p.has_attr(attr::CALLING_STATION_ID));
        let c = client.counters();
        assert_eq!((c.sent.load(Relaxed), c.acked.load(Relaxed), c.bad_replies.load(Relaxed)), (1, 1, 0));
    }

    #[tokio::test]
    async fn coa_nak_carries_its_error_cause() {
        let (client, nas, target) = pair(Retry::default()).await;
        let responder = tokio::spawn(async move {
            let (req, from) = recv(&nas).await;
            let cause = Some(error_cause::SESSION_CONTEXT_NOT_FOUND);
            nas.send_to(&reply(&req, Code::CoaNak, cause, SECRET), from).await.unwrap();
            req
        });
        let action = Action::Change(vec![
            Change::RateLimit("2M/4M".into()),
            Change::SessionTimeout(3600),
            Change::AddressList("paid".into()),
            Change::FilterId("gold".into()),
        ]);
        let outcome = client.send(&target, &session(), &action).await.unwrap();
        assert_eq!(outcome, Outcome::Nak { error_cause: Some(503) });
        let req = responder.await.unwrap();
        let p = Packet::decode(&req).unwrap();
        assert_eq!(p.code, Code::CoaRequest);
        assert_eq!(p.vsa(mikrotik::VENDOR_ID, mikrotik::RATE_LIMIT), Some(&b"2M/4M"[..]));
        assert_eq!(p.vsa(mikrotik::VENDOR_ID, mikrotik::ADDRESS_LIST), Some(&b"paid"[..]));
        assert_eq!(p.attr_u32(attr::SESSION_TIMEOUT), Some(3600));
        assert_eq!(p.attr(attr::FILTER_ID), Some(&b"gold"[..]));
        assert_eq!(client.counters().naked.load(Relaxed), 1);
    }

    #[tokio::test]
    async fn a_badly_signed_reply_is_ignored_and_the_retransmission_reply_counts() {
        let (client, nas, target) = pair(fast()).await;
        let responder = tokio::spawn(async move {
            let (first, from) = recv(&nas).await;
            nas.send_to(&reply(&first, Code::DisconnectAck, None, b"wrong"), from).await.unwrap();
            // An ACK for the wrong request type is refused too.
            nas.send_to(&reply(&first, Code::CoaAck, None, SECRET), from).await.unwrap();
            let (second, from) = recv(&nas).await;
            nas.send_to(&reply(&second, Code::DisconnectAck, None, SECRET), from).await.unwrap();
            (first, second)
        });
        let outcome = client.send(&target, &session(), &Action::Disconnect).await.unwrap();
        assert_eq!(outcome, Outcome::Ack);
        let (first, second) = responder.await.unwrap();
        assert_eq!(first, second, "a retransmission resends the same bytes");
        let c = client.counters();
        assert_eq!(c.bad_replies.load(Relaxed), 2);
        assert_eq!(c.retransmitted.load(Relaxed), 1);
        assert_eq!(c.acked.load(Relaxed), 1);
    }

    #[tokio::test]
    async fn no_reply_times_out_after_every_try() {
        let (client, nas, target) = pair(fast()).await;
        let started = tokio::time::Instant::now();
        let err = client.send(&target, &session(), &Action::Disconnect).await.unwrap_err();
        assert!(matches!(err, CoaError::Timeout { tries: 2 }), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(150));
        let (a, _) = recv(&nas).await;
        let (b, _) = recv(&nas).await;
        assert_eq!(a, b);
        let c = client.counters();
        assert_eq!((c.sent.load(Relaxed), c.retransmitted.load(Relaxed), c.timed_out.load(Relaxed)), (1, 1, 1));
        // The identifier was released.
        assert!(client.inner.peers().values().all(|p| p.pending.is_empty()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_257th_request_to_one_peer_waits_for_a_free_identifier() {
        let (client, nas, target) = pair(Retry { timeouts: vec![Duration::from_secs(10)] }).await;
        let client = Arc::new(client);
        let sends: Vec<_> = (0..257)
            .map(|_| {
                let (c, t) = (client.clone(), target.clone());
                tokio::spawn(async move { c.send(&t, &session(), &Action::Disconnect).await })
            })
            .collect();
        let mut first = Vec::new();
        for _ in 0..256 {
            first.push(recv(&nas).await);
        }
        let ids: std::collections::HashSet<u8> = first.iter().map(|(r, _)| r[1]).collect();
        assert_eq!(ids.len(), 256, "every identifier once");
        let early = tokio::time::timeout(Duration::from_millis(200), recv(&nas)).await;
        assert!(early.is_err(), "no 257th request while all 256 identifiers are in flight");
        // Answered 16 at a time, each batch once the client has read the
        // last: 256 replies at once can overflow a default-sized receive
        // buffer on a busy machine, and a lost reply here has no retry.
        for (batch, chunk) in first.chunks(16).enumerate() {
            for (req, from) in chunk {
                nas.send_to(&reply(req, Code::DisconnectAck, None, SECRET), from).await.unwrap();
            }
            let want = (batch as u64 + 1) * 16;
            tokio::time::timeout(Duration::from_secs(10), async {
                while client.counters().acked.load(Relaxed) < want {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
            .await
            .expect("the client reads each batch of replies");
        }
        let (last, from) = recv(&nas).await;
        nas.send_to(&reply(&last, Code::DisconnectAck, None, SECRET), from).await.unwrap();
        for s in sends {
            assert_eq!(s.await.unwrap().unwrap(), Outcome::Ack);
        }
        let c = client.counters();
        assert_eq!((c.acked.load(Relaxed), c.retransmitted.load(Relaxed), c.bad_replies.load(Relaxed)), (257, 0, 0));
    }

    #[test]
    fn names_and_redaction() {
        assert_eq!(error_cause_name(503), "Session-Context-Not-Found");
        assert_eq!(error_cause_name(999), "Unknown");
        let t = Target { addr: "127.0.0.1:3799".parse().unwrap(), secret: b"hunter2".to_vec() };
        assert!(!format!("{t:?}").contains("hunter2"));
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:3799".parse().unwrap();
        assert_eq!(canonical(mapped), "10.0.0.1:3799".parse::<SocketAddr>().unwrap());
    }
}
