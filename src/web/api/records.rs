//! One customer or service through the API: read (with its ETag), create
//! (with an Idempotency-Key), update (If-Match required); money received
//! by hand; customers' tickets. Each write is the store operation the
//! admin pages use, audited as `api:<token>`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::lists::{show_customer, show_payment, show_service, show_ticket, step};
use super::{
    body_of, caller, internal, invalid, not_found, path_id, remember, replay, required_if_match, store_error, tagged,
    visible_customer, visible_service,
};
use crate::model::*;
use crate::store::{StoreError, etag};
use crate::web::WebState;
use crate::web::admin::rbac::Perm;

pub(super) async fn customer(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewCustomers));
    let id = step!(path_id(&id));
    // Another tenant's (or reseller's) id is simply not found.
    match visible_customer(&s, &who, id) {
        Ok(Some(c)) => tagged(StatusCode::OK, super::lists::customer_shown_to(&who)(&c), &etag(&c)),
        Ok(None) => not_found(format!("customer {id}")),
        Err(e) => internal(&e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCustomer {
    name: String,
    phone: Option<String>,
    email: Option<String>,
    category: Option<String>,
}

/// The first of a customer's typed fields' problems, as the API's 422.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn checked(name: &str, phone: &str, email: &str) -> Result<(), Response> {
    match crate::ops::customer_check::problems(name, phone, email).first() {
        Some((field, message)) => Err(invalid(field, *message)),
        None => Ok(()),
    }
}

fn opt(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

pub(super) async fn create_customer(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::EditCustomers));
    let n: NewCustomer = step!(body_of(&body, "a customer", &["name", "phone", "email", "category"]));
    let (key, request) = step!(replay(&s, who.tenant, &headers, &body));
    step!(checked(&n.name, n.phone.as_deref().unwrap_or(""), n.email.as_deref().unwrap_or("")));
    let now = s.portal.clock.now();
    let made = s.portal.store.api_create_customer(
        &who.actor,
        now,
        who.tenant,
        who.reseller,
        crate::store::NewCustomerFields {
            name: n.name.trim(),
            phone: opt(n.phone.as_deref()),
            email: opt(n.email.as_deref()),
            category: opt(n.category.as_deref()).map(|c| c.to_lowercase()),
        },
        key.map(|k| (k, request.as_str())),
        |c| show_customer(c).to_string(),
    );
    match made {
        Ok((c, body)) => {
            let mut r = (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            if let Ok(v) = etag(&c).parse() {
                r.headers_mut().insert(header::ETAG, v);
            }
            r
        }
        Err(StoreError::Invalid(m)) => {
            let field = if m.contains("phone") { "phone" } else { "name" };
            invalid(field, m)
        }
        Err(StoreError::Conflict(m)) if m.contains("phone") => invalid("phone", m),
        Err(e) => store_error(e),
    }
}

/// What a PATCH may change; an absent field keeps its value, `null` or ""
/// clears phone, e-mail and category.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerPatch {
    #[serde(default, deserialize_with = "not_null")]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    category: Option<Option<String>>,
}

/// A field that may be absent but not `null`.
fn not_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

/// A field that is present (possibly `null`) as `Some`, absent as `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

pub(super) async fn update_customer(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::EditCustomers));
    let id = step!(path_id(&id));
    let p: CustomerPatch = step!(body_of(&body, "a customer change", &["name", "phone", "email", "category"]));
    let expect = step!(required_if_match(&headers)).to_string();
    let Some(old) = step!(visible_customer(&s, &who, id).map_err(|e| internal(&e))) else {
        return not_found(format!("customer {id}"));
    };
    let pick = |new: &Option<Option<String>>, old: &Option<String>| match new {
        None => old.clone(),
        Some(v) => opt(v.as_deref()),
    };
    let name = p.name.as_deref().map_or(old.name.clone(), |n| n.trim().to_string());
    let phone = pick(&p.phone, &old.phone);
    let email = pick(&p.email, &old.email);
    step!(checked(&name, phone.as_deref().unwrap_or(""), email.as_deref().unwrap_or("")));
    let changed = Customer {
        name,
        phone: phone.as_deref().and_then(crate::model::msisdn),
        email,
        category: pick(&p.category, &old.category).map(|c| c.to_lowercase()),
        ..old
    };
    let now = s.portal.clock.now();
    match s.portal.store.update_customer_if(&who.actor, now, &changed, Some(&expect)) {
        Ok(()) => tagged(StatusCode::OK, show_customer(&changed), &etag(&changed)),
        Err(StoreError::Conflict(m)) if m.contains("phone") => invalid("phone", m),
        Err(e) => store_error(e),
    }
}

