//! Report PDFs (`ops::report_view::Report`): the title and period, the
//! summary figures, the balance checks, the chart as stacked bars drawn with
//! rectangles (with a legend), then every table — header row repeated on
//! each page it flows onto, numbers right-aligned, the totals row bold, a
//! font shrunk to fit wide tables (the 14-column cohort table) — and the
//! notes, with "page N of M" on every page. The chart geometry helpers
//! (axis scale and labels, series colours) are shared with the admin page's
//! SVG chart so both draw the same picture.

use super::{A4_HEIGHT, A4_WIDTH, Align, Document, Font, Page, Rgb, format_money, minor_digits};
use crate::model::units::show_bytes;
use crate::ops::report_view::{Cell, Chart, Report, Table, Unit};

const LEFT: f64 = 40.0;
const RIGHT: f64 = A4_WIDTH - 40.0;
const WIDTH: f64 = RIGHT - LEFT;
const TOP: f64 = A4_HEIGHT - 40.0;
/// Lowest baseline of content; the footer sits under it.
const BOTTOM: f64 = 48.0;
const BODY: f64 = 8.5;
/// The smallest table font before columns are cut with "…".
const MIN_BODY: f64 = 5.5;
/// Space between two columns.
const PAD: f64 = 6.0;
/// The widest a column grows at `BODY` size; longer text is cut.
const MAX_COLUMN: f64 = 190.0;
const GRAY: Rgb = Rgb(0.4, 0.4, 0.4);
const RULE: Rgb = Rgb(0.85, 0.85, 0.85);
const HEADER_FILL: Rgb = Rgb(0.92, 0.92, 0.92);
const GREEN: Rgb = Rgb(0.09, 0.47, 0.2);
const RED: Rgb = Rgb(0.73, 0.11, 0.11);
const CHART_H: f64 = 130.0;

/// The colour of each chart series, in order (the admin page's SVG uses the
/// same ones).
pub const SERIES_COLOURS: [(u8, u8, u8); 6] =
    [(22, 163, 74), (37, 99, 235), (245, 158, 11), (147, 51, 234), (100, 116, 139), (220, 38, 38)];

fn series_rgb(i: usize) -> Rgb {
    let (r, g, b) = SERIES_COLOURS[i % SERIES_COLOURS.len()];
    Rgb(f64::from(r) / 255.0, f64::from(g) / 255.0, f64::from(b) / 255.0)
}

/// The tallest stacked bar (negative parts count as nothing).
pub fn stacked_max(chart: &Chart) -> f64 {
    (0..chart.labels.len())
        .map(|i| chart.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0).max(0.0)).sum::<f64>())
        .fold(0.0, f64::max)
}

/// The top of the value axis: the next 1, 2 or 5 × 10ⁿ at or above `max`,
/// at least four of the unit's smallest steps (one currency unit, one
/// count, one byte), so four grid steps fall on round numbers.
pub fn axis_top(max: f64, unit: Unit, currency: &str) -> f64 {
    let least = match unit {
        Unit::Money => 10f64.powi(minor_digits(currency) as i32),
        Unit::Count | Unit::Bytes => 1.0,
    };
    let step = if max.is_finite() { (max / 4.0).max(least) } else { least };
    let magnitude = 10f64.powf(step.log10().floor());
    let nice = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= step * 0.999_999);
    nice.unwrap_or(step) * 4.0
}

/// A chart's value axis: its top, and its gridlines as (fraction of the
/// height, label) from the baseline up; an empty chart has the baseline
/// only.
pub struct Axis {
    pub top: f64,
    pub ticks: Vec<(f64, String)>,
    pub empty: bool,
}

pub fn axis(chart: &Chart, currency: &str) -> Axis {
    let max = stacked_max(chart);
    let top = axis_top(max, chart.unit, currency);
    let empty = max <= 0.0;
    let steps = if empty { 0 } else { 4 };
    let ticks =
        (0..=steps).map(|k| (f64::from(k) / 4.0, axis_label(chart.unit, top * f64::from(k) / 4.0, currency))).collect();
    Axis { top, ticks, empty }
}

