//! What the portal reads and writes: who is at a client address (online
//! sessions, static allocations, DHCP leases the routers reported), the
//! view of one service, and device accounts for hotspot and onboarding
//! purchases.

use redb::{ReadableTable, WriteTransaction};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::codec::{decode, encode};
use super::tables::*;
use super::{NewService, Purpose, Store, StoreError, audit, get, json, record, shown_service, tenant_rows};
use crate::model::*;

/// How the portal came to know a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// An online RADIUS session with this Framed-IP-Address.
    Session,
    /// A service with this static address.
    StaticIp,
    /// A DHCP lease a router reported through the lease hook.
    Lease,
}

/// The shortest IPv6 prefix the portal tries (a /16 is already wider than
/// any one customer's).
const MIN_V6_PREFIX: u8 = 16;

/// One thing known at a client address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub tenant: TenantId,
    /// None: a leased device with no service yet (onboarding).
    pub service: Option<Id>,
    pub nas: Option<Id>,
    pub mac: Option<Mac>,
    pub via: Via,
}

/// Everything the portal page of one service shows, read in one
/// transaction.
#[derive(Clone, Debug)]
pub struct ServiceView {
    pub tenant: Tenant,
    pub customer: Customer,
    pub service: Service,
    pub plan: Plan,
    pub usage: Usage,
    pub balance: i64,
    pub plans: Vec<Plan>,
    pub online: bool,
}

impl Store {
    /// Who is at `ip`, strongest evidence first: online sessions; else
    /// static allocations; else DHCP leases. Several tenants may use the
    /// same private range, so every match is returned and the caller
    /// refuses to guess between them.
    pub fn who_is_at(&self, ip: Ipv4Addr) -> Result<Vec<Sighting>, StoreError> {
        let tx = self.read()?;
        let key = u32::from(ip);
        let mut out: Vec<Sighting> = Vec::new();
        let active = tx.open_table(SESSIONS_ACTIVE)?;
        for row in tx.open_table(SESSION_BY_IP)?.range((key, 0, 0, "")..(key.saturating_add(1), 0, 0, ""))? {
            let (k, _) = row?;
            let (ip_key, tenant, nas, acct) = k.value();
            if ip_key != key {
                break;
            }
            out.extend(session_sighting(&active, tenant, nas, acct)?);
        }
        if !out.is_empty() {
            return Ok(dedup(out));
        }
        let by_ip = tx.open_table(SERVICE_BY_IP)?;
        for row in tx.open_table(TENANTS)?.iter()? {
            let tenant = row?.0.value();
            if let Some(id) = by_ip.get((tenant, key))? {
                out.push(Sighting { tenant, service: Some(id.value()), nas: None, mac: None, via: Via::StaticIp });
            }
        }
        if !out.is_empty() {
            return Ok(out);
        }
        let by_mac = tx.open_table(SERVICE_BY_MAC)?;
        for row in tx.open_table(LEASES)?.range((key, 0, 0)..(key.saturating_add(1), 0, 0))? {
            let (k, v) = row?;
            let (ip_key, tenant, nas) = k.value();
            if ip_key != key {
                break;
            }
            let lease: Lease = decode(v.value())?;
            let service = by_mac.get((tenant, lease.mac.0))?.map(|v| v.value());
            out.push(Sighting { tenant, service, nas: Some(nas), mac: Some(lease.mac), via: Via::Lease });
        }
        Ok(dedup(out))
    }

    /// Who is at IPv6 address `ip`: the online sessions whose address or
    /// prefix (link or delegated) holds it, longest prefix first; a
    /// handful of point ranges in `SESSION_BY_IPV6`, one per length.
    pub fn who_is_at_v6(&self, ip: Ipv6Addr) -> Result<Vec<Sighting>, StoreError> {
        let tx = self.read()?;
        let index = tx.open_table(SESSION_BY_IPV6)?;
        let active = tx.open_table(SESSIONS_ACTIVE)?;
        let mut out: Vec<Sighting> = Vec::new();
        for len in (MIN_V6_PREFIX..=128u8).rev() {
            let Some(net) = Ipv6Net::new(ip, len) else { continue };
            let key = net.network();
            for row in index.range((key, len, 0, 0, "")..=(key, len, u32::MAX, u64::MAX, "\u{10ffff}"))? {
                let (k, _) = row?;
                let (_, _, tenant, nas, acct) = k.value();
                out.extend(session_sighting(&active, tenant, nas, acct)?);
            }
            if !out.is_empty() {
                break;
            }
        }
        Ok(dedup(out))
    }

