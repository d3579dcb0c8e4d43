//! Background jobs, each in its own file, each stopped by the shared
//! cancellation token.

pub mod backup;
pub mod cpe;
pub mod enforce;
pub mod etims;
pub mod housekeeping;
pub mod notify;
pub mod reports;
pub mod retention;
pub mod routers;
pub mod scheduler;
pub mod snmp;
pub mod webhooks;

/// Run `round` every `period` until `stop` (a late tick waits rather than
/// bunching up); a failed round is logged as `what` and the next one runs
/// on time.
pub(crate) async fn every<F, Fut, E>(
    period: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
    what: &str,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {
                if let Err(e) = round().await {
                    tracing::warn!(error = %e, "{what} failed");
                }
            }
        }
    }
}
