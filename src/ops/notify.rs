//! Notifications as both front ends change them: the settings (gateway,
//! SMTP, events, quiet hours, cap, reminder lead times, operator
//! contacts; secrets sealed, a blank secret keeps the stored one), the
//! templates (unknown variables are a field error), a preview for a chosen
//! customer with the SMS part count, customers' preferences, broadcasts
//! with their count and cost, retries, and a test message. `Senders`
//! turns the stored settings into the clients the sender job uses.

use crate::model::units::{parse_duration, parse_money, show_duration, show_money};
use crate::model::*;
use crate::notify::gateways::{Celcom, HttpGateway, Onfon};
use crate::notify::mail::{Mail, Security, Smtp};
use crate::notify::template::{self, Event, Template};
use crate::notify::{Attachment, SendError, parts};
use crate::store::{Audience, Store};

use super::OpError;

/// The settings as typed into the form or on the command line. Secrets:
/// None or blank keeps the stored value.
#[derive(Clone, Debug, Default)]
pub struct SettingsInput {
    /// off, africastalking, celcom, onfon, http
    pub sms: String,
    pub sms_url: String,
    /// Celcom partner id, Onfon client id.
    pub sms_account: String,
    pub sms_key: Option<String>,
    /// Onfon's access key.
    pub sms_access_key: Option<String>,
    /// Celcom shortcode, Onfon / HTTP sender id.
    pub sms_sender: String,
    pub http_method: String,
    /// One `Name: value` per line.
    pub http_headers: String,
    pub http_body: String,
    pub http_success: String,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_security: String,
    pub smtp_username: String,
    pub smtp_password: Option<String>,
    pub smtp_from: String,
    pub events: Vec<String>,
    /// `21:00-08:00`, or empty for none.
    pub quiet: String,
    pub daily_cap: String,
    pub language: String,
    /// `3d, 1d, 2h`
    pub leads: String,
    /// One `plan name: 3d, 1d` per line.
    pub plan_leads: String,
    pub operator_phone: String,
    pub operator_email: String,
    pub portal_url: String,
    pub sms_part_price: String,
    /// Alert below this gateway credit; blank or 0: never.
    pub low_credit: String,
}

fn hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn show_hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn parse_leads(s: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let secs = parse_duration(part).map_err(|e| e.to_string())?;
        let secs = u32::try_from(secs)
            .ok()
            .filter(|s| *s > 0 && *s <= 60 * 86_400)
            .ok_or_else(|| format!("{part:?}: between 1m and 60d"))?;
        out.push(secs);
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.dedup();
    Ok(out)
}

pub fn show_leads(l: &[u32]) -> String {
    l.iter().map(|s| show_duration(u64::from(*s))).collect::<Vec<_>>().join(", ")
}

/// The form's view of stored settings (secrets left blank).
pub fn input_of(store: &Store, tenant: TenantId, s: &NotifySettings) -> Result<SettingsInput, OpError> {
    let plans = store.plans(tenant)?;
    let mut i = SettingsInput {
        sms: s.sms.kind().into(),
        events: s.events.clone(),
        quiet: if s.quiet_start == s.quiet_end {
            String::new()
        } else {
            format!("{}-{}", show_hhmm(s.quiet_start), show_hhmm(s.quiet_end))
        },
        daily_cap: s.daily_cap.to_string(),
        language: s.language.clone(),
        leads: show_leads(&s.leads),
        plan_leads: s
            .plan_leads
            .iter()
            .filter_map(|(id, l)| Some(format!("{}: {}", plans.iter().find(|p| p.id == *id)?.name, show_leads(l))))
            .collect::<Vec<_>>()
            .join("\n"),
        operator_phone: s.operator_phone.clone().unwrap_or_default(),
        operator_email: s.operator_email.clone().unwrap_or_default(),
        portal_url: s.portal_url.clone(),
        sms_part_price: show_money(s.sms_part_price),
        low_credit: s.low_credit.to_string(),
        http_method: "POST".into(),
        smtp_port: "587".into(),
        smtp_security: "starttls".into(),
        ..Default::default()
    };
    match &s.sms {
        SmsGateway::Celcom { base_url, partner_id, shortcode, .. } => {
            (i.sms_url, i.sms_account, i.sms_sender) = (base_url.clone(), partner_id.clone(), shortcode.clone())
        }
        SmsGateway::Onfon { base_url, client_id, sender, .. } => {
            (i.sms_url, i.sms_account, i.sms_sender) = (base_url.clone(), client_id.clone(), sender.clone())
        }
        SmsGateway::Http { url, method, headers, body, success, sender, .. } => {
            i.sms_url = url.clone();
            i.http_method = method.clone();
            i.http_headers = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n");
            (i.http_body, i.http_success, i.sms_sender) = (body.clone(), success.clone(), sender.clone());
        }
        SmsGateway::Off | SmsGateway::AfricasTalking => {}
    }
    if let Some(m) = &s.smtp {
        i.smtp_host = m.host.clone();
        i.smtp_port = m.port.to_string();
        i.smtp_security = m.security.as_str().into();
        i.smtp_username = m.username.clone().unwrap_or_default();
        i.smtp_from = m.from.clone();
    }
    Ok(i)
}

