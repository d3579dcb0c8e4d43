//! How long a tenant keeps history (Kenya Data Protection Act, 2019:
//! no longer than needed): closed sessions, the message log and the audit
//! log, each in days (0 = kept). `purge` removes what is older, a bounded
//! batch per transaction so the accounting fold is not held up; the job in
//! `jobs/retention.rs` runs it. Money records (payments, ledger, invoices)
//! have no setting: the tax law keeps them.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::codec::encode;
use super::tables::*;
use super::{Store, StoreError, audit, get, json, record};
use crate::model::{AuditRecord, Message, MsgStatus, Session, TenantId, UnixTime};

/// A tenant's retention periods in days; 0 keeps forever (the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub sessions_days: u32,
    pub messages_days: u32,
    pub audit_days: u32,
}

/// The shortest period allowed for each log (a typo must not wipe it).
pub const MIN_DAYS: u32 = 7;
/// The audit log is the record of who did what: at least a year.
pub const MIN_AUDIT_DAYS: u32 = 365;

/// Rows removed by one purge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub messages: usize,
    pub audit: usize,
}

/// Rows removed per write transaction.
const BATCH: usize = 2_000;
const DAY: i64 = 86_400;

impl Store {
    pub fn retention(&self, tenant: TenantId) -> Result<Retention, StoreError> {
        Ok(get(&self.read()?.open_table(RETENTION)?, tenant)?.unwrap_or_default())
    }

    pub fn set_retention(&self, actor: &str, now: UnixTime, tenant: TenantId, r: Retention) -> Result<(), StoreError> {
        let tx = self.write()?;
        let before: Option<Retention> = get(&tx.open_table(RETENTION)?, tenant)?;
        tx.open_table(RETENTION)?.insert(tenant, encode(&r).as_slice())?;
        let object = format!("tenant/{tenant}");
        audit(&tx, tenant, &record(now, actor, "tenant.retention", object, before.as_ref().and_then(json), json(&r)))?;
        self.commit(tx)
    }

    /// Remove the tenant's closed sessions, finished messages and audit
    /// records older than its settings say, as of `now`.
    pub fn purge(&self, tenant: TenantId, now: UnixTime) -> Result<Purged, StoreError> {
        let r = self.retention(tenant)?;
        let mut p = Purged::default();
        let cutoff = |days: u32| (days > 0).then(|| now - i64::from(days) * DAY);
        if let Some(before) = cutoff(r.sessions_days) {
            p.sessions = self.purge_history(tenant, |s: &Session| s.stopped_at.unwrap_or(s.updated_at) < before)?;
        }
        if let Some(before) = cutoff(r.messages_days) {
            p.messages = self.purge_messages(tenant, before)?;
        }
        if let Some(before) = cutoff(r.audit_days) {
            p.audit = self.purge_audit(tenant, before)?;
        }
        Ok(p)
    }

    /// The leading rows of the session history for which `old` holds, in
    /// batches, with their entries in the by-service index; the first newer
    /// row ends the pass, so an hourly purge reads what it removes, not the
    /// whole history (a late Stop filed after newer ones waits for a later
    /// pass).
    fn purge_history(&self, tenant: TenantId, old: impl Fn(&Session) -> bool) -> Result<usize, StoreError> {
        let mut total = 0;
        let mut from = 0u64;
        loop {
            let tx = self.write()?;
            let (n, next) = {
                let mut t = tx.open_table(SESSION_HISTORY)?;
                let mut by_service = tx.open_table(HISTORY_BY_SERVICE)?;
                let mut gone = Vec::new();
                let mut next = None;
                for row in t.range((tenant, from)..=(tenant, u64::MAX))? {
                    let (k, v) = row?;
                    let seq = k.value().1;
                    if gone.len() >= BATCH {
                        next = Some(seq);
                        break;
                    }
                    let s: Session = super::codec::decode(v.value())?;
                    if !old(&s) {
                        break;
                    }
                    gone.push((seq, s.service));
                }
                for (seq, service) in &gone {
                    t.remove((tenant, *seq))?;
                    if let Some(service) = service {
                        by_service.remove((tenant, *service, *seq))?;
                    }
                }
                (gone.len(), next)
            };
            self.commit(tx)?;
            total += n;
            match next {
                Some(seq) => from = seq,
                None => return Ok(total),
            }
        }
    }

    /// Finished messages (sent, delivered, failed, cancelled) created
    /// before `before`, with their per-customer index.
    fn purge_messages(&self, tenant: TenantId, before: UnixTime) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let tx = self.write()?;
            let n = {
                let mut t = tx.open_table(NOTIFY_MESSAGES)?;
                let mut gone = Vec::new();
                for row in t.range((tenant, 0)..=(tenant, u64::MAX))? {
                    let m: Message = super::personal::bare_row(row?.1.value())?;
                    // Ids grow with time: nothing later is older.
                    if m.created_at >= before || gone.len() >= BATCH {
                        break;
                    }
                    if !matches!(m.status, MsgStatus::Queued | MsgStatus::Held) {
                        gone.push((m.id, m.customer));
                    }
                }
                let mut by_customer = tx.open_table(NOTIFY_BY_CUSTOMER)?;
                for (id, customer) in &gone {
                    t.remove((tenant, *id))?;
                    if let Some(c) = customer {
                        by_customer.remove((tenant, *c, *id))?;
                    }
                }
                gone.len()
            };
            self.commit(tx)?;
            total += n;
            if n < BATCH {
                return Ok(total);
            }
        }
    }

    /// Audit records older than `before` that both audit-log followers
    /// (webhooks, notifications) have passed, with their indexes.
    fn purge_audit(&self, tenant: TenantId, before: UnixTime) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let tx = self.write()?;
            let n = {
                let meta = tx.open_table(META)?;
                let cursor = |name: String| meta.get(name.as_str()).map(|v| v.map(|v| v.value()));
                // A follower that never started (no cursor) holds nothing back.
                let held = [cursor(format!("webhook_cursor:{tenant}"))?, cursor(format!("notify_cursor:{tenant}"))?]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(u64::MAX);
                drop(meta);
                let mut t = tx.open_table(AUDIT)?;
                let mut gone = Vec::new();
                for row in t.range((tenant, 0)..=(tenant, u64::MAX))? {
                    let (k, v) = row?;
                    let seq = k.value().1;
                    let r: AuditRecord = super::codec::decode(v.value())?;
                    if r.at >= before || seq > held || gone.len() >= BATCH {
                        break;
                    }
                    gone.push((seq, r));
                }
                let mut by_object = tx.open_table(AUDIT_BY_OBJECT)?;
                let mut by_actor = tx.open_table(AUDIT_BY_ACTOR)?;
                for (seq, r) in &gone {
                    t.remove((tenant, *seq))?;
                    by_object.remove((tenant, r.object.as_str(), *seq))?;
                    by_actor.remove((tenant, super::admin::actor_name(&r.actor), *seq))?;
                }
                gone.len()
            };
            self.commit(tx)?;
            total += n;
            if n < BATCH {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
