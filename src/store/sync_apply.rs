//! Applying a hub-owned record sent by the hub: the whole value replaces
//! the copy, and every index the record feeds (slug, username, MAC, static
//! address, customer, phone, due list) follows from the old value to the
//! new. The hub validated the change; here an index entry another record
//! still holds is taken over, since that record's own change follows in
//! the stream.

use super::personal::{get_open, open_row, phone_key, seal_row};
use super::secret::SecretBox;
use redb::{ReadableTable, WriteTransaction};

use super::codec::{decode, encode};
use super::secret::Purpose;
use super::sync::{ACTOR, Kind};
use super::tables::*;
use super::{Store, StoreError, audit, get, record};
use crate::model::*;

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_entity(
        &self,
        tx: &WriteTransaction,
        tenant: TenantId,
        kind: Kind,
        id: Id,
        value: Option<&[u8]>,
        secret: Option<&[u8]>,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let object = format!("{}/{id}", kind.as_str());
        match kind {
            Kind::Tenant => apply_tenant(tx, tenant, value.map(decode).transpose()?)?,
            Kind::Nas => {
                let nas = match value {
                    Some(v) => {
                        let mut n: Nas = decode(v)?;
                        n.secret = self.secrets.seal(Purpose::NasSecret, secret.unwrap_or_default());
                        Some(n)
                    }
                    None => None,
                };
                let mut t = tx.open_table(NAS)?;
                match nas {
                    Some(n) => t.insert((tenant, id), encode(&n).as_slice())?,
                    None => t.remove((tenant, id))?,
                };
                drop(t);
                super::crud::bump_generation(tx)?;
            }
            Kind::Plan => {
                let mut t = tx.open_table(PLANS)?;
                match value {
                    Some(v) => t.insert((tenant, id), encode(&decode::<Plan>(v)?).as_slice())?,
                    None => t.remove((tenant, id))?,
                };
            }
            // A customer travels in clear inside the sealed change (see
            // `entity_value`) and is sealed here under this node's key.
            Kind::Customer => {
                let c = value.map(|v| open_row(&self.secrets, v)).transpose()?;
                apply_customer(&self.secrets, tx, tenant, id, c)?
            }
            Kind::Service => {
                let service = match value {
                    Some(v) => {
                        let mut s: Service = decode(v)?;
                        s.password = self.secrets.seal(Purpose::Password, secret.unwrap_or_default());
                        Some(s)
                    }
                    None => None,
                };
                apply_service(tx, tenant, id, service, now)?;
            }
        }
        let action = if value.is_some() { "sync.apply" } else { "sync.delete" };
        audit(tx, tenant, &record(now, ACTOR, action, object, None, None))
    }
}

fn apply_tenant(tx: &WriteTransaction, tenant: TenantId, t: Option<Tenant>) -> Result<(), StoreError> {
    let mut table = tx.open_table(TENANTS)?;
    let old: Option<Tenant> = get(&table, tenant)?;
    let mut slugs = tx.open_table(TENANT_BY_SLUG)?;
    if let Some(old) = &old
        && t.as_ref().is_none_or(|t| t.slug != old.slug)
        && slugs.get(old.slug.as_str())?.is_some_and(|v| v.value() == tenant)
    {
        slugs.remove(old.slug.as_str())?;
    }
    match t {
        Some(t) => {
            slugs.insert(t.slug.as_str(), tenant)?;
            table.insert(tenant, encode(&t).as_slice())?;
        }
        None => {
            table.remove(tenant)?;
        }
    }
    drop((table, slugs));
    super::crud::bump_generation(tx)
}

fn apply_customer(
    secrets: &SecretBox,
    tx: &WriteTransaction,
    tenant: TenantId,
    id: Id,
    c: Option<Customer>,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(CUSTOMERS)?;
    let old: Option<Customer> = get_open(secrets, &table, (tenant, id))?;
    let mut phones = tx.open_table(CUSTOMER_BY_PHONE)?;
    if let Some(key) = phone_key(secrets, old.as_ref().and_then(|o| o.phone.as_deref()))
        && phones.get((tenant, key.as_str()))?.is_some_and(|v| v.value() == id)
    {
        phones.remove((tenant, key.as_str()))?;
    }
    match c {
        Some(c) => {
            if let Some(key) = phone_key(secrets, c.phone.as_deref()) {
                phones.insert((tenant, key.as_str()), id)?;
            }
            table.insert((tenant, id), seal_row(secrets, &c).as_slice())?;
        }
        None => {
            table.remove((tenant, id))?;
        }
    }
    Ok(())
}

/// Replace a service and its indexes; its online sessions here are
/// disconnected (to log in again with the new state) when the change ends
/// their right to what they have: a status other than active, another
/// plan or login, or a renewal of a service that had lapsed (its sessions
/// are captive).
fn apply_service(
    tx: &WriteTransaction,
    tenant: TenantId,
    id: Id,
    s: Option<Service>,
    now: UnixTime,
) -> Result<(), StoreError> {
    let old: Option<Service> = get(&tx.open_table(SERVICES)?, (tenant, id))?;
    {
        let mut by_user = tx.open_table(SERVICE_BY_USERNAME)?;
        let mut by_mac = tx.open_table(SERVICE_BY_MAC)?;
        let mut by_ip = tx.open_table(SERVICE_BY_IP)?;
        let mut by_customer = tx.open_table(SERVICE_BY_CUSTOMER)?;
        if let Some(o) = &old {
            if by_user.get((tenant, o.username.as_str()))?.is_some_and(|v| v.value() == id) {
                by_user.remove((tenant, o.username.as_str()))?;
            }
            if let Some(m) = o.mac
                && by_mac.get((tenant, m.0))?.is_some_and(|v| v.value() == id)
            {
                by_mac.remove((tenant, m.0))?;
            }
            if let Some(ip) = o.static_ip
                && by_ip.get((tenant, u32::from(ip)))?.is_some_and(|v| v.value() == id)
            {
                by_ip.remove((tenant, u32::from(ip)))?;
            }
            by_customer.remove((tenant, o.customer, id))?;
        }
        if let Some(s) = &s {
            by_user.insert((tenant, s.username.as_str()), id)?;
            if let Some(m) = s.mac {
                by_mac.insert((tenant, m.0), id)?;
            }
            if let Some(ip) = s.static_ip {
                by_ip.insert((tenant, u32::from(ip)), id)?;
            }
            by_customer.insert((tenant, s.customer, id), ())?;
        }
    }
    let mut services = tx.open_table(SERVICES)?;
    match &s {
        Some(s) => services.insert((tenant, id), encode(s).as_slice())?,
        None => services.remove((tenant, id))?,
    };
    drop(services);
    match &s {
        Some(s) => super::due::index(tx, s)?,
        None => super::due::file(tx, tenant, id, None)?,
    }
    let reason = match (&old, &s) {
        (Some(_), None) => Some("deleted"),
        (Some(o), Some(n)) if n.status != o.status && n.status != ServiceStatus::Active => Some(n.status.as_str()),
        (Some(o), Some(n)) if n.plan != o.plan || n.username != o.username => Some("changed"),
        (Some(o), Some(n)) if o.expires_at.is_some_and(|e| e <= now) && n.expires_at > o.expires_at => Some("renewed"),
        (Some(o), Some(n)) if n.status == ServiceStatus::Active && o.status != ServiceStatus::Active => Some("resumed"),
        _ => None,
    };
    if let Some(reason) = reason {
        super::billing::reconnect_sessions(tx, tenant, id, reason, now)?;
    }
    Ok(())
}
