//! Create, read, list and change tenants, NAS, plans, services and admins
//! (customers: `customers.rs`). Every change is one transaction with its audit record; indexes
//! (username, MAC, static IP) are kept in the same transaction.

use redb::{ReadableTable, WriteTransaction};
use std::net::{IpAddr, Ipv4Addr};

use super::codec::{decode, encode};
use super::tables::*;
use super::{Purpose, Store, StoreError, audit, get, json, next_seq, record, shown_service, tenant_rows};
use crate::model::*;

/// What the caller supplies to add a NAS; the secret is sealed here.
#[derive(Clone, Debug)]
pub struct NewNas {
    pub name: String,
    pub address: IpAddr,
    pub prefix: u8,
    pub secret: String,
    pub require_message_authenticator: bool,
}

/// What `edit_service` sets (all three; the caller fills in what stays).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEdit {
    pub mac: Option<Mac>,
    pub static_ip: Option<Ipv4Addr>,
    pub plan: Id,
    pub framed_routes: Vec<String>,
    /// An If-Match the stored service must still have.
    pub expect: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewService {
    pub customer: Id,
    pub plan: Id,
    pub access: AccessType,
    pub username: String,
    pub password: String,
    pub mac: Option<Mac>,
    pub static_ip: Option<Ipv4Addr>,
    pub framed_routes: Vec<String>,
    pub ipv6_prefix: Option<String>,
    pub delegated_ipv6_prefix: Option<String>,
    pub expires_at: Option<UnixTime>,
    pub activate_on_first_use: bool,
    pub auto_renew: bool,
    pub voucher: Option<VoucherTerms>,
    /// Imported services existed before: the reports do not count them
    /// as new.
    pub imported: bool,
}

impl NewService {
    /// A login with no address, routes or expiry: the rest set by the caller.
    pub fn new(customer: Id, plan: Id, access: AccessType, username: &str, password: &str) -> NewService {
        NewService {
            customer,
            plan,
            access,
            username: username.into(),
            password: password.into(),
            mac: None,
            static_ip: None,
            framed_routes: vec![],
            ipv6_prefix: None,
            delegated_ipv6_prefix: None,
            expires_at: None,
            activate_on_first_use: false,
            auto_renew: false,
            voucher: None,
            imported: false,
        }
    }
}

/// Tables kept open by one authentication worker; see [`Store::login`].
#[derive(Default)]
pub struct LoginReader {
    epoch: u64,
    tables: Option<LoginTables>,
}

impl LoginReader {
    /// Drop the open tables. An idle worker must not pin an old snapshot:
    /// redb cannot reuse pages a live read transaction may still see, and
    /// the file would grow with every accounting commit.
    pub fn release(&mut self) {
        self.tables = None;
    }
}

