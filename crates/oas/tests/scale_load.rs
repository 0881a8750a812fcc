//! Load on one client through the Rust API: 32 threads share one `Client`
//! (and one `Vault`) and run 200 mixed operations against one in-process
//! emulator: single and multipart uploads (1 MiB parts), each verified by a
//! retrieval job and a parallel download compared byte for byte with its
//! source, listings, vault lookups, archive deletions and multipart uploads
//! stopped and aborted. A watchdog thread fails the test if the run does not
//! finish within the bound (a deadlock is a failure, not a hang). The C twin
//! is `tests/c/test_load.c`.

mod common;
use oas as sdk;

use common::MIB;
use oas::{Error, UploadOptions, Vault, WaitOptions};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const THREADS: usize = 32;
const OPS: usize = 200;
/// Generous: the run takes a few seconds on an idle machine.
const BOUND: Duration = Duration::from_secs(300);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Single,
    Multipart,
    List,
    Lookup,
    Abort,
}

fn kind(op: usize) -> Kind {
    match op % 10 {
        0..=3 => Kind::Single,
        4..=6 => Kind::Multipart,
        7 => Kind::List,
        8 => Kind::Lookup,
        _ => Kind::Abort,
    }
}

fn wait_opts() -> WaitOptions {
    let mut o = WaitOptions::default();
    o.first_interval = Duration::from_millis(10);
    o.max_interval = Duration::from_millis(100);
    o.timeout = Some(Duration::from_secs(60));
    o
}

fn round_trip(vault: &Vault, op: usize, src: &Path, data: &[u8], dir: &Path) -> Result<(), String> {
    let id = vault
        .upload_archive(src, Some("load"))
        .map_err(|e| format!("upload: {e}"))?;
    let mut job = vault
        .retrieve_archive_reuse(&id, Some("load"), None)
        .map_err(|e| format!("retrieve: {e}"))?;
    job.wait(&wait_opts()).map_err(|e| format!("wait: {e}"))?;
    let out = dir.join(format!("out-{op}"));
    job.download_to_file(&out, 0, false)
        .map_err(|e| format!("download: {e}"))?;
    let got = std::fs::read(&out).map_err(|e| format!("read back: {e}"))?;
    if got != data {
        return Err(format!(
            "archive {id}: downloaded bytes differ from the source"
        ));
    }
    std::fs::remove_file(&out).map_err(|e| format!("remove: {e}"))?;
    vault
        .delete_archive(&id)
        .map_err(|e| format!("delete archive: {e}"))
}

fn abort(vault: &Vault, src: &Path) -> Result<(), String> {
    let up = vault
        .initiate_uploader(src, Some("to abort"))
        .map_err(|e| format!("initiate: {e}"))?;
    let mut opts = UploadOptions::default();
    opts.progress = Some(Arc::new(|done: u64, _total: u64| done < MIB));
    match up.start_with(&opts) {
        // Every part was already sent when the callback asked to stop.
        Ok(id) => vault
            .delete_archive(&id)
            .map_err(|e| format!("delete: {e}")),
        Err(Error::Cancelled(_)) => up.cancel().map_err(|e| format!("abort: {e}")),
        Err(e) => Err(format!("stopped upload: {e}")),
    }
}

#[test]
fn thirty_two_threads_share_one_client() {
    let emu = common::emulator();
    // 32 threads x 2 workers: up to 64 connections to the emulator at once.
    let client = common::client_with(&emu, |o| {
        o.workers = 2;
        o.download_range_size = MIB;
    });
    let vault = Vault::create(&client, "rust-load").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let small_data = common::data(256 * 1024 + 3, 1);
    let big_data = common::data(2 * MIB + 5, 2);
    let small = dir.path().join("small");
    let big = dir.path().join("big");
    std::fs::write(&small, &small_data).unwrap();
    std::fs::write(&big, &big_data).unwrap();

    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::<String>::new());
    let done = Mutex::new(std::collections::BTreeMap::<Kind, usize>::new());
    let (tx, rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if rx.recv_timeout(BOUND).is_err() {
            eprintln!("scale_load: watchdog: not finished within {BOUND:?} (deadlock?)");
            std::process::exit(3);
        }
    });
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| loop {
                let op = next.fetch_add(1, Ordering::SeqCst);
                if op >= OPS {
                    return;
                }
                let k = kind(op);
                let r = match k {
                    Kind::Single => round_trip(&vault, op, &small, &small_data, dir.path()),
                    Kind::Multipart => round_trip(&vault, op, &big, &big_data, dir.path()),
                    Kind::List => Vault::list_all(&client)
                        .map_err(|e| e.to_string())
                        .and_then(|_| {
                            vault
                                .list_all_multipart_uploads()
                                .map_err(|e| e.to_string())
                        })
                        .and_then(|_| vault.list_all_jobs().map_err(|e| e.to_string()))
                        .map(|_| ()),
                    Kind::Lookup => Vault::get_by_id(&client, vault.id())
                        .map_err(|e| e.to_string())
                        .and_then(|v| {
                            (v.id() == vault.id())
                                .then_some(())
                                .ok_or_else(|| "wrong vault".to_string())
                        }),
                    Kind::Abort => abort(&vault, &big),
                };
                match r {
                    Ok(()) => *done.lock().unwrap().entry(k).or_default() += 1,
                    Err(e) => failures
                        .lock()
                        .unwrap()
                        .push(format!("op {op} ({k:?}): {e}")),
                }
            });
        }
    });
    let elapsed = t0.elapsed();
    tx.send(()).unwrap();
    watchdog.join().unwrap();
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
    let done = done.into_inner().unwrap();
    assert_eq!(done.values().sum::<usize>(), OPS, "{done:?}");
    assert!(vault.list_all_multipart_uploads().unwrap().is_empty());
    let mut v = vault.clone();
    v.refresh().unwrap();
    assert_eq!(v.number_of_archives(), 0, "every archive was deleted");
    v.delete().unwrap();
    eprintln!(
        "scale_load: {THREADS} threads, {OPS} ops {done:?} in {:.2} s",
        elapsed.as_secs_f64()
    );
}
