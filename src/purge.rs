//! Emptying and deleting a vault from C (the SDK's `Vault::purge_with`, see
//! [`oas_sdk::purge`]): its options struct, its report and `oas_vault_purge`.

use crate::client::{oas_progress_fn, progress_fn};
use crate::options::{self, options_fields, Field, OptionsStruct};
use crate::result::*;
use crate::vault::oas_vault;
use crate::{ffi_call, try_opt_str, try_ref, FfiError, FfiResult};
use oas_sdk::purge::{PurgeOptions, PurgeProgressFn, PurgeReport};
use std::ffi::{c_char, c_int, c_void};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Options of one `oas_vault_purge`, following the options rule of the
/// conventions: fill with `oas_purge_options_init(&o, sizeof o)`, then set
/// what you need. A 0 or NULL field takes the default. Passing NULL instead of
/// the struct means all defaults. Read during the call only.
#[repr(C)]
pub struct oas_purge_options {
    /// `sizeof` the struct as the caller declared it (see `oas_client_options`).
    pub size: u64,
    /// Archives deleted in parallel (1 to 256); 0 = the client's `workers`.
    pub workers: u32,
    /// A succeeded inventory job that completed at most this many seconds ago
    /// is reused instead of retrieving a new inventory; 0 = 86400 (24 h, how
    /// long the service keeps job output).
    pub max_inventory_age_s: u64,
    /// Delay before the second status call of the inventory job, in ms; 0 =
    /// the default schedule (as `oas_job_wait` with 0).
    pub wait_first_interval_ms: u64,
    /// Upper bound of the delay between status calls, in ms; 0 = the default.
    pub wait_max_interval_ms: u64,
    /// Give up waiting for the inventory job with `OAS_RESULT_WAIT_TIMEOUT`
    /// after this many ms; 0 = wait until it finishes (the real service takes
    /// hours).
    pub wait_timeout_ms: u64,
    /// Directory the inventory is downloaded to (and removed from when the
    /// call returns), or NULL for the system temp directory.
    pub work_dir: *const c_char,
    /// Non-zero: delete the archives but keep the vault. 0 (default): delete
    /// the vault too once every delete succeeded.
    pub keep_vault: c_int,
    /// Progress callback (see `oas_progress_fn`), or NULL: `done` archives
    /// handled (deleted, already gone or failed) of `total` listed. Called
    /// after each archive from a worker thread, never two calls at once, with
    /// `done` growing; a non-zero return stops the purge with
    /// `OAS_RESULT_CANCELLED`.
    pub progress: oas_progress_fn,
    /// Passed to `progress` unchanged; never read by the library.
    pub userdata: *mut c_void,
}

// SAFETY: repr(C), `size` first, integers, pointers and an optional function
// pointer only, every field listed.
unsafe impl OptionsStruct for oas_purge_options {
    const NAME: &'static str = "oas_purge_options";
    const MIN_SIZE: usize = std::mem::size_of::<u64>();

    fn defaults() -> Self {
        oas_purge_options {
            size: std::mem::size_of::<oas_purge_options>() as u64,
            workers: 0,
            max_inventory_age_s: 0,
            wait_first_interval_ms: 0,
            wait_max_interval_ms: 0,
            wait_timeout_ms: 0,
            work_dir: std::ptr::null(),
            keep_vault: 0,
            progress: None,
            userdata: std::ptr::null_mut(),
        }
    }

    fn fields() -> Vec<Field> {
        options_fields!(oas_purge_options; size, workers, max_inventory_age_s,
            wait_first_interval_ms, wait_max_interval_ms, wait_timeout_ms, work_dir, keep_vault,
            progress, userdata)
    }
}

