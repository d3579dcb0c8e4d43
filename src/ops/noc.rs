//! The NOC as both front ends change it: a router's SNMP settings (v2c
//! community, or an SNMPv3 user with SHA / SHA-256 / MD5 authentication
//! and AES-128 privacy; secrets sealed, a blank secret keeps the stored
//! one), the poll target built from them, and a poll's sample turned into
//! what the store keeps (health, rates, series values: CPU, memory,
//! temperature, interface rates, SFP receive power, PoE power).

use std::time::Duration;

use crate::model::*;
use crate::snmp::{AuthProto, Credentials, Sample, Target, rates};
use crate::store::Store;
use crate::store::noc::{self as series, Polled};

use super::OpError;

/// The SNMP form / `lango snmp set` as typed. Secrets: None or blank
/// keeps the stored one.
#[derive(Clone, Debug, Default)]
pub struct SnmpInput {
    /// Blank: the router's RADIUS address.
    pub host: String,
    pub port: String,
    /// `v2c` or `v3`.
    pub version: String,
    pub community: Option<String>,
    pub user: String,
    /// `md5`, `sha` or `sha256`.
    pub auth: String,
    pub auth_pass: Option<String>,
    pub priv_pass: Option<String>,
}

pub fn input_of(s: &RouterSnmp) -> SnmpInput {
    SnmpInput {
        host: s.host.clone(),
        port: s.port.to_string(),
        version: if s.version == SnmpVersion::V3 { "v3" } else { "v2c" }.into(),
        user: s.user.clone(),
        auth: s.auth.clone(),
        ..SnmpInput::default()
    }
}

