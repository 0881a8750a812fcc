//! The C boundary: the only place in the crate with raw pointers, `c_char` and
//! `extern "C"` functions. `include/oas.h` is generated from this module tree
//! (build.rs runs cbindgen starting at this file), so every public item here
//! is part of the C API and documented for C readers.
//!
//! # Writing a new export (how the helpers fit together)
//!
//! ```text
//! /// Doc comment for C: ownership, NULL behaviour, threads, result codes.
//! #[no_mangle]
//! pub unsafe extern "C" fn oas_thing_do(
//!     thing: *mut oas_thing,
//!     name: *const c_char,
//!     count_out: *mut u64,
//! ) -> oas_result {
//!     ffi_call(|| {
//!         let thing = oas_thing::try_mut(thing, "thing")?;   // NULL -> NULL_ARGUMENT
//!         let name = try_str(name, "name")?;                  // bad UTF-8 -> INVALID_UTF8
//!         let count_out = try_out(count_out, "count_out")?;   // checked before any work
//!         let n = thing.inner.do_it(name)?;                   // oas::Error -> its code
//!         *count_out = n;                                     // outputs only on success
//!         Ok(())
//!     })
//! }
//! ```
//!
//! * [`ffi_call`] — the panic boundary for calls returning `oas_result`: runs
//!   the closure, clears the thread's last error first, stores the failure in
//!   the slot (see [`error`]) and returns its code; a panic becomes
//!   `OAS_RESULT_PANIC`.
//! * [`ffi_call_value`] — the same for calls returning a value (a new handle,
//!   a count): on failure or panic it stores the error and returns the given
//!   default (NULL for handles).
//! * [`ffi_guard`] — panic boundary only, for infallible calls that must not
//!   touch the last-error slot (free functions, `oas_error_*` accessors,
//!   `oas_result_str`, versions, pure arithmetic).
//! * Arguments: [`try_str`], [`try_path`], [`try_opt_str`], [`try_slice`], [`try_out`],
//!   [`try_ref`], [`try_mut`], [`try_str_array`] check NULL and UTF-8 and
//!   produce errors naming the argument. [`FfiError`] carries a result code and
//!   an [`oas::Error`](oas_sdk::Error); `?` converts every core error type.
//! * Handles: implement [`BoxHandle`] (one owner, `*mut`, freed by
//!   `oas_<noun>_free`) or [`ArcHandle`] (shared, `*const`, thread-safe,
//!   freed by `oas_<noun>_free` dropping one reference) for the opaque struct.
//!   The opaque struct itself is the Rust type behind the pointer, so cbindgen
//!   emits `typedef struct oas_thing oas_thing;`.
//! * Strings out: [`write_cstr`] copies into a caller buffer with a capacity
//!   (`OAS_RESULT_BUFFER_TOO_SMALL`), [`write_digest`] fills an
//!   `OAS_DIGEST_BUF_LEN` buffer, [`into_owned_cstr`] hands out a heap string
//!   the caller frees with `oas_string_free`, [`cstring_lossy`] builds a
//!   `CString` from text that might hold a NUL.

#![allow(non_camel_case_types)] // C names: oas_etag, oas_result, ...
#![allow(clippy::missing_safety_doc)]
// the safety contract is in each C doc comment
// The one rule for `unsafe` (docs/conventions.md, "Unsafe"): an export is
// `unsafe extern "C"` exactly when it takes a pointer or a callback; inside,
// every raw-pointer use is its own `unsafe` block with a `SAFETY:` note.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod client;
pub mod error;
pub mod etag;
pub mod inventory;
pub mod job;
pub mod log;
pub mod options;
pub mod purge;
pub mod result;
pub mod strings;
pub mod uploader;
pub mod vault;
pub mod vault_jobs;
pub mod version;

use self::result::*;
use oas_sdk::ranges::ByteRange;
use oas_sdk::Error;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A failure crossing the C boundary: the result code to return and the error
/// stored in the last-error slot.
#[derive(Debug)]
pub struct FfiError {
    /// Code returned to C.
    pub code: oas_result,
    /// Details for `oas_last_error()`.
    pub error: Error,
    /// The multipart upload a failed upload call left on the server, for
    /// `oas_error_upload_id`.
    pub upload_id: Option<String>,
}

