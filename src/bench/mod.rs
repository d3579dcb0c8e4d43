//! `lango bench radius`: a closed-loop RADIUS load generator. `concurrency`
//! workers each keep exactly one request in flight on their own UDP socket
//! (no retransmission), validate every reply (Response Authenticator and
//! Message-Authenticator), and record per-request latency. Optionally samples
//! the server's CPU time and memory from `/proc/<pid>` over the measured
//! window, so lango and other servers (FreeRADIUS, see
//! `scripts/bench-freeradius.sh`) can be compared on the same machine.
//!
//! Counting rules: a request counts when its outcome (reply or timeout) falls
//! inside the measured window `[start + warmup, start + warmup + duration)`;
//! requests still in flight at the end of the window are abandoned and not
//! counted. `rps` is counted requests over the window length.

pub mod lists;
pub mod notify;
pub mod reports;
pub mod scheduler;
pub mod series;
pub mod snmp;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::net::UdpSocket;

use crate::radius::codec::{
    Builder, Code, HEADER_LEN, MAX_PACKET, MaStatus, Packet, check_message_authenticator, verify_response_authenticator,
};
use crate::radius::crypto::{self, mschapv2};
use crate::radius::dict::{
    acct_status, attr, framed_protocol, microsoft as ms, nas_port_type, service_type, terminate_cause,
};

/// Linux reports process times in USER_HZ clock ticks, which is 100 on every
/// mainstream architecture regardless of the kernel's CONFIG_HZ (it is what
/// `getconf CLK_TCK` prints). Reading it properly needs `sysconf(3)`, i.e.
/// libc, so it is assumed here.
const CLOCK_TICKS_PER_SEC: u64 = 100;

/// At most this many example problems (rejects, wrong replies) are kept.
const MAX_NOTES: usize = 8;

/// Options of `lango bench radius`.
#[derive(clap::Args, Debug, Clone)]
pub struct RadiusBench {
    /// Server address, e.g. 127.0.0.1:1812 (use the acct port for --mode acct)
    #[arg(long)]
    pub target: SocketAddr,
    /// Shared secret of the client (NAS) entry on the server
    #[arg(long)]
    pub secret: String,
    /// Request kind: pap | chap | mschapv2 | acct | interim
    #[arg(long, value_enum, default_value = "pap")]
    pub mode: Mode,
    /// Sessions kept open by --mode interim (each started once, then sent
    /// Interim-Updates in turn)
    #[arg(long, default_value_t = 10000)]
    pub sessions: u32,
    /// Requests in flight (closed loop)
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
    /// Requests per second in all, spread over the workers (0: as fast as
    /// the replies come)
    #[arg(long, default_value_t = 0)]
    pub rate: u32,
    /// Seconds to run
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Users user00001..userNNNNN with passwords pass00001..; requests cycle through them
    #[arg(long, default_value_t = 10000)]
    pub users: u32,
    /// Per-request timeout in ms before it counts as an error (no retransmission)
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
    /// PID of the server, to report its CPU time per request and RSS from /proc
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Seconds of warm-up not counted
    #[arg(long, default_value_t = 1)]
    pub warmup: u64,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

/// What each request is.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Access-Request with User-Password.
    Pap,
    /// Access-Request with CHAP-Password and CHAP-Challenge.
    Chap,
    /// Access-Request with MS-CHAP-Challenge and MS-CHAP2-Response.
    Mschapv2,
    /// Accounting-Request Start / Interim-Update / Stop per session.
    Acct,
    /// `--sessions` sessions started once (during warm-up, as a rule), then
    /// Interim-Updates round-robin: what a router sends most.
    Interim,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Pap => "pap",
            Mode::Chap => "chap",
            Mode::Mschapv2 => "mschapv2",
            Mode::Acct => "acct",
            Mode::Interim => "interim",
        }
    }

    fn accounting(self) -> bool {
        matches!(self, Mode::Acct | Mode::Interim)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Result of one run. Counts cover the measured window only.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub target: SocketAddr,
    pub mode: Mode,
    pub concurrency: usize,
    /// Measured window, seconds (warm-up excluded).
    pub duration_s: u64,
    pub warmup_s: u64,
    pub users: u32,
    /// Requests whose outcome fell in the window: ok + rejects + errors + wrong.
    pub requests: u64,
    /// Access-Accept (auth modes) or Accounting-Response (acct).
    pub ok: u64,
    /// Timeouts (and send failures).
    pub errors: u64,
    /// Bad authenticator or Message-Authenticator, undecodable reply, or an
    /// unexpected code.
    pub wrong: u64,
    /// Valid Access-Reject.
    pub rejects: u64,
    /// Datagrams discarded because their identifier did not match the
    /// outstanding request (late replies after a timeout).
    pub stray: u64,
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
    /// Server user+system CPU over the window divided by `requests`.
    pub server_cpu_us_per_req: Option<f64>,
    /// Server VmRSS at the end of the run.
    pub server_rss_kb: Option<u64>,
    /// Server VmHWM (peak RSS) at the end of the run.
    pub server_hwm_kb: Option<u64>,
    /// This process's user+system CPU over the window divided by `requests`
    /// (the generator competes with the server for cores on small machines).
    pub client_cpu_us_per_req: Option<f64>,
    /// A few examples of rejects / wrong replies / measurement problems.
    pub notes: Vec<String>,
}

