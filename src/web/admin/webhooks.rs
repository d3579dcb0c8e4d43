//! The tenant's webhooks: its endpoints (URL, events, on or off), a form
//! adding one (its signing secret is shown once, then only sealed), and
//! the delivery log, newest first a page at a time: when, which event to
//! which endpoint, which attempt, the HTTP status and what became of it.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::customers::Errors;
use super::people::SecretPage;
use super::{Caller, Chrome, ListQuery, PAGE, done, failed, not_found, render};
use crate::model::*;
use crate::ops::{self, OpError};
use crate::store::StoreError;
use crate::web::WebState;
use crate::web::portal::pages::local_time;

pub struct EndpointRow {
    pub id: Id,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub created: String,
}

pub struct LogRow {
    pub endpoint_id: Id,
    pub at: String,
    pub event: String,
    pub event_id: String,
    pub endpoint: String,
    pub attempt: u32,
    pub status: String,
    pub outcome: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct Page {
    c: Chrome,
    endpoints: Vec<EndpointRow>,
    log: Vec<LogRow>,
    next: Option<String>,
    /// The add form: every event and whether it is ticked.
    events: Vec<(&'static str, bool)>,
    url: String,
    errors: Errors,
}

fn page(s: &WebState, c: &Caller, before: Option<u64>, form: (String, Vec<String>), errors: Errors) -> Response {
    match build(s, c, before, form, errors) {
        Ok(r) => r,
        Err(e) => failed(c, &e),
    }
}

fn build(
    s: &WebState,
    c: &Caller,
    before: Option<u64>,
    (url, ticked): (String, Vec<String>),
    errors: Errors,
) -> Result<Response, StoreError> {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let tz = c.zone();
    let all = store.webhooks(t)?;
    let url_of = |id: Id| all.iter().find(|e| e.id == id).map_or_else(|| format!("#{id}"), |e| e.url.clone());
    let log = store.webhook_log_page(t, before, PAGE)?;
    let next = log.next.map(|n| format!("/admin/webhooks?before={n}"));
    let log = log
        .items
        .into_iter()
        .map(|l| LogRow {
            at: local_time(l.at, tz),
            endpoint_id: l.endpoint,
            endpoint: url_of(l.endpoint),
            status: l.status.map_or_else(|| "-".into(), |s| s.to_string()),
            outcome: l.outcome,
            error: l.error.unwrap_or_default(),
            event: l.event,
            event_id: l.event_id,
            attempt: l.attempt,
        })
        .collect();
    let endpoints = all
        .iter()
        .map(|e| EndpointRow {
            id: e.id,
            url: e.url.clone(),
            events: if e.events.is_empty() { "all".into() } else { e.events.join(", ") },
            enabled: e.enabled,
            created: local_time(e.created_at, tz),
        })
        .collect();
    let events = crate::store::WEBHOOK_EVENTS.iter().map(|e| (*e, ticked.iter().any(|t| t == e))).collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(status, &Page { c: c.chrome("Webhooks"), endpoints, log, next, events, url, errors }))
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>, Query(q): Query<ListQuery>) -> Response {
    page(&s, &c, q.before(), (String::new(), Vec::new()), Errors::default())
}

/// `url` and any number of `event` fields (none: every event).
pub async fn add(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let url = fields.iter().find(|(k, _)| k == "url").map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let events: Vec<String> = fields.iter().filter(|(k, _)| k == "event").map(|(_, v)| v.trim().to_string()).collect();
    let mut errors = Errors::default();
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    if url.len() > 500 || url.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
        errors.add("url", "At most 500 characters, no spaces.");
    } else if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
        errors.add("url", "An address starting with https:// (or http://) and a host name.");
    }
    if let Some(bad) = events.iter().find(|e| !crate::store::WEBHOOK_EVENTS.contains(&e.as_str())) {
        errors.add("events", format!("Unknown event {bad:?}."));
    }
    if errors.any() {
        return page(&s, &c, None, (url, events), errors);
    }
    match s.portal.store.add_webhook(&c.actor(), s.portal.clock.now(), c.tenant_id(), &url, events.clone()) {
        Ok((ep, secret)) => {
            let view = SecretPage {
                c: c.chrome("Webhook added"),
                heading: format!("Webhook {} added", ep.id),
                text: format!(
                    "Events go to {} signed with this secret (the Lango-Signature header). It is shown only now.",
                    ep.url
                ),
                secret,
                secret_id: "webhook-secret",
                back: "/admin/webhooks",
                back_label: "Back to the webhooks",
            };
            render(StatusCode::OK, &view)
        }
        Err(StoreError::Invalid(m)) => {
            errors.add("url", m);
            page(&s, &c, None, (url, events), errors)
        }
        Err(e) => failed(&c, &e),
    }
}

pub async fn disable(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    switch(&s, &c, id, false)
}

pub async fn enable(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    switch(&s, &c, id, true)
}

fn switch(s: &WebState, c: &Caller, id: Id, on: bool) -> Response {
    match ops::webhooks::set_enabled(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, on) {
        Ok(ep) if on => done("/admin/webhooks", &format!("Webhook {} is on: new events go to {}.", ep.id, ep.url)),
        Ok(ep) => done("/admin/webhooks", &format!("Webhook {} is off: nothing is sent to {}.", ep.id, ep.url)),
        Err(OpError::Field { .. }) => not_found(c),
        Err(e) => failed(c, &e),
    }
}

pub async fn delete(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match ops::webhooks::delete(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok(ep) => done("/admin/webhooks", &format!("Webhook {} ({}) deleted.", ep.id, ep.url)),
        Err(OpError::Field { .. }) => not_found(&c),
        Err(e) => failed(&c, &e),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct ResendForm {
    #[serde(default)]
    pub event: String,
}

/// Send the logged event `event` to endpoint `id` again.
pub async fn resend(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<ResendForm>,
) -> Response {
    let store = &s.portal.store;
    if !store.webhooks(c.tenant_id()).is_ok_and(|all| all.iter().any(|e| e.id == id)) {
        return not_found(&c);
    }
    match ops::webhooks::resend(store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, &f.event) {
        Ok(d) => done("/admin/webhooks", &format!("{} {} queued again for webhook {id}.", d.event, d.event_id)),
        Err(OpError::Field { field, message }) => {
            let mut errors = Errors::default();
            errors.add(field, message);
            page(&s, &c, None, (String::new(), Vec::new()), errors)
        }
        Err(e) => failed(&c, &e),
    }
}
