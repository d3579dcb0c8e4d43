//! Postpaid billing dates: when an invoice is due, whether it is overdue, and
//! when the next monthly invoice is issued.

use super::period::period_end;
use super::terms::{Anchor, Period, PeriodUnit};
use super::{BillingError, UnixTime};
use jiff::tz::TimeZone;

/// Due `due_days` × 24 h after issue (exact seconds: the due instant keeps the
/// issue's time of day except across a DST change).
pub fn invoice_due(issued_at: UnixTime, due_days: u16) -> UnixTime {
    issued_at.saturating_add(i64::from(due_days) * 86_400)
}

/// Unpaid and past the due instant (an invoice is not overdue at the exact
/// due instant, only after it).
pub fn is_overdue(issued_at: UnixTime, due_days: u16, now: UnixTime, paid: bool) -> bool {
    !paid && now > invoice_due(issued_at, due_days)
}

/// The 1st of the month after `last_period_end`'s local month, 00:00 local:
/// the next calendar-month boundary strictly after `last_period_end`.
pub fn next_invoice_at(last_period_end: UnixTime, zone: &TimeZone) -> Result<UnixTime, BillingError> {
    period_end(last_period_end, &Period { unit: PeriodUnit::Month, count: 1 }, Anchor::Calendar, zone)
}
