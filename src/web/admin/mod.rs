//! The admin UI at `/admin`: server-rendered askama pages, assets embedded.
//!
//! Every request passes `gate`, which looks the route up in
//! `rbac::ROUTES` (an undeclared route is refused), finds the session from
//! the cookie (server-side, `store::admin`), checks the role against the
//! matrix, and for every POST checks the form's `csrf` field against the
//! session's token before the handler runs. Handlers get a `Caller` and
//! scope every read by `caller.tenant_id()` (and a reseller's by its
//! own customers), so no page can show another tenant's rows.

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

use super::WebState;
use crate::model::*;
use crate::store::AdminSession;

mod accounting;
mod auth;
mod backups;
mod catalog;
mod cpe;
mod customers;
mod etims;
mod hotspot_files;
mod import;
mod lists;
mod money;
mod mpesa;
mod noc;
mod notify;
mod people;
mod privacy;
pub mod rbac;
mod reports;
mod routers;
mod services;
pub mod setup;
mod sites;
mod sms;
mod tenants;
mod tickets;
mod tokens;
pub mod totp;
mod webhooks;

use rbac::Perm;

/// Largest admin form accepted.
const MAX_FORM: usize = 256 * 1024;
const FLASH: &str = "lango_flash";

/// The most the gate reads of a POST to `path`: an import upload may be
/// a whole dump, any other form is small.
fn body_limit(path: &str) -> usize {
    if path == "/admin/import" { crate::ops::import::MAX_UPLOAD } else { MAX_FORM }
}

