//! What the admin UI needs from the store: admins by name (names are
//! unique platform-wide, so the sign-in form asks only for a name),
//! server-side sessions (only the SHA-256 of a session token is kept, so a
//! copy of the file signs nobody in), sign-in lockout that survives a
//! restart, TOTP recovery codes (only their SHA-256; each one used once, in
//! the transaction that starts the session), reseller ownership of
//! customers, and newest-first pages of any `(tenant, id)` table.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::codec::{Stored, decode, encode};
use super::tables::*;
use super::{Store, StoreError, audit, get, record};
use crate::model::*;

/// Failed sign-ins in a row that lock an account.
pub const LOCK_AFTER: u32 = 5;
/// How long a locked account stays locked.
pub const LOCK_SECS: i64 = 15 * 60;
/// A session ends this long after sign-in, whatever happens.
pub const SESSION_SECS: i64 = 12 * 3600;
/// A half-made session (password right, TOTP code still owed) lasts this long.
pub const PENDING_SECS: i64 = 5 * 60;

/// One signed-in browser. Keyed by the SHA-256 of its cookie value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSession {
    pub tenant: TenantId,
    pub username: String,
    /// The tenant whose data the pages show: the admin's own, or for a
    /// platform admin the one chosen in the tenant switcher (0 = none yet).
    pub acting: TenantId,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub ip: String,
    /// The synchronizer token every form of this session carries.
    pub csrf: String,
    /// The password was right but the TOTP code is still owed.
    pub pending_totp: bool,
}

impl Stored for AdminSession {
    const VERSION: u8 = 1;
    const NAME: &'static str = "AdminSession";
}

/// Failed sign-ins in a row for one admin name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginLock {
    pub fails: u32,
    pub locked_until: UnixTime,
}

impl Stored for LoginLock {
    const VERSION: u8 = 1;
    const NAME: &'static str = "LoginLock";
}

/// An admin's unused TOTP recovery codes, as SHA-256 hex digests of their
/// normalised form (`ops::recovery`). The codes themselves are never stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub digests: Vec<String>,
}

impl Stored for RecoveryCodes {
    const VERSION: u8 = 1;
    const NAME: &'static str = "RecoveryCodes";
}

/// What became of a sign-in attempt, for the audit log and the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    Ok,
    BadPassword,
    BadTotp,
    Locked,
    Disabled,
    UnknownName,
}

impl Attempt {
    fn action(self) -> &'static str {
        match self {
            Attempt::Ok => "admin.login",
            Attempt::BadPassword => "admin.login_failed",
            Attempt::BadTotp => "admin.login_failed_totp",
            Attempt::Locked => "admin.login_locked",
            Attempt::Disabled => "admin.login_disabled",
            Attempt::UnknownName => "admin.login_unknown",
        }
    }
}

impl Store {
    /// An admin by name, whatever its tenant.
    pub fn admin_by_name(&self, username: &str) -> Result<Option<Admin>, StoreError> {
        let tx = self.read()?;
        let Some(tenant) = tx.open_table(ADMIN_BY_NAME)?.get(username)?.map(|v| v.value()) else {
            return Ok(None);
        };
        get(&tx.open_table(ADMINS)?, (tenant, username))
    }

