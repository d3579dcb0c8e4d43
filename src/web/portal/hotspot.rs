//! The hotspot page: the router's login.html (templates/hotspot/) sends
//! the device here with the router's parameters; lango offers packages and
//! voucher entry, and logs the device in through the router's own HTTP-CHAP
//! form when it has paid or typed a valid code.

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

use super::pages::*;
use super::rules::{self, Asker, Standing};
use super::{ACTOR, HotspotCtx, Portal, WebState, pay_message, user_agent, wait_link};
use crate::model::*;
use crate::radius::guard::Key;

/// The router's parameters, checked: the NAS exists, the MAC parses, and
/// the request comes from the address the router says the device has.
struct Checked {
    tenant: Tenant,
    mac: Mac,
    ip: IpAddr,
}

/// The checked router parameters, the client's address and User-Agent,
/// or the page to answer with.
#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn arrive<'h>(
    p: &Portal,
    ctx: &HotspotCtx,
    peer: SocketAddr,
    headers: &'h HeaderMap,
) -> Result<(Checked, IpAddr, &'h str), Response> {
    let client = p.client_ip(peer, headers);
    let ua = user_agent(headers);
    check(p, ctx, client).map(|ck| (ck, client, ua)).map_err(|_| render(p, ctx, client, ua, None, String::new()))
}

fn check(p: &Portal, ctx: &HotspotCtx, client: IpAddr) -> Result<Checked, &'static str> {
    let id = ctx.nas.parse::<Id>().ok();
    let nas = p.store.all_nas().ok().and_then(|all| all.into_iter().find(|n| Some(n.id) == id && !n.disabled));
    let tenant = nas.and_then(|n| p.store.tenant(n.tenant).ok());
    let mac = Mac::parse(&ctx.mac);
    let ip = ctx.ip.parse::<IpAddr>().ok();
    let (Some(tenant), Some(mac), Some(ip), Some(nas)) = (tenant, mac, ip, id) else { return Err("not-hotspot") };
    if ip != client || rules::safe_link(&ctx.link_login_only).is_none() {
        return Err("not-hotspot");
    }
    // When the router told us who holds this address (lease hook or the
    // API round's hotspot hosts), the MAC must be that one: a device
    // cannot claim another's MAC from its own address.
    if let IpAddr::V4(v4) = ip
        && let Ok(Some(known)) = p.store.lease_mac(tenant.id, nas, v4)
        && known != mac
    {
        tracing::warn!(%ip, claimed = %mac, known = %known, "hotspot page: MAC does not match the router's record");
        return Err("mac-mismatch");
    }
    Ok(Checked { tenant, mac, ip })
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(flatten)]
    ctx: HotspotCtx,
    /// The router's `$(error)`: why its last login attempt failed.
    #[serde(default)]
    error: String,
}

pub async fn page(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let p = &s.portal;
    let client = p.client_ip(peer, &headers);
    let error = Some(q.error.trim().to_string()).filter(|e| !e.is_empty());
    render(p, &q.ctx, client, user_agent(&headers), error, String::new())
}

fn render(p: &Portal, ctx: &HotspotCtx, client: IpAddr, ua: &str, error: Option<String>, phone: String) -> Response {
    let ck = match check(p, ctx, client) {
        Ok(ck) => ck,
        Err(_) => {
            let c = Chrome::neutral();
            let (heading, message) = (c.w.unknown_title, c.w.err_not_hotspot.to_string());
            return html(StatusCode::BAD_REQUEST, &UnknownPage { c, heading, message });
        }
    };
    let c = p.chrome(&ck.tenant);
    let plans = p.store.plans(ck.tenant.id).unwrap_or_default();
    let asker = Asker { access: AccessType::Hotspot, category: None, device: rules::device_class(ua) };
    let offers = rules::offers(&plans, asker).into_iter().map(|o| OfferRow::of(o, &ck.tenant.currency, None)).collect();
    // A device that has time left (it paid before, and its MAC login did
    // not happen, say after a cookie was cleared) gets a Connect button.
    let login = device_login(p, &ck, ctx);
    let page = PackagesPage {
        note: if login.is_some() { c.w.active_note } else { c.w.welcome_device },
        c,
        account: None,
        standing: if login.is_some() { "active" } else { "new" },
        offers,
        can_buy: true,
        phone,
        error,
        csrf: p.form_token(ck.ip),
        action: "/hotspot/buy",
        hidden: ctx.fields(),
        voucher_action: Some("/hotspot/voucher"),
        otp_action: Some("/hotspot/otp"),
        login,
    };
    html(StatusCode::OK, &page)
}

