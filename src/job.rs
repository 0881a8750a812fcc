//! Jobs for C: status, waiting, verified downloads and retrieval reuse
//! (the SDK's `Job`; see [`oas_sdk::Job`] and [`oas_sdk::download`]).
//!
//! String getters return memory owned by the `oas_job`, valid until the next
//! call that refreshes the job (`oas_job_update_status`, `oas_job_wait`, the
//! downloads) or `oas_job_free`. Empty fields read as "".

use crate::client::oas_client;
use crate::etag::oas_byte_range;
use crate::result::*;
use crate::{
    cstring_lossy, ffi_call, ffi_guard, try_opt_range, try_opt_str, try_out, try_str, ArcHandle,
    BoxHandle, FfiResult,
};
use oas_sdk::CancelToken;
use oas_sdk::Error;
use oas_sdk::{Job, WaitOptions};
use std::ffi::{c_char, CString};
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
    progress: oas_sdk::ProgressProbe,
    /// The token of the current download, apart from `state` so that a
    /// cancel from another thread does not wait for the download's lock.
    cancel: Mutex<CancelToken>,
}

/// Everything but the cancel token; locked for the length of each call.
pub(crate) struct State {
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

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        crate::lock(&self.state)
    }

    /// A fresh cancel token for a download starting now.
    pub(crate) fn arm(&self) -> CancelToken {
        let t = CancelToken::new();
        *crate::lock(&self.cancel) = t.clone();
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
    pub(crate) fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Job) -> oas_sdk::Result<T>,
    ) -> oas_sdk::Result<T> {
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

pub(crate) fn wait_options(first_ms: u64, max_ms: u64, timeout_ms: u64) -> WaitOptions {
    let mut o = WaitOptions::default();
    if first_ms != 0 {
        o.first_interval = Duration::from_millis(first_ms);
    }
    if max_ms != 0 {
        o.max_interval = Duration::from_millis(max_ms);
    }
    o.timeout = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms));
    o
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
            crate::lock(&j.cancel).cancel();
        }
    })
}

// The downloads: declared last so that the header keeps their items after
// every other job item.
mod download;
pub use download::*;
