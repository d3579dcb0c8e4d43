//! The reports' maintained aggregates: per tenant, scope (0 = the whole
//! tenant, else a reseller), metric, tenant-local day and dimension, one
//! integer. Every write path that moves money or customers adds to them in
//! its own transaction (payments, the ledger, documents, renewals, expiry,
//! new customers and services), the accounting fold adds traffic per batch,
//! and a periodic snapshot records what is a state rather than an event
//! (active services per plan, the peak of online sessions). A report reads
//! a few hundred of these rows for a period instead of the history.
//!
//! Days are the tenant's civil dates counted from 1970-01-01, so a month
//! boundary is the tenant's midnight, not UTC's.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use redb::{ReadableTable, WriteTransaction};

use super::tables::*;
use super::{StoreError, get};
use crate::billing::EntryKind;
use crate::model::{Customer, Id, Invoice, Payment, PaymentMethod, Service, StkRequest, Tenant, TenantId, UnixTime};

/// A service not renewed within this many days of its expiry has churned;
/// renewed later, it counts as reactivated.
pub const CHURN_DAYS: i64 = 30;

/// What an aggregate counts. The number is stored: never reuse one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Metric {
    /// Money received, by channel (matched or not), minor units.
    Paid = 1,
    PaidCount = 2,
    /// Of `Paid`, what matched no customer when it arrived.
    Unmatched = 3,
    /// Unmatched money given to a customer by an admin, by channel, dated
    /// the day it was assigned.
    Assigned = 4,
    /// Wallet movements by ledger kind (signed).
    Ledger = 5,
    /// Plan sales charged to wallets, by plan (tax included).
    Sales = 6,
    SalesCount = 7,
    /// Sales documents (invoices and renewal receipts).
    DocNet = 8,
    DocTax = 9,
    DocGross = 10,
    DocCount = 11,
    /// Sales documents by plan (dimension: the plan the document sold, 0
    /// for none); documents issued before these were kept count in the
    /// `Doc*` totals only.
    DocNetPlan = 16,
    DocTaxPlan = 17,
    DocGrossPlan = 18,
    /// STK pushes sent: count and amount asked.
    StkSent = 12,
    StkSentAmount = 13,
    /// STK pushes that came to an end, by outcome (`stk_outcome`), on the
    /// day they were sent: count and amount asked.
    StkOutcome = 14,
    StkOutcomeAmount = 15,
    CustomersNew = 20,
    /// Services created (not vouchers), by plan.
    ServicesNew = 21,
    /// Services that reached their expiry unrenewed, by plan, on the
    /// expiry's day.
    Expired = 22,
    /// Of `Expired`, renewed within `CHURN_DAYS`, on the expiry's day.
    Rescued = 23,
    /// Renewed more than `CHURN_DAYS` after expiry, on the renewal's day.
    Reactivated = 24,
    /// Customers who paid for a service in the month (day = the month's
    /// first day), by cohort (dimension = the first day of the month they
    /// joined).
    CohortActive = 25,
    /// Snapshot: services active and paid up, by plan.
    ActiveServices = 26,
    /// Snapshot: the day's highest count of online sessions.
    SessionsPeak = 27,
    /// Vouchers made, by plan.
    VouchersMade = 28,
    /// Traffic by router.
    BytesIn = 30,
    BytesOut = 31,
    /// Traffic by plan.
    PlanBytesIn = 32,
    PlanBytesOut = 33,
    /// Sessions started, by router.
    SessionsStarted = 34,
    /// RADIUS, by router: Access-Accepts, Access-Rejects, accounting
    /// requests, and requests dropped after the router was known (wrong
    /// authenticators, missing Message-Authenticator).
    RadiusAccepts = 40,
    RadiusRejects = 41,
    RadiusAcct = 42,
    RadiusDropped = 43,
}

pub type AggKey = (u32, u64, u16, i32, u64);

pub use super::report_rows::AggRow;

pub fn channel_code(m: PaymentMethod) -> u64 {
    match m {
        PaymentMethod::MpesaStk => 0,
        PaymentMethod::MpesaC2b => 1,
        PaymentMethod::Cash => 2,
        PaymentMethod::Manual => 3,
    }
}

