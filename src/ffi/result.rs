//! `oas_result`: the return code of every fallible C call, and its text.
//!
//! Codes live in numbered blocks and are never renumbered or reused; new codes
//! are appended inside their block. `code / 100` gives the block.

use super::ffi_guard;
use crate::Error;
use std::ffi::c_char;

/// Return code of every fallible call. `OAS_RESULT_OK` (0) is success; any
/// other value is a failure described by `oas_last_error()`. Codes are grouped
/// in blocks of 100 (1xx argument, 2xx I/O, 3xx network, 4xx server and not found,
/// 5xx integrity, 6xx operation state, 7xx cancelled, 9xx library bug) and are
/// never renumbered.
pub type oas_result = u32;

/// Success.
pub const OAS_RESULT_OK: oas_result = 0;

/// An argument is invalid (the message names it), e.g. a range past the end
/// of a file or a malformed tree etag.
pub const OAS_RESULT_INVALID_ARGUMENT: oas_result = 100;
/// A required pointer argument is NULL (the message names it).
pub const OAS_RESULT_NULL_ARGUMENT: oas_result = 101;
/// A string argument is not valid UTF-8 (the message names it).
pub const OAS_RESULT_INVALID_UTF8: oas_result = 102;
/// An output buffer is too small; nothing was written (the message, and for
/// some calls an output count, says how much is needed).
pub const OAS_RESULT_BUFFER_TOO_SMALL: oas_result = 103;

/// A local file or descriptor operation failed (missing file, read error,
/// bad descriptor).
pub const OAS_RESULT_IO: oas_result = 200;

/// The request got no HTTP answer (connect, TLS, reset).
pub const OAS_RESULT_TRANSPORT: oas_result = 300;
/// The request got no HTTP answer in time: the connect timeout
/// (`connect_timeout_ms`) or the read timeout (`read_timeout_ms`) ran out,
/// after the retries of the policy. Kind `OAS_ERROR_KIND_TRANSPORT`.
pub const OAS_RESULT_TIMEOUT: oas_result = 301;

/// The server answered with a non-2xx status (see `oas_error_http_status`,
/// `oas_error_server_code`).
pub const OAS_RESULT_SERVER: oas_result = 400;
/// The server's answer could not be understood.
pub const OAS_RESULT_PROTOCOL: oas_result = 401;
/// What the call names does not exist: the server answered HTTP 404 or a
/// `...NotExists` / `...NotFound` code (`VaultNotExists`, `JobNotExists`,
/// `UploadIdNotExists`, ...; `oas_error_http_status` and
/// `oas_error_server_code` give the details), or a lookup by name found
/// nothing (`oas_vault_get_by_name`; no HTTP status then).
pub const OAS_RESULT_NOT_FOUND: oas_result = 402;
/// The account has reached a service quota: the 11th vault of an account in
/// a region (`TooManyVaults`, HTTP 403; the service allows 10).
pub const OAS_RESULT_QUOTA_EXCEEDED: oas_result = 403;

/// Data did not match its content etag or tree etag.
pub const OAS_RESULT_HASH_MISMATCH: oas_result = 500;

/// An upload could not be completed.
pub const OAS_RESULT_UPLOAD_FAILED: oas_result = 600;
/// A download could not be completed.
pub const OAS_RESULT_DOWNLOAD_FAILED: oas_result = 601;
/// The job has not finished yet.
pub const OAS_RESULT_JOB_NOT_READY: oas_result = 602;
/// The job finished without success.
pub const OAS_RESULT_JOB_FAILED: oas_result = 603;
/// A job wait ran out of its own `timeout_ms` (`oas_job_wait`) before the job
/// finished. Transport timeouts are `OAS_RESULT_TIMEOUT`.
pub const OAS_RESULT_WAIT_TIMEOUT: oas_result = 604;
/// An object was used in a state that does not allow the call.
pub const OAS_RESULT_INVALID_STATE: oas_result = 605;

/// The operation was stopped by the caller (progress callback or cancel).
pub const OAS_RESULT_CANCELLED: oas_result = 700;

/// The library panicked (a bug); the call had no effect on outputs.
pub const OAS_RESULT_PANIC: oas_result = 900;
/// Another internal error (a bug).
pub const OAS_RESULT_INTERNAL: oas_result = 901;

