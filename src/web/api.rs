//! REST API `/api/v1`: bearer tokens scoped to a tenant and a role
//! (`lango api-token create`); lists with `limit` and `after` (an id)
//! pagination; POST with `Idempotency-Key`; errors always
//! `{"error": {"code", "message", "field"}}`. The OpenAPI document is
//! served at `/api/v1/openapi.json` and CI runs schemathesis against it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::WebState;
use crate::model::*;
use crate::store::tables as T;

const MAX_LIMIT: usize = 500;
const ACTOR: &str = "api";

pub fn routes() -> axum::Router<WebState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/customers", get(customers).post(create_customer))
        .route("/api/v1/customers/{id}", get(customer))
        .route("/api/v1/services", get(services).post(create_service))
        .route("/api/v1/plans", get(plans))
        .route("/api/v1/payments", get(payments).post(create_payment))
        .route("/api/v1/sessions", get(sessions))
        .route("/api/v1/invoices", get(invoices))
        .route("/api/v1/vouchers", get(vouchers))
        .route("/api/v1/vouchers/{id}", get(voucher_batch))
}

fn error(status: StatusCode, code: &str, message: impl Into<String>, field: Option<&str>) -> Response {
    let body = json!({ "error": { "code": code, "message": message.into(), "field": field } });
    (status, Json(body)).into_response()
}

/// Who may read: every API token role.
const READ: &[Role] = &[Role::TenantAdmin, Role::Operator, Role::Cashier, Role::ReadOnly];
/// Who may create customers and services.
const PEOPLE: &[Role] = &[Role::TenantAdmin, Role::Operator];
/// Who may record payments.
const MONEY: &[Role] = &[Role::TenantAdmin, Role::Cashier];

/// The caller's token, or the answer refusing it (401 without a valid
/// token, 403 when its role is not among `allowed`).
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn caller(s: &WebState, headers: &HeaderMap, allowed: &[Role]) -> Result<ApiToken, Response> {
    let token = super::bearer(headers);
    let found = if token.is_empty() { Ok(None) } else { s.portal.store.api_token(token) };
    match found {
        Ok(Some(t)) if !allowed.contains(&t.role) => {
            Err(error(StatusCode::FORBIDDEN, "forbidden", format!("the {} role cannot do this", t.role.as_str()), None))
        }
        Ok(Some(t)) => {
            note_used(s, token);
            Ok(t)
        }
        Ok(None) => Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is required", None)),
        Err(e) => Err(internal(&e)),
    }
}

/// When each token was last noted as used (in memory), so that "last
/// used" costs one small write a minute per token, not one per request.
static NOTED: std::sync::Mutex<Option<std::collections::HashMap<String, i64>>> = std::sync::Mutex::new(None);

fn note_used(s: &WebState, token: &str) {
    let now = s.portal.clock.now();
    let key = crate::store::sha256_hex(token);
    {
        let mut g = NOTED.lock().unwrap_or_else(|e| e.into_inner());
        let map = g.get_or_insert_with(Default::default);
        if map.get(&key).is_some_and(|at| now - at < 60) {
            return;
        }
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(key, now);
    }
    if let Err(e) = s.portal.store.note_api_token_used(token, now) {
        tracing::warn!(error = %e, "noting an API token's use");
    }
}

fn internal(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "api");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side", None)
}

#[derive(Deserialize)]
struct Page {
    limit: Option<String>,
    after: Option<String>,
}

/// A query string that does not parse (a repeated parameter, say) is a
/// 400 in the API's error shape.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn paging(q: Result<Query<Page>, QueryRejection>) -> Result<(usize, u64), Response> {
    match q {
        Ok(Query(p)) => page(&p),
        Err(e) => Err(error(StatusCode::BAD_REQUEST, "invalid", e.body_text(), None)),
    }
}

