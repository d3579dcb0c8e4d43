//! Changes the admin pages make beyond creating: a plan edited or taken
//! off sale (plans are never removed: services and invoices refer to
//! them), and a customer deleted — only one that nothing refers to (no
//! service, no wallet entry, no ticket); otherwise the refusal says why.
//! Every change is one transaction with its audit record.

use redb::ReadableTable;

use super::codec::encode;
use super::tables::*;
use super::{Store, StoreError, audit, get, json, record, tenant_rows};
use crate::model::*;

impl Store {
    /// Replace a plan's terms (same id and tenant). Renewals from now on
    /// use them; periods already paid are not touched.
    /// Change a plan (audited); online sessions on it get what the CoA
    /// planner says. Returns the plan and how many sessions got a task.
    pub fn update_plan(&self, actor: &str, now: UnixTime, plan: &Plan) -> Result<(Plan, usize), StoreError> {
        if plan.name.trim().is_empty() {
            return Err(StoreError::Invalid("plan name is empty".into()));
        }
        if plan.validity.count == 0 {
            return Err(StoreError::Invalid("plan validity must be more than zero".into()));
        }
        let tx = self.write()?;
        let replanned = {
            let mut table = tx.open_table(PLANS)?;
            let before: Plan = get(&table, (plan.tenant, plan.id))?
                .ok_or_else(|| StoreError::NotFound(format!("plan {}", plan.id)))?;
            if tenant_rows::<Plan>(&table, plan.tenant)?.iter().any(|x| x.name == plan.name && x.id != plan.id) {
                return Err(StoreError::Conflict(format!("plan {:?} already exists", plan.name)));
            }
            table.insert((plan.tenant, plan.id), encode(plan).as_slice())?;
            drop(table);
            let action = if before.disabled != plan.disabled { "plan.disabled" } else { "plan.update" };
            let object = format!("plan/{}", plan.id);
            audit(&tx, plan.tenant, &record(now, actor, action, object, json(&before), json(plan)))?;
            super::replan::after_plan_edit(&tx, &before, plan, now)?
        };
        self.commit(tx)?;
        Ok((plan.clone(), replanned))
    }

    /// Delete a customer nothing refers to. A customer with services, a
    /// wallet history or tickets is refused (suspend its services instead):
    /// payments, receipts and sessions must keep pointing at someone.
    pub fn delete_customer(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
    ) -> Result<Customer, StoreError> {
        let tx = self.write()?;
        let customer = {
            let mut customers = tx.open_table(CUSTOMERS)?;
            let c: Customer = super::personal::get_open(&self.secrets, &customers, (tenant, id))?
                .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))?;
            let services = tx.open_table(SERVICE_BY_CUSTOMER)?.range((tenant, id, 0)..=(tenant, id, u64::MAX))?.count();
            let entries = tx.open_table(LEDGER)?.range((tenant, id, 0)..=(tenant, id, u64::MAX))?.count();
            let tickets =
                tenant_rows::<Ticket>(&tx.open_table(TICKETS)?, tenant)?.iter().filter(|t| t.customer == id).count();
            let mut refs = Vec::new();
            if services > 0 {
                refs.push(format!("{services} service(s)"));
            }
            if entries > 0 {
                refs.push(format!("{entries} wallet entr{}", if entries == 1 { "y" } else { "ies" }));
            }
            if tickets > 0 {
                refs.push(format!("{tickets} ticket(s)"));
            }
            if !refs.is_empty() {
                return Err(StoreError::Conflict(format!(
                    "{} has {}; kept for the records (suspend the services instead)",
                    c.name,
                    refs.join(", ")
                )));
            }
            customers.remove((tenant, id))?;
            if let Some(key) = super::personal::phone_key(&self.secrets, c.phone.as_deref()) {
                tx.open_table(CUSTOMER_BY_PHONE)?.remove((tenant, key.as_str()))?;
            }
            tx.open_table(BALANCES)?.remove((tenant, id))?;
            if let Some(r) = tx.open_table(CUSTOMER_RESELLER)?.remove((tenant, id))?.map(|v| v.value()) {
                tx.open_table(RESELLER_CUSTOMERS)?.remove((tenant, r, id))?;
            }
            audit(
                &tx,
                tenant,
                &record(now, actor, "customer.delete", format!("customer/{id}"), super::shown_customer(&c), None),
            )?;
            c
        };
        self.commit(tx)?;
        Ok(customer)
    }
}
