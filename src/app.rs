//! Wiring: config → store → RADIUS state → bound sockets → tasks, all under
//! one CancellationToken; returns when a shutdown signal arrives and every
//! task has finished.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::Config;
use crate::radius::{Radius, server};
use crate::store::Store;

pub fn open_store(cfg: &Config) -> anyhow::Result<Arc<Store>> {
    let store = Store::open(&cfg.db_path(), &cfg.key_path(), cfg.budget().cache_mb)
        .with_context(|| format!("opening database {}", cfg.db_path().display()))?;
    Ok(Arc::new(store))
}

/// `LANGO_RESTORE_FROM=/data/lango-….lbk`: a way to restore without a
/// shell (a RouterOS container). On a data directory with no database yet
/// the backup is restored before anything starts and renamed
/// `….restored`, so a restart with the variable still set does not do it
/// again. Over an existing database it refuses, naming the variable.
pub fn restore_from_env(cfg: &Config) -> anyhow::Result<()> {
    let Some(file) = std::env::var_os("LANGO_RESTORE_FROM").filter(|v| !v.is_empty()) else { return Ok(()) };
    let file = std::path::PathBuf::from(file);
    match (cfg.db_path().exists(), file.exists()) {
        (true, false) => {
            tracing::info!(file = %file.display(), "LANGO_RESTORE_FROM: already restored; remove the variable");
            Ok(())
        }
        (true, true) => anyhow::bail!(
            "LANGO_RESTORE_FROM names {} but {} already holds a database: restore over it with `lango restore`, or remove the variable",
            file.display(),
            cfg.db_path().display()
        ),
        (false, false) => anyhow::bail!("LANGO_RESTORE_FROM: {} does not exist", file.display()),
        (false, true) => {
            let r = crate::store::backup::restore(&cfg.db_path(), &cfg.key_path(), &file, cfg.budget().cache_mb)
                .with_context(|| format!("LANGO_RESTORE_FROM {}", file.display()))?;
            let done = file.with_extension("lbk.restored");
            std::fs::rename(&file, &done).with_context(|| format!("renaming {}", file.display()))?;
            tracing::warn!(
                file = %done.display(),
                tenants = r.tenants,
                customers = r.customers,
                services = r.services,
                "restored from a backup made at {}; remove LANGO_RESTORE_FROM",
                crate::ops::time::utc(r.header.created_at)
            );
            Ok(())
        }
    }
}

/// The store's sync mode for `sync.role` (validated already).
pub fn sync_mode(cfg: &Config) -> crate::store::sync::Mode {
    use crate::store::sync::Mode;
    match cfg.sync.role.as_str() {
        "hub" => Mode::Hub,
        "site" => Mode::Site,
        _ => Mode::Standalone,
    }
}

