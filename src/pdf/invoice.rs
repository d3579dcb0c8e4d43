//! Invoice and receipt PDFs: tenant/customer header, a line-item table that flows onto further
//! pages (header row repeated, descriptions truncated with "…"), totals, payments received, and
//! a footer note with "page N of M" on every page.

use super::{A4_HEIGHT, A4_WIDTH, Align, Document, Font, Page, Rgb, qr::QUIET_ZONE, qr_modules};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Invoice,
    Receipt,
}

impl DocKind {
    /// Heading printed on the document, e.g. "INVOICE".
    pub fn heading(self) -> &'static str {
        match self {
            DocKind::Invoice => "INVOICE",
            DocKind::Receipt => "RECEIPT",
        }
    }

    /// Title-case name, e.g. "Invoice".
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Invoice => "Invoice",
            DocKind::Receipt => "Receipt",
        }
    }
}

/// One line item; amounts are already formatted (see [`super::format_money`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    pub description: String,
    pub quantity: u32,
    pub unit_price: String,
    pub net: String,
    pub tax: String,
    pub total: String,
}

/// Everything printed on an invoice or receipt, already formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocView {
    pub kind: DocKind,
    pub number: String,
    pub tenant_name: String,
    pub tenant_address: Vec<String>,
    pub tax_pin: Option<String>,
    pub customer_name: String,
    pub customer_lines: Vec<String>,
    pub issued: String,
    pub due: Option<String>,
    pub lines: Vec<DocLine>,
    /// (label, amount), e.g. ("Subtotal", "KES 1,000.00"), …, ("Total", …); the last is bold.
    pub totals: Vec<(String, String)>,
    /// (description, amount), e.g. ("M-Pesa NLJ7RT61SV, 2026-11-26", "KES 1,000.00").
    pub payments: Vec<(String, String)>,
    pub footer: String,
    /// KRA eTIMS: what the control unit returned, as (label, value) lines,
    /// and the text of its QR code; None when the document was not signed.
    pub control_unit: Option<(Vec<(String, String)>, String)>,
}

const LEFT: f64 = 50.0;
const RIGHT: f64 = A4_WIDTH - 50.0;
const TOP: f64 = A4_HEIGHT - 50.0;
const ROW_H: f64 = 16.0;
const BODY: f64 = 9.0;
const HEAD: f64 = 8.5;
const GAP: f64 = 10.0;
const GRAY: Rgb = Rgb(0.4, 0.4, 0.4);
const RULE: Rgb = Rgb(0.85, 0.85, 0.85);
const HEADER_FILL: Rgb = Rgb(0.92, 0.92, 0.92);

/// Column right edges and the description width, sized to the widest numeric cell.
struct Columns {
    desc_w: f64,
    /// Right edges of quantity, unit price, net, tax, total.
    rights: [f64; 5],
}

const HEADINGS: [&str; 6] = ["Description", "Qty", "Unit price", "Net", "Tax", "Total"];

impl Columns {
    fn new(lines: &[DocLine]) -> Columns {
        let mut widths = [0.0f64; 5];
        for (i, w) in widths.iter_mut().enumerate() {
            *w = Font::HelveticaBold.width(HEADINGS[i + 1], HEAD);
        }
        for line in lines {
            let cells = [line.quantity.to_string(), line.unit_price.clone(), line.net.clone(), line.tax.clone()];
            for (w, cell) in widths.iter_mut().zip(cells.iter().chain([&line.total])) {
                *w = w.max(Font::Helvetica.width(cell, BODY));
            }
        }
        let mut rights = [0.0; 5];
        let mut x = RIGHT;
        for i in (0..5).rev() {
            rights[i] = x;
            x -= widths[i] + GAP;
        }
        // Descriptions keep at least 120 pt; absurdly wide amounts then overlap rather than vanish.
        let desc_w = (x - LEFT).max(120.0);
        Columns { desc_w, rights }
    }
}

/// Page-flow state: the page being filled and the current baseline cursor.
struct Flow<'a> {
    view: &'a DocView,
    doc: Document,
    page: Page,
    y: f64,
    bottom: f64,
}

