//! Backups and restore. A backup is one file: a clear header (format,
//! schema, when, the journal position, which key it needs) and the
//! database file plus the accounting journal after its checkpoint,
//! deflated and sealed with ChaCha20-Poly1305 in 64 KiB chunks under a key
//! derived from `lango.key` and a random salt. The key file itself is never
//! inside: without it a backup is noise. Each chunk's nonce is its number
//! and its associated data binds the header and whether it is the last, so
//! a changed, reordered, cut or swapped chunk fails its check.
//!
//! The copy is taken while holding redb's write lock (writers wait; the
//! RADIUS path reads, and accounting is acknowledged from the journal, so
//! neither stops) after a durable commit, so the file copied is a committed
//! state, and the journal files copied with it hold every accounting
//! record acknowledged up to the copy, replayed when the backup is opened.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use super::journal::{self, JournalPos};
use super::{SCHEMA_VERSION, Store, StoreError};
use crate::model::UnixTime;

const MAGIC: &[u8; 8] = b"LANGOBK1";
const CHUNK: usize = 64 * 1024;
/// What a backup's file name starts and ends with.
pub const PREFIX: &str = "lango-";
pub const SUFFIX: &str = ".lbk";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0} is not a lango backup")]
    NotABackup(String),
    #[error(
        "the backup is from a newer lango (database schema {found}, this one knows {SCHEMA_VERSION}): upgrade lango first"
    )]
    NewerSchema { found: u64 },
    #[error(
        "the backup needs the key file with id {wanted}; {path} has id {have}. Put the lango.key that was in use when the backup was made there"
    )]
    WrongKey { wanted: String, have: String, path: String },
    #[error("the backup is damaged or was changed ({0}); nothing was restored")]
    Damaged(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.display().to_string(), source }
}

/// The clear header.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    pub format: u32,
    pub schema: u64,
    pub created_at: UnixTime,
    pub lango: String,
    /// Which key file it needs (`SecretBox::key_id`).
    pub key_id: String,
    /// Hex of the random salt the backup's key is derived with.
    pub salt: String,
    /// The accounting journal position the database copy had folded.
    pub journal: (u64, u64),
    /// The files inside, in order: name and length.
    pub files: Vec<(String, u64)>,
}

/// What a backup run produced.
#[derive(Clone, Debug)]
pub struct Made {
    pub path: PathBuf,
    pub bytes: u64,
    pub header: Header,
}