struct LoginTables {
    by_user: redb::ReadOnlyTable<(u32, &'static str), u64>,
    by_mac: redb::ReadOnlyTable<(u32, u64), u64>,
    services: redb::ReadOnlyTable<(u32, u64), &'static [u8]>,
    plans: redb::ReadOnlyTable<(u32, u64), &'static [u8]>,
    usage: redb::ReadOnlyTable<(u32, u64), &'static [u8]>,
}

/// Everything the authentication path needs about one login, read in one
/// transaction.
#[derive(Clone, Debug)]
pub struct ServiceLogin {
    pub service: Service,
    pub plan: Plan,
    pub usage: Usage,
    pub password: Vec<u8>,
}

/// A known IANA time zone, a three-letter currency code and a name.
fn check_tenant(t: &Tenant) -> Result<(), StoreError> {
    if jiff::tz::TimeZone::get(&t.timezone).is_err() {
        return Err(StoreError::Invalid(format!("time zone {:?} is unknown", t.timezone)));
    }
    if !(t.currency.len() == 3 && t.currency.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(StoreError::Invalid(format!("currency {:?}: use a three-letter code such as KES", t.currency)));
    }
    if t.name.trim().is_empty() || t.name.chars().count() > 100 {
        return Err(StoreError::Invalid("tenant name must be 1 to 100 characters".into()));
    }
    Ok(())
}

pub(super) fn bump_generation(tx: &WriteTransaction) -> Result<(), StoreError> {
    next_seq(tx, "config_generation").map(|_| ())
}

/// Add a tenant inside `tx`: the slug checked and unique, an id given, the
/// audit record written.
pub(crate) fn insert_tenant(
    tx: &WriteTransaction,
    actor: &str,
    now: UnixTime,
    mut t: Tenant,
) -> Result<Tenant, StoreError> {
    if t.slug.is_empty() || !t.slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(StoreError::Invalid(format!("tenant slug {:?}: use letters, digits and '-'", t.slug)));
    }
    check_tenant(&t)?;
    let mut by_slug = tx.open_table(TENANT_BY_SLUG)?;
    if by_slug.get(t.slug.as_str())?.is_some() {
        return Err(StoreError::Conflict(format!("tenant {:?} already exists", t.slug)));
    }
    t.id = u32::try_from(next_seq(tx, "next_tenant")?).map_err(|_| StoreError::Invalid("too many tenants".into()))?;
    by_slug.insert(t.slug.as_str(), t.id)?;
    tx.open_table(TENANTS)?.insert(t.id, encode(&t).as_slice())?;
    audit(tx, t.id, &record(now, actor, "tenant.create", format!("tenant/{}", t.id), None, json(&t)))?;
    bump_generation(tx)?;
    Ok(t)
}

impl Store {
    // ---- tenants ----------------------------------------------------------

    pub fn create_tenant(&self, actor: &str, now: UnixTime, t: Tenant) -> Result<Tenant, StoreError> {
        let tx = self.write()?;
        let t = insert_tenant(&tx, actor, now, t)?;
        self.commit(tx)?;
        Ok(t)
    }

    /// Change a tenant's name, time zone, currency and captive settings
    /// (the slug stays: URLs and scripts name it).
    pub fn update_tenant(&self, actor: &str, now: UnixTime, t: &Tenant) -> Result<(), StoreError> {
        check_tenant(t)?;
        let tx = self.write()?;
        {
            let mut table = tx.open_table(TENANTS)?;
            let old: Tenant = get(&table, t.id)?.ok_or_else(|| StoreError::NotFound(format!("tenant {}", t.id)))?;
            let t = Tenant { slug: old.slug.clone(), ..t.clone() };
            table.insert(t.id, encode(&t).as_slice())?;
            audit(&tx, t.id, &record(now, actor, "tenant.update", format!("tenant/{}", t.id), json(&old), json(&t)))?;
            bump_generation(&tx)?;
        }
        self.commit(tx)
    }

