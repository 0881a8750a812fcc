//! The client handle for C: options, creation, and the progress callback type
//! shared by every transfer.

use crate::options::{self, options_fields, Field, OptionsStruct};
use crate::result::*;
use crate::{ffi_call, ffi_guard, try_opt_str, try_out, try_ref, try_str};
use crate::{ArcHandle, FfiResult};
use oas_sdk::ProgressFn;
use oas_sdk::{Client, ClientOptions};
use std::ffi::{c_char, c_int, c_void};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Client configuration, following the options rule of the conventions:
/// fill it with `oas_client_options_init(&o, sizeof o)`, then set what you
/// need. Strings are borrowed for the duration of `oas_client_new` only.
#[repr(C)]
pub struct oas_client_options {
    /// `sizeof` the struct as the caller declared it, set by
    /// `oas_client_options_init`: the library reads only the fields inside it
    /// (an older, smaller struct gets the defaults for the rest) and refuses
    /// non-zero bytes past the fields it knows.
    pub size: u64,
    /// Service URL `http://host[:port]` or `https://host[:port]`. NULL or
    /// `""`: completed from the environment or the credentials file (README,
    /// "Configuration"), as are the next two.
    pub endpoint: *const c_char,
    /// Access key id; NULL or `""` = resolved as `endpoint` says.
    pub access_id: *const c_char,
    /// Access key secret (never logged); NULL or `""` = resolved as
    /// `endpoint` says.
    pub access_key: *const c_char,
    /// Connect timeout in milliseconds (default 10 000).
    pub connect_timeout_ms: u64,
    /// Longest wait for an answer or the next response bytes, in ms (default 100 000).
    pub read_timeout_ms: u64,
    /// First retry delay in ms, doubled per retry, with jitter (default 200).
    pub retry_base_delay_ms: u64,
    /// Upper bound of one retry delay in ms (default 20 000).
    pub retry_max_delay_ms: u64,
    /// Attempts per request including the first (default 5; at least 1).
    pub retry_max_attempts: u32,
    /// Parallel workers per transfer (default 16; 1 to 256). A stream upload
    /// (`oas_vault_upload_fd`, `oas_vault_upload_callback`) uses at most 8 of
    /// them unless its `oas_upload_options.workers` is set: it holds a part
    /// buffer per worker.
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
    /// `User-Agent`, or NULL for the default `liboas/<version>`.
    pub user_agent: *const c_char,
    /// Non-zero (default) verifies the server's TLS certificate.
    pub verify_tls: c_int,
    /// `x-oas-version` value, or NULL for the default `0.2.5` (what the
    /// official SDKs send; the API manual's examples show `2014-01-01`).
    /// Added in 0.2: a struct that ends before it gets the default.
    pub protocol_version: *const c_char,
    /// Default OSS host of `oas_vault_pull_from_oss` / `oas_vault_push_to_oss`
    /// called with an empty `osshost`, or NULL (the credentials file's
    /// `osshost` when that file completed the options).
    pub oss_host: *const c_char,
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

// SAFETY: repr(C), `size` first, integers and pointers only, every field listed.
unsafe impl OptionsStruct for oas_client_options {
    const NAME: &'static str = "oas_client_options";
    const MIN_SIZE: usize =
        std::mem::offset_of!(oas_client_options, access_key) + std::mem::size_of::<*const c_char>();

    fn defaults() -> Self {
        let d = ClientOptions::default();
        oas_client_options {
            size: std::mem::size_of::<oas_client_options>() as u64,
            endpoint: std::ptr::null(),
            access_id: std::ptr::null(),
            access_key: std::ptr::null(),
            connect_timeout_ms: d.connect_timeout.as_millis() as u64,
            read_timeout_ms: d.read_timeout.as_millis() as u64,
            retry_base_delay_ms: d.retry.base_delay.as_millis() as u64,
            retry_max_delay_ms: d.retry.max_delay.as_millis() as u64,
            retry_max_attempts: d.retry.max_attempts,
            workers: d.workers as u32,
            upload_threshold: d.upload_threshold,
            part_size: d.part_size,
            download_range_size: d.download_range_size,
            bandwidth_limit: d.bandwidth_limit,
            proxy: std::ptr::null(),
            ca_file: std::ptr::null(),
            user_agent: std::ptr::null(),
            verify_tls: 1,
            protocol_version: std::ptr::null(),
            oss_host: std::ptr::null(),
        }
    }

