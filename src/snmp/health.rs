//! MikroTik hardware health, PURE: the objects read and how their numbers
//! become a [`Health`]. Source: MIKROTIK-MIB (mtxrHealth,
//! 1.3.6.1.4.1.14988.1.1.3) and MikroTik's "Health" manual page.
//!
//! RouterOS 6.47 and later (all of v7) list every sensor in
//! **mtxrGaugeTable** (`.3.100`, rows `.100.1.<column>.<index>`): column 2
//! mtxrGaugeName (e.g. "cpu-temperature"), 3 mtxrGaugeValue, 4 mtxrGaugeUnit
//! with celsius(1), rpm(2), dV(3), dA(4), dW(5), status(6). Scales: celsius
//! and rpm as they are; dV, dA and dW are tenths (241 dV = 24.1 V). This
//! module takes:
//!
//! | field               | gauge rows                                                       |
//! |---------------------|------------------------------------------------------------------|
//! | `cpu_temperature_c` | "cpu-temperature" (celsius)                                      |
//! | `temperature_c`     | "temperature", else "board-temperature1", else the first other celsius row |
//! | `voltage_v`         | "voltage" (dV / 10), else the first dV row                       |
//! | `fans_rpm`          | every rpm row, in index order                                    |
//! | `psu_ok`            | every status row named "psuN-state": 0 is ok, anything else is not |
//!
//! The MIB gives no values for status(6); RouterOS reports a state of `ok`
//! as 0 (the other states, `fail`, `no-input`, `not-present`, `idle`, as
//! non-zero), which is also how Centreon's MikroTik plugin reads it.
//! "fan-state" rows (also status) are not power supplies and are skipped.
//!
//! Older RouterOS has only the **mtxrHl\*** scalars (`.3.<n>.0`), read when
//! the gauge table is empty. Temperature, Voltage and Power are Integer32
//! in tenths (MIB DISPLAY-HINT "d-1"); PSU states are BoolValue, where
//! true(1) is ok:
//!
//! | field               | scalar                                                            |
//! |---------------------|-------------------------------------------------------------------|
//! | `temperature_c`     | mtxrHlTemperature `.10` / 10, else mtxrHlBoardTemperature `.7` / 10 |
//! | `cpu_temperature_c` | mtxrHlProcessorTemperature `.11` / 10, else mtxrHlCpuTemperature `.6` / 10 |
//! | `voltage_v`         | mtxrHlVoltage `.8` / 10                                           |
//! | `fans_rpm`          | mtxrHlFanSpeed1 `.17`, mtxrHlFanSpeed2 `.18` (Gauge32 rpm)        |
//! | `psu_ok`            | mtxrHlPowerSupplyState `.15`, mtxrHlBackupPowerSupplyState `.16`  |
//!
//! A temperature below -100 °C is dropped: RouterOS is known to report
//! -273 when its sensor reading hangs.

use super::{Health, HealthSource};

/// mtxrGaugeTableEntry: walk this, rows are `.<column>.<index>`.
pub(super) const GAUGE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 14988, 1, 1, 3, 100, 1];

/// mtxrHealth; legacy scalars are `MTXR_HEALTH.<n>.0`.
pub(super) const MTXR_HEALTH: &[u32] = &[1, 3, 6, 1, 4, 1, 14988, 1, 1, 3];

/// The legacy scalars read, in the order [`Legacy::from_values`] expects.
pub(super) const LEGACY_SCALARS: [u32; 9] = [10, 7, 11, 6, 8, 17, 18, 15, 16];

const CELSIUS: i64 = 1;
const RPM: i64 = 2;
const DECIVOLT: i64 = 3;
const STATUS: i64 = 6;

/// One mtxrGaugeTable row.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Gauge {
    pub index: u32,
    pub name: String,
    pub value: i64,
    pub unit: i64,
}