/// An axis value as people read it ("KES 2,000.00", "1.50G", "40").
pub fn axis_label(unit: Unit, v: f64, currency: &str) -> String {
    match unit {
        Unit::Money => format_money(v.round() as i64, currency),
        Unit::Bytes => show_bytes(v.max(0.0).round() as u64),
        Unit::Count => format!("{:.0}", v),
    }
}

/// Which columns hold numbers, to be right-aligned: those with a number
/// in any row, and those with nothing in any (but the first), such as the
/// cohort table's months still to come.
pub fn numeric_columns(t: &Table) -> Vec<bool> {
    let n = t.rows.iter().chain(t.total.iter()).map(Vec::len).chain([t.headers.len()]).max().unwrap_or(0);
    let (mut number, mut filled) = (vec![false; n], vec![false; n]);
    for row in t.rows.iter().chain(t.total.iter()) {
        for (i, c) in row.iter().enumerate() {
            number[i] |= c.numeric();
            filled[i] |= *c != Cell::Empty;
        }
    }
    (0..n).map(|i| number[i] || (i > 0 && !filled[i])).collect()
}

/// Page-flow state: the page being filled and the baseline cursor.
struct Flow<'a> {
    r: &'a Report,
    doc: Document,
    page: Page,
    y: f64,
}

impl Flow<'_> {
    /// Makes room for `h` points, starting a new page if needed; true if it did.
    fn need(&mut self, h: f64) -> bool {
        if self.y - h >= BOTTOM {
            return false;
        }
        let full = std::mem::take(&mut self.page);
        self.doc.push(full);
        let p = &mut self.page;
        p.fill_color(Rgb::BLACK);
        let period = self.r.period.label();
        let room = WIDTH - Font::Helvetica.width(&period, 9.0) - 20.0;
        p.text(LEFT, TOP - 9.0, 9.0, Font::HelveticaBold, &Font::HelveticaBold.truncate(&self.r.title, 9.0, room));
        p.text_aligned(RIGHT, TOP - 9.0, 9.0, Font::Helvetica, Align::Right, &period);
        p.stroke_color(RULE);
        p.line_width(0.5);
        p.line(LEFT, TOP - 14.0, RIGHT, TOP - 14.0);
        self.y = TOP - 32.0;
        true
    }

    fn heading(&mut self, text: &str, size: f64) {
        self.page.fill_color(Rgb::BLACK);
        self.page.text(LEFT, self.y, size, Font::HelveticaBold, &Font::HelveticaBold.truncate(text, size, WIDTH));
        self.y -= size + 6.0;
    }

    /// `text` wrapped to the page width, in `colour`.
    fn paragraph(&mut self, text: &str, size: f64, colour: Rgb, indent: f64) {
        for line in Font::Helvetica.wrap(text, size, WIDTH - indent) {
            self.need(size + 3.0);
            self.page.fill_color(colour);
            self.page.text(LEFT + indent, self.y, size, Font::Helvetica, &line);
            self.y -= size + 3.0;
        }
    }
}

/// The report as PDF bytes (A4 portrait; long tables flow onto more pages).
pub fn report(r: &Report) -> Vec<u8> {
    let doc_title = format!("{}, {}", r.title, r.period.label());
    let mut flow = Flow { r, doc: Document::new(&doc_title), page: Page::new(), y: TOP };
    title(&mut flow);
    summary(&mut flow);
    checks(&mut flow);
    if let Some(chart) = &r.chart {
        draw_chart(&mut flow, chart);
    }
    for t in &r.tables {
        table(&mut flow, t);
    }
    notes(&mut flow);

    let mut doc = flow.doc;
    doc.push(flow.page);
    let total = doc.page_count();
    let footer = Font::Helvetica.truncate(&format!("lango · {doc_title}"), 7.5, WIDTH - 80.0);
    for (i, page) in doc.pages_mut().iter_mut().enumerate() {
        page.fill_color(GRAY);
        page.text(LEFT, 24.0, 7.5, Font::Helvetica, &footer);
        page.text_aligned(RIGHT, 24.0, 7.5, Font::Helvetica, Align::Right, &format!("page {} of {total}", i + 1));
    }
    doc.finish()
}

