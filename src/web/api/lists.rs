//! The API's lists: each parameter checked (an unknown or repeated one is a
//! 400 naming it), filters per list, `sort` (a field, `-field` for
//! descending, ties by id), and pages: `after` (the last id of the previous
//! page) in id order, or `offset` when sorted. A list with no filter, sort
//! or reseller scope reads only the rows it shows; otherwise it reads the
//! tenant's rows once and filters them.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Who, caller, error, internal, not_found, path_id};
use crate::model::*;
use crate::store::codec::decode;
use crate::store::tables as T;
use crate::web::WebState;
use crate::web::admin::rbac::Perm;

const MAX_LIMIT: usize = 500;
/// Integers the API takes are JSON-safe: ids, offsets and times fit in 2^53.
pub(super) const SAFE: u64 = (1 << 53) - 1;

/// The query string: each parameter at most once, only known ones.
pub(super) struct Params(BTreeMap<String, String>);

fn bad(field: &str, message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid", message, Some(field))
}

impl Params {
    #[allow(clippy::result_large_err)] // the Err is the answer, once per request
    pub(super) fn parse(raw: Option<&str>, known: &[&str]) -> Result<Params, Response> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| error(StatusCode::BAD_REQUEST, "invalid", format!("the query string: {e}"), None))?;
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if !known.contains(&k.as_str()) && !["limit", "after", "offset", "sort"].contains(&k.as_str()) {
                return Err(bad(&k, format!("unknown parameter {k:?}; this list takes {}", known.join(", "))));
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(bad(&k, format!("{k} is given twice")));
            }
        }
        Ok(Params(map))
    }

    fn text(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    fn filtered(&self) -> bool {
        self.0.keys().any(|k| k != "limit" && k != "after")
    }

    #[allow(clippy::result_large_err)] // the Err is the answer, once per request
    fn number(&self, k: &str) -> Result<Option<i64>, Response> {
        match self.text(k) {
            None => Ok(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n.unsigned_abs() <= SAFE => Ok(Some(n)),
                _ => Err(bad(k, format!("{k} must be a whole number of at most 2^53 - 1"))),
            },
        }
    }

    #[allow(clippy::result_large_err)] // the Err is the answer, once per request
    fn id(&self, k: &str) -> Result<Option<Id>, Response> {
        match self.text(k) {
            None => Ok(None),
            Some(v) => match v.parse::<Id>() {
                Ok(n) if n <= SAFE => Ok(Some(n)),
                _ => Err(bad(k, format!("{k} must be an id"))),
            },
        }
    }

    #[allow(clippy::result_large_err)] // the Err is the answer, once per request
    fn flag(&self, k: &str) -> Result<Option<bool>, Response> {
        match self.text(k) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(bad(k, format!("{k} must be true or false"))),
        }
    }

    #[allow(clippy::result_large_err)] // the Err is the answer, once per request
    fn one_of(&self, k: &str, allowed: &[&str]) -> Result<Option<&str>, Response> {
        match self.text(k) {
            Some(v) if !allowed.contains(&v) => Err(bad(k, format!("{k} must be one of {}", allowed.join(", ")))),
            v => Ok(v),
        }
    }

    /// `limit` 1..=500 (default 50), and `after` or `offset` / `sort`.
    #[allow(clippy::result_large_err)] // the Err is the answer, once per request
    fn paging(&self, sorts: &[&'static str]) -> Result<Paging, Response> {
        let limit = match self.text("limit") {
            None => 50,
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(bad("limit", "limit must be 1 to 500")),
            },
        };
        let after = match self.text("after") {
            None => None,
            Some(a) => {
                Some(a.parse::<u64>().ok().filter(|&n| n <= SAFE).ok_or_else(|| bad("after", "after must be an id"))?)
            }
        };
        let offset = match self.text("offset") {
            None => None,
            Some(o) => Some(
                o.parse::<usize>()
                    .ok()
                    .filter(|&n| n as u64 <= SAFE)
                    .ok_or_else(|| bad("offset", "offset must be 0 to 2^53 - 1"))?,
            ),
        };
        let sort = match self.text("sort") {
            None => None,
            Some(s) => {
                let (field, desc) = s.strip_prefix('-').map_or((s, false), |f| (f, true));
                let Some(field) = sorts.iter().copied().find(|f| *f == field) else {
                    return Err(bad("sort", format!("sort by one of {} (- before it: descending)", sorts.join(", "))));
                };
                Some((field, desc))
            }
        };
        Ok(Paging { limit, after: after.unwrap_or(0), offset, sort })
    }
}

