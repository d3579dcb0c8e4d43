//! Management commands (`lango tenant|nas|plan|customer|service|...`): argument parsing and plain-text printing
//! over `src/ops`. Each makes one audited change or reads; while `lango serve` holds the database, the command
//! line is forwarded to it over the control socket.

mod admin;
pub mod backup;
pub mod cpe;
pub mod customer;
mod etims;
mod export;
mod hotspot;
mod import;
pub mod notify;
pub mod notify_setup;
mod site;
pub mod snmp;
mod sync;
mod webhook;

mod money;
pub use site::{NasCmd, TenantCmd, nas, tenant};
mod plan;
mod report;
mod retention;
pub mod routeros;
pub use plan::{PlanCmd, plan};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::io::Write;

use crate::clock::Clock;
use crate::model::units::{show_bytes, show_duration};
use crate::model::*;
use crate::ops::time::{expiry, show_time};
use crate::store::{NewService, Store};

/// Who the audit log says made CLI changes.
/// Set by `main` for a command run in this process (not forwarded to a
/// running server): only then may a command draw progress on the terminal.
pub static PROGRESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn local_actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

/// The management commands, parsed the same way by the binary and by a
/// running server receiving them on its control socket.
#[derive(clap::Parser, Debug)]
#[command(name = "lango")]
pub struct ManageCli {
    #[arg(long, global = true)]
    pub config: Option<std::path::PathBuf>,
    #[arg(long, global = true)]
    pub data: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub cmd: Manage,
}

#[derive(Subcommand, Debug)]
pub enum Manage {
    /// ISP tenants.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Routers (RADIUS clients).
    #[command(subcommand)]
    Nas(NasCmd),
    /// Plans: validity, price, speed, quota, limits.
    #[command(subcommand)]
    Plan(PlanCmd),
    #[command(subcommand)]
    Customer(customer::CustomerCmd),
    /// How long closed sessions, messages and the audit log are kept.
    #[command(subcommand)]
    Retention(retention::RetentionCmd),
    /// Logins: PPPoE, hotspot, DHCP MAC, static.
    #[command(subcommand)]
    Service(ServiceCmd),
    /// Sessions online now (or closed ones with --history).
    Sessions {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        history: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// M-Pesa (Daraja) credentials and callback URLs.
    #[command(subcommand)]
    Mpesa(money::MpesaCmd),
    /// STK Push and payments received.
    #[command(subcommand)]
    Pay(money::PayCmd),
    /// Customer wallets: balance, ledger, top-ups, renewals.
    #[command(subcommand)]
    Wallet(money::WalletCmd),
    /// Voucher batches and printable cards.
    #[command(subcommand)]
    Voucher(money::VoucherCmd),
    /// Invoices, receipts and tax settings.
    #[command(subcommand)]
    Invoice(money::InvoiceCmd),
    /// A list as CSV: customers, services, plans, payments, invoices, sessions.
    Export(export::Export),
    /// REST API tokens.
    #[command(subcommand)]
    ApiToken(webhook::ApiTokenCmd),
    /// Signed webhooks: endpoints and their delivery log.
    #[command(subcommand)]
    Webhook(webhook::WebhookCmd),
    /// Admin accounts of the web UI: create, list, reset.
    #[command(subcommand)]
    Admin(admin::AdminCmd),
    /// Write an encrypted backup of the whole database now (while lango keeps serving); `lango restore FILE`
    /// brings it back. The key file is not inside: keep a copy of lango.key somewhere else.
    Backup {
        /// Directory to write into (default: backup.dir, or <data_dir>/backups).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Set or stop an off-site target instead of backing up now.
        #[command(subcommand)]
        target: Option<backup::BackupTarget>,
    },
    /// The change stream between a hub and its sites (`[sync]`).
    #[command(subcommand)]
    Sync(sync::SyncCmd),
    /// Bring customers over from daloRADIUS, PHPNuxBill or a CSV file.
    #[command(subcommand)]
    Import(import::ImportCmd),
    /// The SMS gateway (Africa's Talking) that sends sign-in codes.
    #[command(subcommand)]
    Sms(notify_setup::SmsCmd),
    /// SMS and e-mail notifications: settings, templates, preferences, log, broadcast.
    #[command(subcommand)]
    Notify(notify::NotifyCmd),
    /// Customers' support tickets: list, answer, close.
    #[command(subcommand)]
    Ticket(TicketCmd),
    /// Router-side hotspot pages that hand devices to lango's hotspot page.
    #[command(subcommand)]
    Hotspot(hotspot::HotspotCmd),
    /// Routers over SNMP: settings for the NOC's poller, and every router's state.
    #[command(subcommand)]
    Snmp(snmp::SnmpCmd),
    /// Routers' RouterOS API: credentials, provisioning, lookups, kick.
    #[command(subcommand)]
    Routeros(routeros::RouterosCmd),
    /// Reports: revenue, reconciliation, tax, network, customers (text, CSV or PDF).
    Report(report::ReportArgs),
    /// KRA eTIMS: the OSCU device (setup initialises it; off by default).
    #[command(subcommand)]
    Etims(etims::EtimsCmd),
    /// The chart of accounts the period journal (`report journal`) posts to.
    #[command(subcommand)]
    Accounts(report::AccountsCmd),
    /// CPEs managed through GenieACS: settings, inventory, state, reboot, credential pushes.
    #[command(subcommand)]
    Cpe(cpe::CpeCmd),
    /// Test hook: move a server's manual clock (`serve --test-clock`).
    #[command(hide = true)]
    ClockAdvance { secs: i64 },
}

/// What a command may use: the store and clock, and the payment engine when it runs inside `lango serve`.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub clock: &'a Clock,
    pub payments: Option<&'a crate::payments::engine::Engine>,
    /// Environment values a forwarding client sent along (`--password-env`); None: read this process's environment.
    pub vars: Option<&'a std::collections::HashMap<String, String>>,
}

