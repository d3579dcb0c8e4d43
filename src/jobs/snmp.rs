//! The SNMP poller: every `snmp.interval_secs`, each router with SNMP
//! settings is polled (at most `snmp.concurrency` at once, each request
//! timed out and retried per `[snmp]`); rates come from the previous
//! sample kept here in memory (none across a reboot of the router or of
//! lango), and the store records health, series and down/up transitions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::SnmpConfig;
use crate::model::{Id, TenantId, UnixTime};
use crate::snmp::Sample;
use crate::store::Store;

type Previous = HashMap<(TenantId, Id), (Sample, UnixTime)>;

pub async fn run(store: Arc<Store>, clock: Clock, cfg: SnmpConfig, stop: CancellationToken) {
    if cfg.interval_secs == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(cfg.interval_secs));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut prev = Previous::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {
                if let Err(e) = round(&store, &clock, &cfg, &mut prev).await {
                    tracing::warn!(error = %e, "SNMP round failed");
                }
            }
        }
    }
}

/// One round over every router with SNMP settings.
pub async fn round(store: &Arc<Store>, clock: &Clock, cfg: &SnmpConfig, prev: &mut Previous) -> anyhow::Result<()> {
    let st = store.clone();
    let routers = tokio::task::spawn_blocking(move || st.all_router_snmp()).await??;
    let gate = Arc::new(Semaphore::new(cfg.concurrency));
    let mut set = tokio::task::JoinSet::new();
    let timeout = Duration::from_millis(cfg.timeout_ms);
    for r in routers {
        let (store, gate, retries) = (store.clone(), gate.clone(), cfg.retries);
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let result = match crate::ops::noc::target(&store, &r, timeout, retries).await {
                Ok(t) => crate::snmp::poll(&t).await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            (r.tenant, r.nas, result)
        });
    }
    while let Some(done) = set.join_next().await {
        let (tenant, nas, result) = done?;
        let now = clock.now();
        let outcome = match result {
            Ok(sample) => {
                let before = prev.get(&(tenant, nas)).map(|(s, at)| (s, (now - at) as f64));
                let polled = crate::ops::noc::polled(&sample, before);
                prev.insert((tenant, nas), (sample, now));
                Ok(polled)
            }
            Err(e) => Err(e),
        };
        let st = store.clone();
        let limits = crate::snmp::alerts::Limits {
            cpu_percent: cfg.cpu_alert_percent,
            temperature_c: f64::from(cfg.temperature_alert_c),
            sfp_rx_dbm: cfg.sfp_rx_alert_dbm,
        };
        tokio::task::spawn_blocking(move || st.record_poll(tenant, nas, now, outcome, limits)).await??;
    }
    Ok(())
}
