//! The import page: a daloRADIUS or PHPNuxBill dump, or a CSV file,
//! uploaded (multipart, up to `ops::import::MAX_UPLOAD`; the gate lets
//! this one path past the usual form limit) and checked or imported
//! through `ops::import`, as `lango import` does. The result shows the
//! problems by line, or the counts; a clean check offers the import, for
//! which the operator chooses the file again: uploads are kept neither on
//! disk nor in memory between requests. Passwords from the file are never
//! shown, logged or audited.

use askama::Template;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::customers::Errors;
use super::{Caller, Chrome, failed, render};
use crate::import::Problem;
use crate::ops::import::{self as op, Kind, MAX_UPLOAD, Report};
use crate::web::WebState;
use crate::web::multipart;

/// Problems (and notes) listed on the page; the rest are counted.
const SHOWN: usize = 200;

fn label(k: Kind) -> &'static str {
    match k {
        Kind::Daloradius => "daloRADIUS / FreeRADIUS SQL dump",
        Kind::Phpnuxbill => "PHPNuxBill SQL dump",
        Kind::Csv => "CSV of customers and services",
    }
}

/// What the form holds (never the file).
struct ImportForm {
    kind: String,
    check_only: bool,
}

/// A run's report as the page shows it.
struct Outcome {
    file: String,
    kind: &'static str,
    /// "checked", "imported" or "refused".
    state: &'static str,
    tenant: String,
    plans: usize,
    customers: usize,
    services: usize,
    problems: Vec<Problem>,
    problem_count: usize,
    warnings: Vec<Problem>,
    warning_count: usize,
}

impl Outcome {
    fn of(file: String, r: Report) -> Outcome {
        let state = if r.imported {
            "imported"
        } else if r.problems.is_empty() {
            "checked"
        } else {
            "refused"
        };
        let (problem_count, warning_count) = (r.problems.len(), r.warnings.len());
        Outcome {
            file,
            kind: label(r.kind),
            state,
            tenant: r.tenant,
            plans: r.plans,
            customers: r.customers,
            services: r.services,
            problems: r.problems.into_iter().take(SHOWN).collect(),
            problem_count,
            warnings: r.warnings.into_iter().take(SHOWN).collect(),
            warning_count,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/import.html")]
struct Page {
    c: Chrome,
    kinds: Vec<(&'static str, &'static str, bool)>,
    f: ImportForm,
    errors: Errors,
    outcome: Option<Outcome>,
    max_mib: usize,
}

fn page(c: &Caller, f: ImportForm, errors: Errors, outcome: Option<Outcome>) -> Response {
    let refused = outcome.as_ref().is_some_and(|o| o.state == "refused");
    let status = if errors.any() || refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let kinds = Kind::ALL.into_iter().map(|k| (k.as_str(), label(k), k.as_str() == f.kind)).collect();
    let max_mib = MAX_UPLOAD / (1024 * 1024);
    render(status, &Page { c: c.chrome("Import"), kinds, f, errors, outcome, max_mib })
}

pub async fn form(Extension(c): Extension<Caller>) -> Response {
    page(&c, ImportForm { kind: Kind::Daloradius.as_str().into(), check_only: true }, Errors::default(), None)
}

pub async fn run(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut errors = Errors::default();
    // The gate has read the body already, within the same limit.
    let Ok(bytes) = axum::body::to_bytes(body, MAX_UPLOAD).await else {
        errors.add("file", format!("larger than {} MiB", MAX_UPLOAD / (1024 * 1024)));
        return page(&c, ImportForm { kind: String::new(), check_only: true }, errors, None);
    };
    // A form that is not multipart (or not whole) holds no file: the
    // fields below say so.
    let parts = multipart::boundary(content_type).and_then(|b| multipart::parse(b, &bytes)).unwrap_or_default();
    let f = ImportForm {
        kind: multipart::field(&parts, "kind").trim().to_string(),
        check_only: !multipart::field(&parts, "check_only").is_empty(),
    };
    let file = parts
        .into_iter()
        .find(|p| p.name == "file" && (p.filename.as_deref().is_some_and(|n| !n.is_empty()) || !p.data.is_empty()));
    if let Err(e) = Kind::parse(&f.kind)
        && let Some((field, m)) = e.about()
    {
        errors.add(field, m);
    }
    if file.is_none() {
        errors.add("file", "choose the file to import");
    }
    let (Some(file), false) = (file, errors.any()) else {
        return page(&c, f, errors, None);
    };
    // The file's part of the body, shared rather than copied.
    let data = bytes.slice_ref(file.data);
    let name = file.filename.unwrap_or_default();
    let (store, now, actor, tenant) = (s.portal.store.clone(), s.portal.clock.now(), c.actor(), c.tenant_id());
    let (kind, dry_run) = (f.kind.clone(), f.check_only);
    let ran = tokio::task::spawn_blocking(move || op::run(&store, now, &actor, tenant, &kind, &data, dry_run));
    match ran.await {
        Ok(Ok(report)) => {
            let outcome = Outcome::of(name, report);
            // After a clean check, the form offers the import itself.
            let f = ImportForm { check_only: outcome.state != "checked", ..f };
            page(&c, f, Errors::default(), Some(outcome))
        }
        Ok(Err(e)) => match e.about() {
            Some((field, m)) => {
                errors.add(field, m);
                page(&c, f, errors, None)
            }
            None => failed(&c, &e),
        },
        Err(e) => failed(&c, &e),
    }
}
