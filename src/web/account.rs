//! The customer's own pages: sign in with the service's username and
//! password; status, online state, usage chart, payments, receipt and
//! invoice downloads, renewal and upgrade, support tickets, and consent to
//! offers (opt-in / opt-out, recorded as `customer:account-page`). The
//! session is a signed cookie (HttpOnly, SameSite=Lax, Secure and
//! `__Host-` when lango is served over https), valid 12 hours; the signing
//! key lives in memory, so a restart signs everyone out.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

use super::WebState;
use super::portal::pages::{Chrome, CodePage, html, local_time};
use super::portal::rules::{self, Standing};
use super::portal::{Forms, PayForm, Portal, Who, failure, pay_for, render_who, user_agent};
use crate::model::*;
use crate::radius::guard::Key;
use crate::store::ServiceView;

const TTL: i64 = 12 * 3600;
const ACTOR: &str = "customer";

pub fn routes() -> axum::Router<WebState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/account", get(home))
        .route("/account/login", post(login))
        .route("/account/otp", post(otp))
        .route("/account/otp/verify", post(otp_verify))
        .route("/account/logout", post(logout))
        .route("/account/renew", get(renew))
        .route("/account/pay", post(pay))
        .route("/account/doc/{number}", get(document))
        .route("/account/tickets", post(new_ticket))
        .route("/account/consent", post(consent))
        .route("/account/tickets/{id}", get(ticket).post(reply))
}

fn cookie_name(p: &Portal) -> &'static str {
    if p.home.starts_with("https://") { "__Host-lango_acct" } else { "lango_acct" }
}

/// The signed-in service, from the cookie.
fn session(p: &Portal, headers: &HeaderMap) -> Option<(TenantId, Id)> {
    let name = cookie_name(p);
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))?;
    let mut parts = value.splitn(3, '.');
    let tenant: TenantId = parts.next()?.parse().ok()?;
    let service: Id = parts.next()?.parse().ok()?;
    let token = parts.next()?;
    p.signer.verify("acct", &format!("{tenant}:{service}"), token, p.clock.now()).then_some((tenant, service))
}

fn form_token(p: &Portal, tenant: TenantId, service: Id) -> String {
    p.signer.token("acct-form", &format!("{tenant}:{service}"), p.clock.now() + TTL)
}

fn form_ok(p: &Portal, tenant: TenantId, service: Id, token: &str) -> bool {
    p.signer.verify("acct-form", &format!("{tenant}:{service}"), token, p.clock.now())
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    c: Chrome,
    heading: &'static str,
    error: Option<String>,
    csrf: String,
    ask_tenant: bool,
    tenant: String,
    username: String,
}

/// The provider a sign-in is for: the one whose network the client is
/// on, else the only one there is, else the customer types its code.
fn login_page(p: &Portal, ip: IpAddr, error: Option<String>, username: String, status: StatusCode) -> Response {
    let known = match p.identify(ip) {
        Ok(Who::Known(v)) => Some(v.tenant),
        Ok(Who::Device { tenant, .. }) => Some(tenant),
        _ => None,
    };
    let only = || p.store.tenants().ok().filter(|t| t.len() == 1).and_then(|mut t| t.pop());
    let tenant = known.or_else(only);
    let c = tenant.as_ref().map_or_else(Chrome::neutral, |t| p.chrome(t));
    let page = LoginPage {
        c,
        heading: "Sign in to your account",
        error,
        csrf: p.signer.token("login", &ip.to_string(), p.clock.now() + 3600),
        ask_tenant: tenant.is_none(),
        tenant: tenant.map(|t| t.slug).unwrap_or_default(),
        username,
    };
    html(status, &page)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let p = &s.portal;
    let ip = p.client_ip(peer, &headers);
    let now = p.clock.now();
    let again = |msg: &str| login_page(p, ip, Some(msg.into()), f.username.clone(), StatusCode::OK);
    if !p.signer.verify("login", &ip.to_string(), &f.csrf, now) {
        return again("This page has expired. Please try again.");
    }
    let Ok(tenant) = p.store.tenant_by_slug(f.tenant.trim()) else {
        return again("Unknown provider code.");
    };
    // The same guard that slows voucher guessing slows password guessing.
    let keys: Vec<Key> = match ip {
        IpAddr::V4(v4) => vec![Key::Address(tenant.id, u32::from(v4))],
        IpAddr::V6(_) => vec![],
    };
    if p.radius.guard.blocked(&keys, now).is_some() {
        return again("Too many failed sign-ins from here. Try again in a few minutes.");
    }
    let svc = p.store.service_by_username(tenant.id, f.username.trim()).ok();
    let good = svc.as_ref().and_then(|s| p.store.service_password(s).ok()).is_some_and(|pw| {
        // Compare digests, so the time taken says nothing about the password.
        !pw.is_empty() && crate::store::sha256_hex(&pw) == crate::store::sha256_hex(&f.password)
    });
    let Some(svc) = svc.filter(|_| good) else {
        p.radius.guard.failed(&keys, now);
        return again("Wrong username or password.");
    };
    p.radius.guard.succeeded(&keys);
    sign_in(p, tenant.id, svc.id)
}

