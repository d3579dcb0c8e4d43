//! Admin accounts: the acting tenant's admins (and, for a platform admin,
//! the platform admins), a form making a new one with a generated password
//! shown once, and disable / enable (which ends the admin's sessions).
//! A tenant admin makes and touches only its own tenant's admins and never
//! a platform admin; anyone else's name answers 404 like a missing one.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::{Caller, Chrome, done, failed, message, not_found, render};
use crate::model::*;
use crate::store::StoreError;
use crate::web::WebState;
use crate::web::portal::pages::local_time;

pub struct AdminRow {
    pub name: String,
    pub role: &'static str,
    /// The tenant's slug, or "platform".
    pub scope: String,
    pub totp: bool,
    pub disabled: bool,
    pub created: String,
    /// The signed-in admin itself (no disable button).
    pub me: bool,
    /// Where its disable / enable form posts, name percent-encoded.
    pub action: String,
}

#[derive(Template)]
#[template(path = "admin/admins.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<AdminRow>,
}

/// A path segment, percent-encoded (admin names may hold `/` or `?`).
pub fn segment(s: &str) -> String {
    let e = serde_urlencoded::to_string([("", s)]).unwrap_or_default();
    e.trim_start_matches('=').replace('+', "%20")
}

/// Whether the caller may see and change `a`.
fn visible(c: &Caller, a: &Admin) -> bool {
    match a.tenant {
        0 => c.admin.role == Role::PlatformAdmin,
        t => t == c.tenant_id(),
    }
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let store = &s.portal.store;
    let mut admins = match store.admins(c.tenant_id()) {
        Ok(a) => a,
        Err(e) => return failed(&c, &e),
    };
    if c.admin.role == Role::PlatformAdmin && c.tenant_id() != 0 {
        match store.admins(0) {
            Ok(p) => admins.extend(p),
            Err(e) => return failed(&c, &e),
        }
    }
    let tz = c.zone();
    let slug = c.tenant.as_ref().map(|t| t.slug.clone()).unwrap_or_default();
    let rows = admins
        .into_iter()
        .map(|a| AdminRow {
            scope: if a.tenant == 0 { "platform".into() } else { slug.clone() },
            role: a.role.as_str(),
            totp: a.totp.is_some(),
            disabled: a.disabled,
            created: local_time(a.created_at, tz),
            me: a.username == c.admin.username,
            action: format!("/admin/admins/{}", segment(&a.username)),
            name: a.username,
        })
        .collect();
    render(StatusCode::OK, &ListPage { c: c.chrome("Admins"), rows })
}

#[derive(Deserialize, Default, Clone)]
pub struct AdminForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
}

#[derive(Template)]
#[template(path = "admin/admin_form.html")]
struct FormPage {
    c: Chrome,
    f: AdminForm,
    /// (role, chosen).
    roles: Vec<(&'static str, bool)>,
    errors: Errors,
}

/// The roles the caller may hand out.
fn grantable(c: &Caller) -> Vec<Role> {
    Role::ALL.into_iter().filter(|r| *r != Role::PlatformAdmin || c.admin.role == Role::PlatformAdmin).collect()
}

fn form_page(c: &Caller, f: AdminForm, errors: Errors) -> Response {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let roles = grantable(c).into_iter().map(|r| (r.as_str(), r.as_str() == f.role)).collect();
    render(status, &FormPage { c: c.chrome("New admin"), f, roles, errors })
}

pub async fn new(Extension(c): Extension<Caller>) -> Response {
    form_page(&c, AdminForm { role: Role::Operator.as_str().into(), ..Default::default() }, Errors::default())
}

#[derive(Template)]
#[template(path = "admin/secret.html")]
pub struct SecretPage {
    pub c: Chrome,
    pub heading: String,
    pub text: String,
    pub secret: String,
    /// The element id of the secret, for whoever reads the page.
    pub secret_id: &'static str,
    pub back: &'static str,
    pub back_label: &'static str,
}

pub async fn create(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(f): Form<AdminForm>) -> Response {
    let store = &s.portal.store;
    let mut errors = Errors::default();
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
        errors.add("name", "A name of 1 to 64 characters without spaces.");
    } else {
        match store.admin_by_name(&name) {
            Ok(Some(_)) => errors.add("name", format!("The name {name:?} is taken (names are unique on this server).")),
            Ok(None) => {}
            Err(e) => return failed(&c, &e),
        }
    }
    let role = Role::parse(&f.role);
    match role {
        None => errors.add("role", "Choose one of the listed roles."),
        Some(r) if !grantable(&c).contains(&r) => errors.add("role", "Only a platform admin can make platform admins."),
        Some(_) => {}
    }
    let (Some(role), false) = (role, errors.any()) else { return form_page(&c, f, errors) };
    let password = crate::ops::secrets::password();
    let plain = password.clone();
    let Ok(Ok(hash)) = tokio::task::spawn_blocking(move || crate::demo::hash_password(&plain)).await else {
        return failed(&c, &"password hashing failed");
    };
    let now = s.portal.clock.now();
    let admin = Admin {
        tenant: if role == Role::PlatformAdmin { 0 } else { c.tenant_id() },
        username: name.clone(),
        password_hash: hash,
        role,
        created_at: now,
        reseller: None,
        totp: None,
        disabled: false,
    };
    let made = if role == Role::Reseller {
        store.create_reseller(&c.actor(), now, admin).map(|_| ())
    } else {
        store.create_admin(&c.actor(), now, admin)
    };
    match made {
        Ok(()) => {}
        Err(StoreError::Conflict(m) | StoreError::Invalid(m)) => {
            errors.add("name", m);
            return form_page(&c, f, errors);
        }
        Err(e) => return failed(&c, &e),
    }
    let page = SecretPage {
        c: c.chrome("Admin created"),
        heading: format!("{name} ({}) created", role.as_str()),
        text: "Give them this password. It is shown only now; they can change it on their account page.".into(),
        secret: password,
        secret_id: "new-password",
        back: "/admin/admins",
        back_label: "Back to the admins",
    };
    render(StatusCode::OK, &page)
}

