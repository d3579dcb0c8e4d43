//! What makes a message: changes in the audit log (payments, renewals,
//! expiry, suspension, invoices, ticket answers), read after a per-tenant
//! cursor and turned into messages in the same transaction that moves the
//! cursor, so each change is announced exactly once, even across crashes;
//! the reminder pass, keyed by (service, expiry, lead time) so a missed
//! run catches up instead of skipping and a renewal makes a new key; and
//! broadcasts.

use super::secret::SecretBox;
use std::collections::BTreeMap;

use redb::{ReadableTable, WriteTransaction};

use super::codec::decode;
use super::notify::{Draft, cursor_key, queue};
use super::tables::*;
use super::{Store, StoreError, audit, get, record};
use crate::billing::Mode;
use crate::model::*;
use crate::notify::schedule;
use crate::notify::template::Event;

/// Which customers a broadcast goes to.
#[derive(Clone, Debug, Default)]
pub struct Audience {
    pub plan: Option<Id>,
    /// Customers with a session online at this router now.
    pub nas: Option<Id>,
    /// `active`, `expired` or `suspended`; None: everyone.
    pub state: Option<String>,
}

/// The variables every customer message offers, for `customer` and the
/// service the message is about (or the customer's first).
pub(crate) fn customer_vars(
    tx: &WriteTransaction,
    s: &NotifySettings,
    c: &Customer,
    service: Option<&Service>,
) -> Result<BTreeMap<&'static str, String>, StoreError> {
    let tenant: Tenant =
        get(&tx.open_table(TENANTS)?, c.tenant)?.ok_or_else(|| StoreError::NotFound(format!("tenant {}", c.tenant)))?;
    let zone = crate::clock::Clock::zone(&tenant.timezone);
    let first;
    let svc = match service {
        Some(s) => Some(s),
        None => {
            let id = tx
                .open_table(SERVICE_BY_CUSTOMER)?
                .range((c.tenant, c.id, 0)..=(c.tenant, c.id, u64::MAX))?
                .next()
                .transpose()?
                .map(|(k, _)| k.value().2);
            first = match id {
                Some(id) => get::<_, Service>(&tx.open_table(SERVICES)?, (c.tenant, id))?,
                None => None,
            };
            first.as_ref()
        }
    };
    let plan: Option<Plan> = match svc {
        Some(sv) => get(&tx.open_table(PLANS)?, (c.tenant, sv.plan))?,
        None => None,
    };
    let billing: TenantBilling = get(&tx.open_table(TENANT_BILLING)?, c.tenant)?.unwrap_or_default();
    let paybill = billing.mpesa.map(|m| m.till.unwrap_or(m.shortcode)).unwrap_or_default();
    let balance = tx.open_table(BALANCES)?.get((c.tenant, c.id))?.map_or(0, |v| v.value());
    let mut v = BTreeMap::new();
    v.insert("name", c.name.split_whitespace().next().unwrap_or(&c.name).to_string());
    v.insert("account", svc.map_or_else(|| c.id.to_string(), |s| s.username.clone()));
    v.insert("plan", plan.map(|p| p.name).unwrap_or_default());
    v.insert("expiry", svc.and_then(|s| s.expires_at).map(|e| schedule::show(e, &zone)).unwrap_or_default());
    v.insert("balance", money(&tenant, balance));
    v.insert("paybill", paybill);
    v.insert("portal_url", s.portal_url.clone());
    v.insert("operator", tenant.name);
    Ok(v)
}

pub(crate) fn money(t: &Tenant, minor: i64) -> String {
    format!("{} {}", t.currency, units::show_money(minor))
}

fn service(tx: &WriteTransaction, tenant: TenantId, id: Id) -> Result<Option<Service>, StoreError> {
    get(&tx.open_table(SERVICES)?, (tenant, id))
}

fn customer(
    secrets: &SecretBox,
    tx: &WriteTransaction,
    tenant: TenantId,
    id: Id,
) -> Result<Option<Customer>, StoreError> {
    super::personal::get_open(secrets, &tx.open_table(CUSTOMERS)?, (tenant, id))
}

