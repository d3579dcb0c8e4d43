//! Customers and their services: list and search, create and edit (forms
//! re-render with the field's error and what was typed), the customer's
//! page (services, online state, wallet, payments, invoices, tickets, its
//! audit trail), and suspend / reactivate. A reseller sees and creates only
//! its own customers; another's id answers 404 like a missing one.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Caller, Chrome, ListQuery, PAGE, csv_response, done, failed, not_found, render};
use crate::model::*;
use crate::store::{AuditFilter, NewService, StoreError};
use crate::web::WebState;

pub struct Row {
    pub id: Id,
    pub name: String,
    pub phone: String,
    pub category: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/customers.html")]
struct ListPage {
    c: Chrome,
    q: String,
    rows: Vec<Row>,
    next: Option<String>,
    csv: String,
    can_edit: bool,
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>, Query(q): Query<ListQuery>) -> Response {
    let store = &s.portal.store;
    let limit = if q.csv() { usize::MAX } else { PAGE };
    let page = match store.customer_page(c.tenant_id(), c.reseller(), &q.q, q.before(), limit) {
        Ok(p) => p,
        Err(e) => return failed(&c, &e),
    };
    if q.csv() {
        let rows = page.items.iter().map(|x| {
            vec![
                x.id.to_string(),
                x.name.clone(),
                c.phone(x.phone.as_deref().unwrap_or_default()),
                x.email.clone().unwrap_or_default(),
                x.category.clone().unwrap_or_default(),
                c.when(Some(x.created_at)),
            ]
        });
        return csv_response("customers", &["id", "name", "phone", "email", "category", "created"], rows);
    }
    let rows = page
        .items
        .iter()
        .map(|x| Row {
            id: x.id,
            name: x.name.clone(),
            phone: c.phone(x.phone.as_deref().unwrap_or_default()),
            category: x.category.clone().unwrap_or_default(),
            created: c.when(Some(x.created_at)),
        })
        .collect();
    let view = ListPage {
        c: c.chrome("Customers"),
        next: q.next_link("/admin/customers", page.next),
        csv: q.csv_link("/admin/customers"),
        q: q.q,
        rows,
        can_edit: c.can(super::rbac::Perm::EditCustomers),
    };
    render(StatusCode::OK, &view)
}

#[derive(Deserialize, Default, Clone)]
pub struct CustomerForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub category: String,
}

#[derive(Template)]
#[template(path = "admin/customer_form.html")]
struct FormPage {
    c: Chrome,
    action: String,
    f: CustomerForm,
    errors: Errors,
}

/// Field → message, for re-rendering a form.
#[derive(Default)]
pub struct Errors(pub Vec<(&'static str, String)>);

impl Errors {
    pub fn get(&self, field: &str) -> String {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone()).unwrap_or_default()
    }
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// An operation's refusals next to their fields; one that concerns no
    /// field is the page to answer with instead.
    #[allow(clippy::result_large_err)] // the Err is the page to answer with, once per request
    pub fn of(c: &Caller, problems: Vec<crate::ops::OpError>) -> Result<Errors, Response> {
        let mut errors = Errors::default();
        for e in problems {
            match e.about() {
                Some((field, m)) => errors.add(field, m),
                None => return Err(failed(c, &e)),
            }
        }
        Ok(errors)
    }
}

fn form_page(c: &Caller, action: String, f: CustomerForm, errors: Errors) -> Response {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = if action.ends_with("/customers") { "New customer" } else { "Edit customer" };
    render(status, &FormPage { c: c.chrome(title), action, f, errors })
}

pub async fn new(Extension(c): Extension<Caller>) -> Response {
    form_page(&c, "/admin/customers".into(), CustomerForm::default(), Errors::default())
}

/// The store's refusal, put next to the field it is about.
fn field_error(e: &StoreError) -> Option<(&'static str, String)> {
    let text = e.to_string();
    let field = match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) if m.contains("phone") => "phone",
        StoreError::Invalid(m) if m.contains("name") => "name",
        StoreError::Invalid(m) | StoreError::Conflict(m) if m.contains("username") => "username",
        StoreError::Invalid(m) | StoreError::Conflict(m) if m.contains("MAC") => "mac",
        StoreError::Invalid(m) | StoreError::Conflict(m) if m.contains("address") => "static_ip",
        StoreError::Invalid(m) if m.contains("password") => "password",
        StoreError::NotFound(m) if m.starts_with("plan") => "plan",
        _ => return None,
    };
    Some((field, text))
}

