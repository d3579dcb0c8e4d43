//! REST API `/api/v1`: bearer tokens scoped to a tenant, a role, an
//! optional reseller and an optional address allow-list (`lango api-token
//! create`, the admin's API tokens page); the same permissions as the
//! admin pages (`admin::rbac::allows`); lists with filters, `sort`, and
//! `limit` + `after` (an id) or `offset` pagination; POST with
//! `Idempotency-Key`; ETag on every record and If-Match required on
//! updates (412 when someone changed the record since, 428 without one);
//! errors always `{"error": {"code", "message", "field"}}`. Every write
//! goes through the same store operation as the admin pages, audited as
//! `api:<token name>`. The OpenAPI document is served at
//! `/api/v1/openapi.json` and CI runs schemathesis against it.
//!
//! Files: `lists.rs` (the lists, their filters and sorting), `records.rs`
//! (one customer or service: read, create, update; tickets),
//! `actions.rs` (suspend / resume, renew, plan change with its preview,
//! disconnect, voucher batches).

mod actions;
mod lists;
mod records;

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::WebState;
use super::admin::rbac::{Perm, allows};
use crate::model::*;
use crate::store::StoreError;

pub fn routes() -> axum::Router<WebState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/customers", get(lists::customers).post(records::create_customer))
        .route("/api/v1/customers/{id}", get(records::customer).patch(records::update_customer))
        .route("/api/v1/services", get(lists::services).post(records::create_service))
        .route("/api/v1/services/{id}", get(records::service).patch(records::update_service))
        .route("/api/v1/services/{id}/suspend", post(actions::suspend))
        .route("/api/v1/services/{id}/resume", post(actions::resume))
        .route("/api/v1/services/{id}/renew", post(actions::renew))
        .route("/api/v1/services/{id}/plan-change", post(actions::plan_change))
        .route("/api/v1/plans", get(lists::plans))
        .route("/api/v1/payments", get(lists::payments).post(records::create_payment))
        .route("/api/v1/sessions", get(lists::sessions))
        .route("/api/v1/sessions/disconnect", post(actions::disconnect))
        .route("/api/v1/invoices", get(lists::invoices))
        .route("/api/v1/vouchers", get(lists::vouchers).post(actions::create_vouchers))
        .route("/api/v1/vouchers/{id}", get(lists::voucher_batch))
        .route("/api/v1/vouchers/{id}/disable", post(actions::disable_vouchers))
        .route("/api/v1/tickets", get(lists::tickets).post(records::open_ticket))
        .route("/api/v1/tickets/{id}/messages", post(records::answer_ticket))
}

fn error(status: StatusCode, code: &str, message: impl Into<String>, field: Option<&str>) -> Response {
    let body = json!({ "error": { "code": code, "message": message.into(), "field": field } });
    (status, Json(body)).into_response()
}

fn invalid(field: &str, message: impl Into<String>) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message, Some(field))
}

fn not_found(what: impl std::fmt::Display) -> Response {
    error(StatusCode::NOT_FOUND, "not_found", format!("no {what}"), None)
}

fn internal(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "api");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side", None)
}

/// A store error as the API answers it: a stale If-Match is 412, a
/// conflict (a username or phone taken, a site's refusal) 409, a refused
/// value 422, a missing record 404.
fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::Stale(what) => error(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            format!("{what} changed since it was read (If-Match); read it again"),
            None,
        ),
        StoreError::Conflict(m) => error(StatusCode::CONFLICT, "conflict", m, None),
        StoreError::Invalid(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m, None),
        StoreError::NotFound(m) => error(StatusCode::NOT_FOUND, "not_found", format!("no {m}"), None),
        e => {
            tracing::error!(error = ?e, "api");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side", None)
        }
    }
}

/// Who is calling: the token's tenant, role and reseller, and the name
/// its writes are audited under.
#[derive(Clone, Debug)]
pub(super) struct Who {
    pub tenant: TenantId,
    pub role: Role,
    /// A reseller token sees only this reseller's customers.
    pub reseller: Option<Id>,
    pub actor: String,
}

impl Who {
    fn may(&self, perm: Perm) -> bool {
        allows(self.role, perm)
    }
}

