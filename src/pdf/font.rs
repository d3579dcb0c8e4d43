//! Standard-14 Helvetica fonts: WinAnsi encoding of Rust strings, PDF string escaping, and text
//! width estimates from the Adobe AFM advance widths (so text can be centred, right-aligned and
//! truncated without embedding fonts).

/// The two fonts every page resource dictionary offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Helvetica,
    HelveticaBold,
}

impl Font {
    /// Resource name used in content streams.
    pub(crate) fn resource(self) -> &'static str {
        match self {
            Font::Helvetica => "F1",
            Font::HelveticaBold => "F2",
        }
    }

    pub(crate) fn base_font(self) -> &'static str {
        match self {
            Font::Helvetica => "Helvetica",
            Font::HelveticaBold => "Helvetica-Bold",
        }
    }

    fn ascii_widths(self) -> &'static [u16; 95] {
        match self {
            Font::Helvetica => &HELVETICA,
            Font::HelveticaBold => &HELVETICA_BOLD,
        }
    }

    /// Advance width of one WinAnsi byte in 1/1000 em.
    pub fn glyph_width(self, byte: u8) -> u16 {
        match byte {
            0x20..=0x7e => self.ascii_widths()[usize::from(byte - 0x20)],
            0x85 | 0x89 | 0x97 | 0x99 => 1000, // … ‰ — ™
            0x95 => 350,                       // •
            0x80..=0x9f => 556,
            0xa0 => 278,
            // Latin-1 letters are mostly as wide as their base letter; 556 is a fair average.
            _ => 556,
        }
    }

    /// Width in points of `text` (after WinAnsi mapping) at `size`.
    pub fn width(self, text: &str, size: f64) -> f64 {
        let units: u32 = text.chars().map(|c| u32::from(self.glyph_width(win_ansi(c)))).sum();
        f64::from(units) * size / 1000.0
    }

    /// `text` cut to fit `max_width` points, ending in "…" when cut.
    pub fn truncate(self, text: &str, size: f64, max_width: f64) -> String {
        if self.width(text, size) <= max_width {
            return text.to_string();
        }
        let ellipsis = f64::from(self.glyph_width(0x85)) * size / 1000.0;
        let mut used = 0.0;
        let mut out = String::new();
        for c in text.chars() {
            let w = f64::from(self.glyph_width(win_ansi(c))) * size / 1000.0;
            if used + w + ellipsis > max_width {
                break;
            }
            used += w;
            out.push(c);
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('…');
        out
    }

    /// Greedy word wrap of `text` into lines no wider than `max_width`; over-long words are
    /// truncated.
    pub fn wrap(self, text: &str, size: f64, max_width: f64) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if self.width(&candidate, size) <= max_width {
                line = candidate;
            } else {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line = self.truncate(word, size, max_width);
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// Maps a char to its WinAnsiEncoding byte; characters outside WinAnsi become `?`.
pub fn win_ansi(c: char) -> u8 {
    let u = u32::from(c);
    match u {
        0x20..=0x7e | 0xa0..=0xff => u as u8,
        _ => match c {
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            '\t' | '\n' | '\r' => b' ',
            _ => b'?',
        },
    }
}

/// `text` as a PDF literal string `( … )` in WinAnsi: `(`, `)` and `\` escaped, bytes ≥ 0x80
/// written as octal escapes so content streams stay 7-bit.
pub fn pdf_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for c in text.chars() {
        match win_ansi(c) {
            b @ (b'(' | b')' | b'\\') => {
                out.push('\\');
                out.push(char::from(b));
            }
            b @ 0x20..=0x7e => out.push(char::from(b)),
            b => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push(')');
    out
}

/// Helvetica advance widths for WinAnsi 0x20..=0x7e (note 0x27 is quotesingle, 0x60 grave).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// Helvetica-Bold advance widths for WinAnsi 0x20..=0x7e.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0..?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // P.._
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // `..o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // p..~
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_afm() {
        // "Hello" in Helvetica: 722 + 556 + 222 + 222 + 556 = 2278 units.
        assert!((Font::Helvetica.width("Hello", 10.0) - 22.78).abs() < 1e-9);
        assert!((Font::HelveticaBold.width("W", 1000.0) - 944.0).abs() < 1e-9);
        assert_eq!(Font::Helvetica.glyph_width(b'@'), 1015);
        assert_eq!(Font::HelveticaBold.glyph_width(b'~'), 584);
        assert_eq!(Font::Helvetica.glyph_width(b'\''), 191);
    }

    #[test]
    fn encoding_and_escaping() {
        assert_eq!(pdf_string("(weird) \\ chars"), r"(\(weird\) \\ chars)");
        assert_eq!(pdf_string("M-Pesa – ✓"), r"(M-Pesa \226 ?)");
        assert_eq!(pdf_string("café €5…"), r"(caf\351 \2005\205)");
        assert_eq!(win_ansi('日'), b'?');
    }

    #[test]
    fn truncate_and_wrap_fit() {
        let long = "Unlimited monthly fibre package with static IP and priority support";
        let cut = Font::Helvetica.truncate(long, 9.0, 100.0);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(Font::Helvetica.width(&cut, 9.0) <= 100.0);
        assert!(cut.len() > 10, "{cut}");
        assert_eq!(Font::Helvetica.truncate("short", 9.0, 100.0), "short");
        let lines = Font::Helvetica.wrap(long, 9.0, 120.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(lines.iter().all(|l| Font::Helvetica.width(l, 9.0) <= 120.0), "{lines:?}");
        assert_eq!(lines.join(" "), long);
    }
}
