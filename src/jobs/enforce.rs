//! The enforcement worker: carries out the outbox's CoA and Disconnect
//! tasks against the router holding each session (RFC 5176), retrying with
//! backoff. A Disconnect NAKed with "session context not found" is done
//! (the session is gone); a CoA NAKed for any reason falls back to a
//! Disconnect, so the new attributes apply at the next login. The RouterOS
//! API (kick by API) can be added here as a second way to act.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::radius::coa::{Action, Change, CoaClient, Outcome, SessionRef, Target};
use crate::radius::dict::error_cause_name;
use crate::store::Store;
use crate::store::outbox::{SessionTarget, Task, TaskKind};

/// Tries before a task is given up (and audited).
const MAX_ATTEMPTS: u32 = 6;
/// RFC 5176 Error-Cause 503: Session-Context-Not-Found.
const SESSION_NOT_FOUND: u32 = 503;

pub async fn run(store: Arc<Store>, clock: Clock, coa: Arc<CoaClient>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let (s2, now) = (store.clone(), clock.now());
        let due = match tokio::task::spawn_blocking(move || s2.due_tasks(now, 256)).await {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot read the outbox");
                continue;
            }
            Err(_) => continue,
        };
        let mut running = tokio::task::JoinSet::new();
        for (seq, task) in due {
            let (store, clock, coa) = (store.clone(), clock.clone(), coa.clone());
            running.spawn(async move { carry_out(&store, &clock, &coa, seq, task).await });
        }
        while running.join_next().await.is_some() {}
    }
}

fn target(store: &Store, task: &Task, s: &SessionTarget) -> Result<Target, String> {
    let nas = store
        .all_nas()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|n| n.tenant == task.tenant && n.id == s.nas)
        .ok_or_else(|| format!("NAS {} no longer exists", s.nas))?;
    let full = if nas.address.is_ipv4() { 32 } else { 128 };
    let ip = s
        .nas_ip
        .or((nas.prefix == full).then_some(nas.address))
        .ok_or_else(|| format!("NAS {} is a subnet and the session did not say which router holds it", nas.name))?;
    let secret = store.secrets().open(crate::store::Purpose::NasSecret, &nas.secret).map_err(|e| e.to_string())?;
    Ok(Target { addr: SocketAddr::new(ip, nas.coa_port), secret })
}

async fn carry_out(store: &Arc<Store>, clock: &Clock, coa: &CoaClient, seq: u64, task: Task) {
    let (session, action) = match &task.kind {
        TaskKind::Disconnect { session, .. } => (session, Action::Disconnect),
        TaskKind::ChangeRate { session, rate, .. } => (session, Action::Change(vec![Change::RateLimit(rate.clone())])),
    };
    let result = match target(store, &task, session) {
        Ok(t) => {
            let sref = SessionRef {
                user_name: session.username.clone(),
                acct_session_id: Some(session.acct_session_id.clone()),
                framed_ip: session.framed_ip,
                calling_station_id: session.calling_station_id.clone(),
            };
            coa.send(&t, &sref, &action).await.map_err(|e| e.to_string())
        }
        Err(e) => Err(e),
    };
    let now = clock.now();
    let s2 = store.clone();
    let done = move |r: Result<(), crate::store::StoreError>| {
        if let Err(e) = r {
            tracing::error!(error = %e, "cannot update the outbox");
        }
    };
    let what = format!("{:?}", task.kind);
    match (result, &task.kind) {
        (Ok(Outcome::Ack), _)
        | (Ok(Outcome::Nak { error_cause: Some(SESSION_NOT_FOUND) }), TaskKind::Disconnect { .. }) => {
            tracing::info!(task = %what, "router acknowledged");
            done(tokio::task::spawn_blocking(move || s2.complete_task(seq)).await.unwrap_or(Ok(())));
        }
        (Ok(Outcome::Nak { error_cause }), TaskKind::ChangeRate { session, reason, .. }) => {
            // The router would not change the session in place: end it,
            // so the new rate applies when it logs in again.
            tracing::warn!(cause = error_cause.map(error_cause_name), "CoA refused; disconnecting instead");
            let kind = TaskKind::Disconnect { session: session.clone(), reason: reason.clone() };
            let tenant = task.tenant;
            done(
                tokio::task::spawn_blocking(move || {
                    s2.enqueue_task(tenant, kind, now)?;
                    s2.complete_task(seq)
                })
                .await
                .unwrap_or(Ok(())),
            );
        }
        (outcome, _) => {
            let error = match outcome {
                Ok(Outcome::Nak { error_cause }) => {
                    format!("NAK: {}", error_cause.map_or("no Error-Cause", error_cause_name))
                }
                Ok(Outcome::Ack) => unreachable!("handled above"),
                Err(e) => e,
            };
            let give_up = task.attempts + 1 >= MAX_ATTEMPTS;
            let backoff = 5i64 << task.attempts.min(6);
            tracing::warn!(task = %what, %error, attempt = task.attempts + 1, give_up, "router action failed");
            done(
                tokio::task::spawn_blocking(move || s2.fail_task(seq, &error, now + backoff, give_up, now))
                    .await
                    .unwrap_or(Ok(())),
            );
        }
    }
}