impl Flow<'_> {
    /// Makes room for `h` points, starting a continuation page if needed; true if it did.
    fn need(&mut self, h: f64) -> bool {
        if self.y - h >= self.bottom {
            return false;
        }
        let full = std::mem::take(&mut self.page);
        self.doc.push(full);
        let v = self.view;
        self.page.fill_color(Rgb::BLACK);
        let name = Font::HelveticaBold.truncate(&v.tenant_name, 10.0, 240.0);
        self.page.text(LEFT, TOP - 10.0, 10.0, Font::HelveticaBold, &name);
        let right = format!("{} {} (continued)", v.kind.name(), v.number);
        self.page.text_aligned(RIGHT, TOP - 10.0, 9.0, Font::Helvetica, Align::Right, &right);
        self.y = TOP - 34.0;
        true
    }
}

/// The invoice or receipt as PDF bytes (one page, or more for long line lists).
pub fn document(view: &DocView) -> Vec<u8> {
    let title = format!("{} {}", view.kind.name(), view.number);
    let footer = Font::Helvetica.wrap(&view.footer, 8.0, RIGHT - LEFT);
    let footer: Vec<String> = footer.into_iter().take(3).collect();
    let bottom = 44.0 + footer.len() as f64 * 10.0;
    let mut flow = Flow { view, doc: Document::new(&title), page: Page::new(), y: TOP, bottom };

    header(&mut flow);
    let cols = Columns::new(&view.lines);
    table_header(&mut flow, &cols);
    for line in &view.lines {
        if flow.need(ROW_H) {
            table_header(&mut flow, &cols);
        }
        table_row(&mut flow, &cols, line);
    }
    totals(&mut flow);
    payments(&mut flow);
    control_unit(&mut flow);

    let mut doc = flow.doc;
    doc.push(flow.page);
    let total = doc.page_count();
    for (i, page) in doc.pages_mut().iter_mut().enumerate() {
        page.fill_color(GRAY);
        for (j, line) in footer.iter().enumerate() {
            let y = 40.0 + (footer.len() - 1 - j) as f64 * 10.0;
            page.text_aligned(A4_WIDTH / 2.0, y, 8.0, Font::Helvetica, Align::Center, line);
        }
        let label = format!("page {} of {total}", i + 1);
        page.text_aligned(RIGHT, 22.0, 8.0, Font::Helvetica, Align::Right, &label);
        page.text(LEFT, 22.0, 8.0, Font::Helvetica, &Font::Helvetica.truncate(&title, 8.0, 250.0));
    }
    doc.finish()
}

fn header(flow: &mut Flow) {
    let v = flow.view;
    let p = &mut flow.page;
    let half = (RIGHT - LEFT) / 2.0 - 10.0;

    // Tenant block, left.
    p.fill_color(Rgb::BLACK);
    p.text(LEFT, TOP - 16.0, 16.0, Font::HelveticaBold, &Font::HelveticaBold.truncate(&v.tenant_name, 16.0, half));
    let mut y = TOP - 32.0;
    p.fill_color(GRAY);
    for line in &v.tenant_address {
        p.text(LEFT, y, BODY, Font::Helvetica, &Font::Helvetica.truncate(line, BODY, half));
        y -= 12.0;
    }
    if let Some(pin) = &v.tax_pin {
        p.text(LEFT, y, BODY, Font::Helvetica, &Font::Helvetica.truncate(&format!("Tax PIN: {pin}"), BODY, half));
        y -= 12.0;
    }

    // Document block, right.
    p.fill_color(Rgb::BLACK);
    p.text_aligned(RIGHT, TOP - 18.0, 20.0, Font::HelveticaBold, Align::Right, v.kind.heading());
    let mut ry = TOP - 36.0;
    let number = Font::HelveticaBold.truncate(&format!("No. {}", v.number), 10.0, half);
    p.text_aligned(RIGHT, ry, 10.0, Font::HelveticaBold, Align::Right, &number);
    ry -= 13.0;
    let issued_label = if v.kind == DocKind::Receipt { "Date" } else { "Issued" };
    let mut meta = vec![format!("{issued_label}: {}", v.issued)];
    if let Some(due) = &v.due {
        meta.push(format!("Due: {due}"));
    }
    for line in meta {
        p.text_aligned(RIGHT, ry, BODY, Font::Helvetica, Align::Right, &Font::Helvetica.truncate(&line, BODY, half));
        ry -= 12.0;
    }

    // Customer block.
    y = y.min(ry) - 14.0;
    p.fill_color(GRAY);
    let to = if v.kind == DocKind::Receipt { "RECEIVED FROM" } else { "BILL TO" };
    p.text(LEFT, y, 7.5, Font::HelveticaBold, to);
    y -= 14.0;
    p.fill_color(Rgb::BLACK);
    p.text(LEFT, y, 11.0, Font::HelveticaBold, &Font::HelveticaBold.truncate(&v.customer_name, 11.0, RIGHT - LEFT));
    y -= 13.0;
    for line in &v.customer_lines {
        p.text(LEFT, y, BODY, Font::Helvetica, &Font::Helvetica.truncate(line, BODY, RIGHT - LEFT));
        y -= 12.0;
    }
    flow.y = y - 12.0;
}

