//! Round trips through the emulator: upload, retrieve, download, compare.

mod download_common;
use oas as sdk;

use download_common::*;
use oas::ranges::ByteRange;
use oas::{DownloadOptions, Error, Inventory, Job, Target};
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::AsFd;

fn round_trip(env: &Env, len: u64, range_size: Option<u64>, seed: u64) {
    let bytes = data(len, seed);
    let archive = env.upload(&bytes);
    let mut job = env.retrieve(&archive, None);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    let (progress, seen) = recorder();
    let mut opts = DownloadOptions::default();
    opts.range_size = range_size;
    opts.progress = Some(progress);
    let before = env.count("GetJobOutput");
    job.download_to_file_with(&out, 0, true, &opts).unwrap();
    assert!(job.succeeded());
    assert_eq!(job.archive_size(), Some(len));
    assert_eq!(read(&out), bytes, "size {len}");
    assert!(
        !oas::download::Journal::path_for(&out).exists(),
        "journal removed"
    );
    let ranges = len.div_ceil(range_size.unwrap_or(32 * MIB));
    assert_eq!(
        env.count("GetJobOutput") - before,
        ranges,
        "one request per range"
    );
    assert_eq!(*seen.lock().unwrap(), (len, len), "final progress");
    assert_eq!(job.size_completed(), len);
}

#[test]
fn small_sizes_round_trip() {
    let env = start_default();
    round_trip(&env, 1, None, 1);
    round_trip(&env, MIB, None, 2);
    round_trip(&env, MIB + 1, None, 3);
    // Several ranges, power-of-two and not (the latter verified by re-hashing).
    round_trip(&env, 5 * MIB + 7, Some(MIB), 4);
    round_trip(&env, 7 * MIB + 3, Some(2 * MIB), 5);
    round_trip(&env, 7 * MIB + 3, Some(3 * MIB), 6);
}

#[test]
fn large_archive_with_the_default_plan() {
    let env = start_default();
    // 64 MiB + 13: three 32 MiB-plan ranges, the last one 13 bytes.
    round_trip(&env, 64 * MIB + 13, None, 7);
}

#[test]
fn ranged_retrievals_aligned_and_not() {
    let env = start_default();
    let len = 9 * MIB + 100;
    let bytes = data(len, 8);
    let archive = env.upload(&bytes);
    let dir = tempfile::tempdir().unwrap();
    // Aligned (a 4 MiB node), unaligned start-to-end, and the tail.
    for (i, (s, e)) in [
        (4 * MIB, 8 * MIB - 1),
        (MIB, 7 * MIB - 1),
        (8 * MIB, len - 1),
        (3 * MIB, len - 1),
    ]
    .into_iter()
    .enumerate()
    {
        let mut job = env.retrieve(&archive, Some((s, e)));
        job.wait(&fast_wait()).unwrap();
        assert_eq!(job.retrieval_byte_range(), ByteRange::new(s, e));
        let aligned = oas::digest::is_tree_aligned(s, e, len);
        assert_eq!(
            job.tree_etag().is_some(),
            aligned,
            "TreeEtag iff aligned ({s}-{e})"
        );
        let out = dir.path().join(format!("r{i}"));
        let mut opts = DownloadOptions::default();
        opts.range_size = Some(2 * MIB);
        job.download_to_file_with(&out, 64 << 10, true, &opts)
            .unwrap();
        assert_eq!(read(&out), &bytes[s as usize..=e as usize], "range {s}-{e}");
    }
}

#[test]
fn download_by_range_to_path_fd_and_writer() {
    let env = start_default();
    let len = 3 * MIB + 5;
    let bytes = data(len, 9);
    let archive = env.upload(&bytes);
    let mut job = env.retrieve(&archive, None);
    let dir = tempfile::tempdir().unwrap();

    // To a path: the file holds exactly the range.
    let p = dir.path().join("part");
    let r = ByteRange::new(MIB, 2 * MIB - 1).unwrap();
    job.download_by_range(r, Target::Path(&p), 4096, true)
        .unwrap();
    assert_eq!(read(&p), &bytes[MIB as usize..2 * MIB as usize]);

    // To a descriptor, from its current position; the tail range is unaligned in size.
    let fp = dir.path().join("fd");
    let mut f = std::fs::File::create(&fp).unwrap();
    f.write_all(b"HEAD").unwrap();
    let tail = ByteRange::new(2 * MIB, len - 1).unwrap();
    job.download_by_range(tail, Target::Fd(f.as_fd().into()), 0, false)
        .unwrap();
    assert_eq!(f.stream_position().unwrap(), 4 + tail.len());
    f.seek(SeekFrom::Start(0)).unwrap();
    let got = read(&fp);
    assert_eq!(&got[..4], b"HEAD");
    assert_eq!(&got[4..], &bytes[2 * MIB as usize..]);

    // To a pipe (not seekable): spooled, then written.
    let mut fds = [0; 2];
    // SAFETY: pipe fills two descriptors we then own.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (mut rd, wr) = unsafe {
        use std::os::fd::FromRawFd;
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    };
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut rd, &mut v).unwrap();
        v
    });
    let first = ByteRange::new(0, MIB - 1).unwrap();
    job.download_by_range(first, Target::Fd(wr.as_fd().into()), 0, false)
        .unwrap();
    drop(wr);
    assert_eq!(reader.join().unwrap(), &bytes[..MIB as usize]);

    // To a writer.
    let mut v = Vec::new();
    let whole = ByteRange::new(0, len - 1).unwrap();
    job.download_by_range(whole, Target::Writer(&mut v), 1000, false)
        .unwrap();
    assert_eq!(v, bytes);
}

