//! Data protection operations both front ends carry out (Kenya Data
//! Protection Act, 2019): a customer's export (everything held, as a zip
//! of JSON and CSV files, audited `customer.export`), erasure behind a
//! typed confirmation (`customer.erase`, see `store::privacy`), the
//! tenant's retention periods, and phone numbers masked for the roles
//! that do not need them.

use serde_json::{Value, json};

use super::OpError;
use super::csv::{row, spreadsheet_safe};
use crate::model::{Id, TenantId, UnixTime};
use crate::store::Store;
use crate::store::privacy::{Dossier, Erased};
use crate::store::retention::{MIN_AUDIT_DAYS, MIN_DAYS, Retention};

pub use crate::model::mask::{mask_phone, mask_phones_in};

/// `customer-<id>.zip`: `customer.json` (every record, as stored, without
/// secrets), one CSV per list, and `README.txt`. Audited as
/// `customer.export` with the counts only.
pub fn export(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, customer: Id) -> Result<Vec<u8>, OpError> {
    let d = store.dossier(tenant, customer)?;
    if d.customer.is_none() {
        return Err(OpError::field("id", format!("no customer {customer}")));
    }
    let files = files(&d, now)?;
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let zip = super::zip::stored(&refs);
    let detail = json!({
        "files": files.len(),
        "services": d.services.len(),
        "sessions": d.sessions.len(),
        "payments": d.payments.len(),
        "documents": d.documents.len(),
        "messages": d.messages.len(),
        "audit_records": d.audit.len(),
    });
    store.note(actor, now, tenant, "customer.export", format!("customer/{customer}"), detail.to_string())?;
    Ok(zip)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, OpError> {
    serde_json::to_value(v).map_err(|e| OpError::Refused(format!("export: {e}")))
}

fn csv(headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut out = row(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        out.push_str(&row(&r.into_iter().map(spreadsheet_safe).collect::<Vec<_>>()));
    }
    out.into_bytes()
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn files(d: &Dossier, now: UnixTime) -> Result<Vec<(String, Vec<u8>)>, OpError> {
    // Services without their (sealed) passwords.
    let services: Vec<Value> = d
        .services
        .iter()
        .map(|s| {
            let mut v = to_json(s)?;
            if let Some(o) = v.as_object_mut() {
                o.remove("password");
            }
            Ok(v)
        })
        .collect::<Result<_, OpError>>()?;
    let audit: Vec<Value> = d
        .audit
        .iter()
        .map(|(seq, r)| Ok(json!({"seq": seq, "record": to_json(r)?})))
        .collect::<Result<_, OpError>>()?;
    let whole = json!({
        "exported_at": now,
        "customer": to_json(&d.customer)?,
        "services": services,
        "usage": to_json(&d.usage)?,
        "sessions": to_json(&d.sessions)?,
        "payments": to_json(&d.payments)?,
        "stk_requests": to_json(&d.stk)?,
        "wallet": {"balance": d.balance, "ledger": to_json(&d.ledger)?},
        "invoices_and_receipts": to_json(&d.documents)?,
        "tickets": to_json(&d.tickets)?,
        "messages": to_json(&d.messages)?,
        "consent": to_json(&d.prefs)?,
        "audit": audit,
    });
    let body = serde_json::to_vec_pretty(&whole).map_err(|e| OpError::Refused(format!("export: {e}")))?;
    let mut out = vec![("customer.json".to_string(), body)];
    let c = d.customer.as_ref().ok_or_else(|| OpError::Refused("no customer".into()))?;
    out.push((
        "customer.csv".into(),
        csv(
            &["id", "name", "phone", "email", "category", "created_at"],
            [vec![
                c.id.to_string(),
                c.name.clone(),
                opt(&c.phone),
                opt(&c.email),
                opt(&c.category),
                c.created_at.to_string(),
            ]],
        ),
    ));
    out.push((
        "services.csv".into(),
        csv(
            &["id", "username", "access", "plan", "status", "mac", "static_ip", "expires_at", "created_at"],
            d.services.iter().map(|s| {
                vec![
                    s.id.to_string(),
                    s.username.clone(),
                    s.access.as_str().into(),
                    s.plan.to_string(),
                    s.status.as_str().into(),
                    opt(&s.mac),
                    opt(&s.static_ip),
                    opt(&s.expires_at),
                    s.created_at.to_string(),
                ]
            }),
        ),
    ));
    out.push((
        "sessions.csv".into(),
        csv(
            &[
                "service",
                "username",
                "nas",
                "session_id",
                "framed_ip",
                "device",
                "started_at",
                "stopped_at",
                "seconds",
                "bytes_in",
                "bytes_out",
            ],
            d.sessions.iter().map(|s| {
                vec![
                    opt(&s.service),
                    s.username.clone(),
                    s.nas.to_string(),
                    s.acct_session_id.clone(),
                    opt(&s.framed_ip),
                    opt(&s.calling_station_id),
                    s.started_at.to_string(),
                    opt(&s.stopped_at),
                    s.counters.session_time.to_string(),
                    s.counters.bytes_in.to_string(),
                    s.counters.bytes_out.to_string(),
                ]
            }),
        ),
    ));
    out.push((
        "payments.csv".into(),
        csv(
            &["id", "received_at", "amount", "method", "reference", "phone", "account"],
            d.payments.iter().map(|p| {
                vec![
                    p.id.to_string(),
                    p.received_at.to_string(),
                    p.amount.to_string(),
                    p.method.as_str().into(),
                    p.reference.clone(),
                    opt(&p.phone),
                    opt(&p.account),
                ]
            }),
        ),
    ));
    out.push((
        "ledger.csv".into(),
        csv(
            &["at", "kind", "amount", "reason", "reference"],
            d.ledger.iter().map(|e| {
                vec![
                    e.at.to_string(),
                    format!("{:?}", e.kind),
                    e.amount.to_string(),
                    e.reason.clone(),
                    opt(&e.reference),
                ]
            }),
        ),
    ));
    out.push((
        "invoices.csv".into(),
        csv(
            &["number", "kind", "issued_at", "net", "tax", "gross", "paid_at"],
            d.documents.iter().map(|x| {
                vec![
                    x.number.clone(),
                    format!("{:?}", x.kind),
                    x.issued_at.to_string(),
                    x.net.to_string(),
                    x.tax.to_string(),
                    x.gross.to_string(),
                    opt(&x.paid_at),
                ]
            }),
        ),
    ));
    out.push((
        "messages.csv".into(),
        csv(
            &["id", "created_at", "channel", "to", "event", "marketing", "status", "text"],
            d.messages.iter().map(|m| {
                vec![
                    m.id.to_string(),
                    m.created_at.to_string(),
                    m.channel.as_str().into(),
                    m.to.clone(),
                    m.event.clone(),
                    m.marketing.to_string(),
                    m.status.as_str().into(),
                    m.text.clone(),
                ]
            }),
        ),
    ));
    out.push((
        "tickets.csv".into(),
        csv(
            &["id", "created_at", "open", "subject", "messages"],
            d.tickets.iter().map(|t| {
                let said: Vec<String> = t.messages.iter().map(|m| m.body.clone()).collect();
                vec![t.id.to_string(), t.created_at.to_string(), t.open.to_string(), t.subject.clone(), said.join("\n")]
            }),
        ),
    ));
    let p = d.prefs.clone().unwrap_or_default();
    out.push((
        "consent.csv".into(),
        csv(
            &["sms", "email", "marketing_sms", "marketing_email", "changed_at", "changed_by"],
            [vec![
                p.sms.to_string(),
                p.email.to_string(),
                p.marketing_sms.to_string(),
                p.marketing_email.to_string(),
                p.changed_at.to_string(),
                p.changed_by.clone(),
            ]],
        ),
    ));
    out.push((
        "audit.csv".into(),
        csv(
            &["seq", "at", "actor", "action", "object", "before", "after"],
            d.audit.iter().map(|(seq, r)| {
                vec![
                    seq.to_string(),
                    r.at.to_string(),
                    r.actor.clone(),
                    r.action.clone(),
                    r.object.clone(),
                    opt(&r.before),
                    opt(&r.after),
                ]
            }),
        ),
    ));
    let readme = format!(
        "Everything lango holds about customer {} at {} (Unix time, UTC).\r\n\
         customer.json has every record; the CSV files are the same lists for spreadsheets.\r\n\
         Amounts are in minor units (cents) of the tenant's currency.\r\n\
         Passwords are not exported.\r\n",
        c.id, now
    );
    out.push(("README.txt".into(), readme.into_bytes()));
    Ok(out)
}

/// Erase `customer` once `confirm` repeats its id (the admin page's typed
/// confirmation; `--confirm` on the command line). A site refuses it like
/// any change to a hub-owned customer.
pub fn erase(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    customer: Id,
    confirm: &str,
) -> Result<Erased, OpError> {
    let Some(c) = store.customer_for(tenant, None, customer)? else {
        return Err(OpError::field("id", format!("no customer {customer}")));
    };
    // Not a person: erasing it would disable every unsold voucher.
    if c.name == crate::store::VOUCHER_CUSTOMER {
        return Err(OpError::field("id", "the voucher sales account is not a person; nothing to erase"));
    }
    if let Some(a) = store.admins(tenant)?.into_iter().find(|a| a.reseller == Some(customer)) {
        return Err(OpError::field(
            "id",
            format!("this is reseller {}'s wallet; disable that admin and move its customers first", a.username),
        ));
    }
    if confirm.trim() != customer.to_string() {
        return Err(OpError::field(
            "confirm",
            format!("type the customer's number ({customer}) to confirm the erasure"),
        ));
    }
    Ok(store.erase_customer(actor, now, tenant, customer)?)
}

/// The retention form / `lango retention set`: days per log, blank or 0
/// keeps everything.
pub fn set_retention(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    sessions: &str,
    messages: &str,
    audit: &str,
) -> Result<Retention, Vec<OpError>> {
    let mut problems = Vec::new();
    let mut days = |field: &'static str, v: &str, min: u32| -> u32 {
        match v.trim() {
            "" | "0" => 0,
            t => match t.parse::<u32>() {
                Ok(n) if (min..=36_500).contains(&n) => n,
                _ => {
                    problems.push(OpError::field(field, format!("days: 0 (keep all) or {min} to 36500")));
                    0
                }
            },
        }
    };
    let r = Retention {
        sessions_days: days("sessions_days", sessions, MIN_DAYS),
        messages_days: days("messages_days", messages, MIN_DAYS),
        audit_days: days("audit_days", audit, MIN_AUDIT_DAYS),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    store.set_retention(actor, now, tenant, r).map_err(|e| vec![e.into()])?;
    Ok(r)
}
