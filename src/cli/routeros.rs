//! `lango routeros`: how lango reaches a router's RouterOS API (`set`,
//! `show`), provisioning (`provision [--dry-run]`), and lookups (`leases`,
//! `hosts`, `active`) and `kick`. The password never travels on the command
//! line: `--password-env VAR` names the variable that holds it (a forwarded
//! command carries that one value to the server over the control socket).

use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use super::Ctx;
use crate::model::Nas;
use crate::ops::routers::Lookup;
use crate::store::{NewRouterApi, Store};

/// Which router: a NAS name or id, within a tenant when names repeat.
#[derive(Args, Debug, Clone)]
pub struct Which {
    /// NAS name or id.
    pub nas: String,
    /// Tenant slug (needed only when several tenants have a NAS of that name).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Seconds to wait for the router (connecting, and each command).
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

#[derive(Subcommand, Debug)]
pub enum RouterosCmd {
    /// Store how to reach a router's API; the password is read from an
    /// environment variable and stored sealed.
    Set {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        host: String,
        /// Default 8728, or 8729 with --tls.
        #[arg(long)]
        port: Option<u16>,
        /// API-SSL (TLS) instead of the plain API.
        #[arg(long)]
        tls: bool,
        #[arg(long)]
        user: String,
        /// Name of the environment variable holding the API password.
        #[arg(long)]
        password_env: String,
        /// lango's address as the router reaches it (kept for provision).
        #[arg(long)]
        lango_address: Option<IpAddr>,
    },
    /// Show how lango reaches a router's API (never the password).
    Show {
        #[command(flatten)]
        which: Which,
    },
    /// Make the router's RADIUS, CoA, AAA, walled garden and captive
    /// redirect what lango needs; print the changes.
    Provision {
        #[command(flatten)]
        which: Which,
        /// Show the changes; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// lango's address as the router reaches it (default: the stored one).
        #[arg(long)]
        lango_address: Option<IpAddr>,
        /// lango's portal port that captive HTTP is sent to.
        #[arg(long, default_value_t = 80)]
        portal_port: u16,
        #[arg(long, default_value_t = 1812)]
        auth_port: u16,
        #[arg(long, default_value_t = 1813)]
        acct_port: u16,
        /// PPP accounting interim interval (RouterOS form).
        #[arg(long, default_value = "5m")]
        interim_update: String,
    },
    /// DHCP leases on the router.
    Leases {
        #[command(flatten)]
        which: Which,
    },
    /// Hotspot hosts on the router.
    Hosts {
        #[command(flatten)]
        which: Which,
    },
    /// Active PPP and hotspot sessions on the router.
    Active {
        #[command(flatten)]
        which: Which,
    },
    /// End a user's (or an address's) active PPP / hotspot sessions.
    Kick {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        address: Option<IpAddr>,
    },
}

impl RouterosCmd {
    /// The variable `set` reads the password from (a forwarding client
    /// sends its value along).
    pub fn password_env(&self) -> Option<&str> {
        match self {
            RouterosCmd::Set { password_env, .. } => Some(password_env),
            _ => None,
        }
    }
}

fn find_nas(store: &Store, which: &Which) -> anyhow::Result<Nas> {
    let tenant = match &which.tenant {
        Some(slug) => Some(store.tenant_by_slug(slug)?.id),
        None => None,
    };
    let found: Vec<Nas> = store
        .all_nas()?
        .into_iter()
        .filter(|n| tenant.is_none_or(|t| n.tenant == t))
        .filter(|n| n.name == which.nas || n.id.to_string() == which.nas)
        .collect();
    match found.len() {
        0 => bail!(
            "no NAS named {:?}{}",
            which.nas,
            which.tenant.as_ref().map_or(String::new(), |t| format!(" in tenant {t}"))
        ),
        1 => Ok(found.into_iter().next().unwrap()),
        _ => bail!("several tenants have a NAS named {:?}: add --tenant", which.nas),
    }
}

/// Run async router work from the synchronous command code: on the
/// server's runtime when forwarded (we are on a blocking thread there), on
/// a small runtime of our own otherwise.
fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => Ok(h.block_on(f)),
        Err(_) => Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(f)),
    }
}

