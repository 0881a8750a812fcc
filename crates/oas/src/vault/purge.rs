//! Emptying and deleting a vault ([`crate::Vault::purge`]).
//!
//! OAS deletes archives one request at a time and knows a vault's archives only
//! through its inventory, so a purge is: abort the in-progress multipart
//! uploads; take the newest inventory (reuse a recent succeeded inventory job,
//! wait for one that is running, or start one and wait as a job does);
//! download it (resumable: a journaled download into the work directory); delete
//! every archive it lists with parallel workers (each delete retried by the
//! client's retry policy; an archive that is already gone counts as such); then
//! delete the vault.
//!
//! The real service deletes a vault only when an inventory made *after* the
//! last write shows it empty (`VaultNotEmpty` otherwise), and inventories are
//! made about once a day: the first purge usually ends with the archives
//! deleted and the vault still there ([`PurgeReport::vault_deleted`] false,
//! the reason in [`PurgeReport::vault_delete_error`]). Running the purge again
//! later picks up where it stopped: it reuses the inventory job while it is
//! recent, counts the archives already deleted as gone, and retries the vault
//! delete.

use super::Vault;
use crate::engine::pool::run_parallel;
use crate::engine::sync::into_inner;
use crate::engine::sync::lock;
use crate::engine::CancelToken;
use crate::error::{Error, Result};
use crate::jobs::inventory::Inventory;
use crate::jobs::{Job, WaitOptions, ACTION_INVENTORY_RETRIEVAL};
use crate::{oas_info, oas_warn};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Inventory entries handed to the worker pool at a time: the list is
/// streamed from the file, never held whole.
const DELETE_BATCH: usize = 4096;

/// What deleting one listed archive came to.
enum Deleted {
    Now,
    AlreadyGone,
    Failed(String),
}

const LOG_TARGET: &str = "oas::purge";

/// How many failed deletes a report keeps with their messages.
pub const MAX_REPORTED_FAILURES: usize = 100;

/// Progress of the archive deletes: `(archives handled, archives listed)`;
/// returning `false` stops the purge with [`Error::Cancelled`].
pub type PurgeProgressFn = Arc<dyn Fn(u64, u64) -> bool + Send + Sync>;

/// Settings of [`crate::Vault::purge_with`].
#[derive(Clone)]
#[non_exhaustive]
pub struct PurgeOptions {
    /// Parallel deletes; 0 = the client's `workers`.
    pub workers: usize,
    /// A succeeded inventory job completed at most this long ago is reused
    /// (default 24 h, how long the service keeps job output).
    pub max_inventory_age: Duration,
    /// How to wait for the inventory job (default: [`WaitOptions::default`]).
    pub wait: WaitOptions,
    /// Where the inventory is downloaded (default: the system temp directory);
    /// the file and its journal are removed when the purge finishes.
    pub work_dir: Option<PathBuf>,
    /// Delete the vault once its archives are deleted (default true).
    pub delete_vault: bool,
    /// Called after each archive.
    pub progress: Option<PurgeProgressFn>,
    /// Stops the purge between deletes with [`Error::Cancelled`].
    pub cancel: Option<CancelToken>,
}

impl Default for PurgeOptions {
    fn default() -> Self {
        PurgeOptions {
            workers: 0,
            max_inventory_age: Duration::from_secs(24 * 3600),
            wait: WaitOptions::default(),
            work_dir: None,
            delete_vault: true,
            progress: None,
            cancel: None,
        }
    }
}

impl std::fmt::Debug for PurgeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PurgeOptions")
            .field("workers", &self.workers)
            .field("max_inventory_age", &self.max_inventory_age)
            .field("wait", &self.wait)
            .field("work_dir", &self.work_dir)
            .field("delete_vault", &self.delete_vault)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PurgeReport {
    /// In-progress multipart uploads aborted.
    pub uploads_aborted: u64,
    /// The inventory job used.
    pub inventory_job_id: String,
    /// Its `InventoryDate`.
    pub inventory_date: String,
    /// Archives the inventory lists.
    pub archives_listed: u64,
    /// Archives deleted by this run.
    pub archives_deleted: u64,
    /// Archives that were already gone (deleted before, e.g. by an earlier run).
    pub archives_already_gone: u64,
    /// Archives whose delete failed after the retries.
    pub archives_failed: u64,
    /// Up to [`MAX_REPORTED_FAILURES`] failed deletes: `(archive id, message)`.
    pub failures: Vec<(String, String)>,
    /// True when the vault itself was deleted.
    pub vault_deleted: bool,
    /// Why the vault was not deleted (e.g. the service's `VaultNotEmpty` until a
    /// newer inventory shows it empty); `None` when it was, or when
    /// `delete_vault` was off.
    pub vault_delete_error: Option<String>,
}

fn not_found(e: &Error) -> bool {
    e.server().is_some_and(|s| s.status == 404)
}

