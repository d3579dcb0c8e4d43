//! The report pages at `/admin/reports`: the index of the five reports,
//! one report for a period picked with a GET form or a quick link (summary
//! figures, balance checks, the chart as inline SVG — stacked bars with
//! axis labels, a legend and `<title>` tooltips, no scripts or CDN — its
//! tables and notes), and its CSV and PDF downloads with every row. The
//! numbers come from `ops::reports::build`, run off the async threads; a
//! reseller sees its own customers' figures only.

use askama::Template;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Caller, Chrome, failed, message, not_found, render};
use crate::ops::OpError;
use crate::ops::report_view::{Cell, Chart, Kind, Period, Report};
use crate::ops::reports::{self as ops, Scope};
use crate::pdf::report::{Axis, SERIES_COLOURS, axis, axis_label, numeric_columns};
use crate::store::reports::{civil_from_days, day_label, days_from_civil, local_day, month_start};
use crate::web::WebState;

/// What each report is for, as the index lists it.
fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Revenue => {
            "Money collected by channel and plans sold, per day or month; ARPU and what the wallets owe at the end."
        }
        Kind::Reconciliation => {
            "Payments received against the wallet ledger and the M-Pesa STK pushes, with checks that they balance."
        }
        Kind::Tax => "Net, tax and gross of every receipt and invoice issued, per month, for the tax return.",
        Kind::Network => "Traffic and sessions per day or month, by router and by plan, and the heaviest users.",
        Kind::Customers => "New customers, churn and reactivation per month, services by plan and cohort retention.",
    }
}

/// `from` and `to` as typed (YYYY-MM-DD; empty: this month to date).
#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

/// The caller's view: the whole tenant, or a reseller's own customers (a
/// reseller account without a wallet customer owns nothing, so it gets a
/// scope no row carries rather than the tenant's).
fn scope(c: &Caller) -> Scope {
    match c.reseller() {
        Some(0) => Scope(u64::MAX),
        r => Scope::of(r),
    }
}

/// Today in the tenant's calendar.
fn today(s: &WebState, c: &Caller) -> i32 {
    local_day(&crate::clock::Clock::zone(c.zone()), s.portal.clock.now())
}

fn link(kind: Kind, suffix: &str, from: i32, to: i32) -> String {
    let q = serde_urlencoded::to_string([("from", day_label(from)), ("to", day_label(to))]).unwrap_or_default();
    format!("/admin/reports/{}{suffix}?{q}", kind.slug())
}

/// The quick periods: (label, from, to).
fn quick_periods(today: i32) -> Vec<(&'static str, i32, i32)> {
    let this_month = month_start(today);
    let mut twelve = this_month;
    for _ in 0..11 {
        twelve = month_start(twelve - 1);
    }
    let (year, _, _) = civil_from_days(today);
    vec![
        ("This month", this_month, today),
        ("Last month", month_start(this_month - 1), this_month - 1),
        ("Last 30 days", today - 29, today),
        ("This year", days_from_civil(year, 1, 1), today),
        ("Last 12 months", twelve, today),
    ]
}

/// Builds the report in the blocking pool (many redb reads).
async fn build(s: &WebState, c: &Caller, kind: Kind, period: Period, all_rows: bool) -> Result<Report, OpError> {
    let Some(tenant) = c.tenant.clone() else {
        return Err(OpError::Refused("no tenant".into()));
    };
    let (store, scope, today) = (s.portal.store.clone(), scope(c), today(s, c));
    tokio::task::spawn_blocking(move || ops::build(&store, &tenant, scope, kind, period, today, all_rows))
        .await
        .unwrap_or_else(|e| Err(OpError::Refused(format!("the report stopped: {e}"))))
}