impl Report {
    /// The report as a JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "target": self.target.to_string(),
            "mode": self.mode.as_str(),
            "concurrency": self.concurrency,
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "users": self.users,
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors,
            "wrong": self.wrong,
            "rejects": self.rejects,
            "stray": self.stray,
            "rps": self.rps,
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "p999_us": self.p999_us,
            "max_us": self.max_us,
            "mean_us": self.mean_us,
            "server_cpu_us_per_req": self.server_cpu_us_per_req,
            "server_rss_kb": self.server_rss_kb,
            "server_hwm_kb": self.server_hwm_kb,
            "client_cpu_us_per_req": self.client_cpu_us_per_req,
            "notes": self.notes,
        })
    }

    /// What `lango bench radius` prints: [`Report::to_json`] pretty-printed
    /// with `json`, the [`Display`](fmt::Display) block otherwise.
    pub fn render(&self, json: bool) -> String {
        if json { serde_json::to_string_pretty(&self.to_json()).unwrap_or_default() } else { self.to_string() }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ok_label = if self.mode.accounting() { "acct responses" } else { "accepts" };
        writeln!(
            f,
            "RADIUS {} -> {}: {} in flight, {} s measured after {} s warm-up, {} users",
            self.mode, self.target, self.concurrency, self.duration_s, self.warmup_s, self.users
        )?;
        writeln!(f, "  {:<22}{:>12}", "requests", self.requests)?;
        writeln!(f, "  {:<22}{:>12.1}", "requests/s", self.rps)?;
        writeln!(f, "  {:<22}{:>12}", ok_label, self.ok)?;
        writeln!(f, "  {:<22}{:>12}", "rejects", self.rejects)?;
        writeln!(f, "  {:<22}{:>12}", "errors (timeouts)", self.errors)?;
        writeln!(f, "  {:<22}{:>12}", "wrong", self.wrong)?;
        writeln!(f, "  {:<22}{:>12}", "stray (discarded)", self.stray)?;
        writeln!(f, "  {:<22}{:>12.0}", "latency mean (us)", self.mean_us)?;
        writeln!(f, "  {:<22}{:>12}", "latency p50 (us)", self.p50_us)?;
        writeln!(f, "  {:<22}{:>12}", "latency p99 (us)", self.p99_us)?;
        writeln!(f, "  {:<22}{:>12}", "latency p99.9 (us)", self.p999_us)?;
        writeln!(f, "  {:<22}{:>12}", "latency max (us)", self.max_us)?;
        let opt_f = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        let opt_u = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
        writeln!(f, "  {:<22}{:>12}", "server CPU (us/req)", opt_f(self.server_cpu_us_per_req))?;
        writeln!(f, "  {:<22}{:>12}", "server RSS (kB)", opt_u(self.server_rss_kb))?;
        writeln!(f, "  {:<22}{:>12}", "server peak RSS (kB)", opt_u(self.server_hwm_kb))?;
        write!(f, "  {:<22}{:>12}", "client CPU (us/req)", opt_f(self.client_cpu_us_per_req))?;
        for note in &self.notes {
            write!(f, "\n  note: {note}")?;
        }
        Ok(())
    }
}

/// Nearest-rank percentile (`p` in 0..=1) of an ascending slice; 0 if empty.
pub fn percentile(sorted: &[u32], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len();
    // Nearest rank: the smallest value with at least p·n values at or below.
    let rank = (p.clamp(0.0, 1.0) * n as f64).ceil() as usize;
    u64::from(sorted[rank.clamp(1, n) - 1])
}

