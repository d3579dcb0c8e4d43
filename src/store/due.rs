//! The scheduler's work list: per service, the next time it has something
//! to do. A write that sets a service's expiry (creation, renewal, first
//! use of a voucher, a postpaid invoice, an admin's change) files the
//! service under its expiry (or an unused voucher's deadline); a round
//! takes what is due, acts, and files each service under its next time
//! (the grace cutoff, then nothing once the expiry is recorded); money
//! into a wallet files the customer's expired auto-renewing services under
//! now, so a top-up renews them at the next round. A day's full rebuild
//! (`rebuild_due`) repairs anything a bug might have missed.

use redb::{ReadableTable, ReadableTableMetadata, Table, WriteTransaction};

use super::codec::decode;
use super::tables::*;
use super::{Store, StoreError, get};
use crate::model::{Id, Plan, Service, ServiceStatus, TenantId, UnixTime};

/// When the scheduler first has to look at `s` after a write.
pub(crate) fn first_due(s: &Service) -> Option<UnixTime> {
    s.expires_at.or_else(|| s.voucher.and_then(|v| v.unused_until))
}

/// When the scheduler next has to look at `s`, at `now`, after acting on
/// it: its expiry while ahead, then the grace cutoff, then (once the
/// expiry is recorded) never, until a write or money files it again. An
/// unused voucher: its deadline while it is active.
pub fn next_due(s: &Service, grace_secs: u32, noted: bool, now: UnixTime) -> Option<UnixTime> {
    match s.expires_at {
        None => s.voucher.and_then(|v| v.unused_until).filter(|_| s.status == ServiceStatus::Active),
        Some(e) if e > now => Some(e),
        Some(e) => {
            let cutoff = crate::billing::cutoff(e, grace_secs);
            if cutoff > now {
                Some(cutoff)
            } else if noted {
                None
            } else {
                Some(now)
            }
        }
    }
}

/// File `(tenant, id)` under `at` (None: nothing to do), in open tables.
pub(crate) fn file_in(
    due: &mut Table<'_, (i64, u32, u64), ()>,
    due_at: &mut Table<'_, (u32, u64), i64>,
    tenant: TenantId,
    id: Id,
    at: Option<UnixTime>,
) -> Result<(), StoreError> {
    let old = due_at.get((tenant, id))?.map(|v| v.value());
    if old == at {
        return Ok(());
    }
    if let Some(old) = old {
        due.remove((old, tenant, id))?;
    }
    match at {
        Some(at) => {
            due.insert((at, tenant, id), ())?;
            due_at.insert((tenant, id), at)?;
        }
        None => {
            due_at.remove((tenant, id))?;
        }
    }
    Ok(())
}

/// File `(tenant, id)` under `at`, in the caller's transaction.
pub(crate) fn file(tx: &WriteTransaction, tenant: TenantId, id: Id, at: Option<UnixTime>) -> Result<(), StoreError> {
    file_in(&mut tx.open_table(SERVICE_DUE)?, &mut tx.open_table(SERVICE_DUE_AT)?, tenant, id, at)
}

/// File a service just written under its first due time.
pub(crate) fn index(tx: &WriteTransaction, s: &Service) -> Result<(), StoreError> {
    file(tx, s.tenant, s.id, first_due(s))
}

/// Money went into `customer`'s wallet at `at`: its expired auto-renewing
/// services are due now.
pub(crate) fn wallet_credited(
    tx: &WriteTransaction,
    tenant: TenantId,
    customer: Id,
    at: UnixTime,
) -> Result<(), StoreError> {
    let mut ids = Vec::new();
    for row in tx.open_table(SERVICE_BY_CUSTOMER)?.range((tenant, customer, 0)..=(tenant, customer, u64::MAX))? {
        ids.push(row?.0.value().2);
    }
    if ids.is_empty() {
        return Ok(());
    }
    let services = tx.open_table(SERVICES)?;
    let mut due = Vec::new();
    for id in ids {
        if let Some(s) = get::<_, Service>(&services, (tenant, id))?
            && s.auto_renew
            && s.expires_at.is_some_and(|e| e <= at)
        {
            due.push(id);
        }
    }
    drop(services);
    for id in due {
        file(tx, tenant, id, Some(at))?;
    }
    Ok(())
}

impl Store {
    /// Services due at or before `now`, oldest first.
    pub fn due_services(&self, now: UnixTime) -> Result<Vec<(TenantId, Id)>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(SERVICE_DUE)?.range(..=(now, u32::MAX, u64::MAX))? {
            let (_, tenant, id) = row?.0.value();
            out.push((tenant, id));
        }
        Ok(out)
    }

    /// File services under their next times, in one transaction.
    pub fn refile(&self, next: &[(TenantId, Id, Option<UnixTime>)]) -> Result<(), StoreError> {
        if next.is_empty() {
            return Ok(());
        }
        let tx = self.write()?;
        {
            let (mut due, mut due_at) = (tx.open_table(SERVICE_DUE)?, tx.open_table(SERVICE_DUE_AT)?);
            for &(tenant, id, at) in next {
                file_in(&mut due, &mut due_at, tenant, id, at)?;
            }
        }
        self.commit(tx)
    }

    /// Rebuild the work list from every service (the scheduler does this
    /// once a day, in case a write ever missed it).
    pub fn rebuild_due(&self, now: UnixTime) -> Result<usize, StoreError> {
        let tx = self.write()?;
        let n = rebuild(&tx, now)?;
        self.commit(tx)?;
        Ok(n)
    }

    /// How many services the work list holds (due or later).
    pub fn due_len(&self) -> Result<u64, StoreError> {
        Ok(self.read()?.open_table(SERVICE_DUE)?.len()?)
    }
}

/// Build the work list from every service, each under its next time at
/// `now`. Schema 6's upgrade, and a daily repair.
pub(crate) fn rebuild(tx: &WriteTransaction, now: UnixTime) -> Result<usize, StoreError> {
    let mut grace = std::collections::HashMap::new();
    for row in tx.open_table(PLANS)?.iter()? {
        let p: Plan = decode(row?.1.value())?;
        grace.insert((p.tenant, p.id), p.grace_secs);
    }
    tx.delete_table(SERVICE_DUE)?;
    tx.delete_table(SERVICE_DUE_AT)?;
    let (mut due, mut due_at) = (tx.open_table(SERVICE_DUE)?, tx.open_table(SERVICE_DUE_AT)?);
    let noted_table = tx.open_table(EXPIRY_NOTED)?;
    let mut n = 0;
    for row in tx.open_table(SERVICES)?.iter()? {
        let s: Service = decode(row?.1.value())?;
        let noted = noted_table.get((s.tenant, s.id))?.is_some_and(|v| Some(v.value()) == s.expires_at);
        let g = grace.get(&(s.tenant, s.plan)).copied().unwrap_or(0);
        if let Some(at) = next_due(&s, g, noted, now) {
            due.insert((at, s.tenant, s.id), ())?;
            due_at.insert((s.tenant, s.id), at)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Schema 6's upgrade: the invoices not paid yet, by due date.
pub(crate) fn open_invoices(tx: &WriteTransaction) -> Result<(), StoreError> {
    let mut open = tx.open_table(OPEN_INVOICES)?;
    for row in tx.open_table(INVOICES)?.iter()? {
        let d: crate::model::Invoice = decode(row?.1.value())?;
        if let (crate::model::DocKind::Invoice, None, Some(due)) = (d.kind, d.paid_at, d.due_at) {
            open.insert((due, d.tenant, d.id), d.customer)?;
        }
    }
    Ok(())
}
