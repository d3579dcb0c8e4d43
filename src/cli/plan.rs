//! Plan commands: add (validity, price, speed, quota, FUP, limits, billing
//! terms) and list.

use clap::Subcommand;
use std::io::Write;

use crate::clock::Clock;
use crate::model::units::{show_bytes, show_money};
use crate::ops::plans::{PlanSpec, build_plan};
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum PlanCmd {
    Add(Box<PlanSpec>),
    List {
        #[arg(long)]
        tenant: String,
    },
}

pub fn plan(store: &Store, clock: &Clock, actor: &str, cmd: PlanCmd, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        PlanCmd::Add(a) => {
            let t = store.tenant_by_slug(&a.tenant)?;
            let p = build_plan(t.id, &a)?;
            let p = store.create_plan(actor, clock.now(), t.id, p)?;
            writeln!(out, "plan {:?} created (id {})", p.name, p.id)?;
        }
        PlanCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(
                out,
                "{:<6} {:<24} {:>10} {:>12} {:<32} {:>10}",
                "ID", "NAME", "VALIDITY", "PRICE", "RATE", "QUOTA"
            )?;
            for p in store.plans(t.id)? {
                let rate = p.rate.map(|r| r.to_string()).unwrap_or_else(|| "-".into());
                let quota = p.quota_bytes.map(show_bytes).unwrap_or_else(|| "-".into());
                let price = show_money(p.price);
                writeln!(
                    out,
                    "{:<6} {:<24} {:>10} {:>12} {:<32} {:>10}",
                    p.id,
                    p.name,
                    p.validity.to_string(),
                    price,
                    rate,
                    quota
                )?;
            }
        }
    }
    Ok(())
}
