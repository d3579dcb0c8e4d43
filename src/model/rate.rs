//! Speed limits in MikroTik's `Mikrotik-Rate-Limit` shape:
//! `rx/tx [burst-rx/burst-tx [threshold-rx/threshold-tx [time-rx/time-tx [priority [min-rx/min-tx]]]]]`,
//! where rx is what the router receives from the customer (upload) and tx
//! what it sends (download).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burst {
    pub upload_bps: u64,
    pub download_bps: u64,
    pub threshold_upload_bps: u64,
    pub threshold_download_bps: u64,
    pub time_secs: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub upload_bps: u64,
    pub download_bps: u64,
    pub burst: Option<Burst>,
    /// 1 (highest) ..= 8.
    pub priority: Option<u8>,
    pub min_upload_bps: Option<u64>,
    pub min_download_bps: Option<u64>,
}

impl RateLimit {
    pub fn simple(upload_bps: u64, download_bps: u64) -> Self {
        RateLimit {
            upload_bps,
            download_bps,
            burst: None,
            priority: None,
            min_upload_bps: None,
            min_download_bps: None,
        }
    }

    /// Parse the MikroTik text form, e.g. `10M/10M 20M/20M 8M/8M 10/10 8 1M/1M`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        if parts.is_empty() || parts.len() > 6 {
            return Err(format!("rate limit {s:?}: expected 1 to 6 fields"));
        }
        let (up, down) = pair(parts[0])?;
        let mut r = RateLimit::simple(up, down);
        if parts.len() >= 2 {
            if parts.len() < 4 {
                return Err(format!("rate limit {s:?}: burst needs rate, threshold and time"));
            }
            let (bu, bd) = pair(parts[1])?;
            let (tu, td) = pair(parts[2])?;
            let (time, _) = pair(parts[3].trim_end_matches('s'))?;
            r.burst = Some(Burst {
                upload_bps: bu,
                download_bps: bd,
                threshold_upload_bps: tu,
                threshold_download_bps: td,
                time_secs: u32::try_from(time).map_err(|_| format!("burst time too large in {s:?}"))?,
            });
        }
        if let Some(p) = parts.get(4) {
            let p: u8 = p.parse().map_err(|_| format!("priority {p:?} is not 1-8"))?;
            if !(1..=8).contains(&p) {
                return Err(format!("priority {p} is not 1-8"));
            }
            r.priority = Some(p);
        }
        if let Some(m) = parts.get(5) {
            let (mu, md) = pair(m)?;
            r.min_upload_bps = Some(mu);
            r.min_download_bps = Some(md);
        }
        Ok(r)
    }
}

fn pair(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s.split_once('/').unwrap_or((s, s));
    Ok((bits(a)?, bits(b)?))
}

fn bits(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1_000),
        Some(b'M') => (&s[..s.len() - 1], 1_000_000),
        Some(b'G') => (&s[..s.len() - 1], 1_000_000_000),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a rate (use 512k, 10M, 1G or bits/s)"))
}

struct Bits(u64);

impl fmt::Display for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v != 0 && v.is_multiple_of(1_000_000_000) {
            write!(f, "{}G", v / 1_000_000_000)
        } else if v != 0 && v.is_multiple_of(1_000_000) {
            write!(f, "{}M", v / 1_000_000)
        } else if v != 0 && v.is_multiple_of(1_000) {
            write!(f, "{}k", v / 1_000)
        } else {
            write!(f, "{v}")
        }
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Bits(self.upload_bps), Bits(self.download_bps))?;
        let needs_burst = self.burst.is_some() || self.priority.is_some() || self.min_upload_bps.is_some();
        if needs_burst {
            // Later fields are positional: a priority without burst still
            // needs the burst fields written as zeros.
            let b = self.burst.unwrap_or(Burst {
                upload_bps: 0,
                download_bps: 0,
                threshold_upload_bps: 0,
                threshold_download_bps: 0,
                time_secs: 0,
            });
            write!(
                f,
                " {}/{} {}/{} {}/{}",
                Bits(b.upload_bps),
                Bits(b.download_bps),
                Bits(b.threshold_upload_bps),
                Bits(b.threshold_download_bps),
                b.time_secs,
                b.time_secs
            )?;
        }
        if self.priority.is_some() || self.min_upload_bps.is_some() {
            write!(f, " {}", self.priority.unwrap_or(8))?;
        }
        if let (Some(u), Some(d)) = (self.min_upload_bps, self.min_download_bps) {
            write!(f, " {}/{}", Bits(u), Bits(d))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_render_round_trip() {
        let cases = [
            ("10M/10M", "10M/10M"),
            ("512k/2M", "512k/2M"),
            ("5M", "5M/5M"),
            ("10M/10M 20M/20M 8M/8M 10/10", "10M/10M 20M/20M 8M/8M 10/10"),
            ("10M/10M 20M/20M 8M/8M 10/10 8 1M/1M", "10M/10M 20M/20M 8M/8M 10/10 8 1M/1M"),
            ("1500/1500", "1500/1500"),
        ];
        for (input, want) in cases {
            let r = RateLimit::parse(input).unwrap();
            assert_eq!(r.to_string(), want, "{input}");
            assert_eq!(RateLimit::parse(want).unwrap(), r, "{input}");
        }
    }

    #[test]
    fn parse_errors() {
        for bad in ["", "10X/1M", "10M/10M 20M/20M", "1M/1M 2M/2M 1M/1M 10/10 9", "a b c d e f g"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad:?} should fail");
        }
    }
}
