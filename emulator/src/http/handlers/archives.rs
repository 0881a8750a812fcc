//! Archive operations (spec §4.2).

use crate::db::archives::info;
use crate::db::stream::{drain, ingest};
use crate::db::{leaves_to_blob, new_id, now_secs, rfc1123};
use crate::error::{ApiError, ApiResult};
use crate::http::reply::{
    archive_created, check_digest, content_length, description, empty, json, required,
};
use crate::state::State;
use axum::body::Body;
use axum::http::{HeaderMap, Response};
use rusqlite::params;
use serde_json::json;

/// Largest single-request archive (the manual's 6 GB, read as 6 GiB).
pub const MAX_SINGLE_ARCHIVE: u64 = 6 << 30;

/// Validates the headers of an archive upload: (length, etag, tree etag, description).
fn upload_headers(headers: &HeaderMap) -> ApiResult<(u64, String, String, String)> {
    let len = content_length(headers)?;
    if len == 0 {
        return Err(ApiError::invalid("zero-byte archives are not supported"));
    }
    if len > MAX_SINGLE_ARCHIVE {
        return Err(ApiError::bad(
            "SingleArchiveLengthExceed",
            format!("a single upload may hold at most {MAX_SINGLE_ARCHIVE} bytes; use multipart"),
        ));
    }
    let etag = required(headers, "x-oas-content-etag")?;
    let tree = required(headers, "x-oas-tree-etag")?;
    Ok((len, etag, tree, description(headers)?))
}

/// A1 `POST /vaults/{id}/archives`.
pub async fn upload(
    st: &State,
    vault: &str,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response<Body>> {
    let checked = st
        .store
        .check_vault(vault)
        .and_then(|_| upload_headers(headers));
    let (len, etag, tree, desc) = match checked {
        Ok(v) => v,
        Err(e) => {
            // Read the body anyway so the client sees the reply, not a broken pipe.
            drain(body, u64::MAX).await;
            return Err(e);
        }
    };
    let got = ingest(body, len, &st.store).await?;
    check_digest("x-oas-content-etag", &etag, &got.etag)?;
    check_digest("x-oas-tree-etag", &tree, &got.tree_etag())?;
    let tree_etag = got.tree_etag();
    let leaves = leaves_to_blob(&got.leaves);
    let store = st.store.clone();
    let file = tokio::task::spawn_blocking(move || store.persist(got.file))
        .await
        .map_err(ApiError::internal)??;
    let id = new_id();
    let res = (|| -> ApiResult<()> {
        let mut db = st.store.db();
        let tx = db.transaction()?;
        let n: i64 = tx.query_row(
            "SELECT count(*) FROM vaults WHERE id=?1",
            params![vault],
            |r| r.get(0),
        )?;
        if n == 0 {
            return Err(ApiError::not_found("VaultNotExists", vault));
        }
        tx.execute(
            "INSERT INTO archives(id, vault_id, description, created, size, tree_etag, leaves)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, vault, desc, now_secs(), len as i64, tree_etag, leaves],
        )?;
        tx.execute(
            "INSERT INTO segments(owner, offset, len, file) VALUES(?1, 0, ?2, ?3)",
            params![id, len as i64, file],
        )?;
        tx.commit()?;
        Ok(())
    })();
    if let Err(e) = res {
        st.store.remove_blobs(&[file]);
        return Err(e);
    }
    Ok(archive_created(vault, &id))
}

/// A2 `DELETE /vaults/{id}/archives/{archive}`.
pub fn delete(st: &State, vault: &str, archive: &str) -> ApiResult<Response<Body>> {
    st.store.check_vault(vault)?;
    let files = {
        let mut db = st.store.db();
        let tx = db.transaction()?;
        let n = tx.execute(
            "DELETE FROM archives WHERE id=?1 AND vault_id=?2",
            params![archive, vault],
        )?;
        if n == 0 {
            return Err(ApiError::not_found("ArchiveNotExists", archive));
        }
        let files: Vec<String> = {
            let mut q = tx.prepare("SELECT file FROM segments WHERE owner=?1")?;
            let rows = q.query_map(params![archive], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        tx.execute("DELETE FROM segments WHERE owner=?1", params![archive])?;
        tx.commit()?;
        files
    };
    st.store.remove_blobs(&files);
    Ok(empty(204, &[]))
}

/// A3 `GET /vaults/{id}/archives/{archive}/meta`.
pub fn meta(st: &State, vault: &str, archive: &str) -> ApiResult<Response<Body>> {
    st.store.check_vault(vault)?;
    let a = info(&st.store, vault, archive)?;
    Ok(json(
        200,
        json!({
            "ArchiveId": archive,
            "ArchiveDescription": a.description,
            "ArchiveSizeInBytes": a.size,
            "ArchiveTreeEtag": a.tree_etag,
            "CreationDate": rfc1123(Some(a.created)),
        }),
    ))
}
