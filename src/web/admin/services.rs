//! One service's page: what it is, its sessions and history, and what an
//! admin does to it — renew from the customer's wallet (optionally onto
//! another plan, the unused part of the old one credited), set the expiry
//! by hand (tenant admins only), give it a new password, and change its
//! MAC, static address or plan outside a renewal (`ops::services`, as
//! `lango service edit`). A reseller
//! reaches only its own customers' services; others answer 404.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::{AuditRow, Errors, ServiceRow, audit_rows, mine};
use super::rbac::Perm;
use super::{Caller, Chrome, ListQuery, PAGE, csv_response, done, failed, message, not_found, render};
use crate::model::*;
use crate::store::AuditFilter;
use crate::web::WebState;

/// The service `id` of the caller's tenant (and reseller), with its customer.
#[allow(clippy::result_large_err)] // the Err is the page to answer with, once per request
fn service_of(s: &WebState, c: &Caller, id: Id) -> Result<Option<(Service, Customer)>, Response> {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let Some(sv) = store.service(t, id).map_err(|e| failed(c, &e))? else { return Ok(None) };
    let customer = store.customer_for(t, c.reseller(), sv.customer).map_err(|e| failed(c, &e))?;
    Ok(customer.map(|x| (sv, x)))
}

#[derive(Template)]
#[template(path = "admin/service.html")]
struct ServicePage {
    c: Chrome,
    sv: Service,
    customer: Customer,
    plan: String,
    plans: Vec<(Id, String, String)>,
    expires: String,
    expires_input: String,
    used: String,
    balance: String,
    sessions: Vec<(String, String, String, String)>,
    audit: Vec<AuditRow>,
    can_renew: bool,
    can_expiry: bool,
    can_edit: bool,
    new_password: Option<String>,
    /// The access form as typed (the stored values on a first view).
    access: AccessForm,
    errors: Errors,
    /// The CPE installed on it, read live from GenieACS.
    cpe: Option<super::cpe::CpePanel>,
}

#[derive(Deserialize, Default)]
pub struct AccessForm {
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub ip: String,
    #[serde(default)]
    pub plan: String,
    /// Framed-Route values, one per line; absent keeps them.
    #[serde(default)]
    pub routes: Option<String>,
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    let cpe = match service_of(&s, &c, id) {
        Ok(Some((sv, _))) => super::cpe::panel(&s, &c, &sv).await,
        _ => None,
    };
    page(&s, &c, id, None, None, cpe)
}

fn page(
    s: &WebState,
    c: &Caller,
    id: Id,
    new_password: Option<String>,
    typed: Option<(AccessForm, Errors)>,
    cpe: Option<super::cpe::CpePanel>,
) -> Response {
    let (sv, customer) = match service_of(s, c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(c),
        Err(r) => return r,
    };
    let store = &s.portal.store;
    let t = c.tenant_id();
    let plans = store.plans(t).unwrap_or_default();
    let usage = store.usage(t, sv.id).unwrap_or_default();
    let mut sessions = store.service_sessions(t, sv.id).unwrap_or_default();
    sessions.sort_by_key(|x| std::cmp::Reverse(x.started_at));
    let sessions = sessions
        .iter()
        .take(20)
        .map(|x| {
            (
                c.time(x.started_at),
                x.stopped_at.map_or_else(|| "online".into(), |at| c.time(at)),
                x.framed_ip.map(|i| i.to_string()).unwrap_or_default(),
                crate::model::units::show_bytes(x.counters.bytes_in + x.counters.bytes_out),
            )
        })
        .collect();
    let objects = [format!("service/{}", sv.id)];
    let audit = match store.audit_page(t, AuditFilter::Objects(&objects), None, 30) {
        Ok(p) => audit_rows(c, p.items),
        Err(e) => return failed(c, &e),
    };
    let expires_input = sv
        .expires_at
        .and_then(|e| jiff::Timestamp::from_second(e).ok())
        .map(|ts| ts.to_zoned_datetime(crate::clock::Clock::zone(c.zone())).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let (access, errors) = typed.unwrap_or_else(|| {
        let f = AccessForm {
            mac: sv.mac.map(|m| m.to_string()).unwrap_or_default(),
            ip: sv.static_ip.map(|a| a.to_string()).unwrap_or_default(),
            plan: sv.plan.to_string(),
            routes: Some(sv.framed_routes.join("\n")),
        };
        (f, Errors::default())
    });
    let view = ServicePage {
        c: c.chrome(sv.username.clone()),
        plan: plans.iter().find(|p| p.id == sv.plan).map_or_else(|| "-".into(), |p| p.name.clone()),
        plans: plans
            .iter()
            .filter(|p| !p.disabled || p.id == sv.plan)
            .map(|p| (p.id, p.name.clone(), c.money(p.price)))
            .collect(),
        expires: sv.expires_at.map_or_else(|| "from first use".into(), |e| c.time(e)),
        expires_input,
        used: crate::model::units::show_bytes(usage.bytes_in + usage.bytes_out),
        balance: c.money(store.balance(t, customer.id).unwrap_or(0)),
        sessions,
        audit,
        can_renew: c.can(Perm::RecordPayments),
        can_expiry: c.can(Perm::SetExpiry),
        can_edit: c.can(Perm::EditServices),
        new_password,
        access,
        errors,
        cpe,
        sv,
        customer,
    };
    let status = if view.errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &view)
}