/// Where a page starts and how the list is ordered.
pub(super) struct Paging {
    limit: usize,
    after: u64,
    offset: Option<usize>,
    sort: Option<(&'static str, bool)>,
}

/// A value to sort by; `None` (no expiry, say) sorts first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Int(Option<i64>),
    Text(String),
}

/// One page of `items` (already filtered): in id order after `after`, or
/// sorted and from `offset`; `next` says where the next page starts.
fn page_of<T>(
    mut items: Vec<T>,
    id: impl Fn(&T) -> u64,
    key: impl Fn(&T, &str) -> Key,
    p: &Paging,
    show: impl Fn(&T) -> Value,
) -> Response {
    match p.sort {
        Some((field, desc)) => items.sort_by(|a, b| {
            let o = key(a, field).cmp(&key(b, field));
            let o = if desc { o.reverse() } else { o };
            o.then_with(|| id(a).cmp(&id(b)))
        }),
        None => items.sort_by_key(|i| id(i)),
    }
    // `after` keeps ids above it in either order; `offset` (or a sort)
    // pages by position, and `next` is then the next page's offset.
    let rest: Vec<&T> = items.iter().filter(|i| id(i) > p.after).collect();
    let (rows, next): (Vec<&T>, Option<u64>) = match (p.offset, p.sort) {
        (None, None) => {
            let more = rest.len() > p.limit;
            let rows: Vec<&T> = rest.into_iter().take(p.limit).collect();
            let next = if more { rows.last().map(|i| id(i)) } else { None };
            (rows, next)
        }
        (offset, _) => {
            let from = offset.unwrap_or(0);
            let total = rest.len();
            let rows: Vec<&T> = rest.into_iter().skip(from).take(p.limit).collect();
            let next = (from + p.limit < total).then_some((from + p.limit) as u64);
            (rows, next)
        }
    };
    let items: Vec<Value> = rows.into_iter().map(show).collect();
    Json(json!({ "items": items, "next": next })).into_response()
}

/// Every row of `tenant` in `table`, or only the page shown when nothing
/// filters or sorts the list (`Ok(Err(answer))`).
fn rows<R>(
    s: &WebState,
    who: &Who,
    (table, read): (redb::TableDefinition<(u32, u64), &[u8]>, impl Fn(&[u8]) -> Result<R, crate::store::StoreError>),
    q: &Params,
    p: &Paging,
    id: impl Fn(&R) -> u64,
    show: impl Fn(&R) -> Value,
) -> Result<Result<Vec<R>, Response>, crate::store::StoreError> {
    if !q.filtered() && who.reseller.is_none() {
        let (items, more) = s.portal.store.page_after::<R>((table, &read), who.tenant, p.after, p.limit)?;
        let next = if more { items.last().map(&id) } else { None };
        let items: Vec<Value> = items.iter().map(show).collect();
        return Ok(Err(Json(json!({ "items": items, "next": next })).into_response()));
    }
    Ok(Ok(s.portal.store.page_after::<R>((table, read), who.tenant, 0, usize::MAX)?.0))
}

/// The customers a reseller token may see (None: every customer).
fn owned(s: &WebState, who: &Who) -> Result<Option<HashSet<Id>>, crate::store::StoreError> {
    match who.reseller {
        None => Ok(None),
        Some(r) => Ok(Some(s.portal.store.reseller_customers(who.tenant, r)?)),
    }
}

/// Unwrap a step of a handler: the answer on error.
macro_rules! step {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}
pub(super) use step;

/// Unwrap a store read: 500 on error.
macro_rules! read {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return internal(&e),
        }
    };
}

pub(super) fn show_customer(c: &Customer) -> Value {
    json!({ "id": c.id, "name": c.name, "phone": c.phone, "email": c.email, "category": c.category, "created_at": c.created_at })
}