impl FfiError {
    /// An error with an explicit code (argument checks, buffer sizes).
    pub fn new(code: oas_result, error: Error) -> Self {
        FfiError {
            code,
            error,
            upload_id: None,
        }
    }

    /// `OAS_RESULT_INVALID_ARGUMENT` with a message.
    pub fn invalid(message: impl Into<String>) -> Self {
        FfiError::new(
            OAS_RESULT_INVALID_ARGUMENT,
            Error::InvalidArgument(message.into()),
        )
    }

    /// `OAS_RESULT_NULL_ARGUMENT` naming the argument.
    pub fn null(name: &str) -> Self {
        FfiError::new(
            OAS_RESULT_NULL_ARGUMENT,
            Error::InvalidArgument(format!("`{name}` must not be NULL")),
        )
    }
}

impl From<Error> for FfiError {
    fn from(error: Error) -> Self {
        FfiError::new(result::code_of(&error), error)
    }
}

impl From<oas_sdk::ranges::RangeError> for FfiError {
    fn from(e: oas_sdk::ranges::RangeError) -> Self {
        Error::from(e).into()
    }
}

/// Locks `m`, ignoring poisoning: a panic inside a boundary call is caught
/// and reported, and every value kept behind these locks is written whole, so
/// a poisoned lock still holds consistent data. The one lock helper of the
/// C boundary.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Result type of the closures run by the boundary helpers.
pub type FfiResult<T> = Result<T, FfiError>;

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> FfiError {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    // Dropping a payload can itself panic; leak it rather than unwind into C.
    std::mem::forget(payload);
    FfiError::new(
        OAS_RESULT_PANIC,
        Error::Internal(format!("panic in liboas: {what}")),
    )
}

/// Runs `f` inside the boundary: clears the thread's last error, catches a
/// panic, records a failure in the slot and returns its code.
fn run<T, F>(f: F) -> Result<T, oas_result>
where
    F: FnOnce() -> FfiResult<T>,
{
    if thread_locals_gone() {
        return run_on_helper_thread(f);
    }
    error::clear();
    let outcome = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(panic_error(p)));
    outcome.map_err(|e| {
        let code = e.code;
        // Recording allocates; it must not unwind into C either.
        let _ = catch_unwind(AssertUnwindSafe(|| error::set(e)));
        code
    })
}

/// True when the calling thread's thread-locals have been torn down: in the C
/// destructors, `atexit` handlers and C++ static destructors that run after
/// `main` returned (glibc destroys the main thread's thread-locals before
/// them), or in a late `thread_local` destructor of an exiting thread. The
/// HTTP stack (tokio's context) cannot run there, and neither can the
/// last-error slot. The slot is the first thread-local a call touches, so it
/// is destroyed no earlier than those that calls create after it; tokio is
/// asked too, for a context the host made before its first call.
fn thread_locals_gone() -> bool {
    error::slot_gone() || oas_sdk::thread_context_destroyed()
}

/// Wrapper that lets a boundary closure and its result cross to the helper
/// thread of [`run_on_helper_thread`].
struct OnHelper<T>(T);
// SAFETY: the calling thread blocks in `run_on_helper_thread` until the helper
// has finished with the closure and handed the result back, so the closure's
// captures (C arguments and borrows of them) are used by one thread at a time,
// as when the call runs on the caller's thread. The handles' own thread rules
// (docs of each type) are unchanged by this: the caller is still inside the
// call.
unsafe impl<T> Send for OnHelper<T> {}
impl<T> OnHelper<T> {
    fn into_inner(self) -> T {
        self.0
    }
}

