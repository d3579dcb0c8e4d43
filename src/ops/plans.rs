//! Plans as `lango plan add` and the admin UI's plan form describe them:
//! the arguments in their typed human forms, and the plan they make.

use clap::Args;

use super::{FieldResult, OpError};
use crate::model::units::{access_window, fup, parse_bytes, parse_duration, parse_money, parse_period};
use crate::model::*;

/// A plan to make, as typed (`lango plan add` parses straight into it; the
/// admin UI's form fills it in).
#[derive(Args, Debug)]
pub struct PlanSpec {
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
    /// Policy tagging: a routing mark. Sessions are put in address list
    /// `lango-route-<mark>`; `lango routeros provision` adds the mangle rule
    /// and the routing table `<mark>` (route it with the router's BGP/OSPF
    /// or static routes in that table).
    #[arg(long)]
    pub routing_mark: Option<String>,
    /// Filter-Id: the router's firewall filter chain for these sessions.
    #[arg(long)]
    pub filter_id: Option<String>,
    /// Mikrotik-Group: the router's PPP or hotspot profile for these
    /// sessions (queue type, parent queue).
    #[arg(long)]
    pub group: Option<String>,
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

fn offer(a: &PlanSpec) -> Result<Offer, OpError> {
    let access = a
        .for_access
        .iter()
        .map(|s| {
            AccessType::parse(s.trim())
                .ok_or_else(|| OpError::field("for_access", format!("unknown access type {s:?}")))
        })
        .collect::<Result<_, _>>()?;
    let devices = a
        .for_device
        .iter()
        .map(|s| {
            DeviceClass::parse(s.trim()).ok_or_else(|| OpError::field("for_device", format!("unknown device {s:?}")))
        })
        .collect::<Result<_, _>>()?;
    let categories = a.for_category.iter().map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty()).collect();
    Ok(Offer { portal: !a.no_portal, access, categories, devices })
}

/// The plan `a` describes, for `tenant` (the CLI's `plan add` and the admin
/// UI's plan form). An error names the field it is about (`price`, `rate`).
pub fn build_plan(tenant: TenantId, a: &PlanSpec) -> Result<Plan, OpError> {
    let secs32 = |name: &'static str, v: &Option<String>| -> Result<Option<u32>, OpError> {
        v.as_deref()
            .map(|s| {
                let d = parse_duration(s).field(name)?;
                u32::try_from(d).map_err(|_| OpError::field(name, format!("{s:?} is too long")))
            })
            .transpose()
    };
    Ok(Plan {
        id: 0,
        offer: offer(a)?,
        tenant,
        disabled: false,
        name: a.name.trim().to_string(),
        validity: parse_period(&a.validity).field("validity")?,
        anchor: if a.calendar { Anchor::Calendar } else { Anchor::Rolling },
        grace_secs: secs32("grace", &a.grace)?.unwrap_or(0),
        mode: match a.postpaid_due_days {
            Some(due_days) => Mode::Postpaid { due_days },
            None => Mode::Prepaid,
        },
        kick_oldest: a.kick_oldest,
        fup: a.fup.as_deref().map(fup).transpose().field("fup")?,
        price: parse_money(&a.price).field("price")?,
        quota_bytes: a.quota.as_deref().map(parse_bytes).transpose().field("quota")?,
        rate: a.rate.as_deref().map(RateLimit::parse).transpose().field("rate")?,
        session_timeout: secs32("session_timeout", &a.session_timeout)?,
        idle_timeout: secs32("idle_timeout", &a.idle_timeout)?,
        interim_interval: secs32("interim", &Some(a.interim.clone()))?.unwrap_or(300),
        simultaneous_use: a.simultaneous_use,
        access_window: a.access_window.as_deref().map(access_window).transpose().field("access_window")?,
        address_pool: a.pool.clone(),
        ipv6_pool: a.ipv6_pool.clone(),
        address_list: routeros_name("address_list", &a.address_list)?,
        routing_mark: routeros_name("routing_mark", &a.routing_mark)?
            .map(|m| match m.as_str() {
                "main" => Err(OpError::field("routing_mark", "\"main\" is the router's own table: name another")),
                _ => Ok(m),
            })
            .transpose()?,
        filter_id: routeros_name("filter_id", &a.filter_id)?,
        group: routeros_name("group", &a.group)?,
    })
}

/// A name the router takes as is (address list, routing mark, filter
/// chain, profile), trimmed; empty is none. The error names `field`.
fn routeros_name(field: &'static str, v: &Option<String>) -> Result<Option<String>, OpError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) => match check_routeros_name(n) {
            Ok(()) => Ok(Some(n.to_string())),
            Err(m) => Err(OpError::field(field, m)),
        },
    }
}
