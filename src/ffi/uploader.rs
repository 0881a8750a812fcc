//! Uploaders for C (the SDK's `Uploader`): one multipart upload.

use super::client::{oas_progress_fn, progress_fn};
use super::options::{self, options_fields, Field, OptionsStruct};
use super::result::*;
use super::{cstring_lossy, ffi_call, ffi_guard, into_owned_cstr};
use super::{try_out, try_path, try_ref, BoxHandle, FfiResult};
use crate::upload::UploadOptions;
use crate::uploader::Uploader;
use std::ffi::{c_char, c_void, CString};
use std::sync::{Arc, Mutex};

/// Options of one upload (`oas_vault_upload_archive`, `oas_vault_upload_fd`,
/// `oas_vault_initiate_uploader`, `oas_uploader_start`,
/// `oas_uploader_resume`), following the options rule of the conventions:
/// fill with `oas_upload_options_init(&o, sizeof o)`, then set what you need.
/// A 0 or NULL field takes the client's value, so one client serves uploads
/// with different settings. Passing NULL instead of the struct means all
/// defaults. Read during the call only.
#[repr(C)]
pub struct oas_upload_options {
    /// `sizeof` the struct as the caller declared it (see `oas_client_options`).
    pub size: u64,
    /// Part size of a multipart upload the call starts (a multiple of 1 MiB
    /// from 1 MiB to 4 GiB); 0 = the client's `part_size`. Ignored by
    /// `oas_uploader_start`/`_resume`: the upload already has its part size.
    pub part_size: u64,
    /// Files up to this many bytes go in one request; 0 = the client's
    /// `upload_threshold`.
    pub upload_threshold: u64,
    /// Bytes per second for this transfer; 0 = the client's `bandwidth_limit`.
    pub bandwidth_limit: u64,
    /// Parts sent in parallel (1 to 256); 0 = the client's `workers`.
    pub workers: u32,
    /// Progress callback (see `oas_progress_fn`), or NULL.
    pub progress: oas_progress_fn,
    /// Passed to `progress` unchanged; never read by the library.
    pub userdata: *mut c_void,
}

// SAFETY: repr(C), `size` first, integers, pointers and an optional function
// pointer only, every field listed.
unsafe impl OptionsStruct for oas_upload_options {
    const NAME: &'static str = "oas_upload_options";
    const MIN_SIZE: usize = std::mem::size_of::<u64>();

    fn defaults() -> Self {
        oas_upload_options {
            size: std::mem::size_of::<oas_upload_options>() as u64,
            part_size: 0,
            upload_threshold: 0,
            bandwidth_limit: 0,
            workers: 0,
            progress: None,
            userdata: std::ptr::null_mut(),
        }
    }

    fn fields() -> Vec<Field> {
        options_fields!(oas_upload_options; size, part_size, upload_threshold, bandwidth_limit,
            workers, progress, userdata)
    }
}

/// Fills the caller's `size` bytes at `opts` with the defaults (every field 0
/// or NULL: the client's values, no callback) and sets `opts->size = size`.
/// Call it as `oas_upload_options_init(&opts, sizeof opts)`. Any thread.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` for a NULL `opts`;
/// `OAS_RESULT_INVALID_ARGUMENT` when `size` is below 8 or above 4096.
#[no_mangle]
pub unsafe extern "C" fn oas_upload_options_init(
    opts: *mut oas_upload_options,
    size: usize,
) -> oas_result {
    // SAFETY: the caller owns `size` writable bytes at `opts` (C contract).
    ffi_call(|| unsafe { options::init(opts, size, "opts") })
}

/// The core options of one upload from the C struct (NULL = defaults), and
/// the slot that receives the id of a multipart upload the call starts.
pub(crate) struct CUpload {
    pub options: UploadOptions,
    pub upload_id: Arc<Mutex<Option<String>>>,
}

/// Reads `opts` (NULL = defaults) into the core's [`UploadOptions`].
///
/// # Safety
/// `opts` is NULL or holds `opts->size` readable bytes.
pub(crate) unsafe fn upload_options(opts: *const oas_upload_options) -> FfiResult<CUpload> {
    // SAFETY: as this function's contract.
    let o = unsafe { options::read_opt(opts, "opts")? };
    let nonzero = |v: u64| (v != 0).then_some(v);
    let upload_id = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&upload_id);
    let options = UploadOptions {
        progress: progress_fn(o.progress, o.userdata),
        cancel: None,
        part_size: nonzero(o.part_size),
        upload_threshold: nonzero(o.upload_threshold),
        workers: (o.workers != 0).then_some(o.workers as usize),
        bandwidth_limit: nonzero(o.bandwidth_limit),
        on_upload_id: Some(Arc::new(move |id: &str| {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(id.to_string());
        })),
    };
    if let Some(w) = options.workers {
        if !(1..=256).contains(&w) {
            return Err(super::FfiError::invalid(format!(
                "`opts->workers` is {w}; expected 0 (the client's) or 1 to 256"
            )));
        }
    }
    Ok(CUpload { options, upload_id })
}

