//! TOTP recovery codes: sets of ten one-time codes that stand in for an
//! authenticator app's code at sign-in. Made here for both front ends (the
//! admin's own page and `lango admin recovery-codes`), shown once, and kept
//! only as SHA-256 digests of their normalised form (`store::admin`).
//!
//! A code is 12 characters of the voucher alphabet (no 0/O, 1/I/L), about
//! 59 bits, shown as `ABCD-EFGH-JKMN`; typed case-insensitively, with any
//! dashes and spaces. One case only, so `ops::secrets` (mixed case) does
//! not fit.

use super::OpError;
use crate::model::{Admin, UnixTime};
use crate::payments::vouchers::{self, ALPHABET, CodeSpec};
use crate::store::{Store, sha256_hex};

/// Codes in a set.
pub const COUNT: usize = 10;
/// Characters of a code, without its dashes.
const LEN: usize = 12;

/// A new set for `admin`, replacing the old one (which stops working):
/// the codes to show once. Refused when the admin has TOTP off.
pub fn renew(store: &Store, actor: &str, now: UnixTime, admin: &Admin) -> Result<Vec<String>, OpError> {
    if admin.totp.is_none() {
        return Err(OpError::Refused(format!(
            "admin {:?} has two-step sign-in off; recovery codes stand in for its codes, so turn it on first",
            admin.username
        )));
    }
    let codes = generate();
    let digests = codes.iter().filter_map(|c| digest(c)).collect();
    store.replace_recovery_codes(actor, now, admin.tenant, &admin.username, digests)?;
    Ok(codes)
}

/// [`COUNT`] distinct codes, `XXXX-XXXX-XXXX`.
fn generate() -> Vec<String> {
    use ring::rand::SecureRandom;
    let spec = CodeSpec { prefix: String::new(), length: LEN as u8, count: COUNT as u32 };
    let rng = ring::rand::SystemRandom::new();
    let mut fill = |b: &mut [u8]| rng.fill(b).expect("the system random generator failed");
    // 31^12 codes leave the density check and the retry bound far behind.
    let raw = vouchers::generate(&spec, 0, |_| false, &mut fill).expect("12 characters are enough for 10 codes");
    raw.iter().map(|c| format!("{}-{}-{}", &c[..4], &c[4..8], &c[8..])).collect()
}

/// The canonical form of a typed code (upper case, no dashes or spaces),
/// or None when it cannot be a recovery code.
pub fn normalise(typed: &str) -> Option<String> {
    let code = vouchers::normalize(typed);
    (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What the store keeps of a code: the SHA-256 of its canonical form.
pub fn digest(typed: &str) -> Option<String> {
    normalise(typed).map(|c| sha256_hex(&c))
}

/// Whether what was typed at the TOTP step is an authenticator code (6
/// digits, spaces allowed) rather than a recovery code.
pub fn is_totp_code(typed: &str) -> bool {
    let digits: Vec<u8> = typed.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits.len() == 6 && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_typed_forms_normalise_to_one_code() {
        let want = Some("ABCD23EFGH45".to_string());
        for typed in ["ABCD-23EF-GH45", "abcd-23ef-gh45", " abcd 23ef gh45 ", "ABCD23EFGH45", "aBcD--23eF-gH45\t"] {
            assert_eq!(normalise(typed), want, "{typed:?}");
            assert_eq!(digest(typed), Some(sha256_hex("ABCD23EFGH45")), "{typed:?}");
        }
        // Wrong length, look-alikes outside the alphabet, other characters.
        for typed in ["", "ABCD-23EF-GH4", "ABCD-23EF-GH456", "ABCD-23EF-GH40", "ABCD-23EF-GH4I", "ABCD_23EF_GH45"] {
            assert_eq!(normalise(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn recovery_six_digits_are_a_totp_code_and_the_rest_is_not() {
        for (typed, totp) in [("123456", true), ("123 456", true), (" 123456 ", true), ("12345", false)] {
            assert_eq!(is_totp_code(typed), totp, "{typed:?}");
        }
        for typed in ["1234567", "12345a", "ABCD-23EF-GH45", ""] {
            assert!(!is_totp_code(typed), "{typed:?}");
        }
    }

    #[test]
    fn recovery_sets_are_ten_distinct_well_formed_codes() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), COUNT);
        for c in &a {
            assert_eq!(c.len(), 14, "{c}");
            assert_eq!(c.matches('-').count(), 2, "{c}");
            assert!(normalise(c).is_some(), "{c}");
        }
        assert_eq!(a.iter().collect::<std::collections::HashSet<_>>().len(), COUNT);
        assert!(a.iter().all(|c| !b.contains(c)));
    }

    #[test]
    fn recovery_codes_work_once_and_a_new_set_ends_the_old() {
        use crate::model::Role;
        use crate::store::Purpose;
        let store = Store::in_memory().unwrap();
        let mut admin = Admin {
            tenant: 0,
            username: "rita".into(),
            password_hash: "x".into(),
            role: Role::PlatformAdmin,
            created_at: 1,
            reseller: None,
            totp: None,
            disabled: false,
        };
        store.create_admin("test", 1, admin.clone()).unwrap();
        assert_eq!(store.recovery_codes_left(0, "rita").unwrap(), 0);
        assert!(matches!(renew(&store, "test", 2, &admin), Err(OpError::Refused(_))));

        admin.totp = Some(store.secrets().seal(Purpose::TotpSecret, &[7; 20]));
        store.update_admin("test", 3, &admin, "admin.totp_on").unwrap();
        let old = renew(&store, "test", 4, &admin).unwrap();
        assert_eq!(store.recovery_codes_left(0, "rita").unwrap(), COUNT);
        let use_code = |typed: &str| {
            let d = digest(typed).unwrap();
            store.start_admin_session_with_recovery_code(5, &admin, "192.0.2.1", None, &d).unwrap().map(|(.., n)| n)
        };
        assert_eq!(use_code(&old[0].to_lowercase().replace('-', " ")), Some(COUNT - 1));
        assert_eq!(use_code(&old[0]), None, "a code works once");

        let new = renew(&store, "test", 6, &admin).unwrap();
        assert_eq!(use_code(&old[1]), None, "a new set ends the old one");
        assert_eq!(use_code(&new[1]), Some(COUNT - 1));

        let log = store.audit_log(0).unwrap();
        assert!(log.iter().any(|r| r.action == "admin.recovery_code_used" && r.after.as_deref() == Some("9 left")));
        let codes: Vec<&String> = old.iter().chain(&new).collect();
        for r in &log {
            let text = format!("{r:?}").to_uppercase().replace('-', "");
            assert!(codes.iter().all(|c| !text.contains(&c.replace('-', ""))), "{r:?}");
        }

        // Turning TOTP off forgets the codes.
        admin.totp = None;
        store.update_admin("test", 7, &admin, "admin.totp_off").unwrap();
        assert_eq!(store.recovery_codes_left(0, "rita").unwrap(), 0);
    }
}
