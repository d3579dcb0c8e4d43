//! A tenant's M-Pesa (Daraja) settings as `lango mpesa setup` and the admin
//! pages save them: environment, consumer key, shortcode, till, and the
//! consumer secret and passkey sealed (left empty on the form, the stored
//! ones are kept). The callback token is made once and kept, so the URLs
//! registered with Safaricom stay valid.

use super::OpError;
use crate::model::{MpesaEnv, MpesaSettings, TenantId, UnixTime};
use crate::store::{Purpose, Store};

/// The settings as typed; empty secrets keep the stored ones.
#[derive(Clone, Debug, Default)]
pub struct MpesaSpec {
    /// "sandbox", "production", or a base URL (a proxy or simulator).
    pub env: String,
    pub consumer_key: String,
    pub consumer_secret: String,
    /// Paybill number, or the Buy Goods store number.
    pub shortcode: String,
    pub passkey: String,
    /// Buy Goods till number; empty for a Paybill.
    pub till: String,
}

pub fn parse_env(s: &str) -> Result<MpesaEnv, OpError> {
    match s.trim() {
        "sandbox" => Ok(MpesaEnv::Sandbox),
        "production" => Ok(MpesaEnv::Production),
        u if u.starts_with("http://") || u.starts_with("https://") => {
            Ok(MpesaEnv::Custom(u.trim_end_matches('/').into()))
        }
        other => Err(OpError::field("env", format!("{other:?}: use sandbox, production or a base URL"))),
    }
}

/// Check `spec` (every field error at once) and save it for `tenant`.
pub fn save(store: &Store, actor: &str, now: UnixTime, tenant: TenantId, spec: &MpesaSpec) -> Result<(), Vec<OpError>> {
    let mut errors = Vec::new();
    let env = parse_env(&spec.env).map_err(|e| errors.push(e)).ok();
    let digits = |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit());
    if spec.consumer_key.trim().is_empty() {
        errors.push(OpError::field("consumer_key", "The consumer key of your Daraja app."));
    }
    if !digits(spec.shortcode.trim()) {
        errors.push(OpError::field("shortcode", "The Paybill number, or the Buy Goods store number (digits)."));
    }
    let till = spec.till.trim();
    if !till.is_empty() && !digits(till) {
        errors.push(OpError::field("till", "The till number (digits), or empty for a Paybill."));
    }
    let mut b = store.tenant_billing(tenant).map_err(|e| vec![e.into()])?;
    let old = b.mpesa.clone();
    if old.is_none() && spec.consumer_secret.is_empty() {
        errors.push(OpError::field("consumer_secret", "The consumer secret of your Daraja app."));
    }
    if old.is_none() && spec.passkey.is_empty() {
        errors.push(OpError::field("passkey", "The Lipa na M-Pesa Online passkey."));
    }
    let (Some(env), true) = (env, errors.is_empty()) else {
        return Err(errors);
    };
    let seal = |s: &str| store.secrets().seal(Purpose::MpesaSecret, s.trim().as_bytes());
    let keep = |new: &str, old: Option<&crate::model::Sealed>| match (new.trim().is_empty(), old) {
        (true, Some(o)) => o.clone(),
        _ => seal(new),
    };
    b.mpesa = Some(MpesaSettings {
        env,
        consumer_key: spec.consumer_key.trim().to_string(),
        consumer_secret: keep(&spec.consumer_secret, old.as_ref().map(|m| &m.consumer_secret)),
        shortcode: spec.shortcode.trim().to_string(),
        passkey: keep(&spec.passkey, old.as_ref().map(|m| &m.passkey)),
        till: Some(till.to_string()).filter(|t| !t.is_empty()),
        callback_token: old.map_or_else(|| crate::store::random_hex(16), |m| m.callback_token),
    });
    store.set_tenant_billing(actor, now, tenant, &b).map_err(|e| vec![e.into()])
}