/// Check and store the settings in one audited transaction.
pub fn save_settings(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    i: &SettingsInput,
) -> Result<NotifySettings, Vec<OpError>> {
    let old = store.notify_settings(tenant).map_err(|e| vec![e.into()])?;
    let mut p: Vec<OpError> = Vec::new();
    // A secret typed now, or the one stored for the same gateway kind.
    let keep = |typed: &Option<String>, stored: Option<&Sealed>, field: &'static str, p: &mut Vec<OpError>| -> Sealed {
        match (typed.as_deref().map(str::trim).filter(|k| !k.is_empty()), stored) {
            (Some(k), _) => store.seal_notify_secret(k),
            (None, Some(s)) => s.clone(),
            (None, None) => {
                p.push(OpError::field(field, "Needed for this gateway"));
                Sealed::default()
            }
        }
    };
    let old_sms = old.as_ref().map(|o| &o.sms);
    let url = |u: &str, default: &str, p: &mut Vec<OpError>| -> String {
        let u = if u.trim().is_empty() { default } else { u.trim() };
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            p.push(OpError::field("sms_url", format!("{u:?} must start with https://")));
        }
        u.trim_end_matches('/').to_string()
    };
    let need = |v: &str, field: &'static str, what: &str, p: &mut Vec<OpError>| {
        if v.trim().is_empty() {
            p.push(OpError::field(field, format!("The {what} is needed")));
        }
    };
    let sms = match i.sms.trim() {
        "" | "off" => SmsGateway::Off,
        "africastalking" => {
            if store.sms_settings(tenant).map_err(|e| vec![e.into()])?.is_none() {
                p.push(OpError::field("sms", "Set up the Africa's Talking account on the SMS page first"));
            }
            SmsGateway::AfricasTalking
        }
        "celcom" => {
            let stored = match old_sms {
                Some(SmsGateway::Celcom { api_key, .. }) => Some(api_key),
                _ => None,
            };
            need(&i.sms_account, "sms_account", "partner ID", &mut p);
            need(&i.sms_sender, "sms_sender", "shortcode (sender ID)", &mut p);
            SmsGateway::Celcom {
                base_url: url(&i.sms_url, crate::notify::gateways::CELCOM_URL, &mut p),
                partner_id: i.sms_account.trim().into(),
                api_key: keep(&i.sms_key, stored, "sms_key", &mut p),
                shortcode: i.sms_sender.trim().into(),
            }
        }
        "onfon" => {
            let (stored, stored_access) = match old_sms {
                Some(SmsGateway::Onfon { api_key, access_key, .. }) => (Some(api_key), access_key.clone()),
                _ => (None, None),
            };
            need(&i.sms_account, "sms_account", "client ID", &mut p);
            need(&i.sms_sender, "sms_sender", "sender ID", &mut p);
            let access = match i.sms_access_key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
                Some(k) => Some(store.seal_notify_secret(k)),
                None => stored_access,
            };
            SmsGateway::Onfon {
                base_url: url(&i.sms_url, crate::notify::gateways::ONFON_URL, &mut p),
                client_id: i.sms_account.trim().into(),
                api_key: keep(&i.sms_key, stored, "sms_key", &mut p),
                sender: i.sms_sender.trim().into(),
                access_key: access,
            }
        }
        "http" => {
            let stored = match old_sms {
                Some(SmsGateway::Http { token, .. }) => Some(token),
                _ => None,
            };
            let mut headers = Vec::new();
            for line in i.http_headers.lines().map(str::trim).filter(|l| !l.is_empty()) {
                match line.split_once(':') {
                    Some((k, v)) if !k.trim().is_empty() => headers.push((k.trim().to_string(), v.trim().to_string())),
                    _ => p.push(OpError::field("http_headers", format!("{line:?}: write one `Name: value` per line"))),
                }
            }
            let token = match (i.sms_key.as_deref().map(str::trim).filter(|k| !k.is_empty()), stored) {
                (Some(k), _) => store.seal_notify_secret(k),
                (None, Some(s)) => s.clone(),
                (None, None) => store.seal_notify_secret(""),
            };
            let g = HttpGateway {
                url: i.sms_url.trim().into(),
                method: i.http_method.trim().to_ascii_uppercase(),
                headers: headers.clone(),
                body: i.http_body.clone(),
                success: i.http_success.clone(),
                token: String::new(),
                sender: i.sms_sender.trim().into(),
            };
            if let Err(e) = g.check() {
                p.push(OpError::field("sms_url", e));
            }
            SmsGateway::Http {
                url: g.url,
                method: g.method,
                headers,
                body: g.body,
                success: g.success,
                token,
                sender: g.sender,
            }
        }
        other => {
            p.push(OpError::field("sms", format!("{other:?}: choose off, africastalking, celcom, onfon or http")));
            SmsGateway::Off
        }
    };
    let smtp = if i.smtp_host.trim().is_empty() {
        None
    } else {
        let security = Security::parse(i.smtp_security.trim()).unwrap_or_else(|| {
            p.push(OpError::field("smtp_security", "Choose starttls, tls or plain"));
            Security::StartTls
        });
        let port = i.smtp_port.trim().parse::<u16>().ok().filter(|p| *p > 0).unwrap_or_else(|| {
            p.push(OpError::field("smtp_port", format!("{:?} is not a port", i.smtp_port)));
            587
        });
        let username = Some(i.smtp_username.trim().to_string()).filter(|u| !u.is_empty());
        let stored = old.as_ref().and_then(|o| o.smtp.as_ref()).and_then(|m| m.password.clone());
        let password = match i.smtp_password.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some(store.seal_notify_secret(k)),
            None => stored.filter(|_| username.is_some()),
        };
        if username.is_some() && password.is_none() {
            p.push(OpError::field("smtp_password", "The SMTP password is needed with a username"));
        }
        let check = Smtp {
            host: i.smtp_host.trim().into(),
            port,
            security,
            username: username.clone(),
            password: password.as_ref().map(|_| "x".to_string()),
            from: i.smtp_from.trim().into(),
            extra_root_pem: None,
        };
        if let Err(e) = check.check() {
            let field =
                if e.to_lowercase().contains("from") || e.contains("address") { "smtp_from" } else { "smtp_host" };
            p.push(OpError::field(field, e));
        }
        Some(SmtpSettings { host: check.host, port, security, username, password, from: check.from })
    };
    let mut events = Vec::new();
    for e in &i.events {
        match Event::parse(e.trim()) {
            Some(ev) if ev.optional() && ev != Event::Broadcast => events.push(ev.as_str().to_string()),
            _ => p.push(OpError::field("events", format!("{e:?} is not an event that can be chosen"))),
        }
    }
    let (quiet_start, quiet_end) = match i.quiet.trim() {
        "" | "none" => (0, 0),
        q => match q.split_once('-').and_then(|(a, b)| Some((hhmm(a)?, hhmm(b)?))) {
            Some(v) => v,
            None => {
                p.push(OpError::field("quiet", format!("{q:?}: write the quiet hours as 21:00-08:00")));
                (0, 0)
            }
        },
    };
    let daily_cap = i.daily_cap.trim().parse::<u32>().unwrap_or_else(|_| {
        p.push(OpError::field("daily_cap", format!("{:?} is not a whole number", i.daily_cap)));
        0
    });
    let language = match i.language.trim() {
        "" => "en".to_string(),
        l if template::LANGUAGES.contains(&l) => l.to_string(),
        l => {
            p.push(OpError::field("language", format!("{l:?}: en or sw")));
            "en".into()
        }
    };
    let leads = parse_leads(&i.leads).unwrap_or_else(|e| {
        p.push(OpError::field("leads", e));
        Vec::new()
    });
    let plans = store.plans(tenant).map_err(|e| vec![e.into()])?;
    let mut plan_leads = Vec::new();
    for line in i.plan_leads.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((name, l)) = line.rsplit_once(':') else {
            p.push(OpError::field("plan_leads", format!("{line:?}: write `plan name: 3d, 1d`")));
            continue;
        };
        match (plans.iter().find(|pl| pl.name == name.trim()), parse_leads(l)) {
            (Some(pl), Ok(l)) => plan_leads.push((pl.id, l)),
            (None, _) => p.push(OpError::field("plan_leads", format!("no plan is called {:?}", name.trim()))),
            (_, Err(e)) => p.push(OpError::field("plan_leads", e)),
        }
    }
    let operator_phone = match i.operator_phone.trim() {
        "" => None,
        ph => msisdn(ph).or_else(|| {
            p.push(OpError::field("operator_phone", format!("{ph:?} is not a Kenyan mobile number")));
            None
        }),
    };
    let operator_email = Some(i.operator_email.trim().to_string()).filter(|e| !e.is_empty());
    if operator_email.as_deref().is_some_and(|e| !e.contains('@')) {
        p.push(OpError::field("operator_email", "Not an e-mail address"));
    }
    let sms_part_price = match i.sms_part_price.trim() {
        "" => 0,
        v => parse_money(v).unwrap_or_else(|e| {
            p.push(OpError::field("sms_part_price", e));
            0
        }),
    };
    let low_credit = match i.low_credit.trim() {
        "" => 0,
        v => v.parse::<u32>().unwrap_or_else(|_| {
            p.push(OpError::field("low_credit", format!("{v:?} is not a whole number")));
            0
        }),
    };
    if !p.is_empty() {
        return Err(p);
    }
    let s = NotifySettings {
        sms,
        smtp,
        events,
        quiet_start,
        quiet_end,
        daily_cap,
        language,
        leads,
        plan_leads,
        operator_phone,
        operator_email,
        portal_url: i.portal_url.trim().into(),
        sms_part_price,
        low_credit,
        dlr_token: old
            .as_ref()
            .map(|o| o.dlr_token.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| crate::store::secret::random_hex(16)),
    };
    store.set_notify_settings(actor, now, tenant, &s).map_err(|e| vec![e.into()])?;
    Ok(s)
}

