//! Support tickets: opened and answered by customers on the account pages,
//! answered and closed by the operator (`lango ticket`).

use super::codec::encode;
use super::tables::*;
use super::{Store, StoreError, audit, get, json, record, tenant_rows};
use crate::model::*;

/// Longest subject and message kept, in bytes.
const MAX_SUBJECT: usize = 120;
const MAX_BODY: usize = 4000;

fn clean(text: &str, max: usize, what: &str) -> Result<String, StoreError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(StoreError::Invalid(format!("the {what} is empty")));
    }
    if t.len() > max {
        return Err(StoreError::Invalid(format!("the {what} is longer than {max} characters")));
    }
    Ok(t.to_string())
}

impl Store {
    pub fn sms_settings(&self, tenant: TenantId) -> Result<Option<SmsSettings>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(TENANT_SMS)?, tenant)
    }

    /// The gateway's API key in clear, for sending.
    pub fn sms_api_key(&self, s: &SmsSettings) -> Result<String, StoreError> {
        let bytes = self.secrets.open(super::Purpose::SmsApiKey, &s.api_key)?;
        String::from_utf8(bytes).map_err(|_| StoreError::Invalid("stored SMS key is not text".into()))
    }

    pub fn set_sms_settings(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        new: NewSms<'_>,
    ) -> Result<SmsSettings, StoreError> {
        let NewSms { base_url, username, api_key, sender } = new;
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(StoreError::Invalid(format!("SMS gateway URL {base_url:?} must start with https://")));
        }
        if username.trim().is_empty() || api_key.trim().is_empty() {
            return Err(StoreError::Invalid("SMS username and API key must not be empty".into()));
        }
        let s = SmsSettings {
            base_url: base_url.trim_end_matches('/').to_string(),
            username: username.trim().to_string(),
            api_key: self.secrets.seal(super::Purpose::SmsApiKey, api_key.trim().as_bytes()),
            sender: sender.filter(|s| !s.trim().is_empty()),
        };
        let tx = self.write()?;
        tx.open_table(TENANT_SMS)?.insert(tenant, super::codec::encode(&s).as_slice())?;
        let shown = json(&SmsSettings { api_key: Sealed::default(), ..s.clone() });
        audit(&tx, tenant, &record(now, actor, "tenant.sms", format!("tenant/{tenant}"), None, shown))?;
        self.commit(tx)?;
        Ok(s)
    }

    pub fn open_ticket(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        new: NewTicket<'_>,
    ) -> Result<Ticket, StoreError> {
        let NewTicket { customer, service, subject, body } = new;
        let subject = clean(subject, MAX_SUBJECT, "subject")?;
        let body = clean(body, MAX_BODY, "message")?;
        let tx = self.write()?;
        let t = Ticket {
            id: Store::next_id(&tx)?,
            tenant,
            customer,
            service,
            subject,
            open: true,
            created_at: now,
            messages: vec![TicketMessage { at: now, staff: None, body }],
        };
        tx.open_table(TICKETS)?.insert((tenant, t.id), encode(&t).as_slice())?;
        audit(&tx, tenant, &record(now, actor, "ticket.open", format!("ticket/{}", t.id), None, json(&t)))?;
        self.commit(tx)?;
        Ok(t)
    }

    /// Add a message; `customer` (when given) must own the ticket. A staff
    /// answer may close it; a customer's message opens it again.
    pub fn answer_ticket(
        &self,
        actor: &str,
        tenant: TenantId,
        id: Id,
        customer: Option<Id>,
        msg: TicketMessage,
        close: bool,
    ) -> Result<Ticket, StoreError> {
        let body = clean(&msg.body, MAX_BODY, "message")?;
        let now = msg.at;
        let tx = self.write()?;
        let mut t: Ticket = get(&tx.open_table(TICKETS)?, (tenant, id))?
            .filter(|t: &Ticket| customer.is_none_or(|c| c == t.customer))
            .ok_or_else(|| StoreError::NotFound(format!("ticket {id}")))?;
        let staff = msg.staff.is_some();
        t.messages.push(TicketMessage { at: now, staff: msg.staff, body });
        t.open = !(staff && close);
        tx.open_table(TICKETS)?.insert((tenant, id), encode(&t).as_slice())?;
        let action = if t.open { "ticket.message" } else { "ticket.close" };
        audit(&tx, tenant, &record(now, actor, action, format!("ticket/{id}"), None, json(&t.messages.last())))?;
        self.commit(tx)?;
        Ok(t)
    }

    /// A tenant's tickets, or one customer's, newest first.
    pub fn tickets(&self, tenant: TenantId, customer: Option<Id>) -> Result<Vec<Ticket>, StoreError> {
        let tx = self.read()?;
        let mut all: Vec<Ticket> = tenant_rows(&tx.open_table(TICKETS)?, tenant)?;
        all.retain(|t| customer.is_none_or(|c| c == t.customer));
        all.reverse();
        Ok(all)
    }
}

/// What `Store::set_sms_settings` takes.
pub struct NewSms<'a> {
    pub base_url: &'a str,
    pub username: &'a str,
    pub api_key: &'a str,
    pub sender: Option<String>,
}

/// What `Store::open_ticket` takes.
pub struct NewTicket<'a> {
    pub customer: Id,
    pub service: Option<Id>,
    pub subject: &'a str,
    pub body: &'a str,
}
