//! Server crash and restart, seen by the SDK: the emulator binary is
//! `kill -9`ed in the middle of a multipart upload and of a parallel download
//! made through the `oas` SDK, and restarted on the same port with the same
//! data directory.
//!
//! * Restarted within the client's retry budget: both transfers complete,
//!   byte-identical, inside the same call.
//! * Down for longer than the budget: the call fails with a transport error
//!   (for an upload wrapped as `Error::Upload` naming the part, as in the
//!   Python SDK), and a resume after the restart completes.

use oas::{Client, ClientOptions, Job, RetryPolicy, UploadOptions, Vault, WaitOptions};
use oas_emulator::{DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts the binary on `port` (0 = any) with `data_dir`.
    fn start(data_dir: &Path, port: u16) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oas-emulator"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("first line: {line:?}"));
        Server { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Deterministic, non-periodic bytes.
fn data(len: u64, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// 1 MiB parts, 2 workers, a bandwidth limit so a transfer lasts long enough
/// to be interrupted, and a retry policy of `attempts` with delays of
/// `base`..1 s.
fn client(url: &str, attempts: u32, base: Duration) -> Client {
    let mut o = ClientOptions::new(url, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY);
    o.upload_threshold = 2 * MIB;
    o.part_size = MIB;
    o.download_range_size = MIB;
    o.workers = 2;
    o.bandwidth_limit = 8 * MIB;
    o.connect_timeout = Duration::from_secs(2);
    o.read_timeout = Duration::from_secs(10);
    o.retry = RetryPolicy {
        max_attempts: attempts,
        base_delay: base,
        max_delay: Duration::from_secs(1),
    };
    Client::new(o).unwrap()
}

/// A progress callback that signals once `done` passes `at` bytes.
fn signal_at(at: u64) -> (oas::ProgressFn, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    let fired = AtomicBool::new(false);
    let tx = std::sync::Mutex::new(tx);
    let f: oas::ProgressFn = Arc::new(move |done, _total| {
        if done >= at && !fired.swap(true, Ordering::SeqCst) {
            let _ = tx.lock().unwrap().send(());
        }
        true
    });
    (f, rx)
}

fn wait_opts() -> WaitOptions {
    WaitOptions {
        first_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(200),
        timeout: Some(Duration::from_secs(30)),
        cancel: None,
    }
}

fn tree_etag(bytes: &[u8]) -> String {
    oas::digest::compute(bytes).tree_etag
}

#[test]
fn kill_9_and_restart_within_the_retry_budget() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let server = Server::start(&store, 0);
    let port = server.port;
    // 12 attempts, 100 ms doubling to 1 s (with jitter, at least ~4.5 s in
    // all): spans the restart below (down ~0.5 s, start-up well under 1 s).
    let c = client(&server.url(), 12, Duration::from_millis(100));
    let vault = Vault::create(&c, "restart").unwrap();
    let src = dir.path().join("src");
    let bytes = data(16 * MIB + 3, 7);
    std::fs::write(&src, &bytes).unwrap();

    // Multipart upload, killed at 25 %.
    let (progress, hit) = signal_at(4 * MIB);
    let t0 = Instant::now();
    let (archive, server) = std::thread::scope(|s| {
        let up = s.spawn(|| {
            vault.upload_archive_with(
                &src,
                Some("restart"),
                &UploadOptions {
                    progress: Some(progress),
                    ..Default::default()
                },
            )
        });
        hit.recv_timeout(Duration::from_secs(30))
            .expect("upload progressed");
        server.kill9();
        std::thread::sleep(Duration::from_millis(500));
        let server = Server::start(&store, port);
        (up.join().unwrap(), server)
    });
    let archive = archive.expect("the upload survives a restart inside its retry budget");
    eprintln!("upload with a restart: {:.2} s", t0.elapsed().as_secs_f64());
    let meta = c.archive_meta(vault.id(), &archive).unwrap();
    assert_eq!(meta.archive_size_in_bytes as u64, bytes.len() as u64);
    assert_eq!(meta.archive_tree_etag, tree_etag(&bytes));

    // Parallel download of its retrieval, killed at 25 %.
    let mut job = vault.retrieve_archive(&archive, None, None).unwrap();
    job.wait(&wait_opts()).unwrap();
    let out = dir.path().join("out");
    let (progress, hit) = signal_at(4 * MIB);
    let opts = oas::DownloadOptions {
        progress: Some(progress),
        ..Default::default()
    };
    let t0 = Instant::now();
    let (res, server) = std::thread::scope(|s| {
        let down = s.spawn(|| job.download_to_file_with(&out, 0, false, &opts));
        hit.recv_timeout(Duration::from_secs(30))
            .expect("download progressed");
        server.kill9();
        std::thread::sleep(Duration::from_millis(500));
        let server = Server::start(&store, port);
        (down.join().unwrap(), server)
    });
    res.expect("the download survives a restart inside its retry budget");
    eprintln!(
        "download with a restart: {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    assert!(
        std::fs::read(&out).unwrap() == bytes,
        "downloaded bytes differ"
    );
    assert!(!oas::download::Journal::path_for(&out).exists());
    drop(server);
}

#[test]
fn down_longer_than_the_budget_fails_then_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let server = Server::start(&store, 0);
    let port = server.port;
    // 3 attempts, 50..100 ms: gives up within about a second.
    let c = client(&server.url(), 3, Duration::from_millis(50));
    let vault = Vault::create(&c, "down").unwrap();
    let src = dir.path().join("src");
    let bytes = data(12 * MIB + 5, 9);
    std::fs::write(&src, &bytes).unwrap();

    // Upload: fails while the server is down, resumes after the restart.
    let up = vault.initiate_uploader(&src, Some("down")).unwrap();
    let (progress, hit) = signal_at(3 * MIB);
    let res = std::thread::scope(|s| {
        let h = s.spawn(|| {
            up.start_with(&UploadOptions {
                progress: Some(progress),
                ..Default::default()
            })
        });
        hit.recv_timeout(Duration::from_secs(30)).unwrap();
        // Held down until the call has given up.
        server.kill9();
        h.join().unwrap()
    });
    let err = res.expect_err("no server: the upload fails");
    assert!(matches!(err, oas::Error::Upload(_)), "{err:?}");
    assert!(err.to_string().contains("transport error"), "{err}");
    let server = Server::start(&store, port);
    let archive = up.resume(&src).expect("resume after the restart");
    let meta = c.archive_meta(vault.id(), &archive).unwrap();
    assert_eq!(meta.archive_tree_etag, tree_etag(&bytes));

    // Download: fails while the server is down, the journal keeps the
    // finished ranges, and a second call completes after the restart.
    let mut job = vault.retrieve_archive(&archive, None, None).unwrap();
    job.wait(&wait_opts()).unwrap();
    let out = dir.path().join("out");
    let (progress, hit) = signal_at(3 * MIB);
    let opts = oas::DownloadOptions {
        progress: Some(progress),
        ..Default::default()
    };
    let res = std::thread::scope(|s| {
        let h = s.spawn(|| job.download_to_file_with(&out, 0, false, &opts));
        hit.recv_timeout(Duration::from_secs(30)).unwrap();
        server.kill9();
        h.join().unwrap()
    });
    let err = res.expect_err("no server: the download fails");
    assert!(matches!(err, oas::Error::Transport(_)), "{err:?}");
    let journal = oas::download::Journal::path_for(&out);
    assert!(journal.exists(), "the journal stays for the resume");
    let _server = Server::start(&store, port);
    let mut job = Job::describe(&c, vault.id(), job.id()).unwrap();
    job.download_to_file(&out, 0, false)
        .expect("resume after the restart");
    assert!(
        std::fs::read(&out).unwrap() == bytes,
        "downloaded bytes differ"
    );
    assert!(!journal.exists());
}
