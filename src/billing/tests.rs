//! Table-driven tests of the billing rules. Times are written as tenant-local
//! civil strings (`at("2024-02-29 10:00", "Africa/Nairobi")`); add a row to a
//! table to add a case. Money, tax, ledger and invoice tables are in
//! `tests/money.rs`.

mod money;

use super::*;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

const NBO: &str = "Africa/Nairobi";
const BER: &str = "Europe/Berlin";
const UTC: &str = "UTC";
const H: i64 = 3600;
const D: i64 = 86_400;

pub(super) fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or_else(|e| panic!("zone {name}: {e}"))
}

/// A local civil "YYYY-MM-DD HH:MM" in `tz` as UnixTime (DST gaps resolve
/// forward, folds to the earlier instant).
pub(super) fn at(local: &str, tz: &str) -> UnixTime {
    let dt: DateTime = local.parse().unwrap_or_else(|e| panic!("datetime {local:?}: {e}"));
    zone(tz).to_zoned_datetime(dt).unwrap().timestamp().as_second()
}

/// `t` back as local "YYYY-MM-DD HH:MM", for readable assertions.
pub(super) fn show(t: UnixTime, tz: &str) -> String {
    jiff::Timestamp::from_second(t).unwrap().to_zoned_datetime(zone(tz)).strftime("%Y-%m-%d %H:%M").to_string()
}

pub(super) fn terms(period: &str, anchor: Anchor, grace_secs: u32, price: i64) -> Terms {
    Terms { period: Period::parse(period).unwrap(), anchor, grace_secs, mode: Mode::Prepaid, price }
}

use Anchor::{Calendar, Rolling};

#[test]
fn period_parse_and_display() {
    use PeriodUnit::*;
    let ok = [
        ("30d", Day, 30, "30d"),
        ("1mo", Month, 1, "1mo"),
        ("2w", Week, 2, "2w"),
        ("3h", Hour, 3, "3h"),
        (" 1MO ", Month, 1, "1mo"),
        ("12 mo", Month, 12, "12mo"),
    ];
    for (input, unit, count, shown) in ok {
        let p = Period::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(p, Period { unit, count }, "{input:?}");
        assert_eq!(p.to_string(), shown, "{input:?}");
        assert_eq!(shown.parse::<Period>(), Ok(p), "round trip {shown:?}");
    }
    let bad = [
        ("0d", "at least 1"),
        ("d", "expected a number"),
        ("", "expected a number"),
        ("30", "missing unit"),
        ("1m", "write mo"),
        ("5y", "unknown unit"),
        ("1.5d", "unknown unit"),
        ("-1d", "expected a number"),
        ("99999999999d", "too large"),
    ];
    for (input, message) in bad {
        let err = Period::parse(input).expect_err(input).to_string();
        assert!(err.contains(message), "{input:?}: {err:?} should mention {message:?}");
    }
    assert_eq!(Period::new(PeriodUnit::Day, 0), Err(BillingError::ZeroPeriod));
}

