//! The store's side of multi-site replication (ARCHITECTURE.md, "Many
//! sites and a hub"): what a change captures into `SYNC_OUT` in its own
//! transaction, what the publisher reads back from it, and how the changes
//! of another node are applied exactly once.
//!
//! The node's mode is kept in `META` (`sync_mode`), so that every writer of
//! this file (the server, or a command run while it is stopped) captures
//! alike.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::codec::{Stored, decode, encode};
use super::secret::Purpose;
use super::tables::*;
use super::{Store, StoreError, audit, get, next_seq, record};
use crate::model::*;

/// What this node is in a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Standalone,
    Hub,
    Site,
}

impl Mode {
    fn code(self) -> u64 {
        match self {
            Mode::Standalone => 0,
            Mode::Hub => 1,
            Mode::Site => 2,
        }
    }

    fn from_code(c: u64) -> Mode {
        match c {
            1 => Mode::Hub,
            2 => Mode::Site,
            _ => Mode::Standalone,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Standalone => "standalone",
            Mode::Hub => "hub",
            Mode::Site => "site",
        }
    }
}

/// The hub-owned records a site holds a copy of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    Tenant,
    Nas,
    Plan,
    Customer,
    Service,
}

impl Kind {
    /// `"service/12"` → (Service, 12), as audit records name objects.
    pub fn of_object(object: &str) -> Option<(Kind, Id)> {
        let (kind, id) = object.split_once('/')?;
        let kind = match kind {
            "tenant" => Kind::Tenant,
            "nas" => Kind::Nas,
            "plan" => Kind::Plan,
            "customer" => Kind::Customer,
            "service" => Kind::Service,
            _ => return None,
        };
        Some((kind, id.parse().ok()?))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tenant => "tenant",
            Kind::Nas => "nas",
            Kind::Plan => "plan",
            Kind::Customer => "customer",
            Kind::Service => "service",
        }
    }
}

/// A row of `SYNC_OUT`: a reference to a changed record (its value is read
/// when published) or an accounting record (its stored encoding).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pending {
    Entity {
        tenant: TenantId,
        kind: Kind,
        id: Id,
    },
    Acct(Vec<u8>),
    /// A payment a site took (cash at its counter, an M-Pesa callback that
    /// reached it): an encoded `IncomingPayment`, for the hub to credit once.
    Payment(Vec<u8>),
}

impl Stored for super::IncomingPayment {
    const VERSION: u8 = 1;
    const NAME: &'static str = "IncomingPayment";
}

/// Queue `p` for the hub in the site's transaction, with an audit record.
pub(crate) fn queue_payment(tx: &WriteTransaction, p: &super::IncomingPayment) -> Result<super::Applied, StoreError> {
    // The raw callback it came with stays at the site.
    let q = super::IncomingPayment { raw: None, ..p.clone() };
    let seq = capture(tx, Pending::Payment(encode(&q)))?;
    let rec = record(p.at, &p.actor, "payment.queued", format!("queued/{seq}"), None, super::json(&q));
    audit(tx, p.tenant, &rec)?;
    Ok(super::Applied::Queued(seq))
}

/// A row of `SYNC_OUT` as stored: the change and when it was captured
/// (wall-clock milliseconds, for the replication lag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    pub at_ms: i64,
    pub change: Pending,
}

impl Stored for Captured {
    const VERSION: u8 = 1;
    const NAME: &'static str = "sync::Captured";
}

impl Captured {
    pub fn now(change: Pending) -> Captured {
        Captured { at_ms: crate::clock::Clock::wall_ms(), change }
    }
}

/// What travels: an entity's stored encoding with its sealed field (a
/// service's password, a NAS's secret) emptied and carried in clear in
/// `secret` (the whole change is sealed under the sync key), or `None`
/// when the record was deleted; or an accounting record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    Entity { tenant: TenantId, kind: Kind, id: Id, value: Option<Vec<u8>>, secret: Option<Vec<u8>> },
    Acct(Vec<u8>),
    Payment(Vec<u8>),
}

/// How far the changes of one origin were applied here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub seq: u64,
    /// When the last one was applied, and when its origin made it.
    pub applied_at: UnixTime,
    pub made_at: UnixTime,
    pub records: u64,
    pub duplicates: u64,
}

impl Stored for Mark {
    const VERSION: u8 = 1;
    const NAME: &'static str = "sync::Mark";
}

