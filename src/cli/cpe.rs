//! `lango cpe …`: GenieACS settings (the NBI password from an environment
//! variable or stdin, never the command line), the CPE inventory (add,
//! import, list, link, return, restock, Wi-Fi), a device's live state,
//! reboot / refresh and "push the credentials now", over `ops::cpe`.

use std::io::Write;

use anyhow::Context;
use clap::Subcommand;

use super::{Ctx, secret_var};
use crate::model::*;
use crate::ops::cpe::{self, Action, SettingsInput};
use crate::store::cpe::SecretEdit;

/// The control request's variable that carries a secret read from the
/// forwarding client's stdin.
pub const STDIN_VAR: &str = "LANGO_STDIN_SECRET";

#[derive(Subcommand, Debug)]
pub enum CpeCmd {
    /// Where the tenant's GenieACS NBI is (e.g. http://acs:7557), with optional HTTP basic authentication.
    Settings {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        url: String,
        #[arg(long)]
        username: Option<String>,
        /// Read the password from this environment variable.
        #[arg(long, conflicts_with = "password_stdin")]
        password_env: Option<String>,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Remove the stored password.
        #[arg(long, conflicts_with_all = ["password_env", "password_stdin"])]
        no_password: bool,
    },
    /// Add one device to the inventory (in stock).
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        serial: String,
        #[arg(long)]
        mac: Option<String>,
        #[arg(long, default_value = "")]
        model: String,
    },
    /// Add devices from a file of `serial,MAC,model` lines, all or none.
    Import {
        #[arg(long)]
        tenant: String,
        file: std::path::PathBuf,
    },
    /// The inventory.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Install a CPE (serial, MAC or id) on a service (PPPoE username, MAC or id).
    Link {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cpe: String,
        #[arg(long)]
        service: String,
    },
    /// Take a CPE back from its service.
    Return {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cpe: String,
    },
    /// Put a returned CPE back in stock.
    Restock {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cpe: String,
    },
    /// The Wi-Fi name and key pushed with the credentials (the key from an environment variable).
    Wifi {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cpe: String,
        /// Empty: leave the device's Wi-Fi alone.
        #[arg(long, default_value = "")]
        ssid: String,
        #[arg(long)]
        key_env: Option<String>,
    },
    /// The device's state in GenieACS now.
    Status {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cpe: String,
    },
    /// Reboot the device (at most once a minute per CPE).
    Reboot {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cpe: String,
    },
    /// Have the device report all its parameters again (at most once a minute per CPE).
    Refresh {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cpe: String,
    },
    /// Push the service's PPPoE credentials and the Wi-Fi settings now.
    Push {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        cpe: String,
    },
}

impl CpeCmd {
    pub fn secret_envs(&self) -> Vec<&str> {
        match self {
            CpeCmd::Settings { password_env: Some(v), .. } | CpeCmd::Wifi { key_env: Some(v), .. } => vec![v.as_str()],
            _ => Vec::new(),
        }
    }

    pub fn reads_stdin(&self) -> bool {
        matches!(self, CpeCmd::Settings { password_stdin: true, .. })
    }

    pub fn input_file(&self) -> Option<&std::path::Path> {
        match self {
            CpeCmd::Import { file, .. } => Some(file),
            _ => None,
        }
    }
}

fn stdin_secret(ctx: &Ctx<'_>) -> anyhow::Result<String> {
    let line = match ctx.vars {
        Some(v) => v.get(STDIN_VAR).cloned().unwrap_or_default(),
        None => {
            let mut l = String::new();
            std::io::stdin().read_line(&mut l).context("reading the password from stdin")?;
            l
        }
    };
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    anyhow::ensure!(!line.is_empty(), "--password-stdin: stdin gave no password");
    Ok(line)
}

fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => Ok(h.block_on(f)),
        Err(_) => Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(f)),
    }
}

fn line(c: &Cpe) -> String {
    format!(
        "{:<6} {:<20} {:<18} {:<16} {:<10} {}",
        c.id,
        c.serial,
        c.mac.map(|m| m.to_string()).unwrap_or_else(|| "-".into()),
        if c.model.is_empty() { "-" } else { &c.model },
        c.state.as_str(),
        c.service.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
    )
}

