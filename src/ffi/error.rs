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
/// `oas_error_*` accessors. Owned by the library (never freed by the caller)
/// and private to the thread that made the failed call: do not pass it to
/// another thread.
pub struct oas_error {
    code: oas_result,
    message: CString,
    http_status: u16,
    server_code: CString,
    server_type: CString,
    request_id: CString,
    /// Lower-cased header names with their values.
    headers: Vec<(String, CString)>,
}

impl oas_error {
    fn from_ffi(e: FfiError) -> Self {
        let mut out = oas_error {
            code: e.code,
            message: cstring_lossy(&e.error.to_string()),
            http_status: 0,
            server_code: CString::default(),
            server_type: CString::default(),
            request_id: CString::default(),
            headers: Vec::new(),
        };
        if let Some(s) = e.error.server() {
            out.http_status = s.status;
            out.server_code = cstring_lossy(&s.code);
            out.server_type = cstring_lossy(&s.error_type);
            out.request_id = cstring_lossy(&s.request_id);
            out.headers = s
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), cstring_lossy(v)))
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

/// True when the calling thread's slot has been destroyed (its thread-locals
/// are being or have been torn down).
pub(crate) fn slot_gone() -> bool {
    LAST.try_with(|_| ()).is_err()
}

/// Stores a failure in the calling thread's slot.
pub(crate) fn set(e: FfiError) {
    let boxed = Box::new(oas_error::from_ffi(e));
    let _ = LAST.try_with(|l| *l.borrow_mut() = Some(boxed));
}

fn kind_of(code: oas_result) -> oas_error_kind_t {
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

fn with_error<T: Copy>(e: *const oas_error, default: T, f: impl FnOnce(&oas_error) -> T) -> T {
    // SAFETY: the caller passes NULL or a pointer from oas_last_error() that is
    // still valid by the rule documented there.
    ffi_guard(default, || match unsafe { e.as_ref() } {
        Some(e) => f(e),
        None => default,
    })
}

/// The result code of the failure (`OAS_RESULT_OK` for NULL).
#[no_mangle]
pub extern "C" fn oas_error_code(error: *const oas_error) -> oas_result {
    with_error(error, OAS_RESULT_OK, |e| e.code)
}

/// The category of the failure, one of the `OAS_ERROR_KIND_*` values
/// (`OAS_ERROR_KIND_NONE` for NULL).
#[no_mangle]
pub extern "C" fn oas_error_kind(error: *const oas_error) -> oas_error_kind_t {
    with_error(error, OAS_ERROR_KIND_NONE, |e| kind_of(e.code))
}

/// HTTP status of a server error; 0 for other errors and for NULL.
#[no_mangle]
pub extern "C" fn oas_error_http_status(error: *const oas_error) -> u16 {
    with_error(error, 0, |e| e.http_status)
}

fn borrowed(error: *const oas_error, pick: impl FnOnce(&oas_error) -> &CStr) -> *const c_char {
    // The pointer stays valid as long as the error object does.
    with_error(error, EMPTY.as_ptr(), |e| pick(e).as_ptr())
}

/// Human-readable description naming what failed (argument, file, range,
/// operation). Borrowed from the error; "" for NULL. Never contains secrets.
#[no_mangle]
pub extern "C" fn oas_error_message(error: *const oas_error) -> *const c_char {
    borrowed(error, |e| &e.message)
}

/// The server's error `code` (e.g. "InvalidDigest"); "" when not a server
/// error, when the body was not JSON, or for NULL. Borrowed from the error.
#[no_mangle]
pub extern "C" fn oas_error_server_code(error: *const oas_error) -> *const c_char {
    borrowed(error, |e| &e.server_code)
}

/// The server's error `type` ("client" or "server"); "" when absent or for
/// NULL. Borrowed from the error.
#[no_mangle]
pub extern "C" fn oas_error_server_type(error: *const oas_error) -> *const c_char {
    borrowed(error, |e| &e.server_type)
}

/// The `x-oas-request-id` of the failed request; "" when absent or for NULL.
/// Borrowed from the error.
#[no_mangle]
pub extern "C" fn oas_error_request_id(error: *const oas_error) -> *const c_char {
    borrowed(error, |e| &e.request_id)
}

/// The value of response header `name` (compared case-insensitively) of a
/// server error; "" when absent, when `error` or `name` is NULL, or when
/// `name` is not UTF-8. Borrowed from the error.
#[no_mangle]
pub unsafe extern "C" fn oas_error_header(
    error: *const oas_error,
    name: *const c_char,
) -> *const c_char {
    borrowed(error, |e| {
        if name.is_null() {
            return EMPTY;
        }
        // SAFETY: non-NULL `name` is a NUL-terminated string per the contract.
        let Ok(name) = unsafe { CStr::from_ptr(name) }.to_str() else {
            return EMPTY;
        };
        e.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or(EMPTY, |(_, v)| v.as_c_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, ServerError};

    unsafe fn s(p: *const c_char) -> String {
        CStr::from_ptr(p).to_string_lossy().into_owned()
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
        assert_eq!(code, OAS_RESULT_SERVER);
        let e = oas_last_error();
        assert!(!e.is_null());
        unsafe {
            assert_eq!(oas_error_code(e), OAS_RESULT_SERVER);
            assert_eq!(oas_error_kind(e), OAS_ERROR_KIND_SERVER);
            assert_eq!(oas_error_http_status(e), 404);
            assert_eq!(s(oas_error_server_code(e)), "VaultNotFound");
            assert_eq!(s(oas_error_server_type(e)), "client");
            assert_eq!(s(oas_error_request_id(e)), "RID1");
            assert!(s(oas_error_message(e)).contains("no such vault"));
            assert_eq!(s(oas_error_header(e, c"X-OAS-Request-Id".as_ptr())), "RID1");
            assert_eq!(s(oas_error_header(e, c"missing".as_ptr())), "");
            assert_eq!(s(oas_error_header(e, std::ptr::null())), "");
        }
        // A successful fallible call clears the slot.
        assert_eq!(super::super::ffi_call(|| Ok(())), OAS_RESULT_OK);
        assert!(oas_last_error().is_null());
    }

    #[test]
    fn null_error_is_safe_and_panics_are_caught() {
        let null = std::ptr::null();
        assert_eq!(oas_error_code(null), OAS_RESULT_OK);
        assert_eq!(oas_error_kind(null), OAS_ERROR_KIND_NONE);
        assert_eq!(unsafe { s(oas_error_message(null)) }, "");
        let code = super::super::ffi_call(|| panic!("boom"));
        assert_eq!(code, OAS_RESULT_PANIC);
        let e = oas_last_error();
        assert_eq!(oas_error_kind(e), OAS_ERROR_KIND_INTERNAL);
        assert!(unsafe { s(oas_error_message(e)) }.contains("boom"));
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