fn nonce(counter: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn aad(header_digest: &[u8], counter: u64, last: bool) -> Vec<u8> {
    let mut a = header_digest.to_vec();
    a.extend_from_slice(&counter.to_be_bytes());
    a.push(u8::from(last));
    a
}

/// A writer that seals what is written to it in chunks.
struct Sealer<W: Write> {
    out: W,
    key: LessSafeKey,
    digest: Vec<u8>,
    buf: Vec<u8>,
    counter: u64,
}

impl<W: Write> Sealer<W> {
    fn seal(&mut self, last: bool) -> std::io::Result<()> {
        let mut chunk = std::mem::take(&mut self.buf);
        let a = aad(&self.digest, self.counter, last);
        self.key
            .seal_in_place_append_tag(nonce(self.counter), Aad::from(&a), &mut chunk)
            .map_err(|_| std::io::Error::other("sealing failed"))?;
        self.out.write_all(&(chunk.len() as u32).to_be_bytes())?;
        self.out.write_all(&[u8::from(last)])?;
        self.out.write_all(&chunk)?;
        self.counter += 1;
        self.buf = Vec::with_capacity(CHUNK);
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<W> {
        self.seal(true)?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.seal(false)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A reader that opens sealed chunks, failing on any that does not check.
struct Opener<R: Read> {
    input: R,
    key: LessSafeKey,
    digest: Vec<u8>,
    plain: Vec<u8>,
    at: usize,
    counter: u64,
    done: bool,
}

impl<R: Read> Read for Opener<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
            let mut head = [0u8; 5];
            self.input.read_exact(&mut head).map_err(|_| bad(format!("it ends before chunk {}", self.counter)))?;
            let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
            if len > CHUNK + 16 || head[4] > 1 {
                return Err(bad(format!("chunk {} has a bad frame", self.counter)));
            }
            let last = head[4] == 1;
            let mut chunk = vec![0u8; len];
            self.input.read_exact(&mut chunk).map_err(|_| bad(format!("chunk {} is cut short", self.counter)))?;
            let a = aad(&self.digest, self.counter, last);
            let plain = self
                .key
                .open_in_place(nonce(self.counter), Aad::from(&a), &mut chunk)
                .map_err(|_| bad(format!("chunk {} failed its check", self.counter)))?;
            self.plain = plain.to_vec();
            self.at = 0;
            self.counter += 1;
            self.done = last;
        }
        let n = out.len().min(self.plain.len() - self.at);
        out[..n].copy_from_slice(&self.plain[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn backup_key(store: &Store, salt: &[u8]) -> LessSafeKey {
    let mut info = b"lango/backup/v1/".to_vec();
    info.extend_from_slice(salt);
    let key = store.secrets().derive(&info);
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key).expect("32-byte key"))
}

fn digest(header_bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, header_bytes).as_ref().to_vec()
}

/// The name of a backup made at `at` (UTC): sorts by time.
pub fn file_name(at: UnixTime) -> String {
    let ts = jiff::Timestamp::from_second(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{PREFIX}{}{SUFFIX}", ts.strftime("%Y%m%d-%H%M%S"))
}

/// The time in a backup's file name.
pub fn time_of(name: &str) -> Option<UnixTime> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let dt = jiff::civil::DateTime::strptime("%Y%m%d-%H%M%S", stamp).ok()?;
    Some(dt.in_tz("UTC").ok()?.timestamp().as_second())
}

impl Store {
    /// Copy the database file and the journal after its checkpoint into
    /// `staging` as a committed state (see the module comment).
    fn snapshot_into(&self, staging: &Path) -> Result<(JournalPos, Vec<PathBuf>), BackupError> {
        let Some(db_path) = self.db_path.clone() else {
            return Err(BackupError::Store(StoreError::Invalid("an in-memory database has no file to back up".into())));
        };
        // Everything committed so far made durable in the file.
        let mut tx = self.write()?;
        tx.set_durability(redb::Durability::Immediate).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.commit(tx)?;
        // Writers wait while the file is copied.
        let hold = self.write()?;
        let pos = self.journal_position()?;
        let mut copied = Vec::new();
        let target = staging.join("lango.redb");
        std::fs::copy(&db_path, &target).map_err(io(&db_path))?;
        copied.push(target);
        if let Some(dir) = self.journal_dir() {
            for g in journal::generations(dir)? {
                if g >= pos.generation {
                    let from = journal::file_name(dir, g);
                    let to = journal::file_name(staging, g);
                    std::fs::copy(&from, &to).map_err(io(&from))?;
                    copied.push(to);
                }
            }
        }
        hold.abort().map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok((pos, copied))
    }

    /// Write a backup into `dir`; the database keeps serving meanwhile.
    pub fn backup(&self, dir: &Path, now: UnixTime) -> Result<Made, BackupError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let rng = SystemRandom::new();
        let mut salt = [0u8; 16];
        rng.fill(&mut salt).map_err(|_| StoreError::Invalid("no randomness".into()))?;
        let staging = dir.join(format!(".staging-{}", super::to_hex(&salt[..6])));
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        let result = self.backup_from(&staging, dir, now, &salt);
        let _ = std::fs::remove_dir_all(&staging);
        result
    }

    fn backup_from(&self, staging: &Path, dir: &Path, now: UnixTime, salt: &[u8]) -> Result<Made, BackupError> {
        let (pos, files) = self.snapshot_into(staging)?;
        let mut list = Vec::new();
        for f in &files {
            let len = std::fs::metadata(f).map_err(io(f))?.len();
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            list.push((name, len));
        }
        let header = Header {
            format: 1,
            schema: SCHEMA_VERSION,
            created_at: now,
            lango: env!("CARGO_PKG_VERSION").into(),
            key_id: self.secrets().key_id(),
            salt: super::to_hex(salt),
            journal: (pos.generation, pos.offset),
            files: list,
        };
        let header_bytes = serde_json::to_vec(&header).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let name = file_name(now);
        let tmp = dir.join(format!(".{name}.part"));
        let path = dir.join(&name);
        let out = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        let mut out = std::io::BufWriter::new(out);
        out.write_all(MAGIC).map_err(io(&tmp))?;
        out.write_all(&(header_bytes.len() as u32).to_be_bytes()).map_err(io(&tmp))?;
        out.write_all(&header_bytes).map_err(io(&tmp))?;
        let sealer =
            Sealer { out, key: backup_key(self, salt), digest: digest(&header_bytes), buf: Vec::new(), counter: 0 };
        let mut deflate = flate2::write::DeflateEncoder::new(sealer, flate2::Compression::new(6));
        for f in &files {
            let mut input = std::fs::File::open(f).map_err(io(f))?;
            std::io::copy(&mut input, &mut deflate).map_err(io(f))?;
        }
        let sealer = deflate.finish().map_err(io(&tmp))?;
        let out = sealer.finish().map_err(io(&tmp))?;
        let file = out
            .into_inner()
            .map_err(|e| BackupError::Io { path: tmp.display().to_string(), source: e.into_error() })?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        let bytes = std::fs::metadata(&path).map_err(io(&path))?.len();
        Ok(Made { path, bytes, header })
    }
}

/// How scheduled and manual backups have gone (platform-wide).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    pub last_ok_at: Option<UnixTime>,
    pub last_file: String,
    pub last_bytes: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<UnixTime>,
    /// Failures since the last success.
    pub failures: u32,
    /// Each off-site target's last outcome: (target, when, error or "").
    pub offsite: Vec<(String, UnixTime, String)>,
}

