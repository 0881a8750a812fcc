//! Disk faults on the download side: the target file system fills up (a
//! size-limited tmpfs the test mounts), and the target directory is
//! read-only (a read-only tmpfs: `chmod` does not stop root).
//!
//! * A full disk is an `Error::Io` whose message names the target path; the
//!   journal left behind is consistent (every range it lists matches the
//!   file), and after space is freed a second call resumes and produces the
//!   exact bytes.
//! * A read-only directory is an `Error::Io` naming the path, before any
//!   byte is fetched.
//!
//! Needs `mount` (the tests run as root); where mounting is not permitted each
//! test prints why and returns.

mod download_common;
use oas as sdk;

use download_common::*;
use oas::digest::{digest_file_range, Want};
use oas::download::Journal;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (mount syntax, e.g. `12m`) with extra
    /// options; `None` (after printing the reason) when mounting is refused.
    fn mount(size: &str, extra: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let opts = format!("size={size}{extra}");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &opts, "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs ({}): {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, opts: &str) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(st.success(), "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Every range the journal at `journal` lists matches the bytes of `file`.
fn journal_consistent(journal: &Path, file: &Path) -> usize {
    let Some(j) = Journal::load(journal).expect("journal readable") else {
        return 0;
    };
    let f = std::fs::File::open(file).unwrap();
    for d in &j.done {
        let got = digest_file_range(&f, d.start, Some(d.end - d.start + 1), Want::Tree)
            .unwrap()
            .tree_etag;
        assert_eq!(
            got, d.tree_etag,
            "journal range {}-{} matches the file",
            d.start, d.end
        );
    }
    j.done.len()
}

#[test]
fn full_target_is_an_io_error_naming_the_path_then_resumes() {
    // 12 MiB of room, 5 MiB of it taken by a filler: an 8 MiB download
    // cannot fit until the filler is removed.
    let Some(fs) = Tmpfs::mount("12m", "") else {
        return;
    };
    let filler = fs.path().join("filler");
    std::fs::write(&filler, vec![1u8; 5 * MIB as usize]).unwrap();
    let env = start_default();
    let bytes = data(8 * MIB + 11, 3);
    let mut job = env.ready_job(&bytes);
    let out: PathBuf = fs.path().join("out");
    let mut opts = oas::DownloadOptions::default();
    opts.range_size = Some(MIB);
    opts.workers = Some(2);
    let err = job
        .download_to_file_with(&out, 0, false, &opts)
        .expect_err("the disk is full");
    let msg = err.to_string();
    assert!(matches!(err, oas::Error::Io { .. }), "{err:?}");
    assert!(
        msg.contains(&out.display().to_string()),
        "names the path: {msg}"
    );
    assert!(msg.contains("No space left on device"), "says why: {msg}");
    let journal = Journal::path_for(&out);
    let done = journal_consistent(&journal, &out);
    eprintln!("full disk: {msg}; journal lists {done} finished ranges");

    std::fs::remove_file(&filler).unwrap();
    job.download_to_file_with(&out, 0, false, &opts)
        .expect("resumes once there is room");
    assert!(std::fs::read(&out).unwrap() == bytes, "identical bytes");
    assert!(!journal.exists(), "journal removed after success");
}

#[test]
fn read_only_target_directory_is_an_io_error_naming_the_path() {
    let Some(fs) = Tmpfs::mount("4m", "") else {
        return;
    };
    fs.remount("ro");
    let env = start_default();
    let mut job = env.ready_job(&data(2 * MIB, 4));
    let out = fs.path().join("out");
    let err = job
        .download_to_file(&out, 0, false)
        .expect_err("read-only directory");
    let msg = err.to_string();
    assert!(matches!(err, oas::Error::Io { .. }), "{err:?}");
    assert!(
        msg.contains(&out.display().to_string()),
        "names the path: {msg}"
    );
    assert!(msg.contains("Read-only file system"), "says why: {msg}");
    assert_eq!(
        env.count("GetJobOutput"),
        0,
        "nothing fetched that could not be stored"
    );
    fs.remount("rw");
}
