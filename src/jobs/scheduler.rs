//! The scheduler: every `jobs.tick_secs` it runs one round over the store
//! (auto-renew, expiry disconnects, stale sessions, unused vouchers,
//! postpaid invoices and overdue suspension) and the M-Pesa reconciler.
//! Time comes from the injected clock, so tests can jump days. A round
//! reads the services that are due (`store/due.rs`); once a day the work
//! list is rebuilt from every service, in case a write ever missed it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::config::JobsConfig;
use crate::payments::engine::Engine;
use crate::radius::Radius;
use crate::store::accounting::AcctOutcome;

pub async fn run(radius: Arc<Radius>, payments: Arc<Engine>, cfg: JobsConfig, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(cfg.tick_secs));
    let mut already = HashSet::new();
    let mut rebuilt = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let r2 = radius.clone();
        let margin = cfg.stale_margin_secs as i64;
        let mut set = std::mem::take(&mut already);
        let result = tokio::task::spawn_blocking(move || {
            let round = r2.store.scheduler_round(r2.clock.now(), margin, &mut set);
            (round, set)
        })
        .await;
        match result {
            Ok((Ok(round), set)) => {
                already = set;
                for s in &round.stale_closed {
                    radius.online.apply(s.tenant, &AcctOutcome::Stopped { service: s.service });
                }
                if round != Default::default() {
                    tracing::info!(
                        renewed = round.renewed,
                        disconnects = round.disconnects,
                        stale_closed = round.stale_closed.len(),
                        vouchers_expired = round.vouchers_expired,
                        invoices = round.invoices,
                        suspended = round.suspended,
                        "scheduler round"
                    );
                }
            }
            Ok((Err(e), set)) => {
                already = set;
                tracing::error!(error = %e, "scheduler round failed");
            }
            Err(e) => tracing::error!(error = %e, "scheduler round panicked"),
        }
        if rebuilt.elapsed() >= Duration::from_secs(86_400) {
            rebuilt = std::time::Instant::now();
            let r2 = radius.clone();
            match tokio::task::spawn_blocking(move || r2.store.rebuild_due(r2.clock.now())).await {
                Ok(Ok(n)) => tracing::info!(services = n, "scheduler work list rebuilt"),
                Ok(Err(e)) => tracing::error!(error = %e, "scheduler work list rebuild failed"),
                Err(e) => tracing::error!(error = %e, "scheduler work list rebuild panicked"),
            }
        }
        match payments.reconcile(cfg.reconcile_after_secs as i64).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(settled = n, "M-Pesa reconciler settled pending payments"),
            Err(e) => tracing::error!(error = %e, "M-Pesa reconciler failed"),
        }
    }
}