pub fn run(ctx: &Ctx<'_>, actor: &str, cmd: CpeCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, clock) = (ctx.store, ctx.clock);
    let now = clock.now();
    match cmd {
        CpeCmd::Settings { tenant, url, username, password_env, password_stdin, no_password } => {
            let t = store.tenant_by_slug(&tenant)?;
            let password = if let Some(var) = password_env {
                SecretEdit::Set(secret_var(ctx, &var, "--password-env")?)
            } else if password_stdin {
                SecretEdit::Set(stdin_secret(ctx)?)
            } else if no_password {
                SecretEdit::Clear
            } else {
                SecretEdit::Keep
            };
            let s = cpe::save_settings(store, actor, now, t.id, SettingsInput { base_url: url, username, password })?;
            let auth = match (&s.username, &s.password) {
                (Some(u), Some(_)) => format!(" as {u} (password stored)"),
                (Some(u), None) => format!(" as {u}"),
                _ => String::new(),
            };
            writeln!(out, "GenieACS for {tenant}: {}{auth}", s.base_url)?;
        }
        CpeCmd::Add { tenant, serial, mac, model } => {
            let t = store.tenant_by_slug(&tenant)?;
            let text = format!("{serial},{},{model}", mac.unwrap_or_default());
            let added = cpe::add(store, actor, now, t.id, &cpe::parse_rows(&text)?)?;
            for c in added {
                writeln!(out, "CPE {} ({}) in stock", c.id, c.serial)?;
            }
        }
        CpeCmd::Import { tenant, file } => {
            let t = store.tenant_by_slug(&tenant)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let added = cpe::add(store, actor, now, t.id, &cpe::parse_rows(&text)?)?;
            writeln!(out, "{} CPEs added to the inventory", added.len())?;
        }
        CpeCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "{:<6} {:<20} {:<18} {:<16} {:<10} SERVICE", "ID", "SERIAL", "MAC", "MODEL", "STATE")?;
            for c in store.cpes(t.id)? {
                writeln!(out, "{}", line(&c))?;
            }
        }
        CpeCmd::Link { tenant, cpe: which, service } => {
            let t = store.tenant_by_slug(&tenant)?;
            let c = cpe::find_cpe(store, t.id, &which)?;
            let c = cpe::link(store, actor, now, t.id, c.id, &service)?;
            writeln!(out, "CPE {} installed on service {}", c.serial, c.service.unwrap_or_default())?;
        }
        CpeCmd::Return { tenant, cpe: which } => {
            let t = store.tenant_by_slug(&tenant)?;
            let c = cpe::find_cpe(store, t.id, &which)?;
            let c = cpe::shelve(store, actor, now, t.id, c.id, Move::Return)?;
            writeln!(out, "CPE {} returned", c.serial)?;
        }
        CpeCmd::Restock { tenant, cpe: which } => {
            let t = store.tenant_by_slug(&tenant)?;
            let c = cpe::find_cpe(store, t.id, &which)?;
            let c = cpe::shelve(store, actor, now, t.id, c.id, Move::Restock)?;
            writeln!(out, "CPE {} back in stock", c.serial)?;
        }
        CpeCmd::Wifi { tenant, cpe: which, ssid, key_env } => {
            let t = store.tenant_by_slug(&tenant)?;
            let c = cpe::find_cpe(store, t.id, &which)?;
            let key = match key_env {
                Some(var) => SecretEdit::Set(secret_var(ctx, &var, "--key-env")?),
                None if ssid.trim().is_empty() => SecretEdit::Clear,
                None => SecretEdit::Keep,
            };
            let c = cpe::wifi(store, actor, now, t.id, c.id, Some(ssid), key)?;
            writeln!(out, "CPE {} Wi-Fi: {}", c.serial, c.wifi_ssid.as_deref().unwrap_or("left as the device has it"))?;
        }
        CpeCmd::Status { tenant, cpe: which } => {
            let t = store.tenant_by_slug(&tenant)?;
            let c = cpe::find_cpe(store, t.id, &which)?;
            writeln!(out, "CPE {} ({}): {}", c.serial, c.model, c.state.as_str())?;
            match block_on(cpe::status(store, t.id, &c, now))?? {
                None => writeln!(out, "GenieACS has no device with this serial number yet")?,
                Some(d) => {
                    writeln!(out, "device   {}", d.id)?;
                    writeln!(out, "online   {}", if d.online { "yes" } else { "no" })?;
                    if let Some(at) = d.last_inform {
                        writeln!(out, "inform   {} s ago", now - at)?;
                    }
                    if let Some(u) = d.uptime_secs {
                        writeln!(out, "uptime   {}", crate::model::units::show_duration(u))?;
                    }
                    if let Some(rx) = d.rx_dbm {
                        writeln!(out, "rx power {rx:.2} dBm")?;
                    }
                }
            }
        }
        CpeCmd::Reboot { tenant, cpe: which } => {
            let t = store.tenant_by_slug(&tenant)?;
            let c = cpe::find_cpe(store, t.id, &which)?;
            writeln!(out, "{}", block_on(cpe::action(store, actor, now, t.id, c.id, Action::Reboot))??)?;
        }
        CpeCmd::Refresh { tenant, cpe: which } => {
            let t = store.tenant_by_slug(&tenant)?;
            let c = cpe::find_cpe(store, t.id, &which)?;
            writeln!(out, "{}", block_on(cpe::action(store, actor, now, t.id, c.id, Action::Refresh))??)?;
        }
        CpeCmd::Push { tenant, cpe: which } => {
            let t = store.tenant_by_slug(&tenant)?;
            let c = cpe::find_cpe(store, t.id, &which)?;
            cpe::push_now(store, actor, now, t.id, c.id)?;
            writeln!(out, "push queued for CPE {}", c.serial)?;
        }
    }
    Ok(())
}
