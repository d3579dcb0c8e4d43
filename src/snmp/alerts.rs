//! PURE: threshold alerts from polls, with hysteresis and deduplication.
//! A value over its threshold for `RAISE_AFTER` polls in a row opens one
//! alert; it resolves only after `CLEAR_AFTER` polls in a row below 90 % of
//! the threshold, so a value hovering at the line does not flap. An
//! interface that was up and is reported down opens an alert at once and
//! resolves when it is up again. The caller keeps `AlertState` per router
//! (in `RouterHealth`) and records each transition once.
//!
//! Sessions: lango's count of sessions online on a router falling by half
//! or more (at least `DROP_MIN` sessions) between two polls opens an alert
//! at once (a reboot, a power cut, an upstream outage); it resolves when
//! the count is back to 80 % of what it was, or after `DROP_SETTLE_SECS`.
//! The router's own PPP session count differing from lango's by at least
//! `MISMATCH_MIN` (or a tenth) for `RAISE_AFTER` polls opens a ghost /
//! missing sessions alert (Stops lost, or accounting not reaching lango);
//! it resolves after `CLEAR_AFTER` polls within half that margin.
//!
//! SFPs and PoE ports (`ports`), each keyed by its table index: receive
//! power under `sfp_rx_dbm` for `RAISE_AFTER` polls opens an alert that
//! resolves after `CLEAR_AFTER` polls above the limit plus `SFP_CLEAR_DB`;
//! a module reporting RX loss opens one at once (and holds the power watch
//! still: no light is one alert, not two), resolved when light is back; a
//! PoE port in overload opens one at once, resolved when it is not. A
//! port that leaves its table resolves its open alerts.

use serde::{Deserialize, Serialize};

use super::{Optic, PoePort};

pub const RAISE_AFTER: u8 = 3;
pub const CLEAR_AFTER: u8 = 3;
pub const DROP_MIN: u32 = 10;
pub const DROP_SETTLE_SECS: i64 = 3600;
pub const MISMATCH_MIN: u32 = 5;
/// An SFP's receive power alert resolves this far above its limit, dB.
pub const SFP_CLEAR_DB: f64 = 2.0;

/// The limits a tenant's routers are held to (0: not watched).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    pub cpu_percent: u8,
    pub temperature_c: f64,
    /// SFP receive power floor, dBm (negative; 0: not watched).
    pub sfp_rx_dbm: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    /// Polls in a row over (while closed) or under the clear line (while open).
    pub streak: u8,
    pub open: bool,
    /// While open: the alert as it was raised.
    pub words: String,
}

/// What is watched on one router.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    pub cpu: Watch,
    pub temperature: Watch,
    /// Interfaces (index, the alert's words) reported down after being up.
    pub ifaces_down: Vec<(u32, String)>,
    /// Sessions online in lango's table at the last poll.
    pub online_before: Option<u32>,
    /// An open sharp drop: (sessions before it, when, the alert's words).
    pub drop: Option<(u32, i64, String)>,
    /// lango's PPP sessions against the router's own count.
    pub ppp_mismatch: Watch,
    /// SFPs with an alert open or building up, by mtxrOpticalIndex.
    #[serde(default)]
    pub sfps: Vec<PortWatch>,
    /// PoE ports in overload, by ifIndex.
    #[serde(default)]
    pub poe: Vec<PortWatch>,
}

/// One SFP or PoE port's watches; kept only while one is open or building.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortWatch {
    pub index: u32,
    pub name: String,
    /// Receive power under the limit (SFPs).
    pub low: Watch,
    /// RX loss (SFPs) or overload (PoE): opens and resolves at once.
    pub fault: Watch,
}

impl PortWatch {
    fn idle(&self) -> bool {
        !self.low.open && !self.fault.open && self.low.streak == 0
    }
}

