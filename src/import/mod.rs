//! Moving a network to lango in an afternoon: importers for a daloRADIUS /
//! FreeRADIUS SQL dump, a PHPNuxBill dump, and a CSV file of customers and
//! services. Each reader turns its input into an [`ImportSet`] and a list
//! of problems with line numbers; the store applies a set in one
//! transaction, and only when there are no problems, so an import never
//! half-applies.

pub mod csv;
pub mod daloradius;
pub mod phpnuxbill;
pub mod sqldump;

use std::net::Ipv4Addr;

use crate::model::*;

/// A line of the input that stops the import, or (as a warning) that was
/// read with a change the operator should know about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Everything one import adds: plans by name (existing plans of that name
/// are used as they are), customers with their services.
#[derive(Clone, Debug, Default)]
pub struct ImportSet {
    pub plans: Vec<Plan>,
    pub customers: Vec<ImportCustomer>,
}

#[derive(Clone, Debug)]
pub struct ImportCustomer {
    pub line: usize,
    pub name: String,
    /// 2547XXXXXXXX, already checked.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub category: Option<String>,
    pub services: Vec<ImportService>,
}

#[derive(Clone, Debug)]
pub struct ImportService {
    pub line: usize,
    /// A plan of the set, or one the tenant has.
    pub plan: String,
    pub access: AccessType,
    pub username: String,
    pub password: String,
    pub mac: Option<Mac>,
    pub static_ip: Option<Ipv4Addr>,
    pub expires_at: Option<UnixTime>,
    pub disabled: bool,
}

/// What a reader found: the set, problems that stop it, warnings.
#[derive(Debug, Default)]
pub struct Read {
    pub set: ImportSet,
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// A plan as importers make them: 30 days unless told, no price (the
/// operator prices it), not offered on the portal until priced.
pub fn plan_named(name: &str) -> Plan {
    Plan {
        id: 0,
        tenant: 0,
        name: name.to_string(),
        validity: crate::billing::Period { unit: crate::billing::PeriodUnit::Day, count: 30 },
        anchor: crate::billing::Anchor::Rolling,
        grace_secs: 0,
        mode: crate::billing::Mode::Prepaid,
        price: 0,
        quota_bytes: None,
        rate: None,
        session_timeout: None,
        idle_timeout: None,
        interim_interval: 300,
        simultaneous_use: 0,
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

/// A phone number as lango keeps it, or a warning that it was dropped.
pub fn phone(raw: Option<&str>, line: usize, warnings: &mut Vec<Problem>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|p| !p.is_empty())?;
    match msisdn(raw) {
        Some(m) => Some(m),
        None => {
            warnings.push(Problem { line, message: format!("phone {raw:?} is not a Kenyan mobile number; left out") });
            None
        }
    }
}

/// "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" in the tenant's zone as a Unix time.
pub fn parse_local(tz: &str, text: &str) -> Option<UnixTime> {
    let text = text.trim();
    let (d, t) = text.split_once(' ').unwrap_or((text, "00:00"));
    local(tz, d.parse().ok()?, t.trim().parse().ok()?)
}

/// A local date and time in the tenant's zone as a Unix time.
pub fn local(tz: &str, date: jiff::civil::Date, time: jiff::civil::Time) -> Option<UnixTime> {
    date.to_datetime(time).to_zoned_datetime(crate::clock::Clock::zone(tz)).ok().map(|z| z.timestamp().as_second())
}
