//! Webhooks fed by the audit log: every change already writes its audit
//! record in its own transaction, so events are read from there, after a
//! per-tenant cursor, and turned into deliveries in the same transaction
//! that moves the cursor: an event is queued exactly once, even across
//! crashes. Deliveries wait in `WEBHOOK_QUEUE` until their endpoint
//! answers 2xx or the retries run out; every attempt is logged.

use redb::ReadableTable;

use super::codec::{decode, encode};
use super::tables::*;
use super::{Purpose, Store, StoreError, audit, get, record, shown_service, tenant_rows};
use crate::model::*;

/// The events lango sends.
pub const EVENTS: [&str; 12] = [
    "payment.received",
    "invoice.issued",
    "service.activated",
    "service.expired",
    "service.suspended",
    "voucher.redeemed",
    "session.started",
    "session.stopped",
    "router.down",
    "router.up",
    "router.alert",
    "router.alert_resolved",
];

/// Seconds between attempts; after the last, the delivery is given up.
pub const BACKOFF: [i64; 8] = [10, 30, 120, 600, 1800, 3600, 7200, 14400];

pub(super) fn cursor_key(tenant: TenantId) -> String {
    format!("webhook_cursor:{tenant}")
}

/// Which event an audit record is, if any.
fn event_of(rec: &AuditRecord) -> Option<&'static str> {
    let after = rec.after.as_deref().unwrap_or_default();
    match rec.action.as_str() {
        "payment.received" => Some("payment.received"),
        "invoice.issued" => Some("invoice.issued"),
        "service.renew" | "service.resume_paid" => Some("service.activated"),
        "service.first_use" => Some("service.activated"),
        "service.suspend_overdue" => Some("service.suspended"),
        "service.expired" => Some("service.expired"),
        "session.start" => Some("session.started"),
        "session.stop" => Some("session.stopped"),
        "nas.down" => Some("router.down"),
        "nas.up" => Some("router.up"),
        "nas.alert" => Some("router.alert"),
        "nas.alert_resolved" => Some("router.alert_resolved"),
        "service.status" if after.contains("\"status\":\"Suspended\"") => Some("service.suspended"),
        "service.status" if after.contains("\"status\":\"Active\"") => Some("service.activated"),
        _ => None,
    }
}

/// The event an audit record `seq` is and the body sent for it, if any.
pub(super) fn event_body(
    secrets: &super::secret::SecretBox,
    tx: &redb::WriteTransaction,
    tenant: TenantId,
    seq: u64,
    rec: &AuditRecord,
) -> Result<Option<(&'static str, String)>, StoreError> {
    let Some(mut event) = event_of(rec) else { return Ok(None) };
    let data = match rec.object.split_once('/') {
        Some(("service", id)) => {
            let svc: Option<Service> = get(&tx.open_table(SERVICES)?, (tenant, id.parse::<Id>().unwrap_or(0)))?;
            if rec.action == "service.first_use" && svc.as_ref().is_some_and(|s| s.voucher.is_some()) {
                event = "voucher.redeemed";
            }
            svc.as_ref().and_then(shown_service).and_then(|j| serde_json::from_str(&j).ok())
        }
        // No full MSISDN leaves in a webhook: the payer's number (and one
        // typed as the account) is masked, 2547****5678.
        Some(("payment", _)) => {
            rec.after.as_deref().map(crate::model::mask::mask_phones_in).and_then(|j| serde_json::from_str(&j).ok())
        }
        Some(("session", _)) => rec.after.as_deref().and_then(|j| serde_json::from_str(j).ok()),
        Some(("invoice", id)) => invoice_data(secrets, tx, tenant, id.parse::<Id>().unwrap_or(0))?,
        Some(("nas", id)) => Some(serde_json::json!({"nas": id.parse::<Id>().unwrap_or(0), "message": rec.after})),
        _ => None,
    };
    let body = serde_json::json!({
        "id": format!("{tenant}-{seq}"),
        "event": event,
        "created": rec.at,
        "object": rec.object,
        "data": data.unwrap_or(serde_json::Value::Null),
    })
    .to_string();
    Ok(Some((event, body)))
}

/// A phone number with its middle hidden: 2547****5678.
fn masked(p: &str) -> String {
    let n = p.chars().count();
    if n < 8 {
        return "****".into();
    }
    let head: String = p.chars().take(4).collect();
    let tail: String = p.chars().skip(n - 4).collect();
    format!("{head}****{tail}")
}

