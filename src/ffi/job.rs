//! Jobs for C: status, waiting, verified downloads and retrieval reuse
//! (the SDK's `Job`; see [`crate::job`] and [`crate::download`]).
//!
//! String getters return memory owned by the `oas_job`, valid until the next
//! call that refreshes the job (`oas_job_update_status`, `oas_job_wait`, the
//! downloads) or `oas_job_free`. Empty fields read as "".

use super::client::{oas_client, oas_progress_fn, progress_fn};
use super::etag::oas_byte_range;
use super::options::{self, options_fields, Field, OptionsStruct};
use super::result::*;
use super::{
    cstring_lossy, ffi_call, ffi_guard, try_opt_range, try_opt_str, try_out, try_path,
    try_range_arg, try_str, ArcHandle, BoxHandle, FfiError, FfiResult,
};
use crate::client::CancelToken;
use crate::download::{DownloadOptions, Target};
use crate::job::{Job, WaitOptions};
use crate::Error;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The strings handed out by the getters, rebuilt when the job is refreshed.
#[derive(Default)]
struct Strings {
    fields: Vec<CString>,
}

/// Indexes into [`Strings::fields`].
#[derive(Clone, Copy)]
enum JobField {
    Id,
    Action,
    ArchiveId,
    CreationDate,
    CompletionDate,
    Description,
    StatusCode,
    StatusMessage,
    TreeEtag,
    Etag,
    ContentEtag,
    VaultId,
}

/// A job of a vault. Create with `oas_job_describe` or
/// `oas_job_retrieve_archive_reuse`, free with `oas_job_free`. Use from one
/// thread at a time (it may be moved between threads), except
/// `oas_job_cancel`, which any thread may call while a download runs.
pub struct oas_job {
    state: Mutex<State>,
    /// Reads the download progress without `state`, which a running download
    /// holds: so `oas_job_size_completed` works from the job's own progress
    /// callback and from any thread (issue 10, defect 2).
    progress: crate::job::ProgressProbe,
    /// The token of the current download, apart from `state` so that a
    /// cancel from another thread does not wait for the download's lock.
    cancel: Mutex<CancelToken>,
}

/// Everything but the cancel token; locked for the length of each call.
struct State {
    job: Job,
    strings: Strings,
}

impl BoxHandle for oas_job {}

