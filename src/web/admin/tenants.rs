//! Tenants, for the platform admin: the list (with a button to show one),
//! a form making a new one (the same defaults and checks as `lango tenant
//! add`), and each tenant's settings: name, time zone and currency, tax
//! and invoice numbering (`lango invoice settings`), the portal's branding
//! (`lango tenant brand`, all but the logo), and whether M-Pesa is set up
//! (its credentials are never shown).

use askama::Template;
use axum::Form;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::customers::Errors;
use super::{Caller, Chrome, done, failed, message, not_found, render};
use crate::billing::TaxRule;
use crate::model::*;
use crate::store::StoreError;
use crate::web::WebState;

pub struct TenantRow {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub timezone: String,
    pub currency: String,
    pub admins: usize,
    pub acting: bool,
}

#[derive(Template)]
#[template(path = "admin/tenants.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<TenantRow>,
}

pub async fn list(State(s): State<WebState>, Extension(c): Extension<Caller>) -> Response {
    let store = &s.portal.store;
    let tenants = match store.tenants() {
        Ok(t) => t,
        Err(e) => return failed(&c, &e),
    };
    let mut rows = Vec::new();
    for t in tenants {
        let admins = match store.admins(t.id) {
            Ok(a) => a.len(),
            Err(e) => return failed(&c, &e),
        };
        rows.push(TenantRow {
            acting: t.id == c.tenant_id(),
            id: t.id,
            slug: t.slug,
            name: t.name,
            timezone: t.timezone,
            currency: t.currency,
            admins,
        });
    }
    render(StatusCode::OK, &ListPage { c: c.chrome("Tenants"), rows })
}

#[derive(Deserialize, Clone)]
pub struct NewTenantForm {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub currency: String,
}

