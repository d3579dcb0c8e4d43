//! PURE: phone numbers masked for whoever does not need them in full
//! (read-only admins, webhook payloads, logs, payment exports):
//! `2547****5678`. The Kenya Data Protection Act's data minimisation, and
//! issue 13's "no full MSISDN by default".

/// `2547****5678`: the country code and network digit, then the last
/// four; anything shorter than 8 characters is hidden whole (`****`,
/// whatever its length).
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 8 {
        return "****".into();
    }
    let head = if p.starts_with('+') {
        5
    } else if p.starts_with("254") {
        4
    } else {
        2
    };
    let head = head.min(chars.len() - 4);
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - 4));
    out.extend(&chars[chars.len() - 4..]);
    out
}

/// Every Kenyan mobile number in free text (2547…/2541… with 12 digits,
/// 07…/01… with 10) masked; for audit records and message text shown to
/// a role that sees masked numbers.
pub fn mask_phones_in(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()) {
            let end = (i..b.len()).find(|&j| !b[j].is_ascii_digit()).unwrap_or(b.len());
            let run = &text[i..end];
            let phone = (run.len() == 12 && (run.starts_with("2547") || run.starts_with("2541")))
                || (run.len() == 10 && (run.starts_with("07") || run.starts_with("01")));
            out.push_str(&if phone { mask_phone(run) } else { run.to_string() });
            i = end;
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        let cases = [
            ("254712345678", "2547****5678"),
            ("+254712345678", "+2547****5678"),
            ("0712345678", "07****5678"),
            ("12345", "****"),
        ];
        for (p, want) in cases {
            assert_eq!(mask_phone(p), want, "{p}");
        }
    }

    #[test]
    fn phones_in_text_are_masked_and_other_numbers_kept() {
        let cases = [
            (r#"{"phone":"254712000001","amount":150000}"#, r#"{"phone":"2547****0001","amount":150000}"#),
            ("call 0712000001 or +254112000002.", "call 07****0001 or +2541****0002."),
            ("receipt 2547120000019 id 42", "receipt 2547120000019 id 42"),
            ("Wanjiru ✓ 254712000001", "Wanjiru ✓ 2547****0001"),
        ];
        for (t, want) in cases {
            assert_eq!(mask_phones_in(t), want, "{t}");
        }
    }
}
