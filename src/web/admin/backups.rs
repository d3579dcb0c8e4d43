//! The Backups page (platform admins): how scheduled backups have gone,
//! the backups in the backup directory with a download link each (to keep
//! them off the router), and "Back up now" (`ops::backup`, as `lango
//! backup`). Restoring is `lango restore FILE` with lango stopped.

use askama::Template;
use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Caller, Chrome, done, message, not_found, render};
use crate::web::WebState;

#[derive(Template)]
#[template(path = "admin/backups.html")]
struct Page {
    c: Chrome,
    dir: String,
    schedule: String,
    last_ok: String,
    last_error: Option<String>,
    failures: u32,
    key_id: String,
    files: Vec<(String, String)>,
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let b = &s.backups;
    let status = s.portal.store.backup_status().unwrap_or_default();
    let utc = crate::ops::time::utc;
    let page = Page {
        c: c.chrome("Backups"),
        dir: b.dir.display().to_string(),
        schedule: match b.every_hours {
            0 => "Scheduled backups are off (backup.every_hours = 0).".into(),
            h => format!(
                "Every {h} hours; the newest of each of the last {} days and {} months are kept.",
                b.keep.0, b.keep.1
            ),
        },
        last_ok: status.last_ok_at.map_or_else(
            || "never".into(),
            |at| format!("{} ({}, {} bytes)", utc(at), status.last_file, status.last_bytes),
        ),
        last_error: status
            .last_error
            .filter(|_| status.failures > 0)
            .map(|e| format!("{}: {e}", status.last_error_at.map(utc).unwrap_or_default())),
        failures: status.failures,
        key_id: s.portal.store.secrets().key_id(),
        files: crate::ops::backup::list(&b.dir)
            .into_iter()
            .map(|(n, len)| (n, crate::model::units::show_bytes(len)))
            .collect(),
    };
    render(StatusCode::OK, &page)
}

/// Back up now (in the background thread pool; the page waits for it).
pub async fn now(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let (store, dir, keep) = (s.portal.store.clone(), s.backups.dir.clone(), s.backups.keep);
    let at = s.portal.clock.now();
    let ran = tokio::task::spawn_blocking(move || crate::ops::backup::run(&store, &dir, at, Some(keep))).await;
    match ran {
        Ok(Ok(r)) => {
            let name = r.made.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            tracing::info!(admin = c.admin.username, file = name, "backup made from the admin page");
            done("/admin/backups", &format!("Backup {name} written ({} bytes).", r.made.bytes))
        }
        Ok(Err(e)) => message(Some(&c), StatusCode::INTERNAL_SERVER_ERROR, "Backup failed", &e.to_string()),
        Err(e) => message(Some(&c), StatusCode::INTERNAL_SERVER_ERROR, "Backup failed", &e.to_string()),
    }
}

/// One backup file, as a download.
pub async fn download(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
) -> Response {
    let Some(path) = crate::ops::backup::file(&s.backups.dir, &name) else { return not_found(&c) };
    match tokio::fs::File::open(&path).await {
        Ok(f) => {
            let len = f.metadata().await.map(|m| m.len()).unwrap_or(0);
            let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(f));
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                    (header::CONTENT_LENGTH, len.to_string()),
                ],
                body,
            )
                .into_response()
        }
        Err(_) => not_found(&c),
    }
}
