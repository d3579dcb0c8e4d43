//! Tenant and router commands: `tenant add|list|brand` and `nas
//! add|list|disable|enable|coa-port|hook-token`.

use anyhow::Context;
use clap::Subcommand;
use std::io::Write;

use crate::clock::Clock;
use crate::model::units::parse_cidr;
use crate::model::*;
use crate::store::{NewNas, Store};

#[derive(Subcommand, Debug)]
pub enum TenantCmd {
    /// Add an ISP tenant.
    Add {
        slug: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "Africa/Nairobi")]
        timezone: String,
        #[arg(long, default_value = "KES")]
        currency: String,
        /// Accept expired/suspended/out-of-quota customers into a captive
        /// state (address list lango-expired etc.) instead of rejecting them.
        #[arg(long)]
        captive: bool,
    },
    List,
    /// How the tenant's portal and hotspot pages look and speak.
    Brand {
        slug: String,
        /// Name shown on the pages (default: the tenant's name).
        #[arg(long)]
        display_name: Option<String>,
        /// Accent colour, #rrggbb.
        #[arg(long)]
        colour: Option<String>,
        /// Whom suspended customers call.
        #[arg(long)]
        support_phone: Option<String>,
        /// Terms shown under the packages.
        #[arg(long)]
        terms: Option<String>,
        /// Page language: en or sw.
        #[arg(long)]
        language: Option<String>,
        /// Logo file (PNG or SVG, at most 64 KiB).
        #[arg(long)]
        logo: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum NasCmd {
    /// Add a router (RADIUS client) by address or subnet.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// Source address, or a subnet as ADDR/PREFIX.
        #[arg(long)]
        address: String,
        /// Read the shared secret (at least 8 characters) from this
        /// environment variable; without it lango generates one and prints
        /// it once. Secrets never go on a command line.
        #[arg(long)]
        secret_env: Option<String>,
        /// Accept Access-Requests without Message-Authenticator (old
        /// RouterOS). Leaves the router open to Blast-RADIUS; avoid.
        #[arg(long)]
        allow_missing_message_authenticator: bool,
    },
    List {
        #[arg(long)]
        tenant: String,
    },
    Disable {
        #[arg(long)]
        tenant: String,
        id: Id,
    },
    Enable {
        #[arg(long)]
        tenant: String,
        id: Id,
    },
    /// A new token for the router's HTTP hooks (DHCP lease script, hotspot
    /// on-login/on-logout); printed once, the old one stops working.
    HookToken {
        #[arg(long)]
        tenant: String,
        id: Id,
    },
    /// Port the router listens on for CoA / Disconnect (RouterOS: 3799).
    CoaPort {
        #[arg(long)]
        tenant: String,
        id: Id,
        port: u16,
    },
    /// Change a router's name, address or subnet, and whether it may omit
    /// Message-Authenticator (what is not given stays).
    Edit {
        #[arg(long)]
        tenant: String,
        id: Id,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        address: Option<String>,
        /// yes: accept requests without Message-Authenticator (old RouterOS;
        /// open to Blast-RADIUS), no: require it.
        #[arg(long)]
        allow_missing_message_authenticator: Option<bool>,
    },
    /// A new generated shared secret, printed once with the RouterOS command
    /// that sets it; the old one stops working within seconds.
    RotateSecret {
        #[arg(long)]
        tenant: String,
        id: Id,
    },
}

pub fn tenant(store: &Store, clock: &Clock, actor: &str, cmd: TenantCmd, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        TenantCmd::Add { slug, name, timezone, currency, captive } => {
            let t = store.create_tenant(
                actor,
                clock.now(),
                crate::ops::tenants::new_tenant(&slug, name.as_deref(), &timezone, &currency, captive),
            )?;
            writeln!(out, "tenant {} created (id {})", t.slug, t.id)?;
        }
        TenantCmd::Brand { slug, display_name, colour, support_phone, terms, language, logo } => {
            let t = store.tenant_by_slug(&slug)?;
            let mut b = store.branding(t.id)?;
            let keep = |new: Option<String>, old: Option<String>| match new {
                Some(v) if v.trim().is_empty() => None,
                Some(v) => Some(v),
                None => old,
            };
            b.display_name = keep(display_name, b.display_name);
            b.support_phone = keep(support_phone, b.support_phone);
            b.terms = keep(terms, b.terms);
            b.colour = colour.unwrap_or(b.colour);
            b.language = language.unwrap_or(b.language);
            if let Some(path) = logo {
                let bytes = std::fs::read(&path).with_context(|| format!("--logo {}", path.display()))?;
                let mime = crate::ops::tenants::logo(&bytes).with_context(|| format!("{}", path.display()))?;
                b.logo = Some((mime.to_string(), bytes));
            }
            store.set_branding(actor, clock.now(), t.id, &b)?;
            writeln!(out, "branding of {slug} saved")?;
        }
        TenantCmd::List => {
            writeln!(out, "{:<4} {:<16} {:<24} {:<18} {:<4} captive", "ID", "SLUG", "NAME", "TIMEZONE", "CUR")?;
            for t in store.tenants()? {
                writeln!(
                    out,
                    "{:<4} {:<16} {:<24} {:<18} {:<4} {}",
                    t.id, t.slug, t.name, t.timezone, t.currency, t.captive_redirect
                )?;
            }
        }
    }
    Ok(())
}

