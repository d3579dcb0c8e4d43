//! `lango notify setup` and `notify show`: the options of the settings
//! (over the stored ones; secrets read only from the environment variables
//! the `-env` options name) and the settings as printed, never a secret.

use clap::Args;
use std::io::Write;

use super::{Ctx, secret_var};
use crate::model::units::show_money;
use crate::model::*;
use crate::notify::template::{EVENTS, Event};
use crate::ops::notify::{self as notify_ops, SettingsInput, show_leads};
use crate::store::Store;

#[derive(Args, Debug)]
pub struct Setup {
    #[arg(long)]
    pub tenant: String,
    /// SMS gateway: off, africastalking, celcom, onfon or http.
    #[arg(long)]
    pub sms: Option<String>,
    /// Celcom / Onfon base URL (default: the provider's), or the HTTP gateway's URL template.
    #[arg(long)]
    pub sms_url: Option<String>,
    /// Celcom partner ID, Onfon client ID.
    #[arg(long)]
    pub sms_account: Option<String>,
    /// Environment variable holding the gateway's API key (HTTP: `{token}`).
    #[arg(long, value_name = "VAR")]
    pub sms_key_env: Option<String>,
    /// Environment variable holding Onfon's access key.
    #[arg(long, value_name = "VAR")]
    pub sms_access_key_env: Option<String>,
    /// Celcom shortcode, Onfon / HTTP sender ID.
    #[arg(long)]
    pub sms_sender: Option<String>,
    /// HTTP gateway: GET or POST.
    #[arg(long)]
    pub http_method: Option<String>,
    /// HTTP gateway: "Name: value", repeatable (replaces the stored ones).
    #[arg(long)]
    pub http_header: Vec<String>,
    /// HTTP gateway: the body template.
    #[arg(long)]
    pub http_body: Option<String>,
    /// HTTP gateway: text in the answer that means the message was taken.
    #[arg(long)]
    pub http_success: Option<String>,
    /// SMTP server for e-mail (none: no e-mail).
    #[arg(long)]
    pub smtp_host: Option<String>,
    #[arg(long)]
    pub smtp_port: Option<String>,
    /// starttls, tls or plain.
    #[arg(long)]
    pub smtp_security: Option<String>,
    #[arg(long)]
    pub smtp_username: Option<String>,
    /// Environment variable holding the SMTP password.
    #[arg(long, value_name = "VAR")]
    pub smtp_password_env: Option<String>,
    /// Sender: "Name <address>" or an address.
    #[arg(long)]
    pub smtp_from: Option<String>,
    /// Customer events to send, comma-separated, or all, or none: expiry_reminder, expired, payment_received,
    /// renewed, suspended, invoice_issued, ticket_answered.
    #[arg(long)]
    pub events: Option<String>,
    /// Quiet hours for scheduled messages: 21:00-08:00, or none.
    #[arg(long)]
    pub quiet: Option<String>,
    /// Messages per local day, all channels (0: none at all).
    #[arg(long)]
    pub daily_cap: Option<String>,
    /// en or sw, for customers without a preference.
    #[arg(long)]
    pub language: Option<String>,
    /// Reminder lead times before expiry: "3d, 1d".
    #[arg(long)]
    pub leads: Option<String>,
    /// Lead times for one plan, "Home 10M: 3d, 1d"; repeatable (replaces the stored ones).
    #[arg(long)]
    pub plan_leads: Vec<String>,
    #[arg(long)]
    pub operator_phone: Option<String>,
    #[arg(long)]
    pub operator_email: Option<String>,
    /// The customer page messages show as `{portal_url}`.
    #[arg(long)]
    pub portal_url: Option<String>,
    /// What one SMS part costs (the broadcast estimate): 0.80.
    #[arg(long)]
    pub sms_part_price: Option<String>,
    /// Tell the operator when the gateway's credit falls below this (0: never).
    #[arg(long)]
    pub low_credit: Option<String>,
}

/// Which template: an event in a language.
/// `none` or "" clears a value.
fn cleared(v: String) -> String {
    if v.trim() == "none" { String::new() } else { v }
}

/// The options given, over the stored settings.
pub(super) fn apply(ctx: &Ctx<'_>, i: &mut SettingsInput, a: Setup) -> anyhow::Result<()> {
    if let Some(kind) = a.sms {
        let kind = cleared(kind).trim().to_ascii_lowercase();
        // Another gateway: the old one's URL, account and sender do not carry over.
        if kind != i.sms {
            let method = "POST".to_string();
            (i.sms_url, i.sms_account, i.sms_sender, i.http_method) =
                (String::new(), String::new(), String::new(), method);
            (i.http_headers, i.http_body, i.http_success) = (String::new(), String::new(), String::new());
        }
        i.sms = kind;
    }
    let text_options = [
        (a.sms_url, &mut i.sms_url),
        (a.sms_account, &mut i.sms_account),
        (a.sms_sender, &mut i.sms_sender),
        (a.http_method, &mut i.http_method),
        (a.http_body, &mut i.http_body),
        (a.http_success, &mut i.http_success),
        (a.smtp_host, &mut i.smtp_host),
        (a.smtp_port, &mut i.smtp_port),
        (a.smtp_security, &mut i.smtp_security),
        (a.smtp_username, &mut i.smtp_username),
        (a.smtp_from, &mut i.smtp_from),
        (a.quiet, &mut i.quiet),
        (a.daily_cap, &mut i.daily_cap),
        (a.language, &mut i.language),
        (a.leads, &mut i.leads),
        (a.operator_phone, &mut i.operator_phone),
        (a.operator_email, &mut i.operator_email),
        (a.portal_url, &mut i.portal_url),
        (a.sms_part_price, &mut i.sms_part_price),
        (a.low_credit, &mut i.low_credit),
    ];
    for (given, field) in text_options {
        if let Some(v) = given {
            *field = cleared(v);
        }
    }
    if !a.http_header.is_empty() {
        i.http_headers = a.http_header.into_iter().map(cleared).collect::<Vec<_>>().join("\n");
    }
    if !a.plan_leads.is_empty() {
        i.plan_leads = a.plan_leads.into_iter().map(cleared).collect::<Vec<_>>().join("\n");
    }
    if let Some(events) = a.events {
        i.events = match events.trim() {
            "none" | "" => Vec::new(),
            "all" => EVENTS
                .into_iter()
                .filter(|e| e.optional() && *e != Event::Broadcast)
                .map(|e| e.as_str().to_string())
                .collect(),
            list => list.split(',').map(str::trim).filter(|e| !e.is_empty()).map(String::from).collect(),
        };
    }
    if let Some(var) = &a.sms_key_env {
        i.sms_key = Some(secret_var(ctx, var, "--sms-key-env")?);
    }
    if let Some(var) = &a.sms_access_key_env {
        i.sms_access_key = Some(secret_var(ctx, var, "--sms-access-key-env")?);
    }
    if let Some(var) = &a.smtp_password_env {
        i.smtp_password = Some(secret_var(ctx, var, "--smtp-password-env")?);
    }
    Ok(())
}

