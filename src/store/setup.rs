//! First-run setup: the platform admin, the first tenant (with its tax and
//! language) and the first router, written in one transaction that also
//! checks no admin exists yet, so two browsers racing through the setup
//! page cannot both succeed and a crash leaves either everything or
//! nothing.

use redb::ReadableTableMetadata;

use super::tables::*;
use super::{Store, StoreError, crud::insert_tenant};
use crate::model::*;

/// What the setup page collects; the NAS secret is sealed on the way in.
#[derive(Clone, Debug)]
pub struct FirstRun {
    pub admin: Admin,
    pub tenant: Tenant,
    pub billing: TenantBilling,
    pub branding: Branding,
    pub nas: super::NewNas,
}

impl Store {
    /// Whether any admin exists (the setup page is open only while none does).
    pub fn has_admin(&self) -> Result<bool, StoreError> {
        let tx = self.read()?;
        Ok(!tx.open_table(ADMINS)?.is_empty()?)
    }

    /// Create the first admin alone (a site: its tenants and routers come
    /// from the hub); refused with a conflict once any admin exists.
    pub fn first_admin(&self, actor: &str, now: UnixTime, admin: &Admin) -> Result<(), StoreError> {
        let tx = self.write()?;
        if !tx.open_table(ADMINS)?.is_empty()? {
            return Err(StoreError::Conflict("setup is already done: an admin exists".into()));
        }
        super::admin::insert_admin(&tx, actor, now, admin)?;
        self.commit(tx)
    }

    /// Create the first admin, tenant and router together; refused with a
    /// conflict once any admin exists.
    pub fn first_run(&self, actor: &str, now: UnixTime, f: FirstRun) -> Result<(Tenant, Nas), StoreError> {
        let tx = self.write()?;
        if !tx.open_table(ADMINS)?.is_empty()? {
            return Err(StoreError::Conflict("setup is already done: an admin exists".into()));
        }
        let tenant = insert_tenant(&tx, actor, now, f.tenant)?;
        super::billing::put_tenant_billing(&tx, actor, now, tenant.id, &f.billing)?;
        super::portal::put_branding(&tx, actor, now, tenant.id, &f.branding)?;
        let nas = self.insert_nas(&tx, actor, now, tenant.id, f.nas)?;
        super::admin::insert_admin(&tx, actor, now, &f.admin)?;
        self.commit(tx)?;
        Ok((tenant, nas))
    }
}
