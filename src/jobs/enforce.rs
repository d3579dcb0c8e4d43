//! The enforcement worker: carries out the outbox's CoA and Disconnect
//! tasks against the router holding each session (RFC 5176), retrying with
//! backoff. A Disconnect NAKed with "session context not found" is done
//! (the session is gone); a CoA NAKed for any reason falls back to a
//! Disconnect, so the new attributes apply at the next login. When the
//! router does not answer (or refuses for another reason) and its RouterOS
//! API credentials are stored, the session is ended through the API
//! instead (`/ppp active remove`, `/ip hotspot active remove`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::policy::coa_plan::Adjust;
use crate::radius::coa::{Action, Change, CoaClient, Outcome, SessionRef, Target};
use crate::radius::dict::error_cause_name;
use crate::routeros::Pool;
use crate::store::Store;
use crate::store::outbox::{SessionTarget, Task, TaskKind};

/// Tries before a task is given up (and audited).
const MAX_ATTEMPTS: u32 = 6;
/// RFC 5176 Error-Cause 503: Session-Context-Not-Found.
const SESSION_NOT_FOUND: u32 = 503;

/// How long the RouterOS API fallback waits for a router.
const API_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(
    store: Arc<Store>,
    clock: Clock,
    coa: Arc<CoaClient>,
    routers: Arc<Pool>,
    shutdown: CancellationToken,
) {
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
            let (store, clock, coa, routers) = (store.clone(), clock.clone(), coa.clone(), routers.clone());
            running.spawn(async move { carry_out(&store, &clock, &coa, &routers, seq, task).await });
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

/// End the session through the router's RouterOS API; None when the
/// router has no API credentials.
async fn kick_by_api(
    store: &Arc<Store>,
    routers: &Pool,
    task: &Task,
    s: &SessionTarget,
) -> Option<Result<usize, String>> {
    let (st, tenant, nas_id) = (store.clone(), task.tenant, s.nas);
    let found = tokio::task::spawn_blocking(move || {
        let nas = st.all_nas()?.into_iter().find(|n| n.tenant == tenant && n.id == nas_id);
        match nas {
            Some(nas) => crate::routeros::endpoint(&st, &nas, API_TIMEOUT),
            None => Ok(None),
        }
    })
    .await
    .ok()?;
    let ep = match found {
        Ok(Some(ep)) => ep,
        Ok(None) => return None,
        Err(e) => return Some(Err(e.to_string())),
    };
    let address = s.framed_ip.map(IpAddr::V4);
    Some(routers.kick((tenant, nas_id), &ep, Some(&s.username), address).await.map_err(|e| e.to_string()))
}

/// The CoA planner's change as the CoA client sends it.
fn coa_change(a: &Adjust) -> Change {
    match a {
        Adjust::RateLimit(r) => Change::RateLimit(r.clone()),
        Adjust::SessionTimeout(t) => Change::SessionTimeout(*t),
        Adjust::AddressList(l) => Change::AddressList(l.clone()),
        Adjust::FilterId(f) => Change::FilterId(f.clone()),
    }
}

async fn carry_out(store: &Arc<Store>, clock: &Clock, coa: &CoaClient, routers: &Pool, seq: u64, task: Task) {
    let (session, action) = match &task.kind {
        TaskKind::Disconnect { session, .. } => (session, Action::Disconnect),
        TaskKind::ChangeRate { session, rate, .. } => (session, Action::Change(vec![Change::RateLimit(rate.clone())])),
        TaskKind::Change { session, changes, .. } => {
            (session, Action::Change(changes.iter().map(coa_change).collect()))
        }
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
        (
            Ok(Outcome::Nak { error_cause }),
            TaskKind::ChangeRate { session, reason, .. } | TaskKind::Change { session, reason, .. },
        ) => {
            // The router would not change the session in place: end it,
            // so the new rate (or plan) applies when it logs in again.
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
            let session = match &task.kind {
                TaskKind::Disconnect { session, .. }
                | TaskKind::ChangeRate { session, .. }
                | TaskKind::Change { session, .. } => session,
            };
            let error = match kick_by_api(store, routers, &task, session).await {
                Some(Ok(n)) => {
                    // n == 0: the router has no such session any more, done too.
                    tracing::info!(task = %what, %error, sessions = n, "ended through the RouterOS API instead");
                    done(tokio::task::spawn_blocking(move || s2.complete_task(seq)).await.unwrap_or(Ok(())));
                    return;
                }
                Some(Err(api)) => format!("{error}; RouterOS API: {api}"),
                None => error,
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