pub async fn disable(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(name): Path<String>) -> Response {
    set_disabled(&s, &c, &name, true)
}

pub async fn enable(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(name): Path<String>) -> Response {
    set_disabled(&s, &c, &name, false)
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    clear_totp: String,
}

/// A new generated password for another admin (shown once), its sessions
/// and lockout ended; with "clear_totp", its authenticator too.
pub async fn reset(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
    Form(f): Form<ResetForm>,
) -> Response {
    let store = &s.portal.store;
    let a = match store.admin_by_name(&name) {
        Ok(Some(a)) if visible(&c, &a) => a,
        Ok(_) => return not_found(&c),
        Err(e) => return failed(&c, &e),
    };
    if a.username == c.admin.username {
        let text = "Change your own password on your account page.";
        return message(Some(&c), StatusCode::UNPROCESSABLE_ENTITY, "Not yourself", text);
    }
    let clear_totp = f.clear_totp == "on";
    match crate::ops::admins::reset(store, &c.actor(), s.portal.clock.now(), &a, clear_totp) {
        Ok(password) => {
            let totp = if clear_totp { " Two-step sign-in is off until they enrol again." } else { "" };
            let page = SecretPage {
                c: c.chrome("Password reset"),
                heading: format!("New password for {}", a.username),
                text: format!("Give them this password. It is shown only now; their sessions have ended.{totp}"),
                secret: password,
                secret_id: "new-password",
                back: "/admin/admins",
                back_label: "Back to the admins",
            };
            render(StatusCode::OK, &page)
        }
        Err(e) => failed(&c, &e),
    }
}

fn set_disabled(s: &WebState, c: &Caller, name: &str, disabled: bool) -> Response {
    let store = &s.portal.store;
    let a = match store.admin_by_name(name) {
        Ok(Some(a)) if visible(c, &a) => a,
        Ok(_) => return not_found(c),
        Err(e) => return failed(c, &e),
    };
    if a.username == c.admin.username {
        let text = "You cannot disable or enable your own account; ask another admin.";
        return message(Some(c), StatusCode::UNPROCESSABLE_ENTITY, "Not yourself", text);
    }
    let word = if disabled { "disabled" } else { "enabled" };
    if a.disabled == disabled {
        return done("/admin/admins", &format!("{} was already {word}.", a.username));
    }
    let what = if disabled { "admin.disable" } else { "admin.enable" };
    let changed = Admin { disabled, ..a };
    match store.update_admin(&c.actor(), s.portal.clock.now(), &changed, what) {
        Ok(()) if disabled => done("/admin/admins", &format!("{} disabled; its sessions ended.", changed.username)),
        Ok(()) => done("/admin/admins", &format!("{} enabled.", changed.username)),
        Err(e) => failed(c, &e),
    }
}
