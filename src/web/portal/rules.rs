//! Pure portal rules: which device a browser is, where a service stands,
//! which packages to offer, and MikroTik's HTTP-CHAP. No I/O, no clock.

use md5::{Digest, Md5};

use crate::model::*;

/// The device class from a User-Agent: tablets first (Android tablets say
/// "Android" without "Mobile"), then phones, else a computer.
pub fn device_class(user_agent: &str) -> DeviceClass {
    let ua = user_agent.to_ascii_lowercase();
    let android = ua.contains("android");
    if ua.contains("ipad") || ua.contains("tablet") || (android && !ua.contains("mobile")) {
        DeviceClass::Tablet
    } else if android || ua.contains("iphone") || ua.contains("mobi") || ua.contains("kaios") {
        DeviceClass::Phone
    } else {
        DeviceClass::Computer
    }
}

/// Where a service stands, as the portal tells the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Active,
    /// Past its expiry (and grace): pay to come back.
    Expired,
    /// Suspended or disabled by the operator or by billing: call them.
    Suspended,
    /// The period's data is used up: top up.
    QuotaUsed,
    /// A voucher or first-use service that has not started yet.
    NotStarted,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Expired => "expired",
            Standing::Suspended => "suspended",
            Standing::QuotaUsed => "quota",
            Standing::NotStarted => "not-started",
        }
    }
}

pub fn standing(s: &Service, plan: &Plan, usage: &Usage, now: UnixTime) -> Standing {
    if s.status != ServiceStatus::Active || s.billing_hold {
        return Standing::Suspended;
    }
    match s.expires_at {
        None if s.activate_on_first_use => return Standing::NotStarted,
        Some(at) if now >= at.saturating_add(i64::from(plan.grace_secs)) => return Standing::Expired,
        _ => {}
    }
    match plan.quota_bytes {
        Some(q) if usage.total_bytes() >= q => Standing::QuotaUsed,
        _ => Standing::Active,
    }
}

/// Who is asking for packages.
#[derive(Clone, Copy, Debug)]
pub struct Asker<'a> {
    pub access: AccessType,
    pub category: Option<&'a str>,
    pub device: DeviceClass,
}

/// The plans to offer, cheapest first: enabled, listed on the portal,
/// priced (free plans are given by the operator, not bought), and meant
/// for this access type, customer category and device.
pub fn offers<'p>(plans: &'p [Plan], who: Asker<'_>) -> Vec<&'p Plan> {
    let mut out: Vec<&Plan> = plans
        .iter()
        .filter(|p| !p.disabled && p.offer.portal && p.price > 0)
        .filter(|p| p.offer.access.is_empty() || p.offer.access.contains(&who.access))
        .filter(|p| {
            p.offer.categories.is_empty() || who.category.is_some_and(|c| p.offer.categories.iter().any(|x| x == c))
        })
        .filter(|p| p.offer.devices.is_empty() || p.offer.devices.contains(&who.device))
        .collect();
    out.sort_by(|a, b| a.price.cmp(&b.price).then_with(|| a.name.cmp(&b.name)));
    out
}

/// RouterOS hotspot pages print `$(chap-id)` and `$(chap-challenge)` as
/// JavaScript string literals of octal escapes ("\\273\\021..."). The
/// bytes they stand for, or None if the text is not such a literal.
pub fn unescape_octal(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 4 + 1);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let digits = b.get(i + 1..i + 4)?;
            if !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                return None;
            }
            let v = digits.iter().fold(0u16, |acc, d| acc * 8 + u16::from(d - b'0'));
            out.push(u8::try_from(v).ok()?);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The `password` field of a RouterOS HTTP-CHAP login form: hex of
/// MD5(chap-id ‖ password ‖ chap-challenge), as the stock login.html's
/// md5.js computes it.
pub fn chap_password(chap_id: &[u8], password: &str, challenge: &[u8]) -> String {
    let mut h = Md5::new();
    h.update(chap_id);
    h.update(password.as_bytes());
    h.update(challenge);
    crate::store::to_hex(&h.finalize())
}

/// Vouchers are printed in capitals in groups; people type them any way.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// The spellings of a typed code to look up: as typed in capitals, then
/// letters and digits only, then with a prefix dash put back ("hs abcd"
/// → "HS-ABCD"), since batches may carry a prefix such as "HS-".
pub fn code_candidates(typed: &str) -> Vec<String> {
    let upper = typed.trim().to_ascii_uppercase();
    let plain = normalise_code(typed);
    let mut out = vec![upper, plain.clone()];
    for cut in 1..=4.min(plain.len().saturating_sub(1)) {
        out.push(format!("{}-{}", &plain[..cut], &plain[cut..]));
    }
    out.dedup();
    out.retain(|c| !c.is_empty());
    out
}

/// A link the router gave us to send the browser back to: only http(s).
pub fn safe_link(link: &str) -> Option<&str> {
    let l = link.trim();
    let lower = l.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then_some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_from_user_agents() {
        let cases = [
            (
                "Mozilla/5.0 (Linux; Android 13; SM-A135F) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36",
                DeviceClass::Phone,
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 Chrome/120 Safari/537.36",
                DeviceClass::Tablet,
            ),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", DeviceClass::Phone),
            ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", DeviceClass::Tablet),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120 Safari/537.36", DeviceClass::Computer),
            ("Mozilla/5.0 (Mobile; LYF/F220B; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5", DeviceClass::Phone),
            ("", DeviceClass::Computer),
        ];
        for (ua, want) in cases {
            assert_eq!(device_class(ua), want, "{ua}");
        }
    }

    #[test]
    fn octal_literals_and_chap() {
        assert_eq!(unescape_octal("\\001\\377a"), Some(vec![1, 255, b'a']));
        assert_eq!(unescape_octal("\\400"), None, "above a byte");
        assert_eq!(unescape_octal("\\08"), None, "not octal");
        assert_eq!(unescape_octal("\\01"), None, "short");
        // MD5("\x01" "secret" "\x00\x11\x22") computed independently with
        // Python's hashlib.
        let id = unescape_octal("\\001").unwrap();
        let ch = unescape_octal("\\000\\021\\042").unwrap();
        assert_eq!(chap_password(&id, "secret", &ch), "2c87fea1cd6b5fc997230761efdc087b");
    }

    #[test]
    fn codes_and_links() {
        assert_eq!(normalise_code(" ab3k-7mp q "), "AB3K7MPQ");
        let c = code_candidates("hs abcd");
        assert_eq!(c[0], "HS ABCD");
        assert!(c.contains(&"HSABCD".to_string()) && c.contains(&"HS-ABCD".to_string()), "{c:?}");
        assert_eq!(safe_link("http://10.5.50.1/login"), Some("http://10.5.50.1/login"));
        assert_eq!(safe_link("javascript:alert(1)"), None);
        assert_eq!(safe_link("//evil"), None);
    }
}