impl AlertState {
    /// The open alerts, in words.
    pub fn open(&self) -> Vec<String> {
        let watches = [&self.cpu, &self.temperature, &self.ppp_mismatch].into_iter().filter(|w| w.open);
        let watches = watches.map(|w| w.words.clone());
        let drop = self.drop.iter().map(|(_, _, w)| w.clone());
        let ports = self.sfps.iter().chain(&self.poe).flat_map(|p| [&p.fault, &p.low]).filter(|w| w.open);
        watches
            .chain(self.ifaces_down.iter().map(|(_, w)| w.clone()))
            .chain(drop)
            .chain(ports.map(|w| w.words.clone()))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Transition {
    Opened(String),
    Resolved(String),
}

/// One measurement against its limit; the transition it makes, if any.
fn step(w: &mut Watch, value: Option<f64>, limit: f64, what: &str, unit: &str) -> Option<Transition> {
    let v = value?;
    if limit <= 0.0 {
        return None;
    }
    if !w.open {
        w.streak = if v >= limit { w.streak.saturating_add(1) } else { 0 };
        if w.streak >= RAISE_AFTER {
            (w.open, w.streak) = (true, 0);
            w.words = format!("{what} {v:.0}{unit}, over {limit:.0}{unit}");
            return Some(Transition::Opened(w.words.clone()));
        }
    } else {
        w.streak = if v < limit * 0.9 { w.streak.saturating_add(1) } else { 0 };
        if w.streak >= CLEAR_AFTER {
            (w.open, w.streak) = (false, 0);
            w.words.clear();
            return Some(Transition::Resolved(format!("{what} back to {v:.0}{unit}")));
        }
    }
    None
}

/// The transitions of one poll: `cpu`, `temperature`, and the interfaces
/// as (index, name, up) now, with the previous poll's (index, up) so that
/// only a change from up to down opens an alert.
pub fn evaluate(
    s: &mut AlertState,
    limits: Limits,
    cpu: Option<u8>,
    temperature: Option<f64>,
    ifaces: &[(u32, String, bool)],
    before: &[(u32, bool)],
) -> Vec<Transition> {
    let mut out = Vec::new();
    out.extend(step(&mut s.cpu, cpu.map(f64::from), f64::from(limits.cpu_percent), "CPU", "%"));
    out.extend(step(&mut s.temperature, temperature, limits.temperature_c, "temperature", " °C"));
    for (index, name, up) in ifaces {
        let was_up = before.iter().any(|(i, u)| i == index && *u);
        let listed = s.ifaces_down.iter().any(|(i, _)| i == index);
        if !up && was_up && !listed {
            let words = format!("interface {name} down");
            s.ifaces_down.push((*index, words.clone()));
            out.push(Transition::Opened(words));
        } else if *up && listed {
            s.ifaces_down.retain(|(i, _)| i != index);
            out.push(Transition::Resolved(format!("interface {name} up again")));
        }
    }
    out
}

/// A fault that opens and resolves at once: `on` now, with the words.
fn fault(
    w: &mut Watch,
    on: bool,
    opened: impl FnOnce() -> String,
    resolved: impl FnOnce() -> String,
) -> Option<Transition> {
    match (on, w.open) {
        (true, false) => {
            (w.open, w.words) = (true, opened());
            Some(Transition::Opened(w.words.clone()))
        }
        (false, true) => {
            (w.open, w.streak) = (false, 0);
            w.words.clear();
            Some(Transition::Resolved(resolved()))
        }
        _ => None,
    }
}

/// An SFP's receive power `v` against `limit` (dBm): under it for
/// `RAISE_AFTER` polls opens, over it plus `SFP_CLEAR_DB` for
/// `CLEAR_AFTER` polls resolves.
fn low_power(w: &mut Watch, v: f64, limit: f64, name: &str) -> Option<Transition> {
    if !w.open {
        w.streak = if v < limit { w.streak.saturating_add(1) } else { 0 };
        if w.streak >= RAISE_AFTER {
            (w.open, w.streak) = (true, 0);
            w.words = format!("SFP {name} receive power {v:.1} dBm, under {limit} dBm");
            return Some(Transition::Opened(w.words.clone()));
        }
    } else {
        w.streak = if v > limit + SFP_CLEAR_DB { w.streak.saturating_add(1) } else { 0 };
        if w.streak >= CLEAR_AFTER {
            (w.open, w.streak) = (false, 0);
            w.words.clear();
            return Some(Transition::Resolved(format!("SFP {name} receive power back to {v:.1} dBm")));
        }
    }
    None
}

/// The watch of port `index` in `list`, added if new (with `name`).
fn watch<'a>(list: &'a mut Vec<PortWatch>, index: u32, name: &str) -> &'a mut PortWatch {
    let at = match list.iter().position(|p| p.index == index) {
        Some(at) => at,
        None => {
            list.push(PortWatch { index, name: name.into(), ..PortWatch::default() });
            list.len() - 1
        }
    };
    list[at].name = name.into();
    &mut list[at]
}

