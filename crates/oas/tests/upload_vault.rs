//! Vault methods and uploads of every size class against the in-process
//! emulator.

mod common;
use oas as sdk;

use common::*;
use oas::{Error, Vault};

#[test]
fn vault_lifecycle_and_getters() {
    let emu = emulator();
    let c = client(&emu);
    let v = Vault::create(&c, "life-cycle_01").unwrap();
    assert_eq!(v.name(), "life-cycle_01");
    assert!(!v.id().is_empty());
    assert!(!v.creation_date().is_empty());
    assert_eq!(v.number_of_archives(), 0);
    assert_eq!(v.size(), 0);
    let _ = v.last_inventory_date();

    // Creating the same name again finds the same vault.
    assert_eq!(Vault::create(&c, "life-cycle_01").unwrap().id(), v.id());
    assert_eq!(Vault::get_by_id(&c, v.id()).unwrap().name(), v.name());
    assert_eq!(
        Vault::get_by_name(&c, "life-cycle_01").unwrap().id(),
        v.id()
    );
    let other = Vault::create(&c, "second").unwrap();
    let mut names: Vec<String> = Vault::list_all(&c)
        .unwrap()
        .iter()
        .map(|v| v.name().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["life-cycle_01", "second"]);

    let mut copy = v.clone();
    copy.refresh().unwrap();
    assert_eq!(copy.info(), v.info());

    match Vault::get_by_name(&c, "no-such-vault") {
        Err(e @ Error::NotFound(_)) => {
            assert!(e.is_not_found());
            assert_eq!(e.to_string(), "not found: Vault not exists: no-such-vault")
        }
        other => panic!("expected not-exists, got {other:?}"),
    }

    other.delete().unwrap();
    Vault::delete_by_name(&c, "life-cycle_01").unwrap();
    assert!(Vault::list_all(&c).unwrap().is_empty());
    let third = Vault::create(&c, "third").unwrap();
    Vault::delete_by_id(&c, third.id()).unwrap();
    assert!(matches!(
        Vault::get_by_id(&c, third.id()),
        Err(Error::Server(s)) if s.status == 404
    ));
}

#[test]
fn bad_vault_names_are_refused_before_any_request() {
    let emu = emulator();
    let c = client(&emu);
    let before = stats(&emu)["total"].as_u64().unwrap_or(0);
    for bad in [
        "ab",
        "Upper",
        "-dash",
        "under_",
        "sp ace",
        "a/b/c",
        &"x".repeat(64),
    ] {
        match Vault::create(&c, bad) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("vault name"), "{m}"),
            other => panic!("{bad:?}: expected InvalidArgument, got {other:?}"),
        }
        assert!(matches!(
            Vault::get_by_name(&c, bad),
            Err(Error::InvalidArgument(_))
        ));
    }
    assert_eq!(stats(&emu)["total"].as_u64().unwrap_or(0), before);
}

#[test]
fn sizes_around_the_threshold() {
    let emu = emulator();
    let c = client(&emu);
    let v = Vault::create(&c, "sizes").unwrap();
    // (size, expected parts; 0 = one request)
    let cases = [(1, 0), (2 * MIB, 0), (2 * MIB + 1, 3), (5 * MIB + 12345, 6)];
    for (i, (size, parts)) in cases.into_iter().enumerate() {
        let f = file(size, i as u8);
        let singles = count(&emu, "UploadArchive");
        let part_reqs = count(&emu, "UploadPart");
        let id = v
            .upload_archive(f.path(), Some(&format!("size {size}")))
            .unwrap();
        assert_archive(&v, &id, f.path());
        let meta = c.archive_meta(v.id(), &id).unwrap();
        assert_eq!(meta.archive_description, format!("size {size}"));
        if parts == 0 {
            assert_eq!(count(&emu, "UploadArchive"), singles + 1, "size {size}");
            assert_eq!(count(&emu, "UploadPart"), part_reqs, "size {size}");
        } else {
            assert_eq!(count(&emu, "UploadArchive"), singles, "size {size}");
            assert_eq!(count(&emu, "UploadPart"), part_reqs + parts, "size {size}");
        }
        v.delete_archive(&id).unwrap();
        assert!(c.archive_meta(v.id(), &id).is_err(), "deleted archive");
    }
    // No multipart upload is left behind.
    assert!(v.list_all_multipart_uploads().unwrap().is_empty());
}

