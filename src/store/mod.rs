//! redb storage: opening and migrating the file, typed reads, and every write
//! as one transaction that also appends its audit record. Only this module
//! touches redb; callers see model types.
//!
//! Layout: see `tables.rs` (what indexes what) and `codec.rs` (value
//! versions). Secrets are sealed by `secret.rs` under a key kept outside the
//! database file.

pub mod accounting;
pub mod admin;
mod api;
pub mod backup;
mod billing;
mod chart;
pub mod codec;
#[cfg(test)]
mod compat_tests;
pub mod cpe;
pub mod cpe_queue;
mod crud;
mod customers;
mod due;
#[cfg(test)]
mod due_tests;
mod edits;
mod etims;
mod import;
pub mod journal;
mod legacy;
mod money_index;
mod money_pages;
mod nas;
pub mod noc;
pub mod notify;
mod notify_events;
pub mod outbox;
mod pages;
mod personal;
mod portal;
pub mod privacy;
mod replan;
pub mod report_rows;
pub mod reports;
#[cfg(test)]
mod reports_tests;
pub mod retention;
mod routers;
pub mod secret;
mod setup;
mod stk;
mod sweeps;
pub mod sync;
mod sync_apply;
#[cfg(test)]
mod sync_tests;
pub mod tables;
mod tickets;
mod webhook_edit;
mod webhooks;
pub use admin::{AdminSession, Attempt};
pub use api::{NewCustomerFields, TokenRow, etag};
pub use import::Imported;
pub use pages::{AuditFilter, Page};
pub use tickets::{NewSms, NewTicket};
pub use webhooks::EVENTS as WEBHOOK_EVENTS;
mod vouchers;

pub use billing::{Applied, IncomingPayment, Priced};
pub use crud::{LoginReader, NewNas, NewService, ServiceEdit, ServiceLogin};
pub use legacy::period_from_secs;
pub use notify_events::Audience;
pub use portal::{DeviceAccount, ServiceView, Sighting, Via};
pub use routers::NewRouterApi;
pub use secret::{Purpose, SecretBox, SecretError, from_hex, random_hex, sha256_hex, to_hex};
pub use setup::FirstRun;
pub use sweeps::Round;
pub use vouchers::{NewBatch, VOUCHER_CUSTOMER};

use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::model::{AuditRecord, Counters, Id, TenantId, UnixTime};
use codec::{Stored, decode, encode};
use tables::*;

