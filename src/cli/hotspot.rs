//! `lango hotspot files`: the pages a router's hotspot serves (login.html
//! and friends), generated for one router so that its login page sends
//! devices to this lango's hotspot page with the router's parameters.

use anyhow::Context;
use askama::Template;
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

macro_rules! page {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            lango_url: &'a str,
            nas_id: u64,
            nas_name: &'a str,
        }
    };
}

page!(Login, "hotspot/login.html");
page!(Alogin, "hotspot/alogin.html");
page!(Status, "hotspot/status.html");
page!(Logout, "hotspot/logout.html");
page!(ErrorPage, "hotspot/error.html");

pub fn run(store: &Store, cmd: HotspotCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let HotspotCmd::Files { tenant, nas, url, out: dir } = cmd;
    let t = store.tenant_by_slug(&tenant)?;
    let n = store
        .all_nas()?
        .into_iter()
        .find(|n| n.tenant == t.id && n.name == nas)
        .with_context(|| format!("no router named {nas:?} in tenant {tenant}"))?;
    let url = url.trim_end_matches('/');
    anyhow::ensure!(
        url.starts_with("http://") || url.starts_with("https://"),
        "--url must start with http:// or https://"
    );
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let (lango_url, nas_id, nas_name) = (url, n.id, n.name.as_str());
    let files: [(&str, String); 5] = [
        ("login.html", Login { lango_url, nas_id, nas_name }.render()?),
        ("alogin.html", Alogin { lango_url, nas_id, nas_name }.render()?),
        ("status.html", Status { lango_url, nas_id, nas_name }.render()?),
        ("logout.html", Logout { lango_url, nas_id, nas_name }.render()?),
        ("error.html", ErrorPage { lango_url, nas_id, nas_name }.render()?),
    ];
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}