#[test]
fn period_ends() {
    // (zone, start, period, anchor, n, expected end in the same zone)
    let table = [
        // Month ends clamp, and counting from the anchor does not drift.
        (UTC, "2024-01-31 10:00", "1mo", Rolling, 1, "2024-02-29 10:00"),
        (UTC, "2024-01-31 10:00", "1mo", Rolling, 2, "2024-03-31 10:00"),
        (UTC, "2024-01-31 10:00", "1mo", Rolling, 3, "2024-04-30 10:00"),
        (UTC, "2023-01-31 10:00", "1mo", Rolling, 1, "2023-02-28 10:00"),
        (UTC, "2024-01-31 10:00", "3mo", Rolling, 1, "2024-04-30 10:00"),
        (UTC, "2024-01-31 10:00", "1mo", Rolling, 0, "2024-01-31 10:00"),
        // Leap day: a year of months later is Feb 28; four years is Feb 29.
        (NBO, "2024-02-29 10:00", "1mo", Rolling, 12, "2025-02-28 10:00"),
        (NBO, "2024-02-29 10:00", "1mo", Rolling, 48, "2028-02-29 10:00"),
        (NBO, "2024-02-15 12:00", "30d", Rolling, 1, "2024-03-16 12:00"),
        (NBO, "2024-12-25 08:00", "2w", Rolling, 1, "2025-01-08 08:00"),
        // Rolling days keep the wall-clock time across DST; hours are exact.
        (BER, "2024-03-30 12:00", "1d", Rolling, 1, "2024-03-31 12:00"),
        (BER, "2024-03-31 01:30", "3h", Rolling, 1, "2024-03-31 05:30"),
        // Calendar: the count-th local boundary strictly after the start.
        (NBO, "2024-03-10 23:30", "1d", Calendar, 1, "2024-03-11 00:00"),
        (NBO, "2024-03-11 00:00", "1d", Calendar, 1, "2024-03-12 00:00"),
        (NBO, "2024-01-15 09:00", "1mo", Calendar, 1, "2024-02-01 00:00"),
        (NBO, "2024-01-15 09:00", "1mo", Calendar, 2, "2024-03-01 00:00"),
        (NBO, "2024-01-15 09:00", "1mo", Calendar, 0, "2024-01-15 09:00"),
        (NBO, "2024-11-20 09:00", "3mo", Calendar, 1, "2025-02-01 00:00"),
        (NBO, "2024-05-01 10:00", "1w", Calendar, 1, "2024-05-06 00:00"), // Wed → Mon
        (NBO, "2024-05-06 00:00", "1w", Calendar, 1, "2024-05-13 00:00"), // on Monday 00:00
        (NBO, "2024-05-12 23:59", "1w", Calendar, 1, "2024-05-13 00:00"), // Sunday night
        ("Asia/Kolkata", "2024-03-10 10:20", "3h", Calendar, 1, "2024-03-10 13:00"),
        (BER, "2024-03-30 15:00", "2d", Calendar, 1, "2024-04-01 00:00"),
        // Santiago skips midnight on 2024-09-08: the day starts at 01:00.
        ("America/Santiago", "2024-09-07 12:00", "1d", Calendar, 1, "2024-09-08 01:00"),
    ];
    for (tz, start, period, anchor, n, expected) in table {
        let p = Period::parse(period).unwrap();
        let end = period_end_n(at(start, tz), &p, anchor, &zone(tz), n).unwrap();
        assert_eq!(show(end, tz), expected, "{tz} {start} + {n} × {period} {anchor:?}");
        if n == 1 {
            assert_eq!(period_end(at(start, tz), &p, anchor, &zone(tz)), Ok(end));
        }
    }
}

#[test]
fn period_lengths_in_real_time() {
    // (zone, start, period, anchor, real seconds to the end)
    let table = [
        (NBO, "2024-03-10 23:30", "1d", Calendar, 30 * 60), // ends 21:00 UTC
        (BER, "2024-03-30 12:00", "1d", Rolling, 23 * H),   // spring forward
        (BER, "2024-10-26 12:00", "1d", Rolling, 25 * H),   // fall back
        (BER, "2024-03-30 12:00", "24h", Rolling, 24 * H),  // hours are exact
        (NBO, "2024-03-30 12:00", "1d", Rolling, D),
        (BER, "2024-03-01 00:00", "1mo", Calendar, 31 * D - H),
    ];
    for (tz, start, period, anchor, secs) in table {
        let s = at(start, tz);
        let end = period_end(s, &Period::parse(period).unwrap(), anchor, &zone(tz)).unwrap();
        assert_eq!(end - s, secs, "{tz} {start} {period} {anchor:?}");
    }
    let end = period_end(at("2024-03-10 23:30", NBO), &Period::parse("1d").unwrap(), Calendar, &zone(NBO));
    assert_eq!(end, Ok(at("2024-03-10 21:00", UTC)));
}

