//! How many SMS parts a text costs (3GPP TS 23.038): GSM-7 texts fit 160
//! characters in one part and 153 per part when split (the user data
//! header takes 7); the extension table (`^{}\[~]|€` and form feed) costs
//! two characters each. Anything outside GSM-7 sends the whole text as
//! UCS-2: 70 characters in one part, 67 when split, and characters beyond
//! the Basic Multilingual Plane (emoji) count twice.

/// The GSM 03.38 basic character set.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table, reached with an escape: two characters each.
const EXTENDED: &str = "^{}\\[~]|€\u{c}";

fn septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Whether every character of `text` is in GSM-7 (with its extension).
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| septets(c).is_some())
}

/// The encoding and size of a text as an SMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    pub unicode: bool,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub parts: usize,
}

pub fn count(text: &str) -> Parts {
    let gsm: Option<usize> = text.chars().map(septets).sum();
    let (unicode, units, single, multi) = match gsm {
        Some(n) => (false, n, 160, 153),
        None => (true, text.encode_utf16().count(), 70, 67),
    };
    let parts = match units {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(multi),
    };
    Parts { unicode, units, parts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_limits() {
        assert_eq!(count(""), Parts { unicode: false, units: 0, parts: 0 });
        assert_eq!(count(&"a".repeat(160)).parts, 1);
        assert_eq!(count(&"a".repeat(161)).parts, 2);
        assert_eq!(count(&"a".repeat(306)).parts, 2);
        assert_eq!(count(&"a".repeat(307)).parts, 3);
    }

    #[test]
    fn extension_characters_count_twice() {
        let t = format!("{}€", "a".repeat(158));
        assert_eq!(count(&t), Parts { unicode: false, units: 160, parts: 1 });
        let t = format!("{}{{", "a".repeat(159));
        assert_eq!(count(&t).parts, 2);
    }

    #[test]
    fn ucs2_limits() {
        assert!(!is_gsm7("Karibu ✓"));
        let t = format!("{}✓", "a".repeat(69));
        assert_eq!(count(&t), Parts { unicode: true, units: 70, parts: 1 });
        let t = format!("{}✓", "a".repeat(70));
        assert_eq!(count(&t).parts, 2);
        assert_eq!(count(&"✓".repeat(134)).parts, 2);
        assert_eq!(count(&"✓".repeat(135)).parts, 3);
        // An emoji is a surrogate pair: two units.
        assert_eq!(count("😀").units, 2);
    }

    #[test]
    fn swahili_is_gsm7() {
        assert!(is_gsm7("Habari Amina, kifurushi chako cha Home 10M kitaisha kesho saa 3:00. Lipa KES 1,500."));
        assert!(!is_gsm7("Bei ni 5€ — sasa")); // the em dash is not GSM-7
    }
}
