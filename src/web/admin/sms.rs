//! The tenant's SMS gateway page (Africa's Talking: environment, username,
//! API key sealed and never shown back, sender id) and "send a test SMS".
//! Saved through `ops::sms`, as `lango sms setup` does.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::{Caller, Chrome, done, failed, render};
use crate::ops::sms::{self, SmsInput};
use crate::web::WebState;

#[derive(Deserialize, Default)]
pub struct SmsForm {
    #[serde(default)]
    pub env: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub api_key: String,
    #[serde(default)]
    pub sender: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Template)]
#[template(path = "admin/sms.html")]
struct Page {
    c: Chrome,
    f: SmsForm,
    errors: Errors,
    configured: bool,
    outcome: Option<(bool, String)>,
}

fn page(s: &WebState, c: &Caller, f: SmsForm, errors: Errors, outcome: Option<(bool, String)>) -> Response {
    let configured = match sms::settings(&s.portal.store, c.tenant_id()) {
        Ok(m) => m.is_some(),
        Err(e) => return failed(c, &e),
    };
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &Page { c: c.chrome("SMS gateway"), f, errors, configured, outcome })
}

fn stored_form(s: &WebState, c: &Caller) -> SmsForm {
    match sms::settings(&s.portal.store, c.tenant_id()).ok().flatten() {
        Some(m) => SmsForm {
            env: sms::env_name(&m.base_url),
            username: m.username,
            sender: m.sender.unwrap_or_default(),
            ..SmsForm::default()
        },
        None => SmsForm { env: "live".into(), ..SmsForm::default() },
    }
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let f = stored_form(&s, &c);
    page(&s, &c, f, Errors::default(), None)
}

pub async fn save(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(mut f): Form<SmsForm>) -> Response {
    let input = SmsInput {
        env: f.env.clone(),
        username: f.username.clone(),
        api_key: Some(f.api_key.clone()),
        sender: Some(f.sender.clone()),
    };
    match sms::save(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), &input) {
        Ok(_) => done("/admin/sms", "SMS settings saved."),
        Err(problems) => {
            let errors = match Errors::of(&c, problems) {
                Ok(e) => e,
                Err(r) => return r,
            };
            f.api_key.clear();
            page(&s, &c, f, errors, None)
        }
    }
}

pub async fn test(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(f): Form<SmsForm>) -> Response {
    let store = &s.portal.store;
    let mut errors = Errors::default();
    let Some(msisdn) = crate::model::msisdn(&f.phone) else {
        errors.add("phone", "A Kenyan mobile number, e.g. 0712345678");
        let mut back = stored_form(&s, &c);
        back.phone = f.phone;
        return page(&s, &c, back, errors, None);
    };
    let outcome = match store.sms_settings(c.tenant_id()) {
        Ok(Some(settings)) => match store.sms_api_key(&settings) {
            Ok(key) => {
                let text = "A test message from lango: the SMS gateway works.";
                match s.portal.sms.send(&settings, &key, &msisdn, text).await {
                    Ok(id) => (true, format!("Sent to {msisdn} (message id {id}).")),
                    Err(e) => (false, e.to_string()),
                }
            }
            Err(e) => return failed(&c, &e),
        },
        Ok(None) => (false, "The SMS gateway is not set up yet: save the settings first.".into()),
        Err(e) => return failed(&c, &e),
    };
    let mut back = stored_form(&s, &c);
    back.phone = f.phone;
    page(&s, &c, back, Errors::default(), Some(outcome))
}
