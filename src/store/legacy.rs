//! Decoders for older value shapes: each stored type that changed keeps its
//! previous shape here and converts it to the current one, so a newer lango
//! reads a file written by an older one (see `compat_tests.rs`).

use serde::Deserialize;
use std::net::Ipv4Addr;

use super::StoreError;
use super::accounting::{AcctRecord, AcctStatus};
use crate::billing::{Anchor, Mode, Period};
use crate::model::*;

pub(super) fn body<'a, T: Deserialize<'a>>(kind: &'static str, bytes: &'a [u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt { kind, message: e.to_string() })
}

/// Plan, version 1: validity in seconds, no billing terms.
#[derive(Deserialize)]
struct PlanV1 {
    id: Id,
    tenant: TenantId,
    name: String,
    validity_secs: u64,
    price: i64,
    quota_bytes: Option<u64>,
    rate: Option<RateLimit>,
    session_timeout: Option<u32>,
    idle_timeout: Option<u32>,
    interim_interval: u32,
    simultaneous_use: u32,
    access_window: Option<AccessWindow>,
    address_pool: Option<String>,
    ipv6_pool: Option<String>,
    address_list: Option<String>,
    disabled: bool,
}

pub use crate::billing::period_from_secs;

/// Plan, version 2: billing terms, no portal offer.
#[derive(Deserialize)]
struct PlanV2 {
    id: Id,
    tenant: TenantId,
    name: String,
    validity: Period,
    anchor: Anchor,
    grace_secs: u32,
    mode: Mode,
    price: i64,
    quota_bytes: Option<u64>,
    rate: Option<RateLimit>,
    session_timeout: Option<u32>,
    idle_timeout: Option<u32>,
    interim_interval: u32,
    simultaneous_use: u32,
    kick_oldest: bool,
    fup: Option<Fup>,
    access_window: Option<AccessWindow>,
    address_pool: Option<String>,
    ipv6_pool: Option<String>,
    address_list: Option<String>,
    disabled: bool,
}

impl From<PlanV1> for PlanV2 {
    fn from(p: PlanV1) -> PlanV2 {
        PlanV2 {
            id: p.id,
            tenant: p.tenant,
            name: p.name,
            validity: period_from_secs(p.validity_secs),
            anchor: Anchor::Rolling,
            grace_secs: 0,
            mode: Mode::Prepaid,
            price: p.price,
            quota_bytes: p.quota_bytes,
            rate: p.rate,
            session_timeout: p.session_timeout,
            idle_timeout: p.idle_timeout,
            interim_interval: p.interim_interval,
            simultaneous_use: p.simultaneous_use,
            kick_oldest: false,
            fup: None,
            access_window: p.access_window,
            address_pool: p.address_pool,
            ipv6_pool: p.ipv6_pool,
            address_list: p.address_list,
            disabled: p.disabled,
        }
    }
}

impl From<PlanV2> for Plan {
    fn from(p: PlanV2) -> Plan {
        Plan {
            id: p.id,
            tenant: p.tenant,
            name: p.name,
            validity: p.validity,
            anchor: p.anchor,
            grace_secs: p.grace_secs,
            mode: p.mode,
            price: p.price,
            quota_bytes: p.quota_bytes,
            rate: p.rate,
            session_timeout: p.session_timeout,
            idle_timeout: p.idle_timeout,
            interim_interval: p.interim_interval,
            simultaneous_use: p.simultaneous_use,
            kick_oldest: p.kick_oldest,
            fup: p.fup,
            access_window: p.access_window,
            address_pool: p.address_pool,
            ipv6_pool: p.ipv6_pool,
            address_list: p.address_list,
            disabled: p.disabled,
            offer: Offer::default(),
            routing_mark: None,
            filter_id: None,
            group: None,
        }
    }
}

/// Plan: version 1 validity in seconds, version 2 no portal offer,
/// version 3 no policy tagging (routing mark, Filter-Id, Mikrotik-Group:
/// three trailing `Option`s).
pub fn plan(version: u8, bytes: &[u8]) -> Result<Plan, StoreError> {
    match version {
        1 => Ok(PlanV2::from(body::<PlanV1>("Plan", bytes)?).into()),
        2 => Ok(body::<PlanV2>("Plan", bytes)?.into()),
        3 => without_trailing("Plan", bytes, 3),
        _ => Err(StoreError::UnknownVersion { kind: "Plan", version }),
    }
}

