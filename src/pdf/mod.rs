//! Minimal dependency-free PDF 1.4 writer (A4 pages, Helvetica/Helvetica-Bold, text, rectangles,
//! lines, dashes, RGB colours, deterministic output) plus the printable documents built on it:
//! voucher cards, invoices/receipts, reports, their HTML print views, QR codes and money
//! formatting.

pub mod cards;
mod font;
pub mod html;
pub mod invoice;
mod money;
mod qr;
pub mod report;
#[cfg(test)]
mod tests;

pub use font::{Font, pdf_string, win_ansi};
pub use money::{format_money, minor_digits};
pub use qr::{Qr, QrError, qr_modules, qr_svg};

use std::fmt::Write as _;

pub const A4_WIDTH: f64 = 595.28;
pub const A4_HEIGHT: f64 = 841.89;

/// Horizontal anchor for [`Page::text_aligned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// An RGB colour, components 0.0..=1.0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f64, pub f64, pub f64);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
    pub const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);

    pub fn gray(v: f64) -> Rgb {
        Rgb(v, v, v)
    }
}

/// Formats a number for a content stream: at most 2 decimals, no trailing zeros, never `-0`.
pub fn num(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 {
        return "0".into();
    }
    let s = format!("{r:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One page's content stream, built with drawing calls; coordinates are PDF points from the
/// bottom-left corner of the A4 page.
#[derive(Debug, Default, Clone)]
pub struct Page {
    ops: String,
}

impl Page {
    pub fn new() -> Page {
        Page::default()
    }

    /// Text with its baseline starting at (x, y), in the current fill colour.
    pub fn text(&mut self, x: f64, y: f64, size: f64, font: Font, text: &str) {
        self.text_spaced(x, y, size, font, 0.0, text);
    }

    /// Text with `spacing` extra points after every character (PDF `Tc`).
    pub fn text_spaced(&mut self, x: f64, y: f64, size: f64, font: Font, spacing: f64, text: &str) {
        // Tc is graphics state and outlives ET, so reset it right after use.
        let (tc, reset) = if spacing == 0.0 { (String::new(), "") } else { (format!("{} Tc ", num(spacing)), " 0 Tc") };
        let _ = writeln!(
            self.ops,
            "BT /{} {} Tf {tc}{} {} Td {} Tj{reset} ET",
            font.resource(),
            num(size),
            num(x),
            num(y),
            pdf_string(text)
        );
    }

    /// Text anchored at x according to `align` (width from the AFM metrics).
    pub fn text_aligned(&mut self, x: f64, y: f64, size: f64, font: Font, align: Align, text: &str) {
        let w = font.width(text, size);
        let x = match align {
            Align::Left => x,
            Align::Center => x - w / 2.0,
            Align::Right => x - w,
        };
        self.text(x, y, size, font, text);
    }

    pub fn fill_color(&mut self, c: Rgb) {
        let _ = writeln!(self.ops, "{} {} {} rg", num(c.0), num(c.1), num(c.2));
    }

    pub fn stroke_color(&mut self, c: Rgb) {
        let _ = writeln!(self.ops, "{} {} {} RG", num(c.0), num(c.1), num(c.2));
    }

    pub fn line_width(&mut self, w: f64) {
        let _ = writeln!(self.ops, "{} w", num(w));
    }

    /// Dash pattern for following strokes: `on` points drawn, `off` points blank; `dash(0, 0)`
    /// restores solid lines.
    pub fn dash(&mut self, on: f64, off: f64) {
        if on == 0.0 {
            self.ops.push_str("[] 0 d\n");
        } else {
            let _ = writeln!(self.ops, "[{} {}] 0 d", num(on), num(off));
        }
    }

    pub fn fill_rect(&mut self, x: f64, y: f64, w: f64, h: f64) {
        let _ = writeln!(self.ops, "{} {} {} {} re f", num(x), num(y), num(w), num(h));
    }

    pub fn stroke_rect(&mut self, x: f64, y: f64, w: f64, h: f64) {
        let _ = writeln!(self.ops, "{} {} {} {} re S", num(x), num(y), num(w), num(h));
    }

    /// Stroked rectangle with corners rounded by radius `r` (cubic Bézier quarter circles).
    pub fn stroke_rounded_rect(&mut self, x: f64, y: f64, w: f64, h: f64, r: f64) {
        let r = r.min(w / 2.0).min(h / 2.0);
        let k = r * 0.552_284_75;
        let (x1, y1) = (x + w, y + h);
        let n = num;
        let _ = writeln!(
            self.ops,
            "{} {} m {} {} l {} {} {} {} {} {} c {} {} l {} {} {} {} {} {} c {} {} l {} {} {} {} {} {} c \
             {} {} l {} {} {} {} {} {} c h S",
            n(x + r),
            n(y),
            n(x1 - r),
            n(y),
            n(x1 - r + k),
            n(y),
            n(x1),
            n(y + r - k),
            n(x1),
            n(y + r),
            n(x1),
            n(y1 - r),
            n(x1),
            n(y1 - r + k),
            n(x1 - r + k),
            n(y1),
            n(x1 - r),
            n(y1),
            n(x + r),
            n(y1),
            n(x + r - k),
            n(y1),
            n(x),
            n(y1 - r + k),
            n(x),
            n(y1 - r),
            n(x),
            n(y + r),
            n(x),
            n(y + r - k),
            n(x + r - k),
            n(y),
            n(x + r),
            n(y),
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64) {
        let _ = writeln!(self.ops, "{} {} m {} {} l S", num(x1), num(y1), num(x2), num(y2));
    }

    /// A QR code with its top-left corner (including the quiet zone) at (x, y_top), `side`
    /// points square. Dark modules are drawn as filled rectangles, one per horizontal run, in
    /// module units under a scaling matrix so each run costs ~12 bytes.
    pub fn qr(&mut self, qr: &Qr, x: f64, y_top: f64, side: f64, quiet: u32) {
        let total = f64::from(qr.size + 2 * quiet);
        let m = side / total;
        let _ = writeln!(self.ops, "q {} 0 0 {} {} {} cm", num(m), num(m), num(x), num(y_top - side));
        for (row, start, len) in qr.runs() {
            let _ = writeln!(self.ops, "{} {} {len} 1 re", start + quiet, qr.size + quiet - 1 - row);
        }
        self.ops.push_str("f Q\n");
    }

    /// Saves (`q`) / restores (`Q`) the graphics state (colours, line width, dash).
    pub fn save(&mut self) {
        self.ops.push_str("q\n");
    }

    pub fn restore(&mut self) {
        self.ops.push_str("Q\n");
    }

    /// The raw content stream (for tests and size checks).
    pub fn content(&self) -> &str {
        &self.ops
    }
}

/// A PDF document under construction: pages are added in order, `finish` serialises.
#[derive(Debug, Default, Clone)]
pub struct Document {
    title: String,
    pages: Vec<Page>,
}

impl Document {
    pub fn new(title: &str) -> Document {
        Document { title: title.to_string(), pages: Vec::new() }
    }

    pub fn push(&mut self, page: Page) {
        self.pages.push(page);
    }

    pub fn pages_mut(&mut self) -> &mut [Page] {
        &mut self.pages
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Serialises to PDF 1.4 bytes. Objects: 1 catalog, 2 page tree, 3 info, 4/5 fonts, then a
    /// page object and its content stream per page. A document without pages gets one blank page
    /// (a PDF must have at least one).
    pub fn finish(mut self) -> Vec<u8> {
        if self.pages.is_empty() {
            self.pages.push(Page::new());
        }
        let n = self.pages.len();
        let page_id = |i: usize| 6 + 2 * i;
        let mut objects: Vec<String> = Vec::with_capacity(5 + 2 * n);
        objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", page_id(i))).collect();
        objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")));
        objects.push(format!("<< /Producer {} /Title {} >>", info_string("lango"), info_string(&self.title)));
        for font in [Font::Helvetica, Font::HelveticaBold] {
            objects.push(format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
                font.base_font()
            ));
        }
        for (i, page) in self.pages.iter().enumerate() {
            objects.push(format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> \
                 /ProcSet [/PDF /Text] >> /Contents {} 0 R >>",
                num(A4_WIDTH),
                num(A4_HEIGHT),
                page_id(i) + 1
            ));
            objects.push(format!("<< /Length {} >>\nstream\n{}endstream", page.ops.len(), page.ops));
        }

        let mut out: Vec<u8> = Vec::new();
        out.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for off in offsets {
            // Each xref entry is exactly 20 bytes: 10 + 1 + 5 + 1 + 1 + " \n".
            let _ = writeln!(tail, "{off:010} 00000 n ");
        }
        let _ = write!(
            tail,
            "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        );
        out.extend_from_slice(tail.as_bytes());
        out
    }
}

/// A document-information text string: a literal for printable ASCII, else UTF-16BE with BOM.
fn info_string(s: &str) -> String {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return pdf_string(s);
    }
    let mut hex = String::from("<FEFF");
    for unit in s.encode_utf16() {
        let _ = write!(hex, "{unit:04X}");
    }
    hex.push('>');
    hex
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(num(595.28), "595.28");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(-3.456), "-3.46");
    }

    #[test]
    fn xref_offsets_point_at_objects() {
        let mut doc = Document::new("Ünïcode (title)");
        let mut page = Page::new();
        page.text(10.0, 10.0, 12.0, Font::Helvetica, "(a) \\ b");
        doc.push(page);
        doc.push(Page::new());
        let pdf = doc.finish();
        let s = String::from_utf8_lossy(&pdf).into_owned();
        let startxref: usize = s.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        assert!(pdf[startxref..].starts_with(b"xref\n0 10\n0000000000 65535 f \n"));
        let entries = &pdf[startxref + "xref\n0 10\n".len()..];
        for i in 1..10 {
            let entry = &entries[i * 20..(i + 1) * 20];
            let offset: usize = std::str::from_utf8(&entry[..10]).unwrap().parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{i} 0 obj\n").as_bytes()), "object {i}");
        }
        assert!(s.contains("/Title <FEFF00DC006E00EF0063006F0064006500200028007400690074006C00650029>"));
        assert!(s.contains("/Size 10 /Root 1 0 R /Info 3 0 R"));
        let len: usize = s.split("/Length ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        let body = s.split(">>\nstream\n").nth(1).unwrap();
        assert_eq!(&body[len..len + "endstream".len()], "endstream", "stream /Length must be exact");
    }
}
