//! Traffic rates between two samples of one router, PURE: counter wraps,
//! reboots and the 497-day TimeTicks wrap.

use std::collections::HashMap;

use super::Sample;

/// One interface's average rate between two samples, bits per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfaceRate {
    pub index: u32,
    pub in_bps: u64,
    pub out_bps: u64,
}

/// How far a counter of `bits` bits (32 or 64) moved from `prev` to `cur`,
/// counting a wrap: the difference modulo 2^bits. Both values must be below
/// 2^bits. A counter that wrapped more than once, or was reset, cannot be
/// told from one that moved less; poll often enough (a 32-bit octet counter
/// wraps every 34 s at 1 Gbit/s, which is why [`super::Iface::hc`] counters
/// are read where the agent has them).
pub fn delta(prev: u64, cur: u64, bits: u32) -> u64 {
    let d = cur.wrapping_sub(prev);
    if bits >= 64 { d } else { d & ((1u64 << bits) - 1) }
}

/// sysUpTime within this many ticks of the 2^32 wrap (one day) counts as a
/// wrap rather than a reboot.
const TICKS_WRAP_WINDOW: u64 = 24 * 60 * 60 * 100;

/// Whether the agent restarted between the samples: sysUpTime went back.
///
/// sysUpTime is a TimeTicks (1/100 s, 32 bits) and wraps to 0 after
/// 497.1 days of uptime, so going back is only a reboot when the wrapped
/// difference is a day or more: a `cur` a little above 0 after a `prev` a
/// little below 2^32 is read as uptime carrying on past the wrap. The cost
/// is one missed reboot if a router restarts within a day of its 497th day
/// of uptime and is polled again within a day.
pub fn rebooted(prev: &Sample, cur: &Sample) -> bool {
    let (p, c) = (u64::from(prev.uptime_ticks), u64::from(cur.uptime_ticks));
    c < p && delta(p, c, 32) >= TICKS_WRAP_WINDOW
}