impl Ctx<'_> {
    /// An environment variable of whoever ran the command.
    pub fn var(&self, name: &str) -> Option<String> {
        match self.vars {
            Some(v) => v.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }
}

/// A secret from the environment variable `name` (given with `option`) of
/// whoever ran the command; never from the command line.
pub(crate) fn secret_var(ctx: &Ctx<'_>, name: &str, option: &str) -> anyhow::Result<String> {
    match ctx.var(name) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => bail!(
            "{option}: environment variable {name} is not set (export it first: secrets never go on a command line)"
        ),
    }
}

/// Run one management command against an open store.
pub fn run(store: &Store, clock: &Clock, actor: &str, cmd: Manage, out: &mut impl Write) -> anyhow::Result<()> {
    run_in(&Ctx { store, clock, payments: None, vars: None }, actor, cmd, out)
}

/// Run one management command with the services at hand.
pub fn run_in(ctx: &Ctx<'_>, actor: &str, cmd: Manage, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, clock) = (ctx.store, ctx.clock);
    match cmd {
        Manage::Mpesa(c) => money::mpesa(ctx, actor, c, out),
        Manage::Pay(c) => money::pay(ctx, actor, c, out),
        Manage::Wallet(c) => money::wallet(ctx, actor, c, out),
        Manage::Voucher(c) => money::voucher(ctx, actor, c, out),
        Manage::Invoice(c) => money::invoice(ctx, actor, c, out),
        Manage::Routeros(c) => routeros::routeros(ctx, actor, c, out),
        Manage::Snmp(c) => snmp::run(ctx, actor, c, out),
        Manage::Report(a) => report::run(ctx, a, out),
        Manage::Accounts(c) => report::accounts(ctx, actor, c, out),
        Manage::Etims(c) => etims::run(ctx, actor, c, out),
        Manage::Notify(c) => notify::run(ctx, actor, c, out),
        Manage::Cpe(c) => cpe::run(ctx, actor, c, out),
        Manage::ClockAdvance { secs } => match clock {
            Clock::Manual(_) => {
                clock.advance(secs);
                writeln!(out, "clock {}", clock.now()).map_err(Into::into)
            }
            Clock::System => bail!("the clock is the system clock; only `serve --test-clock` can be moved"),
        },
        Manage::Hotspot(c) => hotspot::run(store, c, out),
        Manage::Ticket(c) => ticket(store, clock, actor, c, out),
        Manage::Import(c) => import::run(store, clock, actor, c, out),
        Manage::Backup { dir, target } => backup::run(ctx, actor, dir, target, out),
        Manage::Sync(c) => sync::run(store, clock, actor, c, out),
        Manage::Export(e) => export::run(store, e, out),
        Manage::Webhook(c) => webhook::run(store, clock, actor, c, out),
        Manage::Admin(c) => admin::run(store, clock, actor, c, out),
        Manage::ApiToken(c) => webhook::api_token(store, clock, actor, c, out),
        Manage::Sms(c) => notify_setup::sms(ctx, actor, c, out),
        Manage::Tenant(c) => tenant(store, clock, actor, c, out),
        Manage::Nas(c) => nas(ctx, actor, c, out),
        Manage::Plan(c) => plan(store, clock, actor, c, out),
        Manage::Customer(c) => customer::run(store, clock, actor, c, out),
        Manage::Retention(c) => retention::run(store, clock, actor, c, out),
        Manage::Service(c) => service(ctx, actor, c, out),
        Manage::Sessions { tenant, history, json } => sessions(store, &tenant, history, json, out),
    }
}