pub fn nas(ctx: &super::Ctx<'_>, actor: &str, cmd: NasCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, clock) = (ctx.store, ctx.clock);
    match cmd {
        NasCmd::Add { tenant, name, address, secret_env, allow_missing_message_authenticator } => {
            let t = store.tenant_by_slug(&tenant)?;
            let (secret, generated) = match &secret_env {
                Some(var) => (super::secret_var(ctx, var, "--secret-env")?, false),
                None => (crate::ops::secrets::generate(24), true),
            };
            let (addr, prefix) = parse_cidr(&address).context("--address")?;
            let n = store.create_nas(
                actor,
                clock.now(),
                t.id,
                NewNas {
                    name,
                    address: addr,
                    prefix,
                    secret: secret.clone(),
                    require_message_authenticator: !allow_missing_message_authenticator,
                },
            )?;
            writeln!(out, "NAS {} added (id {}) for {}/{}", n.name, n.id, n.address, n.prefix)?;
            if generated {
                writeln!(out, "shared secret (shown once; set it on the router): {secret}")?;
            }
        }
        NasCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "{:<6} {:<20} {:<24} {:<10} enabled", "ID", "NAME", "ADDRESS", "REQ-MA")?;
            for n in store.all_nas()?.into_iter().filter(|n| n.tenant == t.id) {
                let addr = format!("{}/{}", n.address, n.prefix);
                writeln!(
                    out,
                    "{:<6} {:<20} {:<24} {:<10} {}",
                    n.id, n.name, addr, n.require_message_authenticator, !n.disabled
                )?;
            }
        }
        NasCmd::Disable { tenant, id } => {
            let t = store.tenant_by_slug(&tenant)?;
            let n = store.set_nas_disabled(actor, clock.now(), t.id, id, true)?;
            writeln!(out, "NAS {} disabled", n.name)?;
        }
        NasCmd::CoaPort { tenant, id, port } => {
            let t = store.tenant_by_slug(&tenant)?;
            let n = store.set_nas_coa_port(actor, clock.now(), t.id, id, port)?;
            writeln!(out, "NAS {} takes CoA on port {}", n.name, n.coa_port)?;
        }
        NasCmd::HookToken { tenant, id } => {
            let t = store.tenant_by_slug(&tenant)?;
            let token = crate::ops::routers::hook_token(store, actor, clock.now(), t.id, id)?;
            writeln!(out, "{token}")?;
        }
        NasCmd::Edit { tenant, id, name, address, allow_missing_message_authenticator } => {
            use crate::ops::routers::{RouterEdit, edit, router};
            let t = store.tenant_by_slug(&tenant)?;
            let old = RouterEdit::of(&router(store, t.id, id)?);
            let e = RouterEdit {
                name: name.unwrap_or(old.name),
                address: address.unwrap_or(old.address),
                coa_port: old.coa_port,
                allow_missing_message_authenticator: allow_missing_message_authenticator
                    .unwrap_or(old.allow_missing_message_authenticator),
            };
            match edit(store, actor, clock.now(), t.id, id, &e) {
                Ok(n) => writeln!(out, "NAS {} saved: {}/{}", n.name, n.address, n.prefix)?,
                Err(problems) => {
                    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    anyhow::bail!("{}", all.join("; "));
                }
            }
        }
        NasCmd::RotateSecret { tenant, id } => {
            let t = store.tenant_by_slug(&tenant)?;
            let (n, secret) = crate::ops::routers::rotate_secret(store, actor, clock.now(), t.id, id)?;
            writeln!(out, "new shared secret for {} (shown once): {secret}", n.name)?;
            writeln!(out, "on the router: {}", crate::ops::routers::secret_command(&secret))?;
        }
        NasCmd::Enable { tenant, id } => {
            let t = store.tenant_by_slug(&tenant)?;
            let n = store.set_nas_disabled(actor, clock.now(), t.id, id, false)?;
            writeln!(out, "NAS {} enabled", n.name)?;
        }
    }
    Ok(())
}