/// Open alerts of ports no longer in their table end; idle watches go.
fn prune(list: &mut Vec<PortWatch>, listed: &[u32], what: &str, out: &mut Vec<Transition>) {
    for p in list.iter().filter(|p| !listed.contains(&p.index)) {
        for _ in [&p.fault, &p.low].into_iter().filter(|w| w.open) {
            out.push(Transition::Resolved(format!("{what} {} no longer reported", p.name)));
        }
    }
    list.retain(|p| listed.contains(&p.index) && !p.idle());
}

/// The SFP and PoE transitions of one poll: every optic and PoE port the
/// router lists now; `sfp_rx_dbm` is the receive power floor (0: not
/// watched). Empty cages never alert.
pub fn ports(s: &mut AlertState, sfp_rx_dbm: f64, optics: &[Optic], poe: &[PoePort]) -> Vec<Transition> {
    let mut out = Vec::new();
    for o in optics {
        let w = watch(&mut s.sfps, o.index, &o.name);
        let dark = o.present() && o.rx_loss;
        let back = || match o.rx_dbm {
            Some(v) => format!("SFP {}: light again ({v:.1} dBm)", o.name),
            None => format!("SFP {}: light again", o.name),
        };
        out.extend(fault(&mut w.fault, dark, || format!("SFP {}: no light (RX loss)", o.name), back));
        if let Some(v) = o.rx_dbm.filter(|_| sfp_rx_dbm < 0.0 && o.present() && !dark) {
            out.extend(low_power(&mut w.low, v, sfp_rx_dbm, &o.name));
        }
    }
    for p in poe {
        let w = watch(&mut s.poe, p.index, &p.name);
        let opened = || format!("PoE on {} overloaded", p.name);
        let resolved = || format!("PoE on {} no longer overloaded ({})", p.name, p.status_word());
        out.extend(fault(&mut w.fault, p.overloaded(), opened, resolved));
    }
    let listed: Vec<u32> = optics.iter().map(|o| o.index).collect();
    prune(&mut s.sfps, &listed, "SFP", &mut out);
    let listed: Vec<u32> = poe.iter().map(|p| p.index).collect();
    prune(&mut s.poe, &listed, "PoE port", &mut out);
    out
}

