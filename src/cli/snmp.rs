//! `lango snmp set|off|show`: a router's SNMP settings (the community or
//! SNMPv3 passphrases read only from environment variables) and the NOC's
//! view of every router, over `ops::noc` as the admin NOC pages do.

use anyhow::bail;
use clap::Subcommand;
use std::io::Write;

use super::{Ctx, secret_var};
use crate::model::*;
use crate::ops::noc::{self as ops, SnmpInput};

#[derive(Subcommand, Debug)]
pub enum SnmpCmd {
    /// Poll a router over SNMP v2c (--community-env) or v3 (--user,
    /// --auth, --auth-pass-env, --priv-pass-env; AES-128 privacy).
    Set {
        #[arg(long)]
        tenant: String,
        /// Router name or id.
        nas: String,
        /// Address or name (default: the router's RADIUS address).
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        port: Option<String>,
        /// v2c or v3.
        #[arg(long, default_value = "v2c")]
        version: String,
        #[arg(long)]
        community_env: Option<String>,
        #[arg(long)]
        user: Option<String>,
        /// sha, sha256 or md5.
        #[arg(long, default_value = "sha")]
        auth: String,
        #[arg(long)]
        auth_pass_env: Option<String>,
        #[arg(long)]
        priv_pass_env: Option<String>,
    },
    /// Stop polling a router.
    Off {
        #[arg(long)]
        tenant: String,
        nas: String,
    },
    /// Planned work: nothing about the router is announced for this long
    /// (`2h`, `1d`), or `off` to end it.
    Maintenance {
        #[arg(long)]
        tenant: String,
        nas: String,
        #[arg(long = "for")]
        span: String,
    },
    /// Take the router's current outage or alerts in hand.
    Ack {
        #[arg(long)]
        tenant: String,
        nas: String,
    },
    /// Every router: state, uptime, CPU, memory, temperature, customers online.
    Show {
        #[arg(long)]
        tenant: String,
    },
}

impl SnmpCmd {
    pub fn secret_envs(&self) -> Vec<&str> {
        match self {
            SnmpCmd::Set { community_env, auth_pass_env, priv_pass_env, .. } => {
                [community_env, auth_pass_env, priv_pass_env].into_iter().flatten().map(String::as_str).collect()
            }
            _ => Vec::new(),
        }
    }
}

fn router(ctx: &Ctx<'_>, tenant: &Tenant, nas: &str) -> anyhow::Result<Nas> {
    let found: Vec<Nas> = ctx
        .store
        .all_nas()?
        .into_iter()
        .filter(|n| n.tenant == tenant.id && (n.name == nas || n.id.to_string() == nas))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no router {nas:?} in tenant {}", tenant.slug),
        _ => bail!("several routers are called {nas:?}: use the id"),
    }
}

pub fn run(ctx: &Ctx<'_>, actor: &str, cmd: SnmpCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, now) = (ctx.store, ctx.clock.now());
    match cmd {
        SnmpCmd::Set { tenant, nas, host, port, version, community_env, user, auth, auth_pass_env, priv_pass_env } => {
            let t = store.tenant_by_slug(&tenant)?;
            let n = router(ctx, &t, &nas)?;
            let var =
                |v: &Option<String>, option: &str| v.as_deref().map(|name| secret_var(ctx, name, option)).transpose();
            let input = SnmpInput {
                host: host.unwrap_or_default(),
                port: port.unwrap_or_default(),
                version,
                community: var(&community_env, "--community-env")?,
                user: user.unwrap_or_default(),
                auth,
                auth_pass: var(&auth_pass_env, "--auth-pass-env")?,
                priv_pass: var(&priv_pass_env, "--priv-pass-env")?,
            };
            let s = ops::save(store, actor, now, t.id, n.id, &input).map_err(|p| {
                let env = |f: &str| match f {
                    "community" | "auth_pass" | "priv_pass" => format!("{f}_env"),
                    f => f.into(),
                };
                let lines: Vec<String> = p
                    .iter()
                    .map(|e| match e.about() {
                        Some((f, m)) => format!("--{}: {m}", env(f).replace('_', "-")),
                        None => e.to_string(),
                    })
                    .collect();
                anyhow::anyhow!("{}", lines.join("\n"))
            })?;
            let who = match s.version {
                SnmpVersion::V2c => "v2c, community stored".to_string(),
                SnmpVersion::V3 => format!("v3 user {} ({}/AES-128), passphrases stored", s.user, s.auth),
            };
            writeln!(out, "router {} polled over SNMP at {}:{} ({who})", n.name, s.host, s.port)?;
        }
        SnmpCmd::Off { tenant, nas } => {
            let t = store.tenant_by_slug(&tenant)?;
            let n = router(ctx, &t, &nas)?;
            ops::off(store, actor, now, t.id, n.id)?;
            writeln!(out, "router {} no longer polled", n.name)?;
        }
        SnmpCmd::Maintenance { tenant, nas, span } => {
            let t = store.tenant_by_slug(&tenant)?;
            let n = router(ctx, &t, &nas)?;
            match ops::maintenance(store, actor, now, t.id, n.id, &span).map_err(|e| anyhow::anyhow!("{e}"))? {
                Some(u) => writeln!(
                    out,
                    "router {} in maintenance until {}",
                    n.name,
                    crate::ops::time::show_time(&t, Some(u), false)
                )?,
                None => writeln!(out, "router {}: maintenance ended", n.name)?,
            }
        }
        SnmpCmd::Ack { tenant, nas } => {
            let t = store.tenant_by_slug(&tenant)?;
            let n = router(ctx, &t, &nas)?;
            store.ack_router(actor, now, t.id, n.id)?;
            writeln!(out, "router {}: acknowledged", n.name)?;
        }
        SnmpCmd::Show { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            let health = store.router_health(t.id)?;
            let polled = store.tenant_router_snmp(t.id)?;
            let online = store.sessions_per_nas(t.id)?;
            writeln!(
                out,
                "{:<6} {:<20} {:<18} {:<10} {:<5} {:<6} {:<8} {:<7} ERROR",
                "ID", "ROUTER", "STATE", "UPTIME", "CPU", "MEM", "TEMP", "ONLINE"
            )?;
            for n in store.all_nas()?.into_iter().filter(|n| n.tenant == t.id) {
                let h = health.iter().find(|(id, _)| *id == n.id).map(|(_, h)| h);
                let state = RouterHealth::state(polled.iter().any(|p| p.nas == n.id), h);
                let up = h
                    .and_then(|h| h.uptime_secs)
                    .map_or("-".into(), |s| format!("{}d{}h", s / 86_400, s % 86_400 / 3600));
                let cpu = h.and_then(|h| h.cpu).map_or("-".into(), |c| format!("{c}%"));
                let mem = h.and_then(RouterHealth::mem_percent).map_or("-".into(), |m| format!("{m}%"));
                let temp = h.and_then(RouterHealth::hottest).map_or("-".into(), |v| format!("{v:.1}C"));
                let err = h.and_then(|h| h.error.clone()).unwrap_or_default();
                let on = online.get(&n.id).copied().unwrap_or(0);
                writeln!(
                    out,
                    "{:<6} {:<20} {:<18} {:<10} {:<5} {:<6} {:<8} {:<7} {err}",
                    n.id, n.name, state, up, cpu, mem, temp, on
                )?;
            }
        }
    }
    Ok(())
}
