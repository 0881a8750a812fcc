//! Entry points for the cargo-fuzz targets in `fuzz/` (not a stable API).
//!
//! Each function feeds untrusted bytes through the same code the library
//! runs on what a server or the disk hands it, reaching crate-private steps
//! that the targets could not call otherwise, and checks what is cheap to
//! check. A failed check panics, which the fuzzer reports as a crash.

use crate::digest::{is_tree_aligned, parse_tree_etag};
use crate::error::ServerError;
use crate::jobs::download::fetch::OutputInfo;
use crate::jobs::download::to_file::plan_range_size;
use crate::jobs::reuse::pick_reusable;
use crate::jobs::Job;
use crate::ranges::{iter_ranges, ByteRange};
use crate::rest::model::{JobInfo, PartList};
use crate::rest::response::read_error_body;
use crate::rest::{Client, ClientOptions};
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

/// Most ranges of one plan a target walks through (plans can hold 10 000).
const MAX_WALK: usize = 64;

/// A client that is never used for a request: jobs need one to exist.
fn offline_client() -> Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Client::new(ClientOptions::new(
                "http://127.0.0.1:9",
                "FUZZ",
                "FUZZSECRET",
            ))
            .expect("offline client")
        })
        .clone()
}

/// Parses a `Range` / `Content-Range` / `RetrievalByteRange` value and checks
/// the result: `start <= end`, the length does not overflow, a total (when
/// given) lies beyond `end`, and printing and parsing again gives the same.
pub fn range_header(s: &str) -> Option<(ByteRange, Option<u64>)> {
    let (r, total) = ByteRange::parse(s)?;
    assert!(r.start <= r.end, "{s:?} parsed to {r:?}");
    assert_eq!(r.len(), r.end - r.start + 1, "{s:?}");
    if let Some(t) = total {
        assert!(r.end < t, "{s:?}: end {} is not below total {t}", r.end);
    }
    assert_eq!(ByteRange::parse(&r.to_header()), Some((r, None)), "{s:?}");
    let _ = is_tree_aligned(r.start, r.end, total.unwrap_or(u64::MAX));
    Some((r, total))
}

/// Parses a tree etag as sent in `x-oas-tree-etag` and checks its shape.
pub fn tree_etag(s: &str) {
    if let Some(h) = parse_tree_etag(s) {
        assert!(h
            .iter()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()));
        let again = std::str::from_utf8(&h).expect("hex is ASCII");
        assert_eq!(parse_tree_etag(again), Some(h));
    }
}

/// Reads an error body the way a failed response is turned into
/// [`crate::Error::Server`].
pub fn error_body(status: u16, raw: &[u8]) -> ServerError {
    let mut err = ServerError {
        status,
        ..Default::default()
    };
    read_error_body(&mut err, raw);
    err
}

/// Runs a Describe Job answer through everything a download derives from it:
/// the accessors, the output size, the range plan with its alignment and
/// local range checks, and the reuse choice.
pub fn job_info(info: JobInfo, now_secs: u32) {
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(now_secs));
    let wanted = ByteRange::parse(&info.retrieval_byte_range).map(|(r, _)| r);
    let _ = pick_reusable(vec![info.clone()], wanted, now);
    let job = Job::new(offline_client(), "V", info);
    let _ = (
        job.succeeded(),
        job.failed(),
        job.has_output(),
        job.completed(),
    );
    let _ = (
        job.archive_size(),
        job.inventory_size(),
        job.retrieval_byte_range(),
    );
    let Ok(size) = job.output_size() else { return };
    let Ok(output) = OutputInfo::of(&job) else {
        return;
    };
    let Ok(range_size) = plan_range_size(size, 0) else {
        return;
    };
    let Ok(ranges) = iter_ranges(range_size, size) else {
        return;
    };
    for r in ranges.take(MAX_WALK) {
        assert!(r.end < size, "range {r} of a {size}-byte output");
        let _ = output.aligned(r);
        let _ = output.check_range(r);
    }
    if let Some(whole) = ByteRange::new(0, size.saturating_sub(1)) {
        let _ = output.aligned(whole);
    }
}

/// Parses the part list of a List Parts answer the way a resumed upload
/// reads it, checking each part range against the upload's plan.
pub fn part_list(list: &PartList, file_size: u64) {
    let part = list.upload.part_size_in_bytes;
    let Ok(plan) = iter_ranges(part, file_size) else {
        return;
    };
    if plan.len() > crate::ranges::MAX_PARTS as usize {
        return;
    }
    let plan: Vec<ByteRange> = plan.collect();
    for p in &list.parts {
        if let Some((r, _)) = range_header(&p.range_in_bytes) {
            if plan.contains(&r) {
                assert_eq!(r.start % part, 0);
            }
        }
        tree_etag(&p.tree_etag);
    }
}

/// The resume decision of a download on a journal read from disk: the
/// journal is kept only when its range size is one the plan would choose for
/// its output size; then its done ranges are matched against that plan.
/// Returns how many listed ranges are plan ranges, or `None` when the
/// journal would be discarded.
pub fn journal_plan(j: &crate::jobs::download::Journal) -> Option<usize> {
    if plan_range_size(j.output_size, j.range_size).ok() != Some(j.range_size) {
        return None;
    }
    let plan = iter_ranges(j.range_size, j.output_size).ok()?;
    if plan.len() > crate::ranges::MAX_PARTS as usize {
        // plan_range_size keeps every plan within MAX_PARTS ranges.
        panic!("a {}-range plan was accepted", plan.len());
    }
    let plan: Vec<ByteRange> = plan.collect();
    let matched = j
        .done
        .iter()
        .filter(|d| plan.iter().any(|r| r.start == d.start && r.end == d.end))
        .count();
    Some(matched)
}
