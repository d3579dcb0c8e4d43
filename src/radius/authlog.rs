//! The recent refusals and captive logins, in memory, for the admin UI's
//! "why can't this customer connect?" page: who, from which router and
//! device, and the Reply-Message they got. Accepts with full service are
//! not recorded (they are the hot path and the sessions list shows them).
//! Bounded: the newest `CAPACITY` events across tenants; a restart clears it.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::model::{Id, Mac, TenantId, UnixTime};

pub const CAPACITY: usize = 2000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthEvent {
    pub at: UnixTime,
    pub tenant: TenantId,
    pub nas: Id,
    /// As the router sent it (may be anything a hotspot user typed).
    pub username: String,
    pub device: Option<Mac>,
    /// "rejected" or "captive".
    pub outcome: &'static str,
    /// The Reply-Message sent.
    pub message: String,
}

#[derive(Default)]
pub struct AuthLog {
    events: Mutex<VecDeque<AuthEvent>>,
}

impl AuthLog {
    pub fn push(&self, e: AuthEvent) {
        let mut q = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() == CAPACITY {
            q.pop_front();
        }
        q.push_back(e);
    }

    /// A tenant's events, newest first, whose username contains `q` (any case).
    pub fn recent(&self, tenant: TenantId, q: &str, limit: usize) -> Vec<AuthEvent> {
        let q = q.trim().to_lowercase();
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events
            .iter()
            .rev()
            .filter(|e| e.tenant == tenant && (q.is_empty() || e.username.to_lowercase().contains(&q)))
            .take(limit)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(tenant: TenantId, n: usize) -> AuthEvent {
        AuthEvent {
            at: n as i64,
            tenant,
            nas: 1,
            username: format!("user{n}"),
            device: None,
            outcome: "rejected",
            message: "Invalid username or password".into(),
        }
    }

    #[test]
    fn bounded_newest_first_and_per_tenant() {
        let log = AuthLog::default();
        for n in 0..CAPACITY + 10 {
            log.push(ev(1 + (n % 2) as u32, n));
        }
        let t1 = log.recent(1, "", usize::MAX);
        assert_eq!(t1.len(), CAPACITY / 2);
        assert!(t1.iter().all(|e| e.tenant == 1));
        assert_eq!(t1[0].at, (CAPACITY + 8) as i64, "newest first");
        assert!(t1.windows(2).all(|w| w[0].at > w[1].at));
        assert_eq!(log.recent(2, "USER2009", 5).len(), 1);
        assert!(log.recent(1, "user0", 5).is_empty(), "the oldest were dropped");
    }
}
