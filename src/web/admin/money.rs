//! Money pages: voucher batches (list, a form that makes a batch with the
//! CLI's `make_batch`, the batch's codes, its printable cards as PDF),
//! payments (list, a form for cash or a bank transfer recorded with the
//! CLI's `record_payment`) and invoices and receipts (list, PDF). A
//! reseller's batch is charged to its wallet, and a reseller sees only its
//! own batches: another's answers 404 like a missing one.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::catalog::option_error;
use super::customers::Errors;
use super::rbac::Perm;
use super::{Caller, Chrome, ListQuery, PAGE, csv_response, done, failed, not_found, render};
use crate::model::*;
use crate::ops::vouchers::{BatchArgs, LOGIN_URL, batch_cards, make_batch, voucher_state};
use crate::store::{Applied, StoreError};
use crate::web::WebState;

/// A customer's name, for lists that show whose a row is.
fn customer_name(s: &WebState, c: &Caller, id: Id) -> String {
    match s.portal.store.customer_for(c.tenant_id(), None, id) {
        Ok(Some(x)) => x.name,
        _ => format!("customer {id}"),
    }
}

fn pdf(name: &str, body: Vec<u8>) -> Response {
    let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    let headers = [
        (header::CONTENT_TYPE, "application/pdf".to_string()),
        (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.pdf\"")),
    ];
    (headers, body).into_response()
}

// ---- voucher batches -------------------------------------------------------

pub struct BatchRow {
    pub id: Id,
    pub created: String,
    pub plan: String,
    pub count: u32,
    pub prefix: String,
    pub reseller: String,
    pub by: String,
    pub use_by: String,
}

#[derive(Template)]
#[template(path = "admin/vouchers.html")]
struct BatchesPage {
    c: Chrome,
    q: String,
    rows: Vec<BatchRow>,
    next: Option<String>,
    csv: String,
    can_make: bool,
    wallet: Option<String>,
}

pub async fn vouchers(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let limit = if q.csv() { usize::MAX } else { PAGE };
    let page = match store.batch_page(t, c.reseller(), &q.q, q.before(), limit) {
        Ok(p) => p,
        Err(e) => return failed(&c, &e),
    };
    let plans = store.plans(t).unwrap_or_default();
    let rows: Vec<BatchRow> = page
        .items
        .iter()
        .map(|b| BatchRow {
            id: b.id,
            created: c.time(b.created_at),
            plan: plans.iter().find(|p| p.id == b.plan).map_or_else(|| "-".into(), |p| p.name.clone()),
            count: b.count,
            prefix: b.prefix.clone(),
            reseller: b.reseller.map(|r| customer_name(&s, &c, r)).unwrap_or_default(),
            by: b.created_by.clone(),
            use_by: b.valid_until.map(|u| c.time(u)).unwrap_or_default(),
        })
        .collect();
    if q.csv() {
        let rows = rows.into_iter().map(|r| {
            vec![r.id.to_string(), r.created, r.plan, r.count.to_string(), r.prefix, r.reseller, r.by, r.use_by]
        });
        let head = ["id", "created", "plan", "count", "prefix", "reseller", "created_by", "use_by"];
        return csv_response("voucher-batches", &head, rows);
    }
    let view = BatchesPage {
        c: c.chrome("Vouchers"),
        next: q.next_link("/admin/vouchers", page.next),
        csv: q.csv_link("/admin/vouchers"),
        q: q.q,
        rows,
        can_make: c.can(Perm::MakeVouchers),
        wallet: c.reseller().map(|r| c.money(store.balance(t, r).unwrap_or(0))),
    };
    render(StatusCode::OK, &view)
}

/// The batch form, as typed.
#[derive(Deserialize, Clone)]
pub struct BatchForm {
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub count: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub length: String,
    #[serde(default)]
    pub valid_for: String,
    #[serde(default)]
    pub starts: String,
    #[serde(default)]
    pub no_bind_mac: String,
}

impl Default for BatchForm {
    fn default() -> BatchForm {
        BatchForm {
            plan: String::new(),
            count: String::new(),
            prefix: String::new(),
            length: "8".into(),
            valid_for: String::new(),
            starts: String::new(),
            no_bind_mac: String::new(),
        }
    }
}

const BATCH_FIELDS: &[&str] = &["plan", "count", "prefix", "length", "valid_for", "starts"];

#[derive(Template)]
#[template(path = "admin/voucher_form.html")]
struct BatchFormPage {
    c: Chrome,
    plans: Vec<(String, String)>,
    f: BatchForm,
    errors: Errors,
    wallet: Option<String>,
}

