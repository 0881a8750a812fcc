//! Crash-safe resume: a download killed with SIGKILL, a cancelled one, and a
//! finished range damaged on disk before resuming.

mod download_common;
use oas as sdk;

use download_common::*;
use oas::download::Journal;
use oas::{Client, DownloadOptions, Error, Job};
use std::os::unix::fs::FileExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "OAS_TEST_RESUME_CHILD";

/// In the child: download slowly until killed. Arguments come as
/// `base|vault|job|path`.
fn child(spec: &str) -> ! {
    let parts: Vec<&str> = spec.split('|').collect();
    let client = Client::new(options(parts[0])).unwrap();
    let mut job = Job::describe(&client, parts[1], parts[2]).unwrap();
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB);
    opts.workers = Some(2);
    opts.bandwidth_limit = Some(3 * MIB);
    let r = job.download_to_file_with(std::path::Path::new(parts[3]), 0, false, &opts);
    // Reaching here means the parent did not kill us in time.
    eprintln!("child finished: {r:?}");
    std::process::exit(3);
}

#[test]
fn sigkilled_download_resumes_byte_identical() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
    }
    let env = start_default();
    let len = 12 * MIB + 321;
    let bytes = data(len, 50);
    let mut job = env.ready_job(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("killed.bin");
    let journal = Journal::path_for(&out);
    let spec = format!(
        "{}|{}|{}|{}",
        env.emu.base_url(),
        env.vault,
        job.id(),
        out.display()
    );
    let mut kid = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkilled_download_resumes_byte_identical",
            "--nocapture",
        ])
        .env(CHILD_ENV, spec)
        .spawn()
        .unwrap();
    // Kill once at least three ranges are journaled (and the rest is not).
    let deadline = Instant::now() + Duration::from_secs(30);
    let done_before_kill = loop {
        assert!(Instant::now() < deadline, "child made no progress");
        if let Ok(Some(j)) = Journal::load(&journal) {
            if j.done.len() >= 3 {
                break j.done.len();
            }
        }
        if let Some(status) = kid.try_wait().unwrap() {
            panic!("child exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    kid.kill().unwrap(); // SIGKILL
    kid.wait().unwrap();
    let j = Journal::load(&journal)
        .unwrap()
        .expect("journal survives the kill");
    assert!(
        j.done.len() >= done_before_kill && j.done.len() < 13,
        "{}",
        j.done.len()
    );
    let before = env.count("GetJobOutput");
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB);
    job.download_to_file_with(&out, 0, false, &opts).unwrap();
    assert_eq!(read(&out), bytes);
    assert!(!journal.exists());
    let fetched = env.count("GetJobOutput") - before;
    assert!(
        fetched <= 13 - j.done.len() as u64,
        "resume fetched {fetched} ranges although {} were done",
        j.done.len()
    );
}

#[test]
fn cancelled_download_resumes_and_damaged_range_is_refetched() {
    let env = start_default();
    let len = 8 * MIB + 5;
    let bytes = data(len, 51);
    let mut job = env.ready_job(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.bin");
    let journal = Journal::path_for(&out);

    // Cancel from the progress callback after ~4 MiB.
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB);
    opts.workers = Some(1);
    opts.progress = Some(Arc::new(move |done, _| {
        if done >= 4 * MIB {
            s.store(true, Ordering::SeqCst);
        }
        done < 4 * MIB
    }));
    let err = job
        .download_to_file_with(&out, 0, false, &opts)
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled(_)), "{err:?}");
    assert!(stop.load(Ordering::SeqCst));
    let j = Journal::load(&journal).unwrap().unwrap();
    let done = j.done.len();
    assert!((3..9).contains(&done), "{done} ranges done");

    // Damage one finished range on disk; a resume must notice and refetch it.
    let f = std::fs::OpenOptions::new().write(true).open(&out).unwrap();
    f.write_all_at(&[bytes[MIB as usize + 10] ^ 0x55], MIB + 10)
        .unwrap();
    drop(f);
    let before = env.count("GetJobOutput");
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB);
    job.download_to_file_with(&out, 0, false, &opts).unwrap();
    assert_eq!(read(&out), bytes);
    assert_eq!(
        env.count("GetJobOutput") - before,
        (9 - done + 1) as u64,
        "pending ranges plus the damaged one"
    );
}

#[test]
fn foreign_journal_starts_over() {
    let env = start_default();
    let len = 2 * MIB + 3;
    let bytes = data(len, 52);
    let archive = env.upload(&bytes);
    let mut job = env.retrieve(&archive, None);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.bin");
    // A journal of another job, claiming everything is done, and junk in the file.
    let mut j = Journal::new("OTHERJOB", &archive, len, MIB);
    for (i, r) in oas::ranges::calc_ranges(MIB, len)
        .unwrap()
        .iter()
        .enumerate()
    {
        j.mark_done(oas::download::DoneRange {
            start: r.start,
            end: r.end,
            tree_etag: format!("{i:032X}"),
        });
    }
    j.save(&Journal::path_for(&out)).unwrap();
    std::fs::write(&out, vec![7u8; len as usize + 1000]).unwrap();
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB);
    job.download_to_file_with(&out, 0, true, &opts).unwrap();
    assert_eq!(
        read(&out),
        bytes,
        "file trimmed to the output and rewritten"
    );
}

#[test]
fn concurrent_download_to_one_path_is_refused() {
    let env = start_default();
    let bytes = data(MIB + 9, 53);
    let archive = env.upload(&bytes);
    let mut job = env.retrieve(&archive, None);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locked.bin");
    let holder = std::fs::File::create(&out).unwrap();
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor we own.
    assert_eq!(unsafe { libc::flock(holder.as_raw_fd(), libc::LOCK_EX) }, 0);
    let err = job.download_to_file(&out, 0, true).unwrap_err();
    assert!(
        matches!(err, Error::InvalidState(ref m) if m.contains("in progress")),
        "{err:?}"
    );
    drop(holder);
    job.download_to_file(&out, 0, true).unwrap();
    assert_eq!(read(&out), bytes);
}
