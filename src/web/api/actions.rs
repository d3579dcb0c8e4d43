//! What the API does to a service or a router beyond editing a record:
//! suspend and resume, renew (from the wallet, or as a paid renewal that
//! records the money and renews in one transaction), a plan change priced
//! with its prorated quote (`preview` changes nothing), a session's
//! disconnect, and voucher batches. An If-Match, when sent, is checked in
//! the same transaction as the change (for a paid renewal, just before
//! the payment, which is itself idempotent).

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::lists::{show_batch, show_payment, show_service, step};
use super::{
    Who, body_of, caller, error, if_match, internal, invalid, not_found, path_id, remember, replay, store_error,
    tagged, visible_service,
};
use crate::model::*;
use crate::store::{Applied, IncomingPayment, StoreError, etag};
use crate::web::WebState;
use crate::web::admin::rbac::Perm;

/// Service `id` as the caller may see it, or the 404.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn service_of(s: &WebState, who: &Who, id: &str) -> Result<Service, Response> {
    let id = path_id(id)?;
    match visible_service(s, who, id) {
        Ok(Some(sv)) => Ok(sv),
        Ok(None) => Err(not_found(format!("service {id}"))),
        Err(e) => Err(internal(&e)),
    }
}

async fn set_status(s: WebState, peer: SocketAddr, headers: HeaderMap, id: String, to: ServiceStatus) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::EditServices));
    let sv = step!(service_of(&s, &who, &id));
    let expect = step!(if_match(&headers));
    let now = s.portal.clock.now();
    match s.portal.store.set_service_status_if(&who.actor, now, who.tenant, &sv.username, to, expect) {
        Ok(after) => tagged(StatusCode::OK, show_service(&after), &etag(&after)),
        Err(e) => store_error(e),
    }
}

/// Suspend a service: its sessions are disconnected at once.
pub(super) async fn suspend(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    set_status(s, peer, headers, id, ServiceStatus::Suspended).await
}