impl oas_job {
    pub(crate) fn new(job: Job) -> oas_job {
        let mut st = State {
            job,
            strings: Strings::default(),
        };
        st.refresh();
        oas_job {
            progress: st.job.progress_probe(),
            state: Mutex::new(st),
            cancel: Mutex::new(CancelToken::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh cancel token for a download starting now.
    fn arm(&self) -> CancelToken {
        let t = CancelToken::new();
        *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = t.clone();
        t
    }
}

/// Borrows the job's state for one call. Only shared references to the handle
/// are made, so `oas_job_cancel` on another thread is sound.
///
/// # Safety
/// `job` is NULL or a live job handle.
unsafe fn lock<'a>(job: *const oas_job) -> FfiResult<MutexGuard<'a, State>> {
    // SAFETY: as this function's contract.
    Ok(unsafe { oas_job::try_ref(job, "job")? }.lock())
}

impl State {
    fn refresh(&mut self) {
        let i = self.job.info();
        self.strings.fields = [
            &i.job_id,
            &i.action,
            &i.archive_id,
            &i.creation_date,
            &i.completion_date,
            &i.job_description,
            &i.status_code,
            &i.status_message,
            &i.tree_etag,
            &i.archive_tree_etag,
            &i.archive_content_etag,
            &self.job.vault_id().to_string(),
        ]
        .iter()
        .map(|s| cstring_lossy(s))
        .collect();
    }

    /// Runs a call that may change the job's description, refreshing the
    /// strings afterwards whatever the outcome.
    fn with<T>(&mut self, f: impl FnOnce(&mut Job) -> crate::Result<T>) -> crate::Result<T> {
        let r = f(&mut self.job);
        self.refresh();
        r
    }
}

/// # Safety
/// `job` is NULL or a live job handle.
unsafe fn field(job: *const oas_job, f: JobField) -> *const c_char {
    ffi_guard(c"".as_ptr(), || {
        // SAFETY: the C contract: NULL or a live oas_job.
        // The string lives in the handle until the next refreshing call.
        unsafe { job.as_ref() }
            .and_then(|j| j.lock().strings.fields.get(f as usize).map(|s| s.as_ptr()))
            .unwrap_or(c"".as_ptr())
    })
}

/// Describes job `job_id` of vault `vault_id` (one DescribeJob request). On
/// success writes a new handle to `*job_out` (it keeps its own reference to
/// the client).
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT` for bad arguments; `OAS_RESULT_TRANSPORT`,
/// `OAS_RESULT_NOT_FOUND` (e.g. JobNotExists), `OAS_RESULT_SERVER`,
/// `OAS_RESULT_TIMEOUT`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_describe(
    client: *const oas_client,
    vault_id: *const c_char,
    job_id: *const c_char,
    job_out: *mut *mut oas_job,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live client (C contract).
        let client = unsafe { oas_client::try_ref(client, "client")? };
        // SAFETY: NULL or NUL-terminated strings (C contract).
        let (vault_id, job_id) =
            unsafe { (try_str(vault_id, "vault_id")?, try_str(job_id, "job_id")?) };
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(job_out, "job_out")? };
        let job = Job::describe(&client.inner, vault_id, job_id)?;
        *out = oas_job::new(job).into_ptr();
        Ok(())
    })
}

/// Returns an unexpired retrieval of `archive_id` over the same range that is
/// running or succeeded, or starts a new one, so a restarted program does not
/// pay for a second retrieval (`oas_vault_retrieve_archive_reuse` does the
/// same from a vault handle). `description` may be NULL. `range` NULL is the
/// whole archive; otherwise `range->start..=range->end` (inclusive; start a
/// multiple of 1 MiB, end + 1 a multiple of 1 MiB or the archive size).
///
/// Returns `OAS_RESULT_OK`; argument errors as `oas_job_describe`, and
/// `OAS_RESULT_INVALID_ARGUMENT` for a bad range or description;
/// `OAS_RESULT_NOT_FOUND`, `OAS_RESULT_TRANSPORT`, `OAS_RESULT_TIMEOUT`,
/// `OAS_RESULT_SERVER`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_retrieve_archive_reuse(
    client: *const oas_client,
    vault_id: *const c_char,
    archive_id: *const c_char,
    description: *const c_char,
    range: *const oas_byte_range,
    job_out: *mut *mut oas_job,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live client (C contract).
        let client = unsafe { oas_client::try_ref(client, "client")? };
        // SAFETY: NULL or NUL-terminated strings (C contract).
        let (vault_id, archive_id, description) = unsafe {
            (
                try_str(vault_id, "vault_id")?,
                try_str(archive_id, "archive_id")?,
                try_opt_str(description, "description")?,
            )
        };
        // SAFETY: NULL or a valid oas_byte_range (C contract).
        let range = unsafe { try_opt_range(range)? };
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(job_out, "job_out")? };
        let job =
            Job::retrieve_archive_reuse(&client.inner, vault_id, archive_id, description, range)?;
        *out = oas_job::new(job).into_ptr();
        Ok(())
    })
}

/// Frees a job; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_job_free(job: *mut oas_job) {
    // SAFETY: NULL or an owned job handle not used again (C contract).
    ffi_guard((), || unsafe { oas_job::free_ptr(job) })
}

/// `JobId`, borrowed from the job; "" for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_id(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::Id) }
}
/// `Action` (`ArchiveRetrieval`, `InventoryRetrieval`, `PullFromOSS`, `PushToOSS`), borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_action(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::Action) }
}
/// `ArchiveId` ("" for inventories and unfinished pulls), borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_archive_id(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::ArchiveId) }
}
/// `CreationDate` (RFC 1123), borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_creation_date(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::CreationDate) }
}
/// `CompletionDate` (RFC 1123; "" while running), borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_completion_date(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::CompletionDate) }
}
/// `JobDescription`, borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_description(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::Description) }
}
/// `StatusCode` (`InProgress`, `Succeeded`, `Failed`), borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_status_code(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::StatusCode) }
}
/// `StatusMessage`, borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_status_message(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::StatusMessage) }
}
/// `TreeEtag` of the retrieved range ("" when the range is not tree-aligned,
/// for inventories and unfinished jobs), borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_tree_etag(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::TreeEtag) }
}
/// `ArchiveTreeEtag`, the whole-archive tree etag (the SDK's `etag`: its code
/// reads `ArchiveTreeEtag`, although the seed document's table says
/// `ArchiveContentEtag`; see README, "Which field is `etag`"), borrowed; ""
/// for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_etag(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::Etag) }
}
/// `ArchiveContentEtag` (MD5 of the archive) when the server sends it,
/// borrowed; "" otherwise and for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_content_etag(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::ContentEtag) }
}
/// The id of the job's vault, borrowed.
#[no_mangle]
pub unsafe extern "C" fn oas_job_vault_id(job: *const oas_job) -> *const c_char {
    // SAFETY: NULL or a live job (C contract).
    unsafe { field(job, JobField::VaultId) }
}

/// `ArchiveSizeInBytes`; -1 until known and for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_archive_size(job: *const oas_job) -> i64 {
    ffi_guard(-1, || {
        // SAFETY: NULL or a live job (C contract).
        unsafe { job.as_ref() }.map_or(-1, |j| j.lock().job.info().archive_size_in_bytes)
    })
}

/// `InventorySizeInBytes`; -1 until known, for other job types and for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_inventory_size(job: *const oas_job) -> i64 {
    ffi_guard(-1, || {
        // SAFETY: NULL or a live job (C contract).
        unsafe { job.as_ref() }.map_or(-1, |j| j.lock().job.info().inventory_size_in_bytes)
    })
}

/// `Completed` as last read: true once the job finished, successfully or not.
#[no_mangle]
pub unsafe extern "C" fn oas_job_completed(job: *const oas_job) -> bool {
    ffi_guard(false, || {
        // SAFETY: NULL or a live job (C contract).
        unsafe { job.as_ref() }.is_some_and(|j| j.lock().job.completed())
    })
}

/// Bytes of the current or last download so far (including bytes a resumed
/// download found already done); 0 for NULL. Never goes down, also not
/// after a stop or a retry: a download resumed to the same target starts
/// from the last figure of the stopped one. Takes no lock that a download
/// holds, so it may be called from this job's own progress callback and
/// from any thread while a download or wait runs. Does not touch
/// `oas_last_error()`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_size_completed(job: *const oas_job) -> u64 {
    ffi_guard(0, || {
        // SAFETY: NULL or a live job (C contract). The probe takes no lock
        // a download holds, so this works from the job's own callback.
        unsafe { job.as_ref() }.map_or(0, |j| j.progress.size_completed())
    })
}

/// `RetrievalByteRange` (inclusive) into `*range_out`.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`;
/// `OAS_RESULT_INVALID_STATE` when the job has no range (inventory, OSS jobs).
#[no_mangle]
pub unsafe extern "C" fn oas_job_retrieval_byte_range(
    job: *const oas_job,
    range_out: *mut oas_byte_range,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live job (C contract).
        let j = unsafe { lock(job)? };
        // SAFETY: NULL or a writable oas_byte_range (C contract).
        let out = unsafe { try_out(range_out, "range_out")? };
        let r = j.job.retrieval_byte_range().ok_or_else(|| {
            Error::InvalidState(format!("job {} has no retrieval range", j.job.id()))
        })?;
        *out = oas_byte_range {
            start: r.start,
            end: r.end,
        };
        Ok(())
    })
}

/// Reads the job's status from the server (one DescribeJob request).
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`; `OAS_RESULT_TRANSPORT`,
/// `OAS_RESULT_SERVER`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_update_status(job: *mut oas_job) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live job (C contract).
        let mut j = unsafe { lock(job)? };
        Ok(j.with(|job| job.update_status())?)
    })
}

/// The outcome of the job as last read, without a request.
///
/// Returns `OAS_RESULT_OK` when it succeeded, `OAS_RESULT_JOB_NOT_READY` while
/// it runs, `OAS_RESULT_JOB_FAILED` (the message holds the status message)
/// when it failed; `OAS_RESULT_NULL_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_outcome(job: *const oas_job) -> oas_result {
    // SAFETY: NULL or a live job (C contract).
    ffi_call(|| Ok(unsafe { lock(job)? }.job.outcome()?))
}

fn wait_options(first_ms: u64, max_ms: u64, timeout_ms: u64) -> WaitOptions {
    let d = WaitOptions::default();
    WaitOptions {
        first_interval: if first_ms == 0 {
            d.first_interval
        } else {
            Duration::from_millis(first_ms)
        },
        max_interval: if max_ms == 0 {
            d.max_interval
        } else {
            Duration::from_millis(max_ms)
        },
        timeout: (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms)),
        cancel: None,
    }
}

