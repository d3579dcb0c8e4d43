//! The accounting page at `/admin/accounting`: the period journal's figures
//! for a period, its downloads as QuickBooks Online, Xero and Odoo import
//! them (`/admin/accounting/journal`), and the chart of accounts it posts
//! to, which an admin with the integrations permission changes. All
//! through `ops::journal`, as `lango report journal` and `lango accounts`.

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::customers::Errors;
use super::rbac::Perm;
use super::{Caller, Chrome, done, failed, message, render};
use crate::model::{AccountRole, CHART_KEYS, ChartOfAccounts};
use crate::ops::OpError;
use crate::ops::journal::{self, Format};
use crate::ops::report_view::{Period, plain_money};
use crate::store::reports::{day_label, local_day};
use crate::web::WebState;

#[derive(Deserialize, Default)]
pub struct JournalQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub format: String,
}

/// One account's row of the chart form.
pub struct AccountRow {
    pub key: &'static str,
    pub label: &'static str,
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "admin/accounting.html")]
struct Page {
    c: Chrome,
    from: String,
    to: String,
    period: String,
    error: String,
    /// (label, figure).
    figures: Vec<(String, String)>,
    /// (product, download link).
    downloads: Vec<(&'static str, String)>,
    accounts: Vec<AccountRow>,
    odoo_journal: String,
    xero_tax_rate: String,
    can_edit: bool,
    errors: Errors,
}

fn today(s: &WebState, c: &Caller) -> i32 {
    local_day(&crate::clock::Clock::zone(c.zone()), s.portal.clock.now())
}

fn link(from: i32, to: i32, f: Format) -> String {
    let q =
        serde_urlencoded::to_string([("from", day_label(from)), ("to", day_label(to)), ("format", f.slug().into())])
            .unwrap_or_default();
    format!("/admin/accounting/journal?{q}")
}

async fn page(s: &WebState, c: &Caller, q: &JournalQuery, chart: ChartOfAccounts, errors: Errors) -> Response {
    let Some(tenant) = c.tenant.clone() else { return failed(c, &OpError::Refused("no tenant".into())) };
    let mut p = Page {
        c: c.chrome("Accounting"),
        from: q.from.clone(),
        to: q.to.clone(),
        period: String::new(),
        error: String::new(),
        figures: vec![],
        downloads: vec![],
        accounts: AccountRole::ALL
            .iter()
            .map(|r| {
                let a = chart.account(*r);
                AccountRow { key: r.key(), label: r.label(), code: a.code, name: a.name }
            })
            .collect(),
        odoo_journal: chart.odoo_journal.clone(),
        xero_tax_rate: chart.xero_tax_rate.clone(),
        can_edit: c.can(Perm::ManageIntegrations),
        errors,
    };
    let status = if p.errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let period = match Period::parse(&q.from, &q.to, today(s, c)) {
        Ok(period) => period,
        Err(OpError::Field { message, .. }) => {
            p.error = message;
            return render(StatusCode::BAD_REQUEST, &p);
        }
        Err(e) => return failed(c, &e),
    };
    let store = s.portal.store.clone();
    let j = match tokio::task::spawn_blocking(move || journal::build(&store, &tenant, period)).await {
        Ok(Ok(j)) => j,
        Ok(Err(e)) => return failed(c, &e),
        Err(e) => return failed(c, &e),
    };
    let digits = crate::pdf::minor_digits(&j.currency);
    let m = |v: i64| format!("{} {}", j.currency, plain_money(v, digits));
    let (dr, cr) = j.totals();
    p.from = day_label(period.from);
    p.to = day_label(period.to);
    p.period = period.label();
    p.figures = vec![
        ("Sales documents, net".into(), m(j.net)),
        ("Tax".into(), m(j.tax)),
        ("Sales documents, gross".into(), m(j.gross)),
        ("Payments received".into(), m(j.received)),
        ("Wallets owed at the start".into(), m(j.wallets_opening)),
        ("Wallets owed at the end".into(), m(j.wallets_closing)),
        ("Journal debits = credits".into(), format!("{} = {}", m(dr), m(cr))),
    ];
    p.downloads = Format::ALL.iter().map(|f| (f.title(), link(period.from, period.to, *f))).collect();
    render(status, &p)
}

pub async fn show(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<JournalQuery>,
) -> Response {
    match s.portal.store.chart_of_accounts(c.tenant_id()) {
        Ok(chart) => page(&s, &c, &q, chart, Errors::default()).await,
        Err(e) => failed(&c, &e),
    }
}

/// Save the chart: every field of the form, refused as a whole on a bad one.
pub async fn save(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let changes: Vec<(String, String)> = f.into_iter().filter(|(k, _)| CHART_KEYS.contains(&k.as_str())).collect();
    match journal::save_chart(&s.portal.store, &c.actor(), s.portal.clock.now(), c.tenant_id(), &changes) {
        Ok(_) => done("/admin/accounting", "Chart of accounts saved."),
        Err(e) => {
            let errors = match Errors::of(&c, vec![e]) {
                Ok(errors) => errors,
                Err(r) => return r,
            };
            // Show what was typed.
            let mut chart = s.portal.store.chart_of_accounts(c.tenant_id()).unwrap_or_default();
            for (k, v) in &changes {
                let _ = chart.set(k, v);
            }
            page(&s, &c, &JournalQuery::default(), chart, errors).await
        }
    }
}

/// The journal as a product imports it.
pub async fn download(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<JournalQuery>,
) -> Response {
    let Some(tenant) = c.tenant.clone() else { return failed(&c, &OpError::Refused("no tenant".into())) };
    let Some(format) = Format::parse(&q.format) else {
        return message(Some(&c), StatusCode::BAD_REQUEST, "Bad format", "format: quickbooks, xero or odoo");
    };
    let period = match Period::parse(&q.from, &q.to, today(&s, &c)) {
        Ok(p) => p,
        Err(OpError::Field { message: m, .. }) => return message(Some(&c), StatusCode::BAD_REQUEST, "Bad period", &m),
        Err(e) => return failed(&c, &e),
    };
    let store = s.portal.store.clone();
    let built = tokio::task::spawn_blocking(move || -> Result<String, OpError> {
        let j = journal::build(&store, &tenant, period)?;
        Ok(journal::csv(&j, &store.chart_of_accounts(tenant.id)?, format))
    })
    .await;
    let body = match built {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return failed(&c, &e),
        Err(e) => return failed(&c, &e),
    };
    let name = format!("lango-journal-{}-{}-{}.csv", format.slug(), day_label(period.from), day_label(period.to));
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
    ];
    (headers, body).into_response()
}
