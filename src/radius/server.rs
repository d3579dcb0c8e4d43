//! Socket loops. Sockets come in already bound (tests bind port 0). Each
//! datagram is decoded, matched to a NAS by source address, checked
//! (Message-Authenticator, Request Authenticator), looked up in the reply
//! cache, then dispatched by code. Anything wrong is dropped and counted,
//! never answered and never a panic.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use super::acct::{self, Job, Outgoing};
use super::cache::RequestKey;
use super::codec::{self, Code, MAX_PACKET, MaStatus, Packet};
use super::counters::Counters;
use super::directory::NasEntry;
use super::{Radius, auth, status};
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

fn auth_loop(sock: &std::net::UdpSocket, r: &Radius, shutdown: &CancellationToken) {
    let mut buf = vec![0u8; MAX_PACKET + 1];
    let mut reader = LoginReader::default();
    while !shutdown.is_cancelled() {
        let (n, src) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                reader.release();
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "auth socket receive failed");
                continue;
            }
        };
        if let Some(reply) = handle_auth_datagram(r, &mut reader, &buf[..n], src)
            && let Err(e) = sock.send_to(&reply, src)
        {
            tracing::warn!(error = %e, %src, "auth reply not sent");
        }
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
    let Some(nas) = r.directory().find(src.ip()).cloned() else {
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
        return None;
    }
    match codec::check_message_authenticator(&pkt, &nas.secret, None) {
        MaStatus::Valid => {}
        MaStatus::Invalid => {
            tracing::debug!(%src, nas = %nas.nas.name, "wrong Message-Authenticator");
            Counters::inc(&r.counters.dropped_bad_message_authenticator);
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
                return None;
            }
        }
    }
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
        _ => auth::handle(r, reader, &nas, &pkt)?,
    };
    r.cache.put(key, reply.clone(), now);
    Some(reply)
}

/// Serve the accounting port: intake on this task, durable commits on the
/// writer thread, replies sent as their commits complete.
pub async fn serve_acct(socket: Arc<UdpSocket>, r: Arc<Radius>, max_batch: usize, shutdown: CancellationToken) {
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<Outgoing>();
    let writer_state = r.clone();
    let writer = std::thread::Builder::new()
        .name("lango-acct-writer".into())
        .spawn(move || acct::writer(writer_state, job_rx, out_tx, max_batch))
        .expect("spawn accounting writer thread");

    let sender_socket = socket.clone();
    let sender = tokio::spawn(async move {
        while let Some((bytes, dst)) = out_rx.recv().await {
            if let Err(e) = sender_socket.send_to(&bytes, dst).await {
                tracing::warn!(error = %e, %dst, "accounting reply not sent");
            }
        }
    });

    let mut buf = vec![0u8; MAX_PACKET + 1];
    loop {
        let (n, src) = tokio::select! {
            _ = shutdown.cancelled() => break,
            res = socket.recv_from(&mut buf) => match res {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "acct socket receive failed");
                    continue;
                }
            },
        };
        if let Some(reply) = handle_acct_datagram(&r, &buf[..n], src, &job_tx)
            && let Err(e) = socket.send_to(&reply, src).await
        {
            tracing::warn!(error = %e, %src, "acct reply not sent");
        }
    }
    // Let the writer finish what it has (those records are acknowledged
    // when committed), then stop.
    drop(job_tx);
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    let _ = sender.await;
}

/// One accounting-port datagram. Returns a reply only when it can be sent at
/// once (Status-Server, or a cached reply to a retransmission); records go
/// to the writer and are answered after their commit.
pub fn handle_acct_datagram(r: &Radius, buf: &[u8], src: SocketAddr, jobs: &mpsc::Sender<Job>) -> Option<Vec<u8>> {
    let (pkt, nas) = admit(r, buf, src, &[Code::AccountingRequest, Code::StatusServer])?;
    let key = key_of(&pkt, src);
    if let Some(cached) = r.cache.get(&key, Instant::now()) {
        Counters::inc(&r.counters.duplicate_replies);
        return Some(cached);
    }
    if pkt.code == Code::StatusServer {
        return status::reply(r, &pkt, &nas.secret, true);
    }
    acct::intake(r, &nas, &pkt, key, jobs);
    None
}
