//! Finishing due jobs and expiring old ones.

use crate::db::jobs::{load_raw, Job};
use crate::db::{blob_to_leaves, leaves_to_blob, new_id, now_ms, now_secs, tree_of};
use crate::error::{ApiError, ApiResult};
use crate::state::State;
use oas_digest::digest::{is_tree_aligned, LEAF_SIZE};
use rusqlite::params;

/// What finishing a job produced.
#[derive(Default)]
struct Outcome {
    failed: Option<String>,
    archive_id: Option<String>,
    archive_size: i64,
    archive_tree_etag: String,
    tree_etag: String,
    inventory_size: i64,
    output_len: u64,
    output_leaves: Vec<u8>,
    /// Segments (offset, len, blob) of the job output.
    segments: Vec<(u64, u64, String)>,
    /// An archive created by a pull job: (leaves, blob), inserted together with
    /// the job update so a crash cannot leave an archive without a finished job.
    new_archive: Option<(Vec<u8>, String)>,
}

fn fail(msg: impl Into<String>) -> Outcome {
    Outcome {
        failed: Some(msg.into()),
        archive_size: -1,
        inventory_size: -1,
        ..Default::default()
    }
}

/// Finishes every due job (ticker and listings).
pub async fn finish_due(st: &State) {
    let due: Vec<String> = {
        let db = st.store.db();
        let q = db
            .prepare("SELECT id FROM jobs WHERE completed IS NULL AND ready_at_ms<=?1 ORDER BY id");
        match q {
            Ok(mut q) => q
                .query_map(params![now_ms()], |r| r.get(0))
                .and_then(|rows| rows.collect())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    };
    for id in due {
        if let Err(e) = finish(st, &id).await {
            crate::log::warn(&format!("finishing job {id}: {}", e.message));
        }
    }
}

/// Deletes jobs past their lifetime together with their output files.
pub fn expire(st: &State) -> ApiResult<()> {
    let limit = now_secs() - st.cfg.job_lifetime.as_secs() as i64;
    // Cheap check first: the ticker calls this twice a second.
    let n: i64 = st.store.db().query_row(
        "SELECT count(*) FROM jobs WHERE completed<=?1",
        params![limit],
        |r| r.get(0),
    )?;
    if n == 0 {
        return Ok(());
    }
    let files = {
        let mut db = st.store.db();
        let tx = db.transaction()?;
        let files: Vec<String> = {
            let mut q = tx.prepare(
                "SELECT file FROM segments WHERE owner IN (SELECT id FROM jobs WHERE completed<=?1)",
            )?;
            let rows = q.query_map(params![limit], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        tx.execute(
            "DELETE FROM segments WHERE owner IN (SELECT id FROM jobs WHERE completed<=?1)",
            params![limit],
        )?;
        tx.execute("DELETE FROM jobs WHERE completed<=?1", params![limit])?;
        tx.commit()?;
        files
    };
    st.store.remove_blobs(&files);
    Ok(())
}

/// Finishes job `id` if it is still running (serialised by the job lock).
pub async fn finish(st: &State, id: &str) -> ApiResult<()> {
    let _guard = st.job_lock.lock().await;
    let job = match load_raw(&st.store, id)? {
        Some(j) if j.completed.is_none() => j,
        _ => return Ok(()),
    };
    let out = match job.action.as_str() {
        "ArchiveRetrieval" => retrieval(st, &job)?,
        "InventoryRetrieval" => inventory(st, &job).await?,
        "PullFromOSS" => pull(st, &job).await?,
        "PushToOSS" => push(st, &job).await?,
        _ => fail("unknown action"),
    };
    let mut created: Vec<String> = out.segments.iter().map(|s| s.2.clone()).collect();
    created.extend(out.new_archive.iter().map(|a| a.1.clone()));
    let res = (|| -> ApiResult<()> {
        let mut db = st.store.db();
        let tx = db.transaction()?;
        if let (Some((leaves, file)), Some(id)) = (&out.new_archive, &out.archive_id) {
            let n: i64 = tx.query_row(
                "SELECT count(*) FROM vaults WHERE id=?1",
                params![job.vault],
                |r| r.get(0),
            )?;
            if n == 0 {
                return Err(ApiError::not_found("VaultNotExists", &job.vault));
            }
            let size = out.archive_size as u64;
            let tree = &out.archive_tree_etag;
            crate::db::archives::insert_archive(
                &tx,
                id,
                &job.vault,
                &job.description,
                size,
                tree,
                leaves,
            )?;
            tx.execute(
                "INSERT INTO segments(owner, offset, len, file) VALUES(?1, 0, ?2, ?3)",
                params![id, size as i64, file],
            )?;
        }
        for (off, len, file) in &out.segments {
            tx.execute(
                "INSERT INTO segments(owner, offset, len, file) VALUES(?1,?2,?3,?4)",
                params![job.id, *off as i64, *len as i64, file],
            )?;
        }
        let (status, msg) = match &out.failed {
            Some(m) => ("Failed", m.clone()),
            None => ("Succeeded", "Succeeded".to_string()),
        };
        tx.execute(
            "UPDATE jobs SET completed=?2, status=?3, message=?4, archive_id=coalesce(?5, archive_id),
               archive_size=?6, archive_tree_etag=?7, tree_etag=?8, inventory_size=?9,
               output_len=?10, output_leaves=?11 WHERE id=?1",
            params![
                job.id, now_secs(), status, msg, out.archive_id, out.archive_size,
                out.archive_tree_etag, out.tree_etag, out.inventory_size,
                out.output_len as i64, out.output_leaves
            ],
        )?;
        tx.commit()?;
        Ok(())
    })();
    if res.is_err() {
        st.store.remove_blobs(&created);
    }
    res
}

fn retrieval(st: &State, job: &Job) -> ApiResult<Outcome> {
    let a = match crate::db::archives::info(&st.store, &job.vault, &job.archive_id) {
        Ok(a) => a,
        Err(_) => return Ok(fail(format!("archive {} no longer exists", job.archive_id))),
    };
    let (s, e) = job.range.unwrap_or((0, a.size - 1));
    let leaves = blob_to_leaves(&a.leaves);
    let slice = &leaves[(s / LEAF_SIZE) as usize..=(e / LEAF_SIZE) as usize];
    let mut segments = Vec::new();
    // Hard links keep the output readable even if the archive is deleted.
    for seg in st.store.segments(&job.archive_id)? {
        if seg.offset + seg.len <= s || seg.offset > e {
            continue;
        }
        segments.push((seg.offset, seg.len, st.store.link_blob(&seg.file)?));
    }
    Ok(Outcome {
        archive_size: a.size as i64,
        archive_tree_etag: a.tree_etag.clone(),
        tree_etag: if is_tree_aligned(s, e, a.size) {
            tree_of(slice)
        } else {
            String::new()
        },
        inventory_size: -1,
        output_len: e - s + 1,
        output_leaves: leaves_to_blob(slice),
        segments,
        ..Default::default()
    })
}

async fn inventory(st: &State, job: &Job) -> ApiResult<Outcome> {
    let now = now_secs();
    let store = st.store.clone();
    let vault = job.vault.clone();
    let (tmp, len) =
        tokio::task::spawn_blocking(move || crate::db::inventory::write(&store, &vault, now))
            .await
            .map_err(ApiError::internal)??;
    let file = st.store.persist(tmp)?;
    st.store.db().execute(
        "UPDATE vaults SET last_inventory=?2 WHERE id=?1",
        params![job.vault, now],
    )?;
    Ok(Outcome {
        archive_size: -1,
        inventory_size: len as i64,
        output_len: len,
        segments: vec![(0, len, file)],
        ..Default::default()
    })
}

fn oss_path(st: &State, job: &Job) -> Result<std::path::PathBuf, String> {
    let dir = st.cfg.oss_dir.as_ref().ok_or_else(|| {
        "no OSS stand-in configured (start the emulator with --oss-dir)".to_string()
    })?;
    Ok(dir.join(&job.bucket).join(&job.object))
}

async fn pull(st: &State, job: &Job) -> ApiResult<Outcome> {
    let path = match oss_path(st, job) {
        Ok(p) => p,
        Err(m) => return Ok(fail(m)),
    };
    if !path.is_file() {
        return Ok(fail(format!(
            "OSS object oss://{}/{} does not exist",
            job.bucket, job.object
        )));
    }
    let store = st.store.clone();
    let got = tokio::task::spawn_blocking(move || crate::db::stream::ingest_file(&path, &store))
        .await
        .map_err(ApiError::internal)?;
    let got = match got {
        Ok(g) if g.len > 0 => g,
        Ok(_) => {
            return Ok(fail(
                "OSS object is empty; zero-byte archives are not supported",
            ))
        }
        Err(e) => return Ok(fail(format!("reading OSS object failed: {e}"))),
    };
    let (len, tree, leaves) = (got.len, got.tree_etag(), leaves_to_blob(&got.leaves));
    let store = st.store.clone();
    let file = tokio::task::spawn_blocking(move || store.persist(got.file))
        .await
        .map_err(ApiError::internal)??;
    Ok(Outcome {
        archive_id: Some(new_id()),
        archive_size: len as i64,
        archive_tree_etag: tree,
        inventory_size: -1,
        new_archive: Some((leaves, file)),
        ..Default::default()
    })
}

async fn push(st: &State, job: &Job) -> ApiResult<Outcome> {
    let path = match oss_path(st, job) {
        Ok(p) => p,
        Err(m) => return Ok(fail(m)),
    };
    let a = match crate::db::archives::info(&st.store, &job.vault, &job.archive_id) {
        Ok(a) => a,
        Err(_) => return Ok(fail(format!("archive {} no longer exists", job.archive_id))),
    };
    let bucket = st
        .cfg
        .oss_dir
        .as_ref()
        .map(|d| d.join(&job.bucket))
        .unwrap_or_default();
    if !bucket.is_dir() {
        return Ok(fail(format!("OSS bucket {} does not exist", job.bucket)));
    }
    let segs = st.store.segments(&job.archive_id)?;
    let store = st.store.clone();
    let res = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let parent = path.parent().unwrap_or(&bucket).to_path_buf();
        std::fs::create_dir_all(&parent)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&parent)?;
        for s in segs {
            let mut f = std::fs::File::open(store.blob_path(&s.file))?;
            std::io::copy(&mut f, &mut tmp)?;
        }
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    })
    .await
    .map_err(ApiError::internal)?;
    if let Err(e) = res {
        return Ok(fail(format!("writing OSS object failed: {e}")));
    }
    Ok(Outcome {
        archive_size: a.size as i64,
        archive_tree_etag: a.tree_etag,
        inventory_size: -1,
        ..Default::default()
    })
}
