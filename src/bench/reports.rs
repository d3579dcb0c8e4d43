//! `lango bench reports`: the report builders on a year of history,
//! seeded through the store's real write paths so the aggregates are kept
//! as in production: one tenant (Africa/Nairobi, KES, VAT), ten plans,
//! twenty routers, N customers with one service each (one in ten a
//! reseller's), every payment through `Store::apply_payment` (renewals,
//! receipts, top-ups, a few unmatched, one STK push in `--stk-every`
//! recorded and settled), millions of accounting records through
//! `Store::apply_accounting` in fold-sized batches, one `snapshot_reports`.
//! Then every report kind is timed (page and CSV) for the last twelve
//! months, the current month, and the twelve months as the reseller sees
//! them; with the database's size and the peak RSS.
//!
//! The database goes to `$TMPDIR`, else `/dev/shm` where it exists (each
//! payment is a durable commit writing ~250 KB of copied B-tree pages, so
//! on a slow disk the seeding measures the disk), else the system's
//! temporary directory, and is removed afterwards. With `--dir` it is kept
//! there, and a later run on the same directory only times the reports.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use crate::clock::Clock;
use crate::model::*;
use crate::ops::report_view::{Kind, Period};
use crate::ops::reports::{Scope, build};
use crate::store::accounting::{AcctRecord, AcctStatus};
use crate::store::reports::{civil_from_days, days_from_civil, local_day};
use crate::store::{Applied, IncomingPayment, NewNas, NewService, Store};

const DAY: i64 = 86_400;
const ACTOR: &str = "bench";
const SLUG: &str = "bench";
const RESELLER: &str = "bench-reseller";
/// The seeded history: a year back from now.
const SPAN: i64 = 365 * DAY;
/// Customers join in the first month of the year, then pay monthly.
const JOIN_SPAN: i64 = 30 * DAY;
const PAY_EVERY: i64 = 30 * DAY;
/// Records per accounting session: Start, three Interim-Updates, Stop.
const PER_SESSION: u64 = 5;

