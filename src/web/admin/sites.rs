//! The Sites page (platform admins): this lango's part in a multi-site
//! deployment, its backlog of changes not yet acknowledged by JetStream,
//! and every node whose changes it applies, with how far behind each is
//! (`ops::sync`, as `lango sync status`). A hub can send all its records
//! to the sites again (`lango sync resend`).

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{Caller, Chrome, done, failed, message, render};
use crate::web::WebState;

#[derive(Template)]
#[template(path = "admin/sites.html")]
struct Page {
    c: Chrome,
    s: crate::ops::sync::Status,
    /// Per peer: (node, instance, records, duplicates, last applied, lag).
    rows: Vec<(String, String, u64, u64, String, String)>,
    hub: bool,
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let status = match crate::ops::sync::status(&s.portal.store) {
        Ok(st) => st,
        Err(e) => return failed(&c, &e),
    };
    let now = s.portal.clock.now();
    let rows = status
        .peers
        .iter()
        .map(|p| {
            let instance = p.origin.split('/').nth(1).unwrap_or_default().to_string();
            let ago = crate::ops::time::utc(p.applied_at);
            let lag = format!(
                "{} s behind when applied; last {} s ago",
                (p.applied_at - p.made_at).max(0),
                (now - p.applied_at).max(0)
            );
            (p.node.clone(), instance, p.records, p.duplicates, ago, lag)
        })
        .collect();
    let hub = status.role == "hub";
    render(StatusCode::OK, &Page { c: c.chrome("Sites"), s: status, rows, hub })
}

/// Queue every hub-owned record for the sites again.
pub async fn resend(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    match crate::ops::sync::resend(&s.portal.store, &c.actor(), s.portal.clock.now()) {
        Ok(n) => done("/admin/sites", &format!("{n} records queued for the sites.")),
        Err(e) => message(Some(&c), StatusCode::UNPROCESSABLE_ENTITY, "Nothing sent", &e.to_string()),
    }
}
