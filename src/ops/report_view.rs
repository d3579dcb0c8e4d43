//! A report as every front end shows it: key figures, one chart, tables
//! and balance checks, with cells that know their unit, so the page, the
//! PDF and `lango report` format them for people and the CSV writes plain
//! numbers for a spreadsheet.

use crate::model::units::show_bytes;
use crate::pdf::{format_money, minor_digits};
use crate::store::reports::{day_label, parse_day};

/// One table cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// Minor units of the tenant's currency.
    Money(i64),
    Bytes(u64),
    Count(i64),
    /// 0–100.
    Percent(f64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// For people: "KES 1,234.50", "1.5 GB", "12 %".
    pub fn shown(&self, currency: &str) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Money(m) => format_money(*m, currency),
            Cell::Bytes(b) => show_bytes(*b),
            Cell::Count(n) => n.to_string(),
            Cell::Percent(p) => format!("{p:.1} %"),
            Cell::Empty => String::new(),
        }
    }

    /// For a spreadsheet: "1234.50", bytes as a plain integer; text that
    /// a spreadsheet would run as a formula is quoted.
    pub fn raw(&self, currency: &str) -> String {
        match self {
            Cell::Text(s) => super::csv::spreadsheet_safe(s.clone()),
            Cell::Money(m) => plain_money(*m, minor_digits(currency)),
            Cell::Bytes(b) => b.to_string(),
            Cell::Percent(p) => format!("{p:.1}"),
            other => other.shown(currency),
        }
    }

    pub fn numeric(&self) -> bool {
        !matches!(self, Cell::Text(_) | Cell::Empty)
    }
}

/// 123450 with 2 digits → "1234.50".
pub fn plain_money(minor: i64, digits: u32) -> String {
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(digits);
    let abs = minor.unsigned_abs();
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = digits as usize)
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
    /// Rows left out of the page (the CSV has them all).
    pub more: usize,
}

/// What the chart's numbers are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Money,
    Bytes,
    Count,
}

#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// Bars per bucket, one colour per series (stacked).
#[derive(Clone, Debug)]
pub struct Chart {
    pub title: String,
    pub unit: Unit,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

/// A figure that must balance: shown green or red with its explanation.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub kind: Kind,
    pub title: String,
    pub period: Period,
    pub currency: String,
    pub summary: Vec<(String, Cell)>,
    pub chart: Option<Chart>,
    pub tables: Vec<Table>,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Revenue,
    Reconciliation,
    Tax,
    Network,
    Customers,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Revenue, Kind::Reconciliation, Kind::Tax, Kind::Network, Kind::Customers];

    pub fn slug(self) -> &'static str {
        match self {
            Kind::Revenue => "revenue",
            Kind::Reconciliation => "reconciliation",
            Kind::Tax => "tax",
            Kind::Network => "network",
            Kind::Customers => "customers",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Revenue => "Revenue",
            Kind::Reconciliation => "Payment reconciliation",
            Kind::Tax => "Tax (VAT)",
            Kind::Network => "Network",
            Kind::Customers => "Customers",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.slug() == s)
    }
}

/// Days `from..=to` in the tenant's calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: i32,
    pub to: i32,
}

/// The longest period a report covers.
pub const MAX_DAYS: i32 = 5 * 366;

impl Period {
    /// From the form's or the command line's "YYYY-MM-DD" dates; an empty
    /// one means the start of this month, or today.
    pub fn parse(from: &str, to: &str, today: i32) -> Result<Period, super::OpError> {
        let day = |field: &'static str, s: &str, default: i32| -> Result<i32, super::OpError> {
            if s.trim().is_empty() {
                return Ok(default);
            }
            parse_day(s).ok_or_else(|| super::OpError::field(field, format!("{s:?} is not a date (YYYY-MM-DD)")))
        };
        let from = day("from", from, crate::store::reports::month_start(today))?;
        let to = day("to", to, today)?;
        if to < from {
            return Err(super::OpError::field("to", "the end comes before the start"));
        }
        if to - from >= MAX_DAYS {
            return Err(super::OpError::field("from", "a report covers at most five years"));
        }
        Ok(Period { from, to })
    }

    /// By day up to two months, else by month.
    pub fn by_month(&self) -> bool {
        self.to - self.from > 62
    }

    pub fn label(&self) -> String {
        format!("{} to {}", day_label(self.from), day_label(self.to))
    }

    pub fn days(&self) -> i32 {
        self.to - self.from + 1
    }
}

