//! SFP optics and PoE-out ports, PURE: the MikroTik objects read and how
//! their numbers become [`Optic`]s and [`PoePort`]s. Source: MIKROTIK-MIB
//! (revision 2024-05-09) and MikroTik's "PoE-Out" manual page.
//!
//! **mtxrOpticalTable** (`1.3.6.1.4.1.14988.1.1.19.1`, rows
//! `.19.1.1.<column>.<mtxrOpticalIndex>`), one row per SFP / SFP+ cage:
//!
//! | column | object                     | MIB type                  | field           | scale          |
//! |--------|----------------------------|---------------------------|-----------------|----------------|
//! | 2      | mtxrOpticalName            | DisplayString             | `name`          | as is ("sfp1") |
//! | 3      | mtxrOpticalRxLoss          | BoolValue, true(1)        | `rx_loss`       | 1 is true      |
//! | 4      | mtxrOpticalTxFault         | BoolValue, true(1)        | `tx_fault`      | 1 is true      |
//! | 5      | mtxrOpticalWavelength      | GDiv100, UNITS "nm"       | `wavelength_nm` | / 100          |
//! | 6      | mtxrOpticalTemperature     | Gauge32, UNITS "C"        | `temperature_c` | as is          |
//! | 7      | mtxrOpticalSupplyVoltage   | GDiv1000, UNITS "V"       | `supply_v`      | mV / 1000      |
//! | 8      | mtxrOpticalTxBiasCurrent   | Gauge32, UNITS "mA"       | `tx_bias_ma`    | as is          |
//! | 9      | mtxrOpticalTxPower         | IDiv1000, UNITS "dBm"     | `tx_dbm`        | / 1000         |
//! | 10     | mtxrOpticalRxPower         | IDiv1000, UNITS "dBm"     | `rx_dbm`        | / 1000         |
//!
//! So -5100 is -5.10 dBm and 131000 is 1310 nm. Odd values are dropped,
//! not shown: a wavelength of 0 or 65535 nm (the "not available" value),
//! a power outside -100..=+30 dBm, a temperature below -100 °C (a hung
//! sensor). A power sent unsigned (4294962196 for -5100, as some agents
//! encode Integer32) is read back as the signed number it was. A row with
//! no wavelength and no non-zero temperature or power is an empty cage
//! ([`Optic::present`] is false): it is listed but never alerts.
//!
//! **mtxrPOETable** (`1.3.6.1.4.1.14988.1.1.15.1`, rows
//! `.15.1.1.<column>.<mtxrPOEInterfaceIndex>`; the index is the port's
//! ifIndex), one row per PoE-out port:
//!
//! | column | object        | MIB type              | field        | scale       |
//! |--------|---------------|-----------------------|--------------|-------------|
//! | 2      | mtxrPOEName   | DisplayString         | `name`       | as is       |
//! | 3      | mtxrPOEStatus | INTEGER (see below)   | `status`     | as is       |
//! | 4      | mtxrPOEVoltage| Voltage (d-1)         | `voltage_v`  | dV / 10     |
//! | 5      | mtxrPOECurrent| Integer32             | `current_ma` | mA as is    |
//! | 6      | mtxrPOEPower  | Power (d-1)           | `power_w`    | dW / 10     |
//!
//! mtxrPOEStatus: disabled(1), waitingForLoad(2), poweredOn(3),
//! overload(4), and in newer MIBs shortCircuit(5), voltageTooLow(6),
//! currentTooLow(7), powerReset(8), voltageTooHigh(9), controllerError(10),
//! controllerUpgrade(11), poeInDetected(12), noValidPsu(13),
//! controllerInit(14); shown in RouterOS's words ("powered-on"), anything
//! else as "unknown(N)".
//!
//! Either table absent (no SFP cages or PoE-out, a CHR, an older agent) is
//! simply empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// mtxrOpticalTableEntry: walk this, cells are `.<column>.<index>`.
pub(super) const OPTICAL_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 14988, 1, 1, 19, 1, 1];

/// mtxrPOEEntry: walk this, cells are `.<column>.<ifIndex>`.
pub(super) const POE_ENTRY: &[u32] = &[1, 3, 6, 1, 4, 1, 14988, 1, 1, 15, 1, 1];