fn table_header(flow: &mut Flow, cols: &Columns) {
    flow.need(ROW_H * 2.0);
    let p = &mut flow.page;
    p.fill_color(HEADER_FILL);
    p.fill_rect(LEFT, flow.y - 5.0, RIGHT - LEFT, ROW_H);
    p.fill_color(Rgb::BLACK);
    p.text(LEFT + 4.0, flow.y, HEAD, Font::HelveticaBold, HEADINGS[0]);
    for (i, right) in cols.rights.iter().enumerate() {
        p.text_aligned(
            *right - if i == 4 { 4.0 } else { 0.0 },
            flow.y,
            HEAD,
            Font::HelveticaBold,
            Align::Right,
            HEADINGS[i + 1],
        );
    }
    flow.y -= ROW_H;
}

fn table_row(flow: &mut Flow, cols: &Columns, line: &DocLine) {
    let p = &mut flow.page;
    let y = flow.y;
    p.fill_color(Rgb::BLACK);
    let desc = Font::Helvetica.truncate(&line.description, BODY, cols.desc_w - 8.0);
    p.text(LEFT + 4.0, y, BODY, Font::Helvetica, &desc);
    let cells = [&line.quantity.to_string(), &line.unit_price, &line.net, &line.tax, &line.total];
    for (i, (right, cell)) in cols.rights.iter().zip(cells).enumerate() {
        p.text_aligned(*right - if i == 4 { 4.0 } else { 0.0 }, y, BODY, Font::Helvetica, Align::Right, cell);
    }
    p.stroke_color(RULE);
    p.line_width(0.5);
    p.line(LEFT, y - 5.0, RIGHT, y - 5.0);
    flow.y -= ROW_H;
}

fn totals(flow: &mut Flow) {
    let v = flow.view;
    if v.totals.is_empty() {
        return;
    }
    flow.need(8.0 + 15.0 * v.totals.len() as f64 + 4.0);
    flow.y -= 8.0;
    let label_right = RIGHT - 120.0;
    for (i, (label, amount)) in v.totals.iter().enumerate() {
        let last = i + 1 == v.totals.len();
        let (font, size) = if last { (Font::HelveticaBold, 11.0) } else { (Font::Helvetica, BODY) };
        let p = &mut flow.page;
        if last {
            p.stroke_color(Rgb::BLACK);
            p.line_width(0.8);
            p.line(label_right - 100.0, flow.y + size + 1.0, RIGHT, flow.y + size + 1.0);
        }
        p.fill_color(Rgb::BLACK);
        p.text_aligned(label_right, flow.y, size, font, Align::Right, &font.truncate(label, size, 200.0));
        p.text_aligned(RIGHT - 4.0, flow.y, size, font, Align::Right, amount);
        if last && v.kind == DocKind::Receipt {
            p.fill_color(Rgb(0.1, 0.5, 0.2));
            p.text(LEFT + 4.0, flow.y, 14.0, Font::HelveticaBold, "PAID");
        }
        flow.y -= 15.0;
    }
}

fn payments(flow: &mut Flow) {
    let v = flow.view;
    if v.payments.is_empty() {
        return;
    }
    flow.need(20.0 + 14.0 * 2.0);
    flow.y -= 14.0;
    flow.page.fill_color(Rgb::BLACK);
    flow.page.text(LEFT, flow.y, 10.0, Font::HelveticaBold, "Payments received");
    flow.y -= 16.0;
    for (desc, amount) in &v.payments {
        flow.need(14.0);
        let p = &mut flow.page;
        p.fill_color(Rgb::BLACK);
        let room = RIGHT - LEFT - Font::Helvetica.width(amount, BODY) - 24.0;
        p.text(LEFT + 4.0, flow.y, BODY, Font::Helvetica, &Font::Helvetica.truncate(desc, BODY, room));
        p.text_aligned(RIGHT - 4.0, flow.y, BODY, Font::Helvetica, Align::Right, amount);
        flow.y -= 14.0;
    }
}

