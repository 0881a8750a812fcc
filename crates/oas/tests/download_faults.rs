//! Downloads under injected faults, job waiting and OSS jobs, with request
//! counts from the emulator proving retries and polling frequency.

mod download_common;
use oas as sdk;

use download_common::*;
use oas::model::JobRequest;
use oas::ranges::ByteRange;
use oas::{DownloadOptions, Error, Job, Target, WaitOptions};
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn flipped_byte_is_retried_then_reported() {
    let env = start_default();
    let len = 4 * MIB + 9;
    let bytes = data(len, 40);
    let mut job = env.ready_job(&bytes);
    let dir = tempfile::tempdir().unwrap();

    // Once: the range is fetched again and the download succeeds.
    // Offset 5 lies inside every range, even the 9-byte tail.
    env.faults(json!([{"op":"GetJobOutput","times":1,"action":"flip","offset":5}]));
    let before = env.count("GetJobOutput");
    let out = dir.path().join("a");
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(2 * MIB);
    job.download_to_file_with(&out, 0, false, &opts).unwrap();
    assert_eq!(read(&out), bytes);
    assert_eq!(
        env.count("GetJobOutput") - before,
        3 + 1,
        "3 ranges + 1 retry"
    );

    // Always: every attempt of an aligned range fails -> HashMismatch, nothing
    // reaches a writer.
    env.faults(json!([{"op":"GetJobOutput","action":"flip","offset":5}]));
    let before = env.count("GetJobOutput");
    let mut sink = Vec::new();
    let r = ByteRange::new(0, 2 * MIB - 1).unwrap();
    let err = job
        .download_by_range(r, Target::Writer(&mut sink), 0, false)
        .unwrap_err();
    assert!(matches!(err, Error::HashMismatch(_)), "{err:?}");
    assert!(sink.is_empty(), "unverified bytes were written");
    assert_eq!(env.count("GetJobOutput") - before, ATTEMPTS as u64);

    // The whole file download fails too, and keeps no unverified range.
    let out = dir.path().join("b");
    let err = job
        .download_to_file_with(&out, 0, false, &opts)
        .unwrap_err();
    assert!(matches!(err, Error::HashMismatch(_)), "{err:?}");
    let j = oas::download::Journal::load(&oas::download::Journal::path_for(&out))
        .unwrap()
        .unwrap();
    assert!(j.done.is_empty(), "{:?}", j.done);
    // Faults gone: the same call resumes and completes.
    env.faults(json!([]));
    job.download_to_file_with(&out, 0, false, &opts).unwrap();
    assert_eq!(read(&out), bytes);
}

#[test]
fn unaligned_ranges_are_caught_by_the_final_check() {
    let env = start_default();
    let len = 5 * MIB + 7;
    let bytes = data(len, 41);
    let mut job = env.ready_job(&bytes);
    // 3 MiB ranges are not tree nodes: no header to check them against. The
    // corrupted byte must still be caught by the whole-output check.
    env.faults(json!([{"op":"GetJobOutput","times":1,"action":"flip","offset":7}]));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(3 * MIB);
    opts.workers = Some(1);
    let err = job
        .download_to_file_with(&out, 0, false, &opts)
        .unwrap_err();
    assert!(matches!(err, Error::HashMismatch(_)), "{err:?}");
    let before = env.count("GetJobOutput");
    job.download_to_file_with(&out, 0, false, &opts).unwrap();
    assert_eq!(read(&out), bytes);
    assert_eq!(
        env.count("GetJobOutput") - before,
        2,
        "unverified ranges fetched again"
    );
}

#[test]
fn truncated_and_reset_bodies_are_retried() {
    let env = start_default();
    let len = 3 * MIB + 1;
    let bytes = data(len, 42);
    let mut job = env.ready_job(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB);
    env.faults(json!([
        // The last range holds one byte: cut before it so every fault bites.
        {"op":"GetJobOutput","times":1,"action":"truncate","after_bytes":0},
        {"op":"GetJobOutput","times":1,"action":"reset_response","after_bytes":0},
        {"op":"GetJobOutput","times":1,"action":"error","status":500,"code":"InternalError"}
    ]));
    let before = env.count("GetJobOutput");
    let out = dir.path().join("a");
    job.download_to_file_with(&out, 0, false, &opts).unwrap();
    assert_eq!(read(&out), bytes);
    assert_eq!(
        env.count("GetJobOutput") - before,
        4 + 3,
        "4 ranges + 3 retries"
    );

    // Truncated every time: a download error, nothing reaches the writer.
    env.faults(json!([{"op":"GetJobOutput","action":"truncate","after_bytes":10}]));
    let before = env.count("GetJobOutput");
    let mut sink = Vec::new();
    let r = ByteRange::new(MIB, 2 * MIB - 1).unwrap();
    let err = job
        .download_by_range(r, Target::Writer(&mut sink), 0, false)
        .unwrap_err();
    assert!(matches!(err, Error::Download(_)), "{err:?}");
    assert!(sink.is_empty());
    assert_eq!(env.count("GetJobOutput") - before, ATTEMPTS as u64);
}

