//! The CPE inventory and the tenant's GenieACS settings: devices added one
//! by one or imported in one transaction (serials unique per tenant),
//! installed on a service, returned and restocked through the pure
//! `model::apply_move` rules (one CPE per service, a device installed on
//! one service cannot go to another before it is returned), Wi-Fi name and
//! key (sealed), and the reboot / refresh rate limit. Every change is one
//! transaction with its audit record, which never holds a secret.

use redb::{ReadableTable, WriteTransaction};

use super::codec::encode;
use super::tables::*;
use super::{Purpose, Store, StoreError, audit, get, record, tenant_rows};
use crate::model::*;

/// What a new CPE is.
#[derive(Clone, Debug)]
pub struct NewCpe {
    pub serial: String,
    pub mac: Option<Mac>,
    pub model: String,
}

/// A secret field of a form: keep the stored one, set a new one, or clear it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretEdit {
    Keep,
    Set(String),
    Clear,
}

/// A CPE as the audit log shows it: the Wi-Fi key only as "set".
pub(super) fn shown_cpe(c: &Cpe) -> Option<String> {
    let mut v = serde_json::to_value(Cpe { wifi_key: None, ..c.clone() }).ok()?;
    v["wifi_key"] = serde_json::Value::Bool(c.wifi_key.is_some());
    Some(v.to_string())
}

pub(super) fn cursor_key(tenant: TenantId) -> String {
    format!("cpe_cursor:{tenant}")
}

fn clean_serial(s: &str) -> Result<String, StoreError> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 || !s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) {
        return Err(StoreError::Invalid(format!("serial number {s:?}: 1 to 64 letters, digits or - _ . :")));
    }
    Ok(s.to_string())
}

/// Whether a service may be online now (a push is worth making).
pub(super) fn is_live(s: &Service, now: UnixTime) -> bool {
    s.status == ServiceStatus::Active && s.expires_at.is_none_or(|e| e > now)
}

fn load(tx: &WriteTransaction, tenant: TenantId, id: Id) -> Result<Cpe, StoreError> {
    get(&tx.open_table(CPES)?, (tenant, id))?.ok_or_else(|| StoreError::NotFound(format!("CPE {id}")))
}

fn put(tx: &WriteTransaction, c: &Cpe) -> Result<(), StoreError> {
    tx.open_table(CPES)?.insert((c.tenant, c.id), encode(c).as_slice())?;
    Ok(())
}