pub fn routes(state: WebState) -> axum::Router<WebState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/login", get(auth::login_page).post(auth::login))
        .route("/admin/login/totp", post(auth::totp))
        .route("/admin/api-tokens", get(tokens::list).post(tokens::create))
        .route("/admin/mpesa", get(mpesa::show).post(mpesa::update))
        .route("/admin/mpesa/test", post(mpesa::test))
        .route("/admin/mpesa/register-c2b", post(mpesa::register_c2b))
        .route("/admin/api-tokens/{id}/revoke", post(tokens::revoke))
        .route("/setup", get(setup::form).post(setup::submit))
        .route("/admin/static/{file}", get(asset))
        .route("/admin/logout", post(auth::logout))
        .route("/admin/me", get(auth::me))
        .route("/admin/me/password", post(auth::change_password))
        .route("/admin/me/totp", post(auth::enrol_totp))
        .route("/admin/me/recovery-codes", post(auth::recovery_codes))
        .route("/admin/tenant", post(auth::switch_tenant))
        .route("/admin", get(lists::dashboard))
        .route("/admin/customers", get(customers::list).post(customers::create))
        .route("/admin/customers/new", get(customers::new))
        .route("/admin/customers/{id}", get(customers::show).post(customers::update))
        .route("/admin/customers/{id}/edit", get(customers::edit))
        .route("/admin/customers/{id}/delete", post(customers::delete))
        .route("/admin/customers/{id}/wallet", post(customers::wallet))
        .route("/admin/customers/{id}/services/new", get(customers::new_service))
        .route("/admin/customers/{id}/services", post(customers::create_service))
        .route("/admin/services", get(services::list))
        .route("/admin/services/{id}/status", post(services::status))
        .route("/admin/plans", get(catalog::plans).post(catalog::create_plan))
        .route("/admin/plans/{id}", get(catalog::edit_plan).post(catalog::update_plan))
        .route("/admin/plans/{id}/state", post(catalog::plan_state))
        .route("/admin/nas/{id}/state", post(catalog::nas_state))
        .route("/admin/plans/new", get(catalog::new_plan))
        .route("/admin/nas", get(catalog::nas).post(catalog::create_nas))
        .route("/admin/nas/new", get(catalog::new_nas))
        .route("/admin/nas/{id}", get(routers::show).post(routers::update))
        .route("/admin/nas/{id}/secret", post(routers::rotate_secret))
        .route("/admin/nas/{id}/hook-token", post(routers::hook_token))
        .route("/admin/nas/{id}/api", post(routers::save_api))
        .route("/admin/nas/{id}/provision", get(routers::preview).post(routers::apply))
        .route("/admin/nas/{id}/lookup", get(routers::lookup))
        .route("/admin/nas/{id}/kick", post(routers::kick))
        .route("/admin/vouchers", get(money::vouchers).post(money::create_voucher))
        .route("/admin/vouchers/new", get(money::new_voucher))
        .route("/admin/vouchers/{id}", get(money::voucher_batch))
        .route("/admin/vouchers/{id}/cards.pdf", get(money::voucher_cards))
        .route("/admin/vouchers/{id}/disable", post(money::disable_voucher_batch))
        .route("/admin/payments", get(money::payments).post(money::create_payment))
        .route("/admin/payments/new", get(money::new_payment))
        .route("/admin/payments/{id}/assign", post(money::assign_payment))
        .route("/admin/services/{id}", get(services::show))
        .route("/admin/services/{id}/renew", post(services::renew))
        .route("/admin/services/{id}/expiry", post(services::expiry))
        .route("/admin/services/{id}/password", post(services::password))
        .route("/admin/services/{id}/access", post(services::access))
        .route("/admin/services/{id}/stk", post(services::stk))
        .route("/admin/invoices", get(money::invoices))
        .route("/admin/invoices/{id}", get(money::invoice))
        .route("/admin/sessions", get(lists::sessions))
        .route("/admin/sessions/disconnect", post(lists::disconnect))
        .route("/admin/auth-log", get(lists::auth_log))
        .route("/admin/audit", get(lists::audit))
        .route("/admin/tickets", get(tickets::list))
        .route("/admin/tickets/{id}", get(tickets::show).post(tickets::answer))
        .route("/admin/admins", get(people::list).post(people::create))
        .route("/admin/admins/new", get(people::new))
        .route("/admin/admins/{name}/disable", post(people::disable))
        .route("/admin/admins/{name}/enable", post(people::enable))
        .route("/admin/admins/{name}/reset", post(people::reset))
        .route("/admin/tenants", get(tenants::list).post(tenants::create))
        .route("/admin/tenants/new", get(tenants::new))
        .route("/admin/tenants/{id}", get(tenants::show).post(tenants::save))
        .route("/admin/tenants/{id}/logo", post(tenants::logo))
        .route("/admin/backups", get(backups::show).post(backups::now))
        .route("/admin/backups/s3", post(backups::set_s3))
        .route("/admin/backups/ftp", post(backups::set_ftp))
        .route("/admin/backups/off", post(backups::off))
        .route("/admin/backups/{name}", get(backups::download))
        .route("/admin/sites", get(sites::show))
        .route("/admin/sites/resend", post(sites::resend))
        .route("/admin/webhooks", get(webhooks::list).post(webhooks::add))
        .route("/admin/webhooks/{id}/disable", post(webhooks::disable))
        .route("/admin/webhooks/{id}/enable", post(webhooks::enable))
        .route("/admin/webhooks/{id}/resend", post(webhooks::resend))
        .route("/admin/webhooks/{id}/delete", post(webhooks::delete))
        .route("/admin/sms", get(sms::show).post(sms::save))
        .route("/admin/sms/test", post(sms::test))
        .route("/admin/noc", get(noc::list))
        .route("/admin/noc/{id}", get(noc::router))
        .route("/admin/nas/{id}/snmp", post(noc::save))
        .route("/admin/nas/{id}/snmp/off", post(noc::off))
        .route("/admin/noc/{id}/maintenance", post(noc::maintenance))
        .route("/admin/noc/{id}/ack", post(noc::ack))
        .route("/admin/notifications", get(notify::log))
        .route("/admin/notifications/{id}/retry", post(notify::retry))
        .route("/admin/notifications/settings", get(notify::settings).post(notify::save_settings))
        .route("/admin/notifications/test", post(notify::test))
        .route("/admin/notifications/templates", get(notify::templates))
        .route("/admin/notifications/template", get(notify::template).post(notify::save_template))
        .route("/admin/notifications/broadcast", get(notify::broadcast_form).post(notify::broadcast))
        .route("/admin/customers/{id}/prefs", post(notify::prefs))
        .route("/admin/hotspot-files", get(hotspot_files::show))
        .route("/admin/hotspot-files/files.zip", get(hotspot_files::zip))
        .route("/admin/import", get(import::form).post(import::run))
        .route("/admin/accounting", get(accounting::show).post(accounting::save))
        .route("/admin/accounting/journal", get(accounting::download))
        .route("/admin/reports", get(reports::index))
        .route("/admin/reports/{kind}", get(reports::show))
        .route("/admin/reports/{kind}/csv", get(reports::csv))
        .route("/admin/reports/{kind}/pdf", get(reports::pdf))
        .route("/admin/genieacs", get(cpe::settings).post(cpe::save_settings))
        .route("/admin/etims", get(etims::show).post(etims::setup))
        .route("/admin/etims/off", post(etims::off))
        .route("/admin/cpe", get(cpe::list).post(cpe::add))
        .route("/admin/cpe/{id}", get(cpe::show))
        .route("/admin/cpe/{id}/link", post(cpe::link))
        .route("/admin/cpe/{id}/return", post(cpe::give_back))
        .route("/admin/cpe/{id}/restock", post(cpe::restock))
        .route("/admin/cpe/{id}/wifi", post(cpe::wifi))
        .route("/admin/cpe/{id}/reboot", post(cpe::reboot))
        .route("/admin/cpe/{id}/refresh", post(cpe::refresh))
        .route("/admin/cpe/{id}/push", post(cpe::push))
        .route("/admin/customers/{id}/export", post(privacy::export))
        .route("/admin/customers/{id}/erase", get(privacy::erase_form).post(privacy::erase))
        .route("/admin/privacy", get(privacy::retention).post(privacy::save_retention))
        .route_layer(axum::middleware::from_fn_with_state(state, gate))
}