/// A customer as `who` may see it: the phone masked (2547****5678) for a
/// role without `SeePhones`, as on the admin pages.
pub(super) fn customer_shown_to(who: &Who) -> impl Fn(&Customer) -> Value + use<> {
    let full = who.may(Perm::SeePhones);
    move |c| {
        let mut v = show_customer(c);
        if !full && let Some(p) = c.phone.as_deref() {
            v["phone"] = json!(crate::model::mask::mask_phone(p));
        }
        v
    }
}

pub(super) fn show_service(v: &Service) -> Value {
    json!({
        "id": v.id, "customer": v.customer, "plan": v.plan, "type": v.access.as_str(), "username": v.username,
        "status": v.status.as_str(), "expires_at": v.expires_at, "mac": v.mac.map(|m| m.to_string()),
        "static_ip": v.static_ip.map(|i| i.to_string()),
    })
}

pub(super) fn show_payment(p: &Payment) -> Value {
    json!({
        "id": p.id, "customer": p.customer, "amount": p.amount, "method": p.method.as_str(),
        "reference": p.reference, "received_at": p.received_at,
        "status": format!("{:?}", p.status).to_lowercase(),
    })
}

pub(super) fn show_batch(b: &VoucherBatch) -> Value {
    json!({
        "id": b.id, "plan": b.plan, "prefix": b.prefix, "count": b.count, "created_at": b.created_at,
        "valid_until": b.valid_until, "reseller": b.reseller,
    })
}

pub(super) fn show_ticket(t: &Ticket) -> Value {
    let messages: Vec<Value> =
        t.messages.iter().map(|m| json!({ "at": m.at, "staff": m.staff, "body": m.body })).collect();
    json!({
        "id": t.id, "customer": t.customer, "service": t.service, "subject": t.subject, "open": t.open,
        "created_at": t.created_at, "messages": messages,
    })
}

fn text_contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(&needle.to_lowercase())
}

pub(super) async fn customers(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewCustomers));
    let q = step!(Params::parse(raw.as_deref(), &["q", "category"]));
    let p = step!(q.paging(&["id", "name", "created_at"]));
    let id = |c: &Customer| c.id;
    let show = customer_shown_to(&who);
    let mut all = step!(read!(rows(
        &s,
        &who,
        (T::CUSTOMERS, |b: &[u8]| s.portal.store.open_personal::<Customer>(b)),
        &q,
        &p,
        id,
        &show
    )));
    let mine = read!(owned(&s, &who));
    all.retain(|c| {
        mine.as_ref().is_none_or(|m| m.contains(&c.id))
            && q.text("category").is_none_or(|k| c.category.as_deref() == Some(k))
            && q.text("q").is_none_or(|t| {
                text_contains(&c.name, t)
                    // A whole number in any form, as the admin search.
                    || msisdn(t).is_some_and(|m| c.phone.as_deref().and_then(msisdn) == Some(m))
                    || c.email.as_deref().is_some_and(|x| text_contains(x, t))
            })
    });
    let key = |c: &Customer, f: &str| match f {
        "name" => Key::Text(c.name.to_lowercase()),
        "created_at" => Key::Int(Some(c.created_at)),
        _ => Key::Int(Some(c.id as i64)),
    };
    page_of(all, id, key, &p, show)
}

pub(super) async fn services(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewCustomers));
    let known = ["status", "plan", "customer", "type", "q", "expires_before", "expires_after"];
    let q = step!(Params::parse(raw.as_deref(), &known));
    let p = step!(q.paging(&["id", "username", "expires_at"]));
    let status = step!(q.one_of("status", &["active", "suspended", "disabled"]));
    let access = step!(q.one_of("type", &["pppoe", "hotspot", "dhcp", "static"]));
    let (plan, customer) = (step!(q.id("plan")), step!(q.id("customer")));
    let (before, after) = (step!(q.number("expires_before")), step!(q.number("expires_after")));
    let id = |v: &Service| v.id;
    let mut all = step!(read!(rows(&s, &who, (T::SERVICES, decode::<Service>), &q, &p, id, show_service)));
    let mine = read!(owned(&s, &who));
    all.retain(|v| {
        mine.as_ref().is_none_or(|m| m.contains(&v.customer))
            && status.is_none_or(|x| v.status.as_str() == x)
            && access.is_none_or(|x| v.access.as_str() == x)
            && plan.is_none_or(|x| v.plan == x)
            && customer.is_none_or(|x| v.customer == x)
            && before.is_none_or(|t| v.expires_at.is_some_and(|e| e < t))
            && after.is_none_or(|t| v.expires_at.is_some_and(|e| e >= t))
            && q.text("q").is_none_or(|t| text_contains(&v.username, t))
    });
    let key = |v: &Service, f: &str| match f {
        "username" => Key::Text(v.username.to_lowercase()),
        "expires_at" => Key::Int(v.expires_at),
        _ => Key::Int(Some(v.id as i64)),
    };
    page_of(all, id, key, &p, show_service)
}