// ---- index -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/reports.html")]
struct IndexPage {
    c: Chrome,
    /// (slug, title, description).
    reports: Vec<(&'static str, &'static str, &'static str)>,
}

pub async fn index(Extension(c): Extension<Caller>) -> Response {
    let reports = Kind::ALL.iter().map(|k| (k.slug(), k.title(), describe(*k))).collect();
    render(StatusCode::OK, &IndexPage { c: c.chrome("Reports"), reports })
}

// ---- one report ----------------------------------------------------------------

/// A table cell as the page shows it; numbers carry class `num`.
pub struct CellView {
    pub text: String,
    pub num: bool,
}

pub struct TableView {
    pub title: String,
    pub headers: Vec<CellView>,
    pub rows: Vec<Vec<CellView>>,
    pub total: Option<Vec<CellView>>,
    pub more: usize,
}

pub struct CheckView {
    pub ok: bool,
    pub name: String,
    pub detail: String,
}

/// One coloured part of a bar, with its tooltip.
pub struct Segment {
    pub y: String,
    pub h: String,
    pub colour: String,
    pub tip: String,
}

pub struct Bar {
    pub x: String,
    pub w: String,
    pub segments: Vec<Segment>,
}

/// A gridline with its value, or a bucket label under the bars.
pub struct Mark {
    pub x: String,
    pub y: String,
    pub label: String,
}

/// The chart's geometry in a `W` × `H` view box: numbers are formatted
/// here, text is escaped by the template.
pub struct ChartView {
    pub title: String,
    pub view_box: String,
    /// Where "No data in this period." goes.
    pub middle: String,
    pub middle_y: String,
    pub plot_left: String,
    pub plot_right: String,
    pub ticks: Vec<Mark>,
    pub labels: Vec<Mark>,
    pub bars: Vec<Bar>,
    pub legend: Vec<(String, String)>,
    pub empty: bool,
}

const W: f64 = 480.0;
const H: f64 = 220.0;
const PLOT_TOP: f64 = 10.0;
const PLOT_BOTTOM: f64 = H - 26.0;

fn colour(i: usize) -> String {
    let (r, g, b) = SERIES_COLOURS[i % SERIES_COLOURS.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// Stacked bars: one per bucket, one colour per series; negative parts are
/// left out of the picture (the tables have the numbers).
pub fn chart_view(chart: &Chart, currency: &str) -> ChartView {
    let n = chart.labels.len().max(1);
    let Axis { top, ticks, empty } = axis(chart, currency);
    let value = |v: f64| axis_label(chart.unit, v, currency);
    // About 6.5 px a character at the 11 px the labels are drawn in.
    let widest = ticks.iter().map(|(_, t)| t.chars().count()).max().unwrap_or(1) as f64;
    let (left, right) = (widest * 6.5 + 10.0, W - 8.0);
    let plot_h = PLOT_BOTTOM - PLOT_TOP;
    let ticks = ticks
        .into_iter()
        .map(|(at, label)| Mark { x: px(left - 6.0), y: px(PLOT_BOTTOM - plot_h * at), label })
        .collect();
    let slot = (right - left) / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let mut bars = Vec::with_capacity(n);
    for (i, label) in chart.labels.iter().enumerate() {
        let total: f64 = chart.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0).max(0.0)).sum();
        let mut base = PLOT_BOTTOM;
        let mut segments = Vec::new();
        for (k, s) in chart.series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            let h = v.max(0.0) / top * plot_h;
            if h <= 0.0 {
                continue;
            }
            base -= h;
            let tip = format!("{label} · {}: {} (of {})", s.name, value(v), value(total));
            segments.push(Segment { y: px(base), h: px(h), colour: colour(k), tip });
        }
        bars.push(Bar { x: px(left + slot * i as f64 + (slot - bar_w) / 2.0), w: px(bar_w), segments });
    }
    // Bucket labels: every k-th one when they would run into each other.
    let label_w = chart.labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64 * 6.0 + 8.0;
    let every = ((label_w / slot).ceil() as usize).max(1);
    let labels = chart
        .labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, l)| Mark { x: px(left + slot * (i as f64 + 0.5)), y: px(PLOT_BOTTOM + 16.0), label: l.clone() })
        .collect();
    ChartView {
        title: chart.title.clone(),
        view_box: format!("0 0 {W} {H}"),
        middle: px((left + right) / 2.0),
        middle_y: px((PLOT_TOP + PLOT_BOTTOM) / 2.0),
        plot_left: px(left),
        plot_right: px(right),
        ticks,
        labels,
        bars,
        legend: chart.series.iter().enumerate().map(|(i, s)| (colour(i), s.name.clone())).collect(),
        empty,
    }
}

