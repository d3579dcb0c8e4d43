//! The zero-login payment portal and the hotspot page. The portal knows a
//! customer by the address the request comes from (online session, static
//! allocation or DHCP lease), never by anything the browser says about
//! itself; the hotspot page by the parameters the router's login page
//! passes, checked against that address. Payment goes through the payment
//! engine; the renewal it causes brings the customer back online.

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::{Cidr, WebState};
use crate::clock::Clock;
use crate::model::*;
use crate::payments::engine::{Engine, PayError};
use crate::radius::Radius;
use crate::store::{ServiceView, Store, StoreError};

mod hotspot;
pub mod otp;
pub(crate) mod pages;
pub mod rules;
mod sign;
pub mod words;

use pages::*;
use rules::{Asker, Standing};
pub use sign::Signer;
use words::Words;

/// Who audits portal actions.
const ACTOR: &str = "portal";
/// How long a form stays valid.
const FORM_TTL: i64 = 3600;

pub struct Portal {
    pub store: Arc<Store>,
    pub clock: Clock,
    pub engine: Arc<Engine>,
    pub radius: Arc<Radius>,
    pub signer: Signer,
    pub trusted: Vec<Cidr>,
    /// Where captive redirects send the browser ("" = a relative path).
    pub home: String,
    pub sms: crate::notify::sms::Sms,
    pub otps: otp::OtpBook,
}

impl Portal {
    /// The client's address: the connection's source, or X-Forwarded-For
    /// when the connection comes from a trusted proxy (the right-most
    /// address that is not itself a trusted proxy).
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer_ip = peer.ip().to_canonical();
        if !self.trusted.iter().any(|c| c.contains(peer_ip)) {
            return peer_ip;
        }
        let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let hops: Vec<IpAddr> =
            forwarded.flat_map(|v| v.split(',')).filter_map(|s| s.trim().parse::<IpAddr>().ok()).collect();
        hops.into_iter().rev().find(|ip| !self.trusted.iter().any(|c| c.contains(*ip))).unwrap_or(peer_ip)
    }

    fn form_token(&self, ip: IpAddr) -> String {
        self.signer.token("form", &ip.to_string(), self.clock.now() + FORM_TTL)
    }

    fn form_ok(&self, ip: IpAddr, token: &str) -> bool {
        self.signer.verify("form", &ip.to_string(), token, self.clock.now())
    }

    pub(crate) fn identify(&self, ip: IpAddr) -> Result<Who, StoreError> {
        let seen = match ip.to_canonical() {
            IpAddr::V4(v4) => self.store.who_is_at(v4)?,
            IpAddr::V6(v6) => self.store.who_is_at_v6(v6)?,
        };
        // Several matches (two tenants on one private range, two services
        // behind one address): refuse to guess, never show the wrong account.
        let [one] = seen.as_slice() else { return Ok(Who::Unknown) };
        Ok(match (one.service, one.mac) {
            (Some(id), _) => Who::Known(Box::new(self.store.service_view(one.tenant, id)?)),
            (None, Some(mac)) => Who::Device { tenant: self.store.tenant(one.tenant)?, mac },
            (None, None) => Who::Unknown,
        })
    }

    pub(crate) fn chrome(&self, tenant: &Tenant) -> Chrome {
        match self.store.branding(tenant.id) {
            Ok(b) => Chrome::of(tenant, &b),
            Err(_) => Chrome::neutral(),
        }
    }

    /// Send a sign-in code to `msisdn` when it belongs to a customer of
    /// `tenant`. Ok(()) also when it does not (so the page does not tell
    /// who has an account); Err: the words to show.
    pub(crate) async fn send_code(&self, tenant: &Tenant, msisdn: &str) -> Result<(), &'static str> {
        let w = self.chrome(tenant).w;
        let settings = match self.store.sms_settings(tenant.id) {
            Ok(Some(s)) => s,
            _ => return Err(w.err_sms),
        };
        let Ok(Some(_customer)) = self.store.customer_by_phone(tenant.id, msisdn) else { return Ok(()) };
        let Some(code) = self.otps.issue(tenant.id, msisdn, self.clock.now()) else { return Err(w.err_blocked) };
        let key = self.store.sms_api_key(&settings).map_err(|_| w.err_sms)?;
        let text = format!("{code} is your {} sign-in code. It expires in 10 minutes.", self.chrome(tenant).title);
        match self.sms.send(&settings, &key, msisdn, &text).await {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(tenant = %tenant.slug, error = %e, "sign-in code not sent");
                Err(w.err_sms)
            }
        }
    }

    /// Where a captive redirect sends the browser.
    fn portal_url(&self) -> String {
        format!("{}/portal", self.home)
    }
}