/// `limit` 1..=500 (default 50) and `after` (the last id of the previous
/// page), or a 400 naming the parameter.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn page(q: &Page) -> Result<(usize, u64), Response> {
    let limit = match q.limit.as_deref() {
        None => 50,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => return Err(error(StatusCode::BAD_REQUEST, "invalid", "limit must be 1 to 500", Some("limit"))),
        },
    };
    let after = match q.after.as_deref() {
        None => 0,
        Some(a) => match a.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return Err(error(StatusCode::BAD_REQUEST, "invalid", "after must be an id", Some("after"))),
        },
    };
    Ok((limit, after))
}

/// One page of `items` (sorted by id) after `after`.
fn listing<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> u64,
    show: impl Fn(&T) -> Value,
    (limit, after): (usize, u64),
) -> Response {
    let mut rest: Vec<&T> = items.iter().filter(|i| id(i) > after).collect();
    rest.sort_by_key(|i| id(i));
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = if more { rest.last().map(|i| id(i)) } else { None };
    let items: Vec<Value> = rest.into_iter().map(show).collect();
    Json(json!({ "items": items, "next": next })).into_response()
}

/// One page read from a `(tenant, id)` table (only the rows shown are read).
fn table_page<T: crate::store::codec::Stored>(
    s: &WebState,
    tenant: TenantId,
    table: redb::TableDefinition<(u32, u64), &[u8]>,
    id: impl Fn(&T) -> u64,
    show: impl Fn(&T) -> Value,
    (limit, after): (usize, u64),
) -> Response {
    match s.portal.store.page_after::<T>(table, tenant, after, limit) {
        Ok((items, more)) => {
            let next = if more { items.last().map(&id) } else { None };
            let items: Vec<Value> = items.iter().map(show).collect();
            Json(json!({ "items": items, "next": next })).into_response()
        }
        Err(e) => internal(&e),
    }
}

macro_rules! list_handler {
    ($name:ident, $table:expr, $t:ty, $id:expr, $show:expr) => {
        async fn $name(
            State(s): State<WebState>,
            headers: HeaderMap,
            q: Result<Query<Page>, QueryRejection>,
        ) -> Response {
            let t = match caller(&s, &headers, READ) {
                Ok(t) => t,
                Err(r) => return r,
            };
            match paging(q) {
                Ok(p) => table_page::<$t>(&s, t.tenant, $table, $id, $show, p),
                Err(r) => r,
            }
        }
    };
}

fn show_customer(c: &Customer) -> Value {
    json!({ "id": c.id, "name": c.name, "phone": c.phone, "email": c.email, "category": c.category, "created_at": c.created_at })
}

list_handler!(customers, T::CUSTOMERS, Customer, |c: &Customer| c.id, show_customer);
fn show_service(v: &Service) -> Value {
    json!({
        "id": v.id, "customer": v.customer, "plan": v.plan, "type": v.access.as_str(), "username": v.username,
        "status": v.status.as_str(), "expires_at": v.expires_at, "mac": v.mac.map(|m| m.to_string()),
        "static_ip": v.static_ip.map(|i| i.to_string()),
    })
}
list_handler!(services, T::SERVICES, Service, |v: &Service| v.id, show_service);
list_handler!(plans, T::PLANS, Plan, |p: &Plan| p.id, |p: &Plan| json!({
    "id": p.id, "name": p.name, "validity": p.validity.to_string(), "price": p.price,
    "rate": p.rate.map(|r| r.to_string()), "quota_bytes": p.quota_bytes,
    "simultaneous_use": p.simultaneous_use, "disabled": p.disabled,
}));
fn show_payment(p: &Payment) -> Value {
    json!({
        "id": p.id, "customer": p.customer, "amount": p.amount, "method": p.method.as_str(),
        "reference": p.reference, "received_at": p.received_at,
        "status": format!("{:?}", p.status).to_lowercase(),
    })
}
list_handler!(payments, T::PAYMENTS, Payment, |p: &Payment| p.id, show_payment);
list_handler!(invoices, T::INVOICES, Invoice, |d: &Invoice| d.id, |d: &Invoice| json!({
    "id": d.id, "number": d.number, "kind": format!("{:?}", d.kind).to_lowercase(), "customer": d.customer,
    "issued_at": d.issued_at, "net": d.net, "tax": d.tax, "gross": d.gross, "due_at": d.due_at, "paid_at": d.paid_at,
}));

