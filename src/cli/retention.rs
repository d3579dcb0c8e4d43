//! `lango retention show|set`: how long a tenant keeps closed sessions,
//! the message log and the audit log (the admin UI's Privacy page does the
//! same through `ops::privacy::set_retention`); `purge` runs the scheduled
//! purge now.

use clap::Subcommand;
use std::io::Write;

use crate::clock::Clock;
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum RetentionCmd {
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Days to keep each log; 0 keeps everything (the default). Options
    /// left out keep their value.
    Set {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        sessions_days: Option<u32>,
        #[arg(long)]
        messages_days: Option<u32>,
        #[arg(long)]
        audit_days: Option<u32>,
    },
    /// Remove what is older than the periods now (the job does it hourly).
    Purge {
        #[arg(long)]
        tenant: String,
    },
}

fn days(d: u32) -> String {
    if d == 0 { "kept".into() } else { format!("{d} days") }
}

pub fn run(store: &Store, clock: &Clock, actor: &str, cmd: RetentionCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let show = |r: crate::store::retention::Retention, out: &mut dyn Write| -> std::io::Result<()> {
        writeln!(out, "sessions: {}", days(r.sessions_days))?;
        writeln!(out, "messages: {}", days(r.messages_days))?;
        writeln!(out, "audit: {}", days(r.audit_days))
    };
    match cmd {
        RetentionCmd::Show { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            show(store.retention(t.id)?, out)?;
        }
        RetentionCmd::Set { tenant, sessions_days, messages_days, audit_days } => {
            let t = store.tenant_by_slug(&tenant)?;
            let old = store.retention(t.id)?;
            let pick = |v: Option<u32>, old: u32| v.unwrap_or(old).to_string();
            let r = crate::ops::privacy::set_retention(
                store,
                actor,
                clock.now(),
                t.id,
                &pick(sessions_days, old.sessions_days),
                &pick(messages_days, old.messages_days),
                &pick(audit_days, old.audit_days),
            )
            .map_err(|p| anyhow::anyhow!("{}", p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")))?;
            show(r, out)?;
        }
        RetentionCmd::Purge { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            let p = store.purge(t.id, clock.now())?;
            writeln!(out, "removed {} session(s), {} message(s), {} audit record(s)", p.sessions, p.messages, p.audit)?;
        }
    }
    Ok(())
}