pub fn routeros(ctx: &Ctx<'_>, actor: &str, cmd: RouterosCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let store = ctx.store;
    match cmd {
        RouterosCmd::Set { which, host, port, tls, user, password_env, lango_address } => {
            let nas = find_nas(store, &which)?;
            let password = ctx
                .var(&password_env)
                .with_context(|| format!("environment variable {password_env} (--password-env) is not set"))?;
            if password.is_empty() {
                bail!("environment variable {password_env} is empty");
            }
            let port = port.unwrap_or(if tls { 8729 } else { 8728 });
            let n = NewRouterApi { host, port, tls, username: user, password, lango_address };
            let api = store.set_router_api(actor, ctx.clock.now(), nas.tenant, nas.id, n)?;
            writeln!(
                out,
                "RouterOS API for {} stored: {}@{}:{}{}",
                nas.name,
                api.username,
                api.host,
                api.port,
                if api.tls { " (TLS)" } else { "" }
            )?;
        }
        RouterosCmd::Show { which } => {
            let nas = find_nas(store, &which)?;
            let Some(api) = store.router_api(nas.tenant, nas.id)? else {
                writeln!(out, "NAS {}: no RouterOS API credentials", nas.name)?;
                return Ok(());
            };
            writeln!(out, "nas       {} (id {}, {}/{})", nas.name, nas.id, nas.address, nas.prefix)?;
            writeln!(
                out,
                "api       {}:{} {}",
                api.host,
                api.port,
                if api.tls { "API-SSL (TLS)" } else { "plain API" }
            )?;
            writeln!(out, "user      {}", api.username)?;
            writeln!(out, "password  (sealed)")?;
            let la = api.lango_address.map_or_else(|| "-".into(), |a| a.to_string());
            writeln!(out, "lango     {la}")?;
        }
        RouterosCmd::Provision { which, dry_run, lango_address, portal_port, auth_port, acct_port, interim_update } => {
            let nas = find_nas(store, &which)?;
            let spec =
                crate::ops::routers::ProvisionSpec { lango_address, portal_port, auth_port, acct_port, interim_update };
            let timeout = Duration::from_secs(which.timeout.max(1));
            let report = block_on(crate::ops::routers::provision(store, &nas, &spec, dry_run, timeout))??;
            write!(out, "{report}")?;
        }
        RouterosCmd::Leases { which } => {
            let (nas, timeout) = (find_nas(store, &which)?, Duration::from_secs(which.timeout.max(1)));
            let Lookup::Leases(leases) = block_on(crate::ops::routers::lookup(store, &nas, "leases", timeout))?? else {
                bail!("the router answered with another table");
            };
            writeln!(out, "{:<16} {:<18} {:<24} {:<10} SERVER", "ADDRESS", "MAC", "HOST", "STATUS")?;
            for l in leases {
                writeln!(out, "{:<16} {:<18} {:<24} {:<10} {}", l.address, l.mac, l.host_name, l.status, l.server)?;
            }
        }
        RouterosCmd::Hosts { which } => {
            let (nas, timeout) = (find_nas(store, &which)?, Duration::from_secs(which.timeout.max(1)));
            let Lookup::Hosts(hosts) = block_on(crate::ops::routers::lookup(store, &nas, "hosts", timeout))?? else {
                bail!("the router answered with another table");
            };
            writeln!(out, "{:<18} {:<16} {:<16} {:<12} AUTHORIZED", "MAC", "ADDRESS", "TO-ADDRESS", "SERVER")?;
            for h in hosts {
                writeln!(
                    out,
                    "{:<18} {:<16} {:<16} {:<12} {}",
                    h.mac, h.address, h.to_address, h.server, h.authorized
                )?;
            }
        }
        RouterosCmd::Active { which } => {
            let (nas, timeout) = (find_nas(store, &which)?, Duration::from_secs(which.timeout.max(1)));
            let Lookup::Active(active) = block_on(crate::ops::routers::lookup(store, &nas, "active", timeout))?? else {
                bail!("the router answered with another table");
            };
            writeln!(out, "{:<8} {:<24} {:<16} {:<20} UPTIME", "TYPE", "USER", "ADDRESS", "MAC/CALLER")?;
            for a in active {
                writeln!(out, "{:<8} {:<24} {:<16} {:<20} {}", a.kind, a.user, a.address, a.caller, a.uptime)?;
            }
        }
        RouterosCmd::Kick { which, user, address } => {
            let (nas, timeout) = (find_nas(store, &which)?, Duration::from_secs(which.timeout.max(1)));
            let now = ctx.clock.now();
            let kick = crate::ops::routers::kick(store, actor, now, &nas, user.as_deref(), address, timeout);
            let n = block_on(kick)?.map_err(|e| match e.about() {
                Some(_) => anyhow::anyhow!("give --user or --address"),
                None => e.into(),
            })?;
            writeln!(out, "{n} session(s) ended on {}", nas.name)?;
        }
    }
    Ok(())
}