/// Layout version of the file; `migrate` brings older files up to it.
/// 2: sessions-by-service and customer-by-phone indexes (built from the
/// existing rows on upgrade), Plan and Service values version 2.
/// 3: sessions by client address, leases (the portal).
/// 4: admins by name, audit log by object and actor, reseller ownership,
/// services by customer.
/// 5: the reports' aggregates and the time indexes of payments, STK
/// pushes and sales documents (built from the existing rows on upgrade).
/// 6: the scheduler's work list (`due.rs`, built from the services), unpaid
/// invoices by due date, leases by router.
/// 7: personal data sealed (`personal.rs`): customers, payments, STK pushes
/// and raw callbacks re-written sealed, the phone index keyed by tokens,
/// phone numbers masked in the audit log.
/// 8: payments by payer token and by customer, documents by customer and by
/// number (`money_index.rs`), closed sessions by service (`portal.rs`),
/// built from the stored rows.
pub const SCHEMA_VERSION: u64 = 8;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database")]
    Database(#[from] redb::DatabaseError),
    #[error("transaction")]
    Transaction(#[from] redb::TransactionError),
    #[error("table")]
    Table(#[from] redb::TableError),
    #[error("storage")]
    Storage(#[from] redb::StorageError),
    #[error("commit")]
    Commit(#[from] redb::CommitError),
    #[error("durability")]
    Durability(#[from] redb::SetDurabilityError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("stored {kind} is corrupt: {message}")]
    Corrupt { kind: &'static str, message: String },
    #[error("stored {kind} has version {version}, which this lango does not know (written by a newer lango?)")]
    UnknownVersion { kind: &'static str, version: u8 },
    #[error("database schema {found} is newer than this lango understands ({SCHEMA_VERSION}); upgrade lango")]
    SchemaTooNew { found: u64 },
    #[error("{0}")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// An If-Match that no longer matches: someone changed the record
    /// since the caller read it.
    #[error("{0} changed since it was read; read it again")]
    Stale(String),
    #[error(transparent)]
    Billing(#[from] crate::billing::BillingError),
}

/// Marks a stopped session so a retransmitted Stop is recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopMark {
    pub at: UnixTime,
    pub counters: Counters,
}

/// A payment callback body exactly as it arrived, kept for inspection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawCallback {
    pub tenant: Option<TenantId>,
    pub kind: String,
    pub received_at: UnixTime,
    pub remote: String,
    pub body: Vec<u8>,
}

/// The database plus the key that opens its secrets.
pub struct Store {
    db: Database,
    secrets: SecretBox,
    /// Bumped after every commit made through this handle; readers that
    /// keep tables open (the authentication path) reopen when it moves.
    epoch: std::sync::atomic::AtomicU64,
    /// Where the accounting journal lives (next to the database file);
    /// `None` for in-memory stores.
    journal_dir: Option<std::path::PathBuf>,
    /// The database file (`None` in memory), for backups.
    db_path: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store(..)")
    }
}

impl Store {
    /// Open (or create) the database at `path`, with the key at `key_path`.
    /// A new database gets a new key; an existing one must come with the
    /// key it was written with.
    pub fn open(path: &Path, key_path: &Path, cache_mb: usize) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Invalid(format!("cannot create {}: {e}", dir.display())))?;
        }
        let existed = path.exists();
        if existed && !key_path.exists() {
            return Err(StoreError::Invalid(format!(
                "key file {} is missing: the secrets in {} cannot be read without it",
                key_path.display(),
                path.display()
            )));
        }
        let secrets = SecretBox::load_or_create(key_path, !existed)?;
        // Exclusive: one process owns the file (others reach it through the
        // control socket). redb's multi-process mode costs file locking on
        // every transaction, ~10 µs per authentication.
        let db = Database::builder().set_cache_size(cache_mb * 1024 * 1024).create(path)?;
        let mut store = Store {
            db,
            secrets,
            epoch: Default::default(),
            journal_dir: path.parent().map(Path::to_path_buf),
            db_path: Some(path.to_path_buf()),
        };
        if store.migrate()? {
            // The clear rows the upgrade re-wrote sealed are in freed
            // pages: compacting moves the live pages down over them and
            // cuts the file.
            store.db.compact().map_err(|e| StoreError::Invalid(format!("compacting after the upgrade: {e}")))?;
        }
        if let Some(dir) = &store.journal_dir {
            store.recover_journal(dir)?;
        }
        Ok(store)
    }

    /// An in-memory store for tests.
    pub fn in_memory() -> Result<Store, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        let store = Store {
            db,
            secrets: SecretBox::from_key(&[42u8; 32]),
            epoch: Default::default(),
            journal_dir: None,
            db_path: None,
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn journal_dir(&self) -> Option<&Path> {
        self.journal_dir.as_deref()
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    pub fn read(&self) -> Result<ReadTransaction, StoreError> {
        Ok(self.db.begin_read()?)
    }

    pub fn write(&self) -> Result<WriteTransaction, StoreError> {
        Ok(self.db.begin_write()?)
    }

    /// Commit and let long-lived readers know the data moved.
    pub fn commit(&self, tx: WriteTransaction) -> Result<(), StoreError> {
        tx.commit()?;
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Bring the file up to [`SCHEMA_VERSION`]; true when personal data was
    /// sealed by the upgrade (schema 7).
    fn migrate(&self) -> Result<bool, StoreError> {
        let tx = self.write()?;
        let mut sealed = false;
        {
            let mut meta = tx.open_table(META)?;
            let found = meta.get("schema_version")?.map(|v| v.value());
            match found {
                Some(v) if v > SCHEMA_VERSION => return Err(StoreError::SchemaTooNew { found: v }),
                Some(v) if v == SCHEMA_VERSION => {}
                Some(v @ 1..=7) => {
                    if v == 1 {
                        migrate_1_to_2(&tx)?;
                    }
                    if v <= 2 {
                        migrate_2_to_3(&tx)?;
                    }
                    if v <= 3 {
                        admin::migrate_3_to_4(&tx)?;
                    }
                    if v <= 4 {
                        report_rows::backfill(&tx)?;
                    }
                    if v <= 5 {
                        // Every service under its expiry: the first round
                        // files the ones already past it under their next time.
                        due::rebuild(&tx, i64::MIN)?;
                        due::open_invoices(&tx)?;
                        portal::index_leases(&tx)?;
                    }
                    if v <= 6 {
                        personal::seal_all(&self.secrets, &tx)?;
                        sealed = true;
                    }
                    // Payments by payer and customer, documents by customer
                    // and number.
                    money_index::build(&self.secrets, &tx)?;
                    portal::index_history(&tx)?;
                    meta.insert("schema_version", SCHEMA_VERSION)?;
                }
                _ => {
                    meta.insert("schema_version", SCHEMA_VERSION)?;
                }
            }
            let mut blob = tx.open_table(META_BLOB)?;
            let check = blob.get("key_check")?.map(|v| v.value().to_vec());
            match check {
                Some(sealed) => {
                    self.secrets.open(Purpose::KeyCheck, &crate::model::Sealed(sealed))?;
                }
                None => {
                    let sealed = self.secrets.seal(Purpose::KeyCheck, b"lango");
                    blob.insert("key_check", sealed.0.as_slice())?;
                }
            }
            // Create every table so read transactions never meet a missing one.
            tx.open_table(TENANTS)?;
            tx.open_table(TENANT_BY_SLUG)?;
            tx.open_table(NAS)?;
            tx.open_table(PLANS)?;
            tx.open_table(CUSTOMERS)?;
            tx.open_table(SERVICES)?;
            tx.open_table(SERVICE_BY_USERNAME)?;
            tx.open_table(SERVICE_BY_MAC)?;
            tx.open_table(SERVICE_BY_IP)?;
            tx.open_table(USAGE)?;
            tx.open_table(SESSIONS_ACTIVE)?;
            tx.open_table(SESSION_HISTORY)?;
            tx.open_table(HISTORY_BY_SERVICE)?;
            tx.open_table(RECENT_STOPS)?;
            tx.open_table(AUDIT)?;
            tx.open_table(ADMINS)?;
            tx.open_table(ADMIN_RECOVERY)?;
            tx.open_table(BALANCES)?;
            tx.open_table(LEDGER)?;
            tx.open_table(PAYMENTS)?;
            tx.open_table(PAYMENT_BY_REF)?;
            tx.open_table(PAYMENT_BY_PAYER)?;
            tx.open_table(PAYMENT_BY_CUSTOMER)?;
            tx.open_table(INVOICE_BY_CUSTOMER)?;
            tx.open_table(INVOICE_BY_NUMBER)?;
            tx.open_table(UNMATCHED)?;
            tx.open_table(STK_REQUESTS)?;
            tx.open_table(STK_PENDING)?;
            tx.open_table(RAW_CALLBACKS)?;
            tx.open_table(INVOICES)?;
            tx.open_table(VOUCHER_BATCHES)?;
            tx.open_table(BATCH_VOUCHERS)?;
            tx.open_table(TENANT_BILLING)?;
            tx.open_table(MPESA_TOKENS)?;
            tx.open_table(CUSTOMER_BY_PHONE)?;
            tx.open_table(OUTBOX)?;
            tx.open_table(SESSIONS_BY_SERVICE)?;
            tx.open_table(SESSION_BY_IP)?;
            tx.open_table(SESSION_BY_IPV6)?;
            tx.open_table(LEASES)?;
            tx.open_table(TENANT_BRANDING)?;
            tx.open_table(HOOK_TOKENS)?;
            tx.open_table(NAS_HOOK)?;
            tx.open_table(TICKETS)?;
            tx.open_table(TENANT_SMS)?;
            tx.open_table(WEBHOOKS)?;
            tx.open_table(WEBHOOK_QUEUE)?;
            tx.open_table(WEBHOOK_LOG)?;
            tx.open_table(EXPIRY_NOTED)?;
            tx.open_table(API_TOKENS)?;
            tx.open_table(API_TOKEN_USED)?;
            tx.open_table(IDEMPOTENCY)?;
            tx.open_table(ROUTER_API)?;
            tx.open_table(ADMIN_BY_NAME)?;
            tx.open_table(ADMIN_SESSIONS)?;
            tx.open_table(ADMIN_LOCKS)?;
            tx.open_table(AUDIT_BY_OBJECT)?;
            tx.open_table(AUDIT_BY_ACTOR)?;
            tx.open_table(CUSTOMER_RESELLER)?;
            tx.open_table(RESELLER_CUSTOMERS)?;
            tx.open_table(SERVICE_BY_CUSTOMER)?;
            tx.open_table(NOTIFY_SETTINGS)?;
            tx.open_table(NOTIFY_TEMPLATES)?;
            tx.open_table(NOTIFY_PREFS)?;
            tx.open_table(NOTIFY_MESSAGES)?;
            tx.open_table(NOTIFY_DUE)?;
            tx.open_table(NOTIFY_BY_CUSTOMER)?;
            tx.open_table(NOTIFY_KEYS)?;
            tx.open_table(NOTIFY_DAILY)?;
            tx.open_table(NOTIFY_DLR)?;
            tx.open_table(ROUTER_SNMP)?;
            tx.open_table(ROUTER_HEALTH)?;
            tx.open_table(SERIES)?;
            tx.open_table(REPORT_AGG)?;
            tx.open_table(USAGE_MONTHLY)?;
            tx.open_table(SALES_DOCS)?;
            tx.open_table(PAYMENTS_BY_TIME)?;
            tx.open_table(STK_BY_TIME)?;
            tx.open_table(COHORT_SEEN)?;
            tx.open_table(SERVICE_DUE)?;
            tx.open_table(SERVICE_DUE_AT)?;
            tx.open_table(SYNC_OUT)?;
            tx.open_table(SYNC_APPLIED)?;
            tx.open_table(OPEN_INVOICES)?;
            tx.open_table(LEASES_BY_NAS)?;
            tx.open_table(ACS_SETTINGS)?;
            tx.open_table(ACCOUNT_CHART)?;
            tx.open_table(ETIMS_SETTINGS)?;
            tx.open_table(ETIMS_QUEUE)?;
            tx.open_table(ETIMS_RECEIPTS)?;
            tx.open_table(CPES)?;
            tx.open_table(CPE_BY_SERIAL)?;
            tx.open_table(CPE_BY_SERVICE)?;
            tx.open_table(CPE_QUEUE)?;
            tx.open_table(RETENTION)?;
        }
        self.commit(tx)?;
        Ok(sealed)
    }

    /// Bumped by every change to tenants or NAS, so a running server knows
    /// to reload its in-memory directory.
    pub fn config_generation(&self) -> Result<u64, StoreError> {
        let tx = self.read()?;
        let meta = tx.open_table(META)?;
        Ok(meta.get("config_generation")?.map_or(0, |v| v.value()))
    }
}

/// Schema 1 → 2: build the indexes version 2 added from existing rows.
fn migrate_1_to_2(tx: &WriteTransaction) -> Result<(), StoreError> {
    let mut by_service = tx.open_table(SESSIONS_BY_SERVICE)?;
    for row in tx.open_table(SESSIONS_ACTIVE)?.iter()? {
        let s: crate::model::Session = decode(row?.1.value())?;
        if let Some(id) = s.service {
            by_service.insert((s.tenant, id, s.started_at, s.nas, s.acct_session_id.as_str()), ())?;
        }
    }
    // (The customers-by-phone index of version 2 is built by schema 7's
    // step, keyed by phone tokens.)
    Ok(())
}

/// Schema 2 → 3: the sessions-by-address index the portal reads.
fn migrate_2_to_3(tx: &WriteTransaction) -> Result<(), StoreError> {
    let mut by_ip = tx.open_table(SESSION_BY_IP)?;
    for row in tx.open_table(SESSIONS_ACTIVE)?.iter()? {
        let s: crate::model::Session = decode(row?.1.value())?;
        if let Some(ip) = s.framed_ip {
            by_ip.insert((u32::from(ip), s.tenant, s.nas, s.acct_session_id.as_str()), ())?;
        }
    }
    Ok(())
}

/// Next value of a named counter, inside the caller's transaction.
pub(crate) fn next_seq(tx: &WriteTransaction, name: &str) -> Result<u64, StoreError> {
    let mut meta = tx.open_table(META)?;
    let next = meta.get(name)?.map_or(1, |v| v.value() + 1);
    meta.insert(name, next)?;
    Ok(next)
}

/// An audit record of one change.
pub(crate) fn record(
    at: UnixTime,
    actor: &str,
    action: &str,
    object: String,
    before: Option<String>,
    after: Option<String>,
) -> AuditRecord {
    AuditRecord { at, actor: actor.to_string(), action: action.to_string(), object, before, after }
}

pub(crate) fn json<T: Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

/// A customer as the audit log shows it: the phone masked, the e-mail's
/// domain only (the audit log is not sealed).
pub(crate) fn shown_customer(c: &crate::model::Customer) -> Option<String> {
    let email = c.email.as_deref().map(|e| match e.split_once('@') {
        Some((_, domain)) => format!("…@{domain}"),
        None => "…".to_string(),
    });
    json(&crate::model::Customer { phone: c.phone.as_deref().map(crate::model::mask::mask_phone), email, ..c.clone() })
}

/// A service as the audit log shows it: without its (sealed) password.
pub(crate) fn shown_service(s: &crate::model::Service) -> Option<String> {
    json(&crate::model::Service { password: crate::model::Sealed::default(), ..s.clone() })
}

/// Append an audit record in the caller's transaction: the change and its
/// record commit together or not at all.
pub(crate) fn audit(tx: &WriteTransaction, tenant: TenantId, record: &AuditRecord) -> Result<(), StoreError> {
    sync::on_audit(tx, tenant, record)?;
    let seq = next_seq(tx, "audit_seq")?;
    tx.open_table(AUDIT)?.insert((tenant, seq), encode(record).as_slice())?;
    tx.open_table(AUDIT_BY_OBJECT)?.insert((tenant, record.object.as_str(), seq), ())?;
    tx.open_table(AUDIT_BY_ACTOR)?.insert((tenant, admin::actor_name(&record.actor), seq), ())?;
    Ok(())
}

pub(crate) fn get<'k, K: redb::Key + 'static, T: Stored>(
    table: &impl ReadableTable<K, &'static [u8]>,
    key: impl std::borrow::Borrow<K::SelfType<'k>>,
) -> Result<Option<T>, StoreError> {
    match table.get(key)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

/// All rows of one tenant in a `(tenant, id)` table.
pub(crate) fn tenant_rows<T: Stored>(
    table: &impl ReadableTable<(u32, u64), &'static [u8]>,
    tenant: TenantId,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for row in table.range((tenant, 0)..=(tenant, u64::MAX))? {
        let (_, v) = row?;
        out.push(decode(v.value())?);
    }
    Ok(out)
}

/// Audit trail of a tenant, oldest first.
impl Store {
    /// Whether the tenant's audit log has records after the cursor kept
    /// in META under `cursor` (the audit-log followers: webhooks and
    /// notifications). A read, so an idle follower never takes the write
    /// lock.
    pub(crate) fn audit_after(&self, tenant: TenantId, cursor: &str) -> Result<bool, StoreError> {
        let tx = self.read()?;
        let from = tx.open_table(META)?.get(cursor)?.map_or(0, |v| v.value());
        Ok(tx.open_table(AUDIT)?.range((tenant, from + 1)..=(tenant, u64::MAX))?.next().is_some())
    }

    pub fn audit_log(&self, tenant: TenantId) -> Result<Vec<AuditRecord>, StoreError> {
        let tx = self.read()?;
        tenant_rows(&tx.open_table(AUDIT)?, tenant)
    }

    pub fn next_id(tx: &WriteTransaction) -> Result<Id, StoreError> {
        next_seq(tx, "next_id")
    }
}
