//! Small helpers shared by the operation handlers.

use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use axum::http::{header, HeaderMap, Response, StatusCode};

/// A JSON reply with exact `Content-Type` and `Content-Length`.
pub fn json(status: u16, value: serde_json::Value) -> Response<Body> {
    let body = value.to_string();
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap_or_default()
}

/// A reply without body, with the given headers.
pub fn empty(status: u16, headers: &[(&str, String)]) -> Response<Body> {
    let mut b = Response::builder().status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Body::empty()).unwrap_or_default()
}

/// A header as UTF-8 text (trimmed), if present.
pub fn header_str(headers: &HeaderMap, name: &str) -> ApiResult<Option<String>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => std::str::from_utf8(v.as_bytes())
            .map(|s| Some(s.trim().to_string()))
            .map_err(|_| ApiError::invalid(format!("header {name} is not valid UTF-8"))),
    }
}

/// A required header.
pub fn required(headers: &HeaderMap, name: &str) -> ApiResult<String> {
    header_str(headers, name)?.ok_or_else(|| ApiError::missing(name))
}

/// The `Content-Length` of a request with a body (411 when absent).
pub fn content_length(headers: &HeaderMap) -> ApiResult<u64> {
    let v = header_str(headers, "content-length")?.ok_or_else(|| {
        ApiError::new(
            411,
            "MissingContentLength",
            "Content-Length header is required",
        )
    })?;
    v.parse()
        .map_err(|_| ApiError::invalid(format!("Content-Length {v:?} is not a number")))
}

/// Longest accepted description, in characters (`oascmd` truncates to 128).
pub const MAX_DESCRIPTION: usize = 128;

/// The optional `x-oas-archive-description`, checked for length.
pub fn description(headers: &HeaderMap) -> ApiResult<String> {
    let d = header_str(headers, "x-oas-archive-description")?.unwrap_or_default();
    check_description(&d)?;
    Ok(d)
}

/// Fails when a description is longer than [`MAX_DESCRIPTION`] characters.
pub fn check_description(d: &str) -> ApiResult<()> {
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::invalid(format!(
            "description is longer than {MAX_DESCRIPTION} characters"
        )));
    }
    Ok(())
}

/// Compares a client-sent digest header with the computed value (case-insensitive).
pub fn check_digest(what: &str, sent: &str, actual: &str) -> ApiResult<()> {
    if sent.eq_ignore_ascii_case(actual) {
        Ok(())
    } else {
        Err(ApiError::bad(
            "InvalidDigest",
            format!("{what} mismatch: sent {sent}, computed {actual}"),
        ))
    }
}

/// The 201 reply naming a new archive (A1, M5).
pub fn archive_created(vault: &str, id: &str) -> Response<Body> {
    empty(
        201,
        &[
            ("location", format!("/vaults/{vault}/archives/{id}")),
            ("x-oas-archive-id", id.to_string()),
        ],
    )
}