pub(super) fn draft<'a>(
    tenant: TenantId,
    c: Option<&'a Customer>,
    event: Event,
    vars: BTreeMap<&'static str, String>,
    now: UnixTime,
) -> Draft<'a> {
    Draft {
        tenant,
        customer: c,
        event,
        vars,
        lead: None,
        marketing: false,
        attach: None,
        service: None,
        expiry: None,
        not_before: now,
        only: None,
    }
}

/// The newest of the tenant's last documents that `wanted` picks.
fn recent_doc(
    tx: &WriteTransaction,
    tenant: TenantId,
    wanted: impl Fn(&Invoice) -> bool,
) -> Result<Option<Invoice>, StoreError> {
    for row in tx.open_table(INVOICES)?.range((tenant, 0)..=(tenant, u64::MAX))?.rev().take(64) {
        let doc: Invoice = decode(row?.1.value())?;
        if wanted(&doc) {
            return Ok(Some(doc));
        }
    }
    Ok(None)
}

/// The messages one audit record makes, written in `tx`. `next` is the
/// record after it (a payment's renewal follows it in the same
/// transaction), `prev` the one before (a renewal paid by that payment
/// is announced by the payment's message).
#[allow(clippy::too_many_arguments, reason = "a record, its neighbours and where it goes")]
fn on_record(
    secrets: &SecretBox,
    tx: &WriteTransaction,
    s: &NotifySettings,
    tenant: TenantId,
    rec: &AuditRecord,
    prev: Option<&AuditRecord>,
    next: Option<&AuditRecord>,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let t: Tenant =
        get(&tx.open_table(TENANTS)?, tenant)?.ok_or_else(|| StoreError::NotFound(format!("tenant {tenant}")))?;
    let (kind, id) = rec.object.split_once('/').unwrap_or(("", ""));
    let id: Id = id.parse().unwrap_or(0);
    let on = |e: Event| s.sends(e.as_str());
    let made = match rec.action.as_str() {
        "payment.received" => {
            // The payment itself (the audit record's copy has the number masked).
            let Some(p) = super::personal::get_open::<_, Payment>(secrets, &tx.open_table(PAYMENTS)?, (tenant, id))?
            else {
                return Ok(0);
            };
            match p.customer {
                None => {
                    let vars = BTreeMap::from([
                        ("amount", money(&t, p.amount)),
                        ("receipt", p.reference.clone()),
                        ("phone", p.phone.clone().unwrap_or_default()),
                        ("reference", p.account.clone().unwrap_or_default()),
                        ("operator", t.name.clone()),
                    ]);
                    queue(secrets, tx, s, draft(tenant, None, Event::UnmatchedPayment, vars, now), now)?.len()
                }
                Some(cid) if on(Event::PaymentReceived) => {
                    let Some(c) = customer(secrets, tx, tenant, cid)? else { return Ok(0) };
                    let renewed = next
                        .filter(|n| n.action == "service.renew" && n.at == rec.at)
                        .and_then(|n| n.object.strip_prefix("service/")?.parse::<Id>().ok());
                    let svc = match renewed {
                        Some(sid) => service(tx, tenant, sid)?,
                        None => None,
                    };
                    let mut vars = customer_vars(tx, s, &c, svc.as_ref())?;
                    vars.insert("amount", money(&t, p.amount));
                    vars.insert("receipt", p.reference.clone());
                    let mut d = draft(tenant, Some(&c), Event::PaymentReceived, vars, now);
                    // The e-mail carries the payment's receipt.
                    d.attach = recent_doc(tx, tenant, |doc| doc.payment == Some(p.id))?.map(|doc| doc.id);
                    queue(secrets, tx, s, d, now)?.len()
                }
                Some(_) => 0,
            }
        }
        "service.renew" if on(Event::Renewed) => {
            if prev.is_some_and(|p| p.action == "payment.received" && p.at == rec.at) {
                return Ok(0);
            }
            let Some(svc) = service(tx, tenant, id)? else { return Ok(0) };
            let Some(c) = customer(secrets, tx, tenant, svc.customer)? else { return Ok(0) };
            let mut vars = customer_vars(tx, s, &c, Some(&svc))?;
            let receipt = recent_doc(tx, tenant, |d| d.service == Some(svc.id) && d.kind == DocKind::Receipt)?;
            vars.insert("amount", receipt.as_ref().map(|r| money(&t, r.gross)).unwrap_or_default());
            vars.insert("receipt", receipt.as_ref().map(|r| r.number.clone()).unwrap_or_default());
            let mut d = draft(tenant, Some(&c), Event::Renewed, vars, now);
            d.attach = receipt.map(|r| r.id);
            queue(secrets, tx, s, d, now)?.len()
        }
        "service.expired" | "service.suspend_overdue" | "service.status" => {
            let event = match rec.action.as_str() {
                "service.expired" => Event::Expired,
                "service.status" if !rec.after.as_deref().unwrap_or_default().contains("\"status\":\"Suspended\"") => {
                    return Ok(0);
                }
                _ => Event::Suspended,
            };
            if !on(event) {
                return Ok(0);
            }
            let Some(svc) = service(tx, tenant, id)? else { return Ok(0) };
            let Some(c) = customer(secrets, tx, tenant, svc.customer)? else { return Ok(0) };
            let vars = customer_vars(tx, s, &c, Some(&svc))?;
            let mut d = draft(tenant, Some(&c), event, vars, now);
            if event == Event::Expired {
                // Not worth saying once the customer has renewed.
                (d.service, d.expiry) = (Some(svc.id), svc.expires_at);
            }
            queue(secrets, tx, s, d, now)?.len()
        }
        "service.quota_80" | "service.quota_used" | "service.fup" => {
            let event = match rec.action.as_str() {
                "service.quota_80" => Event::Quota80,
                "service.quota_used" => Event::QuotaUsed,
                _ => Event::FupDrop,
            };
            if !on(event) {
                return Ok(0);
            }
            let Some(svc) = service(tx, tenant, id)? else { return Ok(0) };
            let Some(c) = customer(secrets, tx, tenant, svc.customer)? else { return Ok(0) };
            let Some(plan) = get::<_, Plan>(&tx.open_table(PLANS)?, (tenant, svc.plan))? else { return Ok(0) };
            let mut vars = customer_vars(tx, s, &c, Some(&svc))?;
            let used: u64 = rec.after.as_deref().and_then(|u| u.parse().ok()).unwrap_or_default();
            vars.insert("used", units::show_bytes(used));
            vars.insert("quota", plan.quota_bytes.map(units::show_bytes).unwrap_or_default());
            vars.insert("rate", plan.fup.map(|f| f.rate.to_string()).unwrap_or_default());
            queue(secrets, tx, s, draft(tenant, Some(&c), event, vars, now), now)?.len()
        }
        "nas.down" | "nas.up" | "nas.alert" | "nas.alert_resolved" => {
            let event = match rec.action.as_str() {
                "nas.down" => Event::RouterDown,
                "nas.up" => Event::RouterUp,
                _ => Event::RouterAlert,
            };
            let Some(router) = get::<_, Nas>(&tx.open_table(NAS)?, (tenant, id))? else { return Ok(0) };
            let vars = BTreeMap::from([
                ("router", router.name),
                ("message", rec.after.clone().unwrap_or_default()),
                ("operator", t.name.clone()),
            ]);
            queue(secrets, tx, s, draft(tenant, None, event, vars, now), now)?.len()
        }
        "invoice.issue" if kind == "invoice" && on(Event::InvoiceIssued) => {
            let Some(doc) = get::<_, Invoice>(&tx.open_table(INVOICES)?, (tenant, id))? else { return Ok(0) };
            let Some(c) = customer(secrets, tx, tenant, doc.customer)? else { return Ok(0) };
            let svc = match doc.service {
                Some(sid) => service(tx, tenant, sid)?,
                None => None,
            };
            let zone = crate::clock::Clock::zone(&t.timezone);
            let mut vars = customer_vars(tx, s, &c, svc.as_ref())?;
            vars.insert("invoice", doc.number.clone());
            vars.insert("amount", money(&t, doc.gross));
            vars.insert("due", doc.due_at.map(|d| schedule::show(d, &zone)).unwrap_or_default());
            let mut d = draft(tenant, Some(&c), Event::InvoiceIssued, vars, now);
            d.attach = Some(doc.id);
            queue(secrets, tx, s, d, now)?.len()
        }
        "ticket.message" | "ticket.close" if on(Event::TicketAnswered) => {
            let Some(msg) = rec.after.as_deref().and_then(|j| serde_json::from_str::<TicketMessage>(j).ok()) else {
                return Ok(0);
            };
            if msg.staff.is_none() {
                return Ok(0);
            }
            let Some(ticket) = get::<_, Ticket>(&tx.open_table(TICKETS)?, (tenant, id))? else { return Ok(0) };
            let Some(c) = customer(secrets, tx, tenant, ticket.customer)? else { return Ok(0) };
            let mut vars = customer_vars(tx, s, &c, None)?;
            vars.insert("ticket", format!("#{id}"));
            vars.insert("message", msg.body.chars().take(300).collect());
            queue(secrets, tx, s, draft(tenant, Some(&c), Event::TicketAnswered, vars, now), now)?.len()
        }
        _ => 0,
    };
    Ok(made)
}

