//! Uploaders for C (the SDK's `Uploader`): one multipart upload.

use crate::client::{oas_progress_fn, progress_fn};
use crate::result::*;
use crate::{cstring_lossy, ffi_call, ffi_guard, into_owned_cstr};
use crate::{try_out, try_path, try_ref, BoxHandle};
use oas_sdk::UploadOptions;
use oas_sdk::Uploader;
use std::ffi::{c_char, c_void, CString};

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

    fn str_at(u: *const oas_uploader, i: usize) -> *const c_char {
        ffi_guard(std::ptr::null(), || match unsafe { u.as_ref() } {
            Some(u) => u.strs[i].as_ptr(),
            None => std::ptr::null(),
        })
    }

    fn num(u: *const oas_uploader, f: impl FnOnce(&Uploader) -> u64) -> u64 {
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
        unsafe { list.as_ref() }
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), |u| u as *const oas_uploader)
    })
}

/// Frees an uploader list and the uploaders borrowed from it. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_list_free(list: *mut oas_uploader_list) {
    ffi_guard((), || unsafe { oas_uploader_list::free_ptr(list) })
}

/// Frees an uploader (not one borrowed from a list); the upload itself stays
/// on the server. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_free(uploader: *mut oas_uploader) {
    ffi_guard((), || unsafe { oas_uploader::free_ptr(uploader) })
}

/// `MultipartUploadId`, borrowed from the handle; NULL for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_id(uploader: *const oas_uploader) -> *const c_char {
    oas_uploader::str_at(uploader, 0)
}

/// `ArchiveDescription`, borrowed from the handle; NULL for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_description(uploader: *const oas_uploader) -> *const c_char {
    oas_uploader::str_at(uploader, 1)
}

/// `CreationDate` (RFC 1123), borrowed from the handle; NULL for a NULL handle.
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

fn with_progress(progress: oas_progress_fn, userdata: *mut c_void) -> UploadOptions {
    UploadOptions {
        progress: progress_fn(progress, userdata),
        cancel: None,
    }
}

/// Uploads every part of the file given to `oas_vault_initiate_uploader` and
/// completes; `*archive_id_out` receives the archive id (free with
/// `oas_string_free`). `progress` may be NULL. Codes: `OAS_RESULT_CANCELLED`
/// (callback or `oas_uploader_stop`; resumable), `OAS_RESULT_UPLOAD_FAILED`,
/// `OAS_RESULT_INVALID_STATE` (a recovered uploader: use
/// `oas_uploader_resume`; the file changed size; or this handle already
/// completed the upload or aborted it with `oas_uploader_cancel`), `OAS_RESULT_IO`,
/// `OAS_RESULT_TRANSPORT`, `OAS_RESULT_SERVER`.
#[no_mangle]
pub unsafe extern "C" fn oas_uploader_start(
    uploader: *const oas_uploader,
    progress: oas_progress_fn,
    userdata: *mut c_void,
    archive_id_out: *mut *mut c_char,
) -> oas_result {
    ffi_call(|| {
        let u = unsafe { try_ref(uploader, "uploader")? };
        let out = unsafe { try_out(archive_id_out, "archive_id_out")? };
        let id = u.uploader.start_with(&with_progress(progress, userdata))?;
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
    progress: oas_progress_fn,
    userdata: *mut c_void,
    archive_id_out: *mut *mut c_char,
) -> oas_result {
    ffi_call(|| {
        let u = unsafe { try_ref(uploader, "uploader")? };
        let path = unsafe { try_path(path, "path")? };
        let out = unsafe { try_out(archive_id_out, "archive_id_out")? };
        let id = u
            .uploader
            .resume_with(path, &with_progress(progress, userdata))?;
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
        Ok(unsafe { try_ref(uploader, "uploader")? }
            .uploader
            .cancel()?)
    })
}
