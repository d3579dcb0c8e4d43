//! The RouterOS API: the only module that knows it. `client.rs` talks to one
//! router through `mikrotik-rs` (plain API on 8728, API-SSL on 8729 with
//! rustls/ring); `pool.rs` keeps one connection per router and reconnects
//! with backoff; `provision.rs` is the PURE desired configuration and its
//! diff against what a router holds; `apply.rs` reads, diffs and applies;
//! `lookups.rs` reads leases, hosts and active sessions and acts on them
//! (kick, address lists, simple queues).
//!
//! Everything lango adds to a router carries `comment=lango:<key>`; lango
//! only ever changes or removes rows with such a comment, and on the
//! operator's rows only sets the RADIUS switches it needs (`use-radius`).

mod apply;
mod client;
mod lookups;
mod pool;
pub mod provision;
pub mod statics;

pub use apply::{Applied, ProvisionError, Report, provision};
pub use client::{Endpoint, Router};
pub use lookups::{Active, Host, Lease};
pub use pool::Pool;
pub use provision::{Change, Desired, Settings};

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::model::{Nas, RouterApi};
use crate::store::{Store, StoreError};

/// One row as the API prints it (`.id` included).
pub type Row = BTreeMap<String, String>;

/// One API command: a menu, a verb, `=name=value` arguments and `?name=value`
/// queries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmd {
    pub menu: String,
    pub verb: String,
    pub args: Vec<(String, String)>,
    pub queries: Vec<(String, String)>,
}

impl Cmd {
    pub fn new(menu: &str, verb: &str) -> Cmd {
        Cmd { menu: menu.into(), verb: verb.into(), args: vec![], queries: vec![] }
    }

    pub fn arg(mut self, k: &str, v: impl Into<String>) -> Cmd {
        self.args.push((k.into(), v.into()));
        self
    }

    pub fn query(mut self, k: &str, v: impl Into<String>) -> Cmd {
        self.queries.push((k.into(), v.into()));
        self
    }

    /// The API command word: `/ip/firewall/nat/add`.
    pub fn word(&self) -> String {
        format!("{}/{}", self.menu, self.verb)
    }
}

/// How a router is named in every message: "core-1 (NAS 10.0.0.1, API
/// 10.0.0.1:8728)".
pub fn label(nas: &Nas, api: &RouterApi) -> String {
    let full = if nas.address.is_ipv4() { 32 } else { 128 };
    let addr = if nas.prefix == full { nas.address.to_string() } else { format!("{}/{}", nas.address, nas.prefix) };
    let tls = if api.tls { " TLS" } else { "" };
    format!("{} (NAS {addr}, API {}:{}{tls})", nas.name, api.host, api.port)
}

/// Where and how to log in to `nas`'s API, when credentials are stored.
pub fn endpoint(store: &Store, nas: &Nas, timeout: Duration) -> Result<Option<Endpoint>, StoreError> {
    let Some(api) = store.router_api(nas.tenant, nas.id)? else { return Ok(None) };
    Ok(Some(Endpoint {
        label: label(nas, &api),
        host: api.host.clone(),
        port: api.port,
        tls: api.tls,
        user: api.username.clone(),
        password: store.router_api_password(&api)?,
        timeout,
    }))
}

/// Arguments whose values are never shown.
pub fn is_secret(name: &str) -> bool {
    matches!(name, "secret" | "password")
}

/// Shown as RouterOS's CLI would read it, secrets masked:
/// `/radius add address=10.0.0.2 secret=*** comment=lango:radius`.
impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.menu, self.verb)?;
        for (k, v) in &self.queries {
            write!(f, " where {k}={}", show_value(k, v))?;
        }
        for (k, v) in &self.args {
            write!(f, " {k}={}", show_value(k, v))?;
        }
        Ok(())
    }
}

pub(crate) fn show_value(k: &str, v: &str) -> String {
    if is_secret(k) {
        "***".into()
    } else if v.is_empty() || v.contains([' ', '"']) {
        format!("{v:?}")
    } else {
        v.into()
    }
}

/// What went wrong talking to a router; each names the router, and the
/// command where there was one.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    #[error("router {router}: cannot connect: {reason}")]
    Unreachable { router: String, reason: String },
    #[error("router {router}: login refused: {message}")]
    Login { router: String, message: String },
    #[error("router {router}: `{command}` failed: {message}")]
    Trap { router: String, command: String, message: String },
    #[error("router {router}: connection lost during `{command}`: {reason}")]
    Lost { router: String, command: String, reason: String },
    #[error("router {router}: no answer to `{command}` within {secs} s")]
    Timeout { router: String, command: String, secs: u64 },
}

impl RouterError {
    /// Worth a reconnect (the connection is gone), not a refusal.
    pub fn is_connection(&self) -> bool {
        matches!(self, RouterError::Unreachable { .. } | RouterError::Lost { .. } | RouterError::Timeout { .. })
    }
}