impl Store {
    /// Turn the tenant's audit records since the last call into messages;
    /// how many were queued.
    pub fn queue_notifications(&self, tenant: TenantId, now: UnixTime) -> Result<usize, StoreError> {
        let Some(s) = self.notify_settings(tenant)? else { return Ok(0) };
        let key = cursor_key(tenant);
        if !self.audit_after(tenant, &key)? {
            return Ok(0);
        }
        let tx = self.write()?;
        let from = tx.open_table(META)?.get(key.as_str())?.map_or(0, |v| v.value());
        let mut records = Vec::new();
        for row in tx.open_table(AUDIT)?.range((tenant, from + 1)..=(tenant, u64::MAX))?.take(2000) {
            let (k, v) = row?;
            records.push((k.value().1, decode::<AuditRecord>(v.value())?));
        }
        let Some(last) = records.last().map(|(seq, _)| *seq) else { return Ok(0) };
        let mut queued = 0;
        for (i, (_, rec)) in records.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| &records[j].1);
            queued += on_record(&self.secrets, &tx, &s, tenant, rec, prev, records.get(i + 1).map(|r| &r.1), now)?;
        }
        tx.open_table(META)?.insert(key.as_str(), last)?;
        self.commit(tx)?;
        Ok(queued)
    }

    /// Queue the expiry reminders that are due: for every active prepaid
    /// service, the shortest of its plan's lead times that has been
    /// reached, once per (service, expiry, lead). Lead times passed while
    /// lango was down are caught up (only the nearest one is sent). An
    /// auto-renewing service the wallet covers gets none; one it does not
    /// cover gets the low-balance notice instead, when that is chosen.
    pub fn queue_reminders(&self, now: UnixTime) -> Result<usize, StoreError> {
        let mut queued = 0;
        for tenant in self.notify_tenants()? {
            let Some(s) = self.notify_settings(tenant)? else { continue };
            let (remind, low) = (s.sends(Event::ExpiryReminder.as_str()), s.sends(Event::LowBalance.as_str()));
            if !remind && !low {
                continue;
            }
            // A window of services at a time: read, then write only what is
            // new, so memory stays bounded whatever comes due at once.
            let mut from = 0u64;
            loop {
                let (due, next) = {
                    let tx = self.read()?;
                    let plans: BTreeMap<Id, Plan> = super::tenant_rows::<Plan>(&tx.open_table(PLANS)?, tenant)?
                        .into_iter()
                        .filter(|p| matches!(p.mode, Mode::Prepaid))
                        .map(|p| (p.id, p))
                        .collect();
                    let keys = tx.open_table(NOTIFY_KEYS)?;
                    let balances = tx.open_table(BALANCES)?;
                    let mut due = Vec::new();
                    let mut next = None;
                    for row in tx.open_table(SERVICES)?.range((tenant, from)..=(tenant, u64::MAX))? {
                        let (k, v) = row?;
                        if due.len() >= 500 {
                            next = Some(k.value().1);
                            break;
                        }
                        let svc: Service = decode(v.value())?;
                        let Some(expiry) = svc.expires_at.filter(|e| *e > now) else { continue };
                        let Some(plan) = plans.get(&svc.plan).filter(|_| svc.status == ServiceStatus::Active) else {
                            continue;
                        };
                        // Auto-renew covered by the wallet: nothing to say. Not
                        // covered: the low-balance notice, or the reminder.
                        let event = match svc.auto_renew {
                            true if balances.get((tenant, svc.customer))?.map_or(0, |v| v.value()) >= plan.price => {
                                continue;
                            }
                            true if low => Event::LowBalance,
                            _ if remind => Event::ExpiryReminder,
                            _ => continue,
                        };
                        let leads = s.leads_for(svc.plan);
                        let Some(lead) = leads.iter().copied().filter(|l| expiry - i64::from(*l) <= now).min() else {
                            continue;
                        };
                        let key = format!("remind:{}:{expiry}:{lead}", svc.id);
                        if keys.get((tenant, key.as_str()))?.is_none() {
                            let passed: Vec<u32> =
                                leads.iter().copied().filter(|l| expiry - i64::from(*l) <= now).collect();
                            due.push((svc, expiry, passed, event, plan.price));
                        }
                    }
                    (due, next)
                };
                if !due.is_empty() {
                    let tx = self.write()?;
                    for (svc, expiry, passed, event, price) in &due {
                        let Some(c) = customer(&self.secrets, &tx, tenant, svc.customer)? else { continue };
                        let mut vars = customer_vars(&tx, &s, &c, Some(svc))?;
                        if *event == Event::LowBalance {
                            let t: Tenant = get(&tx.open_table(TENANTS)?, tenant)?
                                .ok_or_else(|| StoreError::NotFound(format!("tenant {tenant}")))?;
                            vars.insert("amount", money(&t, *price));
                        }
                        let mut d = draft(tenant, Some(&c), *event, vars, now);
                        (d.service, d.expiry, d.lead) = (Some(svc.id), Some(*expiry), Some(expiry - now));
                        let ids = queue(&self.secrets, &tx, &s, d, now)?;
                        queued += ids.len();
                        let mut keys = tx.open_table(NOTIFY_KEYS)?;
                        for lead in passed {
                            let key = format!("remind:{}:{expiry}:{lead}", svc.id);
                            keys.insert((tenant, key.as_str()), ids.first().copied().unwrap_or(0))?;
                        }
                    }
                    self.commit(tx)?;
                }
                match next {
                    Some(n) => from = n,
                    None => break,
                }
            }
        }
        Ok(queued)
    }

    /// The customers a broadcast would reach, with their channels'
    /// reachable counts: (customers, SMS parts total, e-mails).
    pub fn broadcast_audience(
        &self,
        tenant: TenantId,
        a: &Audience,
        now: UnixTime,
    ) -> Result<Vec<Customer>, StoreError> {
        let tx = self.read()?;
        let online: Option<std::collections::HashSet<Id>> = match a.nas {
            Some(nas) => {
                let mut set = std::collections::HashSet::new();
                for row in tx.open_table(SESSIONS_ACTIVE)?.range((tenant, nas, "")..(tenant, nas + 1, ""))? {
                    let sess: Session = decode(row?.1.value())?;
                    if let Some(sv) = sess.service {
                        set.insert(sv);
                    }
                }
                Some(set)
            }
            None => None,
        };
        let mut chosen = std::collections::BTreeSet::new();
        for row in tx.open_table(SERVICES)?.range((tenant, 0)..=(tenant, u64::MAX))? {
            let svc: Service = decode(row?.1.value())?;
            if a.plan.is_some_and(|p| p != svc.plan) || online.as_ref().is_some_and(|o| !o.contains(&svc.id)) {
                continue;
            }
            let expired = svc.expires_at.is_some_and(|e| e <= now);
            let keep = match a.state.as_deref() {
                None | Some("") | Some("all") => true,
                Some("active") => svc.status == ServiceStatus::Active && !expired,
                Some("expired") => expired,
                Some("suspended") => svc.status == ServiceStatus::Suspended,
                Some(_) => false,
            };
            if keep {
                chosen.insert(svc.customer);
            }
        }
        let customers = tx.open_table(CUSTOMERS)?;
        let mut out = Vec::new();
        for id in chosen {
            if let Some(c) = super::personal::get_open(&self.secrets, &customers, (tenant, id))? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Queue one message to each customer of the audience (on `channel`,
    /// honouring preferences; marketing needs consent); how many.
    #[allow(clippy::too_many_arguments)]
    pub fn broadcast(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        a: &Audience,
        channel: Channel,
        text: &str,
        marketing: bool,
    ) -> Result<usize, StoreError> {
        let Some(s) = self.notify_settings(tenant)? else {
            return Err(StoreError::Invalid("notifications are not set up".into()));
        };
        let people = self.broadcast_audience(tenant, a, now)?;
        let mut queued = 0;
        for chunk in people.chunks(500) {
            let tx = self.write()?;
            for c in chunk {
                let mut vars = customer_vars(&tx, &s, c, None)?;
                let own = crate::notify::template::render(text, &vars);
                vars.insert("message", own);
                let mut d = draft(tenant, Some(c), Event::Broadcast, vars, now);
                d.marketing = marketing;
                d.only = Some(channel);
                queued += queue(&self.secrets, &tx, &s, d, now)?.len();
            }
            self.commit(tx)?;
        }
        let tx = self.write()?;
        let shown =
            serde_json::json!({"channel": channel.as_str(), "marketing": marketing, "text": text, "queued": queued});
        audit(
            &tx,
            tenant,
            &record(now, actor, "notify.broadcast", format!("tenant/{tenant}"), None, Some(shown.to_string())),
        )?;
        self.commit(tx)?;
        Ok(queued)
    }

    /// The variables of `event` for a customer, as a preview shows them.
    pub fn preview_vars(
        &self,
        tenant: TenantId,
        customer: Id,
        event: Event,
        lang: &str,
    ) -> Result<BTreeMap<&'static str, String>, StoreError> {
        let s = self.notify_settings(tenant)?.unwrap_or_default();
        let tx = self.write()?;
        let c = customer_fn(&self.secrets, &tx, tenant, customer)?;
        let mut v = customer_vars(&tx, &s, &c, None)?;
        drop(tx);
        let t = self.tenant(tenant)?;
        let samples: &[(&'static str, String)] = &[
            ("lead", schedule::lead_words(2 * 86_400, lang)),
            ("amount", money(&t, 150_000)),
            ("receipt", "TLK4H7Q2XP".into()),
            ("invoice", "INV-000123".into()),
            ("due", v.get("expiry").cloned().unwrap_or_default()),
            ("ticket", "#42".into()),
            ("message", "Your router was replaced; please restart it.".into()),
            ("phone", "254712345678".into()),
            ("reference", "ACC-123".into()),
            ("cap", s.daily_cap.to_string()),
        ];
        for (k, val) in samples {
            if event.variables().contains(k) {
                v.insert(k, val.clone());
            }
        }
        Ok(v)
    }
}

fn customer_fn(secrets: &SecretBox, tx: &WriteTransaction, tenant: TenantId, id: Id) -> Result<Customer, StoreError> {
    customer(secrets, tx, tenant, id)?.ok_or_else(|| StoreError::NotFound(format!("customer {id}")))
}

impl Store {
    /// A message to any phone or address (the settings page's "send a
    /// test"), queued like the rest so its attempts show in the log.
    pub fn queue_test(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        channel: Channel,
        to: &str,
        text: &str,
    ) -> Result<Id, StoreError> {
        let to = match channel {
            Channel::Sms => {
                msisdn(to).ok_or_else(|| StoreError::Invalid(format!("{to:?} is not a Kenyan mobile number")))?
            }
            Channel::Email if to.contains('@') => to.trim().to_string(),
            Channel::Email => return Err(StoreError::Invalid(format!("{to:?} is not an e-mail address"))),
        };
        let tx = self.write()?;
        let m = Message {
            id: Store::next_id(&tx)?,
            tenant,
            customer: None,
            channel,
            to,
            event: "test".into(),
            marketing: false,
            subject: "lango test message".into(),
            text: text.to_string(),
            attach: None,
            service: None,
            expiry: None,
            status: MsgStatus::Queued,
            attempts: Vec::new(),
            created_at: now,
            not_before: now,
            gateway: String::new(),
            gateway_id: None,
            parts: crate::notify::parts::count(text).parts as u32,
            counted: false,
        };
        tx.open_table(NOTIFY_MESSAGES)?
            .insert((tenant, m.id), super::personal::seal_row(&self.secrets, &m).as_slice())?;
        tx.open_table(NOTIFY_DUE)?.insert((now, tenant, m.id), ())?;
        audit(&tx, tenant, &record(now, actor, "notify.test", format!("message/{}", m.id), None, Some(m.to.clone())))?;
        self.commit(tx)?;
        Ok(m.id)
    }
}

impl Store {
    /// At 20:00 in each tenant's zone, once a day, the day's payments to
    /// the operator (when the summary is ticked); how many were queued.
    pub fn queue_daily_revenue(&self, now: UnixTime) -> Result<usize, StoreError> {
        let mut queued = 0;
        for tenant in self.notify_tenants()? {
            let Some(s) = self.notify_settings(tenant)? else { continue };
            if !s.sends(Event::DailyRevenue.as_str()) {
                continue;
            }
            let t = self.tenant(tenant)?;
            let zone = crate::clock::Clock::zone(&t.timezone);
            let (_, minute) = crate::clock::Clock::local_weekday_minute_in(now, &zone);
            if minute < 20 * 60 {
                continue;
            }
            let day = schedule::day(now, &zone);
            let key = format!("revenue:{day}");
            let tx = self.write()?;
            if tx.open_table(NOTIFY_KEYS)?.get((tenant, key.as_str()))?.is_some() {
                continue;
            }
            let midnight = now - i64::from(minute) * 60 - now.rem_euclid(60);
            let (mut amount, mut count) = (0i64, 0usize);
            for row in tx.open_table(PAYMENTS)?.range((tenant, 0)..=(tenant, u64::MAX))?.rev() {
                let p: Payment = super::personal::bare_row(row?.1.value())?;
                if p.received_at < midnight - 86_400 {
                    break;
                }
                if p.received_at >= midnight {
                    (amount, count) = (amount + p.amount, count + 1);
                }
            }
            let vars = BTreeMap::from([
                ("date", schedule::show(now, &zone).rsplit_once(' ').map(|(d, _)| d.to_string()).unwrap_or_default()),
                ("amount", money(&t, amount)),
                ("count", count.to_string()),
                ("operator", t.name.clone()),
            ]);
            let ids = queue(&self.secrets, &tx, &s, draft(tenant, None, Event::DailyRevenue, vars, now), now)?;
            tx.open_table(NOTIFY_KEYS)?.insert((tenant, key.as_str()), ids.first().copied().unwrap_or(0))?;
            queued += ids.len();
            self.commit(tx)?;
        }
        Ok(queued)
    }
}

impl Store {
    /// The gateway's credit was read: below the tenant's threshold, tell
    /// the operator (once a local day). Whether an alert was queued.
    pub fn note_credit(&self, tenant: TenantId, gateway: &str, credit: f64, now: UnixTime) -> Result<bool, StoreError> {
        let Some(s) = self.notify_settings(tenant)? else { return Ok(false) };
        if s.low_credit == 0 || credit >= f64::from(s.low_credit) {
            return Ok(false);
        }
        let t = self.tenant(tenant)?;
        let day = schedule::day(now, &crate::clock::Clock::zone(&t.timezone));
        let key = format!("credit:{day}");
        let tx = self.write()?;
        if tx.open_table(NOTIFY_KEYS)?.get((tenant, key.as_str()))?.is_some() {
            return Ok(false);
        }
        let vars = BTreeMap::from([
            ("credit", format!("{credit:.2}")),
            ("gateway", gateway.to_string()),
            ("operator", t.name.clone()),
        ]);
        let ids = queue(&self.secrets, &tx, &s, draft(tenant, None, Event::LowCredit, vars, now), now)?;
        tx.open_table(NOTIFY_KEYS)?.insert((tenant, key.as_str()), ids.first().copied().unwrap_or(0))?;
        self.commit(tx)?;
        Ok(!ids.is_empty())
    }
}
