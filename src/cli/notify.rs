//! `lango notify ...`: customers' SMS and e-mail from the command line — the settings (secrets only ever read
//! from environment variables), the templates with a preview for one customer, a customer's preferences, the
//! delivery log with retries, a test message, and broadcasts with their reach and cost. The checks live in
//! `ops::notify`; this file parses options and prints.

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use std::io::Write;

use super::Ctx;
use crate::model::units::show_money;
use crate::model::*;
use crate::notify::parts::Parts;
use crate::notify::template::{EVENTS, Event, LANGUAGES, Template};
use crate::ops::OpError;
use crate::ops::notify as notify_ops;
use crate::ops::time::show_time;
use crate::store::{Audience, Store, StoreError};

#[derive(Subcommand, Debug)]
pub enum NotifyCmd {
    /// Set the gateway, SMTP server, events, quiet hours, cap, reminder lead times and operator contacts.
    /// Options left out keep their stored value; `none` (or "") clears one. Secrets come only from the
    /// environment variables the `-env` options name.
    Setup(Box<super::notify_setup::Setup>),
    /// The settings, without secrets.
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Message wording per event and language.
    #[command(subcommand)]
    Template(TemplateCmd),
    /// A customer's language and what they agreed to receive; with no change options, shows them.
    Prefs(PrefsArgs),
    /// Messages, newest first, with their attempts.
    Log {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        customer: Option<Id>,
        /// queued, sent, delivered, failed, cancelled or held.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Send a failed or held message again.
    Retry {
        #[arg(long)]
        tenant: String,
        id: Id,
    },
    /// Queue a test message to any phone or address.
    Test {
        #[arg(long)]
        tenant: String,
        /// sms or email.
        #[arg(long)]
        channel: String,
        /// A Kenyan mobile number or an e-mail address.
        #[arg(long)]
        to: String,
        #[arg(long)]
        text: Option<String>,
    },
    /// One message to many customers: prints the reach and cost, then queues it (unless --dry-run).
    Broadcast(Box<BroadcastArgs>),
}

#[derive(Args, Debug)]
pub struct Which {
    #[arg(long)]
    pub tenant: String,
    /// expiry_reminder, expired, payment_received, renewed, suspended, invoice_issued, ticket_answered,
    /// broadcast, unmatched_payment, cap_reached.
    #[arg(long)]
    pub event: String,
    /// en or sw.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

#[derive(Subcommand, Debug)]
pub enum TemplateCmd {
    /// Every event in every language: the tenant's own wording or the default.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// The wording in force and the variables it may use.
    Show(Which),
    /// Store the tenant's wording; unknown variables are refused. A part left out keeps the wording in force.
    Set {
        #[command(flatten)]
        which: Which,
        /// Used for e-mail only.
        #[arg(long)]
        subject: Option<String>,
        #[arg(long)]
        body: Option<String>,
    },
    /// Go back to the shipped wording.
    Reset(Which),
    /// The wording (stored, or the one given) filled in for a customer, with its SMS size.
    Preview {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        customer: Id,
        #[arg(long)]
        subject: Option<String>,
        #[arg(long)]
        body: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct PrefsArgs {
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub customer: Id,
    /// en, sw, or default (the tenant's language).
    #[arg(long)]
    pub language: Option<String>,
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub sms: Option<bool>,
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub email: Option<bool>,
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub marketing_sms: Option<bool>,
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub marketing_email: Option<bool>,
}

#[derive(Args, Debug)]
pub struct BroadcastArgs {
    #[arg(long)]
    pub tenant: String,
    /// The message; it may use the customer variables ({name}, {plan}, ...).
    #[arg(long)]
    pub text: String,
    /// sms or email.
    #[arg(long, default_value = "sms")]
    pub channel: String,
    /// Only customers with a service on this plan (name or id).
    #[arg(long)]
    pub plan: Option<String>,
    /// Only customers online at this router now (name or id).
    #[arg(long)]
    pub router: Option<String>,
    /// active, expired or suspended.
    #[arg(long)]
    pub state: Option<String>,
    /// Marketing: only customers who agreed to receive it.
    #[arg(long)]
    pub marketing: bool,
    /// Print the reach and cost; queue nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl NotifyCmd {
    /// The environment variables the command reads secrets from.
    pub fn secret_envs(&self) -> Vec<&str> {
        match self {
            NotifyCmd::Setup(a) => [&a.sms_key_env, &a.sms_access_key_env, &a.smtp_password_env]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn on_off(s: &str) -> Result<bool, String> {
    match s.trim() {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err(format!("{s:?}: on or off")),
    }
}

fn show_on(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// Field errors one per line, each named by this command's option.
fn problems(p: Vec<OpError>) -> anyhow::Error {
    let line = |e: &OpError| match e.about() {
        Some((field, message)) => {
            let option = match field {
                "sms_key" | "sms_access_key" | "smtp_password" => format!("{field}_env"),
                "http_headers" => "http_header".into(),
                f => f.into(),
            };
            format!("--{}: {message}", option.replace('_', "-"))
        }
        None => e.to_string(),
    };
    anyhow!("{}", p.iter().map(line).collect::<Vec<_>>().join("\n"))
}

fn event_of(s: &str) -> anyhow::Result<Event> {
    Event::parse(s.trim())
        .with_context(|| format!("--event {s:?}: choose one of {}", EVENTS.map(Event::as_str).join(", ")))
}

fn lang_of(s: &str) -> anyhow::Result<&'static str> {
    match LANGUAGES.iter().find(|l| **l == s.trim()) {
        Some(l) => Ok(l),
        None => bail!("--lang {s:?}: en or sw"),
    }
}

fn channel_of(s: &str) -> anyhow::Result<Channel> {
    match s.trim() {
        "sms" => Ok(Channel::Sms),
        "email" | "e-mail" => Ok(Channel::Email),
        _ => bail!("--channel {s:?}: sms or email"),
    }
}

fn customer_of(store: &Store, t: &Tenant, id: Id) -> anyhow::Result<Customer> {
    store.customer_for(t.id, None, id)?.with_context(|| format!("customer {id} not found in tenant {}", t.slug))
}

/// "1 part (GSM-7, 96 characters)".
fn show_parts(p: Parts) -> String {
    let plural = if p.parts == 1 { "" } else { "s" };
    format!("{} part{plural} ({}, {} characters)", p.parts, if p.unicode { "Unicode" } else { "GSM-7" }, p.units)
}

pub fn run(ctx: &Ctx<'_>, actor: &str, cmd: NotifyCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, now) = (ctx.store, ctx.clock.now());
    match cmd {
        NotifyCmd::Setup(a) => {
            let t = store.tenant_by_slug(&a.tenant)?;
            let stored = store.notify_settings(t.id)?.unwrap_or_default();
            let mut i = notify_ops::input_of(store, t.id, &stored)?;
            super::notify_setup::apply(ctx, &mut i, *a)?;
            let s = notify_ops::save_settings(store, actor, now, t.id, &i).map_err(problems)?;
            writeln!(out, "notification settings saved")?;
            super::notify_setup::show_settings(store, &t, &s, true, out)?;
        }
        NotifyCmd::Show { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            let stored = store.notify_settings(t.id)?;
            let set_up = stored.is_some();
            super::notify_setup::show_settings(store, &t, &stored.unwrap_or_default(), set_up, out)?;
        }
        NotifyCmd::Template(c) => template(ctx, actor, c, out)?,
        NotifyCmd::Prefs(a) => prefs(ctx, actor, a, out)?,
        NotifyCmd::Log { tenant, customer, status, limit } => {
            let t = store.tenant_by_slug(&tenant)?;
            let parse = |s: String| {
                let why = || format!("--status {s:?}: queued, sent, delivered, failed, cancelled or held");
                MsgStatus::parse(s.trim()).with_context(why)
            };
            let status = status.map(parse).transpose()?;
            writeln!(
                out,
                "{:<8} {:<21} {:<6} {:<28} {:<18} {:<10} {:>5} LAST",
                "ID", "TIME", "CHAN", "TO", "EVENT", "STATUS", "TRIES"
            )?;
            for m in store.messages(t.id, customer, status, limit)? {
                let last = m.attempts.last().map_or("-", |a| a.detail.as_str());
                writeln!(
                    out,
                    "{:<8} {:<21} {:<6} {:<28} {:<18} {:<10} {:>5} {}",
                    m.id,
                    show_time(&t, Some(m.created_at), false),
                    m.channel.as_str(),
                    m.to,
                    m.event,
                    m.status.as_str(),
                    m.attempts.len(),
                    last.lines().next().unwrap_or_default()
                )?;
            }
        }
        NotifyCmd::Retry { tenant, id } => {
            let t = store.tenant_by_slug(&tenant)?;
            let m = store.retry_message(actor, now, t.id, id)?;
            writeln!(out, "message {} queued again ({} to {})", m.id, m.channel.as_str(), m.to)?;
        }
        NotifyCmd::Test { tenant, channel, to, text } => {
            let t = store.tenant_by_slug(&tenant)?;
            let channel = channel_of(&channel)?;
            let text = text.unwrap_or_else(|| format!("Test message from {}: notifications work.", t.name));
            let id = store.queue_test(actor, now, t.id, channel, &to, &text).map_err(|e| match e {
                StoreError::Invalid(m) => anyhow!("--to: {m}"),
                e => e.into(),
            })?;
            let m = store.message(t.id, id)?.context("the queued message is gone")?;
            writeln!(out, "message {id} queued ({} to {})", channel.as_str(), m.to)?;
            let s = store.notify_settings(t.id)?.unwrap_or_default();
            let missing = match channel {
                Channel::Sms => (s.sms == SmsGateway::Off).then_some("no SMS gateway is set up"),
                Channel::Email => s.smtp.is_none().then_some("no SMTP server is set up"),
            };
            if let Some(why) = missing {
                writeln!(out, "note: {why}, so it will fail (see `lango notify setup`)")?;
            }
            writeln!(
                out,
                "the sender job sends it within seconds; `lango notify log --tenant {tenant}` shows the result"
            )?;
        }
        NotifyCmd::Broadcast(a) => broadcast(ctx, actor, *a, out)?,
    }
    Ok(())
}

fn template(ctx: &Ctx<'_>, actor: &str, cmd: TemplateCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, now) = (ctx.store, ctx.clock.now());
    let show = |t: &Tenant, event: Event, lang: &str, out: &mut dyn Write| -> anyhow::Result<()> {
        let (tpl, own) = notify_ops::template(store, t.id, event, lang)?;
        writeln!(out, "{} ({lang}): {}", event.as_str(), if own { "custom" } else { "default" })?;
        writeln!(out, "subject:   {}", tpl.subject)?;
        writeln!(out, "body:      {}", tpl.body)?;
        let vars = event.variables().iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(" ");
        writeln!(out, "variables: {vars}")?;
        Ok(())
    };
    match cmd {
        TemplateCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "{:<18} {:<4} {:<8} ABOUT", "EVENT", "LANG", "WORDING")?;
            for event in EVENTS {
                for lang in LANGUAGES {
                    let own = store.notify_template(t.id, event, lang)?.is_some();
                    let wording = if own { "custom" } else { "default" };
                    writeln!(out, "{:<18} {lang:<4} {wording:<8} {}", event.as_str(), event.title())?;
                }
            }
        }
        TemplateCmd::Show(w) => {
            let t = store.tenant_by_slug(&w.tenant)?;
            show(&t, event_of(&w.event)?, lang_of(&w.lang)?, out)?;
        }
        TemplateCmd::Set { which: w, subject, body } => {
            let t = store.tenant_by_slug(&w.tenant)?;
            let (event, lang) = (event_of(&w.event)?, lang_of(&w.lang)?);
            if subject.is_none() && body.is_none() {
                bail!("give --subject, --body or both");
            }
            let (current, _) = notify_ops::template(store, t.id, event, lang)?;
            let tpl = Template { subject: subject.unwrap_or(current.subject), body: body.unwrap_or(current.body) };
            notify_ops::save_template(store, actor, now, t.id, event, lang, Some(&tpl)).map_err(problems)?;
            writeln!(out, "template saved")?;
            show(&t, event, lang, out)?;
        }
        TemplateCmd::Reset(w) => {
            let t = store.tenant_by_slug(&w.tenant)?;
            let (event, lang) = (event_of(&w.event)?, lang_of(&w.lang)?);
            notify_ops::save_template(store, actor, now, t.id, event, lang, None).map_err(problems)?;
            writeln!(out, "template reset to the default")?;
            show(&t, event, lang, out)?;
        }
        TemplateCmd::Preview { which: w, customer, subject, body } => {
            let t = store.tenant_by_slug(&w.tenant)?;
            let (event, lang) = (event_of(&w.event)?, lang_of(&w.lang)?);
            let c = customer_of(store, &t, customer)?;
            let (current, _) = notify_ops::template(store, t.id, event, lang)?;
            let tpl = Template { subject: subject.unwrap_or(current.subject), body: body.unwrap_or(current.body) };
            notify_ops::check_template(event, &tpl).map_err(problems)?;
            let p = notify_ops::preview(store, t.id, c.id, event, lang, &tpl)?;
            writeln!(out, "{} ({lang}) for customer {} ({})", event.as_str(), c.id, c.name)?;
            writeln!(out, "subject: {}", p.subject)?;
            writeln!(out, "text:    {}", p.text)?;
            writeln!(out, "sms:     {}", show_parts(p.parts))?;
        }
    }
    Ok(())
}

fn prefs(ctx: &Ctx<'_>, actor: &str, a: PrefsArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let store = ctx.store;
    let t = store.tenant_by_slug(&a.tenant)?;
    let c = customer_of(store, &t, a.customer)?;
    let mut p = store.prefs(t.id, c.id)?;
    let changes = [
        (a.sms, &mut p.sms),
        (a.email, &mut p.email),
        (a.marketing_sms, &mut p.marketing_sms),
        (a.marketing_email, &mut p.marketing_email),
    ];
    let mut changed = false;
    for (given, field) in changes {
        if let Some(v) = given {
            (*field, changed) = (v, true);
        }
    }
    if let Some(l) = &a.language {
        p.language = match l.trim() {
            "default" | "none" | "" => None,
            l => Some(lang_of(l).map_err(|_| anyhow!("--language {l:?}: en, sw or default"))?.to_string()),
        };
        changed = true;
    }
    if changed {
        store.set_prefs(actor, ctx.clock.now(), t.id, c.id, &p)?;
        p = store.prefs(t.id, c.id)?;
        writeln!(out, "preferences saved")?;
    }
    let tenant_lang = store.notify_settings(t.id)?.unwrap_or_default().language;
    let language = p.language.clone().unwrap_or_else(|| format!("default ({tenant_lang})"));
    let when = if p.changed_by.is_empty() {
        "never (the defaults)".to_string()
    } else {
        format!("{} by {}", show_time(&t, Some(p.changed_at), false), p.changed_by)
    };
    writeln!(out, "customer {} ({})", c.id, c.name)?;
    writeln!(out, "{:<16} {language}", "language")?;
    writeln!(out, "{:<16} {}", "sms", show_on(p.sms))?;
    writeln!(out, "{:<16} {}", "email", show_on(p.email))?;
    writeln!(out, "{:<16} {}", "marketing sms", show_on(p.marketing_sms))?;
    writeln!(out, "{:<16} {}", "marketing email", show_on(p.marketing_email))?;
    writeln!(out, "{:<16} {when}", "changed")?;
    Ok(())
}

fn broadcast(ctx: &Ctx<'_>, actor: &str, a: BroadcastArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, now) = (ctx.store, ctx.clock.now());
    let t = store.tenant_by_slug(&a.tenant)?;
    let channel = channel_of(&a.channel)?;
    let plan = a.plan.as_deref().map(|p| store.plan_by_name(t.id, p)).transpose()?.map(|p| p.id);
    let nas = match a.router.as_deref() {
        Some(r) => Some(
            store
                .all_nas()?
                .into_iter()
                .find(|n| n.tenant == t.id && (n.name == r || n.id.to_string() == r))
                .with_context(|| format!("--router: no router named {r:?} in tenant {}", t.slug))?
                .id,
        ),
        None => None,
    };
    let state = match a.state.as_deref().map(str::trim) {
        None | Some("all") => None,
        Some(s @ ("active" | "expired" | "suspended")) => Some(s.to_string()),
        Some(s) => bail!("--state {s:?}: active, expired or suspended"),
    };
    let audience = Audience { plan, nas, state };
    // The same check the queueing does, so a dry run tells the truth.
    let bad = crate::notify::template::unknown(Event::Expired, &a.text);
    if !bad.is_empty() {
        bail!("--text: Unknown variable {{{}}}", bad.join("}, {"));
    }
    let r = notify_ops::broadcast_reach(store, now, t.id, &audience, channel, &a.text, a.marketing)?;
    let cost = format!("{} {}", t.currency, show_money(r.cost));
    match channel {
        Channel::Sms => writeln!(
            out,
            "reach: {} customers, {} messages, {} SMS parts, cost {cost}",
            r.customers, r.messages, r.parts
        )?,
        Channel::Email => writeln!(out, "reach: {} customers, {} e-mails", r.customers, r.messages)?,
    }
    if a.dry_run {
        writeln!(out, "dry run: nothing queued")?;
        return Ok(());
    }
    let queued = notify_ops::broadcast(store, actor, now, t.id, &audience, channel, &a.text, a.marketing)
        .map_err(|e| problems(vec![e]))?;
    writeln!(out, "queued {queued} messages")?;
    Ok(())
}
