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
use super::{Caller, Chrome, done, failed, message, not_found, render};
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

#[derive(Deserialize, Default)]
pub struct ApiForm {
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: String,
    #[serde(default)]
    pub tls: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub lango_address: String,
}

#[derive(Template)]
#[template(path = "admin/router.html")]
struct Page {
    c: Chrome,
    id: Id,
    f: EditForm,
    api: ApiForm,
    /// API credentials are stored (the password is never shown).
    has_api: bool,
    errors: Errors,
}

fn api_form(s: &WebState, c: &Caller, id: Id) -> (ApiForm, bool) {
    match s.portal.store.router_api(c.tenant_id(), id) {
        Ok(Some(a)) => (
            ApiForm {
                host: a.host,
                port: a.port.to_string(),
                tls: if a.tls { "on".into() } else { String::new() },
                user: a.username,
                password: String::new(),
                lango_address: a.lango_address.map(|x| x.to_string()).unwrap_or_default(),
            },
            true,
        ),
        _ => (ApiForm::default(), false),
    }
}

fn edit_form(n: &crate::model::Nas) -> EditForm {
    let e = RouterEdit::of(n);
    EditForm {
        name: e.name,
        address: e.address,
        coa_port: e.coa_port,
        allow_missing_message_authenticator: if e.allow_missing_message_authenticator {
            "on".into()
        } else {
            String::new()
        },
    }
}

fn page(s: &WebState, c: &Caller, id: Id, f: Option<EditForm>, api: Option<ApiForm>, errors: Errors) -> Response {
    let n = match routers::router(&s.portal.store, c.tenant_id(), id) {
        Ok(n) => n,
        Err(e) => return refused(c, e),
    };
    let (stored, has_api) = api_form(s, c, id);
    let api = api.map(|a| ApiForm { password: String::new(), ..a }).unwrap_or(stored);
    let f = f.unwrap_or_else(|| edit_form(&n));
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = format!("Router {}", n.name);
    render(status, &Page { c: c.chrome(title), id, f, api, has_api, errors })
}

#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn field_errors(c: &Caller, problems: Vec<OpError>) -> Result<Errors, Response> {
    let mut errors = Errors::default();
    for e in problems {
        match e.about() {
            Some(("id", _)) => return Err(not_found(c)),
            Some((field, m)) => errors.add(field, m),
            None => return Err(failed(c, &e)),
        }
    }
    Ok(errors)
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
    page(&s, &c, id, None, None, Errors::default())
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
        Err(problems) => match field_errors(&c, problems) {
            Ok(errors) => page(&s, &c, id, Some(f), None, errors),
            Err(r) => r,
        },
    }
}

pub async fn save_api(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<ApiForm>,
) -> Response {
    let n = match routers::router(&s.portal.store, c.tenant_id(), id) {
        Ok(n) => n,
        Err(e) => return refused(&c, e),
    };
    let spec = routers::ApiSpec {
        host: f.host.clone(),
        port: f.port.clone(),
        tls: f.tls == "on",
        user: f.user.clone(),
        password: f.password.clone(),
        lango_address: f.lango_address.clone(),
    };
    match routers::set_api(&s.portal.store, &c.actor(), s.portal.clock.now(), &n, &spec) {
        Ok(a) => done(
            &format!("/admin/nas/{id}"),
            &format!("RouterOS API of {} saved: {}@{}:{}.", n.name, a.username, a.host, a.port),
        ),
        Err(problems) => match field_errors(&c, problems) {
            Ok(errors) => page(&s, &c, id, None, Some(f), errors),
            Err(r) => r,
        },
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

#[derive(Deserialize, Default)]
pub struct ProvisionForm {
    #[serde(default)]
    pub lango_address: String,
    #[serde(default)]
    pub portal_port: String,
}

#[derive(Template)]
#[template(path = "admin/router_provision.html")]
struct ProvisionPage {
    c: Chrome,
    id: Id,
    f: ProvisionForm,
    /// The changes, as RouterOS commands with secrets masked.
    changes: Vec<String>,
    /// The changes were applied (not a preview).
    applied: bool,
    /// What went wrong, with what was applied before it.
    failure: Option<String>,
    errors: Errors,
}

/// Preview (a dry run, which changes nothing) or apply.
async fn provision_page(s: &WebState, c: &Caller, id: Id, f: ProvisionForm, apply: bool) -> Response {
    let n = match routers::router(&s.portal.store, c.tenant_id(), id) {
        Ok(n) => n,
        Err(e) => return refused(c, e),
    };
    let mut errors = Errors::default();
    let lango_address = match f.lango_address.trim() {
        "" => None,
        a => a.parse().map_err(|_| errors.add("lango_address", "An IP address, as the router reaches lango.")).ok(),
    };
    let portal_port = match f.portal_port.trim() {
        "" => 80,
        p => p.parse::<u16>().ok().filter(|p| *p > 0).unwrap_or_else(|| {
            errors.add("portal_port", "A TCP port (lango's HTTP port, 8080 in a container).");
            80
        }),
    };
    let mut view = ProvisionPage {
        c: c.chrome(format!("Provision {}", n.name)),
        id,
        f,
        changes: vec![],
        applied: false,
        failure: None,
        errors,
    };
    if view.errors.any() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &view);
    }
    let spec = routers::ProvisionSpec { lango_address, portal_port, ..routers::ProvisionSpec::default() };
    let timeout = std::time::Duration::from_secs(10);
    match routers::provision(&s.portal.store, &n, &spec, !apply, timeout).await {
        Ok(report) => {
            if apply {
                tracing::info!(
                    router = n.name,
                    changes = report.changes.len(),
                    admin = c.admin.username,
                    "router provisioned"
                );
            }
            view.changes = report.changes.iter().map(ToString::to_string).collect();
            view.applied = report.applied;
            render(StatusCode::OK, &view)
        }
        Err(e) => match e.about() {
            Some(("id", _)) => not_found(c),
            Some((field, m)) => {
                view.errors.add(field, m);
                render(StatusCode::UNPROCESSABLE_ENTITY, &view)
            }
            None => {
                view.failure = Some(e.to_string());
                let status = if matches!(e, OpError::Refused(_)) {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                render(status, &view)
            }
        },
    }
}

pub async fn preview(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    axum::extract::Query(f): axum::extract::Query<ProvisionForm>,
) -> Response {
    provision_page(&s, &c, id, f, false).await
}

pub async fn apply(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<ProvisionForm>,
) -> Response {
    provision_page(&s, &c, id, f, true).await
}

// ---- what the router holds now: leases, hotspot hosts, active sessions -------

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    what: String,
}