impl CUpload {
    /// Runs an upload; a failure carries the id of the multipart upload it
    /// left on the server (`oas_error_upload_id`).
    pub fn run(
        &self,
        f: impl FnOnce(&UploadOptions) -> crate::Result<String>,
    ) -> FfiResult<String> {
        f(&self.options).map_err(|e| {
            let mut e = super::FfiError::from(e);
            e.upload_id = self
                .upload_id
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            e
        })
    }
}

/// One multipart upload. `oas_uploader_start`/`oas_uploader_resume` run on one
/// thread at a time; while they run, any thread may call the getters
/// (`oas_uploader_size_completed` is live) and `oas_uploader_stop`. Free with
/// `oas_uploader_free` (except uploaders borrowed from a list).
pub struct oas_uploader {
    uploader: Uploader,
    strs: [CString; 3],
}

impl BoxHandle for oas_uploader {}

impl oas_uploader {
    pub(crate) fn new(uploader: Uploader) -> oas_uploader {
        let strs = [
            cstring_lossy(uploader.id()),
            cstring_lossy(uploader.description()),
            cstring_lossy(uploader.creation_date()),
        ];
        oas_uploader { uploader, strs }
    }

    /// A string getter: borrowed from the handle, "" for NULL (the one NULL
    /// rule for getters).
    fn str_at(u: *const oas_uploader, i: usize) -> *const c_char {
        // SAFETY: NULL or a live uploader (C contract of every getter).
        ffi_guard(c"".as_ptr(), || match unsafe { u.as_ref() } {
            Some(u) => u.strs[i].as_ptr(),
            None => c"".as_ptr(),
        })
    }

    fn num(u: *const oas_uploader, f: impl FnOnce(&Uploader) -> u64) -> u64 {
        // SAFETY: NULL or a live uploader (C contract of every getter).
        ffi_guard(0, || unsafe { u.as_ref() }.map_or(0, |u| f(&u.uploader)))
    }
}

/// A list of uploaders from `oas_vault_list_all_multipart_uploads`. Free with
/// `oas_uploader_list_free`.
pub struct oas_uploader_list {
    items: Vec<oas_uploader>,
}

impl BoxHandle for oas_uploader_list {}

impl oas_uploader_list {
    pub(crate) fn new(items: Vec<Uploader>) -> oas_uploader_list {
        oas_uploader_list {
            items: items.into_iter().map(oas_uploader::new).collect(),
        }
    }
}

/// Number of uploaders in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_list_len(list: *const oas_uploader_list) -> usize {
    // SAFETY: NULL or a live list (C contract).
    ffi_guard(0, || unsafe { list.as_ref() }.map_or(0, |l| l.items.len()))
}

/// The uploader at `index`, borrowed from the list (valid until
/// `oas_uploader_list_free`; never free it); NULL when out of range.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_list_get(
    list: *const oas_uploader_list,
    index: usize,
) -> *const oas_uploader {
    ffi_guard(std::ptr::null(), || {
        // SAFETY: NULL or a live list (C contract).
        unsafe { list.as_ref() }
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), |u| u as *const oas_uploader)
    })
}

/// Frees an uploader list and the uploaders borrowed from it. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_list_free(list: *mut oas_uploader_list) {
    // SAFETY: NULL or a list from oas_vault_list_all_multipart_uploads not used again.
    ffi_guard((), || unsafe { oas_uploader_list::free_ptr(list) })
}

/// Frees an uploader (not one borrowed from a list); the upload itself stays
/// on the server. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_free(uploader: *mut oas_uploader) {
    // SAFETY: NULL or an owned uploader not used again (C contract).
    ffi_guard((), || unsafe { oas_uploader::free_ptr(uploader) })
}

/// `MultipartUploadId`, borrowed from the handle; "" for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_id(uploader: *const oas_uploader) -> *const c_char {
    oas_uploader::str_at(uploader, 0)
}