    pub fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(TENANTS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn tenant_by_slug(&self, slug: &str) -> Result<Tenant, StoreError> {
        let tx = self.read()?;
        let id = tx
            .open_table(TENANT_BY_SLUG)?
            .get(slug)?
            .map(|v| v.value())
            .ok_or_else(|| StoreError::NotFound(format!("tenant {slug:?}")))?;
        get(&tx.open_table(TENANTS)?, id)?.ok_or_else(|| StoreError::NotFound(format!("tenant {slug:?}")))
    }

    // ---- plans ------------------------------------------------------------

    /// Add a plan. `id`, `tenant` and `disabled` of `p` are ignored: the
    /// store assigns the id, the tenant is the argument, new plans are on.
    pub fn create_plan(&self, actor: &str, now: UnixTime, tenant: TenantId, p: Plan) -> Result<Plan, StoreError> {
        if p.name.trim().is_empty() {
            return Err(StoreError::Invalid("plan name is empty".into()));
        }
        if p.validity.count == 0 {
            return Err(StoreError::Invalid("plan validity must be more than zero".into()));
        }
        let tx = self.write()?;
        let plan = {
            let mut table = tx.open_table(PLANS)?;
            if tenant_rows::<Plan>(&table, tenant)?.iter().any(|x| x.name == p.name) {
                return Err(StoreError::Conflict(format!("plan {:?} already exists", p.name)));
            }
            let plan = Plan { id: Store::next_id(&tx)?, tenant, disabled: false, ..p };
            table.insert((tenant, plan.id), encode(&plan).as_slice())?;
            audit(&tx, tenant, &record(now, actor, "plan.create", format!("plan/{}", plan.id), None, json(&plan)))?;
            plan
        };
        self.commit(tx)?;
        Ok(plan)
    }

    pub fn plans(&self, tenant: TenantId) -> Result<Vec<Plan>, StoreError> {
        let tx = self.read()?;
        tenant_rows(&tx.open_table(PLANS)?, tenant)
    }

    pub fn plan(&self, tenant: TenantId, id: Id) -> Result<Plan, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(PLANS)?, (tenant, id))?.ok_or_else(|| StoreError::NotFound(format!("plan {id}")))
    }

    pub fn plan_by_name(&self, tenant: TenantId, name: &str) -> Result<Plan, StoreError> {
        self.plans(tenant)?
            .into_iter()
            .find(|p| p.name == name || p.id.to_string() == name)
            .ok_or_else(|| StoreError::NotFound(format!("plan {name:?}")))
    }

    // ---- services ---------------------------------------------------------

    pub fn create_service(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        n: NewService,
    ) -> Result<Service, StoreError> {
        let tx = self.write()?;
        let s = self.insert_service_audited(&tx, actor, now, tenant, n)?;
        self.commit(tx)?;
        Ok(s)
    }

    /// `insert_service` with its audit record, in the caller's transaction.
    pub(crate) fn insert_service_audited(
        &self,
        tx: &redb::WriteTransaction,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        n: NewService,
    ) -> Result<Service, StoreError> {
        let s = self.insert_service(tx, tenant, now, n)?;
        let object = format!("service/{}", s.id);
        audit(tx, tenant, &record(now, actor, "service.create", object, None, shown_service(&s)))?;
        Ok(s)
    }

    /// Create many services in one transaction (demo seeding, imports): one
    /// audit record for the batch.
    pub fn create_services_bulk(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        items: Vec<NewService>,
    ) -> Result<usize, StoreError> {
        let n = items.len();
        let tx = self.write()?;
        for item in items {
            self.insert_service(&tx, tenant, now, item)?;
        }
        audit(&tx, tenant, &record(now, actor, "service.bulk_create", format!("services/{n}"), None, None))?;
        self.commit(tx)?;
        Ok(n)
    }

    pub(crate) fn insert_service(
        &self,
        tx: &WriteTransaction,
        tenant: TenantId,
        now: UnixTime,
        n: NewService,
    ) -> Result<Service, StoreError> {
        if n.username.is_empty() || n.username.len() > 253 {
            return Err(StoreError::Invalid("username must be 1 to 253 bytes".into()));
        }
        if n.password.len() > 128 {
            return Err(StoreError::Invalid("password must be at most 128 bytes".into()));
        }
        if tx.open_table(PLANS)?.get((tenant, n.plan))?.is_none() {
            return Err(StoreError::NotFound(format!("plan {}", n.plan)));
        }
        if tx.open_table(CUSTOMERS)?.get((tenant, n.customer))?.is_none() {
            return Err(StoreError::NotFound(format!("customer {}", n.customer)));
        }
        let mut by_user = tx.open_table(SERVICE_BY_USERNAME)?;
        if by_user.get((tenant, n.username.as_str()))?.is_some() {
            return Err(StoreError::Conflict(format!("username {:?} is taken", n.username)));
        }
        let id = Store::next_id(tx)?;
        let n_imported = n.imported;
        by_user.insert((tenant, n.username.as_str()), id)?;
        if let Some(mac) = n.mac {
            let mut by_mac = tx.open_table(SERVICE_BY_MAC)?;
            if by_mac.insert((tenant, mac.0), id)?.is_some() {
                return Err(StoreError::Conflict(format!("MAC {mac} already belongs to a service")));
            }
        }
        if let Some(ip) = n.static_ip {
            let mut by_ip = tx.open_table(SERVICE_BY_IP)?;
            if by_ip.insert((tenant, u32::from(ip)), id)?.is_some() {
                return Err(StoreError::Conflict(format!("address {ip} already belongs to a service")));
            }
        }
        let s = Service {
            id,
            tenant,
            customer: n.customer,
            plan: n.plan,
            access: n.access,
            username: n.username,
            password: self.secrets.seal(Purpose::Password, n.password.as_bytes()),
            mac: n.mac,
            static_ip: n.static_ip,
            framed_routes: n.framed_routes,
            ipv6_prefix: n.ipv6_prefix,
            delegated_ipv6_prefix: n.delegated_ipv6_prefix,
            status: ServiceStatus::Active,
            expires_at: n.expires_at,
            activate_on_first_use: n.activate_on_first_use,
            created_at: now,
            auto_renew: n.auto_renew,
            period_start: None,
            run_start: None,
            billing_hold: false,
            voucher: n.voucher,
        };
        tx.open_table(SERVICES)?.insert((tenant, id), encode(&s).as_slice())?;
        tx.open_table(SERVICE_BY_CUSTOMER)?.insert((tenant, s.customer, id), ())?;
        super::due::index(tx, &s)?;
        super::sync::on_new_service(tx, tenant, id)?;
        if s.voucher.is_none() && !n_imported {
            super::reports::note(
                tx,
                tenant,
                Some(s.customer),
                now,
                &[(super::reports::Metric::ServicesNew, s.plan, 1)],
            )?;
        }
        Ok(s)
    }

    pub fn services(&self, tenant: TenantId) -> Result<Vec<Service>, StoreError> {
        let tx = self.read()?;
        tenant_rows(&tx.open_table(SERVICES)?, tenant)
    }

    pub fn service_by_username(&self, tenant: TenantId, username: &str) -> Result<Service, StoreError> {
        let tx = self.read()?;
        let id = tx
            .open_table(SERVICE_BY_USERNAME)?
            .get((tenant, username))?
            .map(|v| v.value())
            .ok_or_else(|| StoreError::NotFound(format!("service {username:?}")))?;
        get(&tx.open_table(SERVICES)?, (tenant, id))?.ok_or_else(|| StoreError::NotFound(format!("service {id}")))
    }

    pub fn usage(&self, tenant: TenantId, service: Id) -> Result<Usage, StoreError> {
        let tx = self.read()?;
        Ok(get(&tx.open_table(USAGE)?, (tenant, service))?.unwrap_or_default())
    }

    /// Change a service's status (suspend, resume, disable), audited.
    pub fn set_service_status(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        username: &str,
        status: ServiceStatus,
    ) -> Result<Service, StoreError> {
        self.set_service_status_if(actor, now, tenant, username, status, None)
    }

    pub fn set_service_expiry(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        username: &str,
        expires_at: Option<UnixTime>,
    ) -> Result<Service, StoreError> {
        self.update_service(actor, now, tenant, username, "service.expiry", None, |s| s.expires_at = expires_at)
    }

    /// A new login password (sealed; the audit record shows that it
    /// changed, never the value).
    pub fn set_service_password(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        username: &str,
        password: &str,
    ) -> Result<(), StoreError> {
        if password.len() > 128 {
            return Err(StoreError::Invalid("password must be at most 128 bytes".into()));
        }
        let sealed = self.secrets.seal(Purpose::Password, password.as_bytes());
        self.update_service(actor, now, tenant, username, "service.password", None, |s| s.password = sealed)?;
        Ok(())
    }

    /// An audit record for an action that changes nothing lango stores (a
    /// session ended on a router, a provisioning run): who, what, on what.
    pub fn note(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        action: &str,
        object: String,
        detail: String,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        audit(&tx, tenant, &record(now, actor, action, object, None, Some(detail)))?;
        self.commit(tx)?;
        Ok(())
    }

    /// A service's MAC, static address and plan, changed outside a renewal
    /// (no money moves; the expiry stays). The MAC and address indexes
    /// follow in the same transaction, refusing one another service holds;
    /// online sessions get what the CoA planner says (a CoA for a new rate,
    /// a Disconnect for a new profile, address or MAC). Audited before → after; unchanged values change nothing.
    pub fn edit_service(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        edit: ServiceEdit,
    ) -> Result<Service, StoreError> {
        let tx = self.write()?;
        let after = {
            let mut table = tx.open_table(SERVICES)?;
            let before: Service =
                get(&table, (tenant, id))?.ok_or_else(|| StoreError::NotFound(format!("service {id}")))?;
            super::api::check_etag(&format!("service {id}"), &before, edit.expect.as_deref())?;
            let mut after = Service {
                mac: edit.mac,
                static_ip: edit.static_ip,
                plan: edit.plan,
                framed_routes: edit.framed_routes,
                ..before.clone()
            };
            // A DHCP login named by its MAC is renamed with it: the router
            // sends the MAC as User-Name, and the old one must stop working.
            let named_by_mac = before.mac.is_some() && Mac::parse(&before.username) == before.mac;
            if let (AccessType::DhcpMac, true, Some(mac)) = (after.access, named_by_mac, after.mac) {
                after.username = mac.to_string();
            }
            if after == before {
                return Ok(before);
            }
            if after.access == AccessType::DhcpMac && after.mac.is_none() {
                return Err(StoreError::Invalid("a DHCP (MAC) service needs its MAC address".into()));
            }
            if tx.open_table(PLANS)?.get((tenant, after.plan))?.is_none() {
                return Err(StoreError::NotFound(format!("plan {}", after.plan)));
            }
            if after.mac != before.mac {
                let mut by_mac = tx.open_table(SERVICE_BY_MAC)?;
                if let Some(mac) = after.mac {
                    let holder = by_mac.get((tenant, mac.0))?.map(|v| v.value());
                    if holder.is_some_and(|h| h != id) {
                        return Err(StoreError::Conflict(format!("MAC {mac} already belongs to another service")));
                    }
                    by_mac.insert((tenant, mac.0), id)?;
                }
                if let Some(old) = before.mac {
                    by_mac.remove((tenant, old.0))?;
                }
            }
            if after.username != before.username {
                let mut by_user = tx.open_table(SERVICE_BY_USERNAME)?;
                if by_user.get((tenant, after.username.as_str()))?.is_some_and(|v| v.value() != id) {
                    return Err(StoreError::Conflict(format!("MAC {} is another service's login", after.username)));
                }
                by_user.remove((tenant, before.username.as_str()))?;
                by_user.insert((tenant, after.username.as_str()), id)?;
            }
            if after.static_ip != before.static_ip {
                let mut by_ip = tx.open_table(SERVICE_BY_IP)?;
                if let Some(ip) = after.static_ip {
                    let holder = by_ip.get((tenant, u32::from(ip)))?.map(|v| v.value());
                    if holder.is_some_and(|h| h != id) {
                        return Err(StoreError::Conflict(format!("address {ip} already belongs to another service")));
                    }
                    by_ip.insert((tenant, u32::from(ip)), id)?;
                }
                if let Some(old) = before.static_ip {
                    by_ip.remove((tenant, u32::from(old)))?;
                }
            }
            table.insert((tenant, id), encode(&after).as_slice())?;
            drop(table);
            super::replan::after_edit(&tx, &before, &after, "service.edit", now)?;
            let (b, a) = (shown_service(&before), shown_service(&after));
            audit(&tx, tenant, &record(now, actor, "service.edit", format!("service/{id}"), b, a))?;
            after
        };
        self.commit(tx)?;
        Ok(after)
    }

    #[allow(clippy::too_many_arguments)] // who, when, which, what for, the If-Match and the change
    pub(super) fn update_service(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        username: &str,
        action: &str,
        expect: Option<&str>,
        f: impl FnOnce(&mut Service),
    ) -> Result<Service, StoreError> {
        let tx = self.write()?;
        let after = {
            let id = tx
                .open_table(SERVICE_BY_USERNAME)?
                .get((tenant, username))?
                .map(|v| v.value())
                .ok_or_else(|| StoreError::NotFound(format!("service {username:?}")))?;
            let mut table = tx.open_table(SERVICES)?;
            let before: Service =
                get(&table, (tenant, id))?.ok_or_else(|| StoreError::NotFound(format!("service {id}")))?;
            super::api::check_etag(&format!("service {id}"), &before, expect)?;
            let mut after = before.clone();
            f(&mut after);
            table.insert((tenant, id), encode(&after).as_slice())?;
            drop(table);
            super::due::index(&tx, &after)?;
            // A service that stops being usable loses its sessions now (they
            // log in again into the captive state, or are refused).
            if after.status != before.status && after.status != ServiceStatus::Active {
                super::billing::reconnect_sessions(&tx, tenant, id, after.status.as_str(), now)?;
            }
            let (b, a) = (shown_service(&before), shown_service(&after));
            audit(&tx, tenant, &record(now, actor, action, format!("service/{id}"), b, a))?;
            after
        };
        self.commit(tx)?;
        Ok(after)
    }

    /// The authentication read: service by username (or, failing that, by
    /// MAC), its plan, usage and clear password. `reader` keeps the tables
    /// open between requests and reopens them after any commit, so a
    /// login costs a few B-tree lookups rather than a transaction and five
    /// table opens.
    pub fn login(
        &self,
        reader: &mut LoginReader,
        tenant: TenantId,
        username: &str,
        mac: Option<Mac>,
    ) -> Result<Option<ServiceLogin>, StoreError> {
        let epoch = self.epoch();
        let t = match &mut reader.tables {
            Some(t) if reader.epoch == epoch => t,
            slot => {
                let tx = self.read()?;
                reader.epoch = epoch;
                slot.insert(LoginTables {
                    by_user: tx.open_table(SERVICE_BY_USERNAME)?,
                    by_mac: tx.open_table(SERVICE_BY_MAC)?,
                    services: tx.open_table(SERVICES)?,
                    plans: tx.open_table(PLANS)?,
                    usage: tx.open_table(USAGE)?,
                })
            }
        };
        let mut id = t.by_user.get((tenant, username))?.map(|v| v.value());
        if id.is_none()
            && let Some(mac) = mac
        {
            id = t.by_mac.get((tenant, mac.0))?.map(|v| v.value());
        }
        let Some(id) = id else { return Ok(None) };
        let Some(service): Option<Service> = get(&t.services, (tenant, id))? else {
            return Ok(None);
        };
        let Some(plan): Option<Plan> = get(&t.plans, (tenant, service.plan))? else {
            return Ok(None);
        };
        let usage = get(&t.usage, (tenant, id))?.unwrap_or_default();
        let password = self.secrets.open(Purpose::Password, &service.password)?;
        Ok(Some(ServiceLogin { service, plan, usage, password }))
    }

    // ---- admins -----------------------------------------------------------

    pub fn create_admin(&self, actor: &str, now: UnixTime, admin: Admin) -> Result<(), StoreError> {
        let tx = self.write()?;
        super::admin::insert_admin(&tx, actor, now, &admin)?;
        self.commit(tx)?;
        Ok(())
    }

    pub fn admin(&self, tenant: TenantId, username: &str) -> Result<Option<Admin>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(ADMINS)?, (tenant, username))
    }
}
