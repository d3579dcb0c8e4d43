//! Socket loops. Sockets come in already bound (tests bind port 0). Each
//! datagram is decoded, matched to a NAS by source address, checked
//! (Message-Authenticator, Request Authenticator), looked up in the reply
//! cache, then dispatched by code. Anything wrong is dropped and counted,
//! never answered and never a panic.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::acct::{self, Job};
use super::cache::RequestKey;
use super::codec::{self, Code, MaStatus, Packet};
use super::counters::Counters;
use super::directory::{NasEntry, NasStats};
use super::{Radius, auth, status, udp};
use crate::store::LoginReader;

/// Serve Access-Request and Status-Server on `socket` with `workers` OS
/// threads doing blocking receive → handle → send. Authentication is
/// CPU-bound and never waits on I/O (the store read is memory-mapped, the
/// reply goes straight out), so plain threads avoid the async runtime's
/// readiness and wake-up costs on every packet.
pub async fn serve_auth(socket: std::net::UdpSocket, r: Arc<Radius>, workers: usize, shutdown: CancellationToken) {
    // Wake up now and then to notice shutdown.
    if let Err(e) = socket.set_read_timeout(Some(std::time::Duration::from_millis(200))) {
        tracing::error!(error = %e, "cannot set auth socket timeout");
        return;
    }
    let mut threads = Vec::new();
    for n in 0..workers.max(1) {
        let sock = match socket.try_clone() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot clone auth socket");
                break;
            }
        };
        let (r, shutdown) = (r.clone(), shutdown.clone());
        let spawned =
            std::thread::Builder::new().name(format!("lango-auth-{n}")).spawn(move || auth_loop(&sock, &r, &shutdown));
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => tracing::error!(error = %e, "cannot start auth thread"),
        }
    }
    let _ = tokio::task::spawn_blocking(move || {
        for t in threads {
            let _ = t.join();
        }
    })
    .await;
}

/// Requests taken from the socket per system call.
const BATCH: usize = 32;

fn auth_loop(sock: &std::net::UdpSocket, r: &Radius, shutdown: &CancellationToken) {
    let mut rx = udp::Receiver::new(BATCH);
    let mut tx = udp::Sender::new(BATCH);
    let mut reader = LoginReader::default();
    let mut replies = Vec::with_capacity(BATCH);
    while !shutdown.is_cancelled() {
        match rx.recv(sock) {
            Ok(0) => {
                // Idle: do not pin an old snapshot of the database.
                reader.release();
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "auth socket receive failed");
                continue;
            }
        }
        replies.clear();
        for (packet, src) in rx.packets() {
            if let Some(reply) = handle_auth_datagram(r, &mut reader, packet, src) {
                replies.push((reply, src));
            }
        }
        tx.send(sock, &replies);
    }
}

/// Check a request's origin and integrity: the NAS it came from, and for
/// requests that carry one, a valid Message-Authenticator.
fn admit<'a>(r: &Radius, buf: &'a [u8], src: SocketAddr, allowed: &[Code]) -> Option<(Packet<'a>, Arc<NasEntry>)> {
    let pkt = match Packet::decode(buf) {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!(%src, error = %e, "malformed packet dropped");
            Counters::inc(&r.counters.dropped_malformed);
            return None;
        }
    };
    let Some(nas) = r.directory().find(src.ip().to_canonical()).cloned() else {
        tracing::debug!(%src, "packet from unknown client dropped");
        Counters::inc(&r.counters.dropped_unknown_client);
        return None;
    };
    if !allowed.contains(&pkt.code) {
        Counters::inc(&r.counters.dropped_unexpected_code);
        return None;
    }
    let signed = matches!(pkt.code, Code::AccountingRequest);
    if signed && !codec::verify_request_authenticator(&pkt, &nas.secret) {
        tracing::debug!(%src, nas = %nas.nas.name, "wrong Request Authenticator (shared secret mismatch?)");
        Counters::inc(&r.counters.dropped_bad_authenticator);
        NasStats::inc(&nas.stats.dropped);
        return None;
    }
    match codec::check_message_authenticator(&pkt, &nas.secret, None) {
        MaStatus::Valid => {}
        MaStatus::Invalid => {
            tracing::debug!(%src, nas = %nas.nas.name, "wrong Message-Authenticator");
            Counters::inc(&r.counters.dropped_bad_message_authenticator);
            NasStats::inc(&nas.stats.dropped);
            return None;
        }
        MaStatus::Absent => {
            // RFC 5997 requires it on Status-Server; Blast-RADIUS mitigation
            // requires it on Access-Request unless the NAS is exempted.
            let required = pkt.code == Code::StatusServer
                || (pkt.code == Code::AccessRequest && nas.nas.require_message_authenticator);
            if required {
                tracing::debug!(%src, nas = %nas.nas.name, "Message-Authenticator required but absent");
                Counters::inc(&r.counters.dropped_missing_message_authenticator);
                NasStats::inc(&nas.stats.dropped);
                return None;
            }
        }
    }
    nas.heard.store(r.clock.now(), std::sync::atomic::Ordering::Relaxed);
    Some((pkt, nas))
}