fn batch_form(s: &WebState, c: &Caller, f: BatchForm, errors: Errors) -> Response {
    let store = &s.portal.store;
    let plans = match store.plans(c.tenant_id()) {
        Ok(p) => p
            .into_iter()
            .filter(|p| !p.disabled)
            .map(|p| (p.id.to_string(), format!("{} ({}, {})", p.name, p.validity, c.money(p.price))))
            .collect(),
        Err(e) => return failed(c, &e),
    };
    let wallet = c.reseller().map(|r| c.money(store.balance(c.tenant_id(), r).unwrap_or(0)));
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &BatchFormPage { c: c.chrome("New voucher batch"), plans, f, errors, wallet })
}

pub async fn new_voucher(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    batch_form(&s, &c, BatchForm::default(), Errors::default())
}

pub async fn create_voucher(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<BatchForm>,
) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let Some(tenant) = c.tenant.clone() else { return not_found(&c) };
    let mut errors = Errors::default();
    let plan = f.plan.trim().parse::<Id>().ok().and_then(|p| store.plan(t, p).ok()).filter(|p| !p.disabled);
    if plan.is_none() {
        errors.add("plan", "Choose a plan.");
    }
    let count = f.count.trim().parse::<u32>().ok().filter(|n| *n > 0);
    if count.is_none() {
        errors.add("count", "How many vouchers: a whole number, 1 or more.");
    }
    let length = match f.length.trim() {
        "" => Some(8),
        l => l.parse::<u8>().ok(),
    };
    if length.is_none() {
        errors.add("length", "Characters after the prefix: 6 to 16.");
    }
    let (Some(plan), Some(count), Some(length), false) = (plan, count, length, errors.any()) else {
        return batch_form(&s, &c, f, errors);
    };
    // A reseller pays for its batch from its wallet: say so before trying.
    if let Some(r) = c.reseller() {
        let balance = store.balance(t, r).unwrap_or(0);
        let cost = plan.price.saturating_mul(i64::from(count));
        if cost > balance {
            let text = format!(
                "Your wallet holds {}; {count} vouchers of {} cost {}. Top the wallet up first.",
                c.money(balance),
                plan.name,
                c.money(cost)
            );
            errors.add("count", text);
            return batch_form(&s, &c, f, errors);
        }
    }
    let args = BatchArgs {
        tenant: tenant.slug.clone(),
        plan: plan.id.to_string(),
        count,
        prefix: f.prefix.trim().to_uppercase(),
        length,
        valid_for: Some(f.valid_for.trim().to_string()).filter(|v| !v.is_empty()),
        no_bind_mac: f.no_bind_mac == "on",
        reseller: c.reseller(),
        starts: Some(f.starts.trim().to_string()).filter(|v| !v.is_empty()),
    };
    match make_batch(store, &c.actor(), s.portal.clock.now(), &tenant, &args) {
        Ok(made) => {
            let charged = if c.reseller().is_some() {
                format!(", {} charged to your wallet", c.money(plan.price * i64::from(made.batch.count)))
            } else {
                String::new()
            };
            let text = format!("{} vouchers of {} made{charged}.", made.batch.count, made.plan.name);
            done(&format!("/admin/vouchers/{}", made.batch.id), &text)
        }
        Err(e) => {
            if let Some((field, m)) = option_error(&e, BATCH_FIELDS) {
                errors.add(field, m);
                return batch_form(&s, &c, f, errors);
            }
            match &e {
                // The wallet moved between the check and the batch.
                crate::ops::OpError::Store(StoreError::Invalid(m)) if m.contains("wallet") => {
                    errors.add("count", "Your wallet does not cover this batch. Top the wallet up first.");
                    batch_form(&s, &c, f, errors)
                }
                crate::ops::OpError::Store(StoreError::NotFound(m)) if m.starts_with("reseller") => super::message(
                    Some(&c),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "No wallet",
                    "This reseller account has no wallet; ask the tenant's admin.",
                ),
                _ => failed(&c, &format!("{e:#}")),
            }
        }
    }
}

/// The batch, if `c` may see it (its tenant's; a reseller's own only).
#[allow(clippy::result_large_err)] // the Err is the page to answer with, once per request
fn batch_for(s: &WebState, c: &Caller, id: Id) -> Result<(VoucherBatch, Vec<Service>), Response> {
    match s.portal.store.voucher_batch(c.tenant_id(), id) {
        Ok((b, list)) if c.reseller().is_none() || b.reseller == c.reseller() => Ok((b, list)),
        Ok(_) | Err(StoreError::NotFound(_)) => Err(not_found(c)),
        Err(e) => Err(failed(c, &e)),
    }
}

