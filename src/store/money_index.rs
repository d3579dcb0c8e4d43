//! Payments and sales documents by payer, by customer and by number: the
//! indexes that let a customer's page, the account page, an invoice's PDF,
//! the settling of a customer's open invoices and the lists' searches read
//! one customer's rows instead of every row of the tenant. Each is written
//! in the transaction that writes the payment or the document.

use redb::{ReadableTable, Table, WriteTransaction};

use super::codec::decode;
use super::personal::{get_open, open_row, phone_key};
use super::secret::SecretBox;
use super::tables::*;
use super::{Store, StoreError, get};
use crate::model::*;

/// File a payment under its payer's number and its customer.
pub(crate) fn index_payment(secrets: &SecretBox, tx: &WriteTransaction, p: &Payment) -> Result<(), StoreError> {
    file_payment(secrets, &mut tx.open_table(PAYMENT_BY_PAYER)?, &mut tx.open_table(PAYMENT_BY_CUSTOMER)?, p)
}

fn file_payment(
    secrets: &SecretBox,
    by_payer: &mut Table<'_, (u32, &'static str, u64), ()>,
    by_customer: &mut Table<'_, (u32, u64, u64), ()>,
    p: &Payment,
) -> Result<(), StoreError> {
    if let Some(key) = phone_key(secrets, p.phone.as_deref()) {
        by_payer.insert((p.tenant, key.as_str(), p.id), ())?;
    }
    if let Some(c) = p.customer {
        by_customer.insert((p.tenant, c, p.id), ())?;
    }
    Ok(())
}

/// Take a payment out of the payer index (its number is being erased).
pub(crate) fn unindex_payer(secrets: &SecretBox, tx: &WriteTransaction, p: &Payment) -> Result<(), StoreError> {
    if let Some(key) = phone_key(secrets, p.phone.as_deref()) {
        tx.open_table(PAYMENT_BY_PAYER)?.remove((p.tenant, key.as_str(), p.id))?;
    }
    Ok(())
}

/// File a new sales document under its customer and its number.
pub(crate) fn index_document(tx: &WriteTransaction, d: &Invoice) -> Result<(), StoreError> {
    file_document(&mut tx.open_table(INVOICE_BY_CUSTOMER)?, &mut tx.open_table(INVOICE_BY_NUMBER)?, d)
}

fn file_document(
    by_customer: &mut Table<'_, (u32, u64, u64), ()>,
    by_number: &mut Table<'_, (u32, &'static str), u64>,
    d: &Invoice,
) -> Result<(), StoreError> {
    by_customer.insert((d.tenant, d.customer, d.id), ())?;
    by_number.insert((d.tenant, d.number.as_str()), d.id)?;
    Ok(())
}

/// Every index above built from the stored payments and documents (the
/// schema-8 upgrade).
/// Streams: one row in memory at a time, whatever the size of the file.
pub(crate) fn build(secrets: &SecretBox, tx: &WriteTransaction) -> Result<(), StoreError> {
    let (mut by_payer, mut by_customer) = (tx.open_table(PAYMENT_BY_PAYER)?, tx.open_table(PAYMENT_BY_CUSTOMER)?);
    for row in tx.open_table(PAYMENTS)?.iter()? {
        file_payment(secrets, &mut by_payer, &mut by_customer, &open_row(secrets, row?.1.value())?)?;
    }
    let (mut docs_by_customer, mut by_number) =
        (tx.open_table(INVOICE_BY_CUSTOMER)?, tx.open_table(INVOICE_BY_NUMBER)?);
    for row in tx.open_table(INVOICES)?.iter()? {
        file_document(&mut docs_by_customer, &mut by_number, &decode(row?.1.value())?)?;
    }
    Ok(())
}

/// Ids filed under `key` (a customer) in a `(tenant, key, id)` index,
/// oldest first.
pub(crate) fn ids_under(
    index: &impl ReadableTable<(u32, u64, u64), ()>,
    tenant: TenantId,
    key: u64,
) -> Result<Vec<Id>, StoreError> {
    let mut out = Vec::new();
    for row in index.range((tenant, key, 0)..=(tenant, key, u64::MAX))? {
        out.push(row?.0.value().2);
    }
    Ok(out)
}

impl Store {
    /// A customer's payments, newest first, at most `limit`.
    pub fn customer_payments(&self, tenant: TenantId, customer: Id, limit: usize) -> Result<Vec<Payment>, StoreError> {
        let tx = self.read()?;
        let payments = tx.open_table(PAYMENTS)?;
        let mut out = Vec::new();
        for id in ids_under(&tx.open_table(PAYMENT_BY_CUSTOMER)?, tenant, customer)?.into_iter().rev().take(limit) {
            out.extend(get_open(&self.secrets, &payments, (tenant, id))?);
        }
        Ok(out)
    }

