//! The portal's pages: askama templates under `templates/portal/`, filled
//! from plain view structs. Nothing here reads storage.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::words::{self, Words};
use crate::model::*;
use crate::pdf::format_money;

/// What every page shows around its content: the tenant's look.
pub struct Chrome {
    pub title: String,
    pub colour: String,
    pub w: &'static Words,
    pub logo: Option<String>,
    pub support_phone: Option<String>,
    pub terms: Option<String>,
}

impl Chrome {
    pub fn of(tenant: &Tenant, b: &Branding) -> Chrome {
        Chrome {
            title: b.display_name.clone().unwrap_or_else(|| tenant.name.clone()),
            colour: b.colour.clone(),
            w: words::for_lang(&b.language),
            logo: b.logo.as_ref().map(|_| format!("/portal/logo/{}", tenant.id)),
            support_phone: b.support_phone.clone(),
            terms: b.terms.clone(),
        }
    }

    /// No tenant known: neutral look, English.
    pub fn neutral() -> Chrome {
        Chrome {
            title: "Internet".into(),
            colour: Branding::default().colour,
            w: &words::EN,
            logo: None,
            support_phone: None,
            terms: None,
        }
    }
}

/// The customer's own service, shown above the packages.
pub struct Account {
    pub name: String,
    pub username: String,
    pub access: &'static str,
    pub plan: String,
    pub expiry_label: &'static str,
    pub expiry: String,
    pub balance: String,
    pub online: bool,
    pub used: String,
}

pub struct OfferRow {
    pub id: Id,
    pub name: String,
    pub price: String,
    pub detail: String,
    pub current: bool,
}

impl OfferRow {
    pub fn of(p: &Plan, currency: &str, current: Option<Id>) -> OfferRow {
        let mut detail = vec![p.validity.to_string()];
        if let Some(r) = &p.rate {
            detail.push(r.to_string().split(' ').next().unwrap_or_default().to_string());
        }
        if let Some(q) = p.quota_bytes {
            detail.push(crate::model::units::show_bytes(q));
        }
        OfferRow {
            id: p.id,
            name: p.name.clone(),
            price: format_money(p.price, currency),
            detail: detail.join(" · "),
            current: current == Some(p.id),
        }
    }
}

/// The packages page: the account (when known), the packages with a
/// payment form, optionally voucher entry.
#[derive(Template)]
#[template(path = "portal/packages.html")]
pub struct PackagesPage {
    pub c: Chrome,
    pub account: Option<Account>,
    /// "active", "expired", "suspended", "quota", "not-started", "new".
    pub standing: &'static str,
    pub note: &'static str,
    pub offers: Vec<OfferRow>,
    pub can_buy: bool,
    pub phone: String,
    pub error: Option<String>,
    pub csrf: String,
    pub action: &'static str,
    /// Hidden fields carried through the forms (the router's hotspot
    /// parameters).
    pub hidden: Vec<(String, String)>,
    pub voucher_action: Option<&'static str>,
    /// Where "sign in with your phone" posts (the hotspot page).
    pub otp_action: Option<&'static str>,
    /// A ready login for a device that already has time left.
    pub login: Option<LoginForm>,
}

/// Waiting for, or the outcome of, a payment.
#[derive(Template)]
#[template(path = "portal/wait.html")]
pub struct WaitPage {
    pub c: Chrome,
    pub state: &'static str,
    pub heading: &'static str,
    pub message: String,
    pub refresh: bool,
    pub back: String,
    pub login: Option<LoginForm>,
}

/// The RouterOS hotspot login form, posted to `link-login-only`.
pub struct LoginForm {
    pub action: String,
    pub username: String,
    pub password: String,
    pub dst: String,
}

/// Where a customer types the code sent by SMS.
#[derive(Template)]
#[template(path = "portal/code.html")]
pub struct CodePage {
    pub c: Chrome,
    pub action: &'static str,
    pub csrf: String,
    pub hidden: Vec<(String, String)>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/unknown.html")]
pub struct UnknownPage {
    pub c: Chrome,
    pub heading: &'static str,
    pub message: String,
}

/// Security headers on every portal page: nothing loads from elsewhere;
/// forms may post to the router's hotspot login.
pub fn html(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::REFERRER_POLICY, "no-referrer"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                     script-src 'unsafe-inline'; form-action 'self' http: https:; \
                     frame-ancestors 'none'; base-uri 'none'",
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "portal template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "page failed").into_response()
        }
    }
}

/// A moment in the tenant's zone: "Thu 26 Nov 2026, 18:00".
pub fn local_time(t: UnixTime, tz: &str) -> String {
    match jiff::Timestamp::from_second(t) {
        Ok(ts) => ts.to_zoned_datetime(crate::clock::Clock::zone(tz)).strftime("%a %-d %b %Y, %H:%M").to_string(),
        Err(_) => "-".into(),
    }
}
