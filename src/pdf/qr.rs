//! QR codes via Nayuki's `qrcodegen`: a module matrix for the PDF writer and an inline SVG (one
//! `<path>`) for the HTML print views. Error correction Medium; quiet zone 4 modules.

use std::fmt::Write as _;

use qrcodegen::{QrCode, QrCodeEcc};

/// Quiet zone (light border) in modules, as the QR spec requires.
pub const QUIET_ZONE: u32 = 4;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    #[error("text of {0} bytes does not fit in a QR code at error correction level M")]
    TooLong(usize),
}

/// A QR symbol without its quiet zone: `size × size` modules, row-major, `true` = dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    pub size: u32,
    pub modules: Vec<bool>,
}

impl Qr {
    /// Whether the module at column `x`, row `y` (from the top) is dark.
    pub fn dark(&self, x: u32, y: u32) -> bool {
        self.modules[(y * self.size + x) as usize]
    }

    /// Horizontal runs of dark modules per row: `(row, start_col, len)`.
    pub fn runs(&self) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        (0..self.size).flat_map(move |row| {
            let mut runs = Vec::new();
            let mut col = 0;
            while col < self.size {
                if self.dark(col, row) {
                    let start = col;
                    while col < self.size && self.dark(col, row) {
                        col += 1;
                    }
                    runs.push((row, start, col - start));
                } else {
                    col += 1;
                }
            }
            runs
        })
    }
}

/// Encodes `text` (byte/alphanumeric mode chosen by qrcodegen, smallest version, ECC Medium).
pub fn qr_modules(text: &str) -> Result<Qr, QrError> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|_| QrError::TooLong(text.len()))?;
    let size = code.size();
    let modules = (0..size).flat_map(|y| (0..size).map(move |x| (x, y))).map(|(x, y)| code.get_module(x, y)).collect();
    Ok(Qr { size: size as u32, modules })
}

/// An inline `<svg>` of the QR code for `text`, including a 4-module quiet zone on a white
/// background; dark modules are one `<path>` of merged horizontal runs. Sized by CSS (viewBox
/// only). Contains no text from `text`, so it is safe to insert unescaped.
pub fn qr_svg(text: &str) -> Result<String, QrError> {
    let qr = qr_modules(text)?;
    let total = qr.size + 2 * QUIET_ZONE;
    let mut d = String::new();
    for (row, start, len) in qr.runs() {
        let _ = write!(d, "M{} {}h{len}v1h-{len}z", start + QUIET_ZONE, row + QUIET_ZONE);
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {total} {total}\" shape-rendering=\"crispEdges\" \
         style=\"background:#fff\"><path fill=\"#000\" d=\"{d}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_have_finder_patterns() {
        let qr = qr_modules("https://wifi.example.net/login?code=HS-7KQ2M9XP").unwrap();
        assert_eq!(qr.modules.len(), (qr.size * qr.size) as usize);
        assert!(qr.size >= 21 && (qr.size - 17).is_multiple_of(4), "size {}", qr.size);
        // Finder pattern corners: 7×7 dark ring with a light ring inside, in three corners.
        for (ox, oy) in [(0, 0), (qr.size - 7, 0), (0, qr.size - 7)] {
            assert!(qr.dark(ox, oy) && qr.dark(ox + 6, oy + 6) && !qr.dark(ox + 1, oy + 1) && qr.dark(ox + 3, oy + 3));
        }
        assert!(!qr.dark(qr.size - 8, qr.size - 8) || qr.size > 21); // alignment area exists in v2+
    }

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let qr = qr_modules("HELLO").unwrap();
        let dark = qr.modules.iter().filter(|&&m| m).count() as u32;
        let covered: u32 = qr.runs().map(|(_, _, len)| len).sum();
        assert_eq!(dark, covered);
        assert!(qr.runs().count() < dark as usize, "runs must merge neighbours");
    }

    #[test]
    fn svg_is_one_path_with_quiet_zone() {
        let svg = qr_svg("https://x.test/?a=1&b=<2>").unwrap();
        let qr = qr_modules("https://x.test/?a=1&b=<2>").unwrap();
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(svg.contains(&format!("viewBox=\"0 0 {0} {0}\"", qr.size + 8)));
        assert!(!svg.contains('&') && !svg.contains("<2>"), "input text must not leak into the svg");
        assert!(svg.contains("M4 4h7v1h-7z"), "top-left finder row starts at the quiet zone");
    }

    #[test]
    fn too_long_is_an_error() {
        let long = "x".repeat(3000);
        assert_eq!(qr_modules(&long), Err(QrError::TooLong(3000)));
    }
}