impl Report {
    /// Every table as CSV, each under its title, separated by a blank line.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let safe = |s: &str| super::csv::spreadsheet_safe(s.to_string());
        out.push_str(&super::csv::row(&[safe(&self.title), self.period.label()]));
        for (name, v) in &self.summary {
            out.push_str(&super::csv::row(&[safe(name), v.raw(&self.currency)]));
        }
        for c in &self.checks {
            let state = if c.ok { "balanced" } else { "DOES NOT BALANCE" };
            out.push_str(&super::csv::row(&[c.name.clone(), state.into(), c.detail.clone()]));
        }
        for t in &self.tables {
            out.push_str("\r\n");
            out.push_str(&super::csv::row(&[safe(&t.title)]));
            out.push_str(&super::csv::row(&t.headers.iter().map(|h| safe(h)).collect::<Vec<_>>()));
            for r in t.rows.iter().chain(t.total.iter()) {
                let cells: Vec<String> = r.iter().map(|c| c.raw(&self.currency)).collect();
                out.push_str(&super::csv::row(&cells));
            }
        }
        out
    }

    /// Plain text for `lango report`.
    pub fn text(&self) -> String {
        let mut out = format!("{} — {}\n", self.title, self.period.label());
        for (name, v) in &self.summary {
            out.push_str(&format!("  {name}: {}\n", v.shown(&self.currency)));
        }
        for c in &self.checks {
            let state = if c.ok { "ok" } else { "DOES NOT BALANCE" };
            out.push_str(&format!("  check {}: {state} ({})\n", c.name, c.detail));
        }
        for t in &self.tables {
            out.push_str(&format!("\n{}\n", t.title));
            let rows: Vec<Vec<String>> = t
                .rows
                .iter()
                .chain(t.total.iter())
                .map(|r| r.iter().map(|c| c.shown(&self.currency)).collect())
                .collect();
            let mut widths: Vec<usize> = t.headers.iter().map(|h| h.chars().count()).collect();
            for r in &rows {
                for (i, c) in r.iter().enumerate() {
                    if let Some(w) = widths.get_mut(i) {
                        *w = (*w).max(c.chars().count());
                    }
                }
            }
            let line = |cells: &[String]| -> String {
                let parts: Vec<String> = cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
                    .collect();
                format!("  {}\n", parts.join("  ").trim_end())
            };
            out.push_str(&line(&t.headers));
            for r in &rows {
                out.push_str(&line(r));
            }
            if t.more > 0 {
                out.push_str(&format!("  … and {} more rows (--csv has them all)\n", t.more));
            }
        }
        for n in &self.notes {
            out.push_str(&format!("\nnote: {n}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_format_for_people_and_spreadsheets() {
        assert_eq!(Cell::Money(123_450).shown("KES"), "KES 1,234.50");
        assert_eq!(Cell::Money(123_450).raw("KES"), "1234.50");
        assert_eq!(Cell::Money(-5).raw("KES"), "-0.05");
        assert_eq!(Cell::Money(1500).raw("UGX"), "1500");
        assert_eq!(Cell::Bytes(1536).raw(""), "1536");
        assert_eq!(Cell::Percent(12.345).shown(""), "12.3 %");
        assert_eq!(Cell::text("=HYPERLINK(\"x\")").raw(""), "'=HYPERLINK(\"x\")");
        assert_eq!(Cell::Money(-150).raw("KES"), "-1.50", "numbers stay numbers");
    }

    #[test]
    fn periods_are_checked() {
        let today = parse_day("2026-12-07").unwrap();
        let p = Period::parse("", "", today).unwrap();
        assert_eq!(p.label(), "2026-12-01 to 2026-12-07");
        assert!(!p.by_month());
        assert!(Period::parse("2026-01-01", "2026-12-31", today).unwrap().by_month());
        let e = Period::parse("2026-12-08", "2026-12-01", today).unwrap_err();
        assert!(e.to_string().contains("end comes before"), "{e}");
        assert!(Period::parse("2026-13-01", "", today).is_err());
        assert!(Period::parse("2015-01-01", "2026-01-01", today).is_err());
    }
}
