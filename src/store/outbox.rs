//! The durable outbox: side effects on routers (Disconnect, CoA) are written
//! as tasks in the same transaction as the change that causes them, and
//! removed only after they were carried out. A task interrupted by a
//! restart runs again; each task is idempotent at the router (a second
//! Disconnect for a session that is gone gets a NAK and counts as done).

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

use super::codec::{decode, encode};
use super::tables::OUTBOX;
use super::{Store, StoreError, next_seq, record};
use crate::model::{Id, Session, TenantId, UnixTime};

/// Which session on which router.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTarget {
    pub nas: Id,
    pub acct_session_id: String,
    pub username: String,
    pub framed_ip: Option<Ipv4Addr>,
    pub calling_station_id: Option<String>,
    /// The router's address as seen by accounting.
    pub nas_ip: Option<std::net::IpAddr>,
}

impl SessionTarget {
    pub fn of(s: &Session) -> SessionTarget {
        SessionTarget {
            nas: s.nas,
            acct_session_id: s.acct_session_id.clone(),
            username: s.username.clone(),
            framed_ip: s.framed_ip,
            calling_station_id: s.calling_station_id.clone(),
            nas_ip: s.nas_ip,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskKind {
    /// Disconnect-Request: the session ends and re-authenticates with the
    /// service's current state (renewed, expired, suspended).
    Disconnect { session: SessionTarget, reason: String },
    /// CoA-Request changing the session's Mikrotik-Rate-Limit in place
    /// (Fair Usage Policy, upgrades); falls back to Disconnect on a NAK.
    ChangeRate { session: SessionTarget, rate: String, reason: String },
    /// CoA-Request applying a plan change in place, as the CoA planner
    /// (`policy::coa_plan`) worked it out; falls back to Disconnect on a NAK.
    Change { session: SessionTarget, changes: Vec<crate::policy::coa_plan::Adjust>, reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub tenant: TenantId,
    pub kind: TaskKind,
    pub created_at: UnixTime,
    pub attempts: u32,
    /// Not tried again before this time (backoff).
    pub not_before: UnixTime,
    pub last_error: Option<String>,
}

impl Task {
    /// A task due now, not tried yet.
    pub fn new(tenant: TenantId, kind: TaskKind, now: UnixTime) -> Task {
        Task { tenant, kind, created_at: now, attempts: 0, not_before: now, last_error: None }
    }
}

/// Add a task inside the caller's transaction.
pub(crate) fn enqueue(
    tx: &WriteTransaction,
    tenant: TenantId,
    kind: TaskKind,
    now: UnixTime,
) -> Result<u64, StoreError> {
    // A hub has no routers: the sites that own the sessions act on the
    // change when it reaches them.
    if super::sync::mode_in(tx)? == super::sync::Mode::Hub {
        return Ok(0);
    }
    let seq = next_seq(tx, "outbox_seq")?;
    tx.open_table(OUTBOX)?.insert(seq, encode(&Task::new(tenant, kind, now)).as_slice())?;
    Ok(seq)
}

impl Store {
    pub fn enqueue_task(&self, tenant: TenantId, kind: TaskKind, now: UnixTime) -> Result<u64, StoreError> {
        let tx = self.write()?;
        let seq = enqueue(&tx, tenant, kind, now)?;
        self.commit(tx)?;
        Ok(seq)
    }

    /// Tasks due at `now`, oldest first, at most `limit`.
    pub fn due_tasks(&self, now: UnixTime, limit: usize) -> Result<Vec<(u64, Task)>, StoreError> {
        self.due_rows(OUTBOX, now, limit, |t: &Task| t.not_before)
    }

    /// The rows of a `seq → value` queue (the outbox, webhook deliveries,
    /// CPE pushes) whose time `at` has come by `now`, oldest first, at
    /// most `limit`.
    pub(crate) fn due_rows<T: super::codec::Stored>(
        &self,
        queue: redb::TableDefinition<u64, &[u8]>,
        now: UnixTime,
        limit: usize,
        at: impl Fn(&T) -> UnixTime,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(queue)?.iter()? {
            let (k, v) = row?;
            let item: T = decode(v.value())?;
            if at(&item) <= now {
                out.push((k.value(), item));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    pub fn all_tasks(&self) -> Result<Vec<(u64, Task)>, StoreError> {
        self.due_tasks(i64::MAX, usize::MAX)
    }

    /// The task was carried out: remove it.
    pub fn complete_task(&self, seq: u64) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(OUTBOX)?.remove(seq)?;
        self.commit(tx)
    }

    /// The task failed: try again after `retry_at`, or give up (remove it
    /// and leave an audit record) when `give_up` is set.
    pub fn fail_task(
        &self,
        seq: u64,
        error: &str,
        retry_at: UnixTime,
        give_up: bool,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut table = tx.open_table(OUTBOX)?;
            let Some(mut task) = table.get(seq)?.map(|v| decode::<Task>(v.value())).transpose()? else {
                return Ok(());
            };
            if give_up {
                table.remove(seq)?;
                let rec = record(
                    now,
                    "enforcement",
                    "outbox.gave_up",
                    format!("outbox/{seq}"),
                    serde_json::to_string(&task.kind).ok(),
                    Some(error.to_string()),
                );
                super::audit(&tx, task.tenant, &rec)?;
            } else {
                task.attempts += 1;
                task.not_before = retry_at;
                task.last_error = Some(error.to_string());
                table.insert(seq, encode(&task).as_slice())?;
            }
        }
        self.commit(tx)
    }
}