fn show_plan(p: &Plan) -> Value {
    json!({
        "id": p.id, "name": p.name, "validity": p.validity.to_string(), "price": p.price,
        "rate": p.rate.map(|r| r.to_string()), "quota_bytes": p.quota_bytes,
        "simultaneous_use": p.simultaneous_use, "disabled": p.disabled,
    })
}

pub(super) async fn plans(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewPlans));
    let q = step!(Params::parse(raw.as_deref(), &["disabled"]));
    let p = step!(q.paging(&["id", "name", "price"]));
    let disabled = step!(q.flag("disabled"));
    let id = |x: &Plan| x.id;
    // Plans are the tenant's catalogue: a reseller sees them all.
    let scope = Who { reseller: None, ..who };
    let mut all = step!(read!(rows(&s, &scope, (T::PLANS, decode::<Plan>), &q, &p, id, show_plan)));
    all.retain(|x| disabled.is_none_or(|d| x.disabled == d));
    let key = |x: &Plan, f: &str| match f {
        "name" => Key::Text(x.name.to_lowercase()),
        "price" => Key::Int(Some(x.price)),
        _ => Key::Int(Some(x.id as i64)),
    };
    page_of(all, id, key, &p, show_plan)
}

pub(super) async fn payments(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewPayments));
    let q = step!(Params::parse(raw.as_deref(), &["customer", "method", "status", "from", "to"]));
    let p = step!(q.paging(&["id", "received_at", "amount"]));
    let method = step!(q.one_of("method", &["mpesa-stk", "mpesa-c2b", "cash", "manual"]));
    let status = step!(q.one_of("status", &["credited", "unmatched"]));
    let customer = step!(q.id("customer"));
    let (from, to) = (step!(q.number("from")), step!(q.number("to")));
    let id = |x: &Payment| x.id;
    let mut all = step!(read!(rows(
        &s,
        &who,
        (T::PAYMENTS, |b: &[u8]| s.portal.store.open_personal::<Payment>(b)),
        &q,
        &p,
        id,
        show_payment
    )));
    let mine = read!(owned(&s, &who));
    all.retain(|x| {
        mine.as_ref().is_none_or(|m| x.customer.is_some_and(|c| m.contains(&c)))
            && customer.is_none_or(|c| x.customer == Some(c))
            && method.is_none_or(|m| x.method.as_str() == m)
            && status.is_none_or(|st| format!("{:?}", x.status).eq_ignore_ascii_case(st))
            && from.is_none_or(|t| x.received_at >= t)
            && to.is_none_or(|t| x.received_at < t)
    });
    let key = |x: &Payment, f: &str| match f {
        "received_at" => Key::Int(Some(x.received_at)),
        "amount" => Key::Int(Some(x.amount)),
        _ => Key::Int(Some(x.id as i64)),
    };
    page_of(all, id, key, &p, show_payment)
}

fn show_invoice(d: &Invoice) -> Value {
    json!({
        "id": d.id, "number": d.number, "kind": format!("{:?}", d.kind).to_lowercase(), "customer": d.customer,
        "issued_at": d.issued_at, "net": d.net, "tax": d.tax, "gross": d.gross, "due_at": d.due_at, "paid_at": d.paid_at,
    })
}

