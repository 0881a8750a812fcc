//! Test-only bulk seeding (`POST /_emulator/seed`, with `--faults` only): puts
//! many archives, in-progress multipart uploads and finished retrieval jobs
//! into one vault in a single transaction, for scale tests of listings and
//! inventories that would take far too long through the API (every API write
//! is its own fsynced transaction).
//!
//! Body: `{"vault": ID, "archives": N, "uploads": N, "jobs": N, "size": B}`
//! (all counts optional, default 0; `size` of each archive, default 1024,
//! at most 4 MiB). Every seeded archive is real: its bytes are one pattern
//! blob, hard-linked under a new name per archive (so each can be read,
//! retrieved and deleted on its own), with true digests. Seeded jobs are
//! succeeded retrievals of the first seeded archive, with their own link of
//! the output. `"zero_archive": B` adds one archive of `B` zero bytes stored as
//! a sparse file (no disk used, no bytes hashed: every full leaf of zeros has
//! the same MD5), for plans at the protocol's limits (10 000 ranges of a
//! large archive). Reply: `{"archives": [first id, last id], "uploads": N,
//! "jobs": N, "zero_archive": id}`.

use crate::db::{leaves_to_blob, new_id, now_ms, now_secs};
use crate::error::{ApiError, ApiResult};
use crate::state::State;
use rusqlite::params;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedRequest {
    vault: String,
    #[serde(default)]
    archives: u64,
    #[serde(default)]
    uploads: u64,
    #[serde(default)]
    jobs: u64,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    zero_archive: Option<u64>,
}

/// Most items of each kind per request.
const MAX_ITEMS: u64 = 1_000_000;

/// Handles `POST /_emulator/seed`.
pub fn seed(st: &State, body: &[u8]) -> ApiResult<Value> {
    let req: SeedRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("bad seed request: {e}")))?;
    let size = req.size.unwrap_or(1024);
    if size == 0 || size > 4 << 20 {
        return Err(ApiError::invalid("seed size must be 1 byte to 4 MiB"));
    }
    if req.archives > MAX_ITEMS || req.uploads > MAX_ITEMS || req.jobs > MAX_ITEMS {
        return Err(ApiError::invalid(format!(
            "at most {MAX_ITEMS} items of each kind"
        )));
    }
    if req.jobs > 0 && req.archives == 0 {
        return Err(ApiError::invalid(
            "seeded jobs retrieve a seeded archive: archives >= 1",
        ));
    }
    st.store.check_vault(&req.vault)?;
    let zero = match req.zero_archive {
        Some(n) => Some(zero_archive(st, &req.vault, n)?),
        None => None,
    };
    let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let d = oas_digest::digest::compute(&bytes);
    let (_, leaves) = {
        let mut h = oas_digest::digest::Hasher::new();
        h.update(&bytes);
        h.finish_leaves()
    };
    let leaves = leaves_to_blob(&leaves);
    let mut tmp = tempfile::NamedTempFile::new_in(st.store.tmp_dir())?;
    std::io::Write::write_all(&mut tmp, &bytes)?;
    let base = st.store.persist(tmp)?;

    let mut created = Vec::new();
    let res = (|| -> ApiResult<(String, String)> {
        let mut db = st.store.db();
        let tx = db.transaction()?;
        let (now, ready) = (now_secs(), now_ms());
        let (mut first, mut last) = (String::new(), String::new());
        let mut archive = tx.prepare(
            "INSERT INTO archives(id, vault_id, description, created, size, tree_etag, leaves)
             VALUES(?1,?2,?3,?4,?5,?6,?7)",
        )?;
        let mut segment =
            tx.prepare("INSERT INTO segments(owner, offset, len, file) VALUES(?1, 0, ?2, ?3)")?;
        for i in 0..req.archives {
            let id = new_id();
            let file = st.store.link_blob(&base)?;
            created.push(file.clone());
            archive.execute(params![
                id,
                req.vault,
                format!("seeded {i}"),
                now,
                size as i64,
                d.tree_etag,
                leaves
            ])?;
            segment.execute(params![id, size as i64, file])?;
            if i == 0 {
                first = id.clone();
            }
            last = id;
        }
        for i in 0..req.uploads {
            tx.execute(
                "INSERT INTO uploads(id, vault_id, description, created, part_size)
                 VALUES(?1,?2,?3,?4,?5)",
                params![
                    new_id(),
                    req.vault,
                    format!("seeded upload {i}"),
                    now,
                    1i64 << 20
                ],
            )?;
        }
        for i in 0..req.jobs {
            let id = new_id();
            let file = st.store.link_blob(&base)?;
            created.push(file.clone());
            tx.execute(
                "INSERT INTO jobs(id, vault_id, action, archive_id, description, created,
                   ready_at_ms, completed, status, message, range_start, range_end, archive_size,
                   archive_tree_etag, tree_etag, inventory_size, oss_host, bucket, object,
                   output_len, output_leaves)
                 VALUES(?1,?2,'ArchiveRetrieval',?3,?4,?5,?6,?5,'Succeeded','Succeeded',NULL,NULL,
                   ?7,?8,?8,-1,'','','',?7,?9)",
                params![
                    id,
                    req.vault,
                    first,
                    format!("seeded job {i}"),
                    now,
                    ready,
                    size as i64,
                    d.tree_etag,
                    leaves
                ],
            )?;
            segment.execute(params![id, size as i64, file])?;
        }
        drop((archive, segment));
        tx.commit()?;
        Ok((first, last))
    })();
    st.store.remove_blobs(&[base]);
    match res {
        Ok((first, last)) => Ok(json!({
            "archives": [first, last],
            "uploads": req.uploads,
            "jobs": req.jobs,
            "zero_archive": zero,
        })),
        Err(e) => {
            st.store.remove_blobs(&created);
            Err(e)
        }
    }
}

