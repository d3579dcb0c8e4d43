//! The tenant's REST API tokens: the list (name, role, created, last
//! used), a form making one (the token shown once; only its SHA-256 is
//! kept) and revocation, through the same `ops::api_tokens` as
//! `lango api-token`. Tenant admins only.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::people::SecretPage;
use super::{Caller, Chrome, done, failed, not_found, render};
use crate::ops::{OpError, api_tokens};
use crate::web::WebState;
use crate::web::portal::pages::local_time;

pub struct TokenView {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub created: String,
    pub last_used: String,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "admin/api_tokens.html")]
struct Page {
    c: Chrome,
    tokens: Vec<TokenView>,
    roles: &'static [&'static str],
    f: TokenForm,
    errors: Errors,
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub reseller: String,
    #[serde(default)]
    pub allow: String,
}

fn page(s: &WebState, c: &Caller, f: TokenForm, errors: Errors) -> Response {
    let rows = match s.portal.store.api_tokens(c.tenant_id()) {
        Ok(rows) => rows,
        Err(e) => return failed(c, &e),
    };
    let tz = c.zone();
    let tokens = rows
        .into_iter()
        .map(|r| TokenView {
            scope: api_tokens::scope(&s.portal.store, &r.token),
            id: r.id,
            name: r.token.name,
            role: r.token.role.as_str(),
            created: local_time(r.token.created_at, tz),
            last_used: r.last_used.map_or_else(|| "never".into(), |at| local_time(at, tz)),
        })
        .collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &Page { c: c.chrome("API tokens"), tokens, roles: &api_tokens::ROLES, f, errors })
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    page(&s, &c, TokenForm { role: "read-only".into(), ..TokenForm::default() }, Errors::default())
}

pub async fn create(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(f): Form<TokenForm>) -> Response {
    let store = &s.portal.store;
    let input = api_tokens::TokenInput {
        name: f.name.clone(),
        role: f.role.clone(),
        reseller: f.reseller.clone(),
        allow: f.allow.clone(),
    };
    match api_tokens::create(store, &c.actor(), s.portal.clock.now(), c.tenant_id(), &input) {
        Ok(token) => {
            let view = SecretPage {
                c: c.chrome("API token made"),
                heading: format!("API token {} made", f.name.trim()),
                text:
                    "Send it as Authorization: Bearer … to /api/v1. It is shown only now; lango keeps only its digest."
                        .into(),
                secret: token,
                secret_id: "api-token",
                back: "/admin/api-tokens",
                back_label: "Back to the API tokens",
            };
            render(StatusCode::OK, &view)
        }
        Err(OpError::Field { field, message }) => {
            let mut errors = Errors::default();
            errors.add(field, message);
            page(&s, &c, f, errors)
        }
        Err(e) => failed(&c, &e),
    }
}

pub async fn revoke(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> Response {
    match api_tokens::revoke(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), &id) {
        Ok(t) => done("/admin/api-tokens", &format!("Token {} revoked: it no longer works.", t.name)),
        Err(OpError::Field { .. }) => not_found(&c),
        Err(e) => failed(&c, &e),
    }
}