pub(super) async fn invoices(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewInvoices));
    let q = step!(Params::parse(raw.as_deref(), &["customer", "kind", "unpaid", "from", "to"]));
    let p = step!(q.paging(&["id", "issued_at", "gross"]));
    let kind = step!(q.one_of("kind", &["invoice", "receipt"]));
    let unpaid = step!(q.flag("unpaid"));
    let customer = step!(q.id("customer"));
    let (from, to) = (step!(q.number("from")), step!(q.number("to")));
    let id = |d: &Invoice| d.id;
    let mut all = step!(read!(rows(&s, &who, (T::INVOICES, decode::<Invoice>), &q, &p, id, show_invoice)));
    let mine = read!(owned(&s, &who));
    all.retain(|d| {
        mine.as_ref().is_none_or(|m| m.contains(&d.customer))
            && customer.is_none_or(|c| d.customer == c)
            && kind.is_none_or(|k| format!("{:?}", d.kind).eq_ignore_ascii_case(k))
            && unpaid.is_none_or(|u| u == (d.kind == DocKind::Invoice && d.paid_at.is_none()))
            && from.is_none_or(|t| d.issued_at >= t)
            && to.is_none_or(|t| d.issued_at < t)
    });
    let key = |d: &Invoice, f: &str| match f {
        "issued_at" => Key::Int(Some(d.issued_at)),
        "gross" => Key::Int(Some(d.gross)),
        _ => Key::Int(Some(d.id as i64)),
    };
    page_of(all, id, key, &p, show_invoice)
}

pub(super) async fn vouchers(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewVouchers));
    let q = step!(Params::parse(raw.as_deref(), &["plan"]));
    let p = step!(q.paging(&["id", "created_at"]));
    let plan = step!(q.id("plan"));
    let id = |b: &VoucherBatch| b.id;
    let mut all = step!(read!(rows(&s, &who, (T::VOUCHER_BATCHES, decode::<VoucherBatch>), &q, &p, id, show_batch)));
    all.retain(|b| who.reseller.is_none_or(|r| b.reseller == Some(r)) && plan.is_none_or(|x| b.plan == x));
    let key = |b: &VoucherBatch, f: &str| match f {
        "created_at" => Key::Int(Some(b.created_at)),
        _ => Key::Int(Some(b.id as i64)),
    };
    page_of(all, id, key, &p, show_batch)
}

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
pub(super) async fn voucher_batch(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewVouchers));
    let id = step!(path_id(&id));
    let now = s.portal.clock.now();
    match s.portal.store.voucher_batch(who.tenant, id) {
        Ok((b, _)) if who.reseller.is_some_and(|r| b.reseller != Some(r)) => not_found(format!("voucher batch {id}")),
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
        Err(crate::store::StoreError::NotFound(_)) => not_found(format!("voucher batch {id}")),
        Err(e) => internal(&e),
    }
}

pub(super) async fn sessions(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewSessions));
    let q = step!(Params::parse(raw.as_deref(), &["nas", "username", "service"]));
    let p = step!(q.paging(&["position", "started_at", "username"]));
    let (nas, service) = (step!(q.id("nas")), step!(q.id("service")));
    // Sessions have no id of their own: they are numbered by start time
    // order here, and `after` counts positions.
    let mut all = read!(s.portal.store.tenant_active_sessions(who.tenant));
    all.sort_by(|a, b| (a.started_at, &a.acct_session_id).cmp(&(b.started_at, &b.acct_session_id)));
    let mine = read!(owned(&s, &who));
    let mut numbered: Vec<(u64, Session)> = all.into_iter().enumerate().map(|(i, x)| (i as u64 + 1, x)).collect();
    numbered.retain(|(_, x)| {
        mine.as_ref().is_none_or(|m| x.service.is_some_and(|sv| service_owned(&s, &who, sv, m)))
            && nas.is_none_or(|n| x.nas == n)
            && service.is_none_or(|sv| x.service == Some(sv))
            && q.text("username").is_none_or(|u| x.username == u)
    });
    let key = |(n, x): &(u64, Session), f: &str| match f {
        "started_at" => Key::Int(Some(x.started_at)),
        "username" => Key::Text(x.username.clone()),
        _ => Key::Int(Some(*n as i64)),
    };
    page_of(
        numbered,
        |(n, _)| *n,
        key,
        &p,
        |(n, x)| {
            json!({
                "position": n, "nas": x.nas, "session_id": x.acct_session_id, "username": x.username, "service": x.service,
                "framed_ip": x.framed_ip.map(|i| i.to_string()), "started_at": x.started_at,
                "framed_ipv6_address": x.ipv6.and_then(|v| v.address).map(|a| a.to_string()),
                "framed_ipv6_prefix": x.ipv6.and_then(|v| v.prefix).map(|p| p.to_string()),
                "delegated_ipv6_prefix": x.ipv6.and_then(|v| v.delegated).map(|p| p.to_string()),
                "bytes_in": x.counters.bytes_in, "bytes_out": x.counters.bytes_out,
            })
        },
    )
}

