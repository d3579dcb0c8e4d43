//! The change stream between a hub and its sites, on NATS JetStream
//! (ARCHITECTURE.md, "Many sites and a hub"). The publisher sends what the
//! store captured in `SYNC_OUT` and forgets it once JetStream acknowledged
//! it; the consumer applies the other side's changes through a durable
//! pull consumer and acknowledges them after they are committed. Ordering,
//! durability and redelivery are JetStream's; lango applies each change
//! once (`Store::sync_apply`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, consumer::pull, stream};
use futures_util::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::config::SyncConfig;
use crate::model::UnixTime;
use crate::radius::Radius;
use crate::store::secret::{Purpose, SecretBox, from_hex};
use crate::store::sync::{Body, Mode};

/// Changes published (or applied) per round trip.
const BATCH: usize = 256;
/// Stream names on the hub cluster.
pub const HUB_STREAM: &str = "LANGO_HUB";
pub const SITES_STREAM: &str = "LANGO_SITES";
/// Wire format of a message: this byte, then the sealed change.
const FORMAT: u8 = 1;

/// What a node needs to take part, checked before anything starts.
pub struct Settings {
    pub mode: Mode,
    pub node: String,
    pub urls: Vec<String>,
    pub replicas: usize,
    pub follow: Option<String>,
    pub stream_max_bytes: i64,
    pub domain: Option<String>,
    pub key: SecretBox,
    pub token: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sync::Settings({} {}, {:?})", self.mode.as_str(), self.node, self.urls)
    }
}

