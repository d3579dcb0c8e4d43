//! One poll of one agent: the objects read for a [`Sample`], one client per
//! call, GETs for scalars and bulk walks for table columns, one request at a
//! time (a router's SNMP agent is a low-priority process; lango does not
//! flood it). Each request is bounded by the target's timeout and retries,
//! and each walk by `client::MAX_ROWS`.
//!
//! Objects (all RFC-standard except the MikroTik ones, see `health.rs`):
//! SNMPv2-MIB sysUpTime, sysName; IF-MIB ifOperStatus, ifName (ifDescr
//! where missing), ifHighSpeed (ifSpeed where missing), ifHCInOctets /
//! ifHCOutOctets (ifInOctets / ifOutOctets where missing);
//! HOST-RESOURCES-MIB hrProcessorLoad and the hrStorageRam row of
//! hrStorageTable; MIKROTIK-MIB mtxrWlApClientCount (`.1.1.1.3.1.6`),
//! mtxrDHCPLeaseCount (`.1.1.6.1.0`), and mtxrOpticalTable and mtxrPOETable
//! (see `optics.rs`), each walked whole in one bulk walk, so an absent
//! table costs one request.

use std::collections::BTreeMap;

use async_snmp::{Oid, Value};

use super::client::{self, Conn, int, text};
use super::health::{self, GAUGE_ENTRY, Gauge, LEGACY_SCALARS, Legacy, MTXR_HEALTH};
use super::optics::{self, Cell, OPTICAL_ENTRY, POE_ENTRY, Raw};
use super::{Health, Iface, Sample, SnmpError, Target};

const SYS_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
const IF_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
const IFX_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
const HR_PROCESSOR_LOAD: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2];
const HR_STORAGE_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 2, 3, 1];
const HR_STORAGE_RAM: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 2, 1, 2];
const MTXR_WL_AP_CLIENT_COUNT: &[u32] = &[1, 3, 6, 1, 4, 1, 14988, 1, 1, 1, 3, 1, 6];
const MTXR_DHCP_LEASE_COUNT: &[u32] = &[1, 3, 6, 1, 4, 1, 14988, 1, 1, 6, 1, 0];

fn oid(base: &[u32], more: &[u32]) -> Oid {
    Oid::from_slice(&[base, more].concat())
}

/// Read one [`Sample`] from `t`.
pub async fn poll(t: &Target) -> Result<Sample, SnmpError> {
    let c = client::connect(t).await?;
    let scalars = c.get(&[oid(SYS_UPTIME, &[]), oid(SYS_NAME, &[]), oid(MTXR_DHCP_LEASE_COUNT, &[])]).await?;
    let uptime_ticks = scalars[0].as_ref().and_then(Value::as_u32).ok_or_else(|| SnmpError::Protocol {
        addr: c.addr(),
        detail: "no sysUpTime.0 (1.3.6.1.2.1.1.3.0) in the answer".into(),
    })?;
    let sys_name = scalars[1].as_ref().and_then(text).unwrap_or_default();
    let dhcp_leases = scalars[2].as_ref().and_then(Value::as_u32);
    let ifaces = ifaces(&c).await?;
    let cpu_load = cpu_load(&c).await?;
    let (mem_used, mem_total) = memory(&c).await?;
    let health = read_health(&c).await?;
    let clients = c.column(&oid(MTXR_WL_AP_CLIENT_COUNT, &[])).await?;
    let wireless_clients =
        (!clients.is_empty()).then(|| clients.iter().filter_map(|(_, v)| v.as_u32()).fold(0u32, u32::saturating_add));
    let optics = optics::optics(&cells(&c, OPTICAL_ENTRY).await?);
    let poe = optics::poe(&cells(&c, POE_ENTRY).await?);
    Ok(Sample {
        uptime_ticks,
        sys_name,
        ifaces,
        cpu_load,
        mem_used,
        mem_total,
        health,
        wireless_clients,
        dhcp_leases,
        optics,
        poe,
    })
}

/// One counter (Counter32, Counter64, Gauge32, TimeTicks or a non-negative
/// INTEGER) at `oid` (dotted, leading dot optional).
pub async fn get_counter(t: &Target, oid: &str) -> Result<u64, SnmpError> {
    let o = Oid::parse(oid).map_err(|e| SnmpError::Config { addr: t.addr, reason: e.to_string() })?;
    let c = client::connect(t).await?;
    let v = c.get(std::slice::from_ref(&o)).await?.pop().flatten();
    v.as_ref()
        .and_then(Value::as_u64)
        .ok_or_else(|| SnmpError::Protocol { addr: t.addr, detail: format!("no counter at {oid} (got {v:?})") })
}

/// One column as index → value.
async fn column(c: &Conn, entry: &[u32], col: u32) -> Result<BTreeMap<u32, Value>, SnmpError> {
    Ok(c.column(&oid(entry, &[col])).await?.into_iter().collect())
}

/// Every cell of a table indexed by one integer, in one bulk walk of its
/// entry: (column, index, text or number). Empty when the agent has no
/// such table.
async fn cells(c: &Conn, entry: &[u32]) -> Result<Vec<Cell>, SnmpError> {
    let walked = c.walk(&Oid::from_slice(entry)).await?;
    Ok(walked
        .into_iter()
        .filter_map(|(suffix, v)| {
            let [col, index] = suffix[..] else { return None };
            let raw = match v.as_bytes() {
                Some(_) => Raw::Text(text(&v)?),
                None => Raw::Int(int(&v)?),
            };
            Some((col, index, raw))
        })
        .collect())
}