/// Polls until the job finishes: at once, then after `first_interval_ms`,
/// doubling up to `max_interval_ms`, each sleep lengthened by a random 0-10 %
/// (0 = the defaults, 1 s and 15 min: a job that ends after 2 s is seen about
/// a second later, a 60 s job costs 7 status calls, a 4-hour job at most
/// 30); gives up after `timeout_ms` (0 = never). These options apply to
/// this call only: they are not kept on the handle, and a later download
/// with `block` still waits until the job is done.
///
/// Returns `OAS_RESULT_OK` when the job succeeded; `OAS_RESULT_JOB_FAILED`
/// with its status message; `OAS_RESULT_WAIT_TIMEOUT` when `timeout_ms`
/// passed first; `OAS_RESULT_CANCELLED` (`oas_job_cancel`);
/// `OAS_RESULT_NULL_ARGUMENT`; `OAS_RESULT_TRANSPORT`, `OAS_RESULT_TIMEOUT`,
/// `OAS_RESULT_SERVER`, `OAS_RESULT_PROTOCOL` from the status requests.
#[no_mangle]
pub unsafe extern "C" fn oas_job_wait(
    job: *mut oas_job,
    first_interval_ms: u64,
    max_interval_ms: u64,
    timeout_ms: u64,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live job (C contract).
        let handle = unsafe { oas_job::try_ref(job, "job")? };
        let token = handle.arm();
        let mut j = handle.lock();
        // This call's options only: nothing is stored on the handle (issue
        // 10, defect 3: a timeout here made later `block` downloads time out).
        let mut w = wait_options(first_interval_ms, max_interval_ms, timeout_ms);
        w.cancel = Some(token);
        Ok(j.with(|job| job.wait(&w))?)
    })
}

