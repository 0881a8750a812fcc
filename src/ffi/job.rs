//! Jobs for C: status, waiting, verified downloads and retrieval reuse
//! (the SDK's `Job`; see [`crate::job`] and [`crate::download`]).
//!
//! String getters return memory owned by the `oas_job`, valid until the next
//! call that refreshes the job (`oas_job_update_status`, `oas_job_wait`, the
//! downloads) or `oas_job_free`. Empty fields read as "".

use super::client::{oas_client, oas_progress_fn, progress_fn};
use super::result::*;
use super::{
    cstring_lossy, ffi_call, ffi_guard, try_opt_str, try_out, try_path, try_range, try_str,
    ArcHandle, BoxHandle, FfiResult,
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
enum Field {
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
    options: DownloadOptions,
}

impl BoxHandle for oas_job {}

impl oas_job {
    pub(crate) fn new(job: Job) -> oas_job {
        let mut st = State {
            job,
            strings: Strings::default(),
            options: DownloadOptions::default(),
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
unsafe fn lock<'a>(job: *const oas_job) -> FfiResult<MutexGuard<'a, State>> {
    Ok(oas_job::try_ref(job, "job")?.lock())
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
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Job, &DownloadOptions) -> crate::Result<T>,
    ) -> crate::Result<T> {
        let r = f(&mut self.job, &self.options);
        self.refresh();
        r
    }
}

fn field(job: *const oas_job, f: Field) -> *const c_char {
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
/// `OAS_RESULT_SERVER` (e.g. JobNotExists), `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_describe(
    client: *const oas_client,
    vault_id: *const c_char,
    job_id: *const c_char,
    job_out: *mut *mut oas_job,
) -> oas_result {
    ffi_call(|| {
        let client = oas_client::try_ref(client, "client")?;
        let vault_id = try_str(vault_id, "vault_id")?;
        let job_id = try_str(job_id, "job_id")?;
        let out = try_out(job_out, "job_out")?;
        let job = Job::describe(&client.inner, vault_id, job_id)?;
        *out = oas_job::new(job).into_ptr();
        Ok(())
    })
}

/// Returns an unexpired retrieval of `archive_id` over the same range that is
/// running or succeeded, or starts a new one, so a restarted program does not
/// pay for a second retrieval. With `has_range` false the whole archive is
/// retrieved and `start`/`end` are ignored; otherwise `start..=end`
/// (inclusive; start a multiple of 1 MiB, end + 1 a multiple of 1 MiB or the
/// archive size). `description` may be NULL.
///
/// Returns `OAS_RESULT_OK`; argument errors as `oas_job_describe`;
/// `OAS_RESULT_TRANSPORT`, `OAS_RESULT_SERVER`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn oas_job_retrieve_archive_reuse(
    client: *const oas_client,
    vault_id: *const c_char,
    archive_id: *const c_char,
    has_range: bool,
    start: u64,
    end: u64,
    description: *const c_char,
    job_out: *mut *mut oas_job,
) -> oas_result {
    ffi_call(|| {
        let client = oas_client::try_ref(client, "client")?;
        let vault_id = try_str(vault_id, "vault_id")?;
        let archive_id = try_str(archive_id, "archive_id")?;
        let description = try_opt_str(description, "description")?;
        let out = try_out(job_out, "job_out")?;
        let range = has_range.then(|| try_range(start, end)).transpose()?;
        let job =
            Job::retrieve_archive_reuse(&client.inner, vault_id, archive_id, range, description)?;
        *out = oas_job::new(job).into_ptr();
        Ok(())
    })
}

/// Frees a job; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_job_free(job: *mut oas_job) {
    ffi_guard((), || oas_job::free_ptr(job))
}