/// Codes shown on the batch page; the rest are in the CSV and the cards.
const CODES_SHOWN: usize = 500;

#[derive(Template)]
#[template(path = "admin/voucher_batch.html")]
struct BatchPage {
    c: Chrome,
    b: VoucherBatch,
    plan: String,
    price: String,
    reseller: String,
    use_by: String,
    q: String,
    codes: Vec<(String, String, String)>,
    more: usize,
    csv: String,
}

pub async fn voucher_batch(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Query(q): Query<ListQuery>,
) -> Response {
    let (b, list) = match batch_for(&s, &c, id) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(t) = c.tenant.as_ref() else { return not_found(&c) };
    let needle = q.q.trim().to_uppercase();
    let codes: Vec<(String, String, String)> = list
        .iter()
        .filter(|v| needle.is_empty() || v.username.to_uppercase().contains(&needle))
        .map(|v| (v.username.clone(), voucher_state(t, v), v.mac.map(|m| m.to_string()).unwrap_or_default()))
        .collect();
    if q.csv() {
        let rows = codes.into_iter().map(|(code, state, mac)| vec![code, state, mac]);
        return csv_response(&format!("vouchers-{id}"), &["code", "state", "mac"], rows);
    }
    let plan = s.portal.store.plan(t.id, b.plan).ok();
    let more = codes.len().saturating_sub(CODES_SHOWN);
    let view = BatchPage {
        c: c.chrome(format!("Voucher batch {id}")),
        plan: plan.as_ref().map_or_else(|| "-".into(), |p| p.name.clone()),
        price: plan.as_ref().map_or_else(String::new, |p| c.money(p.price)),
        reseller: b.reseller.map(|r| customer_name(&s, &c, r)).unwrap_or_default(),
        use_by: b.valid_until.map_or_else(|| "no limit".into(), |u| c.time(u)),
        csv: q.csv_link(&format!("/admin/vouchers/{id}")),
        q: q.q,
        codes: codes.into_iter().take(CODES_SHOWN).collect(),
        more,
        b,
    };
    render(StatusCode::OK, &view)
}

/// Disable the batch's unused codes.
pub async fn disable_voucher_batch(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
) -> Response {
    if let Err(r) = batch_for(&s, &c, id) {
        return r;
    }
    match crate::ops::vouchers::disable_batch(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok(n) => done(&format!("/admin/vouchers/{id}"), &format!("Batch {id}: {n} unused codes disabled.")),
        Err(crate::ops::OpError::Field { .. }) => not_found(&c),
        Err(e) => failed(&c, &e),
    }
}

pub async fn voucher_cards(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    let (b, list) = match batch_for(&s, &c, id) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(t) = c.tenant.as_ref() else { return not_found(&c) };
    match batch_cards(&s.portal.store, t, &b, &list, LOGIN_URL) {
        Ok((cards, title)) => pdf(&format!("vouchers-{id}"), crate::pdf::cards::voucher_cards(&cards, &title)),
        Err(e) => failed(&c, &format!("{e:#}")),
    }
}

// ---- payments -----------------------------------------------------------------

pub struct PaymentRow {
    pub id: Id,
    pub received: String,
    pub amount: String,
    pub method: &'static str,
    pub reference: String,
    pub customer: Option<Id>,
    pub name: String,
    pub phone: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "admin/payments.html")]
struct PaymentsPage {
    c: Chrome,
    q: String,
    rows: Vec<PaymentRow>,
    next: Option<String>,
    csv: String,
    can_record: bool,
}

