//! The per-thread last-error slot (libgit2 style) and its accessors.
//!
//! Every call made through `ffi_call`/`ffi_call_value` clears the calling
//! thread's slot on entry and fills it on failure, so `oas_last_error()` is
//! NULL after a successful fallible call. Accessors, free functions, versions
//! and other infallible calls leave the slot alone, so it can be inspected
//! (and the failed handle freed) before the next fallible call.

use super::result::*;
use super::{cstring_lossy, ffi_guard, FfiError};
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};

/// Broad category of a failure, as returned by `oas_error_kind()`, for callers
/// that only need to decide whether to retry, report or fix their input. It is
/// derived from the block of the result code. The categories are plain
/// `uint32_t` constants rather than a C enum because C cannot have a type and
/// the accessor function both named `oas_error_kind`.
pub type oas_error_kind_t = u32;

/// No error (a NULL error pointer or `OAS_RESULT_OK`).
pub const OAS_ERROR_KIND_NONE: oas_error_kind_t = 0;
/// A problem on the caller's side: arguments, local files (I/O), the state of
/// an operation (1xx, 2xx and 6xx codes).
pub const OAS_ERROR_KIND_CLIENT: oas_error_kind_t = 1;
/// The server answered with an error or an unintelligible response (4xx codes).
pub const OAS_ERROR_KIND_SERVER: oas_error_kind_t = 2;
/// No usable answer from the network (3xx codes).
pub const OAS_ERROR_KIND_TRANSPORT: oas_error_kind_t = 3;
/// Data did not match its digest (5xx codes).
pub const OAS_ERROR_KIND_INTEGRITY: oas_error_kind_t = 4;
/// Stopped by the caller (7xx codes).
pub const OAS_ERROR_KIND_CANCELLED: oas_error_kind_t = 5;
/// A bug in the library, including a caught panic (9xx and unknown codes).
pub const OAS_ERROR_KIND_INTERNAL: oas_error_kind_t = 6;

/// Details of a failed call: obtained with `oas_last_error()`, read with the
/// `oas_error_*` accessors. The one `oas_last_error()` returns is owned by
/// the library (never freed by the caller), valid until the thread's next
/// fallible call and private to that thread. To keep it longer, or hand it
/// to another thread, take a copy with `oas_error_dup` and free the copy
/// with `oas_error_free`; a copy never changes, so any thread may read it.
#[derive(Clone)]
pub struct oas_error {
    code: oas_result,
    message: CString,
    http_status: u16,
    server_code: CString,
    server_type: CString,
    server_message: CString,
    request_id: CString,
    upload_id: CString,
    /// Lower-cased header names with their values, sorted by name.
    headers: Vec<(CString, CString)>,
}

impl oas_error {
    fn from_ffi(e: FfiError) -> Self {
        let mut out = oas_error {
            code: e.code,
            message: cstring_lossy(&e.error.to_string()),
            http_status: 0,
            server_code: CString::default(),
            server_type: CString::default(),
            server_message: CString::default(),
            request_id: CString::default(),
            upload_id: cstring_lossy(e.upload_id.as_deref().unwrap_or_default()),
            headers: Vec::new(),
        };
        if let Some(s) = e.error.server() {
            out.http_status = s.status;
            out.server_code = cstring_lossy(&s.code);
            out.server_type = cstring_lossy(&s.error_type);
            out.server_message = cstring_lossy(&s.message);
            out.request_id = cstring_lossy(&s.request_id);
            let mut headers: Vec<(String, &String)> = s
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
            headers.sort();
            out.headers = headers
                .into_iter()
                .map(|(k, v)| (cstring_lossy(&k), cstring_lossy(v)))
                .collect();
        }
        out
    }
}

thread_local! {
    static LAST: RefCell<Option<Box<oas_error>>> = const { RefCell::new(None) };
}

/// Empties the calling thread's slot.
pub(crate) fn clear() {
    // A slot already torn down at thread exit has nothing to clear.
    let _ = LAST.try_with(|l| l.borrow_mut().take());
}

/// Stores a failure in the calling thread's slot.
pub(crate) fn set(e: FfiError) {
    let boxed = Box::new(oas_error::from_ffi(e));
    let _ = LAST.try_with(|l| *l.borrow_mut() = Some(boxed));
}

