//! Scheduled backups: every `backup.every_hours` (counted from the last
//! success, or from start when there is none), a backup into the backup
//! directory with retention, off the async threads. A failure is logged
//! and recorded for the dashboard, and tried again an hour later.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::BackupConfig;
use crate::store::Store;

pub async fn run(
    store: Arc<Store>,
    clock: Clock,
    cfg: BackupConfig,
    dir: PathBuf,
    tick: Duration,
    shutdown: CancellationToken,
) {
    if cfg.every_hours == 0 {
        return;
    }
    let every = cfg.every_hours as i64 * 3600;
    let started = clock.now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            () = shutdown.cancelled() => return,
        }
        let now = clock.now();
        let status = store.backup_status().unwrap_or_default();
        let since = status.last_ok_at.unwrap_or(started);
        let retry_wait = status.last_error_at.is_some_and(|at| status.failures > 0 && now - at < 3600);
        if now - since < every || retry_wait {
            continue;
        }
        let (store, dir, keep) = (store.clone(), dir.clone(), (cfg.keep_daily, cfg.keep_monthly));
        // Errors are logged and recorded by ops::backup::run.
        let _ = tokio::task::spawn_blocking(move || crate::ops::backup::run(&store, &dir, now, Some(keep))).await;
    }
}
