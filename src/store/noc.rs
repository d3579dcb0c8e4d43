//! The NOC in the store: routers' SNMP settings (community and keys
//! sealed), their health as the last polls saw it, up/down transitions
//! (audited, so webhooks and the operator's alerts follow them), and the
//! time series.
//!
//! Time series are fixed-size rings, so their size is bounded whatever the
//! run time: per (router, metric) one-minute averages for 48 hours,
//! one-hour averages for 90 days and one-day averages for 5 years. Each
//! resolution is cut in chunks (60 minutes, 24 hours, 30 days) stored as
//! one row each; a chunk's row is reused when the ring comes round, and a
//! row whose start is not the wanted chunk's reads as empty.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::tables::*;
use super::{Purpose, Store, StoreError, audit, get, record, tenant_rows};
use crate::model::*;
use crate::snmp::alerts;

/// (seconds per bucket, buckets per chunk, chunks in the ring).
pub const RESOLUTIONS: [(i64, u32, u32); 3] = [(60, 60, 48), (3600, 24, 90), (86_400, 30, 61)];

/// Metric ids: router-wide ones, then two per interface index, then one
/// per SFP (receive power) and one per PoE port (power) in ranges of their
/// own far above (an interface's would need an ifIndex past 1.5 billion to
/// reach them; RouterOS's grow with every dynamic interface).
pub const CPU: u32 = 1;
pub const MEM: u32 = 2;
pub const TEMP: u32 = 3;
pub const SESSIONS: u32 = 4;

pub fn iface_in(index: u32) -> u32 {
    1000 + index.saturating_mul(2)
}

pub fn iface_out(index: u32) -> u32 {
    1001 + index.saturating_mul(2)
}

/// An SFP's receive power, dBm, by mtxrOpticalIndex.
pub fn optic_rx(index: u32) -> u32 {
    3_000_000_000 + index.min(499_999_999)
}

/// A PoE-out port's power, W, by ifIndex.
pub fn poe_power(index: u32) -> u32 {
    3_500_000_000 + index.min(499_999_999)
}

/// One chunk of one ring: averages and how many samples made them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// The first bucket's start.
    pub start: i64,
    pub avg: Vec<f32>,
    pub n: Vec<u16>,
}

/// One poll's values: (router, time, (metric, value)s).
pub type PollValues = (Id, UnixTime, Vec<(u32, f64)>);

/// A point of a series: bucket start and average.
pub type Point = (i64, f64);

fn add(
    tx: &WriteTransaction,
    tenant: TenantId,
    nas: Id,
    metric: u32,
    at: UnixTime,
    value: f64,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(SERIES)?;
    for (r, (secs, per, chunks)) in RESOLUTIONS.iter().copied().enumerate() {
        let bucket = at.div_euclid(secs);
        let chunk_no = bucket.div_euclid(i64::from(per));
        let start = chunk_no * i64::from(per) * secs;
        let slot = (chunk_no.rem_euclid(i64::from(chunks))) as u32;
        let key = (tenant, nas, metric, r as u8, slot);
        let mut c: Chunk = get(&table, key)?.filter(|c: &Chunk| c.start == start).unwrap_or_else(|| Chunk {
            start,
            avg: vec![0.0; per as usize],
            n: vec![0; per as usize],
        });
        let i = bucket.rem_euclid(i64::from(per)) as usize;
        let n = c.n[i].saturating_add(1);
        c.avg[i] += ((value as f32) - c.avg[i]) / f32::from(n);
        c.n[i] = n;
        table.insert(key, encode(&c).as_slice())?;
    }
    Ok(())
}

/// What one successful poll adds: the health to keep and the values.
pub struct Polled {
    pub health: RouterHealth,
    pub values: Vec<(u32, f64)>,
}

impl Store {
    pub fn router_snmp(&self, tenant: TenantId, nas: Id) -> Result<Option<RouterSnmp>, StoreError> {
        get(&self.read()?.open_table(ROUTER_SNMP)?, (tenant, nas))
    }

    /// Every router with SNMP settings, all tenants (the poller's list).
    pub fn all_router_snmp(&self) -> Result<Vec<RouterSnmp>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(ROUTER_SNMP)?.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn seal_snmp_secret(&self, plain: &str) -> Sealed {
        self.secrets.seal(Purpose::SnmpSecret, plain.as_bytes())
    }