/// Make a suspended (or disabled) service active again.
pub(super) async fn resume(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    set_status(s, peer, headers, id, ServiceStatus::Active).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaidBody {
    /// Minor units.
    amount: i64,
    method: String,
    reference: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RenewBody {
    /// Renew with another plan (a plan change; its own plan when absent).
    plan: Option<Id>,
    /// Money received for this renewal (cash or a bank transfer): recorded
    /// and the renewal bought with it, in one transaction.
    payment: Option<PaidBody>,
}

/// A plan the service may be renewed with, or the 422.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn plan_for(s: &WebState, who: &Who, sv: &Service, plan: Option<Id>) -> Result<Plan, Response> {
    let id = plan.unwrap_or(sv.plan);
    match s.portal.store.plan(who.tenant, id) {
        Ok(p) if p.disabled && p.id != sv.plan => Err(invalid("plan", format!("plan {:?} is off sale", p.name))),
        Ok(p) => Ok(p),
        Err(StoreError::NotFound(_)) => Err(invalid("plan", "no such plan")),
        Err(e) => Err(internal(&e)),
    }
}

fn renewed(sv: &Service, receipt: &Invoice) -> Response {
    let body = json!({ "service": show_service(sv), "receipt": { "id": receipt.id, "number": receipt.number, "gross": receipt.gross } });
    tagged(StatusCode::OK, body, &etag(sv))
}

fn too_little(s: &WebState, who: &Who, sv: &Service, charge: i64) -> Response {
    let balance = s.portal.store.balance(who.tenant, sv.customer).unwrap_or(0);
    let m = format!("the wallet holds {balance}, less than the {charge} this costs; record a payment first");
    error(StatusCode::CONFLICT, "insufficient_funds", m, None)
}

/// Renew `sv` with `plan` from the wallet (If-Match `expect` checked in
/// the same transaction): the renewed service and receipt, or 409 with
/// what it costs.
fn from_wallet(s: &WebState, who: &Who, sv: &Service, plan: Id, expect: Option<&str>) -> Response {
    let (store, now) = (&s.portal.store, s.portal.clock.now());
    match store.renew_service_from_wallet_if(&who.actor, now, who.tenant, sv.id, Some(plan), expect) {
        Ok(Some((after, receipt))) => renewed(&after, &receipt),
        Ok(None) => match store.quote_renewal(who.tenant, sv.id, Some(plan), now) {
            Ok((_, _, priced, _)) => too_little(s, who, sv, priced.charge),
            Err(e) => store_error(e),
        },
        Err(e) => store_error(e),
    }
}

/// Money typed into a request (`prefix`: where it sits in the body): the
/// method (cash or a bank transfer), the amount in minor units and the
/// reference, each checked, or the 422 naming the field.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
pub(super) fn money_in(
    prefix: &str,
    method: &str,
    amount: i64,
    reference: Option<String>,
) -> Result<(PaymentMethod, i64, String), Response> {
    let method = match method {
        "cash" => PaymentMethod::Cash,
        "manual" => PaymentMethod::Manual,
        _ => return Err(invalid(&format!("{prefix}method"), "method must be cash or manual (a bank transfer)")),
    };
    if !(1..=100_000_000_000).contains(&amount) {
        return Err(invalid(&format!("{prefix}amount"), "amount must be 1 to 100000000000 (minor units)"));
    }
    let reference = reference.unwrap_or_default();
    if reference.chars().count() > 100 {
        return Err(invalid(&format!("{prefix}reference"), "reference is longer than 100 characters"));
    }
    let reference = if reference.is_empty() { format!("{} via API", method.as_str()) } else { reference };
    Ok((method, amount, reference))
}

/// Renew from the customer's wallet, or (with `payment`) as a paid renewal.
pub(super) async fn renew(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::RecordPayments));
    let n: RenewBody =
        if body.is_empty() { RenewBody::default() } else { step!(body_of(&body, "a renewal", &["plan", "payment"])) };
    // The headers first: a bad Idempotency-Key or If-Match is a 400
    // whatever the service's state.
    let (key, request) = step!(replay(&s, who.tenant, &headers, &body));
    let expect = step!(if_match(&headers));
    let sv = step!(service_of(&s, &who, &id));
    let plan = step!(plan_for(&s, &who, &sv, n.plan));
    let now = s.portal.clock.now();
    let store = &s.portal.store;
    let Some(paid) = n.payment else {
        return from_wallet(&s, &who, &sv, plan.id, expect);
    };
    let (method, amount, reference) = step!(money_in("payment.", &paid.method, paid.amount, paid.reference));
    if let Some(expect) = expect
        && expect != "*"
        && expect != etag(&sv)
    {
        return store_error(StoreError::Stale(format!("service {}", sv.id)));
    }
    let refs = key.map(|k| vec![format!("api:{k}")]).unwrap_or_default();
    let applied = store.apply_payment(IncomingPayment {
        tenant: who.tenant,
        method,
        refs,
        reference,
        amount,
        phone: None,
        account: Some(sv.username.clone()),
        customer: Some(sv.customer),
        purchase: Some(Purchase::Renew { service: sv.id, plan: plan.id }),
        raw: None,
        actor: who.actor.clone(),
        at: now,
    });
    let (status, body) = match applied {
        Ok(Applied::Credited { payment, renewed, receipt }) => {
            let service = match renewed {
                Some(x) => x,
                None => step!(store.service(who.tenant, sv.id).map_err(|e| internal(&e))).unwrap_or_else(|| sv.clone()),
            };
            let body = json!({
                "payment": show_payment(&payment), "renewed": service.expires_at != sv.expires_at || service.plan != sv.plan,
                "service": show_service(&service), "receipt": receipt,
            });
            (StatusCode::CREATED, body)
        }
        Ok(Applied::Duplicate(id)) => {
            let m = format!("this payment was recorded before (payment {id})");
            return error(StatusCode::CONFLICT, "duplicate", m, None);
        }
        Ok(Applied::Unmatched(p)) => (StatusCode::CREATED, json!({ "payment": show_payment(&p), "renewed": false })),
        Ok(Applied::Queued(seq)) => (StatusCode::ACCEPTED, json!({ "queued": seq })),
        Err(e) => return store_error(e),
    };
    remember(&s, who.tenant, key, &request, status, &body);
    (status, Json(body)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanChangeBody {
    plan: Id,
    /// Only quote it: nothing changes.
    #[serde(default)]
    preview: bool,
}

fn quote_view(plan: &Plan, priced: &crate::store::Priced, balance: i64) -> Value {
    let lines: Vec<Value> =
        priced.items.iter().map(|l| json!({ "description": l.description, "amount": l.unit_price })).collect();
    json!({
        "plan": plan.id, "credit": priced.credit, "charge": priced.charge, "expires_at": priced.expires_at,
        "lines": lines, "balance": balance, "enough": balance >= priced.charge,
    })
}

/// A plan change priced from the wallet: the unused part of the old plan
/// credited, the new plan charged from now. `preview` only quotes it.
pub(super) async fn plan_change(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewCustomers));
    let n: PlanChangeBody = step!(body_of(&body, "a plan change", &["plan", "preview"]));
    if !n.preview && !who.may(Perm::RecordPayments) {
        let m = format!("the {} role cannot change a plan (preview is allowed)", who.role.as_str());
        return error(StatusCode::FORBIDDEN, "forbidden", m, None);
    }
    let sv = step!(service_of(&s, &who, &id));
    let expect = step!(if_match(&headers));
    if n.plan == sv.plan {
        return invalid("plan", "the service is already on this plan; renew it instead");
    }
    let plan = step!(plan_for(&s, &who, &sv, Some(n.plan)));
    let store = &s.portal.store;
    let now = s.portal.clock.now();
    if n.preview {
        return match store.quote_renewal(who.tenant, sv.id, Some(plan.id), now) {
            Ok((_, plan, priced, balance)) => {
                (StatusCode::OK, Json(quote_view(&plan, &priced, balance))).into_response()
            }
            Err(e) => store_error(e),
        };
    }
    from_wallet(&s, &who, &sv, plan.id, expect)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisconnectBody {
    nas: Id,
    session_id: String,
}