fn title(flow: &mut Flow) {
    let r = flow.r;
    flow.y = TOP - 16.0;
    flow.heading(&r.title, 16.0);
    flow.page.fill_color(GRAY);
    let by = if r.period.by_month() { "by month" } else { "by day" };
    let line = format!("{} ({} days, {by})", r.period.label(), r.period.days());
    flow.page.text(LEFT, flow.y, 10.0, Font::Helvetica, &line);
    flow.y -= 24.0;
}

/// The key figures in tiles, three to a row: the label small and grey, the
/// value large.
fn summary(flow: &mut Flow) {
    let r = flow.r;
    if r.summary.is_empty() {
        return;
    }
    let per_row = 3;
    let col = WIDTH / per_row as f64;
    for row in r.summary.chunks(per_row) {
        flow.need(32.0);
        for (i, (label, value)) in row.iter().enumerate() {
            let x = LEFT + i as f64 * col;
            let p = &mut flow.page;
            p.fill_color(GRAY);
            p.text(x, flow.y, 8.0, Font::Helvetica, &Font::Helvetica.truncate(label, 8.0, col - 10.0));
            p.fill_color(Rgb::BLACK);
            let shown = value.shown(&r.currency);
            p.text(
                x,
                flow.y - 14.0,
                12.0,
                Font::HelveticaBold,
                &Font::HelveticaBold.truncate(&shown, 12.0, col - 10.0),
            );
        }
        flow.y -= 32.0;
    }
    flow.y -= 4.0;
}

fn checks(flow: &mut Flow) {
    let r = flow.r;
    if r.checks.is_empty() {
        return;
    }
    flow.need(40.0);
    flow.heading("Checks", 11.0);
    for c in &r.checks {
        flow.need(24.0);
        let (word, colour) = if c.ok { ("balanced", GREEN) } else { ("DOES NOT BALANCE", RED) };
        let p = &mut flow.page;
        p.fill_color(colour);
        p.text(LEFT, flow.y, 9.0, Font::HelveticaBold, word);
        p.fill_color(Rgb::BLACK);
        let x = LEFT + 96.0;
        p.text(x, flow.y, 9.0, Font::Helvetica, &Font::Helvetica.truncate(&c.name, 9.0, RIGHT - x));
        flow.y -= 12.0;
        flow.paragraph(&c.detail, 7.5, GRAY, 96.0);
        flow.y -= 3.0;
    }
    flow.y -= 8.0;
}

fn draw_chart(flow: &mut Flow, chart: &Chart) {
    let n = chart.labels.len();
    if n == 0 || chart.series.is_empty() {
        return;
    }
    let currency = flow.r.currency.clone();
    let legend_h = 14.0 * legend_rows(chart) as f64;
    flow.need(20.0 + CHART_H + 24.0 + legend_h);
    flow.heading(&chart.title, 11.0);
    let Axis { top, ticks, empty } = axis(chart, &currency);
    let label_w = ticks.iter().map(|(_, t)| Font::Helvetica.width(t, 6.5)).fold(0.0, f64::max);
    let (x0, x1) = (LEFT + label_w + 6.0, RIGHT);
    let y1 = flow.y - 2.0;
    let y0 = y1 - CHART_H;
    let p = &mut flow.page;
    p.line_width(0.4);
    for (k, (at, tick)) in ticks.iter().enumerate() {
        let y = y0 + CHART_H * at;
        p.stroke_color(if k == 0 { GRAY } else { RULE });
        p.line(x0, y, x1, y);
        p.fill_color(GRAY);
        p.text_aligned(x0 - 4.0, y - 2.0, 6.5, Font::Helvetica, Align::Right, tick);
    }
    if empty {
        p.text_aligned(
            (x0 + x1) / 2.0,
            y0 + CHART_H / 2.0,
            8.0,
            Font::Helvetica,
            Align::Center,
            "No data in this period.",
        );
    }
    let slot = (x1 - x0) / n as f64;
    let bar = (slot * 0.7).max(0.5);
    for i in 0..n {
        let x = x0 + slot * i as f64 + (slot - bar) / 2.0;
        let mut base = y0;
        for (s, series) in chart.series.iter().enumerate() {
            let v = series.values.get(i).copied().unwrap_or(0.0).max(0.0);
            let h = v / top * CHART_H;
            if h > 0.0 {
                p.fill_color(series_rgb(s));
                p.fill_rect(x, base, bar, h);
                base += h;
            }
        }
    }
    // Bucket labels under the bars, every k-th one when they would touch.
    let widest = chart.labels.iter().map(|l| Font::Helvetica.width(l, 6.5)).fold(0.0, f64::max) + 4.0;
    let every = ((widest / slot).ceil() as usize).max(1);
    p.fill_color(GRAY);
    for (i, label) in chart.labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let x = x0 + slot * (i as f64 + 0.5);
        p.text_aligned(x, y0 - 9.0, 6.5, Font::Helvetica, Align::Center, label);
    }
    flow.y = y0 - 24.0;
    legend(flow, chart);
    flow.y -= 10.0;
}