/// Customer, version 1: no category.
#[derive(Deserialize)]
struct CustomerV1 {
    id: Id,
    tenant: TenantId,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    created_at: UnixTime,
}

pub fn customer(version: u8, bytes: &[u8]) -> Result<Customer, StoreError> {
    if version != 1 {
        return Err(StoreError::UnknownVersion { kind: "Customer", version });
    }
    let c: CustomerV1 = body("Customer", bytes)?;
    Ok(Customer {
        id: c.id,
        tenant: c.tenant,
        name: c.name,
        phone: c.phone,
        email: c.email,
        created_at: c.created_at,
        category: None,
    })
}

/// Service, version 1: no auto-renew, no voucher terms.
#[derive(Deserialize)]
struct ServiceV1 {
    id: Id,
    tenant: TenantId,
    customer: Id,
    plan: Id,
    access: AccessType,
    username: String,
    password: Sealed,
    mac: Option<Mac>,
    static_ip: Option<Ipv4Addr>,
    framed_routes: Vec<String>,
    ipv6_prefix: Option<String>,
    delegated_ipv6_prefix: Option<String>,
    status: ServiceStatus,
    expires_at: Option<UnixTime>,
    activate_on_first_use: bool,
    created_at: UnixTime,
}

pub fn service(version: u8, bytes: &[u8]) -> Result<Service, StoreError> {
    if version != 1 {
        return Err(StoreError::UnknownVersion { kind: "Service", version });
    }
    let s: ServiceV1 = body("Service", bytes)?;
    Ok(Service {
        id: s.id,
        tenant: s.tenant,
        customer: s.customer,
        plan: s.plan,
        access: s.access,
        username: s.username,
        password: s.password,
        mac: s.mac,
        static_ip: s.static_ip,
        framed_routes: s.framed_routes,
        ipv6_prefix: s.ipv6_prefix,
        delegated_ipv6_prefix: s.delegated_ipv6_prefix,
        status: s.status,
        expires_at: s.expires_at,
        activate_on_first_use: s.activate_on_first_use,
        created_at: s.created_at,
        auto_renew: false,
        period_start: None,
        run_start: None,
        billing_hold: false,
        voucher: None,
    })
}

/// Session, version 1: no router address.
#[derive(Deserialize)]
struct SessionV1 {
    tenant: TenantId,
    nas: Id,
    acct_session_id: String,
    service: Option<Id>,
    username: String,
    framed_ip: Option<Ipv4Addr>,
    calling_station_id: Option<String>,
    nas_port_id: Option<String>,
    started_at: UnixTime,
    updated_at: UnixTime,
    stopped_at: Option<UnixTime>,
    counters: Counters,
    terminate_cause: Option<u32>,
}

/// A value of version `v` that is the current one without its trailing
/// `Option` fields (each `None`, one zero byte in postcard).
fn without_trailing<T: serde::de::DeserializeOwned>(
    kind: &'static str,
    bytes: &[u8],
    missing: usize,
) -> Result<T, StoreError> {
    let mut full = Vec::with_capacity(bytes.len() + missing);
    full.extend_from_slice(bytes);
    full.resize(bytes.len() + missing, 0);
    postcard::from_bytes(&full).map_err(|e| StoreError::Corrupt { kind, message: e.to_string() })
}

/// Session: version 1 has no NAS address; version 2 no IPv6.
pub fn session(version: u8, bytes: &[u8]) -> Result<Session, StoreError> {
    match version {
        1 => {}
        2 => return without_trailing("Session", bytes, 1),
        _ => return Err(StoreError::UnknownVersion { kind: "Session", version }),
    }
    let s: SessionV1 = body("Session", bytes)?;
    Ok(Session {
        tenant: s.tenant,
        nas: s.nas,
        acct_session_id: s.acct_session_id,
        service: s.service,
        username: s.username,
        framed_ip: s.framed_ip,
        calling_station_id: s.calling_station_id,
        nas_port_id: s.nas_port_id,
        started_at: s.started_at,
        updated_at: s.updated_at,
        stopped_at: s.stopped_at,
        counters: s.counters,
        terminate_cause: s.terminate_cause,
        nas_ip: None,
        ipv6: None,
    })
}

/// Accounting journal record, version 1: no router address.
#[derive(Deserialize)]
struct AcctRecordV1 {
    tenant: TenantId,
    nas: Id,
    status: AcctStatus,
    session_id: String,
    username: String,
    framed_ip: Option<Ipv4Addr>,
    calling_station_id: Option<String>,
    nas_port_id: Option<String>,
    counters: Counters,
    terminate_cause: Option<u32>,
    event_time: UnixTime,
}