/// The signed-in admin making this request.
#[derive(Clone)]
pub struct Caller {
    pub admin: Admin,
    pub session: AdminSession,
    pub token: String,
    /// The tenant whose data the pages show (None: a platform admin
    /// before any tenant exists).
    pub tenant: Option<Tenant>,
    pub ip: IpAddr,
    pub flash: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> String {
        format!("admin:{} from {}", self.admin.username, self.ip)
    }

    pub fn can(&self, perm: Perm) -> bool {
        rbac::allows(self.admin.role, perm)
    }

    /// The acting tenant's time zone (UTC before any tenant exists).
    pub fn zone(&self) -> &str {
        self.tenant.as_ref().map_or("UTC", |t| t.timezone.as_str())
    }

    /// A time as the tenant reads it.
    pub fn time(&self, t: UnixTime) -> String {
        crate::web::portal::pages::local_time(t, self.zone())
    }

    /// `time`, or "-" for none.
    pub fn when(&self, t: Option<UnixTime>) -> String {
        t.map_or_else(|| "-".into(), |t| self.time(t))
    }

    /// An amount in the tenant's currency.
    pub fn money(&self, minor: i64) -> String {
        crate::pdf::format_money(minor, self.tenant.as_ref().map_or("KES", |t| t.currency.as_str()))
    }

    /// A phone number as this admin may see it: masked (2547****5678)
    /// without `SeePhones`.
    pub fn phone(&self, p: &str) -> String {
        if self.can(Perm::SeePhones) || p.is_empty() { p.to_string() } else { crate::ops::privacy::mask_phone(p) }
    }

    /// Free text (audit records, messages) with the phone numbers in it
    /// masked for an admin without `SeePhones`.
    pub fn text(&self, t: &str) -> String {
        if self.can(Perm::SeePhones) { t.to_string() } else { crate::ops::privacy::mask_phones_in(t) }
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant.as_ref().map_or(0, |t| t.id)
    }

    /// A reseller's own wallet customer: its pages show only what it owns.
    /// (A reseller admin without one owns nothing.)
    pub fn reseller(&self) -> Option<Id> {
        (self.admin.role == Role::Reseller).then(|| self.admin.reseller.unwrap_or(0))
    }

    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        let nav = NAV.iter().filter(|(_, _, p)| self.can(*p)).map(|(href, label, _)| (*href, *label)).collect();
        Chrome {
            title: title.into(),
            user: self.admin.username.clone(),
            role: self.admin.role.as_str(),
            tenant: self.tenant.as_ref().map(|t| t.name.clone()).unwrap_or_default(),
            csrf: self.session.csrf.clone(),
            nav,
            flash: self.flash.clone(),
        }
    }
}

