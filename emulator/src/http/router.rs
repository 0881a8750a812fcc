//! Request dispatch: routing to an operation, statistics, fault injection,
//! authentication, the handler, and the `x-oas-request-id` header on every reply.

use super::handlers::{archives, jobs, multipart, vaults};
use crate::db::new_id;
use crate::error::{ApiError, ApiResult};
use crate::faults::{FaultAction, FaultRequest};
use crate::http::auth;
use crate::kill::KillSwitch;
use crate::state::State;
use crate::sync::lock;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A routed OAS request.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// V1.
    CreateVault(String),
    /// V2.
    DeleteVault(String),
    /// V3.
    DescribeVault(String),
    /// V4.
    ListVaults,
    /// A1.
    UploadArchive(String),
    /// A2.
    DeleteArchive(String, String),
    /// A3.
    ArchiveMeta(String, String),
    /// M1.
    InitiateMultipartUpload(String),
    /// M2.
    ListMultipartUploads(String),
    /// M3.
    UploadPart(String, String),
    /// M4.
    ListParts(String, String),
    /// M5.
    CompleteMultipartUpload(String, String),
    /// M6.
    AbortMultipartUpload(String, String),
    /// J1.
    InitiateJob(String),
    /// J2.
    DescribeJob(String, String),
    /// J3.
    ListJobs(String),
    /// J4.
    GetJobOutput(String, String),
}

impl Route {
    /// Operation name (fault rules, statistics).
    pub fn op(&self) -> &'static str {
        match self {
            Route::CreateVault(_) => "CreateVault",
            Route::DeleteVault(_) => "DeleteVault",
            Route::DescribeVault(_) => "DescribeVault",
            Route::ListVaults => "ListVaults",
            Route::UploadArchive(_) => "UploadArchive",
            Route::DeleteArchive(..) => "DeleteArchive",
            Route::ArchiveMeta(..) => "ArchiveMeta",
            Route::InitiateMultipartUpload(_) => "InitiateMultipartUpload",
            Route::ListMultipartUploads(_) => "ListMultipartUploads",
            Route::UploadPart(..) => "UploadPart",
            Route::ListParts(..) => "ListParts",
            Route::CompleteMultipartUpload(..) => "CompleteMultipartUpload",
            Route::AbortMultipartUpload(..) => "AbortMultipartUpload",
            Route::InitiateJob(_) => "InitiateJob",
            Route::DescribeJob(..) => "DescribeJob",
            Route::ListJobs(_) => "ListJobs",
            Route::GetJobOutput(..) => "GetJobOutput",
        }
    }
}