/// The rate of each interface present in both samples (same ifIndex, same
/// counter width), the samples taken `secs` apart. `None` when the router
/// rebooted in between (counters restarted from 0) or `secs` is not a
/// positive number.
///
/// 32-bit counters wrap modulo 2^32. A 64-bit counter never wraps in
/// practice (2^64 octets is eleven years at 400 Gbit/s), so one that went
/// back was reset (the interface was re-created) and that interface is left
/// out rather than given an absurd rate.
pub fn rates(prev: &Sample, cur: &Sample, secs: f64) -> Option<Vec<IfaceRate>> {
    if !(secs.is_finite() && secs > 0.0) || rebooted(prev, cur) {
        return None;
    }
    let before: HashMap<u32, _> = prev.ifaces.iter().map(|i| (i.index, i)).collect();
    let bps = |octets: u64| (octets as f64 * 8.0 / secs).round() as u64;
    Some(
        cur.ifaces
            .iter()
            .filter_map(|c| {
                let p = before.get(&c.index).filter(|p| p.hc == c.hc)?;
                if c.hc && (c.in_octets < p.in_octets || c.out_octets < p.out_octets) {
                    return None;
                }
                let bits = if c.hc { 64 } else { 32 };
                Some(IfaceRate {
                    index: c.index,
                    in_bps: bps(delta(p.in_octets, c.in_octets, bits)),
                    out_bps: bps(delta(p.out_octets, c.out_octets, bits)),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::{HealthSource, Iface};

    const MAX32: u64 = u32::MAX as u64;

    fn sample(uptime_ticks: u32, ifaces: &[(u32, bool, u64, u64)]) -> Sample {
        Sample {
            uptime_ticks,
            sys_name: "r1".into(),
            ifaces: ifaces
                .iter()
                .map(|&(index, hc, in_octets, out_octets)| Iface {
                    index,
                    name: format!("ether{index}"),
                    up: true,
                    speed_mbps: 1000,
                    in_octets,
                    out_octets,
                    hc,
                })
                .collect(),
            cpu_load: None,
            mem_used: None,
            mem_total: None,
            health: crate::snmp::Health {
                temperature_c: None,
                cpu_temperature_c: None,
                voltage_v: None,
                fans_rpm: vec![],
                psu_ok: vec![],
                source: HealthSource::None,
            },
            wireless_clients: None,
            dhcp_leases: None,
            optics: vec![],
            poe: vec![],
        }
    }

    #[test]
    fn deltas() {
        // (prev, cur, bits, delta)
        let cases = [
            (100, 250, 32, 150),
            (0, 0, 32, 0),
            (MAX32 - 99, 400, 32, 500),
            (MAX32, 0, 32, 1),
            (MAX32 - 999, 500, 32, 1500),
            (10, 5, 32, MAX32 - 4),
            (100, 250, 64, 150),
            (u64::MAX - 9, 10, 64, 20),
            (u64::MAX, 0, 64, 1),
            (5, 3, 64, u64::MAX - 1),
        ];
        for (prev, cur, bits, want) in cases {
            assert_eq!(delta(prev, cur, bits), want, "delta({prev}, {cur}, {bits})");
        }
    }

    #[test]
    fn reboots_and_the_497_day_wrap() {
        let day = TICKS_WRAP_WINDOW as u32;
        // (prev uptime, cur uptime, rebooted)
        let cases = [
            (1_000, 31_000, false),
            (31_000, 31_000, false),
            (31_000, 500, true),
            (day * 30, 12, true),
            // Past the wrap: 2^32 - 300 ticks, then 2 700 ticks later.
            (u32::MAX - 299, 2_400, false),
            (u32::MAX, 0, false),
            // A reboot near the wrap still shows when the gap is a day.
            (u32::MAX - 10, day, true),
            (u32::MAX - day, 0, true),
        ];
        for (p, c, want) in cases {
            assert_eq!(rebooted(&sample(p, &[]), &sample(c, &[])), want, "{p} -> {c}");
        }
    }

    #[test]
    fn rates_table() {
        // (prev ifaces, cur ifaces, secs, rates (index, in, out))
        type Case = (Vec<(u32, bool, u64, u64)>, Vec<(u32, bool, u64, u64)>, f64, Vec<(u32, u64, u64)>);
        let cases: Vec<Case> = vec![
            // 1 250 000 octets in 10 s = 1 Mbit/s.
            (vec![(1, true, 0, 0)], vec![(1, true, 1_250_000, 2_500_000)], 10.0, vec![(1, 1_000_000, 2_000_000)]),
            // A 32-bit counter wraps: 1 000 octets across 2^32 in 8 s.
            (vec![(2, false, MAX32 - 499, 10)], vec![(2, false, 500, 10)], 8.0, vec![(2, 1_000, 0)]),
            // A 64-bit counter that went back was reset: left out.
            (
                vec![(4, true, 5_000, 5_000), (5, true, 0, 0)],
                vec![(4, true, 10, 6_000), (5, true, 1, 1)],
                1.0,
                vec![(5, 8, 8)],
            ),
            // New, vanished and width-changed interfaces have no rate.
            (
                vec![(6, true, 0, 0), (7, false, 0, 0), (8, true, 0, 0)],
                vec![(7, true, 100, 100), (8, true, 100, 0), (9, true, 5, 5)],
                2.0,
                vec![(8, 400, 0)],
            ),
            // Rounded to the nearest bit per second.
            (vec![(1, false, 0, 0)], vec![(1, false, 1, 2)], 3.0, vec![(1, 3, 5)]),
        ];
        for (prev, cur, secs, want) in cases {
            let got = rates(&sample(1_000, &prev), &sample(2_000, &cur), secs).unwrap();
            let got: Vec<(u32, u64, u64)> = got.iter().map(|r| (r.index, r.in_bps, r.out_bps)).collect();
            assert_eq!(got, want, "{prev:?} -> {cur:?} in {secs} s");
        }
    }

    #[test]
    fn no_rates_across_a_reboot_or_without_time() {
        let a = sample(90_000, &[(1, true, 100, 100)]);
        let b = sample(100, &[(1, true, 50, 50)]);
        assert_eq!(rates(&a, &b, 300.0), None);
        let c = sample(120_000, &[(1, true, 200, 100)]);
        for secs in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(rates(&a, &c, secs), None, "{secs}");
        }
        assert_eq!(rates(&a, &c, 300.0).unwrap(), vec![IfaceRate { index: 1, in_bps: 3, out_bps: 0 }]);
    }
}