#[test]
fn bad_ranges_are_rejected_before_any_request() {
    let env = start_default();
    let len = 3 * MIB + 5;
    let archive = env.upload(&data(len, 10));
    let mut job = env.retrieve(&archive, None);
    job.wait(&fast_wait()).unwrap();
    let before = env.count("GetJobOutput");
    let mut sink = Vec::new();
    for (s, e, what) in [
        (1, MIB - 1, "multiple of 1 MiB"),
        (0, MIB, "end + 1"),
        (0, len, "past the end"),
        (MIB, 3 * MIB, "end + 1"),
    ] {
        let r = ByteRange::new(s, e).unwrap();
        match job.download_by_range(r, Target::Writer(&mut sink), 0, false) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains(what), "{m}"),
            other => panic!("range {s}-{e}: {other:?}"),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB + 1);
    let err = job
        .download_to_file_with(&dir.path().join("x"), 0, false, &opts)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(env.count("GetJobOutput"), before, "no request was sent");
    assert!(sink.is_empty());
}

#[test]
fn inventory_downloads_and_streams() {
    let env = start_default();
    let sizes = [1u64, MIB + 1, 2 * MIB];
    let ids: Vec<String> = sizes
        .iter()
        .enumerate()
        .map(|(i, s)| env.upload(&data(*s, 20 + i as u64)))
        .collect();
    let mut job = env.inventory_job();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inventory.json");
    job.download_to_file(&out, 0, true).unwrap();
    assert_eq!(
        std::fs::metadata(&out).unwrap().len(),
        job.inventory_size().unwrap()
    );
    let inv = Inventory::open(&out).unwrap();
    assert_eq!(inv.vault_id(), env.vault);
    assert!(!inv.inventory_date().is_empty());
    let listed: Vec<_> = inv.archives().unwrap().map(Result::unwrap).collect();
    assert_eq!(listed.len(), ids.len());
    for (id, size) in ids.iter().zip(sizes) {
        let a = listed.iter().find(|a| &a.archive_id == id).expect("listed");
        assert_eq!(a.size, size);
        assert_eq!(a.archive_description, "test data");
        assert_eq!(a.tree_etag.len(), 32);
    }
}

#[test]
fn retrievals_are_reused() {
    let env = start(oas_emulator::Config {
        job_delay: std::time::Duration::from_secs(1),
        ..Default::default()
    });
    let len = 2 * MIB + 1;
    let bytes = data(len, 30);
    let archive = env.upload(&bytes);
    let whole =
        Job::retrieve_archive_reuse(&env.client, &env.vault, &archive, Some("w"), None).unwrap();
    let r = ByteRange::new(MIB, len - 1).unwrap();
    let part =
        Job::retrieve_archive_reuse(&env.client, &env.vault, &archive, None, Some(r)).unwrap();
    assert_ne!(whole.id(), part.id());
    assert_eq!(env.count("InitiateJob"), 2);
    // Running jobs are found again, for the same range only.
    let again = Job::retrieve_archive_reuse(&env.client, &env.vault, &archive, None, None).unwrap();
    assert_eq!(again.id(), whole.id());
    let again =
        Job::retrieve_archive_reuse(&env.client, &env.vault, &archive, None, Some(r)).unwrap();
    assert_eq!(again.id(), part.id());
    let other = ByteRange::new(0, MIB - 1).unwrap();
    assert!(
        Job::find_reusable(&env.client, &env.vault, &archive, Some(other))
            .unwrap()
            .is_none()
    );
    assert_eq!(env.count("InitiateJob"), 2);
    // And succeeded ones too; the reused job downloads normally.
    let mut w = whole.clone();
    w.wait(&fast_wait()).unwrap();
    let mut again =
        Job::retrieve_archive_reuse(&env.client, &env.vault, &archive, None, None).unwrap();
    assert_eq!(again.id(), whole.id());
    assert!(again.succeeded());
    let dir = tempfile::tempdir().unwrap();
    again
        .download_to_file(&dir.path().join("o"), 0, false)
        .unwrap();
    assert_eq!(read(&dir.path().join("o")), bytes);
    assert_eq!(env.count("InitiateJob"), 2);
}
