//! What a tenant sells and where: plans (list, search, CSV, a form that
//! builds the plan with the CLI's own `build_plan`) and routers (NAS: list
//! with when each was last heard, a form whose secret is sealed by the
//! store and never shown again, not even on a form sent back with errors).

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::rbac::Perm;
use super::{Caller, Chrome, ListQuery, PAGE, csv_response, done, failed, not_found, render};
use crate::model::*;
use crate::store::{NewNas, Page, StoreError};
use crate::web::WebState;

/// One page, newest (highest id) first, of a list the store keeps small
/// and hands over whole (plans, routers).
pub(super) fn page_of<T>(mut items: Vec<T>, id: impl Fn(&T) -> Id, q: &ListQuery) -> Page<T> {
    items.sort_by_key(|x| std::cmp::Reverse(id(x)));
    if let Some(b) = q.before() {
        items.retain(|x| id(x) < b);
    }
    let limit = if q.csv() { usize::MAX } else { PAGE };
    let next = (items.len() > limit).then(|| id(&items[limit - 1]));
    items.truncate(limit);
    Page { items, next }
}

/// An operation's error about one of the form's `fields`: the field and
/// the message to show next to it. None when it is about no field of the
/// form (the page then says what went wrong as a whole).
pub(super) fn option_error(e: &crate::ops::OpError, fields: &[&'static str]) -> Option<(&'static str, String)> {
    let (field, message) = e.about()?;
    fields.contains(&field).then(|| (field, message.to_string()))
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn list_of(s: &str) -> Vec<String> {
    s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

// ---- plans -----------------------------------------------------------------

pub struct PlanRow {
    pub id: Id,
    pub name: String,
    pub validity: String,
    pub price: String,
    pub rate: String,
    pub quota: String,
    pub mode: String,
    pub portal: &'static str,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "admin/plans.html")]
struct PlansPage {
    c: Chrome,
    q: String,
    rows: Vec<PlanRow>,
    next: Option<String>,
    csv: String,
    can_edit: bool,
}

fn plan_row(c: &Caller, p: &Plan) -> PlanRow {
    PlanRow {
        id: p.id,
        name: p.name.clone(),
        validity: p.validity.to_string(),
        price: c.money(p.price),
        rate: p.rate.map_or_else(|| "-".into(), |r| r.to_string()),
        quota: p.quota_bytes.map_or_else(|| "-".into(), crate::model::units::show_bytes),
        mode: match p.mode {
            crate::billing::Mode::Prepaid => "prepaid".into(),
            crate::billing::Mode::Postpaid { due_days } => format!("postpaid, due in {due_days} days"),
        },
        portal: if p.offer.portal { "yes" } else { "no" },
        state: if p.disabled { "disabled" } else { "active" },
    }
}

pub async fn plans(State(s): State<WebState>, Extension(c): Extension<Caller>, Query(q): Query<ListQuery>) -> Response {
    let all = match s.portal.store.plans(c.tenant_id()) {
        Ok(p) => p,
        Err(e) => return failed(&c, &e),
    };
    let needle = q.q.trim().to_lowercase();
    let found = all.into_iter().filter(|p| needle.is_empty() || p.name.to_lowercase().contains(&needle)).collect();
    let page = page_of(found, |p: &Plan| p.id, &q);
    let rows: Vec<PlanRow> = page.items.iter().map(|p| plan_row(&c, p)).collect();
    if q.csv() {
        let rows = rows.into_iter().map(|r| {
            vec![
                r.id.to_string(),
                r.name,
                r.validity,
                r.price,
                r.rate,
                r.quota,
                r.mode,
                r.portal.into(),
                r.state.into(),
            ]
        });
        let head = ["id", "name", "validity", "price", "rate", "quota", "billing", "portal", "state"];
        return csv_response("plans", &head, rows);
    }
    let view = PlansPage {
        c: c.chrome("Plans"),
        next: q.next_link("/admin/plans", page.next),
        csv: q.csv_link("/admin/plans"),
        q: q.q,
        rows,
        can_edit: c.can(Perm::EditPlans),
    };
    render(StatusCode::OK, &view)
}

/// The plan form: what `lango plan add` takes, as typed.
#[derive(Deserialize, Clone)]
pub struct PlanForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub validity: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub rate: String,
    #[serde(default)]
    pub quota: String,
    #[serde(default)]
    pub fup: String,
    #[serde(default)]
    pub grace: String,
    #[serde(default)]
    pub simultaneous_use: String,
    #[serde(default)]
    pub session_timeout: String,
    #[serde(default)]
    pub idle_timeout: String,
    #[serde(default)]
    pub pool: String,
    #[serde(default)]
    pub address_list: String,
    #[serde(default)]
    pub routing_mark: String,
    #[serde(default)]
    pub filter_id: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub for_access: String,
    #[serde(default)]
    pub for_category: String,
    #[serde(default)]
    pub postpaid_due_days: String,
    #[serde(default)]
    pub calendar: String,
    #[serde(default)]
    pub kick_oldest: String,
    #[serde(default)]
    pub no_portal: String,
}

impl Default for PlanForm {
    fn default() -> PlanForm {
        PlanForm {
            name: String::new(),
            validity: "30d".into(),
            price: String::new(),
            rate: String::new(),
            quota: String::new(),
            fup: String::new(),
            grace: String::new(),
            simultaneous_use: "1".into(),
            session_timeout: String::new(),
            idle_timeout: String::new(),
            pool: String::new(),
            address_list: String::new(),
            routing_mark: String::new(),
            filter_id: String::new(),
            group: String::new(),
            for_access: String::new(),
            for_category: String::new(),
            postpaid_due_days: String::new(),
            calendar: String::new(),
            kick_oldest: String::new(),
            no_portal: String::new(),
        }
    }
}

const PLAN_FIELDS: &[&str] = &[
    "name",
    "validity",
    "price",
    "rate",
    "quota",
    "fup",
    "grace",
    "simultaneous_use",
    "session_timeout",
    "idle_timeout",
    "for_access",
    "postpaid_due_days",
    "address_list",
    "routing_mark",
    "filter_id",
    "group",
];

#[derive(Template)]
#[template(path = "admin/plan_form.html")]
struct PlanFormPage {
    c: Chrome,
    f: PlanForm,
    errors: Errors,
    /// Where the form posts: /admin/plans (new) or /admin/plans/{id}.
    action: String,
}

fn plan_form(c: &Caller, f: PlanForm, errors: Errors) -> Response {
    plan_form_at(c, f, errors, "/admin/plans".into())
}

fn plan_form_at(c: &Caller, f: PlanForm, errors: Errors, action: String) -> Response {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = if action == "/admin/plans" { "New plan" } else { "Edit plan" };
    render(status, &PlanFormPage { c: c.chrome(title), f, errors, action })
}

pub async fn new_plan(Extension(c): Extension<Caller>) -> Response {
    plan_form(&c, PlanForm::default(), Errors::default())
}

/// The form as `lango plan add` arguments; what cannot be one is a field error.
fn plan_args(c: &Caller, f: &PlanForm, errors: &mut Errors) -> crate::ops::plans::PlanSpec {
    if f.name.trim().is_empty() {
        errors.add("name", "Type the plan's name.");
    } else if f.name.chars().count() > 100 {
        errors.add("name", "At most 100 characters.");
    }
    if f.validity.trim().is_empty() {
        errors.add("validity", "How long one purchase lasts: 3h, 30d, 2w, 1mo.");
    }
    if f.price.trim().is_empty() {
        errors.add("price", "Type the price (0 for a free plan).");
    }
    let simultaneous_use = match f.simultaneous_use.trim() {
        "" => 1,
        n => n.parse::<u32>().unwrap_or_else(|_| {
            errors.add("simultaneous_use", "A whole number; 0 means no limit.");
            1
        }),
    };
    let postpaid_due_days = opt(&f.postpaid_due_days).and_then(|d| {
        d.parse::<u16>().map_err(|_| errors.add("postpaid_due_days", "A number of days, 0 to 65535.")).ok()
    });
    crate::ops::plans::PlanSpec {
        tenant: c.tenant.as_ref().map(|t| t.slug.clone()).unwrap_or_default(),
        name: f.name.trim().to_string(),
        validity: f.validity.trim().to_string(),
        calendar: f.calendar == "on",
        grace: opt(&f.grace),
        postpaid_due_days,
        fup: opt(&f.fup),
        kick_oldest: f.kick_oldest == "on",
        price: f.price.trim().to_string(),
        rate: opt(&f.rate),
        quota: opt(&f.quota),
        session_timeout: opt(&f.session_timeout),
        idle_timeout: opt(&f.idle_timeout),
        interim: "300".into(),
        simultaneous_use,
        access_window: None,
        pool: opt(&f.pool),
        ipv6_pool: None,
        address_list: opt(&f.address_list),
        routing_mark: opt(&f.routing_mark),
        filter_id: opt(&f.filter_id),
        group: opt(&f.group),
        no_portal: f.no_portal == "on",
        for_access: list_of(&f.for_access),
        for_category: list_of(&f.for_category),
        for_device: Vec::new(),
    }
}

pub async fn create_plan(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<PlanForm>,
) -> Response {
    let mut errors = Errors::default();
    let args = plan_args(&c, &f, &mut errors);
    if errors.any() {
        return plan_form(&c, f, errors);
    }
    let plan = match crate::ops::plans::build_plan(c.tenant_id(), &args) {
        Ok(p) => p,
        Err(e) => match option_error(&e, PLAN_FIELDS) {
            Some((field, m)) => {
                errors.add(field, m);
                return plan_form(&c, f, errors);
            }
            None => return failed(&c, &format!("{e:#}")),
        },
    };
    match s.portal.store.create_plan(&c.actor(), s.portal.clock.now(), c.tenant_id(), plan) {
        Ok(p) => done("/admin/plans", &format!("Plan {} created.", p.name)),
        Err(e) => {
            let field = match &e {
                StoreError::Conflict(_) => "name",
                StoreError::Invalid(m) if m.contains("validity") => "validity",
                StoreError::Invalid(m) if m.contains("name") => "name",
                _ => return failed(&c, &e),
            };
            errors.add(field, e.to_string());
            plan_form(&c, f, errors)
        }
    }
}

/// Whole units where exact ("2G", "30d"), else the plain number, so that
/// an edit form read back gives the same value.
fn exact_bytes(b: u64) -> String {
    match b {
        b if b >= 1_000_000_000 && b % 1_000_000_000 == 0 => format!("{}G", b / 1_000_000_000),
        b if b >= 1_000_000 && b % 1_000_000 == 0 => format!("{}M", b / 1_000_000),
        b => b.to_string(),
    }
}

fn exact_secs(s: u32) -> String {
    match s {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A plan as its form, as `lango plan add` would have taken it.
fn form_of(p: &Plan) -> PlanForm {
    let on = |b: bool| if b { "on".to_string() } else { String::new() };
    PlanForm {
        name: p.name.clone(),
        validity: p.validity.to_string(),
        price: crate::model::units::show_money(p.price),
        rate: p.rate.map(|r| r.to_string()).unwrap_or_default(),
        quota: p.quota_bytes.map(exact_bytes).unwrap_or_default(),
        fup: p.fup.map(|f| format!("{} {}", exact_bytes(f.threshold_bytes), f.rate)).unwrap_or_default(),
        grace: if p.grace_secs > 0 { exact_secs(p.grace_secs) } else { String::new() },
        simultaneous_use: p.simultaneous_use.to_string(),
        session_timeout: p.session_timeout.map(exact_secs).unwrap_or_default(),
        idle_timeout: p.idle_timeout.map(exact_secs).unwrap_or_default(),
        pool: p.address_pool.clone().unwrap_or_default(),
        address_list: p.address_list.clone().unwrap_or_default(),
        routing_mark: p.routing_mark.clone().unwrap_or_default(),
        filter_id: p.filter_id.clone().unwrap_or_default(),
        group: p.group.clone().unwrap_or_default(),
        for_access: p.offer.access.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(","),
        for_category: p.offer.categories.join(","),
        postpaid_due_days: match p.mode {
            crate::billing::Mode::Postpaid { due_days } => due_days.to_string(),
            crate::billing::Mode::Prepaid => String::new(),
        },
        calendar: on(p.anchor == crate::billing::Anchor::Calendar),
        kick_oldest: on(p.kick_oldest),
        no_portal: on(!p.offer.portal),
    }
}

pub async fn edit_plan(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<Id>) -> Response {
    match s.portal.store.plan(c.tenant_id(), id) {
        Ok(p) => plan_form_at(&c, form_of(&p), Errors::default(), format!("/admin/plans/{id}")),
        Err(StoreError::NotFound(_)) => not_found(&c),
        Err(e) => failed(&c, &e),
    }
}

/// Save an edited plan. What the form does not show (access window, IPv6
/// pool, device classes, interim interval) is kept from the stored plan.
pub async fn update_plan(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<PlanForm>,
) -> Response {
    let old = match s.portal.store.plan(c.tenant_id(), id) {
        Ok(p) => p,
        Err(StoreError::NotFound(_)) => return not_found(&c),
        Err(e) => return failed(&c, &e),
    };
    let action = format!("/admin/plans/{id}");
    let mut errors = Errors::default();
    let args = plan_args(&c, &f, &mut errors);
    if errors.any() {
        return plan_form_at(&c, f, errors, action);
    }
    let new = match crate::ops::plans::build_plan(c.tenant_id(), &args) {
        Ok(p) => p,
        Err(e) => match option_error(&e, PLAN_FIELDS) {
            Some((field, m)) => {
                errors.add(field, m);
                return plan_form_at(&c, f, errors, action);
            }
            None => return failed(&c, &format!("{e:#}")),
        },
    };
    let plan = Plan {
        id: old.id,
        tenant: old.tenant,
        disabled: old.disabled,
        access_window: old.access_window,
        ipv6_pool: old.ipv6_pool.clone(),
        interim_interval: old.interim_interval,
        offer: Offer { devices: old.offer.devices.clone(), ..new.offer },
        ..new
    };
    match s.portal.store.update_plan(&c.actor(), s.portal.clock.now(), &plan) {
        Ok((p, n)) => done("/admin/plans", &format!("Plan {} saved.{}", p.name, replanned(n))),
        Err(e @ StoreError::Conflict(_)) => {
            errors.add("name", e.to_string());
            plan_form_at(&c, f, errors, action)
        }
        Err(e) => failed(&c, &e),
    }
}

/// What a plan edit did to the sessions online on it.
fn replanned(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " 1 online session gets the change (CoA, or a disconnect where a CoA cannot apply it).".into(),
        n => format!(" {n} online sessions get the change (CoA, or a disconnect where a CoA cannot apply it)."),
    }
}

#[derive(Deserialize)]
pub struct StateForm {
    #[serde(default)]
    disabled: String,
}

/// Take a plan off sale (no new purchases, renewals or logins on it) or
/// back on. Plans are never deleted: services and invoices name them.
pub async fn plan_state(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<StateForm>,
) -> Response {
    let plan = match s.portal.store.plan(c.tenant_id(), id) {
        Ok(p) => p,
        Err(StoreError::NotFound(_)) => return not_found(&c),
        Err(e) => return failed(&c, &e),
    };
    let plan = Plan { disabled: f.disabled == "1", ..plan };
    match s.portal.store.update_plan(&c.actor(), s.portal.clock.now(), &plan) {
        Ok((p, _)) => {
            done("/admin/plans", &format!("Plan {} {}.", p.name, if p.disabled { "disabled" } else { "enabled" }))
        }
        Err(e) => failed(&c, &e),
    }
}

/// Stop answering a router (its requests are dropped as from an unknown
/// client) or start again. Routers are kept: sessions name them.
pub async fn nas_state(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<StateForm>,
) -> Response {
    let disabled = f.disabled == "1";
    match s.portal.store.set_nas_disabled(&c.actor(), s.portal.clock.now(), c.tenant_id(), id, disabled) {
        Ok(n) => done("/admin/nas", &format!("Router {} {}.", n.name, if n.disabled { "disabled" } else { "enabled" })),
        Err(StoreError::NotFound(_)) => not_found(&c),
        Err(e) => failed(&c, &e),
    }
}

// ---- routers (NAS) -----------------------------------------------------------

pub struct NasRow {
    pub id: Id,
    pub name: String,
    pub address: String,
    pub message_authenticator: &'static str,
    pub coa_port: u16,
    pub state: &'static str,
    pub heard: String,
}

#[derive(Template)]
#[template(path = "admin/nas.html")]
struct NasPage {
    c: Chrome,
    q: String,
    rows: Vec<NasRow>,
    next: Option<String>,
    csv: String,
    can_edit: bool,
}

pub async fn nas(State(s): State<WebState>, Extension(c): Extension<Caller>, Query(q): Query<ListQuery>) -> Response {
    let t = c.tenant_id();
    let all = match s.portal.store.all_nas() {
        Ok(n) => n,
        Err(e) => return failed(&c, &e),
    };
    let needle = q.q.trim().to_lowercase();
    let found = all
        .into_iter()
        .filter(|n| n.tenant == t)
        .filter(|n| {
            needle.is_empty()
                || n.name.to_lowercase().contains(&needle)
                || format!("{}/{}", n.address, n.prefix).contains(&needle)
        })
        .collect();
    let page = page_of(found, |n: &Nas| n.id, &q);
    let directory = s.radius.directory();
    // Field by field: the sealed secret is never copied into a row.
    let rows: Vec<NasRow> = page
        .items
        .iter()
        .map(|n| NasRow {
            id: n.id,
            name: n.name.clone(),
            address: format!("{}/{}", n.address, n.prefix),
            message_authenticator: if n.require_message_authenticator { "required" } else { "optional" },
            coa_port: n.coa_port,
            state: if n.disabled { "disabled" } else { "active" },
            heard: super::lists::heard_text(&c, directory.heard_at(n.id)),
        })
        .collect();
    if q.csv() {
        let rows = rows.into_iter().map(|r| {
            let id = r.id.to_string();
            vec![id, r.name, r.address, r.message_authenticator.into(), r.coa_port.to_string(), r.state.into(), r.heard]
        });
        let head = ["id", "name", "address", "message_authenticator", "coa_port", "state", "last_heard"];
        return csv_response("routers", &head, rows);
    }
    let view = NasPage {
        c: c.chrome("Routers"),
        next: q.next_link("/admin/nas", page.next),
        csv: q.csv_link("/admin/nas"),
        q: q.q,
        rows,
        can_edit: c.can(Perm::EditNas),
    };
    render(StatusCode::OK, &view)
}

/// The router form. The secret is never sent back to the browser.
#[derive(Deserialize, Default, Clone)]
pub struct NasForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub allow_missing_message_authenticator: String,
}

#[derive(Template)]
#[template(path = "admin/nas_form.html")]
struct NasFormPage {
    c: Chrome,
    f: NasForm,
    errors: Errors,
}

fn nas_form(c: &Caller, mut f: NasForm, errors: Errors) -> Response {
    f.secret.clear();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &NasFormPage { c: c.chrome("New router"), f, errors })
}

pub async fn new_nas(Extension(c): Extension<Caller>) -> Response {
    nas_form(&c, NasForm::default(), Errors::default())
}

pub async fn create_nas(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<NasForm>,
) -> Response {
    let mut errors = Errors::default();
    let name = f.name.trim();
    if name.is_empty() {
        errors.add("name", "Type the router's name.");
    } else if name.chars().count() > 100 {
        errors.add("name", "At most 100 characters.");
    }
    let address = match crate::model::units::parse_cidr(f.address.trim()) {
        Ok(a) => Some(a),
        Err(e) => {
            errors.add("address", format!("{e:#}: type the router's address (10.0.0.1) or a subnet (10.0.0.0/24)."));
            None
        }
    };
    if f.secret.len() < 8 {
        errors.add("secret", "At least 8 characters (the same secret goes into the router's RADIUS settings).");
    }
    let (Some((address, prefix)), false) = (address, errors.any()) else {
        return nas_form(&c, f, errors);
    };
    let n = NewNas {
        name: name.to_string(),
        address,
        prefix,
        secret: f.secret.clone(),
        require_message_authenticator: f.allow_missing_message_authenticator != "on",
    };
    match s.portal.store.create_nas(&c.actor(), s.portal.clock.now(), c.tenant_id(), n) {
        Ok(n) => done("/admin/nas", &format!("Router {} added for {}/{}.", n.name, n.address, n.prefix)),
        Err(e) => {
            let field = match &e {
                StoreError::Conflict(_) => "address",
                StoreError::Invalid(m) if m.contains("secret") => "secret",
                StoreError::Invalid(m) if m.contains("prefix") => "address",
                _ => return failed(&c, &e),
            };
            errors.add(field, e.to_string());
            nas_form(&c, f, errors)
        }
    }
}