/// The session transitions of one poll at `at`: `online` is lango's count
/// of sessions on the router, `lango_ppp` the PPP ones among them and
/// `router_ppp` the router's own PPP count (None: not known).
pub fn sessions(s: &mut AlertState, at: i64, online: u32, lango_ppp: u32, router_ppp: Option<u32>) -> Vec<Transition> {
    let mut out = Vec::new();
    match s.drop.take() {
        Some((from, since, words)) => {
            if u64::from(online) * 10 >= u64::from(from) * 8 {
                out.push(Transition::Resolved(format!("online sessions back to {online}")));
            } else if at - since >= DROP_SETTLE_SECS {
                out.push(Transition::Resolved(format!("online sessions settled at {online} (were {from})")));
            } else {
                s.drop = Some((from, since, words));
            }
        }
        None => {
            if let Some(before) = s.online_before
                && before >= DROP_MIN
                && online * 2 <= before
            {
                let words =
                    format!("online sessions fell from {before} to {online} (rebooted, or an upstream outage?)");
                s.drop = Some((before, at, words.clone()));
                out.push(Transition::Opened(words));
            }
        }
    }
    s.online_before = Some(online);
    if let Some(router) = router_ppp.filter(|&r| r > 0 || lango_ppp > 0) {
        let diff = router.abs_diff(lango_ppp);
        let margin = MISMATCH_MIN.max(router / 10);
        let w = &mut s.ppp_mismatch;
        if !w.open {
            w.streak = if diff >= margin { w.streak.saturating_add(1) } else { 0 };
            if w.streak >= RAISE_AFTER {
                (w.open, w.streak) = (true, 0);
                w.words = if lango_ppp > router {
                    format!(
                        "lango counts {lango_ppp} PPP sessions, the router has {router}: {diff} ghost sessions (Stops lost?)"
                    )
                } else {
                    format!(
                        "the router has {router} PPP sessions, lango counts {lango_ppp}: {diff} missing (accounting not reaching lango?)"
                    )
                };
                out.push(Transition::Opened(w.words.clone()));
            }
        } else {
            w.streak = if diff * 2 < margin { w.streak.saturating_add(1) } else { 0 };
            if w.streak >= CLEAR_AFTER {
                (w.open, w.streak) = (false, 0);
                w.words.clear();
                out.push(Transition::Resolved(format!("lango and the router agree again ({router} PPP sessions)")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sharp_drop_opens_at_once_and_resolves_on_recovery_or_after_an_hour() {
        let mut s = AlertState::default();
        assert!(sessions(&mut s, 0, 143, 0, None).is_empty(), "nothing to compare with yet");
        assert!(sessions(&mut s, 60, 100, 0, None).is_empty(), "a third fewer is not sharp");
        let t = sessions(&mut s, 120, 12, 0, None);
        assert_eq!(
            t,
            vec![Transition::Opened("online sessions fell from 100 to 12 (rebooted, or an upstream outage?)".into())]
        );
        assert_eq!(s.open().len(), 1);
        assert!(sessions(&mut s, 180, 40, 0, None).is_empty(), "deduplicated while open");
        assert_eq!(sessions(&mut s, 240, 85, 0, None), vec![Transition::Resolved("online sessions back to 85".into())]);
        // Small routers do not alert: 8 to 0 is below DROP_MIN.
        let mut small = AlertState::default();
        sessions(&mut small, 0, 8, 0, None);
        assert!(sessions(&mut small, 60, 0, 0, None).is_empty());
        // A drop that never recovers settles after an hour.
        let mut s = AlertState::default();
        sessions(&mut s, 0, 50, 0, None);
        assert_eq!(sessions(&mut s, 60, 0, 0, None).len(), 1);
        assert!(sessions(&mut s, 3000, 2, 0, None).is_empty());
        assert_eq!(
            sessions(&mut s, 3660, 2, 0, None),
            vec![Transition::Resolved("online sessions settled at 2 (were 50)".into())]
        );
    }

    #[test]
    fn ghost_and_missing_sessions_need_three_polls_and_clear_with_margin() {
        let mut s = AlertState::default();
        for at in 0..2 {
            assert!(sessions(&mut s, at * 60, 120, 120, Some(100)).is_empty());
        }
        let t = sessions(&mut s, 180, 120, 120, Some(100));
        assert_eq!(
            t,
            vec![Transition::Opened(
                "lango counts 120 PPP sessions, the router has 100: 20 ghost sessions (Stops lost?)".into()
            )]
        );
        // 7 apart: within the margin (10) but not within half of it: stays open.
        for at in 4..10 {
            assert!(sessions(&mut s, at * 60, 107, 107, Some(100)).is_empty());
        }
        for at in 10..12 {
            assert!(sessions(&mut s, at * 60, 102, 102, Some(100)).is_empty());
        }
        assert_eq!(
            sessions(&mut s, 720, 102, 102, Some(100)),
            vec![Transition::Resolved("lango and the router agree again (100 PPP sessions)".into())]
        );
        // Missing: the router has more.
        let mut s = AlertState::default();
        let t: Vec<_> = (0..3).flat_map(|i| sessions(&mut s, i * 60, 3, 3, Some(40))).collect();
        assert!(matches!(&t[..], [Transition::Opened(w)] if w.contains("37 missing")), "{t:?}");
        // No PPP on either side: nothing to compare.
        let mut s = AlertState::default();
        assert!((0..5).flat_map(|i| sessions(&mut s, i * 60, 30, 0, Some(0))).next().is_none());
    }

    const LIMITS: Limits = Limits { cpu_percent: 90, temperature_c: 70.0, sfp_rx_dbm: -25.0 };

    fn sfp(index: u32, rx_dbm: f64, rx_loss: bool) -> Optic {
        Optic {
            index,
            name: format!("sfp{index}"),
            rx_loss,
            wavelength_nm: Some(1310.0),
            rx_dbm: Some(rx_dbm),
            ..Optic::default()
        }
    }

    fn rx(s: &mut AlertState, dbms: &[f64]) -> Vec<Transition> {
        dbms.iter().flat_map(|d| ports(s, LIMITS.sfp_rx_dbm, &[sfp(1, *d, false), sfp(2, -5.0, false)], &[])).collect()
    }

    #[test]
    fn low_sfp_power_opens_after_three_polls_and_clears_two_db_above_the_limit() {
        let mut s = AlertState::default();
        assert!(rx(&mut s, &[-27.3, -27.3, -5.0, -27.3, -27.3]).is_empty(), "a good poll resets the streak");
        assert_eq!(
            rx(&mut s, &[-27.3]),
            vec![Transition::Opened("SFP sfp1 receive power -27.3 dBm, under -25 dBm".into())]
        );
        assert_eq!(s.open(), ["SFP sfp1 receive power -27.3 dBm, under -25 dBm"]);
        assert!(rx(&mut s, &[-30.0, -24.0, -23.5, -23.0]).is_empty(), "over -25 but not over -23: no flapping");
        assert!(rx(&mut s, &[-22.0, -21.0]).is_empty());
        assert_eq!(rx(&mut s, &[-5.1]), vec![Transition::Resolved("SFP sfp1 receive power back to -5.1 dBm".into())]);
        assert!(rx(&mut s, &[-5.1, -5.1, -5.1]).is_empty(), "resolved once");
        assert!(s.sfps.is_empty(), "nothing kept for healthy optics");
        // 0 is not watched.
        let mut s = AlertState::default();
        assert!((0..5).flat_map(|_| ports(&mut s, 0.0, &[sfp(1, -35.0, false)], &[])).next().is_none());
    }

    #[test]
    fn rx_loss_opens_at_once_and_resolves_when_light_is_back() {
        let mut s = AlertState::default();
        let dark = [sfp(1, -40.0, true)];
        assert_eq!(ports(&mut s, -25.0, &dark, &[]), vec![Transition::Opened("SFP sfp1: no light (RX loss)".into())]);
        for _ in 0..4 {
            assert!(ports(&mut s, -25.0, &dark, &[]).is_empty(), "one alert, and no low-power one on top");
        }
        assert_eq!(
            ports(&mut s, -25.0, &[sfp(1, -6.0, false)], &[]),
            vec![Transition::Resolved("SFP sfp1: light again (-6.0 dBm)".into())]
        );
        // An empty cage reports RX loss too: not an alert.
        let empty = Optic { index: 3, name: "sfp3".into(), rx_loss: true, ..Optic::default() };
        assert!(ports(&mut s, -25.0, &[empty], &[]).is_empty());
        // A module pulled while dark: its alert ends.
        ports(&mut s, -25.0, &dark, &[]);
        assert_eq!(ports(&mut s, -25.0, &[], &[]), vec![Transition::Resolved("SFP sfp1 no longer reported".into())]);
        assert!(s.open().is_empty() && s.sfps.is_empty());
    }

    #[test]
    fn poe_overload_opens_at_once_per_port_and_resolves() {
        let port =
            |index: u32, status: i32| PoePort { index, name: format!("ether{index}"), status, ..PoePort::default() };
        let mut s = AlertState::default();
        assert!(ports(&mut s, -25.0, &[], &[port(4, 3), port(5, 2)]).is_empty());
        assert_eq!(
            ports(&mut s, -25.0, &[], &[port(4, 4), port(5, 2)]),
            vec![Transition::Opened("PoE on ether4 overloaded".into())]
        );
        assert!(ports(&mut s, -25.0, &[], &[port(4, 4), port(5, 2)]).is_empty(), "deduplicated by index");
        assert_eq!(
            ports(&mut s, -25.0, &[], &[port(4, 4), port(5, 4)]),
            vec![Transition::Opened("PoE on ether5 overloaded".into())]
        );
        assert_eq!(s.open().len(), 2);
        assert_eq!(
            ports(&mut s, -25.0, &[], &[port(4, 3), port(5, 4)]),
            vec![Transition::Resolved("PoE on ether4 no longer overloaded (powered-on)".into())]
        );
        assert_eq!(s.open(), ["PoE on ether5 overloaded"]);
    }

    fn run(s: &mut AlertState, cpus: &[u8]) -> Vec<Transition> {
        cpus.iter().flat_map(|c| evaluate(s, LIMITS, Some(*c), None, &[], &[])).collect()
    }

    #[test]
    fn cpu_opens_after_three_polls_and_clears_after_three_below_the_line() {
        let mut s = AlertState::default();
        assert!(run(&mut s, &[95, 95, 50, 95, 95]).is_empty(), "a dip resets the streak");
        assert_eq!(run(&mut s, &[95]), vec![Transition::Opened("CPU 95%, over 90%".into())]);
        assert!(run(&mut s, &[99, 85, 85, 82]).is_empty(), "85 is under 90 but not under the clear line 81");
        assert!(run(&mut s, &[80, 80]).is_empty());
        assert_eq!(run(&mut s, &[80]), vec![Transition::Resolved("CPU back to 80%".into())]);
        assert!(run(&mut s, &[80, 80, 80]).is_empty(), "resolved once");
    }

    #[test]
    fn hovering_at_the_line_does_not_flap() {
        let mut s = AlertState::default();
        let t = run(&mut s, &[91, 89, 91, 89, 91, 92, 93, 88, 89, 91, 89]);
        assert_eq!(t, vec![Transition::Opened("CPU 93%, over 90%".into())]);
    }

    #[test]
    fn unwatched_or_unknown_values_do_nothing() {
        let mut s = AlertState::default();
        for _ in 0..5 {
            assert!(evaluate(&mut s, Limits::default(), Some(100), Some(99.0), &[], &[]).is_empty());
            assert!(evaluate(&mut s, LIMITS, None, None, &[], &[]).is_empty());
        }
    }

    #[test]
    fn an_interface_going_down_opens_and_coming_up_resolves() {
        let mut s = AlertState::default();
        let down = [(2, "ether2".to_string(), false)];
        let up = [(2, "ether2".to_string(), true)];
        assert!(evaluate(&mut s, LIMITS, None, None, &down, &[]).is_empty(), "never up: not an outage");
        assert!(evaluate(&mut s, LIMITS, None, None, &up, &[(2, false)]).is_empty());
        assert_eq!(
            evaluate(&mut s, LIMITS, None, None, &down, &[(2, true)]),
            vec![Transition::Opened("interface ether2 down".into())]
        );
        assert!(evaluate(&mut s, LIMITS, None, None, &down, &[(2, false)]).is_empty(), "once");
        assert_eq!(
            evaluate(&mut s, LIMITS, None, None, &up, &[(2, false)]),
            vec![Transition::Resolved("interface ether2 up again".into())]
        );
    }
}
