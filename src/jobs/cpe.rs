//! Zero-touch CPE provisioning: every 2 s, follow each GenieACS tenant's
//! audit log for service activations (queuing a push for the CPE
//! installed on each), then carry out the due pushes (`ops::cpe::push_one`)
//! a few at a time. A push leaves the queue only when GenieACS took it; a
//! down ACS or a device it does not know yet is retried with backoff, and
//! given up (audited) after the last retry.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::ops::cpe::{Pushed, push_one};
use crate::store::Store;

const EVERY: Duration = Duration::from_secs(2);

pub async fn run(store: Arc<Store>, clock: Clock, stop: CancellationToken) {
    super::every(EVERY, stop, "CPE round", || round(&store, &clock)).await;
}

async fn round(store: &Arc<Store>, clock: &Clock) -> anyhow::Result<()> {
    let (st, now) = (store.clone(), clock.now());
    let due = tokio::task::spawn_blocking(move || -> Result<_, crate::store::StoreError> {
        for tenant in st.acs_tenants()? {
            st.queue_cpe_activations(tenant, now)?;
        }
        st.due_cpe_pushes(now, 16)
    })
    .await??;
    let mut running = tokio::task::JoinSet::new();
    for (seq, p) in due {
        let (store, clock) = (store.clone(), clock.clone());
        running.spawn(async move {
            let outcome = push_one(&store, &p).await;
            let now = clock.now();
            let st = store.clone();
            let done = tokio::task::spawn_blocking(move || match outcome {
                Pushed::Taken(what) => {
                    tracing::info!(cpe = p.cpe, %what, "CPE provisioned through GenieACS");
                    st.cpe_pushed(seq, now, &what)
                }
                Pushed::Moot(why) => {
                    tracing::info!(cpe = p.cpe, %why, "CPE push dropped");
                    st.cpe_push_failed(seq, now, &why, true).map(|_| ())
                }
                Pushed::Failed(error) => {
                    let gave_up = st.cpe_push_failed(seq, now, &error, false)?;
                    tracing::warn!(cpe = p.cpe, %error, attempt = p.attempts + 1, gave_up, "CPE push failed");
                    Ok(())
                }
            })
            .await;
            if let Ok(Err(e)) = done {
                tracing::error!(error = %e, "cannot update the CPE queue");
            }
        });
    }
    while running.join_next().await.is_some() {}
    Ok(())
}
