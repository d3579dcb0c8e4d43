//! `lango report <kind>`: the admin UI's reports on a terminal — revenue,
//! reconciliation, tax, network, customers — for a period in the tenant's
//! calendar, as text, CSV or PDF on standard output.

use anyhow::bail;
use clap::Args;
use std::io::Write;

use super::Ctx;
use crate::ops::report_view::{Kind, Period};
use crate::ops::reports::{self as ops, Scope};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// revenue, reconciliation, tax, network or customers.
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
    /// text (default), csv or pdf.
    #[arg(long, default_value = "text")]
    pub format: String,
}

pub fn run(ctx: &Ctx<'_>, a: ReportArgs, out: &mut impl Write) -> anyhow::Result<()> {
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
