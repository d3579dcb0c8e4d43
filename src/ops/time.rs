//! Times as people type and read them, in the tenant's zone: `30d` from now
//! or a date, and "2026-12-24 18:00 EAT".

use crate::model::units::{BadValue, parse_duration};
use crate::model::{Tenant, UnixTime};

/// `30d` from now, or the end of a date (23:59:59) in the tenant's zone.
pub fn expiry(tenant: &Tenant, now: UnixTime, s: &str) -> Result<UnixTime, BadValue> {
    at_local(tenant, now, s, jiff::civil::Time::constant(23, 59, 59, 0))
}

/// `30d` from now, or the start of a date (00:00) in the tenant's zone.
pub fn start_of(tenant: &Tenant, now: UnixTime, s: &str) -> Result<UnixTime, BadValue> {
    at_local(tenant, now, s, jiff::civil::Time::midnight())
}

fn at_local(tenant: &Tenant, now: UnixTime, s: &str, time: jiff::civil::Time) -> Result<UnixTime, BadValue> {
    if let Ok(d) = parse_duration(s) {
        return now.checked_add_unsigned(d).ok_or_else(|| BadValue(format!("{s:?} is too far in the future")));
    }
    let date: jiff::civil::Date =
        s.trim().parse().map_err(|_| BadValue(format!("{s:?} is neither a duration (30d) nor a date (2027-01-31)")))?;
    let zoned = date
        .to_datetime(time)
        .in_tz(&tenant.timezone)
        .map_err(|e| BadValue(format!("{s:?} in time zone {}: {e}", tenant.timezone)))?;
    Ok(zoned.timestamp().as_second())
}

/// `at` in the tenant's zone ("2026-12-24 18:00 EAT"); `None` reads "at
/// first use" or "never".
pub fn show_time(t: &Tenant, at: Option<UnixTime>, first_use: bool) -> String {
    match at {
        None if first_use => "at first use".into(),
        None => "never".into(),
        Some(at) => jiff::Timestamp::from_second(at)
            .ok()
            .and_then(|ts| ts.in_tz(&t.timezone).ok())
            .map(|z| z.strftime("%Y-%m-%d %H:%M %Z").to_string())
            .unwrap_or_else(|| at.to_string()),
    }
}

/// `at` in UTC ("2026-12-07 03:00 UTC"), for what belongs to no tenant.
pub fn utc(at: UnixTime) -> String {
    jiff::Timestamp::from_second(at).map_or_else(|_| at.to_string(), |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
}