#[test]
fn empty_and_missing_files() {
    let emu = emulator();
    let c = client(&emu);
    let v = Vault::create(&c, "empty").unwrap();
    let f = file(0, 0);
    for r in [
        v.upload_archive(f.path(), None),
        v.initiate_uploader(f.path(), None)
            .map(|u| u.id().to_string()),
        v.upload_reader(std::io::empty(), None, &Default::default()),
    ] {
        match r {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("zero-byte"), "{m}"),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }
    assert!(matches!(
        v.upload_archive("/nonexistent/file", None),
        Err(Error::Io { .. })
    ));
    assert!(v.list_all_multipart_uploads().unwrap().is_empty());
}

#[test]
fn part_size_rules() {
    let emu = emulator();
    let v = Vault::create(&client(&emu), "parts").unwrap();
    let f = file(3 * MIB, 1);
    // Not a multiple of 1 MiB.
    let c = client_with(&emu, |o| o.part_size = MIB + 1);
    let odd = Vault::get_by_id(&c, v.id()).unwrap();
    assert!(matches!(
        odd.upload_archive(f.path(), None),
        Err(Error::InvalidArgument(_))
    ));
    // The SDK rule (part_size 0) needs at least 64 MiB for multipart.
    let c = client_with(&emu, |o| o.part_size = 0);
    let sdk = Vault::get_by_id(&c, v.id()).unwrap();
    match sdk.upload_archive(f.path(), None) {
        Err(Error::InvalidArgument(m)) => assert!(m.contains("part_size"), "{m}"),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    // An explicit 2 MiB part size: two parts, the last one short.
    let c = client_with(&emu, |o| o.part_size = 2 * MIB);
    let two = Vault::get_by_id(&c, v.id()).unwrap();
    let u = two.initiate_uploader(f.path(), Some("two")).unwrap();
    assert_eq!(u.part_size(), 2 * MIB);
    assert_eq!(u.size_total(), 3 * MIB);
    assert_eq!(u.description(), "two");
    assert!(!u.creation_date().is_empty());
    let id = u.start().unwrap();
    assert_eq!(u.size_completed(), 3 * MIB);
    assert_archive(&two, &id, f.path());
}

#[test]
fn uploaders_list_recover_and_cancel() {
    let emu = emulator();
    let c = client(&emu);
    let v = Vault::create(&c, "uploaders").unwrap();
    let f = file(3 * MIB + 5, 2);
    let a = v.initiate_uploader(f.path(), Some("a")).unwrap();
    let b = v.initiate_uploader(f.path(), Some("b")).unwrap();
    let mut listed: Vec<(String, String, u64)> = v
        .list_all_multipart_uploads()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u.id().to_string(),
                u.description().to_string(),
                u.part_size(),
            )
        })
        .collect();
    listed.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        listed,
        [
            (a.id().to_string(), "a".to_string(), MIB),
            (b.id().to_string(), "b".to_string(), MIB)
        ]
    );

    // A recovered uploader has no file: start() refuses, resume(path) works.
    let r = v.recover_uploader(a.id()).unwrap();
    assert_eq!(r.id(), a.id());
    assert_eq!(r.creation_date(), a.creation_date());
    assert!(matches!(r.start(), Err(Error::InvalidState(_))));
    let id = r.resume(f.path()).unwrap();
    assert_eq!(r.size_total(), 3 * MIB + 5);
    assert_eq!(r.size_completed(), 3 * MIB + 5);
    assert_archive(&v, &id, f.path());

    b.cancel().unwrap();
    assert!(v.list_all_multipart_uploads().unwrap().is_empty());
    assert!(v.recover_uploader(b.id()).is_err());
}