#[derive(Template)]
#[template(path = "admin/router_lookup.html")]
struct LookupPage {
    c: Chrome,
    id: Id,
    router: String,
    title: String,
    what: String,
    head: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    failure: Option<String>,
}

/// The router's leases, hotspot hosts or active sessions, read over its API.
pub async fn lookup(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    axum::extract::Query(q): axum::extract::Query<LookupQuery>,
) -> Response {
    let n = match routers::router(&s.portal.store, c.tenant_id(), id) {
        Ok(n) => n,
        Err(e) => return refused(&c, e),
    };
    let what = match q.what.as_str() {
        "leases" | "hosts" => q.what.clone(),
        _ => "active".to_string(),
    };
    let (title, head): (&str, Vec<&'static str>) = match what.as_str() {
        "leases" => ("DHCP leases", vec!["Address", "MAC", "Host", "Status", "Server"]),
        "hosts" => ("Hotspot hosts", vec!["MAC", "Address", "To address", "Server", "Authorized"]),
        _ => ("Active sessions", vec!["Type", "User", "Address", "MAC / caller", "Uptime"]),
    };
    let mut view = LookupPage {
        c: c.chrome(format!("{title} on {}", n.name)),
        id,
        router: n.name.clone(),
        title: format!("{title} on {}", n.name),
        what: what.clone(),
        head,
        rows: vec![],
        failure: None,
    };
    match routers::lookup(&s.portal.store, &n, &what, std::time::Duration::from_secs(10)).await {
        Ok(routers::Lookup::Leases(l)) => {
            view.rows = l.into_iter().map(|l| vec![l.address, l.mac, l.host_name, l.status, l.server]).collect();
        }
        Ok(routers::Lookup::Hosts(h)) => {
            view.rows = h
                .into_iter()
                .map(|h| vec![h.mac, h.address, h.to_address, h.server, if h.authorized { "yes" } else { "no" }.into()])
                .collect();
        }
        Ok(routers::Lookup::Active(a)) => {
            view.rows =
                a.into_iter().map(|a| vec![a.kind.to_string(), a.user, a.address, a.caller, a.uptime]).collect();
        }
        Err(e) => {
            view.failure = Some(e.to_string());
            return render(StatusCode::CONFLICT, &view);
        }
    }
    render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct KickForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    address: String,
}

/// End sessions on the router through its API (by login or address).
pub async fn kick(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<Id>,
    Form(f): Form<KickForm>,
) -> Response {
    let n = match routers::router(&s.portal.store, c.tenant_id(), id) {
        Ok(n) => n,
        Err(e) => return refused(&c, e),
    };
    let address = match f.address.trim() {
        "" => None,
        a => match a.parse() {
            Ok(ip) => Some(ip),
            Err(_) => {
                let text = format!("{a:?} is not an IP address.");
                return message(Some(&c), StatusCode::UNPROCESSABLE_ENTITY, "Nothing ended", &text);
            }
        },
    };
    let now = s.portal.clock.now();
    let timeout = std::time::Duration::from_secs(10);
    match routers::kick(&s.portal.store, &c.actor(), now, &n, Some(&f.user), address, timeout).await {
        Ok(count) => {
            done(&format!("/admin/nas/{id}/lookup?what=active"), &format!("{count} session(s) ended on {}.", n.name))
        }
        Err(e) => {
            let text = e.about().map_or_else(|| e.to_string(), |(_, m)| format!("Give {m}."));
            message(Some(&c), StatusCode::CONFLICT, "Nothing ended", &text)
        }
    }
}