    /// The admins of `tenant` (0: the platform admins), by name.
    pub fn admins(&self, tenant: TenantId) -> Result<Vec<Admin>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(ADMINS)?;
        let mut out = Vec::new();
        for row in table.range((tenant, "")..(tenant + 1, ""))? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    /// Change an admin (password, TOTP, disabled); ends its sessions when
    /// the password changes or the admin is disabled, and forgets its
    /// recovery codes when TOTP is off.
    pub fn update_admin(&self, actor: &str, now: UnixTime, admin: &Admin, what: &str) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut table = tx.open_table(ADMINS)?;
            let old: Admin = get(&table, (admin.tenant, admin.username.as_str()))?
                .ok_or_else(|| StoreError::NotFound(format!("admin {:?}", admin.username)))?;
            table.insert((admin.tenant, admin.username.as_str()), encode(admin).as_slice())?;
            if old.password_hash != admin.password_hash || admin.disabled {
                end_sessions(&tx, &admin.username)?;
            }
            if admin.totp.is_none() {
                tx.open_table(ADMIN_RECOVERY)?.remove((admin.tenant, admin.username.as_str()))?;
            }
            let shown =
                |a: &Admin| format!("role={} disabled={} totp={}", a.role.as_str(), a.disabled, a.totp.is_some());
            let object = format!("admin/{}", admin.username);
            audit(&tx, admin.tenant, &record(now, actor, what, object, Some(shown(&old)), Some(shown(admin))))?;
        }
        self.commit(tx)
    }

    /// Whether `username` is locked now, and until when.
    pub fn login_lock(&self, username: &str, now: UnixTime) -> Result<Option<UnixTime>, StoreError> {
        let tx = self.read()?;
        let lock: Option<LoginLock> = get(&tx.open_table(ADMIN_LOCKS)?, username)?;
        Ok(lock.map(|l| l.locked_until).filter(|&u| u > now))
    }

    /// Record a sign-in attempt in the audit log (who, from where, how it
    /// ended) and keep the failure count: LOCK_AFTER failures in a row lock
    /// the name for LOCK_SECS; a success clears it.
    pub fn note_login(
        &self,
        now: UnixTime,
        username: &str,
        tenant: TenantId,
        ip: &str,
        attempt: Attempt,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut locks = tx.open_table(ADMIN_LOCKS)?;
            let mut lock: LoginLock = get(&locks, username)?.unwrap_or_default();
            match attempt {
                Attempt::Ok => lock = LoginLock::default(),
                Attempt::BadPassword | Attempt::BadTotp | Attempt::UnknownName => {
                    lock.fails += 1;
                    if lock.fails >= LOCK_AFTER {
                        lock = LoginLock { fails: 0, locked_until: now + LOCK_SECS };
                    }
                }
                Attempt::Locked | Attempt::Disabled => {}
            }
            if lock == LoginLock::default() {
                locks.remove(username)?;
            } else {
                locks.insert(username, encode(&lock).as_slice())?;
            }
            let actor = format!("admin:{username} from {ip}");
            let object = format!("admin/{username}");
            audit(&tx, tenant, &record(now, &actor, attempt.action(), object, None, None))?;
        }
        self.commit(tx)
    }

    /// A new session for `admin`, replacing `old` (the cookie the browser
    /// came with, if any): the token changes at every sign-in step.
    pub fn start_admin_session(
        &self,
        now: UnixTime,
        admin: &Admin,
        ip: &str,
        pending_totp: bool,
        old: Option<&str>,
    ) -> Result<(String, AdminSession), StoreError> {
        let (token, session) = self.new_admin_session(now, admin, ip, pending_totp, old)?;
        let tx = self.write()?;
        put_session(&tx, now, &token, &session, old)?;
        self.commit(tx)?;
        Ok((token, session))
    }

    /// The TOTP step passed with a recovery code instead: the code's digest
    /// is removed in the transaction that stores the new full session, with
    /// an audit record of how many are left. None (and nothing changed) when
    /// `digest` is not one of the admin's unused codes.
    pub fn start_admin_session_with_recovery_code(
        &self,
        now: UnixTime,
        admin: &Admin,
        ip: &str,
        old: Option<&str>,
        digest: &str,
    ) -> Result<Option<(String, AdminSession, usize)>, StoreError> {
        let (token, session) = self.new_admin_session(now, admin, ip, false, old)?;
        let tx = self.write()?;
        let left = {
            let mut table = tx.open_table(ADMIN_RECOVERY)?;
            let key = (admin.tenant, admin.username.as_str());
            let mut codes: RecoveryCodes = get(&table, key)?.unwrap_or_default();
            let Some(at) = codes.digests.iter().position(|d| d == digest) else {
                drop(table);
                tx.abort()?;
                return Ok(None);
            };
            codes.digests.remove(at);
            if codes.digests.is_empty() {
                table.remove(key)?;
            } else {
                table.insert(key, encode(&codes).as_slice())?;
            }
            let left = codes.digests.len();
            let actor = format!("admin:{} from {ip}", admin.username);
            let object = format!("admin/{}", admin.username);
            let after = Some(format!("{left} left"));
            audit(&tx, admin.tenant, &record(now, &actor, "admin.recovery_code_used", object, None, after))?;
            left
        };
        put_session(&tx, now, &token, &session, old)?;
        self.commit(tx)?;
        Ok(Some((token, session, left)))
    }

    /// How many unused recovery codes the admin has.
    pub fn recovery_codes_left(&self, tenant: TenantId, username: &str) -> Result<usize, StoreError> {
        let tx = self.read()?;
        // `Store::open` makes the table, also in files from before it.
        let table = tx.open_table(ADMIN_RECOVERY)?;
        let codes: Option<RecoveryCodes> = get(&table, (tenant, username))?;
        Ok(codes.map_or(0, |c| c.digests.len()))
    }

    /// Replace the admin's recovery codes with `digests` (the old set stops
    /// working), audited with the counts only. Refused when the stored
    /// admin has TOTP off: the codes stand in for its codes.
    pub fn replace_recovery_codes(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        username: &str,
        digests: Vec<String>,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let admin: Admin = get(&tx.open_table(ADMINS)?, (tenant, username))?
                .ok_or_else(|| StoreError::NotFound(format!("admin {username:?}")))?;
            if admin.totp.is_none() {
                return Err(StoreError::Invalid(format!(
                    "admin {username:?} has two-step sign-in off; recovery codes stand in for its codes, so turn it on first"
                )));
            }
            let mut table = tx.open_table(ADMIN_RECOVERY)?;
            let old: Option<RecoveryCodes> = get(&table, (tenant, username))?;
            let (before, after) = (old.map_or(0, |c| c.digests.len()), digests.len());
            table.insert((tenant, username), encode(&RecoveryCodes { digests }).as_slice())?;
            let (before, after) = (Some(format!("{before} unused")), Some(format!("{after} unused")));
            let object = format!("admin/{username}");
            audit(&tx, tenant, &record(now, actor, "admin.recovery_codes", object, before, after))?;
        }
        self.commit(tx)
    }

    /// A token and session for `admin`, not stored yet.
    fn new_admin_session(
        &self,
        now: UnixTime,
        admin: &Admin,
        ip: &str,
        pending_totp: bool,
        old: Option<&str>,
    ) -> Result<(String, AdminSession), StoreError> {
        let token = super::random_hex(32);
        let acting = if admin.tenant == 0 { self.tenants()?.first().map_or(0, |t| t.id) } else { admin.tenant };
        let acting = old.and_then(|o| self.admin_session(o, now).ok().flatten()).map_or(acting, |s| s.acting);
        let session = AdminSession {
            tenant: admin.tenant,
            username: admin.username.clone(),
            acting,
            created_at: now,
            expires_at: now + if pending_totp { PENDING_SECS } else { SESSION_SECS },
            ip: ip.to_string(),
            csrf: super::random_hex(24),
            pending_totp,
        };
        Ok((token, session))
    }

    /// The live session behind a cookie value.
    pub fn admin_session(&self, token: &str, now: UnixTime) -> Result<Option<AdminSession>, StoreError> {
        if token.is_empty() {
            return Ok(None);
        }
        let tx = self.read()?;
        let s: Option<AdminSession> = get(&tx.open_table(ADMIN_SESSIONS)?, super::sha256_hex(token).as_str())?;
        Ok(s.filter(|s| s.expires_at > now))
    }

    /// Sign out: the session is gone server-side, whatever the browser keeps.
    pub fn end_admin_session(&self, token: &str) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(ADMIN_SESSIONS)?.remove(super::sha256_hex(token).as_str())?;
        self.commit(tx)
    }

    /// A platform admin chooses the tenant its pages show.
    pub fn set_session_tenant(&self, token: &str, tenant: TenantId) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut table = tx.open_table(ADMIN_SESSIONS)?;
            let key = super::sha256_hex(token);
            let mut s: AdminSession =
                get(&table, key.as_str())?.ok_or_else(|| StoreError::NotFound("session".into()))?;
            s.acting = tenant;
            table.insert(key.as_str(), encode(&s).as_slice())?;
        }
        self.commit(tx)
    }

    /// Mark a customer as a reseller's, in the caller's transaction.
    pub(crate) fn own_customer(
        tx: &redb::WriteTransaction,
        tenant: TenantId,
        reseller: Id,
        customer: Id,
    ) -> Result<(), StoreError> {
        tx.open_table(CUSTOMER_RESELLER)?.insert((tenant, customer), reseller)?;
        tx.open_table(RESELLER_CUSTOMERS)?.insert((tenant, reseller, customer), ())?;
        // The tenant counted the new customer when it was made; the
        // reseller's scope counts it now.
        let at =
            super::personal::get_bare::<_, crate::model::Customer>(&tx.open_table(CUSTOMERS)?, (tenant, customer))?
                .map(|c| c.created_at);
        if let Some(at) = at {
            let day = super::reports::local_day(&super::billing::tenant_zone(tx, tenant)?, at);
            super::reports::bump(tx, tenant, &[reseller], day, &[(super::reports::Metric::CustomersNew, 0, 1)])?;
        }
        Ok(())
    }

    /// The reseller a customer belongs to, if any.
    pub fn reseller_of(&self, tenant: TenantId, customer: Id) -> Result<Option<Id>, StoreError> {
        let tx = self.read()?;
        Ok(tx.open_table(CUSTOMER_RESELLER)?.get((tenant, customer))?.map(|v| v.value()))
    }

    /// A customer created by an admin; a reseller's customer is marked as its own.
    #[allow(clippy::too_many_arguments)] // the customer's fields and who makes it
    pub fn create_customer_as(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        reseller: Option<Id>,
        name: &str,
        phone: Option<String>,
        email: Option<String>,
        category: Option<String>,
    ) -> Result<Customer, StoreError> {
        let tx = self.write()?;
        let c = self.insert_customer(&tx, actor, now, tenant, name, phone, email, category)?;
        if let Some(r) = reseller {
            Store::own_customer(&tx, tenant, r, c.id)?;
        }
        self.commit(tx)?;
        Ok(c)
    }

    /// Create a reseller admin together with the customer whose wallet it
    /// spends, in one transaction.
    pub fn create_reseller(&self, actor: &str, now: UnixTime, mut admin: Admin) -> Result<Admin, StoreError> {
        let tx = self.write()?;
        let wallet = self.insert_customer(
            &tx,
            actor,
            now,
            admin.tenant,
            &format!("Reseller {}", admin.username),
            None,
            None,
            None,
        )?;
        admin.reseller = Some(wallet.id);
        insert_admin(&tx, actor, now, &admin)?;
        self.commit(tx)?;
        Ok(admin)
    }
}

