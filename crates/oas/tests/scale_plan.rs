//! Transfers planned at the protocol's limits (10 000 parts, 10 000 ranges,
//! 40 000 GiB), without moving terabytes:
//!
//! * the part-size rule over the whole range of archive sizes: doubling
//!   exactly where 64 MiB parts would exceed 10 000, never more than 10 000
//!   parts, a plan of exactly 10 000 parts at 1.25 TiB and at 40 000 GiB;
//! * a real multipart upload from a sparse 625 GiB + 1 byte file: the SDK
//!   initiates it with 128 MiB parts (the doubling rule), sends the first
//!   part (128 MiB of zeros, checked by the emulator) and is stopped; the
//!   server lists that part; the upload is aborted;
//! * a real download planned at the 10 000-range limit: the emulator holds a
//!   sparse archive of zeros (test-only seeding, no disk used), and the SDK's
//!   journal records the plan: 1 MiB ranges asked for a 20 000 MiB output
//!   grow to 2 MiB (exactly 10 000 ranges), and the default 32 MiB plan
//!   gives exactly 10 000 ranges for 312.5 GiB and grows to 64 MiB one range
//!   later. The first range is fetched and verified before the stop.
//!
//! `bench/scale.sh` runs a full 10 000-part upload and 10 000-range download.

mod common;
use oas as sdk;

use common::MIB;
use oas::download::Journal;
use oas::ranges::{calc_num_part, calc_part_size, MAX_ARCHIVE_SIZE, MAX_PARTS};
use oas::{CancelToken, DownloadOptions, Error, Job, UploadOptions, Vault, WaitOptions};
use std::sync::Arc;
use std::time::Duration;

const GIB: u64 = 1 << 30;

#[test]
fn part_size_rule_at_the_limits() {
    // Doubling starts one byte past 10 000 parts of 64 MiB.
    assert_eq!(calc_part_size(10_000 * 64 * MIB, 0).unwrap(), 64 * MIB);
    assert_eq!(calc_part_size(10_000 * 64 * MIB + 1, 0).unwrap(), 128 * MIB);
    // Exactly 10 000 parts at every power of two up to 4 GiB.
    for shift in 6..=12 {
        let part = (1u64 << shift) * MIB;
        let total = MAX_PARTS * part;
        assert_eq!(calc_part_size(total, 0).unwrap(), part, "{total}");
        assert_eq!(calc_num_part(part, total).unwrap(), MAX_PARTS);
    }
    assert_eq!(calc_part_size(MAX_ARCHIVE_SIZE, 0).unwrap(), 4 * GIB);
    assert_eq!(calc_num_part(4 * GIB, MAX_ARCHIVE_SIZE).unwrap(), MAX_PARTS);
    assert!(calc_part_size(MAX_ARCHIVE_SIZE + 1, 0).is_err());
    // Never more than 10 000 parts, over sizes spread across the range.
    let mut total = 64 * MIB;
    while total <= MAX_ARCHIVE_SIZE {
        let p = calc_part_size(total, 0).unwrap();
        assert!(calc_num_part(p, total).unwrap() <= MAX_PARTS, "{total}");
        assert!(
            p == 64 * MIB || calc_num_part(p / 2, total).unwrap() > MAX_PARTS,
            "{total}"
        );
        total = total * 5 / 4 + 12_345;
    }
}

fn seed(emu: &oas_emulator::Emulator, body: serde_json::Value) -> serde_json::Value {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/_emulator/seed", emu.base_url()))
        .body(body.to_string())
        .send()
        .unwrap();
    assert!(r.status().is_success(), "seed: {}", r.status());
    serde_json::from_str(&r.text().unwrap()).unwrap()
}