/// The control unit's data and its QR code (KRA's receipt check link).
fn control_unit(flow: &mut Flow) {
    let Some((lines, qr_text)) = &flow.view.control_unit else { return };
    const SIDE: f64 = 80.0;
    flow.need(SIDE + 30.0);
    flow.y -= 18.0;
    let top = flow.y + 10.0;
    flow.page.fill_color(Rgb::BLACK);
    flow.page.text(LEFT, flow.y, 10.0, Font::HelveticaBold, "KRA eTIMS control unit");
    flow.y -= 15.0;
    for (label, value) in lines {
        let p = &mut flow.page;
        p.fill_color(GRAY);
        p.text(LEFT, flow.y, BODY, Font::Helvetica, label);
        p.fill_color(Rgb::BLACK);
        let room = RIGHT - LEFT - SIDE - 120.0;
        p.text(LEFT + 110.0, flow.y, BODY, Font::Helvetica, &Font::Helvetica.truncate(value, BODY, room));
        flow.y -= 12.0;
    }
    if let Ok(qr) = qr_modules(qr_text) {
        flow.page.fill_color(Rgb::BLACK);
        flow.page.qr(&qr, RIGHT - SIDE, top, SIDE, QUIET_ZONE);
    }
    flow.y = flow.y.min(top - SIDE - 6.0);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(lines: usize) -> DocView {
        DocView {
            kind: DocKind::Invoice,
            number: "INV-2026-0042".into(),
            tenant_name: "Kibanda Net Ltd".into(),
            tenant_address: vec!["P.O. Box 1234-00100".into(), "Nairobi, Kenya".into()],
            tax_pin: Some("P051234567X".into()),
            customer_name: "Wanjiru Kamau".into(),
            customer_lines: vec!["+254 712 345 678".into(), "Account 00017".into()],
            issued: "2026-11-26".into(),
            due: Some("2026-12-10".into()),
            lines: (0..lines)
                .map(|i| DocLine {
                    description: format!("Home fibre 10 Mbps, November 2026, line {}", i + 1),
                    quantity: 1,
                    unit_price: "KES 862.07".into(),
                    net: "KES 862.07".into(),
                    tax: "KES 137.93".into(),
                    total: "KES 1,000.00".into(),
                })
                .collect(),
            totals: vec![
                ("Subtotal".into(), "KES 862.07".into()),
                ("VAT 16 %".into(), "KES 137.93".into()),
                ("Total".into(), "KES 1,000.00".into()),
            ],
            payments: vec![("M-Pesa NLJ7RT61SV, 2026-11-26".into(), "KES 1,000.00".into())],
            footer: "Thank you. Pay via M-Pesa Paybill 123456, account = your number.".into(),
            control_unit: None,
        }
    }

    #[test]
    fn columns_fit_content() {
        let view = sample(3);
        let cols = Columns::new(&view.lines);
        assert!((cols.rights[4] - RIGHT).abs() < 1e-9);
        assert!(cols.rights.windows(2).all(|w| w[0] < w[1]));
        assert!(cols.desc_w > 150.0, "{}", cols.desc_w);
    }

    #[test]
    fn short_invoice_is_one_page_and_long_flows() {
        let one = String::from_utf8_lossy(&document(&sample(3))).into_owned();
        assert_eq!(one.matches("/Type /Page ").count(), 1);
        assert!(one.contains("(page 1 of 1) Tj"));
        let long = String::from_utf8_lossy(&document(&sample(60))).into_owned();
        let pages = long.matches("/Type /Page ").count();
        assert!(pages >= 2, "{pages}");
        assert_eq!(long.matches("(Description) Tj").count(), pages, "table header repeats on each page");
        assert!(long.contains("(Invoice INV-2026-0042 \\(continued\\)) Tj"));
    }

    #[test]
    fn long_description_is_truncated() {
        let mut view = sample(1);
        view.lines[0].description = "x".repeat(300);
        let pdf = String::from_utf8_lossy(&document(&view)).into_owned();
        assert!(pdf.contains("xxx\\205) Tj"));
        assert!(!pdf.contains(&"x".repeat(200)));
    }
}
