//! CPEs managed through GenieACS: the GenieACS settings page (NBI URL,
//! basic-auth username and password, the password sealed and never shown
//! back), the inventory (add or import `serial,MAC,model` lines), one
//! CPE's page (install on a service, return, restock, Wi-Fi, live state,
//! reboot / refresh / push now) and the live panel the service and
//! customer pages show. All through `ops::cpe`, as `lango cpe` does.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::rbac::Perm;
use super::{Caller, Chrome, done, failed, message, not_found, render};
use crate::model::*;
use crate::ops::OpError;
use crate::ops::cpe::{self, Action, SettingsInput};
use crate::store::cpe::SecretEdit;
use crate::web::WebState;

/// What the service and customer pages show of a CPE, read live.
pub struct CpePanel {
    pub id: Id,
    pub serial: String,
    pub model: String,
    pub service: String,
    /// online / offline / unknown
    pub online: &'static str,
    pub seen: String,
    pub uptime: String,
    pub rx: String,
    /// Why the state is unknown (ACS down, no device yet).
    pub problem: String,
    pub provisioned: String,
    pub can_act: bool,
}

/// The CPE installed on service `sv`, with its live state from GenieACS
/// (at most `ops::cpe::LIVE_TIMEOUT`).
pub async fn panel(s: &WebState, c: &Caller, sv: &Service) -> Option<CpePanel> {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let cpe = store.cpe_of_service(t, sv.id).ok().flatten()?;
    let now = s.portal.clock.now();
    let mut p = CpePanel {
        id: cpe.id,
        serial: cpe.serial.clone(),
        model: cpe.model.clone(),
        service: sv.username.clone(),
        online: "unknown",
        seen: "-".into(),
        uptime: "-".into(),
        rx: "-".into(),
        problem: String::new(),
        provisioned: c.when(cpe.provisioned_at),
        can_act: c.can(Perm::ManageCpe),
    };
    match cpe::status(store, t, &cpe, now).await {
        Ok(Some(d)) => {
            p.online = if d.online { "online" } else { "offline" };
            p.seen = c.when(d.last_inform);
            p.uptime = d.uptime_secs.map_or_else(|| "-".into(), crate::model::units::show_duration);
            p.rx = d.rx_dbm.map_or_else(|| "not reported".into(), |r| format!("{r:.2} dBm"));
        }
        Ok(None) => p.problem = "GenieACS has no device with this serial number yet.".into(),
        Err(e) => p.problem = e.to_string(),
    }
    Some(p)
}

// ---- settings ----

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    pub base_url: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// "on": remove the stored password.
    #[serde(default)]
    pub clear_password: String,
}

#[derive(Template)]
#[template(path = "admin/genieacs.html")]
struct SettingsPage {
    c: Chrome,
    f: SettingsForm,
    errors: Errors,
    has_password: bool,
}

fn settings_page(s: &WebState, c: &Caller, f: SettingsForm, errors: Errors) -> Response {
    let has_password = match s.portal.store.acs_settings(c.tenant_id()) {
        Ok(x) => x.is_some_and(|x| x.password.is_some()),
        Err(e) => return failed(c, &e),
    };
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &SettingsPage { c: c.chrome("GenieACS"), f, errors, has_password })
}

pub async fn settings(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let f = match s.portal.store.acs_settings(c.tenant_id()) {
        Ok(Some(x)) => {
            SettingsForm { base_url: x.base_url, username: x.username.unwrap_or_default(), ..Default::default() }
        }
        Ok(None) => SettingsForm::default(),
        Err(e) => return failed(&c, &e),
    };
    settings_page(&s, &c, f, Errors::default())
}

pub async fn save_settings(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(mut f): Form<SettingsForm>,
) -> Response {
    let password = if !f.password.is_empty() {
        SecretEdit::Set(f.password.clone())
    } else if f.clear_password == "on" {
        SecretEdit::Clear
    } else {
        SecretEdit::Keep
    };
    let input = SettingsInput { base_url: f.base_url.clone(), username: Some(f.username.clone()), password };
    f.password.clear();
    match cpe::save_settings(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), input) {
        Ok(_) => done("/admin/genieacs", "GenieACS settings saved."),
        Err(e) => match Errors::of(&c, vec![e]) {
            Ok(errors) => settings_page(&s, &c, f, errors),
            Err(r) => r,
        },
    }
}

// ---- inventory ----

pub struct Row {
    pub id: Id,
    pub serial: String,
    pub mac: String,
    pub model: String,
    pub state: &'static str,
    pub service: Option<(Id, String)>,
}

#[derive(Template)]
#[template(path = "admin/cpes.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    typed: String,
    errors: Errors,
    configured: bool,
}

fn list_page(s: &WebState, c: &Caller, typed: String, errors: Errors) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let (cpes, configured) = match (store.cpes(t), store.acs_settings(t)) {
        (Ok(x), Ok(a)) => (x, a.is_some()),
        (Err(e), _) | (_, Err(e)) => return failed(c, &e),
    };
    let rows = cpes
        .into_iter()
        .map(|x| Row {
            id: x.id,
            mac: x.mac.map(|m| m.to_string()).unwrap_or_default(),
            model: x.model,
            state: x.state.as_str(),
            service: x
                .service
                .map(|id| (id, store.service(t, id).ok().flatten().map(|v| v.username).unwrap_or_default())),
            serial: x.serial,
        })
        .collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &ListPage { c: c.chrome("CPEs"), rows, typed, errors, configured })
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    list_page(&s, &c, String::new(), Errors::default())
}

#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    pub rows: String,
}