const OPTICAL_NAME: u32 = 2;
const OPTICAL_RX_LOSS: u32 = 3;
const OPTICAL_TX_FAULT: u32 = 4;
const OPTICAL_WAVELENGTH: u32 = 5;
const OPTICAL_TEMPERATURE: u32 = 6;
const OPTICAL_SUPPLY_VOLTAGE: u32 = 7;
const OPTICAL_TX_BIAS: u32 = 8;
const OPTICAL_TX_POWER: u32 = 9;
const OPTICAL_RX_POWER: u32 = 10;

const POE_NAME: u32 = 2;
const POE_STATUS: u32 = 3;
const POE_VOLTAGE: u32 = 4;
const POE_CURRENT: u32 = 5;
const POE_POWER: u32 = 6;

/// GDiv100: hundredths of a nanometre.
const WAVELENGTH_DIV: f64 = 100.0;
/// The MIB's "not available" wavelength, nm.
const WAVELENGTH_NA: f64 = 65535.0;
/// GDiv1000: millivolts.
const SUPPLY_DIV: f64 = 1000.0;
/// IDiv1000: thousandths of a dBm.
const POWER_DIV: f64 = 1000.0;
/// A reading outside this is not one, dBm.
const POWER_RANGE: std::ops::RangeInclusive<f64> = -100.0..=30.0;
/// Voltage and Power (DISPLAY-HINT "d-1"): dV and dW.
const TENTHS: f64 = 10.0;

/// mtxrPOEStatus overload(4).
const POE_OVERLOAD: i32 = 4;

/// RouterOS's words for mtxrPOEStatus 1..=14.
const POE_STATUS_WORDS: [&str; 14] = [
    "disabled",
    "waiting-for-load",
    "powered-on",
    "overload",
    "short-circuit",
    "voltage-too-low",
    "current-too-low",
    "power-reset",
    "voltage-too-high",
    "controller-error",
    "controller-upgrade",
    "poe-in-detected",
    "no-valid-psu",
    "controller-init",
];

/// One SFP cage (mtxrOpticalTable row).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Optic {
    /// mtxrOpticalIndex.
    pub index: u32,
    /// "sfp1", "sfp-sfpplus1".
    pub name: String,
    /// No light is received.
    pub rx_loss: bool,
    /// The module reports a transmitter fault.
    pub tx_fault: bool,
    pub wavelength_nm: Option<f64>,
    pub temperature_c: Option<f64>,
    /// Module supply voltage, V.
    pub supply_v: Option<f64>,
    pub tx_bias_ma: Option<u32>,
    pub tx_dbm: Option<f64>,
    pub rx_dbm: Option<f64>,
}

impl Optic {
    /// A module is in the cage: it reports a wavelength, or some non-zero
    /// temperature or power (an empty cage reports none, or zeros).
    pub fn present(&self) -> bool {
        self.wavelength_nm.is_some()
            || [self.temperature_c, self.tx_dbm, self.rx_dbm].into_iter().flatten().any(|v| v != 0.0)
    }

    /// "ok", "no light", "tx fault", "no light, tx fault" or "empty".
    pub fn state(&self) -> &'static str {
        match (self.present(), self.rx_loss, self.tx_fault) {
            (false, ..) => "empty",
            (true, true, true) => "no light, tx fault",
            (true, true, false) => "no light",
            (true, false, true) => "tx fault",
            (true, false, false) => "ok",
        }
    }
}

/// One PoE-out port (mtxrPOETable row).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PoePort {
    /// mtxrPOEInterfaceIndex: the port's ifIndex.
    pub index: u32,
    /// "ether4".
    pub name: String,
    /// mtxrPOEStatus as sent (0 when missing); see [`PoePort::status_word`].
    pub status: i32,
    pub voltage_v: Option<f64>,
    pub current_ma: Option<i64>,
    pub power_w: Option<f64>,
}

impl PoePort {
    /// The status in RouterOS's words ("powered-on"), or "unknown(N)".
    pub fn status_word(&self) -> String {
        usize::try_from(self.status)
            .ok()
            .and_then(|s| s.checked_sub(1))
            .and_then(|i| POE_STATUS_WORDS.get(i))
            .map_or_else(|| format!("unknown({})", self.status), |w| (*w).to_string())
    }