#[test]
fn sparse_625_gib_upload_uses_doubled_parts() {
    let emu = common::emulator();
    let client = common::client_with(&emu, |o| {
        o.part_size = 0; // the SDK's rule
        o.upload_threshold = 64 * MIB;
        o.workers = 1;
    });
    let vault = Vault::create(&client, "plan-upload").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sparse");
    let size = 10_000 * 64 * MIB + 1;
    std::fs::File::create(&src).unwrap().set_len(size).unwrap();
    let up = vault.initiate_uploader(&src, Some("sparse")).unwrap();
    assert_eq!(up.part_size(), 128 * MIB, "the doubling rule");
    assert_eq!(calc_num_part(up.part_size(), size).unwrap(), 5_001);
    // Returning false from the progress callback stops the upload.
    let mut opts = UploadOptions::default();
    opts.progress = Some(Arc::new(|done, _| done < 128 * MIB));
    let err = up
        .start_with(&opts)
        .expect_err("stopped after the first part");
    assert!(matches!(err, Error::Cancelled(_)), "{err:?}");
    let parts = client.list_parts(vault.id(), up.id()).unwrap().parts;
    assert!(!parts.is_empty(), "the server holds the first part");
    let first = format!("0-{}", 128 * MIB - 1);
    assert!(
        parts.iter().any(|p| p.range_in_bytes == first),
        "{:?}",
        parts.iter().map(|p| &p.range_in_bytes).collect::<Vec<_>>()
    );
    up.cancel().unwrap();
    eprintln!(
        "sparse upload: {size} bytes, part size {} MiB, {} parts planned, {} sent before the stop",
        up.part_size() / MIB,
        calc_num_part(up.part_size(), size).unwrap(),
        parts.len()
    );
}

/// Starts a download of `archive`, stops it once more than `first` bytes
/// (its first range) arrived and returns the journal it left.
fn planned(
    client: &oas::Client,
    vault: &str,
    archive: &str,
    range: Option<u64>,
    first: u64,
) -> Journal {
    let mut job = Job::retrieve_archive_reuse(client, vault, archive, None, None).unwrap();
    job.wait(&{
        let mut o = WaitOptions::default();
        o.first_interval = Duration::from_millis(10);
        o.max_interval = Duration::from_millis(100);
        o.timeout = Some(Duration::from_secs(30));
        o
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stop = CancelToken::new();
    let s2 = stop.clone();
    let mut opts = DownloadOptions::default();
    opts.progress = Some(Arc::new(move |done, _| {
        if done > first {
            s2.cancel();
        }
        true
    }));
    opts.cancel = Some(stop);
    opts.range_size = range;
    opts.workers = Some(1);
    let err = job
        .download_to_file_with(&out, 0, false, &opts)
        .expect_err("stopped");
    assert!(matches!(err, Error::Cancelled(_)), "{err:?}");
    Journal::load(&Journal::path_for(&out))
        .unwrap()
        .expect("journal")
}

#[test]
fn download_plans_at_the_10000_range_limit() {
    let emu = common::emulator();
    let client = common::client_with(&emu, |o| o.download_range_size = 0);
    let vault = Vault::create(&client, "plan-download").unwrap();
    let cases = [
        // (output size, requested range size, expected range size)
        (20_000 * MIB, Some(MIB), 2 * MIB),
        (10_000 * 32 * MIB, None, 32 * MIB),
        (10_000 * 32 * MIB + 1, None, 64 * MIB),
    ];
    for (size, requested, expected) in cases {
        let r = seed(
            &emu,
            serde_json::json!({"vault": vault.id(), "zero_archive": size}),
        );
        let archive = r["zero_archive"].as_str().unwrap().to_string();
        let j = planned(&client, vault.id(), &archive, requested, expected);
        assert_eq!(j.output_size, size);
        assert_eq!(
            j.range_size, expected,
            "size {size}, requested {requested:?}"
        );
        let ranges = size.div_ceil(j.range_size);
        assert!(ranges <= MAX_PARTS);
        if expected != 64 * MIB {
            assert_eq!(ranges, MAX_PARTS, "exactly at the limit");
        }
        assert!(
            !j.done.is_empty(),
            "the first range was fetched and verified"
        );
        eprintln!(
            "download plan: {size} bytes, requested {requested:?} -> {} MiB ranges, {ranges} ranges",
            j.range_size / MIB
        );
    }
}
