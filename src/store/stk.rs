//! M-Pesa STK Push requests (the reconciler's work list) and the raw
//! callback bodies stored before they are answered.

use redb::ReadableTable;

use super::personal::{get_open, open_row, seal_row};
use super::tables::*;
use super::{RawCallback, Store, StoreError, next_seq};
use crate::model::*;

impl Store {
    pub fn record_stk_request(&self, r: &StkRequest) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(STK_REQUESTS)?
            .insert((r.tenant, r.checkout_id.as_str()), seal_row(&self.secrets, r).as_slice())?;
        tx.open_table(STK_PENDING)?.insert((r.tenant, r.checkout_id.as_str()), r.created_at)?;
        super::reports::note_stk(&tx, r)?;
        self.commit(tx)
    }

    pub fn stk_request(&self, tenant: TenantId, checkout_id: &str) -> Result<Option<StkRequest>, StoreError> {
        let tx = self.read()?;
        get_open(&self.secrets, &tx.open_table(STK_REQUESTS)?, (tenant, checkout_id))
    }

    /// STK requests still waiting for a final answer, all tenants.
    pub fn pending_stk(&self) -> Result<Vec<StkRequest>, StoreError> {
        let tx = self.read()?;
        let requests = tx.open_table(STK_REQUESTS)?;
        let mut out = Vec::new();
        for row in tx.open_table(STK_PENDING)?.iter()? {
            let (k, _) = row?;
            let (tenant, id) = k.value();
            if let Some(r) = get_open(&self.secrets, &requests, (tenant, id))? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Set an STK request's state; a final state takes it off the pending
    /// list. `queried` counts a status query made at `now`.
    pub fn update_stk(
        &self,
        tenant: TenantId,
        checkout_id: &str,
        state: Option<StkState>,
        queried: Option<UnixTime>,
    ) -> Result<Option<StkRequest>, StoreError> {
        let tx = self.write()?;
        let r = {
            let mut table = tx.open_table(STK_REQUESTS)?;
            let Some(mut r): Option<StkRequest> = get_open(&self.secrets, &table, (tenant, checkout_id))? else {
                return Ok(None);
            };
            if let Some(at) = queried {
                r.queries += 1;
                r.last_query_at = Some(at);
            }
            if let Some(state) = state
                && r.state == StkState::Pending
            {
                r.state = state;
                super::reports::note_stk_outcome(&tx, &r)?;
            }
            if r.state != StkState::Pending {
                tx.open_table(STK_PENDING)?.remove((tenant, checkout_id))?;
            }
            table.insert((tenant, checkout_id), seal_row(&self.secrets, &r).as_slice())?;
            r
        };
        self.commit(tx)?;
        Ok(Some(r))
    }

    /// Store a callback body durably before it is answered.
    pub fn store_raw_callback(&self, raw: &RawCallback) -> Result<u64, StoreError> {
        let tx = self.write()?;
        let seq = next_seq(&tx, "raw_callback_seq")?;
        tx.open_table(RAW_CALLBACKS)?.insert(seq, seal_row(&self.secrets, raw).as_slice())?;
        self.commit(tx)?;
        Ok(seq)
    }

    pub fn raw_callbacks(&self) -> Result<Vec<(u64, RawCallback)>, StoreError> {
        let tx = self.read()?;
        let mut out = Vec::new();
        for row in tx.open_table(RAW_CALLBACKS)?.iter()? {
            let (k, v) = row?;
            out.push((k.value(), open_row(&self.secrets, v.value())?));
        }
        Ok(out)
    }
}