    pub fn open_snmp_secret(&self, sealed: &Sealed) -> Result<String, StoreError> {
        let bytes = self.secrets.open(Purpose::SnmpSecret, sealed)?;
        String::from_utf8(bytes).map_err(|_| StoreError::Invalid("stored SNMP secret is not text".into()))
    }

    /// Store (Some) or remove (None) a router's SNMP settings, audited
    /// without their secrets.
    pub fn set_router_snmp(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        nas: Id,
        s: Option<&RouterSnmp>,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        if tx.open_table(NAS)?.get((tenant, nas))?.is_none() {
            return Err(StoreError::NotFound(format!("router {nas}")));
        }
        let shown = s.map(|s| {
            serde_json::json!({"host": s.host, "port": s.port, "version": format!("{:?}", s.version), "user": s.user, "auth": s.auth})
                .to_string()
        });
        match s {
            Some(s) => {
                tx.open_table(ROUTER_SNMP)?.insert((tenant, nas), encode(s).as_slice())?;
            }
            None => {
                tx.open_table(ROUTER_HEALTH)?.remove((tenant, nas))?;
                tx.open_table(ROUTER_SNMP)?.remove((tenant, nas))?;
            }
        }
        audit(&tx, tenant, &record(now, actor, "nas.snmp", format!("nas/{nas}"), None, shown))?;
        self.commit(tx)
    }

