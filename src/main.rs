//! The `lango` command line. Parsing only: every command is implemented in
//! the library (`app`, `cli`, `demo`, `bench`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use lango::cli::{self, Manage};
use lango::clock::Clock;
use lango::config::Config;

#[derive(Parser, Debug)]
#[command(name = "lango", version, about = "RADIUS billing controller for MikroTik networks")]
struct Cli {
    /// Config file (TOML); see lango.example.toml. LANGO_* variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (overrides data_dir).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the RADIUS server (and the HTTP endpoints).
    Serve {
        /// Seed and serve demo data (tenant "demo", NAS 127.0.0.0/8 with
        /// secret demo-secret). Listens on loopback unless told otherwise.
        #[arg(long)]
        demo: bool,
        /// With --demo: also create PPPoE users user00001…/pass00001….
        #[arg(long, default_value_t = 0)]
        demo_users: u32,
        #[arg(long)]
        radius_auth: Option<SocketAddr>,
        #[arg(long)]
        radius_acct: Option<SocketAddr>,
        #[arg(long)]
        http: Option<SocketAddr>,
        /// HTTPS listen address, or "off" for plain HTTP only.
        #[arg(long)]
        https: Option<String>,
        /// Test hook: run on a manual clock starting at this Unix time, moved
        /// only by `lango clock-advance SECS`. Never for production.
        #[arg(long, hide = true)]
        test_clock: Option<i64>,
        /// This lango's part in a deployment: standalone, hub or site
        /// (overrides sync.role; see lango.example.toml, [sync]).
        #[arg(long)]
        role: Option<String>,
    },
    /// Create the config file, data directory, key, a first tenant and a
    /// platform admin with a generated password.
    Init {
        #[arg(long, default_value = "main")]
        tenant: String,
        #[arg(long, default_value = "admin")]
        admin: String,
        #[arg(long, default_value = "Africa/Nairobi")]
        timezone: String,
    },
    /// Bring the database back from a backup (`lango backup`): checked
    /// whole and opened aside before anything is replaced; the database it
    /// replaces is kept as lango.redb.before-restore. lango must be
    /// stopped, and the data directory must hold the lango.key the backup
    /// was made with.
    Restore {
        /// The backup file (lango-YYYYMMDD-HHMMSS.lbk).
        file: PathBuf,
    },
    /// Check a running lango: GET /healthz (from http.listen, or --url);
    /// exit 0 on 200, else 1. The container image's health check.
    Health {
        #[arg(long)]
        url: Option<String>,
        /// Seconds to wait for connect and reply.
        #[arg(long, default_value_t = 5)]
        timeout: u64,
    },
    #[command(flatten)]
    Manage(Manage),
    /// Load generators.
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(Subcommand, Debug)]
enum BenchCmd {
    /// Closed-loop RADIUS load: PAP, CHAP, MS-CHAPv2 or accounting.
    Radius(lango::bench::RadiusBench),
    /// Expiry reminders for N services, scheduled and sent to a loopback gateway.
    Notify(lango::bench::notify::NotifyBench),
    /// The NOC's time series after a simulated run (size on disk).
    Series(lango::bench::series::SeriesBench),
    /// The report builders on a year of seeded payments and accounting.
    Reports(lango::bench::reports::ReportsBench),
    /// One scheduler round over many services with a share due.
    Scheduler(lango::bench::scheduler::SchedulerBench),
    /// The SNMP poller's CPU per router poll against a real agent.
    Snmp(lango::bench::snmp::SnmpBench),
}

fn main() -> ExitCode {
    let args = Cli::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(config: Option<&std::path::Path>, data: Option<&std::path::Path>) -> anyhow::Result<Config> {
    let mut cfg = Config::load(config)?;
    if let Some(d) = data {
        cfg.data_dir = d.to_path_buf();
    }
    Ok(cfg)
}

fn init_logging(cfg: &Config) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // `log.level` was checked when the config loaded; RUST_LOG, when set
    // and valid, wins.
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing_subscriber::filter::Targets>().ok())
        .or_else(|| cfg.log.level.parse().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let registry = tracing_subscriber::registry().with(filter);
    if cfg.log.format == "json" {
        registry.with(layer.json()).init();
    } else {
        registry.with(layer).init();
    }
}

