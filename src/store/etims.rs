//! A tenant's KRA eTIMS OSCU settings (`model::etims`): read, saved after
//! a device initialisation (the communication key sealed) and removed
//! (eTIMS off), each with its audit record (without the key) in one
//! transaction.

use super::codec::encode;
use super::tables::ETIMS_SETTINGS;
use super::{Purpose, Store, StoreError, audit, get, record};
use crate::model::{EtimsSettings, TenantId, UnixTime};

/// The settings as the audit log shows them: no key.
fn shown(s: &EtimsSettings) -> String {
    serde_json::json!({"url": s.url, "tin": s.tin, "branch": s.branch, "serial": s.serial,
        "sdc_id": s.sdc_id, "mrc_no": s.mrc_no, "cmc_key": "sealed"})
    .to_string()
}

impl Store {
    pub fn etims_settings(&self, tenant: TenantId) -> Result<Option<EtimsSettings>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(ETIMS_SETTINGS)?, tenant)
    }

    /// The communication key in clear, for a request.
    pub fn etims_cmc_key(&self, s: &EtimsSettings) -> Result<String, StoreError> {
        let bytes = self.secrets.open(Purpose::EtimsCmcKey, &s.cmc_key)?;
        String::from_utf8(bytes).map_err(|_| StoreError::Invalid("stored eTIMS key is not text".into()))
    }

    /// Store an initialised device; `cmc_key` is sealed here.
    pub fn set_etims(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        mut s: EtimsSettings,
        cmc_key: &str,
    ) -> Result<EtimsSettings, StoreError> {
        s.cmc_key = self.secrets.seal(Purpose::EtimsCmcKey, cmc_key.as_bytes());
        let tx = self.write()?;
        let old: Option<EtimsSettings> = get(&tx.open_table(ETIMS_SETTINGS)?, tenant)?;
        tx.open_table(ETIMS_SETTINGS)?.insert(tenant, encode(&s).as_slice())?;
        let rec =
            record(now, actor, "tenant.etims", format!("etims/{tenant}"), old.as_ref().map(shown), Some(shown(&s)));
        audit(&tx, tenant, &rec)?;
        self.commit(tx)?;
        Ok(s)
    }

    /// Turn eTIMS off: forget the device. False when it was off.
    pub fn etims_off(&self, actor: &str, now: UnixTime, tenant: TenantId) -> Result<bool, StoreError> {
        let tx = self.write()?;
        let old: Option<EtimsSettings> = get(&tx.open_table(ETIMS_SETTINGS)?, tenant)?;
        let Some(old) = old else { return Ok(false) };
        tx.open_table(ETIMS_SETTINGS)?.remove(tenant)?;
        audit(
            &tx,
            tenant,
            &record(now, actor, "tenant.etims_off", format!("etims/{tenant}"), Some(shown(&old)), None),
        )?;
        self.commit(tx)?;
        Ok(true)
    }
}
