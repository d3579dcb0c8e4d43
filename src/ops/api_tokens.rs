//! REST API tokens as `lango api-token` and the admin pages manage them:
//! made for a tenant with a role (shown once; only the SHA-256 is kept),
//! listed with when each was last used, revoked.

use super::OpError;
use crate::model::{ApiToken, Role, TenantId, UnixTime};
use crate::store::{Store, StoreError};

/// The roles a token may have, as typed.
pub const ROLES: [&str; 5] = ["tenant-admin", "operator", "cashier", "read-only", "reseller"];

pub fn parse_role(s: &str) -> Result<Role, OpError> {
    match s.trim() {
        "tenant-admin" => Ok(Role::TenantAdmin),
        "operator" => Ok(Role::Operator),
        "cashier" => Ok(Role::Cashier),
        "read-only" => Ok(Role::ReadOnly),
        "reseller" => Ok(Role::Reseller),
        other => Err(OpError::field(
            "role",
            format!("{other:?}: use tenant-admin, operator, cashier, read-only or reseller"),
        )),
    }
}

/// What a new token is, as typed (`lango api-token create` and the form).
#[derive(Debug, Default, Clone)]
pub struct TokenInput {
    /// What it is for ("crm").
    pub name: String,
    pub role: String,
    /// For the reseller role: the reseller admin's username.
    pub reseller: String,
    /// Addresses or ADDR/PREFIX, separated by commas or spaces; empty = any.
    pub allow: String,
}

/// The allow-list as typed: each entry an address or ADDR/PREFIX.
pub fn parse_allow(text: &str) -> Result<Vec<String>, OpError> {
    let mut out = Vec::new();
    for part in text.split([',', ' ', '\n', '\r', '\t']).map(str::trim).filter(|p| !p.is_empty()) {
        if crate::model::Cidr::parse(part).is_none() {
            return Err(OpError::field("allow", format!("{part:?} is not an address or ADDR/PREFIX (10.0.0.0/24)")));
        }
        out.push(part.to_string());
    }
    if out.len() > 32 {
        return Err(OpError::field("allow", "at most 32 addresses or networks"));
    }
    Ok(out)
}

/// A new token; the token itself, to show once.
pub fn create(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    input: &TokenInput,
) -> Result<String, OpError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(OpError::field("name", "1 to 64 characters saying what it is for (\"crm\")."));
    }
    let role = parse_role(&input.role)?;
    let reseller = match (role, input.reseller.trim()) {
        (Role::Reseller, "") => {
            return Err(OpError::field("reseller", "a reseller token needs the reseller's username"));
        }
        (Role::Reseller, who) => match store.admin_by_name(who)? {
            Some(a) if a.tenant == tenant && a.role == Role::Reseller && a.reseller.is_some() => a.reseller,
            _ => return Err(OpError::field("reseller", format!("{who:?} is not a reseller of this tenant"))),
        },
        (_, "") => None,
        (_, _) => return Err(OpError::field("reseller", "only a reseller token names a reseller (role reseller)")),
    };
    let allow = parse_allow(&input.allow)?;
    let t = ApiToken { tenant, name: name.to_string(), role, created_at: now, reseller, allow };
    Ok(store.create_api_token(actor, now, t)?)
}

/// Revoke token `id` (as listed): it stops working at once.
pub fn revoke(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, id: &str) -> Result<ApiToken, OpError> {
    match store.revoke_api_token(actor, now, tenant, id.trim()) {
        Err(e @ StoreError::NotFound(_)) => Err(OpError::field("id", e)),
        other => Ok(other?),
    }
}

/// A token's scope in words: its reseller and addresses ("any" when
/// neither is set).
pub fn scope(store: &Store, t: &ApiToken) -> String {
    let mut parts = Vec::new();
    if let Some(r) = t.reseller {
        let name = store
            .admins(t.tenant)
            .ok()
            .and_then(|all| all.into_iter().find(|a| a.reseller == Some(r)).map(|a| a.username))
            .unwrap_or_else(|| format!("customer {r}"));
        parts.push(format!("reseller {name}"));
    }
    if !t.allow.is_empty() {
        parts.push(format!("from {}", t.allow.join(", ")));
    }
    if parts.is_empty() { "any".into() } else { parts.join("; ") }
}