impl Manage {
    /// A file the command reads (imports), which a server must find.
    pub fn input_file(&self) -> Option<&std::path::Path> {
        match self {
            Manage::Import(
                import::ImportCmd::Daloradius(s) | import::ImportCmd::Phpnuxbill(s) | import::ImportCmd::Csv(s),
            ) => Some(&s.file),
            Manage::Cpe(c) => c.input_file(),
            _ => None,
        }
    }

    /// The environment variables a command reads secrets from, which a forwarded command must carry along.
    pub fn secret_envs(&self) -> Vec<&str> {
        match self {
            Manage::Routeros(r) => r.password_env().into_iter().collect(),
            Manage::Snmp(c) => c.secret_envs(),
            Manage::Sms(notify_setup::SmsCmd::Setup { api_key_env, .. }) => vec![api_key_env.as_str()],
            Manage::Notify(c) => c.secret_envs(),
            Manage::Cpe(c) => c.secret_envs(),
            Manage::Backup { target: Some(t), .. } => t.secret_env().into_iter().collect(),
            Manage::Mpesa(money::MpesaCmd::Setup(a)) => vec![a.consumer_secret_env.as_str(), a.passkey_env.as_str()],
            Manage::Nas(NasCmd::Add { secret_env: Some(v), .. }) => vec![v.as_str()],
            Manage::Service(ServiceCmd::Add(a)) => a.password_env.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum TicketCmd {
    /// Tickets, newest first, with their last message.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Answer a ticket (the customer sees it on their account page).
    Reply {
        #[arg(long)]
        tenant: String,
        id: Id,
        #[arg(long)]
        message: String,
        /// Close it with this answer.
        #[arg(long)]
        close: bool,
    },
}

fn ticket(store: &Store, clock: &Clock, actor: &str, cmd: TicketCmd, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        TicketCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "{:<8} {:<8} {:<10} {:<32} LAST", "ID", "STATE", "CUSTOMER", "SUBJECT")?;
            for k in store.tickets(t.id, None)? {
                let last = k.messages.last().map(|m| m.body.lines().next().unwrap_or_default()).unwrap_or_default();
                let state = if k.open { "open" } else { "closed" };
                writeln!(out, "{:<8} {:<8} {:<10} {:<32} {last}", k.id, state, k.customer, k.subject)?;
            }
        }
        TicketCmd::Reply { tenant, id, message, close } => {
            let t = store.tenant_by_slug(&tenant)?;
            let msg = TicketMessage { at: clock.now(), staff: Some("Support".into()), body: message };
            let k = store.answer_ticket(actor, t.id, id, None, msg, close)?;
            writeln!(out, "ticket {} {}", k.id, if k.open { "answered" } else { "answered and closed" })?;
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ServiceAdd {
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub customer: Id,
    /// Plan name or id.
    #[arg(long)]
    pub plan: String,
    /// pppoe, hotspot, dhcp or static.
    #[arg(long = "type", default_value = "pppoe")]
    pub access: String,
    #[arg(long)]
    pub username: String,
    /// Read the login's password from this environment variable; without
    /// it lango generates one and prints it once (DHCP MAC logins need none).
    #[arg(long)]
    pub password_env: Option<String>,
    #[arg(long)]
    pub mac: Option<String>,
    #[arg(long)]
    pub ip: Option<std::net::Ipv4Addr>,
    /// Framed-Route, repeatable: "192.168.10.0/24 10.99.0.10 1".
    #[arg(long)]
    pub route: Vec<String>,
    #[arg(long)]
    pub ipv6_prefix: Option<String>,
    #[arg(long)]
    pub delegated_ipv6_prefix: Option<String>,
    /// Valid for this long from now (30d), or until a date (2027-01-31) in the tenant's zone. Default: one plan validity.
    #[arg(long)]
    pub expires: Option<String>,
    /// Start the validity at the first login (vouchers).
    #[arg(long)]
    pub first_use: bool,
    /// Renew from the customer's wallet at expiry when the balance covers the price.
    #[arg(long)]
    pub auto_renew: bool,
}

#[derive(Subcommand, Debug)]
pub enum ServiceCmd {
    Add(Box<ServiceAdd>),
    List {
        #[arg(long)]
        tenant: String,
    },
    Show {
        #[arg(long)]
        tenant: String,
        username: String,
        /// Machine-readable: the service (without its password) and usage.
        #[arg(long)]
        json: bool,
    },
    Suspend {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    Resume {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    Disable {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Set a new expiry: relative (30d) or a date.
    Renew {
        #[arg(long)]
        tenant: String,
        username: String,
        #[arg(long)]
        expires: String,
    },
    /// Change the MAC, static address, routed subnets or plan outside a
    /// renewal (no money moves; online sessions get a CoA or a Disconnect
    /// to pick it up). Options left out keep their value; "none" clears a
    /// MAC, address or the routes.
    Edit {
        #[arg(long)]
        tenant: String,
        username: String,
        #[arg(long)]
        mac: Option<String>,
        #[arg(long)]
        ip: Option<String>,
        /// Plan name or id.
        #[arg(long)]
        plan: Option<String>,
        /// Framed-Route values, comma-separated: "192.168.10.0/24 10.99.0.10 1".
        #[arg(long)]
        routes: Option<String>,
    },
}

pub fn service(ctx: &Ctx<'_>, actor: &str, cmd: ServiceCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, clock) = (ctx.store, ctx.clock);
    let now = clock.now();
    match cmd {
        ServiceCmd::Add(a) => {
            let t = store.tenant_by_slug(&a.tenant)?;
            let plan = store.plan_by_name(t.id, &a.plan)?;
            let Some(access) = AccessType::parse(&a.access) else {
                bail!("--type {:?}: use pppoe, hotspot, dhcp or static", a.access);
            };
            let password = match &a.password_env {
                Some(var) => secret_var(ctx, var, "--password-env")?,
                None if access == AccessType::DhcpMac => String::new(),
                None => crate::ops::secrets::generate(12),
            };
            let mac = match a.mac.as_deref() {
                Some(m) => Some(Mac::parse(m).with_context(|| format!("--mac {m:?} is not a MAC address"))?),
                None => None,
            };
            if access == AccessType::DhcpMac && mac.is_none() {
                bail!("--type dhcp needs --mac");
            }
            let expires_at = match (&a.expires, a.first_use) {
                (Some(_), true) => bail!("use either --expires or --first-use"),
                (Some(e), false) => Some(expiry(&t, now, e)?),
                (None, true) => None,
                (None, false) => {
                    Some(crate::billing::period_end(now, &plan.validity, plan.anchor, &Clock::zone(&t.timezone))?)
                }
            };
            let s = store.create_service(
                actor,
                now,
                t.id,
                NewService {
                    customer: a.customer,
                    plan: plan.id,
                    access,
                    username: a.username,
                    password: password.clone(),
                    mac,
                    static_ip: a.ip,
                    framed_routes: crate::ops::services::parse_routes(&a.route.join(","))?,
                    ipv6_prefix: a.ipv6_prefix,
                    delegated_ipv6_prefix: a.delegated_ipv6_prefix,
                    expires_at,
                    activate_on_first_use: a.first_use,
                    auto_renew: a.auto_renew,
                    voucher: None,
                    imported: false,
                },
            )?;
            writeln!(out, "service {:?} created (id {})", s.username, s.id)?;
            if a.password_env.is_none() && !password.is_empty() {
                writeln!(out, "password (shown once): {password}")?;
            }
        }
        ServiceCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "{:<8} {:<24} {:<8} {:<10} {:<26} CUSTOMER", "ID", "USERNAME", "TYPE", "STATUS", "EXPIRES")?;
            for s in store.services(t.id)? {
                let exp = show_time(&t, s.expires_at, s.activate_on_first_use);
                writeln!(
                    out,
                    "{:<8} {:<24} {:<8} {:<10} {:<26} {}",
                    s.id,
                    s.username,
                    s.access.as_str(),
                    s.status.as_str(),
                    exp,
                    s.customer
                )?;
            }
        }
        ServiceCmd::Show { tenant, username, json } => {
            let t = store.tenant_by_slug(&tenant)?;
            let s = store.service_by_username(t.id, &username)?;
            if json {
                let usage = store.usage(t.id, s.id)?;
                let shown = Service { password: Sealed::default(), ..s };
                writeln!(out, "{}", serde_json::json!({ "service": shown, "usage": usage }))?;
                return Ok(());
            }
            let plan = store.plan(t.id, s.plan).ok();
            let usage = store.usage(t.id, s.id)?;
            let online = store.tenant_active_sessions(t.id)?.into_iter().filter(|x| x.service == Some(s.id)).count();
            writeln!(out, "service   {} (id {})", s.username, s.id)?;
            writeln!(out, "type      {}", s.access.as_str())?;
            writeln!(out, "status    {}", s.status.as_str())?;
            writeln!(out, "plan      {}", plan.map(|p| p.name).unwrap_or_else(|| "(missing)".into()))?;
            writeln!(out, "expires   {}", show_time(&t, s.expires_at, s.activate_on_first_use))?;
            writeln!(out, "mac       {}", s.mac.map(|m| m.to_string()).unwrap_or_else(|| "-".into()))?;
            writeln!(out, "ip        {}", s.static_ip.map(|m| m.to_string()).unwrap_or_else(|| "-".into()))?;
            writeln!(
                out,
                "usage     in {} / out {} / {} online",
                show_bytes(usage.bytes_in),
                show_bytes(usage.bytes_out),
                show_duration(usage.seconds)
            )?;
            writeln!(out, "sessions  {online} online")?;
        }
        ServiceCmd::Suspend { tenant, username } => {
            status(store, now, actor, &tenant, &username, ServiceStatus::Suspended, out)?
        }
        ServiceCmd::Resume { tenant, username } => {
            status(store, now, actor, &tenant, &username, ServiceStatus::Active, out)?
        }
        ServiceCmd::Disable { tenant, username } => {
            status(store, now, actor, &tenant, &username, ServiceStatus::Disabled, out)?
        }
        ServiceCmd::Renew { tenant, username, expires } => {
            let t = store.tenant_by_slug(&tenant)?;
            let at = expiry(&t, now, &expires)?;
            let s = store.set_service_expiry(actor, now, t.id, &username, Some(at))?;
            writeln!(out, "service {} now expires {}", s.username, show_time(&t, s.expires_at, false))?;
        }
        ServiceCmd::Edit { tenant, username, mac, ip, plan, routes } => {
            let t = store.tenant_by_slug(&tenant)?;
            let sv = store.service_by_username(t.id, &username)?;
            let input = crate::ops::services::EditInput { mac, ip, plan, routes, expect: None };
            let s = crate::ops::services::edit(store, actor, now, t.id, &sv, &input).map_err(|problems| {
                anyhow::anyhow!("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
            })?;
            let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "service {}: MAC {}, address {}, routes {}, plan {}",
                s.username,
                show(s.mac.map(|m| m.to_string())),
                show(s.static_ip.map(|a| a.to_string())),
                show(Some(s.framed_routes.join(", ")).filter(|r| !r.is_empty())),
                store.plan(t.id, s.plan).map(|p| p.name).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

fn status(
    store: &Store,
    now: UnixTime,
    actor: &str,
    tenant: &str,
    username: &str,
    st: ServiceStatus,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let t = store.tenant_by_slug(tenant)?;
    let s = store.set_service_status(actor, now, t.id, username, st)?;
    writeln!(out, "service {} is now {}", s.username, s.status.as_str())?;
    Ok(())
}

/// `lango sessions`: who is online (or, with `history`, closed sessions).
pub fn sessions(store: &Store, tenant: &str, history: bool, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let t = store.tenant_by_slug(tenant)?;
    if !json {
        writeln!(out, "{:<24} {:<16} {:<18} {:>10} {:>10} {:>10}", "USERNAME", "IP", "MAC", "TIME", "IN", "OUT")?;
    }
    let line = |s: Session| -> anyhow::Result<()> {
        if json {
            writeln!(out, "{}", serde_json::to_string(&s)?)?;
            return Ok(());
        }
        let ip = s.framed_ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:<24} {:<16} {:<18} {:>10} {:>10} {:>10}",
            s.username,
            ip,
            s.calling_station_id.unwrap_or_default(),
            show_duration(u64::from(s.counters.session_time)),
            show_bytes(s.counters.bytes_in),
            show_bytes(s.counters.bytes_out)
        )?;
        Ok(())
    };
    // History is streamed from the table: it can hold millions of rows.
    if history {
        store.each_session_history(t.id, line)
    } else {
        store.tenant_active_sessions(t.id)?.into_iter().try_for_each(line)
    }
}

/// `lango init`: config file, data directory, key, a first tenant and a
/// platform admin with a generated password (printed once).
pub fn init(
    store: &Store,
    clock: &Clock,
    actor: &str,
    slug: &str,
    admin: &str,
    timezone: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let now = clock.now();
    let t = match store.tenant_by_slug(slug) {
        Ok(t) => t,
        Err(_) => {
            store.create_tenant(actor, now, crate::ops::tenants::new_tenant(slug, None, timezone, "KES", false))?
        }
    };
    if store.admin(0, admin)?.is_some() {
        bail!("admin {admin:?} already exists; nothing changed");
    }
    let password = crate::ops::secrets::password();
    store.create_admin(
        actor,
        now,
        Admin {
            tenant: 0,
            username: admin.into(),
            password_hash: crate::demo::hash_password(&password)?,
            role: Role::PlatformAdmin,
            created_at: now,
            reseller: None,
            totp: None,
            disabled: false,
        },
    )?;
    writeln!(out, "tenant {} ready (id {})", t.slug, t.id)?;
    writeln!(out, "platform admin {admin:?} created with password: {password}")?;
    writeln!(out, "(shown once; it is stored only as an argon2id hash)")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every option whose name says it carries a secret names an
    /// environment variable instead (`--password-env`): a value on a
    /// command line is readable in `ps` by every user of the machine.
    #[test]
    fn no_option_takes_a_secret_on_the_command_line() {
        fn walk(cmd: &clap::Command, path: &str, found: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let name = arg.get_id().as_str();
                let secretish = ["secret", "password", "passkey", "api_key", "token"].iter().any(|w| name.contains(w));
                let takes_value = arg.get_action().takes_values();
                if secretish && takes_value && !name.ends_with("_env") {
                    found.push(format!("{path} --{name}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), found);
            }
        }
        let mut found = Vec::new();
        walk(&super::ManageCli::command(), "lango", &mut found);
        assert!(found.is_empty(), "secrets on the command line: {found:?}");
        // The check sees such an option when there is one.
        let probe = clap::Command::new("probe").arg(clap::Arg::new("consumer_secret").long("consumer-secret"));
        let mut seen = Vec::new();
        walk(&probe, "probe", &mut seen);
        assert_eq!(seen, ["probe --consumer_secret"]);
    }
}
