//! The durable queue of credential pushes to GenieACS (zero-touch): a push
//! is written in the transaction of the change that calls for it (a CPE
//! linked to a live service, its Wi-Fi changed, an operator's "push now")
//! or by the activation follower, which reads the tenant's audit log after
//! a cursor (as webhooks and notifications do) and queues a push for the
//! CPE of every service activated, renewed from lapsed, resumed, reactivated
//! or given a new password, moving the cursor in the same transaction. The
//! job (`jobs/cpe.rs`) removes a push only once the ACS took it; while the
//! ACS is down it waits with backoff. Nothing here runs on the RADIUS path.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::cpe::cursor_key;
use super::tables::*;
use super::{Store, StoreError, audit, get, next_seq, record};
use crate::model::*;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpePush {
    pub tenant: TenantId,
    pub cpe: Id,
    /// Why (shown in the audit record).
    pub reason: String,
    pub created_at: UnixTime,
    pub attempts: u32,
    pub not_before: UnixTime,
    pub last_error: Option<String>,
}

/// Seconds before each retry; after the last the push is given up (audited).
pub const BACKOFF: [i64; 10] = [10, 30, 60, 120, 300, 600, 1800, 3600, 3600, 3600];

pub(super) fn enqueue(
    tx: &WriteTransaction,
    tenant: TenantId,
    cpe: Id,
    reason: &str,
    now: UnixTime,
) -> Result<u64, StoreError> {
    let seq = next_seq(tx, "cpe_push_seq")?;
    let p = CpePush {
        tenant,
        cpe,
        reason: reason.to_string(),
        created_at: now,
        attempts: 0,
        not_before: now,
        last_error: None,
    };
    tx.open_table(CPE_QUEUE)?.insert(seq, encode(&p).as_slice())?;
    Ok(seq)
}

/// Whether an audit record activates its service, and in what words.
fn activation(rec: &AuditRecord) -> Option<&'static str> {
    let field = |j: &Option<String>, f: &str| {
        j.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()).map(|v| v[f].clone())
    };
    match rec.action.as_str() {
        "service.create" => Some("service created"),
        "service.first_use" => Some("service first used"),
        "service.resume_paid" => Some("service resumed"),
        "service.password" => Some("service password changed"),
        "service.status" if field(&rec.after, "status").is_some_and(|s| s == "Active") => Some("service reactivated"),
        // A paid renewal, or an expiry set by hand.
        "service.renew" | "service.expiry" => {
            let lapsed = match field(&rec.before, "expires_at") {
                Some(serde_json::Value::Number(n)) => n.as_i64().is_some_and(|e| e <= rec.at),
                _ => false,
            };
            let stopped = field(&rec.before, "status").is_some_and(|s| s != "Active");
            (lapsed || stopped).then_some("service renewed from lapsed")
        }
        _ => None,
    }
}

impl Store {
    /// Follow `tenant`'s audit log: queue a push for each activation of a
    /// service with a CPE installed, and move the cursor, in one write.
    pub fn queue_cpe_activations(&self, tenant: TenantId, now: UnixTime) -> Result<usize, StoreError> {
        let key = cursor_key(tenant);
        if !self.audit_after(tenant, &key)? {
            return Ok(0);
        }
        let tx = self.write()?;
        let from = tx.open_table(META)?.get(key.as_str())?.map_or(0, |v| v.value());
        let mut records = Vec::new();
        for row in tx.open_table(AUDIT)?.range((tenant, from + 1)..=(tenant, u64::MAX))? {
            let (k, v) = row?;
            records.push((k.value().1, decode::<AuditRecord>(v.value())?));
        }
        let Some(last) = records.last().map(|(seq, _)| *seq) else { return Ok(0) };
        let mut queued = 0;
        for (_, rec) in &records {
            let Some(why) = activation(rec) else { continue };
            let Some(sid) = rec.object.strip_prefix("service/").and_then(|s| s.parse::<Id>().ok()) else { continue };
            let Some(cpe) = tx.open_table(CPE_BY_SERVICE)?.get((tenant, sid))?.map(|v| v.value()) else { continue };
            enqueue(&tx, tenant, cpe, why, now)?;
            queued += 1;
        }
        tx.open_table(META)?.insert(key.as_str(), last)?;
        self.commit(tx)?;
        Ok(queued)
    }