pub async fn payments(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Response {
    let limit = if q.csv() { usize::MAX } else { PAGE };
    let page = match s.portal.store.payment_page(c.tenant_id(), &q.q, q.before(), limit) {
        Ok(p) => p,
        Err(e) => return failed(&c, &e),
    };
    let rows: Vec<PaymentRow> = page
        .items
        .iter()
        .map(|p| PaymentRow {
            id: p.id,
            received: c.time(p.received_at),
            amount: c.money(p.amount),
            method: p.method.as_str(),
            reference: p.reference.clone(),
            customer: p.customer,
            name: p.customer.map(|x| customer_name(&s, &c, x)).unwrap_or_default(),
            phone: c.phone(p.phone.as_deref().unwrap_or_default()),
            status: if p.status == PaymentStatus::Unmatched { "unmatched" } else { "credited" },
        })
        .collect();
    if q.csv() {
        let rows = rows.into_iter().map(|r| {
            let customer = r.customer.map(|x| x.to_string()).unwrap_or_default();
            let id = r.id.to_string();
            vec![id, r.received, r.amount, r.method.into(), r.reference, customer, r.name, r.phone, r.status.into()]
        });
        let head = ["id", "received", "amount", "method", "reference", "customer", "name", "phone", "status"];
        return csv_response("payments", &head, rows);
    }
    let view = PaymentsPage {
        c: c.chrome("Payments"),
        next: q.next_link("/admin/payments", page.next),
        csv: q.csv_link("/admin/payments"),
        q: q.q,
        rows,
        can_record: c.can(Perm::RecordPayments),
    };
    render(StatusCode::OK, &view)
}

/// The payment form. `nonce` (a hidden field) makes a form sent twice one
/// payment, not two.
#[derive(Deserialize, Default, Clone)]
pub struct PaymentForm {
    #[serde(default)]
    pub customer: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub nonce: String,
}

#[derive(Template)]
#[template(path = "admin/payment_form.html")]
struct PaymentFormPage {
    c: Chrome,
    f: PaymentForm,
    errors: Errors,
}

fn payment_form(c: &Caller, f: PaymentForm, errors: Errors) -> Response {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &PaymentFormPage { c: c.chrome("Record a payment"), f, errors })
}

#[derive(Deserialize, Default)]
pub struct NewPaymentQuery {
    #[serde(default)]
    customer: String,
}

pub async fn new_payment(Extension(c): Extension<Caller>, Query(q): Query<NewPaymentQuery>) -> Response {
    let f = PaymentForm {
        customer: q.customer,
        method: "cash".into(),
        nonce: crate::store::random_hex(12),
        ..Default::default()
    };
    payment_form(&c, f, Errors::default())
}

/// The customer a payment form names: by id, phone number or service username.
fn payer(s: &WebState, c: &Caller, typed: &str) -> Result<Option<Customer>, StoreError> {
    let store = &s.portal.store;
    let t = c.tenant_id();
    if let Ok(id) = typed.parse::<Id>()
        && let Some(x) = store.customer_for(t, None, id)?
    {
        return Ok(Some(x));
    }
    if let Some(phone) = crate::model::msisdn(typed)
        && let Some(id) = store.customer_by_phone(t, &phone)?
    {
        return store.customer_for(t, None, id);
    }
    match store.service_by_username(t, typed) {
        Ok(sv) => store.customer_for(t, None, sv.customer),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn create_payment(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<PaymentForm>,
) -> Response {
    let mut errors = Errors::default();
    let typed = f.customer.trim();
    let customer = match typed {
        "" => None,
        _ => match payer(&s, &c, typed) {
            Ok(x) => x,
            Err(e) => return failed(&c, &e),
        },
    };
    if customer.is_none() {
        errors.add("customer", "No such customer: type its number, phone or a service username.");
    }
    let amount = crate::model::units::parse_money(&f.amount).ok().filter(|a| *a > 0);
    if amount.is_none() {
        errors.add("amount", "An amount above zero, like 1500 or 1500.50.");
    }
    let method = match f.method.as_str() {
        "cash" => Some(PaymentMethod::Cash),
        "manual" => Some(PaymentMethod::Manual),
        _ => {
            errors.add("method", "Choose cash or bank transfer.");
            None
        }
    };
    let reference = f.reference.trim();
    if reference.chars().count() > 100 {
        errors.add("reference", "At most 100 characters.");
    }
    let (Some(customer), Some(amount), Some(method), false) = (customer, amount, method, errors.any()) else {
        return payment_form(&c, f, errors);
    };
    let reference = match reference {
        "" => format!("{} by {}", method.as_str(), c.admin.username),
        r => r.to_string(),
    };
    let nonce = f.nonce.trim();
    let refs = if !nonce.is_empty() && nonce.len() <= 64 && nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        vec![format!("admin-form:{nonce}")]
    } else {
        vec![]
    };
    let now = s.portal.clock.now();
    let t = c.tenant_id();
    let store = &s.portal.store;
    match crate::ops::money::record_payment(store, &c.actor(), now, t, customer.id, method, amount, reference, refs) {
        Ok(Applied::Credited { receipt, .. }) => {
            let receipt = receipt.map(|r| format!("; receipt {r}")).unwrap_or_default();
            let text = format!("{} credited to {}{receipt}.", c.money(amount), customer.name);
            done("/admin/payments", &text)
        }
        Ok(Applied::Duplicate(id)) => {
            done("/admin/payments", &format!("That form was sent before: it is payment {id}, recorded once."))
        }
        Ok(Applied::Unmatched(_)) => done("/admin/payments", "Payment recorded as unmatched."),
        Ok(Applied::Queued(_)) => {
            let text = format!(
                "{} for {} recorded at this site: the hub credits the wallet (and renews) as soon as it hears of it.",
                c.money(amount),
                customer.name
            );
            done("/admin/payments", &text)
        }
        Err(e) => failed(&c, &e),
    }
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    customer: String,
}

/// Give an unmatched payment (a C2B payment with a mistyped account, say)
/// to a customer: its wallet is credited, once, audited.
pub async fn assign_payment(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<AssignForm>,
) -> Response {
    match s.portal.store.payment(c.tenant_id(), id) {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(&c),
        Err(e) => return failed(&c, &e),
    }
    let customer = match payer(&s, &c, f.customer.trim()) {
        Ok(Some(x)) => x,
        Ok(None) => {
            let text = format!("No customer {:?}: type its number, phone or a service username.", f.customer.trim());
            return super::message(Some(&c), StatusCode::UNPROCESSABLE_ENTITY, "Not assigned", &text);
        }
        Err(e) => return failed(&c, &e),
    };
    match s.portal.store.assign_payment(&c.actor(), s.portal.clock.now(), c.tenant_id(), id, customer.id) {
        Ok(p) => done("/admin/payments?q=unmatched", &format!("{} credited to {}.", c.money(p.amount), customer.name)),
        Err(StoreError::NotFound(_)) => not_found(&c),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            super::message(Some(&c), StatusCode::CONFLICT, "Not assigned", &e.to_string())
        }
        Err(e) => failed(&c, &e),
    }
}