/// Save a template after checking its variables (None resets it).
#[allow(clippy::too_many_arguments)]
pub fn save_template(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    event: Event,
    lang: &str,
    t: Option<&Template>,
) -> Result<(), Vec<OpError>> {
    if !template::LANGUAGES.contains(&lang) {
        return Err(vec![OpError::field("lang", format!("{lang:?}: en or sw"))]);
    }
    if let Some(t) = t {
        check_template(event, t)?;
    }
    store.set_notify_template(actor, now, tenant, event, lang, t).map_err(|e| vec![e.into()])
}

pub fn check_template(event: Event, t: &Template) -> Result<(), Vec<OpError>> {
    let mut p = Vec::new();
    let known = || event.variables().iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(" ");
    for (field, text) in [("subject", &t.subject), ("body", &t.body)] {
        let bad = template::unknown(event, text);
        if !bad.is_empty() {
            let names = bad.iter().map(|b| format!("{{{b}}}")).collect::<Vec<_>>().join(", ");
            p.push(OpError::field(field, format!("Unknown variable {names}; this message may use {}", known())));
        }
    }
    if t.body.trim().is_empty() {
        p.push(OpError::field("body", "The message is empty"));
    }
    if p.is_empty() { Ok(()) } else { Err(p) }
}

/// The template in force: the tenant's own or the shipped one.
pub fn template(store: &Store, tenant: TenantId, event: Event, lang: &str) -> Result<(Template, bool), OpError> {
    Ok(match store.notify_template(tenant, event, lang)? {
        Some(t) => (t, true),
        None => (template::default(event, lang), false),
    })
}