const STATUS_KEY: &str = "backup_status";

/// A value kept under `key` in `META_BLOB` (the default before the first write).
fn get_blob<T: super::codec::Stored + Default>(
    table: &impl redb::ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<T, StoreError> {
    match table.get(key)? {
        Some(v) => super::codec::decode(v.value()),
        None => Ok(T::default()),
    }
}

impl Store {
    /// `<directory of the database>/backups`, the default backup directory.
    pub fn default_backup_dir(&self) -> Option<PathBuf> {
        Some(self.db_path.as_ref()?.parent()?.join("backups"))
    }

    pub fn backup_status(&self) -> Result<Status, StoreError> {
        let tx = self.read()?;
        get_blob(&tx.open_table(super::tables::META_BLOB)?, STATUS_KEY)
    }

    /// Record how copying to an off-site target went (`""`: it worked).
    pub fn note_offsite(&self, now: UnixTime, target: &str, error: &str) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut table = tx.open_table(super::tables::META_BLOB)?;
            let mut st: Status = get_blob(&table, STATUS_KEY)?;
            st.offsite.retain(|(t, _, _)| t != target);
            st.offsite.push((target.to_string(), now, error.to_string()));
            table.insert(STATUS_KEY, super::codec::encode(&st).as_slice())?;
        }
        self.commit(tx)
    }

    /// Record how a backup run ended (`Ok(made)` or the error's words).
    pub fn note_backup(&self, now: UnixTime, outcome: Result<&Made, &str>) -> Result<Status, StoreError> {
        let tx = self.write()?;
        let status = {
            let mut table = tx.open_table(super::tables::META_BLOB)?;
            let mut st: Status = get_blob(&table, STATUS_KEY)?;
            match outcome {
                Ok(m) => {
                    st.last_ok_at = Some(now);
                    st.last_file = m.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    st.last_bytes = m.bytes;
                    st.failures = 0;
                }
                Err(e) => {
                    st.last_error = Some(e.to_string());
                    st.last_error_at = Some(now);
                    st.failures += 1;
                }
            }
            table.insert(STATUS_KEY, super::codec::encode(&st).as_slice())?;
            st
        };
        self.commit(tx)?;
        Ok(status)
    }
}

/// Where backups are copied besides the local directory (platform-wide).
/// Secrets sealed; `None` = that kind is off.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Offsite {
    pub s3: Option<S3Target>,
    pub ftp: Option<FtpTarget>,
}

