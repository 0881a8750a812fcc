//! Inventory output (spec §4.4), written entry by entry: the archive rows are
//! streamed from SQLite into a buffered temporary file, so memory stays
//! bounded however many archives the vault holds (building the whole list as
//! JSON values first took about 1 KiB per archive).

use crate::db::{rfc1123, Store};
use crate::error::{ApiError, ApiResult};
use rusqlite::params;
use serde::Serialize;
use std::io::Write;

/// One `ArchiveList` entry, fields in the manual's order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    archive_id: String,
    archive_description: String,
    creation_date: String,
    size: i64,
    tree_etag: String,
}

/// Writes the inventory of `vault` dated `now` to a new temporary file;
/// returns it with its length.
pub fn write(store: &Store, vault: &str, now: i64) -> ApiResult<(tempfile::NamedTempFile, u64)> {
    let tmp = tempfile::NamedTempFile::new_in(store.tmp_dir())?;
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, tmp);
    let json = |v: &str| serde_json::to_string(v).map_err(ApiError::internal);
    write!(
        w,
        "{{\n  \"VaultId\": {},\n  \"InventoryDate\": {},\n  \"ArchiveList\": [",
        json(vault)?,
        json(&rfc1123(Some(now)))?
    )?;
    {
        let db = store.db();
        let mut q = db.prepare(
            "SELECT id, description, created, size, tree_etag FROM archives
             WHERE vault_id=?1 ORDER BY created, id",
        )?;
        let mut rows = q.query(params![vault])?;
        let mut first = true;
        while let Some(r) = rows.next()? {
            let e = Entry {
                archive_id: r.get(0)?,
                archive_description: r.get(1)?,
                creation_date: rfc1123(Some(r.get(2)?)),
                size: r.get(3)?,
                tree_etag: r.get(4)?,
            };
            w.write_all(if first { b"\n    " } else { b",\n    " })?;
            first = false;
            serde_json::to_writer(&mut w, &e).map_err(ApiError::internal)?;
        }
    }
    w.write_all(b"\n  ]\n}\n")?;
    let tmp = w.into_inner().map_err(|e| ApiError::from(e.into_error()))?;
    let len = tmp.as_file().metadata()?.len();
    Ok((tmp, len))
}
