//! What the admin pages read: newest-first pages of any `(tenant, id)`
//! table (a search skips rows whose stored bytes lack the text before
//! decoding them), customers and services by page and search (a
//! reseller's own only), the audit log by object and by actor, the
//! dashboard's figures, and an admin's disconnect of one session.

use redb::ReadableTable;

use super::codec::{Stored, decode};
use super::personal::{get_open, open_row, phone_key, seal_row};
use super::tables::*;
use super::{Store, StoreError, audit, get, record, shown_customer};
use crate::model::*;

/// One page of a newest-first listing; `next` is the `before` of the next page.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<u64>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// Up to `limit` rows of `tenant` with ids below `before` (all when None),
/// newest first, that `keep` accepts. Stops reading at the first row past
/// the page, so a page costs what it shows (plus the rows skipped by `keep`).
pub(crate) fn page_rows<T: Stored>(
    table: &impl ReadableTable<(u32, u64), &'static [u8]>,
    tenant: TenantId,
    before: Option<u64>,
    limit: usize,
    keep: impl FnMut(&T) -> bool,
) -> Result<Page<T>, StoreError> {
    page_rows_where(table, tenant, before, limit, ("", &[]), decode, keep)
}

/// `page_rows` for a search: rows whose stored bytes do not contain
/// `needle` (ASCII case-insensitive) are skipped without decoding them,
/// unless their id is in `also` (sorted). Strings are stored as their UTF-8 bytes
/// (sealed fields excepted), so a value whose clear text fields match
/// always contains the needle; `keep` then checks the row `read` gives.
pub(crate) fn page_rows_where<T>(
    table: &impl ReadableTable<(u32, u64), &'static [u8]>,
    tenant: TenantId,
    before: Option<u64>,
    limit: usize,
    (needle, also): (&str, &[u64]),
    read: impl Fn(&[u8]) -> Result<T, StoreError>,
    mut keep: impl FnMut(&T) -> bool,
) -> Result<Page<T>, StoreError> {
    let end = before.unwrap_or(u64::MAX);
    let needle = needle.to_ascii_lowercase();
    let mut items = Vec::new();
    let mut last = None;
    for row in table.range((tenant, 0)..(tenant, end))?.rev() {
        let (k, v) = row?;
        let id = k.value().1;
        if !needle.is_empty()
            && also.binary_search(&id).is_err()
            && !contains_ignore_ascii_case(v.value(), needle.as_bytes())
        {
            continue;
        }
        let value = read(v.value())?;
        if !keep(&value) {
            continue;
        }
        if items.len() == limit {
            return Ok(Page { items, next: last });
        }
        last = Some(id);
        items.push(value);
    }
    Ok(Page { items, next: None })
}

/// Whether `hay` contains `needle` (already lower-case), ignoring ASCII case.
pub(crate) fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else { return true };
    if hay.len() < needle.len() {
        return false;
    }
    (0..=hay.len() - needle.len()).any(|i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + needle.len()].iter().zip(rest).all(|(h, n)| h.to_ascii_lowercase() == *n)
    })
}

