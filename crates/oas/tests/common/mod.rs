//! Shared helpers of the upload tests: an in-process emulator, clients with
//! small thresholds, test files, and the emulator's control endpoints.
//!
//! The SDK is reached as `crate::sdk`: each test crate that includes this file
//! names it so (`use oas as sdk;` here, `use oas_sdk as sdk;` in the C-ABI tests of
//! the root package, which include this very file).
#![allow(dead_code)]

use crate::sdk::{Client, ClientOptions};
use oas_emulator::{Config, Emulator, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// One MiB.
pub const MIB: u64 = 1 << 20;

/// An emulator with fault injection enabled and jobs that finish at once.
pub fn emulator() -> Emulator {
    Emulator::start(Config {
        faults: true,
        ..Default::default()
    })
    .expect("emulator starts")
}

/// Options for fast tests: 2 MiB threshold, 1 MiB parts, short retry delays.
pub fn options(emu: &Emulator) -> ClientOptions {
    let mut o = ClientOptions::new(&emu.base_url(), DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY);
    o.upload_threshold = 2 * MIB;
    o.part_size = MIB;
    o.workers = 3;
    o.retry.max_attempts = 4;
    o.retry.base_delay = Duration::from_millis(10);
    o.retry.max_delay = Duration::from_millis(50);
    o
}

/// A client with [`options`] changed by `f`.
pub fn client_with(emu: &Emulator, f: impl FnOnce(&mut ClientOptions)) -> Client {
    let mut o = options(emu);
    f(&mut o);
    Client::new(o).expect("client")
}

/// A client with [`options`].
pub fn client(emu: &Emulator) -> Client {
    client_with(emu, |_| {})
}

/// Deterministic bytes that differ per `seed`.
pub fn data(size: u64, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| {
            ((i % 251) as u8)
                .wrapping_mul(7)
                .wrapping_add(seed ^ (i >> 20) as u8)
        })
        .collect()
}

/// A temporary file holding [`data`]`(size, seed)`.
pub fn file(size: u64, seed: u8) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(&data(size, seed)).expect("write");
    f.flush().expect("flush");
    f
}

/// Both digests of a whole file.
pub fn digests(path: &Path) -> crate::sdk::digest::Digests {
    crate::sdk::digest::digest_path(path, 0, None).expect("hash")
}

/// Emulator request counts: `operations.<op>` and `total`.
pub fn stats(emu: &Emulator) -> serde_json::Value {
    let url = format!("{}/_emulator/stats", emu.base_url());
    let body = reqwest::blocking::get(url)
        .expect("stats")
        .text()
        .expect("stats body");
    serde_json::from_str(&body).expect("stats JSON")
}

/// How many `op` requests the emulator has seen.
pub fn count(emu: &Emulator, op: &str) -> u64 {
    stats(emu)["operations"][op].as_u64().unwrap_or(0)
}

/// Replaces the emulator's fault rules (an empty list clears them).
pub fn set_faults(emu: &Emulator, rules: serde_json::Value) {
    let url = format!("{}/_emulator/faults", emu.base_url());
    let http = reqwest::blocking::Client::new();
    let resp = http.delete(&url).send().expect("clear faults");
    assert!(
        resp.status().is_success(),
        "clear faults: {}",
        resp.status()
    );
    let resp = http
        .post(url)
        .header("Content-Type", "application/json")
        .body(serde_json::json!({"seed": 1, "rules": rules}).to_string())
        .send()
        .expect("faults");
    assert!(resp.status().is_success(), "faults: {}", resp.status());
}

/// Checks that archive `archive_id` of `vault` holds exactly the file at `path`
/// (size and tree etag from the archive metadata).
pub fn assert_archive(vault: &crate::sdk::Vault, archive_id: &str, path: &Path) {
    let meta = vault
        .client()
        .archive_meta(vault.id(), archive_id)
        .expect("archive meta");
    let len = std::fs::metadata(path).unwrap().len();
    assert_eq!(meta.archive_size_in_bytes, len as i64, "archive size");
    assert_eq!(
        meta.archive_tree_etag,
        digests(path).tree_etag,
        "archive tree etag"
    );
}