pub async fn add(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(f): Form<AddForm>) -> Response {
    let store = &s.portal.store;
    let added = cpe::parse_rows(&f.rows)
        .and_then(|rows| cpe::add(store, &c.actor(), s.portal.clock.now(), c.tenant_id(), &rows));
    match added {
        Ok(a) => done("/admin/cpe", &format!("{} CPEs added to the inventory.", a.len())),
        Err(e) => match Errors::of(&c, vec![e]) {
            Ok(errors) => list_page(&s, &c, f.rows, errors),
            Err(r) => r,
        },
    }
}

// ---- one CPE ----

#[derive(Template)]
#[template(path = "admin/cpe.html")]
struct CpePage {
    c: Chrome,
    x: Cpe,
    service: Option<(Id, String)>,
    live: Option<CpePanel>,
    waiting: Vec<(String, u32, String)>,
    link_to: String,
    ssid: String,
    errors: Errors,
    outcome: Option<(bool, String)>,
}

async fn cpe_page(
    s: &WebState,
    c: &Caller,
    id: Id,
    link_to: String,
    errors: Errors,
    outcome: Option<(bool, String)>,
) -> Response {
    let store = &s.portal.store;
    let t = c.tenant_id();
    let x = match store.cpe(t, id) {
        Ok(Some(x)) => x,
        Ok(None) => return not_found(c),
        Err(e) => return failed(c, &e),
    };
    let sv = x.service.and_then(|sid| store.service(t, sid).ok().flatten());
    let live = match &sv {
        Some(sv) => panel(s, c, sv).await,
        None => None,
    };
    let waiting = store
        .cpe_pushes_waiting(t, id)
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.reason, p.attempts, p.last_error.unwrap_or_default()))
        .collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = CpePage {
        c: c.chrome(format!("CPE {}", x.serial)),
        service: sv.map(|v| (v.id, v.username)),
        live,
        waiting,
        link_to,
        ssid: x.wifi_ssid.clone().unwrap_or_default(),
        errors,
        outcome,
        x,
    };
    render(status, &page)
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    cpe_page(&s, &c, id, String::new(), Errors::default(), None).await
}

/// After a change: back to the CPE's page, or the form again with the refusal.
async fn after(s: &WebState, c: &Caller, id: Id, r: Result<String, OpError>, typed: String) -> Response {
    match r {
        Ok(flash) => done(&format!("/admin/cpe/{id}"), &flash),
        Err(e @ OpError::Refused(_)) => {
            cpe_page(s, c, id, typed, Errors::default(), Some((false, e.to_string()))).await
        }
        Err(e) => match Errors::of(c, vec![e]) {
            Ok(errors) => cpe_page(s, c, id, typed, errors, None).await,
            Err(r) => r,
        },
    }
}

/// The CPE `id` of the caller's tenant, or the 404 page.
#[allow(clippy::result_large_err)] // the Err is the page to answer with, once per request
fn mine(s: &WebState, c: &Caller, id: Id) -> Result<Cpe, Response> {
    match s.portal.store.cpe(c.tenant_id(), id) {
        Ok(Some(x)) => Ok(x),
        Ok(None) => Err(not_found(c)),
        Err(e) => Err(failed(c, &e)),
    }
}

#[derive(Deserialize, Default)]
pub struct LinkForm {
    #[serde(default)]
    pub service: String,
}

pub async fn link(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<LinkForm>,
) -> Response {
    if let Err(r) = mine(&s, &c, id) {
        return r;
    }
    let r = cpe::link(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, &f.service)
        .map(|x| format!("CPE {} installed on {}.", x.serial, f.service.trim()));
    after(&s, &c, id, r, f.service).await
}

async fn shelve(s: WebState, c: Caller, id: Id, mv: Move) -> Response {
    if let Err(r) = mine(&s, &c, id) {
        return r;
    }
    let r = cpe::shelve(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, mv)
        .map(|x| format!("CPE {} is now {}.", x.serial, x.state.as_str().replace('_', " ")));
    after(&s, &c, id, r, String::new()).await
}

pub async fn give_back(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    shelve(s, c, id, Move::Return).await
}

pub async fn restock(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    shelve(s, c, id, Move::Restock).await
}

#[derive(Deserialize, Default)]
pub struct WifiForm {
    #[serde(default)]
    pub ssid: String,
    #[serde(default)]
    pub wifi_key: String,
}

pub async fn wifi(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<WifiForm>,
) -> Response {
    if let Err(r) = mine(&s, &c, id) {
        return r;
    }
    let key = match (f.wifi_key.is_empty(), f.ssid.trim().is_empty()) {
        (false, _) => SecretEdit::Set(f.wifi_key.clone()),
        (true, true) => SecretEdit::Clear,
        (true, false) => SecretEdit::Keep,
    };
    let r = cpe::wifi(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, Some(f.ssid.clone()), key)
        .map(|_| "Wi-Fi settings saved.".to_string());
    after(&s, &c, id, r, String::new()).await
}

async fn act(s: WebState, c: Caller, id: Id, what: Action) -> Response {
    if let Err(r) = mine(&s, &c, id) {
        return r;
    }
    let r = cpe::action(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id, what).await;
    match r {
        Err(OpError::Field { message, .. }) => message_page(&c, StatusCode::TOO_MANY_REQUESTS, &message),
        r => after(&s, &c, id, r, String::new()).await,
    }
}

fn message_page(c: &Caller, status: StatusCode, text: &str) -> Response {
    message(Some(c), status, "Not now", text)
}

pub async fn reboot(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    act(s, c, id, Action::Reboot).await
}

pub async fn refresh(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    act(s, c, id, Action::Refresh).await
}

pub async fn push(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    if let Err(r) = mine(&s, &c, id) {
        return r;
    }
    let r = cpe::push_now(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), id)
        .map(|_| "Credentials push queued.".to_string());
    after(&s, &c, id, r, String::new()).await
}
