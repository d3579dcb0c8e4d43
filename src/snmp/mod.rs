//! SNMP reads of a router: the only module that knows the `async-snmp`
//! crate. `client.rs` turns a [`Target`] into an async-snmp client and its
//! errors into [`SnmpError`]; `poll.rs` reads one [`Sample`] (system,
//! IF-MIB interfaces, HOST-RESOURCES CPU and memory, MikroTik health, SFP
//! optics, PoE-out ports, wireless clients and DHCP leases); `health.rs`
//! and `optics.rs` are the PURE readings of MikroTik's health, optical and
//! PoE objects; `rates.rs` the PURE arithmetic between two samples
//! (counter wraps, reboots).
//!
//! Versions: SNMPv2c, and SNMPv3 USM at authPriv with MD5, SHA-1 or SHA-256
//! authentication and AES-128 privacy. DES is not offered: the library
//! needs caller-kept salt state for it, and RouterOS offers AES.
//!
//! A router that does not answer, a wrong community and wrong SNMPv3 keys
//! all look the same on the wire (agents stay silent, and unauthenticated
//! SNMPv3 Reports are not trusted), so they share one error,
//! [`SnmpError::NoAnswer`], whose message names all three causes. Objects a
//! router does not have are `None` or empty in the [`Sample`], never an
//! error.

pub mod alerts;
mod client;
mod health;
mod optics;
mod poll;
pub mod rates;

pub use optics::{Optic, PoePort};
pub use poll::{get_counter, poll};
pub use rates::{IfaceRate, delta, rates, rebooted};

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// SNMPv3 authentication protocol. Privacy is always AES-128.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuthProto {
    #[serde(rename = "md5")]
    Md5,
    #[serde(rename = "sha")]
    Sha1,
    #[serde(rename = "sha256")]
    Sha256,
}

impl AuthProto {
    /// The word in settings and RouterOS (`/snmp community ...
    /// authentication-protocol=`): "md5", "sha" or "sha256".
    pub fn as_str(self) -> &'static str {
        match self {
            AuthProto::Md5 => "md5",
            AuthProto::Sha1 => "sha",
            AuthProto::Sha256 => "sha256",
        }
    }

    /// The inverse of [`AuthProto::as_str`], ignoring case.
    pub fn parse(s: &str) -> Option<AuthProto> {
        [AuthProto::Md5, AuthProto::Sha1, AuthProto::Sha256].into_iter().find(|p| p.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for AuthProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to talk to the agent.
#[derive(Clone, Debug)]
pub enum Credentials {
    V2c {
        community: String,
    },
    /// authPriv: `auth` with `auth_pass`, AES-128 with `priv_pass` (each at
    /// least 8 characters, as RFC 3414 and RouterOS require).
    V3 {
        user: String,
        auth: AuthProto,
        auth_pass: String,
        priv_pass: String,
    },
}

/// One agent: where, how, and how patiently.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub creds: Credentials,
    /// Wait for each answer this long...
    pub timeout: Duration,
    /// ...and resend this many times before giving up.
    pub retries: u32,
}

/// One IF-MIB interface.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Iface {
    /// ifIndex.
    pub index: u32,
    /// ifName, or ifDescr where the agent has no ifXTable.
    pub name: String,
    /// ifOperStatus is up(1).
    pub up: bool,
    /// ifHighSpeed, or ifSpeed / 10^6.
    pub speed_mbps: u64,
    pub in_octets: u64,
    pub out_octets: u64,
    /// The octet counters are 64-bit (ifHCInOctets / ifHCOutOctets); false
    /// means the 32-bit ifInOctets / ifOutOctets, which wrap at 2^32.
    pub hc: bool,
}

/// MikroTik hardware health; see `health.rs` for the objects and scales.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Health {
    /// Board (or the only) temperature, °C.
    pub temperature_c: Option<f64>,
    /// CPU temperature, °C.
    pub cpu_temperature_c: Option<f64>,
    /// Supply voltage, V.
    pub voltage_v: Option<f64>,
    /// Each fan's speed in RPM, in the router's order.
    pub fans_rpm: Vec<u32>,
    /// Each power supply: true when it reports ok.
    pub psu_ok: Vec<bool>,
    pub source: HealthSource,
}

