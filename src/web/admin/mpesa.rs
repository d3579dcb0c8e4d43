//! The tenant's M-Pesa (Daraja) settings: environment, consumer key and
//! secret, shortcode, passkey and till, saved through `ops::mpesa` (as
//! `lango mpesa setup`; secrets sealed, never shown back, left empty to
//! keep); the callback URLs to give Safaricom; "Test connection", which
//! fetches a fresh OAuth token and says in plain words what failed; and
//! C2B URL registration. Tenant admins only.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::{Caller, Chrome, done, failed, render};
use crate::ops::mpesa::{MpesaSpec, save};
use crate::payments::engine::PayError;
use crate::web::WebState;

#[derive(Deserialize, Default)]
pub struct MpesaForm {
    #[serde(default)]
    pub env: String,
    #[serde(default)]
    pub consumer_key: String,
    #[serde(default)]
    pub consumer_secret: String,
    #[serde(default)]
    pub shortcode: String,
    #[serde(default)]
    pub passkey: String,
    #[serde(default)]
    pub till: String,
}

#[derive(Template)]
#[template(path = "admin/mpesa.html")]
struct Page {
    c: Chrome,
    f: MpesaForm,
    configured: bool,
    /// STK callback, C2B validation, C2B confirmation.
    urls: Vec<(&'static str, String)>,
    /// The last check: worked, and what it said.
    result: Option<(bool, String)>,
    errors: Errors,
}

fn page(s: &WebState, c: &Caller, f: Option<MpesaForm>, result: Option<(bool, String)>, errors: Errors) -> Response {
    let b = match s.portal.store.tenant_billing(c.tenant_id()) {
        Ok(b) => b,
        Err(e) => return failed(c, &e),
    };
    let base = &s.payments.callback_base;
    let (configured, urls, stored) = match &b.mpesa {
        Some(m) => {
            let t = &m.callback_token;
            let urls = vec![
                ("STK callback", format!("{base}/pay/{t}/stk")),
                ("C2B validation", format!("{base}/pay/{t}/c2b/validation")),
                ("C2B confirmation", format!("{base}/pay/{t}/c2b/confirmation")),
            ];
            let env = match &m.env {
                crate::model::MpesaEnv::Sandbox => "sandbox".to_string(),
                crate::model::MpesaEnv::Production => "production".to_string(),
                crate::model::MpesaEnv::Custom(u) => u.clone(),
            };
            let f = MpesaForm {
                env,
                consumer_key: m.consumer_key.clone(),
                shortcode: m.shortcode.clone(),
                till: m.till.clone().unwrap_or_default(),
                ..MpesaForm::default()
            };
            (true, urls, f)
        }
        None => (false, vec![], MpesaForm { env: "sandbox".into(), ..MpesaForm::default() }),
    };
    let f = f.map(|f| MpesaForm { consumer_secret: String::new(), passkey: String::new(), ..f }).unwrap_or(stored);
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &Page { c: c.chrome("M-Pesa"), f, configured, urls, result, errors })
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    page(&s, &c, None, None, Errors::default())
}

pub async fn update(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(f): Form<MpesaForm>) -> Response {
    let spec = MpesaSpec {
        env: f.env.clone(),
        consumer_key: f.consumer_key.clone(),
        consumer_secret: f.consumer_secret.clone(),
        shortcode: f.shortcode.clone(),
        passkey: f.passkey.clone(),
        till: f.till.clone(),
    };
    match save(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), &spec) {
        Ok(()) => done("/admin/mpesa", "M-Pesa settings saved. Test the connection next."),
        Err(problems) => {
            let errors = match Errors::of(&c, problems) {
                Ok(e) => e,
                Err(r) => return r,
            };
            page(&s, &c, Some(f), None, errors)
        }
    }
}

fn words(e: &PayError) -> String {
    match e {
        PayError::Daraja(d) => d.operator_message(),
        PayError::NotConfigured => "M-Pesa is not set up yet: save the settings first.".into(),
        other => other.to_string(),
    }
}

pub async fn test(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let result = match s.payments.test_connection(c.tenant_id()).await {
        Ok(()) => (true, "Daraja accepted the consumer key and secret: an access token was issued.".to_string()),
        Err(e) => {
            tracing::warn!(error = %e, tenant = c.tenant_id(), "M-Pesa test connection failed");
            (false, words(&e))
        }
    };
    page(&s, &c, None, Some(result), Errors::default())
}

pub async fn register_c2b(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let result = match s.payments.register_c2b(c.tenant_id()).await {
        Ok((v, cf)) => {
            tracing::info!(tenant = c.tenant_id(), admin = c.admin.username, "C2B URLs registered");
            (true, format!("C2B URLs registered with Daraja: validation {v}, confirmation {cf}."))
        }
        Err(e) => (false, words(&e)),
    };
    page(&s, &c, None, Some(result), Errors::default())
}