/// What `oas_vault_purge` did. The caller owns the struct and declares its
/// size: `oas_purge_report r = {0}; r.size = sizeof r;` (the options rule, for an output:
/// the library writes only the fields inside `r.size`, and zeroes any bytes
/// past the fields it knows).
#[repr(C)]
pub struct oas_purge_report {
    /// `sizeof` the struct as the caller declared it; set by the caller.
    pub size: u64,
    /// In-progress multipart uploads aborted.
    pub uploads_aborted: u64,
    /// Archives the inventory lists.
    pub archives_listed: u64,
    /// Archives this call deleted.
    pub archives_deleted: u64,
    /// Archives that were already gone (deleted before, e.g. by an earlier run).
    pub archives_already_gone: u64,
    /// Archives whose delete failed after the retries (their ids and messages
    /// are logged at WARN); the vault is then kept.
    pub archives_failed: u64,
    /// 1 when the vault itself was deleted, else 0 (`keep_vault`, failed
    /// deletes, or the service refused: the reason is logged at WARN).
    pub vault_deleted: u32,
}

// SAFETY: repr(C), `size` first, integers only, every field listed.
unsafe impl OptionsStruct for oas_purge_report {
    const NAME: &'static str = "oas_purge_report";
    const MIN_SIZE: usize = std::mem::size_of::<u64>();

    fn defaults() -> Self {
        oas_purge_report {
            size: std::mem::size_of::<oas_purge_report>() as u64,
            uploads_aborted: 0,
            archives_listed: 0,
            archives_deleted: 0,
            archives_already_gone: 0,
            archives_failed: 0,
            vault_deleted: 0,
        }
    }

    fn fields() -> Vec<Field> {
        options_fields!(oas_purge_report; size, uploads_aborted, archives_listed, archives_deleted,
            archives_already_gone, archives_failed, vault_deleted)
    }
}

/// Fills the caller's `size` bytes at `opts` with the defaults (every field 0
/// or NULL) and sets `opts->size = size`. Call it as
/// `oas_purge_options_init(&opts, sizeof opts)`. Any thread.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` for a NULL `opts`;
/// `OAS_RESULT_INVALID_ARGUMENT` when `size` is below 8 or above 4096.
#[no_mangle]
pub unsafe extern "C" fn oas_purge_options_init(
    opts: *mut oas_purge_options,
    size: usize,
) -> oas_result {
    // SAFETY: the caller owns `size` writable bytes at `opts` (C contract).
    ffi_call(|| unsafe { options::init(opts, size, "opts") })
}

/// A C progress callback for the purge's workers: calls made one at a time
/// (the workers report concurrently) and only with a growing `done` (the
/// workers' figures may arrive out of order); after a stop it is not called
/// again.
fn purge_progress(f: oas_progress_fn, userdata: *mut c_void) -> Option<PurgeProgressFn> {
    let p = progress_fn(f, userdata)?;
    let last = Mutex::new((0u64, true));
    Some(Arc::new(move |done, total| {
        let mut last = crate::lock(&last);
        if last.1 && done > last.0 {
            *last = (done, p(done, total));
        }
        last.1
    }))
}

/// Reads `opts` (NULL = defaults) into the core's [`PurgeOptions`].
///
/// # Safety
/// `opts` is NULL or holds `opts->size` readable bytes, its `work_dir` NULL
/// or a NUL-terminated string.
// `PurgeOptions` is `#[non_exhaustive]`: a struct literal stops compiling
// once the C boundary is a crate of its own, field assignments do not.
#[allow(clippy::field_reassign_with_default)]
unsafe fn purge_options(opts: *const oas_purge_options) -> FfiResult<PurgeOptions> {
    // SAFETY: as this function's contract.
    let o = unsafe { options::read_opt(opts, "opts")? };
    if o.workers > 256 {
        return Err(FfiError::invalid(format!(
            "`opts->workers` is {}; expected 0 (the client's) or 1 to 256",
            o.workers
        )));
    }
    // SAFETY: NULL or a NUL-terminated string (C contract).
    let work_dir = unsafe { try_opt_str(o.work_dir, "opts->work_dir")? };
    let mut out = PurgeOptions::default();
    out.workers = o.workers as usize;
    if o.max_inventory_age_s != 0 {
        out.max_inventory_age = Duration::from_secs(o.max_inventory_age_s);
    }
    out.wait = crate::job::wait_options(
        o.wait_first_interval_ms,
        o.wait_max_interval_ms,
        o.wait_timeout_ms,
    );
    out.work_dir = work_dir.map(Into::into);
    out.delete_vault = o.keep_vault == 0;
    out.progress = purge_progress(o.progress, o.userdata);
    Ok(out)
}

