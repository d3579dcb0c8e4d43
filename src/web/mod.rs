//! HTTP: health and counters endpoints and M-Pesa callbacks; the admin UI,
//! portal, REST API and RouterOS hooks arrive here. `app(state)` builds the whole
//! router so tests can call it without a socket.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::sync::Arc;

use crate::payments::engine::Engine;
use crate::radius::Radius;

mod mpesa;

#[derive(Clone)]
pub struct WebState {
    pub radius: Arc<Radius>,
    pub payments: Arc<Engine>,
}

/// Largest callback body accepted (Daraja's are under 2 KiB).
const MAX_CALLBACK: usize = 64 * 1024;

pub fn app(state: WebState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/pay/{token}/stk", post(mpesa::stk))
        .route("/pay/{token}/c2b/validation", post(mpesa::c2b_validation))
        .route("/pay/{token}/c2b/confirmation", post(mpesa::c2b_confirmation))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CALLBACK))
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

async fn metrics(State(s): State<WebState>) -> impl IntoResponse {
    let mut body = s.radius.counters.render();
    body.push_str(&format!(
        "# HELP lango_online_sessions Sessions online now\n# TYPE lango_online_sessions gauge\nlango_online_sessions {}\n",
        s.radius.online.total()
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
