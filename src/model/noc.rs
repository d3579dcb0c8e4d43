//! NOC data: a router's SNMP settings (secrets sealed) and what the last
//! polls said about it.

use serde::{Deserialize, Serialize};

use super::{Id, Sealed, TenantId, UnixTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnmpVersion {
    V2c,
    V3,
}

/// How lango reaches a router over SNMP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterSnmp {
    pub tenant: TenantId,
    pub nas: Id,
    /// Address or name; the router's RADIUS address when it was set up.
    pub host: String,
    pub port: u16,
    pub version: SnmpVersion,
    /// v2c.
    pub community: Option<Sealed>,
    /// v3 (authPriv, AES-128).
    pub user: String,
    /// `md5`, `sha` or `sha256`.
    pub auth: String,
    pub auth_pass: Option<Sealed>,
    pub priv_pass: Option<Sealed>,
}

/// One interface as the last two polls show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IfaceNow {
    pub index: u32,
    pub name: String,
    pub up: bool,
    pub speed_mbps: u64,
    /// None until two polls without a reboot between them.
    pub in_bps: Option<u64>,
    pub out_bps: Option<u64>,
}

/// What lango knows of a router from SNMP.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RouterHealth {
    pub polled_at: UnixTime,
    pub ok_at: Option<UnixTime>,
    /// The last poll's failure, in words.
    pub error: Option<String>,
    /// Failed polls in a row.
    pub failures: u32,
    /// Reported down (after two failed polls) and not yet back.
    pub down_since: Option<UnixTime>,
    pub sys_name: String,
    pub uptime_secs: Option<u64>,
    pub cpu: Option<u8>,
    pub mem_used: Option<u64>,
    pub mem_total: Option<u64>,
    pub temperature_c: Option<f64>,
    pub cpu_temperature_c: Option<f64>,
    pub voltage_v: Option<f64>,
    pub health_source: String,
    pub ifaces: Vec<IfaceNow>,
    pub wireless_clients: Option<u32>,
    pub dhcp_leases: Option<u32>,
    /// PPP sessions the router itself has (its dynamic `<pppoe-…>`
    /// interfaces), to compare with lango's session table.
    pub ppp_sessions: Option<u32>,
    /// SFP cages as the last poll read them (MIKROTIK-MIB mtxrOpticalTable).
    #[serde(default)]
    pub optics: Vec<crate::snmp::Optic>,
    /// PoE-out ports as the last poll read them (mtxrPOETable).
    #[serde(default)]
    pub poe: Vec<crate::snmp::PoePort>,
    /// Threshold and interface alerts, open or building up
    /// (`alerts.open()`: the open ones in words).
    pub alerts: crate::snmp::alerts::AlertState,
    /// Until then nothing about this router is announced (state is still
    /// kept): planned work.
    pub maintenance_until: Option<UnixTime>,
    /// Whether the current outage was announced (an outage that began in
    /// maintenance ends without a "back" message either).
    pub down_announced: bool,
    /// Who acknowledged the current outage or alerts, and when; cleared
    /// once nothing is wrong.
    pub acked: Option<String>,
}

impl RouterHealth {
    /// The hottest sensor the router reports.
    pub fn hottest(&self) -> Option<f64> {
        match (self.temperature_c, self.cpu_temperature_c) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Memory in use, percent.
    pub fn mem_percent(&self) -> Option<u64> {
        Some(self.mem_used? * 100 / self.mem_total.filter(|t| *t > 0)?)
    }

    /// Something an admin may acknowledge: an outage or an open alert.
    pub fn troubled(&self) -> bool {
        self.down_since.is_some() || !self.alerts.open().is_empty()
    }

    /// The state in a word or two: `configured` says whether the router
    /// has SNMP settings (`None` health: not polled yet).
    pub fn state(configured: bool, h: Option<&RouterHealth>) -> &'static str {
        match (configured, h) {
            (false, _) => "not polled",
            (true, None) => "waiting",
            (true, Some(h)) if h.down_since.is_some() && h.maintenance_until.is_some() => "down (maintenance)",
            (true, Some(h)) if h.down_since.is_some() => "down",
            (true, Some(h)) if h.error.is_some() => "not answering",
            (true, Some(_)) => "up",
        }
    }
}
