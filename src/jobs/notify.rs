//! The sender: every `EVERY` it turns new audit records into messages,
//! queues the reminders that came due (every `REMIND_EVERY`), and sends
//! what is due, at most `IN_FLIGHT` at a time. Each message is claimed
//! (re-checked: renewed since? quiet hours? daily cap?) before it goes
//! and its attempt recorded after; a failure is retried with backoff
//! (`store::notify::BACKOFF`) and the gateway's words kept in the log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::model::TenantId;
use crate::notify::Delivery;
use crate::notify::sms::Sms;
use crate::ops::notify::{Senders, SmsRoute, attachment};
use crate::store::Store;
use crate::store::notify::Finished;

const EVERY: Duration = Duration::from_secs(2);
const REMIND_EVERY: i64 = 60;
/// How often the SMS gateway's credit is read (clock time).
const CREDIT_EVERY: i64 = 3600;
const IN_FLIGHT: usize = 16;
const BATCH: usize = 256;

pub async fn run(store: Arc<Store>, clock: Clock, stop: CancellationToken) {
    let http = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .user_agent(concat!("lango-notify/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => return tracing::error!(error = %e, "notifications: no HTTP client"),
    };
    let at = match Sms::new() {
        Ok(s) => Arc::new(s),
        Err(e) => return tracing::error!(error = %e, "notifications: no SMS client"),
    };
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reminded_at: Option<i64> = None;
    let mut credit_at: Option<i64> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = clock.now();
        let remind = reminded_at.is_none_or(|at| now - at >= REMIND_EVERY || now < at);
        if remind {
            reminded_at = Some(now);
        }
        if let Err(e) = round(&store, &clock, &http, &at, remind, &stop).await {
            tracing::warn!(error = %e, "notification round failed");
        }
        if credit_at.is_none_or(|c| now - c >= CREDIT_EVERY || now < c) {
            credit_at = Some(now);
            if let Err(e) = check_credit(&store, &clock, &http, &at).await {
                tracing::warn!(error = %e, "SMS credit check failed");
            }
        }
    }
}

/// One round: queue, then send until nothing is due (or stopped).
pub async fn round(
    store: &Arc<Store>,
    clock: &Clock,
    http: &reqwest::Client,
    at: &Arc<Sms>,
    remind: bool,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let (st, now) = (store.clone(), clock.now());
    let queued = tokio::task::spawn_blocking(move || -> Result<usize, crate::store::StoreError> {
        let mut n = 0;
        for tenant in st.notify_tenants()? {
            n += st.queue_notifications(tenant, now)?;
        }
        if remind {
            n += st.queue_reminders(now)?;
            n += st.queue_daily_revenue(now)?;
        }
        Ok(n)
    })
    .await??;
    if queued > 0 {
        tracing::info!(queued, "notifications queued");
    }
    let mut senders: HashMap<TenantId, Arc<Senders>> = HashMap::new();
    send_due(store, clock, http, at, stop, &mut senders).await?;
    check_deliveries(store, clock, http, &mut senders).await
}

/// Read each SMS gateway's credit where a threshold is set (and the
/// gateway tells); below it, the operator is told once a day.
pub async fn check_credit(
    store: &Arc<Store>,
    clock: &Clock,
    http: &reqwest::Client,
    at: &Arc<Sms>,
) -> anyhow::Result<()> {
    let st = store.clone();
    let tenants = tokio::task::spawn_blocking(move || -> Result<Vec<_>, crate::store::StoreError> {
        let mut out = Vec::new();
        for t in st.notify_tenants()? {
            if let Some(s) = st.notify_settings(t)?.filter(|s| s.low_credit > 0) {
                out.push((t, s));
            }
        }
        Ok(out)
    })
    .await??;
    for (tenant, s) in tenants {
        let (st, s2) = (store.clone(), s.clone());
        let senders = tokio::task::spawn_blocking(move || Senders::of(&st, tenant, &s2)).await??;
        let Some(read) = senders.credit(http, at).await else { continue };
        let gateway = senders.sms.as_ref().map_or("", |r| r.name());
        match read {
            Ok(credit) => {
                let (st, now, gw) = (store.clone(), clock.now(), gateway.to_string());
                tokio::task::spawn_blocking(move || st.note_credit(tenant, &gw, credit, now)).await??;
            }
            Err(e) => tracing::warn!(tenant, error = %e, "SMS credit could not be read"),
        }
    }
    Ok(())
}