/// An S3-compatible bucket (AWS, Backblaze B2, Wasabi, MinIO, ...).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct S3Target {
    /// `https://s3.eu-west-1.amazonaws.com`, `https://s3.us-west-004.backblazeb2.com`, ...
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Key prefix, e.g. `lango/site-1/` ("" for none).
    pub prefix: String,
    pub access_key: String,
    pub secret_key: crate::model::Sealed,
    /// `https://bucket.endpoint/key` instead of `https://endpoint/bucket/key`.
    pub virtual_host: bool,
}

/// An FTP server (plain FTP; the backups are encrypted already).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FtpTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: crate::model::Sealed,
    /// Directory on the server ("" for the login directory).
    pub dir: String,
}

const OFFSITE_KEY: &str = "backup_offsite";

impl Store {
    pub fn offsite(&self) -> Result<Offsite, StoreError> {
        let tx = self.read()?;
        get_blob(&tx.open_table(super::tables::META_BLOB)?, OFFSITE_KEY)
    }

    /// Store the off-site targets, audited (platform record, no secrets).
    pub fn set_offsite(&self, actor: &str, now: UnixTime, o: &Offsite) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut table = tx.open_table(super::tables::META_BLOB)?;
            let before: Offsite = get_blob(&table, OFFSITE_KEY)?;
            table.insert(OFFSITE_KEY, super::codec::encode(o).as_slice())?;
            let shown = |o: &Offsite| {
                let s3 = o.s3.as_ref().map(|t| format!("s3={}/{}/{}", t.endpoint, t.bucket, t.prefix));
                let ftp = o.ftp.as_ref().map(|t| format!("ftp={}@{}:{}/{}", t.user, t.host, t.port, t.dir));
                Some([s3, ftp].into_iter().flatten().collect::<Vec<_>>().join(" "))
            };
            let rec = super::record(now, actor, "backup.offsite", "platform/backup".into(), shown(&before), shown(o));
            super::audit(&tx, 0, &rec)?;
        }
        self.commit(tx)
    }
}

/// What `restore` brought back.
#[derive(Debug)]
pub struct Restored {
    pub header: Header,
    pub tenants: usize,
    pub customers: usize,
    pub services: usize,
    /// Where the database that was replaced went, if there was one.
    pub previous: Option<PathBuf>,
}

