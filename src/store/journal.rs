//! The accounting journal: an append-only file that makes accounting records
//! durable with one sequential write and one `fdatasync` per batch, so an
//! Accounting-Response can go out without waiting for a B-tree commit.
//! Records are folded into redb afterwards in larger transactions; each
//! fold stores, in the same transaction, how far into the journal it got
//! (`meta`: `journal_gen`, `journal_offset`). After a crash, `Store::open`
//! replays whatever the last durable fold had not covered.
//!
//! Files are `acct-<generation>.journal` next to the database. A frame is
//! `len: u32 LE | crc32(payload): u32 LE | payload`, the payload being the
//! versioned encoding of an [`AcctRecord`]. A torn frame at the tail (a
//! crash mid-write) ends replay and is cut off. When the current file grows
//! past [`ROTATE_BYTES`], a new generation starts; a file is deleted once a
//! durable fold has reached a later generation.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::StoreError;
use super::accounting::AcctRecord;
use super::codec::{decode, encode};

/// Start a new journal file once the current one is this large.
pub const ROTATE_BYTES: u64 = 16 * 1024 * 1024;

/// A position in the journal: the end of the last record covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct JournalPos {
    pub generation: u64,
    pub offset: u64,
}

pub struct Journal {
    dir: PathBuf,
    generation: u64,
    file: File,
    len: u64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Journal(gen {}, {} bytes)", self.generation, self.len)
    }
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Invalid(format!("accounting journal {}: {e}", path.display()))
}

pub fn file_name(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("acct-{generation:016}.journal"))
}