/// The tenant's clients, built once per round.
async fn senders_of(
    store: &Arc<Store>,
    cache: &mut HashMap<TenantId, Arc<Senders>>,
    tenant: TenantId,
) -> anyhow::Result<Arc<Senders>> {
    if let Some(s) = cache.get(&tenant) {
        return Ok(s.clone());
    }
    let st = store.clone();
    let built = tokio::task::spawn_blocking(move || -> anyhow::Result<Senders> {
        let s = st.notify_settings(tenant)?.unwrap_or_default();
        Ok(Senders::of(&st, tenant, &s)?)
    })
    .await??;
    Ok(cache.entry(tenant).or_insert(Arc::new(built)).clone())
}

/// Ask the gateways that keep delivery reports (Celcom's getdlr) what
/// became of messages sent a minute or more ago.
async fn check_deliveries(
    store: &Arc<Store>,
    clock: &Clock,
    http: &reqwest::Client,
    cache: &mut HashMap<TenantId, Arc<Senders>>,
) -> anyhow::Result<()> {
    let (st, now) = (store.clone(), clock.now());
    let due = tokio::task::spawn_blocking(move || st.due_delivery_checks(now, 64)).await??;
    for (key, m) in due {
        let senders = senders_of(store, cache, m.tenant).await?;
        let answer = match (senders.sms.as_ref(), m.gateway_id.as_deref()) {
            (Some(SmsRoute::Celcom(g)), Some(gid)) => Some(g.dlr(http, gid).await),
            _ => None,
        };
        let sent_at = m.attempts.iter().rev().find(|a| a.ok).map_or(m.created_at, |a| a.at);
        let (st, now) = (store.clone(), clock.now());
        tokio::task::spawn_blocking(move || -> Result<(), crate::store::StoreError> {
            let gid = m.gateway_id.clone().unwrap_or_default();
            match answer {
                Some(Ok(Delivery::Delivered)) => {
                    st.message_delivery(m.tenant, &m.gateway, &gid, Ok(()), now, Some(key))?;
                }
                Some(Ok(Delivery::Failed(why))) => {
                    st.message_delivery(m.tenant, &m.gateway, &gid, Err(why), now, Some(key))?;
                }
                Some(Ok(Delivery::Pending)) | Some(Err(_)) | None => st.delivery_check_later(key, sent_at, now)?,
            }
            Ok(())
        })
        .await??;
    }
    Ok(())
}

/// Claim, send and record until nothing is due (or stopped).
async fn send_due(
    store: &Arc<Store>,
    clock: &Clock,
    http: &reqwest::Client,
    at: &Arc<Sms>,
    stop: &CancellationToken,
    senders: &mut HashMap<TenantId, Arc<Senders>>,
) -> anyhow::Result<()> {
    loop {
        let (st, now) = (store.clone(), clock.now());
        let claimed = tokio::task::spawn_blocking(move || -> Result<(usize, Vec<_>), crate::store::StoreError> {
            let due = st.due_messages(now, BATCH)?;
            let n = due.len();
            Ok((n, st.claim_messages(&due, now)?))
        })
        .await??;
        let (due, claimed) = claimed;
        if due == 0 {
            return Ok(());
        }
        let mut set: JoinSet<Finished> = JoinSet::new();
        let mut results = Vec::new();
        for m in claimed {
            if stop.is_cancelled() {
                break;
            }
            let senders = match senders_of(store, senders, m.tenant).await {
                Ok(s) => s,
                Err(e) => {
                    results.push((m.tenant, m.id, "", Err(e.to_string())));
                    continue;
                }
            };
            let files = if m.attach.is_some() {
                let (st, m2) = (store.clone(), m.clone());
                tokio::task::spawn_blocking(move || attachment(&st, &m2)).await?.unwrap_or_default()
            } else {
                Vec::new()
            };
            let (http, at) = (http.clone(), at.clone());
            while set.len() >= IN_FLIGHT {
                if let Some(r) = set.join_next().await {
                    results.push(r?);
                }
            }
            set.spawn(async move {
                let (gw, r) = senders.send(&http, &at, m.channel, &m.to, &m.subject, &m.text, &files).await;
                (m.tenant, m.id, gw, r.map_err(|e| e.to_string()))
            });
        }
        while let Some(r) = set.join_next().await {
            results.push(r?);
        }
        let (st, now) = (store.clone(), clock.now());
        tokio::task::spawn_blocking(move || -> Result<(), crate::store::StoreError> {
            for id in st.finish_messages(results, now)? {
                tracing::warn!(message = id, "message failed for good");
            }
            Ok(())
        })
        .await??;
        if stop.is_cancelled() {
            return Ok(());
        }
    }
}