/// Maps method and path to an operation; a known path with another method is
/// `MethodNotAllowed` (405), an unknown path `InvalidRequest` (400).
pub fn route(method: &Method, path: &str) -> ApiResult<Route> {
    let segs: Vec<String> = path
        .strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(auth::percent_decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = method.as_str();
    let o = |x: &str| x.to_string();
    let found = match (s.as_slice(), m) {
        (["vaults"], "GET") => Some(Route::ListVaults),
        (["vaults"], _) => None,
        (["vaults", v], "PUT") if !v.is_empty() => Some(Route::CreateVault(o(v))),
        (["vaults", v], "DELETE") if !v.is_empty() => Some(Route::DeleteVault(o(v))),
        (["vaults", v], "GET") if !v.is_empty() => Some(Route::DescribeVault(o(v))),
        (["vaults", v], _) if !v.is_empty() => None,
        (["vaults", v, "archives"], "POST") => Some(Route::UploadArchive(o(v))),
        (["vaults", _, "archives"], _) => None,
        (["vaults", v, "archives", a], "DELETE") => Some(Route::DeleteArchive(o(v), o(a))),
        (["vaults", _, "archives", _], _) => None,
        (["vaults", v, "archives", a, "meta"], "GET") => Some(Route::ArchiveMeta(o(v), o(a))),
        (["vaults", _, "archives", _, "meta"], _) => None,
        (["vaults", v, "multipart-uploads"], "POST") => Some(Route::InitiateMultipartUpload(o(v))),
        (["vaults", v, "multipart-uploads"], "GET") => Some(Route::ListMultipartUploads(o(v))),
        (["vaults", _, "multipart-uploads"], _) => None,
        (["vaults", v, "multipart-uploads", u], "PUT") => Some(Route::UploadPart(o(v), o(u))),
        (["vaults", v, "multipart-uploads", u], "GET") => Some(Route::ListParts(o(v), o(u))),
        (["vaults", v, "multipart-uploads", u], "POST") => {
            Some(Route::CompleteMultipartUpload(o(v), o(u)))
        }
        (["vaults", v, "multipart-uploads", u], "DELETE") => {
            Some(Route::AbortMultipartUpload(o(v), o(u)))
        }
        (["vaults", _, "multipart-uploads", _], _) => None,
        (["vaults", v, "jobs"], "POST") => Some(Route::InitiateJob(o(v))),
        (["vaults", v, "jobs"], "GET") => Some(Route::ListJobs(o(v))),
        (["vaults", _, "jobs"], _) => None,
        (["vaults", v, "jobs", j], "GET") => Some(Route::DescribeJob(o(v), o(j))),
        (["vaults", _, "jobs", _], _) => None,
        (["vaults", v, "jobs", j, "output"], "GET") => Some(Route::GetJobOutput(o(v), o(j))),
        (["vaults", _, "jobs", _, "output"], _) => None,
        _ => {
            return Err(ApiError::bad(
                "InvalidRequest",
                format!("no OAS resource at {path}"),
            ))
        }
    };
    found.ok_or_else(|| {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{m} is not allowed on {path}"),
        )
    })
}

/// Handles one request end to end.
pub async fn dispatch(st: Arc<State>, req: Request<Body>, kill: KillSwitch) -> Response<Body> {
    let request_id = new_id();
    let mut resp = handle(&st, req, kill).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-oas-request-id", v);
    }
    // Our own Date (hyper adds one only when it is missing), so that a shifted
    // clock shows in every reply.
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(st.now())) {
        resp.headers_mut().insert("date", v);
    }
    resp
}

async fn handle(st: &Arc<State>, req: Request<Body>, kill: KillSwitch) -> Response<Body> {
    let path = req.uri().path().to_string();
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        return control(st, req)
            .await
            .unwrap_or_else(ApiError::into_response);
    }
    crate::log::debug(&format!("{} {}", req.method(), req.uri()));
    let route = route(req.method(), &path);
    let op = route.as_ref().ok().map(Route::op);
    if let Some(op) = op {
        *st.stats_lock().entry(op.to_string()).or_default() += 1;
    }
    let decision = if st.cfg.faults {
        lock(&st.faults).decide(op, &path)
    } else {
        Default::default()
    };
    if !decision.stall.is_zero() {
        tokio::time::sleep(decision.stall).await;
    }
    match &decision.action {
        Some(FaultAction::Error {
            status,
            code,
            message,
            drain,
        }) => {
            if *drain {
                crate::db::stream::drain(req.into_body(), u64::MAX).await;
            }
            let msg = message
                .clone()
                .unwrap_or_else(|| "injected fault".to_string());
            return ApiError::new(*status, code, msg).into_response();
        }
        Some(FaultAction::ResetRequest { after_bytes }) => {
            crate::db::stream::drain(req.into_body(), *after_bytes).await;
            kill.kill();
            return ApiError::new(500, "InternalError", "connection reset").into_response();
        }
        _ => {}
    }
    let (parts, body) = req.into_parts();
    if let Err(e) = auth::verify(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &st.cfg.credentials,
        st.now(),
    ) {
        crate::db::stream::drain(body, u64::MAX).await;
        return e.into_response();
    }
    let route = match route {
        Ok(r) => r,
        Err(e) => {
            crate::db::stream::drain(body, u64::MAX).await;
            return e.into_response();
        }
    };
    // Operations without a request body still read whatever was sent, so the
    // connection stays reusable.
    let body = match route {
        Route::UploadArchive(_) | Route::UploadPart(..) | Route::InitiateJob(_) => body,
        _ => {
            crate::db::stream::drain(body, u64::MAX).await;
            Body::empty()
        }
    };
    let query = auth::parse_query(parts.uri.query());
    let h = &parts.headers;
    let res = match &route {
        Route::CreateVault(n) => vaults::create(st, n),
        Route::DeleteVault(v) => vaults::delete(st, v),
        Route::DescribeVault(v) => vaults::describe(st, v),
        Route::ListVaults => vaults::list(st, &query),
        Route::UploadArchive(v) => archives::upload(st, v, h, body).await,
        Route::DeleteArchive(v, a) => archives::delete(st, v, a),
        Route::ArchiveMeta(v, a) => archives::meta(st, v, a),
        Route::InitiateMultipartUpload(v) => multipart::initiate(st, v, h),
        Route::ListMultipartUploads(v) => multipart::list_uploads(st, v, &query),
        Route::UploadPart(v, u) => multipart::upload_part(st, v, u, h, body).await,
        Route::ListParts(v, u) => multipart::list_parts(st, v, u, &query),
        Route::CompleteMultipartUpload(v, u) => multipart::complete(st, v, u, h),
        Route::AbortMultipartUpload(v, u) => multipart::abort(st, v, u),
        Route::InitiateJob(v) => jobs::initiate(st, v, body).await,
        Route::DescribeJob(v, j) => jobs::describe(st, v, j).await,
        Route::ListJobs(v) => jobs::list(st, v, &query).await,
        Route::GetJobOutput(v, j) => jobs::output(st, v, j, h).await,
    };
    let resp = res.unwrap_or_else(ApiError::into_response);
    if let Some(FaultAction::DropResponse) = decision.action {
        // The work is done; the connection fails before the answer goes out.
        kill.kill();
        return resp;
    }
    match &decision.action {
        Some(a) => crate::faults::wrap_response(resp, a, kill),
        None => resp,
    }
}

