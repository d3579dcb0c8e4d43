//! The scheduler's periodic passes over the store: auto-renew from the
//! wallet, disconnects at expiry, stale sessions, unused-voucher expiry,
//! postpaid invoicing and overdue suspension. Each change is its own
//! transaction with its audit record, and each pass is safe to repeat: it
//! re-checks its condition inside the transaction, so a pass interrupted by
//! a restart and run again does nothing twice.

use redb::ReadableTable;

use super::billing::{NewDoc, issue_document, post, reconnect_sessions, tenant_zone};
use super::codec::{decode, encode};
use super::outbox::{SessionTarget, TaskKind};
use super::tables::*;
use super::{Store, StoreError, audit, get, record};
use crate::billing::{self, EntryKind, Mode};
use crate::model::*;

/// A service's expiry and plan: what the online-session pass needs of it.
type Term = (Option<UnixTime>, Id);

/// What one scheduler round did, for the log and the tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub renewed: usize,
    pub disconnects: usize,
    pub stale_closed: Vec<Session>,
    pub vouchers_expired: usize,
    pub invoices: usize,
    pub suspended: usize,
    /// Services whose expiry (with grace) passed since the last round.
    pub expired: usize,
}

fn plans_all(store: &Store) -> Result<std::collections::HashMap<(TenantId, Id), Plan>, StoreError> {
    let tx = store.read()?;
    let mut out = std::collections::HashMap::new();
    for row in tx.open_table(PLANS)?.iter()? {
        let p: Plan = decode(row?.1.value())?;
        out.insert((p.tenant, p.id), p);
    }
    Ok(out)
}

impl Store {
    /// One scheduler round at `now`. `already` holds sessions a Disconnect
    /// was queued for in an earlier round and not yet answered by a Stop;
    /// they are not queued again.
    pub fn scheduler_round(
        &self,
        now: UnixTime,
        stale_margin: i64,
        already: &mut std::collections::HashSet<(TenantId, Id, String)>,
    ) -> Result<Round, StoreError> {
        let mut round = Round::default();
        let plans = plans_all(self)?;
        // Only the services whose time has come (`due.rs`). A site leaves
        // billing (renewals, expiry, invoices, suspension) to the hub, whose
        // changes reach it; it still enforces expiry on its sessions below.
        let billing = self.sync_mode()? != super::sync::Mode::Site;
        let due = if billing { self.due_services(now)? } else { Vec::new() };
        let mut services = Vec::with_capacity(due.len());
        for &(tenant, id) in &due {
            if let Some(s) = self.service(tenant, id)? {
                services.push(s);
            }
        }

        let mut lapsed: Vec<(&Service, UnixTime)> = Vec::new();
        for s in &services {
            let Some(plan) = plans.get(&(s.tenant, s.plan)) else { continue };
            let Some(expiry) = s.expires_at else {
                if s.voucher.and_then(|v| v.unused_until).is_some_and(|u| u <= now) && s.status == ServiceStatus::Active
                {
                    round.vouchers_expired += self.expire_voucher(s.tenant, s.id, now)? as usize;
                }
                continue;
            };
            if expiry > now {
                continue;
            }
            if billing::cutoff(expiry, plan.grace_secs) <= now {
                lapsed.push((s, expiry));
            }
            match plan.mode {
                Mode::Postpaid { due_days } => {
                    round.invoices += self.invoice_postpaid(s.tenant, s.id, due_days, now)? as usize;
                }
                Mode::Prepaid if s.auto_renew && s.status == ServiceStatus::Active => {
                    if self.renew_service_from_wallet("scheduler", now, s.tenant, s.id, None)?.is_some() {
                        round.renewed += 1;
                    }
                }
                Mode::Prepaid => {}
            }
        }
        round.expired = self.note_expired(&lapsed, now)?;
        self.file_next(&due, &plans, now)?;
        round.suspended = if billing { self.suspend_overdue(now)? } else { 0 };

        // Sessions that began while their service was paid for and are
        // past its cutoff now. Sessions that began after the cutoff were
        // let in captive (or refused), and are left alone. One pass over the
        // online sessions in one read transaction, decoding one at a time
        // and keeping only a service's expiry and plan: the memory this
        // takes follows what needs doing, not how many are online.
        let mut to_disconnect = Vec::new();
        let mut stale = Vec::new();
        let mut live = std::collections::HashSet::new();
        {
            let tx = self.read()?;
            let sessions = tx.open_table(SESSIONS_ACTIVE)?;
            let services = tx.open_table(SERVICES)?;
            let mut terms: std::collections::HashMap<(TenantId, Id), Option<Term>> = std::collections::HashMap::new();
            for row in sessions.iter()? {
                let sess: Session = decode(row?.1.value())?;
                let key = (sess.tenant, sess.nas, sess.acct_session_id.clone());
                if already.contains(&key) {
                    live.insert(key.clone());
                }
                let Some(id) = sess.service else { continue };
                let term = match terms.entry((sess.tenant, id)) {
                    std::collections::hash_map::Entry::Occupied(e) => *e.get(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let svc: Option<Service> = get(&services, (sess.tenant, id))?;
                        *e.insert(svc.map(|s| (s.expires_at, s.plan)))
                    }
                };
                let Some((expires_at, plan)) = term else { continue };
                let Some(plan) = plans.get(&(sess.tenant, plan)) else { continue };
                if let Some(expiry) = expires_at {
                    let cutoff = billing::cutoff(expiry, plan.grace_secs);
                    if cutoff <= now && sess.started_at < cutoff && !already.contains(&key) {
                        to_disconnect.push((key, SessionTarget::of(&sess)));
                    }
                }
                let deadline = sess.updated_at + 2 * i64::from(plan.interim_interval) + stale_margin;
                if plan.interim_interval != 0 && deadline < now {
                    stale.push(sess);
                }
            }
        }
        already.retain(|k| live.contains(k));
        for (key, target) in to_disconnect {
            let kind = TaskKind::Disconnect { session: target, reason: "expired".into() };
            self.enqueue_task(key.0, kind, now)?;
            already.insert(key);
            round.disconnects += 1;
        }
        for sess in &stale {
            if let Some(closed) = self.close_stale(sess, now)? {
                round.stale_closed.push(closed);
            }
        }
        Ok(round)
    }

