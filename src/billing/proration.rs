//! Proration: the first, partial charge of a calendar-anchored plan, and the
//! credit / charge quote for changing plan mid-period, with receipt lines.
//!
//! Fractions are measured in real seconds and rounded down (floor), so the
//! customer is never credited or charged for time that has not happened.

use super::period::{calendar_floor, period_end, zoned};
use super::terms::{Anchor, Terms};
use super::{BillingError, UnixTime};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// A plan's display name and terms, as passed to [`quote_change`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanRef<'a> {
    pub name: &'a str,
    pub terms: &'a Terms,
}

/// One line of a plan-change receipt. Credits are negative, so the lines
/// always sum to [`ChangeQuote::net`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub description: String,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeQuote {
    /// Unused value of the old plan (≥ 0).
    pub credit: i64,
    /// Price of the new plan's first period (≥ 0).
    pub charge: i64,
    /// `charge - credit`; negative means the difference goes to the wallet.
    pub net: i64,
    pub new_starts_at: UnixTime,
    pub new_expires_at: UnixTime,
    pub lines: Vec<QuoteLine>,
}

/// What a customer starting at `start` pays for the first period: the full
/// price for rolling plans; for calendar plans the price times the fraction
/// of the current calendar period still ahead (floor). Starting exactly on a
/// boundary pays the full price.
pub fn calendar_first_charge(start: UnixTime, terms: &Terms, zone: &TimeZone) -> Result<i64, BillingError> {
    terms.validate()?;
    if terms.anchor == Anchor::Rolling {
        return Ok(terms.price);
    }
    let floor = calendar_floor(start, terms.period.unit, zone)?;
    let end = period_end(start, &terms.period, Anchor::Calendar, zone)?;
    prorate(terms.price, end - start, (floor, end))
}

/// Quote switching from `old` (paid for `old_period_start..old_expiry`) to
/// `new` at `now`. The credit is `old.price × remaining / period length`
/// (floor; 0 once expired); the new period starts now and costs the full
/// new price, or [`calendar_first_charge`] for calendar plans.
///
/// The old period is taken to be one period bought at `old.terms.price`;
/// if `now` is before `old_period_start` the whole price is credited.
pub fn quote_change(
    old: PlanRef<'_>,
    old_period_start: UnixTime,
    old_expiry: UnixTime,
    new: PlanRef<'_>,
    now: UnixTime,
    zone: &TimeZone,
) -> Result<ChangeQuote, BillingError> {
    old.terms.validate()?;
    new.terms.validate()?;
    let length = old_expiry.saturating_sub(old_period_start);
    let remaining = old_expiry.saturating_sub(now.max(old_period_start)).clamp(0, length.max(0));
    let credit = prorate(old.terms.price, remaining, (old_period_start, old_expiry))?;
    let new_expires_at = period_end(now, &new.terms.period, new.terms.anchor, zone)?;
    let charge = calendar_first_charge(now, new.terms, zone)?;
    let net = charge.checked_sub(credit).ok_or(BillingError::Overflow { what: "plan change net" })?;

    let mut lines = Vec::with_capacity(2);
    if credit > 0 {
        let description = format!("Unused {} of {} (credit)", describe_duration(remaining), old.name);
        lines.push(QuoteLine { description, amount: -credit });
    }
    let prorated = if charge == new.terms.price { "" } else { " (prorated)" };
    let description =
        format!("{}, {} to {}{prorated}", new.name, local_text(now, zone)?, local_text(new_expires_at, zone)?);
    lines.push(QuoteLine { description, amount: charge });
    Ok(ChangeQuote { credit, charge, net, new_starts_at: now, new_expires_at, lines })
}

/// A length of time for a receipt, to the two largest units, rounded down:
/// "12 days 4 hours", "1 day", "3 hours 20 minutes", "less than a minute".
pub fn describe_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let unit = |n: i64, name: &str| if n == 1 { format!("1 {name}") } else { format!("{n} {name}s") };
    let parts: Vec<String> = if days > 0 {
        [(days, "day"), (hours, "hour")].iter().filter(|p| p.0 > 0).map(|p| unit(p.0, p.1)).collect()
    } else if hours > 0 {
        [(hours, "hour"), (minutes, "minute")].iter().filter(|p| p.0 > 0).map(|p| unit(p.0, p.1)).collect()
    } else if minutes > 0 {
        vec![unit(minutes, "minute")]
    } else {
        vec!["less than a minute".to_string()]
    };
    parts.join(" ")
}

/// `amount × part / (end - start)`, rounded toward negative infinity, in
/// i128; refuses a period whose end is not after its start.
fn prorate(amount: i64, part: i64, (start, end): (UnixTime, UnixTime)) -> Result<i64, BillingError> {
    let whole = i128::from(end) - i128::from(start);
    if whole <= 0 {
        return Err(BillingError::EmptyPeriod { start, end });
    }
    let value = (i128::from(amount) * i128::from(part)).div_euclid(whole);
    i64::try_from(value).map_err(|_| BillingError::Overflow { what: "proration" })
}

/// `t` as tenant-local "YYYY-MM-DD HH:MM".
fn local_text(t: UnixTime, zone: &TimeZone) -> Result<String, BillingError> {
    Ok(zoned(t, zone)?.strftime("%Y-%m-%d %H:%M").to_string())
}
