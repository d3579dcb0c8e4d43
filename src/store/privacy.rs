//! Data protection (Kenya Data Protection Act, 2019) in the store: what
//! lango holds about one customer, gathered for an export (`dossier`), and
//! erasure (`erase_customer`), which pseudonymises the person while the
//! ledger, payments' amounts and references, invoices and receipts stay
//! as the tax law wants them. One transaction, with its own audit records
//! that hold no personal data (counts and the pseudonym only).

use super::money_index::ids_under;
use super::personal::{get_open, open_row, phone_key, seal_row};
use super::portal::history_of;
use super::secret::SecretBox;
use std::collections::HashSet;

use redb::{ReadableTable, WriteTransaction};

use super::codec::encode;
use super::tables::*;
use super::{RawCallback, Store, StoreError, audit, get, record, tenant_rows};
use crate::model::*;

/// Everything held about one customer (what its page shows and more).
#[derive(Debug, Default)]
pub struct Dossier {
    pub customer: Option<Customer>,
    pub services: Vec<Service>,
    pub usage: Vec<(Id, Usage)>,
    /// Closed and online sessions of its services, oldest first.
    pub sessions: Vec<Session>,
    pub payments: Vec<Payment>,
    pub stk: Vec<StkRequest>,
    pub ledger: Vec<LedgerEntry>,
    pub balance: i64,
    pub documents: Vec<Invoice>,
    pub tickets: Vec<Ticket>,
    pub messages: Vec<Message>,
    pub prefs: Option<Prefs>,
    /// Audit records about the customer, its services, payments and
    /// tickets, oldest first.
    pub audit: Vec<(u64, AuditRecord)>,
}

/// What an erasure changed (also its audit record's text).
#[derive(Debug, Default, serde::Serialize)]
pub struct Erased {
    pub pseudonym: String,
    pub services: usize,
    pub sessions: usize,
    pub payments: usize,
    pub messages: usize,
    pub tickets: usize,
    pub audit_records: usize,
}

/// The name an erased customer goes by.
pub fn pseudonym(id: Id) -> String {
    format!("Erased customer {id}")
}

/// The login an erased service is renamed to (it cannot be guessed from
/// the person, and the old name is free again).
pub fn erased_login(id: Id) -> String {
    format!("erased-{id}")
}

pub const ERASED: &str = "(erased)";

/// The audit objects that are about this customer.
fn objects(customer: Id, services: &[Service], payments: &[Payment], tickets: &[Ticket]) -> Vec<String> {
    let mut out = vec![format!("customer/{customer}")];
    out.extend(services.iter().map(|s| format!("service/{}", s.id)));
    out.extend(payments.iter().map(|p| format!("payment/{}", p.id)));
    out.extend(tickets.iter().map(|t| format!("ticket/{}", t.id)));
    out
}