    /// File the services a round looked at under their next times, reading
    /// each inside the write transaction so that a payment or renewal
    /// committed meanwhile is not undone.
    fn file_next(
        &self,
        due: &[(TenantId, Id)],
        plans: &std::collections::HashMap<(TenantId, Id), Plan>,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        if due.is_empty() {
            return Ok(());
        }
        let tx = self.write()?;
        {
            let services = tx.open_table(SERVICES)?;
            let noted = tx.open_table(EXPIRY_NOTED)?;
            let (mut list, mut at) = (tx.open_table(SERVICE_DUE)?, tx.open_table(SERVICE_DUE_AT)?);
            for &(tenant, id) in due {
                let next = match get::<_, Service>(&services, (tenant, id))? {
                    Some(s) => {
                        let grace = plans.get(&(tenant, s.plan)).map_or(0, |p| p.grace_secs);
                        let seen = noted.get((tenant, id))?.is_some_and(|v| Some(v.value()) == s.expires_at);
                        super::due::next_due(&s, grace, seen, now)
                    }
                    None => None,
                };
                super::due::file_in(&mut list, &mut at, tenant, id, next)?;
            }
        }
        self.commit(tx)
    }

    /// Record once per expiry that these services expired (an audit
    /// record each, which also feeds the `service.expired` webhook): one
    /// read for the round, and a write only when something is new. A
    /// renewal moves the expiry, so the next expiry is recorded again.
    fn note_expired(&self, lapsed: &[(&Service, UnixTime)], now: UnixTime) -> Result<usize, StoreError> {
        let fresh: Vec<(&Service, UnixTime)> = {
            let tx = self.read()?;
            let noted = tx.open_table(EXPIRY_NOTED)?;
            let services = tx.open_table(SERVICES)?;
            let mut out = Vec::new();
            for &(s, expiry) in lapsed {
                // Renewed in this round (auto-renew): it did not lapse.
                let now_expires = get::<_, Service>(&services, (s.tenant, s.id))?.and_then(|s| s.expires_at);
                if now_expires == Some(expiry) && noted.get((s.tenant, s.id))?.is_none_or(|v| v.value() != expiry) {
                    out.push((s, expiry));
                }
            }
            out
        };
        if fresh.is_empty() {
            return Ok(0);
        }
        let tx = self.write()?;
        for &(s, expiry) in &fresh {
            tx.open_table(EXPIRY_NOTED)?.insert((s.tenant, s.id), expiry)?;
            if s.voucher.is_none() {
                let expired = [(super::reports::Metric::Expired, s.plan, 1)];
                super::reports::note(&tx, s.tenant, Some(s.customer), expiry, &expired)?;
            }
            let rec =
                record(now, "scheduler", "service.expired", format!("service/{}", s.id), None, super::shown_service(s));
            audit(&tx, s.tenant, &rec)?;
        }
        self.commit(tx)?;
        Ok(fresh.len())
    }

