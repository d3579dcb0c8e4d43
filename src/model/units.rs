//! The human forms of values that both front ends (the command line and the
//! admin pages) read and show: durations (30d), byte sizes (1G), money
//! (1500.50), plan periods (1mo), weekly access windows, FUP rules and
//! addresses with a prefix (10.0.0.0/24). Pure: no I/O, no clock.

use std::net::IpAddr;

use super::{AccessWindow, Period};

/// A value that is not in the form expected; the text says what was typed
/// and what would do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadValue(pub String);

type Result<T> = std::result::Result<T, BadValue>;

fn bad<T>(message: String) -> Result<T> {
    Err(BadValue(message))
}

/// `90`, `90s`, `15m`, `1h`, `30d`, `1w` → seconds.
pub fn parse_duration(s: &str) -> Result<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('s') => (&s[..s.len() - 1], 1),
        Some('m') => (&s[..s.len() - 1], 60),
        Some('h') => (&s[..s.len() - 1], 3600),
        Some('d') => (&s[..s.len() - 1], 86_400),
        Some('w') => (&s[..s.len() - 1], 604_800),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| BadValue(format!("{s:?} is not a duration (try 90s, 15m, 1h, 30d, 1w)")))
}

/// `500M`, `1G`, `1.5G`, `2T`, or bytes → bytes (decimal units, as ISPs sell).
pub fn parse_bytes(s: &str) -> Result<u64> {
    let s = s.trim().trim_end_matches(['B', 'b']);
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1e3),
        Some('M') => (&s[..s.len() - 1], 1e6),
        Some('G') => (&s[..s.len() - 1], 1e9),
        Some('T') => (&s[..s.len() - 1], 1e12),
        _ => (s, 1.0),
    };
    let Ok(n) = num.parse::<f64>() else {
        return bad(format!("{s:?} is not a size (try 500M, 1G, 2T)"));
    };
    if !(0.0..1e19).contains(&(n * mult)) {
        return bad(format!("{s:?} is out of range"));
    }
    Ok((n * mult).round() as u64)
}

/// `1500` or `1500.50` → minor units (two decimals).
pub fn parse_money(s: &str) -> Result<i64> {
    let s = s.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || frac.len() > 2 || !(frac.is_empty() || all_digits(frac)) {
        return bad(format!("{s:?} is not an amount (try 1500 or 1500.50)"));
    }
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().unwrap_or(0) };
    let minor = whole.parse::<i64>().ok().and_then(|w| w.checked_mul(100)).and_then(|w| w.checked_add(frac));
    let minor = minor.ok_or_else(|| BadValue(format!("{s:?} is too large")))?;
    Ok(if negative { -minor } else { minor })
}

/// `mon-fri 08:00-18:00`, `sat,sun 10:00-22:00`, `all 22:00-06:00`.
pub fn access_window(s: &str) -> Result<AccessWindow> {
    let (days, times) =
        s.trim().split_once(' ').ok_or_else(|| BadValue(format!("{s:?}: expected \"DAYS HH:MM-HH:MM\"")))?;
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day =
        |d: &str| NAMES.iter().position(|n| *n == d).ok_or_else(|| BadValue(format!("{d:?} is not a day (mon..sun)")));
    let mut mask = 0u8;
    for part in days.split(',') {
        if part == "all" {
            mask = 0x7f;
        } else if let Some((a, b)) = part.split_once('-') {
            let (a, b) = (day(a)?, day(b)?);
            let mut d = a;
            loop {
                mask |= 1 << d;
                if d == b {
                    break;
                }
                d = (d + 1) % 7;
            }
        } else {
            mask |= 1 << day(part)?;
        }
    }
    let (start, end) = times.split_once('-').ok_or_else(|| BadValue(format!("{times:?}: expected HH:MM-HH:MM")))?;
    let minute = |t: &str| -> Result<u16> {
        let hm = t.split_once(':').and_then(|(h, m)| Some((h.parse::<u16>().ok()?, m.parse::<u16>().ok()?)));
        let Some((h, m)) = hm else {
            return bad(format!("{t:?} is not HH:MM"));
        };
        if h > 24 || m > 59 || (h == 24 && m > 0) {
            return bad(format!("{t:?} is not a time of day"));
        }
        Ok(h * 60 + m)
    };
    Ok(AccessWindow { days: mask, start_min: minute(start)?, end_min: minute(end)? })
}