/// Add an admin (names unique platform-wide) with its audit record.
pub(crate) fn insert_admin(
    tx: &redb::WriteTransaction,
    actor: &str,
    now: UnixTime,
    admin: &Admin,
) -> Result<(), StoreError> {
    let name = admin.username.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(StoreError::Invalid("admin name must be 1 to 64 characters without spaces".into()));
    }
    let mut by_name = tx.open_table(ADMIN_BY_NAME)?;
    if by_name.get(name)?.is_some() {
        return Err(StoreError::Conflict(format!("admin {name:?} already exists")));
    }
    by_name.insert(name, admin.tenant)?;
    tx.open_table(ADMINS)?.insert((admin.tenant, name), encode(admin).as_slice())?;
    let shown = format!("{} ({})", name, admin.role.as_str());
    audit(tx, admin.tenant, &record(now, actor, "admin.create", format!("admin/{name}"), None, Some(shown)))
}

/// Store `session` under its token, replacing `old` and sweeping expired ones.
fn put_session(
    tx: &redb::WriteTransaction,
    now: UnixTime,
    token: &str,
    session: &AdminSession,
    old: Option<&str>,
) -> Result<(), StoreError> {
    let mut table = tx.open_table(ADMIN_SESSIONS)?;
    if let Some(old) = old {
        table.remove(super::sha256_hex(old).as_str())?;
    }
    // Expired sessions are swept here: sign-ins are rare enough.
    let stale: Vec<String> = table
        .iter()?
        .filter_map(|r| r.ok())
        .filter(|(_, v)| decode::<AdminSession>(v.value()).map_or(true, |s| s.expires_at <= now))
        .map(|(k, _)| k.value().to_string())
        .collect();
    for k in stale {
        table.remove(k.as_str())?;
    }
    table.insert(super::sha256_hex(token).as_str(), encode(session).as_slice())?;
    Ok(())
}