fn show_batch(b: &VoucherBatch) -> Value {
    json!({
        "id": b.id, "plan": b.plan, "prefix": b.prefix, "count": b.count, "created_at": b.created_at,
        "valid_until": b.valid_until, "reseller": b.reseller,
    })
}

list_handler!(vouchers, T::VOUCHER_BATCHES, VoucherBatch, |b: &VoucherBatch| b.id, show_batch);

/// What became of one voucher: unused (still valid or past its last day),
/// in use, used up, or stopped by an admin.
fn voucher_state(v: &Service, now: UnixTime) -> &'static str {
    match (v.status, v.expires_at) {
        (ServiceStatus::Disabled, None) => "expired_unused",
        (ServiceStatus::Active, None) => "unused",
        (ServiceStatus::Active, Some(e)) if e > now => "active",
        (ServiceStatus::Active, Some(_)) => "expired",
        (ServiceStatus::Suspended, _) => "suspended",
        (ServiceStatus::Disabled, Some(_)) => "disabled",
    }
}

/// One batch with its codes and their states (never their passwords).
async fn voucher_batch(State(s): State<WebState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let t = match caller(&s, &headers, READ) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<Id>() else {
        return error(StatusCode::BAD_REQUEST, "invalid", "id must be a number", Some("id"));
    };
    let now = s.portal.clock.now();
    match s.portal.store.voucher_batch(t.tenant, id) {
        Ok((b, codes)) => {
            let mut v = show_batch(&b);
            v["vouchers"] = codes
                .iter()
                .map(|x| {
                    json!({
                        "service": x.id, "code": x.username, "state": voucher_state(x, now),
                        "expires_at": x.expires_at, "mac": x.mac.map(|m| m.to_string()),
                    })
                })
                .collect();
            Json(v).into_response()
        }
        // Another tenant's batch is simply not found.
        Err(crate::store::StoreError::NotFound(_)) => {
            error(StatusCode::NOT_FOUND, "not_found", format!("no voucher batch {id}"), None)
        }
        Err(e) => internal(&e),
    }
}

async fn sessions(State(s): State<WebState>, headers: HeaderMap, q: Result<Query<Page>, QueryRejection>) -> Response {
    let t = match caller(&s, &headers, READ) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let (limit, after) = match paging(q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    // Sessions have no id of their own: they are numbered by start time
    // order here, and `after` counts positions.
    let mut all = match s.portal.store.tenant_active_sessions(t.tenant) {
        Ok(a) => a,
        Err(e) => return internal(&e),
    };
    all.sort_by(|a, b| (a.started_at, &a.acct_session_id).cmp(&(b.started_at, &b.acct_session_id)));
    let numbered: Vec<(u64, Session)> = all.into_iter().enumerate().map(|(i, x)| (i as u64 + 1, x)).collect();
    listing(
        numbered,
        |(n, _)| *n,
        |(n, x)| {
            json!({
                "position": n, "nas": x.nas, "session_id": x.acct_session_id, "username": x.username, "service": x.service,
                "framed_ip": x.framed_ip.map(|i| i.to_string()), "started_at": x.started_at,
                "bytes_in": x.counters.bytes_in, "bytes_out": x.counters.bytes_out,
            })
        },
        (limit, after),
    )
}

async fn customer(State(s): State<WebState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let t = match caller(&s, &headers, READ) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<Id>() else {
        return error(StatusCode::BAD_REQUEST, "invalid", "id must be a number", Some("id"));
    };
    // Another tenant's id is simply not found.
    match s.portal.store.customer_for(t.tenant, None, id) {
        Ok(Some(c)) => Json(show_customer(&c)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", format!("no customer {id}"), None),
        Err(e) => internal(&e),
    }
}

#[derive(Deserialize)]
struct NewCustomer {
    name: String,
    phone: Option<String>,
    category: Option<String>,
}

async fn create_customer(State(s): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let t = match caller(&s, &headers, PEOPLE) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let n: NewCustomer = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            let field = ["name", "phone", "category"].into_iter().find(|f| e.to_string().contains(f));
            return error(StatusCode::BAD_REQUEST, "invalid", format!("the body is not a customer: {e}"), field);
        }
    };
    let (key, request) = match replay(&s, t.tenant, &headers, &body) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let now = s.portal.clock.now();
    let made = s.portal.store.api_create_customer(
        ACTOR,
        now,
        t.tenant,
        &n.name,
        n.phone,
        n.category,
        key.map(|k| (k, request.as_str())),
        |c| show_customer(c).to_string(),
    );
    match made {
        Ok((_, body)) => (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(crate::store::StoreError::Invalid(m)) => {
            let field = if m.contains("phone") { "phone" } else { "name" };
            error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m, Some(field))
        }
        Err(e) => internal(&e),
    }
}

