//! `lango backup`: a backup now (into `--dir`, default the configured
//! directory), and the off-site targets every backup is copied to
//! (`backup s3|ftp|off`), over `ops::backup`.

use anyhow::Context;
use clap::Subcommand;
use std::io::Write;

use super::Ctx;

/// Where every backup is copied besides the local directory.
#[derive(Subcommand, Debug)]
pub enum BackupTarget {
    /// An S3-compatible bucket (AWS S3, Backblaze B2, Wasabi, MinIO, ...).
    S3 {
        /// The service's address, e.g. https://s3.eu-west-1.amazonaws.com.
        #[arg(long)]
        endpoint: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        #[arg(long)]
        bucket: String,
        /// Key prefix, e.g. lango/site-1/.
        #[arg(long, default_value = "")]
        prefix: String,
        #[arg(long)]
        access_key: String,
        /// Read the secret access key from this environment variable
        /// (blank or unset keeps the stored one).
        #[arg(long)]
        secret_key_env: String,
        /// Address the bucket as https://BUCKET.endpoint (virtual-hosted style).
        #[arg(long)]
        virtual_host: bool,
    },
    /// An FTP server (the backups are encrypted already).
    Ftp {
        #[arg(long)]
        host: String,
        #[arg(long, default_value = "21")]
        port: String,
        #[arg(long)]
        user: String,
        /// Read the password from this environment variable (blank or
        /// unset keeps the stored one).
        #[arg(long)]
        password_env: String,
        /// Directory on the server (made if missing).
        #[arg(long, default_value = "")]
        dir: String,
    },
    /// Stop copying to a target: s3 or ftp.
    Off {
        #[arg(long)]
        kind: String,
    },
}

impl BackupTarget {
    /// The environment variable this command reads a secret from.
    pub fn secret_env(&self) -> Option<&str> {
        match self {
            BackupTarget::S3 { secret_key_env, .. } => Some(secret_key_env),
            BackupTarget::Ftp { password_env, .. } => Some(password_env),
            BackupTarget::Off { .. } => None,
        }
    }
}

pub fn run(
    ctx: &Ctx<'_>,
    actor: &str,
    dir: Option<std::path::PathBuf>,
    target: Option<BackupTarget>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let (store, clock) = (ctx.store, ctx.clock);
    if let Some(t) = target {
        let now = clock.now();
        let joined = |p: Vec<crate::ops::OpError>| {
            anyhow::anyhow!("{}", p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
        };
        match t {
            BackupTarget::S3 { endpoint, region, bucket, prefix, access_key, secret_key_env, virtual_host } => {
                let input = crate::ops::backup::S3Input {
                    endpoint,
                    region,
                    bucket,
                    prefix,
                    access_key,
                    secret_key: ctx.var(&secret_key_env),
                    virtual_host,
                };
                crate::ops::backup::set_s3(store, actor, now, &input).map_err(joined)?;
                writeln!(out, "backups will be copied to the bucket")?;
            }
            BackupTarget::Ftp { host, port, user, password_env, dir } => {
                let input = crate::ops::backup::FtpInput { host, port, user, password: ctx.var(&password_env), dir };
                crate::ops::backup::set_ftp(store, actor, now, &input).map_err(joined)?;
                writeln!(out, "backups will be copied to the FTP server")?;
            }
            BackupTarget::Off { kind } => {
                crate::ops::backup::clear(store, actor, now, &kind)?;
                writeln!(out, "{kind}: off")?;
            }
        }
        return Ok(());
    }
    {
        let dir = match dir {
            Some(d) => d,
            None => store.default_backup_dir().context("an in-memory database has no backup directory")?,
        };
        let r = crate::ops::backup::run(store, &dir, clock.now(), None)?;
        let h = &r.made.header;
        writeln!(out, "backup {} ({} bytes)", r.made.path.display(), r.made.bytes)?;
        writeln!(out, "schema {}, journal at {}:{}, key id {}", h.schema, h.journal.0, h.journal.1, h.key_id)?;
        writeln!(out, "the key file is not inside: restoring needs the same lango.key")?;
        for (target, r) in &r.offsite {
            match r {
                Ok(removed) => writeln!(out, "copied to {target} ({removed} old backup(s) removed there)")?,
                Err(e) => writeln!(out, "NOT copied to {target}: {e}")?,
            }
        }
        Ok(())
    }
}
