//! Tenants as `lango tenant add`, `lango init` and the admin pages make
//! them.

use crate::model::Tenant;

/// A tenant as `tenant add` and the admin UI's tenant form make it: the
/// name defaults to the slug, the currency code is upper-cased, captive
/// sessions get 256k for 5 minutes. (The store checks zone and currency.)
pub fn new_tenant(slug: &str, name: Option<&str>, timezone: &str, currency: &str, captive: bool) -> Tenant {
    let slug = slug.trim().to_string();
    Tenant {
        id: 0,
        name: name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&slug).to_string(),
        slug,
        timezone: timezone.trim().to_string(),
        currency: currency.trim().to_ascii_uppercase(),
        captive_redirect: captive,
        captive_rate_limit: "256k/256k".into(),
        captive_session_timeout: 300,
    }
}
