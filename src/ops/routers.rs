//! Routers (NAS) as both front ends change them after they are added: the
//! editable fields checked and saved, the shared secret rotated (a new
//! one generated and returned once, with the RouterOS command that sets
//! it), and the hook token for the router's scripts made anew.

use super::{FieldResult, OpError};
use crate::model::units::parse_cidr;
use crate::model::{Id, Nas, TenantId, UnixTime};
use crate::store::{Store, StoreError};

/// A router's editable fields, as typed.
#[derive(Clone, Debug, Default)]
pub struct RouterEdit {
    pub name: String,
    /// The address its RADIUS packets come from, or a subnet.
    pub address: String,
    pub coa_port: String,
    /// Accept Access-Requests without Message-Authenticator (old RouterOS;
    /// open to Blast-RADIUS, CVE-2024-3596).
    pub allow_missing_message_authenticator: bool,
}

impl RouterEdit {
    pub fn of(n: &Nas) -> RouterEdit {
        RouterEdit {
            name: n.name.clone(),
            address: format!("{}/{}", n.address, n.prefix),
            coa_port: n.coa_port.to_string(),
            allow_missing_message_authenticator: !n.require_message_authenticator,
        }
    }
}

/// One of `tenant`'s routers.
pub fn router(store: &Store, tenant: TenantId, id: Id) -> Result<Nas, OpError> {
    let found = store.all_nas()?.into_iter().find(|n| n.tenant == tenant && n.id == id);
    found.ok_or_else(|| OpError::field("id", format!("no router {id}")))
}

/// Check `e` (every field error at once) and save it.
pub fn edit(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    id: Id,
    e: &RouterEdit,
) -> Result<Nas, Vec<OpError>> {
    let mut errors = Vec::new();
    let name = e.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(OpError::field("name", "1 to 100 characters."));
    }
    let address = parse_cidr(e.address.trim()).field("address").map_err(|x| errors.push(x)).ok();
    let port = match e.coa_port.trim().parse::<u16>() {
        Ok(p) if p > 0 => Some(p),
        _ => {
            errors.push(OpError::field("coa_port", "A UDP port, 1 to 65535 (RouterOS listens on 3799)."));
            None
        }
    };
    let (Some(address), Some(port), true) = (address, port, errors.is_empty()) else {
        return Err(errors);
    };
    match store.edit_nas(actor, now, tenant, id, name, address, port, !e.allow_missing_message_authenticator) {
        Ok(n) => Ok(n),
        Err(x @ StoreError::Conflict(_)) => Err(vec![OpError::field("address", x)]),
        Err(x @ StoreError::Invalid(_)) => Err(vec![OpError::field("address", x)]),
        Err(x @ StoreError::NotFound(_)) => Err(vec![OpError::field("id", x)]),
        Err(x) => Err(vec![x.into()]),
    }
}

/// A new generated shared secret for router `id`, returned once.
pub fn rotate_secret(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    id: Id,
) -> Result<(Nas, String), OpError> {
    let secret = super::secrets::generate(24);
    match store.set_nas_secret(actor, now, tenant, id, &secret) {
        Ok(n) => Ok((n, secret)),
        Err(e @ StoreError::NotFound(_)) => Err(OpError::field("id", e)),
        Err(e) => Err(e.into()),
    }
}

/// The RouterOS command that puts a new secret on lango's RADIUS entry
/// (the one `radius-client.rsc` and setup make, comment "lango").
pub fn secret_command(secret: &str) -> String {
    format!("/radius set [find comment=\"lango\"] secret=\"{secret}\"")
}

/// A new token for the router's hook scripts (the old one stops working).
pub fn hook_token(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, id: Id) -> Result<String, OpError> {
    match store.new_hook_token(actor, now, tenant, id) {
        Err(e @ StoreError::NotFound(_)) => Err(OpError::field("id", e)),
        other => Ok(other?),
    }
}