/// What one `apply` call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub applied: usize,
    pub duplicates: usize,
    /// The first sequence that did not follow the last applied one: it and
    /// everything after it in the call were left for redelivery.
    pub gap: Option<(u64, u64)>,
    /// Sessions the applied accounting opened or closed (the server's
    /// online index follows them).
    pub outcomes: Vec<(TenantId, super::accounting::AcctOutcome)>,
}

/// The actor of changes applied from another node; a site lets only it
/// (and the RADIUS fold) write hub-owned records.
pub const ACTOR: &str = "sync";

pub(crate) fn mode_in(tx: &WriteTransaction) -> Result<Mode, StoreError> {
    Ok(Mode::from_code(tx.open_table(META)?.get("sync_mode")?.map_or(0, |v| v.value())))
}

/// The actions on a router that write the hub-owned NAS record; the rest
/// (SNMP settings and alerts, maintenance, hook tokens, kicks) are the
/// operations of whichever node reaches the router.
const NAS_WRITES: [&str; 5] = ["nas.create", "nas.update", "nas.disabled", "nas.coa_port", "nas.secret_rotated"];

/// The hub-owned record an audited change writes, if any.
pub fn hub_owned(action: &str, object: &str) -> Option<(Kind, Id)> {
    match Kind::of_object(object)? {
        (Kind::Nas, _) if !NAS_WRITES.contains(&action) => None,
        // An export reads the customer; it changes nothing to replicate.
        _ if action == "customer.export" => None,
        other => Some(other),
    }
}

/// Money and voucher batches: kept at the hub only, never made at a site.
fn money(object: &str) -> bool {
    object.starts_with("payment/") || object.starts_with("batch/")
}

/// Called by `store::audit` for every audited change: at a hub, a change
/// to a hub-owned record is captured for the sites; at a site, one made by
/// anyone but the sync applier (or one that moves money) is refused: it
/// belongs to the hub.
pub(crate) fn on_audit(tx: &WriteTransaction, tenant: TenantId, record: &AuditRecord) -> Result<(), StoreError> {
    let owned = hub_owned(&record.action, &record.object);
    if owned.is_none() && !money(&record.object) {
        return Ok(());
    }
    match (mode_in(tx)?, owned) {
        (Mode::Hub, Some((kind, id))) => capture(tx, Pending::Entity { tenant, kind, id }).map(|_| ()),
        (Mode::Site, _) if record.actor != ACTOR => Err(StoreError::Invalid(format!(
            "this lango is a site: {} is managed at the hub, and arrives here from it",
            owned.map_or("money", |(k, _)| k.as_str())
        ))),
        _ => Ok(()),
    }
}

/// A new service (bulk creates audit once per batch): captured at a hub.
pub(crate) fn on_new_service(tx: &WriteTransaction, tenant: TenantId, id: Id) -> Result<(), StoreError> {
    match mode_in(tx)? {
        Mode::Hub => capture(tx, Pending::Entity { tenant, kind: Kind::Service, id }).map(|_| ()),
        _ => Ok(()),
    }
}

pub(crate) fn capture(tx: &WriteTransaction, p: Pending) -> Result<u64, StoreError> {
    let seq = next_seq(tx, "sync_seq")?;
    tx.open_table(SYNC_OUT)?.insert(seq, encode(&Captured::now(p)).as_slice())?;
    Ok(seq)
}

/// An entity's encoding and its clear secret (both absent: deleted).
type Value = (Option<Vec<u8>>, Option<Vec<u8>>);

/// One change read for publishing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub seq: u64,
    /// When the change was captured (wall-clock milliseconds).
    pub made_ms: i64,
    pub body: Body,
}

/// The backlog of changes not yet acknowledged by JetStream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    pub count: u64,
    pub oldest_seq: Option<u64>,
}

impl Store {
    pub fn sync_mode(&self) -> Result<Mode, StoreError> {
        let tx = self.read()?;
        Ok(Mode::from_code(tx.open_table(META)?.get("sync_mode")?.map_or(0, |v| v.value())))
    }

