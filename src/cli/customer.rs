//! `lango customer add|edit|list`: customers with their phone, e-mail and
//! category, as the admin UI's customer form has them; `export` (everything
//! held, as a zip) and `erase` (pseudonymised, the books kept), as the
//! customer page's buttons do (`ops::privacy`).

use clap::Subcommand;
use std::io::Write;

use crate::clock::Clock;
use crate::model::{Id, msisdn};
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum CustomerCmd {
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: Option<String>,
        /// Where invoices, receipts and e-mail notices go.
        #[arg(long)]
        email: Option<String>,
        /// Category deciding which plans the portal offers ("home", "business").
        #[arg(long)]
        category: Option<String>,
    },
    /// Change a customer's name, phone, e-mail or category ("none" clears
    /// phone, e-mail and category); options left out keep their value.
    Edit {
        #[arg(long)]
        tenant: String,
        id: Id,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        category: Option<String>,
    },
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Everything lango holds about a customer (Data Protection Act: the
    /// right of access), as a zip of JSON and CSV files.
    Export {
        #[arg(long)]
        tenant: String,
        id: Id,
        /// The zip file to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Erase a customer's personal data: name, phone and e-mail replaced by
    /// a pseudonym, logins renamed and disabled, history scrubbed; the
    /// ledger, payments' amounts and invoices are kept for the tax records.
    Erase {
        #[arg(long)]
        tenant: String,
        id: Id,
        /// The customer's number again, to confirm.
        #[arg(long)]
        confirm: String,
    },
}

/// "none" or blank clears; anything else is the new value.
fn cleared(v: String) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty() && v != "none")
}

fn check_email(e: &Option<String>) -> anyhow::Result<()> {
    match e {
        Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => {
            anyhow::bail!("--email: {e:?} is not an e-mail address")
        }
        _ => Ok(()),
    }
}

pub fn run(store: &Store, clock: &Clock, actor: &str, cmd: CustomerCmd, out: &mut impl Write) -> anyhow::Result<()> {
    match cmd {
        CustomerCmd::Add { tenant, name, phone, email, category } => {
            let t = store.tenant_by_slug(&tenant)?;
            let email = email.and_then(cleared);
            check_email(&email)?;
            let mut c = store.create_customer(actor, clock.now(), t.id, &name, phone, category)?;
            if email.is_some() {
                c.email = email;
                store.update_customer(actor, clock.now(), &c)?;
            }
            writeln!(out, "customer {:?} created (id {})", c.name, c.id)?;
        }
        CustomerCmd::Edit { tenant, id, name, phone, email, category } => {
            let t = store.tenant_by_slug(&tenant)?;
            let mut c = store.customer_for(t.id, None, id)?.ok_or_else(|| anyhow::anyhow!("no customer {id}"))?;
            if let Some(n) = name.map(|n| n.trim().to_string()) {
                anyhow::ensure!(!n.is_empty(), "--name: a customer needs a name");
                c.name = n;
            }
            if let Some(p) = phone {
                c.phone = match cleared(p) {
                    Some(p) => Some(
                        msisdn(&p).ok_or_else(|| anyhow::anyhow!("--phone: {p:?} is not a Kenyan mobile number"))?,
                    ),
                    None => None,
                };
            }
            if let Some(e) = email {
                c.email = cleared(e);
                check_email(&c.email)?;
            }
            if let Some(k) = category {
                c.category = cleared(k);
            }
            store.update_customer(actor, clock.now(), &c)?;
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "customer {} {:?}: phone {}, e-mail {}, category {}",
                c.id,
                c.name,
                show(&c.phone),
                show(&c.email),
                show(&c.category)
            )?;
        }
        CustomerCmd::Export { tenant, id, out: file } => {
            let t = store.tenant_by_slug(&tenant)?;
            let zip = crate::ops::privacy::export(store, actor, clock.now(), t.id, id)?;
            std::fs::write(&file, &zip).map_err(|e| anyhow::anyhow!("--out: writing {}: {e}", file.display()))?;
            writeln!(out, "customer {id}: {} bytes written to {}", zip.len(), file.display())?;
        }
        CustomerCmd::Erase { tenant, id, confirm } => {
            let t = store.tenant_by_slug(&tenant)?;
            let e = crate::ops::privacy::erase(store, actor, clock.now(), t.id, id, &confirm)?;
            writeln!(
                out,
                "customer {id} erased: now {:?}; {} login(s) disabled, {} session(s), {} payment(s), {} message(s), {} ticket(s), {} audit record(s) scrubbed",
                e.pseudonym, e.services, e.sessions, e.payments, e.messages, e.tickets, e.audit_records
            )?;
        }
        CustomerCmd::List { tenant } => {
            let t = store.tenant_by_slug(&tenant)?;
            writeln!(out, "{:<8} {:<32} {:<14} E-MAIL", "ID", "NAME", "PHONE")?;
            for c in store.customers(t.id)? {
                writeln!(
                    out,
                    "{:<8} {:<32} {:<14} {}",
                    c.id,
                    c.name,
                    c.phone.unwrap_or_default(),
                    c.email.unwrap_or_default()
                )?;
            }
        }
    }
    Ok(())
}
