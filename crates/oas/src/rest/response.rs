//! Reading answers: a non-2xx response as a [`ServerError`], the response
//! headers, and the source chain of a transport error.

use crate::error::{Error, ServerError};
use reqwest::blocking::Response;
use std::collections::BTreeMap;
use std::io::Read;

/// Turns a non-2xx response into a [`ServerError`], keeping status, request id,
/// lower-cased headers and, when the body is JSON, code, type and message.
pub(crate) fn server_error(op: &str, resp: Response) -> Error {
    let status = resp.status().as_u16();
    let headers = header_map(resp.headers());
    let request_id = headers.get("x-oas-request-id").cloned().unwrap_or_default();
    // Error bodies are small; never read more than 64 KiB of one.
    let mut raw = Vec::new();
    let _ = resp.take(64 << 10).read_to_end(&mut raw);
    let mut err = ServerError {
        status,
        request_id,
        headers,
        operation: op.to_string(),
        ..Default::default()
    };
    read_error_body(&mut err, &raw);
    Error::Server(Box::new(err))
}

/// Fills code, type and message of `err` from an error body: the JSON
/// `{"code","type","message"}` of the protocol, else the body as the message.
pub(crate) fn read_error_body(err: &mut ServerError, raw: &[u8]) {
    let text = String::from_utf8_lossy(raw).into_owned();
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v.get("code").is_some() => {
            let field = |k: &str| {
                v.get(k)
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .unwrap_or_default()
            };
            err.code = field("code");
            err.error_type = field("type");
            err.message = field("message");
        }
        _ => err.message = text,
    }
}

/// Response headers with lower-cased names (repeated headers joined by `, `).
pub(crate) fn header_map(h: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in h {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        out.entry(k.as_str().to_ascii_lowercase())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(&v)
            })
            .or_insert(v);
    }
    out
}

/// The one walk of an error's source chain: `e`, then each `source()`.
pub(crate) fn chain<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

/// `e` and every error in its source chain, joined by `: `.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    chain(e)
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
