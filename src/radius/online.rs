//! In-memory index of who is online: sessions per service, for the
//! simultaneous-use check on the authentication hot path. Rebuilt from the
//! active-sessions table at start and kept current by the accounting writer
//! after each commit.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::model::{Id, Session, TenantId};
use crate::store::accounting::AcctOutcome;

#[derive(Debug, Default)]
pub struct Online {
    by_service: Mutex<HashMap<(TenantId, Id), u32>>,
}

impl Online {
    pub fn from_sessions(sessions: &[Session]) -> Online {
        let mut map = HashMap::new();
        for s in sessions {
            if let Some(id) = s.service {
                *map.entry((s.tenant, id)).or_insert(0) += 1;
            }
        }
        Online { by_service: Mutex::new(map) }
    }

    pub fn count(&self, tenant: TenantId, service: Id) -> u32 {
        let map = self.by_service.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(tenant, service)).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        let map = self.by_service.lock().unwrap_or_else(|e| e.into_inner());
        map.values().map(|&v| u64::from(v)).sum()
    }

    /// Apply what one committed accounting record did.
    pub fn apply(&self, tenant: TenantId, outcome: &AcctOutcome) {
        let mut map = self.by_service.lock().unwrap_or_else(|e| e.into_inner());
        let mut down = |id: Id| {
            if let Some(n) = map.get_mut(&(tenant, id)) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(&(tenant, id));
                }
            }
        };
        match outcome {
            AcctOutcome::Started { service: Some(id) } => {
                *map.entry((tenant, *id)).or_insert(0) += 1;
            }
            AcctOutcome::Stopped { service: Some(id) } => down(*id),
            AcctOutcome::NasReset { closed } => {
                for (_, id) in closed {
                    if let Some(id) = id {
                        down(*id);
                    }
                }
            }
            _ => {}
        }
    }
}
