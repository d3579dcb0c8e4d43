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

const MAX_LIMIT: usize = 500;
const ACTOR: &str = "api";

pub fn routes() -> axum::Router<WebState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/customers", get(customers).post(create_customer))
        .route("/api/v1/customers/{id}", get(customer))
        .route("/api/v1/services", get(services))
        .route("/api/v1/plans", get(plans))
        .route("/api/v1/payments", get(payments))
        .route("/api/v1/sessions", get(sessions))
        .route("/api/v1/invoices", get(invoices))
        .route("/api/v1/vouchers", get(vouchers))
        .route("/api/v1/vouchers/{id}", get(voucher_batch))
}

fn error(status: StatusCode, code: &str, message: impl Into<String>, field: Option<&str>) -> Response {
    let body = json!({ "error": { "code": code, "message": message.into(), "field": field } });
    (status, Json(body)).into_response()
}

/// The caller's token, or the answer refusing it.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn caller(s: &WebState, headers: &HeaderMap, write: bool) -> Result<ApiToken, Response> {
    let token = super::bearer(headers);
    let found = if token.is_empty() { Ok(None) } else { s.portal.store.api_token(token) };
    match found {
        Ok(Some(t)) if write && !matches!(t.role, Role::TenantAdmin | Role::Operator) => {
            Err(error(StatusCode::FORBIDDEN, "forbidden", format!("the {:?} role cannot change data", t.role), None))
        }
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is required", None)),
        Err(e) => Err(internal(&e)),
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

macro_rules! list_handler {
    ($name:ident, $load:expr, $id:expr, $show:expr) => {
        async fn $name(
            State(s): State<WebState>,
            headers: HeaderMap,
            q: Result<Query<Page>, QueryRejection>,
        ) -> Response {
            let t = match caller(&s, &headers, false) {
                Ok(t) => t,
                Err(r) => return r,
            };
            let p = match paging(q) {
                Ok(p) => p,
                Err(r) => return r,
            };
            match $load(&s, t.tenant) {
                Ok(items) => listing(items, $id, $show, p),
                Err(e) => internal(&e),
            }
        }
    };
}

fn show_customer(c: &Customer) -> Value {
    json!({ "id": c.id, "name": c.name, "phone": c.phone, "email": c.email, "category": c.category, "created_at": c.created_at })
}

list_handler!(customers, |s: &WebState, t| s.portal.store.customers(t), |c: &Customer| c.id, show_customer);
list_handler!(services, |s: &WebState, t| s.portal.store.services(t), |v: &Service| v.id, |v: &Service| json!({
    "id": v.id, "customer": v.customer, "plan": v.plan, "type": v.access.as_str(), "username": v.username,
    "status": v.status.as_str(), "expires_at": v.expires_at, "mac": v.mac.map(|m| m.to_string()),
    "static_ip": v.static_ip.map(|i| i.to_string()),
}));
list_handler!(plans, |s: &WebState, t| s.portal.store.plans(t), |p: &Plan| p.id, |p: &Plan| json!({
    "id": p.id, "name": p.name, "validity": p.validity.to_string(), "price": p.price,
    "rate": p.rate.map(|r| r.to_string()), "quota_bytes": p.quota_bytes,
    "simultaneous_use": p.simultaneous_use, "disabled": p.disabled,
}));
list_handler!(payments, |s: &WebState, t| s.portal.store.payments(t), |p: &Payment| p.id, |p: &Payment| json!({
    "id": p.id, "customer": p.customer, "amount": p.amount, "method": p.method.as_str(),
    "reference": p.reference, "received_at": p.received_at,
    "status": format!("{:?}", p.status).to_lowercase(),
}));
list_handler!(invoices, |s: &WebState, t| s.portal.store.documents(t), |d: &Invoice| d.id, |d: &Invoice| json!({
    "id": d.id, "number": d.number, "kind": format!("{:?}", d.kind).to_lowercase(), "customer": d.customer,
    "issued_at": d.issued_at, "net": d.net, "tax": d.tax, "gross": d.gross, "due_at": d.due_at, "paid_at": d.paid_at,
}));

fn show_batch(b: &VoucherBatch) -> Value {
    json!({
        "id": b.id, "plan": b.plan, "prefix": b.prefix, "count": b.count, "created_at": b.created_at,
        "valid_until": b.valid_until, "reseller": b.reseller,
    })
}

list_handler!(vouchers, |s: &WebState, t| s.portal.store.voucher_batches(t), |b: &VoucherBatch| b.id, show_batch);

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
    let t = match caller(&s, &headers, false) {
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
    let t = match caller(&s, &headers, false) {
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
    let t = match caller(&s, &headers, false) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<Id>() else {
        return error(StatusCode::BAD_REQUEST, "invalid", "id must be a number", Some("id"));
    };
    // Another tenant's id is simply not found.
    match s.portal.store.customers(t.tenant) {
        Ok(all) => match all.iter().find(|c| c.id == id) {
            Some(c) => Json(show_customer(c)).into_response(),
            None => error(StatusCode::NOT_FOUND, "not_found", format!("no customer {id}"), None),
        },
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
    let t = match caller(&s, &headers, true) {
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
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > 200) {
        return error(StatusCode::BAD_REQUEST, "invalid", "Idempotency-Key is longer than 200 characters", None);
    }
    let request = String::from_utf8_lossy(&body).to_string();
    if let Some(k) = key {
        match s.portal.store.remembered(t.tenant, k) {
            Ok(Some(r)) if r.request == request => {
                let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::CREATED);
                return (status, [(header::CONTENT_TYPE, "application/json")], r.body).into_response();
            }
            Ok(Some(_)) => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_conflict",
                    "this Idempotency-Key was used with another body",
                    None,
                );
            }
            Ok(None) => {}
            Err(e) => return internal(&e),
        }
    }
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

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "max-age=300")], include_str!("openapi.json"))
        .into_response()
}
