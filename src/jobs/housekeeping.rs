//! Periodic upkeep of the RADIUS server: reload the NAS directory when the
//! store changes, log a summary of dropped packets, move each router's
//! RADIUS counts into the reports every minute, and forget old stop marks.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::radius::Radius;

pub async fn run(r: Arc<Radius>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let mut last_dropped = 0u64;
    let mut rounds: u64 = 0;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        rounds += 1;
        let r2 = r.clone();
        let refreshed = tokio::task::spawn_blocking(move || r2.refresh_directory()).await;
        if let Ok(Err(e)) = refreshed {
            tracing::error!(error = %e, "NAS directory reload failed");
        }
        if rounds.is_multiple_of(5) {
            let dropped = r.counters.dropped_total();
            if dropped > last_dropped {
                let reasons: Vec<String> = r
                    .counters
                    .snapshot()
                    .into_iter()
                    .filter(|(n, _, v)| n.starts_with("dropped_") && *v > 0)
                    .map(|(n, _, v)| format!("{}={v}", &n[8..]))
                    .collect();
                tracing::warn!(new = dropped - last_dropped, totals = %reasons.join(" "), "RADIUS packets dropped (see /metrics)");
                last_dropped = dropped;
            }
        }
        if rounds.is_multiple_of(30) {
            flush_router_stats(&r).await;
        }
        if rounds.is_multiple_of(1800) {
            let r2 = r.clone();
            let cutoff = r.clock.now() - 86_400;
            let _ = tokio::task::spawn_blocking(move || r2.store.prune_stop_marks(cutoff)).await;
        }
    }
    flush_router_stats(&r).await;
}

/// Move each router's RADIUS counts since the last flush into the
/// reports' aggregates (on a store error they are lost: a minute's counts
/// of a report figure, never a request).
async fn flush_router_stats(r: &Arc<Radius>) {
    let now = r.clock.now();
    let rows: Vec<_> = r
        .directory()
        .entries()
        .iter()
        .filter_map(|e| {
            let counts = e.stats.take();
            let day = crate::store::reports::local_day(&e.zone, now);
            (counts.iter().any(|&n| n > 0)).then_some((e.tenant.id, e.nas.id, day, counts))
        })
        .collect();
    let store = r.store.clone();
    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.add_radius_stats(&rows)).await {
        tracing::warn!(error = %e, "router RADIUS counts not recorded");
    }
}
