//! Creating customers: the phone kept in one form (2547XXXXXXXX) and unique
//! per tenant through its token, the record sealed (`personal.rs`).

use redb::ReadableTable;

use super::personal::{phone_key, seal_row, tenant_rows_open};
use super::tables::*;
use super::{Store, StoreError, audit, record};
use crate::model::*;

impl Store {
    pub fn create_customer(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        name: &str,
        phone: Option<String>,
        category: Option<String>,
    ) -> Result<Customer, StoreError> {
        let tx = self.write()?;
        let c = self.insert_customer(&tx, actor, now, tenant, name, phone, None, category)?;
        self.commit(tx)?;
        Ok(c)
    }

    /// Create a customer inside the caller's transaction (with its audit
    /// record), so another write can commit with it.
    #[allow(clippy::too_many_arguments)] // the customer's fields
    pub(crate) fn insert_customer(
        &self,
        tx: &redb::WriteTransaction,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        name: &str,
        phone: Option<String>,
        email: Option<String>,
        category: Option<String>,
    ) -> Result<Customer, StoreError> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("customer name is empty".into()));
        }
        // Phone numbers are kept in one form (2547XXXXXXXX), so that an
        // M-Pesa payment from that number finds the customer.
        let phone = match phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(msisdn(p).ok_or_else(|| {
                StoreError::Invalid(format!(
                    "phone {p:?} is not a Kenyan mobile number (07XXXXXXXX, 01XXXXXXXX, +2547XXXXXXXX)"
                ))
            })?),
            None => None,
        };
        let c = Customer {
            id: Store::next_id(tx)?,
            tenant,
            name: name.to_string(),
            phone,
            email,
            created_at: now,
            category: category.map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty()),
        };
        if let Some(key) = phone_key(&self.secrets, c.phone.as_deref()) {
            let mut by_phone = tx.open_table(CUSTOMER_BY_PHONE)?;
            if by_phone.get((tenant, key.as_str()))?.is_some() {
                let p = crate::model::mask::mask_phone(c.phone.as_deref().unwrap_or_default());
                return Err(StoreError::Conflict(format!("phone {p} belongs to another customer")));
            }
            by_phone.insert((tenant, key.as_str()), c.id)?;
        }
        tx.open_table(CUSTOMERS)?.insert((tenant, c.id), seal_row(&self.secrets, &c).as_slice())?;
        super::reports::note(tx, tenant, None, now, &[(super::reports::Metric::CustomersNew, 0, 1)])?;
        let shown = super::shown_customer(&c);
        audit(tx, tenant, &record(now, actor, "customer.create", format!("customer/{}", c.id), None, shown))?;
        Ok(c)
    }

    pub fn customers(&self, tenant: TenantId) -> Result<Vec<Customer>, StoreError> {
        let tx = self.read()?;
        tenant_rows_open(&self.secrets, &tx.open_table(CUSTOMERS)?, tenant)
    }
}
