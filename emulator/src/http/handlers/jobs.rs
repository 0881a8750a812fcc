//! Job operations (spec §4.4): retrieval, inventory and the OSS stand-in.
//!
//! A job becomes due `job_delay` after it was initiated; it is then finished by
//! whichever comes first: the initiating request (delay 0), a read of the job,
//! or the background ticker. Finished jobs expire `job_lifetime` after completion.

use crate::db::jobs::{expired, from_row, load_raw, Job, COLS};
use crate::db::{
    blob_to_leaves, new_id, now_ms, now_secs, page_params, paginate, rfc1123, tree_of,
};
use crate::error::{ApiError, ApiResult};
use crate::http::reply::{check_description, empty, json};
use crate::state::State;
use axum::body::Body;
use axum::http::{header, HeaderMap, Response};
use oas_digest::digest::{is_tree_aligned, LEAF_SIZE};
use oas_digest::ranges::ByteRange;
use rusqlite::params;
use serde_json::{json, Value};

/// Page cap of ListJobs.
const LIST_CAP: usize = 1000;

/// Loads a job, finishing it first when it is due; expired jobs do not exist.
pub async fn load(st: &State, vault: &str, id: &str) -> ApiResult<Job> {
    st.store.check_vault(vault)?;
    let get =
        || -> ApiResult<Option<Job>> { Ok(load_raw(&st.store, id)?.filter(|j| j.vault == vault)) };
    let mut job = get()?.ok_or_else(|| ApiError::not_found("JobNotExists", id))?;
    if job.completed.is_none() && job.ready_at_ms <= now_ms() {
        crate::runner::finish(st, &job.id).await?;
        job = get()?.ok_or_else(|| ApiError::not_found("JobNotExists", id))?;
    }
    if expired(st.cfg.job_lifetime, &job) {
        return Err(ApiError::not_found("JobNotExists", id));
    }
    Ok(job)
}

/// The job object of J2/J3.
pub fn job_json(j: &Job) -> Value {
    let range = match (j.action.as_str(), j.range) {
        ("ArchiveRetrieval", Some((s, e))) => format!("{s}-{e}"),
        _ => String::new(),
    };
    json!({
        "JobId": j.id,
        "Action": j.action,
        "ArchiveId": j.archive_id,
        "ArchiveSizeInBytes": j.archive_size,
        "ArchiveTreeEtag": j.archive_tree_etag,
        "TreeEtag": j.tree_etag,
        "RetrievalByteRange": range,
        "Completed": j.completed.is_some(),
        "StatusCode": j.status,
        "StatusMessage": j.message,
        "CreationDate": rfc1123(Some(j.created)),
        "CompletionDate": rfc1123(j.completed),
        "InventorySizeInBytes": j.inventory_size,
        "JobDescription": j.description,
    })
}

fn field<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> ApiResult<Option<&'a str>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::bad(
            "JobJsonFormatError",
            format!("job field {name} must be a string"),
        )),
    }
}

/// Checks an OSS bucket or object name stays inside the OSS directory.
fn safe_name(what: &str, v: &str) -> ApiResult<()> {
    if v.is_empty() || v.starts_with('/') || v.split(['/', '\\']).any(|c| c == ".." || c == ".") {
        return Err(ApiError::invalid(format!(
            "{what} {v:?} is not a valid OSS name"
        )));
    }
    Ok(())
}

/// Parses and checks a retrieval range `S-E` against an archive size (§4.4).
pub fn retrieval_range(r: &str, size: u64) -> ApiResult<(u64, u64)> {
    let bad = || {
        ApiError::invalid(format!(
            "RetrievalByteRange {r:?} is invalid for an archive of {size} bytes"
        ))
    };
    if r.contains('/') || r.contains("bytes") {
        return Err(bad());
    }
    let (range, _) = ByteRange::parse(r).ok_or_else(bad)?;
    aligned(range, size)
        .then_some((range.start, range.end))
        .ok_or_else(bad)
}