const SWATCH: f64 = 8.0;

fn legend_entry_width(name: &str) -> f64 {
    SWATCH + 4.0 + Font::Helvetica.width(name, 8.0) + 14.0
}

fn legend_rows(chart: &Chart) -> usize {
    let mut rows = 1;
    let mut x = 0.0;
    for s in &chart.series {
        let w = legend_entry_width(&s.name);
        if x > 0.0 && x + w > WIDTH {
            rows += 1;
            x = 0.0;
        }
        x += w;
    }
    rows
}

fn legend(flow: &mut Flow, chart: &Chart) {
    let mut x = LEFT;
    for (i, s) in chart.series.iter().enumerate() {
        let w = legend_entry_width(&s.name);
        if x > LEFT && x + w > RIGHT {
            x = LEFT;
            flow.y -= 14.0;
        }
        let p = &mut flow.page;
        p.fill_color(series_rgb(i));
        p.fill_rect(x, flow.y - 1.0, SWATCH, SWATCH);
        p.fill_color(Rgb::BLACK);
        p.text(x + SWATCH + 4.0, flow.y, 8.0, Font::Helvetica, &s.name);
        x += w;
    }
    flow.y -= 14.0;
}

/// How a table is laid out: one font size for the whole table, each
/// column's width, and which columns hold numbers (right-aligned).
struct Layout {
    size: f64,
    widths: Vec<f64>,
    right: Vec<bool>,
}

impl Layout {
    fn of(t: &Table, currency: &str) -> Layout {
        let n = t.rows.iter().chain(t.total.iter()).map(Vec::len).chain([t.headers.len()]).max().unwrap_or(0);
        // Widths at size 1, capped so one long text does not shrink the rest.
        let cap = MAX_COLUMN / BODY;
        let mut unit = vec![0.0f64; n];
        let right = numeric_columns(t);
        for (i, h) in t.headers.iter().enumerate() {
            unit[i] = Font::HelveticaBold.width(h, 1.0);
        }
        let rows = t.rows.iter().map(|r| (r, Font::Helvetica)).chain(t.total.iter().map(|r| (r, Font::HelveticaBold)));
        for (row, font) in rows {
            for (i, c) in row.iter().enumerate() {
                unit[i] = unit[i].max(font.width(&c.shown(currency), 1.0));
            }
        }
        for u in &mut unit {
            *u = u.min(cap);
        }
        let sum: f64 = unit.iter().sum();
        let room = WIDTH - PAD * n as f64;
        let size = if sum > 0.0 { (room / sum).clamp(MIN_BODY, BODY) } else { BODY };
        let mut widths: Vec<f64> = unit.iter().map(|u| u * size + PAD).collect();
        let used: f64 = widths.iter().sum();
        if used > WIDTH {
            // Even the smallest font is too wide: every column gives way.
            widths.iter_mut().for_each(|w| *w *= WIDTH / used);
        } else if n > 0 {
            // Spread what is left so the table spans the page.
            let extra = (WIDTH - used) / n as f64;
            widths.iter_mut().for_each(|w| *w += extra);
        }
        Layout { size, widths, right }
    }

    fn row_h(&self) -> f64 {
        (self.size * 1.8).max(11.0)
    }

