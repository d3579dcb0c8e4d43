//! The KRA eTIMS page at `/admin/etims`: the tenant's OSCU device (off by
//! default), set up by initialising it at the OSCU (the communication key
//! sealed, never shown) and turned off, with the count of sales waiting
//! for the control unit. Through `ops::etims`, as `lango
//! etims` does.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::{Caller, Chrome, done, failed, render};
use crate::model::EtimsSettings;
use crate::ops::etims::{self, SetupInput};
use crate::web::WebState;

#[derive(Deserialize, Default)]
pub struct SetupForm {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub tin: String,
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub serial: String,
}

#[derive(Template)]
#[template(path = "admin/etims.html")]
struct Page {
    c: Chrome,
    current: Option<EtimsSettings>,
    /// Sales waiting for the control unit.
    waiting: usize,
    f: SetupForm,
    errors: Errors,
}

fn page(s: &WebState, c: &Caller, f: SetupForm, errors: Errors) -> Response {
    let store = &s.portal.store;
    let (current, waiting) = match (store.etims_settings(c.tenant_id()), store.etims_pending(c.tenant_id())) {
        (Ok(x), Ok(n)) => (x, n),
        (Err(e), _) | (_, Err(e)) => return failed(c, &e),
    };
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &Page { c: c.chrome("KRA eTIMS"), current, waiting, f, errors })
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let f = match s.portal.store.etims_settings(c.tenant_id()) {
        Ok(Some(x)) => SetupForm { url: x.url, tin: x.tin, branch: x.branch, serial: x.serial },
        Ok(None) => SetupForm { branch: "00".into(), ..Default::default() },
        Err(e) => return failed(&c, &e),
    };
    page(&s, &c, f, Errors::default())
}

pub async fn setup(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(f): Form<SetupForm>) -> Response {
    let input =
        SetupInput { url: f.url.clone(), tin: f.tin.clone(), branch: f.branch.clone(), serial: f.serial.clone() };
    match etims::setup(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), input).await {
        Ok(d) => done("/admin/etims", &format!("eTIMS device initialised: control unit {}.", d.sdc_id)),
        Err(e) => match Errors::of(&c, vec![e]) {
            Ok(errors) => page(&s, &c, f, errors),
            Err(r) => r,
        },
    }
}

pub async fn off(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    match etims::off(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id()) {
        Ok(_) => done("/admin/etims", "eTIMS is off."),
        Err(e) => failed(&c, &e),
    }
}