/// `s` as one path segment (an invoice prefix may hold any character).
fn path_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- invoices and receipts ------------------------------------------------------

pub struct DocRow {
    pub number: String,
    /// The number, escaped for the document's address.
    pub link: String,
    pub kind: &'static str,
    pub issued: String,
    pub customer: Id,
    pub name: String,
    pub gross: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "admin/invoices.html")]
struct InvoicesPage {
    c: Chrome,
    q: String,
    rows: Vec<DocRow>,
    next: Option<String>,
    csv: String,
}

pub async fn invoices(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Response {
    let limit = if q.csv() { usize::MAX } else { PAGE };
    let page = match s.portal.store.document_page(c.tenant_id(), &q.q, q.before(), limit) {
        Ok(p) => p,
        Err(e) => return failed(&c, &e),
    };
    let rows: Vec<DocRow> = page
        .items
        .iter()
        .map(|d| DocRow {
            number: d.number.clone(),
            link: path_escape(&d.number),
            kind: if d.kind == DocKind::Receipt { "receipt" } else { "invoice" },
            issued: c.time(d.issued_at),
            customer: d.customer,
            name: customer_name(&s, &c, d.customer),
            gross: c.money(d.gross),
            state: if d.paid_at.is_some() || d.kind == DocKind::Receipt { "paid" } else { "open" },
        })
        .collect();
    if q.csv() {
        let rows = rows
            .into_iter()
            .map(|r| vec![r.number, r.kind.into(), r.issued, r.customer.to_string(), r.name, r.gross, r.state.into()]);
        return csv_response("invoices", &["number", "kind", "issued", "customer", "name", "total", "state"], rows);
    }
    let view = InvoicesPage {
        c: c.chrome("Invoices and receipts"),
        next: q.next_link("/admin/invoices", page.next),
        csv: q.csv_link("/admin/invoices"),
        q: q.q,
        rows,
    };
    render(StatusCode::OK, &view)
}

/// An invoice or receipt of the tenant, by number, as PDF (the same
/// document `lango invoice print` writes and customers download).
pub async fn invoice(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(number): Path<String>,
) -> Response {
    let store = &s.portal.store;
    let Some(t) = c.tenant.as_ref() else { return not_found(&c) };
    let doc = match store.document_by_number(t.id, &number) {
        Ok(d) => d,
        Err(e) => return failed(&c, &e),
    };
    let Some(doc) = doc else { return not_found(&c) };
    match crate::ops::money::doc_view(store, t, &doc) {
        Ok(view) => pdf(&doc.number, crate::pdf::invoice::document(&view)),
        Err(e) => failed(&c, &format!("{e:#}")),
    }
}