/// The request's Idempotency-Key and body; or, when the key was seen
/// before, the first answer (same body) or a 422 (another body).
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn replay<'h>(
    s: &WebState,
    tenant: TenantId,
    headers: &'h HeaderMap,
    body: &Bytes,
) -> Result<(Option<&'h str>, String), Response> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > 200) {
        return Err(error(StatusCode::BAD_REQUEST, "invalid", "Idempotency-Key is longer than 200 characters", None));
    }
    let request = String::from_utf8_lossy(body).to_string();
    if let Some(k) = key {
        match s.portal.store.remembered(tenant, k) {
            Ok(Some(r)) if r.request == request => {
                let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::CREATED);
                return Err((status, [(header::CONTENT_TYPE, "application/json")], r.body).into_response());
            }
            Ok(Some(_)) => {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_conflict",
                    "this Idempotency-Key was used with another body",
                    None,
                ));
            }
            Ok(None) => {}
            Err(e) => return Err(internal(&e)),
        }
    }
    Ok((key, request))
}

/// A JSON body, or a 400 naming the field serde complained about.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn body_of<T: serde::de::DeserializeOwned>(body: &Bytes, what: &str, fields: &[&'static str]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        let field = fields.iter().copied().find(|f| text.contains(&format!("`{f}`")));
        error(StatusCode::BAD_REQUEST, "invalid", format!("the body is not {what}: {e}"), field)
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewServiceBody {
    customer: Id,
    plan: Id,
    #[serde(rename = "type")]
    access: String,
    username: String,
    password: Option<String>,
    mac: Option<String>,
    static_ip: Option<String>,
    expires_at: Option<UnixTime>,
}

