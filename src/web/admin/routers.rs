//! One router's page: its settings edited (name, address or subnet, CoA
//! port, the Message-Authenticator exemption with its warning), its
//! shared secret rotated (the new one shown once with the RouterOS command
//! that sets it) and a new hook token for its scripts (shown once). Through
//! `ops::routers`, as `lango nas edit|rotate-secret|hook-token` do.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::people::SecretPage;
use super::{Caller, Chrome, done, failed, not_found, render};
use crate::model::Id;
use crate::ops::OpError;
use crate::ops::routers::{self, RouterEdit};
use crate::web::WebState;

#[derive(Deserialize, Default)]
pub struct EditForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub coa_port: String,
    #[serde(default)]
    pub allow_missing_message_authenticator: String,
}

#[derive(Template)]
#[template(path = "admin/router.html")]
struct Page {
    c: Chrome,
    id: Id,
    f: EditForm,
    errors: Errors,
}

fn page(c: &Caller, id: Id, f: EditForm, errors: Errors) -> Response {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = format!("Router {}", f.name);
    render(status, &Page { c: c.chrome(&title), id, f, errors })
}

/// The error of an operation on router `id`: 404 when it is not the
/// tenant's, else the failure.
fn refused(c: &Caller, e: OpError) -> Response {
    match e.about() {
        Some(("id", _)) => not_found(c),
        _ => failed(c, &e),
    }
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match routers::router(&s.portal.store, c.tenant_id(), id) {
        Ok(n) => {
            let e = RouterEdit::of(&n);
            let f = EditForm {
                name: e.name,
                address: e.address,
                coa_port: e.coa_port,
                allow_missing_message_authenticator: if e.allow_missing_message_authenticator {
                    "on".into()
                } else {
                    String::new()
                },
            };
            page(&c, id, f, Errors::default())
        }
        Err(e) => refused(&c, e),
    }
}

pub async fn update(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<EditForm>,
) -> Response {
    if let Err(e) = routers::router(&s.portal.store, c.tenant_id(), id) {
        return refused(&c, e);
    }
    let edit = RouterEdit {
        name: f.name.clone(),
        address: f.address.clone(),
        coa_port: f.coa_port.clone(),
        allow_missing_message_authenticator: f.allow_missing_message_authenticator == "on",
    };
    match routers::edit(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, &edit) {
        Ok(n) => done(&format!("/admin/nas/{id}"), &format!("Router {} saved.", n.name)),
        Err(problems) => {
            let mut errors = Errors::default();
            for e in problems {
                match e.about() {
                    Some(("id", _)) => return not_found(&c),
                    Some((field, m)) => errors.add(field, m),
                    None => return failed(&c, &e),
                }
            }
            page(&c, id, f, errors)
        }
    }
}

pub async fn rotate_secret(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match routers::rotate_secret(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok((n, secret)) => {
            let view = SecretPage {
                c: c.chrome("New RADIUS secret"),
                heading: format!("New shared secret for {}", n.name),
                text: format!(
                    "The old secret stops working within seconds: put this one on the router now, e.g. {} (it is shown only now).",
                    routers::secret_command(&secret)
                ),
                secret,
                secret_id: "radius-secret",
                back: "/admin/nas",
                back_label: "Back to the routers",
            };
            render(StatusCode::OK, &view)
        }
        Err(e) => refused(&c, e),
    }
}

pub async fn hook_token(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match routers::hook_token(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok(token) => {
            let view = SecretPage {
                c: c.chrome("New hook token"),
                heading: "New hook token".into(),
                text: "Set it as the token at the top of the router's hook scripts (dhcp-lease-hook.rsc, hotspot-hooks.rsc); they send it as Authorization: Bearer …. The old token no longer works. It is shown only now.".into(),
                secret: token,
                secret_id: "hook-token",
                back: "/admin/nas",
                back_label: "Back to the routers",
            };
            render(StatusCode::OK, &view)
        }
        Err(e) => refused(&c, e),
    }
}
