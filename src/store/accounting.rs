//! Accounting records applied to sessions and usage, many per transaction
//! (group commit), committed with `Durability::Immediate` before any
//! Accounting-Response is sent.
//!
//! Retransmissions are recognised by content, not by packet: a Start for an
//! open session, an Interim-Update whose counters equal the last ones, or a
//! Stop matching a recent stop mark is acknowledged and stored once.

mod enforce;
mod queries;
use enforce::{enforce_simultaneous_use, enforce_usage};
use redb::{Durability, ReadableTable, Table, WriteTransaction};
use std::net::Ipv4Addr;

use super::codec::{decode, encode};
use super::journal::{self, JournalPos};
use super::outbox::{SessionTarget, Task, TaskKind};
use super::tables::*;
use super::{StopMark, Store, StoreError, get, record};
use crate::model::*;

/// Acct-Status-Type, as far as storage cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AcctStatus {
    Start,
    Interim,
    Stop,
    /// Accounting-On or Accounting-Off: the NAS (re)started or is going
    /// down; all its sessions are over.
    NasReset,
}

/// One accounting request, decoded and attributed to a tenant and NAS.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AcctRecord {
    pub tenant: TenantId,
    pub nas: Id,
    pub status: AcctStatus,
    pub session_id: String,
    pub username: String,
    pub framed_ip: Option<Ipv4Addr>,
    pub calling_station_id: Option<String>,
    pub nas_port_id: Option<String>,
    pub counters: Counters,
    pub terminate_cause: Option<u32>,
    /// When the event happened: arrival time minus Acct-Delay-Time.
    pub event_time: UnixTime,
    /// The router's source address: where CoA and Disconnect go.
    pub nas_ip: Option<std::net::IpAddr>,
    /// Framed-IPv6-Address / -Prefix and Delegated-IPv6-Prefix, if sent.
    pub ipv6: Option<SessionV6>,
}

/// What applying a record did; the server updates its online index from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcctOutcome {
    Started {
        service: Option<Id>,
    },
    Updated,
    Stopped {
        service: Option<Id>,
    },
    Duplicate,
    /// Sessions closed by Accounting-On/Off, with their services.
    NasReset {
        closed: Vec<(String, Option<Id>)>,
    },
}

impl Store {
    /// Apply a batch of records in one transaction. `upto` is the journal
    /// position just past the batch, stored in the same transaction so that
    /// recovery replays exactly what this commit does not hold. With
    /// `durable` false the commit skips fsync (the journal already holds the
    /// records); a later durable commit makes it permanent. On error nothing
    /// of the batch is stored.
    pub fn apply_accounting(
        &self,
        records: &[AcctRecord],
        upto: Option<JournalPos>,
        durable: bool,
    ) -> Result<Vec<AcctOutcome>, StoreError> {
        let mut tx = self.write()?;
        tx.set_durability(if durable { Durability::Immediate } else { Durability::None })?;
        let mut out = Vec::with_capacity(records.len());
        {
            let mut t = Tables::open(&tx)?;
            for r in records {
                let outcome = apply_one(&mut t, r)?;
                // A site sends each record it stored to the hub.
                if t.mode == super::sync::Mode::Site && outcome != AcctOutcome::Duplicate {
                    t.capture(super::sync::Pending::Acct(encode(r)))?;
                }
                out.push(outcome);
            }
            if let Some(pos) = upto {
                t.seqs.insert("journal_gen", pos.generation);
                t.seqs.insert("journal_offset", pos.offset);
            }
            t.flush()?;
            t.agg.flush(&tx)?;
        }
        self.commit(tx)?;
        Ok(out)
    }

    /// Make every earlier commit durable, recording the journal position.
    pub fn checkpoint(&self, upto: JournalPos) -> Result<(), StoreError> {
        self.apply_accounting(&[], Some(upto), true).map(|_| ())
    }

    /// The journal position the database holds (what recovery starts from).
    pub fn journal_position(&self) -> Result<JournalPos, StoreError> {
        let tx = self.read()?;
        let meta = tx.open_table(META)?;
        let v = |k: &str| -> Result<u64, StoreError> { Ok(meta.get(k)?.map_or(0, |v| v.value())) };
        Ok(JournalPos { generation: v("journal_gen")?, offset: v("journal_offset")? })
    }

