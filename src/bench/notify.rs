//! `lango bench notify`: expiry reminders for N services, scheduled and
//! sent through the real sender to a Celcom-shaped gateway on loopback.
//! It seeds a fresh database in a temporary directory (N customers, each
//! with a phone and a service expiring within the lead time, imported in
//! one transaction), then times the reminder pass (scheduling: the
//! messages written, keyed and queued) and the sending (claim, HTTP to the
//! gateway, attempt recorded), and reports the process's peak RSS. The
//! gateway runs in this process, so its CPU is counted too.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::clock::Clock;
use crate::import::{ImportCustomer, ImportService, ImportSet};
use crate::model::*;
use crate::store::Store;

#[derive(clap::Args, Debug)]
pub struct NotifyBench {
    /// Services (and customers) to remind.
    #[arg(long, default_value = "50000")]
    pub services: u32,
}

pub struct NotifyReport {
    pub services: u32,
    pub queued: usize,
    pub schedule_secs: f64,
    pub sent: usize,
    pub send_secs: f64,
    pub gateway_requests: usize,
    pub rss_after_seed_kb: Option<u64>,
    /// Since the seeding: scheduling and sending.
    pub rss_peak_kb: Option<u64>,
    pub db_bytes: u64,
}

impl std::fmt::Display for NotifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "services            {}", self.services)?;
        writeln!(
            f,
            "reminders queued    {} in {:.2} s ({:.0}/s)",
            self.queued,
            self.schedule_secs,
            self.queued as f64 / self.schedule_secs
        )?;
        writeln!(
            f,
            "reminders sent      {} in {:.2} s ({:.0}/s)",
            self.sent,
            self.send_secs,
            self.sent as f64 / self.send_secs
        )?;
        writeln!(f, "gateway requests    {}", self.gateway_requests)?;
        if let Some(kb) = self.rss_after_seed_kb {
            writeln!(f, "RSS after seeding   {:.1} MB", kb as f64 / 1024.0)?;
        }
        if let Some(kb) = self.rss_peak_kb {
            writeln!(f, "peak RSS, reminders {:.1} MB", kb as f64 / 1024.0)?;
        }
        write!(f, "database            {:.1} MB", self.db_bytes as f64 / 1_048_576.0)
    }
}

fn rss_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A Celcom-shaped gateway that accepts everything; counts requests.
async fn gateway(count: Arc<AtomicUsize>) -> anyhow::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/api/services/sendsms/",
        axum::routing::post(move |body: String| {
            let n = count.fetch_add(1, Ordering::Relaxed) + 1;
            let mobile =
                serde_json::from_str::<serde_json::Value>(&body).ok().map(|v| v["mobile"].clone()).unwrap_or_default();
            async move {
                axum::Json(serde_json::json!({"responses": [{
                    "response-code": 200, "response-description": "Success",
                    "mobile": mobile, "messageid": n, "networkid": "1"
                }]}))
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

pub async fn run(opts: &NotifyBench) -> anyhow::Result<NotifyReport> {
    let dir = std::env::temp_dir().join(format!("lango-bench-notify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(Store::open(&dir.join("lango.redb"), &dir.join("lango.key"), 32)?);
    let now = Clock::System.now();
    let tenant = crate::demo::seed(&store, now, 0)?;
    let mut set = ImportSet::default();
    for i in 0..opts.services {
        set.customers.push(ImportCustomer {
            line: i as usize + 1,
            name: format!("Customer {i}"),
            phone: Some(format!("2547{:08}", 10_000_000 + i)),
            email: None,
            category: None,
            services: vec![ImportService {
                line: i as usize + 1,
                plan: "Home 10M".into(),
                access: AccessType::Pppoe,
                username: format!("bench{i:06}"),
                password: format!("pass{i:06}"),
                mac: None,
                static_ip: None,
                // Inside the 3-day lead time, spread over two days.
                expires_at: Some(now + 86_400 + i64::from(i % 86_400)),
                disabled: false,
            }],
        });
    }
    store.import("bench", now, tenant.id, set)?;
    let rss_after_seed_kb = rss_kb("VmRSS:");
    // Start the peak afresh (Linux: 5 resets VmHWM), so it covers the
    // reminders, not the seeding.
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    let count = Arc::new(AtomicUsize::new(0));
    let addr = gateway(count.clone()).await?;
    let settings = NotifySettings {
        sms: SmsGateway::Celcom {
            base_url: format!("http://{addr}"),
            partner_id: "1".into(),
            api_key: store.seal_notify_secret("bench-key"),
            shortcode: "LANGO".into(),
        },
        events: vec!["expiry_reminder".into()],
        leads: vec![3 * 86_400],
        quiet_start: 0,
        quiet_end: 0,
        daily_cap: u32::MAX,
        ..NotifySettings::default()
    };
    store.set_notify_settings("bench", now, tenant.id, &settings)?;

    let clock = Clock::manual(now);
    let started = Instant::now();
    let st = store.clone();
    let queued = tokio::task::spawn_blocking(move || st.queue_reminders(now)).await??;
    let schedule_secs = started.elapsed().as_secs_f64();

    let http = reqwest::Client::builder().build()?;
    let sms = Arc::new(crate::notify::sms::Sms::new()?);
    let stop = tokio_util::sync::CancellationToken::new();
    let started = Instant::now();
    crate::jobs::notify::round(&store, &clock, &http, &sms, false, &stop).await?;
    let send_secs = started.elapsed().as_secs_f64();
    let sent = store.message_counts(tenant.id)?.get("sent").copied().unwrap_or(0);
    let db_bytes = std::fs::metadata(dir.join("lango.redb")).map(|m| m.len()).unwrap_or(0);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(NotifyReport {
        services: opts.services,
        queued,
        schedule_secs,
        sent,
        send_secs,
        gateway_requests: count.load(Ordering::Relaxed),
        rss_after_seed_kb,
        rss_peak_kb: rss_kb("VmHWM:"),
        db_bytes,
    })
}
