//! First-run setup: the rules for an admin's chosen password (ASVS 5.0
//! V6.2: at least 12 characters, at most 128, not a common password), and
//! the operation that turns the setup page's answers into the platform
//! admin, the first tenant and the first router, with the router's RADIUS
//! secret generated and returned once.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::OpError;
use crate::billing::TaxRule;
use crate::model::units::{parse_cidr, parse_money};
use crate::model::*;
use crate::store::{FirstRun, NewNas, Store, StoreError};

pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 128;

const COMMON: &str = include_str!("common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect())
}

/// Why `password` may not be `username`'s, or None when it may. Length is
/// counted in characters; no composition rules (ASVS 6.2.5): long
/// passphrases of any characters pass.
pub fn password_problem(password: &str, username: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Some(format!("At least {MIN_PASSWORD} characters ({n} typed). A few words make a good one."));
    }
    if n > MAX_PASSWORD {
        return Some(format!("At most {MAX_PASSWORD} characters."));
    }
    let lower = password.to_lowercase();
    let base = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let set = common();
    if set.contains(lower.as_str()) || (base.chars().count() >= 3 && set.contains(base)) {
        return Some("This is one of the most common passwords; choose another.".into());
    }
    let mut chars = lower.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Some("One character repeated is easy to guess; choose another.".into());
    }
    let name = username.trim().to_lowercase();
    if name.chars().count() >= 3 && lower.contains(&name) {
        return Some("The password must not contain the admin's name.".into());
    }
    None
}

/// The setup page's answers, as typed.
#[derive(Clone, Debug, Default)]
pub struct SetupSpec {
    pub admin: String,
    pub password: String,
    pub tenant_name: String,
    pub currency: String,
    pub timezone: String,
    /// Percent, e.g. "16"; empty for none.
    pub vat: String,
    pub vat_inclusive: bool,
    /// "en" or "sw".
    pub language: String,
    pub router_name: String,
    /// The router's address or subnet as RADIUS packets come from it.
    pub router_address: String,
}

/// What setup made; the secret is shown once and never again.
pub struct SetupDone {
    pub tenant: Tenant,
    pub nas: Nas,
    pub secret: String,
}

/// A tenant slug from its name: lower-case letters, digits and single
/// dashes ("Kibera Net Ltd." → "kibera-net-ltd").
pub fn slug_of(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').chars().take(40).collect::<String>();
    if out.is_empty() { "isp".into() } else { out }
}

/// Check every answer (all the field errors at once), then create the
/// admin, tenant and router in one transaction. The password is hashed
/// here (argon2id: call this off the async threads).
pub fn first_run(store: &Store, now: UnixTime, actor: &str, s: &SetupSpec) -> Result<SetupDone, Vec<OpError>> {
    let mut errors = admin_problems(s);
    let name = s.tenant_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(OpError::field("tenant_name", "1 to 100 characters."));
    }
    let currency = s.currency.trim().to_ascii_uppercase();
    if !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())) {
        errors.push(OpError::field("currency", "A three-letter code such as KES."));
    }
    if jiff::tz::TimeZone::get(s.timezone.trim()).is_err() {
        errors.push(OpError::field("timezone", "A time zone name such as Africa/Nairobi."));
    }
    let vat = s.vat.trim();
    let rate_bp = match parse_money(if vat.is_empty() { "0" } else { vat.trim_end_matches('%').trim() }) {
        Ok(bp) if (0..=10_000).contains(&bp) => bp as u32,
        _ => {
            errors.push(OpError::field("vat", "A percentage from 0 to 100, e.g. 16."));
            0
        }
    };
    if s.language != "en" && s.language != "sw" {
        errors.push(OpError::field("language", "Choose English or Swahili."));
    }
    let router = s.router_name.trim();
    if router.is_empty() || router.chars().count() > 64 {
        errors.push(OpError::field("router_name", "1 to 64 characters."));
    }
    let address = match parse_cidr(s.router_address.trim()) {
        Ok(a) => Some(a),
        Err(e) => {
            errors.push(OpError::field("router_address", format!("{e} (e.g. 10.200.0.1 or 192.168.88.0/24)")));
            None
        }
    };
    let (Some((address, prefix)), true) = (address, errors.is_empty()) else {
        return Err(errors);
    };
    let admin = platform_admin(s, now)?;
    let secret = super::secrets::generate(24);
    let tax = (rate_bp > 0).then(|| TaxRule {
        name: format!(
            "VAT {}{} %",
            rate_bp / 100,
            if rate_bp % 100 == 0 { String::new() } else { format!(".{:02}", rate_bp % 100) }
        ),
        rate_bp,
        inclusive: s.vat_inclusive,
    });
    let run = FirstRun {
        admin,
        tenant: super::tenants::new_tenant(&slug_of(name), Some(name), s.timezone.trim(), &currency, false),
        billing: TenantBilling { tax, ..TenantBilling::default() },
        branding: Branding { language: s.language.clone(), ..Branding::default() },
        nas: NewNas {
            name: router.to_string(),
            address,
            prefix,
            secret: secret.clone(),
            require_message_authenticator: true,
        },
    };
    match store.first_run(actor, now, run) {
        Ok((tenant, nas)) => Ok(SetupDone { tenant, nas, secret }),
        Err(e @ StoreError::Conflict(_)) => Err(vec![OpError::from(e)]),
        Err(e) => Err(vec![OpError::from(e)]),
    }
}

