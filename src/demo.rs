//! Demo data: a tenant "demo", plans, a NAS for 127.0.0.0/8 and one service
//! of each access type, so a newcomer sees a working system in one command.
//! Seeding is idempotent: an existing demo tenant is left as it is.

use argon2::password_hash::PasswordHasher;

use crate::model::*;
use crate::store::{NewNas, NewService, Store, StoreError};

pub const TENANT: &str = "demo";
pub const NAS_SECRET: &str = "demo-secret";
pub const ADMIN_USER: &str = "demo";
pub const ADMIN_PASSWORD: &str = "demo-admin-pass";
const DAY: i64 = 86_400;
const ACTOR: &str = "demo-seed";

/// Seed the demo tenant if absent, then make sure `extra_users` bulk PPPoE
/// services `user00001`… / `pass00001`… exist. Returns the tenant.
pub fn seed(store: &Store, now: UnixTime, extra_users: u32) -> Result<Tenant, StoreError> {
    let tenant = match store.tenant_by_slug(TENANT) {
        Ok(t) => t,
        Err(StoreError::NotFound(_)) => seed_tenant(store, now)?,
        Err(e) => return Err(e),
    };
    if extra_users > 0 {
        seed_users(store, &tenant, now, extra_users)?;
    }
    Ok(tenant)
}

pub(crate) fn plan(name: &str, validity_secs: u64, price: i64, rate: &str) -> Plan {
    let validity = crate::store::period_from_secs(validity_secs);
    Plan {
        id: 0,
        tenant: 0,
        disabled: false,
        name: name.into(),
        validity,
        anchor: crate::billing::Anchor::Rolling,
        grace_secs: 0,
        mode: crate::billing::Mode::Prepaid,
        price,
        kick_oldest: false,
        fup: None,
        quota_bytes: None,
        rate: Some(RateLimit::parse(rate).expect("demo rate literal")),
        session_timeout: None,
        idle_timeout: None,
        interim_interval: 300,
        simultaneous_use: 1,
        access_window: None,
        address_pool: None,
        ipv6_pool: None,
        address_list: None,
        routing_mark: None,
        filter_id: None,
        group: None,
        offer: Offer::default(),
    }
}

fn seed_tenant(store: &Store, now: UnixTime) -> Result<Tenant, StoreError> {
    let t = store.create_tenant(
        ACTOR,
        now,
        Tenant {
            id: 0,
            slug: TENANT.into(),
            name: "Demo ISP".into(),
            timezone: "Africa/Nairobi".into(),
            currency: "KES".into(),
            captive_redirect: true,
            captive_rate_limit: "256k/256k".into(),
            captive_session_timeout: 300,
        },
    )?;
    store.create_nas(
        ACTOR,
        now,
        t.id,
        NewNas {
            name: "demo-loopback".into(),
            address: "127.0.0.0".parse().expect("literal"),
            prefix: 8,
            secret: NAS_SECRET.into(),
            require_message_authenticator: true,
        },
    )?;

    let mut home = plan("Home 10M", 30 * DAY as u64, 150_000, "10M/10M 20M/20M 8M/8M 10/10");
    home.address_pool = Some("pppoe-pool".into());
    home.idle_timeout = Some(900);
    home.offer.access = vec![AccessType::Pppoe];
    let home = store.create_plan(ACTOR, now, t.id, home)?;
    let mut home20 = plan("Home 20M", 30 * DAY as u64, 250_000, "20M/20M 40M/40M 16M/16M 10/10");
    home20.address_pool = Some("pppoe-pool".into());
    home20.offer.access = vec![AccessType::Pppoe];
    store.create_plan(ACTOR, now, t.id, home20)?;
    let mut hour = plan("Hotspot 1 hour 1 GB", 3600, 2_000, "5M/5M");
    hour.quota_bytes = Some(1_000_000_000);
    hour.interim_interval = 60;
    hour.offer.access = vec![AccessType::Hotspot];
    let hour = store.create_plan(ACTOR, now, t.id, hour)?;
    let mut day = plan("Hotspot 1 day", DAY as u64, 5_000, "5M/5M");
    day.offer.access = vec![AccessType::Hotspot];
    store.create_plan(ACTOR, now, t.id, day)?;
    let mut dhcp = plan("DHCP 5M", 30 * DAY as u64, 100_000, "5M/5M");
    dhcp.offer.access = vec![AccessType::DhcpMac];
    let dhcp = store.create_plan(ACTOR, now, t.id, dhcp)?;
    let mut stat = plan("Static 20M", 30 * DAY as u64, 300_000, "20M/20M");
    stat.offer.access = vec![AccessType::Static];
    let stat = store.create_plan(ACTOR, now, t.id, stat)?;
    let mut bulk = plan("Bulk 10M", 30 * DAY as u64, 150_000, "10M/10M");
    bulk.simultaneous_use = 0;
    bulk.offer.portal = false;
    store.create_plan(ACTOR, now, t.id, bulk)?;

    let alice = store.create_customer(ACTOR, now, t.id, "Alice Wanjiru", Some("+254712000001".into()), None)?;
    let mut s = NewService::new(alice.id, home.id, AccessType::Pppoe, "demo-pppoe", "demo-pass");
    s.expires_at = Some(now + 30 * DAY);
    store.create_service(ACTOR, now, t.id, s)?;

    let guest = store.create_customer(ACTOR, now, t.id, "Hotspot guest", None, None)?;
    let mut s = NewService::new(guest.id, hour.id, AccessType::Hotspot, "DEMO-VOUCHER", "DEMO-VOUCHER");
    s.activate_on_first_use = true;
    store.create_service(ACTOR, now, t.id, s)?;

    let shop = store.create_customer(ACTOR, now, t.id, "Corner shop", Some("+254712000003".into()), None)?;
    let mut s = NewService::new(shop.id, dhcp.id, AccessType::DhcpMac, "AA:BB:CC:00:00:01", "");
    s.mac = Mac::parse("AA:BB:CC:00:00:01");
    s.expires_at = Some(now + 30 * DAY);
    store.create_service(ACTOR, now, t.id, s)?;

    let office = store.create_customer(ACTOR, now, t.id, "Office (static)", Some("+254712000004".into()), None)?;
    let mut s = NewService::new(office.id, stat.id, AccessType::Static, "demo-static", "demo-static-pass");
    s.mac = Mac::parse("AA:BB:CC:00:00:02");
    s.static_ip = Some("10.99.0.10".parse().expect("literal"));
    s.framed_routes = vec!["192.168.99.0/24 10.99.0.10 1".into()];
    s.expires_at = Some(now + 30 * DAY);
    store.create_service(ACTOR, now, t.id, s)?;

    let late = store.create_customer(ACTOR, now, t.id, "Brian (expired)", Some("+254712000005".into()), None)?;
    let mut s = NewService::new(late.id, home.id, AccessType::Pppoe, "demo-expired", "demo-pass");
    s.expires_at = Some(now - DAY);
    store.create_service(ACTOR, now, t.id, s)?;

    store.create_admin(
        ACTOR,
        now,
        Admin {
            tenant: t.id,
            username: ADMIN_USER.into(),
            password_hash: hash_password(ADMIN_PASSWORD)?,
            role: Role::TenantAdmin,
            created_at: now,
            reseller: None,
            totp: None,
            disabled: false,
        },
    )?;
    Ok(t)
}

