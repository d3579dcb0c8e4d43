//! PURE: RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits, the form
//! every authenticator app reads from an `otpauth://` URI), and RFC 4648
//! base32 for showing the secret.

use hmac::{KeyInit, Mac};

const STEP: i64 = 30;
const DIGITS: u32 = 6;

/// The code for `secret` at time step `counter` (RFC 4226 HOTP).
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let bin = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    bin % 10u32.pow(DIGITS)
}

/// Whether `code` is right at `now`, allowing one step of clock drift
/// either way.
pub fn verify(secret: &[u8], code: &str, now: i64) -> bool {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(want) = code.parse::<u32>() else { return false };
    let step = now.div_euclid(STEP);
    // Compare all three without stopping early.
    [step - 1, step, step + 1].iter().filter(|&&s| s >= 0).fold(false, |ok, &s| ok | (hotp(secret, s as u64) == want))
}

/// RFC 4648 base32 without padding (how authenticator apps take secrets).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(ALPHABET[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The URI an authenticator app scans.
pub fn uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 here).
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59i64, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(secret, (time / 30) as u64), eight % 1_000_000, "t={time}");
            assert!(verify(secret, &format!("{:06}", eight % 1_000_000), time));
        }
    }

    #[test]
    fn drift_of_one_step_and_no_more() {
        let secret = b"12345678901234567890";
        let code = format!("{:06}", hotp(secret, 1000));
        assert!(verify(secret, &code, 1000 * 30 + 29));
        assert!(verify(secret, &code, 1001 * 30 + 5));
        assert!(verify(secret, &code, 999 * 30));
        assert!(!verify(secret, &code, 1002 * 30));
        assert!(!verify(secret, &code, 998 * 30));
        assert!(!verify(secret, "12345", 1000 * 30));
        assert!(!verify(secret, "abcdef", 1000 * 30));
    }

    #[test]
    fn base32_matches_rfc_4648() {
        for (input, want) in [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foobar", "MZXW6YTBOI")] {
            assert_eq!(base32(input.as_bytes()), want);
        }
        assert!(
            uri("Lango ISP", "alice", b"12345678901234567890")
                .starts_with("otpauth://totp/Lango%20ISP:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&")
        );
    }
}