pub(crate) fn kind_of(code: oas_result) -> oas_error_kind_t {
    match code / 100 {
        _ if code == OAS_RESULT_OK => OAS_ERROR_KIND_NONE,
        1 | 2 | 6 => OAS_ERROR_KIND_CLIENT,
        3 => OAS_ERROR_KIND_TRANSPORT,
        4 => OAS_ERROR_KIND_SERVER,
        5 => OAS_ERROR_KIND_INTEGRITY,
        7 => OAS_ERROR_KIND_CANCELLED,
        _ => OAS_ERROR_KIND_INTERNAL,
    }
}

const EMPTY: &CStr = c"";

/// The calling thread's last failure, or NULL when its last fallible call
/// succeeded (or it made none). Borrowed: valid until the same thread's next
/// fallible `oas_*` call (one returning `oas_result` or creating an object);
/// accessors, `oas_*_free`, `oas_result_str` and the version calls do not
/// change it. Each thread has its own slot. The return code, not this
/// pointer, decides whether a call failed.
#[no_mangle]
pub extern "C" fn oas_last_error() -> *const oas_error {
    ffi_guard(std::ptr::null(), || {
        LAST.try_with(|l| {
            l.borrow()
                .as_deref()
                .map_or(std::ptr::null(), |e| e as *const oas_error)
        })
        .unwrap_or(std::ptr::null())
    })
}

/// # Safety
/// `e` is NULL, a pointer from `oas_last_error()` that is still valid by the
/// rule documented there, or a copy from `oas_error_dup` not yet freed.
unsafe fn with_error<T: Copy>(
    e: *const oas_error,
    default: T,
    f: impl FnOnce(&oas_error) -> T,
) -> T {
    // SAFETY: as this function's contract.
    ffi_guard(default, || match unsafe { e.as_ref() } {
        Some(e) => f(e),
        None => default,
    })
}

/// The result code of the failure (`OAS_RESULT_OK` for NULL).
#[no_mangle]
pub unsafe extern "C" fn oas_error_code(error: *const oas_error) -> oas_result {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { with_error(error, OAS_RESULT_OK, |e| e.code) }
}

/// The category of the failure, one of the `OAS_ERROR_KIND_*` values
/// (`OAS_ERROR_KIND_NONE` for NULL).
#[no_mangle]
pub unsafe extern "C" fn oas_error_kind(error: *const oas_error) -> oas_error_kind_t {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { with_error(error, OAS_ERROR_KIND_NONE, |e| kind_of(e.code)) }
}

/// HTTP status of a server error; 0 for other errors and for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_error_http_status(error: *const oas_error) -> u16 {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { with_error(error, 0, |e| e.http_status) }
}

/// # Safety
/// As `with_error`.
unsafe fn borrowed(
    error: *const oas_error,
    pick: impl FnOnce(&oas_error) -> &CStr,
) -> *const c_char {
    // SAFETY: as this function's contract. The pointer stays valid as long as
    // the error object does.
    unsafe { with_error(error, EMPTY.as_ptr(), |e| pick(e).as_ptr()) }
}

/// Human-readable sentence naming what failed (argument, file, range,
/// operation; for a server error also its status, code, the server's message
/// and request id). Borrowed from the error; "" for NULL. Never contains
/// secrets. For the server's own `message` field alone use
/// `oas_error_server_message`.
#[no_mangle]
pub unsafe extern "C" fn oas_error_message(error: *const oas_error) -> *const c_char {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { borrowed(error, |e| &e.message) }
}

/// The server's error `code` (e.g. "InvalidDigest"); "" when not a server
/// error, when the body was not JSON, or for NULL. Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_server_code(error: *const oas_error) -> *const c_char {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { borrowed(error, |e| &e.server_code) }
}

/// The server's error `type` ("client" or "server"); "" when absent or for
/// NULL. Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_server_type(error: *const oas_error) -> *const c_char {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { borrowed(error, |e| &e.server_type) }
}

/// The `x-oas-request-id` of the failed request; "" when absent or for NULL.
/// Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_request_id(error: *const oas_error) -> *const c_char {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { borrowed(error, |e| &e.request_id) }
}

