//! A tenant's SMS gateway (Africa's Talking), as `lango sms setup` and the
//! admin SMS page save it: live, sandbox or a base URL, the username, the
//! API key sealed at rest (a blank key keeps the stored one) and the
//! sender id.

use crate::model::{SmsSettings, TenantId, UnixTime};
use crate::store::{NewSms, Store, StoreError};

use super::OpError;

pub struct SmsInput {
    /// `live`, `sandbox` or the gateway's base URL.
    pub env: String,
    pub username: String,
    /// None or blank: keep the stored key.
    pub api_key: Option<String>,
    pub sender: Option<String>,
}

pub const LIVE_URL: &str = "https://api.africastalking.com";
pub const SANDBOX_URL: &str = "https://api.sandbox.africastalking.com";

/// `live`, `sandbox` or the base URL, as the form names a stored URL.
pub fn env_name(base_url: &str) -> String {
    match base_url {
        LIVE_URL => "live".into(),
        SANDBOX_URL => "sandbox".into(),
        u => u.into(),
    }
}

pub fn settings(store: &Store, tenant: TenantId) -> Result<Option<SmsSettings>, OpError> {
    Ok(store.sms_settings(tenant)?)
}

/// Check and store the settings (one audited transaction, without the key).
pub fn save(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    input: &SmsInput,
) -> Result<SmsSettings, Vec<OpError>> {
    let mut problems = Vec::new();
    let base = match input.env.trim() {
        "live" => LIVE_URL,
        "sandbox" => SANDBOX_URL,
        u if u.starts_with("https://") || u.starts_with("http://") => u,
        other => {
            problems.push(OpError::field("env", format!("{other:?}: use live, sandbox or the gateway's URL")));
            ""
        }
    };
    if input.username.trim().is_empty() {
        problems.push(OpError::field("username", "The Africa's Talking username is needed"));
    }
    let old = store.sms_settings(tenant).map_err(|e| vec![e.into()])?;
    let key = match (input.api_key.as_deref().map(str::trim).filter(|k| !k.is_empty()), &old) {
        (Some(k), _) => Some(k.to_string()),
        (None, Some(o)) => Some(store.sms_api_key(o).map_err(|e| vec![e.into()])?),
        (None, None) => {
            problems.push(OpError::field("api_key", "The API key is needed"));
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let new = NewSms {
        base_url: base,
        username: &input.username,
        api_key: key.as_deref().unwrap_or_default(),
        sender: input.sender.clone(),
    };
    store.set_sms_settings(actor, now, tenant, new).map_err(|e| {
        vec![match e {
            StoreError::Invalid(m) => OpError::field("env", m),
            e => e.into(),
        }]
    })
}