pub(super) async fn service(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewCustomers));
    let id = step!(path_id(&id));
    match visible_service(&s, &who, id) {
        Ok(Some(sv)) => tagged(StatusCode::OK, show_service(&sv), &etag(&sv)),
        Ok(None) => not_found(format!("service {id}")),
        Err(e) => internal(&e),
    }
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
pub(super) async fn create_service(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::EditServices));
    let fields = ["customer", "plan", "type", "username", "password", "mac", "static_ip", "expires_at"];
    let n: NewServiceBody = step!(body_of(&body, "a service", &fields));
    let (key, request) = step!(replay(&s, who.tenant, &headers, &body));
    let Some(access) = AccessType::parse(&n.access) else {
        return invalid("type", "type must be pppoe, hotspot, dhcp or static");
    };
    let mac = match n.mac.as_deref().map(Mac::parse) {
        Some(None) => return invalid("mac", "mac is not a MAC address"),
        m => m.flatten(),
    };
    let static_ip = match n.static_ip.as_deref().map(str::parse::<std::net::Ipv4Addr>) {
        Some(Err(_)) => return invalid("static_ip", "static_ip is not an IPv4 address"),
        a => a.and_then(Result::ok),
    };
    let username = n.username.trim();
    if username.is_empty() || username.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("username", "username must be non-empty, without spaces");
    }
    if access == AccessType::Static && static_ip.is_none() {
        return invalid("static_ip", "a static service needs static_ip");
    }
    // A reseller's token makes services for its own customers only.
    if who.reseller.is_some() && !matches!(visible_customer(&s, &who, n.customer), Ok(Some(_))) {
        return invalid("customer", "no such customer");
    }
    let store = &s.portal.store;
    let now = s.portal.clock.now();
    let plan = match store.plan(who.tenant, n.plan) {
        Ok(p) => p,
        Err(_) => return invalid("plan", "no such plan"),
    };
    let password = n.password.clone().unwrap_or_else(|| crate::store::random_hex(6));
    let mut new = crate::store::NewService::new(n.customer, plan.id, access, username, &password);
    new.mac = mac;
    new.static_ip = static_ip;
    new.expires_at = Some(n.expires_at.unwrap_or(now + plan.nominal_secs() as i64));
    let made = store.api_create_service(&who.actor, now, who.tenant, new, key.map(|k| (k, request.as_str())), |v| {
        let mut out = show_service(v);
        out["password"] = json!(password);
        out.to_string()
    });
    match made {
        Ok(body) => (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(StoreError::NotFound(m)) if m.starts_with("customer") => invalid("customer", "no such customer"),
        Err(StoreError::NotFound(m)) if m.starts_with("plan") => invalid("plan", "no such plan"),
        Err(StoreError::Conflict(m) | StoreError::Invalid(m)) => {
            let field =
                ["username", "MAC", "address", "password"].into_iter().find(|f| m.contains(f)).unwrap_or("username");
            let field = match field {
                "MAC" => "mac",
                "address" => "static_ip",
                f => f,
            };
            invalid(field, m)
        }
        Err(e) => store_error(e),
    }
}

/// What a service PATCH may change: its MAC and static address (`null`
/// or "" clears them). Plans change through `plan-change`, which prices it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicePatch {
    #[serde(default, deserialize_with = "present")]
    mac: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    static_ip: Option<Option<String>>,
}

