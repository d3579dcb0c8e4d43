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
/// (the one `radius-client.rsc`, setup and provisioning make, comment "lango:radius").
pub fn secret_command(secret: &str) -> String {
    format!("/radius set [find comment=\"lango:radius\"] secret=\"{secret}\"")
}

/// A new token for the router's hook scripts (the old one stops working).
pub fn hook_token(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, id: Id) -> Result<String, OpError> {
    match store.new_hook_token(actor, now, tenant, id) {
        Err(e @ StoreError::NotFound(_)) => Err(OpError::field("id", e)),
        other => Ok(other?),
    }
}

/// How lango reaches a router's RouterOS API, as typed; an empty password
/// keeps the stored one.
#[derive(Clone, Debug, Default)]
pub struct ApiSpec {
    pub host: String,
    /// Empty: 8728, or 8729 with TLS.
    pub port: String,
    pub tls: bool,
    pub user: String,
    pub password: String,
    /// lango's address as the router reaches it (for provisioning).
    pub lango_address: String,
}

/// Check and store `spec` for router `nas` (the password sealed).
pub fn set_api(
    store: &Store,
    actor: &str,
    now: UnixTime,
    nas: &Nas,
    spec: &ApiSpec,
) -> Result<crate::model::RouterApi, Vec<OpError>> {
    let mut errors = Vec::new();
    let host = spec.host.trim();
    if host.is_empty() || host.len() > 253 || host.chars().any(|c| c.is_whitespace() || c == '/') {
        errors.push(OpError::field("host", "The router's address or host name as lango reaches it."));
    }
    let port = match spec.port.trim() {
        "" => Some(if spec.tls { 8729 } else { 8728 }),
        p => p.parse::<u16>().ok().filter(|p| *p > 0).or_else(|| {
            errors.push(OpError::field("port", "A TCP port (8728 plain, 8729 with TLS)."));
            None
        }),
    };
    if spec.user.trim().is_empty() {
        errors.push(OpError::field("user", "The RouterOS user lango logs in as."));
    }
    let lango_address = match spec.lango_address.trim() {
        "" => None,
        a => a
            .parse::<std::net::IpAddr>()
            .map_err(|_| errors.push(OpError::field("lango_address", "An IP address.")))
            .ok(),
    };
    let password = if spec.password.is_empty() {
        match store.router_api(nas.tenant, nas.id) {
            Ok(Some(old)) => store.router_api_password(&old).map_err(|e| vec![e.into()])?,
            Ok(None) => {
                errors.push(OpError::field("password", "The RouterOS user's password."));
                String::new()
            }
            Err(e) => return Err(vec![e.into()]),
        }
    } else {
        spec.password.clone()
    };
    let (Some(port), true) = (port, errors.is_empty()) else {
        return Err(errors);
    };
    let n = crate::store::NewRouterApi {
        host: host.to_string(),
        port,
        tls: spec.tls,
        username: spec.user.trim().to_string(),
        password,
        lango_address,
    };
    store.set_router_api(actor, now, nas.tenant, nas.id, n).map_err(|e| vec![e.into()])
}

/// What provisioning makes the router hold, besides what lango knows.
#[derive(Clone, Debug)]
pub struct ProvisionSpec {
    /// lango's address as the router reaches it; None: the stored one.
    pub lango_address: Option<std::net::IpAddr>,
    pub portal_port: u16,
    pub auth_port: u16,
    pub acct_port: u16,
    /// PPP accounting interim interval (RouterOS form, "5m").
    pub interim_update: String,
}

impl Default for ProvisionSpec {
    fn default() -> Self {
        ProvisionSpec {
            lango_address: None,
            portal_port: 80,
            auth_port: 1812,
            acct_port: 1813,
            interim_update: "5m".into(),
        }
    }
}

