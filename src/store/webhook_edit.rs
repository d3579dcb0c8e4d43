//! Changing an endpoint after it was added: turn it off and on again,
//! delete it, and send one logged delivery again. A disabled endpoint gets
//! nothing while it is off (its queued deliveries wait and are retried
//! when it is on again); deleting one drops its queue; a resend queues the
//! same event, rebuilt from its audit record, with the same
//! `Lango-Delivery` id so the receiver can tell it is the same event.

use redb::ReadableTable;

use super::codec::{decode, encode};
use super::tables::*;
use super::webhooks::{cursor_key, event_body};
use super::{Store, StoreError, audit, get, record};
use crate::model::*;

fn endpoint(tx: &redb::WriteTransaction, tenant: TenantId, id: Id) -> Result<WebhookEndpoint, StoreError> {
    get(&tx.open_table(WEBHOOKS)?, (tenant, id))?.ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))
}

impl Store {
    /// Turn endpoint `id` on or off; the endpoint as it is now.
    pub fn set_webhook_enabled(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        enabled: bool,
    ) -> Result<WebhookEndpoint, StoreError> {
        let tx = self.write()?;
        let mut ep = endpoint(&tx, tenant, id)?;
        if ep.enabled == enabled {
            drop(tx);
            return Ok(ep);
        }
        // With no other endpoint on, the cursor stood still while this one
        // was off: start from now, as a new endpoint does, so what happened
        // while it was off is not sent.
        if enabled {
            let others_on = super::tenant_rows::<WebhookEndpoint>(&tx.open_table(WEBHOOKS)?, tenant)?
                .iter()
                .any(|e| e.enabled && e.id != id);
            if !others_on {
                let last = {
                    let t = tx.open_table(AUDIT)?;
                    let last = t.range((tenant, 0)..=(tenant, u64::MAX))?.next_back().transpose()?;
                    last.map_or(0, |(k, _)| k.value().1)
                };
                tx.open_table(META)?.insert(cursor_key(tenant).as_str(), last)?;
            }
        }
        ep.enabled = enabled;
        tx.open_table(WEBHOOKS)?.insert((tenant, id), encode(&ep).as_slice())?;
        let shown = |on: bool| Some(serde_json::json!({ "url": ep.url, "enabled": on }).to_string());
        let action = if enabled { "webhook.enable" } else { "webhook.disable" };
        audit(&tx, tenant, &record(now, actor, action, format!("webhook/{id}"), shown(!enabled), shown(enabled)))?;
        self.commit(tx)?;
        Ok(ep)
    }

    /// Delete endpoint `id` and whatever is still queued for it; its log
    /// stays.
    pub fn delete_webhook(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
    ) -> Result<WebhookEndpoint, StoreError> {
        let tx = self.write()?;
        let ep = endpoint(&tx, tenant, id)?;
        tx.open_table(WEBHOOKS)?.remove((tenant, id))?;
        let mut queue = tx.open_table(WEBHOOK_QUEUE)?;
        let mut drop_seqs = Vec::new();
        for row in queue.iter()? {
            let (k, v) = row?;
            let d: Delivery = decode(v.value())?;
            if d.tenant == tenant && d.endpoint == id {
                drop_seqs.push(k.value());
            }
        }
        for seq in drop_seqs {
            queue.remove(seq)?;
        }
        drop(queue);
        let before = serde_json::json!({ "url": ep.url, "events": ep.events, "enabled": ep.enabled }).to_string();
        audit(&tx, tenant, &record(now, actor, "webhook.delete", format!("webhook/{id}"), Some(before), None))?;
        self.commit(tx)?;
        Ok(ep)
    }

    /// Queue event `event_id` (as the log shows it) to endpoint `id` once
    /// more, now. Only an event the log shows for that endpoint.
    pub fn resend_webhook(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        event_id: &str,
    ) -> Result<Delivery, StoreError> {
        let tx = self.write()?;
        let ep = endpoint(&tx, tenant, id)?;
        let unknown = || StoreError::NotFound(format!("delivery {event_id:?} to webhook {id}"));
        let logged = super::tenant_rows::<DeliveryLog>(&tx.open_table(WEBHOOK_LOG)?, tenant)?
            .iter()
            .any(|l| l.endpoint == id && l.event_id == event_id);
        let seq = event_id
            .strip_prefix(&format!("{tenant}-"))
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|_| logged)
            .ok_or_else(unknown)?;
        let rec: AuditRecord = get(&tx.open_table(AUDIT)?, (tenant, seq))?.ok_or_else(unknown)?;
        let (event, body) = event_body(&self.secrets, &tx, tenant, seq, &rec)?.ok_or_else(unknown)?;
        let d = Delivery {
            tenant,
            endpoint: ep.id,
            event_id: event_id.to_string(),
            event: event.to_string(),
            body,
            attempts: 0,
            next_at: now,
        };
        let n = super::next_seq(&tx, "webhook_seq")?;
        tx.open_table(WEBHOOK_QUEUE)?.insert(n, encode(&d).as_slice())?;
        let after = serde_json::json!({ "event_id": event_id, "event": event, "url": ep.url }).to_string();
        audit(&tx, tenant, &record(now, actor, "webhook.resend", format!("webhook/{id}"), None, Some(after)))?;
        self.commit(tx)?;
        Ok(d)
    }
}