const NAV: &[(&str, &str, Perm)] = &[
    ("/admin", "Dashboard", Perm::SignedIn),
    ("/admin/customers", "Customers", Perm::ViewCustomers),
    ("/admin/services", "Services", Perm::ViewCustomers),
    ("/admin/sessions", "Online", Perm::ViewSessions),
    ("/admin/tickets", "Tickets", Perm::ViewCustomers),
    ("/admin/plans", "Plans", Perm::ViewPlans),
    ("/admin/vouchers", "Vouchers", Perm::ViewVouchers),
    ("/admin/payments", "Payments", Perm::ViewPayments),
    ("/admin/invoices", "Invoices", Perm::ViewInvoices),
    ("/admin/reports", "Reports", Perm::ViewReports),
    ("/admin/nas", "Routers", Perm::ViewNas),
    ("/admin/noc", "NOC", Perm::ViewNas),
    ("/admin/cpe", "CPEs", Perm::ManageCpe),
    ("/admin/admins", "Admins", Perm::ManageAdmins),
    ("/admin/audit", "Audit log", Perm::ViewAudit),
    ("/admin/webhooks", "Webhooks", Perm::ViewWebhooks),
    ("/admin/mpesa", "M-Pesa", Perm::ManageIntegrations),
    ("/admin/sms", "SMS", Perm::ManageIntegrations),
    ("/admin/genieacs", "GenieACS", Perm::ManageIntegrations),
    ("/admin/etims", "KRA eTIMS", Perm::ManageIntegrations),
    ("/admin/notifications", "Notifications", Perm::ViewMessages),
    ("/admin/hotspot-files", "Hotspot files", Perm::EditNas),
    ("/admin/import", "Import", Perm::EditPlans),
    ("/admin/privacy", "Privacy", Perm::PersonalData),
    ("/admin/api-tokens", "API tokens", Perm::ManageIntegrations),
    ("/admin/tenants", "Tenants", Perm::ManageTenants),
    ("/admin/backups", "Backups", Perm::ManageTenants),
    ("/admin/sites", "Sites", Perm::ManageTenants),
];

/// What every admin page shows around its content.
pub struct Chrome {
    pub title: String,
    pub user: String,
    pub role: &'static str,
    pub tenant: String,
    pub csrf: String,
    pub nav: Vec<(&'static str, &'static str)>,
    pub flash: Option<String>,
}

impl Chrome {
    /// Around pages shown to nobody in particular (signed out, refused).
    pub fn anonymous(title: &str) -> Chrome {
        Chrome {
            title: title.into(),
            user: String::new(),
            role: "",
            tenant: String::new(),
            csrf: String::new(),
            nav: Vec::new(),
            flash: None,
        }
    }
}

/// Whether cookies may be `Secure` (and so `__Host-`): lango is reached
/// over https, or on the loopback address (a secure context in browsers).
/// On plain http elsewhere a Secure cookie would be dropped by the
/// browser and nobody could sign in, so the login page warns instead.
pub fn secure_context(s: &WebState, headers: &HeaderMap) -> bool {
    if s.portal.home.starts_with("https://") || headers.contains_key(crate::web::tls::SECURE_HEADER) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    // The host without its port ("[::1]:8080", "127.0.0.1:8080", "localhost").
    let name = match host.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    name == "localhost" || name == "[::1]" || name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-lango_admin" } else { "lango_admin" }
}

pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

/// The session cookie's value, under either name.
fn session_token(headers: &HeaderMap) -> &str {
    cookie(headers, cookie_name(true)).or_else(|| cookie(headers, cookie_name(false))).unwrap_or_default()
}

/// Set-Cookie for a new session: HttpOnly, SameSite=Strict, and Secure
/// with the `__Host-` prefix whenever the browser will accept it.
pub fn session_cookie(secure: bool, token: &str) -> HeaderValue {
    let attrs = if secure { "; Secure" } else { "" };
    let v = format!("{}={token}; Path=/; HttpOnly; SameSite=Strict{attrs}", cookie_name(secure));
    HeaderValue::from_str(&v).expect("hex token")
}

