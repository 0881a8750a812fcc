//! Persistent state: metadata in SQLite, bytes in files under `<data-dir>/blobs`.
//!
//! Crash safety: bytes are written to `<data-dir>/tmp`, fsynced and renamed into
//! `blobs/` under a fresh name, and only then referenced from a SQLite
//! transaction. A crash leaves at worst an unreferenced file, which `open`
//! removes; a half-received body never gets a row.

pub(crate) mod archives;
pub(crate) mod blob;
pub(crate) mod inventory;
pub(crate) mod jobs;
pub(crate) mod stream;

use crate::error::{ApiError, ApiResult};
use crate::sync::lock;
use oas_digest::digest::Hex;
use rand::Rng;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// A random 32-character upper-case hex identifier.
pub fn new_id() -> String {
    let v: u128 = rand::thread_rng().gen();
    format!("{v:032X}")
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// RFC 1123 rendering of epoch seconds (`""` for none).
pub fn rfc1123(secs: Option<i64>) -> String {
    match secs {
        Some(s) if s >= 0 => {
            httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(s as u64))
        }
        _ => String::new(),
    }
}

/// Packs leaf hashes into a blob.
pub fn leaves_to_blob(leaves: &[Hex]) -> Vec<u8> {
    leaves.concat()
}

/// Unpacks a leaf blob.
pub fn blob_to_leaves(blob: &[u8]) -> Vec<Hex> {
    blob.chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect()
}

/// Tree etag from leaf hashes (§3.2 combination).
pub fn tree_of(leaves: &[Hex]) -> String {
    let strs: Vec<&str> = leaves
        .iter()
        .map(|h| std::str::from_utf8(h).unwrap_or(""))
        .collect();
    oas_digest::digest::combine_tree_etags(&strs).unwrap_or_default()
}

/// One piece of stored content: `len` bytes at `offset` of the owner's content,
/// held in the blob file `file`.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Offset of the segment within the owner's content.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// File name under `blobs/`.
    pub file: String,
}

/// The store: one SQLite connection behind a mutex plus the blob directory.
pub struct Store {
    conn: Mutex<Connection>,
    dir: PathBuf,
}

const SCHEMA: &str = "
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE IF NOT EXISTS vaults(id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL,
  created INTEGER NOT NULL, last_inventory INTEGER);