fn run(args: Cli) -> anyhow::Result<()> {
    let clock = Clock::System;
    let mut out = std::io::stdout().lock();
    let Cli { config, data, command } = args;
    let load = || load_config(config.as_deref(), data.as_deref());
    match command {
        Command::Serve { demo, demo_users, radius_auth, radius_acct, http, https, test_clock, role } => {
            let clock = match test_clock {
                Some(t) => Clock::manual(t),
                None => clock,
            };
            let mut cfg = load()?;
            if demo {
                demo_defaults(&mut cfg, data.is_some());
            }
            if let Some(a) = radius_auth {
                cfg.radius.auth_listen = a;
            }
            if let Some(a) = radius_acct {
                cfg.radius.acct_listen = a;
            }
            if let Some(a) = http {
                cfg.http.listen = a;
            }
            match https.as_deref() {
                None => {}
                Some("off") => cfg.http.tls = false,
                Some(a) => {
                    cfg.http.tls = true;
                    cfg.http.https_listen =
                        a.parse().map_err(|_| anyhow::anyhow!("--https {a:?}: an address (0.0.0.0:8443) or off"))?;
                }
            }
            if let Some(r) = role {
                cfg.sync.role = r;
                cfg.validate()?;
            }
            anyhow::ensure!(
                !(demo && cfg.sync.role == "site"),
                "--demo seeds tenants and services, which a site receives from its hub: seed the hub instead"
            );
            init_logging(&cfg);
            lango::app::restore_from_env(&cfg)?;
            let store = lango::app::open_store(&cfg)?;
            // Before seeding, so that a hub sends what the demo creates.
            store.set_sync_mode(lango::app::sync_mode(&cfg))?;
            if demo {
                lango::demo::seed(&store, clock.now(), demo_users)?;
                announce_demo(&cfg, demo_users);
            }
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(lango::app::serve(cfg, store, clock))
        }
        Command::Init { tenant, admin, timezone } => {
            // A config file that does not exist yet is what init writes.
            let cfg = match &config {
                Some(p) if !p.exists() => load_config(None, data.as_deref())?,
                _ => load()?,
            };
            let path = config.clone().unwrap_or_else(|| PathBuf::from("lango.toml"));
            if !path.exists() {
                let text = include_str!("../lango.example.toml")
                    .replace("data_dir = \"./data\"", &format!("data_dir = {:?}", cfg.data_dir.display().to_string()));
                std::fs::write(&path, text)?;
                println!("wrote {}", path.display());
            }
            let store = lango::app::open_store(&cfg)?;
            println!("database {} (key {})", cfg.db_path().display(), cfg.key_path().display());
            cli::init(&store, &clock, &cli::local_actor(), &tenant, &admin, &timezone, &mut out)
        }
        Command::Restore { file } => {
            let cfg = load()?;
            anyhow::ensure!(
                !lango::control::is_running(&cfg.data_dir),
                "lango is running on this data directory: stop it first (RouterOS: /container stop)"
            );
            let r = lango::store::backup::restore(&cfg.db_path(), &cfg.key_path(), &file, cfg.budget().cache_mb)?;
            let made = lango::ops::time::utc(r.header.created_at);
            println!("restored {} (made {made} by lango {})", file.display(), r.header.lango);
            println!("{} tenant(s), {} customer(s), {} service(s)", r.tenants, r.customers, r.services);
            if let Some(p) = r.previous {
                println!("the database it replaced is kept as {}", p.display());
            }
            Ok(())
        }
        Command::Health { url, timeout } => {
            let url = match url {
                Some(u) => u,
                None => lango::health::default_url(&load()?)?,
            };
            let body = lango::health::check(&url, std::time::Duration::from_secs(timeout))?;
            println!("ok {url} {body}");
            Ok(())
        }
        Command::Bench(BenchCmd::Series(opts)) => {
            println!("{}", lango::bench::series::run(&opts)?);
            Ok(())
        }
        Command::Bench(BenchCmd::Snmp(opts)) => {
            println!("{}", lango::bench::snmp::run(&opts)?);
            Ok(())
        }
        Command::Bench(BenchCmd::Scheduler(opts)) => {
            println!("{}", lango::bench::scheduler::run(&opts)?);
            Ok(())
        }
        Command::Bench(BenchCmd::Reports(opts)) => {
            println!("{}", lango::bench::reports::run(&opts)?);
            Ok(())
        }
        Command::Bench(BenchCmd::Notify(opts)) => {
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            println!("{}", rt.block_on(lango::bench::notify::run(&opts))?);
            Ok(())
        }
        Command::Bench(BenchCmd::Radius(opts)) => {
            let report =
                tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(lango::bench::run(&opts))?;
            if opts.json {
                println!("{}", report.to_json());
            } else {
                println!("{report}");
            }
            Ok(())
        }
        Command::Manage(mut cmd) => {
            let cfg = load()?;
            if let Manage::Backup { dir: dir @ None, target: None } = &mut cmd {
                *dir = Some(std::path::absolute(cfg.backup_dir())?);
            }
            match lango::app::open_store(&cfg) {
                Ok(store) => {
                    cli::PROGRESS.store(true, std::sync::atomic::Ordering::Relaxed);
                    cli::run(&store, &clock, &cli::local_actor(), cmd, &mut out)
                }
                Err(e) if is_locked(&e) => forward(&cfg, &cmd, &mut out),
                Err(e) => Err(e),
            }
        }
    }
}

/// The database is held by a running `lango serve`.
fn is_locked(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<lango::store::StoreError>(),
        Some(lango::store::StoreError::Database(redb::DatabaseError::DatabaseAlreadyOpen))
    )
}