    pub fn router_health(&self, tenant: TenantId) -> Result<Vec<(Id, RouterHealth)>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(ROUTER_HEALTH)?.range((tenant, 0)..=(tenant, u64::MAX))? {
            let (k, v) = row?;
            out.push((k.value().1, decode(v.value())?));
        }
        Ok(out)
    }

    /// Online sessions per router of a tenant (lango's own count).
    pub fn sessions_per_nas(&self, tenant: TenantId) -> Result<std::collections::BTreeMap<Id, usize>, StoreError> {
        let tx = self.read()?;
        let mut out = std::collections::BTreeMap::new();
        for row in tx.open_table(SESSIONS_ACTIVE)?.range((tenant, 0, "")..(tenant + 1, 0, ""))? {
            *out.entry(row?.0.value().1).or_insert(0) += 1;
        }
        Ok(out)
    }

    /// Record a poll: `Ok` with what it read, or `Err` with why it failed.
    /// The second failure in a row reports the router down (an audit
    /// record `nas.down` naming the customers online on it); the first
    /// success after that reports it back (`nas.up`).
    pub fn record_poll(
        &self,
        tenant: TenantId,
        nas: Id,
        now: UnixTime,
        result: Result<Polled, String>,
        limits: alerts::Limits,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        let Some(router) = get::<_, Nas>(&tx.open_table(NAS)?, (tenant, nas))? else { return Ok(()) };
        let before: RouterHealth = get(&tx.open_table(ROUTER_HEALTH)?, (tenant, nas))?.unwrap_or_default();
        // Sessions online on the router in lango's table, and the PPP
        // ones among them (to compare with the router's own count).
        let (online, lango_ppp) = {
            let active = tx.open_table(SESSIONS_ACTIVE)?;
            let services = tx.open_table(SERVICES)?;
            let (mut all, mut ppp) = (0usize, 0u32);
            for row in active.range((tenant, nas, "")..(tenant, nas + 1, ""))? {
                all += 1;
                let s: Session = super::codec::decode(row?.1.value())?;
                if let Some(id) = s.service
                    && get::<_, Service>(&services, (tenant, id))?.is_some_and(|s| s.access == AccessType::Pppoe)
                {
                    ppp += 1;
                }
            }
            (all, ppp)
        };
        let quiet = before.maintenance_until.is_some_and(|u| now < u);
        let health = match result {
            Ok(p) => {
                for (metric, value) in &p.values {
                    add(&tx, tenant, nas, *metric, now, *value)?;
                }
                add(&tx, tenant, nas, SESSIONS, now, online as f64)?;
                if let Some(since) = before.down_since.filter(|_| before.down_announced) {
                    let words = format!("{} answers again after {} s", router.name, now - since);
                    audit(&tx, tenant, &record(now, "snmp", "nas.up", format!("nas/{nas}"), None, Some(words)))?;
                }
                let mut alerts = before.alerts.clone();
                let ifaces: Vec<(u32, String, bool)> =
                    p.health.ifaces.iter().map(|f| (f.index, f.name.clone(), f.up)).collect();
                let was: Vec<(u32, bool)> = before.ifaces.iter().map(|f| (f.index, f.up)).collect();
                let mut changes =
                    alerts::evaluate(&mut alerts, limits, p.health.cpu, p.health.hottest(), &ifaces, &was);
                changes.extend(alerts::sessions(&mut alerts, now, online as u32, lango_ppp, p.health.ppp_sessions));
                changes.extend(alerts::ports(&mut alerts, limits.sfp_rx_dbm, &p.health.optics, &p.health.poe));
                for t in changes.into_iter().filter(|_| !quiet) {
                    let (action, words) = match t {
                        alerts::Transition::Opened(w) => ("nas.alert", w),
                        alerts::Transition::Resolved(w) => ("nas.alert_resolved", w),
                    };
                    let text = format!("Router {}: {words} ({online} customers online)", router.name);
                    audit(&tx, tenant, &record(now, "snmp", action, format!("nas/{nas}"), None, Some(text)))?;
                }
                let acked = before.acked.clone().filter(|_| !alerts.open().is_empty());
                RouterHealth {
                    polled_at: now,
                    ok_at: Some(now),
                    error: None,
                    failures: 0,
                    down_since: None,
                    alerts,
                    maintenance_until: before.maintenance_until.filter(|u| now < *u),
                    down_announced: false,
                    acked,
                    ..p.health
                }
            }
            Err(e) => {
                let failures = before.failures + 1;
                let mut h = RouterHealth { polled_at: now, error: Some(e), failures, ..before.clone() };
                if failures >= 2 && before.down_since.is_none() {
                    h.down_since = Some(now);
                    h.down_announced = !quiet;
                    if !quiet {
                        let words = format!("Router {} down: {online} customers online on it", router.name);
                        audit(&tx, tenant, &record(now, "snmp", "nas.down", format!("nas/{nas}"), None, Some(words)))?;
                    }
                }
                h.maintenance_until = before.maintenance_until.filter(|u| now < *u);
                h
            }
        };
        tx.open_table(ROUTER_HEALTH)?.insert((tenant, nas), encode(&health).as_slice())?;
        self.commit(tx)
    }

    /// A series between `from` and `to` at the finest resolution that
    /// still covers `from` (1 min for 48 h, 1 h for 90 days, else 1 day).
    pub fn series(
        &self,
        tenant: TenantId,
        nas: Id,
        metric: u32,
        from: UnixTime,
        to: UnixTime,
        now: UnixTime,
    ) -> Result<Vec<Point>, StoreError> {
        let r = RESOLUTIONS
            .iter()
            .position(|(secs, per, chunks)| now - from <= secs * i64::from(*per) * (i64::from(*chunks) - 1))
            .unwrap_or(RESOLUTIONS.len() - 1);
        let (secs, per, chunks) = RESOLUTIONS[r];
        let tx = self.read()?;
        let table = tx.open_table(SERIES)?;
        let mut out = Vec::new();
        let span = secs * i64::from(per);
        let mut chunk_no = from.div_euclid(span);
        while chunk_no * span <= to {
            let slot = chunk_no.rem_euclid(i64::from(chunks)) as u32;
            if let Some(c) = get::<_, Chunk>(&table, (tenant, nas, metric, r as u8, slot))?
                && c.start == chunk_no * span
            {
                for (i, (avg, n)) in c.avg.iter().zip(&c.n).enumerate() {
                    let at = c.start + i as i64 * secs;
                    if *n > 0 && at >= from && at <= to {
                        out.push((at, f64::from(*avg)));
                    }
                }
            }
            chunk_no += 1;
        }
        Ok(out)
    }

    /// Add many routers' values in one transaction: (router, time,
    /// values). What polls write, batched (the series benchmark).
    pub fn add_series(&self, tenant: TenantId, polls: &[PollValues]) -> Result<(), StoreError> {
        let tx = self.write()?;
        for (nas, at, values) in polls {
            for (metric, value) in values {
                add(&tx, tenant, *nas, *metric, *at, *value)?;
            }
        }
        self.commit(tx)
    }

    /// Planned work on a router until `until` (None ends it): nothing
    /// about it is announced meanwhile.
    pub fn set_maintenance(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        nas: Id,
        until: Option<UnixTime>,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        if tx.open_table(ROUTER_SNMP)?.get((tenant, nas))?.is_none() {
            return Err(StoreError::Invalid(format!("router {nas} is not polled over SNMP")));
        }
        let mut h: RouterHealth = get(&tx.open_table(ROUTER_HEALTH)?, (tenant, nas))?.unwrap_or_default();
        h.maintenance_until = until;
        tx.open_table(ROUTER_HEALTH)?.insert((tenant, nas), encode(&h).as_slice())?;
        let after = until.map(|u| format!("until {u}")).unwrap_or_else(|| "ended".into());
        audit(&tx, tenant, &record(now, actor, "nas.maintenance", format!("nas/{nas}"), None, Some(after)))?;
        self.commit(tx)
    }

    /// An admin takes the current outage or alerts in hand.
    pub fn ack_router(&self, actor: &str, now: UnixTime, tenant: TenantId, nas: Id) -> Result<(), StoreError> {
        let tx = self.write()?;
        let Some(mut h) = get::<_, RouterHealth>(&tx.open_table(ROUTER_HEALTH)?, (tenant, nas))? else {
            return Err(StoreError::Invalid(format!("router {nas} has nothing to acknowledge")));
        };
        if !h.troubled() {
            return Err(StoreError::Invalid(format!("router {nas} has nothing to acknowledge")));
        }
        let who = super::admin::actor_name(actor).to_string();
        h.acked = Some(who.clone());
        tx.open_table(ROUTER_HEALTH)?.insert((tenant, nas), encode(&h).as_slice())?;
        audit(&tx, tenant, &record(now, actor, "nas.ack", format!("nas/{nas}"), None, Some(who)))?;
        self.commit(tx)
    }

    /// How many customers a tenant has (keys only, nothing decoded).
    pub fn customer_count(&self, tenant: TenantId) -> Result<usize, StoreError> {
        let tx = self.read()?;
        Ok(tx.open_table(CUSTOMERS)?.range((tenant, 0)..=(tenant, u64::MAX))?.count())
    }

    /// The sum of a tenant's wallet balances (one read of the balances).
    pub fn wallet_total(&self, tenant: TenantId) -> Result<i64, StoreError> {
        let tx = self.read()?;
        let mut sum = 0i64;
        for row in tx.open_table(BALANCES)?.range((tenant, 0)..=(tenant, u64::MAX))? {
            sum += row?.1.value();
        }
        Ok(sum)
    }

    /// The SNMP settings of a tenant's routers.
    pub fn tenant_router_snmp(&self, tenant: TenantId) -> Result<Vec<RouterSnmp>, StoreError> {
        tenant_rows(&self.read()?.open_table(ROUTER_SNMP)?, tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableTableMetadata;

    #[test]
    fn rings_keep_their_size_and_average() {
        let s = Store::in_memory().unwrap();
        let t = s
            .create_tenant(
                "t",
                0,
                Tenant {
                    id: 0,
                    slug: "t".into(),
                    name: "T".into(),
                    timezone: "UTC".into(),
                    currency: "KES".into(),
                    captive_redirect: false,
                    captive_rate_limit: String::new(),
                    captive_session_timeout: 0,
                },
            )
            .unwrap();
        let base = 1_767_225_600; // 2026-01-01 00:00 UTC
        // A year of one value a minute, written a day at a time.
        for day in 0..365 {
            let tx = s.write().unwrap();
            for m in (0..1440).step_by(15) {
                let at = base + day * 86_400 + m * 60;
                add(&tx, t.id, 1, CPU, at, (m % 100) as f64).unwrap();
            }
            s.commit(tx).unwrap();
        }
        let tx = s.read().unwrap();
        let rows = tx.open_table(SERIES).unwrap().len().unwrap();
        // Full 1-minute and 1-hour rings; a year fills 13 of the 61 30-day
        // chunks (the most a metric ever takes is 48 + 90 + 61 rows).
        assert_eq!(rows, 48 + 90 + 13, "one row per chunk of each ring");
        drop(tx);
        let now = base + 364 * 86_400 + 1435 * 60;
        let last_hour = s.series(t.id, 1, CPU, now - 3600, now, now).unwrap();
        assert_eq!(last_hour.len(), 4, "every 15 minutes: {last_hour:?}");
        let month = s.series(t.id, 1, CPU, now - 30 * 86_400, now, now).unwrap();
        assert!(month.len() >= 24 * 29 && month.iter().all(|(_, v)| (0.0..100.0).contains(v)), "{}", month.len());
        // An hour's average of 0, 15, 30, 45 (minute % 100 at :00 … :45).
        assert!(month.iter().any(|(_, v)| (*v - 22.5).abs() < 0.01), "{month:?}");
        let year = s.series(t.id, 1, CPU, now - 364 * 86_400, now, now).unwrap();
        assert!(year.len() >= 360, "{}", year.len());
    }
}
