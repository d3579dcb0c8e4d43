//! Duplicate-request cache (RFC 5080 §2.2.2): a retransmitted request (same
//! source, Identifier and Request Authenticator) gets the reply already sent,
//! without running policy or accounting again.
//!
//! Fixed number of slots, so memory stays bounded under any load: a new
//! entry overwrites whatever shared its slot. Sharded to keep lock
//! contention low.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestKey {
    pub src: SocketAddr,
    pub code: u8,
    pub identifier: u8,
    pub authenticator: [u8; 16],
}

struct Entry {
    key: RequestKey,
    at: Instant,
    reply: Vec<u8>,
}

const SHARDS: usize = 16;

pub struct ReplyCache {
    shards: Vec<Mutex<Vec<Option<Entry>>>>,
    slots_per_shard: usize,
    ttl: Duration,
}

impl ReplyCache {
    pub fn new(slots: usize, ttl: Duration) -> Self {
        let slots_per_shard = (slots / SHARDS).max(1);
        let shards = (0..SHARDS).map(|_| Mutex::new((0..slots_per_shard).map(|_| None).collect())).collect();
        ReplyCache { shards, slots_per_shard, ttl }
    }

    /// The Request Authenticator is 16 random octets chosen by the NAS, so
    /// its bytes (mixed with the Identifier and port) already make a good
    /// slot index; no need to run a keyed hash on the hot path.
    fn slot(&self, key: &RequestKey) -> (usize, usize) {
        let a = u64::from_le_bytes(key.authenticator[..8].try_into().expect("8 bytes"));
        let v = (a ^ u64::from(key.identifier) ^ (u64::from(key.src.port()) << 8)) as usize;
        (v % SHARDS, (v / SHARDS) % self.slots_per_shard)
    }

    pub fn get(&self, key: &RequestKey, now: Instant) -> Option<Vec<u8>> {
        let (shard, slot) = self.slot(key);
        let guard = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        match &guard[slot] {
            Some(e) if e.key == *key && now.duration_since(e.at) < self.ttl => Some(e.reply.clone()),
            _ => None,
        }
    }

    pub fn put(&self, key: RequestKey, reply: Vec<u8>, now: Instant) {
        let (shard, slot) = self.slot(&key);
        let mut guard = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        guard[slot] = Some(Entry { key, at: now, reply });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_miss_and_expiry() {
        let c = ReplyCache::new(64, Duration::from_secs(5));
        let k = RequestKey { src: "127.0.0.1:5000".parse().unwrap(), code: 1, identifier: 7, authenticator: [1; 16] };
        let t0 = Instant::now();
        assert_eq!(c.get(&k, t0), None);
        c.put(k, vec![2, 7], t0);
        assert_eq!(c.get(&k, t0 + Duration::from_secs(1)), Some(vec![2, 7]));
        let other = RequestKey { identifier: 8, ..k };
        assert_eq!(c.get(&other, t0), None);
        assert_eq!(c.get(&k, t0 + Duration::from_secs(6)), None, "expired");
    }
}