pub const CHANNELS: [PaymentMethod; 4] =
    [PaymentMethod::MpesaStk, PaymentMethod::MpesaC2b, PaymentMethod::Cash, PaymentMethod::Manual];

pub fn kind_code(k: EntryKind) -> u64 {
    match k {
        EntryKind::Payment => 0,
        EntryKind::Charge => 1,
        EntryKind::Credit => 2,
        EntryKind::Refund => 3,
        EntryKind::Adjustment => 4,
    }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// The tenant-local day of an instant.
pub fn local_day(zone: &TimeZone, at: UnixTime) -> i32 {
    let Ok(ts) = jiff::Timestamp::from_second(at) else { return 0 };
    let d = zone.to_datetime(ts).date();
    days_from_civil(i32::from(d.year()), d.month() as u32, d.day() as u32)
}

/// The first day of the month `day` is in.
pub fn month_start(day: i32) -> i32 {
    let (y, m, _) = civil_from_days(day);
    days_from_civil(y, m, 1)
}

/// The first day of the month after the one `day` is in.
pub fn next_month(day: i32) -> i32 {
    let (y, m, _) = civil_from_days(day);
    if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) }
}

/// The instant a tenant-local day starts (its first existing minute on a
/// day that starts inside a DST gap).
pub fn day_start(zone: &TimeZone, day: i32) -> UnixTime {
    let (y, m, d) = civil_from_days(day);
    let Ok(date) = jiff::civil::Date::new(y as i16, m as i8, d as i8) else { return i64::from(day) * 86_400 };
    zone.to_ambiguous_timestamp(date.at(0, 0, 0, 0)).compatible().map_or(i64::from(day) * 86_400, |t| t.as_second())
}

/// "2026-12-07".
pub fn day_label(day: i32) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// "2026-12".
pub fn month_label(day: i32) -> String {
    let (y, m, _) = civil_from_days(day);
    format!("{y:04}-{m:02}")
}

/// "2026-12-07" → day number.
pub fn parse_day(s: &str) -> Option<i32> {
    let d: jiff::civil::Date = s.trim().parse().ok()?;
    Some(days_from_civil(i32::from(d.year()), d.month() as u32, d.day() as u32))
}

pub(crate) fn zone_of(tx: &WriteTransaction, tenant: TenantId) -> Result<TimeZone, StoreError> {
    let t: Option<Tenant> = get(&tx.open_table(TENANTS)?, tenant)?;
    Ok(t.map_or(TimeZone::UTC, |t| crate::clock::Clock::zone(&t.timezone)))
}

/// The scopes a customer's figures count in: the tenant, and its reseller.
fn scopes_of(tx: &WriteTransaction, tenant: TenantId, customer: Option<Id>) -> Result<Vec<u64>, StoreError> {
    let mut out = vec![0];
    if let Some(c) = customer
        && let Some(r) = tx.open_table(CUSTOMER_RESELLER)?.get((tenant, c))?
    {
        out.push(r.value());
    }
    Ok(out)
}

/// Add `by` to one aggregate (the one read-add-write of REPORT_AGG).
pub(crate) fn add_to(table: &mut redb::Table<'_, AggKey, i64>, key: AggKey, by: i64) -> Result<(), StoreError> {
    let was = table.get(key)?.map_or(0, |v| v.value());
    table.insert(key, was.saturating_add(by))?;
    Ok(())
}

/// Add `items` (metric, dimension, amount) to `day` in every scope.
pub(crate) fn bump(
    tx: &WriteTransaction,
    tenant: TenantId,
    scopes: &[u64],
    day: i32,
    items: &[(Metric, u64, i64)],
) -> Result<(), StoreError> {
    let mut table = tx.open_table(REPORT_AGG)?;
    for &scope in scopes {
        for &(metric, dim, by) in items {
            if by == 0 {
                continue;
            }
            add_to(&mut table, (tenant, scope, metric as u16, day, dim), by)?;
        }
    }
    Ok(())
}

/// Add `items` for `customer`'s event at `at`, in the tenant and the
/// customer's reseller scope.
pub(crate) fn note(
    tx: &WriteTransaction,
    tenant: TenantId,
    customer: Option<Id>,
    at: UnixTime,
    items: &[(Metric, u64, i64)],
) -> Result<(), StoreError> {
    let day = local_day(&zone_of(tx, tenant)?, at);
    bump(tx, tenant, &scopes_of(tx, tenant, customer)?, day, items)
}

