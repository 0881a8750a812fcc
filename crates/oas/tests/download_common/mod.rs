//! Shared helpers of the `download_*` tests: an in-process emulator, a client
//! with fast retries, test data, uploads and job creation through the
//! low-level API, fault rules and request counts.
//!
//! The SDK is reached as `crate::sdk`: each test crate that includes this file
//! names it so (`use oas as sdk;` here, `use oas_sdk as sdk;` in the C-ABI tests of
//! the root package, which include this very file).
#![allow(dead_code)]

use crate::sdk::model::JobRequest;
use crate::sdk::{Client, ClientOptions, Job, WaitOptions};
use oas_emulator::{Config, Emulator, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub const MIB: u64 = 1 << 20;

/// Attempts per request / per range in these tests.
pub const ATTEMPTS: u32 = 3;

pub struct Env {
    pub emu: Emulator,
    pub client: Client,
    pub vault: String,
}

pub fn options(base: &str) -> ClientOptions {
    let mut o = ClientOptions::new(base, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY);
    o.retry.max_attempts = ATTEMPTS;
    o.retry.base_delay = Duration::from_millis(10);
    o.retry.max_delay = Duration::from_millis(40);
    o.read_timeout = Duration::from_secs(20);
    o.workers = 4;
    o
}

pub fn start(cfg: Config) -> Env {
    let emu = Emulator::start(Config {
        faults: true,
        ..cfg
    })
    .expect("emulator starts");
    let client = Client::new(options(&emu.base_url())).unwrap();
    let vault = client.create_vault("down-test").unwrap();
    Env { emu, client, vault }
}

pub fn start_default() -> Env {
    start(Config::default())
}

/// Deterministic data that differs per `seed` and per position.
pub fn data(len: u64, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            // xorshift64: cheap and not periodic at 1 MiB boundaries.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

impl Env {
    /// Uploads `bytes` as one archive; returns its id.
    pub fn upload(&self, bytes: &[u8]) -> String {
        let d = crate::sdk::digest::compute(bytes);
        self.client
            .upload_archive(
                &self.vault,
                crate::sdk::Payload::bytes(bytes.to_vec()),
                &d.etag,
                &d.tree_etag,
                Some("test data"),
                None,
            )
            .unwrap()
    }

    /// Starts a retrieval of `archive` (optionally a range) and returns it.
    pub fn retrieve(&self, archive: &str, range: Option<(u64, u64)>) -> Job {
        let req = JobRequest {
            job_type: "archive-retrieval".into(),
            archive_id: Some(archive.to_string()),
            retrieval_byte_range: range.map(|(s, e)| format!("{s}-{e}")),
            ..Default::default()
        };
        let mut job = Job::initiate(&self.client, &self.vault, &req).unwrap();
        job.set_wait_options(fast_wait());
        job
    }

    /// Uploads `bytes`, starts a retrieval of the whole archive and waits
    /// until it has succeeded.
    pub fn ready_job(&self, bytes: &[u8]) -> Job {
        let archive = self.upload(bytes);
        let mut job = self.retrieve(&archive, None);
        job.wait(&fast_wait()).unwrap();
        job
    }

    /// Starts an inventory retrieval.
    pub fn inventory_job(&self) -> Job {
        let req = JobRequest {
            job_type: "inventory-retrieval".into(),
            ..Default::default()
        };
        let mut job = Job::initiate(&self.client, &self.vault, &req).unwrap();
        job.set_wait_options(fast_wait());
        job
    }

    /// Requests of operation `op` so far.
    pub fn count(&self, op: &str) -> u64 {
        self.emu.stats().get(op).copied().unwrap_or(0)
    }

    /// Installs fault rules (replacing earlier ones).
    pub fn faults(&self, rules: serde_json::Value) {
        let http = reqwest::blocking::Client::new();
        let url = format!("{}/_emulator/faults", self.emu.base_url());
        let resp = http.delete(&url).send().unwrap();
        assert!(
            resp.status().is_success(),
            "clearing faults: {}",
            resp.status()
        );
        let body = serde_json::json!({"seed": 1, "rules": rules});
        let resp = http
            .post(format!("{}/_emulator/faults", self.emu.base_url()))
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .send()
            .unwrap();
        assert!(
            resp.status().is_success(),
            "installing faults: {}",
            resp.status()
        );
    }
}

pub fn fast_wait() -> WaitOptions {
    let mut o = WaitOptions::default();
    o.first_interval = Duration::from_millis(100);
    o.max_interval = Duration::from_millis(400);
    o.timeout = Some(Duration::from_secs(30));
    o
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// A progress callback that records the last `(done, total)` it saw.
pub fn recorder() -> (crate::sdk::ProgressFn, Arc<std::sync::Mutex<(u64, u64)>>) {
    let seen = Arc::new(std::sync::Mutex::new((0, 0)));
    let s = seen.clone();
    (
        Arc::new(move |done, total| {
            *s.lock().unwrap() = (done, total);
            true
        }),
        seen,
    )
}
