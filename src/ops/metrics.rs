//! The store's side of `/metrics` (Prometheus text format 0.0.4): each
//! SNMP-polled router's state (up, uptime, CPU, memory, temperature,
//! interface rates, customers online) and per-tenant business gauges
//! (customers, services by state, wallet balances owed to customers,
//! notifications by status). Labels are escaped as the format asks.

use std::fmt::Write;

use crate::model::*;
use crate::store::{Store, StoreError};

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

struct Family {
    name: &'static str,
    help: &'static str,
    rows: Vec<(String, f64)>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family { name, help, rows: Vec::new() }
    }

    fn add(&mut self, labels: String, v: f64) {
        self.rows.push((labels, v));
    }

    fn render(&self, out: &mut String) {
        if self.rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}\n# TYPE {} gauge", self.name, self.help, self.name);
        for (l, v) in &self.rows {
            let _ = writeln!(out, "{}{{{l}}} {v}", self.name);
        }
    }
}

pub fn render(store: &Store) -> Result<String, StoreError> {
    let mut up = Family::new("lango_router_up", "1 when the router answered its last SNMP polls, 0 when reported down");
    let mut uptime = Family::new("lango_router_uptime_seconds", "The router's sysUpTime");
    let mut cpu = Family::new("lango_router_cpu_percent", "The router's CPU load");
    let mut mem = Family::new("lango_router_memory_percent", "The router's memory in use");
    let mut temp = Family::new("lango_router_temperature_celsius", "The router's temperature");
    let mut bps = Family::new("lango_router_interface_bits_per_second", "Interface traffic between the last two polls");
    let mut online = Family::new("lango_router_sessions", "Customers online on the router (lango's sessions)");
    let mut customers = Family::new("lango_customers", "Customers");
    let mut services = Family::new("lango_services", "Services by state");
    let mut wallets = Family::new("lango_wallet_balance_minor", "Sum of customers' wallet balances, minor units");
    let mut messages = Family::new("lango_notifications", "Messages by status");
    let nas = store.all_nas()?;
    let now = crate::clock::Clock::System.now();
    for t in store.tenants()? {
        let tl = format!("tenant=\"{}\"", label(&t.slug));
        let sessions = store.sessions_per_nas(t.id)?;
        for (id, h) in store.router_health(t.id)? {
            let name = nas.iter().find(|n| n.id == id && n.tenant == t.id).map_or(String::new(), |n| n.name.clone());
            let rl = format!("{tl},router=\"{}\"", label(&name));
            up.add(rl.clone(), if h.down_since.is_some() { 0.0 } else { 1.0 });
            online.add(rl.clone(), sessions.get(&id).copied().unwrap_or(0) as f64);
            if let Some(u) = h.uptime_secs {
                uptime.add(rl.clone(), u as f64);
            }
            if let Some(c) = h.cpu {
                cpu.add(rl.clone(), f64::from(c));
            }
            if let Some(m) = h.mem_percent() {
                mem.add(rl.clone(), m as f64);
            }
            if let Some(c) = h.hottest() {
                temp.add(rl.clone(), c);
            }
            for f in &h.ifaces {
                let il = format!("{rl},interface=\"{}\"", label(&f.name));
                if let Some(v) = f.in_bps {
                    bps.add(format!("{il},direction=\"in\""), v as f64);
                }
                if let Some(v) = f.out_bps {
                    bps.add(format!("{il},direction=\"out\""), v as f64);
                }
            }
        }
        customers.add(tl.clone(), store.customer_count(t.id)? as f64);
        wallets.add(tl.clone(), store.wallet_total(t.id)? as f64);
        let (mut active, mut expired, mut suspended, mut disabled) = (0, 0, 0, 0);
        for s in store.services(t.id)? {
            match s.status {
                ServiceStatus::Suspended => suspended += 1,
                ServiceStatus::Disabled => disabled += 1,
                ServiceStatus::Active if s.expires_at.is_some_and(|e| e <= now) => expired += 1,
                ServiceStatus::Active => active += 1,
            }
        }
        for (state, n) in [("active", active), ("expired", expired), ("suspended", suspended), ("disabled", disabled)] {
            services.add(format!("{tl},state=\"{state}\""), f64::from(n));
        }
        for (status, n) in store.message_counts(t.id)? {
            messages.add(format!("{tl},status=\"{status}\""), n as f64);
        }
    }
    let mut out = String::new();
    for f in [&up, &uptime, &cpu, &mem, &temp, &bps, &online, &customers, &services, &wallets, &messages] {
        f.render(&mut out);
    }
    sync(store, &mut out)?;
    Ok(out)
}

/// The change stream of a hub or site: its backlog, what it sent and
/// applied, and per origin the sequence applied and when.
fn sync(store: &Store, out: &mut String) -> Result<(), StoreError> {
    use std::sync::atomic::Ordering::Relaxed;
    if store.sync_mode()? == crate::store::sync::Mode::Standalone {
        return Ok(());
    }
    let st = &crate::sync::STATS;
    let mut f = |name: &'static str, help: &'static str, rows: Vec<(String, f64)>| {
        Family { name, help, rows }.render(out);
    };
    let one = |v: f64| vec![(String::new(), v)];
    f("lango_sync_backlog", "Changes waiting for JetStream's acknowledgement", one(store.sync_backlog()?.count as f64));
    f("lango_sync_connected", "1 while connected to NATS", one(if st.connected.load(Relaxed) { 1.0 } else { 0.0 }));
    f(
        "lango_sync_published_total",
        "Changes JetStream acknowledged since start",
        one(st.published.load(Relaxed) as f64),
    );
    f("lango_sync_applied_total", "Changes applied since start", one(st.applied.load(Relaxed) as f64));
    f(
        "lango_sync_duplicates_total",
        "Redelivered changes skipped since start",
        one(st.duplicates.load(Relaxed) as f64),
    );
    f("lango_sync_errors_total", "Sync errors since start", one(st.errors.load(Relaxed) as f64));
    let marks = store.sync_marks()?;
    let peer = |m: &(String, crate::store::sync::Mark)| format!("origin=\"{}\"", label(&m.0));
    f(
        "lango_sync_peer_seq",
        "The last sequence applied from each origin",
        marks.iter().map(|m| (peer(m), m.1.seq as f64)).collect(),
    );
    let at = marks.iter().map(|m| (peer(m), m.1.applied_at as f64)).collect();
    f("lango_sync_peer_applied_at_seconds", "When the last change of each origin was applied (Unix time)", at);
    Ok(())
}