    /// The portal's view of one service.
    pub fn service_view(&self, tenant: TenantId, service: Id) -> Result<ServiceView, StoreError> {
        let tx = self.read()?;
        let not_found = |what: String| StoreError::NotFound(what);
        let t: Tenant = get(&tx.open_table(TENANTS)?, tenant)?.ok_or_else(|| not_found(format!("tenant {tenant}")))?;
        let s: Service = get(&tx.open_table(SERVICES)?, (tenant, service))?
            .ok_or_else(|| not_found(format!("service {service}")))?;
        let c: Customer = super::personal::get_open(&self.secrets, &tx.open_table(CUSTOMERS)?, (tenant, s.customer))?
            .ok_or_else(|| not_found(format!("customer {}", s.customer)))?;
        let plans: Vec<Plan> = tenant_rows(&tx.open_table(PLANS)?, tenant)?;
        let plan =
            plans.iter().find(|p| p.id == s.plan).cloned().ok_or_else(|| not_found(format!("plan {}", s.plan)))?;
        let usage: Usage = get(&tx.open_table(USAGE)?, (tenant, service))?.unwrap_or_default();
        let balance = tx.open_table(BALANCES)?.get((tenant, c.id))?.map_or(0, |v| v.value());
        let online = tx
            .open_table(SESSIONS_BY_SERVICE)?
            .range((tenant, service, i64::MIN, 0, "")..=(tenant, service, i64::MAX, u64::MAX, "\u{10ffff}"))?
            .next()
            .is_some();
        Ok(ServiceView { tenant: t, customer: c, service: s, plan, usage, balance, plans, online })
    }

    pub fn branding(&self, tenant: TenantId) -> Result<Branding, StoreError> {
        let tx = self.read()?;
        Ok(get(&tx.open_table(TENANT_BRANDING)?, tenant)?.unwrap_or_default())
    }

    pub fn set_branding(&self, actor: &str, now: UnixTime, tenant: TenantId, b: &Branding) -> Result<(), StoreError> {
        let tx = self.write()?;
        put_branding(&tx, actor, now, tenant, b)?;
        self.commit(tx)?;
        Ok(())
    }

    /// A new token for a router's HTTP hooks (RouterOS scripts send it as
    /// `Authorization: Bearer …`); the old one stops working. Only its
    /// SHA-256 is kept.
    pub fn new_hook_token(&self, actor: &str, now: UnixTime, tenant: TenantId, nas: Id) -> Result<String, StoreError> {
        let token = super::random_hex(24);
        let hash = super::sha256_hex(&token);
        let tx = self.write()?;
        let n: Nas =
            get(&tx.open_table(NAS)?, (tenant, nas))?.ok_or_else(|| StoreError::NotFound(format!("NAS {nas}")))?;
        {
            let mut by_nas = tx.open_table(NAS_HOOK)?;
            let mut tokens = tx.open_table(HOOK_TOKENS)?;
            if let Some(old) = by_nas.insert((tenant, nas), hash.as_str())? {
                tokens.remove(old.value())?;
            }
            tokens.insert(hash.as_str(), (tenant, nas))?;
        }
        audit(&tx, tenant, &record(now, actor, "nas.hook_token", format!("nas/{}", n.id), None, None))?;
        self.commit(tx)?;
        Ok(token)
    }

    /// The router a hook token belongs to.
    pub fn nas_by_hook_token(&self, token: &str) -> Result<Option<Nas>, StoreError> {
        let tx = self.read()?;
        let Some(key) = tx.open_table(HOOK_TOKENS)?.get(super::sha256_hex(token).as_str())?.map(|v| v.value()) else {
            return Ok(None);
        };
        get(&tx.open_table(NAS)?, key)
    }

    /// A service's sessions, closed and online (oldest first), through the
    /// history's and the online sessions' by-service indexes.
    pub fn service_sessions(&self, tenant: TenantId, service: Id) -> Result<Vec<Session>, StoreError> {
        let tx = self.read()?;
        let history = tx.open_table(SESSION_HISTORY)?;
        let mut out: Vec<Session> = history_of(&tx.open_table(HISTORY_BY_SERVICE)?, &history, tenant, service)?
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        out.extend(online_of(&tx.open_table(SESSIONS_BY_SERVICE)?, &tx.open_table(SESSIONS_ACTIVE)?, tenant, service)?);
        Ok(out)
    }

