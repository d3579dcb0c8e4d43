//! `lango sync status|resend`: the change stream between a hub and its
//! sites, over `ops::sync`.

use clap::Subcommand;
use std::io::Write;

use crate::clock::Clock;
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// This node's role, its backlog of changes not yet acknowledged by
    /// JetStream, and every node whose changes it applies.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Hub: queue every tenant, router, plan, customer and service for the
    /// sites again (a site that joined after the stream's oldest change).
    Resend,
}

pub fn run(store: &Store, clock: &Clock, actor: &str, cmd: SyncCmd, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        SyncCmd::Status { json } => {
            let s = crate::ops::sync::status(store)?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&s)?)?;
                return Ok(());
            }
            writeln!(out, "role {}, backlog {}, connected {}", s.role, s.backlog, s.connected)?;
            writeln!(
                out,
                "published {}, applied {}, duplicates {}, gaps {}, errors {}",
                s.published, s.applied, s.duplicates, s.gaps, s.errors
            )?;
            if s.lag_samples > 0 {
                writeln!(
                    out,
                    "lag of the last {} applied: p50 {} ms, p99 {} ms",
                    s.lag_samples, s.lag_p50_ms, s.lag_p99_ms
                )?;
            }
            if !s.last_error.is_empty() {
                writeln!(out, "last error: {}", s.last_error)?;
            }
            for p in &s.peers {
                let at = crate::ops::time::utc(p.applied_at);
                writeln!(
                    out,
                    "{}  seq {}  records {}  duplicates {}  last {at}",
                    p.origin, p.seq, p.records, p.duplicates
                )?;
            }
        }
        SyncCmd::Resend => {
            let n = crate::ops::sync::resend(store, actor, clock.now())?;
            writeln!(out, "queued {n} records for the sites")?;
        }
    }
    Ok(())
}
