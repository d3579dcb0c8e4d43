//! The terms a plan is sold on: period length, anchoring, grace, prepaid or
//! postpaid, and price; plus the short text form of a period used by the CLI
//! (`30d`, `1mo`, `2w`, `3h`).

use super::BillingError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeriodUnit {
    Hour,
    Day,
    Week,
    Month,
}

impl PeriodUnit {
    /// The suffix used by [`Period::parse`] and `Display`.
    pub fn suffix(self) -> &'static str {
        match self {
            PeriodUnit::Hour => "h",
            PeriodUnit::Day => "d",
            PeriodUnit::Week => "w",
            PeriodUnit::Month => "mo",
        }
    }
}

/// `count` units of time, e.g. 30 days, 1 month, 3 hours. `count` is at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub unit: PeriodUnit,
    pub count: u32,
}

impl Period {
    /// Approximate length in seconds (months count 30 days), for caps that
    /// need no calendar, such as a first-use voucher's Session-Timeout.
    pub fn nominal_secs(&self) -> u64 {
        let unit: u64 = match self.unit {
            PeriodUnit::Hour => 3_600,
            PeriodUnit::Day => 86_400,
            PeriodUnit::Week => 604_800,
            PeriodUnit::Month => 2_592_000,
        };
        unit * u64::from(self.count)
    }

    /// A period of `count` units; refuses zero.
    pub fn new(unit: PeriodUnit, count: u32) -> Result<Period, BillingError> {
        if count == 0 {
            return Err(BillingError::ZeroPeriod);
        }
        Ok(Period { unit, count })
    }

    /// Parse `<count><unit>` where unit is `h`, `d`, `w` or `mo`
    /// (case-insensitive, surrounding spaces ignored): `30d`, `1mo`, `2w`, `3h`.
    /// A bare `m` is refused because it could mean minutes or months.
    pub fn parse(input: &str) -> Result<Period, BillingError> {
        let bad = |reason: &str| BillingError::BadPeriod { input: input.to_string(), reason: reason.to_string() };
        let text = input.trim().to_ascii_lowercase();
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (digits, suffix) = text.split_at(split);
        if digits.is_empty() {
            return Err(bad("expected a number followed by h, d, w or mo, e.g. 30d"));
        }
        let unit = match suffix.trim_start() {
            "h" => PeriodUnit::Hour,
            "d" => PeriodUnit::Day,
            "w" => PeriodUnit::Week,
            "mo" => PeriodUnit::Month,
            "" => return Err(bad("missing unit: add h, d, w or mo, e.g. 30d")),
            "m" => return Err(bad("ambiguous unit \"m\": write mo for months")),
            _ => return Err(bad("unknown unit: use h (hours), d (days), w (weeks) or mo (months)")),
        };
        let count: u32 = digits.parse().map_err(|_| bad("count is too large"))?;
        if count == 0 {
            return Err(bad("count must be at least 1"));
        }
        Ok(Period { unit, count })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.suffix())
    }
}

impl FromStr for Period {
    type Err = BillingError;
    fn from_str(s: &str) -> Result<Period, BillingError> {
        Period::parse(s)
    }
}

/// Where period boundaries fall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anchor {
    /// The period runs from the moment of purchase.
    Rolling,
    /// Periods end on tenant-local boundaries: the hour, midnight, Monday
    /// 00:00 (ISO week) or the 1st of the month 00:00.
    Calendar,
}

/// When the customer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Pays before the period starts.
    Prepaid,
    /// Invoiced after the period; the invoice is due `due_days` after issue.
    Postpaid { due_days: u16 },
}

/// Everything billing needs to know about a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub period: Period,
    pub anchor: Anchor,
    /// Seconds after expiry during which service continues and a renewal
    /// still extends from the old expiry.
    pub grace_secs: u32,
    pub mode: Mode,
    /// Price of one period in minor units.
    pub price: i64,
}

impl Terms {
    /// Check the invariants the fields cannot express: a non-zero period and
    /// a non-negative price.
    pub fn validate(&self) -> Result<(), BillingError> {
        if self.period.count == 0 {
            return Err(BillingError::ZeroPeriod);
        }
        if self.price < 0 {
            return Err(BillingError::NegativePrice { price: self.price });
        }
        Ok(())
    }
}

/// Whole weeks, days or hours; a length that is not a whole number of
/// hours rounds up to the next hour (version 1 accepted any seconds).
pub fn period_from_secs(secs: u64) -> Period {
    const H: u64 = 3600;
    const D: u64 = 24 * H;
    let (unit, count) = if secs >= D && secs.is_multiple_of(7 * D) {
        (PeriodUnit::Week, secs / (7 * D))
    } else if secs >= D && secs.is_multiple_of(D) {
        (PeriodUnit::Day, secs / D)
    } else {
        (PeriodUnit::Hour, secs.div_ceil(H).max(1))
    };
    Period { unit, count: u32::try_from(count).unwrap_or(u32::MAX) }
}