fn key_of(pkt: &Packet<'_>, src: SocketAddr) -> RequestKey {
    RequestKey { src, code: pkt.code as u8, identifier: pkt.identifier, authenticator: pkt.authenticator }
}

/// One authentication-port datagram → the reply to send, if any.
pub fn handle_auth_datagram(r: &Radius, reader: &mut LoginReader, buf: &[u8], src: SocketAddr) -> Option<Vec<u8>> {
    let (pkt, nas) = admit(r, buf, src, &[Code::AccessRequest, Code::StatusServer])?;
    let key = key_of(&pkt, src);
    let now = Instant::now();
    if let Some(cached) = r.cache.get(&key, now) {
        Counters::inc(&r.counters.duplicate_replies);
        return Some(cached);
    }
    let reply = match pkt.code {
        Code::StatusServer => status::reply(r, &pkt, &nas.secret, false)?,
        _ => {
            let reply = auth::handle(r, reader, &nas, &pkt)?;
            match reply.first().copied() {
                Some(2) => NasStats::inc(&nas.stats.accepts),
                Some(3) => NasStats::inc(&nas.stats.rejects),
                _ => {}
            }
            reply
        }
    };
    r.cache.put(key, reply.clone(), now);
    Some(reply)
}

/// Serve the accounting port: a thread takes requests off the socket and
/// queues records; the writer thread makes them durable and sends their
/// replies (see `acct::writer`).
///
/// Both queues are bounded by the memory budget: when the writer is behind
/// by `acct_queue` requests, further ones are dropped and counted (the
/// router retransmits them); when the fold is behind by `fold_max` records,
/// the writer waits, so acknowledgements slow down instead of memory
/// growing.
pub async fn serve_acct(
    socket: std::net::UdpSocket,
    r: Arc<Radius>,
    max_batch: usize,
    budget: crate::config::Budget,
    shutdown: CancellationToken,
) {
    if let Err(e) = socket.set_read_timeout(Some(std::time::Duration::from_millis(200))) {
        tracing::error!(error = %e, "cannot set acct socket timeout");
        return;
    }
    let reply_socket = match socket.try_clone() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot clone acct socket");
            return;
        }
    };
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(budget.acct_queue);
    let writer_state = r.clone();
    let limits = acct::Limits { max_batch, fold_max: budget.fold_max };
    let writer = std::thread::Builder::new()
        .name("lango-acct-writer".into())
        .spawn(move || acct::writer(writer_state, job_rx, reply_socket, limits))
        .expect("spawn accounting writer thread");
    let intake = std::thread::Builder::new()
        .name("lango-acct-intake".into())
        .spawn(move || {
            let mut rx = udp::Receiver::new(BATCH);
            let mut tx = udp::Sender::new(BATCH);
            let mut immediate = Vec::new();
            while !shutdown.is_cancelled() {
                match rx.recv(&socket) {
                    Ok(0) => continue,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "acct socket receive failed");
                        continue;
                    }
                }
                immediate.clear();
                for (packet, src) in rx.packets() {
                    if let Some(reply) = handle_acct_datagram(&r, packet, src, &job_tx) {
                        immediate.push((reply, src));
                    }
                }
                tx.send(&socket, &immediate);
            }
            // Dropping job_tx lets the writer finish what it has (those
            // records are acknowledged once durable), then stop.
        })
        .expect("spawn accounting intake thread");
    let _ = tokio::task::spawn_blocking(move || {
        let _ = intake.join();
        let _ = writer.join();
    })
    .await;
}

/// One accounting-port datagram. Returns a reply only when it can be sent at
/// once (Status-Server, or a cached reply to a retransmission); records go
/// to the writer and are answered after their commit.
pub fn handle_acct_datagram(r: &Radius, buf: &[u8], src: SocketAddr, jobs: &mpsc::SyncSender<Job>) -> Option<Vec<u8>> {
    let (pkt, nas) = admit(r, buf, src, &[Code::AccountingRequest, Code::StatusServer])?;
    let key = key_of(&pkt, src);
    if let Some(cached) = r.cache.get(&key, Instant::now()) {
        Counters::inc(&r.counters.duplicate_replies);
        return Some(cached);
    }
    if pkt.code == Code::StatusServer {
        return status::reply(r, &pkt, &nas.secret, true);
    }
    NasStats::inc(&nas.stats.acct);
    acct::intake(r, &nas, &pkt, key, jobs);
    None
}