pub(super) async fn update_service(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::EditServices));
    let id = step!(path_id(&id));
    let p: ServicePatch = step!(body_of(&body, "a service change", &["mac", "static_ip"]));
    let expect = step!(required_if_match(&headers)).to_string();
    let Some(sv) = step!(visible_service(&s, &who, id).map_err(|e| internal(&e))) else {
        return not_found(format!("service {id}"));
    };
    let input = crate::ops::services::EditInput {
        mac: p.mac.map(Option::unwrap_or_default),
        ip: p.static_ip.map(Option::unwrap_or_default),
        plan: None,
        routes: None,
        expect: Some(expect),
    };
    let now = s.portal.clock.now();
    match crate::ops::services::edit(&s.portal.store, &who.actor, now, who.tenant, &sv, &input) {
        Ok(after) => tagged(StatusCode::OK, show_service(&after), &etag(&after)),
        Err(problems) => match problems.into_iter().next() {
            Some(crate::ops::OpError::Field { field, message }) => {
                invalid(if field == "ip" { "static_ip" } else { field }, message)
            }
            Some(crate::ops::OpError::Store(e)) => store_error(e),
            Some(e) => internal(&e),
            None => internal(&"a refused change without a reason"),
        },
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
pub(super) async fn create_payment(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::RecordPayments));
    let n: NewPaymentBody = step!(body_of(&body, "a payment", &["customer", "amount", "method", "reference"]));
    let (key, request) = step!(replay(&s, who.tenant, &headers, &body));
    let (method, amount, reference) = step!(super::actions::money_in("", &n.method, n.amount, n.reference.clone()));
    let store = &s.portal.store;
    match visible_customer(&s, &who, n.customer) {
        Ok(Some(_)) => {}
        Ok(None) => return invalid("customer", "no such customer"),
        Err(e) => return internal(&e),
    }
    let now = s.portal.clock.now();
    let refs = key.map(|k| vec![format!("api:{k}")]).unwrap_or_default();
    let reference = if reference.is_empty() { format!("{} via API", method.as_str()) } else { reference };
    let applied = crate::ops::money::record_payment(
        store, &who.actor, now, who.tenant, n.customer, method, amount, reference, refs,
    );
    let id = match applied {
        Ok(crate::store::Applied::Credited { payment, .. }) => payment.id,
        Ok(crate::store::Applied::Unmatched(payment)) => payment.id,
        Ok(crate::store::Applied::Duplicate(id)) => id,
        Ok(crate::store::Applied::Queued(seq)) => {
            let body = json!({ "queued": seq }).to_string();
            return (StatusCode::ACCEPTED, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        Err(e) => return store_error(e),
    };
    let body = match store.payment(who.tenant, id) {
        Ok(Some(p)) => show_payment(&p),
        Ok(None) => return internal(&"the payment just recorded is missing"),
        Err(e) => return internal(&e),
    };
    remember(&s, who.tenant, key, &request, StatusCode::CREATED, &body);
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTicketBody {
    customer: Id,
    service: Option<Id>,
    subject: String,
    body: String,
}

/// A ticket opened for a customer (a call to the help desk, say).
pub(super) async fn open_ticket(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::EditCustomers));
    let n: NewTicketBody = step!(body_of(&body, "a ticket", &["customer", "service", "subject", "body"]));
    let (key, request) = step!(replay(&s, who.tenant, &headers, &body));
    match visible_customer(&s, &who, n.customer) {
        Ok(Some(_)) => {}
        Ok(None) => return invalid("customer", "no such customer"),
        Err(e) => return internal(&e),
    }
    if let Some(sv) = n.service
        && !matches!(visible_service(&s, &who, sv), Ok(Some(x)) if x.customer == n.customer)
    {
        return invalid("service", "no such service of this customer");
    }
    let new = crate::store::NewTicket { customer: n.customer, service: n.service, subject: &n.subject, body: &n.body };
    match s.portal.store.open_ticket(&who.actor, s.portal.clock.now(), who.tenant, new) {
        Ok(t) => {
            let body = show_ticket(&t);
            remember(&s, who.tenant, key, &request, StatusCode::CREATED, &body);
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        Err(StoreError::Invalid(m)) => invalid(if m.contains("subject") { "subject" } else { "body" }, m),
        Err(e) => store_error(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    body: String,
    #[serde(default)]
    close: bool,
}

/// The help desk's answer to a ticket (`close` closes it).
pub(super) async fn answer_ticket(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::EditCustomers));
    let id = step!(path_id(&id));
    let n: AnswerBody = step!(body_of(&body, "an answer", &["body", "close"]));
    let store = &s.portal.store;
    let ticket = match store.tickets(who.tenant, None) {
        Ok(all) => all.into_iter().find(|t| t.id == id),
        Err(e) => return internal(&e),
    };
    let Some(ticket) = ticket.filter(|t| matches!(visible_customer(&s, &who, t.customer), Ok(Some(_)))) else {
        return not_found(format!("ticket {id}"));
    };
    let msg = TicketMessage { at: s.portal.clock.now(), staff: Some(who.actor.clone()), body: n.body };
    match store.answer_ticket(&who.actor, who.tenant, ticket.id, None, msg, n.close) {
        Ok(t) => (StatusCode::OK, axum::Json(show_ticket(&t))).into_response(),
        Err(StoreError::Invalid(m)) => invalid("body", m),
        Err(e) => store_error(e),
    }
}