impl Store {
    /// Everything held about `customer`, read in one snapshot.
    pub fn dossier(&self, tenant: TenantId, customer: Id) -> Result<Dossier, StoreError> {
        let tx = self.read()?;
        let Some(c): Option<Customer> = get_open(&self.secrets, &tx.open_table(CUSTOMERS)?, (tenant, customer))? else {
            return Ok(Dossier::default());
        };
        let mut d = Dossier::default();
        let services_t = tx.open_table(SERVICES)?;
        for row in tx.open_table(SERVICE_BY_CUSTOMER)?.range((tenant, customer, 0)..=(tenant, customer, u64::MAX))? {
            if let Some(s) = get::<_, Service>(&services_t, (tenant, row?.0.value().2))? {
                d.services.push(s);
            }
        }
        let ids: HashSet<Id> = d.services.iter().map(|s| s.id).collect();
        let usage = tx.open_table(USAGE)?;
        for s in &d.services {
            if let Some(u) = get::<_, Usage>(&usage, (tenant, s.id))? {
                d.usage.push((s.id, u));
            }
        }
        let mine = |s: &Session| s.service.is_some_and(|x| ids.contains(&x));
        let (history, by_service) = (tx.open_table(SESSION_HISTORY)?, tx.open_table(HISTORY_BY_SERVICE)?);
        for s in &d.services {
            d.sessions.extend(history_of(&by_service, &history, tenant, s.id)?.into_iter().map(|(_, x)| x));
        }
        for row in tx.open_table(SESSIONS_ACTIVE)?.range((tenant, 0, "")..(tenant + 1, 0, ""))? {
            let s: Session = super::codec::decode(row?.1.value())?;
            if mine(&s) {
                d.sessions.push(s);
            }
        }
        let payments = tx.open_table(PAYMENTS)?;
        for id in ids_under(&tx.open_table(PAYMENT_BY_CUSTOMER)?, tenant, customer)? {
            d.payments.extend(get_open::<_, Payment>(&self.secrets, &payments, (tenant, id))?);
        }
        for row in tx.open_table(STK_REQUESTS)?.range((tenant, "")..(tenant + 1, ""))? {
            let r: StkRequest = open_row(&self.secrets, row?.1.value())?;
            if r.customer == customer {
                d.stk.push(r);
            }
        }
        for row in tx.open_table(LEDGER)?.range((tenant, customer, 0)..=(tenant, customer, u64::MAX))? {
            d.ledger.push(super::codec::decode(row?.1.value())?);
        }
        d.balance = tx.open_table(BALANCES)?.get((tenant, customer))?.map_or(0, |v| v.value());
        let documents = tx.open_table(INVOICES)?;
        for id in ids_under(&tx.open_table(INVOICE_BY_CUSTOMER)?, tenant, customer)? {
            d.documents.extend(get::<_, Invoice>(&documents, (tenant, id))?);
        }
        d.tickets = tenant_rows::<Ticket>(&tx.open_table(TICKETS)?, tenant)?
            .into_iter()
            .filter(|x| x.customer == customer)
            .collect();
        let messages = tx.open_table(NOTIFY_MESSAGES)?;
        for row in tx.open_table(NOTIFY_BY_CUSTOMER)?.range((tenant, customer, 0)..=(tenant, customer, u64::MAX))? {
            if let Some(m) = get_open::<_, Message>(&self.secrets, &messages, (tenant, row?.0.value().2))? {
                d.messages.push(m);
            }
        }
        d.prefs = get(&tx.open_table(NOTIFY_PREFS)?, (tenant, customer))?;
        let audit_t = tx.open_table(AUDIT)?;
        let by_object = tx.open_table(AUDIT_BY_OBJECT)?;
        let mut seqs = Vec::new();
        for o in objects(customer, &d.services, &d.payments, &d.tickets) {
            for row in by_object.range((tenant, o.as_str(), 0)..=(tenant, o.as_str(), u64::MAX))? {
                seqs.push(row?.0.value().2);
            }
        }
        seqs.sort_unstable();
        seqs.dedup();
        for seq in seqs {
            if let Some(r) = get::<_, AuditRecord>(&audit_t, (tenant, seq))? {
                d.audit.push((seq, r));
            }
        }
        d.customer = Some(c);
        Ok(d)
    }

