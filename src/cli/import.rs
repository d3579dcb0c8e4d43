//! `lango import daloradius|phpnuxbill|csv`: read, report every problem
//! by line, and import only a clean file, in one transaction. `--dry-run`
//! reports without importing.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

use crate::clock::Clock;
use crate::import;
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
    let text = std::fs::read_to_string(&src.file).with_context(|| format!("reading {}", src.file.display()))?;
    let now = clock.now();
    let read = match kind {
        "daloradius" => import::daloradius::read(&text, &t.timezone),
        "phpnuxbill" => import::phpnuxbill::read(&text, &t.timezone, now),
        _ => import::csv::read(&text, &t.timezone),
    };
    let mut problems = read.problems;
    problems.extend(store.check_import(t.id, &read.set)?);
    problems.sort_by_key(|p| p.line);
    for w in &read.warnings {
        writeln!(out, "note: {w}")?;
    }
    let services: usize = read.set.customers.iter().map(|c| c.services.len()).sum();
    if !problems.is_empty() {
        for p in &problems {
            writeln!(out, "{}: {p}", src.file.display())?;
        }
        bail!("{} problem(s); nothing imported", problems.len());
    }
    if src.dry_run {
        writeln!(
            out,
            "dry run: {} plan(s), {} customer(s), {services} service(s) would be imported",
            read.set.plans.len(),
            read.set.customers.len()
        )?;
        return Ok(());
    }
    let done = store.import(actor, now, t.id, read.set)?;
    writeln!(
        out,
        "imported {} new plan(s), {} customer(s), {} service(s) into {}",
        done.plans, done.customers, done.services, t.slug
    )?;
    Ok(())
}
