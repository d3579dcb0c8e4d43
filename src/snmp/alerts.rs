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

use serde::{Deserialize, Serialize};

pub const RAISE_AFTER: u8 = 3;
pub const CLEAR_AFTER: u8 = 3;
pub const DROP_MIN: u32 = 10;
pub const DROP_SETTLE_SECS: i64 = 3600;
pub const MISMATCH_MIN: u32 = 5;

/// The limits a tenant's routers are held to (0: not watched).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    pub cpu_percent: u8,
    pub temperature_c: f64,
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
}

impl AlertState {
    /// The open alerts, in words.
    pub fn open(&self) -> Vec<String> {
        let watches = [&self.cpu, &self.temperature, &self.ppp_mismatch].into_iter().filter(|w| w.open);
        let watches = watches.map(|w| w.words.clone());
        let drop = self.drop.iter().map(|(_, _, w)| w.clone());
        watches.chain(self.ifaces_down.iter().map(|(_, w)| w.clone())).chain(drop).collect()
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

/// The session transitions of one poll at `at`: `online` is lango's count
/// of sessions on the router, `lango_ppp` the PPP ones among them and
/// `router_ppp` the router's own PPP count (None: not known).
pub fn sessions(
    s: &mut AlertState,
    at: i64,
    online: u32,
    lango_ppp: u32,
    router_ppp: Option<u32>,
) -> Vec<Transition> {
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
                let words = format!("online sessions fell from {before} to {online} (rebooted, or an upstream outage?)");
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
                    format!("lango counts {lango_ppp} PPP sessions, the router has {router}: {diff} ghost sessions (Stops lost?)")
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
        assert_eq!(t, vec![Transition::Opened("online sessions fell from 100 to 12 (rebooted, or an upstream outage?)".into())]);
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
        assert_eq!(sessions(&mut s, 3660, 2, 0, None), vec![Transition::Resolved("online sessions settled at 2 (were 50)".into())]);
    }

    #[test]
    fn ghost_and_missing_sessions_need_three_polls_and_clear_with_margin() {
        let mut s = AlertState::default();
        for at in 0..2 {
            assert!(sessions(&mut s, at * 60, 120, 120, Some(100)).is_empty());
        }
        let t = sessions(&mut s, 180, 120, 120, Some(100));
        assert_eq!(t, vec![Transition::Opened(
            "lango counts 120 PPP sessions, the router has 100: 20 ghost sessions (Stops lost?)".into()
        )]);
        // 7 apart: within the margin (10) but not within half of it: stays open.
        for at in 4..10 {
            assert!(sessions(&mut s, at * 60, 107, 107, Some(100)).is_empty());
        }
        for at in 10..12 {
            assert!(sessions(&mut s, at * 60, 102, 102, Some(100)).is_empty());
        }
        assert_eq!(sessions(&mut s, 720, 102, 102, Some(100)), vec![Transition::Resolved(
            "lango and the router agree again (100 PPP sessions)".into()
        )]);
        // Missing: the router has more.
        let mut s = AlertState::default();
        let t: Vec<_> = (0..3).flat_map(|i| sessions(&mut s, i * 60, 3, 3, Some(40))).collect();
        assert!(matches!(&t[..], [Transition::Opened(w)] if w.contains("37 missing")), "{t:?}");
        // No PPP on either side: nothing to compare.
        let mut s = AlertState::default();
        assert!((0..5).flat_map(|i| sessions(&mut s, i * 60, 30, 0, Some(0))).next().is_none());
    }

    const LIMITS: Limits = Limits { cpu_percent: 90, temperature_c: 70.0 };

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
