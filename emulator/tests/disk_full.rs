//! The emulator's data directory fills up (a size-limited tmpfs the test
//! mounts): an upload that does not fit is answered with a 5xx (never a
//! broken connection), nothing half-written remains (no row, no blob, an
//! empty `tmp/`), and the emulator keeps serving what it holds and takes new
//! uploads once there is room. Needs `mount` (the tests run as root); where
//! mounting is refused the test prints why and returns.

mod common;
use common::*;
use serde_json::json;
use std::path::Path;
use std::process::Command;

struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs(dir)),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs: {}",
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
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn full_data_directory_is_a_5xx_and_leaves_nothing_behind() {
    let Some(fs) = Tmpfs::mount("16m") else {
        return;
    };
    let data_dir = fs.0.path().join("data");
    let (emu, c) = start(Config {
        data_dir: Some(data_dir.clone()),
        ..Default::default()
    });
    let v = c.create_vault("full");
    let kept = pattern(3 * MIB + 1);
    let a = c.upload_ok(&v, &kept, "kept");
    let j = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a}));
    let blobs = count(&data_dir.join("blobs"));

    // A single upload larger than the room left.
    let big = pattern(20 * MIB);
    let r = c
        .try_send(
            "POST",
            &format!("/vaults/{v}/archives"),
            &{
                let d = oas::digest::compute(&big);
                [
                    ("x-oas-content-etag", d.etag),
                    ("x-oas-tree-etag", d.tree_etag),
                ]
            },
            big.clone(),
        )
        .expect("an answer, not a broken connection");
    assert!(r.status >= 500, "status {}", r.status);
    r.expect_error(r.status, "InternalError");
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("No space left on device"), "{msg}");
    eprintln!("full data directory: {} {msg}", r.status);

    // A multipart part that does not fit: the upload keeps its earlier parts.
    let r = c.send(
        "POST",
        &format!("/vaults/{v}/multipart-uploads"),
        &[("x-oas-part-size", (16 * MIB).to_string())],
        Vec::new(),
    );
    let u = r.header("x-oas-multipart-upload-id").unwrap();
    let part = pattern(16 * MIB);
    let d = oas::digest::compute(&part);
    let r = c
        .try_send(
            "PUT",
            &format!("/vaults/{v}/multipart-uploads/{u}"),
            &[
                ("content-range", format!("0-{}", 16 * MIB - 1)),
                ("x-oas-content-etag", d.etag),
                ("x-oas-tree-etag", d.tree_etag),
            ],
            part,
        )
        .expect("an answer, not a broken connection");
    assert!(r.status >= 500, "status {}", r.status);

    // Nothing half-written: no new blob, an empty tmp/, no new archive.
    assert_eq!(count(&data_dir.join("tmp")), 0, "tmp/ is empty");
    assert_eq!(count(&data_dir.join("blobs")), blobs, "no new blob");
    let vault = c.get(&format!("/vaults/{v}")).json();
    assert_eq!(vault["NumberOfArchives"], 1);
    let parts = c.get(&format!("/vaults/{v}/multipart-uploads/{u}")).json();
    assert_eq!(parts["Parts"].as_array().unwrap().len(), 0);

    // What it holds is still served, and it takes what fits.
    let m = c.get(&format!("/vaults/{v}/archives/{a}/meta")).json();
    assert_eq!(m["ArchiveSizeInBytes"], kept.len());
    assert_eq!(c.get(&format!("/vaults/{v}/jobs/{j}/output")).body, kept);
    let small = pattern(MIB + 5);
    let b = c.upload_ok(&v, &small, "fits");
    let j2 = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": b}));
    assert_eq!(c.get(&format!("/vaults/{v}/jobs/{j2}/output")).body, small);
    emu.stop();
}