    /// Replace what `nas` reported by API (DHCP leases, hotspot hosts) with
    /// this snapshot. Entries the lease hook sent for other routers stay.
    pub fn sync_leases(&self, tenant: TenantId, nas: Id, now_held: &[(Ipv4Addr, Lease)]) -> Result<usize, StoreError> {
        let tx = self.write()?;
        {
            let mut leases = tx.open_table(LEASES)?;
            let mut by_nas = tx.open_table(LEASES_BY_NAS)?;
            let mut stale = Vec::new();
            for row in by_nas.range((tenant, nas, 0)..=(tenant, nas, u32::MAX))? {
                stale.push(row?.0.value().2);
            }
            for ip in stale {
                leases.remove((ip, tenant, nas))?;
                by_nas.remove((tenant, nas, ip))?;
            }
            for (ip, lease) in now_held {
                leases.insert((u32::from(*ip), tenant, nas), encode(lease).as_slice())?;
                by_nas.insert((tenant, nas, u32::from(*ip)), ())?;
            }
        }
        self.commit(tx)?;
        Ok(now_held.len())
    }

    /// A tenant's services with a static address, with their plan and usage.
    pub fn static_services(&self, tenant: TenantId) -> Result<Vec<(Service, Plan, Usage)>, StoreError> {
        let tx = self.read()?;
        let plans: Vec<Plan> = tenant_rows(&tx.open_table(PLANS)?, tenant)?;
        let usage = tx.open_table(USAGE)?;
        let mut out = Vec::new();
        for s in tenant_rows::<Service>(&tx.open_table(SERVICES)?, tenant)? {
            if s.static_ip.is_none() {
                continue;
            }
            let Some(plan) = plans.iter().find(|p| p.id == s.plan).cloned() else { continue };
            let u: Usage = get(&usage, (tenant, s.id))?.unwrap_or_default();
            out.push((s, plan, u));
        }
        Ok(out)
    }

    /// The MAC a router last reported at `ip` (lease hook or API round).
    pub fn lease_mac(&self, tenant: TenantId, nas: Id, ip: Ipv4Addr) -> Result<Option<Mac>, StoreError> {
        let tx = self.read()?;
        let lease: Option<Lease> = get(&tx.open_table(LEASES)?, (u32::from(ip), tenant, nas))?;
        Ok(lease.map(|l| l.mac))
    }

    pub fn service_by_mac(&self, tenant: TenantId, mac: Mac) -> Result<Option<Id>, StoreError> {
        let tx = self.read()?;
        Ok(tx.open_table(SERVICE_BY_MAC)?.get((tenant, mac.0))?.map(|v| v.value()))
    }