/// A payment arrived: money by channel, and the payment in the time index.
pub(crate) fn note_payment(tx: &WriteTransaction, p: &Payment) -> Result<(), StoreError> {
    tx.open_table(PAYMENTS_BY_TIME)?.insert((p.tenant, p.received_at, p.id), ())?;
    let ch = channel_code(p.method);
    let unmatched = if p.customer.is_none() { p.amount } else { 0 };
    note(
        tx,
        p.tenant,
        p.customer,
        p.received_at,
        &[(Metric::Paid, ch, p.amount), (Metric::PaidCount, ch, 1), (Metric::Unmatched, ch, unmatched)],
    )
}

/// An STK push was sent.
pub(crate) fn note_stk(tx: &WriteTransaction, r: &StkRequest) -> Result<(), StoreError> {
    tx.open_table(STK_BY_TIME)?.insert((r.tenant, r.created_at, r.checkout_id.as_str()), ())?;
    note(tx, r.tenant, Some(r.customer), r.created_at, &[(Metric::StkSent, 0, 1), (Metric::StkSentAmount, 0, r.amount)])
}

/// 1 paid, 2 failed, 3 disputed; None while pending.
pub fn stk_outcome(s: &crate::model::StkState) -> Option<u64> {
    match s {
        crate::model::StkState::Pending => None,
        crate::model::StkState::Paid { .. } => Some(1),
        crate::model::StkState::Failed { .. } => Some(2),
        crate::model::StkState::Disputed { .. } => Some(3),
    }
}

/// An STK push came to an end.
pub(crate) fn note_stk_outcome(tx: &WriteTransaction, r: &StkRequest) -> Result<(), StoreError> {
    let Some(o) = stk_outcome(&r.state) else { return Ok(()) };
    note(
        tx,
        r.tenant,
        Some(r.customer),
        r.created_at,
        &[(Metric::StkOutcome, o, 1), (Metric::StkOutcomeAmount, o, r.amount)],
    )
}

/// A sales document (invoice or renewal receipt) was issued, selling
/// `plan` (when it sold one).
pub(crate) fn note_sale_doc(tx: &WriteTransaction, d: &Invoice, plan: Option<Id>) -> Result<(), StoreError> {
    let p = plan.unwrap_or(0);
    tx.open_table(SALES_DOCS)?.insert((d.tenant, d.issued_at, d.id), ())?;
    note(
        tx,
        d.tenant,
        Some(d.customer),
        d.issued_at,
        &[
            (Metric::DocNet, 0, d.net),
            (Metric::DocTax, 0, d.tax),
            (Metric::DocGross, 0, d.gross),
            (Metric::DocCount, 0, 1),
            (Metric::DocNetPlan, p, d.net),
            (Metric::DocTaxPlan, p, d.tax),
            (Metric::DocGrossPlan, p, d.gross),
        ],
    )
}

/// A plan was sold to `customer` for `amount` (negative: a credit on a
/// downgrade), and the customer counts as active this month.
pub(crate) fn note_sale(
    tx: &WriteTransaction,
    tenant: TenantId,
    customer: Id,
    plan: Id,
    amount: i64,
    at: UnixTime,
) -> Result<(), StoreError> {
    let zone = zone_of(tx, tenant)?;
    let day = local_day(&zone, at);
    let scopes = scopes_of(tx, tenant, Some(customer))?;
    let count = i64::from(amount > 0);
    bump(tx, tenant, &scopes, day, &[(Metric::Sales, plan, amount), (Metric::SalesCount, plan, count)])?;
    if amount <= 0 {
        return Ok(());
    }
    // Cohort activity: once per customer and month.
    let month = month_start(day);
    let mut seen = tx.open_table(COHORT_SEEN)?;
    if seen.get((tenant, customer))?.is_some_and(|v| v.value() >= month) {
        return Ok(());
    }
    seen.insert((tenant, customer), month)?;
    drop(seen);
    let c: Option<Customer> = super::personal::get_bare(&tx.open_table(CUSTOMERS)?, (tenant, customer))?;
    let cohort = month_start(local_day(&zone, c.map_or(at, |c| c.created_at)));
    bump(tx, tenant, &scopes, month, &[(Metric::CohortActive, cohort as u64, 1)])
}

