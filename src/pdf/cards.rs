//! Printable voucher cards: 3 × 7 = 21 cards per A4 page, each a rounded box with tenant, plan,
//! price, validity, the code in large Helvetica-Bold and a QR code of the login URL; dashed cut
//! lines between cards and a "page N of M" footer.

use super::{A4_HEIGHT, A4_WIDTH, Align, Document, Font, Page, Rgb, qr::QUIET_ZONE, qr_modules};

/// One voucher as printed (all strings already formatted by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardView {
    pub code: String,
    pub plan: String,
    /// Already formatted, e.g. "KES 50.00".
    pub price: String,
    /// Human summary, e.g. "1 day, 1 GB".
    pub validity: String,
    pub tenant: String,
    /// QR content: the hotspot login URL with the code.
    pub login_url: String,
    pub expires: Option<String>,
}

pub const COLUMNS: usize = 3;
pub const ROWS: usize = 7;
pub const PER_PAGE: usize = COLUMNS * ROWS;

const MARGIN_X: f64 = 22.0;
const MARGIN_TOP: f64 = 24.0;
const MARGIN_BOTTOM: f64 = 36.0;
const CELL_W: f64 = (A4_WIDTH - 2.0 * MARGIN_X) / COLUMNS as f64;
const CELL_H: f64 = (A4_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM) / ROWS as f64;
/// Gap between a cut line and the card border.
const INSET: f64 = 5.0;
const PAD: f64 = 8.0;
/// QR side including its quiet zone.
const QR_SIDE: f64 = 72.0;

const GRAY: Rgb = Rgb(0.4, 0.4, 0.4);
const LIGHT: Rgb = Rgb(0.75, 0.75, 0.75);
const CODE_BAND: Rgb = Rgb(0.93, 0.93, 0.93);

/// The cards PDF: `cards.len().div_ceil(21)` pages (one empty page if there are no cards).
pub fn voucher_cards(cards: &[CardView], title: &str) -> Vec<u8> {
    let mut doc = Document::new(title);
    for chunk in cards.chunks(PER_PAGE) {
        let mut page = Page::new();
        cut_lines(&mut page, chunk.len());
        for (i, card) in chunk.iter().enumerate() {
            let (col, row) = (i % COLUMNS, i / COLUMNS);
            let x = MARGIN_X + col as f64 * CELL_W + INSET;
            let y = A4_HEIGHT - MARGIN_TOP - (row + 1) as f64 * CELL_H + INSET;
            draw_card(&mut page, card, x, y, CELL_W - 2.0 * INSET, CELL_H - 2.0 * INSET);
        }
        doc.push(page);
    }
    if doc.page_count() == 0 {
        doc.push(Page::new());
    }
    let total = doc.page_count();
    for (i, page) in doc.pages_mut().iter_mut().enumerate() {
        page.fill_color(GRAY);
        let title = Font::Helvetica.truncate(title, 8.0, A4_WIDTH / 2.0 - MARGIN_X - 40.0);
        page.text(MARGIN_X, 16.0, 8.0, Font::Helvetica, &title);
        let label = format!("page {} of {total}", i + 1);
        page.text_aligned(A4_WIDTH - MARGIN_X, 16.0, 8.0, Font::Helvetica, Align::Right, &label);
    }
    doc.finish()
}

/// Dashed grid lines around the first `used` cells of a page (full rows, so the last row's lines
/// still guide the guillotine).
fn cut_lines(page: &mut Page, used: usize) {
    let rows = used.div_ceil(COLUMNS);
    let top = A4_HEIGHT - MARGIN_TOP;
    let bottom = top - rows as f64 * CELL_H;
    page.save();
    page.stroke_color(LIGHT);
    page.line_width(0.5);
    page.dash(3.0, 3.0);
    for r in 0..=rows {
        let y = top - r as f64 * CELL_H;
        page.line(MARGIN_X - 8.0, y, A4_WIDTH - MARGIN_X + 8.0, y);
    }
    for c in 0..=COLUMNS {
        let x = MARGIN_X + c as f64 * CELL_W;
        page.line(x, top + 8.0, x, bottom - 8.0);
    }
    page.restore();
}