    /// Replay journal records the database does not hold yet (after a crash
    /// or kill -9), commit durably, and delete fully folded journal files.
    /// Returns how many records were replayed.
    pub fn recover_journal(&self, dir: &std::path::Path) -> Result<usize, StoreError> {
        let start = self.journal_position()?;
        let mut replayed = 0;
        let gens = journal::generations(dir)?;
        for &g in &gens {
            if g < start.generation {
                continue;
            }
            let from = if g == start.generation { start.offset } else { 0 };
            let entries = journal::read_from(dir, g, from)?;
            for chunk in entries.chunks(4096) {
                let records: Vec<AcctRecord> = chunk.iter().map(|(_, r)| r.clone()).collect();
                let pos = chunk.last().map(|(p, _)| *p);
                self.apply_accounting(&records, pos, false)?;
                replayed += records.len();
            }
            // A generation with nothing new still counts as folded.
            if entries.is_empty() && g > start.generation {
                self.apply_accounting(&[], Some(JournalPos { generation: g, offset: 0 }), false)?;
            }
        }
        let end = self.journal_position()?;
        self.checkpoint(end)?;
        for g in gens {
            if g < end.generation {
                let p = journal::file_name(dir, g);
                std::fs::remove_file(&p).map_err(|e| StoreError::Invalid(format!("removing {}: {e}", p.display())))?;
            }
        }
        if replayed > 0 {
            tracing::info!(records = replayed, "accounting journal replayed into the database");
        }
        Ok(replayed)
    }
}

/// Accounting another node stored and acted on (a site's, at the hub; the
/// primary's, at its standby), folded into `tx` the same way with no
/// router tasks and nothing captured to send on.
pub(crate) fn apply_replica(
    tx: &WriteTransaction,
    records: &[AcctRecord],
) -> Result<Vec<(TenantId, AcctOutcome)>, StoreError> {
    let mut t = Tables::open(tx)?;
    t.replica = true;
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        out.push((r.tenant, apply_one(&mut t, r)?));
    }
    t.flush()?;
    t.agg.flush(tx)?;
    Ok(out)
}

/// Every table accounting touches, opened once per batch.
struct Tables<'txn> {
    active: Table<'txn, (u32, u64, &'static str), &'static [u8]>,
    stops: Table<'txn, (u32, u64, &'static str), &'static [u8]>,
    by_user: Table<'txn, (u32, &'static str), u64>,
    by_mac: Table<'txn, (u32, u64), u64>,
    services: Table<'txn, (u32, u64), &'static [u8]>,
    plans: Table<'txn, (u32, u64), &'static [u8]>,
    tenants: Table<'txn, u32, &'static [u8]>,
    usage: Table<'txn, (u32, u64), &'static [u8]>,
    history: Table<'txn, (u32, u64), &'static [u8]>,
    history_by_service: Table<'txn, (u32, u64, u64), ()>,
    by_service: Table<'txn, (u32, u64, i64, u64, &'static str), ()>,
    by_ip: Table<'txn, (u32, u32, u64, &'static str), ()>,
    by_ipv6: Table<'txn, (u128, u8, u32, u64, &'static str), ()>,
    outbox: Table<'txn, u64, &'static [u8]>,
    audit: Table<'txn, (u32, u64), &'static [u8]>,
    meta: Table<'txn, &'static str, u64>,
    webhooks: Table<'txn, (u32, u64), &'static [u8]>,
    customer_reseller: Table<'txn, (u32, u64), u64>,
    due: Table<'txn, (i64, u32, u64), ()>,
    due_at: Table<'txn, (u32, u64), i64>,
    reseller_customers: Table<'txn, (u32, u64, u64), ()>,
    /// The reports' traffic and session counts of this batch.
    agg: super::reports::FoldAgg,
    /// Per tenant: does any webhook want session events?
    session_hooks: std::collections::HashMap<TenantId, bool>,
    /// Usage rows and counters changed in this batch, written once at the
    /// end: each B-tree insert rebuilds a 4 KiB leaf, so a service with
    /// several records in a batch should cost one.
    usage_dirty: std::collections::HashMap<(TenantId, Id), Usage>,
    seqs: std::collections::HashMap<&'static str, u64>,
    /// Each tenant's plan limits, read once per batch: enforcement runs on
    /// every interim, and most plans have neither quota nor FUP.
    limits: std::collections::HashMap<TenantId, TenantLimits>,
    /// This node's part in a deployment (store/sync.rs).
    mode: super::sync::Mode,
    /// Records another node already acted on (replication): no router
    /// tasks are queued for them.
    replica: bool,
    /// `SYNC_OUT`, open when this node is part of a deployment.
    sync_out: Option<Table<'txn, u64, &'static [u8]>>,
}