pub(crate) enum Who {
    Known(Box<ServiceView>),
    /// A device seen by DHCP with no service yet: offered packages.
    Device {
        tenant: Tenant,
        mac: Mac,
    },
    Unknown,
}

#[derive(Deserialize)]
pub struct PayForm {
    #[serde(default)]
    pub csrf: String,
    pub plan: Option<Id>,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub method: String,
}

pub fn routes() -> axum::Router<WebState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", get(to_portal))
        .route("/portal", get(page))
        .route("/portal/pay", post(pay))
        .route("/portal/wait/{tenant}/{checkout}", get(wait))
        .route("/portal/logo/{tenant}", get(logo))
        .route("/hotspot", get(hotspot::page))
        .route("/hotspot/buy", post(hotspot::buy))
        .route("/hotspot/voucher", post(hotspot::voucher))
        .route("/hotspot/otp", post(hotspot::otp))
        .route("/hotspot/otp/verify", post(hotspot::otp_verify))
        // What phones and laptops fetch to find out whether they are behind
        // a captive portal; a redirect makes them open the sign-in sheet.
        .route("/generate_204", get(to_portal))
        .route("/gen_204", get(to_portal))
        .route("/hotspot-detect.html", get(to_portal))
        .route("/library/test/success.html", get(to_portal))
        .route("/connecttest.txt", get(to_portal))
        .route("/ncsi.txt", get(to_portal))
        .route("/redirect", get(to_portal))
        .route("/success.txt", get(to_portal))
        .route("/canonical.html", get(to_portal))
}

async fn to_portal(State(s): State<WebState>) -> Response {
    captive_redirect(&s.portal)
}

fn captive_redirect(p: &Portal) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, p.portal_url()), (header::CACHE_CONTROL, "no-store".into())])
        .into_response()
}