#[test]
fn period_errors() {
    let p = Period { unit: PeriodUnit::Day, count: 0 };
    assert_eq!(period_end(0, &p, Rolling, &zone(UTC)), Err(BillingError::ZeroPeriod));
    let far = at("9999-12-01 00:00", UTC);
    let month = Period::parse("1mo").unwrap();
    for anchor in [Rolling, Calendar] {
        assert_eq!(period_end(far, &month, anchor, &zone(UTC)), Err(BillingError::TimeOutOfRange { at: far }));
    }
    let huge = Period { unit: PeriodUnit::Hour, count: u32::MAX };
    assert!(period_end_n(0, &huge, Rolling, &zone(UTC), u32::MAX).is_err());
    assert!(period_end(i64::MAX, &month, Rolling, &zone(UTC)).is_err());
}

#[test]
fn lifecycle_and_renewal_from_grace() {
    let plan = terms("30d", Rolling, 3 * 24 * 3600, 100_000);
    let expiry = "2024-03-10 12:00";
    // (expiry, now, state, starts_at, expires_at, extended)
    let table = [
        (Some(expiry), "2024-03-10 11:00", State::Active, expiry, "2024-04-09 12:00", true),
        (Some(expiry), "2024-03-10 12:00", State::Grace, expiry, "2024-04-09 12:00", true),
        (Some(expiry), "2024-03-10 13:00", State::Grace, expiry, "2024-04-09 12:00", true),
        (Some(expiry), "2024-03-13 11:59", State::Grace, expiry, "2024-04-09 12:00", true),
        (Some(expiry), "2024-03-13 12:00", State::Expired, "2024-03-13 12:00", "2024-04-12 12:00", false),
        (Some(expiry), "2024-03-14 12:00", State::Expired, "2024-03-14 12:00", "2024-04-13 12:00", false),
        (None, "2024-03-14 12:00", State::NotStarted, "2024-03-14 12:00", "2024-04-13 12:00", false),
    ];
    for (expiry, now, expected_state, starts, expires, extended) in table {
        let (e, n) = (expiry.map(|e| at(e, NBO)), at(now, NBO));
        assert_eq!(state(e, plan.grace_secs, n), expected_state, "{expiry:?} at {now}");
        if let Some(e) = e {
            assert_eq!(in_grace(e, plan.grace_secs, n), expected_state == State::Grace, "{now}");
        }
        let r = renew(e, None, n, &plan, &zone(NBO), 1).unwrap();
        let got = (show(r.starts_at, NBO), show(r.expires_at, NBO), r.extended_from_expiry, r.charge);
        assert_eq!(got, (starts.to_string(), expires.to_string(), extended, 100_000), "{expiry:?} at {now}");
    }
    assert_eq!(cutoff(at(expiry, NBO), plan.grace_secs), at("2024-03-13 12:00", NBO));
    assert_eq!(cutoff(i64::MAX - 1, 10), i64::MAX);
    let two = renew(Some(at(expiry, NBO)), None, at(expiry, NBO) - H, &plan, &zone(NBO), 2).unwrap();
    assert_eq!((show(two.expires_at, NBO), two.charge), ("2024-05-09 12:00".to_string(), 200_000));
    assert_eq!(renew(None, None, 0, &plan, &zone(NBO), 0), Err(BillingError::NoPeriods));
}