/// What enforcement needs of a tenant's plans.
#[derive(Default)]
struct TenantLimits {
    by_plan: std::collections::HashMap<Id, Limits>,
    any_usage_limit: bool,
    any_kick_oldest: bool,
}

#[derive(Clone, Copy)]
struct Limits {
    quota_bytes: Option<u64>,
    fup: Option<Fup>,
    simultaneous_use: u32,
    kick_oldest: bool,
}

impl<'txn> Tables<'txn> {
    fn open(tx: &'txn WriteTransaction) -> Result<Self, StoreError> {
        let mode = super::sync::mode_in(tx)?;
        Ok(Tables {
            active: tx.open_table(SESSIONS_ACTIVE)?,
            stops: tx.open_table(RECENT_STOPS)?,
            by_user: tx.open_table(SERVICE_BY_USERNAME)?,
            by_mac: tx.open_table(SERVICE_BY_MAC)?,
            services: tx.open_table(SERVICES)?,
            plans: tx.open_table(PLANS)?,
            tenants: tx.open_table(TENANTS)?,
            usage: tx.open_table(USAGE)?,
            history: tx.open_table(SESSION_HISTORY)?,
            history_by_service: tx.open_table(HISTORY_BY_SERVICE)?,
            by_service: tx.open_table(SESSIONS_BY_SERVICE)?,
            by_ip: tx.open_table(SESSION_BY_IP)?,
            by_ipv6: tx.open_table(SESSION_BY_IPV6)?,
            outbox: tx.open_table(OUTBOX)?,
            audit: tx.open_table(AUDIT)?,
            meta: tx.open_table(META)?,
            webhooks: tx.open_table(WEBHOOKS)?,
            customer_reseller: tx.open_table(CUSTOMER_RESELLER)?,
            due: tx.open_table(SERVICE_DUE)?,
            due_at: tx.open_table(SERVICE_DUE_AT)?,
            reseller_customers: tx.open_table(RESELLER_CUSTOMERS)?,
            agg: Default::default(),
            session_hooks: Default::default(),
            usage_dirty: Default::default(),
            seqs: Default::default(),
            limits: Default::default(),
            mode,
            replica: false,
            sync_out: match mode {
                super::sync::Mode::Standalone => None,
                _ => Some(tx.open_table(SYNC_OUT)?),
            },
        })
    }

    /// Record a session event in the audit log when a webhook of the
    /// tenant wants it (otherwise sessions stay out of the audit log).
    fn session_event(&mut self, s: &Session, action: &str) -> Result<(), StoreError> {
        let wanted = match self.session_hooks.get(&s.tenant) {
            Some(&w) => w,
            None => {
                let mut w = false;
                for ep in super::tenant_rows::<WebhookEndpoint>(&self.webhooks, s.tenant)? {
                    w |= ep.enabled && (ep.events.is_empty() || ep.events.iter().any(|e| e.starts_with("session.")));
                }
                self.session_hooks.insert(s.tenant, w);
                w
            }
        };
        if !wanted {
            return Ok(());
        }
        let at = s.stopped_at.unwrap_or(s.updated_at);
        let object = format!("session/{}/{}", s.nas, s.acct_session_id);
        self.audit(s.tenant, &record(at, "radius", action, object, None, super::json(s)))
    }