/// [`run`] for a thread whose thread-locals are gone (see
/// [`thread_locals_gone`]): the call runs on a short-lived thread of its own,
/// with fresh thread-locals, and the caller waits for it. So clients may be
/// created and used in destructors after `main` (docs/abi.md). A failure
/// returns its code, but cannot be recorded for `oas_last_error()`, which
/// gives NULL on such a thread.
fn run_on_helper_thread<T, F>(f: F) -> Result<T, oas_result>
where
    F: FnOnce() -> FfiResult<T>,
{
    let job = OnHelper(f);
    let joined = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("liboas-late-call".into())
            .spawn_scoped(s, move || {
                let f = job.into_inner();
                let outcome =
                    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(panic_error(p)));
                OnHelper(outcome.map_err(|e| e.code))
            })
            .map(|handle| handle.join())
    });
    match joined {
        Ok(Ok(outcome)) => outcome.into_inner(),
        // The helper could not start, or panicked outside catch_unwind.
        Ok(Err(_)) | Err(_) => Err(OAS_RESULT_INTERNAL),
    }
}

/// The panic boundary for an export returning `oas_result`. Clears the calling
/// thread's last error, runs `f`, records a failure in the slot and returns
/// its code (`OAS_RESULT_OK` on success, `OAS_RESULT_PANIC` after a panic).
pub fn ffi_call<F>(f: F) -> oas_result
where
    F: FnOnce() -> FfiResult<()>,
{
    run(f).err().unwrap_or(OAS_RESULT_OK)
}

/// The panic boundary for an export returning a value: like [`ffi_call`] but
/// returns `f`'s value, or `default` (typically NULL) after a failure or panic,
/// with the failure in the last-error slot.
pub fn ffi_call_value<T, F>(default: T, f: F) -> T
where
    F: FnOnce() -> FfiResult<T>,
{
    run(f).unwrap_or(default)
}

/// Panic boundary for infallible exports that must leave the last-error slot
/// alone (accessors, free functions, versions): returns `default` on panic.
pub fn ffi_guard<T, F>(default: T, f: F) -> T
where
    F: FnOnce() -> T,
{
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        drop(panic_error(p));
        default
    })
}

/// Borrows a NUL-terminated UTF-8 string argument. NULL is
/// `OAS_RESULT_NULL_ARGUMENT`, invalid UTF-8 `OAS_RESULT_INVALID_UTF8`, both
/// naming the argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string alive for `'a`.
pub unsafe fn try_str<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    // SAFETY: as this function's contract.
    unsafe { try_opt_str(p, name) }?.ok_or_else(|| FfiError::null(name))
}

/// Borrows a file path argument: as [`try_str`], and "" is
/// `OAS_RESULT_INVALID_ARGUMENT` naming the argument (the OS would only say
/// "No such file or directory" about a name the message cannot show).
///
/// # Safety
/// As [`try_str`].
pub unsafe fn try_path<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    // SAFETY: as this function's contract.
    let path = unsafe { try_str(p, name)? };
    if path.is_empty() {
        return Err(FfiError::invalid(format!("`{name}` is an empty path")));
    }
    Ok(path)
}

/// An inclusive byte range argument `start..=end`; an inverted one is
/// `OAS_RESULT_INVALID_ARGUMENT`.
pub fn try_range(start: u64, end: u64) -> FfiResult<ByteRange> {
    ByteRange::new(start, end)
        .ok_or_else(|| FfiError::invalid(format!("range {start}-{end}: end is before start")))
}

/// An optional range argument (`const oas_byte_range *`, NULL = none, i.e. the
/// whole archive or output), checked as [`try_range`].
///
/// # Safety
/// `p` is NULL or points to a valid `oas_byte_range`.
pub unsafe fn try_opt_range(p: *const etag::oas_byte_range) -> FfiResult<Option<ByteRange>> {
    // SAFETY: as this function's contract.
    match unsafe { p.as_ref() } {
        None => Ok(None),
        Some(r) => try_range(r.start, r.end).map(Some),
    }
}

/// A required range argument: NULL is `OAS_RESULT_NULL_ARGUMENT` naming it.
///
/// # Safety
/// As [`try_opt_range`].
pub unsafe fn try_range_arg(p: *const etag::oas_byte_range, name: &str) -> FfiResult<ByteRange> {
    // SAFETY: as this function's contract.
    unsafe { try_opt_range(p) }?.ok_or_else(|| FfiError::null(name))
}