/// Largest sparse archive: the multipart limit, 40 000 GiB.
const MAX_ZERO_ARCHIVE: u64 = 40_000 << 30;

/// One archive of `size` zero bytes in a sparse blob; returns its id.
fn zero_archive(st: &State, vault: &str, size: u64) -> ApiResult<String> {
    use oas_digest::digest::LEAF_SIZE;
    if size == 0 || size > MAX_ZERO_ARCHIVE {
        return Err(ApiError::invalid(format!(
            "zero_archive must be 1 byte to {MAX_ZERO_ARCHIVE} bytes"
        )));
    }
    let leaf_md5 = |n: u64| -> oas_digest::digest::Hex {
        let mut h = oas_digest::digest::Hasher::new();
        h.update(&vec![0u8; n as usize]);
        let (_, leaves) = h.finish_leaves();
        leaves[0]
    };
    let full = leaf_md5(LEAF_SIZE);
    let mut leaves = vec![full; (size / LEAF_SIZE) as usize];
    if size % LEAF_SIZE != 0 {
        leaves.push(leaf_md5(size % LEAF_SIZE));
    }
    let tree = crate::db::tree_of(&leaves);
    let tmp = tempfile::NamedTempFile::new_in(st.store.tmp_dir())?;
    tmp.as_file().set_len(size)?;
    let file = st.store.persist(tmp)?;
    let id = new_id();
    let res = (|| -> ApiResult<()> {
        let mut db = st.store.db();
        let tx = db.transaction()?;
        tx.execute(
            "INSERT INTO archives(id, vault_id, description, created, size, tree_etag, leaves)
             VALUES(?1,?2,'seeded zeros',?3,?4,?5,?6)",
            params![
                id,
                vault,
                now_secs(),
                size as i64,
                tree,
                leaves_to_blob(&leaves)
            ],
        )?;
        tx.execute(
            "INSERT INTO segments(owner, offset, len, file) VALUES(?1, 0, ?2, ?3)",
            params![id, size as i64, file],
        )?;
        tx.commit()?;
        Ok(())
    })();
    if let Err(e) = res {
        st.store.remove_blobs(&[file]);
        return Err(e);
    }
    Ok(id)
}
