//! A tenant's chart of accounts for the journal export (`model::chart`):
//! read (the defaults until an admin saves one) and saved with its audit
//! record in one transaction.

use super::codec::encode;
use super::tables::ACCOUNT_CHART;
use super::{Store, StoreError, audit, get, json, record};
use crate::model::{ChartOfAccounts, TenantId, UnixTime};

impl Store {
    /// The tenant's chart; the defaults when none was saved.
    pub fn chart_of_accounts(&self, tenant: TenantId) -> Result<ChartOfAccounts, StoreError> {
        let tx = self.read()?;
        Ok(get(&tx.open_table(ACCOUNT_CHART)?, tenant)?.unwrap_or_default())
    }

    /// Save the chart, audited as `tenant.accounts` with before and after.
    pub fn set_chart_of_accounts(
        &self,
        actor: &str,
        now: UnixTime,
        tenant: TenantId,
        chart: &ChartOfAccounts,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        let old: Option<ChartOfAccounts> = get(&tx.open_table(ACCOUNT_CHART)?, tenant)?;
        tx.open_table(ACCOUNT_CHART)?.insert(tenant, encode(chart).as_slice())?;
        let rec = record(
            now,
            actor,
            "tenant.accounts",
            format!("accounts/{tenant}"),
            old.as_ref().and_then(json),
            json(chart),
        );
        audit(&tx, tenant, &rec)?;
        self.commit(tx)
    }
}
