//! REST API tokens as `lango api-token` and the admin pages manage them:
//! made for a tenant with a role (shown once; only the SHA-256 is kept),
//! listed with when each was last used, revoked.

use super::OpError;
use crate::model::{ApiToken, Role, TenantId, UnixTime};
use crate::store::{Store, StoreError};

/// The roles a token may have, as typed.
pub const ROLES: [&str; 4] = ["tenant-admin", "operator", "cashier", "read-only"];

pub fn parse_role(s: &str) -> Result<Role, OpError> {
    match s.trim() {
        "tenant-admin" => Ok(Role::TenantAdmin),
        "operator" => Ok(Role::Operator),
        "cashier" => Ok(Role::Cashier),
        "read-only" => Ok(Role::ReadOnly),
        other => Err(OpError::field("role", format!("{other:?}: use tenant-admin, operator, cashier or read-only"))),
    }
}

/// A new token named `name` (what it is for) with role `role`; the token
/// itself, to show once.
pub fn create(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    name: &str,
    role: &str,
) -> Result<String, OpError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(OpError::field("name", "1 to 64 characters saying what it is for (\"crm\")."));
    }
    let role = parse_role(role)?;
    Ok(store.create_api_token(actor, now, tenant, name, role)?)
}

/// Revoke token `id` (as listed): it stops working at once.
pub fn revoke(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, id: &str) -> Result<ApiToken, OpError> {
    match store.revoke_api_token(actor, now, tenant, id.trim()) {
        Err(e @ StoreError::NotFound(_)) => Err(OpError::field("id", e)),
        other => Ok(other?),
    }
}
