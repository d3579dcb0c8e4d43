//! TEMPORARY stand-in for the pure billing rules (replaced before commit).
use serde::{Deserialize, Serialize};

pub type UnixTime = i64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeriodUnit {
    Hour,
    Day,
    Week,
    Month,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub unit: PeriodUnit,
    pub count: u32,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anchor {
    Rolling,
    Calendar,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Prepaid,
    Postpaid { due_days: u16 },
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub period: Period,
    pub anchor: Anchor,
    pub grace_secs: u32,
    pub mode: Mode,
    pub price: i64,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renewal {
    pub starts_at: UnixTime,
    pub expires_at: UnixTime,
    pub extended_from_expiry: bool,
}
pub fn period_end(start: UnixTime, p: &Period, _a: Anchor, _z: &jiff::tz::TimeZone) -> UnixTime {
    let unit = match p.unit {
        PeriodUnit::Hour => 3600,
        PeriodUnit::Day => 86400,
        PeriodUnit::Week => 7 * 86400,
        PeriodUnit::Month => 30 * 86400,
    };
    start + unit * i64::from(p.count)
}
pub fn renew(current: Option<UnixTime>, now: UnixTime, t: &Terms, z: &jiff::tz::TimeZone, periods: u32) -> Renewal {
    let (start, ext) = match current {
        Some(e) if e + i64::from(t.grace_secs) > now => (e, true),
        _ => (now, false),
    };
    let mut end = start;
    for _ in 0..periods {
        end = period_end(end, &t.period, t.anchor, z);
    }
    Renewal { starts_at: start, expires_at: end, extended_from_expiry: ext }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    Payment,
    Charge,
    Credit,
    Refund,
    Adjustment,
}
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRule {
    pub name: String,
    pub rate_bp: u32,
    pub inclusive: bool,
}
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: u32,
    pub unit_price: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}
impl Period {
    pub fn nominal_secs(&self) -> u64 {
        let unit: u64 = match self.unit {
            PeriodUnit::Hour => 3600,
            PeriodUnit::Day => 86400,
            PeriodUnit::Week => 7 * 86400,
            PeriodUnit::Month => 30 * 86400,
        };
        unit * u64::from(self.count)
    }
}
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInput {
    pub description: String,
    pub quantity: u32,
    pub unit_price: i64,
}
pub struct InvoiceTotals {
    pub lines: Vec<Line>,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}
pub fn totals(items: &[LineInput], _tax: Option<&TaxRule>) -> InvoiceTotals {
    let lines: Vec<Line> = items
        .iter()
        .map(|i| Line {
            description: i.description.clone(),
            quantity: i.quantity,
            unit_price: i.unit_price,
            net: i.unit_price * i64::from(i.quantity),
            tax: 0,
            gross: i.unit_price * i64::from(i.quantity),
        })
        .collect();
    let net = lines.iter().map(|l| l.net).sum();
    InvoiceTotals { lines, net, tax: 0, gross: net }
}
pub fn invoice_number(prefix: &str, year: i16, seq: u64) -> String {
    format!("{prefix}-{year}-{seq:06}")
}
pub fn period_start_before(end: UnixTime, p: &Period, _a: Anchor, _z: &jiff::tz::TimeZone) -> UnixTime {
    end - p.nominal_secs() as i64
}
pub struct QuoteLine {
    pub description: String,
    pub amount: i64,
}
pub struct ChangeQuote {
    pub credit: i64,
    pub charge: i64,
    pub net: i64,
    pub new_starts_at: UnixTime,
    pub new_expires_at: UnixTime,
    pub lines: Vec<QuoteLine>,
}
#[allow(clippy::too_many_arguments)]
pub fn quote_change(
    _old: &Terms,
    _s: UnixTime,
    _e: UnixTime,
    new: &Terms,
    now: UnixTime,
    z: &jiff::tz::TimeZone,
    _o: &str,
    _n: &str,
) -> ChangeQuote {
    ChangeQuote {
        credit: 0,
        charge: new.price,
        net: new.price,
        new_starts_at: now,
        new_expires_at: period_end(now, &new.period, new.anchor, z),
        lines: vec![],
    }
}
impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{:?}", self.count, self.unit)
    }
}
impl Period {
    pub fn parse(s: &str) -> Result<Period, String> {
        let s = s.trim();
        let (n, unit) = if let Some(n) = s.strip_suffix("mo") {
            (n, PeriodUnit::Month)
        } else if let Some(n) = s.strip_suffix('h') {
            (n, PeriodUnit::Hour)
        } else if let Some(n) = s.strip_suffix('d') {
            (n, PeriodUnit::Day)
        } else if let Some(n) = s.strip_suffix('w') {
            (n, PeriodUnit::Week)
        } else {
            return Err(format!("bad period {s}"));
        };
        Ok(Period { unit, count: n.parse().map_err(|_| format!("bad period {s}"))? })
    }
}