#[derive(Deserialize)]
pub struct RenewForm {
    #[serde(default)]
    plan: String,
}

pub async fn renew(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<RenewForm>,
) -> Response {
    let (sv, customer) = match service_of(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let store = &s.portal.store;
    let t = c.tenant_id();
    let plan = match f.plan.trim() {
        "" => None,
        p => match p.parse::<Id>().ok().and_then(|p| store.plan(t, p).ok()) {
            Some(plan) => Some(plan.id).filter(|&p| p != sv.plan),
            None => {
                return message(
                    Some(&c),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Not renewed",
                    "Choose a plan from the list.",
                );
            }
        },
    };
    match store.renew_service_from_wallet(&c.actor(), s.portal.clock.now(), t, sv.id, plan) {
        Ok(Some((sv, doc))) => {
            let until = sv.expires_at.map_or_else(String::new, |e| c.time(e));
            done(
                &format!("/admin/services/{id}"),
                &format!("Renewed until {until}; receipt {} for {}.", doc.number, c.money(doc.gross)),
            )
        }
        Ok(None) => {
            let text = format!(
                "{}'s wallet holds {}, less than the price. Record a payment first.",
                customer.name,
                c.money(store.balance(t, customer.id).unwrap_or(0))
            );
            message(Some(&c), StatusCode::CONFLICT, "Not renewed", &text)
        }
        Err(e @ crate::store::StoreError::Invalid(_)) => {
            message(Some(&c), StatusCode::CONFLICT, "Not renewed", &e.to_string())
        }
        Err(e) => failed(&c, &e),
    }
}

#[derive(Deserialize)]
pub struct ExpiryForm {
    #[serde(default)]
    expires: String,
}

pub async fn expiry(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<ExpiryForm>,
) -> Response {
    let (sv, _) = match service_of(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let Some(at) = crate::import::parse_local(c.zone(), &f.expires) else {
        let text = format!("{:?} is not a date: use YYYY-MM-DD or YYYY-MM-DD HH:MM.", f.expires.trim());
        return message(Some(&c), StatusCode::UNPROCESSABLE_ENTITY, "Expiry not changed", &text);
    };
    match s.portal.store.set_service_expiry(&c.actor(), s.portal.clock.now(), c.tenant_id(), &sv.username, Some(at)) {
        Ok(_) => done(&format!("/admin/services/{id}"), &format!("Expiry set to {}.", c.time(at))),
        Err(e) => failed(&c, &e),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// A new login password (typed, or made up when left empty), shown once.
pub async fn password(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<PasswordForm>,
) -> Response {
    let (sv, _) = match service_of(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let password = if f.password.is_empty() { crate::store::random_hex(6) } else { f.password.clone() };
    if password.len() > 128 || password.chars().any(char::is_control) {
        return message(
            Some(&c),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Password not changed",
            "At most 128 characters, no control characters.",
        );
    }
    match s.portal.store.set_service_password(&c.actor(), s.portal.clock.now(), c.tenant_id(), &sv.username, &password)
    {
        Ok(()) => page(&s, &c, id, Some(password), None, None),
        Err(e) => failed(&c, &e),
    }
}

/// MAC, static address, routed subnets and plan, outside a renewal: no
/// money moves; online sessions get a CoA or a Disconnect (the CoA planner
/// decides) to pick the change up.
pub async fn access(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<AccessForm>,
) -> Response {
    let (sv, _) = match service_of(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let input = crate::ops::services::EditInput {
        mac: Some(f.mac.clone()),
        ip: Some(f.ip.clone()),
        plan: Some(f.plan.clone()),
        expect: None,
        routes: f.routes.clone(),
    };
    match crate::ops::services::edit(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), &sv, &input) {
        Ok(after) if after == sv => done(&format!("/admin/services/{id}"), "Nothing changed."),
        Ok(_) => done(
            &format!("/admin/services/{id}"),
            "Saved; online sessions were disconnected or changed in place (CoA) to pick up the change.",
        ),
        Err(problems) => {
            let errors = match Errors::of(&c, problems) {
                Ok(e) => e,
                Err(r) => return r,
            };
            page(&s, &c, id, None, Some((f, errors)), None)
        }
    }
}

#[derive(Deserialize)]
pub struct StkForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    plan: String,
}

/// An M-Pesa prompt (STK Push) to the customer's phone to renew the
/// service (on its plan or another): the money arrives through the usual
/// callback and renews it; nothing is recorded here.
pub async fn stk(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<StkForm>,
) -> Response {
    let (sv, customer) = match service_of(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let store = &s.portal.store;
    let t = c.tenant_id();
    let plan_id = f.plan.trim().parse::<Id>().unwrap_or(sv.plan);
    let Ok(plan) = store.plan(t, plan_id) else {
        return message(Some(&c), StatusCode::UNPROCESSABLE_ENTITY, "No prompt sent", "Choose a plan from the list.");
    };
    let phone = match f.phone.trim() {
        "" => customer.phone.clone().unwrap_or_default(),
        p => p.to_string(),
    };
    let purchase = Purchase::Renew { service: sv.id, plan: plan.id };
    match s.payments.stk_push(t, customer.id, purchase, plan.price, &phone, &sv.username).await {
        Ok(req) => done(
            &format!("/admin/services/{id}"),
            &format!(
                "M-Pesa prompt for {} sent to {}; the service renews when it is paid (checkout {}).",
                c.money(plan.price),
                req.phone,
                req.checkout_id
            ),
        ),
        Err(e) => {
            let text = format!("{} ({e})", e.customer_message());
            message(Some(&c), StatusCode::CONFLICT, "No prompt sent", &text)
        }
    }
}

// ---- the services list, and suspend / reactivate ------------------------------

#[derive(Template)]
#[template(path = "admin/services.html")]
struct ServicesPage {
    c: Chrome,
    q: String,
    rows: Vec<(Id, ServiceRow)>,
    next: Option<String>,
    csv: String,
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>, Query(q): Query<ListQuery>) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    // A reseller sees the services of its own customers.
    let page = if let Some(r) = c.reseller() {
        let mut items = Vec::new();
        let customers = match store.customer_page(t, Some(r), "", None, usize::MAX) {
            Ok(p) => p.items,
            Err(e) => return failed(&c, &e),
        };
        for x in customers {
            items.extend(store.customer_services(t, x.id).unwrap_or_default());
        }
        let needle = q.q.trim().to_lowercase();
        items.retain(|s| needle.is_empty() || s.username.to_lowercase().contains(&needle));
        crate::store::Page { items, next: None }
    } else {
        let limit = if q.csv() { usize::MAX } else { PAGE };
        match store.service_page(t, &q.q, q.before(), limit) {
            Ok(p) => p,
            Err(e) => return failed(&c, &e),
        }
    };
    let plans = store.plans(t).unwrap_or_default();
    let plan_name = |id: Id| plans.iter().find(|p| p.id == id).map_or_else(|| "-".into(), |p| p.name.clone());
    if q.csv() {
        let rows = page.items.iter().map(|sv| {
            vec![
                sv.id.to_string(),
                sv.customer.to_string(),
                sv.username.clone(),
                sv.access.as_str().into(),
                plan_name(sv.plan),
                sv.status.as_str().into(),
                c.when(sv.expires_at),
            ]
        });
        return csv_response("services", &["id", "customer", "username", "access", "plan", "status", "expires"], rows);
    }
    let rows = page
        .items
        .iter()
        .map(|sv| {
            let row = ServiceRow {
                id: sv.id,
                username: sv.username.clone(),
                access: sv.access.as_str(),
                plan: plan_name(sv.plan),
                status: sv.status.as_str(),
                expires: c.when(sv.expires_at),
                online: s.radius.online.count(t, sv.id) > 0,
                used: String::new(),
            };
            (sv.customer, row)
        })
        .collect();
    let view = ServicesPage {
        c: c.chrome("Services"),
        next: q.next_link("/admin/services", page.next),
        csv: q.csv_link("/admin/services"),
        q: q.q,
        rows,
    };
    render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

/// Suspend, disable or reactivate a service; a service that stops being
/// usable loses its sessions at once (Disconnect through the outbox).
pub async fn status(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<StatusForm>,
) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let Ok(sv) = store.service_view(t, id).map(|v| v.service) else { return not_found(&c) };
    if !matches!(mine(&s, &c, sv.customer), Ok(Some(_))) {
        return not_found(&c);
    }
    let status = match f.status.as_str() {
        "active" => ServiceStatus::Active,
        "suspended" => ServiceStatus::Suspended,
        "disabled" => ServiceStatus::Disabled,
        _ => {
            return super::message(
                Some(&c),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unknown status",
                "Use active, suspended or disabled.",
            );
        }
    };
    match store.set_service_status(&c.actor(), s.portal.clock.now(), t, &sv.username, status) {
        Ok(_) => done(
            &format!("/admin/customers/{}", sv.customer),
            &format!("Service {} is now {}.", sv.username, status.as_str()),
        ),
        Err(e) => failed(&c, &e),
    }
}