fn check_customer(f: &CustomerForm) -> Errors {
    let mut errors = Errors::default();
    for (field, message) in crate::ops::customer_check::problems(&f.name, &f.phone, &f.email) {
        errors.add(field, message);
    }
    errors
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn create(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<CustomerForm>,
) -> Response {
    let mut errors = check_customer(&f);
    if errors.any() {
        return form_page(&c, "/admin/customers".into(), f, errors);
    }
    let store = &s.portal.store;
    let now = s.portal.clock.now();
    let made = store.create_customer_as(
        &c.actor(),
        now,
        c.tenant_id(),
        c.reseller(),
        f.name.trim(),
        opt(&f.phone),
        opt(&f.email),
        opt(&f.category),
    );
    let customer = match made {
        Ok(x) => x,
        Err(e) => match field_error(&e) {
            Some((field, m)) => {
                errors.add(field, m);
                return form_page(&c, "/admin/customers".into(), f, errors);
            }
            None => return failed(&c, &e),
        },
    };
    done(&format!("/admin/customers/{}", customer.id), &format!("Customer {} created.", customer.name))
}

#[allow(clippy::result_large_err)] // the Err is the answer, once per request
pub(super) fn mine(s: &WebState, c: &Caller, id: Id) -> Result<Option<Customer>, Response> {
    s.portal.store.customer_for(c.tenant_id(), c.reseller(), id).map_err(|e| failed(c, &e))
}

pub async fn edit(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    let x = match mine(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let f = CustomerForm {
        name: x.name,
        phone: x.phone.unwrap_or_default(),
        email: x.email.unwrap_or_default(),
        category: x.category.unwrap_or_default(),
    };
    form_page(&c, format!("/admin/customers/{id}"), f, Errors::default())
}

pub async fn update(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<CustomerForm>,
) -> Response {
    let x = match mine(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let action = format!("/admin/customers/{id}");
    let mut errors = check_customer(&f);
    let phone = opt(&f.phone).and_then(|p| crate::model::msisdn(&p));
    if errors.any() {
        return form_page(&c, action, f, errors);
    }
    let changed = Customer {
        name: f.name.trim().to_string(),
        phone,
        email: opt(&f.email),
        category: opt(&f.category).map(|c| c.to_lowercase()),
        ..x
    };
    match s.portal.store.update_customer(&c.actor(), s.portal.clock.now(), &changed) {
        Ok(()) => done(&action, "Customer saved."),
        Err(e) => match field_error(&e) {
            Some((field, m)) => {
                errors.add(field, m);
                form_page(&c, action, f, errors)
            }
            None => failed(&c, &e),
        },
    }
}

pub struct ServiceRow {
    pub id: Id,
    pub username: String,
    pub access: &'static str,
    pub plan: String,
    pub status: &'static str,
    pub expires: String,
    pub online: bool,
    pub used: String,
}

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    /// The audit page filtered to this object.
    pub link: String,
    pub before: String,
    pub after: String,
}

pub fn audit_rows(c: &Caller, items: Vec<(u64, AuditRecord)>) -> Vec<AuditRow> {
    items
        .into_iter()
        .map(|(_, r)| AuditRow {
            at: c.when(Some(r.at)),
            actor: r.actor,
            action: r.action,
            link: format!(
                "/admin/audit?{}",
                serde_urlencoded::to_string([("object", r.object.as_str())]).unwrap_or_default()
            ),
            object: r.object,
            before: c.text(r.before.as_deref().unwrap_or_default()),
            after: c.text(r.after.as_deref().unwrap_or_default()),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/customer.html")]
struct ShowPage {
    c: Chrome,
    x: Customer,
    /// The phone as the caller may see it ("-": none).
    phone: String,
    balance: String,
    services: Vec<ServiceRow>,
    payments: Vec<(String, String, String, &'static str)>,
    invoices: Vec<(String, String, String)>,
    tickets: Vec<(Id, String, String, String)>,
    audit: Vec<AuditRow>,
    /// Bytes per day over 14 days, as SVG bar heights (0..=100).
    chart: Vec<(u32, u32, String)>,
    can_edit: bool,
    can_services: bool,
    can_pay: bool,
    can_wallet: bool,
    /// Export and erasure (data protection).
    can_personal: bool,
    /// The wallet-entry form as typed, and its errors.
    wallet: WalletForm,
    errors: Errors,
    prefs: crate::model::Prefs,
    /// When the preferences (the consent record) last changed.
    consent_at: String,
    /// Recent messages, when the caller may see them.
    messages: Option<Vec<super::notify::MsgRow>>,
    cpes: Vec<super::cpe::CpePanel>,
}

#[derive(Deserialize, Default)]
pub struct WalletForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reason: String,
}

/// A credit, refund, charge or adjustment posted to the customer's wallet
/// (`ops::money::wallet_entry`, as `lango wallet post`).
pub async fn wallet(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<WalletForm>,
) -> Response {
    let x = match mine(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let now = s.portal.clock.now();
    let store = &s.portal.store;
    match crate::ops::money::wallet_entry(store, &c.actor(), now, c.tenant_id(), x.id, &f.kind, &f.amount, &f.reason) {
        Ok(balance) => {
            done(&format!("/admin/customers/{id}"), &format!("Posted; the wallet holds {}.", c.money(balance)))
        }
        Err(problems) => {
            let errors = match Errors::of(&c, problems) {
                Ok(e) => e,
                Err(r) => return r,
            };
            match show_page(&s, &c, x, Some((f, errors))).map(|p| p(Vec::new())) {
                Ok(r) => r,
                Err(e) => failed(&c, &e),
            }
        }
    }
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    let x = match mine(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    // Each service's CPE, read live from GenieACS.
    let mut cpes = Vec::new();
    for sv in s.portal.store.customer_services(c.tenant_id(), x.id).unwrap_or_default() {
        cpes.extend(super::cpe::panel(&s, &c, &sv).await);
    }
    match show_page(&s, &c, x, None).map(|p| p(cpes)) {
        Ok(r) => r,
        Err(e) => failed(&c, &e),
    }
}

fn show_page(
    s: &WebState,
    c: &Caller,
    x: Customer,
    typed: Option<(WalletForm, Errors)>,
) -> Result<impl FnOnce(Vec<super::cpe::CpePanel>) -> Response, StoreError> {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let plans = store.plans(t)?;
    let services = store.customer_services(t, x.id)?;
    let now = s.portal.clock.now();
    let mut daily = [0u64; 14];
    let day0 = now - 13 * 86_400;
    let mut rows = Vec::new();
    for sv in &services {
        let usage = store.usage(t, sv.id)?;
        let sessions = store.service_sessions(t, sv.id)?;
        for sess in &sessions {
            if sess.updated_at >= day0 {
                let d = ((sess.updated_at - day0) / 86_400).clamp(0, 13) as usize;
                daily[d] += sess.counters.bytes_in + sess.counters.bytes_out;
            }
        }
        rows.push(ServiceRow {
            id: sv.id,
            username: sv.username.clone(),
            access: sv.access.as_str(),
            plan: plans.iter().find(|p| p.id == sv.plan).map_or_else(|| "-".into(), |p| p.name.clone()),
            status: sv.status.as_str(),
            expires: c.when(sv.expires_at),
            online: sessions.iter().any(|x| x.stopped_at.is_none()),
            used: crate::model::units::show_bytes(usage.bytes_in + usage.bytes_out),
        });
    }
    let peak = daily.iter().copied().max().unwrap_or(0).max(1);
    let chart = daily
        .iter()
        .enumerate()
        .map(|(i, &b)| (i as u32 * 20, (b * 100 / peak) as u32, crate::model::units::show_bytes(b)))
        .collect();
    let payments = store
        .customer_payments(t, x.id, 20)?
        .into_iter()
        .map(|p| (c.when(Some(p.received_at)), c.money(p.amount), p.reference, p.method.as_str()))
        .collect();
    let invoices = store
        .customer_documents(t, x.id, 20)?
        .into_iter()
        .map(|d| (d.number, c.when(Some(d.issued_at)), c.money(d.gross)))
        .collect();
    let tickets = store
        .tickets(t, Some(x.id))?
        .into_iter()
        .map(|k| {
            (k.id, k.subject.clone(), if k.open { "open".into() } else { "closed".into() }, c.when(Some(k.created_at)))
        })
        .collect();
    let mut objects = vec![format!("customer/{}", x.id)];
    objects.extend(services.iter().map(|s| format!("service/{}", s.id)));
    let audit = store.audit_page(t, AuditFilter::Objects(&objects), None, 30)?;
    let prefs = store.prefs(t, x.id)?;
    let messages = match c.can(super::rbac::Perm::ViewMessages) {
        true => Some(super::notify::rows(c, store.messages(t, Some(x.id), None, 20)?)),
        false => None,
    };
    let page = ShowPage {
        c: c.chrome(x.name.clone()),
        balance: c.money(store.balance(t, x.id)?),
        phone: x.phone.as_deref().map_or_else(|| "-".into(), |p| c.phone(p)),
        x,
        services: rows,
        payments,
        invoices,
        tickets,
        audit: audit_rows(c, audit.items),
        chart,
        can_edit: c.can(super::rbac::Perm::EditCustomers),
        can_services: c.can(super::rbac::Perm::EditServices),
        can_pay: c.can(super::rbac::Perm::RecordPayments),
        can_wallet: c.can(super::rbac::Perm::AdjustWallets),
        can_personal: c.can(super::rbac::Perm::PersonalData),
        wallet: WalletForm { kind: "credit".into(), ..WalletForm::default() },
        errors: Errors::default(),
        consent_at: c.time(prefs.changed_at),
        prefs,
        messages,
        cpes: Vec::new(),
    };
    let (page, status) = match typed {
        Some((wallet, errors)) => (ShowPage { wallet, errors, ..page }, StatusCode::UNPROCESSABLE_ENTITY),
        None => (page, StatusCode::OK),
    };
    Ok(move |cpes| render(status, &ShowPage { cpes, ..page }))
}

#[derive(Deserialize, Default, Clone)]
pub struct ServiceForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub static_ip: String,
    /// Days of validity from now; empty = the plan's validity.
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub auto_renew: String,
}

#[derive(Template)]
#[template(path = "admin/service_form.html")]
struct ServiceFormPage {
    c: Chrome,
    customer: Customer,
    plans: Vec<(Id, String)>,
    f: ServiceForm,
    errors: Errors,
}

fn service_form(s: &WebState, c: &Caller, customer: Customer, f: ServiceForm, errors: Errors) -> Response {
    let plans = match s.portal.store.plans(c.tenant_id()) {
        Ok(p) => p.into_iter().filter(|p| !p.disabled).map(|p| (p.id, p.name)).collect(),
        Err(e) => return failed(c, &e),
    };
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &ServiceFormPage { c: c.chrome("New service"), customer, plans, f, errors })
}

pub async fn new_service(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match mine(&s, &c, id) {
        Ok(Some(x)) => {
            let f = ServiceForm { access: "pppoe".into(), ..Default::default() };
            service_form(&s, &c, x, f, Errors::default())
        }
        Ok(None) => not_found(&c),
        Err(r) => r,
    }
}

pub async fn create_service(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<ServiceForm>,
) -> Response {
    let customer = match mine(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let store = &s.portal.store;
    let t = c.tenant_id();
    let now = s.portal.clock.now();
    let mut errors = Errors::default();
    let plan = f.plan.parse::<Id>().ok().and_then(|p| store.plan(t, p).ok());
    if plan.is_none() {
        errors.add("plan", "Choose a plan.");
    }
    let access = AccessType::parse(&f.access);
    if access.is_none() {
        errors.add("access", "Choose pppoe, hotspot, dhcp or static.");
    }
    let mac = match f.mac.trim() {
        "" => None,
        m => Mac::parse(m).or_else(|| {
            errors.add("mac", "Not a MAC address (AA:BB:CC:DD:EE:FF).");
            None
        }),
    };
    let static_ip = match f.static_ip.trim() {
        "" => None,
        a => a.parse::<std::net::Ipv4Addr>().ok().or_else(|| {
            errors.add("static_ip", "Not an IPv4 address.");
            None
        }),
    };
    let username = match (f.username.trim(), access, mac) {
        ("", Some(AccessType::DhcpMac), Some(m)) => m.to_string(),
        ("", _, _) => {
            errors.add("username", "Type a username.");
            String::new()
        }
        (u, _, _) if u.chars().any(|ch| ch.is_whitespace() || ch.is_control()) => {
            errors.add("username", "No spaces in usernames.");
            String::new()
        }
        (u, _, _) => u.to_string(),
    };
    if access == Some(AccessType::Static) && static_ip.is_none() && !errors.0.iter().any(|(k, _)| *k == "static_ip") {
        errors.add("static_ip", "A static customer needs its address.");
    }
    let days = match f.days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) if (0..=3660).contains(&n) => Some(n),
            _ => {
                errors.add("days", "A number of days, 0 to 3660.");
                None
            }
        },
    };
    let (Some(plan), Some(access), false) = (plan, access, errors.any()) else {
        return service_form(&s, &c, customer, f, errors);
    };
    let password = if f.password.is_empty() { crate::store::random_hex(6) } else { f.password.clone() };
    let mut n = NewService::new(customer.id, plan.id, access, &username, &password);
    n.mac = mac;
    n.static_ip = static_ip;
    n.auto_renew = f.auto_renew == "on";
    n.expires_at = Some(match days {
        Some(d) => now + d * 86_400,
        None => now + plan.nominal_secs() as i64,
    });
    match store.create_service(&c.actor(), now, t, n) {
        Ok(sv) => done(
            &format!("/admin/customers/{}", customer.id),
            &format!("Service {} created (password: {password}).", sv.username),
        ),
        Err(e) => match field_error(&e) {
            Some((field, m)) => {
                errors.add(field, m);
                service_form(&s, &c, customer, f, errors)
            }
            None => failed(&c, &e),
        },
    }
}

/// Delete a customer that nothing refers to; otherwise say what keeps it.
pub async fn delete(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match mine(&s, &c, id) {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    }
    match s.portal.store.delete_customer(&c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok(x) => done("/admin/customers", &format!("Customer {} deleted.", x.name)),
        Err(e @ StoreError::Conflict(_)) => {
            super::message(Some(&c), StatusCode::CONFLICT, "Not deleted", &e.to_string())
        }
        Err(e) => failed(&c, &e),
    }
}