/// A login for an existing customer; the password is made up when absent
/// and returned once in the answer.
async fn create_service(State(s): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let t = match caller(&s, &headers, PEOPLE) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let fields = ["customer", "plan", "type", "username", "password", "mac", "static_ip", "expires_at"];
    let n: NewServiceBody = match body_of(&body, "a service", &fields) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let (key, request) = match replay(&s, t.tenant, &headers, &body) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let bad = |field: &str, m: &str| error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.to_string(), Some(field));
    let Some(access) = AccessType::parse(&n.access) else {
        return bad("type", "type must be pppoe, hotspot, dhcp or static");
    };
    let mac = match n.mac.as_deref().map(Mac::parse) {
        Some(None) => return bad("mac", "mac is not a MAC address"),
        m => m.flatten(),
    };
    let static_ip = match n.static_ip.as_deref().map(str::parse::<std::net::Ipv4Addr>) {
        Some(Err(_)) => return bad("static_ip", "static_ip is not an IPv4 address"),
        a => a.and_then(Result::ok),
    };
    let username = n.username.trim();
    if username.is_empty() || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("username", "username must be non-empty, without spaces");
    }
    if access == AccessType::Static && static_ip.is_none() {
        return bad("static_ip", "a static service needs static_ip");
    }
    let store = &s.portal.store;
    let now = s.portal.clock.now();
    let plan = match store.plan(t.tenant, n.plan) {
        Ok(p) => p,
        Err(_) => return bad("plan", "no such plan"),
    };
    let password = n.password.clone().unwrap_or_else(|| crate::store::random_hex(6));
    let mut new = crate::store::NewService::new(n.customer, plan.id, access, username, &password);
    new.mac = mac;
    new.static_ip = static_ip;
    new.expires_at = Some(n.expires_at.unwrap_or(now + plan.nominal_secs() as i64));
    let made = store.api_create_service(ACTOR, now, t.tenant, new, key.map(|k| (k, request.as_str())), |v| {
        let mut out = show_service(v);
        out["password"] = json!(password);
        out.to_string()
    });
    match made {
        Ok(body) => (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(crate::store::StoreError::NotFound(m)) if m.starts_with("customer") => bad("customer", "no such customer"),
        Err(crate::store::StoreError::NotFound(m)) if m.starts_with("plan") => bad("plan", "no such plan"),
        Err(crate::store::StoreError::Conflict(m) | crate::store::StoreError::Invalid(m)) => {
            let field =
                ["username", "MAC", "address", "password"].into_iter().find(|f| m.contains(f)).unwrap_or("username");
            let field = match field {
                "MAC" => "mac",
                "address" => "static_ip",
                f => f,
            };
            error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m, Some(field))
        }
        Err(e) => internal(&e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPaymentBody {
    customer: Id,
    /// Minor units (cents).
    amount: i64,
    method: String,
    reference: Option<String>,
}

/// Money received outside M-Pesa (cash, bank transfer), credited to the
/// customer's wallet with a receipt. With an Idempotency-Key it is
/// recorded once: the key is also the payment's provider reference.
async fn create_payment(State(s): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let t = match caller(&s, &headers, MONEY) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let n: NewPaymentBody = match body_of(&body, "a payment", &["customer", "amount", "method", "reference"]) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let (key, request) = match replay(&s, t.tenant, &headers, &body) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let bad = |field: &str, m: &str| error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.to_string(), Some(field));
    let method = match n.method.as_str() {
        "cash" => PaymentMethod::Cash,
        "manual" => PaymentMethod::Manual,
        _ => return bad("method", "method must be cash or manual (a bank transfer)"),
    };
    if !(1..=100_000_000_000).contains(&n.amount) {
        return bad("amount", "amount must be 1 to 100000000000 (minor units)");
    }
    let reference = n.reference.clone().unwrap_or_default();
    if reference.chars().count() > 100 {
        return bad("reference", "reference is longer than 100 characters");
    }
    let store = &s.portal.store;
    match store.customer_for(t.tenant, None, n.customer) {
        Ok(Some(_)) => {}
        Ok(None) => return bad("customer", "no such customer"),
        Err(e) => return internal(&e),
    }
    let now = s.portal.clock.now();
    let refs = key.map(|k| vec![format!("api:{k}")]).unwrap_or_default();
    let reference = if reference.is_empty() { format!("{} via API", method.as_str()) } else { reference };
    let applied =
        crate::ops::money::record_payment(store, ACTOR, now, t.tenant, n.customer, method, n.amount, reference, refs);
    let id = match applied {
        Ok(crate::store::Applied::Credited { payment, .. }) => payment.id,
        Ok(crate::store::Applied::Unmatched(payment)) => payment.id,
        Ok(crate::store::Applied::Duplicate(id)) => id,
        Ok(crate::store::Applied::Queued(seq)) => {
            let body = serde_json::json!({ "queued": seq }).to_string();
            return (StatusCode::ACCEPTED, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        Err(e) => return internal(&e),
    };
    let body = match store.payment(t.tenant, id) {
        Ok(Some(p)) => show_payment(&p).to_string(),
        Ok(None) => return internal(&"the payment just recorded is missing"),
        Err(e) => return internal(&e),
    };
    if let Some(k) = key
        && let Err(e) = store.remember(t.tenant, k, 201, &request, &body)
    {
        return internal(&e);
    }
    (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "max-age=300")], include_str!("openapi.json"))
        .into_response()
}