/// Set the session cookie and go to the account page.
fn sign_in(p: &Portal, tenant: TenantId, service: Id) -> Response {
    let token = p.signer.token("acct", &format!("{tenant}:{service}"), p.clock.now() + TTL);
    let secure = if p.home.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!(
        "{}={}.{}.{token}; Path=/; Max-Age={TTL}; HttpOnly; SameSite=Lax{secure}",
        cookie_name(p),
        tenant,
        service
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/account")).into_response()
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(s): State<WebState>, headers: HeaderMap, Form(f): Form<CsrfOnly>) -> Response {
    let p = &s.portal;
    if let Some((t, svc)) = session(p, &headers)
        && !form_ok(p, t, svc, &f.csrf)
    {
        return (StatusCode::FORBIDDEN, "this page has expired\n").into_response();
    }
    let secure = if p.home.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}", cookie_name(p));
    ([(header::SET_COOKIE, cookie)], Redirect::to("/account")).into_response()
}

struct Day {
    x: u32,
    y: u32,
    h: u32,
    label: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "account/home.html")]
struct HomePage {
    c: Chrome,
    a: super::portal::pages::Account,
    standing: &'static str,
    note: &'static str,
    can_renew: bool,
    days: Vec<Day>,
    peak: String,
    payments: Vec<(String, String, String)>,
    docs: Vec<(String, String, String)>,
    tickets: Vec<(Id, String, &'static str)>,
    /// The customer's consent to offers (Data Protection Act, 2019).
    prefs: crate::model::Prefs,
    csrf: String,
    error: Option<String>,
    subject: String,
    message: String,
}

/// Bytes per tenant-local day for the last 14 days: each session's bytes
/// count on the day it last reported (stopped, or its latest interim).
fn daily_usage(sessions: &[Session], now: UnixTime, tz: &str) -> Vec<(String, u64)> {
    let zone = crate::clock::Clock::zone(tz);
    let day_of = |t: UnixTime| {
        jiff::Timestamp::from_second(t).map(|ts| zone.to_datetime(ts).date()).unwrap_or(jiff::civil::Date::ZERO)
    };
    let today = day_of(now);
    let mut days: Vec<(jiff::civil::Date, u64)> =
        (0..14).rev().filter_map(|back| today.checked_sub(jiff::Span::new().days(back)).ok()).map(|d| (d, 0)).collect();
    for s in sessions {
        let d = day_of(s.stopped_at.unwrap_or(s.updated_at));
        if let Some(slot) = days.iter_mut().find(|(day, _)| *day == d) {
            slot.1 += s.counters.bytes_in + s.counters.bytes_out;
        }
    }
    days.into_iter().map(|(d, b)| (d.strftime("%a %-d %b").to_string(), b)).collect()
}

fn home_page(p: &Portal, v: &ServiceView, error: Option<String>, subject: String, message: String) -> Response {
    let now = p.clock.now();
    let c = p.chrome(&v.tenant);
    let w = c.w;
    let (t, svc) = (v.tenant.id, v.service.id);
    let standing = rules::standing(&v.service, &v.plan, &v.usage, now);
    let money = |m: i64| crate::pdf::format_money(m, &v.tenant.currency);
    let sessions = p.store.service_sessions(t, svc).unwrap_or_default();
    let usage = daily_usage(&sessions, now, &v.tenant.timezone);
    let peak = usage.iter().map(|d| d.1).max().unwrap_or(0);
    let days = usage
        .iter()
        .enumerate()
        .map(|(i, (label, b))| {
            let h = (b * 96).checked_div(peak).unwrap_or(0) as u32;
            Day { x: i as u32 * 20, y: 100 - h, h, label: label.clone(), amount: crate::model::units::show_bytes(*b) }
        })
        .collect();
    let payments = p
        .store
        .customer_payments(t, v.customer.id, 20)
        .unwrap_or_default()
        .into_iter()
        .map(|x| {
            (
                local_time(x.received_at, &v.tenant.timezone),
                format!("{} {}", x.method.as_str(), x.reference),
                money(x.amount),
            )
        })
        .collect();
    let docs = p
        .store
        .customer_documents(t, v.customer.id, 20)
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.number.clone(), local_time(d.issued_at, &v.tenant.timezone), money(d.gross)))
        .collect();
    let tickets = p
        .store
        .tickets(t, Some(v.customer.id))
        .unwrap_or_default()
        .into_iter()
        .map(|k| (k.id, k.subject, if k.open { "open" } else { "closed" }))
        .collect();
    let account = super::portal::account_of(v, now, w);
    let page = HomePage {
        note: super::portal::note_of(standing, w),
        c,
        a: account,
        standing: standing.as_str(),
        can_renew: standing != Standing::Suspended,
        days,
        peak: crate::model::units::show_bytes(peak),
        payments,
        docs,
        tickets,
        prefs: p.store.prefs(t, v.customer.id).unwrap_or_default(),
        csrf: form_token(p, t, svc),
        error,
        subject,
        message,
    };
    html(StatusCode::OK, &page)
}

