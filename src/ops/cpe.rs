//! CPE management through GenieACS, for `lango cpe …` and the admin pages:
//! the tenant's NBI settings, the inventory (add, import, link by serial
//! or MAC to a service named by its PPPoE username, MAC or id, return,
//! restock, Wi-Fi), the device's live state, reboot and refresh (one per
//! CPE a minute, audited before the ACS is asked), and the credential
//! push the job makes for each queued activation.

use std::time::Duration;

use crate::acs::params::{self, DataModel, DeviceState};
use crate::acs::{Nbi, NbiError, TaskOutcome};
use crate::model::*;
use crate::store::cpe::{NewCpe, SecretEdit};
use crate::store::cpe_queue::CpePush;
use crate::store::{Store, StoreError};

use super::OpError;

/// How long the pages and the command line wait for GenieACS.
pub const LIVE_TIMEOUT: Duration = Duration::from_secs(4);
/// How long a push waits (the ACS may hold the request while the device
/// answers its connection request).
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(20);

/// A store refusal put on a field.
fn on(field: &'static str) -> impl Fn(StoreError) -> OpError {
    move |e| match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => OpError::field(field, m),
        StoreError::NotFound(m) => OpError::field(field, format!("{m} not found")),
        e => e.into(),
    }
}

pub struct SettingsInput {
    pub base_url: String,
    pub username: Option<String>,
    pub password: SecretEdit,
}

pub fn save_settings(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    i: SettingsInput,
) -> Result<AcsSettings, OpError> {
    if matches!(i.password, SecretEdit::Set(_)) && i.username.as_deref().is_none_or(|u| u.trim().is_empty()) {
        return Err(OpError::field("username", "A password needs a username (HTTP basic authentication)"));
    }
    store.set_acs_settings(actor, now, tenant, &i.base_url, i.username, i.password).map_err(on("base_url"))
}

/// Lines of `serial,MAC,model` (MAC and model may be empty; a first line
/// starting with "serial" is a header).
pub fn parse_rows(text: &str) -> Result<Vec<NewCpe>, OpError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (n == 0 && line.to_ascii_lowercase().starts_with("serial")) {
            continue;
        }
        let mut cols = line.splitn(3, ',').map(str::trim);
        let serial = cols.next().unwrap_or_default().to_string();
        let mac = match cols.next().filter(|m| !m.is_empty()) {
            Some(m) => Some(
                Mac::parse(m)
                    .ok_or_else(|| OpError::field("rows", format!("line {}: {m:?} is not a MAC address", n + 1)))?,
            ),
            None => None,
        };
        out.push(NewCpe { serial, mac, model: cols.next().unwrap_or_default().to_string() });
    }
    if out.is_empty() {
        return Err(OpError::field("rows", "No devices: one a line, serial,MAC,model"));
    }
    Ok(out)
}

pub fn add(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, rows: &[NewCpe]) -> Result<Vec<Cpe>, OpError> {
    store.add_cpes(actor, now, tenant, rows).map_err(on("rows"))
}

/// A CPE by its id, serial number or MAC.
pub fn find_cpe(store: &Store, tenant: TenantId, what: &str) -> Result<Cpe, OpError> {
    let what = what.trim();
    if let Some(c) = store.cpe_by_serial(tenant, what)? {
        return Ok(c);
    }
    if let Some(mac) = Mac::parse(what)
        && let Some(c) = store.cpes(tenant)?.into_iter().find(|c| c.mac == Some(mac))
    {
        return Ok(c);
    }
    if let Ok(id) = what.parse::<Id>()
        && let Some(c) = store.cpe(tenant, id)?
    {
        return Ok(c);
    }
    Err(OpError::field("cpe", format!("no CPE with serial number, MAC or id {what:?}")))
}

/// A service by its login (the PPPoE username), MAC or id.
pub fn find_service(store: &Store, tenant: TenantId, what: &str) -> Result<Service, OpError> {
    let what = what.trim();
    if let Ok(s) = store.service_by_username(tenant, what) {
        return Ok(s);
    }
    if let Some(mac) = Mac::parse(what)
        && let Some(id) = store.service_by_mac(tenant, mac)?
        && let Some(s) = store.service(tenant, id)?
    {
        return Ok(s);
    }
    if let Ok(id) = what.parse::<Id>()
        && let Some(s) = store.service(tenant, id)?
    {
        return Ok(s);
    }
    Err(OpError::field("service", format!("no service with username, MAC or id {what:?}")))
}

pub fn link(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    cpe: Id,
    service: &str,
) -> Result<Cpe, OpError> {
    let s = find_service(store, tenant, service)?;
    store.move_cpe(actor, now, tenant, cpe, Move::Link(s.id)).map_err(on("service"))
}

pub fn shelve(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, cpe: Id, mv: Move) -> Result<Cpe, OpError> {
    store.move_cpe(actor, now, tenant, cpe, mv).map_err(on("cpe"))
}

pub fn wifi(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    cpe: Id,
    ssid: Option<String>,
    key: SecretEdit,
) -> Result<Cpe, OpError> {
    store.set_cpe_wifi(actor, now, tenant, cpe, ssid, key).map_err(on("wifi_key"))
}

pub fn push_now(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, cpe: Id) -> Result<(), OpError> {
    store.push_cpe_now(actor, now, tenant, cpe).map_err(on("cpe"))
}