    /// Set the node's mode (at start, from `sync.role`). Changing a site
    /// back to standalone is allowed: its copy becomes its own.
    pub fn set_sync_mode(&self, mode: Mode) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(META)?.insert("sync_mode", mode.code())?;
        self.commit(tx)
    }

    /// This database's name in the stream: `<node>/<instance>`, the
    /// instance a random id made once per database, so a node whose data
    /// was wiped (its sequence starting again at 1) is not mistaken for the
    /// old one.
    pub fn sync_instance(&self) -> Result<String, StoreError> {
        let tx = self.write()?;
        let id = {
            let mut blob = tx.open_table(META_BLOB)?;
            let found = blob.get("sync_instance")?.map(|v| String::from_utf8_lossy(v.value()).into_owned());
            match found {
                Some(id) => id,
                None => {
                    let id = super::secret::random_hex(6);
                    blob.insert("sync_instance", id.as_bytes())?;
                    id
                }
            }
        };
        self.commit(tx)?;
        Ok(id)
    }

    /// Forget this database's instance id (after a restore): the next
    /// start makes a new one.
    pub fn sync_new_instance(&self) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(META_BLOB)?.remove("sync_instance")?;
        self.commit(tx)
    }

    /// Up to `limit` captured changes, oldest first, with each entity's
    /// current value.
    pub fn sync_outgoing(&self, limit: usize) -> Result<Vec<Outgoing>, StoreError> {
        let tx = self.read()?;
        let out = tx.open_table(SYNC_OUT)?;
        let mut list = Vec::new();
        for row in out.iter()?.take(limit) {
            let (k, v) = row?;
            let captured: Captured = decode(v.value())?;
            let body = match captured.change {
                Pending::Acct(bytes) => Body::Acct(bytes),
                Pending::Payment(bytes) => Body::Payment(bytes),
                Pending::Entity { tenant, kind, id } => {
                    let (value, secret) = self.entity_value(&tx, tenant, kind, id)?;
                    Body::Entity { tenant, kind, id, value, secret }
                }
            };
            list.push(Outgoing { seq: k.value(), made_ms: captured.at_ms, body });
        }
        Ok(list)
    }

    fn entity_value(
        &self,
        tx: &redb::ReadTransaction,
        tenant: TenantId,
        kind: Kind,
        id: Id,
    ) -> Result<Value, StoreError> {
        let raw = match kind {
            Kind::Tenant => tx.open_table(TENANTS)?.get(tenant)?.map(|v| v.value().to_vec()),
            Kind::Nas => tx.open_table(NAS)?.get((tenant, id))?.map(|v| v.value().to_vec()),
            Kind::Plan => tx.open_table(PLANS)?.get((tenant, id))?.map(|v| v.value().to_vec()),
            Kind::Customer => tx.open_table(CUSTOMERS)?.get((tenant, id))?.map(|v| v.value().to_vec()),
            Kind::Service => tx.open_table(SERVICES)?.get((tenant, id))?.map(|v| v.value().to_vec()),
        };
        let Some(raw) = raw else { return Ok((None, None)) };
        Ok(match kind {
            Kind::Service => {
                let mut s: Service = decode(&raw)?;
                let clear = self.secrets.open(Purpose::Password, &s.password)?;
                s.password = Sealed::default();
                (Some(encode(&s)), Some(clear))
            }
            Kind::Nas => {
                let mut n: Nas = decode(&raw)?;
                let clear = self.secrets.open(Purpose::NasSecret, &n.secret)?;
                n.secret = Sealed::default();
                (Some(encode(&n)), Some(clear))
            }
            // In clear (the version before sealing) inside the change,
            // which is itself sealed under the deployment's sync key.
            Kind::Customer => {
                let c: Customer = super::personal::open_row(&self.secrets, &raw)?;
                (Some(super::personal::clear_row(&c)), None)
            }
            _ => (Some(raw), None),
        })
    }

    /// JetStream acknowledged every change up to `upto`: forget them.
    pub fn sync_published(&self, upto: u64) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(SYNC_OUT)?.retain_in(..=upto, |_, _| false)?;
        self.commit(tx)
    }

    /// The last sequence this node gave a change of its own.
    pub fn sync_own_seq(&self) -> Result<u64, StoreError> {
        let tx = self.read()?;
        Ok(tx.open_table(META)?.get("sync_seq")?.map_or(0, |v| v.value()))
    }

    pub fn sync_backlog(&self) -> Result<Backlog, StoreError> {
        let tx = self.read()?;
        let out = tx.open_table(SYNC_OUT)?;
        Ok(Backlog { count: out.len()?, oldest_seq: out.first()?.map(|(k, _)| k.value()) })
    }

    /// Every origin applied here, with its mark.
    pub fn sync_marks(&self) -> Result<Vec<(String, Mark)>, StoreError> {
        let tx = self.read()?;
        let mut list = Vec::new();
        for row in tx.open_table(SYNC_APPLIED)?.iter()? {
            let (k, v) = row?;
            list.push((k.value().to_string(), decode(v.value())?));
        }
        Ok(list)
    }

    /// Queue every hub-owned record again (a site that joined after the
    /// stream's oldest change, or whose copy is in doubt). Audited.
    pub fn sync_resend(&self, actor: &str, now: UnixTime) -> Result<usize, StoreError> {
        let tx = self.write()?;
        let mut refs = Vec::new();
        for row in tx.open_table(TENANTS)?.iter()? {
            let (k, _) = row?;
            refs.push((k.value(), Kind::Tenant, u64::from(k.value())));
        }
        for (kind, table) in
            [(Kind::Nas, NAS), (Kind::Plan, PLANS), (Kind::Customer, CUSTOMERS), (Kind::Service, SERVICES)]
        {
            for row in tx.open_table(table)?.iter()? {
                let (k, _) = row?;
                let (tenant, id) = k.value();
                refs.push((tenant, kind, id));
            }
        }
        for &(tenant, kind, id) in &refs {
            capture(&tx, Pending::Entity { tenant, kind, id })?;
        }
        audit(
            &tx,
            0,
            &record(now, actor, "sync.resend", "sync".into(), None, Some(format!("{} records", refs.len()))),
        )?;
        self.commit(tx)?;
        Ok(refs.len())
    }

    /// A site's payment, credited here once (the origin's sequence, and
    /// the provider's references, make a repeat a duplicate). A customer
    /// the hub no longer has leaves it unmatched for an admin to assign.
    fn apply_queued_payment(&self, tx: &WriteTransaction, mut p: super::IncomingPayment) -> Result<(), StoreError> {
        if let Some(c) = p.customer
            && tx.open_table(CUSTOMERS)?.get((p.tenant, c))?.is_none()
        {
            (p.customer, p.purchase) = (None, None);
        }
        if p.amount > 0 {
            self.apply_payment_in(tx, p)?;
        }
        Ok(())
    }

    /// Apply changes from `origin`, in its order, in one transaction that
    /// also moves the origin's mark: a sequence at or below the mark is a
    /// duplicate; one past the next is a gap, left (with what follows) for
    /// redelivery.
    pub fn sync_apply(
        &self,
        origin: &str,
        changes: &[(u64, UnixTime, Body)],
        now: UnixTime,
    ) -> Result<Applied, StoreError> {
        let tx = self.write()?;
        let mut mark: Mark = get(&tx.open_table(SYNC_APPLIED)?, origin)?.unwrap_or_default();
        let mut done = Applied::default();
        let mut acct: Vec<super::accounting::AcctRecord> = Vec::new();
        for (seq, made_at, body) in changes {
            if *seq <= mark.seq {
                done.duplicates += 1;
                mark.duplicates += 1;
                continue;
            }
            if *seq != mark.seq + 1 {
                done.gap = Some((mark.seq + 1, *seq));
                break;
            }
            // Accounting is folded in runs; anything else first folds the
            // run before it, so the order holds.
            if !matches!(body, Body::Acct(_)) && !acct.is_empty() {
                done.outcomes.extend(super::accounting::apply_replica(&tx, &std::mem::take(&mut acct))?);
            }
            match body {
                Body::Acct(bytes) => acct.push(decode(bytes)?),
                Body::Payment(bytes) => self.apply_queued_payment(&tx, decode(bytes)?)?,
                Body::Entity { tenant, kind, id, value, secret } => {
                    self.apply_entity(&tx, *tenant, *kind, *id, value.as_deref(), secret.as_deref(), now)?;
                }
            }
            mark.seq = *seq;
            mark.made_at = *made_at;
            mark.records += 1;
            done.applied += 1;
        }
        if !acct.is_empty() {
            done.outcomes.extend(super::accounting::apply_replica(&tx, &acct)?);
        }
        mark.applied_at = now;
        tx.open_table(SYNC_APPLIED)?.insert(origin, encode(&mark).as_slice())?;
        self.commit(tx)?;
        Ok(done)
    }
}