/// The value of response header `name` (compared case-insensitively) of a
/// server error; "" when absent, when `error` or `name` is NULL, or when
/// `name` is not UTF-8. Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_header(
    error: *const oas_error,
    name: *const c_char,
) -> *const c_char {
    let name = if name.is_null() {
        None
    } else {
        // SAFETY: non-NULL `name` is a NUL-terminated string per the contract.
        Some(unsafe { CStr::from_ptr(name) }.to_bytes())
    };
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe {
        borrowed(error, |e| {
            name.and_then(|name| {
                e.headers
                    .iter()
                    .find(|(k, _)| k.to_bytes().eq_ignore_ascii_case(name))
            })
            .map_or(EMPTY, |(_, v)| v.as_c_str())
        })
    }
}

/// The server's own `message` field of a server error (e.g. "The specified
/// vault does not exist."), or its raw body when that was not JSON; "" for
/// other errors and for NULL. Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_server_message(error: *const oas_error) -> *const c_char {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { borrowed(error, |e| &e.server_message) }
}

/// Number of response headers of a server error (the seed's `headers`
/// dict); 0 for other errors and for NULL. Read them with
/// `oas_error_header_name` / `oas_error_header_value`, index 0 to count - 1,
/// sorted by name.
#[no_mangle]
pub unsafe extern "C" fn oas_error_header_count(error: *const oas_error) -> usize {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { with_error(error, 0, |e| e.headers.len()) }
}

/// The name (lower case) of response header `index` of a server error; ""
/// when `index` is out of range or for NULL. Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_header_name(
    error: *const oas_error,
    index: usize,
) -> *const c_char {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe {
        borrowed(error, |e| {
            e.headers.get(index).map_or(EMPTY, |(k, _)| k.as_c_str())
        })
    }
}

/// The value of response header `index` of a server error; "" when `index`
/// is out of range or for NULL. Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_header_value(
    error: *const oas_error,
    index: usize,
) -> *const c_char {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe {
        borrowed(error, |e| {
            e.headers.get(index).map_or(EMPTY, |(_, v)| v.as_c_str())
        })
    }
}

/// The id of the multipart upload that a failed or cancelled
/// `oas_vault_upload_archive` or `oas_vault_upload_fd` left on the server,
/// to continue with `oas_vault_recover_uploader` + `oas_uploader_resume` (or
/// abort); "" when the call had started none (a single-request upload, a
/// failure before Initiate) and for NULL. Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_upload_id(error: *const oas_error) -> *const c_char {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe { borrowed(error, |e| &e.upload_id) }
}

/// A copy of `error` that the caller owns: it stays valid after later calls
/// and on any thread, and never changes. Free it with `oas_error_free`. NULL
/// for NULL. Does not change the last-error slot.
#[no_mangle]
pub unsafe extern "C" fn oas_error_dup(error: *const oas_error) -> *mut oas_error {
    // SAFETY: the accessor's C contract (see `with_error`).
    unsafe {
        with_error(error, std::ptr::null_mut(), |e| {
            Box::into_raw(Box::new(e.clone()))
        })
    }
}