#[derive(clap::Args, Debug, Clone)]
pub struct ReportsBench {
    /// Customers, each with one PPPoE service.
    #[arg(long, default_value_t = 50_000)]
    pub customers: u32,
    /// Payments per customer, a month apart (those that would fall after
    /// now are not made).
    #[arg(long, default_value_t = 12)]
    pub payments_per_customer: u32,
    /// Accounting records (sessions of Start, 3 Interims, Stop over the year).
    #[arg(long, default_value_t = 5_000_000)]
    pub acct_records: u64,
    /// Records per `apply_accounting` transaction (the fold's batch).
    #[arg(long, default_value_t = 5_000)]
    pub acct_batch: usize,
    /// Builds of each page to time (median and max).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Record (and settle) the STK push of one STK payment in this many:
    /// each push costs two more transactions. 0: none.
    #[arg(long, default_value_t = 10)]
    pub stk_every: u64,
    /// Routers (NAS).
    #[arg(long, default_value_t = 20)]
    pub routers: u32,
    /// Keep the database in this directory; when it already holds a seeded
    /// bench database, skip the seeding and only time the reports.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// What the seeding did.
#[derive(Default)]
struct Seeded {
    customers: u32,
    customers_secs: f64,
    payments: u64,
    unmatched: u64,
    renewals: u64,
    stk_pushes: u64,
    payments_secs: f64,
    acct_records: u64,
    acct_batches: u64,
    acct_sessions_open: u64,
    acct_secs: f64,
    snapshot_secs: f64,
}

/// One report kind for one period.
struct Timing {
    kind: Kind,
    period: Period,
    reseller: bool,
    median_ms: f64,
    max_ms: f64,
    csv_ms: f64,
    csv_bytes: usize,
    page_rows: usize,
    csv_rows: usize,
    failed_checks: Vec<String>,
}

pub struct ReportsReport {
    seeded: Option<Seeded>,
    dir: PathBuf,
    timings: Vec<Timing>,
    db_bytes: u64,
    rss_peak_seed_kb: Option<u64>,
    rss_peak_reports_kb: Option<u64>,
    runs: usize,
    /// The admin's payments and invoices lists on the same data.
    pub lists: Vec<super::lists::ListTiming>,
}

impl ReportsReport {
    /// Every balance check of every built report held.
    pub fn balanced(&self) -> bool {
        self.timings.iter().all(|t| t.failed_checks.is_empty())
    }
}

fn per_sec(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

impl std::fmt::Display for ReportsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.seeded {
            Some(s) => {
                let n = u64::from(s.customers);
                writeln!(f, "database in         {}", self.dir.display())?;
                writeln!(
                    f,
                    "seed customers      {n} (each one service) in {:.1} s ({:.0}/s)",
                    s.customers_secs,
                    per_sec(n, s.customers_secs)
                )?;
                writeln!(
                    f,
                    "seed payments       {} ({} renewals, {} unmatched, {} STK pushes recorded) in {:.1} s ({:.0} payments/s)",
                    s.payments,
                    s.renewals,
                    s.unmatched,
                    s.stk_pushes,
                    s.payments_secs,
                    per_sec(s.payments, s.payments_secs)
                )?;
                writeln!(
                    f,
                    "seed accounting     {} records in {} batches in {:.1} s ({:.0} records/s); {} sessions left open",
                    s.acct_records,
                    s.acct_batches,
                    s.acct_secs,
                    per_sec(s.acct_records, s.acct_secs),
                    s.acct_sessions_open
                )?;
                writeln!(f, "snapshot_reports    {:.0} ms", s.snapshot_secs * 1e3)?;
            }
            None => writeln!(f, "seeding skipped: {} was seeded before", self.dir.display())?,
        }
        for t in &self.timings {
            writeln!(
                f,
                "report {}{} ({}): median {:.1} ms, max {:.1} ms over {} runs ({} rows); csv {:.0} ms ({} rows, {:.1} KB)",
                t.kind.slug(),
                if t.reseller { " as the reseller" } else { "" },
                t.period.label(),
                t.median_ms,
                t.max_ms,
                self.runs,
                t.page_rows,
                t.csv_ms,
                t.csv_rows,
                t.csv_bytes as f64 / 1024.0
            )?;
            for c in &t.failed_checks {
                writeln!(f, "  DOES NOT BALANCE: {c}")?;
            }
        }
        for l in &self.lists {
            writeln!(f, "{l}")?;
        }
        if let Some(kb) = self.rss_peak_seed_kb {
            writeln!(f, "peak RSS, seeding   {:.1} MB", kb as f64 / 1024.0)?;
        }
        if let Some(kb) = self.rss_peak_reports_kb {
            writeln!(f, "peak RSS, reports   {:.1} MB", kb as f64 / 1024.0)?;
        }
        write!(f, "database            {:.1} MB", self.db_bytes as f64 / 1_048_576.0)
    }
}

