//! One-time sign-in codes sent by SMS: six digits from the OS random
//! generator, valid ten minutes, five tries, one live code per number.
//! Held in memory only: a restart voids pending codes, which costs a
//! customer one more SMS and keeps codes out of the database.

use std::collections::HashMap;
use std::sync::Mutex;

use ring::rand::{SecureRandom, SystemRandom};

use crate::model::{TenantId, UnixTime};

const TTL: i64 = 600;
const TRIES: u32 = 5;
/// Codes sent per number per TTL window, against SMS flooding.
const SENDS: u32 = 3;

struct Pending {
    code: String,
    expires: UnixTime,
    tries: u32,
    sends: u32,
    window_start: UnixTime,
}

pub struct OtpBook {
    pending: Mutex<HashMap<(TenantId, String), Pending>>,
    /// Numbers held at most (the memory budget's share); when full of live
    /// codes, new numbers are told to try later.
    cap: usize,
}

impl Default for OtpBook {
    fn default() -> Self {
        OtpBook::new(crate::config::Budget::new(64, None).otp_entries)
    }
}

impl OtpBook {
    pub fn new(cap: usize) -> OtpBook {
        OtpBook { pending: Mutex::default(), cap: cap.max(1) }
    }

    /// A new code for this number, or None when it has had too many
    /// lately.
    pub fn issue(&self, tenant: TenantId, msisdn: &str, now: UnixTime) -> Option<String> {
        let mut b = [0u8; 4];
        SystemRandom::new().fill(&mut b).ok()?;
        let code = format!("{:06}", u32::from_be_bytes(b) % 1_000_000);
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| p.window_start + TTL > now || p.expires > now);
        let key = (tenant, msisdn.to_string());
        let (sends, window_start) = match map.get(&key) {
            Some(p) if p.window_start + TTL > now => (p.sends, p.window_start),
            _ => (0, now),
        };
        if sends >= SENDS || (map.len() >= self.cap && !map.contains_key(&key)) {
            return None;
        }
        map.insert(key, Pending { code: code.clone(), expires: now + TTL, tries: 0, sends: sends + 1, window_start });
        Some(code)
    }

    /// Whether `code` is this number's live code; a right code is used up,
    /// and the fifth wrong one voids it.
    pub fn check(&self, tenant: TenantId, msisdn: &str, code: &str, now: UnixTime) -> bool {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let key = (tenant, msisdn.to_string());
        let Some(p) = map.get_mut(&key) else { return false };
        if p.expires <= now || p.tries >= TRIES {
            p.code.clear();
            return false;
        }
        let typed: String = code.chars().filter(char::is_ascii_digit).collect();
        if !p.code.is_empty() && typed == p.code {
            p.code.clear();
            p.expires = now;
            return true;
        }
        p.tries += 1;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_expire_run_out_of_tries_and_are_used_once() {
        let b = OtpBook::default();
        let c = b.issue(1, "254712000001", 100).unwrap();
        assert_eq!(c.len(), 6);
        assert!(!b.check(1, "254712000002", &c, 101), "other number");
        assert!(!b.check(2, "254712000001", &c, 101), "other tenant");
        assert!(b.check(1, "254712000001", &format!("{} {}", &c[..3], &c[3..]), 101), "spaces allowed");
        assert!(!b.check(1, "254712000001", &c, 102), "used once");

        let c = b.issue(1, "254712000001", 200).unwrap();
        assert!(!b.check(1, "254712000001", &c, 200 + TTL), "expired");

        let b = OtpBook::default();
        let c = b.issue(1, "254700000000", 0).unwrap();
        let wrong = if c == "000000" { "111111" } else { "000000" };
        for _ in 0..TRIES {
            assert!(!b.check(1, "254700000000", wrong, 1));
        }
        assert!(!b.check(1, "254700000000", &c, 1), "void after five wrong tries");

        let b = OtpBook::default();
        for _ in 0..SENDS {
            assert!(b.issue(1, "254700000001", 0).is_some());
        }
        assert!(b.issue(1, "254700000001", 1).is_none(), "too many sends");
        assert!(b.issue(1, "254700000001", TTL + 1).is_some(), "a new window");
    }

    #[test]
    fn the_book_is_bounded() {
        let b = OtpBook::new(3);
        for n in 0..3 {
            assert!(b.issue(1, &format!("25470000000{n}"), 0).is_some());
        }
        assert!(b.issue(1, "254700000009", 1).is_none(), "full of live codes");
        assert!(b.issue(1, "254700000000", 1).is_some(), "a number already held may have another code");
        assert!(b.issue(1, "254700000009", TTL + 1).is_some(), "expired codes make room");
    }
}