    fn tenant_limits(&mut self, tenant: TenantId) -> Result<&TenantLimits, StoreError> {
        if !self.limits.contains_key(&tenant) {
            let mut l = TenantLimits::default();
            for p in super::tenant_rows::<Plan>(&self.plans, tenant)? {
                l.any_usage_limit |= p.quota_bytes.is_some() || p.fup.is_some();
                l.any_kick_oldest |= p.kick_oldest;
                let limits = Limits {
                    quota_bytes: p.quota_bytes,
                    fup: p.fup,
                    simultaneous_use: p.simultaneous_use,
                    kick_oldest: p.kick_oldest,
                };
                l.by_plan.insert(p.id, limits);
            }
            self.limits.insert(tenant, l);
        }
        Ok(&self.limits[&tenant])
    }

    /// The limits of `service`'s plan.
    fn limits_of(&mut self, tenant: TenantId, service: Id) -> Result<Option<Limits>, StoreError> {
        let Some(s): Option<Service> = get(&self.services, (tenant, service))? else { return Ok(None) };
        Ok(self.tenant_limits(tenant)?.by_plan.get(&s.plan).copied())
    }

    fn next_seq(&mut self, name: &'static str) -> Result<u64, StoreError> {
        let current = match self.seqs.get(name) {
            Some(v) => *v,
            None => self.meta.get(name)?.map_or(0, |v| v.value()),
        };
        self.seqs.insert(name, current + 1);
        Ok(current + 1)
    }

    fn usage(&mut self, key: (TenantId, Id)) -> Result<&mut Usage, StoreError> {
        if !self.usage_dirty.contains_key(&key) {
            let u: Usage = get(&self.usage, key)?.unwrap_or_default();
            self.usage_dirty.insert(key, u);
        }
        Ok(self.usage_dirty.get_mut(&key).expect("inserted above"))
    }

    /// Write what the batch kept in memory.
    fn flush(&mut self) -> Result<(), StoreError> {
        for (key, u) in self.usage_dirty.drain() {
            self.usage.insert(key, encode(&u).as_slice())?;
        }
        for (name, v) in self.seqs.drain() {
            self.meta.insert(name, v)?;
        }
        Ok(())
    }

    /// Same as `outbox::enqueue`, with the tables this batch already holds.
    fn enqueue(&mut self, tenant: TenantId, kind: TaskKind, now: UnixTime) -> Result<(), StoreError> {
        if self.replica || self.mode == super::sync::Mode::Hub {
            return Ok(());
        }
        let seq = self.next_seq("outbox_seq")?;
        self.outbox.insert(seq, encode(&Task::new(tenant, kind, now)).as_slice())?;
        Ok(())
    }

    /// Same as `sync::capture`, with the tables this batch already holds.
    fn capture(&mut self, p: super::sync::Pending) -> Result<(), StoreError> {
        let seq = self.next_seq("sync_seq")?;
        let Some(out) = self.sync_out.as_mut() else { return Ok(()) };
        out.insert(seq, encode(&super::sync::Captured::now(p)).as_slice())?;
        Ok(())
    }

    /// Same as `store::audit`, with the tables this batch already holds.
    fn audit(&mut self, tenant: TenantId, record: &AuditRecord) -> Result<(), StoreError> {
        // A service the fold changed at a hub (first use of a voucher that
        // a site reported) goes out to every site.
        if self.mode == super::sync::Mode::Hub
            && let Some((kind, id)) = super::sync::hub_owned(&record.action, &record.object)
        {
            self.capture(super::sync::Pending::Entity { tenant, kind, id })?;
        }
        let seq = self.next_seq("audit_seq")?;
        self.audit.insert((tenant, seq), encode(record).as_slice())?;
        Ok(())
    }
}

