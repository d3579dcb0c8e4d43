//! `lango bench scheduler`: one scheduler round over a store of N services
//! (default 50,000; try 500,000) of which a share (default 1 %) reached
//! their expiry in the last hour — half of those auto-renewing from a
//! wallet that covers it — and the rest expire later. Reports the round's
//! time with that much due, a round with nothing due, and, for
//! comparison, what reading and decoding every service costs (what each
//! round did before the work list, twice).

use std::collections::HashSet;
use std::time::Instant;

use crate::clock::Clock;
use crate::model::{AccessType, Service};
use crate::store::{NewService, Store};

#[derive(clap::Args, Debug)]
pub struct SchedulerBench {
    #[arg(long, default_value = "50000")]
    pub services: u64,
    /// Percent of the services whose expiry has just passed.
    #[arg(long, default_value = "1")]
    pub due_percent: f64,
}

pub fn run(o: &SchedulerBench) -> anyhow::Result<String> {
    let dir = std::env::temp_dir().join(format!("lango-bench-scheduler-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir.join("lango.redb"), &dir.join("lango.key"), 64)?;
    let now = Clock::System.now();
    let t = crate::demo::seed(&store, now, 0)?;
    let plan = store.plan_by_name(t.id, "Home 10M")?;
    let due_every = (100.0 / o.due_percent.max(0.001)).round().max(1.0) as u64;
    let seeding = Instant::now();
    let mut made = 0u64;
    let mut due = 0u64;
    while made < o.services {
        let batch = (o.services - made).min(5_000);
        let customer = store.create_customer("bench", now, t.id, &format!("bench {made}"), None, None)?;
        let mut items = Vec::with_capacity(batch as usize);
        for i in made..made + batch {
            let mut n = NewService::new(customer.id, plan.id, AccessType::Pppoe, &format!("b{i:07}"), "pw");
            if i % due_every == 0 {
                // Expired in the last hour; every other one renews itself.
                n.expires_at = Some(now - 60 - (i % 3000) as i64);
                n.auto_renew = (i / due_every).is_multiple_of(2);
                due += 1;
            } else {
                n.expires_at = Some(now + 86_400 + (i % 2_592_000) as i64);
            }
            items.push(n);
        }
        store.create_services_bulk("bench", now, t.id, items)?;
        made += batch;
    }
    // The auto-renewing ones share their customers' wallets: enough for all.
    for c in store.customers(t.id)?.into_iter().filter(|c| c.name.starts_with("bench ")) {
        let e = crate::billing::Entry::payment(plan.price * 1_000, "bench wallet", "bench", now)?;
        store.post_ledger(t.id, c.id, e)?;
    }
    let seeded = seeding.elapsed().as_secs_f64();

    let mut already = HashSet::new();
    let first = Instant::now();
    let round = store.scheduler_round(now, 3600, &mut already)?;
    let first = first.elapsed().as_secs_f64() * 1000.0;
    let mut idle = Vec::new();
    for k in 1..=5 {
        let started = Instant::now();
        store.scheduler_round(now + k, 3600, &mut already)?;
        idle.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    idle.sort_by(f64::total_cmp);
    let scan = Instant::now();
    let mut decoded = 0u64;
    {
        let tx = store.read()?;
        let table = tx.open_table(crate::store::tables::SERVICES)?;
        for row in redb::ReadableTable::iter(&table)? {
            let _s: Service = crate::store::codec::decode(row?.1.value())?;
            decoded += 1;
        }
    }
    let scan = scan.elapsed().as_secs_f64() * 1000.0;
    let listed = store.due_len()?;
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(format!(
        "scheduler: {} services ({due} due: expired in the last hour), seeded in {seeded:.1} s\n\
         round with {due} due: {first:.1} ms ({} renewed, {} expiries recorded)\n\
         round with nothing due: median {:.2} ms, max {:.2} ms (work list holds {listed})\n\
         for comparison, reading and decoding every service once: {scan:.1} ms ({decoded} rows)",
        o.services,
        round.renewed,
        round.expired,
        idle[idle.len() / 2],
        idle[idle.len() - 1],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_renews_and_records_what_is_due() {
        let out = run(&SchedulerBench { services: 400, due_percent: 5.0 }).unwrap();
        // 20 due: 10 auto-renew (the wallet covers them), 10 expire.
        assert!(out.contains("round with 20 due"), "{out}");
        assert!(out.contains("(10 renewed"), "{out}");
        assert!(out.contains("11 expiries recorded)"), "the 10 that did not renew and the demo's expired one: {out}");
    }
}
