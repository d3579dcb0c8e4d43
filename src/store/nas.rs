//! Routers (NAS): added with their secret sealed, listed, edited,
//! disabled, their secret rotated. Every change is one transaction with
//! its audit record (never the secret) and bumps the config generation so
//! the RADIUS directory reloads.

use redb::{ReadableTable, WriteTransaction};
use std::net::IpAddr;

use super::codec::{decode, encode};
use super::crud::{NewNas, bump_generation};
use super::tables::*;
use super::{Purpose, Store, StoreError, audit, get, json, record, tenant_rows};
use crate::model::*;

impl Store {
    // ---- NAS --------------------------------------------------------------

    pub fn create_nas(&self, actor: &str, now: UnixTime, tenant: TenantId, n: NewNas) -> Result<Nas, StoreError> {
        let tx = self.write()?;
        let nas = self.insert_nas(&tx, actor, now, tenant, n)?;
        self.commit(tx)?;
        Ok(nas)
    }

    /// Add a NAS inside `tx` (its secret sealed, its audit record without it).
    pub(crate) fn insert_nas(
        &self,
        tx: &WriteTransaction,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        n: NewNas,
    ) -> Result<Nas, StoreError> {
        let max = if n.address.is_ipv4() { 32 } else { 128 };
        if n.prefix > max {
            return Err(StoreError::Invalid(format!("prefix /{} is too long for {}", n.prefix, n.address)));
        }
        if n.secret.len() < 8 {
            return Err(StoreError::Invalid("NAS secret must be at least 8 characters".into()));
        }
        let mut table = tx.open_table(NAS)?;
        for existing in tenant_rows::<Nas>(&table, tenant)? {
            if existing.address == n.address && existing.prefix == n.prefix {
                return Err(StoreError::Conflict(format!("NAS {}/{} already exists", n.address, n.prefix)));
            }
        }
        let nas = Nas {
            id: Store::next_id(tx)?,
            tenant,
            name: n.name,
            address: n.address,
            prefix: n.prefix,
            secret: self.secrets.seal(Purpose::NasSecret, n.secret.as_bytes()),
            require_message_authenticator: n.require_message_authenticator,
            coa_port: 3799,
            disabled: false,
        };
        table.insert((tenant, nas.id), encode(&nas).as_slice())?;
        // The audit record never carries the secret, sealed or not.
        let shown = Nas { secret: Sealed::default(), ..nas.clone() };
        audit(tx, tenant, &record(now, actor, "nas.create", format!("nas/{}", nas.id), None, json(&shown)))?;
        bump_generation(tx)?;
        Ok(nas)
    }

    pub fn all_nas(&self) -> Result<Vec<Nas>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(NAS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn set_nas_disabled(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        disabled: bool,
    ) -> Result<Nas, StoreError> {
        self.update_nas(actor, now, tenant, id, "nas.disabled", |n| n.disabled = disabled)
    }

    /// Port the router listens on for CoA / Disconnect-Request.
    pub fn set_nas_coa_port(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        port: u16,
    ) -> Result<Nas, StoreError> {
        self.update_nas(actor, now, tenant, id, "nas.coa_port", |n| n.coa_port = port)
    }

    /// Change a router's name, address or subnet, CoA port and whether it
    /// must send Message-Authenticator; the secret stays.
    #[allow(clippy::too_many_arguments)] // the router's editable fields
    pub fn edit_nas(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        name: &str,
        (address, prefix): (IpAddr, u8),
        coa_port: u16,
        require_message_authenticator: bool,
    ) -> Result<Nas, StoreError> {
        let max = if address.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(StoreError::Invalid(format!("prefix /{prefix} is too long for {address}")));
        }
        let clash = self
            .all_nas()?
            .into_iter()
            .find(|n| n.tenant == tenant && n.id != id && n.address == address && n.prefix == prefix);
        if let Some(other) = clash {
            return Err(StoreError::Conflict(format!("router {} already has {address}/{prefix}", other.name)));
        }
        self.update_nas(actor, now, tenant, id, "nas.update", |n| {
            n.name = name.trim().to_string();
            n.address = address;
            n.prefix = prefix;
            n.coa_port = coa_port;
            n.require_message_authenticator = require_message_authenticator;
        })
    }

    /// A new shared secret for a router (sealed; the audit record says only
    /// that it changed). The old one stops working within the directory's
    /// reload (a few seconds).
    pub fn set_nas_secret(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        secret: &str,
    ) -> Result<Nas, StoreError> {
        if secret.len() < 8 {
            return Err(StoreError::Invalid("NAS secret must be at least 8 characters".into()));
        }
        let sealed = self.secrets.seal(Purpose::NasSecret, secret.as_bytes());
        self.update_nas(actor, now, tenant, id, "nas.secret_rotated", |n| n.secret = sealed)
    }

    fn update_nas(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        action: &str,
        f: impl FnOnce(&mut Nas),
    ) -> Result<Nas, StoreError> {
        let tx = self.write()?;
        let nas = {
            let mut table = tx.open_table(NAS)?;
            let before: Nas = get(&table, (tenant, id))?.ok_or_else(|| StoreError::NotFound(format!("NAS {id}")))?;
            let mut after = before.clone();
            f(&mut after);
            table.insert((tenant, id), encode(&after).as_slice())?;
            // Never the secret, sealed or not.
            let shown = |n: &Nas| {
                format!(
                    "name={:?} address={}/{} coa_port={} require_message_authenticator={} disabled={}",
                    n.name, n.address, n.prefix, n.coa_port, n.require_message_authenticator, n.disabled
                )
            };
            audit(
                &tx,
                tenant,
                &record(now, actor, action, format!("nas/{id}"), Some(shown(&before)), Some(shown(&after))),
            )?;
            bump_generation(&tx)?;
            after
        };
        self.commit(tx)?;
        Ok(nas)
    }
}
