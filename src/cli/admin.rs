//! `lango admin create|list|reset|recovery-codes`: admin accounts from the
//! command line. Passwords and recovery codes are generated and printed
//! once (never taken from argv, where `ps` would show them); a reset also
//! ends the admin's sessions, clears its lockout and, with `--clear-totp`,
//! its second step.

use clap::Subcommand;
use std::io::Write;

use crate::clock::Clock;
use crate::model::{Admin, Role};
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum AdminCmd {
    /// A new admin with a generated password (printed once).
    Create {
        /// The tenant's slug; omit with --role platform-admin.
        #[arg(long)]
        tenant: Option<String>,
        /// Sign-in name, unique across the platform.
        #[arg(long)]
        name: String,
        /// platform-admin, tenant-admin, operator, cashier, reseller or read-only.
        #[arg(long, default_value = "tenant-admin")]
        role: String,
    },
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// A new generated password; ends the admin's sessions and lockout.
    Reset {
        #[arg(long)]
        name: String,
        /// Also turn off two-step sign-in (a lost phone).
        #[arg(long)]
        clear_totp: bool,
    },
    /// A new set of TOTP recovery codes (printed once; the old set stops working).
    RecoveryCodes {
        /// The admin's tenant slug; omit for a platform admin.
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        name: String,
    },
}

pub fn run(store: &Store, clock: &Clock, actor: &str, cmd: AdminCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let now = clock.now();
    match cmd {
        AdminCmd::Create { tenant, name, role } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!(
                    "--role {role:?}: use platform-admin, tenant-admin, operator, cashier, reseller or read-only"
                )
            })?;
            let tenant = match (role, tenant) {
                (Role::PlatformAdmin, None) => 0,
                (Role::PlatformAdmin, Some(_)) => anyhow::bail!("--tenant: a platform admin belongs to no tenant"),
                (_, Some(slug)) => store.tenant_by_slug(&slug)?.id,
                (_, None) => anyhow::bail!("--tenant is required for the {} role", role.as_str()),
            };
            let password = crate::ops::secrets::password();
            let admin = Admin {
                tenant,
                username: name.trim().to_string(),
                password_hash: crate::demo::hash_password(&password)?,
                role,
                created_at: now,
                reseller: None,
                totp: None,
                disabled: false,
            };
            if role == Role::Reseller {
                let a = store.create_reseller(actor, now, admin)?;
                writeln!(out, "reseller {:?} created; its wallet is customer {}", a.username, a.reseller.unwrap_or(0))?;
            } else {
                store.create_admin(actor, now, admin)?;
                writeln!(out, "admin {:?} ({}) created", name.trim(), role.as_str())?;
            }
            writeln!(out, "password: {password}")?;
        }
        AdminCmd::List { tenant } => {
            let id = match tenant {
                Some(slug) => store.tenant_by_slug(&slug)?.id,
                None => 0,
            };
            writeln!(out, "{:<24} {:<15} {:<5} STATE", "NAME", "ROLE", "TOTP")?;
            for a in store.admins(id)? {
                let state = if a.disabled { "disabled" } else { "active" };
                let totp = if a.totp.is_some() { "on" } else { "off" };
                writeln!(out, "{:<24} {:<15} {:<5} {state}", a.username, a.role.as_str(), totp)?;
            }
        }
        AdminCmd::Reset { name, clear_totp } => {
            let a = store.admin_by_name(&name)?.ok_or_else(|| anyhow::anyhow!("no admin named {name:?}"))?;
            let password = crate::ops::admins::reset(store, actor, now, &a, clear_totp)?;
            writeln!(out, "admin {name:?}: new password: {password}")?;
        }
        AdminCmd::RecoveryCodes { tenant, name } => {
            let id = match &tenant {
                Some(slug) => store.tenant_by_slug(slug)?.id,
                None => 0,
            };
            let a = store.admin(id, name.trim())?.ok_or_else(|| match &tenant {
                Some(slug) => anyhow::anyhow!("no admin named {name:?} in tenant {slug:?}"),
                None => anyhow::anyhow!("no platform admin named {name:?} (name the tenant with --tenant)"),
            })?;
            let codes = crate::ops::recovery::renew(store, actor, now, &a)?;
            writeln!(out, "admin {name:?}: {} new recovery codes; the old ones no longer work.", codes.len())?;
            writeln!(out, "Each signs in once in place of an authenticator code. They are shown only now:")?;
            for code in codes {
                writeln!(out, "{code}")?;
            }
        }
    }
    Ok(())
}
