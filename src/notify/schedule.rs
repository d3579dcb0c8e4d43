//! When a message may go: the tenant's quiet hours (a window of local
//! minutes, possibly across midnight), the local day the daily cap counts
//! in, and lead times in words ("in 2 days", "baada ya siku 2").

use crate::model::UnixTime;
use jiff::tz::TimeZone;

fn local(now: UnixTime, zone: &TimeZone) -> Option<jiff::civil::DateTime> {
    Some(zone.to_datetime(jiff::Timestamp::from_second(now).ok()?))
}

/// Whether local minute `m` falls in the quiet window [start, end).
pub fn in_quiet(m: u16, start: u16, end: u16) -> bool {
    match start.cmp(&end) {
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Less => (start..end).contains(&m),
        std::cmp::Ordering::Greater => m >= start || m < end,
    }
}

/// `now`, or the end of the quiet hours it falls in (the next local
/// `end` o'clock), so a message set for the night goes in the morning.
pub fn defer(now: UnixTime, zone: &TimeZone, start: u16, end: u16) -> UnixTime {
    let Some(dt) = local(now, zone) else { return now };
    let m = dt.hour() as u16 * 60 + dt.minute() as u16;
    if !in_quiet(m, start, end) {
        return now;
    }
    let end_time = jiff::civil::Time::new((end / 60) as i8, (end % 60) as i8, 0, 0).unwrap_or_default();
    let mut day = dt.date();
    if m >= end {
        day = day.tomorrow().unwrap_or(day);
    }
    zone.to_ambiguous_timestamp(day.to_datetime(end_time)).compatible().map_or(now, |t| t.as_second()).max(now)
}

/// The local day `now` is in, as days since 1970-01-01 (the cap's key).
pub fn day(now: UnixTime, zone: &TimeZone) -> i64 {
    local(now, zone).map_or(now.div_euclid(86_400), |dt| {
        let epoch = jiff::civil::date(1970, 1, 1);
        (dt.date() - epoch).get_days() as i64
    })
}

/// `at` as a customer reads it: "7 Dec 2026 14:00".
pub fn show(at: UnixTime, zone: &TimeZone) -> String {
    local(at, zone).map_or_else(|| at.to_string(), |dt| dt.strftime("%-d %b %Y %H:%M").to_string())
}

/// How far ahead `secs` is, in words of `lang`.
pub fn lead_words(secs: i64, lang: &str) -> String {
    let sw = lang == "sw";
    // A reminder goes a little after its lead time: round to the nearest
    // day from 23.5 hours on, to the nearest hour from 50 minutes.
    let (n, unit_en, unit_sw) = if secs >= 84_600 {
        ((secs + 43_200) / 86_400, "day", "siku")
    } else if secs >= 3000 {
        ((secs + 1800) / 3600, "hour", "saa")
    } else {
        ((secs + 59) / 60, "minute", "dakika")
    };
    match (sw, n) {
        (false, 1) => format!("in 1 {unit_en}"),
        (false, n) => format!("in {n} {unit_en}s"),
        (true, n) => format!("baada ya {unit_sw} {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> UnixTime {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    #[test]
    fn quiet_window_across_midnight() {
        assert!(in_quiet(22 * 60, 21 * 60, 8 * 60));
        assert!(in_quiet(3 * 60, 21 * 60, 8 * 60));
        assert!(!in_quiet(8 * 60, 21 * 60, 8 * 60));
        assert!(!in_quiet(12 * 60, 21 * 60, 8 * 60));
        assert!(in_quiet(13 * 60, 12 * 60, 14 * 60));
        assert!(!in_quiet(13 * 60, 600, 600));
    }

    #[test]
    fn night_messages_wait_for_the_morning_in_the_tenant_zone() {
        let nairobi = TimeZone::get("Africa/Nairobi").unwrap();
        // 20:30 UTC = 23:30 EAT: quiet, goes at 08:00 EAT the next day (05:00 UTC).
        assert_eq!(defer(at("2026-12-07T20:30:00Z"), &nairobi, 21 * 60, 8 * 60), at("2026-12-08T05:00:00Z"));
        // 02:00 UTC = 05:00 EAT: quiet, goes at 08:00 EAT the same day.
        assert_eq!(defer(at("2026-12-08T02:00:00Z"), &nairobi, 21 * 60, 8 * 60), at("2026-12-08T05:00:00Z"));
        // 09:00 UTC = 12:00 EAT: now.
        let noon = at("2026-12-08T09:00:00Z");
        assert_eq!(defer(noon, &nairobi, 21 * 60, 8 * 60), noon);
        assert_eq!(defer(noon, &nairobi, 0, 0), noon);
    }

    #[test]
    fn local_day_changes_at_local_midnight() {
        let nairobi = TimeZone::get("Africa/Nairobi").unwrap();
        // 20:59 UTC is 23:59 EAT; 21:00 UTC is the next local day.
        let a = day(at("2026-12-07T20:59:00Z"), &nairobi);
        let b = day(at("2026-12-07T21:00:00Z"), &nairobi);
        assert_eq!(b, a + 1);
        assert_eq!(day(at("1970-01-02T00:00:00Z"), &TimeZone::UTC), 1);
    }

    #[test]
    fn leads_in_words() {
        assert_eq!(lead_words(2 * 86_400, "en"), "in 2 days");
        assert_eq!(lead_words(86_400, "en"), "in 1 day");
        assert_eq!(lead_words(2 * 86_400 + 60, "sw"), "baada ya siku 2");
        assert_eq!(lead_words(2 * 86_400 - 60, "en"), "in 2 days");
        assert_eq!(lead_words(5 * 3600, "en"), "in 5 hours");
        assert_eq!(lead_words(3600, "sw"), "baada ya saa 1");
        assert_eq!(lead_words(600, "en"), "in 10 minutes");
        assert_eq!(show(at("2026-12-07T11:00:00Z"), &TimeZone::get("Africa/Nairobi").unwrap()), "7 Dec 2026 14:00");
    }
}
