//! Downloads of job output for C: `oas_download_options` and the three
//! download calls on an `oas_job` (split from `job.rs`, which holds the
//! handle, its getters and waiting).

use super::{oas_job, wait_options};
use crate::client::{oas_progress_fn, progress_fn};
use crate::etag::oas_byte_range;
use crate::options::{self, options_fields, Field, OptionsStruct};
use crate::result::*;
use crate::{ffi_call, try_path, try_range_arg, BoxHandle, FfiError, FfiResult};
use oas_sdk::download::{Descriptor, DownloadOptions, Target};
use oas_sdk::Job;
use std::ffi::{c_char, c_int, c_void};

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
    if o.range_size % oas_sdk::ranges::MIB != 0 {
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
    let mut out = DownloadOptions::default();
    out.progress = progress_fn(o.progress, o.userdata);
    out.range_size = nonzero(o.range_size);
    out.workers = (o.workers != 0).then_some(o.workers as usize);
    out.bandwidth_limit = nonzero(o.bandwidth_limit);
    out.wait = custom_wait.then(|| {
        wait_options(
            o.wait_first_interval_ms,
            o.wait_max_interval_ms,
            o.wait_timeout_ms,
        )
    });
    Ok(out)
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
    f: impl FnOnce(&mut Job, &DownloadOptions) -> oas_sdk::Result<()>,
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
            return Err(oas_sdk::Error::Cancelled(
                "the write callback stopped the download".into(),
            )
            .into());
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
        // SAFETY: the caller's contract is an open descriptor that stays
        // open during the call; a negative one is rejected by the download.
        let fd = unsafe { Descriptor::from_raw(fd) };
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