/// Restore the backup at `backup` into the database at `db_path` (key at
/// `key_path`, which must be the key the backup was made with). The backup
/// is unpacked and opened aside first (every chunk checked, the journal
/// replayed); only then is the database replaced, the old one kept as
/// `lango.redb.before-restore`. The caller makes sure no lango holds the
/// database (`lango restore` asks the control socket).
pub fn restore(db_path: &Path, key_path: &Path, backup: &Path, cache_mb: usize) -> Result<Restored, BackupError> {
    let key = super::SecretBox::load_or_create(key_path, false).map_err(|e| {
        BackupError::Store(StoreError::Invalid(format!(
            "{e}: put the lango.key that was in use when the backup was made at {}",
            key_path.display()
        )))
    })?;
    let dir = db_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let staging = dir.join(format!(".restore-{}", super::random_hex(6)));
    let result = (|| {
        let header = unpack(&key, backup, &staging)?;
        // Opened aside: the journal replays into the copy, the schema is
        // brought up to date, and the tables must read.
        let staged_db = staging.join("lango.redb");
        let (tenants, customers, services) = {
            let store = Store::open(&staged_db, key_path, cache_mb)?;
            // A new instance in a deployment: its changes from now on must
            // not be taken for replays of the ones made after the backup,
            // and it reads the hub's stream again from its own mark.
            store.sync_new_instance()?;
            let tenants = store.tenants()?;
            let (mut customers, mut services) = (0, 0);
            for t in &tenants {
                customers += store.customers(t.id)?.len();
                services += store.services(t.id)?.len();
            }
            (tenants.len(), customers, services)
        };
        for g in journal::generations(&staging)? {
            let p = journal::file_name(&staging, g);
            std::fs::remove_file(&p).map_err(io(&p))?;
        }
        let previous = if db_path.exists() {
            let keep = dir.join("lango.redb.before-restore");
            std::fs::rename(db_path, &keep).map_err(io(&keep))?;
            Some(keep)
        } else {
            None
        };
        // The old timeline's journal must not replay into the restored one.
        for g in journal::generations(&dir)? {
            let p = journal::file_name(&dir, g);
            std::fs::remove_file(&p).map_err(io(&p))?;
        }
        std::fs::rename(&staged_db, db_path).map_err(io(db_path))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(Restored { header, tenants, customers, services, previous })
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// The header of the backup at `path`, read without the key.
pub fn read_header(path: &Path) -> Result<(Header, Vec<u8>, std::io::BufReader<std::fs::File>), BackupError> {
    let f = std::fs::File::open(path).map_err(io(path))?;
    let mut r = std::io::BufReader::new(f);
    let not = || BackupError::NotABackup(path.display().to_string());
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).map_err(|_| not())?;
    if &magic != MAGIC {
        return Err(not());
    }
    let mut len = [0u8; 4];
    r.read_exact(&mut len).map_err(|_| not())?;
    let len = u32::from_be_bytes(len) as usize;
    if len > 1 << 20 {
        return Err(not());
    }
    let mut bytes = vec![0u8; len];
    r.read_exact(&mut bytes).map_err(|_| BackupError::Damaged("the header is cut short".into()))?;
    let header: Header =
        serde_json::from_slice(&bytes).map_err(|e| BackupError::Damaged(format!("the header does not read: {e}")))?;
    Ok((header, bytes, r))
}

/// Check the backup at `path` against this key and schema and unpack its
/// files into `staging` (every chunk checked); nothing else is touched.
pub fn unpack(store_key: &super::SecretBox, path: &Path, staging: &Path) -> Result<Header, BackupError> {
    let (header, header_bytes, reader) = read_header(path)?;
    if header.format != 1 {
        return Err(BackupError::NotABackup(format!("{} (format {})", path.display(), header.format)));
    }
    if header.schema > SCHEMA_VERSION {
        return Err(BackupError::NewerSchema { found: header.schema });
    }
    let have = store_key.key_id();
    if header.key_id != have {
        return Err(BackupError::WrongKey { wanted: header.key_id, have, path: "the key file".into() });
    }
    let salt = super::from_hex(&header.salt).ok_or_else(|| BackupError::Damaged("the salt does not read".into()))?;
    let mut info = b"lango/backup/v1/".to_vec();
    info.extend_from_slice(&salt);
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &store_key.derive(&info)).expect("32-byte key"));
    let opener =
        Opener { input: reader, key, digest: digest(&header_bytes), plain: vec![], at: 0, counter: 0, done: false };
    let mut inflate = flate2::read::DeflateDecoder::new(opener);
    std::fs::create_dir_all(staging).map_err(io(staging))?;
    for (name, len) in &header.files {
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(BackupError::Damaged(format!("a file named {name:?}")));
        }
        let to = staging.join(name);
        let mut out = std::fs::File::create(&to).map_err(io(&to))?;
        let copied =
            std::io::copy(&mut (&mut inflate).take(*len), &mut out).map_err(|e| BackupError::Damaged(e.to_string()))?;
        if copied != *len {
            return Err(BackupError::Damaged(format!("{name} is {copied} bytes of {len}")));
        }
        out.sync_all().map_err(io(&to))?;
    }
    // Nothing may follow the last file, and the last chunk must be there.
    let mut rest = Vec::new();
    inflate.read_to_end(&mut rest).map_err(|e| BackupError::Damaged(e.to_string()))?;
    if !rest.is_empty() {
        return Err(BackupError::Damaged("data after the last file".into()));
    }
    Ok(header)
}