    pub fn tenant(&self, tenant: TenantId) -> Result<Tenant, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(TENANTS)?, tenant)?.ok_or_else(|| StoreError::NotFound(format!("tenant {tenant}")))
    }

    /// The service's password in clear, for the hotspot CHAP login form the
    /// portal fills in for the device that just paid.
    pub fn service_password(&self, s: &Service) -> Result<String, StoreError> {
        let bytes = self.secrets.open(Purpose::Password, &s.password)?;
        String::from_utf8(bytes).map_err(|_| StoreError::Invalid("stored password is not text".into()))
    }

    /// A router reported a DHCP lease (`bound`) or its end. Returns the
    /// service that MAC already has, if any; a MAC without one is a new
    /// device the portal will offer packages to (onboarding).
    pub fn record_lease(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        nas: Id,
        ip: Ipv4Addr,
        lease: Option<Lease>,
    ) -> Result<Option<Id>, StoreError> {
        let tx = self.write()?;
        let key = (u32::from(ip), tenant, nas);
        let service = {
            let mut leases = tx.open_table(LEASES)?;
            let before: Option<Lease> = get(&leases, key)?;
            let service = match &lease {
                Some(l) => {
                    leases.insert(key, encode(l).as_slice())?;
                    tx.open_table(LEASES_BY_NAS)?.insert((tenant, nas, key.0), ())?;
                    tx.open_table(SERVICE_BY_MAC)?.get((tenant, l.mac.0))?.map(|v| v.value())
                }
                None => {
                    leases.remove(key)?;
                    tx.open_table(LEASES_BY_NAS)?.remove((tenant, nas, key.0))?;
                    None
                }
            };
            let action = if lease.is_some() { "lease.bound" } else { "lease.released" };
            if before.as_ref().map(|b| b.mac) != lease.as_ref().map(|l| l.mac) {
                let rec = record(now, actor, action, format!("nas/{nas}/lease/{ip}"), json(&before), json(&lease));
                audit(&tx, tenant, &rec)?;
            }
            service
        };
        self.commit(tx)?;
        Ok(service)
    }

    /// The service of a device (by MAC), created on first purchase: an
    /// expired hotspot or DHCP-MAC login bound to the MAC, owned by the
    /// customer with this phone number (created too when new). A payment
    /// then renews it like any other service.
    pub fn device_account(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        new: DeviceAccount,
    ) -> Result<Service, StoreError> {
        let tx = self.write()?;
        if let Some(id) = tx.open_table(SERVICE_BY_MAC)?.get((tenant, new.mac.0))?.map(|v| v.value()) {
            let s: Service = get(&tx.open_table(SERVICES)?, (tenant, id))?
                .ok_or_else(|| StoreError::NotFound(format!("service {id}")))?;
            return Ok(s);
        }
        let customer = self.customer_for_phone(&tx, actor, now, tenant, &new.msisdn)?;
        let mut n = NewService::new(
            customer,
            new.plan,
            new.access,
            &format!("d-{}", super::to_hex(&new.mac.0.to_be_bytes()[2..])),
            &super::random_hex(8),
        );
        n.mac = Some(new.mac);
        n.expires_at = Some(now);
        let s = self.insert_service(&tx, tenant, now, n)?;
        audit(
            &tx,
            tenant,
            &record(now, actor, "service.create", format!("service/{}", s.id), None, shown_service(&s)),
        )?;
        self.commit(tx)?;
        Ok(s)
    }

    fn customer_for_phone(
        &self,
        tx: &WriteTransaction,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        msisdn: &str,
    ) -> Result<Id, StoreError> {
        let index = tx.open_table(CUSTOMER_BY_PHONE)?;
        if let Some(id) = super::personal::customer_with_phone(&self.secrets, &index, tenant, msisdn)? {
            return Ok(id);
        }
        drop(index);
        // Named by the masked number: the name is not sealed.
        let name = crate::model::mask::mask_phone(msisdn);
        Ok(self.insert_customer(tx, actor, now, tenant, &name, Some(msisdn.to_string()), None, None)?.id)
    }
}

/// What a device's first purchase creates (see [`Store::device_account`]).
#[derive(Clone, Debug)]
pub struct DeviceAccount {
    pub mac: Mac,
    /// 2547XXXXXXXX, as [`crate::model::msisdn`] gives it.
    pub msisdn: String,
    pub plan: Id,
    pub access: AccessType,
}

/// One sighting per (tenant, service): a customer online twice from one
/// address is still one customer.
/// The online session `(tenant, nas, acct)` as the portal sees it: its
/// service and the device's MAC (None if it ended meanwhile).
fn session_sighting(
    active: &impl ReadableTable<(u32, u64, &'static str), &'static [u8]>,
    tenant: TenantId,
    nas: Id,
    acct: &str,
) -> Result<Option<Sighting>, StoreError> {
    let Some(s) = get::<_, Session>(active, (tenant, nas, acct))? else { return Ok(None) };
    let mac = s.calling_station_id.as_deref().and_then(Mac::parse);
    Ok(Some(Sighting { tenant, service: s.service, nas: Some(nas), mac, via: Via::Session }))
}

fn dedup(mut v: Vec<Sighting>) -> Vec<Sighting> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert((s.tenant, s.service, if s.service.is_none() { s.mac } else { None })));
    v
}

/// Set a tenant's branding inside `tx`, audited (the logo's bytes left out).
pub(crate) fn put_branding(
    tx: &redb::WriteTransaction,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    b: &Branding,
) -> Result<(), StoreError> {
    if !(b.colour.len() == 7 && b.colour.starts_with('#') && b.colour[1..].bytes().all(|c| c.is_ascii_hexdigit())) {
        return Err(StoreError::Invalid(format!("colour {:?} is not #rrggbb", b.colour)));
    }
    if b.language != "en" && b.language != "sw" {
        return Err(StoreError::Invalid(format!("language {:?}: choose en or sw", b.language)));
    }
    let before: Option<Branding> = get(&tx.open_table(TENANT_BRANDING)?, tenant)?;
    tx.open_table(TENANT_BRANDING)?.insert(tenant, encode(b).as_slice())?;
    let shown = |b: &Branding| json(&Branding { logo: None, ..b.clone() });
    let rec =
        record(now, actor, "tenant.branding", format!("tenant/{tenant}"), before.as_ref().and_then(shown), shown(b));
    audit(tx, tenant, &rec)
}