CREATE TABLE IF NOT EXISTS archives(id TEXT PRIMARY KEY, vault_id TEXT NOT NULL,
  description TEXT NOT NULL, created INTEGER NOT NULL, size INTEGER NOT NULL,
  tree_etag TEXT NOT NULL, leaves BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS segments(owner TEXT NOT NULL, offset INTEGER NOT NULL,
  len INTEGER NOT NULL, file TEXT NOT NULL, PRIMARY KEY(owner, offset));
CREATE TABLE IF NOT EXISTS uploads(id TEXT PRIMARY KEY, vault_id TEXT NOT NULL,
  description TEXT NOT NULL, created INTEGER NOT NULL, part_size INTEGER NOT NULL,
  archive_id TEXT);
CREATE TABLE IF NOT EXISTS parts(upload_id TEXT NOT NULL, start INTEGER NOT NULL,
  len INTEGER NOT NULL, etag TEXT NOT NULL, tree_etag TEXT NOT NULL, leaves BLOB NOT NULL,
  file TEXT NOT NULL, PRIMARY KEY(upload_id, start));
CREATE TABLE IF NOT EXISTS jobs(id TEXT PRIMARY KEY, vault_id TEXT NOT NULL,
  action TEXT NOT NULL, archive_id TEXT NOT NULL, description TEXT NOT NULL,
  created INTEGER NOT NULL, ready_at_ms INTEGER NOT NULL, completed INTEGER,
  status TEXT NOT NULL, message TEXT NOT NULL, range_start INTEGER, range_end INTEGER,
  archive_size INTEGER NOT NULL, archive_tree_etag TEXT NOT NULL, tree_etag TEXT NOT NULL,
  inventory_size INTEGER NOT NULL, oss_host TEXT NOT NULL, bucket TEXT NOT NULL,
  object TEXT NOT NULL, output_len INTEGER NOT NULL, output_leaves BLOB NOT NULL);
";

impl Store {
    /// Opens (creating if needed) the store in `dir`, clears `tmp/` and removes
    /// blob files no row refers to (left by a crash).
    pub fn open(dir: &Path) -> ApiResult<Store> {
        std::fs::create_dir_all(dir.join("blobs"))?;
        let tmp = dir.join("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        let conn = Connection::open(dir.join("oas.sqlite"))?;
        conn.execute_batch(SCHEMA)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let store = Store {
            conn: Mutex::new(conn),
            dir: dir.to_path_buf(),
        };
        store.collect_garbage()?;
        Ok(store)
    }

    fn collect_garbage(&self) -> ApiResult<()> {
        let used: std::collections::HashSet<String> = {
            let c = self.db();
            let mut st = c.prepare("SELECT file FROM segments UNION SELECT file FROM parts")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<_, _>>()?
        };
        for e in std::fs::read_dir(self.dir.join("blobs"))? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if !used.contains(&name) {
                crate::log::info(&format!("removing unreferenced blob {name}"));
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(())
    }

    /// The database connection (short critical sections only).
    pub fn db(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// Directory for temporary files (same file system as `blobs/`).
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// Path of a blob file.
    pub fn blob_path(&self, file: &str) -> PathBuf {
        self.dir.join("blobs").join(file)
    }

    /// Makes a finished temporary file durable as a new blob; returns its name.
    pub fn persist(&self, tmp: tempfile::NamedTempFile) -> ApiResult<String> {
        tmp.as_file().sync_all()?;
        let name = new_id();
        tmp.persist(self.blob_path(&name))
            .map_err(|e| ApiError::internal(e.error))?;
        sync_dir(&self.dir.join("blobs"));
        Ok(name)
    }

    /// Hard-links (or copies) a blob under a new name, for job outputs that must
    /// outlive the archive they were taken from.
    pub fn link_blob(&self, file: &str) -> ApiResult<String> {
        let name = new_id();
        let (src, dst) = (self.blob_path(file), self.blob_path(&name));
        if std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst)?;
        }
        Ok(name)
    }

    /// Deletes blob files (after the rows referring to them are gone).
    pub fn remove_blobs(&self, files: &[String]) {
        for f in files {
            let _ = std::fs::remove_file(self.blob_path(f));
        }
    }

    /// Segments of an archive or job output, by offset.
    pub fn segments(&self, owner: &str) -> ApiResult<Vec<Segment>> {
        let c = self.db();
        let mut st =
            c.prepare("SELECT offset, len, file FROM segments WHERE owner=?1 ORDER BY offset")?;
        let rows = st.query_map(params![owner], |r| {
            Ok(Segment {
                offset: r.get::<_, i64>(0)? as u64,
                len: r.get::<_, i64>(1)? as u64,
                file: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Fails with `VaultNotExists` unless the vault exists.
    pub fn check_vault(&self, id: &str) -> ApiResult<()> {
        let n: i64 = self.db().query_row(
            "SELECT count(*) FROM vaults WHERE id=?1",
            params![id],
            |r| r.get(0),
        )?;
        if n == 0 {
            return Err(ApiError::not_found("VaultNotExists", id));
        }
        Ok(())
    }
}

/// fsyncs a directory so a rename in it is durable (best effort).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// One page of a listing: the ids in order, starting at `marker` (inclusive),
/// at most `limit`; returns the page and the next marker (`""` at the end).
pub fn paginate(ids: Vec<String>, marker: &str, limit: usize) -> ApiResult<(Vec<String>, String)> {
    let start = if marker.is_empty() {
        0
    } else {
        ids.iter()
            .position(|i| i == marker)
            .ok_or_else(|| ApiError::invalid(format!("marker {marker} does not name an item")))?
    };
    let end = (start + limit).min(ids.len());
    let next = ids.get(end).cloned().unwrap_or_default();
    Ok((ids[start..end].to_vec(), next))
}

/// Parses `marker` / `limit` from the query (§1): non-numeric or non-positive
/// `limit` is `ParameterIllegal`, above the cap it is clamped.
pub fn page_params(query: &[(String, String)], cap: usize) -> ApiResult<(String, usize)> {
    let mut marker = String::new();
    let mut limit = cap;
    for (k, v) in query {
        match k.as_str() {
            "marker" => marker = v.clone(),
            "limit" if !v.is_empty() => {
                let n: i64 = v.trim().parse().map_err(|_| {
                    ApiError::bad("ParameterIllegal", format!("limit {v:?} is not a number"))
                })?;
                if n < 1 {
                    return Err(ApiError::bad(
                        "ParameterIllegal",
                        format!("limit {n} must be positive"),
                    ));
                }
                limit = (n as usize).min(cap);
            }
            _ => {}
        }
    }
    Ok((marker, limit))
}