fn apply_one(t: &mut Tables<'_>, r: &AcctRecord) -> Result<AcctOutcome, StoreError> {
    if r.status == AcctStatus::NasReset {
        return close_all_of_nas(t, r);
    }
    let key = (r.tenant, r.nas, r.session_id.as_str());
    let existing: Option<Session> = get(&t.active, key)?;

    match (r.status, existing) {
        (AcctStatus::Start, Some(_)) => Ok(AcctOutcome::Duplicate),
        (AcctStatus::Start, None) => {
            t.stops.remove(key)?;
            let service = resolve_service(t, r)?;
            if let Some(id) = service {
                activate_on_first_use(t, r, id)?;
            }
            let s = new_session(r, service, Counters::default());
            t.active.insert(key, encode(&s).as_slice())?;
            index_session(t, &s, true)?;
            enforce_simultaneous_use(t, &s)?;
            t.session_event(&s, "session.start")?;
            count_start(t, r);
            Ok(AcctOutcome::Started { service })
        }
        (AcctStatus::Interim, Some(mut s)) => {
            if s.counters == r.counters || is_stale(&r.counters, &s.counters) {
                return Ok(AcctOutcome::Duplicate);
            }
            let crossed = add_usage(t, r, s.service, &s.counters, &r.counters)?;
            let (was_ip, was_v6) = (s.framed_ip, s.ipv6);
            update_session(&mut s, r);
            if s.framed_ip != was_ip || s.ipv6 != was_v6 {
                index_ip(t, &Session { framed_ip: was_ip, ipv6: was_v6, ..s.clone() }, false)?;
                index_ip(t, &s, true)?;
            }
            t.active.insert(key, encode(&s).as_slice())?;
            enforce_usage(t, &s, crossed)?;
            Ok(AcctOutcome::Updated)
        }
        (AcctStatus::Interim, None) => {
            if t.stops.get(key)?.is_some() {
                // A late interim for a session that already stopped.
                return Ok(AcctOutcome::Duplicate);
            }
            // Missed the Start (lango was down, or the packet was lost):
            // open the session from the interim.
            let service = resolve_service(t, r)?;
            let crossed = add_usage(t, r, service, &Counters::default(), &r.counters)?;
            let mut s = new_session(r, service, r.counters);
            s.started_at = r.event_time - i64::from(r.counters.session_time);
            t.active.insert(key, encode(&s).as_slice())?;
            index_session(t, &s, true)?;
            enforce_usage(t, &s, crossed)?;
            count_start(t, r);
            Ok(AcctOutcome::Started { service })
        }
        (AcctStatus::Stop, Some(mut s)) => {
            add_usage(t, r, s.service, &s.counters, &r.counters)?;
            update_session(&mut s, r);
            s.stopped_at = Some(r.event_time);
            s.terminate_cause = r.terminate_cause;
            t.active.remove(key)?;
            index_session(t, &s, false)?;
            t.stops.insert(key, encode(&StopMark { at: r.event_time, counters: r.counters }).as_slice())?;
            let service = s.service;
            to_history(t, &s)?;
            t.session_event(&s, "session.stop")?;
            Ok(AcctOutcome::Stopped { service })
        }
        (AcctStatus::Stop, None) => {
            if let Some(mark) = t.stops.get(key)? {
                let mark: StopMark = decode(mark.value())?;
                if mark.counters == r.counters {
                    return Ok(AcctOutcome::Duplicate);
                }
            }
            // A Stop without a Start: record it whole.
            let service = resolve_service(t, r)?;
            add_usage(t, r, service, &Counters::default(), &r.counters)?;
            let mut s = new_session(r, service, r.counters);
            s.started_at = r.event_time - i64::from(r.counters.session_time);
            s.stopped_at = Some(r.event_time);
            s.terminate_cause = r.terminate_cause;
            t.stops.insert(key, encode(&StopMark { at: r.event_time, counters: r.counters }).as_slice())?;
            to_history(t, &s)?;
            Ok(AcctOutcome::Stopped { service: None })
        }
        (AcctStatus::NasReset, _) => unreachable!("handled above"),
    }
}

/// An Interim-Update older than what the session holds: its session time
/// and byte counts are all behind. It arrives when two nodes fold the same
/// session (a standby that took over, whose primary's late records reach
/// the hub after the standby's) and is acknowledged without being counted.
fn is_stale(r: &Counters, held: &Counters) -> bool {
    r.session_time < held.session_time && r.bytes_in <= held.bytes_in && r.bytes_out <= held.bytes_out
}

