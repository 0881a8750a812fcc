//! Interrupted multipart uploads: a process killed with SIGKILL, a progress
//! callback that cancels, a cancel token used from another thread, and a local
//! file that changed before `resume`.

mod common;
use oas as sdk;

use common::*;
use oas::{Error, UploadOptions, Vault};
use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "OAS_TEST_SIGKILL_CHILD";

/// In the child: upload the file slowly and print the upload id.
fn child_upload(spec: &str) -> ! {
    let mut it = spec.splitn(4, '|');
    let (base, vault_id, path) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
    let mut o = oas::ClientOptions::new(
        base,
        oas_emulator::DEFAULT_ACCESS_ID,
        oas_emulator::DEFAULT_ACCESS_KEY,
    );
    o.part_size = MIB;
    o.workers = 2;
    o.bandwidth_limit = 2 * MIB;
    let c = oas::Client::new(o).unwrap();
    let v = Vault::get_by_id(&c, vault_id).unwrap();
    let u = v.initiate_uploader(path, Some("killed")).unwrap();
    println!("UPLOAD_ID={}", u.id());
    std::io::stdout().flush().unwrap();
    let r = u.start();
    // Only reached when the parent failed to kill us.
    println!("FINISHED {r:?}");
    std::process::exit(3)
}

#[test]
fn sigkill_mid_upload_then_resume_from_another_process() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child_upload(&spec);
    }
    let emu = emulator();
    let c = client(&emu);
    let v = Vault::create(&c, "killed").unwrap();
    let f = file(12 * MIB + 3, 11);
    let spec = format!("{}|{}|{}", emu.base_url(), v.id(), f.path().display());
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "sigkill_mid_upload_then_resume_from_another_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, spec)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let upload_id = loop {
        let line = lines.next().expect("child printed the upload id").unwrap();
        // The harness may print "test name ... " on the same line first.
        if let Some((_, id)) = line.split_once("UPLOAD_ID=") {
            break id.trim().to_string();
        }
    };
    // Wait until the server holds some, but not all, parts.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = c.list_parts(v.id(), &upload_id).unwrap().parts.len();
        if n >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "child made no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "child must have been killed");
    let held = c.list_parts(v.id(), &upload_id).unwrap().parts.len();
    assert!((2..13).contains(&held), "{held} parts on the server");

    let parts_before = count(&emu, "UploadPart");
    let u = v.recover_uploader(&upload_id).unwrap();
    assert_eq!(u.description(), "killed");
    assert_eq!(u.part_size(), MIB);
    let id = u.resume(f.path()).unwrap();
    assert_archive(&v, &id, f.path());
    // Only the missing parts were sent (killed in-flight parts may be
    // listed or not, so compare against what the server held).
    assert_eq!(count(&emu, "UploadPart") - parts_before, 13 - held as u64);

    // The identical archive also comes back through a retrieval job.
    let job = v.retrieve_archive(&id, None, None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !c
        .describe_job(v.id(), &job.info().job_id)
        .unwrap()
        .completed
    {
        assert!(Instant::now() < deadline, "job did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut out = c
        .get_job_output(v.id(), &job.info().job_id, None, None)
        .unwrap();
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut out.body, &mut got).unwrap();
    assert!(
        got == std::fs::read(f.path()).unwrap(),
        "downloaded bytes differ"
    );
}

#[test]
fn progress_callback_cancels_then_changed_file_is_refused() {
    let emu = emulator();
    let c = client_with(&emu, |o| {
        o.workers = 1;
        o.bandwidth_limit = 4 * MIB;
    });
    let v = Vault::create(&c, "cancel").unwrap();
    let f = file(8 * MIB, 5);
    let u = v.initiate_uploader(f.path(), None).unwrap();

    let stopped_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let calls = Arc::new(AtomicU64::new(0));
    let (s, n) = (stopped_at.clone(), calls.clone());
    u.set_progress(Some(Arc::new(move |done, total| {
        assert_eq!(total, 8 * MIB);
        n.fetch_add(1, Ordering::SeqCst);
        if done >= 3 * MIB {
            s.lock().unwrap().get_or_insert_with(Instant::now);
            return false;
        }
        true
    })));
    let r = u.start();
    let returned = Instant::now();
    assert!(matches!(r, Err(Error::Cancelled(_))), "{r:?}");
    let stopped = stopped_at.lock().unwrap().expect("callback asked to stop");
    assert!(
        returned - stopped < Duration::from_millis(1200),
        "stopped after {:?}",
        returned - stopped
    );
    assert!(calls.load(Ordering::SeqCst) >= 3, "progress was reported");
    // The upload stays resumable with the parts already sent.
    let parts = c.list_parts(v.id(), u.id()).unwrap().parts;
    assert!(
        !parts.is_empty() && parts.len() < 8,
        "{} parts",
        parts.len()
    );
    assert!(parts.iter().any(|p| p.range_in_bytes == "0-1048575"));
    assert_eq!(v.list_all_multipart_uploads().unwrap().len(), 1);

    // Change one byte of an uploaded part: resume must refuse.
    let mut bytes = std::fs::read(f.path()).unwrap();
    bytes[100] ^= 0xFF;
    std::fs::write(f.path(), &bytes).unwrap();
    let r = v.recover_uploader(u.id()).unwrap();
    r.set_progress(None);
    match r.resume(f.path()) {
        Err(Error::HashMismatch(m)) => {
            assert!(m.contains("0-1048575"), "{m}");
            assert!(
                m.contains(&parts[0].content_etag) || m.contains("content etag"),
                "{m}"
            );
        }
        other => panic!("expected HashMismatch, got {other:?}"),
    }
    // A file of another size does not fit the part plan either.
    let short = file(MIB / 2, 5);
    assert!(matches!(
        r.resume(short.path()),
        Err(Error::HashMismatch(_))
    ));

    // Restored, it resumes to the right archive.
    bytes[100] ^= 0xFF;
    std::fs::write(f.path(), &bytes).unwrap();
    let id = r.resume(f.path()).unwrap();
    assert_archive(&v, &id, f.path());
}

#[test]
fn cancel_token_from_another_thread_and_live_size_completed() {
    let emu = emulator();
    let c = client_with(&emu, |o| o.bandwidth_limit = 4 * MIB);
    let v = Vault::create(&c, "token").unwrap();
    let f = file(10 * MIB, 6);
    let u = v.initiate_uploader(f.path(), None).unwrap();
    let token = u.cancel_token();
    let seen = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut seen = Vec::new();
            loop {
                let n = u.size_completed();
                seen.push(n);
                if n >= 2 * MIB {
                    token.cancel();
                    return seen;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let r = u.start();
        assert!(matches!(r, Err(Error::Cancelled(_))), "{r:?}");
        watcher.join().unwrap()
    });
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "monotonic");
    assert!(seen.iter().any(|&n| n > 0 && n < 2 * MIB), "live values");
    // The same uploader resumes after a cancellation; per-call options work.
    let mut opts = UploadOptions::default();
    opts.progress = Some(Arc::new(|_, _| true));
    opts.cancel = Some(oas::CancelToken::new());
    let id = u.resume_with(f.path(), &opts).unwrap();
    assert_eq!(u.size_completed(), 10 * MIB);
    assert_archive(&v, &id, f.path());
}