    /// One row of texts at baseline `y`.
    fn draw(&self, p: &mut Page, y: f64, cells: &[String], font: Font) {
        let mut x = LEFT;
        for (i, w) in self.widths.iter().enumerate() {
            let text = cells.get(i).map_or("", String::as_str);
            if !text.is_empty() {
                let text = font.truncate(text, self.size, w - PAD);
                if self.right[i] {
                    p.text_aligned(x + w - PAD / 2.0, y, self.size, font, Align::Right, &text);
                } else {
                    p.text(x + PAD / 2.0, y, self.size, font, &text);
                }
            }
            x += w;
        }
    }

    fn header(&self, flow: &mut Flow, headers: &[String]) {
        let h = self.row_h();
        flow.page.fill_color(HEADER_FILL);
        flow.page.fill_rect(LEFT, flow.y - h * 0.35, WIDTH, h);
        flow.page.fill_color(Rgb::BLACK);
        self.draw(&mut flow.page, flow.y, headers, Font::HelveticaBold);
        flow.y -= h;
    }
}

fn table(flow: &mut Flow, t: &Table) {
    let currency = flow.r.currency.clone();
    let layout = Layout::of(t, &currency);
    let h = layout.row_h();
    let shown = |row: &[Cell]| -> Vec<String> { row.iter().map(|c| c.shown(&currency)).collect() };
    // The title keeps at least its header and two rows with it.
    flow.need(18.0 + h * 3.0);
    flow.y -= 4.0;
    flow.heading(&t.title, 11.0);
    layout.header(flow, &t.headers);
    if t.rows.is_empty() && t.total.is_none() {
        flow.page.fill_color(GRAY);
        flow.page.text(LEFT + PAD / 2.0, flow.y, layout.size, Font::Helvetica, "No rows in this period.");
        flow.y -= h;
    }
    for row in &t.rows {
        if flow.need(h) {
            flow.heading(&format!("{} (continued)", t.title), 9.0);
            layout.header(flow, &t.headers);
        }
        let p = &mut flow.page;
        p.fill_color(Rgb::BLACK);
        layout.draw(p, flow.y, &shown(row), Font::Helvetica);
        p.stroke_color(RULE);
        p.line_width(0.4);
        p.line(LEFT, flow.y - h * 0.35, RIGHT, flow.y - h * 0.35);
        flow.y -= h;
    }
    if let Some(total) = &t.total {
        if flow.need(h + 2.0) {
            flow.heading(&format!("{} (continued)", t.title), 9.0);
            layout.header(flow, &t.headers);
        }
        let p = &mut flow.page;
        p.stroke_color(Rgb::BLACK);
        p.line_width(0.8);
        p.line(LEFT, flow.y + h * 0.65, RIGHT, flow.y + h * 0.65);
        p.fill_color(Rgb::BLACK);
        layout.draw(p, flow.y, &shown(total), Font::HelveticaBold);
        flow.y -= h;
    }
    if t.more > 0 {
        flow.need(h);
        flow.page.fill_color(GRAY);
        let text = format!("… and {} more rows (the CSV has them all)", t.more);
        flow.page.text(LEFT + PAD / 2.0, flow.y, layout.size, Font::Helvetica, &text);
        flow.y -= h;
    }
    flow.y -= 10.0;
}

