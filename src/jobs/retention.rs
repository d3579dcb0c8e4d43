//! The retention purge: every hour (and shortly after start), each
//! tenant's closed sessions, finished messages and audit records older
//! than its retention periods are removed (`Store::purge`, in bounded
//! batches). "Now" is the injected clock's, so tests move it.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::store::Store;

pub const EVERY: Duration = Duration::from_secs(3_600);

/// One pass over every tenant; the rows removed.
pub fn pass(store: &Store, clock: &Clock) -> Result<usize, crate::store::StoreError> {
    let mut removed = 0;
    for t in store.tenants()? {
        let p = store.purge(t.id, clock.now())?;
        if p != Default::default() {
            tracing::info!(
                tenant = t.id,
                sessions = p.sessions,
                messages = p.messages,
                audit = p.audit,
                "retention purge"
            );
        }
        removed += p.sessions + p.messages + p.audit;
    }
    Ok(removed)
}

pub async fn run(store: Arc<Store>, clock: Clock, stop: CancellationToken) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let (st, c) = (store.clone(), clock.clone());
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || pass(&st, &c)).await {
            tracing::warn!(error = %e, "retention purge failed");
        }
    }
}