/// Which of the backups in `names` retention removes: the newest of each
/// of the last `daily` days and of the last `monthly` months (UTC) stay;
/// names that are not backups are left alone.
pub fn expired(names: &[String], daily: usize, monthly: usize) -> Vec<String> {
    let mut dated: Vec<(UnixTime, &String)> = names.iter().filter_map(|n| Some((time_of(n)?, n))).collect();
    dated.sort_by_key(|d| std::cmp::Reverse(d.0));
    let mut keep = std::collections::HashSet::new();
    let (mut days, mut months) = (Vec::new(), Vec::new());
    for (at, name) in &dated {
        let day = at.div_euclid(86_400);
        let month = jiff::Timestamp::from_second(*at).map(|t| t.strftime("%Y-%m").to_string()).unwrap_or_default();
        if !days.contains(&day) && days.len() < daily {
            days.push(day);
            keep.insert(name.as_str());
        }
        if !months.contains(&month) && months.len() < monthly {
            months.push(month);
            keep.insert(name.as_str());
        }
    }
    dated.iter().filter(|(_, n)| !keep.contains(n.as_str())).map(|(_, n)| (*n).clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i16, m: i8, d: i8, h: i8) -> UnixTime {
        jiff::civil::date(y, m, d).at(h, 0, 0, 0).in_tz("UTC").unwrap().timestamp().as_second()
    }

    #[test]
    fn names_carry_their_time() {
        let t = at(2026, 12, 7, 3);
        assert_eq!(file_name(t), "lango-20261207-030000.lbk");
        assert_eq!(time_of(&file_name(t)), Some(t));
        assert_eq!(time_of("notes.txt"), None);
    }

    #[test]
    fn retention_keeps_the_newest_per_day_and_per_month() {
        // Two a day for ten days in December, and one on 15 Oct and 15 Nov.
        let mut names: Vec<String> = (1..=10).flat_map(|d| [3, 15].map(|h| file_name(at(2026, 12, d, h)))).collect();
        names.push(file_name(at(2026, 10, 15, 3)));
        names.push(file_name(at(2026, 11, 15, 3)));
        names.push("README".into());
        let gone = expired(&names, 3, 2);
        let kept: Vec<&String> = names.iter().filter(|n| !gone.contains(n)).collect();
        let want = [
            "README",
            "lango-20261208-150000.lbk",
            "lango-20261209-150000.lbk",
            "lango-20261210-150000.lbk",
            "lango-20261115-030000.lbk",
        ];
        let mut kept_sorted: Vec<&str> = kept.iter().map(|s| s.as_str()).collect();
        kept_sorted.sort();
        let mut want_sorted = want.to_vec();
        want_sorted.sort();
        assert_eq!(kept_sorted, want_sorted, "3 days + November (December's newest is a daily one)");
        assert_eq!(gone.len(), names.len() - want.len());
        // Keeping nothing monthly and one daily leaves the newest only.
        assert_eq!(names.len() - expired(&names, 1, 0).len(), 2, "the newest and README");
    }

    #[test]
    fn a_backup_round_trips_and_any_change_is_refused() {
        let dir = std::env::temp_dir().join(format!("lango-backup-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let key = dir.join("lango.key");
        let store = Store::open(&dir.join("db/lango.redb"), &key, 4).unwrap();
        let t = crate::ops::tenants::new_tenant("acme", None, "Africa/Nairobi", "KES", false);
        store.create_tenant("test", 0, t).unwrap();
        let made = store.backup(&dir.join("out"), at(2026, 12, 7, 3)).unwrap();
        assert!(made.bytes > 0 && made.header.files[0].0 == "lango.redb");
        let staging = dir.join("unpacked");
        unpack(store.secrets(), &made.path, &staging).unwrap();
        assert_eq!(
            std::fs::metadata(staging.join("lango.redb")).unwrap().len(),
            made.header.files[0].1,
            "the database file comes back whole"
        );
        // A flipped byte in the body, a cut file, another key: refused.
        let bytes = std::fs::read(&made.path).unwrap();
        let mut flipped = bytes.clone();
        let last = flipped.len() - 20;
        flipped[last] ^= 1;
        let bad = dir.join("flipped.lbk");
        std::fs::write(&bad, &flipped).unwrap();
        let e = unpack(store.secrets(), &bad, &dir.join("x1")).unwrap_err().to_string();
        assert!(e.contains("damaged") && e.contains("failed its check"), "{e}");
        std::fs::write(&bad, &bytes[..bytes.len() - 30]).unwrap();
        let e = unpack(store.secrets(), &bad, &dir.join("x2")).unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
        let other = super::super::SecretBox::from_key(&[7u8; 32]);
        let e = unpack(&other, &made.path, &dir.join("x3")).unwrap_err().to_string();
        assert!(e.contains("key file with id"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