/// A service that had expired (`was_expiry`, in the past) was renewed at
/// `now`: rescued if within `CHURN_DAYS` of an expiry the scheduler had
/// counted, else reactivated.
pub(crate) fn note_renewal_after_expiry(
    tx: &WriteTransaction,
    s: &Service,
    was_expiry: UnixTime,
    now: UnixTime,
) -> Result<(), StoreError> {
    if was_expiry > now {
        return Ok(());
    }
    let counted = tx.open_table(EXPIRY_NOTED)?.get((s.tenant, s.id))?.is_some_and(|v| v.value() == was_expiry);
    if !counted {
        return Ok(());
    }
    if now - was_expiry <= CHURN_DAYS * 86_400 {
        note(tx, s.tenant, Some(s.customer), was_expiry, &[(Metric::Rescued, s.plan, 1)])
    } else {
        note(tx, s.tenant, Some(s.customer), now, &[(Metric::Reactivated, s.plan, 1)])
    }
}

/// What the accounting fold adds up in a batch, written once at its end.
#[derive(Default)]
pub(crate) struct FoldAgg {
    sums: HashMap<AggKey, i64>,
    months: HashMap<(u32, i32, u64), (u64, u64)>,
    days: HashMap<TenantId, DayWindow>,
    owners: HashMap<(TenantId, Id), Owner>,
    resellers: HashMap<TenantId, bool>,
}

struct DayWindow {
    zone: TimeZone,
    from: UnixTime,
    to: UnixTime,
    day: i32,
}

#[derive(Clone, Copy)]
struct Owner {
    plan: Id,
    reseller: u64,
}

impl FoldAgg {
    /// The tenant-local day of `at`, with one time-zone conversion per
    /// tenant and day (a batch's records are minutes apart).
    fn day(&mut self, tenants: &impl ReadableTable<u32, &'static [u8]>, tenant: TenantId, at: UnixTime) -> i32 {
        if let Some(w) = self.days.get(&tenant)
            && (w.from..w.to).contains(&at)
        {
            return w.day;
        }
        let zone = match self.days.remove(&tenant) {
            Some(w) => w.zone,
            None => get::<_, Tenant>(tenants, tenant)
                .ok()
                .flatten()
                .map_or(TimeZone::UTC, |t| crate::clock::Clock::zone(&t.timezone)),
        };
        let day = local_day(&zone, at);
        let (from, to) = (day_start(&zone, day), day_start(&zone, day + 1));
        self.days.insert(tenant, DayWindow { zone, from, to, day });
        day
    }

    fn add(&mut self, key: AggKey, by: i64) {
        if by != 0 {
            *self.sums.entry(key).or_default() += by;
        }
    }

    /// Count a session start on a router.
    pub fn started(&mut self, tables: &FoldTables<'_, '_>, tenant: TenantId, nas: Id, at: UnixTime) {
        let day = self.day(tables.tenants, tenant, at);
        self.add((tenant, 0, Metric::SessionsStarted as u16, day, nas), 1);
    }

    /// Count traffic: by router, by plan and by service and month, in the
    /// tenant's scope and the service's reseller's.
    #[allow(clippy::too_many_arguments)]
    pub fn traffic(
        &mut self,
        tables: &FoldTables<'_, '_>,
        tenant: TenantId,
        nas: Id,
        service: Option<Id>,
        at: UnixTime,
        bytes_in: u64,
        bytes_out: u64,
    ) -> Result<(), StoreError> {
        if bytes_in == 0 && bytes_out == 0 {
            return Ok(());
        }
        let day = self.day(tables.tenants, tenant, at);
        let (bi, bo) = (bytes_in.min(i64::MAX as u64) as i64, bytes_out.min(i64::MAX as u64) as i64);
        let owner = match service {
            Some(id) => self.owner(tables, tenant, id)?,
            None => None,
        };
        let scopes: &[u64] = match owner {
            Some(o) if o.reseller != 0 => &[0, o.reseller],
            _ => &[0],
        };
        for &scope in scopes {
            self.add((tenant, scope, Metric::BytesIn as u16, day, nas), bi);
            self.add((tenant, scope, Metric::BytesOut as u16, day, nas), bo);
            if let Some(o) = owner {
                self.add((tenant, scope, Metric::PlanBytesIn as u16, day, o.plan), bi);
                self.add((tenant, scope, Metric::PlanBytesOut as u16, day, o.plan), bo);
            }
        }
        if let Some(id) = service {
            let m = self.months.entry((tenant, month_start(day), id)).or_default();
            m.0 = m.0.saturating_add(bytes_in);
            m.1 = m.1.saturating_add(bytes_out);
        }
        Ok(())
    }

