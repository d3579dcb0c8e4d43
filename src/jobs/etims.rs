//! KRA eTIMS submissions: every 2 s, each sales document queued for its
//! tenant's control unit (`ETIMS_QUEUE`, filled in the transaction that
//! issued it, so issuing never waits for KRA) whose time has come is sent
//! as a `saveTrnsSalesOsdc`; the control unit's data is kept with the
//! document and printed on it. A control unit that is down or refuses is
//! tried again with backoff (10 s … 1 h, never given up), so documents
//! issued offline reach KRA once it answers.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::etims::{Oscu, sales};
use crate::store::Store;

const EVERY: Duration = Duration::from_secs(2);

pub async fn run(store: Arc<Store>, clock: Clock, stop: CancellationToken) {
    super::every(EVERY, stop, "etims round", || round(&store, &clock)).await;
}

async fn round(store: &Store, clock: &Clock) -> anyhow::Result<()> {
    let now = clock.now();
    for (tenant, doc, attempts) in store.etims_due(now)? {
        let (Some(s), Ok(t)) = (store.etims_settings(tenant)?, store.tenant(tenant)) else {
            // eTIMS turned off: kept, sent if a device is set up again.
            store.etims_retry(tenant, doc.id, attempts, now)?;
            continue;
        };
        let key = store.etims_cmc_key(&s)?;
        let zone = Clock::zone(&t.timezone);
        let body = sales::request(&doc, &s, &zone, crate::pdf::minor_digits(&t.currency));
        let sent = match Oscu::new(&s.url, Duration::from_secs(10)) {
            Ok(oscu) => oscu.save_sales(&s, &key, &body, clock.now()).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(r) => {
                tracing::info!(tenant, document = %doc.number, cu = %r.cu_invoice_no(), "etims: sale signed");
                store.etims_signed(tenant, &doc, &r)?;
            }
            Err(e) => {
                tracing::warn!(tenant, document = %doc.number, attempts, error = %e, "etims: sale not taken; retrying");
                store.etims_retry(tenant, doc.id, attempts, clock.now())?;
            }
        }
    }
    Ok(())
}
