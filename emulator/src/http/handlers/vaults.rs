//! Vault operations (spec §4.1).

use crate::db::{new_id, now_secs, page_params, paginate, rfc1123};
use crate::error::{ApiError, ApiResult};
use crate::http::reply::{empty, json};
use crate::state::State;
use axum::body::Body;
use axum::http::Response;
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

/// Page cap of ListVaults.
const LIST_CAP: usize = 10;

/// Name rule: `^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$`.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-';
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&b.len()) && b.iter().all(inner) && edge(&b[0]) && edge(&b[b.len() - 1])
}

fn created(id: &str) -> Response<Body> {
    empty(
        201,
        &[
            ("location", format!("/vaults/{id}")),
            ("x-oas-vault-id", id.to_string()),
        ],
    )
}

/// V1 `PUT /vaults/{name}`: re-creating an existing name returns its id.
pub fn create(st: &State, name: &str) -> ApiResult<Response<Body>> {
    if !valid_name(name) {
        return Err(ApiError::bad(
            "InvalidVaultName",
            format!("vault name {name:?} violates the naming rules"),
        ));
    }
    let db = st.store.db();
    if let Some(id) = db
        .query_row("SELECT id FROM vaults WHERE name=?1", params![name], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
    {
        return Ok(created(&id));
    }
    let n: i64 = db.query_row("SELECT count(*) FROM vaults", [], |r| r.get(0))?;
    if n as usize >= st.cfg.max_vaults {
        return Err(ApiError::new(
            403,
            "TooManyVaults",
            format!("at most {} vaults are allowed", st.cfg.max_vaults),
        ));
    }
    let id = new_id();
    db.execute(
        "INSERT INTO vaults(id, name, created) VALUES(?1, ?2, ?3)",
        params![id, name, now_secs()],
    )?;
    Ok(created(&id))
}

/// V2 `DELETE /vaults/{id}`: only without archives; pending uploads and jobs go too.
pub fn delete(st: &State, id: &str) -> ApiResult<Response<Body>> {
    st.store.check_vault(id)?;
    let files = {
        let mut db = st.store.db();
        let n: i64 = db.query_row(
            "SELECT count(*) FROM archives WHERE vault_id=?1",
            params![id],
            |r| r.get(0),
        )?;
        if n > 0 {
            return Err(ApiError::new(
                409,
                "VaultNotEmpty",
                format!("vault {id} still holds {n} archive(s)"),
            ));
        }
        let tx = db.transaction()?;
        let mut files: Vec<String> = Vec::new();
        {
            let mut q = tx.prepare(
                "SELECT file FROM parts WHERE upload_id IN (SELECT id FROM uploads WHERE vault_id=?1)
                 UNION ALL SELECT file FROM segments WHERE owner IN (SELECT id FROM jobs WHERE vault_id=?1)",
            )?;
            for f in q.query_map(params![id], |r| r.get(0))? {
                files.push(f?);
            }
        }
        tx.execute(
            "DELETE FROM parts WHERE upload_id IN (SELECT id FROM uploads WHERE vault_id=?1)",
            params![id],
        )?;
        tx.execute(
            "DELETE FROM segments WHERE owner IN (SELECT id FROM jobs WHERE vault_id=?1)",
            params![id],
        )?;
        tx.execute("DELETE FROM uploads WHERE vault_id=?1", params![id])?;
        tx.execute("DELETE FROM jobs WHERE vault_id=?1", params![id])?;
        tx.execute("DELETE FROM vaults WHERE id=?1", params![id])?;
        tx.commit()?;
        files
    };
    st.store.remove_blobs(&files);
    Ok(empty(204, &[]))
}

/// The vault object of V3/V4. Statistics are live (not a daily scan).
fn vault_json(st: &State, id: &str) -> ApiResult<Value> {
    let db = st.store.db();
    let row = db
        .query_row(
            "SELECT name, created, last_inventory,
               (SELECT count(*) FROM archives WHERE vault_id=v.id),
               (SELECT coalesce(sum(size),0) FROM archives WHERE vault_id=v.id)
             FROM vaults v WHERE id=?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found("VaultNotExists", id))?;
    Ok(json!({
        "CreationDate": rfc1123(Some(row.1)),
        "LastInventoryDate": rfc1123(row.2),
        "NumberOfArchives": row.3,
        "SizeInBytes": row.4,
        "VaultId": id,
        "VaultName": row.0,
    }))
}

/// V3 `GET /vaults/{id}`.
pub fn describe(st: &State, id: &str) -> ApiResult<Response<Body>> {
    Ok(json(200, vault_json(st, id)?))
}

/// V4 `GET /vaults[?limit=&marker=]`, by VaultId ascending.
pub fn list(st: &State, query: &[(String, String)]) -> ApiResult<Response<Body>> {
    let (marker, limit) = page_params(query, LIST_CAP)?;
    let ids: Vec<String> = {
        let db = st.store.db();
        let mut q = db.prepare("SELECT id FROM vaults ORDER BY id")?;
        let rows = q.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let (page, next) = paginate(ids, &marker, limit)?;
    let list: Vec<Value> = page
        .iter()
        .map(|id| vault_json(st, id))
        .collect::<ApiResult<_>>()?;
    Ok(json(200, json!({"Marker": next, "VaultList": list})))
}
