//! The guessing guard: failed logins are counted per device (the MAC in
//! Calling-Station-Id) and per client address (the Framed-IP-Address a
//! hotspot sends); after too many in a window, that device or address is
//! refused for a while without looking anything up. It is what keeps
//! voucher codes from being guessed over RADIUS. In memory, sharded, and
//! bounded; the hot path touches it only while some key is blocked.
//!
//! The bound is hard: a full shard first forgets stale entries, then the
//! unblocked entry with the fewest failures (a spray of one guess per
//! device cannot push out a device that is about to be blocked), and only
//! when every entry is blocked does a new key go untracked (counted).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use crate::model::{TenantId, UnixTime};

/// Failed logins allowed per key within [`WINDOW`] seconds.
pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: i64 = 600;
/// How long a key is refused after reaching the limit.
pub const BLOCK: i64 = 600;
const SHARDS: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Device(TenantId, u64),
    Address(TenantId, u32),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    window_start: UnixTime,
    blocked_until: UnixTime,
}

#[derive(Debug)]
pub struct Guard {
    shards: Vec<Mutex<HashMap<Key, Entry>>>,
    /// The latest `blocked_until` ever set: before it passes, requests must
    /// be checked; after, nothing can be blocked and the check is skipped.
    any_block_until: AtomicI64,
    /// Entries held: with none, a successful login takes no lock.
    tracked: AtomicUsize,
    /// Entries one shard may hold (the memory budget's share).
    shard_cap: usize,
    /// Failures not counted because a shard was full of blocked keys.
    pub untracked: AtomicUsize,
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new(crate::config::Budget::new(64, None).guard_entries)
    }
}

impl Guard {
    /// A guard holding at most `entries` keys.
    pub fn new(entries: usize) -> Guard {
        Guard {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            any_block_until: AtomicI64::new(i64::MIN),
            tracked: AtomicUsize::new(0),
            shard_cap: (entries / SHARDS).max(1),
            untracked: AtomicUsize::new(0),
        }
    }

    fn shard(&self, k: &Key) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        let h = match *k {
            Key::Device(t, m) => m ^ u64::from(t),
            Key::Address(t, a) => u64::from(a) ^ (u64::from(t) << 32),
        };
        self.shards[(h as usize) % SHARDS].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Seconds left if any of `keys` is refused now.
    pub fn blocked(&self, keys: &[Key], now: UnixTime) -> Option<i64> {
        if now >= self.any_block_until.load(Ordering::Relaxed) {
            return None;
        }
        keys.iter().filter_map(|k| self.shard(k).get(k).map(|e| e.blocked_until - now)).filter(|&left| left > 0).max()
    }

    /// Count a failed login against each key.
    pub fn failed(&self, keys: &[Key], now: UnixTime) {
        for k in keys {
            let mut shard = self.shard(k);
            if shard.len() >= self.shard_cap && !shard.contains_key(k) && !self.make_room(&mut shard, now) {
                self.untracked.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let e = shard.entry(*k).or_insert_with(|| {
                self.tracked.fetch_add(1, Ordering::Relaxed);
                Entry { failures: 0, window_start: now, blocked_until: i64::MIN }
            });
            if now - e.window_start >= WINDOW {
                *e = Entry { failures: 0, window_start: now, blocked_until: e.blocked_until };
            }
            e.failures += 1;
            if e.failures >= MAX_FAILURES {
                e.blocked_until = now + BLOCK;
                e.failures = 0;
                e.window_start = now;
                self.any_block_until.fetch_max(now + BLOCK, Ordering::Relaxed);
            }
        }
    }

    /// Frees one place in a full shard; false when every entry is blocked.
    fn make_room(&self, shard: &mut HashMap<Key, Entry>, now: UnixTime) -> bool {
        let before = shard.len();
        shard.retain(|_, e| e.window_start + WINDOW > now || e.blocked_until > now);
        if shard.len() == before {
            let weakest = shard
                .iter()
                .filter(|(_, e)| e.blocked_until <= now)
                .min_by_key(|(_, e)| (e.failures, e.window_start))
                .map(|(k, _)| *k);
            if let Some(k) = weakest {
                shard.remove(&k);
            }
        }
        self.tracked.fetch_sub(before - shard.len(), Ordering::Relaxed);
        shard.len() < before
    }

    /// Keys held now.
    pub fn held(&self) -> usize {
        self.tracked.load(Ordering::Relaxed)
    }

    /// A successful login clears its keys' failures.
    pub fn succeeded(&self, keys: &[Key]) {
        if self.tracked.load(Ordering::Relaxed) == 0 {
            return;
        }
        for k in keys {
            if self.shard(k).remove(k).is_some() {
                self.tracked.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_forgives_later() {
        let g = Guard::default();
        let (mac, ip, other) = (Key::Device(1, 7), Key::Address(1, 9), Key::Device(1, 8));
        for i in 0..MAX_FAILURES - 1 {
            g.failed(&[mac, ip], 1000 + i64::from(i));
            assert_eq!(g.blocked(&[mac], 1000 + i64::from(i)), None);
        }
        g.failed(&[mac, ip], 1010);
        assert_eq!(g.blocked(&[mac], 1010), Some(BLOCK));
        assert_eq!(g.blocked(&[other, ip], 1020), Some(BLOCK - 10), "the address is blocked too");
        assert_eq!(g.blocked(&[other], 1020), None, "other devices are not");
        assert_eq!(g.blocked(&[mac], 1010 + BLOCK), None, "the block ends");
        // Failures spread over more than a window never add up.
        let slow = Key::Device(2, 1);
        for i in 0..10 {
            g.failed(&[slow], 5000 + i * WINDOW);
        }
        assert_eq!(g.blocked(&[slow], 5000 + 10 * WINDOW), None);
        // Tenants are apart.
        assert_eq!(g.blocked(&[Key::Device(2, 7)], 1011), None);
        g.succeeded(&[mac]);
        assert_eq!(g.blocked(&[mac], 1011), None);
    }

    #[test]
    fn full_guard_stays_bounded_and_keeps_the_dangerous_keys() {
        let g = Guard::new(SHARDS * 4);
        let now = 1000;
        // One device one failure away from a block, in every shard.
        let near: Vec<Key> = (0..SHARDS as u64).map(|m| Key::Device(1, m)).collect();
        for _ in 0..MAX_FAILURES - 1 {
            g.failed(&near, now);
        }
        // A spray of single guesses from ten thousand devices.
        for m in 0..10_000u64 {
            g.failed(&[Key::Device(1, 1_000_000 + m)], now);
        }
        assert!(g.held() <= SHARDS * 4, "held {}", g.held());
        g.failed(&near, now + 1);
        for k in &near {
            assert_eq!(g.blocked(&[*k], now + 1), Some(BLOCK), "{k:?} was pushed out by the spray");
        }
        // Every entry blocked: a new key is counted as untracked, not stored.
        let full = Guard::new(SHARDS);
        let blocked: Vec<Key> = (0..SHARDS as u64).map(|m| Key::Device(3, m)).collect();
        for _ in 0..MAX_FAILURES {
            full.failed(&blocked, now);
        }
        assert_eq!(full.held(), SHARDS);
        full.failed(&[Key::Device(3, 99)], now);
        assert_eq!(full.held(), SHARDS);
        assert_eq!(full.untracked.load(Ordering::Relaxed), 1);
        assert_eq!(full.blocked(&blocked, now), Some(BLOCK), "the blocked keys stay blocked");
    }
}
