//! Integrations: `lango webhook add|list|log` (outgoing signed events) and
//! `lango api-token create` (REST API tokens).

use clap::Subcommand;
use std::io::Write;

use crate::clock::Clock;
use crate::ops;
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    /// A new endpoint; prints its signing secret once.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        url: String,
        /// Events to send (default: all): payment.received, invoice.issued,
        /// service.activated, service.expired, service.suspended,
        /// voucher.redeemed, session.started, session.stopped, router.down,
        /// router.up.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
    },
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Every delivery attempt, oldest first.
    Log {
        #[arg(long)]
        tenant: String,
    },
    /// Stop sending to an endpoint (its queued deliveries wait).
    Disable {
        #[arg(long)]
        tenant: String,
        id: u64,
    },
    /// Send to an endpoint again, from now on.
    Enable {
        #[arg(long)]
        tenant: String,
        id: u64,
    },
    /// Delete an endpoint and what is queued for it.
    Delete {
        #[arg(long)]
        tenant: String,
        id: u64,
    },
    /// Send one logged event to an endpoint again (same Lango-Delivery id).
    Resend {
        #[arg(long)]
        tenant: String,
        id: u64,
        /// The event id, as `webhook log` shows it.
        #[arg(long)]
        event: String,
    },
}

pub fn run(store: &Store, clock: &Clock, actor: &str, cmd: WebhookCmd, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        WebhookCmd::Add { tenant, url, events } => {
            let t = store.tenant_by_slug(&tenant)?;
            let events = events.into_iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect();
            let (ep, secret) = store.add_webhook(actor, clock.now(), t.id, &url, events)?;
            writeln!(out, "webhook {} → {}", ep.id, ep.url)?;
            writeln!(out, "secret {secret}")?;
        }
        WebhookCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "{:<8} {:<8} {:<48} EVENTS", "ID", "STATE", "URL")?;
            for e in store.webhooks(t.id)? {
                let events = if e.events.is_empty() { "all".to_string() } else { e.events.join(",") };
                let state = if e.enabled { "on" } else { "off" };
                writeln!(out, "{:<8} {:<8} {:<48} {events}", e.id, state, e.url)?;
            }
        }
        WebhookCmd::Disable { ref tenant, id } | WebhookCmd::Enable { ref tenant, id } => {
            let on = matches!(cmd, WebhookCmd::Enable { .. });
            let t = store.tenant_by_slug(tenant)?;
            let ep = ops::webhooks::set_enabled(store, actor, clock.now(), t.id, id, on)?;
            writeln!(out, "webhook {} {}", ep.id, if ep.enabled { "on" } else { "off" })?;
        }
        WebhookCmd::Delete { tenant, id } => {
            let t = store.tenant_by_slug(&tenant)?;
            let ep = ops::webhooks::delete(store, actor, clock.now(), t.id, id)?;
            writeln!(out, "webhook {} deleted ({})", ep.id, ep.url)?;
        }
        WebhookCmd::Resend { tenant, id, event } => {
            let t = store.tenant_by_slug(&tenant)?;
            let d = ops::webhooks::resend(store, actor, clock.now(), t.id, id, &event)?;
            writeln!(out, "{} {} queued for webhook {}", d.event, d.event_id, d.endpoint)?;
        }
        WebhookCmd::Log { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(
                out,
                "{:<12} {:<8} {:<20} {:<18} {:<7} {:<6} OUTCOME",
                "AT", "WEBHOOK", "EVENT", "ID", "TRY", "HTTP"
            )?;
            for l in store.webhook_log(t.id)? {
                let status = l.status.map_or_else(|| "-".to_string(), |s| s.to_string());
                let outcome = match &l.error {
                    Some(e) => format!("{} ({e})", l.outcome),
                    None => l.outcome.clone(),
                };
                writeln!(
                    out,
                    "{:<12} {:<8} {:<20} {:<18} {:<7} {:<6} {outcome}",
                    l.at, l.endpoint, l.event, l.event_id, l.attempt, status
                )?;
            }
        }
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum ApiTokenCmd {
    /// A token for the REST API (/api/v1), printed once.
    Create {
        #[arg(long)]
        tenant: String,
        /// What it is for ("crm", "billing-sync").
        #[arg(long)]
        name: String,
        /// tenant-admin, operator, cashier, read-only or reseller.
        #[arg(long, default_value = "read-only")]
        role: String,
        /// For the reseller role: the reseller admin's username; the token
        /// sees and changes only that reseller's customers.
        #[arg(long)]
        reseller: Option<String>,
        /// Accept the token only from this address or ADDR/PREFIX
        /// (repeatable, or comma-separated); default: from anywhere.
        #[arg(long)]
        allow: Vec<String>,
    },
    /// A tenant's tokens: id, name, role, created, last used, scope.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a token by the id `list` shows; it stops working at once.
    Revoke {
        #[arg(long)]
        tenant: String,
        id: String,
    },
}

pub fn api_token(
    store: &Store,
    clock: &Clock,
    actor: &str,
    cmd: ApiTokenCmd,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    use crate::ops::api_tokens;
    match cmd {
        ApiTokenCmd::Create { tenant, name, role, reseller, allow } => {
            let t = store.tenant_by_slug(&tenant)?;
            let input =
                api_tokens::TokenInput { name, role, reseller: reseller.unwrap_or_default(), allow: allow.join(",") };
            let token = api_tokens::create(store, actor, clock.now(), t.id, &input)?;
            writeln!(out, "{token}")?;
        }
        ApiTokenCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "{:<17} {:<24} {:<13} {:<22} {:<22} SCOPE", "ID", "NAME", "ROLE", "CREATED", "LAST USED")?;
            for r in store.api_tokens(t.id)? {
                let when = |at: Option<i64>| crate::ops::time::show_time(&t, at, false);
                writeln!(
                    out,
                    "{:<17} {:<24} {:<13} {:<22} {:<22} {}",
                    r.id,
                    r.token.name,
                    r.token.role.as_str(),
                    when(Some(r.token.created_at)),
                    when(r.last_used),
                    api_tokens::scope(store, &r.token)
                )?;
            }
        }
        ApiTokenCmd::Revoke { tenant, id } => {
            let t = store.tenant_by_slug(&tenant)?;
            let gone = api_tokens::revoke(store, actor, clock.now(), t.id, &id)?;
            writeln!(out, "token {} ({}) revoked", id, gone.name)?;
        }
    }
    Ok(())
}