/// Stops the wait or download running on this job on another thread; it
/// returns `OAS_RESULT_CANCELLED` (a download to a file resumes from its
/// journal on the next call). May be called from any thread; a no-op when
/// nothing runs or for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_cancel(job: *const oas_job) {
    ffi_guard((), || {
        // SAFETY: NULL or a live job; only shared references are made.
        if let Some(j) = unsafe { job.as_ref() } {
            j.cancel.lock().unwrap_or_else(|p| p.into_inner()).cancel();
        }
    })
}

/// Options of one download (`oas_job_download_by_range`,
/// `oas_job_download_by_range_fd`, `oas_job_download_to_file`), following the
/// options rule of the conventions: fill with
/// `oas_download_options_init(&o, sizeof o)`, then set what you need. A 0 or
/// NULL field takes the client's value or the default. Passing NULL instead
/// of the struct means all defaults. Read during the call only: nothing is
/// kept on the job for later calls.
#[repr(C)]
pub struct oas_download_options {
    /// `sizeof` the struct as the caller declared it (see `oas_client_options`).
    pub size: u64,
    /// Size of the parallel ranges (a multiple of 1 MiB); 0 = the client's
    /// `download_range_size`, whose 0 is the SDK's plan (one range up to
    /// 32 MiB, else 32 MiB grown to keep within 10 000 ranges).
    pub range_size: u64,
    /// Bytes per second for this transfer; 0 = the client's `bandwidth_limit`.
    pub bandwidth_limit: u64,
    /// Ranges fetched in parallel (1 to 256); 0 = the client's `workers`.
    pub workers: u32,
    /// With `block`: delay before the second status call, in ms; 0 = the
    /// default schedule (as `oas_job_wait` with 0).
    pub wait_first_interval_ms: u64,
    /// With `block`: upper bound of the delay between status calls, in ms;
    /// 0 = the default.
    pub wait_max_interval_ms: u64,
    /// With `block`: give up with `OAS_RESULT_WAIT_TIMEOUT` after this many
    /// ms; 0 = wait until the job finishes.
    pub wait_timeout_ms: u64,
    /// Progress callback (see `oas_progress_fn`), or NULL.
    pub progress: oas_progress_fn,
    /// Passed to `progress` unchanged; never read by the library.
    pub userdata: *mut c_void,
}

