//! Plan commands: add (validity, price, speed, quota, FUP, limits, billing
//! terms), edit, disable / enable and list.

use clap::Subcommand;
use std::io::Write;

use crate::clock::Clock;
use crate::model::Plan;
use crate::model::units::{show_bytes, show_money};
use crate::ops::plans::{PlanSpec, build_plan};
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum PlanCmd {
    Add(Box<PlanSpec>),
    /// Change a plan: every option of `plan add` again, in full (what is
    /// left out takes add's default). Online sessions on it get a CoA for a
    /// new speed or timeout, or a Disconnect where a CoA cannot apply the
    /// change (profile, routing mark, pool, quota).
    Edit(Box<PlanEdit>),
    /// Take a plan off sale: no new purchases, renewals or logins on it.
    Disable {
        #[arg(long)]
        tenant: String,
        /// The plan's name or id.
        plan: String,
    },
    /// Put a plan back on sale.
    Enable {
        #[arg(long)]
        tenant: String,
        plan: String,
    },
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct PlanEdit {
    /// The plan's current name or id.
    #[arg(long)]
    pub plan: String,
    #[command(flatten)]
    pub spec: PlanSpec,
}

pub fn plan(store: &Store, clock: &Clock, actor: &str, cmd: PlanCmd, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        PlanCmd::Add(a) => {
            let t = store.tenant_by_slug(&a.tenant)?;
            let p = build_plan(t.id, &a)?;
            let p = store.create_plan(actor, clock.now(), t.id, p)?;
            writeln!(out, "plan {:?} created (id {})", p.name, p.id)?;
        }
        PlanCmd::Edit(e) => {
            let t = store.tenant_by_slug(&e.spec.tenant)?;
            let old = store.plan_by_name(t.id, &e.plan)?;
            let new = build_plan(t.id, &e.spec)?;
            let plan = Plan { id: old.id, tenant: old.tenant, disabled: old.disabled, ..new };
            let (p, n) = store.update_plan(actor, clock.now(), &plan)?;
            writeln!(out, "plan {:?} saved (id {}); {n} online session(s) get the change", p.name, p.id)?;
        }
        PlanCmd::Disable { tenant, plan } => set_disabled(store, clock, actor, (&tenant, &plan), true, out)?,
        PlanCmd::Enable { tenant, plan } => set_disabled(store, clock, actor, (&tenant, &plan), false, out)?,
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

/// `plan disable` / `plan enable`, as the plans page's buttons.
fn set_disabled(
    store: &Store,
    clock: &Clock,
    actor: &str,
    (tenant, plan): (&str, &str),
    disabled: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let t = store.tenant_by_slug(tenant)?;
    let p = Plan { disabled, ..store.plan_by_name(t.id, plan)? };
    let (p, _) = store.update_plan(actor, clock.now(), &p)?;
    writeln!(out, "plan {:?} {}", p.name, if disabled { "disabled" } else { "enabled" })?;
    Ok(())
}
