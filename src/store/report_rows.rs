//! Reading the reports' aggregates and time indexes, the periodic
//! snapshot of states (paid-up services, peak sessions), the routers'
//! RADIUS counts, and the schema-5 backfill from stored rows. What the
//! aggregates hold and who adds to them: `reports.rs`.

use std::collections::HashMap;

use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::codec::decode;
use super::reports::{Metric, kind_code, local_day, note, note_payment, note_sale, note_sale_doc, note_stk, zone_of};
use super::tables::*;
use super::{Store, StoreError};
use crate::model::{Customer, Id, Invoice, Payment, Service, StkRequest, TenantId, UnixTime};

/// Every row, for `*_between`'s `keep`.
pub fn everyone(_: Option<Id>) -> bool {
    true
}

/// One aggregate row as a report reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggRow {
    pub day: i32,
    pub dim: u64,
    pub value: i64,
}

impl Store {
    /// The rows of one metric over days `from..=to`.
    pub fn agg(
        &self,
        tenant: TenantId,
        scope: u64,
        metric: Metric,
        from: i32,
        to: i32,
    ) -> Result<Vec<AggRow>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(REPORT_AGG)?;
        let m = metric as u16;
        let mut out = Vec::new();
        for row in table.range((tenant, scope, m, from, 0)..=(tenant, scope, m, to, u64::MAX))? {
            let (k, v) = row?;
            let (_, _, _, day, dim) = k.value();
            out.push(AggRow { day, dim, value: v.value() });
        }
        Ok(out)
    }

    /// Per service: bytes in and out over the months `from..=to` (first
    /// days of months).
    pub fn usage_by_service(
        &self,
        tenant: TenantId,
        from: i32,
        to: i32,
    ) -> Result<HashMap<Id, (u64, u64)>, StoreError> {
        let tx = self.read()?;
        let mut out: HashMap<Id, (u64, u64)> = HashMap::new();
        for row in tx.open_table(USAGE_MONTHLY)?.range((tenant, from, 0)..=(tenant, to, u64::MAX))? {
            let (k, v) = row?;
            let (i, o) = v.value();
            let e = out.entry(k.value().2).or_default();
            e.0 = e.0.saturating_add(i);
            e.1 = e.1.saturating_add(o);
        }
        Ok(out)
    }

    /// A reseller's customers.
    pub fn reseller_customers(
        &self,
        tenant: TenantId,
        reseller: Id,
    ) -> Result<std::collections::HashSet<Id>, StoreError> {
        let tx = self.read()?;
        let mut out = std::collections::HashSet::new();
        for row in tx.open_table(RESELLER_CUSTOMERS)?.range((tenant, reseller, 0)..=(tenant, reseller, u64::MAX))? {
            out.insert(row?.0.value().2);
        }
        Ok(out)
    }

    /// The services of a reseller's customers.
    pub fn reseller_services(
        &self,
        tenant: TenantId,
        reseller: Id,
    ) -> Result<std::collections::HashSet<Id>, StoreError> {
        let tx = self.read()?;
        let by_customer = tx.open_table(SERVICE_BY_CUSTOMER)?;
        let mut out = std::collections::HashSet::new();
        for row in tx.open_table(RESELLER_CUSTOMERS)?.range((tenant, reseller, 0)..=(tenant, reseller, u64::MAX))? {
            let c = row?.0.value().2;
            for s in by_customer.range((tenant, c, 0)..=(tenant, c, u64::MAX))? {
                out.insert(s?.0.value().2);
            }
        }
        Ok(out)
    }

    /// Sales documents issued in `[from, to)`, oldest first, at most `limit`.
    pub fn sales_docs_between(
        &self,
        tenant: TenantId,
        from: UnixTime,
        to: UnixTime,
        limit: usize,
        keep: &dyn Fn(Option<Id>) -> bool,
    ) -> Result<Vec<Invoice>, StoreError> {
        let rows = (INVOICES, decode::<Invoice>);
        self.by_time(SALES_DOCS, rows, tenant, (from, to), limit, |d: &Invoice| keep(Some(d.customer)))
    }

    /// Payments received in `[from, to)`, oldest first, at most `limit`.
    pub fn payments_between(
        &self,
        tenant: TenantId,
        from: UnixTime,
        to: UnixTime,
        limit: usize,
        keep: &dyn Fn(Option<Id>) -> bool,
    ) -> Result<Vec<Payment>, StoreError> {
        let rows = (PAYMENTS, |b: &[u8]| super::personal::open_row::<Payment>(&self.secrets, b));
        self.by_time(PAYMENTS_BY_TIME, rows, tenant, (from, to), limit, |p: &Payment| keep(p.customer))
    }

    /// The rows a `(tenant, time, id)` index lists in `[from, to)`, read
    /// from their `(tenant, id)` table as `read` gives them: the first
    /// `limit` that `keep` takes.
    fn by_time<T>(
        &self,
        index: TableDefinition<(u32, i64, u64), ()>,
        (rows, read): (TableDefinition<(u32, u64), &[u8]>, impl Fn(&[u8]) -> Result<T, StoreError>),
        tenant: TenantId,
        (from, to): (UnixTime, UnixTime),
        limit: usize,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Vec<T>, StoreError> {
        let tx = self.read()?;
        let rows = tx.open_table(rows)?;
        let mut out = Vec::new();
        for row in tx.open_table(index)?.range((tenant, from, 0)..(tenant, to, 0))? {
            if out.len() >= limit {
                break;
            }
            let (_, _, id) = row?.0.value();
            if let Some(r) = rows.get((tenant, id))?.map(|v| read(v.value())).transpose()?
                && keep(&r)
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// STK pushes sent in `[from, to)`, oldest first, at most `limit`.
    pub fn stk_between(
        &self,
        tenant: TenantId,
        from: UnixTime,
        to: UnixTime,
        limit: usize,
        keep: &dyn Fn(Option<Id>) -> bool,
    ) -> Result<Vec<StkRequest>, StoreError> {
        let tx = self.read()?;
        let stk = tx.open_table(STK_REQUESTS)?;
        let mut out = Vec::new();
        for row in tx.open_table(STK_BY_TIME)?.range((tenant, from, "")..(tenant, to, ""))? {
            if out.len() >= limit {
                break;
            }
            let k = row?.0;
            let (_, _, checkout) = k.value();
            if let Some(r) = super::personal::get_open::<_, StkRequest>(&self.secrets, &stk, (tenant, checkout))?
                && keep(Some(r.customer))
            {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Add routers' RADIUS counts: (tenant, router, tenant-local day,
    /// [accepts, rejects, accounting, dropped]).
    pub fn add_radius_stats(&self, rows: &[(TenantId, Id, i32, [u64; 4])]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let tx = self.write()?;
        {
            let metrics = [Metric::RadiusAccepts, Metric::RadiusRejects, Metric::RadiusAcct, Metric::RadiusDropped];
            let mut table = tx.open_table(REPORT_AGG)?;
            for &(tenant, nas, day, counts) in rows {
                for (m, n) in metrics.iter().zip(counts).filter(|(_, n)| *n > 0) {
                    let by = n.min(i64::MAX as u64) as i64;
                    super::reports::add_to(&mut table, (tenant, 0, *m as u16, day, nas), by)?;
                }
            }
        }
        self.commit(tx)
    }

    /// Record what is a state rather than an event, for today: services
    /// active and paid up per plan, and the highest count of online
    /// sessions seen today, in the tenant's scope and each reseller's.
    pub fn snapshot_reports(&self, tenant: TenantId, now: UnixTime) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let zone = zone_of(&tx, tenant)?;
            let day = local_day(&zone, now);
            let owners = tx.open_table(CUSTOMER_RESELLER)?;
            let mut by_plan: HashMap<(u64, Id), i64> = HashMap::new();
            let mut scopes: std::collections::BTreeSet<u64> = [0].into();
            let mut reseller_of: HashMap<Id, u64> = HashMap::new();
            for row in tx.open_table(SERVICES)?.range((tenant, 0)..=(tenant, u64::MAX))? {
                let s: Service = decode(row?.1.value())?;
                let paid_up = s.expires_at.is_some_and(|e| e > now) && s.voucher.is_none();
                if s.status != crate::model::ServiceStatus::Active || !paid_up {
                    continue;
                }
                let r = owners.get((tenant, s.customer))?.map_or(0, |v| v.value());
                *by_plan.entry((0, s.plan)).or_default() += 1;
                if r != 0 {
                    // Only resellers' services: the map stays as small as
                    // their share.
                    reseller_of.insert(s.id, r);
                    scopes.insert(r);
                    *by_plan.entry((r, s.plan)).or_default() += 1;
                }
            }
            let mut online: HashMap<u64, i64> = HashMap::new();
            for row in tx.open_table(SESSIONS_ACTIVE)?.range((tenant, 0, "")..=(tenant, u64::MAX, "\u{10FFFF}"))? {
                let s: crate::model::Session = decode(row?.1.value())?;
                *online.entry(0).or_default() += 1;
                if let Some(&r) = s.service.and_then(|id| reseller_of.get(&id)) {
                    *online.entry(r).or_default() += 1;
                }
            }
            drop(owners);
            let mut table = tx.open_table(REPORT_AGG)?;
            let active = Metric::ActiveServices as u16;
            for &scope in &scopes {
                let stale: Vec<u64> = table
                    .range((tenant, scope, active, day, 0)..=(tenant, scope, active, day, u64::MAX))?
                    .map(|r| r.map(|(k, _)| k.value().4))
                    .collect::<Result<_, _>>()?;
                for dim in stale {
                    table.remove((tenant, scope, active, day, dim))?;
                }
                let peak = (tenant, scope, Metric::SessionsPeak as u16, day, 0);
                let n = online.get(&scope).copied().unwrap_or(0);
                let was = table.get(peak)?.map_or(0, |v| v.value());
                if n > was {
                    table.insert(peak, n)?;
                }
            }
            for ((scope, plan), n) in by_plan {
                table.insert((tenant, scope, active, day, plan), n)?;
            }
        }
        self.commit(tx)
    }
}

/// Schema 4 → 5: the aggregates and time indexes from the rows an older
/// version kept. Sales by plan come from the documents' services' current
/// plans (the ledger of older versions does not name plans).
pub(crate) fn backfill(tx: &WriteTransaction) -> Result<(), StoreError> {
    let tenants: Vec<TenantId> =
        tx.open_table(TENANTS)?.iter()?.map(|r| r.map(|(k, _)| k.value())).collect::<Result<_, _>>()?;
    for tenant in tenants {
        let payments: Vec<Payment> = super::personal::tenant_rows_bare(&tx.open_table(PAYMENTS)?, tenant)?;
        for p in &payments {
            note_payment(tx, p)?;
        }
        let mut entries = Vec::new();
        for row in tx.open_table(LEDGER)?.range((tenant, 0, 0)..=(tenant, u64::MAX, u64::MAX))? {
            let (k, v) = row?;
            let e: crate::model::LedgerEntry = decode(v.value())?;
            entries.push((k.value().1, e));
        }
        for (customer, e) in &entries {
            note(tx, tenant, Some(*customer), e.at, &[(Metric::Ledger, kind_code(e.kind), e.amount)])?;
        }
        let docs: Vec<Invoice> = super::tenant_rows(&tx.open_table(INVOICES)?, tenant)?;
        let services: Vec<Service> = super::tenant_rows(&tx.open_table(SERVICES)?, tenant)?;
        let plan_of: HashMap<Id, Id> = services.iter().map(|s| (s.id, s.plan)).collect();
        for d in docs.iter().filter(|d| d.kind == crate::model::DocKind::Invoice || d.service.is_some()) {
            note_sale_doc(tx, d, d.service.and_then(|s| plan_of.get(&s).copied()))?;
            if let Some(plan) = d.service.and_then(|s| plan_of.get(&s)) {
                note_sale(tx, tenant, d.customer, *plan, d.gross, d.issued_at)?;
            }
        }
        let stk: Vec<StkRequest> = {
            let table = tx.open_table(STK_REQUESTS)?;
            let mut v = Vec::new();
            for row in table.range((tenant, "")..(tenant + 1, ""))? {
                v.push(super::personal::bare_row(row?.1.value())?);
            }
            v
        };
        for r in &stk {
            note_stk(tx, r)?;
            super::reports::note_stk_outcome(tx, r)?;
        }
        let customers: Vec<Customer> = super::personal::tenant_rows_bare(&tx.open_table(CUSTOMERS)?, tenant)?;
        for c in &customers {
            note(tx, tenant, Some(c.id), c.created_at, &[(Metric::CustomersNew, 0, 1)])?;
        }
        for s in services.iter().filter(|s| s.voucher.is_none()) {
            note(tx, tenant, Some(s.customer), s.created_at, &[(Metric::ServicesNew, s.plan, 1)])?;
        }
    }
    Ok(())
}