/// One card with its bottom-left corner at (x, y).
fn draw_card(page: &mut Page, card: &CardView, x: f64, y: f64, w: f64, h: f64) {
    page.save();
    page.stroke_color(Rgb::gray(0.2));
    page.line_width(0.8);
    page.stroke_rounded_rect(x, y, w, h, 6.0);
    page.restore();

    let top = y + h;
    let text_x = x + PAD;
    let text_w = w - QR_SIDE - PAD - 2.0;
    let fit = |font: Font, size: f64, s: &str| font.truncate(s, size, text_w);

    page.fill_color(GRAY);
    page.text(text_x, top - 14.0, 7.5, Font::Helvetica, &fit(Font::Helvetica, 7.5, &card.tenant));
    page.fill_color(Rgb::BLACK);
    page.text(text_x, top - 28.0, 10.5, Font::HelveticaBold, &fit(Font::HelveticaBold, 10.5, &card.plan));
    page.text(text_x, top - 44.0, 12.0, Font::HelveticaBold, &fit(Font::HelveticaBold, 12.0, &card.price));
    page.text(text_x, top - 56.0, 8.0, Font::Helvetica, &fit(Font::Helvetica, 8.0, &card.validity));
    if let Some(expires) = &card.expires {
        page.fill_color(GRAY);
        let line = format!("Use by {expires}");
        page.text(text_x, top - 66.0, 7.0, Font::Helvetica, &fit(Font::Helvetica, 7.0, &line));
    }

    // QR at the top right; its quiet zone supplies the padding to the border.
    let qr_x = x + w - QR_SIDE - 2.0;
    let qr_top = top - 2.0;
    match qr_modules(&card.login_url) {
        Ok(qr) => {
            page.fill_color(Rgb::BLACK);
            page.qr(&qr, qr_x, qr_top, QR_SIDE, QUIET_ZONE);
        }
        Err(_) => {
            page.fill_color(GRAY);
            page.text_aligned(
                qr_x + QR_SIDE / 2.0,
                qr_top - QR_SIDE / 2.0,
                7.0,
                Font::Helvetica,
                Align::Center,
                "(no QR)",
            );
        }
    }

    // Code band along the bottom, the code centred and as large as fits (≤ 16 pt).
    page.fill_color(CODE_BAND);
    page.fill_rect(x + 4.0, y + 4.0, w - 8.0, 20.0);
    page.fill_color(GRAY);
    page.text(text_x, y + 26.0, 5.5, Font::Helvetica, "VOUCHER CODE");
    let spacing = 1.0;
    let avail = w - 2.0 * PAD;
    let n = card.code.chars().count() as f64;
    let at_one = Font::HelveticaBold.width(&card.code, 1.0);
    let size = if at_one > 0.0 { ((avail - spacing * n) / at_one).min(16.0) } else { 16.0 };
    let (size, code) = if size >= 7.0 {
        (size, card.code.clone())
    } else {
        (7.0, Font::HelveticaBold.truncate(&card.code, 7.0, avail - spacing * n))
    };
    let code_w = Font::HelveticaBold.width(&code, size) + spacing * (code.chars().count() as f64 - 1.0);
    page.fill_color(Rgb::BLACK);
    page.text_spaced(x + (w - code_w) / 2.0, y + 9.0, size, Font::HelveticaBold, spacing, &code);
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(i: usize) -> CardView {
        CardView {
            code: format!("HS-{:08}", i).replace('0', "Z").replace('1', "K"),
            plan: "Daily 1 GB".into(),
            price: "KES 50.00".into(),
            validity: "1 day, 1 GB".into(),
            tenant: "Mama Mboga Hotspot".into(),
            login_url: format!("http://hotspot.lan/login?code=HS-{i:08}"),
            expires: Some("2026-12-31".into()),
        }
    }

    #[test]
    fn deterministic_and_paged() {
        let cards: Vec<CardView> = (0..22).map(sample).collect();
        let a = voucher_cards(&cards, "Batch 7");
        let b = voucher_cards(&cards, "Batch 7");
        assert_eq!(a, b, "output must be deterministic");
        let text = String::from_utf8_lossy(&a);
        assert_eq!(text.matches("/Type /Page ").count(), 2);
        assert!(text.contains("(page 2 of 2) Tj"));
        assert!(text.contains("/Title (Batch 7)") && text.contains("/Producer (lango)"));
    }

    #[test]
    fn empty_batch_is_one_blank_page() {
        let pdf = voucher_cards(&[], "none");
        assert_eq!(String::from_utf8_lossy(&pdf).matches("/Type /Page ").count(), 1);
    }

    #[test]
    fn long_fields_are_truncated_not_overflowing() {
        let mut card = sample(1);
        card.plan = "Unlimited Monthly Family Package Premium".into();
        card.code = "ABCDEFGH-2345678923456789".into();
        let pdf = String::from_utf8_lossy(&voucher_cards(&[card], "t")).into_owned();
        assert!(pdf.contains("\\205) Tj"), "plan should end in an ellipsis");
        assert!(pdf.contains("(ABCDEFGH-2345678923456789) Tj"), "code must never be truncated at this length");
    }
}
