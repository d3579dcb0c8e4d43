//! What the CLI (`lango sync`) and the admin pages (Sites) show of the
//! change stream and what they can do to it, with the same checks.

use serde::Serialize;
use std::sync::atomic::Ordering;

use crate::model::UnixTime;
use crate::store::Store;
use crate::store::sync::Mode;
use crate::sync::STATS;

/// One origin whose changes this node applies.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Peer {
    /// `<node>/<instance>`.
    pub origin: String,
    pub node: String,
    pub seq: u64,
    pub records: u64,
    pub duplicates: u64,
    /// When the last change was applied here and when its origin sent it.
    pub applied_at: UnixTime,
    pub made_at: UnixTime,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Status {
    pub role: &'static str,
    /// Changes waiting for JetStream's acknowledgement (kept while the
    /// link is down).
    pub backlog: u64,
    /// The sequence of this node's newest change.
    pub own_seq: u64,
    pub connected: bool,
    pub published: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub gaps: u64,
    pub errors: u64,
    pub last_error: String,
    /// Replication lag of the last (up to 10,000) changes applied here:
    /// from their capture at the origin to their commit here, ms.
    pub lag_p50_ms: u32,
    pub lag_p99_ms: u32,
    pub lag_samples: usize,
    pub peers: Vec<Peer>,
}

pub fn status(store: &Store) -> anyhow::Result<Status> {
    let mode = store.sync_mode()?;
    let peers = store
        .sync_marks()?
        .into_iter()
        .map(|(origin, m)| Peer {
            node: origin.split('/').next().unwrap_or_default().to_string(),
            origin,
            seq: m.seq,
            records: m.records,
            duplicates: m.duplicates,
            applied_at: m.applied_at,
            made_at: m.made_at,
        })
        .collect();
    let (lag_p50_ms, lag_p99_ms, lag_samples) = STATS.lag();
    Ok(Status {
        role: mode.as_str(),
        backlog: store.sync_backlog()?.count,
        own_seq: store.sync_own_seq()?,
        connected: STATS.connected.load(Ordering::Relaxed),
        published: STATS.published.load(Ordering::Relaxed),
        applied: STATS.applied.load(Ordering::Relaxed),
        duplicates: STATS.duplicates.load(Ordering::Relaxed),
        gaps: STATS.gaps.load(Ordering::Relaxed),
        errors: STATS.errors.load(Ordering::Relaxed),
        last_error: STATS.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        lag_p50_ms,
        lag_p99_ms,
        lag_samples,
        peers,
    })
}

/// Send every hub-owned record to the sites again (only a hub has them to
/// send). Returns how many were queued.
pub fn resend(store: &Store, actor: &str, now: UnixTime) -> anyhow::Result<usize> {
    anyhow::ensure!(
        store.sync_mode()? == Mode::Hub,
        "only a hub sends its records to sites (this lango is {})",
        store.sync_mode()?.as_str()
    );
    Ok(store.sync_resend(actor, now)?)
}
