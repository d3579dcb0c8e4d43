//! Period arithmetic: where a period that starts at a given instant ends, in
//! the tenant's time zone, for rolling and calendar-anchored plans.
//!
//! Rolling hours are exact seconds. Rolling days, weeks and months are civil
//! arithmetic on the tenant-local clock (10:00 + 1 day is 10:00 the next day
//! even across a DST change; Jan 31 + 1 month is the last day of February).
//! Calendar periods end on the `count`-th local boundary strictly after the
//! start: the top of the hour, midnight, Monday 00:00, or the 1st 00:00.

use super::terms::{Anchor, Period, PeriodUnit};
use super::{BillingError, UnixTime};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, ZonedDateTime};

const HOUR: i64 = 3600;

/// End of one period that starts at `start`.
pub fn period_end(start: UnixTime, period: &Period, anchor: Anchor, zone: &TimeZone) -> Result<UnixTime, BillingError> {
    period_end_n(start, period, anchor, zone, 1)
}

/// End of the `n`-th consecutive period counted from `anchor_start`, computed
/// in one step from the anchor so that month-end clamping does not drift:
/// from Jan 31, n = 1, 2, 3 give Feb 29 (or 28), Mar 31, Apr 30. `n = 0` is
/// `anchor_start` itself.
pub fn period_end_n(
    anchor_start: UnixTime,
    period: &Period,
    anchor: Anchor,
    zone: &TimeZone,
    n: u32,
) -> Result<UnixTime, BillingError> {
    if period.count == 0 {
        return Err(BillingError::ZeroPeriod);
    }
    let out_of_range = BillingError::TimeOutOfRange { at: anchor_start };
    let units = i64::from(period.count).checked_mul(i64::from(n)).ok_or(out_of_range.clone())?;
    let end = match anchor {
        Anchor::Rolling => rolling_add(anchor_start, period.unit, units, zone),
        Anchor::Calendar => {
            let floor = calendar_floor(anchor_start, period.unit, zone)?;
            if n == 0 { Some(anchor_start) } else { calendar_add(floor, period.unit, units, zone) }
        }
    };
    end.filter(|&t| Timestamp::from_second(t).is_ok()).ok_or(out_of_range)
}

/// The last calendar boundary of `unit` at or before `t` in `zone`: the start
/// of the local hour, day, ISO week (Monday) or month containing `t`.
pub fn calendar_floor(t: UnixTime, unit: PeriodUnit, zone: &TimeZone) -> Result<UnixTime, BillingError> {
    let out_of_range = || BillingError::TimeOutOfRange { at: t };
    let local = zoned(t, zone)?;
    let date = local.date();
    let floor = match unit {
        PeriodUnit::Hour => Some(t - i64::from(local.minute()) * 60 - i64::from(local.second())),
        PeriodUnit::Day => day_start(date, zone),
        PeriodUnit::Week => {
            let back = i64::from(date.weekday().to_monday_zero_offset());
            add_days(date, -back).and_then(|d| day_start(d, zone))
        }
        PeriodUnit::Month => day_start(date.first_of_month(), zone),
    };
    floor.ok_or_else(out_of_range)
}

/// `t` as a date-time in `zone`.
pub(crate) fn zoned(t: UnixTime, zone: &TimeZone) -> Result<ZonedDateTime, BillingError> {
    let ts = Timestamp::from_second(t).map_err(|_| BillingError::TimeOutOfRange { at: t })?;
    Ok(ts.to_zoned_datetime(zone.clone()))
}

fn rolling_add(start: UnixTime, unit: PeriodUnit, units: i64, zone: &TimeZone) -> Option<UnixTime> {
    let span = match unit {
        PeriodUnit::Hour => return start.checked_add(units.checked_mul(HOUR)?),
        PeriodUnit::Day => Span::new().try_days(units).ok()?,
        PeriodUnit::Week => Span::new().try_weeks(units).ok()?,
        PeriodUnit::Month => Span::new().try_months(units).ok()?,
    };
    let local = zoned(start, zone).ok()?;
    Some(local.checked_add(span).ok()?.timestamp().as_second())
}

/// `units` boundaries after `floor`, which must itself be a boundary.
fn calendar_add(floor: UnixTime, unit: PeriodUnit, units: i64, zone: &TimeZone) -> Option<UnixTime> {
    let date = zoned(floor, zone).ok()?.date();
    match unit {
        PeriodUnit::Hour => floor.checked_add(units.checked_mul(HOUR)?),
        PeriodUnit::Day => day_start(add_days(date, units)?, zone),
        PeriodUnit::Week => day_start(add_days(date, units.checked_mul(7)?)?, zone),
        PeriodUnit::Month => {
            let span = Span::new().try_months(units).ok()?;
            day_start(date.first_of_month().checked_add(span).ok()?, zone)
        }
    }
}

fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(Span::new().try_days(days).ok()?).ok()
}

/// First instant of `date` in `zone` (01:00 where midnight is skipped by DST).
fn day_start(date: Date, zone: &TimeZone) -> Option<UnixTime> {
    Some(date.to_zoned_datetime(zone.clone()).ok()?.timestamp().as_second())
}