fn device_login(p: &Portal, ck: &Checked, ctx: &HotspotCtx) -> Option<LoginForm> {
    let id = p.store.service_by_mac(ck.tenant.id, ck.mac).ok().flatten()?;
    let v = p.store.service_view(ck.tenant.id, id).ok()?;
    if v.service.access != AccessType::Hotspot
        || rules::standing(&v.service, &v.plan, &v.usage, p.clock.now()) != Standing::Active
    {
        return None;
    }
    let pw = p.store.service_password(&v.service).ok()?;
    ctx.login(&v.service.username, &pw)
}

#[derive(Deserialize)]
pub struct BuyForm {
    #[serde(flatten)]
    ctx: HotspotCtx,
    #[serde(default)]
    csrf: String,
    /// Text for the same reason as `HotspotCtx::nas`.
    #[serde(default)]
    plan: String,
    #[serde(default)]
    phone: String,
}

pub async fn buy(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<BuyForm>,
) -> Response {
    let p = &s.portal;
    let (ck, client, ua) = match arrive(p, &f.ctx, peer, &headers) {
        Ok(x) => x,
        Err(page) => return page,
    };
    let again = |msg: String| render(p, &f.ctx, client, ua, Some(msg), f.phone.clone());
    let w = p.chrome(&ck.tenant).w;
    if !p.form_ok(client, &f.csrf) {
        return again(w.err_expired_form.into());
    }
    let plans = p.store.plans(ck.tenant.id).unwrap_or_default();
    let asker = Asker { access: AccessType::Hotspot, category: None, device: rules::device_class(ua) };
    let Some(plan) = rules::offers(&plans, asker).into_iter().find(|o| Some(o.id) == f.plan.parse().ok()).cloned()
    else {
        return again(w.err_plan.into());
    };
    let Some(msisdn) = msisdn(&f.phone) else { return again(w.err_phone.into()) };
    let new = crate::store::DeviceAccount { mac: ck.mac, msisdn, plan: plan.id, access: AccessType::Hotspot };
    let svc = match p.store.device_account(ACTOR, p.clock.now(), ck.tenant.id, new) {
        Ok(s) => s,
        Err(e) => return again(pay_message(w, &crate::payments::engine::PayError::Store(e))),
    };
    let purchase = Purchase::Renew { service: svc.id, plan: plan.id };
    match p.engine.stk_push(ck.tenant.id, svc.customer, purchase, plan.price, &f.phone, &svc.username).await {
        Ok(req) => Redirect::to(&wait_link(p, ck.tenant.id, &req.checkout_id, Some(&f.ctx))).into_response(),
        Err(e) => again(pay_message(w, &e)),
    }
}