/// Requests for any other host (the router sends captive customers' web
/// traffic here, whatever site they asked for) go to the portal; unknown
/// paths on lango's own host are a plain 404.
pub async fn fallback(State(s): State<WebState>, headers: HeaderMap, method: axum::http::Method, uri: Uri) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let ours = !s.portal.home.is_empty() && s.portal.home.split("://").nth(1).is_some_and(|h| h == host);
    if method == axum::http::Method::GET
        && !ours
        && !uri.path().starts_with("/api/")
        && !uri.path().starts_with("/admin")
    {
        return captive_redirect(&s.portal);
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

async fn page(State(s): State<WebState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    let p = &s.portal;
    let ip = p.client_ip(peer, &headers);
    let ua = user_agent(&headers);
    match p.identify(ip) {
        Ok(who) => render_who(p, who, &p.ip_forms(ip), ua, None, String::new()),
        Err(e) => failure(&e),
    }
}

pub(crate) fn user_agent(headers: &HeaderMap) -> &str {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

pub(crate) fn failure(e: &StoreError) -> Response {
    tracing::error!(error = %e, "portal lookup failed");
    let c = Chrome::neutral();
    let heading = c.w.failed;
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        &UnknownPage { c, heading, message: "Something went wrong on our side. Please try again.".into() },
    )
}

pub(crate) fn unknown_page() -> Response {
    let c = Chrome::neutral();
    let (heading, message) = (c.w.unknown_title, c.w.unknown_note.to_string());
    html(StatusCode::OK, &UnknownPage { c, heading, message })
}

/// The packages page for whoever this is, with an error and what they
/// typed when a form comes back.
/// Where a packages form posts and the token it carries.
pub(crate) struct Forms {
    pub csrf: String,
    pub action: &'static str,
}

impl Portal {
    fn ip_forms(&self, ip: IpAddr) -> Forms {
        Forms { csrf: self.form_token(ip), action: "/portal/pay" }
    }
}

pub(crate) fn render_who(
    p: &Portal,
    who: Who,
    forms: &Forms,
    ua: &str,
    error: Option<String>,
    phone: String,
) -> Response {
    let now = p.clock.now();
    let device = rules::device_class(ua);
    match who {
        Who::Unknown => unknown_page(),
        Who::Known(v) => {
            let c = p.chrome(&v.tenant);
            let w = c.w;
            let standing = rules::standing(&v.service, &v.plan, &v.usage, now);
            let asker = Asker { access: v.service.access, category: v.customer.category.as_deref(), device };
            let offers = rules::offers(&v.plans, asker)
                .into_iter()
                .map(|o| OfferRow::of(o, &v.tenant.currency, Some(v.plan.id)))
                .collect();
            let account = account_of(&v, now, w);
            let note = note_of(standing, w);
            let phone =
                if phone.is_empty() { v.customer.phone.as_deref().map(local_phone).unwrap_or_default() } else { phone };
            let page = PackagesPage {
                c,
                account: Some(account),
                standing: standing.as_str(),
                note,
                offers,
                // A suspension is lifted by the operator, not by paying here.
                can_buy: standing != Standing::Suspended,
                phone,
                error,
                csrf: forms.csrf.clone(),
                action: forms.action,
                hidden: Vec::new(),
                voucher_action: None,
                otp_action: None,
                login: None,
            };
            html(StatusCode::OK, &page)
        }
        Who::Device { tenant, .. } => {
            let c = p.chrome(&tenant);
            let plans = p.store.plans(tenant.id).unwrap_or_default();
            let asker = Asker { access: AccessType::DhcpMac, category: None, device };
            let offers =
                rules::offers(&plans, asker).into_iter().map(|o| OfferRow::of(o, &tenant.currency, None)).collect();
            let page = PackagesPage {
                note: c.w.welcome_device,
                c,
                account: None,
                standing: "new",
                offers,
                can_buy: true,
                phone,
                error,
                csrf: forms.csrf.clone(),
                action: forms.action,
                hidden: Vec::new(),
                voucher_action: None,
                otp_action: None,
                login: None,
            };
            html(StatusCode::OK, &page)
        }
    }
}

/// The account box of a service view.
pub(crate) fn account_of(v: &ServiceView, now: UnixTime, w: &Words) -> Account {
    let (expiry_label, expiry) = match v.service.expires_at {
        Some(t) => (if t <= now { w.expired_on } else { w.expires }, local_time(t, &v.tenant.timezone)),
        None => (w.expires, "-".into()),
    };
    Account {
        name: v.customer.name.clone(),
        username: v.service.username.clone(),
        access: v.service.access.as_str(),
        plan: v.plan.name.clone(),
        expiry_label,
        expiry,
        balance: crate::pdf::format_money(v.balance, &v.tenant.currency),
        online: v.online,
        used: crate::model::units::show_bytes(v.usage.total_bytes()),
    }
}

pub(crate) fn note_of(standing: Standing, w: &'static Words) -> &'static str {
    match standing {
        Standing::Active => w.active_note,
        Standing::Expired => w.expired_note,
        Standing::Suspended => w.suspended_note,
        Standing::QuotaUsed => w.quota_note,
        Standing::NotStarted => w.not_started_note,
    }
}

/// 2547XXXXXXXX → 07XXXXXXXX, the way people write their number.
fn local_phone(msisdn: &str) -> String {
    match msisdn.strip_prefix("254") {
        Some(rest) => format!("0{rest}"),
        None => msisdn.to_string(),
    }
}

async fn pay(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<PayForm>,
) -> Response {
    let p = &s.portal;
    let ip = p.client_ip(peer, &headers);
    let ua = user_agent(&headers);
    // Identity comes from the address again, never from the form.
    let who = match p.identify(ip) {
        Ok(w) => w,
        Err(e) => return failure(&e),
    };
    let ok = p.form_ok(ip, &f.csrf);
    pay_for(p, who, &p.ip_forms(ip), ok, f, ua).await
}

/// Start the payment `f` asks for, for `who` (known by address, or by the
/// account login); `token_ok` says whether the form's token checked out.
pub(crate) async fn pay_for(p: &Portal, who: Who, forms: &Forms, token_ok: bool, f: PayForm, ua: &str) -> Response {
    let w = match &who {
        Who::Known(v) => p.chrome(&v.tenant).w,
        Who::Device { tenant, .. } => p.chrome(tenant).w,
        Who::Unknown => return unknown_page(),
    };
    let again = |who: Who, msg: String| render_who(p, who, forms, ua, Some(msg), f.phone.clone());
    if !token_ok {
        return again(who, w.err_expired_form.into());
    }
    let device = rules::device_class(ua);
    let (tenant, customer, purchase, plan, account_ref) = match &who {
        Who::Known(v) => {
            let asker = Asker { access: v.service.access, category: v.customer.category.as_deref(), device };
            if rules::standing(&v.service, &v.plan, &v.usage, p.clock.now()) == Standing::Suspended {
                return again(who, w.suspended_note.into());
            }
            let Some(plan) = rules::offers(&v.plans, asker).into_iter().find(|o| Some(o.id) == f.plan).cloned() else {
                return again(who, w.err_plan.into());
            };
            if f.method == "wallet" {
                return match p.store.renew_service_from_wallet(
                    ACTOR,
                    p.clock.now(),
                    v.tenant.id,
                    v.service.id,
                    Some(plan.id),
                ) {
                    Ok(Some(_)) => {
                        let c = p.chrome(&v.tenant);
                        let (heading, message) = (c.w.paid, c.w.back_online.to_string());
                        html(
                            StatusCode::OK,
                            &WaitPage {
                                c,
                                state: "paid",
                                heading,
                                message,
                                refresh: false,
                                back: "/portal".into(),
                                login: None,
                            },
                        )
                    }
                    Ok(None) => again(who, w.err_wallet.into()),
                    Err(e) => again(who, pay_message(w, &PayError::Store(e))),
                };
            }
            let purchase = Purchase::Renew { service: v.service.id, plan: plan.id };
            (v.tenant.id, v.customer.id, purchase, plan, v.service.username.clone())
        }
        Who::Device { tenant, mac } => {
            let plans = p.store.plans(tenant.id).unwrap_or_default();
            let asker = Asker { access: AccessType::DhcpMac, category: None, device };
            let Some(plan) = rules::offers(&plans, asker).into_iter().find(|o| Some(o.id) == f.plan).cloned() else {
                return again(who, w.err_plan.into());
            };
            let Some(msisdn) = msisdn(&f.phone) else { return again(who, w.err_phone.into()) };
            let new = crate::store::DeviceAccount { mac: *mac, msisdn, plan: plan.id, access: AccessType::DhcpMac };
            let svc = match p.store.device_account(ACTOR, p.clock.now(), tenant.id, new) {
                Ok(svc) => svc,
                Err(e) => return again(who, pay_message(w, &PayError::Store(e))),
            };
            let purchase = Purchase::Renew { service: svc.id, plan: plan.id };
            (tenant.id, svc.customer, purchase, plan, svc.username.clone())
        }
        Who::Unknown => return unknown_page(),
    };
    match p.engine.stk_push(tenant, customer, purchase, plan.price, &f.phone, &account_ref).await {
        Ok(req) => Redirect::to(&wait_link(p, tenant, &req.checkout_id, None)).into_response(),
        Err(e) => again(who, pay_message(w, &e)),
    }
}

/// What a customer is told when a payment cannot start.
fn pay_message(w: &Words, e: &PayError) -> String {
    match e {
        PayError::Phone(_) => w.err_phone.into(),
        _ if w.lang == "en" => e.customer_message(),
        _ => w.err_unavailable.into(),
    }
}

/// The hotspot parameters a router's login page passes, carried through
/// the payment so the device can be logged in when it is paid.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct HotspotCtx {
    /// Text, not a number: serde's flatten (used to carry these fields)
    /// cannot read numbers from a query string.
    #[serde(default)]
    pub nas: String,
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub ip: String,
    #[serde(default, rename = "link-login-only")]
    pub link_login_only: String,
    #[serde(default, rename = "link-orig")]
    pub link_orig: String,
    #[serde(default, rename = "chap-id")]
    pub chap_id: String,
    #[serde(default, rename = "chap-challenge")]
    pub chap_challenge: String,
}

impl HotspotCtx {
    fn fields(&self) -> Vec<(String, String)> {
        vec![
            ("nas".into(), self.nas.clone()),
            ("mac".into(), self.mac.clone()),
            ("ip".into(), self.ip.clone()),
            ("link-login-only".into(), self.link_login_only.clone()),
            ("link-orig".into(), self.link_orig.clone()),
            ("chap-id".into(), self.chap_id.clone()),
            ("chap-challenge".into(), self.chap_challenge.clone()),
        ]
    }

    fn query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// The login form for `username`/`password`: HTTP-CHAP when the router
    /// gave a challenge, else the password as typed (HTTP-PAP).
    fn login(&self, username: &str, password: &str) -> Option<LoginForm> {
        let action = rules::safe_link(&self.link_login_only)?.to_string();
        let password = match (rules::unescape_octal(&self.chap_id), rules::unescape_octal(&self.chap_challenge)) {
            (Some(id), Some(ch)) if !id.is_empty() => rules::chap_password(&id, password, &ch),
            _ => password.to_string(),
        };
        let dst = rules::safe_link(&self.link_orig).unwrap_or_default().to_string();
        Some(LoginForm { action, username: username.into(), password, dst })
    }
}

/// The status page of one STK request: signed, so only the browser that
/// started the payment gets it (with the hotspot login, when there is one).
fn wait_link(p: &Portal, tenant: TenantId, checkout: &str, ctx: Option<&HotspotCtx>) -> String {
    let ctx_q = ctx.map(HotspotCtx::query).unwrap_or_default();
    let t = p.signer.token("wait", &format!("{tenant}/{checkout}?{ctx_q}"), p.clock.now() + 24 * 3600);
    let q = serde_urlencoded::to_string([("t", t.as_str())]).unwrap_or_default();
    if ctx_q.is_empty() {
        format!("/portal/wait/{tenant}/{checkout}?{q}")
    } else {
        format!("/portal/wait/{tenant}/{checkout}?{q}&{ctx_q}")
    }
}

#[derive(Deserialize)]
struct WaitQuery {
    #[serde(default)]
    t: String,
    #[serde(flatten)]
    ctx: HotspotCtx,
}

async fn wait(
    State(s): State<WebState>,
    Path((tenant, checkout)): Path<(TenantId, String)>,
    Query(q): Query<WaitQuery>,
) -> Response {
    let p = &s.portal;
    let hotspot = !q.ctx.link_login_only.is_empty();
    let ctx_q = if hotspot { q.ctx.query() } else { String::new() };
    if !p.signer.verify("wait", &format!("{tenant}/{checkout}?{ctx_q}"), &q.t, p.clock.now()) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let (req, t) = match (p.store.stk_request(tenant, &checkout), p.store.tenant(tenant)) {
        (Ok(Some(r)), Ok(t)) => (r, t),
        (Err(e), _) | (_, Err(e)) => return failure(&e),
        (Ok(None), _) => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    let c = p.chrome(&t);
    let w = c.w;
    let back = if hotspot { format!("/hotspot?{}", q.ctx.query()) } else { "/portal".into() };
    let (state, heading, message, refresh, login) = match &req.state {
        StkState::Pending => ("pending", w.check_phone, w.check_phone_note.to_string(), true, None),
        StkState::Failed { message, .. } => ("failed", w.failed, message.clone(), false, None),
        StkState::Disputed { .. } => ("checking", w.paid, w.checking.to_string(), true, None),
        StkState::Paid { .. } => {
            let login = match (&req.purchase, hotspot) {
                (Purchase::Renew { service, .. }, true) => p
                    .store
                    .service_view(tenant, *service)
                    .and_then(|v| p.store.service_password(&v.service).map(|pw| (v.service.username, pw)))
                    .ok()
                    .and_then(|(user, pw)| q.ctx.login(&user, &pw)),
                _ => None,
            };
            match login {
                Some(l) => ("paid", w.paid, w.logging_in.to_string(), false, Some(l)),
                None => ("paid", w.paid, w.back_online.to_string(), false, None),
            }
        }
    };
    html(StatusCode::OK, &WaitPage { c, state, heading, message, refresh, back, login })
}

async fn logo(State(s): State<WebState>, Path(tenant): Path<TenantId>) -> Response {
    match s.portal.store.branding(tenant) {
        Ok(Branding { logo: Some((mime, bytes)), .. }) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "max-age=3600".into()),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'".into()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            ],
            bytes,
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "no logo").into_response(),
    }
}