/// Schema 6's upgrade: each router's leases.
pub(crate) fn index_leases(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut by_nas = tx.open_table(LEASES_BY_NAS)?;
    for row in tx.open_table(LEASES)?.iter()? {
        let (ip, tenant, nas) = row?.0.value();
        by_nas.insert((tenant, nas, ip), ())?;
    }
    Ok(())
}

/// A service's online sessions, through the sessions-by-service index.
pub(crate) fn online_of(
    by_service: &impl ReadableTable<(u32, u64, i64, u64, &'static str), ()>,
    active: &impl ReadableTable<(u32, u64, &'static str), &'static [u8]>,
    tenant: TenantId,
    service: Id,
) -> Result<Vec<Session>, StoreError> {
    let mut out = Vec::new();
    for row in by_service.range((tenant, service, i64::MIN, 0, "")..(tenant, service + 1, i64::MIN, 0, ""))? {
        let (k, _) = row?;
        let (_, _, _, nas, acct) = k.value();
        out.extend(get::<_, Session>(active, (tenant, nas, acct))?);
    }
    Ok(out)
}

/// A service's closed sessions with their history keys, oldest first.
pub(crate) fn history_of(
    index: &impl ReadableTable<(u32, u64, u64), ()>,
    history: &impl ReadableTable<(u32, u64), &'static [u8]>,
    tenant: TenantId,
    service: Id,
) -> Result<Vec<(u64, Session)>, StoreError> {
    let mut out = Vec::new();
    for row in index.range((tenant, service, 0)..=(tenant, service, u64::MAX))? {
        let seq = row?.0.value().2;
        if let Some(s) = get::<_, Session>(history, (tenant, seq))? {
            out.push((seq, s));
        }
    }
    Ok(out)
}

/// The history's by-service index built from every closed session (the
/// schema-8 upgrade).
pub(crate) fn index_history(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut index = tx.open_table(HISTORY_BY_SERVICE)?;
    for row in tx.open_table(SESSION_HISTORY)?.iter()? {
        let (k, v) = row?;
        let (tenant, seq) = k.value();
        let s: Session = decode(v.value())?;
        if let Some(service) = s.service {
            index.insert((tenant, service, seq), ())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(mac: u64) -> Lease {
        Lease { mac: Mac(mac), host_name: None, server: None, at: 1 }
    }

    #[test]
    fn a_routers_snapshot_replaces_its_own_leases_only() {
        let s = Store::in_memory().unwrap();
        let t = crate::demo::seed(&s, 1_780_000_000, 0).unwrap();
        let ip = |d: u8| Ipv4Addr::new(10, 0, 0, d);
        s.sync_leases(t.id, 1, &[(ip(1), lease(1)), (ip(2), lease(2))]).unwrap();
        s.record_lease("hook", 1, t.id, 2, ip(3), Some(lease(3))).unwrap();
        s.sync_leases(t.id, 1, &[(ip(2), lease(22))]).unwrap();
        assert_eq!(s.lease_mac(t.id, 1, ip(1)).unwrap(), None);
        assert_eq!(s.lease_mac(t.id, 1, ip(2)).unwrap(), Some(Mac(22)));
        assert_eq!(s.lease_mac(t.id, 2, ip(3)).unwrap(), Some(Mac(3)), "another router's lease stays");
        s.record_lease("hook", 2, t.id, 2, ip(3), None).unwrap();
        s.sync_leases(t.id, 2, &[]).unwrap();
        let tx = s.read().unwrap();
        let by_nas: Vec<_> =
            tx.open_table(LEASES_BY_NAS).unwrap().iter().unwrap().map(|r| r.unwrap().0.value()).collect();
        assert_eq!(by_nas, [(t.id, 1, u32::from(ip(2)))]);
        assert_eq!(tx.open_table(LEASES).unwrap().iter().unwrap().count(), 1);
    }
}