/// Runs the load and returns the report (printing is the caller's job, see
/// [`Report::render`]). Needs a Tokio runtime with the time and net drivers.
pub async fn run(opts: &RadiusBench) -> anyhow::Result<Report> {
    if opts.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    if opts.duration == 0 {
        bail!("--duration must be at least 1 second");
    }
    if opts.users == 0 {
        bail!("--users must be at least 1");
    }
    if opts.timeout_ms == 0 {
        bail!("--timeout-ms must be at least 1");
    }
    if opts.mode == Mode::Interim && (opts.sessions as usize) < opts.concurrency {
        bail!("--sessions must be at least --concurrency");
    }
    if let Some(pid) = opts.server_pid {
        // Fail fast on a wrong PID rather than after the run.
        proc_cpu_ticks(&format!("/proc/{pid}/stat"))
            .with_context(|| format!("cannot read /proc/{pid}/stat (is --server-pid right?)"))?;
    }

    let start = Instant::now();
    let measure_from = start + Duration::from_secs(opts.warmup);
    let deadline = measure_from + Duration::from_secs(opts.duration);
    let shared = Arc::new(Shared {
        secret: opts.secret.as_bytes().into(),
        mode: opts.mode,
        users: opts.users,
        sessions: opts.sessions,
        concurrency: u32::try_from(opts.concurrency).context("--concurrency too large")?,
        timeout: Duration::from_millis(opts.timeout_ms),
        measure_from,
        deadline,
        interval: (opts.rate > 0).then(|| Duration::from_secs_f64(opts.concurrency as f64 / f64::from(opts.rate))),
    });

    let mut handles = Vec::with_capacity(opts.concurrency);
    for index in 0..shared.concurrency {
        let socket = bind_for(opts.target).await?;
        let worker = Worker::new(index, shared.clone());
        handles.push(tokio::spawn(worker.run(socket)));
    }

    tokio::time::sleep_until(measure_from.into()).await;
    let server_stat = opts.server_pid.map(|pid| format!("/proc/{pid}/stat"));
    let server_cpu0 = server_stat.as_deref().map(proc_cpu_ticks);
    let client_cpu0 = proc_cpu_ticks("/proc/self/stat");
    tokio::time::sleep_until(deadline.into()).await;
    let server_cpu1 = server_stat.as_deref().map(proc_cpu_ticks);
    let client_cpu1 = proc_cpu_ticks("/proc/self/stat");
    let memory = opts.server_pid.map(|pid| proc_memory(&format!("/proc/{pid}/status")));

    let mut total = Stats::default();
    let mut latencies = Vec::new();
    for handle in handles {
        let (stats, mut lat) = handle.await.context("bench worker failed")??;
        total.merge(&stats);
        latencies.append(&mut lat);
    }
    latencies.sort_unstable();

    let requests = total.requests();
    let mut notes = total.notes;
    let mut per_req = |a: anyhow::Result<u64>, b: anyhow::Result<u64>, who: &str| match (a, b) {
        (Ok(a), Ok(b)) if requests > 0 => {
            Some(b.saturating_sub(a) as f64 * (1e6 / CLOCK_TICKS_PER_SEC as f64) / requests as f64)
        }
        (Ok(_), Ok(_)) => None,
        (Err(e), _) | (_, Err(e)) => {
            notes.push(format!("{who} CPU not measured: {e:#}"));
            None
        }
    };
    let client_cpu_us_per_req = per_req(client_cpu0, client_cpu1, "client");
    let server_cpu_us_per_req = match (server_cpu0, server_cpu1) {
        (Some(a), Some(b)) => per_req(a, b, "server"),
        _ => None,
    };
    let (server_rss_kb, server_hwm_kb) = match memory {
        Some(Ok((rss, hwm))) => (rss, hwm),
        Some(Err(e)) => {
            notes.push(format!("server memory not measured: {e:#}"));
            (None, None)
        }
        None => (None, None),
    };
    let mean_us = if latencies.is_empty() {
        0.0
    } else {
        latencies.iter().map(|&l| u64::from(l)).sum::<u64>() as f64 / latencies.len() as f64
    };

    Ok(Report {
        target: opts.target,
        mode: opts.mode,
        concurrency: opts.concurrency,
        duration_s: opts.duration,
        warmup_s: opts.warmup,
        users: opts.users,
        requests,
        ok: total.ok,
        errors: total.errors,
        wrong: total.wrong,
        rejects: total.rejects,
        stray: total.stray,
        rps: requests as f64 / opts.duration as f64,
        p50_us: percentile(&latencies, 0.50),
        p99_us: percentile(&latencies, 0.99),
        p999_us: percentile(&latencies, 0.999),
        max_us: latencies.last().map_or(0, |&l| u64::from(l)),
        mean_us,
        server_cpu_us_per_req,
        server_rss_kb,
        server_hwm_kb,
        client_cpu_us_per_req,
        notes,
    })
}

