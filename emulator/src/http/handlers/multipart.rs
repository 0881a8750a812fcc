//! Multipart upload operations (spec §4.3).

use crate::db::archives::insert_archive;
use crate::db::stream::{drain, ingest};
use crate::db::{
    blob_to_leaves, leaves_to_blob, new_id, now_secs, page_params, paginate, rfc1123, tree_of,
};
use crate::error::{ApiError, ApiResult};
use crate::http::reply::{
    archive_created, check_digest, content_length, description, empty, json, required,
};
use crate::state::State;
use axum::body::Body;
use axum::http::{HeaderMap, Response};
use oas_digest::digest::LEAF_SIZE;
use oas_digest::ranges::{ByteRange, MAX_ARCHIVE_SIZE, MAX_PARTS, MAX_PART_SIZE};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

/// Page cap of ListMultipartUploads and ListParts.
const LIST_CAP: usize = 1000;
/// Smallest part size accepted in strict mode.
const STRICT_MIN_PART: u64 = 32 * LEAF_SIZE;

struct Upload {
    description: String,
    created: i64,
    part_size: u64,
    archive_id: Option<String>,
}

fn upload_row(tx: &rusqlite::Connection, vault: &str, id: &str) -> ApiResult<Option<Upload>> {
    Ok(tx
        .query_row(
            "SELECT description, created, part_size, archive_id FROM uploads WHERE id=?1 AND vault_id=?2",
            params![id, vault],
            |r| {
                Ok(Upload {
                    description: r.get(0)?,
                    created: r.get(1)?,
                    part_size: r.get::<_, i64>(2)? as u64,
                    archive_id: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// An upload that is still in progress (`UploadIdNotExists` otherwise).
fn active(tx: &rusqlite::Connection, vault: &str, id: &str) -> ApiResult<Upload> {
    match upload_row(tx, vault, id)? {
        Some(u) if u.archive_id.is_none() => Ok(u),
        _ => Err(ApiError::not_found("UploadIdNotExists", id)),
    }
}

/// Checks a part size against the default or strict rules (§6).
pub fn check_part_size(size: u64, strict: bool) -> ApiResult<()> {
    let mib = size / LEAF_SIZE;
    if size == 0 || size % LEAF_SIZE != 0 || size > MAX_PART_SIZE {
        return Err(ApiError::invalid(format!(
            "part size {size} must be a multiple of 1 MiB between 1 MiB and 4 GiB"
        )));
    }
    if strict && (size < STRICT_MIN_PART || !mib.is_power_of_two()) {
        return Err(ApiError::invalid(format!(
            "part size {size} must be a power-of-two number of MiB, at least 32 MiB"
        )));
    }
    Ok(())
}

/// M1 `POST /vaults/{id}/multipart-uploads`.
pub fn initiate(st: &State, vault: &str, headers: &HeaderMap) -> ApiResult<Response<Body>> {
    st.store.check_vault(vault)?;
    let ps = required(headers, "x-oas-part-size")?;
    let size: u64 = ps
        .parse()
        .map_err(|_| ApiError::invalid(format!("x-oas-part-size {ps:?} is not a number")))?;
    check_part_size(size, st.cfg.strict_part_size)?;
    let desc = description(headers)?;
    let id = new_id();
    st.store.db().execute(
        "INSERT INTO uploads(id, vault_id, description, created, part_size) VALUES(?1,?2,?3,?4,?5)",
        params![id, vault, desc, now_secs(), size as i64],
    )?;
    Ok(empty(
        201,
        &[
            (
                "location",
                format!("/vaults/{vault}/multipart-uploads/{id}"),
            ),
            ("x-oas-multipart-upload-id", id),
        ],
    ))
}

/// M2 `GET /vaults/{id}/multipart-uploads`: in-progress uploads by id.
pub fn list_uploads(
    st: &State,
    vault: &str,
    query: &[(String, String)],
) -> ApiResult<Response<Body>> {
    st.store.check_vault(vault)?;
    let (marker, limit) = page_params(query, LIST_CAP)?;
    let rows: Vec<(String, Value)> = {
        let db = st.store.db();
        let mut q = db.prepare(
            "SELECT id, description, created, part_size FROM uploads
             WHERE vault_id=?1 AND archive_id IS NULL ORDER BY id",
        )?;
        let rows = q.query_map(params![vault], |r| {
            let id: String = r.get(0)?;
            Ok((
                id.clone(),
                json!({
                    "ArchiveDescription": r.get::<_, String>(1)?,
                    "CreationDate": rfc1123(Some(r.get(2)?)),
                    "PartSizeInBytes": r.get::<_, i64>(3)?,
                    "MultipartUploadId": id,
                }),
            ))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let ids = rows.iter().map(|r| r.0.clone()).collect();
    let (page, next) = paginate(ids, &marker, limit)?;
    let skip = rows
        .iter()
        .position(|r| Some(&r.0) == page.first())
        .unwrap_or(0);
    let list: Vec<Value> = rows
        .into_iter()
        .skip(skip)
        .take(page.len())
        .map(|r| r.1)
        .collect();
    Ok(json(200, json!({"Marker": next, "UploadsList": list})))
}

/// Validates part headers against the upload: (range, etag, tree etag).
pub(crate) fn part_headers(
    headers: &HeaderMap,
    part_size: u64,
) -> ApiResult<(ByteRange, String, String)> {
    let len = content_length(headers)?;
    let cr = required(headers, "content-range")?;
    let (range, _) = ByteRange::parse(&cr)
        .ok_or_else(|| ApiError::invalid(format!("Content-Range {cr:?} is not START-END")))?;
    if range.len() != len {
        return Err(ApiError::invalid(format!(
            "Content-Range {cr} covers {} bytes but Content-Length is {len}",
            range.len()
        )));
    }
    if range.start % part_size != 0 || range.len() > part_size {
        return Err(ApiError::invalid(format!(
            "range {range} does not fit part size {part_size}: the start must be a multiple \
             of it and the length equal to it (shorter only for the final part)"
        )));
    }
    if range.start / part_size >= MAX_PARTS {
        return Err(ApiError::invalid(format!(
            "range {range} would be part number {} of at most {MAX_PARTS}",
            range.start / part_size + 1
        )));
    }
    let etag = required(headers, "x-oas-content-etag")?;
    let tree = required(headers, "x-oas-tree-etag")?;
    Ok((range, etag, tree))
}

/// M3 `PUT /vaults/{id}/multipart-uploads/{upload}`: stores (or replaces) a part.
pub async fn upload_part(
    st: &State,
    vault: &str,
    upload: &str,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response<Body>> {
    let checked = st.store.check_vault(vault).and_then(|_| {
        let u = active(&st.store.db(), vault, upload)?;
        part_headers(headers, u.part_size)
    });
    let (range, etag, tree) = match checked {
        Ok(v) => v,
        Err(e) => {
            drain(body, u64::MAX).await;
            return Err(e);
        }
    };
    let got = ingest(body, range.len(), &st.store).await?;
    check_digest("x-oas-content-etag", &etag, &got.etag)?;
    check_digest("x-oas-tree-etag", &tree, &got.tree_etag())?;
    let (part_etag, part_tree, leaves) = (
        got.etag.clone(),
        got.tree_etag(),
        leaves_to_blob(&got.leaves),
    );
    let store = st.store.clone();
    let file = tokio::task::spawn_blocking(move || store.persist(got.file))
        .await
        .map_err(ApiError::internal)??;
    let res = (|| -> ApiResult<Option<String>> {
        let mut db = st.store.db();
        let tx = db.transaction()?;
        active(&tx, vault, upload)?;
        let old: Option<String> = tx
            .query_row(
                "SELECT file FROM parts WHERE upload_id=?1 AND start=?2",
                params![upload, range.start as i64],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT OR REPLACE INTO parts(upload_id, start, len, etag, tree_etag, leaves, file)
             VALUES(?1,?2,?3,?4,?5,?6,?7)",
            params![
                upload,
                range.start as i64,
                range.len() as i64,
                part_etag,
                part_tree,
                leaves,
                file
            ],
        )?;
        tx.commit()?;
        Ok(old)
    })();
    match res {
        Ok(old) => {
            st.store.remove_blobs(&old.into_iter().collect::<Vec<_>>());
            Ok(empty(204, &[]))
        }
        Err(e) => {
            st.store.remove_blobs(&[file]);
            Err(e)
        }
    }
}

struct Part {
    start: u64,
    len: u64,
    etag: String,
    tree_etag: String,
    leaves: Vec<u8>,
    file: String,
}

fn parts_of(tx: &rusqlite::Connection, upload: &str) -> ApiResult<Vec<Part>> {
    let mut q = tx.prepare(
        "SELECT start, len, etag, tree_etag, leaves, file FROM parts WHERE upload_id=?1 ORDER BY start",
    )?;
    let rows = q.query_map(params![upload], |r| {
        Ok(Part {
            start: r.get::<_, i64>(0)? as u64,
            len: r.get::<_, i64>(1)? as u64,
            etag: r.get(2)?,
            tree_etag: r.get(3)?,
            leaves: r.get(4)?,
            file: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// M4 `GET /vaults/{id}/multipart-uploads/{upload}`: parts by position; the
/// marker is the decimal start offset of the first part of the next page.
pub fn list_parts(
    st: &State,
    vault: &str,
    upload: &str,
    query: &[(String, String)],
) -> ApiResult<Response<Body>> {
    st.store.check_vault(vault)?;
    let (marker, limit) = page_params(query, LIST_CAP)?;
    let (u, parts) = {
        let db = st.store.db();
        let u = active(&db, vault, upload)?;
        (u, parts_of(&db, upload)?)
    };
    let ids = parts.iter().map(|p| p.start.to_string()).collect();
    let (page, next) = paginate(ids, &marker, limit)?;
    let list: Vec<Value> = parts
        .iter()
        .skip_while(|p| Some(&p.start.to_string()) != page.first())
        .take(page.len())
        .map(|p| {
            json!({
                "RangeInBytes": format!("{}-{}", p.start, p.start + p.len - 1),
                "ContentEtag": p.etag,
                "TreeEtag": p.tree_etag,
            })
        })
        .collect();
    Ok(json(
        200,
        json!({
            "ArchiveDescription": u.description,
            "CreationDate": rfc1123(Some(u.created)),
            "Marker": next,
            "MultipartUploadId": upload,
            "PartSizeInBytes": u.part_size,
            "Parts": list,
        }),
    ))
}

/// Checks that `parts` cover `0..size` exactly with full parts except the last.
fn check_coverage(parts: &[Part], part_size: u64, size: u64) -> ApiResult<()> {
    let mut pos = 0u64;
    for p in parts {
        if p.start != pos || p.start + p.len > size {
            return Err(ApiError::bad(
                "InvalidPart",
                format!(
                    "parts do not cover 0-{} without gaps: expected a part at {pos}, found {}-{}",
                    size.saturating_sub(1),
                    p.start,
                    p.start + p.len - 1
                ),
            ));
        }
        if p.len != part_size && p.start + p.len != size {
            return Err(ApiError::bad(
                "InvalidPart",
                format!(
                    "part at {} is shorter than the part size but not the last",
                    p.start
                ),
            ));
        }
        pos += p.len;
    }
    if pos != size || size == 0 {
        return Err(ApiError::bad(
            "InvalidPart",
            format!("uploaded parts cover {pos} bytes, archive size is {size}"),
        ));
    }
    Ok(())
}

/// M5 `POST /vaults/{id}/multipart-uploads/{upload}`: assembles the archive
/// (the part files become its segments, nothing is copied). Repeating it returns
/// the same archive id.
pub fn complete(
    st: &State,
    vault: &str,
    upload: &str,
    headers: &HeaderMap,
) -> ApiResult<Response<Body>> {
    st.store.check_vault(vault)?;
    let mut db = st.store.db();
    let tx = db.transaction()?;
    let u = upload_row(&tx, vault, upload)?
        .ok_or_else(|| ApiError::not_found("UploadIdNotExists", upload))?;
    if let Some(a) = &u.archive_id {
        return Ok(archive_created(vault, a));
    }
    let size_s = required(headers, "x-oas-archive-size")?;
    let size: u64 = size_s
        .parse()
        .map_err(|_| ApiError::invalid(format!("x-oas-archive-size {size_s:?} is not a number")))?;
    if size > MAX_ARCHIVE_SIZE {
        return Err(ApiError::bad(
            "MultipartArchiveLengthExceed",
            format!("archive size {size} exceeds {MAX_ARCHIVE_SIZE} bytes"),
        ));
    }
    let sent = required(headers, "x-oas-tree-etag")?;
    let sent_core = oas_digest::digest::parse_tree_etag(&sent)
        .ok_or_else(|| ApiError::invalid(format!("x-oas-tree-etag {sent:?} is not a tree etag")))?;
    let parts = parts_of(&tx, upload)?;
    check_coverage(&parts, u.part_size, size)?;
    let etags: Vec<&str> = parts.iter().map(|p| p.tree_etag.as_str()).collect();
    let combined = oas_digest::digest::combine_tree_etags(&etags).map_err(ApiError::internal)?;
    check_digest(
        "x-oas-tree-etag",
        std::str::from_utf8(&sent_core).unwrap_or(""),
        &combined,
    )?;
    let leaves: Vec<u8> = parts
        .iter()
        .flat_map(|p| p.leaves.iter().copied())
        .collect();
    let tree = tree_of(&blob_to_leaves(&leaves));
    let id = new_id();
    insert_archive(&tx, &id, vault, &u.description, size, &tree, &leaves)?;
    for p in &parts {
        tx.execute(
            "INSERT INTO segments(owner, offset, len, file) VALUES(?1,?2,?3,?4)",
            params![id, p.start as i64, p.len as i64, p.file],
        )?;
    }
    tx.execute("DELETE FROM parts WHERE upload_id=?1", params![upload])?;
    tx.execute(
        "UPDATE uploads SET archive_id=?1 WHERE id=?2",
        params![id, upload],
    )?;
    tx.commit()?;
    Ok(archive_created(vault, &id))
}

/// M6 `DELETE /vaults/{id}/multipart-uploads/{upload}`.
pub fn abort(st: &State, vault: &str, upload: &str) -> ApiResult<Response<Body>> {
    st.store.check_vault(vault)?;
    let files = {
        let mut db = st.store.db();
        let tx = db.transaction()?;
        active(&tx, vault, upload)?;
        let files: Vec<String> = parts_of(&tx, upload)?.into_iter().map(|p| p.file).collect();
        tx.execute("DELETE FROM parts WHERE upload_id=?1", params![upload])?;
        tx.execute("DELETE FROM uploads WHERE id=?1", params![upload])?;
        tx.commit()?;
        files
    };
    st.store.remove_blobs(&files);
    Ok(empty(204, &[]))
}