    /// Pseudonymise `customer` (see ARCHITECTURE.md, "Erasure keeps the
    /// books"): name, phone and e-mail go, its logins are renamed,
    /// disabled, their passwords replaced and their MAC and address
    /// released, so the router's next Access-Request is refused; sessions,
    /// payments, messages, tickets, pending webhooks and old audit records
    /// lose the personal values; ledger entries, amounts, numbers and dates
    /// stay. Online sessions are disconnected.
    pub fn erase_customer(&self, actor: &str, now: UnixTime, tenant: TenantId, id: Id) -> Result<Erased, StoreError> {
        // The write lock first: nothing commits between the read of what
        // is held and its erasure (reads run beside a write in redb).
        let tx = self.write()?;
        let d = self.dossier(tenant, id)?;
        let Some(c) = d.customer.clone() else {
            return Err(StoreError::NotFound(format!("customer {id}")));
        };
        let pseudonym = pseudonym(id);
        // (value, replacement): the person's values, distinctive first.
        let mut values: Vec<(String, String)> = Vec::new();
        if let Some(p) = &c.phone {
            values.push((p.clone(), ERASED.into()));
            if let Some(rest) = p.strip_prefix("254") {
                values.push((format!("0{rest}"), ERASED.into()));
            }
        }
        if let Some(e) = &c.email {
            values.push((e.clone(), ERASED.into()));
        }
        for s in &d.services {
            values.push((s.username.clone(), erased_login(s.id)));
            if let Some(m) = s.mac {
                values.push((m.to_string(), ERASED.into()));
            }
        }
        for p in &d.payments {
            if let Some(ph) = &p.phone {
                values.push((ph.clone(), ERASED.into()));
            }
        }
        values.retain(|(v, _)| v.len() >= 4);
        values.sort_by_key(|(v, _)| (std::cmp::Reverse(v.len()), v.clone()));
        values.dedup_by(|a, b| a.0 == b.0);
        let mut with_name = values.clone();
        if c.name.trim().len() >= 2 {
            with_name.insert(0, (c.name.clone(), pseudonym.clone()));
        }
        let mut out = Erased { pseudonym: pseudonym.clone(), ..Erased::default() };

        // The customer and its phone index.
        let after = Customer { name: pseudonym.clone(), phone: None, email: None, ..c.clone() };
        tx.open_table(CUSTOMERS)?.insert((tenant, id), seal_row(&self.secrets, &after).as_slice())?;
        if let Some(key) = phone_key(&self.secrets, c.phone.as_deref()) {
            let mut by_phone = tx.open_table(CUSTOMER_BY_PHONE)?;
            if by_phone.get((tenant, key.as_str()))?.is_some_and(|v| v.value() == id) {
                by_phone.remove((tenant, key.as_str()))?;
            }
        }
        tx.open_table(NOTIFY_PREFS)?.remove((tenant, id))?;

        // Logins: renamed, disabled, password replaced, MAC and address freed.
        for s in &d.services {
            erase_service(self, &tx, s, now)?;
            let shown = serde_json::json!({ "username": erased_login(s.id), "status": "disabled" }).to_string();
            audit(&tx, tenant, &record(now, actor, "service.erase", format!("service/{}", s.id), None, Some(shown)))?;
            out.services += 1;
        }
        let ids: HashSet<Id> = d.services.iter().map(|s| s.id).collect();
        out.sessions = scrub_history(&tx, tenant, &ids)?;
        out.payments = scrub_payments(&self.secrets, &tx, tenant, id, &d.payments)?;
        {
            let mut tickets = tx.open_table(TICKETS)?;
            for t in &d.tickets {
                let mut t = t.clone();
                t.subject = ERASED.into();
                t.messages.iter_mut().for_each(|m| m.body = ERASED.into());
                tickets.insert((tenant, t.id), encode(&t).as_slice())?;
                out.tickets += 1;
            }
        }
        {
            let mut messages = tx.open_table(NOTIFY_MESSAGES)?;
            let mut due = tx.open_table(NOTIFY_DUE)?;
            for m in &d.messages {
                let mut m = m.clone();
                m.to = ERASED.into();
                m.subject = ERASED.into();
                m.text = ERASED.into();
                if matches!(m.status, MsgStatus::Queued | MsgStatus::Held) {
                    due.remove((m.not_before, tenant, m.id))?;
                    m.status = MsgStatus::Cancelled;
                }
                messages.insert((tenant, m.id), seal_row(&self.secrets, &m).as_slice())?;
                out.messages += 1;
            }
        }
        scrub_books(&tx, tenant, id, &d.documents, &with_name)?;
        let objects: HashSet<String> = objects(id, &d.services, &d.payments, &d.tickets).into_iter().collect();
        out.audit_records = scrub_audit(&tx, tenant, &objects, &values, &with_name)?;
        scrub_pending(&tx, tenant, &objects, &values, &with_name)?;

        let shown = serde_json::to_string(&out).ok();
        audit(&tx, tenant, &record(now, actor, "customer.erase", format!("customer/{id}"), None, shown))?;
        self.commit(tx)?;
        Ok(out)
    }
}