fn notes(flow: &mut Flow) {
    let r = flow.r;
    if r.notes.is_empty() {
        return;
    }
    flow.need(36.0);
    flow.heading("Notes", 11.0);
    for n in &r.notes {
        flow.paragraph(&format!("• {n}"), 8.5, Rgb::BLACK, 0.0);
        flow.y -= 3.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::report_view::{Check, Kind, Period, Series};
    use crate::store::reports::parse_day;

    fn report(rows: usize, more: usize) -> Report {
        let d = |s| parse_day(s).unwrap();
        let mut t = Table {
            title: "Payments received".into(),
            headers: ["Received (UTC)", "Channel", "Reference", "Amount"].map(String::from).to_vec(),
            more,
            ..Default::default()
        };
        for i in 0..rows {
            t.rows.push(vec![
                Cell::Text(format!("2026-11-{:02} 10:00", i % 28 + 1)),
                Cell::text("cash"),
                Cell::Text(format!("row {i:04}")),
                Cell::Money(150_000 + i as i64),
            ]);
        }
        t.total = Some(vec![Cell::text("Total"), Cell::Empty, Cell::Empty, Cell::Money(1_234_500)]);
        Report {
            kind: Kind::Reconciliation,
            title: "Payment reconciliation — Kibanda Net".into(),
            period: Period { from: d("2026-11-01"), to: d("2026-11-30") },
            currency: "KES".into(),
            summary: vec![("Received".into(), Cell::Money(1_234_500)), ("Payments".into(), Cell::Count(3))],
            chart: Some(Chart {
                title: "Received by channel".into(),
                unit: Unit::Money,
                labels: ["mpesa-stk", "mpesa-c2b", "cash", "manual"].map(String::from).to_vec(),
                series: vec![
                    Series { name: "received".into(), values: vec![100_000.0, 0.0, 50_000.0, 0.0] },
                    Series { name: "assigned".into(), values: vec![5_000.0, 1.0, 0.0, -3.0] },
                ],
            }),
            tables: vec![t],
            checks: vec![
                Check { name: "Payments against the ledger".into(), ok: true, detail: "1 = 1".into() },
                Check { name: "Listed against the day totals".into(), ok: false, detail: "2 ≠ 3".into() },
            ],
            notes: vec!["Payments are dated by arrival.".into()],
        }
    }

    fn text(pdf: &[u8]) -> String {
        String::from_utf8_lossy(pdf).into_owned()
    }

    /// Each page's content stream, in order.
    fn pages(pdf: &str) -> Vec<&str> {
        pdf.split(">>\nstream\n").skip(1).map(|s| s.split("endstream").next().unwrap()).collect()
    }

    #[test]
    fn a_short_report_is_one_page_with_its_parts() {
        let pdf = super::report(&report(3, 0));
        assert!(pdf.starts_with(b"%PDF-1.4"));
        let s = text(&pdf);
        assert_eq!(s.matches("/Type /Page ").count(), 1);
        assert!(s.contains(&super::super::pdf_string("Payment reconciliation — Kibanda Net")), "the title");
        assert!(s.contains("(2026-11-01 to 2026-11-30 \\(30 days, by day\\)) Tj"));
        assert!(s.contains("(balanced) Tj") && s.contains("(DOES NOT BALANCE) Tj"));
        assert!(s.contains("(KES 12,345.00) Tj"), "the total");
        assert!(s.contains("(received) Tj") && s.contains("(assigned) Tj"), "the legend");
        assert!(s.contains("(page 1 of 1) Tj"));
        assert!(s.contains("Payments are dated by arrival."));
    }

    #[test]
    fn a_long_table_flows_onto_as_many_pages_as_it_needs() {
        let n = 300;
        let pdf = text(&super::report(&report(n, 7)));
        let pages = pages(&pdf);
        let rows: Vec<usize> = pages.iter().map(|p| p.matches("(row ").count()).collect();
        assert_eq!(rows.iter().sum::<usize>(), n, "every row once: {rows:?}");
        // Continuation pages hold the same number of rows: the page height
        // less the running header, the table's title and header row, over
        // the row height (8.5 pt type, 15.3 pt rows).
        let first_row = TOP - 32.0 - 15.0 - 15.3;
        let per_page = ((first_row - BOTTOM) / 15.3).floor() as usize;
        assert!(rows[1..rows.len() - 1].iter().all(|&r| r == per_page), "{rows:?} vs {per_page}");
        let expected = 1 + (n - rows[0]).div_ceil(per_page);
        assert_eq!(pages.len(), expected, "{rows:?}");
        assert_eq!(pdf.matches("/Type /Page ").count(), expected);
        assert_eq!(pdf.matches("(Received \\(UTC\\)) Tj").count(), expected, "the header row on every page");
        assert!(pages.last().unwrap().contains("(\\205 and 7 more rows"), "the rows left out");
        assert!(pdf.contains(&format!("(page {expected} of {expected}) Tj")));
        assert!(pages[1].contains("(Payments received \\(continued\\)) Tj"));
    }

    #[test]
    fn the_totals_row_is_bold_and_numbers_right_aligned() {
        let r = report(2, 0);
        let layout = Layout::of(&r.tables[0], "KES");
        assert_eq!(layout.right, [false, false, false, true]);
        let s = text(&super::report(&r));
        assert!(s.contains("/F2 8.5 Tf") && s.contains("(Total) Tj"));
        let total = s.split("(Total) Tj").next().unwrap();
        assert!(total.rsplit("BT ").next().unwrap().starts_with("/F2"), "Total in bold");
    }

    #[test]
    fn a_wide_table_shrinks_its_font_to_fit() {
        let mut t = Table {
            title: "Cohort retention".into(),
            headers: std::iter::once("Joined".to_string())
                .chain(std::iter::once("Customers".to_string()))
                .chain((0..12).map(|k| format!("M{k}")))
                .collect(),
            ..Default::default()
        };
        for m in 0..12 {
            let mut row = vec![Cell::Text(format!("2026-{:02}", m + 1)), Cell::Count(1234)];
            row.extend((0..12).map(|k| if k <= m.min(5) { Cell::Percent(100.0) } else { Cell::Empty }));
            t.rows.push(row);
        }
        let layout = Layout::of(&t, "KES");
        assert_eq!(layout.widths.len(), 14);
        assert!(!layout.right[0] && layout.right[1..].iter().all(|r| *r), "months to come align with the rest");
        assert!(layout.widths.iter().sum::<f64>() <= WIDTH + 1e-6);
        assert!(layout.size >= MIN_BODY && layout.size <= BODY, "{}", layout.size);
        let cut = layout.widths.iter().enumerate().all(|(i, w)| {
            let widest = t.rows.iter().map(|r| Font::Helvetica.width(&r[i].shown(""), layout.size)).fold(0.0, f64::max);
            widest <= w - PAD + 1e-6
        });
        assert!(cut, "every cell fits its column without being cut");
    }

    #[test]
    fn chart_axes_are_round() {
        assert_eq!(axis_top(0.0, Unit::Money, "KES"), 400.0, "one shilling a step at least");
        assert_eq!(axis_top(0.0, Unit::Money, "UGX"), 4.0);
        assert_eq!(axis_top(180_000.0, Unit::Money, "KES"), 200_000.0);
        assert_eq!(axis_top(7.0, Unit::Count, ""), 8.0);
        assert_eq!(axis_top(1.0, Unit::Count, ""), 4.0);
        assert_eq!(axis_top(1_000.0, Unit::Bytes, ""), 2_000.0);
        assert_eq!(axis_top(800.0, Unit::Bytes, ""), 800.0);
        assert_eq!(axis_top(2_600_000_000.0, Unit::Bytes, ""), 4_000_000_000.0);
        assert_eq!(axis_label(Unit::Money, 50_000.0, "KES"), "KES 500.00");
        assert_eq!(axis_label(Unit::Count, 2.0, ""), "2");
        let mut c = report(0, 0).chart.unwrap();
        assert_eq!(stacked_max(&c), 105_000.0);
        let a = axis(&c, "KES");
        assert_eq!(a.ticks.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>()[4], "KES 2,000.00");
        c.series.iter_mut().for_each(|s| s.values.iter_mut().for_each(|v| *v = 0.0));
        let a = axis(&c, "KES");
        assert!(a.empty && a.ticks.len() == 1, "an empty chart has its baseline only");
    }

    #[test]
    fn qpdf_and_pdftotext_read_it() {
        let run = |tool: &str, args: &[&str]| -> String {
            let out = std::process::Command::new(tool)
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("`{tool}` (apt-get install qpdf poppler-utils): {e}"));
            assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let dir = std::env::temp_dir().join(format!("lango-pdf-{}-report", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.pdf");
        std::fs::write(&path, super::report(&report(120, 0))).unwrap();
        let path = path.to_string_lossy().into_owned();
        assert!(run("qpdf", &["--check", &path]).contains("No syntax or stream encoding errors found"));
        let txt = run("pdftotext", &["-layout", "-enc", "UTF-8", &path, "-"]);
        for needle in ["Payment reconciliation — Kibanda Net", "DOES NOT BALANCE", "row 0119", "KES 1,501.19", "Total"]
        {
            assert!(txt.contains(needle), "pdftotext lacks {needle:?}:\n{txt}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
