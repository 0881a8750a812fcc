//! The job row as stored, shared by the Job handlers (`http/handlers/jobs.rs`)
//! and the job runner (`runner.rs`), which finishes and expires jobs.

use super::{now_secs, Store};
use crate::error::ApiResult;
use rusqlite::{params, OptionalExtension};
use std::time::Duration;

/// One job row.
#[derive(Debug, Clone)]
pub struct Job {
    pub(crate) id: String,
    pub(crate) vault: String,
    pub(crate) action: String,
    pub(crate) archive_id: String,
    pub(crate) description: String,
    pub(crate) created: i64,
    pub(crate) ready_at_ms: i64,
    pub(crate) completed: Option<i64>,
    pub(crate) status: String,
    pub(crate) message: String,
    pub(crate) range: Option<(u64, u64)>,
    pub(crate) archive_size: i64,
    pub(crate) archive_tree_etag: String,
    pub(crate) tree_etag: String,
    pub(crate) inventory_size: i64,
    pub(crate) bucket: String,
    pub(crate) object: String,
    pub(crate) output_len: u64,
    pub(crate) output_leaves: Vec<u8>,
}

pub(crate) const COLS: &str =
    "id, vault_id, action, archive_id, description, created, ready_at_ms, completed,
  status, message, range_start, range_end, archive_size, archive_tree_etag, tree_etag,
  inventory_size, bucket, object, output_len, output_leaves";

pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    let rs: Option<i64> = r.get(10)?;
    let re: Option<i64> = r.get(11)?;
    Ok(Job {
        id: r.get(0)?,
        vault: r.get(1)?,
        action: r.get(2)?,
        archive_id: r.get(3)?,
        description: r.get(4)?,
        created: r.get(5)?,
        ready_at_ms: r.get(6)?,
        completed: r.get(7)?,
        status: r.get(8)?,
        message: r.get(9)?,
        range: rs.zip(re).map(|(s, e)| (s as u64, e as u64)),
        archive_size: r.get(12)?,
        archive_tree_etag: r.get(13)?,
        tree_etag: r.get(14)?,
        inventory_size: r.get(15)?,
        bucket: r.get(16)?,
        object: r.get(17)?,
        output_len: r.get::<_, i64>(18)? as u64,
        output_leaves: r.get(19)?,
    })
}

/// Expiry time (epoch seconds) of a finished job.
pub(crate) fn expired(lifetime: Duration, j: &Job) -> bool {
    j.completed
        .is_some_and(|c| c + lifetime.as_secs() as i64 <= now_secs())
}

/// Loads a job row by id, as stored.
pub fn load_raw(store: &Store, id: &str) -> ApiResult<Option<Job>> {
    Ok(store
        .db()
        .query_row(
            &format!("SELECT {COLS} FROM jobs WHERE id=?1"),
            params![id],
            from_row,
        )
        .optional()?)
}