/// Frees a copy made by `oas_error_dup`. NULL is a no-op. Never pass the
/// pointer `oas_last_error()` returns (the library owns that one).
#[no_mangle]
pub unsafe extern "C" fn oas_error_free(error: *mut oas_error) {
    ffi_guard((), || {
        if !error.is_null() {
            // SAFETY: per the contract `error` came from oas_error_dup's
            // Box::into_raw and is not used again.
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, ServerError};

    unsafe fn s(p: *const c_char) -> String {
        // SAFETY: the accessors return NUL-terminated strings.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    #[test]
    fn a_copy_outlives_the_slot_and_carries_the_upload_id() {
        let mut e = FfiError::from(Error::Cancelled("stopped".into()));
        e.upload_id = Some("UPLOAD1".into());
        let code = super::super::ffi_call(|| Err(e));
        assert_eq!(code, OAS_RESULT_CANCELLED);
        // SAFETY: pointers from oas_last_error / oas_error_dup.
        unsafe {
            let copy = oas_error_dup(oas_last_error());
            assert!(!copy.is_null());
            assert_eq!(super::super::ffi_call(|| Ok(())), OAS_RESULT_OK);
            assert!(oas_last_error().is_null());
            assert_eq!(oas_error_code(copy), OAS_RESULT_CANCELLED);
            assert_eq!(s(oas_error_upload_id(copy)), "UPLOAD1");
            assert!(s(oas_error_message(copy)).contains("stopped"));
            // Another thread may read and free a copy.
            let addr = copy as usize;
            std::thread::spawn(move || {
                let copy = addr as *mut oas_error;
                assert_eq!(s(oas_error_upload_id(copy)), "UPLOAD1");
                oas_error_free(copy);
            })
            .join()
            .unwrap();
        }
    }

    #[test]
    fn server_errors_fill_every_field() {
        let mut server = ServerError {
            status: 404,
            code: "VaultNotFound".into(),
            error_type: "client".into(),
            message: "no such vault".into(),
            request_id: "RID1".into(),
            ..Default::default()
        };
        server
            .headers
            .insert("x-oas-request-id".into(), "RID1".into());
        let code = super::super::ffi_call(|| Err(Error::Server(Box::new(server)).into()));
        assert_eq!(code, OAS_RESULT_NOT_FOUND);
        let e = oas_last_error();
        assert!(!e.is_null());
        // SAFETY: pointers from oas_last_error, valid until the next call.
        unsafe {
            assert_eq!(oas_error_code(e), OAS_RESULT_NOT_FOUND);
            assert_eq!(oas_error_kind(e), OAS_ERROR_KIND_SERVER);
            assert_eq!(oas_error_http_status(e), 404);
            assert_eq!(s(oas_error_server_code(e)), "VaultNotFound");
            assert_eq!(s(oas_error_server_type(e)), "client");
            assert_eq!(s(oas_error_request_id(e)), "RID1");
            assert!(s(oas_error_message(e)).contains("no such vault"));
            assert_eq!(s(oas_error_header(e, c"X-OAS-Request-Id".as_ptr())), "RID1");
            assert_eq!(s(oas_error_header(e, c"missing".as_ptr())), "");
            assert_eq!(s(oas_error_header(e, std::ptr::null())), "");
            assert_eq!(s(oas_error_server_message(e)), "no such vault");
            assert_eq!(oas_error_header_count(e), 1);
            assert_eq!(s(oas_error_header_name(e, 0)), "x-oas-request-id");
            assert_eq!(s(oas_error_header_value(e, 0)), "RID1");
            assert_eq!(s(oas_error_header_name(e, 1)), "");
            assert_eq!(s(oas_error_upload_id(e)), "");
        }
        // A successful fallible call clears the slot.
        assert_eq!(super::super::ffi_call(|| Ok(())), OAS_RESULT_OK);
        assert!(oas_last_error().is_null());
    }

    #[test]
    fn null_error_is_safe_and_panics_are_caught() {
        let null = std::ptr::null();
        // SAFETY: NULL and slot pointers are what the accessors accept.
        unsafe {
            assert_eq!(oas_error_code(null), OAS_RESULT_OK);
            assert_eq!(oas_error_kind(null), OAS_ERROR_KIND_NONE);
            assert_eq!(s(oas_error_message(null)), "");
            assert_eq!(oas_error_header_count(null), 0);
            assert!(oas_error_dup(null).is_null());
            oas_error_free(std::ptr::null_mut());
        }
        let code = super::super::ffi_call(|| panic!("boom"));
        assert_eq!(code, OAS_RESULT_PANIC);
        let e = oas_last_error();
        // SAFETY: as above.
        unsafe {
            assert_eq!(oas_error_kind(e), OAS_ERROR_KIND_INTERNAL);
            assert!(s(oas_error_message(e)).contains("boom"));
        }
    }

    #[test]
    fn kinds_follow_blocks() {
        assert_eq!(kind_of(OAS_RESULT_IO), OAS_ERROR_KIND_CLIENT);
        assert_eq!(kind_of(OAS_RESULT_TIMEOUT), OAS_ERROR_KIND_TRANSPORT);
        assert_eq!(kind_of(OAS_RESULT_PROTOCOL), OAS_ERROR_KIND_SERVER);
        assert_eq!(kind_of(OAS_RESULT_HASH_MISMATCH), OAS_ERROR_KIND_INTEGRITY);
        assert_eq!(kind_of(OAS_RESULT_INVALID_STATE), OAS_ERROR_KIND_CLIENT);
        assert_eq!(kind_of(OAS_RESULT_CANCELLED), OAS_ERROR_KIND_CANCELLED);
        assert_eq!(kind_of(12345), OAS_ERROR_KIND_INTERNAL);
    }
}
