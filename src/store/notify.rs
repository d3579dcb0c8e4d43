//! Notifications in the store: a tenant's settings (secrets sealed), its
//! templates, customers' preferences, and the message queue that is also
//! the delivery log. A message is written in the same transaction as the
//! decision to send it (the audit-log follower and the reminder pass in
//! `notify_events.rs`), then waits in `NOTIFY_DUE` until the sender job
//! (`jobs/notify.rs`) claims it: `claim` re-checks everything that may
//! have changed (renewed since, quiet hours, the daily cap) in one
//! transaction, and `finish` records the attempt. An attempt cut short by
//! a crash is tried again: the gateway may see a message twice, never
//! zero times.

use super::personal::{bare_row, get_open, open_row, seal_row};
use super::secret::SecretBox;
use std::collections::BTreeMap;

use redb::{ReadableTable, WriteTransaction};

use super::codec::{decode, encode};
use super::tables::*;
use super::{Purpose, Store, StoreError, audit, get, json, record};
use crate::model::*;
use crate::notify::schedule;
use crate::notify::template::{self, Event, Template};

/// Seconds before each retry; after the last, the message has failed.
pub const BACKOFF: [i64; 5] = [20, 60, 300, 1800, 7200];

/// Gateways asked for delivery reports (the others post them, or have none).
pub const POLLED: [&str; 1] = ["celcom"];
/// First ask a minute after sending, then every `DLR_EVERY`, for a day.
pub const DLR_FIRST: i64 = 60;
pub const DLR_EVERY: i64 = 300;
pub const DLR_FOR: i64 = 86_400;

pub(super) fn cursor_key(tenant: TenantId) -> String {
    format!("notify_cursor:{tenant}")
}

/// What the sender should do with a claimed message.
#[derive(Debug)]
pub enum Claim {
    Send(Box<Message>),
    /// Nothing to send (cancelled, deferred, held, or gone).
    Skip,
}

/// A message about to be written: who it is for and what it says.
pub(crate) struct Draft<'a> {
    pub tenant: TenantId,
    pub customer: Option<&'a Customer>,
    pub event: Event,
    pub vars: BTreeMap<&'static str, String>,
    /// Per-language variables (`lead`), filled in for the chosen language.
    pub lead: Option<i64>,
    pub marketing: bool,
    pub attach: Option<Id>,
    pub service: Option<Id>,
    pub expiry: Option<UnixTime>,
    pub not_before: UnixTime,
    /// Only these channels (a broadcast's choice); None: every channel.
    pub only: Option<Channel>,
}

/// The tenant's wording of `event` in `lang`: its own or the shipped one.
pub(crate) fn template_in(
    tx: &WriteTransaction,
    tenant: TenantId,
    event: Event,
    lang: &str,
) -> Result<Template, StoreError> {
    Ok(get(&tx.open_table(NOTIFY_TEMPLATES)?, (tenant, event.as_str(), lang))?
        .unwrap_or_else(|| template::default(event, lang)))
}

