//! Plan commands: add (validity, price, speed, quota, FUP, limits, billing
//! terms) and list.

use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::Write;

use super::parse::{self, parse_bytes, parse_duration, parse_money, parse_period};
use crate::clock::Clock;
use crate::model::*;
use crate::store::Store;

#[derive(Args, Debug)]
pub struct PlanAdd {
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub name: String,
    /// Validity of one purchase: 3h, 30d, 2w, 1mo.
    #[arg(long)]
    pub validity: String,
    /// Periods end on the tenant-local day / week / month boundary (the
    /// first one is charged pro rata) instead of running from the purchase.
    #[arg(long)]
    pub calendar: bool,
    /// Stay online this long after expiry (3d); a renewal in the grace
    /// period extends from the old expiry.
    #[arg(long)]
    pub grace: Option<String>,
    /// Postpaid (monthly invoice, due this many days after issue) instead
    /// of prepaid.
    #[arg(long)]
    pub postpaid_due_days: Option<u16>,
    /// Fair Usage Policy: "50G 2M/2M" drops the speed to 2M/2M after 50 GB
    /// in a period, by CoA, without disconnecting.
    #[arg(long)]
    pub fup: Option<String>,
    /// At the simultaneous-use limit, disconnect the oldest session instead
    /// of refusing the new login.
    #[arg(long)]
    pub kick_oldest: bool,
    /// Price in the tenant's currency, e.g. 1500 or 1500.50.
    #[arg(long, default_value = "0")]
    pub price: String,
    /// Mikrotik-Rate-Limit, upload/download first: "10M/10M 20M/20M 8M/8M 10/10 8 1M/1M".
    #[arg(long)]
    pub rate: Option<String>,
    /// Data quota per period: 500M, 1G, 1T.
    #[arg(long)]
    pub quota: Option<String>,
    #[arg(long)]
    pub session_timeout: Option<String>,
    #[arg(long)]
    pub idle_timeout: Option<String>,
    #[arg(long, default_value = "300")]
    pub interim: String,
    /// Concurrent sessions allowed; 0 = unlimited.
    #[arg(long, default_value_t = 1)]
    pub simultaneous_use: u32,
    /// Weekly access window: "mon-fri 08:00-18:00", "all 22:00-06:00".
    #[arg(long)]
    pub access_window: Option<String>,
    #[arg(long)]
    pub pool: Option<String>,
    #[arg(long)]
    pub ipv6_pool: Option<String>,
    #[arg(long)]
    pub address_list: Option<String>,
    /// Do not list this plan on the payment portal or hotspot page.
    #[arg(long)]
    pub no_portal: bool,
    /// Offer it on the portal only to these access types: pppoe,hotspot,dhcp,static.
    #[arg(long, value_delimiter = ',')]
    pub for_access: Vec<String>,
    /// Offer it on the portal only to customers of these categories.
    #[arg(long, value_delimiter = ',')]
    pub for_category: Vec<String>,
    /// Offer it on the portal only on these devices: phone,tablet,computer.
    #[arg(long, value_delimiter = ',')]
    pub for_device: Vec<String>,
}

fn offer(a: &PlanAdd) -> anyhow::Result<Offer> {
    let access = a
        .for_access
        .iter()
        .map(|s| {
            AccessType::parse(s.trim()).with_context(|| format!("unknown access type {s:?}")).context("--for-access")
        })
        .collect::<anyhow::Result<_>>()?;
    let devices = a
        .for_device
        .iter()
        .map(|s| DeviceClass::parse(s.trim()).with_context(|| format!("unknown device {s:?}")).context("--for-device"))
        .collect::<anyhow::Result<_>>()?;
    let categories = a.for_category.iter().map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty()).collect();
    Ok(Offer { portal: !a.no_portal, access, categories, devices })
}

/// The plan `a` describes, for `tenant` (the CLI's `plan add` and the admin
/// UI's plan form). Every error's outermost context names the option it is
/// about (`--price`, `--rate`), so a form can put it next to its field.
pub fn build_plan(tenant: TenantId, a: &PlanAdd) -> anyhow::Result<Plan> {
    let secs32 = |name: &str, v: &Option<String>| -> anyhow::Result<Option<u32>> {
        v.as_deref()
            .map(|s| {
                parse_duration(s)
                    .and_then(|d| u32::try_from(d).with_context(|| format!("{s:?} is too long")))
                    .with_context(|| format!("--{name}"))
            })
            .transpose()
    };
    Ok(Plan {
        id: 0,
        offer: offer(a)?,
        tenant,
        disabled: false,
        name: a.name.trim().to_string(),
        validity: parse_period(&a.validity).context("--validity")?,
        anchor: if a.calendar { Anchor::Calendar } else { Anchor::Rolling },
        grace_secs: secs32("grace", &a.grace)?.unwrap_or(0),
        mode: match a.postpaid_due_days {
            Some(due_days) => Mode::Postpaid { due_days },
            None => Mode::Prepaid,
        },
        kick_oldest: a.kick_oldest,
        fup: a.fup.as_deref().map(parse::fup).transpose().context("--fup")?,
        price: parse_money(&a.price).context("--price")?,
        quota_bytes: a.quota.as_deref().map(parse_bytes).transpose().context("--quota")?,
        rate: a.rate.as_deref().map(RateLimit::parse).transpose().map_err(anyhow::Error::msg).context("--rate")?,
        session_timeout: secs32("session-timeout", &a.session_timeout)?,
        idle_timeout: secs32("idle-timeout", &a.idle_timeout)?,
        interim_interval: secs32("interim", &Some(a.interim.clone()))?.unwrap_or(300),
        simultaneous_use: a.simultaneous_use,
        access_window: a.access_window.as_deref().map(parse::access_window).transpose().context("--access-window")?,
        address_pool: a.pool.clone(),
        ipv6_pool: a.ipv6_pool.clone(),
        address_list: a.address_list.clone(),
    })
}

#[derive(Subcommand, Debug)]
pub enum PlanCmd {
    Add(Box<PlanAdd>),
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
                let quota = p.quota_bytes.map(parse::show_bytes).unwrap_or_else(|| "-".into());
                let price = parse::show_money(p.price);
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