/// The signed-in service's view, or the sign-in page.
#[allow(clippy::result_large_err)] // the Err is the page to answer with, once per request
fn signed_in(p: &Portal, peer: SocketAddr, headers: &HeaderMap) -> Result<Box<ServiceView>, Response> {
    let ip = p.client_ip(peer, headers);
    match session(p, headers).map(|(t, s)| p.store.service_view(t, s)) {
        Some(Ok(v)) => Ok(Box::new(v)),
        Some(Err(e)) => Err(failure(&e)),
        None => Err(login_page(p, ip, None, String::new(), StatusCode::OK)),
    }
}

async fn home(State(s): State<WebState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    match signed_in(&s.portal, peer, &headers) {
        Ok(v) => home_page(&s.portal, &v, None, String::new(), String::new()),
        Err(r) => r,
    }
}

async fn renew(State(s): State<WebState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    let p = &s.portal;
    match signed_in(p, peer, &headers) {
        Ok(v) => {
            let forms = Forms { csrf: form_token(p, v.tenant.id, v.service.id), action: "/account/pay" };
            render_who(p, Who::Known(v), &forms, user_agent(&headers), None, String::new())
        }
        Err(r) => r,
    }
}

async fn pay(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<PayForm>,
) -> Response {
    let p = &s.portal;
    match signed_in(p, peer, &headers) {
        Ok(v) => {
            let (t, svc) = (v.tenant.id, v.service.id);
            let forms = Forms { csrf: form_token(p, t, svc), action: "/account/pay" };
            let ok = form_ok(p, t, svc, &f.csrf);
            pay_for(p, Who::Known(v), &forms, ok, f, user_agent(&headers)).await
        }
        Err(r) => r,
    }
}