/// Run the server until SIGINT/SIGTERM.
pub async fn serve(cfg: Config, store: Arc<Store>, clock: Clock) -> anyhow::Result<()> {
    // Checked before anything is started, so a bad one stops here.
    let setup_token = setup_token_from_env()?;
    let sync = crate::sync::settings(&cfg.sync, |k| std::env::var(k).ok())?;
    store.set_sync_mode(sync_mode(&cfg))?;
    let auth = bind_udp(cfg.radius.auth_listen)
        .with_context(|| format!("binding radius.auth_listen {}", cfg.radius.auth_listen))?;
    let acct = bind_udp(cfg.radius.acct_listen)
        .with_context(|| format!("binding radius.acct_listen {}", cfg.radius.acct_listen))?;
    let http = match cfg.http.enabled {
        true => Some(
            tokio::net::TcpListener::bind(cfg.http.listen)
                .await
                .with_context(|| format!("binding http.listen {}", cfg.http.listen))?,
        ),
        false => None,
    };
    // The certificate too: a bad file stops lango here, naming the setting.
    let tls = match cfg.http.enabled && cfg.http.tls {
        true => {
            let cert =
                crate::web::tls::certificate(cfg.http.tls_cert.as_deref(), cfg.http.tls_key.as_deref(), &cfg.data_dir)?;
            let listener = tokio::net::TcpListener::bind(cfg.http.https_listen)
                .await
                .with_context(|| format!("binding http.https_listen {}", cfg.http.https_listen))?;
            Some((cert, listener))
        }
        false => None,
    };
    let radius = Arc::new(Radius::new(store, clock, Duration::from_secs(cfg.radius.reply_cache_secs), &cfg.budget())?);
    if radius.directory().is_empty() {
        tracing::warn!(
            "no NAS configured: every request will be dropped (add one in the admin pages, Routers, or with `lango nas add`)"
        );
    }

    let shutdown = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    tracing::info!("radius-auth listening on {}", auth.local_addr()?);
    tracing::info!("radius-acct listening on {}", acct.local_addr()?);
    tasks.spawn(server::serve_auth(auth, radius.clone(), cfg.radius.auth_workers, shutdown.clone()));
    tasks.spawn(server::serve_acct(acct, radius.clone(), cfg.radius.group_commit_max, cfg.budget(), shutdown.clone()));
    tasks.spawn(crate::jobs::housekeeping::run(radius.clone(), shutdown.clone()));
    if let Some(s) = sync {
        tasks.spawn(crate::sync::run(radius.clone(), s, shutdown.clone()));
    }

    let callback_base = match (&cfg.http.public_url, &http) {
        (url, _) if !url.is_empty() => url.clone(),
        (_, Some(l)) => {
            let addr = l.local_addr()?;
            tracing::warn!(%addr, "http.public_url is not set: M-Pesa callbacks go to http://{addr}, which Safaricom cannot reach");
            format!("http://{addr}")
        }
        (_, None) => String::new(),
    };
    let payments = Arc::new(
        crate::payments::engine::Engine::new(radius.store.clone(), radius.clock.clone(), callback_base)
            .context("starting the M-Pesa client")?,
    );
    let coa_socket = coa_socket().context("binding the CoA client socket")?;
    let retry =
        crate::radius::coa::Retry { timeouts: cfg.jobs.coa_timeouts.iter().map(|&s| Duration::from_secs(s)).collect() };
    let coa = Arc::new(crate::radius::coa::CoaClient::with_clock(coa_socket, retry, radius.clock.clone()));
    let routers = Arc::new(crate::routeros::Pool::new());
    tasks.spawn(crate::jobs::enforce::run(
        radius.store.clone(),
        radius.clock.clone(),
        coa,
        routers.clone(),
        shutdown.clone(),
    ));
    tasks.spawn(crate::jobs::webhooks::run(radius.store.clone(), radius.clock.clone(), shutdown.clone()));
    tasks.spawn(crate::jobs::etims::run(radius.store.clone(), radius.clock.clone(), shutdown.clone()));
    tasks.spawn(crate::jobs::notify::run(radius.store.clone(), radius.clock.clone(), shutdown.clone()));
    tasks.spawn(crate::jobs::cpe::run(radius.store.clone(), radius.clock.clone(), shutdown.clone()));
    tasks.spawn(crate::jobs::reports::run(radius.store.clone(), radius.clock.clone(), shutdown.clone()));
    tasks.spawn(crate::jobs::retention::run(radius.store.clone(), radius.clock.clone(), shutdown.clone()));
    tasks.spawn(crate::jobs::snmp::run(radius.store.clone(), radius.clock.clone(), cfg.snmp.clone(), shutdown.clone()));
    tasks.spawn(crate::jobs::routers::run(
        radius.store.clone(),
        radius.clock.clone(),
        routers,
        cfg.jobs.router_poll_secs,
        shutdown.clone(),
    ));
    tasks.spawn(crate::jobs::scheduler::run(radius.clone(), payments.clone(), cfg.jobs.clone(), shutdown.clone()));
    tasks.spawn(crate::jobs::backup::run(
        radius.store.clone(),
        radius.clock.clone(),
        cfg.backup.clone(),
        cfg.backup_dir(),
        Duration::from_secs(cfg.jobs.tick_secs),
        shutdown.clone(),
    ));

    #[cfg(unix)]
    {
        let path = crate::control::socket_path(&cfg.data_dir);
        let fut =
            crate::control::serve(path, radius.store.clone(), radius.clock.clone(), payments.clone(), shutdown.clone());
        tasks.spawn(async move {
            if let Err(e) = fut.await {
                tracing::error!(error = %e, "control socket failed");
            }
        });
    }

    if let Some(listener) = http {
        let local = listener.local_addr()?;
        if let Some((cert, _)) = &tls {
            let origin = if cert.generated { "self-signed, generated" } else { "from http.tls_cert" };
            tracing::info!(
                certificate = %cert.cert_path.display(),
                "TLS certificate ({origin}); SHA-256 fingerprint {}",
                cert.fingerprint
            );
        }
        let https = tls.as_ref().map(|(_, l)| l.local_addr()).transpose()?;
        // Before the "listening" line, so whoever waits for that sees the link.
        let setup = Arc::new(setup_gate(
            &cfg,
            &radius.store,
            &radius.clock,
            https.unwrap_or(local),
            https.is_some(),
            setup_token,
        )?);
        tracing::info!("http listening on {local}");
        let portal = Arc::new(crate::web::portal::Portal {
            store: radius.store.clone(),
            clock: radius.clock.clone(),
            engine: payments.clone(),
            radius: radius.clone(),
            signer: crate::web::portal::Signer::random(),
            trusted: cfg.http.trusted_proxies.iter().filter_map(|p| crate::model::Cidr::parse(p)).collect(),
            home: cfg.http.public_url.trim_end_matches('/').to_string(),
            sms: crate::notify::sms::Sms::new().context("starting the SMS client")?,
            otps: crate::web::portal::otp::OtpBook::new(cfg.budget().otp_entries),
        });
        let state = crate::web::WebState {
            radius: radius.clone(),
            payments: payments.clone(),
            portal,
            setup,
            tls_fingerprint: tls.as_ref().map(|(c, _)| c.fingerprint.clone()),
            https_port: https.map(|a| a.port()),
            backups: Arc::new(crate::web::Backups {
                dir: cfg.backup_dir(),
                keep: (cfg.backup.keep_daily, cfg.backup.keep_monthly),
                every_hours: cfg.backup.every_hours,
            }),
            hsts: cfg.http.hsts,
            metrics: Arc::new(crate::web::MetricsGate::new(&cfg.http.metrics_allow, &cfg.http.metrics_token)),
        };
        let router = crate::web::app(state);
        if let Some((cert, listener)) = tls {
            tracing::info!("https listening on {}", listener.local_addr()?);
            tasks.spawn(crate::web::tls::serve(listener, cert.config, router.clone(), shutdown.clone()));
        }
        let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let stop = shutdown.clone();
        tasks.spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
            if let Err(e) = served {
                tracing::error!(error = %e, "http server failed");
            }
        });
    }

    wait_for_signal().await;
    tracing::info!("shutting down");
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// First-run setup: with no admin in the database, a one-time token (the
/// operator's `LANGO_SETUP_TOKEN`, or a random one) opens `/setup` for an
/// hour, and the link is logged where RouterOS shows a container's output.
fn setup_gate(
    cfg: &Config,
    store: &Store,
    clock: &Clock,
    local: std::net::SocketAddr,
    https: bool,
    given: Option<String>,
) -> anyhow::Result<crate::web::admin::setup::SetupGate> {
    use crate::web::admin::setup::{SetupGate, TOKEN_SECS};
    if store.has_admin()? {
        return Ok(SetupGate::closed());
    }
    let scheme = if https { "https" } else { "http" };
    let base = if !cfg.http.public_url.is_empty() {
        cfg.http.public_url.trim_end_matches('/').to_string()
    } else if local.ip().is_unspecified() {
        format!("{scheme}://ROUTER-OR-CONTAINER-ADDRESS:{}", local.port())
    } else {
        format!("{scheme}://{local}")
    };
    let token = match given {
        Some(t) => {
            tracing::warn!(
                "no admin exists yet: finish setup at {base}/setup?token=<LANGO_SETUP_TOKEN> within an hour"
            );
            t
        }
        None => {
            let t = crate::ops::secrets::generate(32);
            tracing::warn!(
                "no admin exists yet: finish setup at {base}/setup?token={t} (the link works once, for an hour; restart lango for a new one)"
            );
            t
        }
    };
    Ok(SetupGate::open(&token, clock.now() + TOKEN_SECS))
}

