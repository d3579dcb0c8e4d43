//! Support tickets from the customers' account pages: the open ones first,
//! one ticket's thread, and the operator's answer (which may close it; a
//! customer's next message opens it again). A reseller sees the tickets
//! of its own customers only.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::mine;
use super::rbac::Perm;
use super::{Caller, Chrome, ListQuery, done, failed, not_found, render};
use crate::model::*;
use crate::store::StoreError;
use crate::web::WebState;

pub struct TicketRow {
    pub id: Id,
    pub subject: String,
    pub customer: Id,
    pub name: String,
    pub state: &'static str,
    pub last: String,
    pub messages: usize,
}

#[derive(Template)]
#[template(path = "admin/tickets.html")]
struct ListPage {
    c: Chrome,
    q: String,
    rows: Vec<TicketRow>,
}

fn state(t: &Ticket) -> &'static str {
    if t.open { "open" } else { "closed" }
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>, Query(q): Query<ListQuery>) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let mut all = match store.tickets(t, None) {
        Ok(v) => v,
        Err(e) => return failed(&c, &e),
    };
    let needle = q.q.trim().to_lowercase();
    all.retain(|k| needle.is_empty() || k.subject.to_lowercase().contains(&needle));
    // Open ones first, each group newest first (the store gives newest first).
    all.sort_by_key(|k| !k.open);
    let mut rows = Vec::new();
    for k in all.into_iter().take(200) {
        let Ok(Some(customer)) = mine(&s, &c, k.customer) else { continue };
        rows.push(TicketRow {
            id: k.id,
            subject: k.subject.clone(),
            customer: k.customer,
            name: customer.name,
            state: state(&k),
            last: c.when(k.messages.last().map(|m| m.at)),
            messages: k.messages.len(),
        });
    }
    render(StatusCode::OK, &ListPage { c: c.chrome("Tickets"), q: q.q, rows })
}

#[derive(Template)]
#[template(path = "admin/ticket.html")]
struct TicketPage {
    c: Chrome,
    t: Ticket,
    customer: Customer,
    messages: Vec<(bool, String, String, String)>,
    can_answer: bool,
    error: Option<String>,
}

fn ticket_of(s: &WebState, c: &Caller, id: Id) -> Result<Option<(Ticket, Customer)>, StoreError> {
    let Some(t) = s.portal.store.tickets(c.tenant_id(), None)?.into_iter().find(|t| t.id == id) else {
        return Ok(None);
    };
    Ok(s.portal.store.customer_for(c.tenant_id(), c.reseller(), t.customer)?.map(|x| (t, x)))
}

fn page(c: &Caller, t: Ticket, customer: Customer, error: Option<String>) -> Response {
    let messages = t
        .messages
        .iter()
        .map(|m| {
            let who = m.staff.clone().unwrap_or_else(|| customer.name.clone());
            (m.staff.is_some(), who, c.when(Some(m.at)), m.body.clone())
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let view = TicketPage {
        c: c.chrome(t.subject.clone()),
        messages,
        customer,
        can_answer: c.can(Perm::EditCustomers),
        error,
        t,
    };
    render(status, &view)
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match ticket_of(&s, &c, id) {
        Ok(Some((t, x))) => page(&c, t, x, None),
        Ok(None) => not_found(&c),
        Err(e) => failed(&c, &e),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    message: String,
    #[serde(default)]
    close: String,
}

pub async fn answer(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let (t, customer) = match ticket_of(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(e) => return failed(&c, &e),
    };
    let msg =
        TicketMessage { at: s.portal.clock.now(), staff: Some(c.admin.username.clone()), body: f.message.clone() };
    match s.portal.store.answer_ticket(&c.actor(), c.tenant_id(), id, None, msg, f.close == "on") {
        Ok(t) => {
            done(&format!("/admin/tickets/{id}"), if t.open { "Answer sent." } else { "Answer sent; ticket closed." })
        }
        Err(StoreError::Invalid(m)) => page(&c, t, customer, Some(m)),
        Err(e) => failed(&c, &e),
    }
}
