//! HTTP hooks for RouterOS scripts (`/tool fetch` from a DHCP lease script
//! or a hotspot user profile's on-login/on-logout), authenticated per
//! router by a bearer token (`lango nas hook-token`). A lease for a MAC
//! lango has no service for is a new device: the portal offers it
//! packages (zero-touch onboarding). Wrong tokens get 401 and are logged.

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::{Ipv4Addr, SocketAddr};

use super::WebState;
use crate::model::{Lease, Mac, Nas};

const ACTOR: &str = "router-hook";

#[allow(clippy::result_large_err)] // the Err is the answer, once per request
fn router(s: &WebState, peer: SocketAddr, headers: &HeaderMap, hook: &str) -> Result<Nas, Response> {
    let token = super::bearer(headers);
    match s.portal.store.nas_by_hook_token(token) {
        Ok(Some(nas)) if !token.is_empty() && !nas.disabled => Ok(nas),
        Ok(_) => {
            tracing::warn!(%peer, hook, "router hook refused: wrong or missing token");
            Err((StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "wrong token\n").into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "router hook lookup failed");
            Err((StatusCode::INTERNAL_SERVER_ERROR, "lookup failed\n").into_response())
        }
    }
}

fn bad(msg: String) -> Response {
    (StatusCode::BAD_REQUEST, msg + "\n").into_response()
}

pub async fn health(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match router(&s, peer, &headers, "health") {
        Ok(nas) => axum::Json(serde_json::json!({ "status": "ok", "nas": nas.name })).into_response(),
        Err(r) => r,
    }
}

/// RouterOS lease-script variables: `$leaseBound`, `$leaseActMAC`,
/// `$leaseActIP`, `$leaseServerName`, `$"lease-hostname"`.
#[derive(Deserialize)]
pub struct LeaseForm {
    #[serde(default)]
    mac: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    bound: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    server: String,
}

pub async fn dhcp_lease(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LeaseForm>,
) -> Response {
    let nas = match router(&s, peer, &headers, "dhcp-lease") {
        Ok(n) => n,
        Err(r) => return r,
    };
    let Some(mac) = Mac::parse(&f.mac) else { return bad(format!("mac {:?} is not a MAC address", f.mac)) };
    let Ok(ip) = f.ip.parse::<Ipv4Addr>() else { return bad(format!("ip {:?} is not an IPv4 address", f.ip)) };
    let bound = match f.bound.as_str() {
        "1" | "true" | "yes" => true,
        "0" | "false" | "no" => false,
        other => return bad(format!("bound {other:?}: expected 1 or 0")),
    };
    let now = s.portal.clock.now();
    let nonempty = |v: String| Some(v).filter(|v| !v.trim().is_empty());
    let lease = bound.then(|| Lease { mac, host_name: nonempty(f.host), server: nonempty(f.server), at: now });
    record(&s, &nas, ip, lease, bound)
}

/// The hotspot user profile's on-login / on-logout scripts: `$user`,
/// `$"mac-address"`, `$address`.
#[derive(Deserialize)]
pub struct HotspotForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    mac: String,
    #[serde(default)]
    ip: String,
}

pub async fn hotspot_login(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<HotspotForm>,
) -> Response {
    hotspot_event(s, peer, headers, f, true)
}

pub async fn hotspot_logout(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<HotspotForm>,
) -> Response {
    hotspot_event(s, peer, headers, f, false)
}

fn hotspot_event(s: WebState, peer: SocketAddr, headers: HeaderMap, f: HotspotForm, on: bool) -> Response {
    let nas = match router(&s, peer, &headers, if on { "hotspot-login" } else { "hotspot-logout" }) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let Some(mac) = Mac::parse(&f.mac) else { return bad(format!("mac {:?} is not a MAC address", f.mac)) };
    let Ok(ip) = f.ip.parse::<Ipv4Addr>() else { return bad(format!("ip {:?} is not an IPv4 address", f.ip)) };
    tracing::debug!(nas = %nas.name, user = %f.user, %mac, %ip, on, "hotspot event");
    let now = s.portal.clock.now();
    let lease = on.then(|| Lease { mac, host_name: None, server: Some("hotspot".into()), at: now });
    record(&s, &nas, ip, lease, on)
}

fn record(s: &WebState, nas: &Nas, ip: Ipv4Addr, lease: Option<Lease>, bound: bool) -> Response {
    let now = s.portal.clock.now();
    match s.portal.store.record_lease(ACTOR, now, nas.tenant, nas.id, ip, lease) {
        Ok(service) => axum::Json(serde_json::json!({
            "ok": true,
            "service": service,
            // A bound lease with no service: the portal will offer packages.
            "onboarding": bound && service.is_none(),
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "recording a lease failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "not recorded\n").into_response()
        }
    }
}