/// The settings of `cfg`, with the key from `LANGO_SYNC_KEY` and the NATS
/// token from `LANGO_SYNC_NATS_TOKEN`; `None` for a standalone lango.
pub fn settings(cfg: &SyncConfig, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<Settings>> {
    let mode = match cfg.role.as_str() {
        "hub" => Mode::Hub,
        "site" => Mode::Site,
        _ => return Ok(None),
    };
    let hex = env("LANGO_SYNC_KEY").context(
        "sync.role is set but LANGO_SYNC_KEY is not: give every node of the deployment the same 32-byte key, as 64 hex digits",
    )?;
    let key: [u8; 32] = from_hex(hex.trim())
        .and_then(|b| b.try_into().ok())
        .context("LANGO_SYNC_KEY must be 64 hex digits (32 bytes); make one with `openssl rand -hex 32`")?;
    Ok(Some(Settings {
        mode,
        node: cfg.node.clone(),
        urls: cfg.nats_urls.clone(),
        replicas: cfg.replicas,
        follow: Some(cfg.follow.clone()).filter(|f| !f.is_empty()),
        stream_max_bytes: (cfg.stream_max_mb * 1024 * 1024) as i64,
        domain: Some(cfg.domain.clone()).filter(|d| !d.is_empty()),
        key: SecretBox::from_key(&key),
        token: env("LANGO_SYNC_NATS_TOKEN").filter(|t| !t.is_empty()),
    }))
}

/// Process-wide counters for /metrics and the Sites page.
#[derive(Debug, Default)]
pub struct Stats {
    pub connected: AtomicBool,
    pub published: AtomicU64,
    pub applied: AtomicU64,
    pub duplicates: AtomicU64,
    pub gaps: AtomicU64,
    pub errors: AtomicU64,
    pub last_error: std::sync::Mutex<String>,
    /// Replication lag of the last changes applied here (capture at the
    /// origin to commit here, milliseconds), newest last.
    pub lag_ms: std::sync::Mutex<std::collections::VecDeque<u32>>,
}

/// How many recent lags `Stats::lag_ms` keeps.
const LAG_SAMPLES: usize = 10_000;

impl Stats {
    fn note_lag(&self, made_ms: &[i64]) {
        let now = crate::clock::Clock::wall_ms();
        let mut q = self.lag_ms.lock().unwrap_or_else(|e| e.into_inner());
        for &m in made_ms {
            if q.len() == LAG_SAMPLES {
                q.pop_front();
            }
            q.push_back(u32::try_from((now - m).max(0)).unwrap_or(u32::MAX));
        }
    }

    /// (p50, p99, samples) of the kept lags.
    pub fn lag(&self) -> (u32, u32, usize) {
        let mut v: Vec<u32> = self.lag_ms.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
        if v.is_empty() {
            return (0, 0, 0);
        }
        v.sort_unstable();
        let at = |p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
        (at(50), at(99), v.len())
    }
}

pub static STATS: std::sync::LazyLock<Stats> = std::sync::LazyLock::new(Stats::default);

/// Things work again: the last error is history.
fn recovered() {
    if STATS.errors.load(Ordering::Relaxed) > 0 {
        STATS.last_error.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

fn failed(what: &str, e: impl std::fmt::Display) {
    STATS.errors.fetch_add(1, Ordering::Relaxed);
    let text = format!("{what}: {e}");
    tracing::warn!("sync: {text}");
    *STATS.last_error.lock().unwrap_or_else(|e| e.into_inner()) = text;
}

/// One change as it travels.
#[derive(Debug, Serialize, Deserialize)]
struct Wire {
    origin: String,
    seq: u64,
    at: UnixTime,
    /// When the origin captured the change (wall-clock milliseconds).
    made_ms: i64,
    body: Body,
}

fn seal(key: &SecretBox, w: &Wire) -> Vec<u8> {
    let plain = postcard::to_allocvec(w).expect("a change always encodes");
    let mut out = vec![FORMAT];
    out.extend_from_slice(&key.seal(Purpose::Sync, &plain).0);
    out
}

fn open(key: &SecretBox, payload: &[u8]) -> anyhow::Result<Wire> {
    let (&format, sealed) = payload.split_first().context("empty message")?;
    anyhow::ensure!(format == FORMAT, "message format {format} is unknown (a newer lango?)");
    let plain = key
        .open(Purpose::Sync, &crate::model::Sealed(sealed.to_vec()))
        .context("message does not open with LANGO_SYNC_KEY (another deployment's key?)")?;
    Ok(postcard::from_bytes(&plain)?)
}

/// The subject this node publishes on.
pub fn subject(mode: Mode, node: &str) -> String {
    match mode {
        Mode::Hub => format!("lango.hub.{node}"),
        _ => format!("lango.site.{node}"),
    }
}

/// Connect and run the publisher and the consumers until shutdown.
pub async fn run(radius: Arc<Radius>, s: Settings, shutdown: CancellationToken) {
    let s = Arc::new(s);
    let mut opts = async_nats::ConnectOptions::new()
        .name(format!("lango-{}", s.node))
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .event_callback(|e| async move {
            match e {
                async_nats::Event::Connected => STATS.connected.store(true, Ordering::Relaxed),
                async_nats::Event::Disconnected => STATS.connected.store(false, Ordering::Relaxed),
                other => tracing::debug!("nats: {other}"),
            }
        });
    if let Some(t) = &s.token {
        opts = opts.token(t.clone());
    }
    let client = match opts.connect(s.urls.clone()).await {
        Ok(c) => c,
        Err(e) => {
            failed("connecting to NATS", e);
            return;
        }
    };
    let js = match &s.domain {
        Some(d) => jetstream::with_domain(client, d),
        None => jetstream::new(client),
    };
    let instance = match radius.store.sync_instance() {
        Ok(i) => i,
        Err(e) => {
            failed("reading this node's instance", e);
            return;
        }
    };
    // The hub makes the streams before anyone reads them.
    let mut backoff = BACKOFF_FIRST;
    let mut ready = s.mode != Mode::Hub;
    while !ready {
        match ensure_streams(&js, &s).await {
            Ok(()) => ready = true,
            Err(e) => {
                failed("setting up the streams", format!("{e:#}"));
                if !back_off(&shutdown, &mut backoff).await {
                    return;
                }
            }
        }
    }
    tracing::info!(role = s.mode.as_str(), node = %s.node, %instance, "sync started");
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(publish(radius.clone(), js.clone(), s.clone(), format!("{}/{instance}", s.node), shutdown.clone()));
    // Consumers are per instance: a node restored from a backup reads the
    // stream again from the start and skips what its marks already hold.
    let (stream, filter, durable) = match s.mode {
        Mode::Hub => (SITES_STREAM, "lango.site.>".to_string(), format!("hub-{}-{instance}", s.node)),
        _ => (HUB_STREAM, "lango.hub.>".to_string(), format!("site-{}-{instance}", s.node)),
    };
    tasks.spawn(consume(radius.clone(), js.clone(), s.clone(), stream, filter, durable, shutdown.clone()));
    if let Some(primary) = &s.follow {
        let filter = format!("lango.site.{primary}");
        let durable = format!("site-{}-{instance}-follows-{primary}", s.node);
        tasks.spawn(consume(radius.clone(), js.clone(), s.clone(), SITES_STREAM, filter, durable, shutdown.clone()));
    }
    while tasks.join_next().await.is_some() {}
}

async fn pause(shutdown: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

/// The first wait after a failure, and the longest.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Wait `backoff` (false: shutting down), then double it up to the most.
async fn back_off(shutdown: &CancellationToken, backoff: &mut Duration) -> bool {
    let go_on = pause(shutdown, *backoff).await;
    *backoff = (*backoff * 2).min(BACKOFF_MAX);
    go_on
}

/// The hub makes sure both streams exist, replicated as configured.
async fn ensure_streams(js: &jetstream::Context, s: &Settings) -> anyhow::Result<()> {
    for (name, subjects) in [(HUB_STREAM, "lango.hub.>"), (SITES_STREAM, "lango.site.>")] {
        js.create_or_update_stream(stream::Config {
            name: name.to_string(),
            subjects: vec![subjects.to_string()],
            storage: stream::StorageType::File,
            num_replicas: s.replicas,
            max_bytes: s.stream_max_bytes,
            discard: stream::DiscardPolicy::Old,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .with_context(|| format!("creating stream {name}"))?;
    }
    Ok(())
}

async fn publish(
    radius: Arc<Radius>,
    js: jetstream::Context,
    s: Arc<Settings>,
    origin: String,
    stop: CancellationToken,
) {
    let subject = subject(s.mode, &s.node);
    let mut backoff = BACKOFF_FIRST;
    loop {
        if stop.is_cancelled() {
            return;
        }
        let store = radius.store.clone();
        let batch = match tokio::task::spawn_blocking(move || store.sync_outgoing(BATCH)).await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                failed("reading changes to send", e);
                Vec::new()
            }
            Err(e) => {
                failed("reading changes to send", e);
                Vec::new()
            }
        };
        if batch.is_empty() {
            if !pause(&stop, Duration::from_millis(100)).await {
                return;
            }
            continue;
        }
        let now = radius.clock.now();
        let mut pending = Vec::with_capacity(batch.len());
        for o in batch {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("{origin}:{}", o.seq).as_str());
            let wire = Wire { origin: origin.clone(), seq: o.seq, at: now, made_ms: o.made_ms, body: o.body };
            match js.publish_with_headers(subject.clone(), headers, seal(&s.key, &wire).into()).await {
                Ok(ack) => pending.push((o.seq, ack)),
                Err(e) => {
                    failed("publishing", e);
                    break;
                }
            }
        }
        let mut upto = None;
        let mut ok = true;
        let mut acked = 0;
        for (seq, ack) in pending {
            match ack.await {
                Ok(_) => {
                    upto = Some(seq);
                    acked += 1;
                }
                Err(e) => {
                    failed("waiting for JetStream's acknowledgement", e);
                    ok = false;
                    break;
                }
            }
        }
        STATS.published.fetch_add(acked, Ordering::Relaxed);
        if let Some(upto) = upto {
            let store = radius.store.clone();
            match tokio::task::spawn_blocking(move || store.sync_published(upto)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failed("forgetting sent changes", e),
                Err(e) => failed("forgetting sent changes", e),
            }
        }
        if ok {
            recovered();
            backoff = BACKOFF_FIRST;
        } else {
            if !back_off(&stop, &mut backoff).await {
                return;
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn consume(
    radius: Arc<Radius>,
    js: jetstream::Context,
    s: Arc<Settings>,
    stream: &'static str,
    filter: String,
    durable: String,
    stop: CancellationToken,
) {
    let mut backoff = BACKOFF_FIRST;
    'connect: loop {
        let consumer = async {
            let st = js.get_stream(stream).await.with_context(|| format!("stream {stream}"))?;
            st.get_or_create_consumer(
                &durable,
                pull::Config {
                    durable_name: Some(durable.clone()),
                    filter_subject: filter.clone(),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    deliver_policy: jetstream::consumer::DeliverPolicy::All,
                    ack_wait: Duration::from_secs(10),
                    max_ack_pending: 4 * BATCH as i64,
                    num_replicas: s.replicas.min(st.cached_info().config.num_replicas.max(1)),
                    ..Default::default()
                },
            )
            .await
            .with_context(|| format!("consumer {durable}"))
        }
        .await;
        let consumer: jetstream::consumer::PullConsumer = match consumer {
            Ok(c) => c,
            Err(e) => {
                failed("joining the stream", format!("{e:#}"));
                if !back_off(&stop, &mut backoff).await {
                    return;
                }
                continue;
            }
        };
        let mut stream = match consumer.stream().max_messages_per_batch(BATCH).messages().await {
            Ok(m) => m,
            Err(e) => {
                failed("fetching changes", e);
                if !back_off(&stop, &mut backoff).await {
                    return;
                }
                continue 'connect;
            }
        };
        loop {
            // Wait for one change, then take whatever else has arrived.
            let first = tokio::select! {
                _ = stop.cancelled() => return,
                m = stream.next() => m,
            };
            let mut got = Vec::new();
            let mut broken = None;
            match first {
                Some(Ok(m)) => got.push(m),
                Some(Err(e)) => broken = Some(e.to_string()),
                None => broken = Some("the consumer's stream ended".into()),
            }
            while broken.is_none() && got.len() < BATCH {
                match stream.next().now_or_never() {
                    Some(Some(Ok(m))) => got.push(m),
                    Some(Some(Err(e))) => broken = Some(e.to_string()),
                    Some(None) => broken = Some("the consumer's stream ended".into()),
                    None => break,
                }
            }
            if !got.is_empty() {
                backoff = BACKOFF_FIRST;
                if !apply_batch(&radius, &s.key, got).await && !pause(&stop, Duration::from_secs(1)).await {
                    return;
                }
            }
            if let Some(e) = broken {
                failed("receiving changes", e);
                if !back_off(&stop, &mut backoff).await {
                    return;
                }
                continue 'connect;
            }
        }
    }
}

/// Consecutive changes of one origin, and their messages.
type Run = (String, Vec<(u64, UnixTime, Body)>, Vec<jetstream::Message>, Vec<i64>);

/// Apply fetched messages in order, one transaction per run of one
/// origin, acknowledging each run after its commit. Stops at the first
/// message that cannot be opened or applied; it and the rest come again.
async fn apply_batch(radius: &Arc<Radius>, key: &SecretBox, got: Vec<jetstream::Message>) -> bool {
    let mut runs: Vec<Run> = Vec::new();
    let mut clean = true;
    for m in got {
        let w = match open(key, &m.payload) {
            Ok(w) => w,
            Err(e) => {
                failed("opening a change", format!("{e:#}"));
                clean = false;
                break;
            }
        };
        match runs.last_mut() {
            Some((origin, items, msgs, made)) if *origin == w.origin => {
                items.push((w.seq, w.at, w.body));
                msgs.push(m);
                made.push(w.made_ms);
            }
            _ => runs.push((w.origin, vec![(w.seq, w.at, w.body)], vec![m], vec![w.made_ms])),
        }
    }
    for (origin, items, msgs, made) in runs {
        let store = radius.store.clone();
        let now = radius.clock.now();
        let o2 = origin.clone();
        let result = tokio::task::spawn_blocking(move || store.sync_apply(&o2, &items, now)).await;
        let done = match result {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                failed(&format!("applying changes from {origin}"), e);
                return false;
            }
            Err(e) => {
                failed(&format!("applying changes from {origin}"), e);
                return false;
            }
        };
        STATS.applied.fetch_add(done.applied as u64, Ordering::Relaxed);
        STATS.note_lag(&made[..done.applied + done.duplicates]);
        if done.gap.is_none() {
            recovered();
        }
        STATS.duplicates.fetch_add(done.duplicates as u64, Ordering::Relaxed);
        for (tenant, outcome) in &done.outcomes {
            radius.online.apply(*tenant, outcome);
        }
        let settled = done.applied + done.duplicates;
        for m in msgs.iter().take(settled) {
            if let Err(e) = m.ack().await {
                failed("acknowledging", e);
            }
        }
        if let Some((expected, got)) = done.gap {
            STATS.gaps.fetch_add(1, Ordering::Relaxed);
            failed(
                &format!("changes from {origin}"),
                format!("expected {expected}, got {got}: waiting for redelivery"),
            );
            return false;
        }
    }
    if let Err(e) = radius.refresh_directory() {
        failed("reloading the NAS directory", e);
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_opens_only_with_its_key() {
        let key = SecretBox::from_key(&[7; 32]);
        let w = Wire { origin: "a/1".into(), seq: 9, at: 5, made_ms: 5_000, body: Body::Acct(vec![1, 2, 3]) };
        let sealed = seal(&key, &w);
        let back = open(&key, &sealed).unwrap();
        assert_eq!((back.origin.as_str(), back.seq, back.at, back.body), ("a/1", 9, 5, Body::Acct(vec![1, 2, 3])));
        let other = SecretBox::from_key(&[8; 32]);
        assert!(format!("{:#}", open(&other, &sealed).unwrap_err()).contains("LANGO_SYNC_KEY"));
        let mut tampered = sealed.clone();
        tampered[0] = 9;
        assert!(open(&key, &tampered).unwrap_err().to_string().contains("format 9"));
    }

    #[test]
    fn settings_want_the_key_from_the_environment() {
        let cfg = SyncConfig { role: "site".into(), node: "a".into(), ..Default::default() };
        let e = settings(&cfg, |_| None).unwrap_err().to_string();
        assert!(e.contains("LANGO_SYNC_KEY"), "{e}");
        let e = settings(&cfg, |_| Some("abcd".into())).unwrap_err().to_string();
        assert!(e.contains("64 hex"), "{e}");
        let hex = "11".repeat(32);
        let s = settings(&cfg, |k| (k == "LANGO_SYNC_KEY").then(|| hex.clone())).unwrap().unwrap();
        assert_eq!((s.mode, s.token), (Mode::Site, None));
        let standalone = SyncConfig::default();
        assert!(settings(&standalone, |_| None).unwrap().is_none());
    }
}
