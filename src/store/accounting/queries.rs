//! Reading what accounting stored: the online sessions, the closed ones,
//! and the pruning of old stop marks.

use redb::ReadableTable;

use super::super::codec::decode;
use super::super::tables::*;
use super::super::{StopMark, Store, StoreError};
use crate::model::*;

impl Store {
    /// Sessions online now (every tenant): used to rebuild the in-memory
    /// online index at start.
    pub fn active_sessions(&self) -> Result<Vec<Session>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(SESSIONS_ACTIVE)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn tenant_active_sessions(&self, tenant: TenantId) -> Result<Vec<Session>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(SESSIONS_ACTIVE)?;
        let mut out = Vec::new();
        for row in table.range((tenant, 0, "")..(tenant + 1, 0, ""))? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    /// Closed sessions of a tenant, oldest first.
    /// Each closed session of `tenant`, oldest first, one at a time (a
    /// million of them do not have to fit in memory).
    pub fn each_session_history<E: From<StoreError>>(
        &self,
        tenant: TenantId,
        mut f: impl FnMut(Session) -> Result<(), E>,
    ) -> Result<(), E> {
        let tx = self.read()?;
        let table = tx.open_table(SESSION_HISTORY).map_err(StoreError::from)?;
        for row in table.range((tenant, 0)..=(tenant, u64::MAX)).map_err(StoreError::from)? {
            let (_, v) = row.map_err(StoreError::from)?;
            f(decode(v.value())?)?;
        }
        Ok(())
    }

    pub fn session_history(&self, tenant: TenantId) -> Result<Vec<Session>, StoreError> {
        let tx = self.read()?;
        super::super::tenant_rows(&tx.open_table(SESSION_HISTORY)?, tenant)
    }

    /// Forget stop marks older than `before`; they only guard against
    /// retransmissions, which stop within minutes.
    pub fn prune_stop_marks(&self, before: UnixTime) -> Result<usize, StoreError> {
        let tx = self.write()?;
        let n = {
            let mut table = tx.open_table(RECENT_STOPS)?;
            let mut old = Vec::new();
            for row in table.iter()? {
                let (k, v) = row?;
                let mark: StopMark = decode(v.value())?;
                if mark.at < before {
                    let (t, n, s) = k.value();
                    old.push((t, n, s.to_string()));
                }
            }
            for (t, n, s) in &old {
                table.remove((*t, *n, s.as_str()))?;
            }
            old.len()
        };
        self.commit(tx)?;
        Ok(n)
    }
}