/// A UDP socket of the target's address family, connected to the target (so
/// the kernel drops datagrams from anyone else).
async fn bind_for(target: SocketAddr) -> anyhow::Result<UdpSocket> {
    let local: SocketAddr =
        if target.is_ipv4() { (Ipv4Addr::UNSPECIFIED, 0).into() } else { (std::net::Ipv6Addr::UNSPECIFIED, 0).into() };
    let socket = UdpSocket::bind(local).await.with_context(|| format!("bind {local}"))?;
    socket.connect(target).await.with_context(|| format!("connect UDP socket to {target}"))?;
    Ok(socket)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` file, in ticks.
pub(crate) fn proc_cpu_ticks(path: &str) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
    parse_cpu_ticks(&text).with_context(|| format!("parse {path}"))
}

fn parse_cpu_ticks(stat: &str) -> anyhow::Result<u64> {
    // Field 2 (comm) is parenthesised and may contain spaces or ')'.
    let after_comm = stat.rfind(')').map(|i| &stat[i + 1..]).context("no ')' after comm")?;
    // after_comm starts at field 3 (state): utime is field 14, stime 15.
    let mut fields = after_comm.split_whitespace().skip(14 - 3);
    let mut next = |name: &str| -> anyhow::Result<u64> {
        fields.next().with_context(|| format!("missing {name}"))?.parse::<u64>().with_context(|| format!("bad {name}"))
    };
    let utime = next("utime")?;
    let stime = next("stime")?;
    Ok(utime + stime)
}

/// (VmRSS, VmHWM) in kB from a `/proc/<pid>/status` file.
fn proc_memory(path: &str) -> anyhow::Result<(Option<u64>, Option<u64>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
    Ok(parse_memory(&text))
}

fn parse_memory(status: &str) -> (Option<u64>, Option<u64>) {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    (field("VmRSS"), field("VmHWM"))
}

/// Settings every worker shares.
struct Shared {
    secret: Box<[u8]>,
    mode: Mode,
    users: u32,
    sessions: u32,
    concurrency: u32,
    timeout: Duration,
    measure_from: Instant,
    deadline: Instant,
    /// Time between one worker's requests (--rate), if paced.
    interval: Option<Duration>,
}

/// Outcome counts of one worker (or all, once merged).
#[derive(Debug, Default)]
struct Stats {
    ok: u64,
    errors: u64,
    wrong: u64,
    rejects: u64,
    stray: u64,
    notes: Vec<String>,
}

impl Stats {
    fn requests(&self) -> u64 {
        self.ok + self.errors + self.wrong + self.rejects
    }

    fn merge(&mut self, other: &Stats) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.wrong += other.wrong;
        self.rejects += other.rejects;
        self.stray += other.stray;
        for note in &other.notes {
            if self.notes.len() < MAX_NOTES && !self.notes.contains(note) {
                self.notes.push(note.clone());
            }
        }
    }

    fn note(&mut self, note: impl FnOnce() -> String) {
        if self.notes.len() < MAX_NOTES {
            let note = note();
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
    }
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok,
    Reject(String),
    Wrong(String),
    Timeout,
    /// Still in flight at the end of the window: not counted.
    Abandoned,
}

/// SplitMix64: authenticators and challenges only need to be unique and
/// unpredictable enough for a benchmark, and one OS RNG call per request
/// would cost the generator a system call it does not need.
struct Rng(u64);

impl Rng {
    fn from_os() -> Rng {
        use ring::rand::SecureRandom;
        let mut seed = [0u8; 8];
        ring::rand::SystemRandom::new().fill(&mut seed).expect("OS random number generator failed");
        Rng(u64::from_le_bytes(seed))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn bytes16(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        out[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        out
    }
}

/// Where an accounting session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Interim,
    Stop,
}

/// One closed-loop client: one socket, one request in flight.
struct Worker {
    index: u32,
    shared: Arc<Shared>,
    rng: Rng,
    identifier: u8,
    /// Zero-based index of the current user (user00001 is 0).
    user: u32,
    /// Accounting sessions started by this worker.
    session_seq: u32,
    phase: Phase,
    /// --mode interim: the position among this worker's sessions (numbers
    /// index, index + concurrency, ...) and the passes over them done (the
    /// first pass sends the Starts).
    cursor: u32,
    pass: u32,
    stats: Stats,
    latencies: Vec<u32>,
}

impl Worker {
    fn new(index: u32, shared: Arc<Shared>) -> Worker {
        let mut rng = Rng::from_os();
        let identifier = rng.next_u64() as u8;
        Worker {
            index,
            user: index % shared.users,
            shared,
            rng,
            identifier,
            session_seq: 0,
            phase: Phase::Start,
            cursor: 0,
            pass: 0,
            stats: Stats::default(),
            latencies: Vec::with_capacity(1 << 14),
        }
    }

    async fn run(mut self, socket: UdpSocket) -> anyhow::Result<(Stats, Vec<u32>)> {
        let mut buf = vec![0u8; MAX_PACKET + 1];
        let mut next = Instant::now();
        while Instant::now() < self.shared.deadline {
            if let Some(every) = self.shared.interval {
                tokio::time::sleep_until(next.into()).await;
                next += every;
            }
            self.identifier = self.identifier.wrapping_add(1);
            let (packet, request_auth) = self.build()?;
            let sent = Instant::now();
            let outcome = match socket.send(&packet).await {
                Ok(_) => self.await_reply(&socket, &mut buf, sent, &request_auth).await,
                Err(e) => {
                    self.stats.note(|| format!("send failed: {e}"));
                    // Do not spin on a persistent error (e.g. ENOBUFS).
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    Outcome::Timeout
                }
            };
            let done = Instant::now();
            if outcome != Outcome::Abandoned && done >= self.shared.measure_from {
                self.record(outcome, done - sent);
            }
            self.advance();
        }
        Ok((self.stats, self.latencies))
    }

    fn record(&mut self, outcome: Outcome, latency: Duration) {
        let us = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        match outcome {
            Outcome::Ok => {
                self.stats.ok += 1;
                self.latencies.push(us);
            }
            Outcome::Reject(why) => {
                self.stats.rejects += 1;
                self.latencies.push(us);
                self.stats.note(|| why);
            }
            Outcome::Wrong(why) => {
                self.stats.wrong += 1;
                self.latencies.push(us);
                self.stats.note(|| why);
            }
            Outcome::Timeout => self.stats.errors += 1,
            Outcome::Abandoned => {}
        }
    }

    /// Waits for the reply to the outstanding request, discarding datagrams
    /// with another identifier.
    async fn await_reply(
        &mut self,
        socket: &UdpSocket,
        buf: &mut [u8],
        sent: Instant,
        request_auth: &[u8; 16],
    ) -> Outcome {
        let timeout_at = sent + self.shared.timeout;
        let give_up = timeout_at.min(self.shared.deadline);
        loop {
            let n = match tokio::time::timeout_at(give_up.into(), socket.recv(buf)).await {
                Err(_) if give_up < timeout_at => return Outcome::Abandoned,
                Err(_) => return Outcome::Timeout,
                // ICMP port unreachable and the like: keep waiting, so a dead
                // server shows as timeouts instead of a busy loop.
                Ok(Err(_)) => continue,
                Ok(Ok(n)) => n,
            };
            let datagram = &buf[..n];
            if datagram.len() < 2 || datagram[1] != self.identifier {
                self.stats.stray += 1;
                continue;
            }
            return self.classify(datagram, request_auth);
        }
    }

    fn classify(&self, datagram: &[u8], request_auth: &[u8; 16]) -> Outcome {
        let secret = &self.shared.secret;
        let packet = match Packet::decode(datagram) {
            Ok(p) => p,
            Err(e) => return Outcome::Wrong(format!("undecodable reply: {e}")),
        };
        if !verify_response_authenticator(&packet, request_auth, secret) {
            return Outcome::Wrong(format!("bad Response Authenticator in {:?} (wrong secret?)", packet.code));
        }
        let acct = self.shared.mode.accounting();
        let ma = match check_message_authenticator(&packet, secret, Some(request_auth)) {
            // FreeRADIUS 3.x (and lango, for compatibility) compute an
            // Accounting-Response's Message-Authenticator over a zero
            // authenticator field, as for the Accounting-Request; accept
            // that as well as the Access-* convention of RFC 3579.
            MaStatus::Invalid if acct => check_message_authenticator(&packet, secret, Some(&[0; 16])),
            status => status,
        };
        match ma {
            MaStatus::Valid => {}
            // Optional on Accounting-Response (RFC 3579 covers Access-*).
            MaStatus::Absent if acct => {}
            status => {
                return Outcome::Wrong(format!("Message-Authenticator {status:?} in {:?}", packet.code));
            }
        }
        match (packet.code, acct) {
            (Code::AccessAccept, false) | (Code::AccountingResponse, true) => Outcome::Ok,
            (Code::AccessReject, false) => {
                let message = packet
                    .attr(attr::REPLY_MESSAGE)
                    .map(|m| format!(": {}", String::from_utf8_lossy(m)))
                    .unwrap_or_default();
                Outcome::Reject(format!("Access-Reject for {}{message}", user_name(self.user)))
            }
            (code, _) => Outcome::Wrong(format!("unexpected {code:?}")),
        }
    }

    /// Moves to the next user (auth) or the next lifecycle step (acct).
    /// Workers stride through the users so together they cycle all of them.
    fn advance(&mut self) {
        let next_user = |w: &Worker| (w.user + w.shared.concurrency) % w.shared.users;
        if self.shared.mode == Mode::Interim {
            self.cursor += 1;
            if self.index + self.cursor * self.shared.concurrency >= self.shared.sessions {
                self.cursor = 0;
                self.pass += 1;
            }
            let session = self.index + self.cursor * self.shared.concurrency;
            self.user = session % self.shared.users;
            self.phase = if self.pass == 0 { Phase::Start } else { Phase::Interim };
            return;
        }
        if self.shared.mode != Mode::Acct {
            self.user = next_user(self);
            return;
        }
        self.phase = match self.phase {
            Phase::Start => Phase::Interim,
            Phase::Interim => Phase::Stop,
            Phase::Stop => {
                self.user = next_user(self);
                self.session_seq = self.session_seq.wrapping_add(1);
                Phase::Start
            }
        };
    }

    /// The next request and its Request Authenticator.
    fn build(&mut self) -> anyhow::Result<(Vec<u8>, [u8; 16])> {
        let secret = &self.shared.secret;
        let id = self.identifier;
        let name = user_name(self.user);
        let password = password(self.user);
        if self.shared.mode.accounting() {
            return self.build_acct(&name);
        }
        let mut b = Builder::new(Code::AccessRequest, id);
        b.add_str(attr::USER_NAME, &name)?
            .add_ipv4(attr::NAS_IP_ADDRESS, Ipv4Addr::LOCALHOST)?
            .add_u32(attr::NAS_PORT, self.index)?
            .add_u32(attr::NAS_PORT_TYPE, nas_port_type::VIRTUAL)?
            .add_u32(attr::SERVICE_TYPE, service_type::FRAMED)?
            .add_u32(attr::FRAMED_PROTOCOL, framed_protocol::PPP)?;
        let auth = self.rng.bytes16();
        match self.shared.mode {
            Mode::Pap => {
                let hidden = crypto::hide_password(password.as_bytes(), secret, &auth);
                b.add(attr::USER_PASSWORD, &hidden)?;
            }
            Mode::Chap => {
                let challenge = self.rng.bytes16();
                b.add(attr::CHAP_PASSWORD, &crypto::chap_response(id, password.as_bytes(), &challenge))?
                    .add(attr::CHAP_CHALLENGE, &challenge)?;
            }
            Mode::Mschapv2 => {
                let challenge = self.rng.bytes16();
                let peer = self.rng.bytes16();
                let response = mschapv2::client_response(id, &challenge, &peer, name.as_bytes(), &password);
                b.add_vsa(ms::VENDOR_ID, ms::MS_CHAP_CHALLENGE, &challenge)?.add_vsa(
                    ms::VENDOR_ID,
                    ms::MS_CHAP2_RESPONSE,
                    &response,
                )?;
            }
            Mode::Acct | Mode::Interim => unreachable!("handled above"),
        }
        Ok((b.finish_access_request(auth, secret)?, auth))
    }

    fn build_acct(&mut self, name: &str) -> anyhow::Result<(Vec<u8>, [u8; 16])> {
        let session_id = match self.shared.mode {
            Mode::Interim => format!("s{:08x}", self.index + self.cursor * self.shared.concurrency),
            _ => format!("{:04x}{:08x}", self.index, self.session_seq),
        };
        let status = match self.phase {
            Phase::Start => acct_status::START,
            Phase::Interim => acct_status::INTERIM_UPDATE,
            Phase::Stop => acct_status::STOP,
        };
        // 10.0.0.1 + user index: unique per user up to 16M users.
        let framed_ip = Ipv4Addr::from(0x0A00_0001u32.wrapping_add(self.user));
        let mut b = Builder::new(Code::AccountingRequest, self.identifier);
        b.add_u32(attr::ACCT_STATUS_TYPE, status)?
            .add_str(attr::USER_NAME, name)?
            .add_str(attr::ACCT_SESSION_ID, &session_id)?
            .add_ipv4(attr::NAS_IP_ADDRESS, Ipv4Addr::LOCALHOST)?
            .add_u32(attr::NAS_PORT, self.index)?
            .add_u32(attr::NAS_PORT_TYPE, nas_port_type::VIRTUAL)?
            .add_u32(attr::SERVICE_TYPE, service_type::FRAMED)?
            .add_u32(attr::FRAMED_PROTOCOL, framed_protocol::PPP)?
            .add_ipv4(attr::FRAMED_IP_ADDRESS, framed_ip)?
            .add_u32(attr::ACCT_DELAY_TIME, 0)?
            .add_u32(attr::ACCT_AUTHENTIC, 1)?;
        // Counters grow Start -> Interim -> Stop; Stop crosses 4 GiB so the
        // Gigawords attributes carry something.
        // --mode interim: each pass adds five minutes and 1 MB / 6 MB.
        let grown = self.pass.min(4000);
        let (secs, input, output, gigawords) = match self.phase {
            Phase::Start => (0, 0, 0, 0),
            Phase::Interim if self.shared.mode == Mode::Interim => {
                (300 * grown, 1_000_000 * grown, 6_000_000u32.wrapping_mul(grown), 0)
            }
            Phase::Interim => (300, 150_000_000, 900_000_000, 0),
            Phase::Stop => (600, 300_000_000, 1_800_000_000, 1),
        };
        if self.phase != Phase::Start {
            b.add_u32(attr::ACCT_SESSION_TIME, secs)?
                .add_u32(attr::ACCT_INPUT_OCTETS, input)?
                .add_u32(attr::ACCT_OUTPUT_OCTETS, output)?
                .add_u32(attr::ACCT_INPUT_GIGAWORDS, 0)?
                .add_u32(attr::ACCT_OUTPUT_GIGAWORDS, gigawords)?
                .add_u32(attr::ACCT_INPUT_PACKETS, input / 1000)?
                .add_u32(attr::ACCT_OUTPUT_PACKETS, output / 1000)?;
        }
        if self.phase == Phase::Stop {
            b.add_u32(attr::ACCT_TERMINATE_CAUSE, terminate_cause::USER_REQUEST)?;
        }
        let packet = b.finish_signed_request(&self.shared.secret)?;
        let mut auth = [0u8; 16];
        auth.copy_from_slice(&packet[4..HEADER_LEN]);
        Ok((packet, auth))
    }
}

/// `user00001` for index 0.
fn user_name(index: u32) -> String {
    format!("user{:05}", u64::from(index) + 1)
}

/// `pass00001` for index 0.
fn password(index: u32) -> String {
    format!("pass{:05}", u64::from(index) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radius::codec::verify_request_authenticator;

    #[test]
    fn percentile_nearest_rank() {
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(percentile(&[7], 0.0), 7);
        assert_eq!(percentile(&[7], 0.999), 7);
        let v: Vec<u32> = (1..=1000).collect();
        assert_eq!(percentile(&v, 0.5), 500);
        assert_eq!(percentile(&v, 0.99), 990);
        assert_eq!(percentile(&v, 0.999), 999);
        assert_eq!(percentile(&v, 1.0), 1000);
        assert_eq!(percentile(&v, 0.0), 1);
        let v: Vec<u32> = (1..=10).collect();
        assert_eq!(percentile(&v, 0.5), 5);
        assert_eq!(percentile(&v, 0.51), 6);
        assert_eq!(percentile(&v, 0.99), 10);
        // Skewed: 99 fast, one slow.
        let mut v = vec![100u32; 99];
        v.push(50_000);
        assert_eq!(percentile(&v, 0.99), 100);
        assert_eq!(percentile(&v, 0.999), 50_000);
    }

    #[test]
    fn proc_parsing() {
        let stat = "1234 (a weird) name) S 1 2 3 4 5 6 7 8 9 10 250 17 0 0 20 0 4";
        assert_eq!(parse_cpu_ticks(stat).unwrap(), 267);
        assert!(parse_cpu_ticks("1234 (x) S 1 2").is_err());
        let status = "Name:\tlango\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(parse_memory(status), (Some(10240), Some(20480)));
        assert_eq!(parse_memory("Name: x\n"), (None, None));
        // Our own process always has these.
        assert!(proc_cpu_ticks("/proc/self/stat").is_ok());
        assert!(proc_memory("/proc/self/status").unwrap().0.is_some());
    }

    #[test]
    fn names() {
        assert_eq!(user_name(0), "user00001");
        assert_eq!(password(9999), "pass10000");
    }

    const SECRET: &[u8] = b"bench-test-secret";

    /// How the fake server misbehaves.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Fake {
        Correct,
        CorruptAuthenticator,
        RejectAll,
        Silent,
    }

    /// Checks the credential like a real server would; true if it matches
    /// the `userNNNNN` / `passNNNNN` convention.
    fn credential_ok(p: &Packet) -> bool {
        let Some(name) = p.attr(attr::USER_NAME) else {
            return false;
        };
        let name = std::str::from_utf8(name).unwrap();
        let pass = name.replace("user", "pass");
        if let Some(hidden) = p.attr(attr::USER_PASSWORD) {
            return crypto::unhide_password(hidden, SECRET, &p.authenticator).unwrap() == pass.as_bytes();
        }
        if let Some(chap) = p.attr(attr::CHAP_PASSWORD) {
            let challenge = p.attr(attr::CHAP_CHALLENGE).unwrap();
            return crypto::chap_verify(chap, challenge, pass.as_bytes());
        }
        if let Some(resp) = p.vsa(ms::VENDOR_ID, ms::MS_CHAP2_RESPONSE) {
            let challenge = p.vsa(ms::VENDOR_ID, ms::MS_CHAP_CHALLENGE).unwrap();
            return mschapv2::verify(challenge, resp, name.as_bytes(), &pass).is_some();
        }
        false
    }

    async fn fake_server(behaviour: Fake) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; MAX_PACKET];
            loop {
                let (n, peer) = socket.recv_from(&mut buf).await.unwrap();
                if behaviour == Fake::Silent {
                    continue;
                }
                let req = Packet::decode(&buf[..n]).unwrap();
                // Like a real server: silently drop what fails the MA check.
                if check_message_authenticator(&req, SECRET, None) != MaStatus::Valid {
                    continue;
                }
                let code = match req.code {
                    Code::AccountingRequest => {
                        assert!(verify_request_authenticator(&req, SECRET));
                        assert!(req.has_attr(attr::ACCT_SESSION_ID));
                        Code::AccountingResponse
                    }
                    Code::AccessRequest if behaviour != Fake::RejectAll && credential_ok(&req) => Code::AccessAccept,
                    _ => Code::AccessReject,
                };
                let mut reply = Builder::new(code, req.identifier);
                if code == Code::AccessReject {
                    reply.add_str(attr::REPLY_MESSAGE, "go away").unwrap();
                }
                let mut reply = if code == Code::AccountingResponse {
                    reply.finish_accounting_response(&req.authenticator, SECRET)
                } else {
                    reply.finish_response(&req.authenticator, SECRET)
                }
                .unwrap();
                if behaviour == Fake::CorruptAuthenticator {
                    reply[7] ^= 0x55;
                }
                // A stray datagram first: must be discarded, not counted.
                let mut stray = reply.clone();
                stray[1] = stray[1].wrapping_add(1);
                socket.send_to(&stray, peer).await.unwrap();
                socket.send_to(&reply, peer).await.unwrap();
            }
        });
        addr
    }

    fn opts(target: SocketAddr, mode: Mode) -> RadiusBench {
        RadiusBench {
            target,
            secret: String::from_utf8(SECRET.to_vec()).unwrap(),
            mode,
            concurrency: 4,
            rate: 0,
            duration: 1,
            users: 20,
            sessions: 10,
            timeout_ms: 500,
            server_pid: Some(std::process::id()),
            warmup: 0,
            json: false,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_paced_run_sends_no_more_than_its_rate() {
        let target = fake_server(Fake::Correct).await;
        let report = run(&RadiusBench { rate: 100, ..opts(target, Mode::Acct) }).await.unwrap();
        // One second at 100/s over 4 workers: each sends at t = 0, 40, 80 ms…
        assert!(report.ok > 0 && report.ok <= 100 + 4, "{} replies", report.ok);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn correct_server_all_modes() {
        let target = fake_server(Fake::Correct).await;
        for mode in [Mode::Pap, Mode::Chap, Mode::Mschapv2, Mode::Acct, Mode::Interim] {
            let report = run(&opts(target, mode)).await.unwrap();
            assert!(report.requests > 0, "{mode}: {report}");
            assert_eq!(report.wrong, 0, "{mode}: {report}");
            assert_eq!(report.rejects, 0, "{mode}: {report}");
            assert_eq!(report.errors, 0, "{mode}: {report}");
            assert_eq!(report.ok, report.requests, "{mode}: {report}");
            assert!(report.stray > 0, "{mode}: {report}");
            assert!(report.p50_us > 0 && report.p50_us <= report.p999_us);
            assert!(report.server_rss_kb.is_some());
            assert!(report.server_cpu_us_per_req.is_some());
            let json = report.to_json();
            assert_eq!(json["mode"], mode.as_str());
            assert_eq!(json["requests"], report.requests);
            assert!(report.to_string().contains("p99.9"));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn corrupted_authenticator_counts_as_wrong() {
        let target = fake_server(Fake::CorruptAuthenticator).await;
        let report = run(&opts(target, Mode::Pap)).await.unwrap();
        assert!(report.wrong > 0, "{report}");
        assert_eq!(report.ok, 0, "{report}");
        assert_eq!(report.wrong, report.requests, "{report}");
        assert!(report.notes.iter().any(|n| n.contains("Authenticator")));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rejects_are_counted_apart() {
        let target = fake_server(Fake::RejectAll).await;
        let report = run(&opts(target, Mode::Mschapv2)).await.unwrap();
        assert!(report.rejects > 0, "{report}");
        assert_eq!(report.rejects, report.requests, "{report}");
        assert_eq!(report.wrong + report.errors, 0, "{report}");
        assert!(report.notes.iter().any(|n| n.contains("go away")), "{report}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wrong_secret_times_out() {
        let target = fake_server(Fake::Correct).await;
        let mut o = opts(target, Mode::Chap);
        o.secret = "not-the-secret".into();
        o.timeout_ms = 100;
        let report = run(&o).await.unwrap();
        assert_eq!(report.ok, 0, "{report}");
        assert!(report.errors > 0, "{report}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn silent_server_counts_timeouts() {
        let target = fake_server(Fake::Silent).await;
        let mut o = opts(target, Mode::Acct);
        o.timeout_ms = 100;
        o.server_pid = None;
        let report = run(&o).await.unwrap();
        assert!(report.errors > 0, "{report}");
        assert_eq!(report.ok + report.wrong + report.rejects, 0, "{report}");
        assert_eq!(report.p50_us, 0);
        assert_eq!(report.server_cpu_us_per_req, None);
    }

    #[tokio::test]
    async fn rejects_bad_options() {
        let mut o = opts("127.0.0.1:9".parse().unwrap(), Mode::Pap);
        o.concurrency = 0;
        assert!(run(&o).await.is_err());
        let mut o = opts("127.0.0.1:9".parse().unwrap(), Mode::Pap);
        o.server_pid = Some(u32::MAX);
        assert!(run(&o).await.is_err());
    }
}