/// The purge itself; see the module documentation.
pub fn purge(vault: &Vault, options: &PurgeOptions) -> Result<PurgeReport> {
    let mut report = PurgeReport::default();
    let cancelled = || options.cancel.as_ref().is_some_and(|c| c.is_cancelled());
    let stop = || Error::Cancelled(format!("purge of vault {}", vault.name()));

    for uploader in vault.list_all_multipart_uploads()? {
        match uploader.cancel() {
            Ok(()) => report.uploads_aborted += 1,
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(e),
        }
    }

    let mut job = inventory_job(vault, options)?;
    if cancelled() {
        return Err(stop());
    }
    let wait = WaitOptions {
        cancel: options.cancel.clone().or(options.wait.cancel.clone()),
        ..options.wait.clone()
    };
    job.wait(&wait)?;
    job.outcome()?;
    report.inventory_job_id = job.id().to_string();

    let dir = options.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("oas-purge-{}-{}.json", vault.id(), job.id()));
    job.download_to_file(&path, 0, true)?;
    let result = delete_listed(vault, options, &path, &mut report);
    let _ = std::fs::remove_file(&path);
    result?;

    if options.delete_vault && report.archives_failed == 0 {
        match vault.delete() {
            Ok(()) => report.vault_deleted = true,
            Err(e) => {
                oas_warn!(
                    LOG_TARGET,
                    "vault {} emptied but not deleted: {e}",
                    vault.name()
                );
                report.vault_delete_error = Some(e.to_string());
            }
        }
    } else if options.delete_vault {
        report.vault_delete_error = Some(format!(
            "{} archive deletes failed; the vault was not deleted",
            report.archives_failed
        ));
    }
    oas_info!(
        LOG_TARGET,
        "purge of vault {}: {} uploads aborted, {} archives listed, {} deleted, {} already gone, {} failed, vault deleted: {}",
        vault.name(),
        report.uploads_aborted,
        report.archives_listed,
        report.archives_deleted,
        report.archives_already_gone,
        report.archives_failed,
        report.vault_deleted
    );
    Ok(report)
}

/// A recent succeeded inventory job, else the newest running one, else a new one.
fn inventory_job(vault: &Vault, options: &PurgeOptions) -> Result<Job> {
    let now = SystemTime::now();
    let date = |d: Option<&str>| d.and_then(|d| httpdate::parse_http_date(d).ok());
    let mut done: Option<(SystemTime, Job)> = None;
    let mut running: Option<(SystemTime, Job)> = None;
    for job in vault.list_all_jobs()? {
        if job.action() != ACTION_INVENTORY_RETRIEVAL {
            continue;
        }
        if job.succeeded() {
            let Some(at) = date(job.completion_date()) else {
                continue;
            };
            let age = now.duration_since(at).unwrap_or(Duration::ZERO);
            if age <= options.max_inventory_age && done.as_ref().map_or(true, |(t, _)| at > *t) {
                done = Some((at, job));
            }
        } else if !job.completed() {
            let at = date(job.creation_date()).unwrap_or(SystemTime::UNIX_EPOCH);
            if running.as_ref().map_or(true, |(t, _)| at > *t) {
                running = Some((at, job));
            }
        }
    }
    if let Some((_, job)) = done.or(running) {
        oas_info!(
            LOG_TARGET,
            "purge of vault {}: using inventory job {}",
            vault.name(),
            job.id()
        );
        return Ok(job);
    }
    oas_info!(
        LOG_TARGET,
        "purge of vault {}: no recent inventory, starting an inventory job",
        vault.name()
    );
    vault.retrieve_inventory(Some("liboas purge"))
}

fn delete_listed(
    vault: &Vault,
    options: &PurgeOptions,
    path: &std::path::Path,
    report: &mut PurgeReport,
) -> Result<()> {
    let inventory = Inventory::open(path)?;
    report.inventory_date = inventory.inventory_date().to_string();
    // A first pass counts the entries (the list is streamed, never held), so
    // progress has a total.
    let mut listed = 0u64;
    for entry in inventory.archives()? {
        entry?;
        listed += 1;
    }
    report.archives_listed = listed;

    let workers = match options.workers {
        0 => vault.client().options().workers,
        n => n,
    };
    let handled = AtomicU64::new(0);
    let failures = Mutex::new(Vec::new());
    let stop = CancelToken::new();
    let mut entries = inventory.archives()?;
    let mut batch = Vec::with_capacity(DELETE_BATCH);
    loop {
        batch.clear();
        for entry in entries.by_ref().take(DELETE_BATCH) {
            batch.push(entry?.archive_id);
        }
        if batch.is_empty() {
            break;
        }
        if options.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            stop.cancel();
        }
        let outcomes = run_parallel(&batch, workers, &stop, "purge", |id: &String| {
            let outcome = match vault.client().delete_archive(vault.id(), id) {
                Ok(()) => Deleted::Now,
                Err(e) if not_found(&e) => Deleted::AlreadyGone,
                Err(e) => Deleted::Failed(e.to_string()),
            };
            if let Deleted::Failed(why) = &outcome {
                let mut f = lock(&failures);
                if f.len() < MAX_REPORTED_FAILURES {
                    f.push((id.clone(), why.clone()));
                }
            }
            let n = handled.fetch_add(1, Ordering::Relaxed) + 1;
            let go_on = options.progress.as_ref().map_or(true, |p| p(n, listed))
                && !options.cancel.as_ref().is_some_and(|c| c.is_cancelled());
            if !go_on {
                stop.cancel();
            }
            Ok(outcome)
        });
        let outcomes = match outcomes {
            Ok(o) => o,
            Err(Error::Cancelled(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        for o in outcomes {
            match o {
                Deleted::Now => report.archives_deleted += 1,
                Deleted::AlreadyGone => report.archives_already_gone += 1,
                Deleted::Failed(_) => report.archives_failed += 1,
            }
        }
        // A stop (progress said so, or the cancel token) ends the purge even
        // when the batch had no archive left: its report is not returned, and
        // a rerun counts what this run deleted as already gone.
        if stop.is_cancelled() {
            return Err(Error::Cancelled(format!(
                "purge of vault {} after {} of {listed} archives",
                vault.name(),
                handled.load(Ordering::Relaxed)
            )));
        }
    }
    report.failures = into_inner(failures);
    Ok(())
}