fn new_session(r: &AcctRecord, service: Option<Id>, counters: Counters) -> Session {
    Session {
        tenant: r.tenant,
        nas: r.nas,
        acct_session_id: r.session_id.clone(),
        service,
        username: r.username.clone(),
        framed_ip: r.framed_ip,
        calling_station_id: r.calling_station_id.clone(),
        nas_port_id: r.nas_port_id.clone(),
        started_at: r.event_time,
        updated_at: r.event_time,
        stopped_at: None,
        counters,
        terminate_cause: None,
        nas_ip: r.nas_ip,
        ipv6: r.ipv6,
    }
}

fn update_session(s: &mut Session, r: &AcctRecord) {
    s.counters = r.counters;
    s.updated_at = r.event_time;
    if r.nas_ip.is_some() {
        s.nas_ip = r.nas_ip;
    }
    if r.framed_ip.is_some() {
        s.framed_ip = r.framed_ip;
    }
    if r.ipv6.is_some() {
        s.ipv6 = r.ipv6;
    }
}

fn resolve_service(t: &Tables<'_>, r: &AcctRecord) -> Result<Option<Id>, StoreError> {
    if let Some(id) = t.by_user.get((r.tenant, r.username.as_str()))? {
        return Ok(Some(id.value()));
    }
    let Some(mac) = Mac::parse(&r.username).or_else(|| r.calling_station_id.as_deref().and_then(Mac::parse)) else {
        return Ok(None);
    };
    Ok(t.by_mac.get((r.tenant, mac.0))?.map(|v| v.value()))
}

/// A voucher's validity starts with its first session.
fn activate_on_first_use(t: &mut Tables<'_>, r: &AcctRecord, id: Id) -> Result<(), StoreError> {
    let Some(mut s): Option<Service> = get(&t.services, (r.tenant, id))? else { return Ok(()) };
    if !s.activate_on_first_use || s.expires_at.is_some() {
        return Ok(());
    }
    let Some(plan): Option<Plan> = get(&t.plans, (r.tenant, s.plan))? else { return Ok(()) };
    let zone = match get::<_, Tenant>(&t.tenants, r.tenant)? {
        Some(tenant) => crate::clock::Clock::zone(&tenant.timezone),
        None => jiff::tz::TimeZone::UTC,
    };
    let expires = crate::billing::period_end(r.event_time, &plan.validity, plan.anchor, &zone)
        .unwrap_or_else(|_| r.event_time.saturating_add(plan.nominal_secs() as i64));
    s.period_start = Some(r.event_time);
    s.run_start = Some(r.event_time);
    s.expires_at = Some(expires);
    // A voucher that binds to its first device keeps that device's MAC;
    // the MAC index lets the device log in again by MAC (hotspot cookie).
    if s.voucher.is_some_and(|v| v.bind_mac)
        && s.mac.is_none()
        && let Some(mac) = r.calling_station_id.as_deref().and_then(Mac::parse)
    {
        s.mac = Some(mac);
        if t.by_mac.get((r.tenant, mac.0))?.is_none() {
            t.by_mac.insert((r.tenant, mac.0), id)?;
        }
    }
    t.services.insert((r.tenant, id), encode(&s).as_slice())?;
    super::due::file_in(&mut t.due, &mut t.due_at, r.tenant, id, super::due::first_due(&s))?;
    let rec = record(
        r.event_time,
        "radius",
        "service.first_use",
        format!("service/{id}"),
        None,
        Some(format!("expires_at={expires}")),
    );
    t.audit(r.tenant, &rec)
}

/// Count a session start for the reports.
fn count_start(t: &mut Tables<'_>, r: &AcctRecord) {
    let read = super::reports::FoldTables {
        tenants: &t.tenants,
        services: &t.services,
        customer_reseller: &t.customer_reseller,
        reseller_customers: &t.reseller_customers,
    };
    t.agg.started(&read, r.tenant, r.nas, r.event_time);
}

