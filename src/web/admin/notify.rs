//! Notifications in the admin UI: the delivery log (status, attempts with
//! the gateway's words, retry), the settings (gateway, SMTP, events, quiet
//! hours, daily cap, reminder lead times, operator contacts, a test
//! message), the templates with a preview for a chosen customer and the
//! SMS part count, broadcasts with their reach and cost, and a customer's
//! preferences. All of it through `ops::notify`, as `lango notify` does.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::{Caller, Chrome, done, failed, not_found, render};
use crate::model::*;
use crate::notify::template::{self as tpl, EVENTS, Event, LANGUAGES};
use crate::ops::notify::{self as ops, SettingsInput};
use crate::store::Audience;
use crate::web::WebState;

pub struct MsgRow {
    pub id: Id,
    pub at: String,
    pub channel: &'static str,
    pub to: String,
    pub customer: Option<Id>,
    pub event: String,
    pub status: &'static str,
    pub text: String,
    pub attempts: Vec<(String, bool, String)>,
    pub retry: bool,
}

pub fn rows(c: &Caller, messages: Vec<Message>) -> Vec<MsgRow> {
    messages
        .into_iter()
        .map(|m| MsgRow {
            id: m.id,
            at: c.time(m.created_at),
            channel: m.channel.as_str(),
            to: if m.channel == Channel::Sms { c.phone(&m.to) } else { m.to },
            customer: m.customer,
            event: m.event,
            status: m.status.as_str(),
            text: c.text(&if m.channel == Channel::Email { format!("{} — {}", m.subject, m.text) } else { m.text }),
            retry: matches!(m.status, MsgStatus::Failed | MsgStatus::Held),
            attempts: m.attempts.into_iter().map(|a| (c.time(a.at), a.ok, a.detail)).collect(),
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct LogQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub customer: String,
}

#[derive(Template)]
#[template(path = "admin/notify_log.html")]
struct LogPage {
    c: Chrome,
    rows: Vec<MsgRow>,
    customer: String,
    statuses: Vec<(&'static str, bool)>,
    can_manage: bool,
    configured: bool,
}

pub async fn log(State(s): State<WebState>, Extension(c): Extension<Caller>, Query(q): Query<LogQuery>) -> Response {
    let store = &s.portal.store;
    let status = MsgStatus::parse(q.status.trim());
    let customer = q.customer.trim().parse::<Id>().ok();
    let (messages, configured) =
        match (store.messages(c.tenant_id(), customer, status, 200), store.notify_settings(c.tenant_id())) {
            (Ok(m), Ok(st)) => (m, st.is_some()),
            (Err(e), _) | (_, Err(e)) => return failed(&c, &e),
        };
    let page = LogPage {
        c: c.chrome("Notifications"),
        rows: rows(&c, messages),
        customer: q.customer,
        statuses: ["queued", "sent", "delivered", "failed", "cancelled", "held"].map(|x| (x, x == q.status)).to_vec(),
        can_manage: c.can(super::rbac::Perm::ManageIntegrations),
        configured,
    };
    render(StatusCode::OK, &page)
}

pub async fn retry(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match s.portal.store.retry_message(&c.actor(), s.portal.clock.now(), c.tenant_id(), id) {
        Ok(_) => done("/admin/notifications", &format!("Message {id} queued again.")),
        Err(crate::store::StoreError::NotFound(_)) => not_found(&c),
        Err(crate::store::StoreError::Invalid(m)) => done("/admin/notifications", &m),
        Err(e) => failed(&c, &e),
    }
}

// ----------------------------------------------------------------- settings

#[derive(Deserialize, Default)]
pub struct TestForm {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub to: String,
}

#[derive(Template)]
#[template(path = "admin/notify_settings.html")]
struct SettingsPage {
    c: Chrome,
    f: SettingsInput,
    errors: Errors,
    events: Vec<(&'static str, &'static str, bool)>,
    stored_key: bool,
    stored_password: bool,
    test: TestForm,
    /// Where a gateway posts delivery reports (once the settings are saved).
    dlr_url: Option<String>,
}

fn settings_page(s: &WebState, c: &Caller, f: SettingsInput, errors: Errors, test: TestForm) -> Response {
    let stored = s.portal.store.notify_settings(c.tenant_id()).ok().flatten();
    let stored_key = stored.as_ref().is_some_and(|s| !matches!(s.sms, SmsGateway::Off | SmsGateway::AfricasTalking));
    let stored_password = stored.as_ref().and_then(|s| s.smtp.as_ref()).is_some_and(|m| m.password.is_some());
    let events = EVENTS
        .iter()
        .filter(|e| e.optional() && **e != Event::Broadcast)
        .map(|e| (e.as_str(), e.title(), f.events.iter().any(|x| x == e.as_str())))
        .collect();
    let dlr_url = stored
        .as_ref()
        .filter(|s| !s.dlr_token.is_empty())
        .map(|st| format!("{}/sms/dlr/{}", s.portal.home.trim_end_matches('/'), st.dlr_token));
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = SettingsPage {
        c: c.chrome("Notification settings"),
        f,
        errors,
        events,
        stored_key,
        stored_password,
        test,
        dlr_url,
    };
    render(status, &page)
}

#[allow(clippy::result_large_err)] // the Err is the page to answer with
fn stored_input(s: &WebState, c: &Caller) -> Result<SettingsInput, Response> {
    let store = &s.portal.store;
    let st = store.notify_settings(c.tenant_id()).map_err(|e| failed(c, &e))?;
    let fresh = st.is_none();
    let mut i = ops::input_of(store, c.tenant_id(), &st.unwrap_or_default()).map_err(|e| failed(c, &e))?;
    if fresh {
        // A first visit offers every customer event ticked.
        i.events =
            EVENTS.iter().filter(|e| e.optional() && **e != Event::Broadcast).map(|e| e.as_str().to_string()).collect();
    }
    Ok(i)
}

pub async fn settings(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    match stored_input(&s, &c) {
        Ok(f) => settings_page(&s, &c, f, Errors::default(), TestForm { channel: "sms".into(), ..Default::default() }),
        Err(r) => r,
    }
}

fn field(fields: &[(String, String)], name: &str) -> String {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

pub async fn save_settings(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = |n: &str| field(&fields, n);
    let mut input = SettingsInput {
        sms: f("sms"),
        sms_url: f("sms_url"),
        sms_account: f("sms_account"),
        sms_key: Some(f("sms_key")),
        sms_access_key: Some(f("sms_access_key")),
        sms_sender: f("sms_sender"),
        http_method: f("http_method"),
        http_headers: f("http_headers"),
        http_body: f("http_body"),
        http_success: f("http_success"),
        smtp_host: f("smtp_host"),
        smtp_port: f("smtp_port"),
        smtp_security: f("smtp_security"),
        smtp_username: f("smtp_username"),
        smtp_password: Some(f("smtp_password")),
        smtp_from: f("smtp_from"),
        events: fields.iter().filter(|(k, _)| k == "event").map(|(_, v)| v.clone()).collect(),
        quiet: f("quiet"),
        daily_cap: f("daily_cap"),
        language: f("language"),
        leads: f("leads"),
        plan_leads: f("plan_leads"),
        operator_phone: f("operator_phone"),
        operator_email: f("operator_email"),
        portal_url: f("portal_url"),
        sms_part_price: f("sms_part_price"),
        low_credit: f("low_credit"),
    };
    match ops::save_settings(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), &input) {
        Ok(_) => done("/admin/notifications/settings", "Notification settings saved."),
        Err(problems) => {
            let errors = match Errors::of(&c, problems) {
                Ok(e) => e,
                Err(r) => return r,
            };
            (input.sms_key, input.sms_access_key, input.smtp_password) = (None, None, None);
            settings_page(&s, &c, input, errors, TestForm::default())
        }
    }
}

pub async fn test(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(t): Form<TestForm>) -> Response {
    let channel = if t.channel == "email" { Channel::Email } else { Channel::Sms };
    let text = "A test message from lango: notifications work.";
    match s.portal.store.queue_test(&c.actor(), s.portal.clock.now(), c.tenant_id(), channel, &t.to, text) {
        Ok(id) => done(
            "/admin/notifications",
            &format!("Test message {id} queued; its outcome shows below in a few seconds."),
        ),
        Err(crate::store::StoreError::Invalid(m)) => {
            let mut errors = Errors::default();
            errors.add("to", m);
            match stored_input(&s, &c) {
                Ok(f) => settings_page(&s, &c, f, errors, t),
                Err(r) => r,
            }
        }
        Err(e) => failed(&c, &e),
    }
}

// ---------------------------------------------------------------- templates

/// An event: its name, title, and each language with whether it is the tenant's own.
type TemplateRow = (&'static str, &'static str, Vec<(&'static str, bool)>);

#[derive(Template)]
#[template(path = "admin/notify_templates.html")]
struct TemplatesPage {
    c: Chrome,
    rows: Vec<TemplateRow>,
}

pub async fn templates(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let mut rows = Vec::new();
    for e in EVENTS {
        let mut langs = Vec::new();
        for l in LANGUAGES {
            match s.portal.store.notify_template(c.tenant_id(), e, l) {
                Ok(t) => langs.push((l, t.is_some())),
                Err(err) => return failed(&c, &err),
            }
        }
        rows.push((e.as_str(), e.title(), langs));
    }
    render(StatusCode::OK, &TemplatesPage { c: c.chrome("Message templates"), rows })
}

#[derive(Deserialize, Default)]
pub struct TemplateForm {
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub customer: String,
    /// save, preview or reset
    #[serde(default)]
    pub action: String,
}

#[derive(Template)]
#[template(path = "admin/notify_template.html")]
struct TemplatePage {
    c: Chrome,
    f: TemplateForm,
    title: &'static str,
    custom: bool,
    variables: String,
    customers: Vec<(Id, String)>,
    preview: Option<ops::Preview>,
    errors: Errors,
}

fn template_page(
    s: &WebState,
    c: &Caller,
    event: Event,
    mut f: TemplateForm,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let store = &s.portal.store;
    let custom = store.notify_template(c.tenant_id(), event, &f.lang).ok().flatten().is_some();
    // The newest 200 to preview with: one page, not every customer opened.
    let customers: Vec<(Id, String)> = match store.customer_page(c.tenant_id(), None, "", None, 200) {
        Ok(v) => v.items.into_iter().map(|x| (x.id, x.name)).collect(),
        Err(e) => return failed(c, &e),
    };
    if f.customer.is_empty()
        && let Some((id, _)) = customers.first()
    {
        f.customer = id.to_string();
    }
    let t = tpl::Template { subject: f.subject.clone(), body: f.body.clone() };
    let preview = match f.customer.parse::<Id>() {
        Ok(id) if !errors.any() || f.action == "preview" => {
            ops::preview(store, c.tenant_id(), id, event, &f.lang, &t).ok()
        }
        _ => None,
    };
    let variables = event.variables().iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(" ");
    let page = TemplatePage {
        c: c.chrome("Message template"),
        title: event.title(),
        custom,
        variables,
        customers,
        preview,
        errors,
        f,
    };
    render(status, &page)
}

#[allow(clippy::result_large_err)] // the Err is the page to answer with
fn parse_key(c: &Caller, event: &str, lang: &str) -> Result<Event, Response> {
    match Event::parse(event) {
        Some(e) if LANGUAGES.contains(&lang) => Ok(e),
        _ => Err(not_found(c)),
    }
}

pub async fn template(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(mut f): Query<TemplateForm>,
) -> Response {
    let event = match parse_key(&c, &f.event, &f.lang) {
        Ok(e) => e,
        Err(r) => return r,
    };
    match ops::template(&s.portal.store, c.tenant_id(), event, &f.lang) {
        Ok((t, _)) => (f.subject, f.body) = (t.subject, t.body),
        Err(e) => return failed(&c, &e),
    }
    template_page(&s, &c, event, f, Errors::default(), StatusCode::OK)
}

pub async fn save_template(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<TemplateForm>,
) -> Response {
    let event = match parse_key(&c, &f.event, &f.lang) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let store = &s.portal.store;
    let t = tpl::Template { subject: f.subject.clone(), body: f.body.clone() };
    let back = format!("/admin/notifications/template?event={}&lang={}", f.event, f.lang);
    let result = match f.action.as_str() {
        "preview" => ops::check_template(event, &t),
        "reset" => ops::save_template(store, &c.actor(), s.portal.clock.now(), c.tenant_id(), event, &f.lang, None),
        _ => ops::save_template(store, &c.actor(), s.portal.clock.now(), c.tenant_id(), event, &f.lang, Some(&t)),
    };
    match result {
        Ok(()) if f.action == "preview" => template_page(&s, &c, event, f, Errors::default(), StatusCode::OK),
        Ok(()) if f.action == "reset" => done(&back, "Back to the shipped wording."),
        Ok(()) => done(&back, "Template saved."),
        Err(problems) => match Errors::of(&c, problems) {
            Ok(errors) => template_page(&s, &c, event, f, errors, StatusCode::UNPROCESSABLE_ENTITY),
            Err(r) => r,
        },
    }
}

// ---------------------------------------------------------------- broadcast

#[derive(Deserialize, Default)]
pub struct BroadcastForm {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub nas: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub marketing: String,
    /// preview or send
    #[serde(default)]
    pub action: String,
}

#[derive(Template)]
#[template(path = "admin/notify_broadcast.html")]
struct BroadcastPage {
    c: Chrome,
    f: BroadcastForm,
    plans: Vec<(Id, String)>,
    routers: Vec<(Id, String)>,
    reach: Option<ops::Reach>,
    cost: String,
    errors: Errors,
}

fn broadcast_page(s: &WebState, c: &Caller, f: BroadcastForm, reach: Option<ops::Reach>, errors: Errors) -> Response {
    let store = &s.portal.store;
    let (plans, routers) = match (
        store.plans(c.tenant_id()),
        store.all_nas().map(|v| v.into_iter().filter(|n| n.tenant == c.tenant_id()).collect::<Vec<_>>()),
    ) {
        (Ok(p), Ok(n)) => {
            (p.into_iter().map(|p| (p.id, p.name)).collect(), n.into_iter().map(|n| (n.id, n.name)).collect())
        }
        (Err(e), _) | (_, Err(e)) => return failed(c, &e),
    };
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let cost = reach.as_ref().map(|r| c.money(r.cost)).unwrap_or_default();
    render(status, &BroadcastPage { c: c.chrome("Broadcast"), f, plans, routers, reach, cost, errors })
}

pub async fn broadcast_form(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    broadcast_page(&s, &c, BroadcastForm { channel: "sms".into(), ..Default::default() }, None, Errors::default())
}

pub async fn broadcast(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<BroadcastForm>,
) -> Response {
    let store = &s.portal.store;
    let now = s.portal.clock.now();
    let audience = Audience {
        plan: f.plan.parse().ok(),
        nas: f.nas.parse().ok(),
        state: Some(f.state.clone()).filter(|x| !x.is_empty()),
    };
    let channel = if f.channel == "email" { Channel::Email } else { Channel::Sms };
    let marketing = f.marketing == "on";
    if f.action == "send" {
        return match ops::broadcast(store, &c.actor(), now, c.tenant_id(), &audience, channel, &f.text, marketing) {
            Ok(n) => done("/admin/notifications", &format!("Broadcast queued: {n} messages.")),
            Err(e) => match Errors::of(&c, vec![e]) {
                Ok(errors) => broadcast_page(&s, &c, f, None, errors),
                Err(r) => r,
            },
        };
    }
    let mut errors = Errors::default();
    if f.text.trim().is_empty() {
        errors.add("text", "The message is empty");
    }
    let bad = tpl::unknown(Event::Expired, &f.text);
    if !bad.is_empty() {
        errors.add("text", format!("Unknown variable {{{}}}", bad.join("}, {")));
    }
    match ops::broadcast_reach(store, now, c.tenant_id(), &audience, channel, &f.text, marketing) {
        Ok(r) => broadcast_page(&s, &c, f, Some(r), errors),
        Err(e) => failed(&c, &e),
    }
}

// -------------------------------------------------------------- preferences

#[derive(Deserialize, Default)]
pub struct PrefsForm {
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub sms: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub marketing_sms: String,
    #[serde(default)]
    pub marketing_email: String,
}

pub async fn prefs(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<PrefsForm>,
) -> Response {
    match super::customers::mine(&s, &c, id) {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(&c),
        Err(r) => return r,
    }
    let p = Prefs {
        language: Some(f.language).filter(|l| LANGUAGES.contains(&l.as_str())),
        sms: f.sms == "on",
        email: f.email == "on",
        marketing_sms: f.marketing_sms == "on",
        marketing_email: f.marketing_email == "on",
        ..Prefs::default()
    };
    match s.portal.store.set_prefs(&c.actor(), s.portal.clock.now(), c.tenant_id(), id, &p) {
        Ok(()) => done(&format!("/admin/customers/{id}"), "Message preferences saved."),
        Err(e) => failed(&c, &e),
    }
}
