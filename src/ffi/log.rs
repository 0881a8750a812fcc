//! The process-wide log callback, wired to the core's sink (`crate::log`).

use super::result::*;
use super::{cstring_lossy, ffi_call, FfiError};
use crate::log::{set_sink, Level, Sink};
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// Failures.
pub const OAS_LOG_ERROR: u32 = 1;
/// Retries and other recovered problems.
pub const OAS_LOG_WARN: u32 = 2;
/// Progress of transfers and jobs.
pub const OAS_LOG_INFO: u32 = 3;
/// One line per HTTP request, target "oas::http": operation, method, path,
/// status, request id, attempt, bytes sent and received, duration.
pub const OAS_LOG_DEBUG: u32 = 4;
/// Wire detail on "oas::http": the URL and request headers (`> name: value`)
/// and the response headers (`< name: value`); never `Authorization`.
pub const OAS_LOG_TRACE: u32 = 5;

/// A log callback: `userdata` as given to `oas_set_log_callback`, the message
/// level (`OAS_LOG_*`), the target (the emitting module, e.g. "oas::digest")
/// and the message. Both strings are borrowed for the duration of the call
/// only. The callback may be called from any thread, including several at
/// once, so it must be thread-safe; it must not unwind (longjmp/throw) through
/// the library. Messages never contain secrets.
pub type oas_log_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: u32,
        target: *const c_char,
        message: *const c_char,
    ),
>;

/// The caller's opaque pointer; the caller promises thread-safety (documented).
struct UserData(*mut c_void);
// SAFETY: the C contract makes the callback and its userdata usable from any
// thread; the library only passes the pointer back.
unsafe impl Send for UserData {}
// SAFETY: as for Send: the library never reads through the pointer.
unsafe impl Sync for UserData {}

impl UserData {
    /// Through a method so closures capture the whole wrapper (which is
    /// Send + Sync), not the raw pointer field.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Installs the process-wide log callback, receiving messages at `level` and
/// more severe (`OAS_LOG_ERROR` = 1 … `OAS_LOG_TRACE` = 5), replacing any
/// previous one. A NULL `callback` turns logging off (`level` and `userdata`
/// are then ignored). May be called at any time from any thread; calls already
/// in progress on other threads may still reach the previous callback, so keep
/// its userdata alive until those threads are done.
///
/// Returns `OAS_RESULT_OK`, or `OAS_RESULT_INVALID_ARGUMENT` for a level
/// outside 1..5 (the previous callback then stays in place).
#[no_mangle]
pub unsafe extern "C" fn oas_set_log_callback(
    callback: oas_log_callback,
    userdata: *mut c_void,
    level: u32,
) -> oas_result {
    ffi_call(|| {
        let Some(cb) = callback else {
            set_sink(None, Level::Error);
            return Ok(());
        };
        // The level arrives from C: convert the integer, never transmute.
        let level = u8::try_from(level)
            .ok()
            .and_then(Level::from_u8)
            .ok_or_else(|| {
                FfiError::invalid(format!(
                    "`level` is {level}; expected 1 (OAS_LOG_ERROR) to 5 (OAS_LOG_TRACE)"
                ))
            })?;
        let userdata = UserData(userdata);
        let sink: Sink = Arc::new(move |level: Level, target: &str, message: &str| {
            let target = cstring_lossy(target);
            let message = cstring_lossy(message);
            // SAFETY: the caller registered a valid callback for this userdata.
            unsafe {
                cb(
                    userdata.get(),
                    level as u32,
                    target.as_ptr(),
                    message.as_ptr(),
                )
            };
        });
        set_sink(Some(sink), level);
        Ok(())
    })
}