/// Count the growth of a session's counters against its service's usage.
/// Counters that went backwards (NAS restarted the count) add nothing.
/// Returns the service's total bytes before and after.
fn add_usage(
    t: &mut Tables<'_>,
    r: &AcctRecord,
    service: Option<Id>,
    before: &Counters,
    after: &Counters,
) -> Result<(u64, u64), StoreError> {
    let bytes_in = after.bytes_in.saturating_sub(before.bytes_in);
    let bytes_out = after.bytes_out.saturating_sub(before.bytes_out);
    let read = super::reports::FoldTables {
        tenants: &t.tenants,
        services: &t.services,
        customer_reseller: &t.customer_reseller,
        reseller_customers: &t.reseller_customers,
    };
    t.agg.traffic(&read, r.tenant, r.nas, service, r.event_time, bytes_in, bytes_out)?;
    let Some(id) = service else { return Ok((0, 0)) };
    let u = t.usage((r.tenant, id))?;
    let was = u.total_bytes();
    u.bytes_in += bytes_in;
    u.bytes_out += bytes_out;
    u.seconds += u64::from(after.session_time.saturating_sub(before.session_time));
    Ok((was, u.total_bytes()))
}

/// Keep SESSIONS_BY_SERVICE and SESSION_BY_IP in step with the active table.
fn index_session(t: &mut Tables<'_>, s: &Session, online: bool) -> Result<(), StoreError> {
    index_ip(t, s, online)?;
    let Some(service) = s.service else { return Ok(()) };
    let key = (s.tenant, service, s.started_at, s.nas, s.acct_session_id.as_str());
    if online {
        t.by_service.insert(key, ())?;
    } else {
        t.by_service.remove(key)?;
    }
    Ok(())
}

fn index_ip(t: &mut Tables<'_>, s: &Session, online: bool) -> Result<(), StoreError> {
    if let Some(v6) = &s.ipv6 {
        index_ipv6(&mut t.by_ipv6, s, v6, online)?;
    }
    let Some(ip) = s.framed_ip else { return Ok(()) };
    let key = (u32::from(ip), s.tenant, s.nas, s.acct_session_id.as_str());
    if online {
        t.by_ip.insert(key, ())?;
    } else {
        t.by_ip.remove(key)?;
    }
    Ok(())
}

/// Keep SESSION_BY_IPV6 in step: one row per address or prefix.
pub(crate) fn index_ipv6(
    table: &mut Table<'_, (u128, u8, u32, u64, &'static str), ()>,
    s: &Session,
    v6: &SessionV6,
    online: bool,
) -> Result<(), StoreError> {
    for net in v6.nets() {
        let key = (net.network(), net.len, s.tenant, s.nas, s.acct_session_id.as_str());
        if online {
            table.insert(key, ())?;
        } else {
            table.remove(key)?;
        }
    }
    Ok(())
}

fn to_history(t: &mut Tables<'_>, s: &Session) -> Result<(), StoreError> {
    let seq = t.next_seq("history_seq")?;
    t.history.insert((s.tenant, seq), encode(s).as_slice())?;
    if let Some(service) = s.service {
        t.history_by_service.insert((s.tenant, service, seq), ())?;
    }
    Ok(())
}

fn close_all_of_nas(t: &mut Tables<'_>, r: &AcctRecord) -> Result<AcctOutcome, StoreError> {
    let mut sessions: Vec<Session> = Vec::new();
    for row in t.active.range((r.tenant, r.nas, "")..(r.tenant, r.nas + 1, ""))? {
        sessions.push(decode(row?.1.value())?);
    }
    let mut closed = Vec::with_capacity(sessions.len());
    for mut s in sessions {
        t.active.remove((r.tenant, r.nas, s.acct_session_id.as_str()))?;
        index_session(t, &s, false)?;
        s.stopped_at = Some(r.event_time);
        // RFC 2866 Acct-Terminate-Cause 11 = NAS-Reboot.
        s.terminate_cause = Some(11);
        to_history(t, &s)?;
        closed.push((s.acct_session_id.clone(), s.service));
    }
    if closed.is_empty() {
        return Ok(AcctOutcome::NasReset { closed });
    }
    let rec = record(
        r.event_time,
        "radius",
        "nas.accounting_reset",
        format!("nas/{}", r.nas),
        Some(format!("{} sessions open", closed.len())),
        Some("0 sessions open".into()),
    );
    t.audit(r.tenant, &rec)?;
    Ok(AcctOutcome::NasReset { closed })
}
