//! The Backups page (platform admins): how scheduled backups have gone,
//! the backups in the backup directory with a download link each (to keep
//! them off the router), and "Back up now" (`ops::backup`, as `lango
//! backup`). Restoring is `lango restore FILE` with lango stopped.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use serde::Deserialize;

use super::customers::Errors;
use super::{Caller, Chrome, done, failed, message, not_found, render};
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
    /// Off-site targets' last outcomes: (target, when, error or "").
    offsite: Vec<(String, String, String)>,
    s3: S3Form,
    ftp: FtpForm,
    s3_on: bool,
    ftp_on: bool,
    errors: Errors,
}

#[derive(Deserialize, Default)]
pub struct S3Form {
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    bucket: String,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    access_key: String,
    #[serde(default)]
    secret_key: String,
    #[serde(default)]
    virtual_host: String,
}

#[derive(Deserialize, Default)]
pub struct FtpForm {
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    dir: String,
}

#[derive(Deserialize, Default)]
pub struct OffForm {
    #[serde(default)]
    kind: String,
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    page(&s, &c, None, None, Errors::default())
}

fn page(s: &WebState, c: &Caller, s3: Option<S3Form>, ftp: Option<FtpForm>, errors: Errors) -> Response {
    let o = match s.portal.store.offsite() {
        Ok(o) => o,
        Err(e) => return failed(c, &e),
    };
    let s3_form = s3.unwrap_or_else(|| match &o.s3 {
        Some(t) => S3Form {
            endpoint: t.endpoint.clone(),
            region: t.region.clone(),
            bucket: t.bucket.clone(),
            prefix: t.prefix.clone(),
            access_key: t.access_key.clone(),
            virtual_host: if t.virtual_host { "on".into() } else { String::new() },
            ..S3Form::default()
        },
        None => S3Form { region: "us-east-1".into(), ..S3Form::default() },
    });
    let ftp_form = ftp.unwrap_or_else(|| match &o.ftp {
        Some(t) => FtpForm {
            host: t.host.clone(),
            port: t.port.to_string(),
            user: t.user.clone(),
            dir: t.dir.clone(),
            ..FtpForm::default()
        },
        None => FtpForm { port: "21".into(), ..FtpForm::default() },
    });
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
        offsite: status.offsite.iter().map(|(t, at, e)| (t.clone(), utc(*at), e.clone())).collect(),
        s3: s3_form,
        ftp: ftp_form,
        s3_on: o.s3.is_some(),
        ftp_on: o.ftp.is_some(),
        errors,
    };
    let code = if page.errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(code, &page)
}

/// The S3-compatible target (the secret kept when left blank).
pub async fn set_s3(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(mut f): Form<S3Form>) -> Response {
    let input = crate::ops::backup::S3Input {
        endpoint: f.endpoint.clone(),
        region: f.region.clone(),
        bucket: f.bucket.clone(),
        prefix: f.prefix.clone(),
        access_key: f.access_key.clone(),
        secret_key: Some(std::mem::take(&mut f.secret_key)),
        virtual_host: f.virtual_host == "on",
    };
    match crate::ops::backup::set_s3(&s.portal.store, &c.actor(), s.portal.clock.now(), &input) {
        Ok(()) => done("/admin/backups", "Backups will be copied to the bucket."),
        Err(p) => match Errors::of(&c, p) {
            Ok(errors) => page(&s, &c, Some(f), None, errors),
            Err(r) => r,
        },
    }
}

/// The FTP target (the password kept when left blank).
pub async fn set_ftp(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(mut f): Form<FtpForm>,
) -> Response {
    let input = crate::ops::backup::FtpInput {
        host: f.host.clone(),
        port: f.port.clone(),
        user: f.user.clone(),
        password: Some(std::mem::take(&mut f.password)),
        dir: f.dir.clone(),
    };
    match crate::ops::backup::set_ftp(&s.portal.store, &c.actor(), s.portal.clock.now(), &input) {
        Ok(()) => done("/admin/backups", "Backups will be copied to the FTP server."),
        Err(p) => match Errors::of(&c, p) {
            Ok(errors) => page(&s, &c, None, Some(f), errors),
            Err(r) => r,
        },
    }
}

/// Stop copying to a target.
pub async fn off(State(s): State<WebState>, Extension(c): Extension<Caller>, Form(f): Form<OffForm>) -> Response {
    match crate::ops::backup::clear(&s.portal.store, &c.actor(), s.portal.clock.now(), &f.kind) {
        Ok(()) => done("/admin/backups", &format!("No more copies to {}.", f.kind)),
        Err(e) => message(Some(&c), StatusCode::UNPROCESSABLE_ENTITY, "Nothing changed", &e.to_string()),
    }
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
            let failed: Vec<String> =
                r.offsite.iter().filter_map(|(t, r)| r.as_ref().err().map(|e| format!("{t}: {e}"))).collect();
            let copied = r.offsite.len() - failed.len();
            let text = if failed.is_empty() {
                format!("Backup {name} written ({} bytes), copied to {copied} off-site target(s).", r.made.bytes)
            } else {
                format!("Backup {name} written ({} bytes) but NOT copied: {}", r.made.bytes, failed.join("; "))
            };
            done("/admin/backups", &text)
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