/// A template filled in for one customer.
pub struct Preview {
    pub subject: String,
    pub text: String,
    pub parts: parts::Parts,
}

pub fn preview(
    store: &Store,
    tenant: TenantId,
    customer: Id,
    event: Event,
    lang: &str,
    t: &Template,
) -> Result<Preview, OpError> {
    let vars = store.preview_vars(tenant, customer, event, lang)?;
    let text = template::render(&t.body, &vars);
    Ok(Preview { subject: template::render(&t.subject, &vars), parts: parts::count(&text), text })
}

/// What a broadcast would cost: customers reached per channel and SMS parts.
pub struct Reach {
    pub customers: usize,
    pub messages: usize,
    pub parts: usize,
    pub cost: i64,
}

pub fn broadcast_reach(
    store: &Store,
    now: UnixTime,
    tenant: TenantId,
    a: &Audience,
    channel: Channel,
    text: &str,
    marketing: bool,
) -> Result<Reach, OpError> {
    let s = store.notify_settings(tenant)?.unwrap_or_default();
    let people = store.broadcast_audience(tenant, a, now)?;
    let mut r = Reach { customers: people.len(), messages: 0, parts: 0, cost: 0 };
    for c in &people {
        let prefs = store.prefs(tenant, c.id)?;
        let reachable = match channel {
            Channel::Sms => s.sms != SmsGateway::Off && c.phone.as_deref().and_then(msisdn).is_some(),
            Channel::Email => s.smtp.is_some() && c.email.is_some(),
        };
        if reachable && prefs.allows(channel, marketing) {
            r.messages += 1;
            if channel == Channel::Sms {
                let own = template::render(text, &Default::default());
                r.parts += parts::count(&own).parts.max(1);
            }
        }
    }
    r.cost = r.parts as i64 * s.sms_part_price;
    Ok(r)
}