fn cells(row: &[Cell], currency: &str) -> Vec<CellView> {
    row.iter().map(|c| CellView { text: c.shown(currency), num: c.numeric() }).collect()
}

fn table_view(t: &crate::ops::report_view::Table, currency: &str) -> TableView {
    let num = numeric_columns(t);
    let aligned = |row: &[Cell]| -> Vec<CellView> {
        let mut v = cells(row, currency);
        for (i, c) in v.iter_mut().enumerate() {
            c.num = num.get(i).copied().unwrap_or(c.num);
        }
        v
    };
    TableView {
        title: t.title.clone(),
        headers: t.headers.iter().zip(&num).map(|(h, n)| CellView { text: h.clone(), num: *n }).collect(),
        rows: t.rows.iter().map(|r| aligned(r)).collect(),
        total: t.total.as_deref().map(aligned),
        more: t.more,
    }
}

#[derive(Template)]
#[template(path = "admin/report.html")]
struct ReportPage {
    c: Chrome,
    kind: &'static str,
    heading: String,
    /// Every report: (title, link for the same period, this one).
    kinds: Vec<(&'static str, String, bool)>,
    from: String,
    to: String,
    error_from: String,
    error_to: String,
    /// (label, link, the period shown).
    quick: Vec<(&'static str, String, bool)>,
    period: String,
    summary: Vec<(String, String)>,
    checks: Vec<CheckView>,
    chart: Option<ChartView>,
    tables: Vec<TableView>,
    notes: Vec<String>,
    csv: String,
    pdf: String,
}

impl ReportPage {
    fn new(c: &Caller, kind: Kind, q: &PeriodQuery, today: i32) -> ReportPage {
        ReportPage {
            c: c.chrome(kind.title()),
            kind: kind.slug(),
            heading: kind.title().to_string(),
            kinds: Kind::ALL.iter().map(|k| (k.title(), format!("/admin/reports/{}", k.slug()), *k == kind)).collect(),
            from: q.from.trim().to_string(),
            to: q.to.trim().to_string(),
            error_from: String::new(),
            error_to: String::new(),
            quick: quick_periods(today).into_iter().map(|(l, f, t)| (l, link(kind, "", f, t), false)).collect(),
            period: String::new(),
            summary: vec![],
            checks: vec![],
            chart: None,
            tables: vec![],
            notes: vec![],
            csv: String::new(),
            pdf: String::new(),
        }
    }
}

pub async fn show(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(kind): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let Some(kind) = Kind::parse(&kind) else { return not_found(&c) };
    let today = today(&s, &c);
    let mut page = ReportPage::new(&c, kind, &q, today);
    let period = match Period::parse(&q.from, &q.to, today) {
        Ok(p) => p,
        Err(OpError::Field { field, message }) => {
            if field == "to" {
                page.error_to = message
            } else {
                page.error_from = message
            }
            return render(StatusCode::BAD_REQUEST, &page);
        }
        Err(e) => return failed(&c, &e),
    };
    let r = match build(&s, &c, kind, period, false).await {
        Ok(r) => r,
        Err(e) => return failed(&c, &e),
    };
    let quick = quick_periods(today);
    for (i, (_, f, t)) in quick.iter().enumerate() {
        page.quick[i].2 = period == Period { from: *f, to: *t };
    }
    page.kinds = Kind::ALL.iter().map(|k| (k.title(), link(*k, "", period.from, period.to), *k == kind)).collect();
    page.heading = r.title.clone();
    page.from = day_label(period.from);
    page.to = day_label(period.to);
    page.period = period.label();
    page.summary = r.summary.iter().map(|(k, v)| (k.clone(), v.shown(&r.currency))).collect();
    page.checks =
        r.checks.iter().map(|k| CheckView { ok: k.ok, name: k.name.clone(), detail: k.detail.clone() }).collect();
    page.chart = r.chart.as_ref().filter(|ch| !ch.labels.is_empty()).map(|ch| chart_view(ch, &r.currency));
    page.tables = r.tables.iter().map(|t| table_view(t, &r.currency)).collect();
    page.notes = r.notes.clone();
    page.csv = link(kind, "/csv", period.from, period.to);
    page.pdf = link(kind, "/pdf", period.from, period.to);
    render(StatusCode::OK, &page)
}

/// A download's report (`all_rows`: every row, for the CSV; the PDF has
/// the page's rows), or the answer that says why not.
async fn download(s: &WebState, c: &Caller, kind: &str, q: &PeriodQuery, all_rows: bool) -> Result<Report, Response> {
    let Some(kind) = Kind::parse(kind) else { return Err(not_found(c)) };
    let period = match Period::parse(&q.from, &q.to, today(s, c)) {
        Ok(p) => p,
        Err(OpError::Field { message: m, .. }) => {
            return Err(message(Some(c), StatusCode::BAD_REQUEST, "Bad period", &m));
        }
        Err(e) => return Err(failed(c, &e)),
    };
    build(s, c, kind, period, all_rows).await.map_err(|e| failed(c, &e))
}

fn attachment(r: &Report, ext: &str, content_type: &str, body: Vec<u8>) -> Response {
    let name = format!("lango-{}-{}-{}.{ext}", r.kind.slug(), day_label(r.period.from), day_label(r.period.to));
    let headers = [
        (header::CONTENT_TYPE, content_type.to_string()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
    ];
    (headers, body).into_response()
}

pub async fn csv(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(kind): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    match download(&s, &c, &kind, &q, true).await {
        Ok(r) => attachment(&r, "csv", "text/csv; charset=utf-8", r.csv().into_bytes()),
        Err(answer) => answer,
    }
}

pub async fn pdf(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(kind): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    match download(&s, &c, &kind, &q, false).await {
        Ok(r) => {
            let body = tokio::task::spawn_blocking(move || {
                let bytes = crate::pdf::report::report(&r);
                (r, bytes)
            })
            .await;
            match body {
                Ok((r, bytes)) => attachment(&r, "pdf", "application/pdf", bytes),
                Err(e) => failed(&c, &e),
            }
        }
        Err(answer) => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::report_view::{Series, Unit};
    use crate::store::reports::parse_day;

    #[test]
    fn quick_periods_follow_the_calendar() {
        let today = parse_day("2026-03-15").unwrap();
        let got: Vec<(String, String)> =
            quick_periods(today).into_iter().map(|(_, f, t)| (day_label(f), day_label(t))).collect();
        let want = [
            ("2026-03-01", "2026-03-15"),
            ("2026-02-01", "2026-02-28"),
            ("2026-02-14", "2026-03-15"),
            ("2026-01-01", "2026-03-15"),
            ("2025-04-01", "2026-03-15"),
        ];
        let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn bars_stack_within_the_plot() {
        let chart = Chart {
            title: "t".into(),
            unit: Unit::Money,
            labels: vec!["a".into(), "b".into()],
            series: vec![
                Series { name: "cash".into(), values: vec![100.0, 50.0] },
                Series { name: "mpesa".into(), values: vec![60.0, -5.0] },
            ],
        };
        let v = chart_view(&chart, "KES");
        assert_eq!(v.bars.len(), 2);
        assert_eq!(v.bars[0].segments.len(), 2);
        assert_eq!(v.bars[1].segments.len(), 1, "a negative part is not drawn");
        let top: f64 = v.bars[0].segments[1].y.parse().unwrap();
        assert!(top >= PLOT_TOP - 0.05, "{top}");
        assert!(v.bars[0].segments[0].tip.contains("cash: KES 1.00 (of KES 1.60)"), "{}", v.bars[0].segments[0].tip);
        assert_eq!(v.ticks.last().unwrap().label, "KES 4.00", "a shilling a step at least");
        assert!(!v.empty);
    }
}