/// Disconnect one online session (RFC 5176 Disconnect through the outbox).
pub(super) async fn disconnect(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::Disconnect));
    let n: DisconnectBody = step!(body_of(&body, "a session", &["nas", "session_id"]));
    match s.portal.store.admin_disconnect(&who.actor, s.portal.clock.now(), who.tenant, n.nas, &n.session_id) {
        Ok(true) => (StatusCode::ACCEPTED, Json(json!({ "disconnecting": true }))).into_response(),
        Ok(false) => not_found(format!("online session {:?} on router {}", n.session_id, n.nas)),
        Err(e) => store_error(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBatchBody {
    plan: Id,
    count: u32,
    prefix: Option<String>,
    length: Option<u8>,
    /// Unused vouchers stop working after this ("30d", or a date).
    valid_for: Option<String>,
    /// Valid for one period from this date instead of from first use.
    starts: Option<String>,
    /// Bind each voucher to the first device that uses it (default true).
    bind_mac: Option<bool>,
}

/// A batch of vouchers (a reseller token's is charged to its wallet).
pub(super) async fn create_vouchers(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::MakeVouchers));
    let fields = ["plan", "count", "prefix", "length", "valid_for", "starts", "bind_mac"];
    let n: NewBatchBody = step!(body_of(&body, "a voucher batch", &fields));
    let (key, request) = step!(replay(&s, who.tenant, &headers, &body));
    if !(1..=10_000).contains(&n.count) {
        return invalid("count", "count must be 1 to 10000 (larger batches: lango voucher batch)");
    }
    let store = &s.portal.store;
    let tenant = step!(store.tenant(who.tenant).map_err(|e| internal(&e)));
    let plan = match store.plan(who.tenant, n.plan) {
        Ok(p) => p,
        Err(_) => return invalid("plan", "no such plan"),
    };
    let args = crate::ops::vouchers::BatchArgs {
        tenant: tenant.slug.clone(),
        plan: plan.id.to_string(),
        count: n.count,
        prefix: n.prefix.unwrap_or_default(),
        length: n.length.unwrap_or(8),
        valid_for: n.valid_for,
        no_bind_mac: !n.bind_mac.unwrap_or(true),
        reseller: who.reseller,
        starts: n.starts,
    };
    match crate::ops::vouchers::make_batch(store, &who.actor, s.portal.clock.now(), &tenant, &args) {
        Ok(made) => {
            let mut body = show_batch(&made.batch);
            if let Ok((_, codes)) = store.voucher_batch(who.tenant, made.batch.id) {
                body["codes"] = codes.iter().map(|c| json!(c.username)).collect();
            }
            remember(&s, who.tenant, key, &request, StatusCode::CREATED, &body);
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(crate::ops::OpError::Field { field, message }) => invalid(field, message),
        Err(crate::ops::OpError::Store(StoreError::Invalid(m))) if m.contains("wallet") || m.contains("balance") => {
            error(StatusCode::CONFLICT, "insufficient_funds", m, None)
        }
        Err(crate::ops::OpError::Store(e)) => store_error(e),
        Err(e) => internal(&e),
    }
}

/// Stop a batch's unused vouchers; how many.
pub(super) async fn disable_vouchers(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::MakeVouchers));
    let id = step!(path_id(&id));
    let store = &s.portal.store;
    match store.voucher_batch(who.tenant, id) {
        Ok((b, _)) if who.reseller.is_some_and(|r| b.reseller != Some(r)) => {
            return not_found(format!("voucher batch {id}"));
        }
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => return not_found(format!("voucher batch {id}")),
        Err(e) => return internal(&e),
    }
    match crate::ops::vouchers::disable_batch(store, &who.actor, s.portal.clock.now(), who.tenant, id) {
        Ok(n) => (StatusCode::OK, Json(json!({ "id": id, "disabled": n }))).into_response(),
        Err(crate::ops::OpError::Field { .. }) => not_found(format!("voucher batch {id}")),
        Err(crate::ops::OpError::Store(e)) => store_error(e),
        Err(e) => internal(&e),
    }
}