/// Check a broadcast's text (customer variables only) and queue it.
#[allow(clippy::too_many_arguments)]
pub fn broadcast(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    a: &Audience,
    channel: Channel,
    text: &str,
    marketing: bool,
) -> Result<usize, OpError> {
    if text.trim().is_empty() {
        return Err(OpError::field("text", "The message is empty"));
    }
    let bad = template::unknown(Event::Expired, text);
    if !bad.is_empty() {
        return Err(OpError::field("text", format!("Unknown variable {{{}}}", bad.join("}, {"))));
    }
    Ok(store.broadcast(actor, now, tenant, a, channel, text, marketing)?)
}

/// The clients a tenant's messages go out through, secrets opened.
pub struct Senders {
    pub sms: Option<SmsRoute>,
    pub smtp: Option<Smtp>,
}

pub enum SmsRoute {
    AfricasTalking(SmsSettings, String),
    Celcom(Celcom),
    Onfon(Onfon),
    Http(HttpGateway),
}

impl SmsRoute {
    pub fn name(&self) -> &'static str {
        match self {
            SmsRoute::AfricasTalking(..) => "africastalking",
            SmsRoute::Celcom(_) => "celcom",
            SmsRoute::Onfon(_) => "onfon",
            SmsRoute::Http(_) => "http",
        }
    }
}