    pub fn overloaded(&self) -> bool {
        self.status == POE_OVERLOAD
    }
}

/// One table cell's value as read: text or a number.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Raw {
    Int(i64),
    Text(String),
}

/// One table cell: (column, row index, value).
pub(super) type Cell = (u32, u32, Raw);

/// Cells grouped by row index, then column.
fn rows(cells: &[Cell]) -> BTreeMap<u32, BTreeMap<u32, &Raw>> {
    let mut rows: BTreeMap<u32, BTreeMap<u32, &Raw>> = BTreeMap::new();
    for (col, index, v) in cells {
        rows.entry(*index).or_default().insert(*col, v);
    }
    rows
}

fn int(row: &BTreeMap<u32, &Raw>, col: u32) -> Option<i64> {
    match row.get(&col) {
        Some(Raw::Int(n)) => Some(*n),
        _ => None,
    }
}

fn text(row: &BTreeMap<u32, &Raw>, col: u32) -> Option<String> {
    match row.get(&col) {
        Some(Raw::Text(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// An Integer32 that may have come unsigned (2^32 - 5100 for -5100).
fn signed(n: i64) -> i64 {
    match u32::try_from(n) {
        Ok(u) if n > i64::from(i32::MAX) => i64::from(u as i32),
        _ => n,
    }
}

fn dbm(n: Option<i64>) -> Option<f64> {
    n.map(|n| signed(n) as f64 / POWER_DIV).filter(|d| POWER_RANGE.contains(d))
}

/// mtxrOpticalTable cells as optics, in index order.
pub(super) fn optics(cells: &[Cell]) -> Vec<Optic> {
    rows(cells)
        .into_iter()
        .map(|(index, r)| Optic {
            index,
            name: text(&r, OPTICAL_NAME).unwrap_or_else(|| format!("sfp#{index}")),
            rx_loss: int(&r, OPTICAL_RX_LOSS) == Some(1),
            tx_fault: int(&r, OPTICAL_TX_FAULT) == Some(1),
            wavelength_nm: int(&r, OPTICAL_WAVELENGTH)
                .map(|n| n as f64 / WAVELENGTH_DIV)
                .filter(|nm| *nm > 0.0 && *nm < WAVELENGTH_NA),
            temperature_c: int(&r, OPTICAL_TEMPERATURE).map(|c| signed(c) as f64).filter(|c| *c >= -100.0),
            supply_v: int(&r, OPTICAL_SUPPLY_VOLTAGE).map(|mv| mv as f64 / SUPPLY_DIV),
            tx_bias_ma: int(&r, OPTICAL_TX_BIAS).and_then(|ma| u32::try_from(ma).ok()),
            tx_dbm: dbm(int(&r, OPTICAL_TX_POWER)),
            rx_dbm: dbm(int(&r, OPTICAL_RX_POWER)),
        })
        .collect()
}

/// mtxrPOETable cells as PoE ports, in ifIndex order.
pub(super) fn poe(cells: &[Cell]) -> Vec<PoePort> {
    rows(cells)
        .into_iter()
        .map(|(index, r)| PoePort {
            index,
            name: text(&r, POE_NAME).unwrap_or_else(|| format!("port#{index}")),
            status: int(&r, POE_STATUS).and_then(|s| i32::try_from(s).ok()).unwrap_or(0),
            voltage_v: int(&r, POE_VOLTAGE).map(|dv| dv as f64 / TENTHS),
            current_ma: int(&r, POE_CURRENT),
            power_w: int(&r, POE_POWER).map(|dw| dw as f64 / TENTHS),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: u32, values: &[(u32, i64)], name: &str) -> Vec<Cell> {
        let mut cells = vec![(2, index, Raw::Text(name.into()))];
        cells.extend(values.iter().map(|&(col, n)| (col, index, Raw::Int(n))));
        cells
    }

    #[test]
    fn optical_rows_and_their_scales() {
        let mut cells =
            row(1, &[(3, 0), (4, 0), (5, 131_000), (6, 41), (7, 3_300), (8, 12), (9, -4_200), (10, -5_100)], "sfp1");
        cells.extend(row(2, &[(3, 1), (4, 0), (5, 155_000), (6, 38), (9, 1_200), (10, -40_000)], "sfp-sfpplus1"));
        let o = optics(&cells);
        assert_eq!(o.len(), 2);
        assert_eq!(
            o[0],
            Optic {
                index: 1,
                name: "sfp1".into(),
                rx_loss: false,
                tx_fault: false,
                wavelength_nm: Some(1310.0),
                temperature_c: Some(41.0),
                supply_v: Some(3.3),
                tx_bias_ma: Some(12),
                tx_dbm: Some(-4.2),
                rx_dbm: Some(-5.1),
            }
        );
        assert_eq!((o[0].state(), o[0].present()), ("ok", true));
        assert_eq!(
            (o[1].name.as_str(), o[1].rx_loss, o[1].rx_dbm, o[1].tx_dbm),
            ("sfp-sfpplus1", true, Some(-40.0), Some(1.2))
        );
        assert_eq!(o[1].state(), "no light");
    }

    #[test]
    fn odd_optical_values_are_dropped_or_read_back() {
        // (column, raw, what the field reads)
        let cases: [(u32, i64, Option<f64>); 10] = [
            (10, 4_294_962_196, Some(-5.1)), // -5100 sent unsigned
            (10, -120_000, None),            // below -100 dBm: not a reading
            (10, 45_000, None),              // above +30 dBm
            (10, 0, Some(0.0)),
            (5, 0, None),         // no wavelength
            (5, 6_553_500, None), // 65535.00 nm: "not available"
            (5, 85_000, Some(850.0)),
            (6, 4_294_967_023, None), // -273 °C, a hung sensor
            (6, -5, Some(-5.0)),
            (7, 3_285, Some(3.285)),
        ];
        for (col, raw, want) in cases {
            let o = &optics(&row(7, &[(col, raw)], "sfp7"))[0];
            let got = match col {
                5 => o.wavelength_nm,
                6 => o.temperature_c,
                7 => o.supply_v,
                _ => o.rx_dbm,
            };
            assert_eq!(got, want, "column {col} = {raw}");
        }
        // No name: a made-up one; a text where a number belongs: nothing.
        let o = optics(&[(10, 3, Raw::Text("n/a".into())), (3, 3, Raw::Int(1))]);
        assert_eq!((o[0].name.as_str(), o[0].rx_dbm, o[0].rx_loss), ("sfp#3", None, true));
        // An empty cage reporting RX loss and zeros is not a module.
        assert_eq!(o[0].state(), "empty");
        let zeros = optics(&row(4, &[(3, 1), (5, 0), (6, 0), (9, 0), (10, 0)], "sfp4"));
        assert!(!zeros[0].present());
        let faulty = optics(&row(5, &[(4, 1), (6, 30)], "sfp5"));
        assert_eq!(faulty[0].state(), "tx fault");
        assert!(optics(&[]).is_empty(), "an absent table is no optics");
    }

    #[test]
    fn poe_rows_scales_and_status_words() {
        let mut cells = row(4, &[(3, 3), (4, 240), (5, 150), (6, 36)], "ether4");
        cells.extend(row(5, &[(3, 2), (4, 0), (5, 0), (6, 0)], "ether5"));
        let p = poe(&cells);
        assert_eq!(
            p[0],
            PoePort {
                index: 4,
                name: "ether4".into(),
                status: 3,
                voltage_v: Some(24.0),
                current_ma: Some(150),
                power_w: Some(3.6),
            }
        );
        assert_eq!(p[0].status_word(), "powered-on");
        assert_eq!(p[1].status_word(), "waiting-for-load");
        for (status, word, overloaded) in [
            (1, "disabled", false),
            (4, "overload", true),
            (5, "short-circuit", false),
            (14, "controller-init", false),
            (15, "unknown(15)", false),
            (0, "unknown(0)", false),
            (-1, "unknown(-1)", false),
        ] {
            let port = PoePort { status, ..PoePort::default() };
            assert_eq!((port.status_word().as_str(), port.overloaded()), (word, overloaded), "{status}");
        }
        // A row without a status or readings.
        let p = poe(&[(2, 9, Raw::Text("ether9".into()))]);
        assert_eq!((p[0].status, p[0].voltage_v, p[0].status_word().as_str()), (0, None, "unknown(0)"));
        assert!(poe(&[]).is_empty());
    }
}
