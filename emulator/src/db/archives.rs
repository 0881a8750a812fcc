//! Archive rows: the facts of a stored archive and its insertion, shared by
//! the archive and multipart handlers and the job runner (pull from OSS).

use super::{now_secs, Store};
use crate::error::{ApiError, ApiResult};
use rusqlite::{params, OptionalExtension, Transaction};

/// Stored facts of an archive.
pub struct ArchiveInfo {
    /// Description.
    pub description: String,
    /// Creation time (epoch seconds).
    pub created: i64,
    /// Size in bytes.
    pub size: u64,
    /// Whole-archive tree etag.
    pub tree_etag: String,
    /// Leaf hashes, packed.
    pub leaves: Vec<u8>,
}

/// Looks an archive up in a vault (`ArchiveNotExists` when absent).
pub fn info(store: &Store, vault: &str, archive: &str) -> ApiResult<ArchiveInfo> {
    store
        .db()
        .query_row(
            "SELECT description, created, size, tree_etag, leaves FROM archives
             WHERE id=?1 AND vault_id=?2",
            params![archive, vault],
            |r| {
                Ok(ArchiveInfo {
                    description: r.get(0)?,
                    created: r.get(1)?,
                    size: r.get::<_, i64>(2)? as u64,
                    tree_etag: r.get(3)?,
                    leaves: r.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found("ArchiveNotExists", archive))
}

/// Inserts an archive row inside a transaction.
pub fn insert_archive(
    tx: &Transaction<'_>,
    id: &str,
    vault: &str,
    desc: &str,
    size: u64,
    tree: &str,
    leaves: &[u8],
) -> ApiResult<()> {
    tx.execute(
        "INSERT INTO archives(id, vault_id, description, created, size, tree_etag, leaves)
         VALUES(?1,?2,?3,?4,?5,?6,?7)",
        params![id, vault, desc, now_secs(), size as i64, tree, leaves],
    )?;
    Ok(())
}
