//! RADIUS: the wire codec (ours, see ARCHITECTURE.md for why), the MikroTik
//! and Microsoft dictionaries, and the server — authentication, accounting
//! with group commit, Status-Server, the duplicate-reply cache and counters,
//! and the RFC 5176 Dynamic Authorization (CoA / Disconnect) client.
//! Only this module knows the RADIUS wire format.

pub mod acct;
pub mod auth;
pub mod authlog;
pub mod cache;
pub mod coa;
pub mod codec;
pub mod counters;
pub mod crypto;
pub mod dict;
pub mod directory;
#[doc(hidden)]
pub mod fuzzing;
pub mod guard;
pub mod online;
pub mod reply;
pub mod server;
pub mod status;
pub mod udp;
#[cfg(test)]
mod vectors_tests;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::clock::Clock;
use crate::store::{Store, StoreError};
use cache::ReplyCache;
use counters::Counters;
use directory::Directory;
use online::Online;

/// Shared state of the RADIUS server.
pub struct Radius {
    pub store: Arc<Store>,
    pub clock: Clock,
    directory: RwLock<Arc<Directory>>,
    pub online: Online,
    pub cache: ReplyCache,
    pub counters: Counters,
    pub guard: guard::Guard,
    /// Recent refusals and captive logins, for the admin UI.
    pub authlog: authlog::AuthLog,
}

impl Radius {
    /// The reply cache's slots and the guard's entries come from the memory
    /// budget: fixed sizes, so no request rate grows them.
    pub fn new(
        store: Arc<Store>,
        clock: Clock,
        reply_cache: Duration,
        budget: &crate::config::Budget,
    ) -> Result<Radius, StoreError> {
        let directory = Directory::load(&store)?;
        let online = Online::from_sessions(&store.active_sessions()?);
        Ok(Radius {
            store,
            clock,
            directory: RwLock::new(Arc::new(directory)),
            online,
            cache: ReplyCache::new(budget.reply_slots, reply_cache),
            counters: Counters::default(),
            guard: guard::Guard::new(budget.guard_entries),
            authlog: authlog::AuthLog::default(),
        })
    }

    pub fn directory(&self) -> Arc<Directory> {
        self.directory.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reload the NAS directory if tenants or NAS changed in the store
    /// (possibly from another process, such as `lango nas add`).
    pub fn refresh_directory(&self) -> Result<bool, StoreError> {
        let current = self.directory().generation;
        if self.store.config_generation()? == current {
            return Ok(false);
        }
        let fresh = Directory::reload(&self.store, &self.directory())?;
        tracing::info!(nas = fresh.len(), "NAS directory reloaded");
        *self.directory.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
        Ok(true)
    }
}