pub fn clear_cookie(secure: bool) -> HeaderValue {
    let attrs = if secure { "; Secure" } else { "" };
    let v = format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{attrs}", cookie_name(secure));
    HeaderValue::from_str(&v).expect("ascii")
}

/// 303 to `to` with a one-time message shown on the next page.
pub fn done(to: &str, flash: &str) -> Response {
    let value: String = serde_urlencoded::to_string([("m", flash)]).unwrap_or_default();
    let set = format!("{FLASH}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=60", &value[2..]);
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
    if let Ok(v) = HeaderValue::from_str(&set) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

fn read_flash(headers: &HeaderMap) -> Option<String> {
    let raw = cookie(headers, FLASH)?;
    let parsed: Vec<(String, String)> = serde_urlencoded::from_str(&format!("m={raw}")).ok()?;
    parsed.into_iter().next().map(|(_, v)| v).filter(|v| !v.is_empty())
}

pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "admin template");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "admin/message.html")]
pub struct MessagePage {
    pub c: Chrome,
    pub heading: String,
    pub text: String,
}

pub fn message(c: Option<&Caller>, status: StatusCode, heading: &str, text: &str) -> Response {
    let c = c.map_or_else(|| Chrome::anonymous(heading), |c| c.chrome(heading));
    let page = MessagePage { c, heading: heading.into(), text: text.into() };
    render(status, &page)
}

pub fn not_found(c: &Caller) -> Response {
    message(Some(c), StatusCode::NOT_FOUND, "Not found", "There is nothing here, or it is not yours to see.")
}

pub fn failed(c: &Caller, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "admin");
    message(Some(c), StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "The error is in lango's log.")
}

/// Headers every admin answer carries.
fn harden(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

async fn gate(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    matched: MatchedPath,
    req: Request,
    next: Next,
) -> Response {
    let mut r = gate_inner(&s, peer, matched.as_str(), req, next).await;
    harden(&mut r);
    r
}

async fn gate_inner(s: &WebState, peer: SocketAddr, path: &str, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let uri_path = req.uri().path().to_string();
    let Some(perm) = rbac::perm_of(&method, path) else {
        tracing::warn!(method, path, "admin route missing from rbac::ROUTES; refused");
        return message(None, StatusCode::FORBIDDEN, "Forbidden", "This page is not open to anyone.");
    };
    if perm == Perm::Public {
        return next.run(req).await;
    }
    let p = &s.portal;
    let now = p.clock.now();
    let ip = p.client_ip(peer, req.headers());
    let token = session_token(req.headers()).to_string();
    let session = match p.store.admin_session(&token, now) {
        Ok(Some(session)) if !session.pending_totp => session,
        Ok(_) if method == "GET" => {
            let to = format!(
                "/admin/login?{}",
                serde_urlencoded::to_string([("next", uri_path.as_str())]).unwrap_or_default()
            );
            return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
        }
        Ok(_) => return message(None, StatusCode::FORBIDDEN, "Signed out", "Your session has ended. Sign in again."),
        Err(e) => {
            tracing::error!(error = %e, "admin session");
            return message(None, StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "");
        }
    };
    let admin = match p.store.admin(session.tenant, &session.username) {
        Ok(Some(a)) if !a.disabled => a,
        _ => return message(None, StatusCode::FORBIDDEN, "Signed out", "This admin account is disabled."),
    };
    let tenant = (session.acting != 0).then(|| p.store.tenant(session.acting).ok()).flatten();
    let caller =
        Caller { admin, session, token, tenant, ip, flash: read_flash(req.headers()).filter(|_| method == "GET") };
    if !caller.can(perm) {
        let text = format!("The {} role cannot open this page.", caller.admin.role.as_str());
        return message(Some(&caller), StatusCode::FORBIDDEN, "Not allowed", &text);
    }
    if caller.tenant.is_none() && !matches!(perm, Perm::SignedIn | Perm::ManageTenants) {
        return message(Some(&caller), StatusCode::NOT_FOUND, "No tenant", "Create a tenant first.");
    }
    let (mut parts, body) = req.into_parts();
    let mut req = if method == "POST" {
        let Ok(bytes) = axum::body::to_bytes(body, body_limit(path)).await else {
            return message(Some(&caller), StatusCode::PAYLOAD_TOO_LARGE, "Too large", "That form is too large.");
        };
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !csrf_ok(content_type, &bytes, &caller.session.csrf) {
            tracing::warn!(admin = caller.admin.username, path, %ip, "admin form without a valid CSRF token; refused");
            let text = "This form was not sent from a lango page, or the page is older than your session. Reload it and try again.";
            return message(Some(&caller), StatusCode::FORBIDDEN, "Form refused", text);
        }
        parts.extensions.insert(caller.clone());
        Request::from_parts(parts, Body::from(bytes))
    } else {
        parts.extensions.insert(caller.clone());
        Request::from_parts(parts, body)
    };
    req.extensions_mut().insert(caller.clone());
    let mut r = next.run(req).await;
    if caller.flash.is_some() && r.status() == StatusCode::OK {
        let clear = format!("{FLASH}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0");
        r.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&clear).expect("ascii"));
    }
    r
}