    /// Close a session the router stopped reporting on (RFC 2866
    /// Acct-Terminate-Cause 3, Lost-Service). None if it is gone already.
    fn close_stale(&self, s: &Session, now: UnixTime) -> Result<Option<Session>, StoreError> {
        let tx = self.write()?;
        let closed = {
            let key = (s.tenant, s.nas, s.acct_session_id.as_str());
            let mut active = tx.open_table(SESSIONS_ACTIVE)?;
            let Some(mut sess) = active.remove(key)?.map(|v| decode::<Session>(v.value())).transpose()? else {
                return Ok(None);
            };
            drop(active);
            if let Some(id) = sess.service {
                tx.open_table(SESSIONS_BY_SERVICE)?.remove((s.tenant, id, sess.started_at, s.nas, key.2))?;
            }
            if let Some(ip) = sess.framed_ip {
                tx.open_table(SESSION_BY_IP)?.remove((u32::from(ip), s.tenant, s.nas, key.2))?;
            }
            if let Some(v6) = &sess.ipv6 {
                super::accounting::index_ipv6(&mut tx.open_table(SESSION_BY_IPV6)?, &sess, v6, false)?;
            }
            sess.stopped_at = Some(now);
            sess.terminate_cause = Some(3);
            let seq = super::next_seq(&tx, "history_seq")?;
            tx.open_table(SESSION_HISTORY)?.insert((s.tenant, seq), encode(&sess).as_slice())?;
            if let Some(service) = sess.service {
                tx.open_table(HISTORY_BY_SERVICE)?.insert((s.tenant, service, seq), ())?;
            }
            let rec = record(
                now,
                "scheduler",
                "session.stale_closed",
                format!("session/{}/{}", s.nas, s.acct_session_id),
                Some(format!("last accounting at {}", sess.updated_at)),
                None,
            );
            audit(&tx, s.tenant, &rec)?;
            sess
        };
        self.commit(tx)?;
        Ok(Some(closed))
    }

    fn expire_voucher(&self, tenant: TenantId, id: Id, now: UnixTime) -> Result<bool, StoreError> {
        let tx = self.write()?;
        {
            let mut services = tx.open_table(SERVICES)?;
            let Some(mut s): Option<Service> = get(&services, (tenant, id))? else { return Ok(false) };
            if s.expires_at.is_some() || s.status != ServiceStatus::Active {
                return Ok(false);
            }
            s.status = ServiceStatus::Disabled;
            services.insert((tenant, id), encode(&s).as_slice())?;
            let rec = record(
                now,
                "scheduler",
                "voucher.expired_unused",
                format!("service/{id}"),
                Some("active".into()),
                Some("disabled".into()),
            );
            audit(&tx, tenant, &rec)?;
        }
        self.commit(tx)?;
        Ok(true)
    }

    /// A postpaid period ended: invoice it, charge the wallet (it may go
    /// negative: the customer owes) and open the next period.
    fn invoice_postpaid(&self, tenant: TenantId, id: Id, due_days: u16, now: UnixTime) -> Result<bool, StoreError> {
        let tx = self.write()?;
        {
            let mut services = tx.open_table(SERVICES)?;
            let Some(mut s): Option<Service> = get(&services, (tenant, id))? else { return Ok(false) };
            let Some(expiry) = s.expires_at.filter(|&e| e <= now) else { return Ok(false) };
            let plan: Plan = get(&tx.open_table(PLANS)?, (tenant, s.plan))?
                .ok_or_else(|| StoreError::NotFound(format!("plan {}", s.plan)))?;
            let zone = tenant_zone(&tx, tenant)?;
            let terms = billing::Terms {
                period: plan.validity,
                anchor: plan.anchor,
                grace_secs: 0,
                mode: plan.mode,
                price: plan.price,
            };
            let next = billing::renew(Some(expiry), s.run_start, expiry - 1, &terms, &zone, 1)?;
            let label = format!("{} ({} period ending {})", plan.name, plan.validity, expiry);
            let items = [billing::LineInput { description: label, quantity: 1, unit_price: plan.price }];
            let due = billing::invoice_due(now, due_days);
            let doc = issue_document(
                &tx,
                tenant,
                NewDoc {
                    kind: DocKind::Invoice,
                    customer: s.customer,
                    service: Some(id),
                    items: &items,
                    payment: None,
                    due_at: Some(due),
                    taxed: true,
                    plan: Some(s.plan),
                },
                now,
            )?;
            let e = LedgerEntry {
                kind: EntryKind::Charge,
                amount: -doc.gross,
                reason: format!("invoice {}", doc.number),
                actor: "scheduler".into(),
                reference: Some(doc.number.clone()),
                at: now,
            };
            super::reports::note_sale(&tx, tenant, s.customer, s.plan, doc.gross, now)?;
            if post(&tx, tenant, s.customer, &e)? >= 0 {
                // The wallet covered it: paid on issue.
                let paid = Invoice { paid_at: Some(now), ..doc.clone() };
                if let Some(due) = doc.due_at {
                    tx.open_table(OPEN_INVOICES)?.remove((due, tenant, doc.id))?;
                }
                tx.open_table(INVOICES)?.insert((tenant, doc.id), encode(&paid).as_slice())?;
            }
            s.period_start = Some(next.starts_at);
            s.run_start = Some(next.run_start);
            s.expires_at = Some(next.expires_at);
            services.insert((tenant, id), encode(&s).as_slice())?;
            drop(services);
            super::due::index(&tx, &s)?;
            let rec = record(
                now,
                "scheduler",
                "invoice.issue",
                format!("invoice/{}", doc.id),
                None,
                Some(format!("{} {} due {}", doc.number, doc.gross, due)),
            );
            audit(&tx, tenant, &rec)?;
        }
        self.commit(tx)?;
        Ok(true)
    }

