//! Newest-first pages of voucher batches, payments and invoices for the
//! admin lists: searched by prefix, plan, reference, a whole phone number,
//! a document number or the customer's name, and a reseller's batches only
//! for a reseller. The indexes those searches read are kept by
//! `money_index.rs`.

use std::collections::HashSet;

use super::codec::decode;
use super::money_index::ids_under;
use super::pages::{Page, page_rows};
use super::personal::{bare_row, get_open, phone_key};
use super::secret::SecretBox;
use super::tables::*;
use super::{Store, StoreError, get, tenant_rows};
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
    /// number (any form). A whole M-Pesa receipt shows its one payment.
    pub fn payment_page(
        &self,
        tenant: TenantId,
        q: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Page<Payment>, StoreError> {
        let tx = self.read()?;
        let q = q.trim().to_lowercase();
        // A whole M-Pesa receipt (what a cashier pastes) is found through
        // the payments' idempotency index, not by reading a year of rows.
        if before.is_none()
            && let Some(p) = by_receipt(&self.secrets, &tx, tenant, &q)?
        {
            return Ok(Page { items: vec![p], next: None });
        }
        let named = customers_named(&tx, tenant, &q)?;
        let has = |s: &Option<String>| s.as_deref().is_some_and(|s| s.to_lowercase().contains(&q));
        // The payer's number is sealed and a row names its customer by id:
        // the payments from that number and those of the customers named
        // are found through their indexes, and let through the byte filter
        // by id. The rows are read without opening them; only the page
        // shown is opened.
        let mut found: Vec<Id> = Vec::new();
        if let Some(key) = msisdn(&q).and_then(|n| phone_key(&self.secrets, Some(&n))) {
            for row in
                tx.open_table(PAYMENT_BY_PAYER)?.range((tenant, key.as_str(), 0)..=(tenant, key.as_str(), u64::MAX))?
            {
                found.push(row?.0.value().2);
            }
        }
        let by_customer = tx.open_table(PAYMENT_BY_CUSTOMER)?;
        for c in &named {
            found.extend(ids_under(&by_customer, tenant, *c)?);
        }
        found.sort_unstable();
        let table = tx.open_table(PAYMENTS)?;
        // Unless the search is for a method or the unmatched, what else it
        // finds is in the row's clear bytes (the reference, the account):
        // rows without it, and not found above, are skipped unread.
        let methods = [PaymentMethod::MpesaStk, PaymentMethod::MpesaC2b, PaymentMethod::Cash, PaymentMethod::Manual];
        let other = q == "unmatched" || methods.iter().any(|m| m.as_str() == q);
        let needle = if other || !q.is_ascii() { "" } else { q.as_str() };
        let page =
            super::pages::page_rows_where(&table, tenant, before, limit, (needle, &found), bare_row, |p: &Payment| {
                q.is_empty()
                    || found.binary_search(&p.id).is_ok()
                    || p.reference.to_lowercase().contains(&q)
                    || has(&p.account)
                    || p.method.as_str() == q
                    || (q == "unmatched" && p.status == PaymentStatus::Unmatched)
            })?;
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
        let typed = q.trim();
        let q = typed.to_lowercase();
        // A whole number is its one document, through the number index.
        let by_number = tx.open_table(INVOICE_BY_NUMBER)?;
        let number = |n: &str| -> Result<Option<Id>, StoreError> { Ok(by_number.get((tenant, n))?.map(|v| v.value())) };
        if before.is_none()
            && !typed.is_empty()
            && let Some(id) = number(typed)?.or(number(&typed.to_uppercase())?)
        {
            return Ok(Page { items: get(&tx.open_table(INVOICES)?, (tenant, id))?.into_iter().collect(), next: None });
        }
        // The documents of the customers a name matches come from their
        // index; any other match is a number, in the row's bytes: rows
        // without it, and not found above, are skipped unread.
        let named = customers_named(&tx, tenant, &q)?;
        let by_customer = tx.open_table(INVOICE_BY_CUSTOMER)?;
        let mut found = Vec::new();
        for c in &named {
            found.extend(ids_under(&by_customer, tenant, *c)?);
        }
        found.sort_unstable();
        let needle = if q.is_ascii() { q.as_str() } else { "" };
        let keep = |d: &Invoice| q.is_empty() || d.number.to_lowercase().contains(&q) || named.contains(&d.customer);
        super::pages::page_rows_where(&tx.open_table(INVOICES)?, tenant, before, limit, (needle, &found), decode, keep)
    }
}

