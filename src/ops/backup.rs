//! A backup run as `lango backup`, the scheduled job and the admin page's
//! "Back up now" make it: the snapshot written into the directory,
//! retention applied there, and the outcome recorded for the dashboard.

use std::path::Path;

use super::OpError;
use crate::model::UnixTime;
use crate::store::Store;
use crate::store::backup::{self, Made};

/// What a run made and which old backups retention removed.
#[derive(Debug)]
pub struct Run {
    pub made: Made,
    pub removed: Vec<String>,
}

/// Back up into `dir`, then keep `keep` = (daily, monthly) there
/// (`None`: keep everything). The outcome is recorded either way.
pub fn run(store: &Store, dir: &Path, now: UnixTime, keep: Option<(usize, usize)>) -> Result<Run, OpError> {
    let made = match store.backup(dir, now) {
        Ok(m) => m,
        Err(e) => {
            let words = e.to_string();
            tracing::error!(dir = %dir.display(), error = %words, "backup failed");
            let _ = store.note_backup(now, Err(&words));
            return Err(OpError::Refused(format!("backup failed: {words}")));
        }
    };
    let mut removed = Vec::new();
    if let Some((daily, monthly)) = keep {
        let names: Vec<String> = list(dir).into_iter().map(|(n, _)| n).collect();
        for name in backup::expired(&names, daily, monthly) {
            match std::fs::remove_file(dir.join(&name)) {
                Ok(()) => removed.push(name),
                Err(e) => tracing::warn!(file = name, error = %e, "retention could not remove a backup"),
            }
        }
    }
    store.note_backup(now, Ok(&made))?;
    tracing::info!(file = %made.path.display(), bytes = made.bytes, removed = removed.len(), "backup written");
    Ok(Run { made, removed })
}

/// The backups in `dir`, newest first: name and size.
pub fn list(dir: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            backup::time_of(&name)?;
            Some((name, e.metadata().ok()?.len()))
        })
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0));
    out
}

/// A backup's file in `dir` by its name, when it is one (no paths).
pub fn file(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    backup::time_of(name)?;
    let p = dir.join(name);
    p.is_file().then_some(p)
}