fn rss_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A deterministic spread of `x` over 64 bits (splitmix64).
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn run(o: &ReportsBench) -> anyhow::Result<ReportsReport> {
    anyhow::ensure!(o.customers > 0, "--customers must be at least 1");
    anyhow::ensure!(o.routers > 0, "--routers must be at least 1");
    anyhow::ensure!(o.acct_batch > 0, "--acct-batch must be at least 1");
    anyhow::ensure!(o.runs > 0, "--runs must be at least 1");
    let (dir, keep) = match &o.dir {
        Some(d) => (d.clone(), true),
        None => {
            let shm = PathBuf::from("/dev/shm");
            let base = match std::env::var_os("TMPDIR") {
                None if shm.is_dir() => shm,
                _ => std::env::temp_dir(),
            };
            (base.join(format!("lango-bench-reports-{}", std::process::id())), false)
        }
    };
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let db = dir.join("lango.redb");
    // The server's default cache (`store.cache_mb`).
    let store = Store::open(&db, &dir.join("lango.key"), 16)?;
    let now = Clock::System.now();
    let (tenant, seeded) = match store.tenant_by_slug(SLUG) {
        Ok(t) => (t, None),
        Err(crate::store::StoreError::NotFound(_)) => {
            let (t, s) = seed(&store, o, now)?;
            (t, Some(s))
        }
        Err(e) => return Err(e.into()),
    };
    let rss_peak_seed_kb = rss_kb("VmHWM:");
    // Start the peak afresh (Linux: 5 resets VmHWM), so it covers the
    // reports, not the seeding.
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    let zone = Clock::zone(&tenant.timezone);
    let today = local_day(&zone, now);
    let (y, m, d) = civil_from_days(today);
    let year = Period { from: days_from_civil(y - 1, m, d) + 1, to: today };
    let month = Period::parse("", "", today)?;
    let reseller = store.admin(tenant.id, RESELLER)?.and_then(|a| a.reseller).context("no bench reseller")?;
    let mut timings = Vec::new();
    for (period, scope) in [(year, 0), (month, 0), (year, reseller)] {
        for kind in Kind::ALL {
            timings.push(time_report(&store, &tenant, Scope(scope), kind, period, today, o.runs)?);
        }
    }
    let mid = o.customers / 2;
    let (phone, name) = (format!("2547{:08}", 10_000_000 + mid), format!("Customer {mid}"));
    let lists = super::lists::time_lists(&store, &tenant, o.runs, &phone, &name)?;
    let rss_peak_reports_kb = rss_kb("VmHWM:");
    drop(store);
    let db_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(ReportsReport { seeded, dir, timings, db_bytes, rss_peak_seed_kb, rss_peak_reports_kb, runs: o.runs, lists })
}

