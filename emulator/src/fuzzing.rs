//! Entry points for the cargo-fuzz targets in `fuzz/` (not a stable API): the
//! emulator's parsing of what a client sends, reached without a server.
//! Failed checks panic, which the fuzzer reports as a crash.

use crate::faults::{glob, FaultRequest, Faults};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use oas_digest::digest::LEAF_SIZE;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Authenticates a request made of fuzzed parts (invalid HTTP pieces are
/// skipped, as the HTTP layer would reject them) against the default
/// credentials at `now_secs`, and returns whether it passed. A passing
/// request must carry a `Date` within the skew window.
pub fn authenticate(method: &[u8], uri: &str, headers: &[(&[u8], &[u8])], now_secs: u32) -> bool {
    let Ok(method) = Method::from_bytes(method) else {
        return false;
    };
    let Ok(uri) = uri.parse::<Uri>() else {
        return false;
    };
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k), HeaderValue::from_bytes(v)) {
            map.append(k, v);
        }
    }
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(now_secs));
    let creds = vec![(
        crate::DEFAULT_ACCESS_ID.to_string(),
        crate::DEFAULT_ACCESS_KEY.to_string(),
    )];
    let _ = crate::http::router::route(&method, uri.path());
    let ok = crate::http::auth::verify(&method, &uri, &map, &creds, now).is_ok();
    if ok {
        let date = map.get("date").expect("a verified request has a Date");
        let when = crate::http::auth::parse_date(date.to_str().expect("parsed as text"))
            .expect("a verified Date parses");
        let skew = now.duration_since(when).unwrap_or_else(|e| e.duration());
        assert!(skew <= crate::http::auth::MAX_SKEW);
    }
    ok
}

/// Parses a `Date` header value the lenient way the emulator does.
pub fn date(s: &str) -> Option<SystemTime> {
    crate::http::auth::parse_date(s)
}

/// Checks a `RetrievalByteRange` (job request) and a `Range` (job output)
/// against a size; accepted ranges must lie inside it and be 1 MiB aligned.
pub fn ranges(s: &str, size: u64) {
    for r in [
        crate::http::handlers::jobs::retrieval_range(s, size).ok(),
        crate::http::handlers::jobs::output_range(s, size).ok(),
    ]
    .into_iter()
    .flatten()
    {
        let (a, b) = r;
        assert!(a <= b && b < size, "{s:?} gave {a}-{b} of {size}");
        assert_eq!(a % LEAF_SIZE, 0, "{s:?}");
    }
}

/// Checks the headers of an Upload Part request against a part size; an
/// accepted range must start on a part boundary and fit in one part.
pub fn part_headers(headers: &[(&[u8], &[u8])], part_size: u64) {
    if part_size == 0 {
        return;
    }
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k), HeaderValue::from_bytes(v)) {
            map.append(k, v);
        }
    }
    if let Ok((r, _, _)) = crate::http::handlers::multipart::part_headers(&map, part_size) {
        assert_eq!(r.start % part_size, 0);
        assert!(r.len() <= part_size);
    }
}

/// Parses a `POST /_emulator/faults` body and matches a few requests
/// against the rules it installs.
pub fn fault_rules(body: &[u8], op: Option<&str>, path: &str) {
    let Ok(req) = serde_json::from_slice::<FaultRequest>(body) else {
        return;
    };
    for r in &req.rules {
        if let Some(p) = &r.path {
            let _ = glob(p, path);
        }
    }
    let mut faults = Faults::new(Vec::new());
    faults.add(req);
    for _ in 0..3 {
        let _ = faults.decide(op, path);
    }
}
