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
            entries.push(Arc::new(NasEntry { nas, tenant: tenant.clone(), secret, zone, heard: Default::default() }));
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.nas.prefix));
        Ok(Directory { entries, generation })
    }

    pub fn find(&self, ip: IpAddr) -> Option<&Arc<NasEntry>> {
        self.entries.iter().find(|e| e.nas.matches(ip))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
