//! HTTP: for now the health and counters endpoints; the admin UI, portal,
//! REST API and RouterOS hooks arrive here. `app(state)` builds the whole
//! router so tests can call it without a socket.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;

use crate::radius::Radius;

#[derive(Clone)]
pub struct WebState {
    pub radius: Arc<Radius>,
}

pub fn app(state: WebState) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).with_state(state)
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
