//! `lango export customers|services|plans|payments|invoices|sessions`: a
//! list as CSV (RFC 4180), to stdout or `--out FILE`. The services export
//! uses the columns `lango import csv` reads, so a tenant's customers can
//! move between lango instances (passwords only with `--with-passwords`).

use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

use crate::model::units::show_money;
use crate::model::*;
use crate::ops::csv::row;
use crate::store::Store;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum List {
    Customers,
    Services,
    Plans,
    Payments,
    Invoices,
    Sessions,
}

#[derive(Args, Debug)]
pub struct Export {
    pub what: List,
    #[arg(long)]
    pub tenant: String,
    /// Write here instead of to the standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Include service passwords (services export).
    #[arg(long)]
    pub with_passwords: bool,
    /// Payers' phone numbers in full (payments export); masked
    /// (2547****5678) without it.
    #[arg(long)]
    pub with_phones: bool,
}

/// "YYYY-MM-DD HH:MM" in the tenant's zone (what `import csv` reads).
fn when(t: &Tenant, at: Option<UnixTime>) -> String {
    at.and_then(|a| jiff::Timestamp::from_second(a).ok())
        .and_then(|ts| ts.in_tz(&t.timezone).ok())
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub fn run(store: &Store, e: Export, out: &mut impl Write) -> anyhow::Result<()> {
    let t = store.tenant_by_slug(&e.tenant)?;
    let s = |v: &dyn ToString| v.to_string();
    // Rows go out as they are made (a million sessions need not fit in
    // memory); the first write error stops the writing and is returned.
    let mut file = match &e.out {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?,
        )),
        None => None,
    };
    let sink: &mut dyn Write = match file.as_mut() {
        Some(f) => f,
        None => out as &mut dyn Write,
    };
    let mut failed: Option<std::io::Error> = None;
    let mut push = |f: Vec<String>| {
        if failed.is_none()
            && let Err(e) = sink.write_all(row(&f).as_bytes())
        {
            failed = Some(e);
        }
    };
    match e.what {
        List::Customers => {
            push(["id", "name", "phone", "email", "category", "created"].map(String::from).to_vec());
            for c in store.customers(t.id)? {
                push(vec![
                    s(&c.id),
                    c.name,
                    c.phone.unwrap_or_default(),
                    c.email.unwrap_or_default(),
                    c.category.unwrap_or_default(),
                    when(&t, Some(c.created_at)),
                ]);
            }
        }
        List::Services => {
            let head = [
                "name", "phone", "email", "category", "username", "password", "plan", "type", "mac", "ip", "expires",
                "status",
            ];
            push(head.map(String::from).to_vec());
            let customers: std::collections::HashMap<Id, Customer> =
                store.customers(t.id)?.into_iter().map(|c| (c.id, c)).collect();
            let plans: std::collections::HashMap<Id, String> =
                store.plans(t.id)?.into_iter().map(|p| (p.id, p.name)).collect();
            for v in store.services(t.id)? {
                let c = customers.get(&v.customer);
                let password = if e.with_passwords { store.service_password(&v)? } else { String::new() };
                push(vec![
                    c.map(|c| c.name.clone()).unwrap_or_default(),
                    c.and_then(|c| c.phone.clone()).unwrap_or_default(),
                    c.and_then(|c| c.email.clone()).unwrap_or_default(),
                    c.and_then(|c| c.category.clone()).unwrap_or_default(),
                    v.username.clone(),
                    password,
                    plans.get(&v.plan).cloned().unwrap_or_default(),
                    v.access.as_str().into(),
                    v.mac.map(|m| m.to_string()).unwrap_or_default(),
                    v.static_ip.map(|i| i.to_string()).unwrap_or_default(),
                    when(&t, v.expires_at),
                    v.status.as_str().into(),
                ]);
            }
        }
        List::Plans => {
            let head =
                ["id", "name", "validity", "price", "rate", "quota_bytes", "simultaneous_use", "pool", "disabled"];
            push(head.map(String::from).to_vec());
            for p in store.plans(t.id)? {
                push(vec![
                    s(&p.id),
                    p.name,
                    p.validity.to_string(),
                    show_money(p.price),
                    p.rate.map(|r| r.to_string()).unwrap_or_default(),
                    p.quota_bytes.map(|q| q.to_string()).unwrap_or_default(),
                    s(&p.simultaneous_use),
                    p.address_pool.unwrap_or_default(),
                    s(&p.disabled),
                ]);
            }
        }
        List::Payments => {
            let full = e.with_phones;
            let phone = |v: String| if full { v } else { crate::model::mask::mask_phones_in(&v) };
            let head = ["id", "received", "customer", "amount", "method", "reference", "phone", "account", "status"];
            push(head.map(String::from).to_vec());
            for p in store.payments(t.id)? {
                push(vec![
                    s(&p.id),
                    when(&t, Some(p.received_at)),
                    p.customer.map(|c| c.to_string()).unwrap_or_default(),
                    show_money(p.amount),
                    p.method.as_str().into(),
                    p.reference,
                    phone(p.phone.unwrap_or_default()),
                    phone(p.account.unwrap_or_default()),
                    format!("{:?}", p.status).to_lowercase(),
                ]);
            }
        }
        List::Invoices => {
            let head = ["number", "kind", "issued", "customer", "net", "tax", "gross", "due", "paid"];
            push(head.map(String::from).to_vec());
            for d in store.documents(t.id)? {
                push(vec![
                    d.number,
                    format!("{:?}", d.kind).to_lowercase(),
                    when(&t, Some(d.issued_at)),
                    s(&d.customer),
                    show_money(d.net),
                    show_money(d.tax),
                    show_money(d.gross),
                    when(&t, d.due_at),
                    when(&t, d.paid_at),
                ]);
            }
        }
        List::Sessions => {
            let head = [
                "username",
                "session",
                "nas",
                "address",
                "caller",
                "started",
                "stopped",
                "bytes_in",
                "bytes_out",
                "cause",
            ];
            push(head.map(String::from).to_vec());
            let mut session = |x: Session| {
                push(vec![
                    x.username,
                    x.acct_session_id,
                    s(&x.nas),
                    x.framed_ip.map(|i| i.to_string()).unwrap_or_default(),
                    x.calling_station_id.unwrap_or_default(),
                    when(&t, Some(x.started_at)),
                    when(&t, x.stopped_at),
                    s(&x.counters.bytes_in),
                    s(&x.counters.bytes_out),
                    x.terminate_cause.map(|c| c.to_string()).unwrap_or_default(),
                ]);
                Ok::<(), crate::store::StoreError>(())
            };
            store.each_session_history(t.id, &mut session)?;
            store.tenant_active_sessions(t.id)?.into_iter().try_for_each(&mut session)?;
        }
    }
    if let Some(e) = failed {
        return Err(e.into());
    }
    if let (Some(mut f), Some(path)) = (file, e.out) {
        f.flush().with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(())
}