pub fn show_bytes(b: u64) -> String {
    match b {
        b if b >= 1_000_000_000_000 => format!("{:.2}T", b as f64 / 1e12),
        b if b >= 1_000_000_000 => format!("{:.2}G", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1}M", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1}k", b as f64 / 1e3),
        b => format!("{b}B"),
    }
}

pub fn show_duration(s: u64) -> String {
    match s {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

pub fn show_money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (minor / 100).unsigned_abs(), (minor % 100).unsigned_abs())
}

/// A plan period: `3h`, `30d`, `2w`, `1mo` (or any duration, rounded up to
/// whole hours).
pub fn parse_period(s: &str) -> Result<Period> {
    match Period::parse(s) {
        Ok(p) => return Ok(p),
        // "1m" is ambiguous (minutes or a month): say so.
        Err(e) if s.trim().ends_with('m') => return bad(e.to_string()),
        Err(_) => {}
    }
    let Ok(secs) = parse_duration(s) else {
        return bad(format!("{s:?} is not a period (try 3h, 30d, 2w, 1mo)"));
    };
    if secs == 0 {
        return bad("a period must be longer than zero".into());
    }
    Ok(crate::billing::period_from_secs(secs))
}

/// `"50G 2M/2M"`: threshold bytes, then the Mikrotik-Rate-Limit after it.
pub fn fup(s: &str) -> Result<super::Fup> {
    let Some((threshold, rate)) = s.trim().split_once(' ') else {
        return bad("expected \"<bytes> <rate>\", e.g. \"50G 2M/2M\"".into());
    };
    Ok(super::Fup {
        threshold_bytes: parse_bytes(threshold)?,
        rate: super::RateLimit::parse(rate.trim()).map_err(|e| BadValue(e.to_string()))?,
    })
}

/// `10.0.0.1`, `10.0.0.0/24` or an IPv6 address with its prefix: the
/// address and the prefix length (a host's full length when none is given).
pub fn parse_cidr(s: &str) -> Result<(IpAddr, u8)> {
    let (a, p) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
    let Ok(addr) = a.parse::<IpAddr>() else {
        return bad(format!("{a:?} is not an IP address"));
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max => n,
            _ => return bad(format!("prefix /{p} is not 0..={max}")),
        },
        None => max,
    };
    Ok((addr, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_sizes_money() {
        assert_eq!(parse_duration("30d").unwrap(), 2_592_000);
        assert_eq!(parse_duration("1h").unwrap(), 3600);
        assert_eq!(parse_duration("45").unwrap(), 45);
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_bytes("1G").unwrap(), 1_000_000_000);
        assert_eq!(parse_bytes("1.5GB").unwrap(), 1_500_000_000);
        assert!(parse_bytes("lots").is_err());
        assert_eq!(parse_money("1500").unwrap(), 150_000);
        assert_eq!(parse_money("1500.5").unwrap(), 150_050);
        assert!(parse_money("1.234").is_err());
        assert_eq!(show_money(150_050), "1500.50");
        assert_eq!(parse_money("-5.50").unwrap(), -550);
        assert_eq!(show_money(-550), "-5.50");
        assert_eq!(show_money(-50), "-0.50");
        assert!(parse_money("+5").is_err());
    }

    #[test]
    fn windows() {
        let w = access_window("mon-fri 08:00-18:00").unwrap();
        assert_eq!((w.days, w.start_min, w.end_min), (0b0011111, 480, 1080));
        let w = access_window("sat,sun 22:00-06:00").unwrap();
        assert_eq!((w.days, w.start_min, w.end_min), (0b1100000, 1320, 360));
        assert_eq!(access_window("all 00:00-24:00").unwrap().days, 0x7f);
        assert!(access_window("someday 1-2").is_err());
    }

    #[test]
    fn periods_and_addresses() {
        assert_eq!(parse_period("30d").unwrap().to_string(), "30d");
        assert!(parse_period("1m").unwrap_err().0.contains("1m"));
        assert!(parse_period("0").is_err());
        assert_eq!(parse_cidr("10.0.0.0/24").unwrap(), ("10.0.0.0".parse().unwrap(), 24));
        assert_eq!(parse_cidr("10.0.0.1").unwrap().1, 32);
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("router").is_err());
    }
}