/// The form's `csrf` field (URL-encoded, or a part of a multipart upload)
/// equals the session's token.
fn csrf_ok(content_type: &str, body: &Bytes, want: &str) -> bool {
    let got = match crate::web::multipart::boundary(content_type) {
        Some(b) => crate::web::multipart::parse(b, body).map(|p| crate::web::multipart::field(&p, "csrf")),
        None => {
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
            fields.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v)
        }
    };
    let got = got.unwrap_or_default();
    // Comparing digests: the time taken says nothing about the token.
    !want.is_empty() && crate::store::sha256_hex(&got) == crate::store::sha256_hex(want)
}

const CSS: &str = include_str!("../../../templates/admin/static/admin.css");
const JS: &str = include_str!("../../../templates/admin/static/admin.js");

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (ctype, body) = match file.as_str() {
        "admin.css" => ("text/css; charset=utf-8", CSS),
        "admin.js" => ("text/javascript; charset=utf-8", JS),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, ctype), (header::CACHE_CONTROL, "max-age=3600")], body).into_response()
}

/// `q` (search), `before` (page cursor) and `format=csv` of a list page.
#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    pub before: Option<String>,
    #[serde(default)]
    pub format: String,
}

impl ListQuery {
    pub fn before(&self) -> Option<u64> {
        self.before.as_deref().and_then(|b| b.parse().ok())
    }

    pub fn csv(&self) -> bool {
        self.format == "csv"
    }

    /// The link to the next page, keeping the search.
    pub fn next_link(&self, base: &str, next: Option<u64>) -> Option<String> {
        let next = next?;
        let q = serde_urlencoded::to_string([("q", self.q.as_str())]).unwrap_or_default();
        Some(format!("{base}?{q}&before={next}"))
    }

    pub fn csv_link(&self, base: &str) -> String {
        let q = serde_urlencoded::to_string([("q", self.q.as_str())]).unwrap_or_default();
        format!("{base}?{q}&format=csv")
    }
}

/// Rows per list page.
pub const PAGE: usize = 50;

/// A CSV download of a list (RFC 4180 quoting, the same writer as `lango
/// export`). These files are opened in spreadsheets, so a cell that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
/// gets a leading `'`: a customer named `=HYPERLINK(…)` stays text.
/// (`lango export` writes cells as they are: its files go back into `import`.)
pub fn csv_response(name: &str, header_row: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Response {
    let mut body = crate::ops::csv::row(&header_row.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        let safe: Vec<String> = r.into_iter().map(crate::ops::csv::spreadsheet_safe).collect();
        body.push_str(&crate::ops::csv::row(&safe));
    }
    let disposition = format!("attachment; filename=\"{name}.csv\"");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_in_csv_cells_stay_text() {
        assert_eq!(crate::ops::csv::spreadsheet_safe("=HYPERLINK(\"http://x\")".into()), "'=HYPERLINK(\"http://x\")");
        assert_eq!(crate::ops::csv::spreadsheet_safe("+254712000001".into()), "'+254712000001");
        assert_eq!(crate::ops::csv::spreadsheet_safe("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(crate::ops::csv::spreadsheet_safe("Wanjiru".into()), "Wanjiru");
        assert_eq!(crate::ops::csv::spreadsheet_safe("KES 1,500.00".into()), "KES 1,500.00");
    }
}