fn c_report(r: &PurgeReport) -> oas_purge_report {
    oas_purge_report {
        uploads_aborted: r.uploads_aborted,
        archives_listed: r.archives_listed,
        archives_deleted: r.archives_deleted,
        archives_already_gone: r.archives_already_gone,
        archives_failed: r.archives_failed,
        vault_deleted: r.vault_deleted.into(),
        ..oas_purge_report::defaults()
    }
}

/// Empties and deletes the vault: aborts its multipart uploads in progress;
/// takes the newest inventory (reuses a succeeded inventory job younger than
/// `opts->max_inventory_age_s`, else waits for a running one, else starts one
/// and waits as `oas_job_wait` does); downloads it to `opts->work_dir`;
/// deletes every archive it lists with parallel workers (each delete retried
/// by the client's retry policy; one already gone counts as such); then,
/// unless `opts->keep_vault` or a delete failed, deletes the vault. `opts`
/// NULL = defaults. On success the counts go to `*report_out`, which the
/// caller declared with `oas_purge_report r = {0}; r.size = sizeof r;` (the library
/// writes the fields inside `r.size`).
///
/// The real service deletes a vault only once an inventory made after the
/// last write shows it empty (`VaultNotEmpty` otherwise), and makes
/// inventories about once a day: a first purge usually ends with every
/// archive deleted and `vault_deleted` 0. Calling it again later picks up
/// where it stopped: it reuses the recent inventory job, counts the archives
/// already deleted as `archives_already_gone`, and retries the vault delete.
/// The same holds after a stop (`OAS_RESULT_CANCELLED`) or a failure. The
/// handle stays valid and must still be freed; once the vault is deleted its
/// calls give `OAS_RESULT_NOT_FOUND`. Runs on the calling thread, with worker
/// threads for the deletes (where `opts->progress` is called).
///
/// Returns `OAS_RESULT_OK` (check `archives_failed` and `vault_deleted`);
/// `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8` (`opts->work_dir`),
/// `OAS_RESULT_INVALID_ARGUMENT` (bad `opts->size` or `workers`, or
/// `report_out->size` below 8 or above 4096); `OAS_RESULT_CANCELLED` (the
/// callback stopped it), `OAS_RESULT_WAIT_TIMEOUT`, `OAS_RESULT_JOB_FAILED`
/// (the inventory job), `OAS_RESULT_IO` (the work directory),
/// `OAS_RESULT_NOT_FOUND` (no such vault), `OAS_RESULT_HASH_MISMATCH`,
/// `OAS_RESULT_DOWNLOAD_FAILED`, `OAS_RESULT_PROTOCOL` (the inventory),
/// `OAS_RESULT_TRANSPORT`, `OAS_RESULT_TIMEOUT`, `OAS_RESULT_SERVER`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_purge(
    vault: *const oas_vault,
    opts: *const oas_purge_options,
    report_out: *mut oas_purge_report,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live vault (C contract).
        let v = unsafe { try_ref(vault, "vault")? };
        if report_out.is_null() {
            return Err(FfiError::null("report_out"));
        }
        // SAFETY: a non-NULL report starts with the u64 size its caller set
        // (C contract); the struct may be smaller than this library's, so no
        // reference to the whole is made.
        let declared = unsafe { report_out.cast::<u64>().read() };
        // Checked before any request.
        let size = options::check_size::<oas_purge_report>(declared, "report_out->size")?;
        // SAFETY: NULL or an initialised options struct (C contract).
        let o = unsafe { purge_options(opts)? };
        let report = v.vault.purge_with(&o)?;
        // SAFETY: the caller declared `size` writable bytes at `report_out`,
        // checked above.
        unsafe { options::write(report_out, size, &c_report(&report)) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn layouts_match_the_field_lists() {
        super::options::check_layout::<super::oas_purge_options>();
        super::options::check_layout::<super::oas_purge_report>();
    }
}
