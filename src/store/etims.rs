//! A tenant's KRA eTIMS OSCU settings (`model::etims`): read, saved after
//! a device initialisation (the communication key sealed) and removed
//! (eTIMS off), each with its audit record (without the key) in one
//! transaction.

use redb::ReadableTable;

use super::codec::encode;
use super::tables::{ETIMS_QUEUE, ETIMS_RECEIPTS, ETIMS_SETTINGS, INVOICES};
use super::{Purpose, Store, StoreError, audit, get, record};
use crate::model::{EtimsReceipt, EtimsSettings, Id, Invoice, TenantId, UnixTime};

/// Seconds before each retry of a sale the control unit did not take;
/// the last repeats (a sale is never given up).
pub const BACKOFF: [i64; 6] = [10, 30, 60, 300, 900, 3600];

/// Queue a sales document for the control unit, in the transaction that
/// issued it, when the tenant has a device (eTIMS on).
pub(crate) fn queue_sale(
    tx: &redb::WriteTransaction,
    tenant: TenantId,
    doc: Id,
    now: UnixTime,
) -> Result<(), StoreError> {
    if tx.open_table(ETIMS_SETTINGS)?.get(tenant)?.is_none() {
        return Ok(());
    }
    tx.open_table(ETIMS_QUEUE)?.insert((tenant, doc), (0u32, now))?;
    Ok(())
}

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

    /// Queued sales due by `now`: (tenant, document, attempts so far).
    pub fn etims_due(&self, now: UnixTime) -> Result<Vec<(TenantId, Invoice, u32)>, StoreError> {
        let tx = self.read()?;
        let docs = tx.open_table(INVOICES)?;
        let mut out = Vec::new();
        for row in tx.open_table(ETIMS_QUEUE)?.iter()? {
            let (k, v) = row?;
            let ((tenant, id), (attempts, next)) = (k.value(), v.value());
            if next <= now
                && let Some(d) = get::<_, Invoice>(&docs, (tenant, id))?
            {
                out.push((tenant, d, attempts));
            }
        }
        Ok(out)
    }

    /// How many of the tenant's sales wait for the control unit.
    pub fn etims_pending(&self, tenant: TenantId) -> Result<usize, StoreError> {
        let tx = self.read()?;
        Ok(tx.open_table(ETIMS_QUEUE)?.range((tenant, 0)..=(tenant, u64::MAX))?.count())
    }

    /// The control unit signed the document: keep its data, leave the
    /// queue, audited, in one transaction.
    pub fn etims_signed(&self, tenant: TenantId, doc: &Invoice, r: &EtimsReceipt) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(ETIMS_RECEIPTS)?.insert((tenant, doc.id), encode(r).as_slice())?;
        tx.open_table(ETIMS_QUEUE)?.remove((tenant, doc.id))?;
        let after = serde_json::json!({"number": doc.number, "cu_invoice_no": r.cu_invoice_no()}).to_string();
        audit(
            &tx,
            tenant,
            &record(r.at, "etims", "invoice.etims_signed", format!("invoice/{}", doc.id), None, Some(after)),
        )?;
        self.commit(tx)
    }

    /// Try again later (the control unit was down or refused).
    pub fn etims_retry(&self, tenant: TenantId, doc: Id, attempts: u32, now: UnixTime) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut q = tx.open_table(ETIMS_QUEUE)?;
            if q.get((tenant, doc))?.is_some() {
                let wait = BACKOFF[(attempts as usize).min(BACKOFF.len() - 1)];
                q.insert((tenant, doc), (attempts + 1, now + wait))?;
            }
        }
        self.commit(tx)
    }

    pub fn etims_receipt(&self, tenant: TenantId, doc: Id) -> Result<Option<EtimsReceipt>, StoreError> {
        let tx = self.read()?;
        get(&tx.open_table(ETIMS_RECEIPTS)?, (tenant, doc))
    }
}
