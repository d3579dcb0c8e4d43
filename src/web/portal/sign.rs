//! Signed, expiring tokens for portal forms and payment-status links. The
//! portal has no login: a form token is bound to the client's address, so
//! another site cannot make a customer's browser start a payment, and a
//! status link is bound to the purchase it shows. The key lives in memory:
//! after a restart an old form re-renders with "this page expired".

use ring::hmac;

use crate::model::UnixTime;

pub struct Signer {
    key: hmac::Key,
}

impl Signer {
    pub fn random() -> Signer {
        let bytes = crate::store::random_hex(32);
        Signer { key: hmac::Key::new(hmac::HMAC_SHA256, bytes.as_bytes()) }
    }

    /// "<expiry>.<mac>" over `purpose`, `subject` and the expiry.
    pub fn token(&self, purpose: &str, subject: &str, expires: UnixTime) -> String {
        let tag = hmac::sign(&self.key, message(purpose, subject, expires).as_bytes());
        format!("{expires}.{}", crate::store::to_hex(tag.as_ref()))
    }

    pub fn verify(&self, purpose: &str, subject: &str, token: &str, now: UnixTime) -> bool {
        let Some((exp, mac)) = token.split_once('.') else { return false };
        let Ok(expires) = exp.parse::<UnixTime>() else { return false };
        if expires < now {
            return false;
        }
        let Some(mac) = crate::store::from_hex(mac) else { return false };
        // Constant-time comparison inside ring.
        hmac::verify(&self.key, message(purpose, subject, expires).as_bytes(), &mac).is_ok()
    }
}

fn message(purpose: &str, subject: &str, expires: UnixTime) -> String {
    format!("{purpose}\n{subject}\n{expires}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_purpose_subject_and_time() {
        let s = Signer::random();
        let t = s.token("form", "10.0.0.5", 1_000);
        assert!(s.verify("form", "10.0.0.5", &t, 999));
        assert!(s.verify("form", "10.0.0.5", &t, 1_000));
        assert!(!s.verify("form", "10.0.0.5", &t, 1_001), "expired");
        assert!(!s.verify("form", "10.0.0.6", &t, 999), "other client");
        assert!(!s.verify("wait", "10.0.0.5", &t, 999), "other purpose");
        assert!(!s.verify("form", "10.0.0.5", &t.replace("1000.", "2000."), 999), "expiry edited");
        assert!(!s.verify("form", "10.0.0.5", "garbage", 999));
        assert!(!Signer::random().verify("form", "10.0.0.5", &t, 999), "other key");
    }
}