#[test]
fn renewals_chained_from_the_run_start_do_not_drift() {
    let plan = terms("1mo", Rolling, 0, 50_000);
    // (renew at, pass the stored run start?, expected expiry)
    type Step = (&'static str, bool, &'static str);
    let chains: [(&[Step], &str); 3] = [
        (
            &[
                ("2024-01-31 10:00", true, "2024-02-29 10:00"),
                ("2024-02-20 09:00", true, "2024-03-31 10:00"),
                ("2024-03-31 09:00", true, "2024-04-30 10:00"),
                ("2024-04-02 09:00", true, "2024-05-31 10:00"),
            ],
            "anchored",
        ),
        (
            &[("2024-01-31 10:00", false, "2024-02-29 10:00"), ("2024-02-20 09:00", false, "2024-03-29 10:00")],
            "without the run start, each renewal re-anchors at the old expiry",
        ),
        (
            &[
                ("2024-01-31 10:00", true, "2024-02-29 10:00"),
                ("2024-04-01 09:00", true, "2024-05-01 09:00"), // lapsed: a new run starts now
                ("2024-04-20 09:00", true, "2024-06-01 09:00"),
            ],
            "lapsed",
        ),
    ];
    for (steps, name) in chains {
        let (mut expiry, mut run) = (None, None);
        for &(now, keep_run, expected) in steps {
            let r = renew(expiry, if keep_run { run } else { None }, at(now, UTC), &plan, &zone(UTC), 1).unwrap();
            assert_eq!(show(r.expires_at, UTC), expected, "{name}: renew at {now}");
            (expiry, run) = (Some(r.expires_at), Some(r.run_start));
        }
    }
    // A run start the expiry is not a whole number of periods after is ignored.
    let r = renew(Some(at("2024-03-15 10:00", UTC)), Some(at("2024-01-31 10:00", UTC)), 0, &plan, &zone(UTC), 1);
    assert_eq!(show(r.unwrap().expires_at, UTC), "2024-04-15 10:00");
}

#[test]
fn calendar_renewal_charges_the_partial_first_period() {
    let plan = terms("1mo", Calendar, 0, 310_000);
    // (expiry, now, starts, expires, charge) in Nairobi; March has 31 days.
    let table = [
        (None, "2024-03-17 00:00", "2024-03-17 00:00", "2024-04-01 00:00", 150_000),
        (Some("2024-04-01 00:00"), "2024-03-25 00:00", "2024-04-01 00:00", "2024-05-01 00:00", 310_000),
    ];
    for (expiry, now, starts, expires, charge) in table {
        let r = renew(expiry.map(|e| at(e, NBO)), None, at(now, NBO), &plan, &zone(NBO), 1).unwrap();
        let got = (show(r.starts_at, NBO), show(r.expires_at, NBO), r.charge);
        assert_eq!(got, (starts.to_string(), expires.to_string(), charge), "{now}");
    }
    let r = renew(None, None, at("2024-03-17 00:00", NBO), &plan, &zone(NBO), 3).unwrap();
    assert_eq!((show(r.expires_at, NBO), r.charge), ("2024-06-01 00:00".to_string(), 150_000 + 2 * 310_000));
}

#[test]
fn postpaid_dates() {
    let issued = at("2024-03-01 00:00", NBO);
    // (due days, now, paid, overdue)
    let table = [
        (14, "2024-03-15 00:00", false, false), // at the due instant: not yet
        (14, "2024-03-15 00:01", false, true),
        (14, "2024-04-15 00:00", true, false),
        (0, "2024-03-01 00:01", false, true),
    ];
    for (days, now, paid, overdue) in table {
        assert_eq!(is_overdue(issued, days, at(now, NBO), paid), overdue, "{days} days, {now}, paid {paid}");
    }
    assert_eq!(show(invoice_due(issued, 14), NBO), "2024-03-15 00:00");
    // (last period end, next invoice) in Nairobi
    for (last, next) in [
        ("2024-01-15 10:00", "2024-02-01 00:00"),
        ("2024-02-01 00:00", "2024-03-01 00:00"),
        ("2024-12-31 23:59", "2025-01-01 00:00"),
    ] {
        assert_eq!(show(next_invoice_at(at(last, NBO), &zone(NBO)).unwrap(), NBO), next, "{last}");
    }
}