    /// Suspend (billing hold) the postpaid services of customers whose
    /// wallet is negative with an invoice past its due date; a payment that
    /// brings the wallet back to zero resumes them (`settle_invoices`).
    fn suspend_overdue(&self, now: UnixTime) -> Result<usize, StoreError> {
        let mut overdue = std::collections::HashSet::new();
        {
            let tx = self.read()?;
            let balances = tx.open_table(BALANCES)?;
            for row in tx.open_table(OPEN_INVOICES)?.range(..(now, 0, 0))? {
                let (k, customer) = row?;
                let (_, tenant, _) = k.value();
                let customer = customer.value();
                if balances.get((tenant, customer))?.is_some_and(|b| b.value() < 0) {
                    overdue.insert((tenant, customer));
                }
            }
        }
        let mut n = 0;
        for (tenant, customer) in overdue {
            let tx = self.write()?;
            let mut changed = Vec::new();
            {
                let mut services = tx.open_table(SERVICES)?;
                let mut list: Vec<Service> = Vec::new();
                for row in services.range((tenant, 0)..=(tenant, u64::MAX))? {
                    let s: Service = decode(row?.1.value())?;
                    if s.customer == customer && s.status == ServiceStatus::Active {
                        list.push(s);
                    }
                }
                for mut s in list {
                    s.status = ServiceStatus::Suspended;
                    s.billing_hold = true;
                    services.insert((tenant, s.id), encode(&s).as_slice())?;
                    changed.push(s.id);
                }
            }
            for id in &changed {
                reconnect_sessions(&tx, tenant, *id, "suspended: invoice overdue", now)?;
                let rec = record(
                    now,
                    "scheduler",
                    "service.suspend_overdue",
                    format!("service/{id}"),
                    Some("active".into()),
                    Some("suspended (billing hold)".into()),
                );
                audit(&tx, tenant, &rec)?;
            }
            n += changed.len();
            self.commit(tx)?;
        }
        Ok(n)
    }
}

/// After money arrives: when it brings a negative wallet back to zero or
/// more, mark the customer's open invoices paid and lift billing holds.
/// Invoices are open only while the wallet is negative (an invoice the
/// wallet covers is paid when issued), so other payments scan nothing.
pub(crate) fn settle_invoices(
    tx: &redb::WriteTransaction,
    tenant: TenantId,
    customer: Id,
    payment: Option<Id>,
    now: UnixTime,
    balance_before: i64,
    balance_after: i64,
) -> Result<(), StoreError> {
    if balance_before >= 0 || balance_after < 0 {
        return Ok(());
    }
    let mut docs = tx.open_table(INVOICES)?;
    let mut open = Vec::new();
    // The customer's documents only, through their index.
    for id in super::money_index::ids_under(&tx.open_table(INVOICE_BY_CUSTOMER)?, tenant, customer)? {
        let Some(d) = get::<_, Invoice>(&docs, (tenant, id))? else { continue };
        if d.kind == DocKind::Invoice && d.paid_at.is_none() {
            open.push(d);
        }
    }
    for mut d in open {
        d.paid_at = Some(now);
        if let Some(due) = d.due_at {
            tx.open_table(OPEN_INVOICES)?.remove((due, tenant, d.id))?;
        }
        d.payment = payment;
        docs.insert((tenant, d.id), encode(&d).as_slice())?;
    }
    drop(docs);
    let mut services = tx.open_table(SERVICES)?;
    let mut held = Vec::new();
    for row in services.range((tenant, 0)..=(tenant, u64::MAX))? {
        let s: Service = decode(row?.1.value())?;
        if s.customer == customer && s.billing_hold {
            held.push(s);
        }
    }
    for s in &mut held {
        s.billing_hold = false;
        s.status = ServiceStatus::Active;
        services.insert((tenant, s.id), encode(&*s).as_slice())?;
    }
    drop(services);
    for s in held {
        reconnect_sessions(tx, tenant, s.id, "resumed: invoice paid", now)?;
        let (before, after) = (Some("suspended (billing hold)".into()), Some("active".into()));
        audit(tx, tenant, &record(now, "billing", "service.resume_paid", format!("service/{}", s.id), before, after))?;
    }
    Ok(())
}
