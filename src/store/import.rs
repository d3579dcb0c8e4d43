//! Applying an import: plans, customers and services in one transaction,
//! after a check that reports every clash (a username or MAC or address
//! already taken, a plan that exists nowhere) by input line. Nothing is
//! written unless everything fits.

use std::collections::HashSet;

use super::codec::encode;
use super::tables::*;
use super::{NewService, Store, StoreError, audit, json, record};
use crate::import::{ImportSet, Problem};
use crate::model::*;

/// What an import added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub plans: usize,
    pub customers: usize,
    pub services: usize,
}

impl Store {
    /// Every reason `set` cannot be imported into `tenant` as it stands.
    pub fn check_import(&self, tenant: TenantId, set: &ImportSet) -> Result<Vec<Problem>, StoreError> {
        let tx = self.read()?;
        let existing: Vec<Plan> = super::tenant_rows(&tx.open_table(PLANS)?, tenant)?;
        let plans: HashSet<&str> =
            existing.iter().map(|p| p.name.as_str()).chain(set.plans.iter().map(|p| p.name.as_str())).collect();
        let (by_user, by_mac, by_ip) =
            (tx.open_table(SERVICE_BY_USERNAME)?, tx.open_table(SERVICE_BY_MAC)?, tx.open_table(SERVICE_BY_IP)?);
        let (mut users, mut macs, mut ips) = (HashSet::new(), HashSet::new(), HashSet::new());
        let mut out = Vec::new();
        for c in &set.customers {
            for s in &c.services {
                let mut bad = |m: String| out.push(Problem { line: s.line, message: m });
                if !plans.contains(s.plan.as_str()) {
                    bad(format!("{}: no plan {:?}", s.username, s.plan));
                }
                if by_user.get((tenant, s.username.as_str()))?.is_some() {
                    bad(format!("username {:?} is taken", s.username));
                } else if !users.insert(s.username.as_str()) {
                    bad(format!("username {:?} appears twice", s.username));
                }
                if let Some(m) = s.mac
                    && (by_mac.get((tenant, m.0))?.is_some() || !macs.insert(m.0))
                {
                    bad(format!("MAC {m} already belongs to a service"));
                }
                if let Some(ip) = s.static_ip
                    && (by_ip.get((tenant, u32::from(ip)))?.is_some() || !ips.insert(u32::from(ip)))
                {
                    bad(format!("address {ip} already belongs to a service"));
                }
            }
        }
        Ok(out)
    }

    /// Write `set` in one transaction (checked again inside it).
    pub fn import(&self, actor: &str, now: UnixTime, tenant: TenantId, set: ImportSet) -> Result<Imported, StoreError> {
        self.import_with_progress(actor, now, tenant, set, &mut |_, _| {})
    }

    /// `import`, calling `progress(customers written, customers in all)`
    /// as it goes (the CLI's progress bar). Still one transaction.
    pub fn import_with_progress(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        set: ImportSet,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Imported, StoreError> {
        let total = set.customers.len();
        if let Some(p) = self.check_import(tenant, &set)?.into_iter().next() {
            return Err(StoreError::Invalid(p.to_string()));
        }
        let mut done = Imported::default();
        let tx = self.write()?;
        let mut plan_ids: std::collections::HashMap<String, Id> =
            super::tenant_rows::<Plan>(&tx.open_table(PLANS)?, tenant)?.into_iter().map(|p| (p.name, p.id)).collect();
        for mut p in set.plans {
            if plan_ids.contains_key(&p.name) {
                continue;
            }
            p.id = Store::next_id(&tx)?;
            p.tenant = tenant;
            tx.open_table(PLANS)?.insert((tenant, p.id), encode(&p).as_slice())?;
            plan_ids.insert(p.name.clone(), p.id);
            done.plans += 1;
        }
        for c in set.customers {
            let customer = Customer {
                id: Store::next_id(&tx)?,
                tenant,
                name: c.name,
                phone: c.phone,
                email: c.email,
                created_at: now,
                category: c.category,
            };
            let sealed = super::personal::seal_row(&self.secrets, &customer);
            tx.open_table(CUSTOMERS)?.insert((tenant, customer.id), sealed.as_slice())?;
            if let Some(key) = super::personal::phone_key(&self.secrets, customer.phone.as_deref()) {
                tx.open_table(CUSTOMER_BY_PHONE)?.insert((tenant, key.as_str()), customer.id)?;
            }
            done.customers += 1;
            progress(done.customers, total);
            for s in c.services {
                let plan = *plan_ids.get(&s.plan).ok_or_else(|| StoreError::NotFound(format!("plan {:?}", s.plan)))?;
                let mut n = NewService::new(customer.id, plan, s.access, &s.username, &s.password);
                n.mac = s.mac;
                n.static_ip = s.static_ip;
                n.expires_at = s.expires_at;
                n.imported = true;
                let mut svc = self.insert_service(&tx, tenant, now, n)?;
                if s.disabled {
                    svc.status = ServiceStatus::Disabled;
                    tx.open_table(SERVICES)?.insert((tenant, svc.id), encode(&svc).as_slice())?;
                    tx.open_table(SERVICE_BY_CUSTOMER)?.insert((tenant, svc.customer, svc.id), ())?;
                }
                done.services += 1;
            }
        }
        let rec = record(
            now,
            actor,
            "import",
            format!("import/{}", done.services),
            None,
            json(&(done.plans, done.customers, done.services)),
        );
        audit(&tx, tenant, &rec)?;
        self.commit(tx)?;
        Ok(done)
    }
}