impl Store {
    pub fn acs_settings(&self, tenant: TenantId) -> Result<Option<AcsSettings>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(ACS_SETTINGS)?, tenant)
    }

    /// The NBI password in clear, for a request.
    pub fn acs_password(&self, s: &AcsSettings) -> Result<Option<String>, StoreError> {
        let Some(sealed) = &s.password else { return Ok(None) };
        let bytes = self.secrets.open(Purpose::AcsPassword, sealed)?;
        Ok(Some(String::from_utf8(bytes).map_err(|_| StoreError::Invalid("stored ACS password is not text".into()))?))
    }

    /// Tenants with GenieACS set up.
    pub fn acs_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(ACS_SETTINGS)?.iter()? {
            out.push(row?.0.value());
        }
        Ok(out)
    }

    /// Store the settings (audited without the password). The first save
    /// starts the activation follower at the newest audit record, so older
    /// activations are not pushed.
    pub fn set_acs_settings(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        base_url: &str,
        username: Option<String>,
        password: SecretEdit,
    ) -> Result<AcsSettings, StoreError> {
        let base_url = base_url.trim().trim_end_matches('/');
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) || base_url.len() < 10 {
            return Err(StoreError::Invalid(format!(
                "GenieACS NBI URL {base_url:?} must start with http:// or https://"
            )));
        }
        let tx = self.write()?;
        let old: Option<AcsSettings> = get(&tx.open_table(ACS_SETTINGS)?, tenant)?;
        let username = username.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        let password = match password {
            SecretEdit::Keep => old.as_ref().and_then(|o| o.password.clone()),
            SecretEdit::Set(p) => Some(self.secrets.seal(Purpose::AcsPassword, p.as_bytes())),
            SecretEdit::Clear => None,
        };
        let s = AcsSettings { base_url: base_url.to_string(), username, password };
        tx.open_table(ACS_SETTINGS)?.insert(tenant, encode(&s).as_slice())?;
        if old.is_none() {
            let last = {
                let a = tx.open_table(AUDIT)?;
                let last = a.range((tenant, 0)..=(tenant, u64::MAX))?.next_back().transpose()?;
                last.map_or(0, |(k, _)| k.value().1)
            };
            let key = cursor_key(tenant);
            let mut meta = tx.open_table(META)?;
            if meta.get(key.as_str())?.is_none() {
                meta.insert(key.as_str(), last)?;
            }
        }
        let shown = |s: &AcsSettings| {
            serde_json::json!({"base_url": s.base_url, "username": s.username, "password": s.password.is_some()})
                .to_string()
        };
        // Its own object, not the tenant's: the settings are per node (a site
        // may hold its own), where tenant records belong to the hub.
        let object = format!("genieacs/{tenant}");
        let rec = record(now, actor, "tenant.genieacs", object, old.as_ref().map(shown), Some(shown(&s)));
        audit(&tx, tenant, &rec)?;
        self.commit(tx)?;
        Ok(s)
    }

    /// Add devices in one transaction: all or none (a serial already held,
    /// or twice in the list, refuses the lot and says which).
    pub fn add_cpes(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        new: &[NewCpe],
    ) -> Result<Vec<Cpe>, StoreError> {
        let tx = self.write()?;
        let mut out = Vec::new();
        for (i, n) in new.iter().enumerate() {
            let serial = clean_serial(&n.serial)?;
            let line = if new.len() > 1 { format!("line {}: ", i + 1) } else { String::new() };
            if tx.open_table(CPE_BY_SERIAL)?.get((tenant, serial.as_str()))?.is_some() {
                return Err(StoreError::Conflict(format!(
                    "{line}a CPE with serial number {serial} is already in the inventory"
                )));
            }
            let model = n.model.trim();
            if model.len() > 64 {
                return Err(StoreError::Invalid(format!("{line}the model name is longer than 64 characters")));
            }
            let c = Cpe {
                id: Store::next_id(&tx)?,
                tenant,
                serial: serial.clone(),
                mac: n.mac,
                model: model.to_string(),
                state: CpeState::InStock,
                service: None,
                wifi_ssid: None,
                wifi_key: None,
                created_at: now,
                provisioned_at: None,
                action_at: None,
            };
            put(&tx, &c)?;
            tx.open_table(CPE_BY_SERIAL)?.insert((tenant, serial.as_str()), c.id)?;
            audit(&tx, tenant, &record(now, actor, "cpe.add", format!("cpe/{}", c.id), None, shown_cpe(&c)))?;
            out.push(c);
        }
        self.commit(tx)?;
        Ok(out)
    }

    pub fn cpes(&self, tenant: TenantId) -> Result<Vec<Cpe>, StoreError> {
        let tx = self.read()?;
        tenant_rows(&tx.open_table(CPES)?, tenant)
    }

    pub fn cpe(&self, tenant: TenantId, id: Id) -> Result<Option<Cpe>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(CPES)?, (tenant, id))
    }

    pub fn cpe_by_serial(&self, tenant: TenantId, serial: &str) -> Result<Option<Cpe>, StoreError> {
        let tx = self.read()?;
        let Some(id) = tx.open_table(CPE_BY_SERIAL)?.get((tenant, serial.trim()))?.map(|v| v.value()) else {
            return Ok(None);
        };
        get(&tx.open_table(CPES)?, (tenant, id))
    }

    /// The CPE installed on a service.
    pub fn cpe_of_service(&self, tenant: TenantId, service: Id) -> Result<Option<Cpe>, StoreError> {
        let tx = self.read()?;
        let Some(id) = tx.open_table(CPE_BY_SERVICE)?.get((tenant, service))?.map(|v| v.value()) else {
            return Ok(None);
        };
        get(&tx.open_table(CPES)?, (tenant, id))
    }

    /// Link, return or restock. Linking to a service that may be online
    /// queues the credentials push in the same transaction.
    pub fn move_cpe(&self, actor: &str, now: UnixTime, tenant: TenantId, id: Id, mv: Move) -> Result<Cpe, StoreError> {
        let tx = self.write()?;
        let before = load(&tx, tenant, id)?;
        let (state, service) = apply_move(before.state, before.service, mv)
            .map_err(|e| StoreError::Conflict(format!("CPE {}: {e}", before.serial)))?;
        let mut push = false;
        if let Move::Link(sid) = mv {
            let svc: Service = get(&tx.open_table(SERVICES)?, (tenant, sid))?
                .ok_or_else(|| StoreError::NotFound(format!("service {sid}")))?;
            if let Some(other) = tx.open_table(CPE_BY_SERVICE)?.get((tenant, sid))?.map(|v| v.value()) {
                let other = load(&tx, tenant, other)?;
                return Err(StoreError::Conflict(format!(
                    "service {} already has CPE {}: return that one first",
                    svc.username, other.serial
                )));
            }
            tx.open_table(CPE_BY_SERVICE)?.insert((tenant, sid), id)?;
            push = is_live(&svc, now);
        }
        if let (Some(old), None) = (before.service, service) {
            tx.open_table(CPE_BY_SERVICE)?.remove((tenant, old))?;
        }
        let after = Cpe { state, service, ..before.clone() };
        put(&tx, &after)?;
        let action = match mv {
            Move::Link(_) => "cpe.link",
            Move::Return => "cpe.return",
            Move::Restock => "cpe.restock",
        };
        let rec = record(now, actor, action, format!("cpe/{id}"), shown_cpe(&before), shown_cpe(&after));
        audit(&tx, tenant, &rec)?;
        if push {
            super::cpe_queue::enqueue(&tx, tenant, id, "linked to an active service", now)?;
        }
        self.commit(tx)?;
        Ok(after)
    }

    /// The Wi-Fi name and key pushed with the credentials; an installed
    /// CPE on a live service gets them pushed now.
    pub fn set_cpe_wifi(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        ssid: Option<String>,
        key: SecretEdit,
    ) -> Result<Cpe, StoreError> {
        let ssid = ssid.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if ssid.as_ref().is_some_and(|s| s.len() > 32) {
            return Err(StoreError::Invalid("a Wi-Fi name is at most 32 bytes".into()));
        }
        if let SecretEdit::Set(k) = &key
            && !(8..=63).contains(&k.len())
        {
            return Err(StoreError::Invalid("a WPA passphrase is 8 to 63 characters".into()));
        }
        let tx = self.write()?;
        let before = load(&tx, tenant, id)?;
        let wifi_key = match key {
            SecretEdit::Keep => before.wifi_key.clone(),
            SecretEdit::Set(k) => Some(self.secrets.seal(Purpose::WifiKey, k.as_bytes())),
            SecretEdit::Clear => None,
        };
        let after = Cpe { wifi_ssid: ssid, wifi_key, ..before.clone() };
        put(&tx, &after)?;
        let rec = record(now, actor, "cpe.wifi", format!("cpe/{id}"), shown_cpe(&before), shown_cpe(&after));
        audit(&tx, tenant, &rec)?;
        if let Some(sid) = after.service {
            let svc: Option<Service> = get(&tx.open_table(SERVICES)?, (tenant, sid))?;
            if svc.is_some_and(|s| is_live(&s, now)) {
                super::cpe_queue::enqueue(&tx, tenant, id, "Wi-Fi changed", now)?;
            }
        }
        self.commit(tx)?;
        Ok(after)
    }

    /// The Wi-Fi key in clear, for a push.
    pub fn cpe_wifi_key(&self, c: &Cpe) -> Result<Option<String>, StoreError> {
        let Some(sealed) = &c.wifi_key else { return Ok(None) };
        let bytes = self.secrets.open(Purpose::WifiKey, sealed)?;
        Ok(Some(String::from_utf8(bytes).map_err(|_| StoreError::Invalid("stored Wi-Fi key is not text".into()))?))
    }

    /// Note a reboot or refresh about to be asked of the ACS: refused
    /// within `ACTION_EVERY_SECS` of the last one, else audited.
    pub fn note_cpe_action(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        id: Id,
        what: &str,
    ) -> Result<Cpe, StoreError> {
        let tx = self.write()?;
        let mut c = load(&tx, tenant, id)?;
        if let Some(wait) = action_wait(c.action_at, now) {
            return Err(StoreError::Conflict(format!(
                "CPE {} was sent a reboot or refresh less than a minute ago: try again in {wait} s",
                c.serial
            )));
        }
        c.action_at = Some(now);
        put(&tx, &c)?;
        audit(&tx, tenant, &record(now, actor, &format!("cpe.{what}"), format!("cpe/{id}"), None, None))?;
        self.commit(tx)?;
        Ok(c)
    }
}