/// Write the messages of `d` (one per channel the tenant has and the
/// recipient accepts) into the queue; their ids.
pub(crate) fn queue(
    secrets: &SecretBox,
    tx: &WriteTransaction,
    s: &NotifySettings,
    d: Draft<'_>,
    now: UnixTime,
) -> Result<Vec<Id>, StoreError> {
    let mut targets: Vec<(Channel, String)> = Vec::new();
    let lang;
    if d.event.operator() {
        lang = "en".to_string();
        if let Some(p) = s.operator_phone.as_deref().filter(|_| s.sms != SmsGateway::Off) {
            targets.push((Channel::Sms, p.to_string()));
        }
        if let Some(e) = s.operator_email.as_deref().filter(|_| s.smtp.is_some()) {
            targets.push((Channel::Email, e.to_string()));
        }
    } else {
        let Some(c) = d.customer else { return Ok(Vec::new()) };
        let prefs: Prefs = get(&tx.open_table(NOTIFY_PREFS)?, (d.tenant, c.id))?.unwrap_or_default();
        lang = prefs.language.clone().unwrap_or_else(|| s.language.clone());
        let phone = c.phone.as_deref().and_then(msisdn);
        if let Some(p) = phone.filter(|_| s.sms != SmsGateway::Off && prefs.allows(Channel::Sms, d.marketing)) {
            targets.push((Channel::Sms, p));
        }
        if let Some(e) = c.email.clone().filter(|_| s.smtp.is_some() && prefs.allows(Channel::Email, d.marketing)) {
            targets.push((Channel::Email, e));
        }
    }
    targets.retain(|(ch, _)| d.only.is_none_or(|o| o == *ch));
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let t = template_in(tx, d.tenant, d.event, &lang)?;
    let mut vars = d.vars.clone();
    if let Some(l) = d.lead {
        vars.insert("lead", schedule::lead_words(l, &lang));
    }
    let (subject, text) = (template::render(&t.subject, &vars), template::render(&t.body, &vars));
    let not_before = if d.event.quiet() {
        let zone = super::billing::tenant_zone(tx, d.tenant)?;
        schedule::defer(d.not_before, &zone, s.quiet_start, s.quiet_end)
    } else {
        d.not_before
    };
    let mut ids = Vec::new();
    for (channel, to) in targets {
        let m = Message {
            id: Store::next_id(tx)?,
            tenant: d.tenant,
            customer: d.customer.map(|c| c.id),
            channel,
            to,
            event: d.event.as_str().to_string(),
            marketing: d.marketing,
            subject: subject.clone(),
            text: text.clone(),
            attach: d.attach.filter(|_| channel == Channel::Email),
            service: d.service,
            expiry: d.expiry,
            status: MsgStatus::Queued,
            attempts: Vec::new(),
            created_at: now,
            not_before,
            gateway: String::new(),
            gateway_id: None,
            counted: false,
            parts: if channel == Channel::Sms { crate::notify::parts::count(&text).parts as u32 } else { 1 },
        };
        put(secrets, tx, &m)?;
        tx.open_table(NOTIFY_DUE)?.insert((m.not_before, m.tenant, m.id), ())?;
        if let Some(c) = m.customer {
            tx.open_table(NOTIFY_BY_CUSTOMER)?.insert((m.tenant, c, m.id), ())?;
        }
        ids.push(m.id);
    }
    Ok(ids)
}

/// Store a message, its address sealed.
fn put(secrets: &SecretBox, tx: &WriteTransaction, m: &Message) -> Result<(), StoreError> {
    tx.open_table(NOTIFY_MESSAGES)?.insert((m.tenant, m.id), seal_row(secrets, m).as_slice())?;
    Ok(())
}

/// The settings as the audit log shows them: without secrets.
fn shown(s: &NotifySettings) -> Option<String> {
    let mut s = NotifySettings { dlr_token: String::new(), ..s.clone() };
    match &mut s.sms {
        SmsGateway::Celcom { api_key, .. } => *api_key = Sealed::default(),
        SmsGateway::Onfon { api_key, access_key, .. } => {
            *api_key = Sealed::default();
            *access_key = access_key.as_ref().map(|_| Sealed::default());
        }
        SmsGateway::Http { token, .. } => *token = Sealed::default(),
        _ => {}
    }
    if let Some(m) = &mut s.smtp {
        m.password = m.password.as_ref().map(|_| Sealed::default());
    }
    json(&s)
}

impl Store {
    pub fn notify_settings(&self, tenant: TenantId) -> Result<Option<NotifySettings>, StoreError> {
        get(&self.read()?.open_table(NOTIFY_SETTINGS)?, tenant)
    }