/// `ArchiveDescription`, borrowed from the handle; "" for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_description(uploader: *const oas_uploader) -> *const c_char {
    oas_uploader::str_at(uploader, 1)
}

/// `CreationDate` (RFC 1123), borrowed from the handle; "" for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_creation_date(
    uploader: *const oas_uploader,
) -> *const c_char {
    oas_uploader::str_at(uploader, 2)
}

/// `PartSizeInBytes`; 0 for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_part_size(uploader: *const oas_uploader) -> u64 {
    oas_uploader::num(uploader, Uploader::part_size)
}

/// Archive size in bytes once a file is known (initiated from a file, or
/// after `oas_uploader_resume`), else 0.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_size_total(uploader: *const oas_uploader) -> u64 {
    oas_uploader::num(uploader, Uploader::size_total)
}

/// Bytes uploaded so far (the SDK's `size_completed`), live while
/// `oas_uploader_start`/`oas_uploader_resume` runs; any thread.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_size_completed(uploader: *const oas_uploader) -> u64 {
    oas_uploader::num(uploader, Uploader::size_completed)
}

/// Uploads every part of the file given to `oas_vault_initiate_uploader` and
/// completes; `*archive_id_out` receives the archive id (free with
/// `oas_string_free`). `opts` may be NULL (defaults; its `part_size` and
/// `upload_threshold` do not apply here). Codes: `OAS_RESULT_CANCELLED`
/// (callback or `oas_uploader_stop`; resumable), `OAS_RESULT_UPLOAD_FAILED`,
/// `OAS_RESULT_INVALID_STATE` (a recovered uploader: use
/// `oas_uploader_resume`; the file changed size; or this handle already
/// completed the upload or aborted it with `oas_uploader_cancel`), `OAS_RESULT_IO`,
/// `OAS_RESULT_TRANSPORT`, `OAS_RESULT_SERVER`.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_start(
    uploader: *const oas_uploader,
    opts: *const oas_upload_options,
    archive_id_out: *mut *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live uploader (C contract).
        let u = unsafe { try_ref(uploader, "uploader")? };
        // SAFETY: NULL or an initialised options struct (C contract).
        let o = unsafe { upload_options(opts)? };
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(archive_id_out, "archive_id_out")? };
        let id = o.run(|o| u.uploader.start_with(o))?;
        *out = into_owned_cstr(&id);
        Ok(())
    })
}

/// Continues the upload from the file at `path`: the parts the server holds
/// are checked against the file (content and tree etag; a difference is
/// `OAS_RESULT_HASH_MISMATCH` naming the range), the rest are sent, and the
/// upload is completed. Output and other codes as for `oas_uploader_start`.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_resume(
    uploader: *const oas_uploader,
    path: *const c_char,
    opts: *const oas_upload_options,
    archive_id_out: *mut *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live uploader (C contract).
        let u = unsafe { try_ref(uploader, "uploader")? };
        // SAFETY: NULL or a NUL-terminated string (C contract).
        let path = unsafe { try_path(path, "path")? };
        // SAFETY: NULL or an initialised options struct (C contract).
        let o = unsafe { upload_options(opts)? };
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(archive_id_out, "archive_id_out")? };
        let id = o.run(|o| u.uploader.resume_with(path, o))?;
        *out = into_owned_cstr(&id);
        Ok(())
    })
}

/// Asks a running `oas_uploader_start`/`oas_uploader_resume` to stop (it then
/// returns `OAS_RESULT_CANCELLED` within about a second; the upload stays
/// resumable). Any thread; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_stop(uploader: *const oas_uploader) {
    ffi_guard((), || {
        // SAFETY: NULL or a live uploader; only shared references are made.
        if let Some(u) = unsafe { uploader.as_ref() } {
            u.uploader.cancel_token().cancel();
        }
    })
}

/// Aborts the upload on the server (the SDK's `cancel`), stopping a running
/// transfer first; may be called from the progress callback. The upload id is
/// unusable afterwards: `oas_uploader_start`, `oas_uploader_resume` and
/// `oas_uploader_cancel` on this handle then fail with
/// `OAS_RESULT_INVALID_STATE` without a request. Other codes:
/// `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_TRANSPORT`, `OAS_RESULT_SERVER`.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_cancel(uploader: *const oas_uploader) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live uploader (C contract).
        Ok(unsafe { try_ref(uploader, "uploader")? }
            .uploader
            .cancel()?)
    })
}
