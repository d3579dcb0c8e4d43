//! Typed configuration: defaults, then the TOML file, then `LANGO_*`
//! environment variables, then command-line flags. Unknown keys and bad
//! values refuse to start with the key named. `lango.example.toml`
//! documents every key; a test parses it.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory holding lango.redb (and, by default, lango.key).
    pub data_dir: PathBuf,
    pub radius: RadiusConfig,
    pub http: HttpConfig,
    pub store: StoreConfig,
    pub log: LogConfig,
    pub jobs: JobsConfig,
    pub backup: BackupConfig,
    pub snmp: SnmpConfig,
    pub memory: MemoryConfig,
    pub sync: SyncConfig,
}

/// This lango's part in a multi-site deployment (ARCHITECTURE.md, "Many
/// sites and a hub"). The sync key (`LANGO_SYNC_KEY`) and the NATS token
/// (`LANGO_SYNC_NATS_TOKEN`) come from the environment, never from here.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// "standalone", "hub" or "site".
    pub role: String,
    /// This node's name in the stream: letters, digits and '-'.
    pub node: String,
    /// NATS servers of the hub's JetStream cluster (or a local leaf node):
    /// a list, or one string separated by commas (handy in an environment
    /// variable).
    #[serde(deserialize_with = "list_or_commas")]
    pub nats_urls: Vec<String>,
    /// Replicas of the streams the hub creates (3 for a 3-node cluster).
    pub replicas: usize,
    /// Standby of a site: the primary's node name, whose accounting this
    /// one folds too, so it can take over its sessions.
    pub follow: String,
    /// The most a stream may keep, MiB (JetStream discards the oldest).
    pub stream_max_mb: u64,
    /// The hub cluster's JetStream domain, when a site reaches it through
    /// a local leaf node (the leaf hands `$JS.<domain>.API` to the hub).
    pub domain: String,
}

fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Either::deserialize(d)? {
        Either::One(s) => s.split(',').map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect(),
        Either::Many(v) => v,
    })
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            role: "standalone".into(),
            node: String::new(),
            nats_urls: Vec::new(),
            replicas: 3,
            follow: String::new(),
            stream_max_mb: 1024,
            domain: String::new(),
        }
    }
}

/// The memory lango plans for. Every in-memory table and queue is sized
/// from it (see [`Budget`]), so a burst meets a full queue (and the router
/// retransmits) instead of growing the process.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// MiB; the RouterOS install script sets it with the container's limit.
    pub max_mb: usize,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig { max_mb: 64 }
    }
}

/// Caps derived from `memory.max_mb`: what each table and queue may hold.
/// At 32 MiB: an 8 MiB page cache, 2,048 accounting requests waiting for
/// the journal, 8,192 journaled records waiting for the fold, 8,192 cached
/// replies, 32,768 guessing-guard entries and 8,192 pending sign-in codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub cache_mb: usize,
    pub acct_queue: usize,
    pub fold_max: usize,
    pub reply_slots: usize,
    pub guard_entries: usize,
    pub otp_entries: usize,
}

