//! The async-snmp client behind one [`Target`]: building it (v2c, or v3
//! authPriv with AES-128), bounded GETs and bulk walks, and every library
//! error turned into an [`SnmpError`].

use std::net::SocketAddr;
use std::time::Duration;

use async_snmp::{Auth, AuthProtocol, Client, ErrorKind, Oid, PrivProtocol, Retry, UsmConfig, Value};

use super::{AuthProto, Credentials, SnmpError, Target};

/// GETBULK max-repetitions for walks: 25 rows of one column fit a
/// 1500-byte datagram with room to spare.
const MAX_REPETITIONS: u32 = 25;

/// A walk stops after this many rows (and says so in the log): a PPPoE
/// concentrator has one interface per session, and a poll must stay bounded.
pub(super) const MAX_ROWS: usize = 20_000;

pub(super) struct Conn {
    client: Client,
    addr: SocketAddr,
    /// What one exchange may take: the timeout, once per try.
    patience: Duration,
}

/// A client for `t`. Nothing is sent yet; SNMPv3 discovers the agent's
/// engine on the first request.
pub(super) async fn connect(t: &Target) -> Result<Conn, SnmpError> {
    let addr = t.addr;
    let config = |reason: String| SnmpError::Config { addr, reason };
    let auth: Auth = match &t.creds {
        Credentials::V2c { community } => {
            if community.is_empty() {
                return Err(config("the community is empty".into()));
            }
            Auth::v2c(community.as_str())
        }
        Credentials::V3 { user, auth, auth_pass, priv_pass } => {
            if user.is_empty() {
                return Err(config("the SNMPv3 user name is empty".into()));
            }
            let proto = match auth {
                AuthProto::Md5 => AuthProtocol::Md5,
                AuthProto::Sha1 => AuthProtocol::Sha1,
                AuthProto::Sha256 => AuthProtocol::Sha256,
            };
            UsmConfig::new(user.clone().into_bytes())
                .auth_priv(proto, auth_pass.as_bytes(), PrivProtocol::Aes128, priv_pass.as_bytes())
                .map_err(|e| config(format!("SNMPv3 user {user:?}: {e}")))?
                .into()
        }
    };
    let retry = Retry::fixed(t.retries, Duration::ZERO).map_err(|e| config(e.to_string()))?;
    let patience = t.timeout.saturating_mul(t.retries.saturating_add(1));
    let client = Client::builder(addr, auth)
        .request_timeout(t.timeout)
        .retry(retry)
        .connect()
        .await
        .map_err(|e| error(addr, patience, &e))?;
    Ok(Conn { client, addr, patience })
}

impl Conn {
    /// The values of `oids`, in order; `None` where the agent has no such
    /// object (noSuchObject, noSuchInstance, endOfMibView).
    pub(super) async fn get(&self, oids: &[Oid]) -> Result<Vec<Option<Value>>, SnmpError> {
        let resp = self.client.get_many(oids).await.map_err(|e| error(self.addr, self.patience, &e))?;
        Ok(oids
            .iter()
            .map(|oid| {
                resp.varbinds.iter().find(|vb| &vb.oid == oid).map(|vb| vb.value.clone()).filter(|v| !v.is_exception())
            })
            .collect())
    }

    /// Every object under `base` as (the arcs after `base`, value), by
    /// GETBULK; at most [`MAX_ROWS`] rows.
    pub(super) async fn walk(&self, base: &Oid) -> Result<Vec<(Vec<u32>, Value)>, SnmpError> {
        let mut stream =
            self.client.bulk_walk(base.clone(), MAX_REPETITIONS).map_err(|e| error(self.addr, self.patience, &e))?;
        let mut rows = Vec::new();
        while let Some(vb) = stream.next().await {
            let vb = vb.map_err(|e| error(self.addr, self.patience, &e))?;
            if rows.len() == MAX_ROWS {
                tracing::warn!(agent = %self.addr, oid = %base, limit = MAX_ROWS, "SNMP walk cut short");
                break;
            }
            let suffix = vb.oid.arcs().get(base.len()..).unwrap_or_default().to_vec();
            rows.push((suffix, vb.value));
        }
        Ok(rows)
    }

    /// [`Conn::walk`] of a column indexed by one integer: (index, value).
    pub(super) async fn column(&self, base: &Oid) -> Result<Vec<(u32, Value)>, SnmpError> {
        Ok(self.walk(base).await?.into_iter().filter_map(|(s, v)| (s.len() == 1).then(|| (s[0], v))).collect())
    }

    pub(super) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// The library's error in lango's words. A timeout says how long the
/// target's settings allow (`patience`), not the measured time, which
/// varies by a few milliseconds.
fn error(addr: SocketAddr, patience: Duration, e: &async_snmp::Error) -> SnmpError {
    use async_snmp::Error as E;
    let e = e.exchange_source();
    match e {
        E::Timeout { .. } | E::ConstructionTimeout { .. } => SnmpError::NoAnswer { addr, waited: patience },
        E::Network { source, .. } => SnmpError::Network { addr, detail: source.to_string() },
        E::Snmp { status, oid, .. } => {
            let at = oid.as_ref().map(|o| format!(" at {o}")).unwrap_or_default();
            SnmpError::Agent { addr, detail: format!("{status}{at}") }
        }
        _ => match e.kind() {
            ErrorKind::Config | ErrorKind::InvalidOid | ErrorKind::Privacy | ErrorKind::RandomSource => {
                SnmpError::Config { addr, reason: e.to_string() }
            }
            _ => SnmpError::Protocol { addr, detail: e.to_string() },
        },
    }
}

/// A text object (OCTET STRING) as a string, lossy, without trailing NULs.
pub(super) fn text(v: &Value) -> Option<String> {
    let b = v.as_bytes()?;
    Some(String::from_utf8_lossy(b).trim_end_matches('\0').to_string())
}

/// A signed number from INTEGER or an unsigned type.
pub(super) fn int(v: &Value) -> Option<i64> {
    v.as_i32().map(i64::from).or_else(|| v.as_u64().and_then(|n| i64::try_from(n).ok()))
}
