//! `Vault::purge`: uploads aborted, every listed archive deleted in parallel,
//! the vault deleted; a stopped run, failed deletes and a refused vault delete
//! (the real service's `VaultNotEmpty`) are picked up by a rerun, which reuses
//! the inventory job.

mod common;
use oas as sdk;

use common::{count, emulator, file, set_faults, MIB};
use oas::purge::{PurgeOptions, PurgeReport};
use oas::{Client, Error, Vault};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn vault_with_archives(client: &Client, name: &str, n: u8) -> Vault {
    let vault = Vault::create(client, name).unwrap();
    for i in 0..n {
        let f = file(1000 + u64::from(i), i);
        vault.upload_archive(f.path(), None).unwrap();
    }
    vault
}

fn options() -> PurgeOptions {
    let mut o = PurgeOptions::default();
    o.workers = 4;
    o.wait.first_interval = std::time::Duration::from_millis(50);
    o
}

#[test]
fn purge_empties_and_deletes_the_vault() {
    let emu = emulator();
    let client = common::client(&emu);
    let vault = vault_with_archives(&client, "purge-all", 30);
    // An upload in progress is aborted.
    let big = file(3 * MIB, 1);
    let uploader = vault.initiate_uploader(big.path(), None).unwrap();
    assert_eq!(vault.list_all_multipart_uploads().unwrap().len(), 1);

    let seen = Arc::new(AtomicU64::new(0));
    let last_total = Arc::new(AtomicU64::new(0));
    let mut o = options();
    let (s, t) = (seen.clone(), last_total.clone());
    o.progress = Some(Arc::new(move |done, total| {
        s.fetch_max(done, Ordering::Relaxed);
        t.store(total, Ordering::Relaxed);
        true
    }));
    let report = vault.purge_with(&o).unwrap();
    assert_eq!(report.uploads_aborted, 1);
    assert_eq!(report.archives_listed, 30);
    assert_eq!(report.archives_deleted, 30);
    assert_eq!(report.archives_already_gone, 0);
    assert_eq!(report.archives_failed, 0);
    assert!(report.vault_deleted, "{report:?}");
    assert_eq!(report.vault_delete_error, None);
    assert!(!report.inventory_job_id.is_empty());
    assert_eq!(seen.load(Ordering::Relaxed), 30);
    assert_eq!(last_total.load(Ordering::Relaxed), 30);
    assert_eq!(count(&emu, "DeleteArchive"), 30);
    assert!(Vault::get_by_name(&client, "purge-all").is_err());
    drop(uploader);
    // The inventory download left nothing behind.
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains(&report.inventory_job_id)
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_rerun_picks_up_where_a_run_stopped() {
    let emu = emulator();
    let client = common::client(&emu);
    let vault = vault_with_archives(&client, "purge-rerun", 12);

    // Stopped from the progress callback after 4 archives.
    let mut o = options();
    o.workers = 1;
    o.progress = Some(Arc::new(|done, _| done < 4));
    let err = vault.purge_with(&o).unwrap_err();
    assert!(matches!(err, Error::Cancelled(_)), "{err}");
    assert_eq!(count(&emu, "DeleteArchive"), 4);

    // Two deletes fail (a non-retried 403), and the first vault delete is
    // refused as the real service does until a newer inventory shows it empty.
    set_faults(
        &emu,
        json!([
            {"op": "DeleteArchive", "times": 2, "action": "error", "status": 403,
             "code": "AccessDenied"},
        ]),
    );
    // (The faults hit the first two deletes, of archives gone or not.)
    let report = vault.purge_with(&options()).unwrap();
    let second_deleted = report.archives_deleted;
    assert_eq!(report.archives_listed, 12);
    assert_eq!(report.archives_failed, 2);
    assert_eq!(
        report.archives_deleted + report.archives_already_gone + 2,
        12,
        "{report:?}"
    );
    assert!(report.archives_already_gone <= 4, "{report:?}");
    assert_eq!(report.failures.len(), 2);
    assert!(report.failures[0].1.contains("AccessDenied"), "{report:?}");
    assert!(!report.vault_deleted);
    assert!(report
        .vault_delete_error
        .as_deref()
        .unwrap()
        .contains("2 archive deletes failed"));

    set_faults(
        &emu,
        json!([
            {"op": "DeleteVault", "times": 1, "action": "error", "status": 409,
             "code": "VaultNotEmpty"},
        ]),
    );
    let report: PurgeReport = vault.purge_with(&options()).unwrap();
    assert_eq!(report.archives_failed, 0);
    assert_eq!(report.archives_deleted + report.archives_already_gone, 12);
    // Every archive deleted exactly once over the runs.
    assert_eq!(
        4 + second_deleted + report.archives_deleted,
        12,
        "{report:?}"
    );
    assert!(!report.vault_deleted);
    assert!(
        report
            .vault_delete_error
            .as_deref()
            .unwrap()
            .contains("VaultNotEmpty"),
        "{report:?}"
    );

    // Last run: nothing left to delete, the vault goes.
    let report = vault.purge().unwrap();
    assert_eq!(report.archives_deleted, 0);
    assert_eq!(report.archives_already_gone, 12);
    assert!(report.vault_deleted, "{report:?}");

    // Every run reused the one inventory job.
    assert_eq!(count(&emu, "InitiateJob"), 1);
}