fn service_owned(s: &WebState, who: &Who, service: Id, mine: &HashSet<Id>) -> bool {
    matches!(s.portal.store.service(who.tenant, service), Ok(Some(sv)) if mine.contains(&sv.customer))
}

pub(super) async fn tickets(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = step!(caller(&s, &headers, peer, Perm::ViewCustomers));
    let q = step!(Params::parse(raw.as_deref(), &["customer", "open"]));
    let p = step!(q.paging(&["id", "created_at"]));
    let (customer, open) = (step!(q.id("customer")), step!(q.flag("open")));
    let mut all = read!(s.portal.store.tickets(who.tenant, customer));
    let mine = read!(owned(&s, &who));
    all.retain(|t| mine.as_ref().is_none_or(|m| m.contains(&t.customer)) && open.is_none_or(|o| t.open == o));
    let key = |t: &Ticket, f: &str| match f {
        "created_at" => Key::Int(Some(t.created_at)),
        _ => Key::Int(Some(t.id as i64)),
    };
    page_of(all, |t| t.id, key, &p, show_ticket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_repeated_and_bad_parameters_are_named() {
        let field = |r: Response| {
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
            r
        };
        assert!(Params::parse(Some("nope=1"), &["q"]).map_err(field).is_err());
        assert!(Params::parse(Some("q=a&q=b"), &["q"]).map_err(field).is_err());
        let q = Params::parse(Some("sort=-name&limit=2"), &["q"]).ok().unwrap();
        let p = q.paging(&["id", "name"]).ok().unwrap();
        assert_eq!(p.sort, Some(("name", true)));
        let q = Params::parse(Some("sort=price"), &[]).ok().unwrap();
        assert!(q.paging(&["id"]).is_err());
    }

    #[test]
    fn sorted_pages_follow_the_offset_to_the_end() {
        let items: Vec<(u64, &str)> = vec![(1, "d"), (2, "b"), (3, "a"), (4, "c"), (5, "b")];
        let key = |x: &(u64, &str), _: &str| Key::Text(x.1.to_string());
        let mut seen = Vec::new();
        let mut offset = Some(0);
        while let Some(o) = offset {
            let p = Paging { limit: 2, after: 0, offset: Some(o), sort: Some(("name", false)) };
            let r = page_of(items.clone(), |x| x.0, key, &p, |x| json!(x.0));
            let body = futures_util::FutureExt::now_or_never(axum::body::to_bytes(r.into_body(), 1 << 20));
            let v: Value = serde_json::from_slice(&body.unwrap().unwrap()).unwrap();
            seen.extend(v["items"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap()));
            offset = v["next"].as_u64().map(|n| n as usize);
        }
        // By name, ties (the two "b") by id.
        assert_eq!(seen, vec![3, 2, 5, 4, 1]);
    }

    #[test]
    fn none_sorts_first_and_descending_keeps_ties_by_id() {
        assert!(Key::Int(None) < Key::Int(Some(-5)));
        let items: Vec<(u64, i64)> = vec![(1, 5), (2, 7), (3, 5)];
        let p = Paging { limit: 10, after: 0, offset: None, sort: Some(("n", true)) };
        let r = page_of(items, |x| x.0, |x, _| Key::Int(Some(x.1)), &p, |x| json!(x.0));
        let body = futures_util::FutureExt::now_or_never(axum::body::to_bytes(r.into_body(), 1 << 20));
        let v: Value = serde_json::from_slice(&body.unwrap().unwrap()).unwrap();
        assert_eq!(v["items"], json!([2, 1, 3]));
    }
}