/// The caller's token, or the answer refusing it: 401 without a valid
/// token, 403 when its role lacks `perm` or the address is not on its
/// allow-list.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn caller(s: &WebState, headers: &HeaderMap, peer: SocketAddr, perm: Perm) -> Result<Who, Response> {
    let token = super::bearer(headers);
    let found = if token.is_empty() { Ok(None) } else { s.portal.store.api_token(token) };
    let t = match found {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is required", None));
        }
        Err(e) => return Err(internal(&e)),
    };
    if !t.allow.is_empty() {
        let ip = s.portal.client_ip(peer, headers);
        if !t.allow.iter().filter_map(|a| super::Cidr::parse(a)).any(|c| c.contains(ip)) {
            let m = format!("this token is not accepted from {ip}");
            return Err(error(StatusCode::FORBIDDEN, "forbidden", m, None));
        }
    }
    if !allows(t.role, perm) {
        let m = format!("the {} role cannot do this", t.role.as_str());
        return Err(error(StatusCode::FORBIDDEN, "forbidden", m, None));
    }
    note_used(s, token);
    Ok(Who { tenant: t.tenant, role: t.role, reseller: t.reseller, actor: format!("api:{}", t.name) })
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

/// A path id, or a 400 naming it.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn path_id(id: &str) -> Result<Id, Response> {
    match id.parse::<Id>() {
        Ok(n) if n <= lists::SAFE => Ok(n),
        _ => Err(error(StatusCode::BAD_REQUEST, "invalid", "id must be a number", Some("id"))),
    }
}

/// Customer `id` as the caller may see it: another tenant's, or (for a
/// reseller token) another reseller's, is simply not found.
fn visible_customer(s: &WebState, who: &Who, id: Id) -> Result<Option<Customer>, StoreError> {
    s.portal.store.customer_for(who.tenant, who.reseller, id)
}

/// Service `id` as the caller may see it (see [`visible_customer`]).
fn visible_service(s: &WebState, who: &Who, id: Id) -> Result<Option<Service>, StoreError> {
    let Some(sv) = s.portal.store.service(who.tenant, id)? else { return Ok(None) };
    Ok(visible_customer(s, who, sv.customer)?.map(|_| sv))
}

/// The request's If-Match, when it has one; an empty or unreadable one is
/// a 400 (it cannot match anything, and is not "no precondition").
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn if_match(headers: &HeaderMap) -> Result<Option<&str>, Response> {
    match headers.get(header::IF_MATCH).map(|v| v.to_str().map(str::trim)) {
        None => Ok(None),
        Some(Ok(v)) if !v.is_empty() => Ok(Some(v)),
        Some(_) => Err(error(StatusCode::BAD_REQUEST, "invalid", "If-Match is empty or not text", None)),
    }
}

/// If-Match is required on updates: without it two operators could
/// overwrite each other.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn required_if_match(headers: &HeaderMap) -> Result<&str, Response> {
    if_match(headers)?.ok_or_else(|| {
        error(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the ETag from reading the record",
            None,
        )
    })
}

/// A JSON answer carrying `tag` as its ETag.
fn tagged(status: StatusCode, body: Value, tag: &str) -> Response {
    let mut r = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(tag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
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

/// Remember `body` as the answer to Idempotency-Key `key`, if any.
fn remember(s: &WebState, tenant: TenantId, key: Option<&str>, request: &str, status: StatusCode, body: &Value) {
    if let Some(k) = key
        && let Err(e) = s.portal.store.remember(tenant, k, status.as_u16(), request, &body.to_string())
    {
        tracing::warn!(error = %e, "remembering an idempotent answer");
    }
}

/// A JSON body, or a 400 naming the field serde complained about.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn body_of<T: serde::de::DeserializeOwned>(body: &Bytes, what: &str, fields: &[&'static str]) -> Result<T, Response> {
    // Every body is a JSON object (serde would also take a struct as an array).
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(error(StatusCode::BAD_REQUEST, "invalid", format!("the body is not {what}: a JSON object"), None));
    }
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        let field = fields.iter().copied().find(|f| text.contains(&format!("`{f}`")));
        error(StatusCode::BAD_REQUEST, "invalid", format!("the body is not {what}: {e}"), field)
    })
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "max-age=300")], include_str!("openapi.json"))
        .into_response()
}