impl Default for NewTenantForm {
    fn default() -> Self {
        NewTenantForm {
            slug: String::new(),
            name: String::new(),
            timezone: "Africa/Nairobi".into(),
            currency: "KES".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/tenant_form.html")]
struct NewPage {
    c: Chrome,
    f: NewTenantForm,
    errors: Errors,
}

fn new_page(c: &Caller, f: NewTenantForm, errors: Errors) -> Response {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(status, &NewPage { c: c.chrome("New tenant"), f, errors })
}

pub async fn new(Extension(c): Extension<Caller>) -> Response {
    new_page(&c, NewTenantForm::default(), Errors::default())
}

/// The checks the store makes too, said next to the field.
fn check_zone_currency(errors: &mut Errors, timezone: &str, currency: &str) {
    if jiff::tz::TimeZone::get(timezone.trim()).is_err() {
        errors.add("timezone", "Not a known time zone; use an IANA name such as Africa/Nairobi.");
    }
    let cur = currency.trim();
    if !(cur.len() == 3 && cur.bytes().all(|b| b.is_ascii_alphabetic())) {
        errors.add("currency", "A three-letter currency code such as KES.");
    }
}

pub async fn create(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<NewTenantForm>,
) -> Response {
    let store = &s.portal.store;
    let mut errors = Errors::default();
    let slug = f.slug.trim();
    if slug.is_empty() || slug.len() > 40 || !slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        errors.add("slug", "1 to 40 letters, digits and '-'.");
    } else if store.tenant_by_slug(slug).is_ok() {
        errors.add("slug", format!("A tenant {slug:?} exists already."));
    }
    if f.name.chars().count() > 100 {
        errors.add("name", "At most 100 characters.");
    }
    check_zone_currency(&mut errors, &f.timezone, &f.currency);
    if errors.any() {
        return new_page(&c, f, errors);
    }
    let t = crate::ops::tenants::new_tenant(slug, Some(&f.name), &f.timezone, &f.currency, false);
    match store.create_tenant(&c.actor(), s.portal.clock.now(), t) {
        Ok(t) => done(&format!("/admin/tenants/{}", t.id), &format!("Tenant {} created.", t.slug)),
        Err(StoreError::Conflict(m) | StoreError::Invalid(m)) => {
            errors.add("slug", m);
            new_page(&c, f, errors)
        }
        Err(e) => failed(&c, &e),
    }
}

/// Every setting of the settings page, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct SettingsForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub currency: String,
    /// VAT in percent; empty or 0: no tax lines.
    #[serde(default)]
    pub vat: String,
    #[serde(default)]
    pub inclusive: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub tax_pin: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub colour: String,
    #[serde(default)]
    pub support_phone: String,
    #[serde(default)]
    pub terms: String,
    #[serde(default)]
    pub language: String,
}

#[derive(Template)]
#[template(path = "admin/tenant.html")]
struct SettingsPage {
    c: Chrome,
    t: Tenant,
    f: SettingsForm,
    /// "not set up", or the environment and shortcode.
    mpesa: Option<String>,
    logo: bool,
    errors: Errors,
}

struct Current {
    t: Tenant,
    billing: TenantBilling,
    branding: Branding,
}

fn current(s: &WebState, id: TenantId) -> Result<Option<Current>, StoreError> {
    let store = &s.portal.store;
    let Some(t) = store.tenants()?.into_iter().find(|t| t.id == id) else { return Ok(None) };
    Ok(Some(Current { billing: store.tenant_billing(id)?, branding: store.branding(id)?, t }))
}

/// Basis points as a percentage: 1600 → "16", 1650 → "16.5".
fn percent(bp: u32) -> String {
    let s = format!("{}.{:02}", bp / 100, bp % 100);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn form_of(cur: &Current) -> SettingsForm {
    let b = &cur.branding;
    SettingsForm {
        name: cur.t.name.clone(),
        timezone: cur.t.timezone.clone(),
        currency: cur.t.currency.clone(),
        vat: cur.billing.tax.as_ref().map(|t| percent(t.rate_bp)).unwrap_or_default(),
        inclusive: if cur.billing.tax.as_ref().is_some_and(|t| t.inclusive) { "on".into() } else { String::new() },
        prefix: cur.billing.invoice_prefix.clone(),
        tax_pin: cur.billing.tax_pin.clone().unwrap_or_default(),
        display_name: b.display_name.clone().unwrap_or_default(),
        colour: b.colour.clone(),
        support_phone: b.support_phone.clone().unwrap_or_default(),
        terms: b.terms.clone().unwrap_or_default(),
        language: b.language.clone(),
    }
}

fn settings_page(c: &Caller, cur: Current, f: SettingsForm, errors: Errors) -> Response {
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mpesa = cur.billing.mpesa.as_ref().map(|m| {
        let env = match &m.env {
            MpesaEnv::Sandbox => "sandbox".to_string(),
            MpesaEnv::Production => "production".to_string(),
            MpesaEnv::Custom(u) => u.clone(),
        };
        let till = m.till.as_deref().map(|t| format!(", till {t}")).unwrap_or_default();
        format!("{env}, shortcode {}{till}", m.shortcode)
    });
    let page = SettingsPage {
        c: c.chrome(format!("Tenant {}", cur.t.slug)),
        logo: cur.branding.logo.is_some(),
        t: cur.t,
        f,
        mpesa,
        errors,
    };
    render(status, &page)
}

pub async fn show(State(s): State<WebState>, Extension(c): Extension<Caller>, Path(id): Path<TenantId>) -> Response {
    match current(&s, id) {
        Ok(Some(cur)) => {
            let f = form_of(&cur);
            settings_page(&c, cur, f, Errors::default())
        }
        Ok(None) => not_found(&c),
        Err(e) => failed(&c, &e),
    }
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn save(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<TenantId>,
    Form(f): Form<SettingsForm>,
) -> Response {
    let cur = match current(&s, id) {
        Ok(Some(cur)) => cur,
        Ok(None) => return not_found(&c),
        Err(e) => return failed(&c, &e),
    };
    let mut errors = Errors::default();
    if f.name.trim().is_empty() || f.name.chars().count() > 100 {
        errors.add("name", "1 to 100 characters.");
    }
    check_zone_currency(&mut errors, &f.timezone, &f.currency);
    let vat = f.vat.trim();
    let rate_bp = match crate::model::units::parse_money(if vat.is_empty() { "0" } else { vat }) {
        Ok(bp) if (0..=10_000).contains(&bp) => bp as u32,
        _ => {
            errors.add("vat", "A percentage from 0 to 100, e.g. 16.");
            0
        }
    };
    if f.prefix.chars().count() > 16 || f.prefix.chars().any(char::is_whitespace) {
        errors.add("prefix", "At most 16 characters, no spaces.");
    }
    let colour = f.colour.trim().to_lowercase();
    if !(colour.len() == 7 && colour.starts_with('#') && colour[1..].bytes().all(|b| b.is_ascii_hexdigit())) {
        errors.add("colour", "A colour as #rrggbb.");
    }
    if f.language != "en" && f.language != "sw" {
        errors.add("language", "Choose English (en) or Swahili (sw).");
    }
    if f.terms.chars().count() > 2000 {
        errors.add("terms", "At most 2000 characters.");
    }
    if errors.any() {
        return settings_page(&c, cur, f, errors);
    }
    let store = &s.portal.store;
    let (actor, now) = (c.actor(), s.portal.clock.now());
    let tenant = Tenant {
        name: f.name.trim().to_string(),
        timezone: f.timezone.trim().to_string(),
        currency: f.currency.trim().to_ascii_uppercase(),
        ..cur.t.clone()
    };
    let tax = (rate_bp > 0).then(|| TaxRule {
        name: format!("VAT {} %", percent(rate_bp)),
        rate_bp,
        inclusive: f.inclusive == "on",
    });
    let billing = TenantBilling {
        tax,
        invoice_prefix: f.prefix.trim().to_string(),
        tax_pin: opt(&f.tax_pin),
        ..cur.billing.clone()
    };
    let branding = Branding {
        display_name: opt(&f.display_name),
        colour,
        support_phone: opt(&f.support_phone),
        terms: opt(&f.terms),
        language: f.language.clone(),
        ..cur.branding.clone()
    };
    // Only what changed is written (and audited).
    let saved = (|| {
        if tenant != cur.t {
            store.update_tenant(&actor, now, &tenant)?;
        }
        if billing != cur.billing {
            store.set_tenant_billing(&actor, now, id, &billing)?;
        }
        if branding != cur.branding {
            store.set_branding(&actor, now, id, &branding)?;
        }
        Ok::<_, StoreError>(())
    })();
    match saved {
        Ok(()) => done(&format!("/admin/tenants/{id}"), "Settings saved."),
        Err(StoreError::Invalid(m)) => {
            let field = ["timezone", "currency", "colour", "language"]
                .into_iter()
                .find(|k| m.contains(k) || (*k == "timezone" && m.contains("time zone")))
                .unwrap_or("name");
            errors.add(field, m);
            settings_page(&c, cur, f, errors)
        }
        Err(e) => failed(&c, &e),
    }
}

/// Largest upload body: the logo plus the form's framing.
const MAX_UPLOAD: usize = crate::ops::tenants::MAX_LOGO + 16 * 1024;

/// The portal logo: a PNG or SVG upload (multipart), or "remove".
pub async fn logo(
    State(s): State<WebState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<TenantId>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Response {
    let cur = match current(&s, id) {
        Ok(Some(cur)) => cur,
        Ok(None) => return not_found(&c),
        Err(e) => return failed(&c, &e),
    };
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Ok(bytes) = axum::body::to_bytes(body, MAX_UPLOAD).await else {
        let mut errors = Errors::default();
        errors.add("logo", "larger than 64 KiB");
        let f = form_of(&cur);
        return settings_page(&c, cur, f, errors);
    };
    let parts = crate::web::multipart::boundary(content_type).and_then(|b| crate::web::multipart::parse(b, &bytes));
    let Some(parts) = parts else {
        return message(Some(&c), StatusCode::BAD_REQUEST, "Not uploaded", "The form did not arrive whole; try again.");
    };
    let remove = crate::web::multipart::field(&parts, "remove") == "1";
    let file = parts.into_iter().find(|p| p.name == "logo").map(|p| p.data.to_vec()).unwrap_or_default();
    let bytes = if remove { None } else { Some(file) };
    match crate::ops::tenants::set_logo(&s.portal.store, &c.actor(), s.portal.clock.now(), id, bytes) {
        Ok(()) => done(&format!("/admin/tenants/{id}"), if remove { "Logo removed." } else { "Logo saved." }),
        Err(e) => match e.about() {
            Some((field, m)) => {
                let mut errors = Errors::default();
                errors.add(field, m);
                let f = form_of(&cur);
                settings_page(&c, cur, f, errors)
            }
            None => failed(&c, &e),
        },
    }
}
