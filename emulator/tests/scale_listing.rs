//! Scale of one vault, through the SDK against the emulator binary (so its
//! peak RSS can be read): the vault is bulk-seeded (`POST /_emulator/seed`)
//! with many archives, in-progress multipart uploads and finished jobs;
//! `list_multipart_uploads` and `list_jobs` follow every page; an inventory
//! job generates the whole `ArchiveList` with bounded memory, and the
//! downloaded inventory is streamed back entry by entry.
//!
//! Counts: 50 000 archives, 2 500 uploads and 2 500 jobs here (3 pages of
//! each); `bench/scale.sh` sets `OAS_SCALE_ARCHIVES`, `OAS_SCALE_UPLOADS`
//! and `OAS_SCALE_JOBS` for the full 100 000 / 5 000 / 5 000 run.

use oas::{Client, ClientOptions, Inventory, Vault, WaitOptions};
use oas_emulator::{DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Bound on the emulator's peak RSS while it holds and lists the vault and
/// writes its inventory (before streaming, the inventory alone took ~1 KiB
/// per archive: the emulator peaked at 122 MiB for 50 000).
const EMULATOR_RSS_BOUND_MIB: u64 = 64;

struct Server(Child, String);

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oas-emulator"))
            .args(["--faults"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_string();
        Server(child, url)
    }

    fn hwm_mib(&self) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap();
        let kib: f64 = s
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        kib / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed(url: &str, body: serde_json::Value) -> serde_json::Value {
    let r = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap()
        .post(format!("{url}/_emulator/seed"))
        .body(body.to_string())
        .send()
        .unwrap();
    let status = r.status();
    let text = r.text().unwrap();
    assert!(status.is_success(), "seed: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

/// Peak RSS of this (client) process in MiB.
fn own_hwm_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = s
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024.0
}

#[test]
fn one_vault_at_scale_lists_every_page_and_inventories_with_bounded_memory() {
    let archives = env_count("OAS_SCALE_ARCHIVES", 50_000);
    let uploads = env_count("OAS_SCALE_UPLOADS", 2_500);
    let jobs = env_count("OAS_SCALE_JOBS", 2_500);
    let server = Server::start();
    let mut o = ClientOptions::new(&server.1, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY);
    o.read_timeout = Duration::from_secs(300);
    let client = Client::new(o).unwrap();
    let vault = Vault::create(&client, "scale").unwrap();

    let t0 = Instant::now();
    seed(
        &server.1,
        serde_json::json!({"vault": vault.id(), "archives": archives, "uploads": uploads, "jobs": jobs}),
    );
    let seeded = t0.elapsed();

    let t0 = Instant::now();
    let ups = vault.list_all_multipart_uploads().unwrap();
    let t_ups = t0.elapsed();
    assert_eq!(ups.len() as u64, uploads, "every upload page followed");
    let ids: HashSet<_> = ups.iter().map(|u| u.id().to_string()).collect();
    assert_eq!(ids.len(), ups.len(), "no upload listed twice");
    let t0 = Instant::now();
    let js = vault.list_all_jobs().unwrap();
    let t_jobs = t0.elapsed();
    assert_eq!(js.len() as u64, jobs, "every job page followed");
    let ids: HashSet<_> = js.iter().map(|j| j.id().to_string()).collect();
    assert_eq!(ids.len(), js.len(), "no job listed twice");

    let t0 = Instant::now();
    let mut job = vault.retrieve_inventory(Some("scale")).unwrap();
    job.wait(&WaitOptions {
        first_interval: Duration::from_millis(50),
        max_interval: Duration::from_millis(500),
        timeout: Some(Duration::from_secs(600)),
        cancel: None,
    })
    .unwrap();
    let t_gen = t0.elapsed();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    let t0 = Instant::now();
    job.download_to_file(&path, 0, false).unwrap();
    let t_down = t0.elapsed();
    let size = std::fs::metadata(&path).unwrap().len();
    let t0 = Instant::now();
    let inv = Inventory::open(&path).unwrap();
    assert_eq!(inv.vault_id(), vault.id());
    let mut n = 0u64;
    let mut ids = HashSet::new();
    for a in inv.archives().unwrap() {
        let a = a.unwrap();
        assert_eq!(a.size, 1024);
        ids.insert(a.archive_id);
        n += 1;
    }
    let t_parse = t0.elapsed();
    assert_eq!(n, archives, "every archive in the inventory");
    assert_eq!(ids.len() as u64, archives, "no archive listed twice");
    let emu_rss = server.hwm_mib();
    eprintln!(
        "scale: {archives} archives seeded in {:.2} s; {uploads} uploads listed in {:.2} s, \
         {jobs} jobs in {:.2} s; inventory generated in {:.2} s ({:.1} MB), downloaded in {:.2} s, \
         streamed in {:.2} s; emulator peak RSS {emu_rss:.1} MiB, test process (client) peak RSS {:.1} MiB",
        seeded.as_secs_f64(),
        t_ups.as_secs_f64(),
        t_jobs.as_secs_f64(),
        t_gen.as_secs_f64(),
        size as f64 / 1e6,
        t_down.as_secs_f64(),
        t_parse.as_secs_f64(),
        own_hwm_mib()
    );
    assert!(
        emu_rss <= EMULATOR_RSS_BOUND_MIB as f64,
        "emulator peak RSS {emu_rss:.1} MiB > {EMULATOR_RSS_BOUND_MIB} MiB"
    );
}
