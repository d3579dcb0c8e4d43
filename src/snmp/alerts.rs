//! PURE: threshold alerts from polls, with hysteresis and deduplication.
//! A value over its threshold for `RAISE_AFTER` polls in a row opens one
//! alert; it resolves only after `CLEAR_AFTER` polls in a row below 90 % of
//! the threshold, so a value hovering at the line does not flap. An
//! interface that was up and is reported down opens an alert at once and
//! resolves when it is up again. The caller keeps `AlertState` per router
//! (in `RouterHealth`) and records each transition once.

use serde::{Deserialize, Serialize};

pub const RAISE_AFTER: u8 = 3;
pub const CLEAR_AFTER: u8 = 3;

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
}

impl AlertState {
    /// The open alerts, in words.
    pub fn open(&self) -> Vec<String> {
        let watches = [&self.cpu, &self.temperature].into_iter().filter(|w| w.open).map(|w| w.words.clone());
        watches.chain(self.ifaces_down.iter().map(|(_, w)| w.clone())).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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