// SAFETY: repr(C), `size` first, integers, pointers and an optional function
// pointer only, every field listed.
unsafe impl OptionsStruct for oas_download_options {
    const NAME: &'static str = "oas_download_options";
    const MIN_SIZE: usize = std::mem::size_of::<u64>();

    fn defaults() -> Self {
        oas_download_options {
            size: std::mem::size_of::<oas_download_options>() as u64,
            range_size: 0,
            bandwidth_limit: 0,
            workers: 0,
            wait_first_interval_ms: 0,
            wait_max_interval_ms: 0,
            wait_timeout_ms: 0,
            progress: None,
            userdata: std::ptr::null_mut(),
        }
    }

    fn fields() -> Vec<Field> {
        options_fields!(oas_download_options; size, range_size, bandwidth_limit, workers,
            wait_first_interval_ms, wait_max_interval_ms, wait_timeout_ms, progress, userdata)
    }
}

/// Fills the caller's `size` bytes at `opts` with the defaults (every field 0
/// or NULL) and sets `opts->size = size`. Call it as
/// `oas_download_options_init(&opts, sizeof opts)`. Any thread.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` for a NULL `opts`;
/// `OAS_RESULT_INVALID_ARGUMENT` when `size` is below 8 or above 4096.
#[no_mangle]
pub unsafe extern "C" fn oas_download_options_init(
    opts: *mut oas_download_options,
    size: usize,
) -> oas_result {
    // SAFETY: the caller owns `size` writable bytes at `opts` (C contract).
    ffi_call(|| unsafe { options::init(opts, size, "opts") })
}

/// Reads `opts` (NULL = defaults) into the core's [`DownloadOptions`].
///
/// # Safety
/// `opts` is NULL or holds `opts->size` readable bytes.
unsafe fn download_options(opts: *const oas_download_options) -> FfiResult<DownloadOptions> {
    // SAFETY: as this function's contract.
    let o = unsafe { options::read_opt(opts, "opts")? };
    if o.range_size % crate::ranges::MIB != 0 {
        return Err(FfiError::invalid(format!(
            "`opts->range_size` {} must be a multiple of 1 MiB (1048576)",
            o.range_size
        )));
    }
    if o.workers > 256 {
        return Err(FfiError::invalid(format!(
            "`opts->workers` is {}; expected 0 (the client's) or 1 to 256",
            o.workers
        )));
    }
    let nonzero = |v: u64| (v != 0).then_some(v);
    let custom_wait =
        o.wait_first_interval_ms != 0 || o.wait_max_interval_ms != 0 || o.wait_timeout_ms != 0;
    Ok(DownloadOptions {
        progress: progress_fn(o.progress, o.userdata),
        cancel: None,
        range_size: nonzero(o.range_size),
        workers: (o.workers != 0).then_some(o.workers as usize),
        bandwidth_limit: nonzero(o.bandwidth_limit),
        wait: custom_wait.then(|| {
            wait_options(
                o.wait_first_interval_ms,
                o.wait_max_interval_ms,
                o.wait_timeout_ms,
            )
        }),
    })
}