/// Generations present in `dir`, oldest first.
pub fn generations(dir: &Path) -> Result<Vec<u64>, StoreError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io(dir, e)),
    };
    for entry in entries {
        let name = entry.map_err(|e| io(dir, e))?.file_name();
        let name = name.to_string_lossy();
        if let Some(g) =
            name.strip_prefix("acct-").and_then(|n| n.strip_suffix(".journal")).and_then(|n| n.parse().ok())
        {
            out.push(g);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Every complete record in generation `generation` after byte `from`, each
/// with the position just past it. A torn or corrupt tail is cut off the
/// file (it was never acknowledged: acknowledgement follows the sync).
pub fn read_from(dir: &Path, generation: u64, from: u64) -> Result<Vec<(JournalPos, AcctRecord)>, StoreError> {
    let path = file_name(dir, generation);
    let mut bytes = Vec::new();
    File::open(&path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|e| io(&path, e))?;
    let mut out = Vec::new();
    let mut at = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
    let good_end = loop {
        let Some(head) = bytes.get(at..at + 8) else { break at };
        let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(head[4..].try_into().expect("4 bytes"));
        let Some(payload) = bytes.get(at + 8..at + 8 + len) else { break at };
        if crc32fast::hash(payload) != crc {
            break at;
        }
        let Ok(record) = decode::<AcctRecord>(payload) else { break at };
        at += 8 + len;
        out.push((JournalPos { generation, offset: at as u64 }, record));
    };
    if good_end < bytes.len() {
        tracing::warn!(file = %path.display(), kept = good_end, dropped = bytes.len() - good_end, "accounting journal: torn tail cut off");
        let f = OpenOptions::new().write(true).open(&path).map_err(|e| io(&path, e))?;
        f.set_len(good_end as u64).map_err(|e| io(&path, e))?;
        f.sync_all().map_err(|e| io(&path, e))?;
    }
    Ok(out)
}

impl Journal {
    /// Open a fresh generation after `after` (the newest existing one).
    pub fn create(dir: &Path, after: u64) -> Result<Journal, StoreError> {
        let generation = after + 1;
        let path = file_name(dir, generation);
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(|e| io(&path, e))?;
        // Make the new file's directory entry durable too.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Journal { dir: dir.to_path_buf(), generation, file, len: 0 })
    }

    pub fn position(&self) -> JournalPos {
        JournalPos { generation: self.generation, offset: self.len }
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Append `records` and make them durable; returns the position after
    /// the last one. On error nothing may be acknowledged.
    pub fn append(&mut self, records: &[AcctRecord]) -> Result<JournalPos, StoreError> {
        let mut buf = Vec::with_capacity(records.len() * 160);
        for r in records {
            let payload = encode(r);
            buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            buf.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
            buf.extend_from_slice(&payload);
        }
        let path = file_name(&self.dir, self.generation);
        self.file.write_all(&buf).map_err(|e| io(&path, e))?;
        self.file.sync_data().map_err(|e| io(&path, e))?;
        self.len += buf.len() as u64;
        Ok(self.position())
    }

    /// Start the next generation once this one is large. Older files stay
    /// until the database durably holds everything in them.
    pub fn rotate_if_large(&mut self) -> Result<bool, StoreError> {
        if self.len < ROTATE_BYTES {
            return Ok(false);
        }
        let next = Journal::create(&self.dir, self.generation)?;
        drop(std::mem::replace(self, next));
        Ok(true)
    }

    pub fn delete_before(&self, generation: u64) -> Result<(), StoreError> {
        for g in generations(&self.dir)? {
            if g < generation {
                let p = file_name(&self.dir, g);
                std::fs::remove_file(&p).map_err(|e| io(&p, e))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Counters;
    use crate::store::Store;
    use crate::store::accounting::AcctStatus;

    fn rec(i: u32, status: AcctStatus) -> AcctRecord {
        AcctRecord {
            tenant: 1,
            nas: 2,
            status,
            session_id: format!("s{i}"),
            username: format!("user{i:05}"),
            framed_ip: None,
            calling_station_id: None,
            nas_port_id: None,
            counters: Counters { session_time: i, bytes_in: u64::from(i) * 10, ..Counters::default() },
            terminate_cause: None,
            event_time: 1_800_000_000,
            nas_ip: None,
            ipv6: None,
        }
    }

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lango-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn append_read_and_torn_tail() {
        let dir = temp("torn");
        let mut j = Journal::create(&dir, 0).unwrap();
        let a = j.append(&[rec(1, AcctStatus::Start), rec(2, AcctStatus::Start)]).unwrap();
        let b = j.append(&[rec(3, AcctStatus::Start)]).unwrap();
        assert_eq!(a.generation, 1);
        let all = read_from(&dir, 1, 0).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[1].0, a);
        assert_eq!(all[2], (b, rec(3, AcctStatus::Start)));
        assert_eq!(read_from(&dir, 1, a.offset).unwrap().len(), 1);
        // A crash in the middle of a write leaves half a frame: cut off.
        let path = file_name(&dir, 1);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[200, 0, 0, 0, 1, 2]).unwrap();
        drop(f);
        assert_eq!(read_from(&dir, 1, 0).unwrap().len(), 3);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), b.offset, "torn tail removed");
        // A flipped byte inside a record fails its checksum: replay stops there.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[a.offset as usize + 10] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_from(&dir, 1, 0).unwrap().len(), 2);
    }

    #[test]
    fn store_open_replays_what_was_not_folded() {
        let dir = temp("replay");
        let db = dir.join("lango.redb");
        let key = dir.join("lango.key");
        {
            let store = Store::open(&db, &key, 1).unwrap();
            let t = crate::demo::seed(&store, 1_800_000_000, 0).unwrap();
            let nas = store.all_nas().unwrap()[0].id;
            let mut j = Journal::create(&dir, 0).unwrap();
            let mk =
                |i: u32| AcctRecord { tenant: t.id, nas, username: "demo-pppoe".into(), ..rec(i, AcctStatus::Start) };
            // Folded and checkpointed: must not be applied twice.
            let first = vec![mk(1), mk(2)];
            let p = j.append(&first).unwrap();
            store.apply_accounting(&first, Some(p), true).unwrap();
            // Journaled (acknowledged) but the process dies before folding.
            j.append(&[mk(3), mk(4)]).unwrap();
            // A later generation, also never folded.
            let mut j2 = Journal::create(&dir, 1).unwrap();
            j2.append(&[mk(5)]).unwrap();
        }
        let store = Store::open(&db, &key, 1).unwrap();
        let t = store.tenant_by_slug("demo").unwrap();
        let mut ids: Vec<String> =
            store.tenant_active_sessions(t.id).unwrap().into_iter().map(|s| s.acct_session_id).collect();
        ids.sort();
        assert_eq!(ids, ["s1", "s2", "s3", "s4", "s5"]);
        // Everything is durable now, so the old files are gone but the
        // newest generation's position is recorded.
        assert_eq!(
            store.journal_position().unwrap(),
            JournalPos { generation: 2, offset: read_from(&dir, 2, 0).unwrap()[0].0.offset }
        );
        assert_eq!(generations(&dir).unwrap(), vec![2]);
        // Opening again replays nothing.
        drop(store);
        let store = Store::open(&db, &key, 1).unwrap();
        assert_eq!(store.tenant_active_sessions(t.id).unwrap().len(), 5);
    }
}
