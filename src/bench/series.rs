//! `lango bench series`: the NOC's time-series store after a simulated
//! run (by default a year for 20 routers with 10 interfaces each): one
//! sample per metric per hour for the whole run, then one a minute for the
//! last two days, so every ring is as full as a year of minute polls
//! leaves it. Reports the database file's size and the time per write.

use std::time::Instant;

use crate::clock::Clock;
use crate::store::Store;
use crate::store::noc::{self, CPU, MEM, SESSIONS, TEMP};

#[derive(clap::Args, Debug)]
pub struct SeriesBench {
    #[arg(long, default_value = "20")]
    pub routers: u64,
    #[arg(long, default_value = "10")]
    pub ifaces: u32,
    #[arg(long, default_value = "365")]
    pub days: i64,
}

pub fn run(o: &SeriesBench) -> anyhow::Result<String> {
    let dir = std::env::temp_dir().join(format!("lango-bench-series-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir.join("lango.redb"), &dir.join("lango.key"), 16)?;
    let end = Clock::System.now();
    let start = end - o.days * 86_400;
    let metrics = |at: i64| -> Vec<(u32, f64)> {
        let mut v = vec![(CPU, (at % 97) as f64), (MEM, 40.0), (TEMP, 45.5), (SESSIONS, (at % 300) as f64)];
        for i in 1..=o.ifaces {
            v.push((noc::iface_in(i), 1e6 * f64::from(i)));
            v.push((noc::iface_out(i), 2e6 * f64::from(i)));
        }
        v
    };
    let started = Instant::now();
    let mut writes = 0u64;
    let mut at = start;
    // A simulated day per transaction: hourly samples, then every minute
    // for the last two days.
    while at < end {
        let mut batch = Vec::new();
        let day_end = at + 86_400;
        while at < day_end.min(end) {
            for nas in 1..=o.routers {
                let v = metrics(at);
                writes += v.len() as u64;
                batch.push((nas, at, v));
            }
            at += if at < end - 2 * 86_400 { 3600 } else { 60 };
        }
        store.add_series(1, &batch)?;
    }
    let secs = started.elapsed().as_secs_f64();
    drop(store);
    let bytes = std::fs::metadata(dir.join("lango.redb"))?.len();
    let _ = std::fs::remove_dir_all(&dir);
    let per_metric = 4 + 2 * u64::from(o.ifaces);
    Ok(format!(
        "routers {} × {} interfaces ({} metrics), {} days\nwrites  {writes} in {secs:.1} s ({:.1} µs per metric-sample, a simulated day per transaction)\nfile    {:.1} MB ({:.0} KB per metric)",
        o.routers,
        o.ifaces,
        o.routers * per_metric,
        o.days,
        secs * 1e6 / writes as f64,
        bytes as f64 / 1_048_576.0,
        bytes as f64 / 1024.0 / (o.routers * per_metric) as f64
    ))
}