/// AcctRecord (journal entries): version 1 has no NAS address; version 2
/// no IPv6.
pub fn acct_record(version: u8, bytes: &[u8]) -> Result<AcctRecord, StoreError> {
    match version {
        1 => {}
        2 => return without_trailing("AcctRecord", bytes, 1),
        _ => return Err(StoreError::UnknownVersion { kind: "AcctRecord", version }),
    }
    let r: AcctRecordV1 = body("AcctRecord", bytes)?;
    Ok(AcctRecord {
        tenant: r.tenant,
        nas: r.nas,
        status: r.status,
        session_id: r.session_id,
        username: r.username,
        framed_ip: r.framed_ip,
        calling_station_id: r.calling_station_id,
        nas_port_id: r.nas_port_id,
        counters: r.counters,
        terminate_cause: r.terminate_cause,
        event_time: r.event_time,
        nas_ip: None,
        ipv6: None,
    })
}

/// Admin, version 1: no reseller link, TOTP or disabled flag.
#[derive(Deserialize)]
struct AdminV1 {
    tenant: TenantId,
    username: String,
    password_hash: String,
    role: Role,
    created_at: UnixTime,
}

pub fn admin(version: u8, bytes: &[u8]) -> Result<Admin, StoreError> {
    if version != 1 {
        return Err(StoreError::UnknownVersion { kind: "Admin", version });
    }
    let a: AdminV1 = body("Admin", bytes)?;
    Ok(Admin {
        tenant: a.tenant,
        username: a.username,
        password_hash: a.password_hash,
        role: a.role,
        created_at: a.created_at,
        reseller: None,
        totp: None,
        disabled: false,
    })
}

/// ApiToken, version 1: no reseller scope, no address allow-list (a
/// trailing `None` and an empty list, one zero byte each).
pub fn api_token(version: u8, bytes: &[u8]) -> Result<ApiToken, StoreError> {
    match version {
        1 => without_trailing("ApiToken", bytes, 2),
        _ => Err(StoreError::UnknownVersion { kind: "ApiToken", version }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-3 plan is a version-4 one without the policy-tagging
    /// fields at the end (three `None`s, one byte each).
    #[test]
    fn plan_v3_reads_without_tagging() {
        let p = crate::demo::plan("Home", 30 * 86_400, 1500, "10M/10M");
        let mut bytes = postcard::to_allocvec(&p).unwrap();
        assert_eq!(bytes.split_off(bytes.len() - 3), vec![0, 0, 0]);
        assert_eq!(plan(3, &bytes).unwrap(), p);
    }

    /// A version-2 session or journal record reads as the current shape
    /// with no IPv6 (the field was appended).
    #[test]
    fn session_and_acct_record_v2_read_without_ipv6() {
        let s = Session {
            tenant: 1,
            nas: 2,
            acct_session_id: "a1".into(),
            service: Some(3),
            username: "u".into(),
            framed_ip: Some(Ipv4Addr::new(10, 0, 0, 1)),
            calling_station_id: None,
            nas_port_id: None,
            started_at: 5,
            updated_at: 6,
            stopped_at: None,
            counters: Counters::default(),
            terminate_cause: None,
            nas_ip: None,
            ipv6: None,
        };
        let mut bytes = postcard::to_allocvec(&s).unwrap();
        assert_eq!(bytes.pop(), Some(0));
        assert_eq!(session(2, &bytes).unwrap(), s);
        let with = Session {
            ipv6: SessionV6 { prefix: Ipv6Net::parse("2001:db8::/64"), ..Default::default() }.or_none(),
            ..s
        };
        let round: Session = super::super::codec::decode(&super::super::codec::encode(&with)).unwrap();
        assert_eq!(round, with);
    }

    /// A version-1 API token reads as unscoped (its two new fields trail).
    #[test]
    fn api_token_v1_reads_unscoped() {
        let t = ApiToken {
            tenant: 1,
            name: "crm".into(),
            role: Role::Operator,
            created_at: 9,
            reseller: None,
            allow: vec![],
        };
        let mut bytes = postcard::to_allocvec(&t).unwrap();
        assert_eq!(bytes.split_off(bytes.len() - 2), vec![0, 0]);
        assert_eq!(api_token(1, &bytes).unwrap(), t);
    }
}