    /// A customer's invoices and receipts, newest first, at most `limit`.
    pub fn customer_documents(&self, tenant: TenantId, customer: Id, limit: usize) -> Result<Vec<Invoice>, StoreError> {
        let tx = self.read()?;
        let docs = tx.open_table(INVOICES)?;
        let mut out = Vec::new();
        for id in ids_under(&tx.open_table(INVOICE_BY_CUSTOMER)?, tenant, customer)?.into_iter().rev().take(limit) {
            out.extend(get::<_, Invoice>(&docs, (tenant, id))?);
        }
        Ok(out)
    }

    /// The tenant's document numbered `number`, if any.
    pub fn document_by_number(&self, tenant: TenantId, number: &str) -> Result<Option<Invoice>, StoreError> {
        let tx = self.read()?;
        let Some(id) = tx.open_table(INVOICE_BY_NUMBER)?.get((tenant, number))?.map(|v| v.value()) else {
            return Ok(None);
        };
        get(&tx.open_table(INVOICES)?, (tenant, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Applied, IncomingPayment};

    const T0: UnixTime = 1_780_000_000;

    fn pay(s: &Store, tenant: TenantId, customer: Id, r: &str, at: UnixTime) -> (Id, String) {
        let p = IncomingPayment {
            tenant,
            method: PaymentMethod::MpesaC2b,
            refs: vec![format!("mpesa:{r}")],
            reference: r.into(),
            amount: 500,
            phone: Some("254799000111".into()),
            account: None,
            customer: Some(customer),
            purchase: None,
            raw: None,
            actor: "test".into(),
            at,
        };
        match s.apply_payment(p).unwrap() {
            Applied::Credited { payment, receipt, .. } => (payment.id, receipt.unwrap()),
            other => panic!("{other:?}"),
        }
    }

    /// What a customer's page reads, for `customer`.
    fn held(s: &Store, t: TenantId, customer: Id) -> (Vec<Id>, Vec<String>) {
        let payments = s.customer_payments(t, customer, 20).unwrap().iter().map(|p| p.id).collect();
        let docs = s.customer_documents(t, customer, 20).unwrap().iter().map(|d| d.number.clone()).collect();
        (payments, docs)
    }

    #[test]
    fn a_customers_payments_and_documents_come_from_its_index_newest_first_and_survive_the_upgrade() {
        let s = Store::in_memory().unwrap();
        let t = crate::demo::seed(&s, T0, 0).unwrap();
        let named = |n: &str| s.customers(t.id).unwrap().into_iter().find(|c| c.name == n).unwrap().id;
        let (alice, shop) = (named("Alice Wanjiru"), named("Corner shop"));
        let (a1, r1) = pay(&s, t.id, alice, "QA1", T0 + 10);
        let (_, r_shop) = pay(&s, t.id, shop, "QS1", T0 + 20);
        let (a2, r2) = pay(&s, t.id, alice, "QA2", T0 + 30);
        let (payments, docs) = held(&s, t.id, alice);
        assert_eq!(payments, vec![a2, a1], "hers only, newest first");
        assert!(docs.starts_with(&[r2.clone(), r1.clone()]), "her receipts, newest first: {docs:?}");
        assert!(!docs.contains(&r_shop));
        assert_eq!(s.customer_payments(t.id, alice, 1).unwrap().len(), 1, "at most the limit");
        let doc = s.document_by_number(t.id, &r1).unwrap().unwrap();
        assert_eq!((doc.customer, doc.payment), (alice, Some(a1)));
        let other = crate::ops::tenants::new_tenant("other", None, "Africa/Nairobi", "KES", false);
        let other = s.create_tenant("test", 0, other).unwrap().id;
        assert!(s.document_by_number(other, &r1).unwrap().is_none(), "another tenant's number space");
        assert!(s.customer_payments(other, alice, 20).unwrap().is_empty());
        // The document list finds a whole number through the index, any case.
        let page = s.document_page(t.id, &r1.to_lowercase(), None, 50).unwrap();
        assert_eq!(page.items.iter().map(|d| d.number.clone()).collect::<Vec<_>>(), vec![r1.clone()]);
        let by_name = s.document_page(t.id, "wanjiru", None, 50).unwrap();
        assert!(by_name.items.iter().all(|d| d.customer == alice) && by_name.items.len() >= 2);

        // A schema-7 file has none of these indexes: the upgrade builds them.
        let before = (held(&s, t.id, alice), held(&s, t.id, shop));
        let tx = s.write().unwrap();
        tx.delete_table(PAYMENT_BY_PAYER).unwrap();
        tx.delete_table(PAYMENT_BY_CUSTOMER).unwrap();
        tx.delete_table(INVOICE_BY_CUSTOMER).unwrap();
        tx.delete_table(INVOICE_BY_NUMBER).unwrap();
        tx.open_table(META).unwrap().insert("schema_version", 7).unwrap();
        s.commit(tx).unwrap();
        s.migrate().unwrap();
        assert_eq!((held(&s, t.id, alice), held(&s, t.id, shop)), before);
        assert_eq!(s.document_by_number(t.id, &r2).unwrap().map(|d| d.payment), Some(Some(a2)));
        let by_number = s.payment_page(t.id, "0799000111", None, 50).unwrap();
        assert_eq!(by_number.items.len(), 3, "the payer index is back");
    }
}
