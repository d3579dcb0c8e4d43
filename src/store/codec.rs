//! Value encoding: one version byte, then postcard. Each stored type names
//! its current version; `decode` accepts every version it knows and
//! upgrades older ones, so a newer binary reads an older file.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// A type stored as a table value.
pub trait Stored: Serialize + DeserializeOwned {
    /// Bumped whenever the serialized shape changes; old shapes keep a
    /// decoder in `upgrade`.
    const VERSION: u8;
    const NAME: &'static str;

    /// Decode a value written with an older `version`. The default knows none.
    fn upgrade(version: u8, _bytes: &[u8]) -> Result<Self, StoreError> {
        Err(StoreError::UnknownVersion { kind: Self::NAME, version })
    }
}

pub fn encode<T: Stored>(value: &T) -> Vec<u8> {
    let mut out = vec![T::VERSION];
    // postcard only fails on writer errors, which a Vec never has.
    let body = postcard::to_allocvec(value).expect("postcard to Vec cannot fail");
    out.extend_from_slice(&body);
    out
}

pub fn decode<T: Stored>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&v, body)) if v == T::VERSION => {
            postcard::from_bytes(body).map_err(|e| StoreError::Corrupt { kind: T::NAME, message: e.to_string() })
        }
        Some((&v, body)) => T::upgrade(v, body),
        None => Err(StoreError::Corrupt { kind: T::NAME, message: "empty value".into() }),
    }
}

macro_rules! stored {
    ($($t:ty = $v:literal),* $(,)?) => {
        $(impl Stored for $t {
            const VERSION: u8 = $v;
            const NAME: &'static str = stringify!($t);
        })*
    };
}

use crate::model::*;
stored!(
    Tenant = 1,
    Nas = 1,
    RouterApi = 1,
    Usage = 1,
    Lease = 1,
    Branding = 1,
    Ticket = 1,
    SmsSettings = 1,
    WebhookEndpoint = 1,
    Delivery = 1,
    DeliveryLog = 1,
    AuditRecord = 1,
    super::StopMark = 1,
    LedgerEntry = 1,
    Invoice = 1,
    VoucherBatch = 1,
    TenantBilling = 1,
    super::outbox::Task = 1,
    super::backup::Status = 1,
    super::backup::Offsite = 1,
    NotifySettings = 1,
    Prefs = 1,
    crate::notify::template::Template = 1,
    RouterSnmp = 1,
    super::noc::Chunk = 1,
    AcsSettings = 1,
    ChartOfAccounts = 1,
    EtimsSettings = 1,
    EtimsReceipt = 1,
    Cpe = 1,
    super::cpe_queue::CpePush = 1,
    super::retention::Retention = 1,
);

impl Stored for ApiToken {
    const VERSION: u8 = 2;
    const NAME: &'static str = "ApiToken";
    fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
        super::legacy::api_token(version, bytes)
    }
}

impl Stored for Plan {
    const VERSION: u8 = 4;
    const NAME: &'static str = "Plan";
    fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
        super::legacy::plan(version, bytes)
    }
}

impl Stored for Session {
    const VERSION: u8 = 3;
    const NAME: &'static str = "Session";
    fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
        super::legacy::session(version, bytes)
    }
}

impl Stored for super::accounting::AcctRecord {
    const VERSION: u8 = 3;
    const NAME: &'static str = "AcctRecord";
    fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
        super::legacy::acct_record(version, bytes)
    }
}

impl Stored for Service {
    const VERSION: u8 = 2;
    const NAME: &'static str = "Service";
    fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
        super::legacy::service(version, bytes)
    }
}

/// The last polls' view of a router: a cache the next poll refills, so an
/// older shape (version 1, before alerts kept their words; 2, before the
/// session alerts) reads as empty.
impl Stored for RouterHealth {
    const VERSION: u8 = 3;
    const NAME: &'static str = "RouterHealth";
    fn upgrade(version: u8, _bytes: &[u8]) -> Result<Self, StoreError> {
        match version {
            1 | 2 => Ok(RouterHealth::default()),
            version => Err(StoreError::UnknownVersion { kind: Self::NAME, version }),
        }
    }
}

impl Stored for Admin {
    const VERSION: u8 = 2;
    const NAME: &'static str = "Admin";
    fn upgrade(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
        super::legacy::admin(version, bytes)
    }
}