    /// Tenants with notification settings.
    pub fn notify_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(NOTIFY_SETTINGS)?.iter()? {
            out.push(row?.0.value());
        }
        Ok(out)
    }

    pub fn seal_notify_secret(&self, plain: &str) -> Sealed {
        self.secrets.seal(Purpose::NotifySecret, plain.as_bytes())
    }

    pub fn open_notify_secret(&self, sealed: &Sealed) -> Result<String, StoreError> {
        let bytes = self.secrets.open(Purpose::NotifySecret, sealed)?;
        String::from_utf8(bytes).map_err(|_| StoreError::Invalid("stored notification secret is not text".into()))
    }

    /// Store the settings (secrets already sealed). The first save starts
    /// the audit-log follower at now: older changes send nothing.
    pub fn set_notify_settings(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        s: &NotifySettings,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        let before: Option<NotifySettings> = get(&tx.open_table(NOTIFY_SETTINGS)?, tenant)?;
        tx.open_table(NOTIFY_SETTINGS)?.insert(tenant, encode(s).as_slice())?;
        let key = cursor_key(tenant);
        if tx.open_table(META)?.get(key.as_str())?.is_none() {
            let audit_table = tx.open_table(AUDIT)?;
            let last = audit_table.range((tenant, 0)..=(tenant, u64::MAX))?.next_back().transpose()?;
            let at = last.map_or(0, |(k, _)| k.value().1);
            drop(audit_table);
            tx.open_table(META)?.insert(key.as_str(), at)?;
        }
        let rec = record(
            now,
            actor,
            "notify.settings",
            format!("tenant/{tenant}"),
            before.as_ref().and_then(shown),
            shown(s),
        );
        audit(&tx, tenant, &rec)?;
        self.commit(tx)
    }

    /// The tenant's own template of `event` in `lang`, if it has one.
    pub fn notify_template(&self, tenant: TenantId, event: Event, lang: &str) -> Result<Option<Template>, StoreError> {
        get(&self.read()?.open_table(NOTIFY_TEMPLATES)?, (tenant, event.as_str(), lang))
    }

    /// Save (Some) or go back to the shipped wording (None). The caller
    /// has checked the variables.
    pub fn set_notify_template(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        event: Event,
        lang: &str,
        t: Option<&Template>,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut table = tx.open_table(NOTIFY_TEMPLATES)?;
            match t {
                Some(t) => table.insert((tenant, event.as_str(), lang), encode(t).as_slice())?,
                None => table.remove((tenant, event.as_str(), lang))?,
            };
        }
        let object = format!("template/{}/{lang}", event.as_str());
        audit(&tx, tenant, &record(now, actor, "notify.template", object, None, t.and_then(json)))?;
        self.commit(tx)
    }

    pub fn prefs(&self, tenant: TenantId, customer: Id) -> Result<Prefs, StoreError> {
        Ok(get(&self.read()?.open_table(NOTIFY_PREFS)?, (tenant, customer))?.unwrap_or_default())
    }

    /// Record a customer's choices, with who changed them (the consent
    /// record the Data Protection Act asks for).
    pub fn set_prefs(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        customer: Id,
        p: &Prefs,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        if tx.open_table(CUSTOMERS)?.get((tenant, customer))?.is_none() {
            return Err(StoreError::NotFound(format!("customer {customer}")));
        }
        let before: Option<Prefs> = get(&tx.open_table(NOTIFY_PREFS)?, (tenant, customer))?;
        let p = Prefs { changed_at: now, changed_by: actor.to_string(), ..p.clone() };
        tx.open_table(NOTIFY_PREFS)?.insert((tenant, customer), encode(&p).as_slice())?;
        let rec = record(
            now,
            actor,
            "customer.prefs",
            format!("customer/{customer}"),
            before.as_ref().and_then(json),
            json(&p),
        );
        audit(&tx, tenant, &rec)?;
        self.commit(tx)
    }

    pub fn message(&self, tenant: TenantId, id: Id) -> Result<Option<Message>, StoreError> {
        get_open(&self.secrets, &self.read()?.open_table(NOTIFY_MESSAGES)?, (tenant, id))
    }

    /// A tenant's messages, newest first: all, one status, or one
    /// customer's; at most `limit`.
    pub fn messages(
        &self,
        tenant: TenantId,
        customer: Option<Id>,
        status: Option<MsgStatus>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(NOTIFY_MESSAGES)?;
        let mut out = Vec::new();
        let mut take = |m: Message| {
            if status.is_none_or(|s| s == m.status) {
                out.push(m);
            }
            out.len() < limit
        };
        match customer {
            Some(c) => {
                for row in tx.open_table(NOTIFY_BY_CUSTOMER)?.range((tenant, c, 0)..=(tenant, c, u64::MAX))?.rev() {
                    let id = row?.0.value().2;
                    if let Some(m) = get_open(&self.secrets, &table, (tenant, id))?
                        && !take(m)
                    {
                        break;
                    }
                }
            }
            None => {
                for row in table.range((tenant, 0)..=(tenant, u64::MAX))?.rev() {
                    if !take(open_row(&self.secrets, row?.1.value())?) {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// How many of the tenant's messages are in each status (read one at a
    /// time, nothing kept).
    pub fn message_counts(&self, tenant: TenantId) -> Result<BTreeMap<&'static str, usize>, StoreError> {
        let tx = self.read()?;
        let mut out = BTreeMap::new();
        for row in tx.open_table(NOTIFY_MESSAGES)?.range((tenant, 0)..=(tenant, u64::MAX))? {
            let m: Message = bare_row(row?.1.value())?;
            *out.entry(m.status.as_str()).or_insert(0) += 1;
        }
        Ok(out)
    }

    /// Messages due at `now`, oldest first: (due time, tenant, id).
    pub fn due_messages(&self, now: UnixTime, limit: usize) -> Result<Vec<Due>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(NOTIFY_DUE)?.range((i64::MIN, 0, 0)..=(now, u32::MAX, u64::MAX))? {
            out.push(row?.0.value());
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Take a due message for sending: cancel a reminder whose service was
    /// renewed or stopped since, move a quiet-hours message to the
    /// morning, hold it when the tenant's daily cap is reached (and tell
    /// the operator, once a day), else count it against the cap.
    pub fn claim_message(&self, due: Due, now: UnixTime) -> Result<Claim, StoreError> {
        let tx = self.write()?;
        let claim = self.claim_in(&tx, due, now)?;
        self.commit(tx)?;
        Ok(claim)
    }

    /// `claim_message` for many, in one transaction: the messages to send.
    pub fn claim_messages(&self, due: &[Due], now: UnixTime) -> Result<Vec<Message>, StoreError> {
        let tx = self.write()?;
        let mut out = Vec::new();
        for &d in due {
            if let Claim::Send(m) = self.claim_in(&tx, d, now)? {
                out.push(*m);
            }
        }
        self.commit(tx)?;
        Ok(out)
    }

    fn claim_in(&self, tx: &WriteTransaction, due: Due, now: UnixTime) -> Result<Claim, StoreError> {
        let (_, tenant, id) = due;
        tx.open_table(NOTIFY_DUE)?.remove(due)?;
        let Some(mut m) = get_open::<_, Message>(&self.secrets, &tx.open_table(NOTIFY_MESSAGES)?, (tenant, id))? else {
            return Ok(Claim::Skip);
        };
        if m.status != MsgStatus::Queued || m.not_before != due.0 {
            return Ok(Claim::Skip);
        }
        let Some(s) = get::<_, NotifySettings>(&tx.open_table(NOTIFY_SETTINGS)?, tenant)? else {
            return self.settle(tx, m, MsgStatus::Cancelled, now, "notifications are not set up");
        };
        if let (Some(svc), Some(expiry)) = (m.service, m.expiry) {
            let current: Option<Service> = get(&tx.open_table(SERVICES)?, (tenant, svc))?;
            let why = match current {
                None => Some("the service was deleted"),
                Some(c) if c.expires_at != Some(expiry) => Some("renewed before the reminder was due"),
                Some(c) if c.status != ServiceStatus::Active => Some("the service is no longer active"),
                Some(_) => None,
            };
            if let Some(why) = why {
                return self.settle(tx, m, MsgStatus::Cancelled, now, why);
            }
        }
        let zone = super::billing::tenant_zone(tx, tenant)?;
        let event = Event::parse(&m.event);
        if event.is_some_and(|e| e.quiet()) {
            let later = schedule::defer(now, &zone, s.quiet_start, s.quiet_end);
            if later > now {
                m.not_before = later;
                tx.open_table(NOTIFY_DUE)?.insert((later, tenant, id), ())?;
                put(&self.secrets, tx, &m)?;
                return Ok(Claim::Skip);
            }
        }
        if !m.counted && !event.is_some_and(|e| e.operator()) {
            let day = schedule::day(now, &zone);
            let sent = tx.open_table(NOTIFY_DAILY)?.get((tenant, day))?.map_or(0, |v| v.value());
            if sent >= s.daily_cap {
                self.cap_alert(tx, &s, tenant, day, now)?;
                let why = format!("the daily cap of {} messages was reached", s.daily_cap);
                return self.settle(tx, m, MsgStatus::Held, now, &why);
            }
            tx.open_table(NOTIFY_DAILY)?.insert((tenant, day), sent + 1)?;
            m.counted = true;
            put(&self.secrets, tx, &m)?;
        }
        Ok(Claim::Send(Box::new(m)))
    }

    /// One "cap reached" alert per tenant and local day.
    fn cap_alert(
        &self,
        tx: &WriteTransaction,
        s: &NotifySettings,
        tenant: TenantId,
        day: i64,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let key = format!("cap:{day}");
        if tx.open_table(NOTIFY_KEYS)?.get((tenant, key.as_str()))?.is_some() {
            return Ok(());
        }
        let name = get::<_, Tenant>(&tx.open_table(TENANTS)?, tenant)?.map(|t| t.name).unwrap_or_default();
        let vars = BTreeMap::from([("cap", s.daily_cap.to_string()), ("operator", name)]);
        let d = super::notify_events::draft(tenant, None, Event::CapReached, vars, now);
        let ids = queue(&self.secrets, tx, s, d, now)?;
        tx.open_table(NOTIFY_KEYS)?.insert((tenant, key.as_str()), ids.first().copied().unwrap_or(0))?;
        let rec = record(
            now,
            "notifications",
            "notify.cap_reached",
            format!("tenant/{tenant}"),
            None,
            Some(format!("{} messages", s.daily_cap)),
        );
        audit(tx, tenant, &rec)
    }

    fn settle(
        &self,
        tx: &WriteTransaction,
        mut m: Message,
        status: MsgStatus,
        now: UnixTime,
        why: &str,
    ) -> Result<Claim, StoreError> {
        m.status = status;
        m.attempts.push(Attempt { at: now, ok: false, detail: why.to_string() });
        put(&self.secrets, tx, &m)?;
        Ok(Claim::Skip)
    }

    /// Record an attempt: sent (with the gateway's id), or failed and
    /// tried again after the backoff, or failed for good after the last.
    pub fn finish_message(
        &self,
        tenant: TenantId,
        id: Id,
        now: UnixTime,
        gateway: &str,
        result: Result<Option<String>, String>,
    ) -> Result<MsgStatus, StoreError> {
        let tx = self.write()?;
        let status = finish_in(&self.secrets, &tx, tenant, id, now, gateway, result)?;
        self.commit(tx)?;
        Ok(status)
    }

    /// `finish_message` for many, in one transaction; the ids that failed
    /// for good.
    pub fn finish_messages(&self, done: Vec<Finished>, now: UnixTime) -> Result<Vec<Id>, StoreError> {
        let tx = self.write()?;
        let mut failed = Vec::new();
        for (tenant, id, gateway, result) in done {
            if finish_in(&self.secrets, &tx, tenant, id, now, gateway, result)? == MsgStatus::Failed {
                failed.push(id);
            }
        }
        self.commit(tx)?;
        Ok(failed)
    }

    /// A delivery report from the gateway for its message `gateway_id`
    /// (`poll`: the delivery check it answers, now done).
    pub fn message_delivery(
        &self,
        tenant: TenantId,
        gateway: &str,
        gateway_id: &str,
        delivered: Result<(), String>,
        now: UnixTime,
        poll: Option<Due>,
    ) -> Result<bool, StoreError> {
        let tx = self.write()?;
        let key = format!("gw:{gateway}:{gateway_id}");
        let Some(id) = tx.open_table(NOTIFY_KEYS)?.get((tenant, key.as_str()))?.map(|v| v.value()) else {
            return Ok(false);
        };
        let Some(mut m) = get_open::<_, Message>(&self.secrets, &tx.open_table(NOTIFY_MESSAGES)?, (tenant, id))? else {
            return Ok(false);
        };
        if m.status == MsgStatus::Delivered {
            return Ok(true);
        }
        let (status, detail) = match delivered {
            Ok(()) => (MsgStatus::Delivered, "delivered".to_string()),
            Err(e) => (MsgStatus::Failed, format!("not delivered: {e}")),
        };
        m.status = status;
        m.attempts.push(Attempt { at: now, ok: status == MsgStatus::Delivered, detail });
        put(&self.secrets, &tx, &m)?;
        if let Some(k) = poll {
            tx.open_table(NOTIFY_DLR)?.remove(k)?;
        }
        self.commit(tx)?;
        Ok(true)
    }

    /// Send a failed or held message again (an operator's decision).
    pub fn retry_message(&self, actor: &str, now: UnixTime, tenant: TenantId, id: Id) -> Result<Message, StoreError> {
        let tx = self.write()?;
        let Some(mut m) = get_open::<_, Message>(&self.secrets, &tx.open_table(NOTIFY_MESSAGES)?, (tenant, id))? else {
            return Err(StoreError::NotFound(format!("message {id}")));
        };
        if !matches!(m.status, MsgStatus::Failed | MsgStatus::Held) {
            return Err(StoreError::Invalid(format!(
                "message {id} is {}: only failed or held messages are sent again",
                m.status.as_str()
            )));
        }
        m.status = MsgStatus::Queued;
        m.counted = false;
        m.attempts.push(Attempt { at: now, ok: false, detail: format!("sent again by {actor}") });
        m.not_before = now;
        put(&self.secrets, &tx, &m)?;
        tx.open_table(NOTIFY_DUE)?.insert((now, tenant, id), ())?;
        audit(&tx, tenant, &record(now, actor, "notify.retry", format!("message/{id}"), None, None))?;
        self.commit(tx)?;
        Ok(m)
    }
}

impl Store {
    /// Sent messages whose delivery is due to be asked: (key, message).
    pub fn due_delivery_checks(&self, now: UnixTime, limit: usize) -> Result<Vec<(Due, Message)>, StoreError> {
        let tx = self.read()?;
        let messages = tx.open_table(NOTIFY_MESSAGES)?;
        let mut out = Vec::new();
        for row in tx.open_table(NOTIFY_DLR)?.range((i64::MIN, 0, 0)..=(now, u32::MAX, u64::MAX))?.take(limit) {
            let key = row?.0.value();
            if let Some(m) = get_open::<_, Message>(&self.secrets, &messages, (key.1, key.2))? {
                out.push((key, m));
            }
        }
        Ok(out)
    }

    /// The gateway answered "still pending" (or could not be asked): ask
    /// again later, until a day after sending; then stop asking.
    pub fn delivery_check_later(&self, key: Due, sent_at: UnixTime, now: UnixTime) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut t = tx.open_table(NOTIFY_DLR)?;
            t.remove(key)?;
            if now + DLR_EVERY < sent_at + DLR_FOR {
                t.insert((now + DLR_EVERY, key.1, key.2), ())?;
            }
        }
        self.commit(tx)
    }

    /// The tenant whose delivery-report callback token this is.
    pub fn tenant_by_dlr_token(&self, token: &str) -> Result<Option<TenantId>, StoreError> {
        if token.len() < 16 {
            return Ok(None);
        }
        // Digests compared, so the comparison's time says nothing of the token.
        let digest = |t: &str| ring::digest::digest(&ring::digest::SHA256, t.as_bytes());
        let wanted = digest(token);
        let tx = self.read()?;
        for row in tx.open_table(NOTIFY_SETTINGS)?.iter()? {
            let (k, v) = row?;
            let s: NotifySettings = decode(v.value())?;
            if digest(&s.dlr_token).as_ref() == wanted.as_ref() {
                return Ok(Some(k.value()));
            }
        }
        Ok(None)
    }

    /// One invoice or receipt, by id.
    pub fn invoice_doc(&self, tenant: TenantId, id: Id) -> Result<Option<Invoice>, StoreError> {
        get(&self.read()?.open_table(INVOICES)?, (tenant, id))
    }
}

/// A queue entry: (due time, tenant, message id).
pub type Due = (UnixTime, TenantId, Id);

/// What one send came to: (tenant, message, gateway, its id or the error).
pub type Finished = (TenantId, Id, &'static str, Result<Option<String>, String>);

fn finish_in(
    secrets: &SecretBox,
    tx: &WriteTransaction,
    tenant: TenantId,
    id: Id,
    now: UnixTime,
    gateway: &str,
    result: Result<Option<String>, String>,
) -> Result<MsgStatus, StoreError> {
    let Some(mut m) = get_open::<_, Message>(secrets, &tx.open_table(NOTIFY_MESSAGES)?, (tenant, id))? else {
        return Err(StoreError::NotFound(format!("message {id}")));
    };
    m.gateway = gateway.to_string();
    match result {
        Ok(gid) => {
            m.status = MsgStatus::Sent;
            m.attempts.push(Attempt { at: now, ok: true, detail: "sent".into() });
            if let Some(g) = gid.as_deref().filter(|g| !g.is_empty()) {
                let key = format!("gw:{gateway}:{g}");
                tx.open_table(NOTIFY_KEYS)?.insert((tenant, key.as_str()), id)?;
                if POLLED.contains(&gateway) {
                    tx.open_table(NOTIFY_DLR)?.insert((now + DLR_FIRST, tenant, id), ())?;
                }
            }
            m.gateway_id = gid;
        }
        Err(e) => {
            let since = m.attempts.iter().rposition(|a| a.detail.starts_with("sent again by")).map_or(0, |i| i + 1);
            let failures = m.attempts[since..].iter().filter(|a| !a.ok).count();
            m.attempts.push(Attempt { at: now, ok: false, detail: e });
            match BACKOFF.get(failures) {
                Some(wait) => {
                    m.not_before = now + wait;
                    tx.open_table(NOTIFY_DUE)?.insert((m.not_before, tenant, id), ())?;
                }
                None => m.status = MsgStatus::Failed,
            }
        }
    }
    put(secrets, tx, &m)?;
    Ok(m.status)
}
