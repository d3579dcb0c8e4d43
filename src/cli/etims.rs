//! `lango etims setup|show|off`: the tenant's KRA eTIMS OSCU device,
//! initialised at the OSCU (its communication key kept sealed, never
//! printed), shown, or forgotten (eTIMS off, the default).

use std::io::Write;

use clap::Subcommand;

use super::Ctx;
use crate::ops::etims::{self, SetupInput};

#[derive(Subcommand, Debug)]
pub enum EtimsCmd {
    /// Initialise the OSCU device (selectInitOsdcInfo) and keep its control unit id and key.
    Setup {
        #[arg(long)]
        tenant: String,
        /// The OSCU API, e.g. https://etims-api-sbx.kra.go.ke/etims-api
        #[arg(long)]
        url: String,
        /// The taxpayer's KRA PIN.
        #[arg(long)]
        tin: String,
        /// The branch id (00: head office).
        #[arg(long, default_value = "00")]
        branch: String,
        /// The device serial number KRA approved.
        #[arg(long)]
        serial: String,
    },
    /// The device, without its key.
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Forget the device: nothing goes to KRA.
    Off {
        #[arg(long)]
        tenant: String,
    },
}

fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => Ok(h.block_on(f)),
        Err(_) => Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(f)),
    }
}

pub fn run(ctx: &Ctx<'_>, actor: &str, c: EtimsCmd, out: &mut impl Write) -> anyhow::Result<()> {
    let (store, now) = (ctx.store, ctx.clock.now());
    match c {
        EtimsCmd::Setup { tenant, url, tin, branch, serial } => {
            let t = store.tenant_by_slug(&tenant)?;
            let s = block_on(etims::setup(store, actor, now, t.id, SetupInput { url, tin, branch, serial }))??;
            writeln!(out, "eTIMS device {} initialised: control unit {} (MRC {})", s.serial, s.sdc_id, s.mrc_no)?;
        }
        EtimsCmd::Show { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            match store.etims_settings(t.id)? {
                Some(s) => writeln!(
                    out,
                    "url {}\ntin {}\nbranch {}\nserial {}\ncontrol unit {}\nmrc {}\nkey sealed\nwaiting {}",
                    s.url,
                    s.tin,
                    s.branch,
                    s.serial,
                    s.sdc_id,
                    s.mrc_no,
                    store.etims_pending(t.id)?
                )?,
                None => writeln!(out, "eTIMS off")?,
            }
        }
        EtimsCmd::Off { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            let was = etims::off(store, actor, now, t.id)?;
            writeln!(out, "{}", if was { "eTIMS off: the device is forgotten" } else { "eTIMS was off" })?;
        }
    }
    Ok(())
}
