//! KRA eTIMS OSCU readiness for `lango etims …` and the admin page: the
//! tenant's device set up (the fields checked, the device initialised at
//! the OSCU, its control unit id and communication key kept, the key
//! sealed) and turned off. Off by default: nothing is sent to KRA until a
//! device was initialised.

use std::time::Duration;

use crate::etims::{Oscu, OscuError};
use crate::model::{EtimsSettings, Sealed, TenantId, UnixTime};
use crate::store::Store;

use super::OpError;

/// How long initialisation waits for the OSCU.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub struct SetupInput {
    pub url: String,
    pub tin: String,
    pub branch: String,
    pub serial: String,
}

/// A KRA PIN: a letter, nine digits, a letter (P051234567X).
pub fn valid_pin(pin: &str) -> bool {
    let b = pin.as_bytes();
    b.len() == 11
        && b[0].is_ascii_alphabetic()
        && b[1..10].iter().all(u8::is_ascii_digit)
        && b[10].is_ascii_alphabetic()
}

/// Check the fields, initialise the device and keep what the OSCU gave.
pub async fn setup(
    store: &Store,
    actor: &str,
    now: UnixTime,
    tenant: TenantId,
    i: SetupInput,
) -> Result<EtimsSettings, OpError> {
    let (url, tin, branch, serial) =
        (i.url.trim(), i.tin.trim().to_ascii_uppercase(), i.branch.trim().to_string(), i.serial.trim().to_string());
    if !valid_pin(&tin) {
        return Err(OpError::field("tin", format!("{tin:?} is not a KRA PIN (a letter, nine digits, a letter)")));
    }
    if branch.len() != 2 || !branch.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OpError::field("branch", "the branch id is two digits (00 for the head office)"));
    }
    if serial.is_empty() || serial.len() > 100 || !serial.chars().all(|c| c.is_ascii_graphic()) {
        return Err(OpError::field("serial", "the device serial number KRA approved, without spaces"));
    }
    let oscu = Oscu::new(url, TIMEOUT).map_err(|e| OpError::field("url", e))?;
    let info = oscu.init(&tin, &branch, &serial).await.map_err(|e| match e {
        OscuError::Refused { .. } => OpError::field("serial", format!("{e}; nothing was saved")),
        e => OpError::field("url", format!("{e}; nothing was saved")),
    })?;
    let s = EtimsSettings {
        url: url.trim_end_matches('/').to_string(),
        tin,
        branch,
        serial,
        sdc_id: info.sdc_id,
        mrc_no: info.mrc_no,
        cmc_key: Sealed::default(),
    };
    Ok(store.set_etims(actor, now, tenant, s, &info.cmc_key)?)
}

pub fn off(store: &Store, actor: &str, now: UnixTime, tenant: TenantId) -> Result<bool, OpError> {
    Ok(store.etims_off(actor, now, tenant)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_checked() {
        for (pin, ok) in [
            ("P051234567X", true),
            ("A000000000Z", true),
            ("P05123456X", false),
            ("1051234567X", false),
            ("P0512345678", false),
        ] {
            assert_eq!(valid_pin(pin), ok, "{pin}");
        }
    }
}
