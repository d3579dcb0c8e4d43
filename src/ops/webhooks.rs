//! Webhook endpoints as `lango webhook` and the admin webhooks page change
//! them: disable, enable, delete, and resend one delivery from the log.

use super::OpError;
use crate::model::{Delivery, Id, TenantId, UnixTime, WebhookEndpoint};
use crate::store::{Store, StoreError};

fn about<T>(field: &'static str, r: Result<T, StoreError>) -> Result<T, OpError> {
    match r {
        Err(e @ StoreError::NotFound(_)) => Err(OpError::field(field, e)),
        other => Ok(other?),
    }
}

/// Turn endpoint `id` on or off (already so: nothing changes).
pub fn set_enabled(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    id: Id,
    on: bool,
) -> Result<WebhookEndpoint, OpError> {
    about("id", store.set_webhook_enabled(actor, now, tenant, id, on))
}

pub fn delete(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, id: Id) -> Result<WebhookEndpoint, OpError> {
    about("id", store.delete_webhook(actor, now, tenant, id))
}

/// Send event `event_id` (as the log shows it) to endpoint `id` again.
pub fn resend(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    id: Id,
    event_id: &str,
) -> Result<Delivery, OpError> {
    about("event", store.resend_webhook(actor, now, tenant, id, event_id.trim()))
}