async fn ifaces(c: &Conn) -> Result<Vec<Iface>, SnmpError> {
    let oper = column(c, IF_ENTRY, 8).await?;
    let mut names = column(c, IFX_ENTRY, 1).await?;
    let mut indexes: Vec<u32> = oper.keys().chain(names.keys()).copied().collect();
    indexes.sort_unstable();
    indexes.dedup();
    let missing = |m: &BTreeMap<u32, Value>| indexes.iter().any(|i| !m.contains_key(i));

    if missing(&names) {
        for (i, v) in column(c, IF_ENTRY, 2).await? {
            names.entry(i).or_insert(v);
        }
    }
    let high = column(c, IFX_ENTRY, 15).await?;
    let speed = if missing(&high) { column(c, IF_ENTRY, 5).await? } else { BTreeMap::new() };
    let hc_in = column(c, IFX_ENTRY, 6).await?;
    let hc_out = column(c, IFX_ENTRY, 10).await?;
    let (lo_in, lo_out) = if missing(&hc_in) || missing(&hc_out) {
        (column(c, IF_ENTRY, 10).await?, column(c, IF_ENTRY, 16).await?)
    } else {
        (BTreeMap::new(), BTreeMap::new())
    };

    let u64_at = |m: &BTreeMap<u32, Value>, i: u32| m.get(&i).and_then(Value::as_u64);
    Ok(indexes
        .iter()
        .map(|&i| {
            let hc = u64_at(&hc_in, i).zip(u64_at(&hc_out, i));
            let (in_octets, out_octets) = hc.or_else(|| u64_at(&lo_in, i).zip(u64_at(&lo_out, i))).unwrap_or((0, 0));
            Iface {
                index: i,
                name: names.get(&i).and_then(text).unwrap_or_default(),
                up: oper.get(&i).and_then(Value::as_i32) == Some(1),
                speed_mbps: u64_at(&high, i).or_else(|| u64_at(&speed, i).map(|bps| bps / 1_000_000)).unwrap_or(0),
                in_octets,
                out_octets,
                hc: hc.is_some(),
            }
        })
        .collect())
}

/// The mean hrProcessorLoad. (net-snmp serves it only once it has a
/// minute of history; RouterOS has one row per core.)
async fn cpu_load(c: &Conn) -> Result<Option<u8>, SnmpError> {
    let loads: Vec<i64> = c.column(&oid(HR_PROCESSOR_LOAD, &[])).await?.iter().filter_map(|(_, v)| int(v)).collect();
    Ok(mean_load(&loads))
}

/// The mean of per-processor loads (percent, clamped to 0..=100), rounded;
/// `None` without processors.
fn mean_load(loads: &[i64]) -> Option<u8> {
    if loads.is_empty() {
        return None;
    }
    let mean = loads.iter().map(|&l| l.clamp(0, 100)).sum::<i64>() as f64 / loads.len() as f64;
    Some(mean.round() as u8)
}

/// (used, total) bytes of the first hrStorageRam row.
async fn memory(c: &Conn) -> Result<(Option<u64>, Option<u64>), SnmpError> {
    let ram = Oid::from_slice(HR_STORAGE_RAM);
    let types = c.column(&oid(HR_STORAGE_ENTRY, &[2])).await?;
    let Some(i) = types.iter().find(|(_, v)| v.as_oid() == Some(&ram)).map(|(i, _)| *i) else {
        return Ok((None, None));
    };
    let v = c
        .get(&[oid(HR_STORAGE_ENTRY, &[4, i]), oid(HR_STORAGE_ENTRY, &[5, i]), oid(HR_STORAGE_ENTRY, &[6, i])])
        .await?;
    let n = |k: usize| v[k].as_ref().and_then(int).and_then(|n| u64::try_from(n).ok());
    let bytes = |k: usize| n(0).zip(n(k)).map(|(unit, count)| unit.saturating_mul(count));
    Ok((bytes(2), bytes(1)))
}

/// mtxrGaugeTable, else the legacy mtxrHl* scalars.
async fn read_health(c: &Conn) -> Result<Health, SnmpError> {
    let mut rows: BTreeMap<u32, Gauge> = BTreeMap::new();
    for (suffix, v) in c.walk(&Oid::from_slice(GAUGE_ENTRY)).await? {
        let [col, index] = suffix[..] else { continue };
        let row = rows.entry(index).or_insert_with(|| Gauge { index, ..Gauge::default() });
        match col {
            2 => row.name = text(&v).unwrap_or_default(),
            3 => row.value = int(&v).unwrap_or(0),
            4 => row.unit = int(&v).unwrap_or(0),
            _ => {}
        }
    }
    let rows: Vec<Gauge> = rows.into_values().collect();
    if let Some(h) = health::from_gauges(&rows) {
        return Ok(h);
    }
    let oids: Vec<Oid> = LEGACY_SCALARS.iter().map(|&n| oid(MTXR_HEALTH, &[n, 0])).collect();
    let values: Vec<Option<i64>> = c.get(&oids).await?.iter().map(|v| v.as_ref().and_then(int)).collect();
    Ok(health::from_legacy(&Legacy::from_values(&values)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_load_is_the_rounded_mean() {
        let cases: [(&[i64], Option<u8>); 5] =
            [(&[], None), (&[7], Some(7)), (&[10, 20, 30, 41], Some(25)), (&[0, 1], Some(1)), (&[250, -5], Some(50))];
        for (loads, want) in cases {
            assert_eq!(mean_load(loads), want, "{loads:?}");
        }
    }
}
