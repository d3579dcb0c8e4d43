//! Accounting-Request: decode into an [`AcctRecord`], hand it to the
//! group-commit writer, and send the Accounting-Response only after the
//! record's transaction is durably committed.
//!
//! The writer is one OS thread: it blocks for the first record, takes every
//! record already queued (up to `group_commit_max`), applies them in one
//! redb transaction with one fsync, then releases all their responses.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use super::cache::RequestKey;
use super::codec::{Builder, Code, Packet};
use super::counters::Counters;
use super::dict::{acct_status, attr};
use super::directory::NasEntry;
use super::{Radius, udp};
use crate::model::Counters as SessionCounters;
use crate::store::accounting::{AcctOutcome, AcctRecord, AcctStatus};
use crate::store::journal::{self, Journal, JournalPos};
use std::time::Duration;

/// A record waiting for its commit, with what is needed to answer it.
pub struct Job {
    pub record: Option<AcctRecord>,
    pub key: RequestKey,
    pub secret: Arc<NasEntry>,
    pub proxy_state: Vec<Vec<u8>>,
}

/// Why a decoded Accounting-Request could not be turned into a record.
#[derive(Debug, PartialEq, Eq)]
pub enum RecordError {
    MissingAttribute(&'static str),
}

/// Decode the attributes that matter. `Ok(None)`: a status type we
/// acknowledge without storing (tunnel or failed-session accounting).
pub fn record(
    nas: &NasEntry,
    req: &Packet<'_>,
    now: i64,
    src: std::net::IpAddr,
) -> Result<Option<AcctRecord>, RecordError> {
    let status = req.attr_u32(attr::ACCT_STATUS_TYPE).ok_or(RecordError::MissingAttribute("Acct-Status-Type"))?;
    let status = match status {
        acct_status::START => AcctStatus::Start,
        acct_status::INTERIM_UPDATE => AcctStatus::Interim,
        acct_status::STOP => AcctStatus::Stop,
        acct_status::ACCOUNTING_ON | acct_status::ACCOUNTING_OFF => AcctStatus::NasReset,
        _ => return Ok(None),
    };
    let text = |t| req.attr(t).map(|v| String::from_utf8_lossy(v).into_owned());
    let session_id = match (status, text(attr::ACCT_SESSION_ID)) {
        (_, Some(s)) if !s.is_empty() => s,
        (AcctStatus::NasReset, _) => String::new(),
        _ => return Err(RecordError::MissingAttribute("Acct-Session-Id")),
    };
    let u32_or0 = |t| u64::from(req.attr_u32(t).unwrap_or(0));
    let counters = SessionCounters {
        session_time: req.attr_u32(attr::ACCT_SESSION_TIME).unwrap_or(0),
        bytes_in: (u32_or0(attr::ACCT_INPUT_GIGAWORDS) << 32) | u32_or0(attr::ACCT_INPUT_OCTETS),
        bytes_out: (u32_or0(attr::ACCT_OUTPUT_GIGAWORDS) << 32) | u32_or0(attr::ACCT_OUTPUT_OCTETS),
        packets_in: req.attr_u32(attr::ACCT_INPUT_PACKETS).unwrap_or(0),
        packets_out: req.attr_u32(attr::ACCT_OUTPUT_PACKETS).unwrap_or(0),
    };
    let delay = i64::from(req.attr_u32(attr::ACCT_DELAY_TIME).unwrap_or(0));
    let framed_ip = req.attr(attr::FRAMED_IP_ADDRESS).and_then(|v| <[u8; 4]>::try_from(v).ok()).map(Ipv4Addr::from);
    let ipv6 = crate::model::SessionV6 {
        address: req.attr(attr::FRAMED_IPV6_ADDRESS).and_then(|v| <[u8; 16]>::try_from(v).ok()).map(Ipv6Addr::from),
        prefix: req.attr(attr::FRAMED_IPV6_PREFIX).and_then(ipv6_prefix),
        delegated: req.attr(attr::DELEGATED_IPV6_PREFIX).and_then(ipv6_prefix),
    }
    .or_none();
    Ok(Some(AcctRecord {
        tenant: nas.tenant.id,
        nas: nas.nas.id,
        status,
        session_id,
        username: text(attr::USER_NAME).unwrap_or_default(),
        framed_ip,
        calling_station_id: text(attr::CALLING_STATION_ID),
        nas_port_id: text(attr::NAS_PORT_ID),
        counters,
        terminate_cause: req.attr_u32(attr::ACCT_TERMINATE_CAUSE),
        event_time: now - delay,
        nas_ip: Some(src.to_canonical()),
        ipv6,
    }))
}

/// An IPv6 prefix attribute (RFC 3162 §2.3, RFC 4818): a reserved byte,
/// the length, then as many bytes of the prefix as the length needs (up
/// to 16). None when malformed.
pub fn ipv6_prefix(v: &[u8]) -> Option<crate::model::Ipv6Net> {
    let (&len, rest) = v.get(1..)?.split_first()?;
    if len > 128 || rest.len() > 16 || rest.len() * 8 < usize::from(len) {
        return None;
    }
    let mut b = [0u8; 16];
    b[..rest.len()].copy_from_slice(rest);
    crate::model::Ipv6Net::new(Ipv6Addr::from(b), len)
}

/// Build the Accounting-Response for a committed job.
pub fn response(job: &Job) -> Option<Vec<u8>> {
    let mut b = Builder::new(Code::AccountingResponse, job.key.identifier);
    for v in &job.proxy_state {
        // Values came from a decoded attribute, so they fit.
        let _ = b.add(attr::PROXY_STATE, v);
    }
    match b.finish_accounting_response(&job.key.authenticator, &job.secret.secret) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode Accounting-Response");
            None
        }
    }
}

