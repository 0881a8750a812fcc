//! The client handle for C: options, creation, and the progress callback type
//! shared by every transfer.

use crate::result::*;
use crate::{ffi_call, ffi_guard, try_opt_str, try_out, try_ref, try_str};
use crate::{ArcHandle, FfiError, FfiResult};
use oas_sdk::ProgressFn;
use oas_sdk::{Client, ClientOptions, RetryPolicy};
use std::ffi::{c_char, c_int, c_void};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Client configuration. Fill it with `oas_client_options_init` (which sets
/// `size` and every default), then change what you need. Strings are borrowed
/// for the duration of `oas_client_new` only.
#[repr(C)]
pub struct oas_client_options {
    /// `sizeof(oas_client_options)`, set by `oas_client_options_init`; lets
    /// later versions grow the struct without breaking older callers.
    pub size: u64,
    /// Service URL `http://host[:port]` or `https://host[:port]` (required).
    pub endpoint: *const c_char,
    /// Access key id (required).
    pub access_id: *const c_char,
    /// Access key secret (required; never logged).
    pub access_key: *const c_char,
    /// Connect timeout in milliseconds (default 10 000).
    pub connect_timeout_ms: u64,
    /// Longest wait for an answer or the next response bytes, in ms (default 100 000).
    pub read_timeout_ms: u64,
    /// Attempts per request including the first (default 5; at least 1).
    pub retry_max_attempts: u32,
    /// First retry delay in ms, doubled per retry, with jitter (default 200).
    pub retry_base_delay_ms: u64,
    /// Upper bound of one retry delay in ms (default 20 000).
    pub retry_max_delay_ms: u64,
    /// Parallel workers per transfer (default 8; 1 to 256).
    pub workers: u32,
    /// Files up to this many bytes are uploaded in one request (default 64 MiB).
    pub upload_threshold: u64,
    /// Multipart part size in bytes; 0 = the SDK rule (64 MiB, needs archives
    /// of at least 64 MiB). Otherwise a multiple of 1 MiB from 1 MiB to 4 GiB.
    pub part_size: u64,
    /// Download range size; 0 = the SDK plan (32 MiB).
    pub download_range_size: u64,
    /// Bandwidth limit per transfer in bytes per second; 0 = none.
    pub bandwidth_limit: u64,
    /// Proxy URL, or NULL for none.
    pub proxy: *const c_char,
    /// Extra PEM CA bundle file to trust, or NULL.
    pub ca_file: *const c_char,
    /// Non-zero (default) verifies the server's TLS certificate.
    pub verify_tls: c_int,
    /// `User-Agent`, or NULL for the default `liboas/<version>`.
    pub user_agent: *const c_char,
}

/// A thread-safe client: credentials, options and one shared connection pool.
/// Share one `const oas_client *` between threads; free with `oas_client_free`.
pub struct oas_client {
    pub(crate) inner: Client,
}

impl ArcHandle for oas_client {}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Fills `opts` with the defaults (no endpoint or credentials) and sets its
/// `size`. NULL is ignored. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oas_client_options_init(opts: *mut oas_client_options) {
    ffi_guard((), || {
        let Some(o) = (unsafe { opts.as_mut() }) else {
            return;
        };
        let d = ClientOptions::default();
        *o = oas_client_options {
            size: std::mem::size_of::<oas_client_options>() as u64,
            endpoint: std::ptr::null(),
            access_id: std::ptr::null(),
            access_key: std::ptr::null(),
            connect_timeout_ms: d.connect_timeout.as_millis() as u64,
            read_timeout_ms: d.read_timeout.as_millis() as u64,
            retry_max_attempts: d.retry.max_attempts,
            retry_base_delay_ms: d.retry.base_delay.as_millis() as u64,
            retry_max_delay_ms: d.retry.max_delay.as_millis() as u64,
            workers: d.workers as u32,
            upload_threshold: d.upload_threshold,
            part_size: d.part_size,
            download_range_size: d.download_range_size,
            bandwidth_limit: d.bandwidth_limit,
            proxy: std::ptr::null(),
            ca_file: std::ptr::null(),
            verify_tls: 1,
            user_agent: std::ptr::null(),
        };
    })
}

