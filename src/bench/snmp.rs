//! `lango bench snmp`: the poller's cost per router poll against a real
//! agent (`--target`; Debian's snmpd with the MikroTik subtree script in
//! tests/support is what the figures in docs/benchmarks.md used): N polls
//! one after another, each read, turned into health and series values and
//! recorded in a temporary store exactly as the poller job does; reports
//! this process's CPU time (user + system) and wall time per poll. The
//! community or SNMPv3 passphrases come from environment variables.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::clock::Clock;
use crate::snmp::{AuthProto, Credentials, Target, alerts};
use crate::store::Store;

#[derive(clap::Args, Debug)]
pub struct SnmpBench {
    /// The agent, e.g. 127.0.0.1:1161.
    #[arg(long)]
    pub target: std::net::SocketAddr,
    /// SNMP v2c: the variable holding the community.
    #[arg(long)]
    pub community_env: Option<String>,
    /// SNMPv3 user (authPriv, AES-128); passphrases from the next two.
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long, default_value = "sha")]
    pub auth: String,
    #[arg(long)]
    pub auth_pass_env: Option<String>,
    #[arg(long)]
    pub priv_pass_env: Option<String>,
    #[arg(long, default_value = "200")]
    pub polls: u32,
}

fn var(name: &Option<String>, option: &str) -> anyhow::Result<String> {
    let name = name.as_deref().with_context(|| format!("{option} is needed"))?;
    std::env::var(name).with_context(|| format!("{option}: environment variable {name} is not set"))
}

fn cpu_ticks() -> anyhow::Result<u64> {
    super::proc_cpu_ticks("/proc/self/stat")
}

pub fn run(o: &SnmpBench) -> anyhow::Result<String> {
    let creds = match &o.user {
        None => Credentials::V2c { community: var(&o.community_env, "--community-env")? },
        Some(user) => Credentials::V3 {
            user: user.clone(),
            auth: AuthProto::parse(&o.auth)
                .with_context(|| format!("--auth: {:?} is not sha, sha256 or md5", o.auth))?,
            auth_pass: var(&o.auth_pass_env, "--auth-pass-env")?,
            priv_pass: var(&o.priv_pass_env, "--priv-pass-env")?,
        },
    };
    let target = Target { addr: o.target, creds, timeout: Duration::from_secs(2), retries: 1 };
    let dir = std::env::temp_dir().join(format!("lango-bench-snmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir.join("lango.redb"), &dir.join("lango.key"), 16)?;
    let now = Clock::System.now();
    let t = crate::demo::seed(&store, now, 0)?;
    let nas = store.all_nas()?[0].id;
    let limits = alerts::Limits { cpu_percent: 90, temperature_c: 70.0, sfp_rx_dbm: -25.0 };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // One poll first: connection set-up and (v3) engine discovery are not
    // what a steady poller pays each time.
    let mut prev = rt.block_on(crate::snmp::poll(&target)).context("the first poll failed")?;
    let (mut ifaces, mut failed) = (prev.ifaces.len(), 0u32);
    let (cpu0, wall) = (cpu_ticks()?, Instant::now());
    for k in 1..=o.polls {
        let at = now + i64::from(k) * 60;
        match rt.block_on(crate::snmp::poll(&target)) {
            Ok(sample) => {
                let polled = crate::ops::noc::polled(&sample, Some((&prev, 60.0)));
                ifaces = sample.ifaces.len();
                store.record_poll(t.id, nas, at, Ok(polled), limits)?;
                prev = sample;
            }
            Err(e) => {
                failed += 1;
                store.record_poll(t.id, nas, at, Err(e.to_string()), limits)?;
            }
        }
    }
    let secs = wall.elapsed().as_secs_f64();
    let ticks = cpu_ticks()? - cpu0;
    // USER_HZ is 100 on Linux.
    let cpu_us = ticks as f64 * 10_000.0 / f64::from(o.polls.max(1));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(format!(
        "snmp: {} polls of {} ({} interfaces), {failed} failed\n\
         per poll: {cpu_us:.0} µs of lango CPU (read, health, series and store), {:.2} ms wall\n\
         (CPU from /proc/self/stat at 10 ms resolution over {:.1} s)",
        o.polls,
        o.target,
        ifaces,
        secs * 1000.0 / f64::from(o.polls.max(1)),
        secs
    ))
}