/// Hand this command line to the running server through its control socket.
#[cfg(unix)]
fn forward(cfg: &Config, cmd: &Manage, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    let mut args = absolute_output_paths(std::env::args().skip(1).collect());
    // The configured backup directory, which the server does not know.
    if let Manage::Backup { dir: Some(d), target: None } = cmd
        && !args.iter().any(|a| a == "--dir")
    {
        args.extend(["--dir".to_string(), d.display().to_string()]);
    }
    // The server reads an import's file: give it the absolute path.
    if let Some(file) = cmd.input_file().and_then(|f| f.to_str().map(str::to_string)) {
        for a in args.iter_mut().filter(|a| **a == file) {
            *a = std::path::absolute(&file).map_or_else(|_| file.clone(), |p| p.display().to_string());
        }
    }
    // A variable the command reads (`--password-env`) goes along, so the
    // server sees the value without it ever being on a command line.
    let mut env = std::collections::HashMap::new();
    for name in cmd.secret_envs() {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.to_string(), value);
        }
    }
    // A secret read from stdin (`--password-stdin`) goes along the same way.
    if let Manage::Cpe(c) = cmd
        && c.reads_stdin()
    {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        env.insert(cli::cpe::STDIN_VAR.to_string(), line);
    }
    let resp = lango::control::forward(&cfg.data_dir, args, cli::local_actor(), env, out)?;
    if resp.ok { Ok(()) } else { anyhow::bail!("{}", resp.output.trim_end().trim_start_matches("error: ")) }
}

/// Files a forwarded command writes (`--pdf`, `--html`) are written by the
/// server: give it absolute paths, so they land where the user meant.
#[cfg(unix)]
fn absolute_output_paths(mut args: Vec<String>) -> Vec<String> {
    const FLAGS: [&str; 3] = ["--pdf", "--html", "--out"];
    let abs = |p: &str| std::path::absolute(p).map_or_else(|_| p.to_string(), |a| a.display().to_string());
    for i in 0..args.len() {
        if i > 0 && FLAGS.contains(&args[i - 1].as_str()) {
            args[i] = abs(&args[i]);
        } else if let Some((flag, value)) = args[i].split_once('=')
            && FLAGS.contains(&flag)
        {
            args[i] = format!("{flag}={}", abs(value));
        }
    }
    args
}

#[cfg(not(unix))]
fn forward(cfg: &Config, _cmd: &Manage, _out: &mut impl std::io::Write) -> anyhow::Result<()> {
    anyhow::bail!("the database in {} is in use by a running lango", cfg.data_dir.display())
}

/// Demo mode keeps its data apart from a real database and listens on
/// loopback unless an address was configured explicitly.
fn demo_defaults(cfg: &mut Config, data_given: bool) {
    let defaults = Config::default();
    if !data_given && cfg.data_dir == defaults.data_dir {
        cfg.data_dir = defaults.data_dir.join("demo");
    }
    let loopback = |a: &mut SocketAddr, d: SocketAddr| {
        if *a == d {
            a.set_ip([127, 0, 0, 1].into());
        }
    };
    loopback(&mut cfg.radius.auth_listen, defaults.radius.auth_listen);
    loopback(&mut cfg.radius.acct_listen, defaults.radius.acct_listen);
    loopback(&mut cfg.http.listen, defaults.http.listen);
    loopback(&mut cfg.http.https_listen, defaults.http.https_listen);
}

fn announce_demo(cfg: &Config, users: u32) {
    let auth = cfg.radius.auth_listen;
    let bar = "=".repeat(72);
    eprintln!(
        "{bar}
  DEMO MODE: demo data in {data}; do not use it for real customers.
  NAS 127.0.0.0/8, shared secret: demo-secret (Message-Authenticator required)
  PPPoE      demo-pppoe / demo-pass         10M/10M with burst, 30 days
  Voucher    DEMO-VOUCHER / DEMO-VOUCHER    1 hour, 1 GB, starts at first use
  DHCP MAC   AA:BB:CC:00:00:01             5M/5M
  Static IP  demo-static / demo-static-pass (or MAC AA:BB:CC:00:00:02) -> 10.99.0.10
  Expired    demo-expired / demo-pass       captive: address list lango-expired
  Admin      demo / demo-admin-pass         {admin}
  {extra}
  Try:  echo 'User-Name=demo-pppoe,User-Password=demo-pass,Message-Authenticator=0x00' \\
          | radclient -x {auth} auth demo-secret
{bar}",
        data = cfg.data_dir.display(),
        admin = if cfg.http.tls {
            format!("https://{}/admin (self-signed certificate: the browser warns once)", cfg.http.https_listen)
        } else {
            format!("http://{}/admin", cfg.http.listen)
        },
        extra = if users > 0 {
            format!("Bulk      user00001..user{users:05} / pass00001..  (Bulk 10M plan)")
        } else {
            String::new()
        },
    );
}