/// Runs one download of `job` with the caller's options under a freshly
/// armed cancel token, so that `oas_job_cancel` stops exactly this transfer,
/// and refreshes the fields after.
///
/// # Safety
/// `job` is NULL or a live job; `opts` as for [`download_options`].
unsafe fn download(
    job: *const oas_job,
    opts: *const oas_download_options,
    f: impl FnOnce(&mut Job, &DownloadOptions) -> crate::Result<()>,
) -> FfiResult<()> {
    // SAFETY: as this function's contract.
    let handle = unsafe { oas_job::try_ref(job, "job")? };
    // SAFETY: as this function's contract.
    let mut o = unsafe { download_options(opts)? };
    o.cancel = Some(handle.arm());
    let mut j = handle.lock();
    Ok(j.with(|job| f(job, &o))?)
}

/// Downloads `range->start..=range->end` of the job output (inclusive,
/// relative to the output; start a multiple of 1 MiB, end + 1 a multiple of
/// 1 MiB or the output size — checked before any request) into the file
/// `path`, created or truncated, `chunk_size` bytes at a time (0 = 1 MiB).
/// With `block`, first waits until the job is done, polling on the schedule
/// of `opts` (the default schedule and no timeout when `opts` is NULL or its
/// wait fields are 0); without, a job still running is
/// `OAS_RESULT_JOB_NOT_READY`. `opts` (NULL = defaults) also sets the
/// progress callback, workers and rate of this call only. Tree-aligned
/// ranges are checked against the server's tree etag; short reads and
/// mismatches are retried. On failure the file is removed.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` (also for a NULL
/// `range`), `OAS_RESULT_INVALID_UTF8`, `OAS_RESULT_INVALID_ARGUMENT` (bad
/// range, empty path, bad options); `OAS_RESULT_JOB_NOT_READY` (without
/// `block`), `OAS_RESULT_WAIT_TIMEOUT` (only with `block` and a non-zero
/// `opts->wait_timeout_ms`; nothing an earlier `oas_job_wait` was given
/// applies), `OAS_RESULT_JOB_FAILED`, `OAS_RESULT_INVALID_STATE` (OSS jobs
/// have no output; another download to the same file runs);
/// `OAS_RESULT_HASH_MISMATCH`, `OAS_RESULT_DOWNLOAD_FAILED`,
/// `OAS_RESULT_CANCELLED` (the callback or `oas_job_cancel`), `OAS_RESULT_IO`,
/// `OAS_RESULT_NOT_FOUND` (the job expired), `OAS_RESULT_TRANSPORT`,
/// `OAS_RESULT_TIMEOUT`, `OAS_RESULT_SERVER`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_download_by_range(
    job: *mut oas_job,
    range: *const oas_byte_range,
    path: *const c_char,
    chunk_size: usize,
    block: bool,
    opts: *const oas_download_options,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live job (C contract); checked first, as the handle.
        unsafe { oas_job::try_ref(job, "job")? };
        // SAFETY: NULL or a NUL-terminated string (C contract).
        let path = std::path::Path::new(unsafe { try_path(path, "path")? });
        // SAFETY: NULL or a valid oas_byte_range (C contract).
        let r = unsafe { try_range_arg(range, "range")? };
        // SAFETY: NULL or a live job and options (C contract).
        unsafe {
            download(job, opts, |job, o| {
                job.download_by_range_with(r, Target::Path(path), chunk_size, block, o)
            })
        }
    })
}

/// A download's write callback: receives `len` bytes at `buf` (borrowed for
/// the call) that have passed their check. Return 0 to go on; any other value
/// stops the download with `OAS_RESULT_CANCELLED`. Called on the thread that
/// called `oas_job_download_to_callback`, one call at a time.
pub type oas_write_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, buf: *const u8, len: usize) -> c_int>;

/// A C write callback as an `io::Write`; remembers whether it asked to stop.
struct CWriter {
    f: unsafe extern "C" fn(*mut c_void, *const u8, usize) -> c_int,
    userdata: *mut c_void,
    stopped: bool,
}