/// The settings as `notify show` prints them: never a secret, only whether one is stored.
pub(super) fn show_settings(
    store: &Store,
    t: &Tenant,
    s: &NotifySettings,
    set_up: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let i = notify_ops::input_of(store, t.id, s)?;
    let or_none = |v: &str| if v.trim().is_empty() { "none".to_string() } else { v.to_string() };
    let sms = match &s.sms {
        SmsGateway::Off => "off".to_string(),
        SmsGateway::AfricasTalking => "africastalking (the account of `lango sms setup`)".into(),
        SmsGateway::Celcom { .. } => {
            format!("celcom at {}, partner {}, shortcode {}, API key stored", i.sms_url, i.sms_account, i.sms_sender)
        }
        SmsGateway::Onfon { access_key, .. } => format!(
            "onfon at {}, client {}, sender {}, API key stored{}",
            i.sms_url,
            i.sms_account,
            i.sms_sender,
            if access_key.is_some() { ", access key stored" } else { "" }
        ),
        SmsGateway::Http { headers, .. } => {
            // Header values may carry a key: names only.
            let names = headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ");
            format!(
                "http {} {}, sender {}, headers: {}",
                i.http_method,
                i.sms_url,
                or_none(&i.sms_sender),
                or_none(&names)
            )
        }
    };
    let email = match &s.smtp {
        None => "off".to_string(),
        Some(m) => format!(
            "{}:{} {}, from {}{}",
            m.host,
            m.port,
            m.security.as_str(),
            m.from,
            m.username.as_ref().map_or(String::new(), |u| format!(", user {u}, password stored"))
        ),
    };
    let cap =
        if s.daily_cap == 0 { "0 (nothing is sent)".to_string() } else { format!("{} messages a day", s.daily_cap) };
    let operator = format!(
        "phone {}, e-mail {}",
        s.operator_phone.as_deref().unwrap_or("none"),
        s.operator_email.as_deref().unwrap_or("none")
    );
    let rows = [
        ("sms", sms),
        ("email", email),
        ("events", or_none(&s.events.join(", "))),
        ("quiet hours", or_none(&i.quiet)),
        ("daily cap", cap),
        ("language", s.language.clone()),
        ("leads", or_none(&show_leads(&s.leads))),
        ("plan leads", or_none(&i.plan_leads.replace('\n', "; "))),
        ("operator", operator),
        ("portal url", or_none(&s.portal_url)),
        ("sms part", format!("{} {}", t.currency, show_money(s.sms_part_price))),
        ("low credit", if s.low_credit == 0 { "no alert".into() } else { format!("alert below {}", s.low_credit) }),
    ];
    let state = if set_up { "" } else { " (not set up: the defaults)" };
    writeln!(out, "notifications for {}{state}", t.slug)?;
    for (k, v) in rows {
        writeln!(out, "{k:<12} {v}")?;
    }
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum SmsCmd {
    /// Africa's Talking credentials; the API key is read from an environment variable, never from the command line.
    Setup {
        #[arg(long)]
        tenant: String,
        /// live, sandbox, or the gateway's base URL.
        #[arg(long, default_value = "live")]
        env: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        api_key_env: String,
        /// Registered sender id.
        #[arg(long)]
        sender: Option<String>,
    },
}

/// `lango sms setup`: the tenant's Africa's Talking credentials, the key
/// read from the environment variable named.
pub fn sms(ctx: &Ctx<'_>, actor: &str, cmd: SmsCmd, out: &mut impl Write) -> anyhow::Result<()> {
    use anyhow::Context;
    let SmsCmd::Setup { tenant, env, username, api_key_env, sender } = cmd;
    let (store, clock) = (ctx.store, ctx.clock);
    let t = store.tenant_by_slug(&tenant)?;
    let key = ctx
        .var(&api_key_env)
        .with_context(|| format!("environment variable {api_key_env} (--api-key-env) is not set"))?;
    let input = crate::ops::sms::SmsInput { env, username, api_key: Some(key), sender };
    let s = crate::ops::sms::save(store, actor, clock.now(), t.id, &input).map_err(|problems| {
        anyhow::anyhow!("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    })?;
    writeln!(out, "SMS for {tenant}: Africa's Talking at {} as {}", s.base_url, s.username)?;
    Ok(())
}