/// The legacy mtxrHl* scalars, raw; `None` where the router has no such
/// object.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Legacy {
    pub temperature: Option<i64>,
    pub board_temperature: Option<i64>,
    pub processor_temperature: Option<i64>,
    pub cpu_temperature: Option<i64>,
    pub voltage: Option<i64>,
    pub fan1: Option<i64>,
    pub fan2: Option<i64>,
    pub psu: Option<i64>,
    pub backup_psu: Option<i64>,
}

impl Legacy {
    /// From the values of [`LEGACY_SCALARS`], in that order.
    pub fn from_values(v: &[Option<i64>]) -> Legacy {
        let at = |i: usize| v.get(i).copied().flatten();
        Legacy {
            temperature: at(0),
            board_temperature: at(1),
            processor_temperature: at(2),
            cpu_temperature: at(3),
            voltage: at(4),
            fan1: at(5),
            fan2: at(6),
            psu: at(7),
            backup_psu: at(8),
        }
    }
}

fn celsius(c: f64) -> Option<f64> {
    (c >= -100.0).then_some(c)
}

fn tenths(v: i64) -> f64 {
    v as f64 / 10.0
}

fn rpm(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// Health from mtxrGaugeTable rows; `None` when there are none.
pub(super) fn from_gauges(rows: &[Gauge]) -> Option<Health> {
    if rows.is_empty() {
        return None;
    }
    let mut rows = rows.to_vec();
    rows.sort_by_key(|g| g.index);
    let named = |name: &str, unit: i64| rows.iter().find(|g| g.unit == unit && g.name == name);
    let temps = || rows.iter().filter(|g| g.unit == CELSIUS);
    let board = named("temperature", CELSIUS)
        .or_else(|| named("board-temperature1", CELSIUS))
        .or_else(|| temps().find(|g| g.name != "cpu-temperature"));
    let voltage = named("voltage", DECIVOLT).or_else(|| rows.iter().find(|g| g.unit == DECIVOLT));
    Some(Health {
        temperature_c: board.and_then(|g| celsius(g.value as f64)),
        cpu_temperature_c: named("cpu-temperature", CELSIUS).and_then(|g| celsius(g.value as f64)),
        voltage_v: voltage.map(|g| tenths(g.value)),
        fans_rpm: rows.iter().filter(|g| g.unit == RPM).map(|g| rpm(g.value)).collect(),
        psu_ok: rows.iter().filter(|g| g.unit == STATUS && is_psu_state(&g.name)).map(|g| g.value == 0).collect(),
        source: HealthSource::GaugeTable,
    })
}

/// "psu1-state", "psu2-state"; not "fan-state" or "psu1-voltage".
fn is_psu_state(name: &str) -> bool {
    name.strip_prefix("psu")
        .and_then(|rest| rest.strip_suffix("-state"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Health from the legacy scalars; source `None` when there is none.
pub(super) fn from_legacy(l: &Legacy) -> Health {
    let temp = |v: Option<i64>| v.map(tenths).and_then(celsius);
    let h = Health {
        temperature_c: temp(l.temperature).or_else(|| temp(l.board_temperature)),
        cpu_temperature_c: temp(l.processor_temperature).or_else(|| temp(l.cpu_temperature)),
        voltage_v: l.voltage.map(tenths),
        fans_rpm: [l.fan1, l.fan2].into_iter().flatten().map(rpm).collect(),
        psu_ok: [l.psu, l.backup_psu].into_iter().flatten().map(|v| v == 1).collect(),
        source: HealthSource::Legacy,
    };
    let empty = h.temperature_c.is_none()
        && h.cpu_temperature_c.is_none()
        && h.voltage_v.is_none()
        && h.fans_rpm.is_empty()
        && h.psu_ok.is_empty();
    if empty { none() } else { h }
}

/// No health objects at all.
pub(super) fn none() -> Health {
    Health {
        temperature_c: None,
        cpu_temperature_c: None,
        voltage_v: None,
        fans_rpm: vec![],
        psu_ok: vec![],
        source: HealthSource::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(index: u32, name: &str, value: i64, unit: i64) -> Gauge {
        Gauge { index, name: name.into(), value, unit }
    }

    #[test]
    fn gauge_tables() {
        // (rows, temperature, cpu temperature, voltage, fans, psus)
        type Case = (Vec<Gauge>, Option<f64>, Option<f64>, Option<f64>, Vec<u32>, Vec<bool>);
        let cases: Vec<Case> = vec![
            // A CCR2004-like router.
            (
                vec![
                    g(1, "cpu-temperature", 47, 1),
                    g(2, "board-temperature1", 38, 1),
                    g(3, "voltage", 241, 3),
                    g(4, "fan1-speed", 4200, 2),
                    g(5, "fan2-speed", 4150, 2),
                    g(6, "fan-state", 1, 6),
                    g(7, "psu1-state", 0, 6),
                    g(8, "psu2-state", 1, 6),
                ],
                Some(38.0),
                Some(47.0),
                Some(24.1),
                vec![4200, 4150],
                vec![true, false],
            ),
            // hAP: one "temperature", one "voltage"; rows out of order.
            (vec![g(17, "temperature", 41, 1), g(16, "voltage", 238, 3)], Some(41.0), None, Some(23.8), vec![], vec![]),
            // Only switch and SFP sensors; PSU voltages but no "voltage".
            (
                vec![
                    g(1, "sfp-temperature", 49, 1),
                    g(2, "switch-temperature", 48, 1),
                    g(3, "psu1-voltage", 121, 3),
                    g(4, "psu1-current", 42, 4),
                    g(5, "power-consumption", 508, 5),
                ],
                Some(49.0),
                None,
                Some(12.1),
                vec![],
                vec![],
            ),
            // Only a CPU sensor: no board temperature; a hung reading.
            (
                vec![g(1, "cpu-temperature", 50, 1), g(2, "board-temperature1", -273, 1)],
                None,
                Some(50.0),
                None,
                vec![],
                vec![],
            ),
        ];
        for (rows, temp, cpu, volts, fans, psus) in cases {
            let h = from_gauges(&rows).unwrap();
            assert_eq!(h.source, HealthSource::GaugeTable);
            assert_eq!(
                (h.temperature_c, h.cpu_temperature_c, h.voltage_v, h.fans_rpm, h.psu_ok),
                (temp, cpu, volts, fans, psus),
                "{rows:?}"
            );
        }
        assert_eq!(from_gauges(&[]), None);
    }

    #[test]
    fn legacy_scalars() {
        let full = Legacy::from_values(&[
            Some(385),
            Some(300),
            Some(512),
            Some(472),
            Some(241),
            Some(4200),
            None,
            Some(1),
            Some(0),
        ]);
        let h = from_legacy(&full);
        assert_eq!(h.source, HealthSource::Legacy);
        assert_eq!(h.temperature_c, Some(38.5));
        assert_eq!(h.cpu_temperature_c, Some(51.2));
        assert_eq!(h.voltage_v, Some(24.1));
        assert_eq!(h.fans_rpm, vec![4200]);
        assert_eq!(h.psu_ok, vec![true, false]);

        // Board and CPU temperatures stand in for the missing ones.
        let h = from_legacy(&Legacy { board_temperature: Some(290), cpu_temperature: Some(455), ..Legacy::default() });
        assert_eq!((h.temperature_c, h.cpu_temperature_c), (Some(29.0), Some(45.5)));

        assert_eq!(from_legacy(&Legacy::default()), none());
        assert_eq!(from_legacy(&Legacy::from_values(&[])).source, HealthSource::None);
    }

    #[test]
    fn psu_state_names() {
        for (name, psu) in [
            ("psu1-state", true),
            ("psu12-state", true),
            ("fan-state", false),
            ("psu-state", false),
            ("psu1-voltage", false),
        ] {
            assert_eq!(is_psu_state(name), psu, "{name}");
        }
    }
}
