//! Money formatting for printed documents: integer minor units to "KES 1,234.50", using the ISO
//! 4217 number of minor digits (0 for UGX/RWF/JPY…, 3 for BHD/KWD…, otherwise 2).

/// Minor-unit digits of an ISO 4217 currency code (case-insensitive); unknown codes get 2.
pub fn minor_digits(currency: &str) -> u32 {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
        "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    let code = currency.trim().to_ascii_uppercase();
    if ZERO.contains(&code.as_str()) {
        0
    } else if THREE.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// `minor` units of `currency` as "KES 1,234.50": thousands separated by commas, the currency's
/// minor digits after a point, a leading "-" for negative amounts ("-KES 5.00"). An empty
/// currency prints the number alone.
pub fn format_money(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let abs = minor.unsigned_abs();
    let scale = 10u64.pow(digits);
    let (major, fraction) = (abs / scale, abs % scale);
    let plain = major.to_string();
    let mut grouped = String::with_capacity(plain.len() + plain.len() / 3);
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if digits > 0 {
        grouped.push_str(&format!(".{fraction:0width$}", width = digits as usize));
    }
    let sign = if minor < 0 { "-" } else { "" };
    let currency = currency.trim().to_ascii_uppercase();
    if currency.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{currency} {grouped}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(i64, &str, &str)] = &[
            (123_450, "KES", "KES 1,234.50"),
            (0, "KES", "KES 0.00"),
            (5, "KES", "KES 0.05"),
            (-500, "KES", "-KES 5.00"),
            (-123_456_789, "kes", "-KES 1,234,567.89"),
            (100_000, "KES", "KES 1,000.00"),
            (99_999, "USD", "USD 999.99"),
            (1_500, "UGX", "UGX 1,500"),
            (-2_000, "RWF", "-RWF 2,000"),
            (1_000_000, "JPY", "JPY 1,000,000"),
            (999, "JPY", "JPY 999"),
            (1_234_567, "KWD", "KWD 1,234.567"),
            (1_050, "", "10.50"),
            (i64::MAX, "KES", "KES 92,233,720,368,547,758.07"),
            (i64::MIN, "KES", "-KES 92,233,720,368,547,758.08"),
        ];
        for &(minor, currency, want) in cases {
            assert_eq!(format_money(minor, currency), want, "{minor} {currency}");
        }
    }

    #[test]
    fn digits() {
        assert_eq!(minor_digits("UGX"), 0);
        assert_eq!(minor_digits("ugx"), 0);
        assert_eq!(minor_digits("KES"), 2);
        assert_eq!(minor_digits("BHD"), 3);
        assert_eq!(minor_digits("XYZ"), 2);
    }
}
