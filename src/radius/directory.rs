//! The in-memory NAS directory: source address → NAS, its tenant and its
//! opened shared secret. Rebuilt from the store whenever the store's config
//! generation moves, so `lango nas add` takes effect on a running server.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::model::{Nas, Tenant};
use crate::store::{Purpose, Store, StoreError};

#[derive(Debug)]
pub struct NasEntry {
    pub nas: Nas,
    pub tenant: Arc<Tenant>,
    pub secret: Vec<u8>,
    /// The tenant's time zone, looked up once.
    pub zone: jiff::tz::TimeZone,
    /// When a request from this router last passed admission (Unix
    /// seconds, 0 = not since start): the dashboard's up/down.
    pub heard: std::sync::atomic::AtomicI64,
    /// What this router's requests came to since the last flush into the
    /// reports (`take` by housekeeping every minute).
    pub stats: NasStats,
}

/// Per-router RADIUS counts: relaxed atomics, one add per request.
#[derive(Debug, Default)]
pub struct NasStats {
    pub accepts: std::sync::atomic::AtomicU64,
    pub rejects: std::sync::atomic::AtomicU64,
    pub acct: std::sync::atomic::AtomicU64,
    /// Dropped after the router was known: wrong Request Authenticator,
    /// wrong or missing Message-Authenticator.
    pub dropped: std::sync::atomic::AtomicU64,
}

impl NasStats {
    pub fn inc(c: &std::sync::atomic::AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// (accepts, rejects, accounting, dropped) since the last take.
    pub fn take(&self) -> [u64; 4] {
        [&self.accepts, &self.rejects, &self.acct, &self.dropped].map(|c| c.swap(0, Ordering::Relaxed))
    }

    fn add(&self, v: [u64; 4]) {
        for (c, v) in [&self.accepts, &self.rejects, &self.acct, &self.dropped].into_iter().zip(v) {
            c.fetch_add(v, Ordering::Relaxed);
        }
    }
}

#[derive(Debug, Default)]
pub struct Directory {
    /// Longest prefix first, so a /32 wins over the /8 it sits in.
    entries: Vec<Arc<NasEntry>>,
    pub generation: u64,
}

impl Directory {
    /// Load from the store, keeping what `previous` heard from each router.
    pub fn reload(store: &Store, previous: &Directory) -> Result<Directory, StoreError> {
        let fresh = Directory::load(store)?;
        for e in &fresh.entries {
            if let Some(old) = previous.entries.iter().find(|o| o.nas.id == e.nas.id) {
                e.heard.store(old.heard.load(Ordering::Relaxed), Ordering::Relaxed);
                e.stats.add(old.stats.take());
            }
        }
        Ok(fresh)
    }

    /// When router `nas` last passed admission (None: not since start,
    /// or not in the directory, as a disabled router is not).
    pub fn heard_at(&self, nas: crate::model::Id) -> Option<i64> {
        self.entries.iter().find(|e| e.nas.id == nas).map(|e| e.heard.load(Ordering::Relaxed)).filter(|&at| at > 0)
    }

    pub fn load(store: &Store) -> Result<Directory, StoreError> {
        let generation = store.config_generation()?;
        let tenants: Vec<Arc<Tenant>> = store.tenants()?.into_iter().map(Arc::new).collect();
        let mut entries = Vec::new();
        for nas in store.all_nas()? {
            if nas.disabled {
                continue;
            }
            let Some(tenant) = tenants.iter().find(|t| t.id == nas.tenant) else { continue };
            let secret = store.secrets().open(Purpose::NasSecret, &nas.secret)?;
            let zone = crate::clock::Clock::zone(&tenant.timezone);
            let heard = Default::default();
            entries.push(Arc::new(NasEntry {
                nas,
                tenant: tenant.clone(),
                secret,
                zone,
                heard,
                stats: Default::default(),
            }));
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.nas.prefix));
        Ok(Directory { entries, generation })
    }

    pub fn find(&self, ip: IpAddr) -> Option<&Arc<NasEntry>> {
        self.entries.iter().find(|e| e.nas.matches(ip))
    }

    pub fn entries(&self) -> &[Arc<NasEntry>] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
