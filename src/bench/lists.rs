//! The admin's payments and invoices lists at scale (issue 12): the store
//! calls behind `/admin/payments` and `/admin/invoices`, timed on the
//! reports bench's database (by default 50,000 customers and a year of
//! monthly payments), for the newest page, a page in the middle and each
//! kind of search, and what a customer's page reads of one customer.
//! Payments' numbers are sealed, so a page opens only the rows it shows.

use std::time::Instant;

use crate::model::{Id, Tenant};
use crate::store::Store;

/// One list, timed.
pub struct ListTiming {
    pub what: String,
    pub median_ms: f64,
    pub max_ms: f64,
    pub rows: usize,
}

impl std::fmt::Display for ListTiming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "list {}: median {:.2} ms, max {:.2} ms ({} rows)", self.what, self.median_ms, self.max_ms, self.rows)
    }
}

/// Rows per page, as the admin pages show.
const PAGE: usize = 50;

/// Each list and search `runs` times. `phone` and `name` are a payer's
/// number and a customer's name that exist in the bench's data.
pub fn time_lists(store: &Store, t: &Tenant, runs: usize, phone: &str, name: &str) -> anyhow::Result<Vec<ListTiming>> {
    let newest = store.payment_page(t.id, "", None, 50)?;
    let last: Id = newest.items.first().map_or(0, |p| p.id);
    let mpesa = [crate::model::PaymentMethod::MpesaStk, crate::model::PaymentMethod::MpesaC2b];
    let middle = store.payment_page(t.id, "", Some(last / 2), 50)?.items;
    let receipt = middle.iter().find(|p| mpesa.contains(&p.method)).map(|p| p.reference.clone());
    let doc = store.document_page(t.id, "", Some(last / 2), 1)?.items.first().map(|d| d.number.clone());
    let (receipt, doc) = (receipt.unwrap_or_default(), doc.unwrap_or_default());
    let mut out = Vec::new();
    let part = &receipt[..receipt.len().min(7)];
    let payments: [(String, &str, Option<u64>); 8] = [
        ("payments, newest".into(), "", None),
        ("payments, a page in the middle".into(), "", Some(last / 2)),
        (format!("payments ?q={receipt} (an M-Pesa receipt)"), &receipt, None),
        (format!("payments ?q={part} (a receipt's first characters)"), part, None),
        (format!("payments ?q={phone} (a payer's whole number)"), phone, None),
        (format!("payments ?q={name} (a customer's name)"), name, None),
        ("payments ?q=unmatched".into(), "unmatched", None),
        ("payments ?q=no-such-payment (every row read)".into(), "no-such-payment", None),
    ];
    for (what, q, before) in payments {
        out.push(timed(what, runs, || Ok(store.payment_page(t.id, q, before, PAGE)?.items.len()))?);
    }
    let documents: [(String, &str, Option<u64>); 5] = [
        ("invoices, newest".into(), "", None),
        ("invoices, a page in the middle".into(), "", Some(last / 2)),
        (format!("invoices ?q={doc} (a number)"), &doc, None),
        (format!("invoices ?q={name} (a customer's name)"), name, None),
        ("invoices ?q=no-such-invoice (every row read)".into(), "no-such-invoice", None),
    ];
    for (what, q, before) in documents {
        out.push(timed(what, runs, || Ok(store.document_page(t.id, q, before, PAGE)?.items.len()))?);
    }
    // What a customer's page and the account page read of one customer,
    // and an invoice's PDF by its number.
    // (A customer with payments: from the middle of the table, or the
    // newest when the middle is empty, as with one payment per customer.)
    if let Some(c) = middle.iter().chain(&newest.items).find_map(|p| p.customer) {
        out.push(timed(format!("a customer's last 20 payments and documents (customer {c})"), runs, || {
            Ok(store.customer_payments(t.id, c, 20)?.len() + store.customer_documents(t.id, c, 20)?.len())
        })?);
        if let Some(svc) = store.customer_services(t.id, c)?.first() {
            out.push(timed(format!("a service's sessions (service {})", svc.id), runs, || {
                Ok(store.service_sessions(t.id, svc.id)?.len())
            })?);
        }
    }
    out.push(timed(format!("the document numbered {doc}"), runs, || {
        Ok(store.document_by_number(t.id, &doc)?.into_iter().count())
    })?);
    // What those read before their indexes: every payment and document.
    out.push(timed("every payment and document of the tenant (a customer page before schema 8)".into(), runs, || {
        Ok(store.payments(t.id)?.len() + store.documents(t.id)?.len())
    })?);
    out.push(timed("every closed session of the tenant (a service's sessions before schema 8)".into(), runs, || {
        Ok(store.session_history(t.id)?.len())
    })?);
    Ok(out)
}

fn timed(what: String, runs: usize, mut f: impl FnMut() -> anyhow::Result<usize>) -> anyhow::Result<ListTiming> {
    let mut ms = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        rows = f()?;
        ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    Ok(ListTiming { what, median_ms: ms[ms.len() / 2], max_ms: ms[ms.len() - 1], rows })
}