/// Like [`try_str`] but NULL is `None` (for optional arguments).
///
/// # Safety
/// As [`try_str`].
pub unsafe fn try_opt_str<'a>(p: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, so a NUL-terminated string (this function's contract).
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map(Some)
        .map_err(|e| {
            FfiError::new(
                OAS_RESULT_INVALID_UTF8,
                Error::InvalidArgument(format!(
                    "`{name}` is not valid UTF-8 (invalid byte at offset {})",
                    e.valid_up_to()
                )),
            )
        })
}

/// Borrows `len` bytes at `data`; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes alive for `'a`.
pub unsafe fn try_slice<'a, T>(data: *const T, len: usize, name: &str) -> FfiResult<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-NULL with `len` readable elements (this function's contract).
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Borrows an array of `count` NUL-terminated UTF-8 strings (`const char *const *`);
/// the array may be NULL only when `count` is 0; an element that is NULL or not
/// UTF-8 is an error naming `name[i]`.
///
/// # Safety
/// `items` is NULL or points to `count` pointers, each NULL or a valid string.
pub unsafe fn try_str_array<'a>(
    items: *const *const c_char,
    count: usize,
    name: &str,
) -> FfiResult<Vec<&'a str>> {
    // SAFETY: as this function's contract.
    let items = unsafe { try_slice(items, count, name)? };
    items
        .iter()
        .enumerate()
        // SAFETY: each element is NULL or a valid string (this function's contract).
        .map(|(i, p)| unsafe { try_str(*p, &format!("{name}[{i}]")) })
        .collect()
}

/// Borrows a required output pointer (checked before any work is done, so
/// that a NULL output does not waste a long computation).
///
/// # Safety
/// `p` is NULL or valid for writes of one `T` for `'a`.
pub unsafe fn try_out<'a, T>(p: *mut T, name: &str) -> FfiResult<&'a mut T> {
    // SAFETY: as this function's contract.
    unsafe { p.as_mut() }.ok_or_else(|| FfiError::null(name))
}

/// Borrows a required input pointer.
///
/// # Safety
/// `p` is NULL or points to a valid `T` for `'a`.
pub unsafe fn try_ref<'a, T>(p: *const T, name: &str) -> FfiResult<&'a T> {
    // SAFETY: as this function's contract.
    unsafe { p.as_ref() }.ok_or_else(|| FfiError::null(name))
}

/// Borrows a required mutable pointer.
///
/// # Safety
/// `p` is NULL or points to a valid, unaliased `T` for `'a`.
pub unsafe fn try_mut<'a, T>(p: *mut T, name: &str) -> FfiResult<&'a mut T> {
    // SAFETY: as this function's contract.
    unsafe { p.as_mut() }.ok_or_else(|| FfiError::null(name))
}

/// An opaque handle with one owner: created with [`BoxHandle::into_ptr`],
/// destroyed with [`BoxHandle::free_ptr`] (in `oas_<noun>_free`). The C side
/// holds a `*mut`; the type must be used by one thread at a time.
pub trait BoxHandle: Sized {
    /// Moves the value to the heap and hands out the pointer.
    fn into_ptr(self) -> *mut Self {
        Box::into_raw(Box::new(self))
    }

    /// Drops a handle; NULL is a no-op.
    ///
    /// # Safety
    /// `p` is NULL or came from [`BoxHandle::into_ptr`] and is not used again.
    unsafe fn free_ptr(p: *mut Self) {
        if !p.is_null() {
            // SAFETY: from into_ptr and not used again (this function's contract).
            drop(unsafe { Box::from_raw(p) });
        }
    }

    /// Borrows a handle argument (NULL is `OAS_RESULT_NULL_ARGUMENT`).
    ///
    /// # Safety
    /// As [`try_mut`].
    unsafe fn try_mut<'a>(p: *mut Self, name: &str) -> FfiResult<&'a mut Self> {
        // SAFETY: as this function's contract.
        unsafe { try_mut(p, name) }
    }

    /// Borrows a handle argument read-only.
    ///
    /// # Safety
    /// As [`try_ref`].
    unsafe fn try_ref<'a>(p: *const Self, name: &str) -> FfiResult<&'a Self> {
        // SAFETY: as this function's contract.
        unsafe { try_ref(p, name) }
    }
}

