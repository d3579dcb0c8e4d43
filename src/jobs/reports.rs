//! The reports' snapshot: every five minutes (and at start), for each
//! tenant, the services active and paid up per plan and the day's peak of
//! online sessions go into the maintained aggregates. Everything else the
//! reports show is counted by the write paths themselves.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::store::Store;

pub const EVERY: Duration = Duration::from_secs(300);

pub async fn run(store: Arc<Store>, clock: Clock, stop: CancellationToken) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let (st, now) = (store.clone(), clock.now());
        let done = tokio::task::spawn_blocking(move || -> Result<(), crate::store::StoreError> {
            for t in st.tenants()? {
                st.snapshot_reports(t.id, now)?;
            }
            Ok(())
        })
        .await;
        if let Ok(Err(e)) = done {
            tracing::warn!(error = %e, "reports snapshot failed");
        }
    }
}