/// Where [`Health`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HealthSource {
    /// RouterOS 6.47+ and v7: mtxrGaugeTable, 1.3.6.1.4.1.14988.1.1.3.100.
    GaugeTable,
    /// Older RouterOS: the mtxrHl* scalars under 1.3.6.1.4.1.14988.1.1.3.
    Legacy,
    /// Neither (not a MikroTik, or no sensors: CHR, some small boards).
    None,
}

/// Everything one poll reads.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    /// sysUpTime in TimeTicks (1/100 s); wraps after 497 days.
    pub uptime_ticks: u32,
    pub sys_name: String,
    pub ifaces: Vec<Iface>,
    /// The mean of hrProcessorLoad over all processors, percent.
    pub cpu_load: Option<u8>,
    /// The hrStorageRam row of hrStorageTable, in bytes.
    pub mem_used: Option<u64>,
    pub mem_total: Option<u64>,
    pub health: Health,
    /// The sum of mtxrWlApClientCount over the router's AP interfaces.
    pub wireless_clients: Option<u32>,
    /// mtxrDHCPLeaseCount.
    pub dhcp_leases: Option<u32>,
    /// mtxrOpticalTable: one per SFP cage; see `optics.rs`.
    #[serde(default)]
    pub optics: Vec<Optic>,
    /// mtxrPOETable: one per PoE-out port.
    #[serde(default)]
    pub poe: Vec<PoePort>,
}

/// Why a poll failed, in words for an operator.
#[derive(Debug, thiserror::Error)]
pub enum SnmpError {
    /// Nothing came back that could be trusted; `waited` is what the target
    /// allows one exchange, `timeout` × (`retries` + 1).
    #[error(
        "no answer from {addr} within {} s (router unreachable, or wrong community / SNMPv3 user or keys)",
        secs(*waited)
    )]
    NoAnswer { addr: SocketAddr, waited: Duration },
    /// The settings cannot work (short SNMPv3 password, empty community...).
    #[error("SNMP settings for {addr} are unusable: {reason}")]
    Config { addr: SocketAddr, reason: String },
    /// The local socket failed, or the network refused the datagram.
    #[error("network error talking SNMP to {addr}: {detail}")]
    Network { addr: SocketAddr, detail: String },
    /// The agent answered with an error status (genErr, tooBig, ...).
    #[error("the SNMP agent at {addr} answered with an error: {detail}")]
    Agent { addr: SocketAddr, detail: String },
    /// An answer that does not fit the protocol or the objects asked for.
    #[error("unexpected SNMP answer from {addr}: {detail}")]
    Protocol { addr: SocketAddr, detail: String },
}

/// "2", "1.5": seconds without a trailing ".0".
fn secs(d: Duration) -> String {
    let s = format!("{:.1}", d.as_secs_f64());
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_proto_words_round_trip() {
        for (p, word) in [(AuthProto::Md5, "md5"), (AuthProto::Sha1, "sha"), (AuthProto::Sha256, "sha256")] {
            assert_eq!(p.as_str(), word);
            assert_eq!(AuthProto::parse(word), Some(p));
            assert_eq!(AuthProto::parse(&word.to_uppercase()), Some(p));
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{word}\""));
        }
        assert_eq!(AuthProto::parse("sha1"), None);
        assert_eq!(AuthProto::parse(""), None);
    }

    #[test]
    fn no_answer_reads_plainly() {
        let e = SnmpError::NoAnswer { addr: "10.0.0.1:161".parse().unwrap(), waited: Duration::from_millis(2004) };
        assert_eq!(
            e.to_string(),
            "no answer from 10.0.0.1:161 within 2 s (router unreachable, or wrong community / SNMPv3 user or keys)"
        );
        assert_eq!(secs(Duration::from_millis(1500)), "1.5");
    }
}