/// An issued sales document as `invoice.issued` carries it: the whole
/// document, the seller's tax PIN, and the customer by id with a masked
/// phone (no name, no e-mail).
fn invoice_data(
    secrets: &super::secret::SecretBox,
    tx: &redb::WriteTransaction,
    tenant: TenantId,
    id: Id,
) -> Result<Option<serde_json::Value>, StoreError> {
    let Some(d): Option<Invoice> = get(&tx.open_table(INVOICES)?, (tenant, id))? else { return Ok(None) };
    let billing: Option<TenantBilling> = get(&tx.open_table(TENANT_BILLING)?, tenant)?;
    let customer: Option<Customer> =
        super::personal::get_open(secrets, &tx.open_table(CUSTOMERS)?, (tenant, d.customer))?;
    let currency = get::<_, Tenant>(&tx.open_table(TENANTS)?, tenant)?.map(|t| t.currency);
    let lines: Vec<serde_json::Value> = d
        .lines
        .iter()
        .map(|l| {
            serde_json::json!({"description": l.description, "quantity": l.quantity, "unit_price": l.unit_price,
                "net": l.net, "tax": l.tax, "gross": l.gross})
        })
        .collect();
    Ok(Some(serde_json::json!({
        "id": d.id,
        "number": d.number,
        "kind": match d.kind { DocKind::Invoice => "invoice", DocKind::Receipt => "receipt" },
        "currency": currency,
        "issued_at": d.issued_at,
        "due_at": d.due_at,
        "paid_at": d.paid_at,
        "service": d.service,
        "lines": lines,
        "net": d.net,
        "tax": d.tax,
        "gross": d.gross,
        "tax_name": d.tax_name,
        "tax_pin": billing.and_then(|b| b.tax_pin).filter(|p| !p.is_empty()),
        "customer": {"id": d.customer, "phone": customer.and_then(|c| c.phone).map(|p| masked(&p))},
    })))
}