#[test]
fn stream_upload_from_a_pipe() {
    let emu = emulator();
    let c = client(&emu);
    let v = Vault::create(&c, "stream").unwrap();
    let f = file(4 * MIB + 77, 3);
    let mut cat = std::process::Command::new("cat")
        .arg(f.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = cat.stdout.take().unwrap();
    let parts = count(&emu, "UploadPart");
    let id = v
        .upload_reader(pipe, Some("piped"), &Default::default())
        .unwrap();
    cat.wait().unwrap();
    assert_eq!(count(&emu, "UploadPart"), parts + 5);
    assert_archive(&v, &id, f.path());

    // A stream of exactly one part, and of a single byte.
    for size in [MIB, 1] {
        let data = data(size, 9);
        let id = v
            .upload_reader(&data[..], None, &Default::default())
            .unwrap();
        let meta = c.archive_meta(v.id(), &id).unwrap();
        assert_eq!(meta.archive_size_in_bytes, size as i64);
        assert_eq!(meta.archive_tree_etag, oas::digest::tree_etag(&data));
    }
}

#[test]
fn job_methods() {
    let emu = emulator();
    let c = client(&emu);
    let v = Vault::create(&c, "jobs").unwrap();
    let f = file(3 * MIB, 4);
    let archive = v.upload_archive(f.path(), None).unwrap();

    let whole = v.retrieve_archive(&archive, Some("whole"), None).unwrap();
    assert_eq!(whole.info().action, "ArchiveRetrieval");
    assert_eq!(whole.info().archive_id, archive);
    assert_eq!(whole.info().job_description, "whole");
    let part = v
        .retrieve_archive(
            &archive,
            None,
            oas::ranges::ByteRange::new(MIB, 2 * MIB - 1),
        )
        .unwrap();
    assert_eq!(
        part.info().retrieval_byte_range,
        format!("{}-{}", MIB, 2 * MIB - 1)
    );
    assert!(matches!(
        v.retrieve_archive(&archive, None, oas::ranges::ByteRange::new(5, 9)),
        Err(Error::InvalidArgument(_))
    ));
    let inv = v.retrieve_inventory(Some("inv")).unwrap();
    assert_eq!(inv.info().action, "InventoryRetrieval");
    let push = v
        .push_to_oss(&archive, "oss-local-internal", "bucket", "obj", None)
        .unwrap();
    assert_eq!(push.info().action, "PushToOSS");
    let pull = v
        .pull_from_oss("oss-local-internal", "bucket", "obj", Some("pull"))
        .unwrap();
    assert_eq!(pull.info().action, "PullFromOSS");

    let got = v.get_job(whole.info().job_id.as_str()).unwrap();
    assert_eq!(got.info().job_id, whole.info().job_id);
    let mut ids: Vec<String> = v
        .list_all_jobs()
        .unwrap()
        .iter()
        .map(|j| j.info().job_id.clone())
        .collect();
    ids.sort();
    let mut want: Vec<String> = [&whole, &part, &inv, &push, &pull]
        .iter()
        .map(|j| j.info().job_id.clone())
        .collect();
    want.sort();
    assert_eq!(ids, want);
}

const RSS_CHILD_ENV: &str = "OAS_TEST_RSS_CHILD";

/// Peak resident memory of this process in bytes (`VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn peak_memory_does_not_follow_the_part_size() {
    if let Ok(spec) = std::env::var(RSS_CHILD_ENV) {
        // Child: default options (64 MiB threshold and parts, 16 workers).
        let (base, rest) = spec.split_once('|').unwrap();
        let (vault_id, path) = rest.split_once('|').unwrap();
        let o = oas::ClientOptions::new(
            base,
            oas_emulator::DEFAULT_ACCESS_ID,
            oas_emulator::DEFAULT_ACCESS_KEY,
        );
        let c = oas::Client::new(o).unwrap();
        let v = Vault::get_by_id(&c, vault_id).unwrap();
        let id = v.upload_archive(path, None).unwrap();
        println!("ARCHIVE={id} PEAK={}", peak_rss());
        std::process::exit(0);
    }
    let emu = emulator();
    let c = client(&emu);
    let v = Vault::create(&c, "memory").unwrap();
    // Sparse: three parts of the SDK's 64 MiB size without writing 160 MiB.
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().set_len(160 * MIB).unwrap();
    std::os::unix::fs::FileExt::write_all_at(f.as_file(), b"not only zeros", 100 * MIB).unwrap();
    let parts = count(&emu, "UploadPart");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "peak_memory_does_not_follow_the_part_size",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            RSS_CHILD_ENV,
            format!("{}|{}|{}", emu.base_url(), v.id(), f.path().display()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}");
    let line = stdout.split("ARCHIVE=").nth(1).expect("child report");
    let (id, peak) = line.trim().split_once(" PEAK=").unwrap();
    let peak: u64 = peak.split_whitespace().next().unwrap().parse().unwrap();
    assert_eq!(count(&emu, "UploadPart") - parts, 3, "64 MiB parts");
    assert_archive(&v, id, f.path());
    assert!(peak < 64 * MIB, "peak RSS {} MiB", peak / MIB);
    eprintln!("peak RSS of a 160 MiB upload: {} MiB", peak / MIB);
}
