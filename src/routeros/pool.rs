//! One pooled connection per router. A command that finds the connection
//! gone reconnects once and retries; a router that cannot be reached is
//! not tried again until its backoff (1 s doubling to 60 s) has passed, so
//! a dead router costs the callers nothing but an immediate error.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Cmd, Endpoint, Router, RouterError, Row};
use crate::model::{Id, TenantId};

const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Slot {
    router: Option<Router>,
    failures: u32,
    retry_at: Option<Instant>,
}

/// Connections keyed by (tenant, NAS id).
#[derive(Default)]
pub struct Pool {
    slots: Mutex<HashMap<(TenantId, Id), Slot>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pool(..)")
    }
}

impl Pool {
    pub fn new() -> Pool {
        Pool::default()
    }

    /// The connected router, connecting when there is none.
    pub async fn router(&self, key: (TenantId, Id), ep: &Endpoint) -> Result<Router, RouterError> {
        {
            let slots = self.slots.lock().unwrap();
            if let Some(slot) = slots.get(&key) {
                if let Some(r) = &slot.router {
                    return Ok(r.clone());
                }
                if let Some(at) = slot.retry_at.filter(|at| *at > Instant::now()) {
                    return Err(RouterError::Unreachable {
                        router: ep.label.clone(),
                        reason: format!(
                            "it failed {} time(s); next try in {} s",
                            slot.failures,
                            at.saturating_duration_since(Instant::now()).as_secs().max(1)
                        ),
                    });
                }
            }
        }
        let result = Router::connect(ep).await;
        let mut slots = self.slots.lock().unwrap();
        let slot = slots.entry(key).or_default();
        match &result {
            Ok(r) => {
                *slot = Slot { router: Some(r.clone()), failures: 0, retry_at: None };
            }
            Err(_) => {
                slot.failures += 1;
                let wait = Duration::from_secs(1u64 << (slot.failures - 1).min(6)).min(MAX_BACKOFF);
                slot.retry_at = Some(Instant::now() + wait);
            }
        }
        result
    }

    /// Forget the connection (after it failed), keeping the backoff state.
    pub fn drop_connection(&self, key: (TenantId, Id)) {
        if let Some(slot) = self.slots.lock().unwrap().get_mut(&key) {
            slot.router = None;
        }
    }

    /// End `user`'s sessions (at `address`, when given); see [`Router::kick`].
    pub async fn kick(
        &self,
        key: (TenantId, Id),
        ep: &Endpoint,
        user: Option<&str>,
        address: Option<std::net::IpAddr>,
    ) -> Result<usize, RouterError> {
        let router = self.router(key, ep).await?;
        match router.kick(user, address).await {
            Err(e) if e.is_connection() => {
                self.drop_connection(key);
                self.router(key, ep).await?.kick(user, address).await
            }
            other => other,
        }
    }

    /// Run `cmd`, reconnecting once when the pooled connection has died.
    pub async fn run(&self, key: (TenantId, Id), ep: &Endpoint, cmd: &Cmd) -> Result<Vec<Row>, RouterError> {
        let router = self.router(key, ep).await?;
        match router.run(cmd).await {
            Err(e) if e.is_connection() => {
                self.drop_connection(key);
                self.router(key, ep).await?.run(cmd).await
            }
            other => other,
        }
    }
}