async fn document(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    let p = &s.portal;
    let v = match signed_in(p, peer, &headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    // Only the customer's own documents; anything else is "not found".
    let doc = p.store.document_by_number(v.tenant.id, &number).ok().flatten().filter(|d| d.customer == v.customer.id);
    let Some(doc) = doc else { return (StatusCode::NOT_FOUND, "not found\n").into_response() };
    match crate::ops::money::doc_view(&p.store, &v.tenant, &doc) {
        Ok(view) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, format!("inline; filename=\"{}.pdf\"", doc.number)),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            crate::pdf::invoice::document(&view),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "document view failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "document failed\n").into_response()
        }
    }
}

#[derive(Deserialize)]
struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    marketing_sms: String,
    #[serde(default)]
    marketing_email: String,
}

/// The customer's own opt-in or opt-out of offers, recorded with when and
/// how (`customer:account-page`), as the admin's preferences form does.
async fn consent(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<ConsentForm>,
) -> Response {
    let p = &s.portal;
    let v = match signed_in(p, peer, &headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (t, svc) = (v.tenant.id, v.service.id);
    if !form_ok(p, t, svc, &f.csrf) {
        return home_page(p, &v, Some("This page has expired. Please try again.".into()), String::new(), String::new());
    }
    let mut prefs = p.store.prefs(t, v.customer.id).unwrap_or_default();
    prefs.marketing_sms = f.marketing_sms == "on";
    prefs.marketing_email = f.marketing_email == "on";
    match p.store.set_prefs(CONSENT_ACTOR, p.clock.now(), t, v.customer.id, &prefs) {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => home_page(p, &v, Some(sentence(&e.to_string())), String::new(), String::new()),
    }
}

/// Who changed the consent, as the audit log and the customer's page say.
const CONSENT_ACTOR: &str = "customer:account-page";

#[derive(Deserialize)]
struct TicketForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    message: String,
}

async fn new_ticket(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<TicketForm>,
) -> Response {
    let p = &s.portal;
    let v = match signed_in(p, peer, &headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (t, svc) = (v.tenant.id, v.service.id);
    if !form_ok(p, t, svc, &f.csrf) {
        return home_page(p, &v, Some("This page has expired. Please try again.".into()), f.subject, f.message);
    }
    let new =
        crate::store::NewTicket { customer: v.customer.id, service: Some(svc), subject: &f.subject, body: &f.message };
    match p.store.open_ticket(ACTOR, p.clock.now(), t, new) {
        Ok(k) => Redirect::to(&format!("/account/tickets/{}", k.id)).into_response(),
        Err(e) => home_page(p, &v, Some(sentence(&e.to_string())), f.subject, f.message),
    }
}

/// "the subject is empty" → "The subject is empty."
fn sentence(s: &str) -> String {
    let s = s.strip_prefix("invalid: ").unwrap_or(s);
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str() + ".").unwrap_or_default()
}

#[derive(Template)]
#[template(path = "account/ticket.html")]
struct TicketPage {
    c: Chrome,
    id: Id,
    subject: String,
    state: &'static str,
    /// (from staff, who, when, text)
    messages: Vec<(bool, String, String, String)>,
    csrf: String,
    error: Option<String>,
}

fn ticket_page(p: &Portal, v: &ServiceView, id: Id, error: Option<String>) -> Response {
    let Some(k) =
        p.store.tickets(v.tenant.id, Some(v.customer.id)).ok().and_then(|ts| ts.into_iter().find(|k| k.id == id))
    else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let messages = k
        .messages
        .iter()
        .map(|m| {
            let who = m.staff.clone().unwrap_or_else(|| v.customer.name.clone());
            (m.staff.is_some(), who, local_time(m.at, &v.tenant.timezone), m.body.clone())
        })
        .collect();
    let page = TicketPage {
        c: p.chrome(&v.tenant),
        id,
        subject: k.subject,
        state: if k.open { "open" } else { "closed" },
        messages,
        csrf: form_token(p, v.tenant.id, v.service.id),
        error,
    };
    html(StatusCode::OK, &page)
}

async fn ticket(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<Id>,
) -> Response {
    match signed_in(&s.portal, peer, &headers) {
        Ok(v) => ticket_page(&s.portal, &v, id, None),
        Err(r) => r,
    }
}