/// `JobId`, borrowed from the job; "" for NULL.
#[no_mangle]
pub extern "C" fn oas_job_id(job: *const oas_job) -> *const c_char {
    field(job, Field::Id)
}
/// `Action` (`ArchiveRetrieval`, `InventoryRetrieval`, `PullFromOSS`, `PushToOSS`), borrowed.
#[no_mangle]
pub extern "C" fn oas_job_action(job: *const oas_job) -> *const c_char {
    field(job, Field::Action)
}
/// `ArchiveId` ("" for inventories and unfinished pulls), borrowed.
#[no_mangle]
pub extern "C" fn oas_job_archive_id(job: *const oas_job) -> *const c_char {
    field(job, Field::ArchiveId)
}
/// `CreationDate` (RFC 1123), borrowed.
#[no_mangle]
pub extern "C" fn oas_job_creation_date(job: *const oas_job) -> *const c_char {
    field(job, Field::CreationDate)
}
/// `CompletionDate` (RFC 1123; "" while running), borrowed.
#[no_mangle]
pub extern "C" fn oas_job_completion_date(job: *const oas_job) -> *const c_char {
    field(job, Field::CompletionDate)
}
/// `JobDescription`, borrowed.
#[no_mangle]
pub extern "C" fn oas_job_description(job: *const oas_job) -> *const c_char {
    field(job, Field::Description)
}
/// `StatusCode` (`InProgress`, `Succeeded`, `Failed`), borrowed.
#[no_mangle]
pub extern "C" fn oas_job_status_code(job: *const oas_job) -> *const c_char {
    field(job, Field::StatusCode)
}
/// `StatusMessage`, borrowed.
#[no_mangle]
pub extern "C" fn oas_job_status_message(job: *const oas_job) -> *const c_char {
    field(job, Field::StatusMessage)
}
/// `TreeEtag` of the retrieved range ("" when the range is not tree-aligned,
/// for inventories and unfinished jobs), borrowed.
#[no_mangle]
pub extern "C" fn oas_job_tree_etag(job: *const oas_job) -> *const c_char {
    field(job, Field::TreeEtag)
}
/// `ArchiveTreeEtag` (the SDK's `etag`), borrowed.
#[no_mangle]
pub extern "C" fn oas_job_etag(job: *const oas_job) -> *const c_char {
    field(job, Field::Etag)
}
/// `ArchiveContentEtag` when the server sends it, borrowed.
#[no_mangle]
pub extern "C" fn oas_job_content_etag(job: *const oas_job) -> *const c_char {
    field(job, Field::ContentEtag)
}
/// The id of the job's vault, borrowed.
#[no_mangle]
pub extern "C" fn oas_job_vault_id(job: *const oas_job) -> *const c_char {
    field(job, Field::VaultId)
}

/// `ArchiveSizeInBytes`; -1 until known and for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_archive_size(job: *const oas_job) -> i64 {
    ffi_guard(-1, || {
        job.as_ref()
            .map_or(-1, |j| j.lock().job.info().archive_size_in_bytes)
    })
}

/// `InventorySizeInBytes`; -1 until known, for other job types and for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_inventory_size(job: *const oas_job) -> i64 {
    ffi_guard(-1, || {
        job.as_ref()
            .map_or(-1, |j| j.lock().job.info().inventory_size_in_bytes)
    })
}

/// `Completed` as last read: true once the job finished, successfully or not.
#[no_mangle]
pub unsafe extern "C" fn oas_job_completed(job: *const oas_job) -> bool {
    ffi_guard(false, || {
        job.as_ref().is_some_and(|j| j.lock().job.completed())
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
        job.as_ref().map_or(0, |j| j.progress.size_completed())
    })
}

/// `RetrievalByteRange` as inclusive `start`/`end`.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`;
/// `OAS_RESULT_INVALID_STATE` when the job has no range (inventory, OSS jobs).
#[no_mangle]
pub unsafe extern "C" fn oas_job_retrieval_byte_range(
    job: *const oas_job,
    start_out: *mut u64,
    end_out: *mut u64,
) -> oas_result {
    ffi_call(|| {
        let j = lock(job)?;
        let s = try_out(start_out, "start_out")?;
        let e = try_out(end_out, "end_out")?;
        let r = j.job.retrieval_byte_range().ok_or_else(|| {
            Error::InvalidState(format!("job {} has no retrieval range", j.job.id()))
        })?;
        *s = r.start;
        *e = r.end;
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
        let mut j = lock(job)?;
        Ok(j.with(|job, _| job.update_status())?)
    })
}

/// The outcome of the job as last read, without a request.
///
/// Returns `OAS_RESULT_OK` when it succeeded, `OAS_RESULT_JOB_NOT_READY` while
/// it runs, `OAS_RESULT_JOB_FAILED` (the message holds the status message)
/// when it failed; `OAS_RESULT_NULL_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_outcome(job: *const oas_job) -> oas_result {
    ffi_call(|| Ok(lock(job)?.job.outcome()?))
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
        let handle = oas_job::try_ref(job, "job")?;
        let token = handle.arm();
        let mut j = handle.lock();
        // This call's options only: nothing is stored on the handle (issue
        // 10, defect 3: a timeout here made later `block` downloads time out).
        let mut w = wait_options(first_interval_ms, max_interval_ms, timeout_ms);
        w.cancel = Some(token);
        Ok(j.with(|job, _| job.wait(&w))?)
    })
}

/// Stops the wait or download running on this job on another thread; it
/// returns `OAS_RESULT_CANCELLED` (a download to a file resumes from its
/// journal on the next call). May be called from any thread; a no-op when
/// nothing runs or for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_job_cancel(job: *const oas_job) {
    ffi_guard((), || {
        if let Some(j) = job.as_ref() {
            j.cancel.lock().unwrap_or_else(|p| p.into_inner()).cancel();
        }
    })
}

