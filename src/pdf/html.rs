//! Printable HTML views (askama templates under `templates/`) of the same view structs the PDFs
//! use: voucher cards (`vouchers/cards.html`) and invoices/receipts (`billing/document.html`).
//! Everything is auto-escaped except the QR `<svg>`, which we generate ourselves.

use askama::Template;

use super::cards::{CardView, PER_PAGE};
use super::invoice::{DocKind, DocView};
use super::qr_svg;

/// One card plus its pre-rendered QR SVG (empty if the URL is too long for a QR code).
pub struct CardItem<'a> {
    pub card: &'a CardView,
    pub qr: String,
}

/// The voucher cards print view: sheets of 21 cards, one sheet per printed page.
#[derive(Template)]
#[template(path = "vouchers/cards.html")]
pub struct CardsPage<'a> {
    pub title: &'a str,
    pub count: usize,
    pub sheets: Vec<Vec<CardItem<'a>>>,
}

impl<'a> CardsPage<'a> {
    pub fn new(cards: &'a [CardView], title: &'a str) -> CardsPage<'a> {
        let sheets = cards
            .chunks(PER_PAGE)
            .map(|chunk| {
                chunk.iter().map(|card| CardItem { card, qr: qr_svg(&card.login_url).unwrap_or_default() }).collect()
            })
            .collect();
        CardsPage { title, count: cards.len(), sheets }
    }
}

/// The invoice/receipt print view.
#[derive(Template)]
#[template(path = "billing/document.html")]
pub struct DocumentPage<'a> {
    pub view: &'a DocView,
    pub issued_label: &'static str,
    pub to_label: &'static str,
    pub paid: bool,
}

impl<'a> DocumentPage<'a> {
    pub fn new(view: &'a DocView) -> DocumentPage<'a> {
        let receipt = view.kind == DocKind::Receipt;
        DocumentPage {
            view,
            issued_label: if receipt { "Date" } else { "Issued" },
            to_label: if receipt { "RECEIVED FROM" } else { "BILL TO" },
            paid: receipt,
        }
    }
}

/// Renders the voucher cards print view.
pub fn cards_html(cards: &[CardView], title: &str) -> Result<String, askama::Error> {
    CardsPage::new(cards, title).render()
}

/// Renders the invoice/receipt print view.
pub fn document_html(view: &DocView) -> Result<String, askama::Error> {
    DocumentPage::new(view).render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::invoice;

    fn card(tenant: &str) -> CardView {
        CardView {
            code: "HS-7KQ2M9XP".into(),
            plan: "Daily".into(),
            price: "KES 50.00".into(),
            validity: "1 day, 1 GB".into(),
            tenant: tenant.into(),
            login_url: "http://hotspot.lan/login?username=HS-7KQ2M9XP&password=x".into(),
            expires: Some("2026-12-31".into()),
        }
    }

    #[test]
    fn cards_escape_everything_but_the_qr() {
        let cards = vec![card("<script>alert(1)</script>"); 22];
        let html = cards_html(&cards, "Batch \"7\" & co").unwrap();
        assert!(!html.contains("<script>"), "tenant name must be escaped");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "tenant must be entity-escaped");
        assert!(html.contains("Batch &#34;7&#34; &#38; co"));
        assert_eq!(html.matches("<svg ").count(), 22, "QR svg must be inserted unescaped");
        assert_eq!(html.matches("<section class=\"sheet\">").count(), 2, "21 cards per sheet");
        assert!(html.contains("Use by 2026-12-31"));
        assert!(html.contains("@page { size: A4"));
        assert!(html.contains(".toolbar { display: none; }"));
        assert!(!html.contains("src=") && !html.contains("<link") && !html.contains("url("), "no external assets");
    }

    #[test]
    fn document_escapes_and_shows_everything() {
        let mut view = invoice::tests::sample(2);
        view.tenant_name = "<script>alert(1)</script>".into();
        view.lines[0].description = "Fibre \"<b>\" & more".into();
        let html = document_html(&view).unwrap();
        assert!(!html.contains("<script>alert"), "tenant name must be escaped");
        assert!(!html.contains("<b>"));
        for needle in
            ["INVOICE", "No. INV-2026-0042", "Due: 2026-12-10", "VAT 16 %", "KES 1,000.00", "M-Pesa NLJ7RT61SV"]
        {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert!(!html.contains(">PAID<"));
        view.kind = DocKind::Receipt;
        view.due = None;
        let html = document_html(&view).unwrap();
        assert!(html.contains("RECEIPT") && html.contains(">PAID<") && html.contains("RECEIVED FROM"));
        assert!(!html.contains("Due:"));
    }
}