/// Maps a core error to its result code.
pub(crate) fn code_of(e: &Error) -> oas_result {
    match e {
        Error::InvalidArgument(_) => OAS_RESULT_INVALID_ARGUMENT,
        Error::Io { .. } => OAS_RESULT_IO,
        // The core reports transport timeouts as Transport text; they stay
        // OAS_RESULT_TRANSPORT until the client layer distinguishes them.
        Error::Transport(_) => OAS_RESULT_TRANSPORT,
        Error::TransportTimeout(_) => OAS_RESULT_TIMEOUT,
        e if e.is_not_found() => OAS_RESULT_NOT_FOUND,
        e if e.is_quota_exceeded() => OAS_RESULT_QUOTA_EXCEEDED,
        Error::Server(_) => OAS_RESULT_SERVER,
        Error::NotFound(_) => OAS_RESULT_NOT_FOUND,
        Error::Protocol(_) => OAS_RESULT_PROTOCOL,
        Error::HashMismatch(_) => OAS_RESULT_HASH_MISMATCH,
        Error::Upload(_) => OAS_RESULT_UPLOAD_FAILED,
        Error::Download(_) => OAS_RESULT_DOWNLOAD_FAILED,
        Error::JobNotReady(_) => OAS_RESULT_JOB_NOT_READY,
        Error::JobFailed(_) => OAS_RESULT_JOB_FAILED,
        Error::Timeout(_) => OAS_RESULT_WAIT_TIMEOUT,
        Error::Cancelled(_) => OAS_RESULT_CANCELLED,
        Error::InvalidState(_) => OAS_RESULT_INVALID_STATE,
        Error::Internal(_) => OAS_RESULT_INTERNAL,
    }
}

fn text(code: oas_result) -> &'static str {
    match code {
        OAS_RESULT_OK => "success\0",
        OAS_RESULT_INVALID_ARGUMENT => "invalid argument\0",
        OAS_RESULT_NULL_ARGUMENT => "NULL argument\0",
        OAS_RESULT_INVALID_UTF8 => "string argument is not valid UTF-8\0",
        OAS_RESULT_BUFFER_TOO_SMALL => "output buffer too small\0",
        OAS_RESULT_IO => "local I/O error\0",
        OAS_RESULT_TRANSPORT => "transport error (no HTTP answer)\0",
        OAS_RESULT_TIMEOUT => "transport timeout\0",
        OAS_RESULT_SERVER => "server returned an error\0",
        OAS_RESULT_PROTOCOL => "unexpected server response\0",
        OAS_RESULT_NOT_FOUND => "not found\0",
        OAS_RESULT_QUOTA_EXCEEDED => "service quota exceeded\0",
        OAS_RESULT_HASH_MISMATCH => "hash mismatch\0",
        OAS_RESULT_UPLOAD_FAILED => "upload failed\0",
        OAS_RESULT_DOWNLOAD_FAILED => "download failed\0",
        OAS_RESULT_JOB_NOT_READY => "job not ready\0",
        OAS_RESULT_JOB_FAILED => "job failed\0",
        OAS_RESULT_WAIT_TIMEOUT => "wait timed out\0",
        OAS_RESULT_INVALID_STATE => "invalid state for this call\0",
        OAS_RESULT_CANCELLED => "cancelled\0",
        OAS_RESULT_PANIC => "internal panic in liboas\0",
        OAS_RESULT_INTERNAL => "internal error in liboas\0",
        _ => "unknown result code\0",
    }
}

/// Static English text for a result code; never NULL, never freed. An unknown
/// code gives "unknown result code". Thread-safe; does not touch
/// `oas_last_error()`.
#[no_mangle]
pub extern "C" fn oas_result_str(result: oas_result) -> *const c_char {
    ffi_guard(text(OAS_RESULT_INTERNAL), || text(result))
        .as_ptr()
        .cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_nul_terminated_and_unknown_is_generic() {
        for code in [
            0, 100, 101, 102, 103, 200, 300, 301, 400, 401, 402, 500, 600, 605, 700, 900, 901,
        ] {
            let t = text(code);
            assert!(t.ends_with('\0') && t.len() > 1, "{code}");
            assert_ne!(t, "unknown result code\0", "{code}");
        }
        assert_eq!(text(42), "unknown result code\0");
    }

    #[test]
    fn errors_map_to_their_block() {
        assert_eq!(
            code_of(&Error::TransportTimeout("x".into())),
            OAS_RESULT_TIMEOUT
        );
        assert_eq!(code_of(&Error::Transport("x".into())), OAS_RESULT_TRANSPORT);
        assert_eq!(
            code_of(&Error::Timeout("x".into())),
            OAS_RESULT_WAIT_TIMEOUT
        );
        assert_eq!(code_of(&Error::Cancelled("x".into())), OAS_RESULT_CANCELLED);
        assert_eq!(code_of(&Error::Server(Box::default())), OAS_RESULT_SERVER);
        let missing = |status, code: &str| {
            Error::Server(Box::new(crate::ServerError {
                status,
                code: code.into(),
                ..Default::default()
            }))
        };
        assert_eq!(
            code_of(&missing(404, "VaultNotExists")),
            OAS_RESULT_NOT_FOUND
        );
        assert_eq!(
            code_of(&missing(400, "ResourceNotFound")),
            OAS_RESULT_NOT_FOUND
        );
        assert_eq!(code_of(&missing(404, "")), OAS_RESULT_NOT_FOUND);
        assert_eq!(code_of(&missing(400, "InvalidArgument")), OAS_RESULT_SERVER);
        assert_eq!(code_of(&Error::NotFound("v".into())), OAS_RESULT_NOT_FOUND);
        let io = Error::io("x", std::io::Error::other("y"));
        assert_eq!(code_of(&io), OAS_RESULT_IO);
    }
}