/// The payment whose M-Pesa receipt is `q` (any case), if there is one.
fn by_receipt(
    secrets: &SecretBox,
    tx: &redb::ReadTransaction,
    tenant: TenantId,
    q: &str,
) -> Result<Option<Payment>, StoreError> {
    if q.is_empty() || q.len() > 40 || !q.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let key = format!("mpesa:{}", q.to_ascii_uppercase());
    let Some(id) = tx.open_table(PAYMENT_BY_REF)?.get((tenant, key.as_str()))?.map(|v| v.value()) else {
        return Ok(None);
    };
    let p: Option<Payment> = get_open(secrets, &tx.open_table(PAYMENTS)?, (tenant, id))?;
    Ok(p.filter(|p| p.reference.eq_ignore_ascii_case(q)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::IncomingPayment;

    fn pay(s: &Store, tenant: TenantId, refs: &[&str], reference: &str, account: Option<&str>) -> Id {
        pay_from(s, tenant, refs, reference, account, None)
    }

    fn pay_from(
        s: &Store,
        tenant: TenantId,
        refs: &[&str],
        reference: &str,
        account: Option<&str>,
        phone: Option<&str>,
    ) -> Id {
        let p = IncomingPayment {
            tenant,
            method: PaymentMethod::MpesaC2b,
            refs: refs.iter().map(|r| r.to_string()).collect(),
            reference: reference.into(),
            amount: 100,
            phone: phone.map(Into::into),
            account: account.map(Into::into),
            customer: None,
            purchase: None,
            raw: None,
            actor: "test".into(),
            at: 1_780_000_000,
        };
        match s.apply_payment(p).unwrap() {
            crate::store::Applied::Unmatched(p) => p.id,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_whole_receipt_is_found_through_the_index_and_a_part_by_reading() {
        let s = Store::in_memory().unwrap();
        let t = crate::demo::seed(&s, 1_780_000_000, 0).unwrap();
        let receipt = pay(&s, t.id, &["c2b:UAB1CD2EFG", "mpesa:UAB1CD2EFG"], "UAB1CD2EFG", None);
        let cash = pay(&s, t.id, &["cash:1"], "cash-1", Some("for UAB1CD2EFG"));
        let ids = |q: &str, tenant: TenantId| -> Vec<Id> {
            s.payment_page(tenant, q, None, 50).unwrap().items.iter().map(|p| p.id).collect()
        };
        assert_eq!(ids("uab1cd2efg", t.id), vec![receipt], "the whole receipt, any case: its payment");
        assert_eq!(ids("UAB1CD2", t.id), vec![cash, receipt], "a part: every row holding it, newest first");
        assert_eq!(ids("cash-1", t.id), vec![cash]);
        // Another tenant's index has no such receipt, nor its rows.
        let other = crate::ops::tenants::new_tenant("other", None, "Africa/Nairobi", "KES", false);
        let other = s.create_tenant("test", 0, other).unwrap().id;
        assert!(ids("UAB1CD2EFG", other).is_empty());
    }

    #[test]
    fn a_number_and_a_name_are_found_through_their_indexes_until_erased() {
        let s = Store::in_memory().unwrap();
        let t = crate::demo::seed(&s, 1_780_000_000, 0).unwrap();
        let ids =
            |q: &str| -> Vec<Id> { s.payment_page(t.id, q, None, 50).unwrap().items.iter().map(|p| p.id).collect() };
        let paid = pay_from(&s, t.id, &["c2b:R1"], "R1", Some("acc"), Some("254799000111"));
        // The account typed as a number is in the row's clear bytes.
        let typed = pay_from(&s, t.id, &["c2b:R2"], "R2", Some("0799000111"), Some("254799000222"));
        let _other = pay_from(&s, t.id, &["c2b:R3"], "R3", None, Some("254799000333"));
        assert_eq!(ids("0799000111"), vec![typed, paid], "from that number, or naming it as the account");
        for form in ["+254799000111", "254799000111"] {
            assert_eq!(ids(form), vec![paid], "{form}: from that number in any form");
        }
        assert!(ids("0799000444").is_empty());
        let alice = s.customers(t.id).unwrap().into_iter().find(|c| c.name == "Alice Wanjiru").unwrap();
        assert!(ids("wanjiru").is_empty(), "nothing of Alice's yet");
        s.assign_payment("test", 1_780_000_100, t.id, paid, alice.id).unwrap();
        assert_eq!(ids("wanjiru"), vec![paid], "assigned: found by her name");
        assert_eq!(ids("0799000111"), vec![typed, paid]);
        s.erase_customer("test", 1_780_000_200, t.id, alice.id).unwrap();
        assert_eq!(ids("0799000111"), vec![typed], "erased: her payment no longer answers to the number");
    }
}