#[test]
fn polling_backs_off() {
    let env = start(oas_emulator::Config {
        job_delay: Duration::from_millis(2500),
        ..Default::default()
    });
    let archive = env.upload(&data(100, 43));
    let mut job = env.retrieve(&archive, None);
    assert!(!job.completed());
    // Not finished: non-blocking calls say so.
    let mut sink = Vec::new();
    let r = ByteRange::new(0, 99).unwrap();
    let err = job
        .download_by_range(r, Target::Writer(&mut sink), 0, false)
        .unwrap_err();
    assert!(matches!(err, Error::JobNotReady(_)), "{err:?}");
    // A short timeout ends the wait.
    let mut t = fast_wait();
    t.timeout = Some(Duration::from_millis(300));
    assert!(matches!(job.wait(&t), Err(Error::Timeout(_))));
    // 100 ms doubling to 800 ms over ~2.5 s: calls at 0, .1, .3, .7, 1.5, 2.3, 3.1 s.
    let before = env.count("DescribeJob");
    let started = Instant::now();
    let mut w = WaitOptions::default();
    w.first_interval = Duration::from_millis(100);
    w.max_interval = Duration::from_millis(800);
    w.timeout = Some(Duration::from_secs(20));
    w.cancel = None;
    job.wait(&w).unwrap();
    let calls = env.count("DescribeJob") - before;
    let waited = started.elapsed();
    // Fixed 100 ms polling would have made ~22 calls.
    assert!(
        (4..=9).contains(&calls),
        "{calls} status calls in {waited:?}"
    );
    assert!(job.succeeded());
    job.download_by_range(r, Target::Writer(&mut sink), 0, false)
        .unwrap();
    assert_eq!(sink.len(), 100);
}

#[test]
fn pull_and_push_through_the_oss_stand_in() {
    let oss = tempfile::tempdir().unwrap();
    let env = start(oas_emulator::Config {
        oss_dir: Some(oss.path().to_path_buf()),
        ..Default::default()
    });
    let bytes = data(2 * MIB + 77, 44);
    std::fs::create_dir_all(oss.path().join("bkt")).unwrap();
    std::fs::write(oss.path().join("bkt/in.bin"), &bytes).unwrap();
    let host = "oss-cn-hangzhou-internal.aliyuncs.com";
    let oss_job = |ty: &str, archive: Option<&str>, object: &str| JobRequest {
        job_type: ty.into(),
        archive_id: archive.map(str::to_string),
        oss_host: Some(host.into()),
        bucket: Some("bkt".into()),
        object: Some(object.into()),
        ..Default::default()
    };
    let mut pull = Job::initiate(
        &env.client,
        &env.vault,
        &oss_job("pull-from-oss", None, "in.bin"),
    )
    .unwrap();
    assert_eq!(pull.action(), "PullFromOSS");
    pull.wait(&fast_wait()).unwrap();
    let archive = pull.archive_id().expect("pulled archive id").to_string();
    assert_eq!(pull.archive_size(), Some(bytes.len() as u64));
    assert_eq!(pull.etag(), Some(oas::digest::tree_etag(&bytes).as_str()));
    // Pull/push jobs have no output.
    let err = pull
        .download_to_file(&oss.path().join("x"), 0, false)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidState(_)), "{err:?}");

    let mut push = Job::initiate(
        &env.client,
        &env.vault,
        &oss_job("push-to-oss", Some(&archive), "out.bin"),
    )
    .unwrap();
    push.wait(&fast_wait()).unwrap();
    assert_eq!(
        std::fs::read(oss.path().join("bkt/out.bin")).unwrap(),
        bytes
    );

    // A failing job reports its status message.
    let mut missing = Job::initiate(
        &env.client,
        &env.vault,
        &oss_job("pull-from-oss", None, "nope.bin"),
    )
    .unwrap();
    match missing.wait(&fast_wait()) {
        Err(Error::JobFailed(m)) => assert!(m.contains("nope.bin"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(missing.failed());
    assert!(missing.status_message().is_some());
}

#[test]
fn bandwidth_limit_live_progress_and_bad_targets() {
    let env = start_default();
    let len = 3 * MIB;
    let bytes = data(len, 45);
    let mut job = env.ready_job(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("slow");
    // 3 MiB at 4 MiB/s takes about 0.75 s; a probe watches it from another thread.
    let probe = job.progress_probe();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let watcher = std::thread::spawn(move || {
        let mut seen = Vec::new();
        while !s.load(std::sync::atomic::Ordering::SeqCst) {
            seen.push(probe.size_completed());
            std::thread::sleep(Duration::from_millis(50));
        }
        seen
    });
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB);
    opts.bandwidth_limit = Some(4 * MIB);
    let started = Instant::now();
    job.download_to_file_with(&out, 64 << 10, false, &opts)
        .unwrap();
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = watcher.join().unwrap();
    assert_eq!(read(&out), bytes);
    assert!(took >= Duration::from_millis(550), "{took:?}");
    assert!(
        seen.iter().any(|&n| n > 0 && n < len),
        "no intermediate progress seen: {seen:?}"
    );
    assert_eq!(job.size_completed(), len);

    // A bad descriptor, and a path whose download fails, leave nothing behind.
    let r = ByteRange::new(0, MIB - 1).unwrap();
    let err = job
        .download_by_range(
            r,
            Target::Fd(unsafe { oas::Descriptor::from_raw(-1) }),
            0,
            false,
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    env.faults(json!([{"op":"GetJobOutput","action":"flip","offset":1}]));
    let p = dir.path().join("bad");
    let err = job
        .download_by_range(r, Target::Path(&p), 0, false)
        .unwrap_err();
    assert!(matches!(err, Error::HashMismatch(_)), "{err:?}");
    assert!(!p.exists(), "unverified file left behind");
}