/// First-run setup of a site (`[sync] role = "site"`): only the platform
/// admin, since the tenants and routers come from the hub.
pub fn first_admin(store: &Store, now: UnixTime, actor: &str, s: &SetupSpec) -> Result<(), Vec<OpError>> {
    let errors = admin_problems(s);
    if !errors.is_empty() {
        return Err(errors);
    }
    let a = platform_admin(s, now)?;
    store.first_admin(actor, now, &a).map_err(|e| vec![OpError::from(e)])
}

/// What is wrong with the admin's name and password.
fn admin_problems(s: &SetupSpec) -> Vec<OpError> {
    let mut errors = Vec::new();
    let admin = s.admin.trim();
    if admin.is_empty() || admin.chars().count() > 64 || admin.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.push(OpError::field("admin", "1 to 64 characters, no spaces."));
    }
    if let Some(p) = password_problem(&s.password, admin) {
        errors.push(OpError::field("password", p));
    }
    errors
}

/// The platform admin the answers describe, its password hashed (argon2id:
/// call this off the async threads).
fn platform_admin(s: &SetupSpec, now: UnixTime) -> Result<Admin, Vec<OpError>> {
    let password_hash = crate::demo::hash_password(&s.password).map_err(|e| vec![OpError::from(e)])?;
    Ok(Admin {
        tenant: 0,
        username: s.admin.trim().to_string(),
        password_hash,
        role: Role::PlatformAdmin,
        created_at: now,
        reseller: None,
        totp: None,
        disabled: false,
    })
}

/// The RouterOS commands that make the router use lango for RADIUS (as
/// `routeros-scripts/radius-client.rsc` does): the client with the secret,
/// CoA/Disconnect accepted, PPP AAA on. `lango` is the address the router
/// reaches lango at; `src` the router's own address when it is one host.
pub fn radius_commands(lango: &str, src: Option<std::net::IpAddr>, secret: &str) -> String {
    let src = src.map(|a| format!(" src-address={a}")).unwrap_or_default();
    format!(
        "/radius add service=ppp,hotspot,dhcp address={lango}{src} secret=\"{secret}\" \\\n    \
         authentication-port=1812 accounting-port=1813 timeout=3s require-message-auth=yes-for-request-resp comment=\"lango:radius\"\n\
         /radius incoming set accept=yes port=3799\n\
         /ppp aaa set use-radius=yes accounting=yes interim-update=5m\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        let cases: &[(&str, bool)] = &[
            ("short-pass1", false),            // 11 characters
            ("correct horse battery", true),   // a passphrase
            ("1qaz2wsx3edc", false),           // in the list, 12 characters
            ("Password1234!", false),          // "password" + digits and a symbol
            ("iloveyou2026", false),           // "iloveyou" + a year
            ("aaaaaaaaaaaaaaaa", false),       // one character
            ("kamau-likes-the-router", false), // contains the name
            ("tiny-goats-eat-fibre", true),
            (&"x1".repeat(70), false), // 140 characters
        ];
        for (pw, ok) in cases {
            assert_eq!(password_problem(pw, "kamau").is_none(), *ok, "{pw:?}: {:?}", password_problem(pw, "kamau"));
        }
        assert!(common().len() > 10_000);
    }

    #[test]
    fn slugs_from_names() {
        assert_eq!(slug_of("Kibera Net Ltd."), "kibera-net-ltd");
        assert_eq!(slug_of("  ***  "), "isp");
        assert_eq!(slug_of("Wi-Fi  4 All"), "wi-fi-4-all");
    }

    #[test]
    fn the_commands_carry_the_secret_and_the_address() {
        let c = radius_commands("10.200.0.2", Some("10.200.0.1".parse().unwrap()), "s3cret");
        assert!(
            c.starts_with(
                "/radius add service=ppp,hotspot,dhcp address=10.200.0.2 src-address=10.200.0.1 secret=\"s3cret\" \\\n"
            ),
            "{c}"
        );
        assert!(c.contains("/radius incoming set accept=yes port=3799"));
    }
}