/// The operator's own setup token, when `LANGO_SETUP_TOKEN` gives one.
fn setup_token_from_env() -> anyhow::Result<Option<String>> {
    match std::env::var("LANGO_SETUP_TOKEN").ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
        Some(t) if t.len() < 16 => {
            anyhow::bail!("LANGO_SETUP_TOKEN must be at least 16 characters (it guards the first admin account)")
        }
        given => Ok(given),
    }
}

/// Receive buffer asked for on RADIUS sockets: bursts of accounting (a
/// router coming back with thousands of sessions) must queue, not drop. The
/// kernel caps it at net.core.rmem_max.
const UDP_RECV_BUFFER: usize = 8 * 1024 * 1024;

/// The CoA / Disconnect client's socket: dual-stack `[::]:0`, so routers
/// on IPv4 and IPv6 are both reached, or `0.0.0.0:0` where the host has no
/// IPv6.
fn coa_socket() -> std::io::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let any6: std::net::SocketAddr = (std::net::Ipv6Addr::UNSPECIFIED, 0).into();
    let socket = match Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))
        .and_then(|s| s.set_only_v6(false).and_then(|()| s.bind(&any6.into())).map(|()| s))
    {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(error = %e, "no IPv6 socket for CoA; IPv4 only");
            let any4: std::net::SocketAddr = (std::net::Ipv4Addr::UNSPECIFIED, 0).into();
            let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
            s.bind(&any4.into())?;
            s
        }
    };
    // A mass expiry sends hundreds of Disconnects at once; their ACKs
    // arrive together.
    if let Err(e) = socket.set_recv_buffer_size(UDP_RECV_BUFFER) {
        tracing::warn!(error = %e, "cannot enlarge the CoA receive buffer");
    }
    socket.set_nonblocking(true)?;
    tokio::net::UdpSocket::from_std(socket.into())
}

fn bind_udp(addr: std::net::SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // `[::]` answers IPv4 routers too (as IPv4-mapped addresses, which the
    // NAS directory reads as IPv4), whatever net.ipv6.bindv6only says.
    if addr.ip().is_unspecified() && addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    if let Err(e) = socket.set_recv_buffer_size(UDP_RECV_BUFFER) {
        tracing::warn!(error = %e, "cannot enlarge the UDP receive buffer");
    }
    socket.bind(&addr.into())?;
    let got = socket.recv_buffer_size().unwrap_or(0);
    if got < UDP_RECV_BUFFER {
        tracing::debug!(bytes = got, "UDP receive buffer capped by net.core.rmem_max");
    }
    Ok(socket.into())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