async fn reply(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    Form(f): Form<TicketForm>,
) -> Response {
    let p = &s.portal;
    let v = match signed_in(p, peer, &headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !form_ok(p, v.tenant.id, v.service.id, &f.csrf) {
        return ticket_page(p, &v, id, Some("This page has expired. Please try again.".into()));
    }
    let msg = TicketMessage { at: p.clock.now(), staff: None, body: f.message };
    match p.store.answer_ticket(ACTOR, v.tenant.id, id, Some(v.customer.id), msg, false) {
        Ok(_) => Redirect::to(&format!("/account/tickets/{id}")).into_response(),
        Err(crate::store::StoreError::NotFound(_)) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        Err(e) => ticket_page(p, &v, id, Some(sentence(&e.to_string()))),
    }
}

#[derive(Deserialize)]
struct OtpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

fn code_page(p: &Portal, tenant: &Tenant, ip: IpAddr, f: &OtpForm, error: Option<String>) -> Response {
    let page = CodePage {
        c: p.chrome(tenant),
        action: "/account/otp/verify",
        csrf: p.signer.token("login", &ip.to_string(), p.clock.now() + 3600),
        hidden: vec![("tenant".into(), tenant.slug.clone()), ("phone".into(), f.phone.clone())],
        error,
    };
    html(StatusCode::OK, &page)
}

/// Sign in by phone: a code by SMS to a number a customer has.
async fn otp(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<OtpForm>,
) -> Response {
    let p = &s.portal;
    let ip = p.client_ip(peer, &headers);
    let again = |msg: &str| login_page(p, ip, Some(msg.into()), String::new(), StatusCode::OK);
    if !p.signer.verify("login", &ip.to_string(), &f.csrf, p.clock.now()) {
        return again("This page has expired. Please try again.");
    }
    let Ok(tenant) = p.store.tenant_by_slug(f.tenant.trim()) else { return again("Unknown provider code.") };
    let w = p.chrome(&tenant).w;
    let Some(number) = msisdn(&f.phone) else { return again(w.err_phone) };
    if let Err(msg) = p.send_code(&tenant, &number).await {
        return again(msg);
    }
    code_page(p, &tenant, ip, &f, None)
}

async fn otp_verify(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<OtpForm>,
) -> Response {
    let p = &s.portal;
    let ip = p.client_ip(peer, &headers);
    let now = p.clock.now();
    let Ok(tenant) = p.store.tenant_by_slug(f.tenant.trim()) else {
        return login_page(p, ip, Some("Unknown provider code.".into()), String::new(), StatusCode::OK);
    };
    let w = p.chrome(&tenant).w;
    if !p.signer.verify("login", &ip.to_string(), &f.csrf, now) {
        return code_page(p, &tenant, ip, &f, Some(w.err_expired_form.into()));
    }
    let keys: Vec<Key> = match ip {
        IpAddr::V4(v4) => vec![Key::Address(tenant.id, u32::from(v4))],
        IpAddr::V6(_) => vec![],
    };
    if p.radius.guard.blocked(&keys, now).is_some() {
        return code_page(p, &tenant, ip, &f, Some(w.err_blocked.into()));
    }
    let number = msisdn(&f.phone).unwrap_or_default();
    if !p.otps.check(tenant.id, &number, &f.code, now) {
        p.radius.guard.failed(&keys, now);
        return code_page(p, &tenant, ip, &f, Some(w.err_code.into()));
    }
    // The customer's first service that is not a voucher.
    let service = p.store.customer_by_phone(tenant.id, &number).ok().flatten().and_then(|customer| {
        let mut mine: Vec<Service> =
            p.store.services(tenant.id).ok()?.into_iter().filter(|s| s.customer == customer).collect();
        mine.sort_by_key(|s| (s.voucher.is_some(), s.id));
        mine.into_iter().next()
    });
    match service {
        Some(svc) => sign_in(p, tenant.id, svc.id),
        None => login_page(p, ip, Some(w.err_no_package.into()), String::new(), StatusCode::OK),
    }
}