/// One login made unusable and anonymous; its indexes follow.
fn erase_service(store: &Store, tx: &WriteTransaction, s: &Service, now: UnixTime) -> Result<(), StoreError> {
    let (tenant, id) = (s.tenant, s.id);
    let mut after = s.clone();
    after.username = erased_login(id);
    after.password = store.secrets.seal(super::Purpose::Password, super::random_hex(16).as_bytes());
    after.mac = None;
    after.static_ip = None;
    after.framed_routes.clear();
    after.ipv6_prefix = None;
    after.delegated_ipv6_prefix = None;
    after.status = ServiceStatus::Disabled;
    after.auto_renew = false;
    {
        let mut by_user = tx.open_table(SERVICE_BY_USERNAME)?;
        if by_user.get((tenant, s.username.as_str()))?.is_some_and(|v| v.value() == id) {
            by_user.remove((tenant, s.username.as_str()))?;
        }
        by_user.insert((tenant, after.username.as_str()), id)?;
    }
    if let Some(m) = s.mac {
        let mut by_mac = tx.open_table(SERVICE_BY_MAC)?;
        if by_mac.get((tenant, m.0))?.is_some_and(|v| v.value() == id) {
            by_mac.remove((tenant, m.0))?;
        }
    }
    if let Some(ip) = s.static_ip {
        let mut by_ip = tx.open_table(SERVICE_BY_IP)?;
        if by_ip.get((tenant, u32::from(ip)))?.is_some_and(|v| v.value() == id) {
            by_ip.remove((tenant, u32::from(ip)))?;
        }
    }
    tx.open_table(SERVICES)?.insert((tenant, id), encode(&after).as_slice())?;
    super::due::index(tx, &after)?;
    super::billing::reconnect_sessions(tx, tenant, id, "customer.erase", now)?;
    Ok(())
}

/// Closed sessions of these services lose the login, device and address.
fn scrub_history(tx: &WriteTransaction, tenant: TenantId, ids: &HashSet<Id>) -> Result<usize, StoreError> {
    let mut table = tx.open_table(SESSION_HISTORY)?;
    let mut changed = Vec::new();
    let by_service = tx.open_table(HISTORY_BY_SERVICE)?;
    for &svc in ids {
        for (seq, mut s) in history_of(&by_service, &table, tenant, svc)? {
            s.username = erased_login(svc);
            s.calling_station_id = None;
            s.framed_ip = None;
            s.nas_port_id = None;
            changed.push((seq, s));
        }
    }
    for (seq, s) in &changed {
        table.insert((tenant, *seq), encode(s).as_slice())?;
    }
    Ok(changed.len())
}

/// Payments keep amount, reference (the M-Pesa receipt) and time; the
/// payer's number, the typed account and the raw callback body go. STK
/// requests lose the number.
fn scrub_payments(
    secrets: &SecretBox,
    tx: &WriteTransaction,
    tenant: TenantId,
    customer: Id,
    ps: &[Payment],
) -> Result<usize, StoreError> {
    let mut payments = tx.open_table(PAYMENTS)?;
    let mut raw = tx.open_table(RAW_CALLBACKS)?;
    for p in ps {
        super::money_index::unindex_payer(secrets, tx, p)?;
        let mut p = p.clone();
        p.phone = None;
        p.account = None;
        if let Some(seq) = p.raw
            && let Some(mut r) = get_open::<_, RawCallback>(secrets, &raw, seq)?
        {
            r.body = br#"{"erased":true}"#.to_vec();
            raw.insert(seq, seal_row(secrets, &r).as_slice())?;
        }
        payments.insert((tenant, p.id), seal_row(secrets, &p).as_slice())?;
    }
    let mut stk = tx.open_table(STK_REQUESTS)?;
    let mut changed = Vec::new();
    for row in stk.range((tenant, "")..(tenant + 1, ""))? {
        let (k, v) = row?;
        let mut r: StkRequest = open_row(secrets, v.value())?;
        if r.customer == customer && !r.phone.is_empty() {
            r.phone = String::new();
            changed.push((k.value().1.to_string(), r));
        }
    }
    for (k, r) in &changed {
        stk.insert((tenant, k.as_str()), seal_row(secrets, r).as_slice())?;
    }
    Ok(ps.len())
}