/// Read router `nas` over its API, diff it against what lango needs and,
/// unless `dry_run`, apply the changes one at a time. A failure says what
/// was applied before it.
pub async fn provision(
    store: &Store,
    nas: &Nas,
    spec: &ProvisionSpec,
    dry_run: bool,
    timeout: std::time::Duration,
) -> Result<crate::routeros::Report, OpError> {
    use crate::routeros::{self, Router, provision};
    let api = store.router_api(nas.tenant, nas.id)?.ok_or_else(|| no_api(nas))?;
    let ep = api_endpoint(store, nas, timeout)?;
    let Some(lango_address) = spec.lango_address.or(api.lango_address) else {
        return Err(OpError::field("lango_address", format!("lango's address as router {} reaches it", nas.name)));
    };
    let sealed = store.secrets().open(crate::store::Purpose::NasSecret, &nas.secret).map_err(StoreError::from)?;
    let secret =
        String::from_utf8(sealed).map_err(|_| OpError::Refused("the router's stored secret is not text".into()))?;
    let settings = provision::Settings {
        lango_address,
        radius_secret: secret,
        auth_port: spec.auth_port,
        acct_port: spec.acct_port,
        coa_port: nas.coa_port,
        portal_port: spec.portal_port,
        interim_update: spec.interim_update.clone(),
        payment_hosts: provision::PAYMENT_HOSTS.iter().map(|h| h.to_string()).collect(),
        routing_marks: routing_marks(store, nas.tenant)?,
    };
    let desired = provision::desired(&settings);
    let router = Router::connect(&ep).await.map_err(|e| OpError::Refused(format!("{e}\nnothing was applied")))?;
    routeros::provision(&router, &desired, dry_run).await.map_err(|e| OpError::Refused(e.to_string()))
}

/// The routing marks the tenant's plans use (disabled plans too: their
/// services may still be online), each once, sorted.
fn routing_marks(store: &Store, tenant: crate::model::TenantId) -> Result<Vec<String>, OpError> {
    let mut marks: Vec<String> = store.plans(tenant)?.into_iter().filter_map(|p| p.routing_mark).collect();
    marks.sort();
    marks.dedup();
    Ok(marks)
}

/// What a router's API lists, for its page and `lango routeros leases |
/// hosts | active`.
pub enum Lookup {
    Leases(Vec<crate::routeros::Lease>),
    Hosts(Vec<crate::routeros::Host>),
    Active(Vec<crate::routeros::Active>),
}

fn no_api(nas: &Nas) -> OpError {
    OpError::Refused(format!(
        "router {} has no RouterOS API login yet: store it first (its page in the admin UI, or `lango routeros set`)",
        nas.name
    ))
}

fn api_endpoint(store: &Store, nas: &Nas, timeout: std::time::Duration) -> Result<crate::routeros::Endpoint, OpError> {
    crate::routeros::endpoint(store, nas, timeout)?.ok_or_else(|| no_api(nas))
}

/// Read `what` ("leases", "hosts" or "active") from router `nas`.
pub async fn lookup(store: &Store, nas: &Nas, what: &str, timeout: std::time::Duration) -> Result<Lookup, OpError> {
    use crate::routeros::Router;
    if !matches!(what, "leases" | "hosts" | "active") {
        return Err(OpError::field("what", "leases, hosts or active"));
    }
    let ep = api_endpoint(store, nas, timeout)?;
    let refused = |e: crate::routeros::RouterError| OpError::Refused(e.to_string());
    let router = Router::connect(&ep).await.map_err(refused)?;
    Ok(match what {
        "leases" => Lookup::Leases(router.leases().await.map_err(refused)?),
        "hosts" => Lookup::Hosts(router.hosts().await.map_err(refused)?),
        _ => Lookup::Active(router.active().await.map_err(refused)?),
    })
}

/// End the sessions of `user` or at `address` on router `nas` through its
/// API; audited with the count.
pub async fn kick(
    store: &Store,
    actor: &str,
    now: UnixTime,
    nas: &Nas,
    user: Option<&str>,
    address: Option<std::net::IpAddr>,
    timeout: std::time::Duration,
) -> Result<usize, OpError> {
    use crate::routeros::Router;
    let user = user.map(str::trim).filter(|u| !u.is_empty());
    if user.is_none() && address.is_none() {
        return Err(OpError::field("user", "a login name or an address"));
    }
    let ep = api_endpoint(store, nas, timeout)?;
    let refused = |e: crate::routeros::RouterError| OpError::Refused(e.to_string());
    let router = Router::connect(&ep).await.map_err(refused)?;
    let n = router.kick(user, address).await.map_err(refused)?;
    let what = match (user, address) {
        (Some(u), _) => format!("user={u}"),
        (None, Some(a)) => format!("address={a}"),
        (None, None) => String::new(),
    };
    store.note(actor, now, nas.tenant, "nas.kick", format!("nas/{}", nas.id), format!("{what} ended={n}"))?;
    Ok(n)
}