impl Senders {
    pub fn of(store: &Store, tenant: TenantId, s: &NotifySettings) -> Result<Senders, OpError> {
        let open = |x: &Sealed| store.open_notify_secret(x);
        let sms = match &s.sms {
            SmsGateway::Off => None,
            SmsGateway::AfricasTalking => match store.sms_settings(tenant)? {
                Some(at) => {
                    let key = store.sms_api_key(&at)?;
                    Some(SmsRoute::AfricasTalking(at, key))
                }
                None => None,
            },
            SmsGateway::Celcom { base_url, partner_id, api_key, shortcode } => Some(SmsRoute::Celcom(Celcom {
                base_url: base_url.clone(),
                partner_id: partner_id.clone(),
                api_key: open(api_key)?,
                shortcode: shortcode.clone(),
            })),
            SmsGateway::Onfon { base_url, client_id, api_key, sender, access_key } => Some(SmsRoute::Onfon(Onfon {
                base_url: base_url.clone(),
                client_id: client_id.clone(),
                api_key: open(api_key)?,
                sender: sender.clone(),
                access_key: access_key.as_ref().map(open).transpose()?.unwrap_or_default(),
            })),
            SmsGateway::Http { url, method, headers, body, success, token, sender } => {
                Some(SmsRoute::Http(HttpGateway {
                    url: url.clone(),
                    method: method.clone(),
                    headers: headers.clone(),
                    body: body.clone(),
                    success: success.clone(),
                    token: open(token)?,
                    sender: sender.clone(),
                }))
            }
        };
        let smtp = match &s.smtp {
            Some(m) => Some(Smtp {
                host: m.host.clone(),
                port: m.port,
                security: m.security,
                username: m.username.clone(),
                password: m.password.as_ref().map(open).transpose()?,
                from: m.from.clone(),
                extra_root_pem: None,
            }),
            None => None,
        };
        Ok(Senders { sms, smtp })
    }

    /// The SMS gateway's credit as a number, where it tells (Celcom family,
    /// Africa's Talking); None for gateways without a balance call.
    pub async fn credit(&self, http: &reqwest::Client, at: &crate::notify::sms::Sms) -> Option<Result<f64, SendError>> {
        let text = match self.sms.as_ref()? {
            SmsRoute::Celcom(g) => g.balance(http).await,
            SmsRoute::AfricasTalking(s, key) => at.balance(s, key).await,
            SmsRoute::Onfon(_) | SmsRoute::Http(_) => return None,
        };
        Some(text.and_then(|t| {
            let digits: String = t.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
            digits.parse().map_err(|_| SendError::Unexpected(format!("a balance that is not a number: {t:?}")))
        }))
    }

    /// Send one message; the gateway's name and its message id.
    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &self,
        http: &reqwest::Client,
        at: &crate::notify::sms::Sms,
        channel: Channel,
        to: &str,
        subject: &str,
        text: &str,
        attachments: &[Attachment],
    ) -> (&'static str, Result<Option<String>, SendError>) {
        match channel {
            Channel::Sms => match &self.sms {
                None => ("sms", Err(SendError::Config("no SMS gateway is set up".into()))),
                Some(r) => {
                    let sent = match r {
                        SmsRoute::AfricasTalking(s, key) => at.send(s, key, to, text).await,
                        SmsRoute::Celcom(g) => g.send(http, to, text).await,
                        SmsRoute::Onfon(g) => g.send(http, to, text).await,
                        SmsRoute::Http(g) => g.send(http, to, text).await,
                    };
                    (r.name(), sent.map(|id| Some(id).filter(|i| !i.is_empty())))
                }
            },
            Channel::Email => match &self.smtp {
                None => ("smtp", Err(SendError::Config("no SMTP server is set up".into()))),
                Some(m) => {
                    let html = html_of(text);
                    let mail = Mail { to, subject, text, html: Some(&html), attachments };
                    ("smtp", m.send(&mail).await.map(Some))
                }
            },
        }
    }
}

/// The text as a minimal HTML part: escaped, paragraphs kept.
fn html_of(text: &str) -> String {
    let esc = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let paras: Vec<String> = esc.split("\n\n").map(|p| format!("<p>{}</p>", p.replace('\n', "<br>"))).collect();
    format!("<!doctype html><html><body style=\"font-family:sans-serif\">{}</body></html>", paras.join(""))
}

/// The PDF attached to a message, if it names a document.
pub fn attachment(store: &Store, m: &Message) -> Result<Vec<Attachment>, OpError> {
    let Some(id) = m.attach else { return Ok(Vec::new()) };
    let Some(doc) = store.invoice_doc(m.tenant, id)? else { return Ok(Vec::new()) };
    let t = store.tenant(m.tenant)?;
    let view = super::money::doc_view(store, &t, &doc)?;
    Ok(vec![Attachment {
        filename: format!("{}.pdf", doc.number),
        content_type: "application/pdf".into(),
        bytes: crate::pdf::invoice::document(&view),
    }])
}