/// Ledger reasons and references and invoice lines keep their amounts and
/// dates; a login, number or name in their words is replaced (a renewal's
/// line names the login it paid for).
fn scrub_books(
    tx: &WriteTransaction,
    tenant: TenantId,
    customer: Id,
    docs: &[Invoice],
    values: &[(String, String)],
) -> Result<(), StoreError> {
    let mut ledger = tx.open_table(LEDGER)?;
    let mut changed = Vec::new();
    for row in ledger.range((tenant, customer, 0)..=(tenant, customer, u64::MAX))? {
        let (k, v) = row?;
        let mut e: LedgerEntry = super::codec::decode(v.value())?;
        let reason = replaced(&e.reason, values);
        let reference = e.reference.as_deref().and_then(|r| replaced(r, values));
        if reason.is_some() || reference.is_some() {
            e.reason = reason.unwrap_or(e.reason);
            e.reference = reference.or(e.reference);
            changed.push((k.value().2, e));
        }
    }
    for (seq, e) in &changed {
        ledger.insert((tenant, customer, *seq), encode(e).as_slice())?;
    }
    let mut invoices = tx.open_table(INVOICES)?;
    for d in docs {
        let mut d = d.clone();
        let mut any = false;
        for l in &mut d.lines {
            if let Some(t) = replaced(&l.description, values) {
                l.description = t;
                any = true;
            }
        }
        if any {
            invoices.insert((tenant, d.id), encode(&d).as_slice())?;
        }
    }
    Ok(())
}

/// `text` with every value replaced; None when nothing was found.
pub fn replaced(text: &str, values: &[(String, String)]) -> Option<String> {
    if !values.iter().any(|(v, _)| text.contains(v.as_str())) {
        return None;
    }
    let mut t = text.to_string();
    for (v, r) in values {
        t = t.replace(v.as_str(), r);
    }
    Some(t)
}

/// Older audit records lose the person's values: every value in records
/// about the customer's objects (its name too), the distinctive ones
/// (phone, e-mail, logins, MACs) anywhere in the tenant's log. The
/// object and actor indexes do not change (objects are ids, actors are
/// admins). How many records changed.
fn scrub_audit(
    tx: &WriteTransaction,
    tenant: TenantId,
    objects: &HashSet<String>,
    values: &[(String, String)],
    with_name: &[(String, String)],
) -> Result<usize, StoreError> {
    let mut table = tx.open_table(AUDIT)?;
    let mut changed = Vec::new();
    for row in table.range((tenant, 0)..=(tenant, u64::MAX))? {
        let (k, v) = row?;
        let mut r: AuditRecord = super::codec::decode(v.value())?;
        let vals = if objects.contains(&r.object) { with_name } else { values };
        let (b, a) =
            (r.before.as_deref().and_then(|t| replaced(t, vals)), r.after.as_deref().and_then(|t| replaced(t, vals)));
        if b.is_none() && a.is_none() {
            continue;
        }
        r.before = b.or(r.before);
        r.after = a.or(r.after);
        changed.push((k.value().1, r));
    }
    for (seq, r) in &changed {
        table.insert((tenant, *seq), encode(r).as_slice())?;
    }
    Ok(changed.len())
}

/// Webhook deliveries not yet made, and the REST API's stored first
/// answers (Idempotency-Key), lose the person's values too.
fn scrub_pending(
    tx: &WriteTransaction,
    tenant: TenantId,
    objects: &HashSet<String>,
    values: &[(String, String)],
    with_name: &[(String, String)],
) -> Result<(), StoreError> {
    let mut queue = tx.open_table(WEBHOOK_QUEUE)?;
    let mut changed = Vec::new();
    for row in queue.iter()? {
        let (k, v) = row?;
        let mut d: Delivery = super::codec::decode(v.value())?;
        if d.tenant != tenant {
            continue;
        }
        // The name only where the event is about one of the customer's objects.
        let about = objects.iter().any(|o| d.body.contains(&format!("\"{o}\"")));
        if let Some(b) = replaced(&d.body, if about { with_name } else { values }) {
            d.body = b;
            changed.push((k.value(), d));
        }
    }
    for (k, d) in &changed {
        queue.insert(*k, encode(d).as_slice())?;
    }
    drop(queue);
    let mut idem = tx.open_table(IDEMPOTENCY)?;
    let mut gone = Vec::new();
    for row in idem.range((tenant, "")..(tenant + 1, ""))? {
        let (k, v) = row?;
        let body = String::from_utf8_lossy(v.value());
        if with_name.iter().any(|(x, _)| body.contains(x.as_str())) {
            gone.push(k.value().1.to_string());
        }
    }
    for k in gone {
        idem.remove((tenant, k.as_str()))?;
    }
    Ok(())
}