/// A shared, thread-safe opaque handle: created with [`ArcHandle::into_ptr`],
/// released with [`ArcHandle::free_ptr`]. C holds a `*const`; functions that
/// need to keep the object beyond the call take a reference with
/// [`ArcHandle::try_arc`].
pub trait ArcHandle: Sized + Send + Sync {
    /// Moves the value into an `Arc` and hands out the pointer.
    fn into_ptr(self) -> *const Self {
        Arc::into_raw(Arc::new(self))
    }

    /// Drops the caller's reference; NULL is a no-op.
    ///
    /// # Safety
    /// `p` is NULL or came from [`ArcHandle::into_ptr`] and the caller's
    /// reference is not used again.
    unsafe fn free_ptr(p: *const Self) {
        if !p.is_null() {
            // SAFETY: from into_ptr; the caller's reference is not used again.
            drop(unsafe { Arc::from_raw(p) });
        }
    }

    /// A new strong reference to the handle (NULL is `OAS_RESULT_NULL_ARGUMENT`).
    ///
    /// # Safety
    /// `p` is NULL or a live pointer from [`ArcHandle::into_ptr`].
    unsafe fn try_arc(p: *const Self, name: &str) -> FfiResult<Arc<Self>> {
        if p.is_null() {
            return Err(FfiError::null(name));
        }
        // SAFETY: a live pointer from into_ptr (this function's contract): one
        // more strong reference, handed to the returned Arc.
        unsafe {
            Arc::increment_strong_count(p);
            Ok(Arc::from_raw(p))
        }
    }

    /// Borrows the handle for the duration of the call.
    ///
    /// # Safety
    /// As [`try_ref`].
    unsafe fn try_ref<'a>(p: *const Self, name: &str) -> FfiResult<&'a Self> {
        // SAFETY: as this function's contract.
        unsafe { try_ref(p, name) }
    }
}

/// A `CString` from text that may contain NUL bytes (replaced by U+FFFD), for
/// messages and headers that come from the network or the OS.
pub fn cstring_lossy(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Copies `s` and a terminating NUL into the caller's buffer of `capacity`
/// bytes. A buffer that is too small gets nothing and the error says how many
/// bytes are needed (`OAS_RESULT_BUFFER_TOO_SMALL`).
///
/// # Safety
/// `out` is NULL or valid for writes of `capacity` bytes.
pub unsafe fn write_cstr(out: *mut c_char, capacity: usize, s: &str, name: &str) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::null(name));
    }
    let bytes = s.as_bytes();
    if bytes.contains(&0) {
        return Err(FfiError::new(
            OAS_RESULT_INTERNAL,
            Error::Internal(format!("string for `{name}` contains a NUL byte")),
        ));
    }
    if bytes.len() >= capacity {
        return Err(FfiError::new(
            OAS_RESULT_BUFFER_TOO_SMALL,
            Error::InvalidArgument(format!(
                "`{name}` holds {capacity} bytes but {} are needed",
                bytes.len() + 1
            )),
        ));
    }
    // SAFETY: `out` holds `capacity > bytes.len()` writable bytes (checked
    // above, and this function's contract).
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.cast::<u8>(), bytes.len());
        *out.add(bytes.len()) = 0;
    }
    Ok(())
}

/// Writes a digest (32 hex characters or empty) into an optional output of
/// `OAS_DIGEST_BUF_LEN` bytes; NULL skips it.
///
/// # Safety
/// `out` is NULL or valid for writes of `OAS_DIGEST_BUF_LEN` bytes.
pub unsafe fn write_digest(out: *mut c_char, hex: &str, name: &str) -> FfiResult<()> {
    if out.is_null() {
        return Ok(());
    }
    // SAFETY: as this function's contract.
    unsafe { write_cstr(out, etag::OAS_DIGEST_BUF_LEN, hex, name) }
}

/// Hands a heap copy of `s` to C; the caller frees it with `oas_string_free`.
pub fn into_owned_cstr(s: &str) -> *mut c_char {
    cstring_lossy(s).into_raw()
}