/// The tenant's NBI client with its password opened.
pub fn nbi(store: &Store, tenant: TenantId, timeout: Duration) -> Result<Nbi, OpError> {
    let s = store
        .acs_settings(tenant)?
        .ok_or_else(|| OpError::Refused("GenieACS is not set up for this tenant (lango cpe settings)".into()))?;
    let auth = match (&s.username, store.acs_password(&s)?) {
        (Some(u), p) => Some((u.clone(), p.unwrap_or_default())),
        (None, _) => None,
    };
    Nbi::new(&s.base_url, auth, timeout).map_err(|e| OpError::Refused(e.to_string()))
}

fn refused(e: NbiError) -> OpError {
    OpError::Refused(e.to_string())
}

/// The device's state now, from GenieACS (None: GenieACS has no such device).
pub async fn status(store: &Store, tenant: TenantId, cpe: &Cpe, now: UnixTime) -> Result<Option<DeviceState>, OpError> {
    let nbi = nbi(store, tenant, LIVE_TIMEOUT)?;
    let doc = nbi.find(&cpe.serial).await.map_err(refused)?;
    Ok(doc.map(|d| params::device_state(&d, now)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Reboot,
    Refresh,
}

/// Reboot or refresh: refused within a minute of the last (the refusal
/// is on the `cpe` field), audited, then asked of the ACS. Returns words
/// for the operator.
pub async fn action(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    cpe: Id,
    what: Action,
) -> Result<String, OpError> {
    let nbi = nbi(store, tenant, PUSH_TIMEOUT)?;
    let name = match what {
        Action::Reboot => "reboot",
        Action::Refresh => "refresh",
    };
    let c = store.note_cpe_action(actor, now, tenant, cpe, name).map_err(on("cpe"))?;
    let doc =
        nbi.find(&c.serial).await.map_err(refused)?.ok_or_else(|| refused(NbiError::NoDevice(c.serial.clone())))?;
    let id = doc.get("_id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let task = match what {
        Action::Reboot => params::reboot_task(),
        Action::Refresh => params::refresh_task(DataModel::of(&doc)),
    };
    Ok(match nbi.task(&id, &task).await.map_err(refused)? {
        TaskOutcome::Done => format!("{} of {} done.", cap(name), c.serial),
        TaskOutcome::Queued(_) => {
            format!(
                "{} of {} queued at GenieACS: the device did not answer now and gets it at its next inform.",
                cap(name),
                c.serial
            )
        }
    })
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// What a push did, or why it could not.
pub enum Pushed {
    /// The ACS took it: the words for the audit record.
    Taken(String),
    /// Nothing to push any more (CPE or service gone, not installed).
    Moot(String),
    /// Try again later.
    Failed(String),
}

/// What a push sends, its secrets opened.
struct Opened {
    cpe: Cpe,
    /// Username and password (PPPoE services only).
    pppoe: Option<(String, String)>,
    /// Wi-Fi name and key (when the CPE has them).
    wifi: Option<(String, Option<String>)>,
}

/// None: the CPE is not installed on a service any more.
fn open_push(store: &Store, p: &CpePush) -> Result<Option<Opened>, OpError> {
    let Some(cpe) = store.cpe(p.tenant, p.cpe)? else { return Ok(None) };
    let Some(sid) = cpe.service.filter(|_| cpe.state == CpeState::Installed) else { return Ok(None) };
    let Some(s) = store.service(p.tenant, sid)? else { return Ok(None) };
    let pppoe = match s.access {
        AccessType::Pppoe => Some((s.username.clone(), store.service_password(&s)?)),
        _ => None,
    };
    let wifi = match &cpe.wifi_ssid {
        Some(ssid) => Some((ssid.clone(), store.cpe_wifi_key(&cpe)?)),
        None => None,
    };
    Ok(Some(Opened { cpe, pppoe, wifi }))
}

/// Carry out one queued push: PPPoE username and password (for a PPPoE
/// service) and the Wi-Fi name and key (when set), as one
/// `setParameterValues` task on the device found by serial number.
pub async fn push_one(store: &Store, p: &CpePush) -> Pushed {
    let (c, pppoe, wifi) = match open_push(store, p) {
        Ok(Some(o)) => (o.cpe, o.pppoe, o.wifi),
        Ok(None) => return Pushed::Moot("the CPE is no longer installed on a service".into()),
        Err(e) => return Pushed::Failed(e.to_string()),
    };
    let nbi = match nbi(store, p.tenant, PUSH_TIMEOUT) {
        Ok(n) => n,
        Err(OpError::Refused(m)) => return Pushed::Failed(m),
        Err(e) => return Pushed::Failed(e.to_string()),
    };
    let doc = match nbi.find(&c.serial).await {
        Ok(Some(d)) => d,
        Ok(None) => return Pushed::Failed(NbiError::NoDevice(c.serial.clone()).to_string()),
        Err(e) => return Pushed::Failed(e.to_string()),
    };
    let model = DataModel::of(&doc);
    let id = doc.get("_id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let Some(task) = params::provision_task(
        model,
        pppoe.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
        wifi.as_ref().map(|(s, k)| (s.as_str(), k.as_deref())),
    ) else {
        return Pushed::Moot("nothing to set: not a PPPoE service and no Wi-Fi settings".into());
    };
    let mut names = Vec::new();
    if pppoe.is_some() {
        names.push("PPPoE username and password");
    }
    if let Some((_, key)) = &wifi {
        names.push(if key.is_some() { "Wi-Fi name and key" } else { "Wi-Fi name" });
    }
    match nbi.task(&id, &task).await {
        Ok(TaskOutcome::Done) => Pushed::Taken(format!("{} set on {id}", names.join(", "))),
        Ok(TaskOutcome::Queued(_)) => Pushed::Taken(format!("{} queued at GenieACS for {id}", names.join(", "))),
        Err(e) => Pushed::Failed(e.to_string()),
    }
}