impl State {
    /// The statistics map.
    pub fn stats_lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        lock(&self.stats)
    }

    /// A JSON snapshot of the statistics.
    pub fn stats_json(&self) -> serde_json::Value {
        let stats = self.stats_lock();
        let total: u64 = stats.values().sum();
        serde_json::json!({"operations": *stats, "total": total})
    }
}

/// The unsigned `/_emulator/*` control endpoints (only with faults enabled).
async fn control(st: &Arc<State>, req: Request<Body>) -> ApiResult<Response<Body>> {
    if !st.cfg.faults {
        return Err(ApiError::new(
            404,
            "InvalidRequest",
            "fault control is disabled (start with --faults)",
        ));
    }
    let path = req.uri().path().to_string();
    match (req.method().as_str(), path.as_str()) {
        ("POST", "/_emulator/faults") => {
            let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .map_err(|e| ApiError::invalid(e.to_string()))?;
            let fr: FaultRequest = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::invalid(format!("bad fault request: {e}")))?;
            let n = fr.rules.len();
            lock(&st.faults).add(fr);
            Ok(crate::http::reply::json(
                200,
                serde_json::json!({"added": n}),
            ))
        }
        ("GET", "/_emulator/faults") => {
            Ok(crate::http::reply::json(200, lock(&st.faults).report()))
        }
        ("DELETE", "/_emulator/faults") => {
            lock(&st.faults).clear();
            Ok(crate::http::reply::empty(204, &[]))
        }
        ("POST", "/_emulator/seed") => {
            let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .map_err(|e| ApiError::invalid(e.to_string()))?;
            let st = st.clone();
            let reply =
                tokio::task::spawn_blocking(move || crate::http::handlers::seed::seed(&st, &bytes))
                    .await
                    .map_err(ApiError::internal)??;
            Ok(crate::http::reply::json(200, reply))
        }
        ("GET", "/_emulator/stats") => Ok(crate::http::reply::json(200, st.stats_json())),
        ("DELETE", "/_emulator/stats") => {
            st.stats_lock().clear();
            Ok(crate::http::reply::empty(204, &[]))
        }
        _ => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{} {path} is not a control endpoint", req.method()),
        )),
    }
}