fn typed(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Check and store a router's SNMP settings (one audited transaction).
pub fn save(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    nas: Id,
    i: &SnmpInput,
) -> Result<RouterSnmp, Vec<OpError>> {
    let router = super::routers::router(store, tenant, nas).map_err(|e| vec![e])?;
    let old = store.router_snmp(tenant, nas).map_err(|e| vec![e.into()])?;
    let mut p = Vec::new();
    let host = match i.host.trim() {
        "" => router.address.to_string(),
        h if h.contains(char::is_whitespace) || h.contains('/') => {
            p.push(OpError::field("host", format!("{h:?} is not an address or host name")));
            String::new()
        }
        h => h.to_string(),
    };
    let port = match i.port.trim() {
        "" => 161,
        v => v.parse::<u16>().ok().filter(|p| *p > 0).unwrap_or_else(|| {
            p.push(OpError::field("port", format!("{v:?} is not a port")));
            161
        }),
    };
    let keep =
        |t: &Option<String>, stored: Option<&Sealed>| typed(t).map(|v| store.seal_snmp_secret(v)).or(stored.cloned());
    let s = match i.version.trim() {
        "" | "v2c" | "2c" => {
            let community = keep(&i.community, old.as_ref().and_then(|o| o.community.as_ref()));
            if community.is_none() {
                p.push(OpError::field("community", "The community is needed for SNMP v2c"));
            }
            RouterSnmp {
                tenant,
                nas,
                host,
                port,
                version: SnmpVersion::V2c,
                community,
                user: String::new(),
                auth: String::new(),
                auth_pass: None,
                priv_pass: None,
            }
        }
        "v3" | "3" => {
            if i.user.trim().is_empty() {
                p.push(OpError::field("user", "The SNMPv3 user is needed"));
            }
            let auth = AuthProto::parse(i.auth.trim()).unwrap_or_else(|| {
                p.push(OpError::field("auth", format!("{:?}: sha, sha256 or md5", i.auth)));
                AuthProto::Sha1
            });
            let same_user = old.as_ref().filter(|o| o.user == i.user.trim());
            let auth_pass = keep(&i.auth_pass, same_user.and_then(|o| o.auth_pass.as_ref()));
            let priv_pass = keep(&i.priv_pass, same_user.and_then(|o| o.priv_pass.as_ref()));
            for (field, given, name) in
                [("auth_pass", &i.auth_pass, "authentication"), ("priv_pass", &i.priv_pass, "privacy")]
            {
                if typed(given).is_some_and(|v| v.len() < 8) {
                    p.push(OpError::field(
                        field,
                        format!("The {name} passphrase needs at least 8 characters (RFC 3414)"),
                    ));
                }
            }
            if auth_pass.is_none() {
                p.push(OpError::field("auth_pass", "The authentication passphrase is needed"));
            }
            if priv_pass.is_none() {
                p.push(OpError::field("priv_pass", "The privacy (AES) passphrase is needed"));
            }
            RouterSnmp {
                tenant,
                nas,
                host,
                port,
                version: SnmpVersion::V3,
                community: None,
                user: i.user.trim().into(),
                auth: auth.as_str().into(),
                auth_pass,
                priv_pass,
            }
        }
        v => {
            p.push(OpError::field("version", format!("{v:?}: v2c or v3")));
            return Err(p);
        }
    };
    if !p.is_empty() {
        return Err(p);
    }
    store.set_router_snmp(actor, now, tenant, nas, Some(&s)).map_err(|e| vec![e.into()])?;
    Ok(s)
}

/// Stop polling a router.
pub fn off(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, nas: Id) -> Result<(), OpError> {
    super::routers::router(store, tenant, nas)?;
    Ok(store.set_router_snmp(actor, now, tenant, nas, None)?)
}

/// Planned work for `span` (`2h`, `1d`) from now, or `off` to end it.
pub fn maintenance(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    nas: Id,
    span: &str,
) -> Result<Option<UnixTime>, OpError> {
    super::routers::router(store, tenant, nas)?;
    let until = match span.trim() {
        "off" | "0" | "" => None,
        s => {
            let secs = crate::model::units::parse_duration(s).map_err(|e| OpError::field("for", e))?;
            if secs > 30 * 86_400 {
                return Err(OpError::field("for", "at most 30 days"));
            }
            Some(now + secs as i64)
        }
    };
    store.set_maintenance(actor, now, tenant, nas, until).map_err(|e| match e {
        crate::store::StoreError::Invalid(m) => OpError::field("for", m),
        e => e.into(),
    })?;
    Ok(until)
}

/// The poll target, secrets opened; the host resolved.
pub async fn target(store: &Store, s: &RouterSnmp, timeout: Duration, retries: u32) -> Result<Target, String> {
    let open = |x: &Option<Sealed>| -> Result<String, String> {
        x.as_ref().map(|v| store.open_snmp_secret(v).map_err(|e| e.to_string())).unwrap_or_else(|| Ok(String::new()))
    };
    let creds = match s.version {
        SnmpVersion::V2c => Credentials::V2c { community: open(&s.community)? },
        SnmpVersion::V3 => Credentials::V3 {
            user: s.user.clone(),
            auth: AuthProto::parse(&s.auth).unwrap_or(AuthProto::Sha1),
            auth_pass: open(&s.auth_pass)?,
            priv_pass: open(&s.priv_pass)?,
        },
    };
    let addr = tokio::net::lookup_host((s.host.as_str(), s.port))
        .await
        .map_err(|e| format!("cannot find {}: {e}", s.host))?
        .next()
        .ok_or_else(|| format!("{} has no address", s.host))?;
    Ok(Target { addr, creds, timeout, retries })
}

/// RouterOS names each PPP session's dynamic interface in angle brackets
/// (`<pppoe-alice>`, `<l2tp-…>`, `<sstp-…>`, `<ovpn-…>`, `<pptp-…>`).
pub fn is_ppp_session(name: &str) -> bool {
    name.starts_with('<') && name.ends_with('>')
}

/// What the store keeps of a poll, given the previous sample of the same
/// router (`prev`, taken `secs` before) for the rates. PPP sessions'
/// dynamic interfaces are counted, not kept or charted: a concentrator
/// has thousands, and they come and go.
pub fn polled(cur: &Sample, prev: Option<(&Sample, f64)>) -> Polled {
    let r = prev.and_then(|(p, secs)| rates::rates(p, cur, secs)).unwrap_or_default();
    let ppp: Vec<u32> = cur.ifaces.iter().filter(|f| is_ppp_session(&f.name)).map(|f| f.index).collect();
    let r: Vec<_> = r.into_iter().filter(|x| !ppp.contains(&x.index)).collect();
    let rate = |i: u32| r.iter().find(|x| x.index == i);
    let ifaces: Vec<IfaceNow> = cur
        .ifaces
        .iter()
        .filter(|f| !is_ppp_session(&f.name))
        .map(|f| IfaceNow {
            index: f.index,
            name: f.name.clone(),
            up: f.up,
            speed_mbps: f.speed_mbps,
            in_bps: rate(f.index).map(|x| x.in_bps),
            out_bps: rate(f.index).map(|x| x.out_bps),
        })
        .collect();
    let mut values = Vec::new();
    if let Some(c) = cur.cpu_load {
        values.push((series::CPU, f64::from(c)));
    }
    if let (Some(u), Some(t)) = (cur.mem_used, cur.mem_total.filter(|t| *t > 0)) {
        values.push((series::MEM, u as f64 * 100.0 / t as f64));
    }
    for x in &r {
        values.push((series::iface_in(x.index), x.in_bps as f64));
        values.push((series::iface_out(x.index), x.out_bps as f64));
    }
    for o in cur.optics.iter().filter(|o| o.present()) {
        if let Some(dbm) = o.rx_dbm {
            values.push((series::optic_rx(o.index), dbm));
        }
    }
    for p in &cur.poe {
        if let Some(w) = p.power_w {
            values.push((series::poe_power(p.index), w));
        }
    }
    let health = RouterHealth {
        sys_name: cur.sys_name.clone(),
        uptime_secs: Some(u64::from(cur.uptime_ticks) / 100),
        cpu: cur.cpu_load,
        mem_used: cur.mem_used,
        mem_total: cur.mem_total,
        temperature_c: cur.health.temperature_c,
        cpu_temperature_c: cur.health.cpu_temperature_c,
        voltage_v: cur.health.voltage_v,
        health_source: format!("{:?}", cur.health.source),
        ifaces,
        wireless_clients: cur.wireless_clients,
        dhcp_leases: cur.dhcp_leases,
        ppp_sessions: Some(cur.ifaces.iter().filter(|f| is_ppp_session(&f.name) && f.up).count() as u32),
        optics: cur.optics.clone(),
        poe: cur.poe.clone(),
        ..RouterHealth::default()
    };
    if let Some(t) = health.hottest() {
        values.push((series::TEMP, t));
    }
    Polled { health, values }
}

#[cfg(test)]
mod ppp_tests {
    use super::*;
    use crate::snmp::{Health, HealthSource, Iface};

    fn iface(index: u32, name: &str, up: bool, octets: u64) -> Iface {
        Iface { index, name: name.into(), up, speed_mbps: 1000, in_octets: octets, out_octets: octets, hc: true }
    }

    fn sample(ticks: u32, octets: u64) -> Sample {
        Sample {
            uptime_ticks: ticks,
            sys_name: "tower".into(),
            ifaces: vec![
                iface(1, "ether1", true, octets),
                iface(20, "<pppoe-alice>", true, octets),
                iface(21, "<l2tp-office>", true, octets),
                iface(22, "<pppoe-gone>", false, 0),
            ],
            cpu_load: Some(5),
            mem_used: None,
            mem_total: None,
            health: Health {
                temperature_c: None,
                cpu_temperature_c: None,
                voltage_v: None,
                fans_rpm: vec![],
                psu_ok: vec![],
                source: HealthSource::None,
            },
            wireless_clients: None,
            dhcp_leases: None,
            optics: vec![],
            poe: vec![],
        }
    }

    #[test]
    fn ppp_session_interfaces_are_counted_not_charted() {
        let (a, b) = (sample(100, 0), sample(6100, 7_500_000));
        let p = polled(&b, Some((&a, 60.0)));
        assert_eq!(p.health.ppp_sessions, Some(2), "the two that are up");
        let names: Vec<&str> = p.health.ifaces.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["ether1"]);
        let iface_metrics: Vec<u32> = p.values.iter().map(|v| v.0).filter(|&m| m >= 1000).collect();
        assert_eq!(iface_metrics, [series::iface_in(1), series::iface_out(1)]);
        assert!(is_ppp_session("<sstp-x>") && !is_ppp_session("bridge<1>") && !is_ppp_session("ether1"));
    }

    #[test]
    fn optics_and_poe_are_kept_and_charted() {
        use crate::snmp::{Optic, PoePort};
        let mut s = sample(100, 0);
        let lit = Optic {
            index: 1,
            name: "sfp1".into(),
            wavelength_nm: Some(1310.0),
            rx_dbm: Some(-5.1),
            ..Optic::default()
        };
        let empty = Optic { index: 2, name: "sfp2".into(), rx_loss: true, rx_dbm: Some(0.0), ..Optic::default() };
        s.optics = vec![lit, empty];
        s.poe = vec![
            PoePort { index: 4, name: "ether4".into(), status: 3, power_w: Some(3.6), ..PoePort::default() },
            PoePort { index: 5, name: "ether5".into(), status: 2, ..PoePort::default() },
        ];
        let p = polled(&s, None);
        assert_eq!((p.health.optics.len(), p.health.poe.len()), (2, 2), "all listed on the page");
        let charted: Vec<(u32, f64)> = p.values.iter().copied().filter(|(m, _)| *m >= series::optic_rx(0)).collect();
        assert_eq!(charted, [(series::optic_rx(1), -5.1), (series::poe_power(4), 3.6)], "an empty cage is not charted");
    }
}