pub fn proxy_states(req: &Packet<'_>) -> Vec<Vec<u8>> {
    req.attributes().filter(|(t, _)| *t == attr::PROXY_STATE).map(|(_, v)| v.to_vec()).collect()
}

/// Fold journaled records into redb at least this often under load, or
/// once [`Limits::fold_max`] are waiting.
const FOLD_EVERY: Duration = Duration::from_millis(200);
/// Journaled batches the fold may have queued beyond what it holds.
const FOLD_QUEUE: usize = 2;

/// How much the accounting path holds in memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Records appended to the journal with one fdatasync.
    pub max_batch: usize,
    /// Journaled records the fold holds before it applies them; at most
    /// [`FOLD_QUEUE`] more batches wait behind them, then the writer waits.
    pub fold_max: usize,
}
/// Make folded state durable in redb at least this often (the journal
/// covers the gap; this bounds replay time after a crash).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
/// A small batch after this long without traffic means the server is not
/// busy: fold before acknowledging, so a client that reads right after its
/// Start (an Access-Request checking simultaneous use) sees it.
const QUIET_BATCH: usize = 4;
const QUIET_GAP: Duration = Duration::from_millis(50);

/// Work for the folder thread: journaled records (and, for the quiet path,
/// a way to say when they are in redb).
struct FoldJob {
    records: Vec<AcctRecord>,
    upto: JournalPos,
    done: Option<mpsc::Sender<()>>,
}

/// The accounting writer. Runs until every sender is dropped.
///
/// Each batch (whatever is queued, up to `max_batch`) is appended to the
/// journal with one fdatasync; then its responses are released. A second
/// thread folds journaled records into redb in large transactions without
/// fsync, with a durable checkpoint every few seconds; recovery replays the
/// journal past the last checkpoint. Without a journal directory
/// (in-memory store) each batch is committed durably before its responses.
pub fn writer(r: Arc<Radius>, jobs: mpsc::Receiver<Job>, socket: std::net::UdpSocket, limits: Limits) {
    let max_batch = limits.max_batch;
    let out = &mut Replies { socket, sender: udp::Sender::new(256), buf: Vec::new() };
    let Some(dir) = r.store.journal_dir().map(std::path::Path::to_path_buf) else {
        return writer_without_journal(&r, &jobs, out, max_batch);
    };
    let newest = journal::generations(&dir).map(|g| g.last().copied().unwrap_or(0));
    let mut journal = match newest.and_then(|n| Journal::create(&dir, n)) {
        Ok(j) => j,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the accounting journal; accounting is not served");
            return;
        }
    };
    let durable = Arc::new(std::sync::Mutex::new(JournalPos::default()));
    let (fold_tx, fold_rx) = mpsc::sync_channel::<FoldJob>(FOLD_QUEUE);
    let folder = {
        let (r, durable) = (r.clone(), durable.clone());
        std::thread::Builder::new()
            .name("lango-acct-fold".into())
            .spawn(move || folder(&r, &fold_rx, &durable, limits.fold_max))
            .expect("spawn accounting fold thread")
    };
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    let mut last_batch: Option<Instant> = None;
    let mut deleted_before = 0;
    while next_batch(&jobs, &mut batch, max_batch) {
        let quiet = batch.len() <= QUIET_BATCH && last_batch.is_none_or(|t| t.elapsed() >= QUIET_GAP);
        last_batch = Some(Instant::now());
        let records: Vec<AcctRecord> = batch.iter_mut().filter_map(|j| j.record.take()).collect();
        match journal.append(&records) {
            Ok(upto) => {
                let (done_tx, done_rx) = if quiet {
                    let (a, b) = mpsc::channel();
                    (Some(a), Some(b))
                } else {
                    (None, None)
                };
                if fold_tx.send(FoldJob { records, upto, done: done_tx }).is_err() {
                    tracing::error!("accounting fold thread has stopped");
                }
                if let Some(rx) = done_rx {
                    let _ = rx.recv_timeout(Duration::from_secs(1));
                }
                acknowledge(&r, &mut batch, out);
            }
            Err(e) => {
                tracing::error!(error = %e, records = batch.len(), "accounting journal write failed; not acknowledged");
                refuse(&r, &mut batch);
            }
        }
        if let Err(e) = journal.rotate_if_large() {
            tracing::error!(error = %e, "accounting journal rotation failed");
        }
        // Files wholly before the durable position are no longer needed.
        let folded = durable.lock().unwrap_or_else(|e| e.into_inner()).generation;
        if folded > deleted_before {
            match journal.delete_before(folded) {
                Ok(()) => deleted_before = folded,
                Err(e) => tracing::error!(error = %e, "removing old accounting journal files failed"),
            }
        }
    }
    drop(fold_tx);
    let _ = folder.join();
}

