//! Service lifecycle: whether a service is active, in grace or expired at a
//! given instant, and where a renewal starts and ends.
//!
//! Renewal rule: while the service is active or within grace, the new period
//! extends from the old expiry (grace days are not free); after grace, or if
//! the service was never activated, it starts now.

use super::period::{period_end_n, zoned};
use super::proration::calendar_first_charge;
use super::terms::{Anchor, PeriodUnit, Terms};
use super::{BillingError, UnixTime};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// `now < expiry`.
    Active,
    /// `expiry <= now < expiry + grace`.
    Grace,
    /// `now >= expiry + grace`.
    Expired,
    /// Never activated (no expiry).
    NotStarted,
}

/// The lifecycle state at `now`.
pub fn state(expiry: Option<UnixTime>, grace_secs: u32, now: UnixTime) -> State {
    match expiry {
        None => State::NotStarted,
        Some(e) if now < e => State::Active,
        Some(e) if now < cutoff(e, grace_secs) => State::Grace,
        Some(_) => State::Expired,
    }
}

/// True from `expiry` (inclusive) until `expiry + grace` (exclusive).
pub fn in_grace(expiry: UnixTime, grace_secs: u32, now: UnixTime) -> bool {
    expiry <= now && now < cutoff(expiry, grace_secs)
}

/// The instant service stops: expiry plus grace.
pub fn cutoff(expiry: UnixTime, grace_secs: u32) -> UnixTime {
    expiry.saturating_add(i64::from(grace_secs))
}

/// Outcome of a renewal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renewal {
    pub starts_at: UnixTime,
    pub expires_at: UnixTime,
    /// True when the period continues from the old expiry (active or grace).
    pub extended_from_expiry: bool,
    /// Start of the unbroken run of periods `expires_at` is counted from.
    /// Store it and pass it back on the next renewal so that month-end
    /// clamping does not drift (Jan 31 → Feb 29 → Mar 31, not Mar 29).
    pub run_start: UnixTime,
    /// What the renewal costs: `periods × price`, except that a calendar plan
    /// starting off a boundary pays [`calendar_first_charge`] for its first,
    /// partial period.
    pub charge: i64,
}

/// Renew for `periods` periods at `now`.
///
/// `run_start` is the [`Renewal::run_start`] stored from the previous
/// renewal, if known; it is used only when extending from `current_expiry`
/// and only if `current_expiry` really is a whole number of periods after it
/// (otherwise, e.g. after a manual expiry change, the run restarts at the
/// old expiry).
pub fn renew(
    current_expiry: Option<UnixTime>,
    run_start: Option<UnixTime>,
    now: UnixTime,
    terms: &Terms,
    zone: &TimeZone,
    periods: u32,
) -> Result<Renewal, BillingError> {
    terms.validate()?;
    if periods == 0 {
        return Err(BillingError::NoPeriods);
    }
    let overflow = BillingError::Overflow { what: "renewal charge" };
    let extend_from = current_expiry.filter(|&e| now < cutoff(e, terms.grace_secs));
    let (starts_at, run, done) = match extend_from {
        Some(e) => match run_start.and_then(|r| periods_elapsed(r, e, terms, zone)) {
            Some((r, k)) => (e, r, k),
            None => (e, e, 0),
        },
        None => (now, now, 0),
    };
    let total = done.checked_add(periods).ok_or(BillingError::TimeOutOfRange { at: starts_at })?;
    let expires_at = period_end_n(run, &terms.period, terms.anchor, zone, total)?;
    let rest = terms.price.checked_mul(i64::from(periods - 1)).ok_or(overflow.clone())?;
    let first = match terms.anchor {
        Anchor::Calendar => calendar_first_charge(starts_at, terms, zone)?,
        Anchor::Rolling => terms.price,
    };
    let charge = first.checked_add(rest).ok_or(overflow)?;
    Ok(Renewal { starts_at, expires_at, extended_from_expiry: extend_from.is_some(), run_start: run, charge })
}

/// `(run_start, k)` if `expiry` is exactly the end of the `k`-th rolling
/// period counted from `run_start`. Only rolling days, weeks and months can
/// drift, so other terms return `None` (renewing from the expiry is exact).
fn periods_elapsed(run_start: UnixTime, expiry: UnixTime, terms: &Terms, zone: &TimeZone) -> Option<(UnixTime, u32)> {
    if terms.anchor == Anchor::Calendar || run_start > expiry {
        return None;
    }
    let count = i64::from(terms.period.count);
    let units = match terms.period.unit {
        PeriodUnit::Hour => return None,
        PeriodUnit::Day => (expiry - run_start) / 86_400,
        PeriodUnit::Week => (expiry - run_start) / (7 * 86_400),
        PeriodUnit::Month => {
            let (a, b) = (zoned(run_start, zone).ok()?, zoned(expiry, zone).ok()?);
            (i64::from(b.year()) - i64::from(a.year())) * 12 + i64::from(b.month()) - i64::from(a.month())
        }
    };
    let estimate = units / count;
    (estimate - 1..=estimate + 1)
        .filter_map(|k| u32::try_from(k).ok())
        .find(|&k| period_end_n(run_start, &terms.period, terms.anchor, zone, k).ok() == Some(expiry))
        .map(|k| (run_start, k))
}
