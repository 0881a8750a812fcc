//! The progress journal of [`Job::download_to_file`](crate::jobs::Job): a JSON
//! file `<target>.oas` next to the target, listing the ranges already written
//! with their tree etags. Replaced atomically after each finished range
//! (write a temporary file, fsync, rename, fsync the directory), so a crash
//! leaves either the old or the new version, never a torn one.
//!
//! ```json
//! {"version":1,"job_id":"…","archive_id":"…","output_size":69206029,
//!  "range_size":33554432,"done":[{"start":0,"end":33554431,"tree_etag":"0917…"}]}
//! ```
//!
//! A journal is only a hint: on resume every range it lists is re-hashed from
//! the target file before it is trusted.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version written to new journals; others are ignored (start fresh).
pub const JOURNAL_VERSION: u32 = 1;

/// A range written to the target, with the tree etag of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneRange {
    /// First byte, relative to the job output.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
    /// Tree etag of the bytes written (§3.2), upper-case hex.
    pub tree_etag: String,
}

/// Contents of a `.oas` journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Format version ([`JOURNAL_VERSION`]).
    pub version: u32,
    /// Job whose output is being downloaded.
    pub job_id: String,
    /// Archive of the job (`""` for inventories).
    pub archive_id: String,
    /// Size of the job output.
    pub output_size: u64,
    /// Range size of the plan the done ranges come from.
    pub range_size: u64,
    /// Finished ranges, in ascending order.
    pub done: Vec<DoneRange>,
}

impl Journal {
    /// An empty journal for a download.
    pub fn new(job_id: &str, archive_id: &str, output_size: u64, range_size: u64) -> Journal {
        Journal {
            version: JOURNAL_VERSION,
            job_id: job_id.to_string(),
            archive_id: archive_id.to_string(),
            output_size,
            range_size,
            done: Vec::new(),
        }
    }

    /// The journal path for a target: the target's name plus `.oas`.
    pub fn path_for(target: &Path) -> PathBuf {
        let mut s = target.as_os_str().to_owned();
        s.push(".oas");
        PathBuf::from(s)
    }

    /// Reads a journal. `Ok(None)` when there is none; a file that is not a
    /// journal of this version is an `Err` (the caller starts fresh).
    pub fn load(path: &Path) -> Result<Option<Journal>> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(format!("reading journal {}", path.display()), e)),
        };
        Journal::from_bytes(&text)
            .map(Some)
            .map_err(|e| Error::Protocol(format!("journal {}: {e}", path.display())))
    }

    /// Parses the bytes of a journal file (what [`Journal::load`] read);
    /// the error text says what is wrong with them. Split out so the parser
    /// can be fuzzed without files.
    pub fn from_bytes(text: &[u8]) -> std::result::Result<Journal, String> {
        let j: Journal =
            serde_json::from_slice(text).map_err(|e| format!("not a valid journal: {e}"))?;
        if j.version != JOURNAL_VERSION {
            return Err(format!("version {}, expected {JOURNAL_VERSION}", j.version));
        }
        Ok(j)
    }

    /// The journal's JSON text, as [`Journal::save`] writes it.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::Internal(format!("encoding journal: {e}")))
    }

    /// True when the journal describes the same download.
    pub fn same_download(&self, job_id: &str, archive_id: &str, output_size: u64) -> bool {
        self.job_id == job_id && self.archive_id == archive_id && self.output_size == output_size
    }

    /// Records a finished range (keeping the list sorted, replacing an older
    /// entry for the same range).
    pub fn mark_done(&mut self, done: DoneRange) {
        self.done.retain(|d| d.start != done.start);
        let at = self.done.partition_point(|d| d.start < done.start);
        self.done.insert(at, done);
    }

    /// Writes the journal atomically: temporary file, fsync, rename, fsync of
    /// the directory.
    pub fn save(&self, path: &Path) -> Result<()> {
        let ctx = |what: &str| format!("{what} journal {}", path.display());
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let data = self.to_bytes()?;
        let mut f = File::create(&tmp).map_err(|e| Error::io(ctx("creating"), e))?;
        f.write_all(&data)
            .and_then(|_| f.sync_all())
            .map_err(|e| Error::io(ctx("writing"), e))?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(|e| Error::io(ctx("replacing"), e))?;
        sync_dir(path).map_err(|e| Error::io(ctx("syncing the directory of"), e))
    }

    /// Removes the journal (and a stray temporary file); missing is fine.
    pub fn remove(path: &Path) -> Result<()> {
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let _ = std::fs::remove_file(PathBuf::from(tmp_name));
        match std::fs::remove_file(path) {
            Ok(()) => sync_dir(path)
                .map_err(|e| Error::io(format!("syncing the directory of {}", path.display()), e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("removing journal {}", path.display()), e)),
        }
    }
}

/// Fsyncs the directory holding `path`, making a rename or unlink durable.
pub(crate) fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_ordering() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        let p = Journal::path_for(&target);
        assert_eq!(p, dir.path().join("out.bin.oas"));
        assert!(Journal::load(&p).unwrap().is_none());
        let mut j = Journal::new("J", "A", 5 << 20, 2 << 20);
        for start in [4u64 << 20, 0, 2 << 20, 0] {
            j.mark_done(DoneRange {
                start,
                end: start + 1,
                tree_etag: format!("E{start}"),
            });
        }
        let starts: Vec<u64> = j.done.iter().map(|d| d.start).collect();
        assert_eq!(starts, [0, 2 << 20, 4 << 20]);
        j.save(&p).unwrap();
        let back = Journal::load(&p).unwrap().unwrap();
        assert_eq!(back, j);
        assert!(back.same_download("J", "A", 5 << 20));
        assert!(!back.same_download("K", "A", 5 << 20));
        assert!(!back.same_download("J", "A", 5 << 20 | 1));
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("\"range_size\":2097152"), "{text}");
        Journal::remove(&p).unwrap();
        assert!(!p.exists());
        Journal::remove(&p).unwrap();
    }

    #[test]
    fn damaged_or_foreign_journals_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.oas");
        std::fs::write(&p, b"{\"version\":1,\"job_id\":").unwrap();
        assert!(Journal::load(&p).is_err());
        let mut j = Journal::new("J", "A", 1, 1);
        j.version = 99;
        std::fs::write(&p, serde_json::to_vec(&j).unwrap()).unwrap();
        assert!(Journal::load(&p).is_err());
    }
}
