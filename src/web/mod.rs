//! HTTP: health and counters endpoints, M-Pesa callbacks, the admin UI,
//! the portal, the REST API and the RouterOS hooks. `app(state)` builds the whole
//! router so tests can call it without a socket.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::sync::Arc;

use crate::payments::engine::Engine;
use crate::radius::Radius;

pub mod account;
pub mod admin;
mod api;
mod dlr;
mod hooks;
mod mpesa;
pub mod multipart;
pub mod portal;
mod router_files;
pub mod tls;

#[derive(Clone)]
pub struct WebState {
    pub radius: Arc<Radius>,
    pub payments: Arc<Engine>,
    pub portal: Arc<portal::Portal>,
    /// First-run setup's one-time token (closed once an admin exists).
    pub setup: Arc<admin::setup::SetupGate>,
    /// SHA-256 fingerprint of lango's own TLS certificate, when it serves one.
    pub tls_fingerprint: Option<String>,
    /// lango's own HTTPS port, when it serves TLS: admin, setup and
    /// account pages asked over plain HTTP are sent there.
    pub https_port: Option<u16>,
    /// Strict-Transport-Security on those pages over HTTPS.
    pub hsts: bool,
    /// Where backups go and how many stay (the admin Backups page).
    pub backups: Arc<Backups>,
    /// Who may read `/metrics`.
    pub metrics: Arc<MetricsGate>,
}

/// `/metrics` is for these networks, or for whoever has the token.
#[derive(Debug, Default)]
pub struct MetricsGate {
    pub allow: Vec<Cidr>,
    /// SHA-256 of the bearer token, when one is set.
    pub token: Option<Vec<u8>>,
}

impl MetricsGate {
    pub fn new(allow: &[String], token: &str) -> MetricsGate {
        MetricsGate {
            allow: allow.iter().filter_map(|a| Cidr::parse(a)).collect(),
            token: (!token.is_empty())
                .then(|| ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref().to_vec()),
        }
    }

    pub fn admits(&self, peer: std::net::IpAddr, headers: &axum::http::HeaderMap) -> bool {
        if self.allow.iter().any(|c| c.contains(peer)) {
            return true;
        }
        let given = bearer(headers);
        self.token.as_ref().is_some_and(|t| {
            !given.is_empty() && ring::digest::digest(&ring::digest::SHA256, given.as_bytes()).as_ref() == t.as_slice()
        })
    }
}

/// The backup settings the admin pages need.
#[derive(Clone, Debug)]
pub struct Backups {
    pub dir: std::path::PathBuf,
    /// Kept: (daily, monthly).
    pub keep: (usize, usize),
    pub every_hours: u64,
}

/// The token of an `Authorization: Bearer …` header ("" when there is none).
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default()
}

pub use crate::model::Cidr;

/// Largest callback body accepted (Daraja's are under 2 KiB).
const MAX_CALLBACK: usize = 64 * 1024;

pub fn app(state: WebState) -> Router {
    let admin = admin::routes(state.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/pay/{token}/stk", post(mpesa::stk))
        .route("/pay/{token}/c2b/validation", post(mpesa::c2b_validation))
        .route("/pay/{token}/c2b/confirmation", post(mpesa::c2b_confirmation))
        .route("/hotspot/files/{nas}/{file}", get(router_files::file))
        .route("/sms/dlr/{token}", post(dlr::report))
        .route("/hook/health", get(hooks::health))
        .route("/hook/dhcp-lease", post(hooks::dhcp_lease))
        .route("/hook/hotspot-login", post(hooks::hotspot_login))
        .route("/hook/hotspot-logout", post(hooks::hotspot_logout))
        .merge(portal::routes())
        .merge(account::routes())
        .merge(api::routes())
        .merge(admin)
        .fallback(portal::fallback)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CALLBACK))
        .layer(axum::middleware::from_fn_with_state(state.clone(), tls::policy))
        .with_state(state)
}

async fn healthz(State(s): State<WebState>) -> impl IntoResponse {
    let body = serde_json::json!({
        "status": "ok",
        "nas": s.radius.directory().len(),
        "online_sessions": s.radius.online.total(),
    });
    axum::Json(body)
}

async fn metrics(
    State(s): State<WebState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if !s.metrics.admits(peer.ip(), &headers) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "metrics are for the addresses in http.metrics_allow, or a bearer token\n",
        )
            .into_response();
    }
    let mut body = s.radius.counters.render();
    body.push_str(&format!(
        "# HELP lango_online_sessions Sessions online now\n# TYPE lango_online_sessions gauge\nlango_online_sessions {}\n",
        s.radius.online.total()
    ));
    let store = s.portal.store.clone();
    match tokio::task::spawn_blocking(move || crate::ops::metrics::render(&store)).await {
        Ok(Ok(more)) => body.push_str(&more),
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: store gauges"),
        Err(e) => tracing::warn!(error = %e, "metrics: store gauges"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
