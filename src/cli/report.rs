//! `lango report <kind>`: the admin UI's reports on a terminal — revenue,
//! reconciliation, tax, network, customers — for a period in the tenant's
//! calendar, as text, CSV or PDF on standard output; `lango report
//! journal` the period journal as QuickBooks Online, Xero or Odoo import
//! it, and `lango accounts` the chart of accounts it posts to.

use anyhow::bail;
use clap::{Args, Subcommand};
use std::io::Write;

use super::Ctx;
use crate::ops::journal::{self, Format};
use crate::ops::report_view::{Kind, Period};
use crate::ops::reports::{self as ops, Scope};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// revenue, reconciliation, tax, network, customers or journal.
    pub kind: String,
    #[arg(long)]
    pub tenant: String,
    /// First day, YYYY-MM-DD (default: the first of this month).
    #[arg(long, default_value = "")]
    pub from: String,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long, default_value = "")]
    pub to: String,
    /// Only this reseller's customers (the reseller's customer id).
    #[arg(long)]
    pub reseller: Option<u64>,
    /// text (default), csv or pdf; for journal: text, quickbooks, xero or odoo.
    #[arg(long, default_value = "text")]
    pub format: String,
}

pub fn run(ctx: &Ctx<'_>, a: ReportArgs, out: &mut impl Write) -> anyhow::Result<()> {
    if a.kind == "journal" {
        return journal(ctx, a, out);
    }
    let Some(kind) = Kind::parse(&a.kind) else {
        let all: Vec<&str> = Kind::ALL.iter().map(|k| k.slug()).collect();
        bail!("no report {:?}: choose one of {}", a.kind, all.join(", "));
    };
    if !matches!(a.format.as_str(), "text" | "csv" | "pdf") {
        bail!("--format: {:?} is not text, csv or pdf", a.format);
    }
    let t = ctx.store.tenant_by_slug(&a.tenant)?;
    let zone = crate::clock::Clock::zone(&t.timezone);
    let today = crate::store::reports::local_day(&zone, ctx.clock.now());
    let period = Period::parse(&a.from, &a.to, today)?;
    // The CSV has every row (and the row-by-row checks); text and PDF the
    // page's.
    let all_rows = a.format == "csv";
    let r = ops::build(ctx.store, &t, Scope::of(a.reseller), kind, period, today, all_rows)?;
    match a.format.as_str() {
        "csv" => out.write_all(r.csv().as_bytes())?,
        "pdf" => out.write_all(&crate::pdf::report::report(&r))?,
        _ => out.write_all(r.text().as_bytes())?,
    }
    Ok(())
}

/// The period journal: a summary as text, or a product's import CSV.
fn journal(ctx: &Ctx<'_>, a: ReportArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let format = match a.format.as_str() {
        "text" => None,
        f => match Format::parse(f) {
            Some(f) => Some(f),
            None => bail!("--format: {f:?} is not text, quickbooks, xero or odoo"),
        },
    };
    if a.reseller.is_some() {
        bail!("--reseller: the journal is the whole tenant's books");
    }
    let t = ctx.store.tenant_by_slug(&a.tenant)?;
    let zone = crate::clock::Clock::zone(&t.timezone);
    let today = crate::store::reports::local_day(&zone, ctx.clock.now());
    let period = Period::parse(&a.from, &a.to, today)?;
    let j = journal::build(ctx.store, &t, period)?;
    let chart = ctx.store.chart_of_accounts(t.id)?;
    match format {
        Some(f) => out.write_all(journal::csv(&j, &chart, f).as_bytes())?,
        None => {
            let digits = crate::pdf::minor_digits(&j.currency);
            let m = |v: i64| crate::ops::report_view::plain_money(v, digits);
            writeln!(out, "Journal {} ({})", period.label(), j.currency)?;
            writeln!(out, "sales documents: net {} tax {} gross {}", m(j.net), m(j.tax), m(j.gross))?;
            writeln!(out, "received: {}", m(j.received))?;
            writeln!(out, "wallets owed: {} at the start, {} at the end", m(j.wallets_opening), m(j.wallets_closing))?;
            for e in &j.entries {
                writeln!(out, "\n{} {}", e.number, e.narration)?;
                for l in &e.lines {
                    let acc = chart.account(l.account);
                    let (dr, cr) =
                        if l.amount > 0 { (m(l.amount), String::new()) } else { (String::new(), m(-l.amount)) };
                    writeln!(out, "  {:<6} {:<24} {:>14} {:>14}  {}", acc.code, acc.name, dr, cr, l.description)?;
                }
            }
            let (dr, cr) = j.totals();
            writeln!(out, "\ndebits {} credits {}{}", m(dr), m(cr), if j.balanced() { "" } else { " UNBALANCED" })?;
        }
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum AccountsCmd {
    /// The chart of accounts the journal export posts to (key=value lines).
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Change accounts: sales.code=4000 wallets.name="Customer deposits" odoo_journal=MISC …
    Set {
        #[arg(long)]
        tenant: String,
        #[arg(required = true)]
        settings: Vec<String>,
    },
}

pub fn accounts(ctx: &Ctx<'_>, actor: &str, c: AccountsCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (tenant, changes) = match c {
        AccountsCmd::Show { tenant } => (tenant, vec![]),
        AccountsCmd::Set { tenant, settings } => {
            let mut changes = Vec::new();
            for s in settings {
                let Some((k, v)) = s.split_once('=') else { bail!("{s:?}: write key=value") };
                changes.push((k.trim().to_string(), v.to_string()));
            }
            (tenant, changes)
        }
    };
    let t = ctx.store.tenant_by_slug(&tenant)?;
    let chart = if changes.is_empty() {
        ctx.store.chart_of_accounts(t.id)?
    } else {
        journal::save_chart(ctx.store, actor, ctx.clock.now(), t.id, &changes)?
    };
    for (k, v) in chart.pairs() {
        writeln!(out, "{k}={v}")?;
    }
    Ok(())
}
