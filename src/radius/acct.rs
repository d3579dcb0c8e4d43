//! Accounting-Request: decode into an [`AcctRecord`], hand it to the
//! group-commit writer, and send the Accounting-Response only after the
//! record's transaction is durably committed.
//!
//! The writer is one OS thread: it blocks for the first record, takes every
//! record already queued (up to `group_commit_max`), applies them in one
//! redb transaction with one fsync, then releases all their responses.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use super::Radius;
use super::cache::RequestKey;
use super::codec::{Builder, Code, Packet};
use super::counters::Counters;
use super::dict::{acct_status, attr};
use super::directory::NasEntry;
use crate::model::Counters as SessionCounters;
use crate::store::accounting::{AcctOutcome, AcctRecord, AcctStatus};

/// A record waiting for its commit, with what is needed to answer it.
pub struct Job {
    pub record: Option<AcctRecord>,
    pub key: RequestKey,
    pub secret: Arc<NasEntry>,
    pub proxy_state: Vec<Vec<u8>>,
}

/// A reply ready to go out on the accounting socket.
pub type Outgoing = (Vec<u8>, SocketAddr);

/// Why a decoded Accounting-Request could not be turned into a record.
#[derive(Debug, PartialEq, Eq)]
pub enum RecordError {
    MissingAttribute(&'static str),
}

/// Decode the attributes that matter. `Ok(None)`: a status type we
/// acknowledge without storing (tunnel or failed-session accounting).
pub fn record(nas: &NasEntry, req: &Packet<'_>, now: i64) -> Result<Option<AcctRecord>, RecordError> {
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
    }))
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

/// The group-commit loop. Runs until every sender is dropped.
pub fn writer(
    r: Arc<Radius>,
    jobs: mpsc::Receiver<Job>,
    out: tokio::sync::mpsc::UnboundedSender<Outgoing>,
    max_batch: usize,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    let mut records: Vec<AcctRecord> = Vec::with_capacity(max_batch);
    while let Ok(first) = jobs.recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        records.clear();
        records.extend(batch.iter().filter_map(|j| j.record.clone()));
        let outcomes = if records.is_empty() { Ok(Vec::new()) } else { r.store.apply_accounting(&records) };
        match outcomes {
            Ok(outcomes) => {
                Counters::inc(&r.counters.acct_commits);
                for (rec, o) in records.iter().zip(&outcomes) {
                    if *o == AcctOutcome::Duplicate {
                        Counters::inc(&r.counters.acct_duplicates);
                    }
                    r.online.apply(rec.tenant, o);
                }
                let now = Instant::now();
                for job in batch.drain(..) {
                    if let Some(bytes) = response(&job) {
                        r.cache.put(job.key, bytes.clone(), now);
                        Counters::inc(&r.counters.acct_responses);
                        if out.send((bytes, job.key.src)).is_err() {
                            return;
                        }
                    }
                }
            }
            Err(e) => {
                // Nothing of the batch is stored, so nothing is acknowledged:
                // the NAS retransmits and a later batch stores it.
                tracing::error!(error = %e, records = batch.len(), "accounting commit failed; not acknowledged");
                for _ in batch.drain(..) {
                    Counters::inc(&r.counters.dropped_store_error);
                }
            }
        }
    }
}

/// Accounting-Request intake, called from the socket task: validates and
/// queues. Returns a reply to send at once only for Status-Server.
pub fn intake(r: &Radius, nas: &Arc<NasEntry>, req: &Packet<'_>, key: RequestKey, jobs: &mpsc::Sender<Job>) {
    Counters::inc(&r.counters.acct_requests);
    let rec = match record(nas, req, r.clock.now()) {
        Ok(rec) => rec,
        Err(RecordError::MissingAttribute(name)) => {
            tracing::debug!(attribute = name, "accounting request dropped: attribute missing");
            Counters::inc(&r.counters.dropped_missing_attribute);
            return;
        }
    };
    let job = Job { record: rec, key, secret: nas.clone(), proxy_state: proxy_states(req) };
    if jobs.send(job).is_err() {
        tracing::error!("accounting writer has stopped");
    }
}