impl Budget {
    pub fn new(max_mb: usize, cache_mb: Option<usize>) -> Budget {
        let scaled = |per_mb: usize, lo: usize, hi: usize| max_mb.saturating_mul(per_mb).clamp(lo, hi);
        Budget {
            cache_mb: cache_mb.unwrap_or((max_mb / 4).max(2)),
            acct_queue: scaled(64, 1024, 65_536),
            fold_max: scaled(256, 4096, 65_536),
            reply_slots: scaled(256, 4096, 262_144),
            guard_entries: scaled(1024, 16_384, 1 << 20),
            otp_entries: scaled(256, 4096, 262_144),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SnmpConfig {
    /// Seconds between polls of each router with SNMP settings; 0 = off.
    pub interval_secs: u64,
    /// How long one request may take before it is retried, milliseconds.
    pub timeout_ms: u64,
    pub retries: u32,
    /// Routers polled at once.
    pub concurrency: usize,
    /// Alert when a router's CPU load stays at or over this (percent; 0: never).
    pub cpu_alert_percent: u8,
    /// Alert when a router's hottest sensor stays at or over this (°C; 0: never).
    pub temperature_alert_c: u16,
    /// Alert when an SFP's receive power stays under this (dBm, -60 to 0;
    /// 0: never).
    pub sfp_rx_alert_dbm: f64,
}

impl Default for SnmpConfig {
    fn default() -> Self {
        SnmpConfig {
            interval_secs: 60,
            timeout_ms: 2000,
            retries: 1,
            concurrency: 8,
            cpu_alert_percent: 90,
            temperature_alert_c: 70,
            sfp_rx_alert_dbm: -25.0,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Where backups are written; unset: `<data_dir>/backups`.
    pub dir: Option<PathBuf>,
    /// Hours between scheduled backups; 0 turns them off.
    pub every_hours: u64,
    /// Retention: the newest backup of each of the last `keep_daily` days
    /// and of the last `keep_monthly` months stay, the rest are deleted.
    pub keep_daily: usize,
    pub keep_monthly: usize,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig { dir: None, every_hours: 24, keep_daily: 7, keep_monthly: 6 }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Seconds between scheduler rounds (expiry, auto-renew, stale
    /// sessions, vouchers, postpaid, payment reconciliation).
    pub tick_secs: u64,
    /// A session with no accounting for two interim intervals plus this
    /// many seconds is closed as stale.
    pub stale_margin_secs: u64,
    /// An STK Push with no callback after this many seconds is checked
    /// with Daraja's status query (and again each round after that).
    pub reconcile_after_secs: u64,
    /// CoA / Disconnect retransmission timeouts, seconds, one per try.
    pub coa_timeouts: Vec<u64>,
    /// Seconds between RouterOS API rounds over routers with API
    /// credentials: DHCP leases and hotspot hosts for the portal, and the
    /// address lists and queues of static-IP customers. 0 = off.
    pub router_poll_secs: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            tick_secs: 30,
            stale_margin_secs: 120,
            reconcile_after_secs: 60,
            coa_timeouts: vec![1, 2, 4],
            router_poll_secs: 60,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RadiusConfig {
    pub auth_listen: SocketAddr,
    pub acct_listen: SocketAddr,
    /// How long a reply stays in the duplicate-request cache (RFC 5080 §2.2.2).
    pub reply_cache_secs: u64,
    /// Tasks serving the authentication socket.
    pub auth_workers: usize,
    /// Largest number of accounting records committed in one transaction.
    pub group_commit_max: usize,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Serve the web server (admin UI, portal, API, hooks, callbacks).
    pub enabled: bool,
    pub listen: SocketAddr,
    /// Base URL at which M-Pesa reaches this lango (https://billing.example.com);
    /// callback URLs are built from it. Empty: http://<listen address>, which
    /// only a local simulator can reach.
    pub public_url: String,
    /// Reverse proxies (addresses or ADDR/PREFIX) whose X-Forwarded-For
    /// the portal believes; from anyone else the header is ignored, so a
    /// client cannot claim another customer's address.
    pub trusted_proxies: Vec<String>,
    /// Also serve HTTPS (rustls) on `https_listen`. Admin, setup and
    /// account pages then redirect there from plain HTTP; the portal,
    /// hotspot pages, hooks and callbacks stay on both.
    pub tls: bool,
    pub https_listen: SocketAddr,
    /// PEM certificate chain and private key. Unset: a self-signed
    /// certificate is generated at first start into `<data_dir>/tls/`
    /// and its SHA-256 fingerprint logged and shown at setup.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Strict-Transport-Security on admin and account pages served over
    /// HTTPS (browsers ignore it for bare IP addresses).
    pub hsts: bool,
    /// Who may read `/metrics` (Prometheus): these addresses or
    /// ADDR/PREFIX, and anyone sending `Authorization: Bearer
    /// <metrics_token>` when a token is set (e.g. LANGO_HTTP_METRICS_TOKEN).
    pub metrics_allow: Vec<String>,
    pub metrics_token: String,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// redb page cache in MiB; unset: a quarter of `memory.max_mb`.
    pub cache_mb: Option<usize>,
    /// Key that encrypts secrets at rest; default `<data_dir>/lango.key`.
    /// Keep it outside backups of the database file.
    pub key_file: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// tracing filter, e.g. "info" or "lango=debug".
    pub level: String,
    /// "text" or "json".
    pub format: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            radius: RadiusConfig::default(),
            http: HttpConfig::default(),
            store: StoreConfig::default(),
            log: LogConfig::default(),
            jobs: JobsConfig::default(),
            backup: BackupConfig::default(),
            snmp: SnmpConfig::default(),
            memory: MemoryConfig::default(),
            sync: SyncConfig::default(),
        }
    }
}

impl Default for RadiusConfig {
    fn default() -> Self {
        RadiusConfig {
            auth_listen: "0.0.0.0:1812".parse().expect("literal"),
            acct_listen: "0.0.0.0:1813".parse().expect("literal"),
            reply_cache_secs: 30,
            auth_workers: 2,
            group_commit_max: 2048,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            enabled: true,
            listen: "0.0.0.0:8080".parse().expect("literal"),
            public_url: String::new(),
            trusted_proxies: Vec::new(),
            tls: true,
            https_listen: "0.0.0.0:8443".parse().expect("literal"),
            tls_cert: None,
            tls_key: None,
            hsts: true,
            metrics_allow: vec!["127.0.0.0/8".into(), "::1".into()],
            metrics_token: String::new(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { level: "info".into(), format: "text".into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("setting {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// `LANGO_*` variables read where they are used, not config keys: the
/// first-run setup token (a secret, never logged) and the backup to
/// restore on a fresh data directory.
pub const SECRET_VARS: &[&str] =
    &["LANGO_SETUP_TOKEN", "LANGO_RESTORE_FROM", "LANGO_SYNC_KEY", "LANGO_SYNC_NATS_TOKEN"];

const SECTIONS: [&str; 9] = ["radius", "http", "store", "log", "jobs", "backup", "snmp", "memory", "sync"];

impl Config {
    /// Load from an optional file plus the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> =
            std::env::vars().filter(|(k, _)| k.starts_with("LANGO_") && !SECRET_VARS.contains(&k.as_str())).collect();
        Self::load_from(file, &vars)
    }

    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let (mut table, origin) = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
                let t: toml::Table = text
                    .parse()
                    .map_err(|e: toml::de::Error| ConfigError::Parse { path: path.into(), message: e.to_string() })?;
                (t, path.to_path_buf())
            }
            None => (toml::Table::new(), PathBuf::from("(defaults)")),
        };
        for (var, value) in env {
            apply_env(&mut table, var, value)?;
        }
        let cfg: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse { path: origin, message: e.to_string() })?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key, message: &str| Err(ConfigError::Invalid { key, message: message.into() });
        if self.radius.auth_workers == 0 || self.radius.auth_workers > 64 {
            return bad("radius.auth_workers", "must be 1..=64");
        }
        if self.radius.group_commit_max == 0 {
            return bad("radius.group_commit_max", "must be at least 1");
        }
        if !(16..=1 << 20).contains(&self.memory.max_mb) {
            return bad("memory.max_mb", "must be at least 16 (MiB)");
        }
        match self.store.cache_mb {
            Some(0) => return bad("store.cache_mb", "must be at least 1"),
            Some(mb) if mb > self.memory.max_mb / 2 => {
                return bad("store.cache_mb", "must be at most half of memory.max_mb (or unset)");
            }
            _ => {}
        }
        let sync = &self.sync;
        if !["standalone", "hub", "site"].contains(&sync.role.as_str()) {
            return bad("sync.role", "must be standalone, hub or site");
        }
        if sync.role != "standalone" {
            let name_ok =
                |n: &str| !n.is_empty() && n.len() <= 32 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !name_ok(&sync.node) {
                return bad("sync.node", "must name this node: 1 to 32 letters, digits or '-'");
            }
            if sync.nats_urls.is_empty()
                || sync.nats_urls.iter().any(|u| !u.starts_with("nats://") && !u.starts_with("tls://"))
            {
                return bad("sync.nats_urls", "must list the NATS servers, as nats://host:port or tls://host:port");
            }
            if !sync.follow.is_empty() && (sync.role != "site" || !name_ok(&sync.follow) || sync.follow == sync.node) {
                return bad("sync.follow", "names the primary site a standby site follows (not itself)");
            }
        }
        if !(1..=5).contains(&sync.replicas) {
            return bad("sync.replicas", "must be 1..=5");
        }
        if !sync.domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return bad("sync.domain", "must be the JetStream domain's name: letters, digits, '-' or '_'");
        }
        if sync.stream_max_mb == 0 {
            return bad("sync.stream_max_mb", "must be at least 1");
        }
        if self.jobs.tick_secs == 0 || self.jobs.tick_secs > 3600 {
            return bad("jobs.tick_secs", "must be 1..=3600");
        }
        if self.jobs.coa_timeouts.is_empty() || self.jobs.coa_timeouts.iter().any(|&t| t == 0 || t > 60) {
            return bad("jobs.coa_timeouts", "must list 1 to n timeouts of 1..=60 seconds");
        }
        let url = &self.http.public_url;
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return bad("http.public_url", "must start with https:// (or http://)");
        }
        if let Some(bad_proxy) = self.http.trusted_proxies.iter().find(|p| crate::model::Cidr::parse(p).is_none()) {
            return Err(ConfigError::Invalid {
                key: "http.trusted_proxies",
                message: format!("{bad_proxy:?} is not an address or ADDR/PREFIX"),
            });
        }
        if let Some(bad_net) = self.http.metrics_allow.iter().find(|p| crate::model::Cidr::parse(p).is_none()) {
            return Err(ConfigError::Invalid {
                key: "http.metrics_allow",
                message: format!("{bad_net:?} is not an address or ADDR/PREFIX"),
            });
        }
        if !self.http.metrics_token.is_empty() && self.http.metrics_token.len() < 16 {
            return bad("http.metrics_token", "must be empty (no token) or at least 16 characters");
        }
        match (&self.http.tls_cert, &self.http.tls_key) {
            (Some(_), None) => return bad("http.tls_key", "is needed with http.tls_cert"),
            (None, Some(_)) => return bad("http.tls_cert", "is needed with http.tls_key"),
            _ => {}
        }
        if self.http.tls && self.http.enabled && self.http.https_listen == self.http.listen {
            return bad("http.https_listen", "must differ from http.listen");
        }
        if self.backup.every_hours > 24 * 31 {
            return bad("backup.every_hours", "must be 0 (off) to 744");
        }
        if self.backup.keep_daily == 0 && self.backup.keep_monthly == 0 {
            return bad("backup.keep_daily", "keep_daily and keep_monthly cannot both be 0");
        }
        if self.snmp.interval_secs > 3600 {
            return bad("snmp.interval_secs", "must be 0 (off) to 3600");
        }
        if !(100..=30_000).contains(&self.snmp.timeout_ms) {
            return bad("snmp.timeout_ms", "must be 100..=30000");
        }
        if !(1..=64).contains(&self.snmp.concurrency) {
            return bad("snmp.concurrency", "must be 1..=64");
        }
        if !(-60.0..=0.0).contains(&self.snmp.sfp_rx_alert_dbm) {
            return bad("snmp.sfp_rx_alert_dbm", "must be 0 (off) or a receive power floor from -60 to 0 dBm");
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format", "must be \"text\" or \"json\"");
        }
        if self.log.level.parse::<tracing_subscriber::filter::Targets>().is_err() {
            return bad("log.level", "is not a valid filter (try \"info\" or \"lango=debug\")");
        }
        Ok(())
    }

    pub fn budget(&self) -> Budget {
        Budget::new(self.memory.max_mb, self.store.cache_mb)
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("lango.redb")
    }

    pub fn backup_dir(&self) -> PathBuf {
        self.backup.dir.clone().unwrap_or_else(|| self.data_dir.join("backups"))
    }

    pub fn key_path(&self) -> PathBuf {
        self.store.key_file.clone().unwrap_or_else(|| self.data_dir.join("lango.key"))
    }
}

/// `LANGO_RADIUS_AUTH_LISTEN=…` → `[radius] auth_listen = …`. The value is
/// read as a TOML literal when it is one (numbers, booleans), else as a string.
fn apply_env(table: &mut toml::Table, var: &str, value: &str) -> Result<(), ConfigError> {
    let name = var.trim_start_matches("LANGO_").to_ascii_lowercase();
    let err = |message: String| ConfigError::Env { var: var.to_string(), message };
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table())
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    if let Some(section) = SECTIONS.iter().find(|s| name.starts_with(&format!("{s}_"))) {
        let key = name[section.len() + 1..].to_string();
        let entry = table.entry(section.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(sub) = entry.as_table_mut() else {
            return Err(err(format!("[{section}] in the config file is not a table")));
        };
        sub.insert(key, parsed);
    } else if name == "data_dir" {
        table.insert(name, parsed);
    } else {
        return Err(err("unknown setting (see lango.example.toml for the list)".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_and_matches_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("lango.example.toml");
        let cfg = Config::load_from(Some(&path), &[]).unwrap();
        assert_eq!(cfg, Config::default(), "lango.example.toml should document the defaults");
    }

    #[test]
    fn env_overrides_file() {
        let env = vec![
            ("LANGO_RADIUS_AUTH_LISTEN".to_string(), "127.0.0.1:0".to_string()),
            ("LANGO_STORE_CACHE_MB".to_string(), "4".to_string()),
            ("LANGO_DATA_DIR".to_string(), "/tmp/x".to_string()),
        ];
        let cfg = Config::load_from(None, &env).unwrap();
        assert_eq!(cfg.radius.auth_listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(cfg.store.cache_mb, Some(4));
        assert_eq!(cfg.budget().cache_mb, 4);
        assert_eq!(cfg.data_dir, PathBuf::from("/tmp/x"));
        // A whole number where a float belongs, as an environment value.
        let cfg = Config::load_from(None, &[("LANGO_SNMP_SFP_RX_ALERT_DBM".into(), "-20".into())]).unwrap();
        assert_eq!(cfg.snmp.sfp_rx_alert_dbm, -20.0);
    }

    #[test]
    fn bad_config_names_the_key() {
        let dir = std::env::temp_dir().join(format!("lango-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases = [
            ("[radius]\nauth_listn = \"1.2.3.4:1\"\n", "auth_listn"),
            ("[radius]\nauth_listen = \"nope\"\n", "auth_listen"),
            ("[store]\ncache_mb = 0\n", "store.cache_mb"),
            ("[log]\nformat = \"xml\"\n", "log.format"),
            ("[nonsense]\n", "nonsense"),
            ("[http]\nmetrics_token = \"short\"\n", "http.metrics_token"),
            ("[http]\nmetrics_allow = [\"10.0.0.0/99\"]\n", "http.metrics_allow"),
            ("[snmp]\ninterval_secs = 99999\n", "snmp.interval_secs"),
            ("[snmp]\nconcurrency = 0\n", "snmp.concurrency"),
            ("[snmp]\nsfp_rx_alert_dbm = 3.5\n", "snmp.sfp_rx_alert_dbm"),
            ("[snmp]\nsfp_rx_alert_dbm = -99\n", "snmp.sfp_rx_alert_dbm"),
            ("[memory]\nmax_mb = 8\n", "memory.max_mb"),
            ("[memory]\nmax_mb = 32\n[store]\ncache_mb = 20\n", "store.cache_mb"),
            ("[log]\nlevel = \"lango=loud\"\n", "log.level"),
            ("[sync]\nrole = \"leader\"\n", "sync.role"),
            ("[sync]\nrole = \"site\"\nnats_urls = \"nats://h:4222\"\n", "sync.node"),
            ("[sync]\nrole = \"hub\"\nnode = \"hub\"\n", "sync.nats_urls"),
            ("[sync]\nrole = \"site\"\nnode = \"a\"\nnats_urls = \"http://h\"\n", "sync.nats_urls"),
            ("[sync]\nrole = \"hub\"\nnode = \"h\"\nnats_urls = \"nats://h:1\"\nfollow = \"a\"\n", "sync.follow"),
            ("[sync]\nreplicas = 7\n", "sync.replicas"),
        ];
        for (i, (text, key)) in cases.iter().enumerate() {
            let p = dir.join(format!("c{i}.toml"));
            std::fs::write(&p, text).unwrap();
            let e = Config::load_from(Some(&p), &[]).unwrap_err().to_string();
            assert!(e.contains(key), "{text:?}: error {e:?} should name {key}");
        }
        let e = Config::load_from(None, &[("LANGO_RADIUS_NOPE".into(), "1".into())]).unwrap_err().to_string();
        assert!(e.contains("nope"), "{e}");
        let e = Config::load_from(None, &[("LANGO_BOGUS".into(), "1".into())]).unwrap_err().to_string();
        assert!(e.contains("LANGO_BOGUS"), "{e}");
    }

    #[test]
    fn the_budget_follows_memory_max_mb() {
        let at = |mb| Config::load_from(None, &[("LANGO_MEMORY_MAX_MB".into(), format!("{mb}"))]).unwrap().budget();
        let small = at(32);
        assert_eq!((small.cache_mb, small.acct_queue, small.fold_max, small.reply_slots), (8, 2048, 8192, 8192));
        let default = Config::default().budget();
        assert_eq!(default.cache_mb, 16, "the page cache the default has always had");
        assert!(default.reply_slots > small.reply_slots && default.guard_entries > small.guard_entries);
        assert_eq!(at(16).acct_queue, 1024, "floors keep a tiny budget working");
    }
}
