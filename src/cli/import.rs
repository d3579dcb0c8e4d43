//! `lango import daloradius|phpnuxbill|csv`: arguments and printing over
//! `ops::import`, which reads, reports every problem by line, and imports
//! only a clean file, in one transaction. `--dry-run` reports without
//! importing.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

use crate::clock::Clock;
use crate::ops;
use crate::store::Store;

#[derive(Args, Debug)]
pub struct Source {
    #[arg(long)]
    pub tenant: String,
    pub file: PathBuf,
    /// Check and report; import nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// A daloRADIUS / FreeRADIUS SQL dump (radcheck, radreply,
    /// radusergroup, radgroupreply, radgroupcheck, userinfo).
    Daloradius(Source),
    /// A PHPNuxBill SQL dump (tbl_plans, tbl_bandwidth, tbl_customers,
    /// tbl_user_recharges).
    Phpnuxbill(Source),
    /// A CSV of customers and services (name, phone, email, category,
    /// username, password, plan, type, mac, ip, expires).
    Csv(Source),
}

pub fn run(store: &Store, clock: &Clock, actor: &str, cmd: ImportCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (kind, src) = match &cmd {
        ImportCmd::Daloradius(s) => ("daloradius", s),
        ImportCmd::Phpnuxbill(s) => ("phpnuxbill", s),
        ImportCmd::Csv(s) => ("csv", s),
    };
    let t = store.tenant_by_slug(&src.tenant)?;
    let bytes = std::fs::read(&src.file).with_context(|| format!("reading {}", src.file.display()))?;
    let mut bar = Bar::new(super::PROGRESS.load(std::sync::atomic::Ordering::Relaxed));
    let report =
        ops::import::run_with_progress(store, clock.now(), actor, t.id, kind, &bytes, src.dry_run, &mut |n, total| {
            bar.show(n, total)
        });
    bar.finish();
    let report = match report {
        Ok(r) => r,
        // The file is an argument, not an option: name it instead.
        Err(e) => match e.about() {
            Some(("file", m)) => bail!("{}: {m}", src.file.display()),
            _ => return Err(e.into()),
        },
    };
    for w in &report.warnings {
        writeln!(out, "note: {w}")?;
    }
    if !report.problems.is_empty() {
        for p in &report.problems {
            writeln!(out, "{}: {p}", src.file.display())?;
        }
        bail!("{} problem(s); nothing imported", report.problems.len());
    }
    if !report.imported {
        writeln!(
            out,
            "dry run: {} plan(s), {} customer(s), {} service(s) would be imported",
            report.plans, report.customers, report.services
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "imported {} new plan(s), {} customer(s), {} service(s) into {}",
        report.plans, report.customers, report.services, report.tenant
    )?;
    Ok(())
}

/// A progress bar on standard error, drawn only for a local command on a
/// terminal (never into a pipe, a log or a forwarded command's answer).
struct Bar {
    on: bool,
    shown: usize,
}

impl Bar {
    fn new(local: bool) -> Bar {
        use std::io::IsTerminal;
        Bar { on: local && std::io::stderr().is_terminal(), shown: usize::MAX }
    }

    fn show(&mut self, n: usize, total: usize) {
        if !self.on || total == 0 {
            return;
        }
        let percent = n * 100 / total;
        if percent == self.shown {
            return;
        }
        self.shown = percent;
        eprint!("\r{}", line(n, total));
    }

    fn finish(&self) {
        if self.on && self.shown != usize::MAX {
            eprintln!();
        }
    }
}

/// `[=========>          ]  45%  22,500/50,000 customers`
fn line(n: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (n * WIDTH).checked_div(total).unwrap_or(WIDTH).min(WIDTH);
    let head = if filled < WIDTH { ">" } else { "" };
    let rest = WIDTH - filled - head.len();
    let group = |v: usize| {
        let s = v.to_string();
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        out
    };
    let percent = (n * 100).checked_div(total).unwrap_or(100);
    format!("[{}{head}{}] {percent:>3}%  {}/{} customers", "=".repeat(filled), " ".repeat(rest), group(n), group(total))
}

#[cfg(test)]
mod tests {
    #[test]
    fn progress_line() {
        assert_eq!(super::line(0, 50_000), "[>                             ]   0%  0/50,000 customers");
        assert_eq!(super::line(22_500, 50_000), "[=============>                ]  45%  22,500/50,000 customers");
        assert_eq!(super::line(50_000, 50_000), "[==============================] 100%  50,000/50,000 customers");
    }
}
