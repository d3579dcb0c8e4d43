//! Off-site copies of backups: after each backup, the file goes to every
//! configured target (an S3-compatible bucket, an FTP server) and the same
//! retention as the local directory is applied there. A target that fails
//! is reported (dashboard, Backups page, log) and does not stop the others
//! or the local backup.

pub mod ftp;
pub mod s3;

use std::path::Path;
use std::time::Duration;

use crate::model::UnixTime;
use crate::store::backup::{self, Offsite};
use crate::store::{Purpose, Store};

#[derive(Debug, thiserror::Error)]
pub enum OffsiteError {
    #[error("cannot reach {0}")]
    Unreachable(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Config(String),
}

/// Each target's outcome: its name and the error, if any.
pub type Shipped = Vec<(String, Result<usize, OffsiteError>)>;

fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, OffsiteError> {
    match tokio::runtime::Handle::try_current() {
        // Called on a blocking thread (a backup's worker, or a forwarded
        // command), never from async code.
        Ok(h) => Ok(h.block_on(f)),
        Err(_) => Ok(tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| OffsiteError::Config(e.to_string()))?
            .block_on(f)),
    }
}

fn secret(store: &Store, sealed: &crate::model::Sealed) -> Result<String, OffsiteError> {
    let bytes = store.secrets().open(Purpose::BackupTarget, sealed).map_err(|e| OffsiteError::Config(e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| OffsiteError::Config("a stored secret is not text".into()))
}

/// Copy `file` to every target in `targets`, then keep `keep` (daily,
/// monthly) there; each target's outcome is recorded for the status.
pub fn ship(store: &Store, targets: &Offsite, file: &Path, keep: Option<(usize, usize)>, now: UnixTime) -> Shipped {
    let mut out = Vec::new();
    if let Some(t) = &targets.s3 {
        let name = format!("s3://{}/{}", t.bucket, t.prefix);
        let r = ship_s3(store, t, file, keep, now);
        let _ = store.note_offsite(now, &name, &r.as_ref().err().map(ToString::to_string).unwrap_or_default());
        out.push((name, r));
    }
    if let Some(t) = &targets.ftp {
        let name = format!("ftp://{}@{}:{}/{}", t.user, t.host, t.port, t.dir.trim_matches('/'));
        let r = ship_ftp(store, t, file, keep);
        let _ = store.note_offsite(now, &name, &r.as_ref().err().map(ToString::to_string).unwrap_or_default());
        out.push((name, r));
    }
    for (name, r) in &out {
        match r {
            Ok(removed) => tracing::info!(target = name, removed, "backup copied off-site"),
            Err(e) => tracing::error!(target = name, error = %e, "backup not copied off-site"),
        }
    }
    out
}

fn file_name(file: &Path) -> String {
    file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Upload, then retention; the number of old backups removed.
fn ship_s3(
    store: &Store,
    t: &backup::S3Target,
    file: &Path,
    keep: Option<(usize, usize)>,
    now: UnixTime,
) -> Result<usize, OffsiteError> {
    let bucket = s3::Bucket {
        endpoint: t.endpoint.clone(),
        region: t.region.clone(),
        bucket: t.bucket.clone(),
        access_key: t.access_key.clone(),
        secret_key: secret(store, &t.secret_key)?,
        virtual_host: t.virtual_host,
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .map_err(|e| OffsiteError::Config(e.to_string()))?;
    // Whole in memory: backups of a router's database are tens of MB.
    let body = std::fs::read(file).map_err(|e| OffsiteError::Config(format!("{}: {e}", file.display())))?;
    let key = format!("{}{}", t.prefix, file_name(file));
    block_on(async {
        bucket.put(&http, &key, body, now).await?;
        let Some((daily, monthly)) = keep else { return Ok(0) };
        let keys = bucket.list(&http, &t.prefix, now).await?;
        let names: Vec<String> =
            keys.iter().filter_map(|k| k.strip_prefix(t.prefix.as_str())).map(str::to_string).collect();
        let gone = backup::expired(&names, daily, monthly);
        for name in &gone {
            bucket.delete(&http, &format!("{}{name}", t.prefix), now).await?;
        }
        Ok(gone.len())
    })?
}

fn ship_ftp(
    store: &Store,
    t: &backup::FtpTarget,
    file: &Path,
    keep: Option<(usize, usize)>,
) -> Result<usize, OffsiteError> {
    let password = secret(store, &t.password)?;
    let mut ftp = ftp::Ftp::login(&t.host, t.port, &t.user, &password, &t.dir)?;
    let mut input = std::fs::File::open(file).map_err(|e| OffsiteError::Config(format!("{}: {e}", file.display())))?;
    ftp.put(&file_name(file), &mut input)?;
    let mut removed = 0;
    if let Some((daily, monthly)) = keep {
        let names = ftp.list()?;
        for name in backup::expired(&names, daily, monthly) {
            ftp.delete(&name)?;
            removed += 1;
        }
    }
    ftp.quit();
    Ok(removed)
}
