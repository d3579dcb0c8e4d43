//! A backup run as `lango backup`, the scheduled job and the admin page's
//! "Back up now" make it: the snapshot written into the directory,
//! retention applied there, and the outcome recorded for the dashboard.

use std::path::Path;

use super::OpError;
use crate::model::UnixTime;
use crate::store::Store;
use crate::store::backup::{self, Made};

/// What a run made, which old backups retention removed, and how each
/// off-site target took it.
#[derive(Debug)]
pub struct Run {
    pub made: Made,
    pub removed: Vec<String>,
    pub offsite: crate::offsite::Shipped,
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
    let targets = store.offsite()?;
    let offsite = crate::offsite::ship(store, &targets, &made.path, keep, now);
    Ok(Run { made, removed, offsite })
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

/// An S3-compatible target as typed (CLI options or the Backups form).
#[derive(Debug, Default)]
pub struct S3Input {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub prefix: String,
    pub access_key: String,
    /// None or blank: keep the stored one.
    pub secret_key: Option<String>,
    pub virtual_host: bool,
}

/// An FTP target as typed.
#[derive(Debug, Default)]
pub struct FtpInput {
    pub host: String,
    pub port: String,
    pub user: String,
    /// None or blank: keep the stored one.
    pub password: Option<String>,
    pub dir: String,
}

fn kept(new: Option<&str>) -> Option<String> {
    new.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Check and store the S3 target (every wrong field reported).
pub fn set_s3(store: &Store, actor: &str, now: UnixTime, f: &S3Input) -> Result<(), Vec<OpError>> {
    let mut problems = Vec::new();
    let endpoint = f.endpoint.trim().trim_end_matches('/').to_string();
    if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) || endpoint.len() < 10 {
        problems
            .push(OpError::field("endpoint", "the bucket service's address, like https://s3.eu-west-1.amazonaws.com"));
    }
    if f.region.trim().is_empty() {
        problems.push(OpError::field("region", "the region, like us-east-1 (any value for MinIO)"));
    }
    let bucket = f.bucket.trim();
    if bucket.len() < 3
        || !bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        problems.push(OpError::field("bucket", "3 or more lower-case letters, digits, dots or dashes"));
    }
    if f.access_key.trim().is_empty() {
        problems.push(OpError::field("access_key", "the access key id"));
    }
    let mut o = store.offsite().map_err(|e| vec![e.into()])?;
    let secret = match (kept(f.secret_key.as_deref()), &o.s3) {
        (Some(s), _) => Some(store.secrets().seal(crate::store::Purpose::BackupTarget, s.as_bytes())),
        (None, Some(old)) => Some(old.secret_key.clone()),
        (None, None) => {
            problems.push(OpError::field("secret_key", "the secret access key"));
            None
        }
    };
    let Some(secret_key) = secret.filter(|_| problems.is_empty()) else { return Err(problems) };
    let mut prefix = f.prefix.trim().trim_start_matches('/').to_string();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    o.s3 = Some(crate::store::backup::S3Target {
        endpoint,
        region: f.region.trim().to_string(),
        bucket: bucket.to_string(),
        prefix,
        access_key: f.access_key.trim().to_string(),
        secret_key,
        virtual_host: f.virtual_host,
    });
    store.set_offsite(actor, now, &o).map_err(|e| vec![e.into()])
}

/// Check and store the FTP target.
pub fn set_ftp(store: &Store, actor: &str, now: UnixTime, f: &FtpInput) -> Result<(), Vec<OpError>> {
    let mut problems = Vec::new();
    let host = f.host.trim();
    if host.is_empty() || host.contains(['/', ' ', ':']) && host.parse::<std::net::Ipv6Addr>().is_err() {
        problems.push(OpError::field("host", "the FTP server's name or address (no ftp://)"));
    }
    let port = match f.port.trim() {
        "" => Some(21),
        p => p.parse::<u16>().ok().filter(|p| *p > 0).or_else(|| {
            problems.push(OpError::field("port", "a TCP port (21)"));
            None
        }),
    };
    if f.user.trim().is_empty() {
        problems.push(OpError::field("user", "the FTP user"));
    }
    let mut o = store.offsite().map_err(|e| vec![e.into()])?;
    let password = match (kept(f.password.as_deref()), &o.ftp) {
        (Some(s), _) => Some(store.secrets().seal(crate::store::Purpose::BackupTarget, s.as_bytes())),
        (None, Some(old)) => Some(old.password.clone()),
        (None, None) => {
            problems.push(OpError::field("password", "the FTP user's password"));
            None
        }
    };
    let (Some(port), Some(password), true) = (port, password, problems.is_empty()) else { return Err(problems) };
    o.ftp = Some(crate::store::backup::FtpTarget {
        host: host.to_string(),
        port,
        user: f.user.trim().to_string(),
        password,
        dir: f.dir.trim().trim_matches('/').to_string(),
    });
    store.set_offsite(actor, now, &o).map_err(|e| vec![e.into()])
}

/// Stop copying to `kind` ("s3" or "ftp").
pub fn clear(store: &Store, actor: &str, now: UnixTime, kind: &str) -> Result<(), OpError> {
    let mut o = store.offsite()?;
    match kind {
        "s3" => o.s3 = None,
        "ftp" => o.ftp = None,
        other => return Err(OpError::field("kind", format!("{other:?}: s3 or ftp"))),
    }
    store.set_offsite(actor, now, &o)?;
    Ok(())
}