#[derive(Deserialize)]
pub struct VoucherForm {
    #[serde(flatten)]
    ctx: HotspotCtx,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// A typed voucher code: known codes go to the router's login form (the
/// router's RADIUS login then applies every rule: first-use start, device
/// binding, expiry); unknown codes count against the guessing guard.
pub async fn voucher(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<VoucherForm>,
) -> Response {
    let p = &s.portal;
    let (ck, client, ua) = match arrive(p, &f.ctx, peer, &headers) {
        Ok(x) => x,
        Err(page) => return page,
    };
    let again = |msg: String| render(p, &f.ctx, client, ua, Some(msg), String::new());
    let c = p.chrome(&ck.tenant);
    let w = c.w;
    if !p.form_ok(client, &f.csrf) {
        return again(w.err_expired_form.into());
    }
    let now = p.clock.now();
    let keys = guard_keys(&ck);
    if p.radius.guard.blocked(&keys, now).is_some() {
        return again(w.err_blocked.into());
    }
    let found = rules::code_candidates(&f.code)
        .iter()
        .find_map(|c| p.store.service_by_username(ck.tenant.id, c).ok().filter(|s| s.voucher.is_some()));
    let Some(svc) = found else {
        p.radius.guard.failed(&keys, now);
        return again(w.err_voucher_unknown.into());
    };
    let pw = p.store.service_password(&svc).unwrap_or_default();
    let Some(login) = f.ctx.login(&svc.username, &pw) else { return again(w.err_not_hotspot.into()) };
    let (heading, message) = (w.use_voucher, format!("{} {}", w.voucher_code, svc.username));
    let page = WaitPage { c, state: "paid", heading, message, refresh: false, back: String::new(), login: Some(login) };
    html(StatusCode::OK, &page)
}

fn guard_keys(ck: &Checked) -> Vec<Key> {
    let mut keys = vec![Key::Device(ck.tenant.id, ck.mac.0)];
    if let IpAddr::V4(v4) = ck.ip {
        keys.push(Key::Address(ck.tenant.id, u32::from(v4)));
    }
    keys
}

#[derive(Deserialize)]
pub struct OtpForm {
    #[serde(flatten)]
    ctx: HotspotCtx,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

/// "Paid before? Sign in with your phone": send a code by SMS.
pub async fn otp(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<OtpForm>,
) -> Response {
    let p = &s.portal;
    let (ck, client, ua) = match arrive(p, &f.ctx, peer, &headers) {
        Ok(x) => x,
        Err(page) => return page,
    };
    let again = |msg: String| render(p, &f.ctx, client, ua, Some(msg), String::new());
    let w = p.chrome(&ck.tenant).w;
    if !p.form_ok(client, &f.csrf) {
        return again(w.err_expired_form.into());
    }
    let Some(number) = msisdn(&f.phone) else { return again(w.err_phone.into()) };
    if let Err(msg) = p.send_code(&ck.tenant, &number).await {
        return again(msg.into());
    }
    code_page(p, &ck, &f, None)
}

fn code_page(p: &Portal, ck: &Checked, f: &OtpForm, error: Option<String>) -> Response {
    let mut hidden = f.ctx.fields();
    hidden.push(("phone".into(), f.phone.clone()));
    let page =
        CodePage { c: p.chrome(&ck.tenant), action: "/hotspot/otp/verify", csrf: p.form_token(ck.ip), hidden, error };
    html(StatusCode::OK, &page)
}

/// The typed code: right → the device logs in with the customer's active
/// hotspot package; wrong → the code page again (and the guessing guard
/// counts it).
pub async fn otp_verify(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<OtpForm>,
) -> Response {
    let p = &s.portal;
    let (ck, client, ua) = match arrive(p, &f.ctx, peer, &headers) {
        Ok(x) => x,
        Err(page) => return page,
    };
    let c = p.chrome(&ck.tenant);
    let w = c.w;
    let now = p.clock.now();
    let keys = guard_keys(&ck);
    if !p.form_ok(client, &f.csrf) {
        return code_page(p, &ck, &f, Some(w.err_expired_form.into()));
    }
    if p.radius.guard.blocked(&keys, now).is_some() {
        return code_page(p, &ck, &f, Some(w.err_blocked.into()));
    }
    let number = msisdn(&f.phone).unwrap_or_default();
    if !p.otps.check(ck.tenant.id, &number, &f.code, now) {
        p.radius.guard.failed(&keys, now);
        return code_page(p, &ck, &f, Some(w.err_code.into()));
    }
    let active = p.store.customer_by_phone(ck.tenant.id, &number).ok().flatten().and_then(|customer| {
        let services = p.store.services(ck.tenant.id).ok()?;
        services
            .into_iter()
            .filter(|s| s.customer == customer && s.access == AccessType::Hotspot)
            .filter_map(|s| p.store.service_view(ck.tenant.id, s.id).ok())
            .find(|v| rules::standing(&v.service, &v.plan, &v.usage, now) == Standing::Active)
    });
    let login = active.and_then(|v| {
        let pw = p.store.service_password(&v.service).ok()?;
        f.ctx.login(&v.service.username, &pw)
    });
    match login {
        Some(login) => {
            let (heading, message) = (w.sign_in, w.logging_in.to_string());
            let page = WaitPage {
                c,
                state: "paid",
                heading,
                message,
                refresh: false,
                back: String::new(),
                login: Some(login),
            };
            html(StatusCode::OK, &page)
        }
        None => render(p, &f.ctx, client, ua, Some(w.err_no_package.into()), String::new()),
    }
}
