//! Newest-first pages of voucher batches, payments and invoices for the
//! admin lists: searched by prefix, plan, reference, a whole phone number,
//! a document number or the customer's name, and a reseller's batches only
//! for a reseller.

use std::collections::HashSet;

use super::codec::decode;
use super::pages::{Page, page_rows};
use super::personal::{bare_row, get_open, open_row};
use super::tables::*;
use super::{Store, StoreError, tenant_rows};
use crate::model::*;

impl Store {
    /// Voucher batches, newest first: a reseller's own only (`reseller`);
    /// `q` matches the prefix, the plan's name or who made it (any case).
    pub fn batch_page(
        &self,
        tenant: TenantId,
        reseller: Option<Id>,
        q: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Page<VoucherBatch>, StoreError> {
        let tx = self.read()?;
        let q = q.trim().to_lowercase();
        let plans: Vec<Plan> = if q.is_empty() { Vec::new() } else { tenant_rows(&tx.open_table(PLANS)?, tenant)? };
        let named: HashSet<Id> = plans.iter().filter(|p| p.name.to_lowercase().contains(&q)).map(|p| p.id).collect();
        page_rows(&tx.open_table(VOUCHER_BATCHES)?, tenant, before, limit, |b: &VoucherBatch| {
            (reseller.is_none() || b.reseller == reseller)
                && (q.is_empty()
                    || b.prefix.to_lowercase().contains(&q)
                    || named.contains(&b.plan)
                    || b.created_by.to_lowercase().contains(&q))
        })
    }

    /// Payments, newest first; `q` matches the reference, the account, the
    /// method or the customer's name (any case), or is the payer's whole
    /// number (any form).
    pub fn payment_page(
        &self,
        tenant: TenantId,
        q: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Page<Payment>, StoreError> {
        let tx = self.read()?;
        let q = q.trim().to_lowercase();
        let named = customers_named(&tx, tenant, &q)?;
        let has = |s: &Option<String>| s.as_deref().is_some_and(|s| s.to_lowercase().contains(&q));
        // The payer's number is sealed: a search for a number opens each
        // row to compare it; any other reads the rows without opening them
        // and opens only the page it shows.
        let phone = msisdn(&q);
        let table = tx.open_table(PAYMENTS)?;
        let read = |b: &[u8]| match phone {
            Some(_) => open_row(&self.secrets, b),
            None => bare_row(b),
        };
        // Unless the search is for a number, a method, the unmatched or a
        // customer's name, what it finds is in the row's clear bytes (the
        // reference, the account): rows without it are skipped unread.
        let methods = [PaymentMethod::MpesaStk, PaymentMethod::MpesaC2b, PaymentMethod::Cash, PaymentMethod::Manual];
        let other = phone.is_some() || !named.is_empty() || q == "unmatched" || methods.iter().any(|m| m.as_str() == q);
        let needle = if other || !q.is_ascii() { "" } else { q.as_str() };
        let page = super::pages::page_rows_where(&table, tenant, before, limit, (needle, &[]), read, |p: &Payment| {
            q.is_empty()
                || p.reference.to_lowercase().contains(&q)
                || (phone.is_some() && p.phone.as_deref().and_then(msisdn) == phone)
                || has(&p.account)
                || p.method.as_str() == q
                || (q == "unmatched" && p.status == PaymentStatus::Unmatched)
                || p.customer.is_some_and(|c| named.contains(&c))
        })?;
        if phone.is_some() {
            return Ok(page);
        }
        let mut items = Vec::with_capacity(page.items.len());
        for p in page.items {
            items.extend(get_open(&self.secrets, &table, (tenant, p.id))?);
        }
        Ok(Page { items, next: page.next })
    }

    /// Invoices and receipts, newest first; `q` matches the number or the
    /// customer's name (any case).
    pub fn document_page(
        &self,
        tenant: TenantId,
        q: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Page<Invoice>, StoreError> {
        let tx = self.read()?;
        let q = q.trim().to_lowercase();
        let named = customers_named(&tx, tenant, &q)?;
        // A number is in the row's bytes: unless a customer's name matches,
        // rows without it are skipped unread.
        let needle = if named.is_empty() && q.is_ascii() { q.as_str() } else { "" };
        let keep = |d: &Invoice| q.is_empty() || d.number.to_lowercase().contains(&q) || named.contains(&d.customer);
        super::pages::page_rows_where(&tx.open_table(INVOICES)?, tenant, before, limit, (needle, &[]), decode, keep)
    }
}

/// Ids of the customers whose name contains `q` (none for an empty `q`).
fn customers_named(tx: &redb::ReadTransaction, tenant: TenantId, q: &str) -> Result<HashSet<Id>, StoreError> {
    if q.is_empty() {
        return Ok(HashSet::new());
    }
    // Only rows whose stored bytes hold the text are decoded (ASCII text).
    let needle = if q.is_ascii() { q } else { "" };
    let mut out = HashSet::new();
    for row in tx.open_table(CUSTOMERS)?.range((tenant, 0)..=(tenant, u64::MAX))? {
        let (k, v) = row?;
        if !super::pages::contains_ignore_ascii_case(v.value(), needle.as_bytes()) {
            continue;
        }
        let c: Customer = bare_row(v.value())?;
        if c.name.to_lowercase().contains(q) {
            out.insert(k.value().1);
        }
    }
    Ok(out)
}

impl Store {
    /// One payment of `tenant`.
    pub fn payment(&self, tenant: TenantId, id: Id) -> Result<Option<Payment>, StoreError> {
        let tx = self.read()?;
        get_open(&self.secrets, &tx.open_table(PAYMENTS)?, (tenant, id))
    }
}
