//! `lango hotspot files`: the pages a router's hotspot serves (login.html
//! and friends, made by `ops::hotspot`) written into a directory.

use anyhow::Context;
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum HotspotCmd {
    /// Write login.html, alogin.html, status.html, logout.html and
    /// error.html for a router; upload them to its hotspot directory.
    Files {
        #[arg(long)]
        tenant: String,
        /// The router (NAS name).
        #[arg(long)]
        nas: String,
        /// lango's address as devices on the hotspot reach it
        /// (http://10.5.50.2:8080); it must be in the walled garden.
        #[arg(long)]
        url: String,
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(store: &Store, cmd: HotspotCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let HotspotCmd::Files { tenant, nas, url, out: dir } = cmd;
    let t = store.tenant_by_slug(&tenant)?;
    let n = store
        .all_nas()?
        .into_iter()
        .find(|n| n.tenant == t.id && n.name == nas)
        .with_context(|| format!("no router named {nas:?} in tenant {tenant}"))?;
    let files = crate::ops::hotspot::files(&n, &url)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}