fn seed_users(store: &Store, tenant: &Tenant, now: UnixTime, n: u32) -> Result<(), StoreError> {
    if store.service_by_username(tenant.id, &format!("user{n:05}")).is_ok() {
        return Ok(());
    }
    let plan = store.plan_by_name(tenant.id, "Bulk 10M")?;
    let customer = store.create_customer(ACTOR, now, tenant.id, "Bulk demo users", None, None)?;
    let existing: std::collections::HashSet<String> =
        store.services(tenant.id)?.into_iter().map(|s| s.username).collect();
    let mut batch = Vec::new();
    for i in 1..=n {
        let username = format!("user{i:05}");
        if existing.contains(&username) {
            continue;
        }
        let mut s = NewService::new(customer.id, plan.id, AccessType::Pppoe, &username, &format!("pass{i:05}"));
        s.expires_at = Some(now + 30 * DAY);
        batch.push(s);
        if batch.len() == 10_000 {
            store.create_services_bulk(ACTOR, now, tenant.id, std::mem::take(&mut batch))?;
        }
    }
    if !batch.is_empty() {
        store.create_services_bulk(ACTOR, now, tenant.id, batch)?;
    }
    Ok(())
}

/// argon2id needs 19 MiB per hash (OWASP's parameters). Hashes run one at a
/// time, so a burst of sign-ins costs waiting, not memory: the memory
/// budget has room for one.
static ARGON2: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Held while hashing or verifying a password.
pub fn argon2_turn() -> std::sync::MutexGuard<'static, ()> {
    ARGON2.lock().unwrap_or_else(|e| e.into_inner())
}

/// argon2id PHC string with a random salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let _turn = argon2_turn();
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("password hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordVerifier, phc::PasswordHash};

    #[test]
    fn seed_is_idempotent_and_complete() {
        let store = Store::in_memory().unwrap();
        let t = seed(&store, 1_800_000_000, 3).unwrap();
        let t2 = seed(&store, 1_800_000_100, 3).unwrap();
        assert_eq!(t.id, t2.id);
        let names: Vec<String> = store.services(t.id).unwrap().into_iter().map(|s| s.username).collect();
        for want in
            ["demo-pppoe", "DEMO-VOUCHER", "AA:BB:CC:00:00:01", "demo-static", "demo-expired", "user00001", "user00003"]
        {
            assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
        }
        assert_eq!(names.len(), 8);
        let admin = store.admin(t.id, ADMIN_USER).unwrap().unwrap();
        assert!(admin.password_hash.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&admin.password_hash).unwrap();
        assert!(argon2::Argon2::default().verify_password(ADMIN_PASSWORD.as_bytes(), &parsed).is_ok());
        assert!(!store.audit_log(t.id).unwrap().is_empty(), "seeding is audited");
    }
}