/// Which audit records a page shows.
#[derive(Clone, Copy, Debug)]
pub enum AuditFilter<'a> {
    All,
    /// Changes to these objects ("customer/12", "service/40").
    Objects(&'a [String]),
    /// Changes made by this actor ("admin:alice", "cli:root").
    Actor(&'a str),
}

impl Store {
    /// Newest-first audit records of `tenant` with sequence numbers below
    /// `before`, through the object and actor indexes when filtered.
    pub fn audit_page(
        &self,
        tenant: TenantId,
        filter: AuditFilter<'_>,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Page<(u64, AuditRecord)>, StoreError> {
        let tx = self.read()?;
        let audit = tx.open_table(AUDIT)?;
        let end = before.unwrap_or(u64::MAX);
        let mut seqs: Vec<u64> = match filter {
            AuditFilter::All => {
                let page = page_rows::<AuditRecord>(&audit, tenant, before, limit, |_| true)?;
                let mut out = Vec::new();
                for row in audit.range((tenant, 0)..(tenant, end))?.rev().take(page.items.len()) {
                    out.push(row?.0.value().1);
                }
                return Ok(Page { items: out.into_iter().zip(page.items).collect(), next: page.next });
            }
            AuditFilter::Objects(objects) => {
                let index = tx.open_table(AUDIT_BY_OBJECT)?;
                let mut out = Vec::new();
                for o in objects {
                    for row in index.range((tenant, o.as_str(), 0)..(tenant, o.as_str(), end))?.rev().take(limit + 1) {
                        out.push(row?.0.value().2);
                    }
                }
                out
            }
            AuditFilter::Actor(actor) => {
                let index = tx.open_table(AUDIT_BY_ACTOR)?;
                let mut out = Vec::new();
                for row in index.range((tenant, actor, 0)..(tenant, actor, end))?.rev().take(limit + 1) {
                    out.push(row?.0.value().2);
                }
                out
            }
        };
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        seqs.dedup();
        let more = seqs.len() > limit;
        seqs.truncate(limit);
        let mut items = Vec::with_capacity(seqs.len());
        for seq in &seqs {
            if let Some(r) = get::<(u32, u64), AuditRecord>(&audit, (tenant, *seq))? {
                items.push((*seq, r));
            }
        }
        Ok(Page { next: if more { seqs.last().copied() } else { None }, items })
    }
}

impl Store {
    /// A page of customers, newest first: a reseller's own only; `q`
    /// matches name, phone or e-mail (any case), or a service username exactly.
    pub fn customer_page(
        &self,
        tenant: TenantId,
        reseller: Option<Id>,
        q: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Page<Customer>, StoreError> {
        let tx = self.read()?;
        let customers = tx.open_table(CUSTOMERS)?;
        let q = q.trim().to_lowercase();
        // Found exactly, by id: the customer of a service username, and the
        // customer with that whole phone number (typed 07…, +2547… or
        // 2547…), through the phone tokens: phones are sealed, so a part
        // of a number finds nothing.
        let mut exact: Vec<Id> = Vec::new();
        if !q.is_empty() {
            let id = tx.open_table(SERVICE_BY_USERNAME)?.get((tenant, q.as_str()))?.map(|v| v.value());
            if let Some(id) = id
                && let Some(s) = get::<_, Service>(&tx.open_table(SERVICES)?, (tenant, id))?
            {
                exact.push(s.customer);
            }
            if crate::model::msisdn(&q).is_some() {
                let index = tx.open_table(CUSTOMER_BY_PHONE)?;
                exact.extend(super::personal::customer_with_phone(&self.secrets, &index, tenant, &q)?);
            }
            exact.sort_unstable();
        }
        // E-mail addresses are sealed too: a search with an @ opens every
        // row to look at them.
        let email = q.contains('@');
        let owned = tx.open_table(CUSTOMER_RESELLER)?;
        let matches = |c: &Customer| {
            let mine = match reseller {
                None => true,
                Some(r) => owned.get((tenant, c.id)).ok().flatten().is_some_and(|v| v.value() == r),
            };
            mine && (q.is_empty()
                || exact.contains(&c.id)
                || c.name.to_lowercase().contains(&q)
                || (email && c.email.as_deref().is_some_and(|e| e.to_lowercase().contains(&q))))
        };
        // The raw-bytes filter looks for the name as stored; the exact
        // matches are let through by id. (Only for ASCII text: other letters
        // change case beyond what the byte filter knows, so those searches
        // read every row.)
        let needle = if !q.is_ascii() || email { "" } else { q.as_str() };
        let read = |b: &[u8]| open_row(&self.secrets, b);
        match reseller {
            None => page_rows_where(&customers, tenant, before, limit, (needle, &exact), read, matches),
            Some(r) => {
                let index = tx.open_table(RESELLER_CUSTOMERS)?;
                let end = before.unwrap_or(u64::MAX);
                let mut items = Vec::new();
                for row in index.range((tenant, r, 0)..(tenant, r, end))?.rev() {
                    let id = row?.0.value().2;
                    let Some(c) = get_open::<_, Customer>(&self.secrets, &customers, (tenant, id))? else { continue };
                    if !matches(&c) {
                        continue;
                    }
                    if items.len() == limit {
                        return Ok(Page { next: items.last().map(|c: &Customer| c.id), items });
                    }
                    items.push(c);
                }
                Ok(Page { items, next: None })
            }
        }
    }

    /// One customer, if it is `tenant`'s (and the reseller's, for a reseller).
    pub fn customer_for(&self, tenant: TenantId, reseller: Option<Id>, id: Id) -> Result<Option<Customer>, StoreError> {
        let tx = self.read()?;
        if let Some(r) = reseller {
            let owner = tx.open_table(CUSTOMER_RESELLER)?.get((tenant, id))?.map(|v| v.value());
            if owner != Some(r) {
                return Ok(None);
            }
        }
        get_open(&self.secrets, &tx.open_table(CUSTOMERS)?, (tenant, id))
    }

    /// A customer's services, oldest first.
    pub fn customer_services(&self, tenant: TenantId, customer: Id) -> Result<Vec<Service>, StoreError> {
        let tx = self.read()?;
        let services = tx.open_table(SERVICES)?;
        let mut out = Vec::new();
        for row in tx.open_table(SERVICE_BY_CUSTOMER)?.range((tenant, customer, 0)..=(tenant, customer, u64::MAX))? {
            if let Some(s) = get(&services, (tenant, row?.0.value().2))? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// A page of services, newest first; `q` matches the username (any case).
    pub fn service_page(
        &self,
        tenant: TenantId,
        q: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Page<Service>, StoreError> {
        let tx = self.read()?;
        let q = q.trim().to_lowercase();
        let needle = if q.is_ascii() { q.as_str() } else { "" };
        page_rows_where(&tx.open_table(SERVICES)?, tenant, before, limit, (needle, &[]), decode, |s: &Service| {
            q.is_empty() || s.username.to_lowercase().contains(&q)
        })
    }

    /// Change a customer's name, phone, e-mail and category (audited).
    pub fn update_customer(&self, actor: &str, now: UnixTime, c: &Customer) -> Result<(), StoreError> {
        self.update_customer_if(actor, now, c, None)
    }

    /// [`Store::update_customer`], refused with `Stale` when `expect` (an
    /// If-Match) is not the stored customer's tag.
    pub fn update_customer_if(
        &self,
        actor: &str,
        now: UnixTime,
        c: &Customer,
        expect: Option<&str>,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut table = tx.open_table(CUSTOMERS)?;
            let old: Customer = get_open(&self.secrets, &table, (c.tenant, c.id))?
                .ok_or_else(|| StoreError::NotFound(format!("customer {}", c.id)))?;
            super::api::check_etag(&format!("customer {}", c.id), &old, expect)?;
            if old.phone != c.phone {
                let mut by_phone = tx.open_table(CUSTOMER_BY_PHONE)?;
                if let Some(key) = phone_key(&self.secrets, c.phone.as_deref())
                    && by_phone.get((c.tenant, key.as_str()))?.is_some_and(|v| v.value() != c.id)
                {
                    let p = crate::model::mask::mask_phone(c.phone.as_deref().unwrap_or_default());
                    return Err(StoreError::Conflict(format!("phone {p} belongs to another customer")));
                }
                if let Some(key) = phone_key(&self.secrets, old.phone.as_deref()) {
                    by_phone.remove((c.tenant, key.as_str()))?;
                }
                if let Some(key) = phone_key(&self.secrets, c.phone.as_deref()) {
                    by_phone.insert((c.tenant, key.as_str()), c.id)?;
                }
            }
            table.insert((c.tenant, c.id), seal_row(&self.secrets, c).as_slice())?;
            let show = shown_customer;
            audit(
                &tx,
                c.tenant,
                &record(now, actor, "customer.update", format!("customer/{}", c.id), show(&old), show(c)),
            )?;
        }
        self.commit(tx)
    }
}

/// The dashboard's figures for one tenant.
#[derive(Debug, Default)]
pub struct Dashboard {
    pub online: usize,
    pub revenue_today: i64,
    pub revenue_month: i64,
    pub payments_today: usize,
    /// Active services whose expiry falls within the window, soonest first (at most 10).
    pub expiring: Vec<Service>,
    pub expiring_count: usize,
    pub unmatched: usize,
}

impl Store {
    /// Online sessions, money received since `day_start` and `month_start`,
    /// services expiring before `soon`, and unmatched payments.
    pub fn dashboard(
        &self,
        tenant: TenantId,
        now: UnixTime,
        day_start: UnixTime,
        month_start: UnixTime,
        soon: UnixTime,
    ) -> Result<Dashboard, StoreError> {
        let tx = self.read()?;
        let mut d = Dashboard {
            online: tx.open_table(SESSIONS_ACTIVE)?.range((tenant, 0, "")..(tenant + 1, 0, ""))?.count(),
            unmatched: tx.open_table(UNMATCHED)?.range((tenant, 0)..=(tenant, u64::MAX))?.count(),
            ..Dashboard::default()
        };
        // Payments are keyed by increasing id: read back from the newest
        // until the month started.
        for row in tx.open_table(PAYMENTS)?.range((tenant, 0)..=(tenant, u64::MAX))?.rev() {
            let p: Payment = super::personal::bare_row(row?.1.value())?;
            if p.received_at < month_start.min(day_start) {
                break;
            }
            if p.status != PaymentStatus::Credited {
                continue;
            }
            if p.received_at >= month_start {
                d.revenue_month += p.amount;
            }
            if p.received_at >= day_start {
                d.revenue_today += p.amount;
                d.payments_today += 1;
            }
        }
        // A service that expires later is filed in the scheduler's work
        // list under its expiry (store/due.rs): read that range, not every
        // service.
        let services = tx.open_table(SERVICES)?;
        for row in tx.open_table(SERVICE_DUE)?.range((now.saturating_add(1), 0, 0)..=(soon, u32::MAX, u64::MAX))? {
            let (_, t, id) = row?.0.value();
            if t != tenant {
                continue;
            }
            let Some(s) = get::<_, Service>(&services, (tenant, id))? else { continue };
            if s.status == ServiceStatus::Active
                && s.voucher.is_none()
                && s.expires_at.is_some_and(|e| e > now && e <= soon)
            {
                d.expiring_count += 1;
                d.expiring.push(s);
            }
        }
        d.expiring.sort_by_key(|s| s.expires_at);
        d.expiring.truncate(10);
        Ok(d)
    }

    /// An admin ends one session: a Disconnect through the outbox, audited.
    /// False when the session is no longer online.
    pub fn admin_disconnect(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        nas: Id,
        acct_session_id: &str,
    ) -> Result<bool, StoreError> {
        let tx = self.write()?;
        let session: Option<Session> = get(&tx.open_table(SESSIONS_ACTIVE)?, (tenant, nas, acct_session_id))?;
        let Some(session) = session else { return Ok(false) };
        let target = super::outbox::SessionTarget::of(&session);
        let kind = super::outbox::TaskKind::Disconnect { session: target, reason: "admin".into() };
        super::outbox::enqueue(&tx, tenant, kind, now)?;
        let object = session.service.map_or_else(|| format!("session/{acct_session_id}"), |s| format!("service/{s}"));
        let shown = format!("{} on NAS {nas} ({acct_session_id})", session.username);
        audit(&tx, tenant, &record(now, actor, "session.disconnect", object, Some(shown), None))?;
        self.commit(tx)?;
        Ok(true)
    }
}

impl Store {
    /// One service of `tenant` by id.
    pub fn service(&self, tenant: TenantId, id: Id) -> Result<Option<Service>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(SERVICES)?, (tenant, id))
    }
}

impl Store {
    /// Up to `limit` rows of `tenant` with ids above `after`, oldest first,
    /// and whether more follow (the REST API's pages): reads only those.
    pub fn page_after<T>(
        &self,
        (table, read): (redb::TableDefinition<(u32, u64), &[u8]>, impl Fn(&[u8]) -> Result<T, StoreError>),
        tenant: TenantId,
        after: u64,
        limit: usize,
    ) -> Result<(Vec<T>, bool), StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(table)?;
        let mut items = Vec::new();
        for row in table.range((tenant, after.saturating_add(1))..=(tenant, u64::MAX))? {
            if items.len() == limit {
                return Ok((items, true));
            }
            items.push(read(row?.1.value())?);
        }
        Ok((items, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_search_ignores_ascii_case_only() {
        assert!(contains_ignore_ascii_case(b"Wanjiru KAMAU", b"kamau"));
        assert!(contains_ignore_ascii_case(b"abc", b""));
        assert!(!contains_ignore_ascii_case(b"ab", b"abc"));
        assert!(!contains_ignore_ascii_case(b"Kamau", b"kamaux"));
        assert!(contains_ignore_ascii_case(b"xxkamau", b"kamau"));
    }

    #[test]
    fn searching_skips_rows_without_decoding_and_pages_newest_first() {
        let store = Store::in_memory().unwrap();
        let t = store
            .create_tenant(
                "t",
                0,
                Tenant {
                    id: 0,
                    slug: "t".into(),
                    name: "T".into(),
                    timezone: "Africa/Nairobi".into(),
                    currency: "KES".into(),
                    captive_redirect: true,
                    captive_rate_limit: "256k/256k".into(),
                    captive_session_timeout: 300,
                },
            )
            .unwrap();
        for i in 0..120 {
            let name = if i % 40 == 0 { format!("Amina Wanjiru {i}") } else { format!("Person {i}") };
            store.create_customer("t", 0, t.id, &name, None, None).unwrap();
        }
        let page = store.customer_page(t.id, None, "WANJIRU", None, 2).unwrap();
        let names: Vec<_> = page.items.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names, ["Amina Wanjiru 80", "Amina Wanjiru 40"]);
        let rest = store.customer_page(t.id, None, "wanjiru", page.next, 2).unwrap();
        assert_eq!(rest.items.len(), 1);
        assert_eq!(rest.items[0].name, "Amina Wanjiru 0");
        assert!(rest.next.is_none());
        store.create_customer("t", 0, t.id, "Çelik Öztürk", None, None).unwrap();
        let found = store.customer_page(t.id, None, "çelik", None, 5).unwrap();
        assert_eq!(found.items.len(), 1, "non-ASCII case folding still finds it");
        let all = store.customer_page(t.id, None, "", None, 50).unwrap();
        assert_eq!(all.items.len(), 50);
        assert!(all.items.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    }
}