/// Sets how downloads of this job run: `range_size` of parallel ranges (0 =
/// the SDK's plan: one range up to 32 MiB, else 32 MiB grown to keep within
/// 10 000 ranges; otherwise a multiple of 1 MiB), `workers` in parallel (0 =
/// the client's), `bandwidth_limit` in bytes per second (0 = the client's).
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`;
/// `OAS_RESULT_INVALID_ARGUMENT` for a range size that is not a multiple of 1 MiB.
#[no_mangle]
pub unsafe extern "C" fn oas_job_set_download_options(
    job: *mut oas_job,
    range_size: u64,
    workers: u32,
    bandwidth_limit: u64,
) -> oas_result {
    ffi_call(|| {
        let mut j = lock(job)?;
        if range_size % crate::ranges::MIB != 0 {
            return Err(Error::InvalidArgument(format!(
                "range_size {range_size} must be a multiple of 1 MiB (1048576)"
            ))
            .into());
        }
        j.options.range_size = (range_size > 0).then_some(range_size);
        j.options.workers = (workers > 0).then_some(workers as usize);
        j.options.bandwidth_limit = (bandwidth_limit > 0).then_some(bandwidth_limit);
        Ok(())
    })
}

/// Registers a progress callback for this job's downloads (NULL removes it).
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` for a NULL `job`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_set_progress_callback(
    job: *mut oas_job,
    callback: oas_progress_fn,
    userdata: *mut c_void,
) -> oas_result {
    ffi_call(|| {
        let mut j = lock(job)?;
        j.options.progress = progress_fn(callback, userdata);
        Ok(())
    })
}

/// Runs one download of `job` under a freshly armed cancel token, so that
/// `oas_job_cancel` stops exactly this transfer, and refreshes the fields after.
unsafe fn download(
    job: *const oas_job,
    f: impl FnOnce(&mut Job, &DownloadOptions) -> crate::Result<()>,
) -> FfiResult<()> {
    let handle = oas_job::try_ref(job, "job")?;
    let token = handle.arm();
    let mut j = handle.lock();
    j.options.cancel = Some(token);
    Ok(j.with(f)?)
}

/// Downloads `start..=end` of the job output (inclusive, relative to the
/// output; start a multiple of 1 MiB, end + 1 a multiple of 1 MiB or the
/// output size — checked before any request) into the file `path`, created
/// or truncated, `chunk_size` bytes at a time (0 = 1 MiB). With `block`,
/// waits for the job first. Tree-aligned ranges are checked against the
/// server's tree etag; short reads and mismatches are retried. On failure
/// the file is removed.
///
/// With `block`, the wait uses the default schedule of `oas_job_wait` and
/// has no timeout (nothing an earlier `oas_job_wait` was given applies), so
/// it never returns `OAS_RESULT_WAIT_TIMEOUT`; `oas_job_cancel` stops it.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT` (bad range, empty path); `OAS_RESULT_JOB_NOT_READY`
/// (without `block`), `OAS_RESULT_JOB_FAILED`, `OAS_RESULT_INVALID_STATE`
/// (OSS jobs have no output; another download to the same file runs);
/// `OAS_RESULT_HASH_MISMATCH`, `OAS_RESULT_DOWNLOAD_FAILED`,
/// `OAS_RESULT_CANCELLED`, `OAS_RESULT_IO`, `OAS_RESULT_TRANSPORT`,
/// `OAS_RESULT_TIMEOUT`, `OAS_RESULT_SERVER`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_download_by_range(
    job: *mut oas_job,
    start: u64,
    end: u64,
    path: *const c_char,
    chunk_size: usize,
    block: bool,
) -> oas_result {
    ffi_call(|| {
        let path = std::path::Path::new(try_path(path, "path")?);
        let r = try_range(start, end)?;
        download(job, |job, o| {
            job.download_by_range_with(r, Target::Path(path), chunk_size, block, o)
        })
    })
}

/// As `oas_job_download_by_range`, writing to the open descriptor `fd` from
/// its current position (it is not closed). Pipes, sockets and `O_APPEND`
/// descriptors receive the bytes only after they were checked.
#[no_mangle]
pub unsafe extern "C" fn oas_job_download_by_range_fd(
    job: *mut oas_job,
    start: u64,
    end: u64,
    fd: c_int,
    chunk_size: usize,
    block: bool,
) -> oas_result {
    ffi_call(|| {
        let r = try_range(start, end)?;
        download(job, |job, o| {
            job.download_by_range_with(r, Target::Fd(fd), chunk_size, block, o)
        })
    })
}

/// Downloads the whole job output to `path` in parallel ranges with the
/// progress journal `<path>.oas`: an interrupted or cancelled download
/// resumes on the next call (the file is never truncated, finished ranges are
/// re-hashed from the file before they are trusted). At the end the whole
/// output is verified, the file fsynced and the journal removed. `chunk_size`
/// 0 = 1 MiB; `block` waits for the job first.
///
/// Returns as `oas_job_download_by_range`.
#[no_mangle]
pub unsafe extern "C" fn oas_job_download_to_file(
    job: *mut oas_job,
    path: *const c_char,
    chunk_size: usize,
    block: bool,
) -> oas_result {
    ffi_call(|| {
        let path = std::path::Path::new(try_path(path, "path")?);
        download(job, |job, o| {
            job.download_to_file_with(path, chunk_size, block, o)
        })
    })
}
