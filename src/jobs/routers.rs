//! The RouterOS API round, every `jobs.router_poll_secs`, over routers
//! with API credentials: their DHCP leases and hotspot hosts become what
//! the portal knows of devices (as if the lease hook had sent them), and
//! their static-IP customers get queues and captive address-list entries.
//! A router that fails is logged and tried again next round.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::model::*;
use crate::routeros::statics::StaticWant;
use crate::routeros::{Pool, Router};
use crate::store::Store;
use crate::web::portal::rules::{self, Standing};

const API_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(store: Arc<Store>, clock: Clock, routers: Arc<Pool>, every: u64, stop: CancellationToken) {
    if every == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => round(&store, &clock, &routers).await,
        }
    }
}

async fn round(store: &Arc<Store>, clock: &Clock, routers: &Pool) {
    let st = store.clone();
    let found = tokio::task::spawn_blocking(move || -> Result<Vec<_>, crate::store::StoreError> {
        let mut out = Vec::new();
        for nas in st.all_nas()?.into_iter().filter(|n| !n.disabled) {
            if let Some(ep) = crate::routeros::endpoint(&st, &nas, API_TIMEOUT)? {
                out.push((nas, ep));
            }
        }
        Ok(out)
    })
    .await;
    let targets = match found {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => return tracing::error!(error = %e, "router round: reading routers failed"),
        Err(e) => return tracing::error!(error = %e, "router round: task failed"),
    };
    for (nas, ep) in targets {
        let key = (nas.tenant, nas.id);
        let router = match routers.router(key, &ep).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(router = %ep.label, error = %e, "router round: not reachable");
                continue;
            }
        };
        if let Err(e) = poll(store, clock, &nas, &router).await {
            tracing::warn!(router = %ep.label, error = %e, "router round failed");
            routers.drop_connection(key);
        }
    }
}

async fn poll(store: &Arc<Store>, clock: &Clock, nas: &Nas, router: &Router) -> anyhow::Result<()> {
    let now = clock.now();
    let mut seen: Vec<(Ipv4Addr, Lease)> = Vec::new();
    for l in router.leases().await?.into_iter().filter(|l| l.status == "bound") {
        if let (Ok(ip), Some(mac)) = (l.address.parse::<Ipv4Addr>(), Mac::parse(&l.mac)) {
            let host_name = Some(l.host_name).filter(|h| !h.is_empty());
            seen.push((ip, Lease { mac, host_name, server: Some(l.server), at: now }));
        }
    }
    for h in router.hosts().await? {
        if let (Ok(ip), Some(mac)) = (h.address.parse::<Ipv4Addr>(), Mac::parse(&h.mac))
            && !seen.iter().any(|(a, _)| *a == ip)
        {
            seen.push((ip, Lease { mac, host_name: None, server: Some(format!("hotspot {}", h.server)), at: now }));
        }
    }
    let (st, tenant, id) = (store.clone(), nas.tenant, nas.id);
    let statics = tokio::task::spawn_blocking(move || {
        st.sync_leases(tenant, id, &seen)?;
        st.static_services(tenant)
    })
    .await??;
    let want = static_want(&statics, now);
    let done = router.sync_statics(&want).await?;
    if done != Default::default() {
        tracing::info!(nas = %nas.name, added = done.added, removed = done.removed, queues = done.queues_changed, "static customers synced");
    }
    Ok(())
}

/// What the router should hold for these static customers now: a queue
/// each at its plan's speed, and the captive list of its state.
pub fn static_want(statics: &[(Service, Plan, Usage)], now: UnixTime) -> StaticWant {
    let mut want = StaticWant::default();
    for (s, plan, usage) in statics {
        let Some(ip) = s.static_ip.map(IpAddr::V4) else { continue };
        if s.status == ServiceStatus::Disabled && !s.billing_hold {
            continue;
        }
        let list = match rules::standing(s, plan, usage, now) {
            Standing::Expired => Some("lango-expired"),
            Standing::Suspended => Some("lango-suspended"),
            Standing::QuotaUsed => Some("lango-quota"),
            Standing::Active | Standing::NotStarted => None,
        };
        if let Some(list) = list {
            want.entries.insert((list.to_string(), ip, s.username.clone()));
        }
        if let Some(rate) = &plan.rate {
            let limit = rate.to_string().split(' ').next().unwrap_or_default().to_string();
            want.queues.insert((format!("lango-{}", s.username), ip, limit));
        }
    }
    want
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Offer, RateLimit, Sealed};

    fn plan() -> Plan {
        Plan {
            id: 1,
            tenant: 1,
            name: "Static 20M".into(),
            validity: crate::billing::Period { unit: crate::billing::PeriodUnit::Day, count: 30 },
            anchor: crate::billing::Anchor::Rolling,
            grace_secs: 3600,
            mode: crate::billing::Mode::Prepaid,
            price: 300_000,
            quota_bytes: Some(1000),
            rate: Some(RateLimit::parse("20M/20M 40M/40M 16M/16M 10/10").unwrap()),
            session_timeout: None,
            idle_timeout: None,
            interim_interval: 300,
            simultaneous_use: 1,
            kick_oldest: false,
            fup: None,
            access_window: None,
            address_pool: None,
            ipv6_pool: None,
            address_list: None,
            routing_mark: None,
            filter_id: None,
            group: None,
            disabled: false,
            offer: Offer::default(),
        }
    }

    fn service(name: &str, ip: [u8; 4], expires: i64, status: ServiceStatus) -> Service {
        Service {
            id: 7,
            tenant: 1,
            customer: 1,
            plan: 1,
            access: AccessType::Static,
            username: name.into(),
            password: Sealed::default(),
            mac: None,
            static_ip: Some(Ipv4Addr::from(ip)),
            framed_routes: vec![],
            ipv6_prefix: None,
            delegated_ipv6_prefix: None,
            status,
            expires_at: Some(expires),
            activate_on_first_use: false,
            created_at: 0,
            auto_renew: false,
            period_start: None,
            run_start: None,
            billing_hold: false,
            voucher: None,
        }
    }

    #[test]
    fn static_customers_get_a_queue_and_the_list_of_their_state() {
        let now = 10_000;
        let used = |b: u64| Usage { bytes_in: b, ..Usage::default() };
        let rows = [
            (service("ok", [10, 0, 0, 1], now + 1, ServiceStatus::Active), plan(), used(0)),
            (service("grace", [10, 0, 0, 2], now - 60, ServiceStatus::Active), plan(), used(0)),
            (service("late", [10, 0, 0, 3], now - 3600, ServiceStatus::Active), plan(), used(0)),
            (service("full", [10, 0, 0, 4], now + 1, ServiceStatus::Active), plan(), used(1000)),
            (service("held", [10, 0, 0, 5], now + 1, ServiceStatus::Suspended), plan(), used(0)),
            (service("off", [10, 0, 0, 6], now + 1, ServiceStatus::Disabled), plan(), used(0)),
        ];
        let want = static_want(&rows, now);
        let lists: Vec<(&str, &str)> = want.entries.iter().map(|(l, _, u)| (l.as_str(), u.as_str())).collect();
        assert_eq!(lists, vec![("lango-expired", "late"), ("lango-quota", "full"), ("lango-suspended", "held")]);
        assert_eq!(want.queues.len(), 5, "every enabled static customer has a queue: {:?}", want.queues);
        assert!(want.queues.iter().all(|(_, _, l)| l == "20M/20M"));
        assert!(!want.queues.iter().any(|(n, _, _)| n == "lango-off"), "disabled: nothing");
    }
}