fn time_report(
    store: &Store,
    t: &Tenant,
    scope: Scope,
    kind: Kind,
    period: Period,
    today: i32,
    runs: usize,
) -> anyhow::Result<Timing> {
    let mut ms = Vec::with_capacity(runs);
    let mut page = Err(anyhow::anyhow!("no run"));
    for _ in 0..runs {
        let started = Instant::now();
        page = Ok(build(store, t, scope, kind, period, today, false)?);
        ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let page = page?;
    let started = Instant::now();
    let full = build(store, t, scope, kind, period, today, true)?;
    let csv = full.csv();
    let csv_ms = started.elapsed().as_secs_f64() * 1e3;
    let rows = |r: &crate::ops::report_view::Report| r.tables.iter().map(|t| t.rows.len()).sum::<usize>();
    let failed_checks =
        full.checks.iter().filter(|c| !c.ok).map(|c| format!("{} {}: {}", kind.slug(), c.name, c.detail)).collect();
    Ok(Timing {
        kind,
        period,
        reseller: scope.0 != 0,
        median_ms: ms[ms.len() / 2],
        max_ms: ms[ms.len() - 1],
        csv_ms,
        csv_bytes: csv.len(),
        page_rows: rows(&page),
        csv_rows: rows(&full),
        failed_checks,
    })
}

/// Ten monthly (30-day) plans: Mbit/s, and prices in cents.
const MBPS: [u32; 10] = [3, 5, 8, 10, 15, 20, 30, 40, 50, 100];
const PRICES: [i64; 10] =
    [100_000, 150_000, 200_000, 250_000, 300_000, 350_000, 450_000, 600_000, 1_000_000, 1_800_000];

/// Which plan customer `i` has: the cheaper plans are the common ones.
fn plan_index(i: u32) -> usize {
    const WEIGHTS: [u64; 10] = [14, 20, 16, 14, 10, 8, 7, 5, 4, 2];
    let mut r = mix(u64::from(i)) % WEIGHTS.iter().sum::<u64>();
    for (p, w) in WEIGHTS.iter().enumerate() {
        if r < *w {
            return p;
        }
        r -= w;
    }
    0
}

fn new_plan(mbps: u32, price: i64) -> anyhow::Result<Plan> {
    let name = format!("{} {mbps}M", if price >= 600_000 { "Business" } else { "Home" });
    let mut p = crate::demo::plan(&name, 30 * DAY as u64, price, &format!("{mbps}M/{mbps}M"));
    p.offer = Offer { access: vec![AccessType::Pppoe], ..Offer::default() };
    Ok(p)
}

/// What the seeding knows about each customer.
struct Seat {
    customer: Id,
    service: Id,
    plan: Id,
    price: i64,
    joined: UnixTime,
}

fn username(i: u32) -> String {
    format!("bench{i:06}")
}

fn seed(store: &Store, o: &ReportsBench, now: UnixTime) -> anyhow::Result<(Tenant, Seeded)> {
    let start = now - SPAN;
    let tenant = store.create_tenant(
        ACTOR,
        start,
        Tenant {
            id: 0,
            slug: SLUG.into(),
            name: "Bench ISP".into(),
            timezone: "Africa/Nairobi".into(),
            currency: "KES".into(),
            captive_redirect: true,
            captive_rate_limit: "256k/256k".into(),
            captive_session_timeout: 300,
        },
    )?;
    let billing = TenantBilling {
        tax: Some(crate::billing::TaxRule { name: "VAT".into(), rate_bp: 1600, inclusive: true }),
        tax_pin: Some("P051234567X".into()),
        ..TenantBilling::default()
    };
    store.set_tenant_billing(ACTOR, start, tenant.id, &billing)?;
    let mut plans = Vec::new();
    for (mbps, price) in MBPS.into_iter().zip(PRICES) {
        plans.push(store.create_plan(ACTOR, start, tenant.id, new_plan(mbps, price)?)?);
    }
    let mut routers = Vec::new();
    for r in 0..o.routers {
        let address = Ipv4Addr::from(0x0AFF_0000 + r + 1);
        let nas = NewNas {
            name: format!("router-{:02}", r + 1),
            address: IpAddr::V4(address),
            prefix: 32,
            secret: format!("bench-secret-{r}"),
            require_message_authenticator: true,
        };
        routers.push((store.create_nas(ACTOR, start, tenant.id, nas)?.id, address));
    }
    let reseller = Admin {
        tenant: tenant.id,
        username: RESELLER.into(),
        password_hash: String::new(),
        role: Role::Reseller,
        created_at: start,
        reseller: None,
        totp: None,
        disabled: false,
    };
    let reseller = store.create_reseller(ACTOR, start, reseller)?.reseller;
    let mut s = Seeded::default();
    // Customers join over the year's first month: one transaction each
    // (as the admin form does), their services in bulk every few hours.
    let started = Instant::now();
    let n = o.customers;
    let joined = |i: u32| start + (i64::from(i) * JOIN_SPAN) / i64::from(n);
    let mut seats = Vec::with_capacity(n as usize);
    let mut pending: Vec<NewService> = Vec::new();
    const SERVICE_BATCH: usize = 500;
    for i in 0..n {
        let at = joined(i);
        let phone = format!("2547{:08}", 10_000_000 + i);
        let owner = reseller.filter(|_| i % 10 == 3);
        let c =
            store.create_customer_as(ACTOR, at, tenant.id, owner, &format!("Customer {i}"), Some(phone), None, None)?;
        let p = &plans[plan_index(i)];
        let mut svc = NewService::new(c.id, p.id, AccessType::Pppoe, &username(i), &format!("pass{i:06}"));
        svc.expires_at = Some(at);
        pending.push(svc);
        seats.push(Seat { customer: c.id, service: 0, plan: p.id, price: p.price, joined: at });
        if pending.len() == SERVICE_BATCH || i + 1 == n {
            store.create_services_bulk(ACTOR, at, tenant.id, std::mem::take(&mut pending))?;
        }
    }
    for (i, seat) in seats.iter_mut().enumerate() {
        seat.service = store.service_by_username(tenant.id, &username(i as u32))?.id;
    }
    s.customers = n;
    s.customers_secs = started.elapsed().as_secs_f64();

    eprintln!("seeded {n} customers; seeding payments…");
    let started = Instant::now();
    seed_payments(store, tenant.id, &seats, o, now, &mut s)?;
    s.payments_secs = started.elapsed().as_secs_f64();

    eprintln!("seeded {} payments; seeding accounting…", s.payments);
    let started = Instant::now();
    seed_accounting(store, tenant.id, &seats, &routers, o, now, &mut s)?;
    s.acct_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    store.snapshot_reports(tenant.id, now)?;
    s.snapshot_secs = started.elapsed().as_secs_f64();
    Ok((tenant, s))
}

/// Customer `i`'s `k`-th payment, a day after joining and then every 30
/// days a few hours before the service runs out; 0.5 % of them arrive
/// with an account that names nobody; one customer in ten only tops up
/// the wallet. Channels: half STK, 40 % C2B, 10 % cash.
fn seed_payments(
    store: &Store,
    tenant: TenantId,
    seats: &[Seat],
    o: &ReportsBench,
    now: UnixTime,
    s: &mut Seeded,
) -> anyhow::Result<()> {
    let per_customer = o.payments_per_customer;
    let mut stk_payments = 0u64;
    let mut events: Vec<(UnixTime, u32, u32)> = Vec::new();
    for (i, seat) in seats.iter().enumerate() {
        let early = ((i % 12) as i64 + 1) * 3600;
        for k in 0..per_customer {
            let at = seat.joined + DAY + i64::from(k) * PAY_EVERY - if k == 0 { 0 } else { early };
            if at < now {
                events.push((at, i as u32, k));
            }
        }
    }
    events.sort_unstable();
    let started = Instant::now();
    for (n, &(at, i, k)) in events.iter().enumerate() {
        let seat = &seats[i as usize];
        let pick = mix(u64::from(i) << 32 | u64::from(k));
        let method = match pick % 10 {
            0..=4 => PaymentMethod::MpesaStk,
            5..=8 => PaymentMethod::MpesaC2b,
            _ => PaymentMethod::Cash,
        };
        let unmatched = method != PaymentMethod::MpesaStk && (pick >> 8).is_multiple_of(200);
        let renew = !unmatched && i % 10 != 9;
        let receipt = format!("BN{n:08X}");
        let phone = format!("2547{:08}", 10_000_000 + i);
        let purchase = if renew { Purchase::Renew { service: seat.service, plan: seat.plan } } else { Purchase::TopUp };
        let checkout = format!("ws_CO_bench_{n}");
        let pushed = method == PaymentMethod::MpesaStk && o.stk_every > 0 && stk_payments.is_multiple_of(o.stk_every);
        stk_payments += u64::from(method == PaymentMethod::MpesaStk);
        let refs = match method {
            PaymentMethod::MpesaStk => vec![format!("stk:{checkout}"), format!("mpesa:{receipt}")],
            PaymentMethod::MpesaC2b => vec![format!("c2b:{receipt}"), format!("mpesa:{receipt}")],
            _ => vec![format!("cash:{receipt}")],
        };
        if pushed {
            let r = StkRequest {
                tenant,
                checkout_id: checkout.clone(),
                merchant_id: format!("bench-{n}"),
                customer: seat.customer,
                purchase: purchase.clone(),
                phone: phone.clone(),
                amount: seat.price,
                created_at: at - 20,
                state: StkState::Pending,
                queries: 0,
                last_query_at: None,
            };
            store.record_stk_request(&r)?;
            s.stk_pushes += 1;
        }
        let p = IncomingPayment {
            tenant,
            method,
            refs,
            reference: receipt,
            amount: seat.price,
            phone: Some(phone),
            account: Some(if unmatched { "UNKNOWN".into() } else { username(i) }),
            customer: (!unmatched).then_some(seat.customer),
            purchase: (!unmatched).then_some(purchase),
            raw: None,
            actor: if method == PaymentMethod::Cash { "cashier".into() } else { "mpesa".into() },
            at,
        };
        match store.apply_payment(p)? {
            Applied::Credited { payment, renewed, .. } => {
                s.renewals += u64::from(renewed.is_some());
                if pushed {
                    let state = StkState::Paid { payment: payment.id };
                    store.update_stk(tenant, &checkout, Some(state), Some(at))?;
                }
            }
            Applied::Unmatched(_) => s.unmatched += 1,
            Applied::Duplicate(id) => anyhow::bail!("payment {n} seen as a duplicate of {id}"),
            Applied::Queued(_) => anyhow::bail!("the bench store is a site: payments are queued, not credited"),
        }
        s.payments += 1;
        if s.payments.is_multiple_of(50_000) {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("  {} of {} payments, {:.0}/s", s.payments, events.len(), per_sec(s.payments, secs));
        }
    }
    Ok(())
}

/// One accounting session's events: Start, three Interim-Updates at
/// quarters of its length, Stop.
fn session_event(j: u64, sessions: u64, start: UnixTime, span: i64, phase: u64) -> (UnixTime, u64) {
    let h = mix(j);
    let begins = start + ((u128::from(j) * span as u128) / u128::from(sessions)) as i64;
    // Half an hour to two days.
    let length = 1800 + (h % (2 * DAY as u64)) as i64;
    (begins + length * phase as i64 / 4, length as u64)
}

fn seed_accounting(
    store: &Store,
    tenant: TenantId,
    seats: &[Seat],
    routers: &[(Id, Ipv4Addr)],
    o: &ReportsBench,
    now: UnixTime,
    s: &mut Seeded,
) -> anyhow::Result<()> {
    let start = now - SPAN + DAY;
    let span = SPAN - DAY;
    let sessions = o.acct_records.div_ceil(PER_SESSION);
    let n = seats.len() as u64;
    // Sessions start evenly over the year; service `j % n` has session `j`,
    // so one service's sessions are about span / (sessions / n) apart:
    // longer than any session at the default sizes (no overlap, no
    // simultaneous-use kicks).
    let mut heap: BinaryHeap<Reverse<(UnixTime, u64, u64)>> = BinaryHeap::new();
    let mut batch = Vec::with_capacity(o.acct_batch);
    let mut emitted = 0u64;
    let mut j = 0u64;
    let (mut starts, mut stops) = (0u64, 0u64);
    let record = |j: u64, phase: u64, at: UnixTime, length: u64| -> AcctRecord {
        let svc = (j % n) as u32;
        let (nas, nas_ip) = routers[(svc as usize) % routers.len()];
        let h = mix(j ^ 0x5EED);
        let total_out = 20_000_000 + h % 3_000_000_000;
        let total_in = total_out / 8 + (h >> 40) % 50_000_000;
        let frac = |v: u64| (u128::from(v) * u128::from(phase) / 4) as u64;
        AcctRecord {
            tenant,
            nas,
            status: match phase {
                0 => AcctStatus::Start,
                4 => AcctStatus::Stop,
                _ => AcctStatus::Interim,
            },
            session_id: format!("{j:08x}"),
            username: username(svc),
            framed_ip: Some(Ipv4Addr::from(0x0A00_0001 + svc)),
            calling_station_id: Some(Mac(0x0200_0000_0000 + u64::from(svc)).to_string()),
            nas_port_id: Some("bridge-pppoe".into()),
            counters: Counters {
                session_time: (length * phase / 4) as u32,
                bytes_in: frac(total_in),
                bytes_out: frac(total_out),
                packets_in: (frac(total_in) / 900) as u32,
                packets_out: (frac(total_out) / 1200) as u32,
            },
            terminate_cause: (phase == 4).then_some(1),
            event_time: at,
            nas_ip: Some(IpAddr::V4(nas_ip)),
            ipv6: None,
        }
    };
    loop {
        let next_start = if j < sessions { session_event(j, sessions, start, span, 0).0 } else { UnixTime::MAX };
        while let Some(&Reverse((at, sj, phase))) = heap.peek()
            && at <= next_start
            && emitted < o.acct_records
        {
            heap.pop();
            let (_, length) = session_event(sj, sessions, start, span, 0);
            batch.push(record(sj, phase, at, length));
            emitted += 1;
            starts += u64::from(phase == 0);
            stops += u64::from(phase == PER_SESSION - 1);
            if batch.len() == o.acct_batch {
                store.apply_accounting(&batch, None, false)?;
                batch.clear();
                s.acct_batches += 1;
            }
        }
        if j >= sessions || emitted >= o.acct_records {
            break;
        }
        for phase in 0..PER_SESSION {
            let (at, _) = session_event(j, sessions, start, span, phase);
            // What happens after now has not happened: the session is open.
            if at < now {
                heap.push(Reverse((at, j, phase)));
            }
        }
        j += 1;
    }
    if !batch.is_empty() {
        store.apply_accounting(&batch, None, false)?;
        s.acct_batches += 1;
    }
    // Make it durable, as the fold's checkpoint does.
    store.apply_accounting(&[], None, true)?;
    s.acct_records = emitted;
    s.acct_sessions_open = starts - stops;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_run_builds_every_report_and_balances() {
        let dir = std::env::temp_dir().join(format!("lango-bench-reports-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let o = ReportsBench {
            customers: 40,
            payments_per_customer: 3,
            acct_records: 2_000,
            acct_batch: 300,
            runs: 1,
            stk_every: 2,
            routers: 3,
            dir: Some(dir.clone()),
        };
        let r = run(&o).unwrap();
        let s = r.seeded.as_ref().unwrap();
        assert_eq!(s.customers, 40);
        assert_eq!(s.payments, 120, "{r}");
        assert!(s.renewals > 90, "{r}");
        // The last sessions run past now: their later records are not sent.
        assert!((1_900..=2_000).contains(&s.acct_records), "{r}");
        assert!(s.acct_sessions_open > 0, "{r}");
        assert_eq!(r.timings.len(), 3 * Kind::ALL.len());
        assert!(r.balanced(), "{r}");
        let text = r.to_string();
        for k in Kind::ALL {
            assert!(text.contains(&format!("report {} (", k.slug())), "{text}");
        }
        let rows = |what: &str| r.lists.iter().find(|l| l.what.starts_with(what)).map(|l| l.rows);
        assert_eq!(rows("payments, newest"), Some(50), "{r}");
        let by_number = rows("payments ?q=254710000020").unwrap();
        assert!((1..=3).contains(&by_number), "customer 20's payments by number: {r}");
        // (By name: the unmatched ones, which name no customer, are not found.)
        assert!(rows("payments ?q=Customer 20").is_some_and(|n| (1..=by_number).contains(&n)), "{r}");
        assert_eq!(rows("payments ?q=no-such-payment"), Some(0), "{r}");
        let receipt = r.lists.iter().find(|l| l.what.ends_with("(an M-Pesa receipt)")).map(|l| l.rows);
        assert_eq!(receipt, Some(1), "{r}");
        assert!(rows("a customer's last 20").is_some_and(|n| n >= 2), "a payment and its receipt at least: {r}");
        assert_eq!(rows("the document numbered"), Some(1), "{r}");
        assert_eq!(rows("invoices ?q=no-such-invoice"), Some(0), "{r}");
        assert!(rows("invoices, newest").is_some_and(|n| n > 0), "{r}");
        // A second run on the same directory times the reports only.
        let again = run(&o).unwrap();
        assert!(again.seeded.is_none());
        assert!(again.to_string().contains("seeding skipped"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