/// The fold loop: gathers journaled records and applies them to redb.
fn folder(r: &Radius, jobs: &mpsc::Receiver<FoldJob>, durable: &std::sync::Mutex<JournalPos>, fold_max: usize) {
    let mut pending: Vec<AcctRecord> = Vec::new();
    let mut waiters: Vec<mpsc::Sender<()>> = Vec::new();
    let mut upto = JournalPos::default();
    let mut since = Instant::now();
    let mut durable_at = Instant::now();
    let mut dirty = false;
    loop {
        let wait = if pending.is_empty() && !dirty {
            Duration::from_secs(3600)
        } else {
            FOLD_EVERY.saturating_sub(since.elapsed())
        };
        let disconnected = match jobs.recv_timeout(wait) {
            Ok(job) => {
                if pending.is_empty() {
                    since = Instant::now();
                }
                pending.extend(job.records);
                upto = job.upto;
                waiters.extend(job.done);
                while pending.len() < fold_max {
                    let Ok(more) = jobs.try_recv() else { break };
                    pending.extend(more.records);
                    upto = more.upto;
                    waiters.extend(more.done);
                }
                false
            }
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            Err(mpsc::RecvTimeoutError::Disconnected) => true,
        };
        let due = pending.len() >= fold_max || since.elapsed() >= FOLD_EVERY || !waiters.is_empty() || disconnected;
        if due && !pending.is_empty() {
            if fold(r, &mut pending, upto, false) {
                dirty = true;
            } else if !disconnected {
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
        let idle = pending.is_empty();
        if dirty && idle && (durable_at.elapsed() >= CHECKPOINT_EVERY || disconnected) {
            match r.store.checkpoint(upto) {
                Ok(()) => {
                    dirty = false;
                    durable_at = Instant::now();
                    *durable.lock().unwrap_or_else(|e| e.into_inner()) = upto;
                }
                Err(e) => tracing::error!(error = %e, "accounting checkpoint failed; will retry"),
            }
        }
        if disconnected && idle && !dirty {
            return;
        }
        if disconnected && !idle {
            // The fold failed while shutting down; the journal keeps the
            // records and the next start replays them.
            return;
        }
    }
}

/// Block for one job, then take whatever else is queued, up to `max`.
/// False when every sender is gone.
fn next_batch(jobs: &mpsc::Receiver<Job>, batch: &mut Vec<Job>, max: usize) -> bool {
    let Ok(first) = jobs.recv() else { return false };
    batch.push(first);
    while batch.len() < max {
        match jobs.try_recv() {
            Ok(j) => batch.push(j),
            Err(_) => break,
        }
    }
    true
}

fn writer_without_journal(r: &Radius, jobs: &mpsc::Receiver<Job>, out: &mut Replies, max_batch: usize) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    while next_batch(jobs, &mut batch, max_batch) {
        let mut records: Vec<AcctRecord> = batch.iter_mut().filter_map(|j| j.record.take()).collect();
        if fold(r, &mut records, JournalPos::default(), true) {
            acknowledge(r, &mut batch, out);
        } else {
            refuse(r, &mut batch);
        }
    }
}

/// Apply records to redb. On failure they stay in `records` (they are safe
/// in the journal, if there is one) and the caller retries.
fn fold(r: &Radius, records: &mut Vec<AcctRecord>, upto: JournalPos, durable: bool) -> bool {
    if records.is_empty() {
        return true;
    }
    let pos = (upto != JournalPos::default()).then_some(upto);
    match r.store.apply_accounting(records, pos, durable) {
        Ok(outcomes) => {
            Counters::inc(&r.counters.acct_commits);
            for (rec, o) in records.iter().zip(&outcomes) {
                if *o == AcctOutcome::Duplicate {
                    Counters::inc(&r.counters.acct_duplicates);
                }
                r.online.apply(rec.tenant, o);
            }
            records.clear();
            true
        }
        Err(e) => {
            tracing::error!(error = %e, records = records.len(), "accounting fold into the database failed; will retry");
            false
        }
    }
}

/// Where Accounting-Responses go out: the accounting socket, in batches.
struct Replies {
    socket: std::net::UdpSocket,
    sender: udp::Sender,
    buf: Vec<(Vec<u8>, SocketAddr)>,
}

fn acknowledge(r: &Radius, batch: &mut Vec<Job>, out: &mut Replies) {
    let now = Instant::now();
    out.buf.clear();
    for job in batch.drain(..) {
        if let Some(bytes) = response(&job) {
            r.cache.put(job.key, bytes.clone(), now);
            Counters::inc(&r.counters.acct_responses);
            out.buf.push((bytes, job.key.src));
        }
    }
    out.sender.send(&out.socket, &out.buf);
}

/// Nothing of the batch is stored, so nothing is acknowledged: the NAS
/// retransmits and a later batch stores it.
fn refuse(r: &Radius, batch: &mut Vec<Job>) {
    for _ in batch.drain(..) {
        Counters::inc(&r.counters.dropped_store_error);
    }
}

/// Accounting-Request intake, called from the socket task: validates and
/// queues. Returns a reply to send at once only for Status-Server.
pub fn intake(r: &Radius, nas: &Arc<NasEntry>, req: &Packet<'_>, key: RequestKey, jobs: &mpsc::SyncSender<Job>) {
    Counters::inc(&r.counters.acct_requests);
    let rec = match record(nas, req, r.clock.now(), key.src.ip()) {
        Ok(rec) => rec,
        Err(RecordError::MissingAttribute(name)) => {
            tracing::debug!(attribute = name, "accounting request dropped: attribute missing");
            Counters::inc(&r.counters.dropped_missing_attribute);
            return;
        }
    };
    let job = Job { record: rec, key, secret: nas.clone(), proxy_state: proxy_states(req) };
    match jobs.try_send(job) {
        Ok(()) => {}
        // Not acknowledged, so nothing is lost: the router sends it again.
        Err(mpsc::TrySendError::Full(_)) => Counters::inc(&r.counters.dropped_acct_queue_full),
        Err(mpsc::TrySendError::Disconnected(_)) => tracing::error!("accounting writer has stopped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radius::codec::Builder;
    use crate::radius::server::handle_acct_datagram;

    fn start(session: &str) -> Vec<u8> {
        let mut b = Builder::new(Code::AccountingRequest, 7);
        b.add_u32(attr::ACCT_STATUS_TYPE, acct_status::START)
            .unwrap()
            .add_str(attr::USER_NAME, "demo1")
            .unwrap()
            .add_str(attr::ACCT_SESSION_ID, session)
            .unwrap();
        b.finish_signed_request(crate::demo::NAS_SECRET.as_bytes()).unwrap()
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_growing() {
        let store = Arc::new(crate::store::Store::in_memory().unwrap());
        crate::demo::seed(&store, 1_800_000_000, 0).unwrap();
        let budget = crate::config::Budget::new(32, None);
        let r = Radius::new(store, crate::clock::Clock::System, Duration::from_secs(30), &budget).unwrap();
        let (tx, rx) = mpsc::sync_channel::<Job>(2);
        let src: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        for i in 0..5 {
            assert_eq!(handle_acct_datagram(&r, &start(&format!("s{i}")), src, &tx), None);
        }
        assert_eq!(rx.try_iter().count(), 2, "the queue holds what it was sized for");
        assert_eq!(r.counters.dropped_acct_queue_full.load(std::sync::atomic::Ordering::Relaxed), 3);
        assert_eq!(r.counters.acct_requests.load(std::sync::atomic::Ordering::Relaxed), 5);
        // Room again: the router's retransmission is taken.
        assert_eq!(handle_acct_datagram(&r, &start("s4"), src, &tx), None);
        assert_eq!(rx.try_iter().count(), 1);
    }
}
