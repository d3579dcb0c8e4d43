//! Notification data: a tenant's channels and schedule
//! (`NotifySettings`), a customer's preferences (`Prefs`), and every
//! message with its attempts (`Message`, the delivery log).

use serde::{Deserialize, Serialize};

use super::{Id, Sealed, TenantId, UnixTime};
pub use crate::notify::mail::Security as SmtpSecurity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// Which SMS gateway a tenant sends through.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmsGateway {
    /// No SMS beyond sign-in codes.
    #[default]
    Off,
    /// The Africa's Talking account on the SMS page (`SmsSettings`).
    AfricasTalking,
    /// Celcom Africa / TextSMS / Advanta (one API).
    Celcom {
        base_url: String,
        partner_id: String,
        api_key: Sealed,
        shortcode: String,
    },
    Onfon {
        base_url: String,
        client_id: String,
        api_key: Sealed,
        sender: String,
        access_key: Option<Sealed>,
    },
    /// Any provider with an HTTP API, described by templates.
    Http {
        url: String,
        method: String,
        headers: Vec<(String, String)>,
        body: String,
        success: String,
        token: Sealed,
        sender: String,
    },
}

impl SmsGateway {
    pub fn kind(&self) -> &'static str {
        match self {
            SmsGateway::Off => "off",
            SmsGateway::AfricasTalking => "africastalking",
            SmsGateway::Celcom { .. } => "celcom",
            SmsGateway::Onfon { .. } => "onfon",
            SmsGateway::Http { .. } => "http",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Sealed>,
    /// `Name <address>`: the tenant's own sender.
    pub from: String,
}

/// A tenant's notification settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifySettings {
    pub sms: SmsGateway,
    pub smtp: Option<SmtpSettings>,
    /// Customer events sent (`template::Event::as_str`); operator alerts
    /// go whenever an operator contact is set.
    pub events: Vec<String>,
    /// Quiet hours, minutes after local midnight; equal means none.
    pub quiet_start: u16,
    pub quiet_end: u16,
    /// Messages per local day, all channels; 0 = none at all.
    pub daily_cap: u32,
    /// `en` or `sw`: customers without a preference get this.
    pub language: String,
    /// Reminder lead times in seconds, longest first.
    pub leads: Vec<u32>,
    /// Per-plan lead times replacing `leads` for that plan.
    pub plan_leads: Vec<(Id, Vec<u32>)>,
    pub operator_phone: Option<String>,
    pub operator_email: Option<String>,
    /// The customer page shown in messages as `{portal_url}`.
    pub portal_url: String,
    /// What one SMS part costs the operator, minor units (the broadcast
    /// preview's cost).
    pub sms_part_price: i64,
    /// The unguessable path segment of the delivery-report callback
    /// (`/sms/dlr/{token}`), for gateways that post reports.
    pub dlr_token: String,
    /// Tell the operator (once a day) when the gateway's credit falls
    /// below this, in the gateway's own units; 0: never.
    pub low_credit: u32,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            sms: SmsGateway::Off,
            smtp: None,
            events: Vec::new(),
            quiet_start: 21 * 60,
            quiet_end: 8 * 60,
            daily_cap: 500,
            language: "en".into(),
            leads: vec![2 * 86_400],
            plan_leads: Vec::new(),
            operator_phone: None,
            operator_email: None,
            portal_url: String::new(),
            sms_part_price: 80,
            dlr_token: String::new(),
            low_credit: 0,
        }
    }
}

impl NotifySettings {
    pub fn leads_for(&self, plan: Id) -> &[u32] {
        self.plan_leads.iter().find(|(p, _)| *p == plan).map_or(&self.leads, |(_, l)| l)
    }

    pub fn sends(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// What a customer agreed to receive (Kenya Data Protection Act 2019:
/// marketing needs consent; operational messages can be refused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefs {
    /// `en` / `sw`; None: the tenant's language.
    pub language: Option<String>,
    pub sms: bool,
    pub email: bool,
    pub marketing_sms: bool,
    pub marketing_email: bool,
    /// When and by whom the preferences were last changed.
    pub changed_at: UnixTime,
    pub changed_by: String,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            language: None,
            sms: true,
            email: true,
            marketing_sms: false,
            marketing_email: false,
            changed_at: 0,
            changed_by: String::new(),
        }
    }
}

impl Prefs {
    pub fn allows(&self, channel: Channel, marketing: bool) -> bool {
        match (channel, marketing) {
            (Channel::Sms, false) => self.sms,
            (Channel::Email, false) => self.email,
            (Channel::Sms, true) => self.marketing_sms,
            (Channel::Email, true) => self.marketing_email,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgStatus {
    Queued,
    Sent,
    Delivered,
    Failed,
    /// Not sent: no longer true (renewed first) or refused by a preference.
    Cancelled,
    /// Held back by the daily cap until an operator releases it.
    Held,
}

impl MsgStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MsgStatus::Queued => "queued",
            MsgStatus::Sent => "sent",
            MsgStatus::Delivered => "delivered",
            MsgStatus::Failed => "failed",
            MsgStatus::Cancelled => "cancelled",
            MsgStatus::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Option<MsgStatus> {
        [Self::Queued, Self::Sent, Self::Delivered, Self::Failed, Self::Cancelled, Self::Held]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: UnixTime,
    pub ok: bool,
    /// The gateway's words.
    pub detail: String,
}

/// One message to one recipient, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: Id,
    pub tenant: TenantId,
    pub customer: Option<Id>,
    pub channel: Channel,
    /// 2547XXXXXXXX or an e-mail address.
    pub to: String,
    pub event: String,
    pub marketing: bool,
    pub subject: String,
    pub text: String,
    /// An invoice or receipt attached as PDF (e-mail).
    pub attach: Option<Id>,
    /// For reminders: sent only while the service still expires then.
    pub service: Option<Id>,
    pub expiry: Option<UnixTime>,
    pub status: MsgStatus,
    pub attempts: Vec<Attempt>,
    pub created_at: UnixTime,
    pub not_before: UnixTime,
    pub gateway: String,
    pub gateway_id: Option<String>,
    pub parts: u32,
    /// Counted against the daily cap (once, when first claimed).
    pub counted: bool,
}