fn end_sessions(tx: &redb::WriteTransaction, username: &str) -> Result<(), StoreError> {
    let mut table = tx.open_table(ADMIN_SESSIONS)?;
    let theirs: Vec<String> = table
        .iter()?
        .filter_map(|r| r.ok())
        .filter(|(_, v)| decode::<AdminSession>(v.value()).is_ok_and(|s| s.username == username))
        .map(|(k, _)| k.value().to_string())
        .collect();
    for k in theirs {
        table.remove(k.as_str())?;
    }
    Ok(())
}

/// Schema 3 → 4: admins by name, and the audit log by object and by actor.
pub(crate) fn migrate_3_to_4(tx: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut by_name = tx.open_table(ADMIN_BY_NAME)?;
    for row in tx.open_table(ADMINS)?.iter()? {
        let (k, _) = row?;
        let (tenant, name) = k.value();
        if by_name.get(name)?.is_none() {
            by_name.insert(name, tenant)?;
        } else {
            tracing::warn!(admin = name, tenant, "two admins share this name; only the first can sign in");
        }
    }
    let mut by_customer = tx.open_table(SERVICE_BY_CUSTOMER)?;
    for row in tx.open_table(SERVICES)?.iter()? {
        let s: Service = decode(row?.1.value())?;
        by_customer.insert((s.tenant, s.customer, s.id), ())?;
    }
    let mut by_object = tx.open_table(AUDIT_BY_OBJECT)?;
    let mut by_actor = tx.open_table(AUDIT_BY_ACTOR)?;
    for row in tx.open_table(AUDIT)?.iter()? {
        let (k, v) = row?;
        let (tenant, seq) = k.value();
        let r: AuditRecord = decode(v.value())?;
        by_object.insert((tenant, r.object.as_str(), seq), ())?;
        by_actor.insert((tenant, actor_name(&r.actor), seq), ())?;
    }
    Ok(())
}

/// Who an audit actor is, without "from ADDRESS".
pub fn actor_name(actor: &str) -> &str {
    actor.split_once(" from ").map_or(actor, |(who, _)| who)
}

impl Store {
    /// Forget an admin's failed sign-ins (after a reset by the operator).
    pub fn clear_login_lock(&self, username: &str) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(ADMIN_LOCKS)?.remove(username)?;
        self.commit(tx)
    }
}