/// Parses and checks the `Range` header of Get Job Output against the size of
/// the output (§4.4 J4): 413 `InvalidRange` when it is malformed or unaligned.
pub fn output_range(r: &str, total: u64) -> ApiResult<(u64, u64)> {
    let bad = || {
        ApiError::new(
            413,
            "InvalidRange",
            format!("Range {r:?} is invalid for an output of {total} bytes"),
        )
    };
    let (br, _) = ByteRange::parse(r).ok_or_else(bad)?;
    if !aligned(br, total) {
        return Err(bad());
    }
    Ok((br.start, br.end))
}

/// The 1 MiB alignment rule of retrieval and output ranges.
pub fn aligned(r: ByteRange, size: u64) -> bool {
    r.start % LEAF_SIZE == 0 && r.end < size && ((r.end + 1) % LEAF_SIZE == 0 || r.end + 1 == size)
}

/// J1 `POST /vaults/{id}/jobs`.
pub async fn initiate(st: &State, vault: &str, body: Body) -> ApiResult<Response<Body>> {
    // Read the body before any check so the connection stays reusable on errors.
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .map_err(|e| ApiError::bad("JobJsonFormatError", format!("job body unreadable: {e}")))?;
    st.store.check_vault(vault)?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad("JobJsonFormatError", format!("job body is not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::bad("JobJsonFormatError", "job body must be a JSON object"))?;
    let ty = field(obj, "Type")?.ok_or_else(|| ApiError::missing("Type"))?;
    let desc = field(obj, "Description")?.unwrap_or("").to_string();
    check_description(&desc)?;
    let range_s = field(obj, "RetrievalByteRange")?;
    let (mut archive_id, mut range, mut bucket, mut object, mut host) = (
        String::new(),
        None,
        String::new(),
        String::new(),
        String::new(),
    );
    let action = match ty {
        "archive-retrieval" => {
            archive_id = field(obj, "ArchiveId")?
                .ok_or_else(|| ApiError::missing("ArchiveId"))?
                .to_string();
            let a = crate::db::archives::info(&st.store, vault, &archive_id)?;
            range = Some(match range_s {
                Some(r) if !r.is_empty() => retrieval_range(r, a.size)?,
                _ => (0, a.size - 1),
            });
            "ArchiveRetrieval"
        }
        "inventory-retrieval" => {
            if range_s.is_some_and(|r| !r.is_empty()) {
                return Err(ApiError::invalid(
                    "inventory jobs take no RetrievalByteRange",
                ));
            }
            "InventoryRetrieval"
        }
        "pull-from-oss" | "push-to-oss" => {
            if range_s.is_some_and(|r| !r.is_empty()) {
                return Err(ApiError::invalid("OSS jobs take no RetrievalByteRange"));
            }
            host = field(obj, "OSSHost")?.unwrap_or("").to_string();
            bucket = field(obj, "Bucket")?
                .ok_or_else(|| ApiError::missing("Bucket"))?
                .to_string();
            object = field(obj, "Object")?
                .ok_or_else(|| ApiError::missing("Object"))?
                .to_string();
            safe_name("Bucket", &bucket)?;
            safe_name("Object", &object)?;
            if ty == "push-to-oss" {
                archive_id = field(obj, "ArchiveId")?
                    .ok_or_else(|| ApiError::missing("ArchiveId"))?
                    .to_string();
                crate::db::archives::info(&st.store, vault, &archive_id)?;
                "PushToOSS"
            } else {
                "PullFromOSS"
            }
        }
        other => return Err(ApiError::invalid(format!("unknown job Type {other:?}"))),
    };
    let id = new_id();
    let ready = now_ms() + st.cfg.job_delay.as_millis() as i64;
    st.store.db().execute(
        "INSERT INTO jobs(id, vault_id, action, archive_id, description, created, ready_at_ms,
           status, message, range_start, range_end, archive_size, archive_tree_etag, tree_etag,
           inventory_size, oss_host, bucket, object, output_len, output_leaves)
         VALUES(?1,?2,?3,?4,?5,?6,?7,'InProgress','',?8,?9,-1,'','',-1,?10,?11,?12,0,x'')",
        params![
            id,
            vault,
            action,
            archive_id,
            desc,
            now_secs(),
            ready,
            range.map(|r| r.0 as i64),
            range.map(|r| r.1 as i64),
            host,
            bucket,
            object
        ],
    )?;
    if st.cfg.job_delay.is_zero() {
        crate::runner::finish(st, &id).await?;
    }
    Ok(empty(
        202,
        &[
            ("location", format!("/vaults/{vault}/jobs/{id}")),
            ("x-oas-job-id", id),
        ],
    ))
}

/// J2 `GET /vaults/{id}/jobs/{job}`.
pub async fn describe(st: &State, vault: &str, id: &str) -> ApiResult<Response<Body>> {
    Ok(json(200, job_json(&load(st, vault, id).await?)))
}

/// J3 `GET /vaults/{id}/jobs`: running and unexpired finished jobs by id.
pub async fn list(
    st: &State,
    vault: &str,
    query: &[(String, String)],
) -> ApiResult<Response<Body>> {
    st.store.check_vault(vault)?;
    let (marker, limit) = page_params(query, LIST_CAP)?;
    crate::runner::finish_due(st).await;
    let jobs: Vec<Job> = {
        let db = st.store.db();
        let mut q = db.prepare(&format!(
            "SELECT {COLS} FROM jobs WHERE vault_id=?1 ORDER BY id"
        ))?;
        let rows = q.query_map(params![vault], from_row)?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let jobs: Vec<Job> = jobs
        .into_iter()
        .filter(|j| !expired(st.cfg.job_lifetime, j))
        .collect();
    let (page, next) = paginate(jobs.iter().map(|j| j.id.clone()).collect(), &marker, limit)?;
    let list: Vec<Value> = jobs
        .iter()
        .skip_while(|j| Some(&j.id) != page.first())
        .take(page.len())
        .map(job_json)
        .collect();
    Ok(json(200, json!({"Marker": next, "JobList": list})))
}

/// J4 `GET /vaults/{id}/jobs/{job}/output[ + Range]`.
pub async fn output(
    st: &State,
    vault: &str,
    id: &str,
    headers: &HeaderMap,
) -> ApiResult<Response<Body>> {
    let j = load(st, vault, id).await?;
    if matches!(j.action.as_str(), "PullFromOSS" | "PushToOSS") {
        return Err(ApiError::invalid(
            "pull-from-oss and push-to-oss jobs have no output",
        ));
    }
    match j.status.as_str() {
        "InProgress" => {
            return Err(ApiError::bad(
                "JobNotReady",
                format!("job {id} is not completed"),
            ))
        }
        "Failed" => {
            return Err(ApiError::bad(
                "JobNoOutput",
                format!("job {id} failed: {}", j.message),
            ))
        }
        _ => {}
    }
    let total = j.output_len;
    if total == 0 {
        return Err(ApiError::bad(
            "JobNoOutput",
            format!("job {id} has an empty output"),
        ));
    }
    let range_hdr = crate::http::reply::header_str(headers, "range")?;
    let (s, e) = match &range_hdr {
        None => (0, total - 1),
        Some(r) => output_range(r, total)?,
    };
    let partial = range_hdr.is_some() && (s, e) != (0, total - 1);
    let mut b = Response::builder()
        .status(if partial { 206 } else { 200 })
        .header(header::CONTENT_LENGTH, e - s + 1);
    if range_hdr.is_some() {
        b = b.header(header::CONTENT_RANGE, format!("bytes={s}-{e}/{total}"));
    }
    if j.action == "InventoryRetrieval" {
        b = b.header(header::CONTENT_TYPE, "application/json");
    } else {
        b = b.header(header::CONTENT_TYPE, "application/octet-stream");
        let base = j.range.map_or(0, |r| r.0);
        if is_tree_aligned(base + s, base + e, j.archive_size as u64) {
            let leaves = blob_to_leaves(&j.output_leaves);
            let (a, z) = ((s / LEAF_SIZE) as usize, (e / LEAF_SIZE) as usize);
            if let Some(slice) = leaves.get(a..=z) {
                b = b.header("x-oas-tree-etag", tree_of(slice));
            }
        }
    }
    // Job segments keep the offsets of the content they came from (the archive
    // for retrievals), so the requested range is shifted by the job's start.
    let base = j.range.map_or(0, |r| r.0);
    let segs = st.store.segments(&j.id)?;
    let body = crate::db::stream::segments_body(st.store.clone(), segs, base + s, base + e);
    b.body(body).map_err(ApiError::internal)
}