    /// An operator's "push the credentials now" (audited).
    pub fn push_cpe_now(&self, actor: &str, now: UnixTime, tenant: TenantId, id: Id) -> Result<(), StoreError> {
        let tx = self.write()?;
        let c: Cpe =
            get(&tx.open_table(CPES)?, (tenant, id))?.ok_or_else(|| StoreError::NotFound(format!("CPE {id}")))?;
        if c.service.is_none() {
            return Err(StoreError::Conflict(format!("CPE {} is not installed on a service", c.serial)));
        }
        enqueue(&tx, tenant, id, "asked for", now)?;
        audit(&tx, tenant, &record(now, actor, "cpe.push", format!("cpe/{id}"), None, None))?;
        self.commit(tx)
    }

    /// Pushes due at `now`, oldest first.
    pub fn due_cpe_pushes(&self, now: UnixTime, limit: usize) -> Result<Vec<(u64, CpePush)>, StoreError> {
        self.due_rows(CPE_QUEUE, now, limit, |x: &CpePush| x.not_before)
    }

    /// Pushes waiting for a tenant's CPE (shown on its page).
    pub fn cpe_pushes_waiting(&self, tenant: TenantId, cpe: Id) -> Result<Vec<CpePush>, StoreError> {
        Ok(self
            .due_cpe_pushes(i64::MAX, usize::MAX)?
            .into_iter()
            .map(|(_, p)| p)
            .filter(|p| p.tenant == tenant && p.cpe == cpe)
            .collect())
    }

    /// The ACS took the push (`what`: the parameters set and how): the
    /// push is removed and the CPE marked, audited.
    pub fn cpe_pushed(&self, seq: u64, now: UnixTime, what: &str) -> Result<(), StoreError> {
        let tx = self.write()?;
        let removed = tx.open_table(CPE_QUEUE)?.remove(seq)?.map(|v| decode::<CpePush>(v.value())).transpose()?;
        let Some(p) = removed else { return Ok(()) };
        let found: Option<Cpe> = get(&tx.open_table(CPES)?, (p.tenant, p.cpe))?;
        if let Some(mut c) = found {
            c.provisioned_at = Some(now);
            tx.open_table(CPES)?.insert((p.tenant, p.cpe), encode(&c).as_slice())?;
        }
        let rec =
            record(now, "genieacs", "cpe.provisioned", format!("cpe/{}", p.cpe), Some(p.reason), Some(what.into()));
        audit(&tx, p.tenant, &rec)?;
        self.commit(tx)
    }

    /// The push failed: retry after the backoff, or give up (audited).
    /// `discard` removes it silently (the CPE or its service is gone).
    pub fn cpe_push_failed(&self, seq: u64, now: UnixTime, error: &str, discard: bool) -> Result<bool, StoreError> {
        let tx = self.write()?;
        let mut table = tx.open_table(CPE_QUEUE)?;
        let Some(mut p) = table.get(seq)?.map(|v| decode::<CpePush>(v.value())).transpose()? else { return Ok(false) };
        let give_up = p.attempts as usize >= BACKOFF.len();
        if discard || give_up {
            table.remove(seq)?;
        } else {
            p.not_before = now + BACKOFF[p.attempts as usize];
            p.attempts += 1;
            p.last_error = Some(error.to_string());
            table.insert(seq, encode(&p).as_slice())?;
        }
        drop(table);
        if give_up && !discard {
            let rec = record(
                now,
                "genieacs",
                "cpe.push_gave_up",
                format!("cpe/{}", p.cpe),
                Some(p.reason),
                Some(error.into()),
            );
            audit(&tx, p.tenant, &rec)?;
        }
        self.commit(tx)?;
        Ok(give_up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(action: &str, before: Option<&str>, after: Option<&str>) -> AuditRecord {
        AuditRecord {
            at: 1000,
            actor: "x".into(),
            action: action.into(),
            object: "service/1".into(),
            before: before.map(Into::into),
            after: after.map(Into::into),
        }
    }

    #[test]
    fn what_activates() {
        let table = [
            (rec("service.renew", Some(r#"{"expires_at":900,"status":"Active"}"#), None), true),
            (rec("service.renew", Some(r#"{"expires_at":2000,"status":"Active"}"#), None), false),
            (rec("service.renew", Some(r#"{"expires_at":2000,"status":"Suspended"}"#), None), true),
            (rec("service.status", None, Some(r#"{"status":"Active"}"#)), true),
            (rec("service.status", None, Some(r#"{"status":"Suspended"}"#)), false),
            (rec("service.expiry", Some(r#"{"expires_at":900,"status":"Active"}"#), None), true),
            (rec("service.first_use", None, None), true),
            (rec("service.resume_paid", None, None), true),
            (rec("service.password", None, None), true),
            (rec("service.expired", None, None), false),
            (rec("cpe.provisioned", None, None), false),
        ];
        for (r, want) in table {
            assert_eq!(activation(&r).is_some(), want, "{} {:?}", r.action, r.before);
        }
    }
}
