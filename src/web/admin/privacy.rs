//! Data protection pages: a customer's export (a zip download, answered
//! to a POST because it writes its audit record: no admin GET changes
//! anything), erasure
//! behind a typed confirmation (the customer's number), and the tenant's
//! retention periods. Each goes through `ops::privacy`, as `lango customer
//! export|erase` and `lango retention set` do.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::customers::{Errors, mine};
use super::{Caller, Chrome, done, failed, not_found, render};
use crate::model::{Customer, Id};
use crate::web::WebState;

pub async fn export(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match mine(&s, &c, id) {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    }
    let store = &s.portal.store;
    match crate::ops::privacy::export(store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok(zip) => {
            let disposition = format!("attachment; filename=\"customer-{id}.zip\"");
            ([(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, disposition)], zip)
                .into_response()
        }
        Err(e) => failed(&c, &e),
    }
}

#[derive(Template)]
#[template(path = "admin/erase.html")]
struct ErasePage {
    c: Chrome,
    x: Customer,
    confirm: String,
    errors: Errors,
}

fn erase_page(c: &Caller, x: Customer, confirm: String, errors: Errors) -> Response {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &ErasePage { c: c.chrome("Erase customer"), x, confirm, errors })
}

pub async fn erase_form(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match mine(&s, &c, id) {
        Ok(Some(x)) => erase_page(&c, x, String::new(), Errors::default()),
        Ok(None) => not_found(&c),
        Err(r) => r,
    }
}

#[derive(Deserialize, Default)]
pub struct EraseForm {
    #[serde(default)]
    pub confirm: String,
}

pub async fn erase(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<EraseForm>,
) -> Response {
    let x = match mine(&s, &c, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    };
    let store = &s.portal.store;
    match crate::ops::privacy::erase(store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, &f.confirm) {
        Ok(e) => done(&format!("/admin/customers/{id}"), &format!("Erased: the customer is now {}.", e.pseudonym)),
        Err(e) => match Errors::of(&c, vec![e]) {
            Ok(errors) => erase_page(&c, x, f.confirm, errors),
            Err(r) => r,
        },
    }
}

#[derive(Deserialize, Default)]
pub struct RetentionForm {
    #[serde(default)]
    pub sessions_days: String,
    #[serde(default)]
    pub messages_days: String,
    #[serde(default)]
    pub audit_days: String,
}

#[derive(Template)]
#[template(path = "admin/privacy.html")]
struct RetentionPage {
    c: Chrome,
    f: RetentionForm,
    errors: Errors,
}

pub async fn retention(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let r = match s.portal.store.retention(c.tenant_id()) {
        Ok(r) => r,
        Err(e) => return failed(&c, &e),
    };
    let f = RetentionForm {
        sessions_days: r.sessions_days.to_string(),
        messages_days: r.messages_days.to_string(),
        audit_days: r.audit_days.to_string(),
    };
    render(StatusCode::OK, &RetentionPage { c: c.chrome("Privacy"), f, errors: Errors::default() })
}

pub async fn save_retention(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<RetentionForm>,
) -> Response {
    let store = &s.portal.store;
    let now = s.portal.clock.now();
    match crate::ops::privacy::set_retention(
        store,
        &c.actor(),
        now,
        c.tenant_id(),
        &f.sessions_days,
        &f.messages_days,
        &f.audit_days,
    ) {
        Ok(_) => done("/admin/privacy", "Retention saved."),
        Err(problems) => match Errors::of(&c, problems) {
            Ok(errors) => {
                render(StatusCode::UNPROCESSABLE_ENTITY, &RetentionPage { c: c.chrome("Privacy"), f, errors })
            }
            Err(r) => r,
        },
    }
}