impl std::io::Write for CWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: a C function pointer given for this use; `buf` is valid for
        // `buf.len()` bytes during the call. The return is read as an integer.
        if unsafe { (self.f)(self.userdata, buf.as_ptr(), buf.len()) } != 0 {
            self.stopped = true;
            return Err(std::io::Error::other(
                "the write callback stopped the download",
            ));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Downloads `range` of the job output (as for `oas_job_download_by_range`),
/// or the whole output when `range` is NULL, to the write callback `write`
/// with `userdata`: a stream of the caller's (a language binding's file
/// object, a decompressor, an encryption pipeline) without a temporary file of
/// its own. Each range is fetched into a spool file in the temp directory and
/// checked (tree etag where the range is tree-aligned, length always) before
/// any of it reaches the callback: bytes handed to `write` have passed their
/// check, and nothing of a range that fails is delivered. `chunk_size` (0 =
/// 1 MiB) bounds each callback's `len`; `block` and `opts` as for
/// `oas_job_download_by_range`.
///
/// Returns as `oas_job_download_by_range`; `OAS_RESULT_NULL_ARGUMENT` for a
/// NULL `write`, `OAS_RESULT_CANCELLED` when the callback returned non-zero.
#[no_mangle]
pub unsafe extern "C" fn oas_job_download_to_callback(
    job: *mut oas_job,
    range: *const oas_byte_range,
    write: oas_write_fn,
    userdata: *mut c_void,
    chunk_size: usize,
    block: bool,
    opts: *const oas_download_options,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live job (C contract); checked first, as the handle.
        unsafe { oas_job::try_ref(job, "job")? };
        let f = write.ok_or_else(|| FfiError::null("write"))?;
        let r = if range.is_null() {
            None
        } else {
            // SAFETY: a non-NULL pointer to a valid oas_byte_range (C contract).
            Some(unsafe { try_range_arg(range, "range")? })
        };
        let mut w = CWriter {
            f,
            userdata,
            stopped: false,
        };
        // SAFETY: NULL or a live job and options (C contract).
        let result = unsafe {
            download(job, opts, |job, o| {
                job.download_to_writer(r, &mut w, chunk_size, block, o)
            })
        };
        if w.stopped {
            return Err(Error::Cancelled("the write callback stopped the download".into()).into());
        }
        result
    })
}

/// As `oas_job_download_by_range`, writing to the open descriptor `fd` from
/// its current position (it is not closed). Pipes, sockets and `O_APPEND`
/// descriptors receive the bytes only after they were checked.
#[no_mangle]
pub unsafe extern "C" fn oas_job_download_by_range_fd(
    job: *mut oas_job,
    range: *const oas_byte_range,
    fd: c_int,
    chunk_size: usize,
    block: bool,
    opts: *const oas_download_options,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live job (C contract); checked first, as the handle.
        unsafe { oas_job::try_ref(job, "job")? };
        // SAFETY: NULL or a valid oas_byte_range (C contract).
        let r = unsafe { try_range_arg(range, "range")? };
        // SAFETY: NULL or a live job and options (C contract).
        unsafe {
            download(job, opts, |job, o| {
                job.download_by_range_with(r, Target::Fd(fd), chunk_size, block, o)
            })
        }
    })
}

/// Downloads the whole job output to `path` in parallel ranges with the
/// progress journal `<path>.oas`: an interrupted or cancelled download
/// resumes on the next call (the file is never truncated, finished ranges are
/// re-hashed from the file before they are trusted). At the end the whole
/// output is verified, the file fsynced and the journal removed. `chunk_size`
/// 0 = 1 MiB; `block` and `opts` as for `oas_job_download_by_range`.
///
/// Returns as `oas_job_download_by_range`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_download_to_file(
    job: *mut oas_job,
    path: *const c_char,
    chunk_size: usize,
    block: bool,
    opts: *const oas_download_options,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live job (C contract); checked first, as the handle.
        unsafe { oas_job::try_ref(job, "job")? };
        // SAFETY: NULL or a NUL-terminated string (C contract).
        let path = std::path::Path::new(unsafe { try_path(path, "path")? });
        // SAFETY: NULL or a live job and options (C contract).
        unsafe {
            download(job, opts, |job, o| {
                job.download_to_file_with(path, chunk_size, block, o)
            })
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn options_layout_matches_the_field_list() {
        super::options::check_layout::<super::oas_download_options>();
    }
}
