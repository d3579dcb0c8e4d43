//! `GET /hotspot/files/{nas}/{file}`: one of a router's hotspot pages, for
//! the router's own `/tool fetch` (the commands the admin "Hotspot files"
//! page shows). Served only to the router itself (the request comes from
//! the router's RADIUS address or subnet); the page points at lango at the
//! address the router reached it by.

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

use super::WebState;
use crate::model::Id;
use crate::ops::hotspot;

pub async fn file(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((nas, file)): Path<(Id, String)>,
    headers: HeaderMap,
) -> Response {
    let ip = s.portal.client_ip(peer, &headers);
    let Ok(all) = s.portal.store.all_nas() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(n) = all.into_iter().find(|n| n.id == nas && !n.disabled && n.matches(ip)) else {
        return (StatusCode::NOT_FOUND, "no such router here").into_response();
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let Ok(url) = hotspot::lango_url(&format!("http://{host}")) else {
        return (StatusCode::BAD_REQUEST, "no Host").into_response();
    };
    match hotspot::page(&n, &url, &file) {
        Some(body) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