    fn fields() -> Vec<Field> {
        options_fields!(oas_client_options; size, endpoint, access_id, access_key,
            connect_timeout_ms, read_timeout_ms, retry_base_delay_ms, retry_max_delay_ms,
            retry_max_attempts, workers, upload_threshold, part_size, download_range_size,
            bandwidth_limit, proxy, ca_file, user_agent, verify_tls, protocol_version, oss_host)
    }
}

/// Fills the caller's `size` bytes at `opts` with the defaults (no endpoint
/// or credentials), zeroes any bytes past the fields this library knows, and
/// sets `opts->size = size`. Call it as
/// `oas_client_options_init(&opts, sizeof opts)`. Any thread.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` for a NULL `opts`;
/// `OAS_RESULT_INVALID_ARGUMENT` when `size` does not cover the first four
/// fields (`size`, `endpoint`, `access_id`, `access_key`) or exceeds 4096
/// (nothing is written then).
#[no_mangle]
pub unsafe extern "C" fn oas_client_options_init(
    opts: *mut oas_client_options,
    size: usize,
) -> oas_result {
    // SAFETY: the caller owns `size` writable bytes at `opts` (C contract).
    ffi_call(|| unsafe { options::init(opts, size, "opts") })
}

/// # Safety
/// `o` holds `o.size` readable bytes (C contract of `oas_client_new`).
unsafe fn options_from_c(o: *const oas_client_options) -> FfiResult<ClientOptions> {
    // SAFETY: as this function's contract.
    let o = unsafe { options::read(o, "opts")? };
    // SAFETY: the strings are NULL or NUL-terminated (C contract).
    // NULL and "" both mean unset: `Client::new` completes them.
    let (endpoint, access_id, access_key) = unsafe {
        (
            try_opt_str(o.endpoint, "opts->endpoint")?.unwrap_or(""),
            try_opt_str(o.access_id, "opts->access_id")?.unwrap_or(""),
            try_opt_str(o.access_key, "opts->access_key")?.unwrap_or(""),
        )
    };
    let mut out = ClientOptions::new(endpoint, access_id, access_key);
    out.connect_timeout = millis(o.connect_timeout_ms);
    out.read_timeout = millis(o.read_timeout_ms);
    out.retry.max_attempts = o.retry_max_attempts;
    out.retry.base_delay = millis(o.retry_base_delay_ms);
    out.retry.max_delay = millis(o.retry_max_delay_ms);
    out.workers = o.workers as usize;
    out.upload_threshold = o.upload_threshold;
    out.part_size = o.part_size;
    out.download_range_size = o.download_range_size;
    out.bandwidth_limit = o.bandwidth_limit;
    // SAFETY: as above, for the optional strings.
    let (proxy, ca_file, user_agent) = unsafe {
        (
            try_opt_str(o.proxy, "opts->proxy")?,
            try_opt_str(o.ca_file, "opts->ca_file")?,
            try_opt_str(o.user_agent, "opts->user_agent")?,
        )
    };
    out.proxy = proxy.map(str::to_string);
    out.ca_file = ca_file.map(PathBuf::from);
    out.verify_tls = o.verify_tls != 0;
    if let Some(ua) = user_agent {
        out.user_agent = ua.to_string();
    }
    // SAFETY: as above.
    let (version, oss_host) = unsafe {
        (
            try_opt_str(o.protocol_version, "opts->protocol_version")?,
            try_opt_str(o.oss_host, "opts->oss_host")?,
        )
    };
    if let Some(v) = version {
        out.protocol_version = v.to_string();
    }
    out.oss_host = oss_host.map(str::to_string);
    Ok(out)
}

/// Creates a client. `opts` must come from `oas_client_options_init`: the
/// fields inside `opts->size` are read, the others take their defaults. On
/// success `*client_out` receives a handle to free with `oas_client_free`.
/// Does not connect. Any thread.
///
/// An endpoint, access id or access key left NULL or `""` is completed, in
/// this order, from environment `OAS_ENDPOINT` (or `OAS_REGION`),
/// `OAS_ACCESS_ID`, `OAS_ACCESS_KEY`; from `ALIBABA_CLOUD_ACCESS_KEY_ID` /
/// `ALIBABA_CLOUD_ACCESS_KEY_SECRET`; from the oascmd credentials file
/// (`$OAS_CREDENTIALS_FILE`, else `~/.oascredentials`). Fields that are set
/// always win.
///
/// Returns `OAS_RESULT_OK`, `OAS_RESULT_NULL_ARGUMENT` (NULL `opts` or
/// `client_out`), `OAS_RESULT_INVALID_UTF8`, `OAS_RESULT_INVALID_ARGUMENT`
/// (a `size` too small or over 4096, a non-zero byte past the fields this
/// library knows, a bad endpoint, workers, attempts, proxy, CA file content,
/// protocol version or user agent, or no source completing the endpoint and
/// credentials: the message names every source tried) or `OAS_RESULT_IO`
/// (unreadable CA file or credentials file).
#[no_mangle]
pub unsafe extern "C" fn oas_client_new(
    opts: *const oas_client_options,
    client_out: *mut *const oas_client,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live options struct / output slot (C contract).
        let o = unsafe { try_ref(opts, "opts")? };
        // SAFETY: as above.
        let out = unsafe { try_out(client_out, "client_out")? };
        // SAFETY: `o` came from a checked non-NULL pointer to the caller's struct.
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
    // SAFETY: NULL or a handle from oas_client_new not used again (C contract).
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
// SAFETY: as for Send; the transfer never makes two calls at once.
unsafe impl Sync for CProgress {}

/// Wraps a C progress callback as a [`ProgressFn`]; a panic-free call whose
/// non-zero return (read as an integer, never transmuted: docs/conventions.md,
/// "Callbacks") means "stop".
pub(crate) fn progress_fn(f: oas_progress_fn, userdata: *mut c_void) -> Option<ProgressFn> {
    let p = CProgress { f: f?, userdata };
    Some(Arc::new(move |done, total| p.call(done, total) == 0))
}

/// The endpoint of an OAS region: `"cn-hangzhou"` gives
/// `http://cn-hangzhou.oas.aliyuncs.com`; `internal` gives the intranet
/// domain `cn-hangzhou.oas-internal.aliyuncs.com`, `https` the `https://`
/// scheme. On success `*endpoint_out` receives a string to free with
/// `oas_string_free`. Any thread.
///
/// Returns `OAS_RESULT_OK`, `OAS_RESULT_NULL_ARGUMENT` (NULL `region` or
/// `endpoint_out`), `OAS_RESULT_INVALID_UTF8` or `OAS_RESULT_INVALID_ARGUMENT`
/// (not a region id: lower-case letters, digits and single inner hyphens).
#[no_mangle]
pub unsafe extern "C" fn oas_region_endpoint(
    region: *const c_char,
    internal: bool,
    https: bool,
    endpoint_out: *mut *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or NUL-terminated (C contract).
        let region = unsafe { try_str(region, "region")? };
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(endpoint_out, "endpoint_out")? };
        let endpoint = oas_sdk::credentials::region_endpoint(region, internal, https)?;
        *out = super::into_owned_cstr(&endpoint);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn options_layout_matches_the_field_list() {
        super::options::check_layout::<super::oas_client_options>();
    }
}