unsafe fn options_from_c(o: &oas_client_options) -> FfiResult<ClientOptions> {
    if o.size < std::mem::size_of::<oas_client_options>() as u64 {
        return Err(FfiError::invalid(format!(
            "`opts->size` is {} but this library needs {}: initialise with oas_client_options_init",
            o.size,
            std::mem::size_of::<oas_client_options>()
        )));
    }
    let mut out = ClientOptions::new(
        try_str(o.endpoint, "opts->endpoint")?,
        try_str(o.access_id, "opts->access_id")?,
        try_str(o.access_key, "opts->access_key")?,
    );
    out.connect_timeout = millis(o.connect_timeout_ms);
    out.read_timeout = millis(o.read_timeout_ms);
    out.retry = RetryPolicy {
        max_attempts: o.retry_max_attempts,
        base_delay: millis(o.retry_base_delay_ms),
        max_delay: millis(o.retry_max_delay_ms),
    };
    out.workers = o.workers as usize;
    out.upload_threshold = o.upload_threshold;
    out.part_size = o.part_size;
    out.download_range_size = o.download_range_size;
    out.bandwidth_limit = o.bandwidth_limit;
    out.proxy = try_opt_str(o.proxy, "opts->proxy")?.map(str::to_string);
    out.ca_file = try_opt_str(o.ca_file, "opts->ca_file")?.map(PathBuf::from);
    out.verify_tls = o.verify_tls != 0;
    if let Some(ua) = try_opt_str(o.user_agent, "opts->user_agent")? {
        out.user_agent = ua.to_string();
    }
    Ok(out)
}

/// Creates a client. `opts` must come from `oas_client_options_init`
/// (its `size` is checked). On success `*client_out` receives a handle to
/// free with `oas_client_free`. Does not connect. Any thread.
///
/// Returns `OAS_RESULT_OK`, `OAS_RESULT_NULL_ARGUMENT` (NULL `opts`,
/// `client_out`, endpoint or credentials), `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT` (bad endpoint, workers, attempts, proxy, CA
/// file content) or `OAS_RESULT_IO` (unreadable CA file).
#[no_mangle]
pub unsafe extern "C" fn oas_client_new(
    opts: *const oas_client_options,
    client_out: *mut *const oas_client,
) -> oas_result {
    ffi_call(|| {
        let o = unsafe { try_ref(opts, "opts")? };
        let out = unsafe { try_out(client_out, "client_out")? };
        let options = unsafe { options_from_c(o)? };
        let client = Client::new(options)?;
        *out = oas_client { inner: client }.into_ptr();
        Ok(())
    })
}

/// Releases a client handle. Handles made from it (vaults, uploaders) keep
/// their own reference and stay usable. NULL is a no-op. Any thread.
#[no_mangle]
pub unsafe extern "C" fn oas_client_free(client: *const oas_client) {
    ffi_guard((), || unsafe { oas_client::free_ptr(client) })
}

/// A progress callback: `userdata` as given, bytes done, bytes in total (0
/// when unknown). Called from a worker thread of the transfer, never two
/// calls at once, at least every 1 MiB or 250 ms. A non-zero return stops the
/// transfer, which then fails with `OAS_RESULT_CANCELLED` (a multipart upload
/// stays resumable).
pub type oas_progress_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, done: u64, total: u64) -> c_int>;

/// The C callback and its userdata, moved to worker threads.
struct CProgress {
    f: unsafe extern "C" fn(*mut c_void, u64, u64) -> c_int,
    userdata: *mut c_void,
}

impl CProgress {
    fn call(&self, done: u64, total: u64) -> c_int {
        // SAFETY: a C function pointer given for exactly this use.
        unsafe { (self.f)(self.userdata, done, total) }
    }
}

// SAFETY: the C API documents that the callback runs on worker threads; the
// caller owns the thread-safety of `userdata`.
unsafe impl Send for CProgress {}
unsafe impl Sync for CProgress {}

/// Wraps a C progress callback as a [`ProgressFn`]; a panic-free call whose
/// non-zero return (read as an integer, STYLE rule 3) means "stop".
pub(crate) fn progress_fn(f: oas_progress_fn, userdata: *mut c_void) -> Option<ProgressFn> {
    let p = CProgress { f: f?, userdata };
    Some(Arc::new(move |done, total| p.call(done, total) == 0))
}
