//! The one source of "now". Everything that needs the time takes a [`Clock`];
//! tests use [`Clock::manual`] and move it forward.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::model::UnixTime;

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// Fixed time that tests advance explicitly.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(start: UnixTime) -> Self {
        Clock::Manual(Arc::new(AtomicI64::new(start)))
    }

    /// UTC seconds since the Unix epoch.
    pub fn now(&self) -> UnixTime {
        match self {
            #[allow(clippy::disallowed_methods)]
            Clock::System => {
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
            }
            Clock::Manual(t) => t.load(Ordering::Relaxed),
        }
    }

    /// Wall-clock milliseconds since the Unix epoch, whatever the clock:
    /// for measuring delays (replication lag), never for business time.
    pub fn wall_ms() -> i64 {
        #[allow(clippy::disallowed_methods)]
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }

    pub fn advance(&self, secs: i64) {
        if let Clock::Manual(t) = self {
            t.fetch_add(secs, Ordering::Relaxed);
        }
    }

    /// Tenant-local (weekday 0 = Monday, minute of day) for `now` in `tz`;
    /// an unknown zone name falls back to UTC.
    pub fn local_weekday_minute(now: UnixTime, tz: &str) -> (u8, u16) {
        Self::local_weekday_minute_in(now, &Self::zone(tz))
    }

    /// The named zone, or UTC when the name is unknown.
    pub fn zone(tz: &str) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Same, with the zone already looked up (the hot path keeps it per NAS).
    pub fn local_weekday_minute_in(now: UnixTime, zone: &jiff::tz::TimeZone) -> (u8, u16) {
        let Ok(ts) = jiff::Timestamp::from_second(now) else { return (0, 0) };
        let dt = zone.to_datetime(ts);
        let weekday = dt.weekday().to_monday_zero_offset() as u8;
        (weekday, dt.hour() as u16 * 60 + dt.minute() as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_advances() {
        let c = Clock::manual(100);
        c.advance(50);
        assert_eq!(c.now(), 150);
    }

    #[test]
    fn local_time_in_nairobi() {
        // 2027-01-04 21:30:00 UTC is a Monday; Nairobi is UTC+3 → Tuesday 00:30.
        let t = jiff::Timestamp::from_second(0).unwrap();
        let _ = t;
        let ts: jiff::Timestamp = "2027-01-04T21:30:00Z".parse().unwrap();
        assert_eq!(Clock::local_weekday_minute(ts.as_second(), "Africa/Nairobi"), (1, 30));
        assert_eq!(Clock::local_weekday_minute(ts.as_second(), "UTC"), (0, 21 * 60 + 30));
    }
}