impl Store {
    /// A new endpoint; returns it and its signing secret (shown once).
    pub fn add_webhook(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        url: &str,
        events: Vec<String>,
    ) -> Result<(WebhookEndpoint, String), StoreError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(StoreError::Invalid(format!("webhook URL {url:?} must start with https://")));
        }
        if let Some(bad) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
            return Err(StoreError::Invalid(format!("unknown event {bad:?}; events are {}", EVENTS.join(", "))));
        }
        let secret = format!("whsec_{}", super::random_hex(24));
        let tx = self.write()?;
        let ep = WebhookEndpoint {
            id: Store::next_id(&tx)?,
            tenant,
            url: url.to_string(),
            secret: self.secrets.seal(Purpose::WebhookSecret, secret.as_bytes()),
            events,
            enabled: true,
            created_at: now,
        };
        tx.open_table(WEBHOOKS)?.insert((tenant, ep.id), encode(&ep).as_slice())?;
        // Start from now: older changes are not replayed to a new endpoint.
        let at = {
            let audit_table = tx.open_table(AUDIT)?;
            let last = audit_table.range((tenant, 0)..=(tenant, u64::MAX))?.next_back().transpose()?;
            last.map_or(0, |(k, _)| k.value().1)
        };
        let key = cursor_key(tenant);
        let mut meta = tx.open_table(META)?;
        if meta.get(key.as_str())?.is_none() {
            meta.insert(key.as_str(), at)?;
        }
        drop(meta);
        let shown = serde_json::json!({ "url": ep.url, "events": ep.events }).to_string();
        audit(&tx, tenant, &record(now, actor, "webhook.add", format!("webhook/{}", ep.id), None, Some(shown)))?;
        self.commit(tx)?;
        Ok((ep, secret))
    }

    pub fn webhooks(&self, tenant: TenantId) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let tx = self.read()?;
        tenant_rows(&tx.open_table(WEBHOOKS)?, tenant)
    }

    pub fn webhook_secret(&self, ep: &WebhookEndpoint) -> Result<Vec<u8>, StoreError> {
        Ok(self.secrets.open(Purpose::WebhookSecret, &ep.secret)?)
    }

    /// Queue the events in `tenant`'s audit log since its cursor for every
    /// endpoint that wants them, and move the cursor, in one transaction.
    pub fn queue_webhook_events(&self, tenant: TenantId, now: UnixTime) -> Result<usize, StoreError> {
        let endpoints: Vec<WebhookEndpoint> = self.webhooks(tenant)?.into_iter().filter(|e| e.enabled).collect();
        let key = cursor_key(tenant);
        if endpoints.is_empty() || !self.audit_after(tenant, &key)? {
            return Ok(0);
        }
        let tx = self.write()?;
        let from = tx.open_table(META)?.get(key.as_str())?.map_or(0, |v| v.value());
        let mut records = Vec::new();
        for row in tx.open_table(AUDIT)?.range((tenant, from + 1)..=(tenant, u64::MAX))? {
            let (k, v) = row?;
            records.push((k.value().1, decode::<AuditRecord>(v.value())?));
        }
        let Some(last) = records.last().map(|(seq, _)| *seq) else { return Ok(0) };
        let mut queued = 0;
        for (seq, rec) in &records {
            let Some((event, body)) = event_body(&self.secrets, &tx, tenant, *seq, rec)? else { continue };
            for ep in endpoints.iter().filter(|e| e.events.is_empty() || e.events.iter().any(|x| x == event)) {
                let d = Delivery {
                    tenant,
                    endpoint: ep.id,
                    event_id: format!("{tenant}-{seq}"),
                    event: event.to_string(),
                    body: body.clone(),
                    attempts: 0,
                    next_at: now,
                };
                let n = super::next_seq(&tx, "webhook_seq")?;
                tx.open_table(WEBHOOK_QUEUE)?.insert(n, encode(&d).as_slice())?;
                queued += 1;
            }
        }
        tx.open_table(META)?.insert(key.as_str(), last)?;
        self.commit(tx)?;
        Ok(queued)
    }

    /// Deliveries whose time has come, oldest first.
    pub fn due_deliveries(&self, now: UnixTime, max: usize) -> Result<Vec<(u64, Delivery)>, StoreError> {
        self.due_rows(WEBHOOK_QUEUE, now, max, |x: &Delivery| x.next_at)
    }

    /// Record an attempt: delivered (removed), retry later, or given up
    /// (removed) after the last backoff step.
    pub fn finish_delivery(
        &self,
        seq: u64,
        now: UnixTime,
        status: Option<u16>,
        error: Option<String>,
    ) -> Result<DeliveryLog, StoreError> {
        let tx = self.write()?;
        let mut queue = tx.open_table(WEBHOOK_QUEUE)?;
        let Some(mut d) = get::<_, Delivery>(&queue, seq)? else {
            return Err(StoreError::NotFound(format!("delivery {seq}")));
        };
        d.attempts += 1;
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        let outcome = if ok {
            queue.remove(seq)?;
            "delivered".to_string()
        } else if let Some(wait) = BACKOFF.get(d.attempts as usize - 1) {
            d.next_at = now + wait;
            queue.insert(seq, encode(&d).as_slice())?;
            format!("retry in {wait} s")
        } else {
            queue.remove(seq)?;
            "gave up".to_string()
        };
        drop(queue);
        let log = DeliveryLog {
            at: now,
            endpoint: d.endpoint,
            event_id: d.event_id,
            event: d.event,
            attempt: d.attempts,
            status,
            outcome,
            error,
        };
        let n = super::next_seq(&tx, "webhook_log_seq")?;
        tx.open_table(WEBHOOK_LOG)?.insert((d.tenant, n), encode(&log).as_slice())?;
        self.commit(tx)?;
        Ok(log)
    }

    pub fn webhook_log(&self, tenant: TenantId) -> Result<Vec<DeliveryLog>, StoreError> {
        let tx = self.read()?;
        tenant_rows(&tx.open_table(WEBHOOK_LOG)?, tenant)
    }

    /// Delivery attempts of `tenant`, newest first, a page at a time
    /// (`before`: the `next` of the previous page).
    pub fn webhook_log_page(
        &self,
        tenant: TenantId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<super::Page<DeliveryLog>, StoreError> {
        let tx = self.read()?;
        super::pages::page_rows(&tx.open_table(WEBHOOK_LOG)?, tenant, before, limit, |_| true)
    }

    /// Tenants that have at least one endpoint.
    pub fn webhook_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let tx = self.read()?;
        let mut out: Vec<TenantId> = Vec::new();
        for row in tx.open_table(WEBHOOKS)?.iter()? {
            let t = row?.0.value().0;
            if out.last() != Some(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }
}