    fn owner(&mut self, tables: &FoldTables<'_, '_>, tenant: TenantId, id: Id) -> Result<Option<Owner>, StoreError> {
        if let Some(o) = self.owners.get(&(tenant, id)) {
            return Ok(Some(*o));
        }
        let Some(s): Option<Service> = get(tables.services, (tenant, id))? else { return Ok(None) };
        let any_reseller = match self.resellers.get(&tenant) {
            Some(&a) => a,
            None => {
                let a =
                    tables.reseller_customers.range((tenant, 0, 0)..=(tenant, u64::MAX, u64::MAX))?.next().is_some();
                self.resellers.insert(tenant, a);
                a
            }
        };
        let reseller =
            if any_reseller { tables.customer_reseller.get((tenant, s.customer))?.map_or(0, |v| v.value()) } else { 0 };
        let o = Owner { plan: s.plan, reseller };
        self.owners.insert((tenant, id), o);
        Ok(Some(o))
    }

    /// Write the batch's sums.
    pub fn flush(&mut self, tx: &WriteTransaction) -> Result<(), StoreError> {
        if !self.sums.is_empty() {
            let mut table = tx.open_table(REPORT_AGG)?;
            for (key, by) in self.sums.drain() {
                add_to(&mut table, key, by)?;
            }
        }
        if !self.months.is_empty() {
            let mut table = tx.open_table(USAGE_MONTHLY)?;
            for (key, (i, o)) in self.months.drain() {
                let (wi, wo) = table.get(key)?.map_or((0, 0), |v| v.value());
                table.insert(key, (wi.saturating_add(i), wo.saturating_add(o)))?;
            }
        }
        Ok(())
    }
}

/// The tables the fold already holds open that `FoldAgg` reads.
pub(crate) struct FoldTables<'a, 'txn> {
    pub tenants: &'a redb::Table<'txn, u32, &'static [u8]>,
    pub services: &'a redb::Table<'txn, (u32, u64), &'static [u8]>,
    pub customer_reseller: &'a redb::Table<'txn, (u32, u64), u64>,
    pub reseller_customers: &'a redb::Table<'txn, (u32, u64, u64), ()>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z, "{y}-{m}-{d}");
        }
        assert_eq!(month_start(days_from_civil(2026, 12, 31)), days_from_civil(2026, 12, 1));
        assert_eq!(next_month(days_from_civil(2026, 12, 31)), days_from_civil(2027, 1, 1));
        assert_eq!(parse_day("2026-02-28"), Some(days_from_civil(2026, 2, 28)));
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(day_label(days_from_civil(2026, 7, 4)), "2026-07-04");
        assert_eq!(month_label(days_from_civil(2026, 7, 4)), "2026-07");
    }

    #[test]
    fn days_and_month_ends_are_the_tenants() {
        let nairobi = crate::clock::Clock::zone("Africa/Nairobi");
        // 2026-01-31 22:30 UTC is 2026-02-01 01:30 in Nairobi (UTC+3).
        let at = i64::from(days_from_civil(2026, 1, 31)) * 86_400 + 22 * 3600 + 1800;
        assert_eq!(day_label(local_day(&TimeZone::UTC, at)), "2026-01-31");
        assert_eq!(day_label(local_day(&nairobi, at)), "2026-02-01");
        let feb = days_from_civil(2026, 2, 1);
        assert_eq!(day_start(&nairobi, feb), day_start(&TimeZone::UTC, feb) - 3 * 3600);
        // A DST zone: the day the clocks go forward is 23 hours long.
        let ny = crate::clock::Clock::zone("America/New_York");
        let d = days_from_civil(2026, 3, 8);
        assert_eq!(day_start(&ny, d + 1) - day_start(&ny, d), 23 * 3600);
    }
}
