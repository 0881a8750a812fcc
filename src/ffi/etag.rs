//! Digests (content etag, tree etag) and range helpers for C.
//!
//! Mirrors the Python SDK's `oas.ease.utils` (see README.md for the mapping).
//! Digest outputs are caller buffers of at least `OAS_DIGEST_BUF_LEN` bytes
//! receiving NUL-terminated upper-case hex; either may be NULL to skip it.

use super::result::*;
use super::{ffi_call, ffi_call_value, ffi_guard};
use super::{try_out, try_path, try_slice, try_str_array, write_cstr, write_digest};
use super::{BoxHandle, FfiError, FfiResult};
use crate::digest::{self, Digests, Hasher, Want};
use crate::ranges;
use crate::{oas_debug, Error};
use std::ffi::{c_char, c_int};
use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;

/// Bytes needed for a digest output: 32 hex characters and a NUL.
pub const OAS_DIGEST_BUF_LEN: usize = 33;

/// `size` value meaning "from `offset` to the end of the file".
pub const OAS_SIZE_TO_END: u64 = u64::MAX;

/// An inclusive byte range `start..=end`, as in the SDK's `calc_ranges`.
/// (Layout fixed by the public digest API; it is only ever written by the
/// library into caller arrays.)
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct oas_byte_range {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
}

/// A streaming digest computation (both etags from one pass). Create with
/// `oas_etag_new`, feed with `oas_etag_update`, read with `oas_etag_finish`,
/// free with `oas_etag_free`. Use from one thread at a time (it may be moved
/// between threads); large updates use the library's worker threads inside.
pub struct oas_etag {
    hasher: Hasher,
}

impl BoxHandle for oas_etag {}

/// Writes the requested digests; called only once everything succeeded.
///
/// # Safety
/// Each output is NULL or valid for `OAS_DIGEST_BUF_LEN` bytes.
unsafe fn write_digests(
    d: &Digests,
    etag_out: *mut c_char,
    tree_out: *mut c_char,
) -> FfiResult<()> {
    // SAFETY: as this function's contract.
    unsafe {
        write_digest(etag_out, &d.etag, "etag_out")?;
        write_digest(tree_out, &d.tree_etag, "tree_etag_out")
    }
}

fn want(etag_out: *mut c_char, tree_out: *mut c_char) -> Want {
    // Computing only what is asked for halves the work for one digest.
    match (etag_out.is_null(), tree_out.is_null()) {
        (false, true) => Want::Etag,
        (true, false) => Want::Tree,
        _ => Want::Both,
    }
}

/// A new streaming hasher with no data. Free it with `oas_etag_free`. Returns
/// NULL only if allocation fails (then `oas_last_error()` says why).
#[no_mangle]
pub extern "C" fn oas_etag_new() -> *mut oas_etag {
    ffi_call_value(std::ptr::null_mut(), || {
        Ok(oas_etag {
            hasher: Hasher::new(),
        }
        .into_ptr())
    })
}

/// Feeds `len` bytes at `data` (chunks of any size, in order). `data` may be
/// NULL only when `len` is 0. Returns `OAS_RESULT_OK`, or
/// `OAS_RESULT_NULL_ARGUMENT` for a NULL `etag` or NULL `data` with `len > 0`.
#[no_mangle]
pub unsafe extern "C" fn oas_etag_update(
    etag: *mut oas_etag,
    data: *const u8,
    len: usize,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live hasher used by one thread (C contract).
        let etag = unsafe { oas_etag::try_mut(etag, "etag")? };
        // SAFETY: NULL or `len` readable bytes (C contract).
        let data = unsafe { try_slice(data, len, "data")? };
        etag.hasher.update(data);
        Ok(())
    })
}

/// Writes the content etag of everything fed so far to `etag_out` and its tree
/// etag to `tree_etag_out` (each NULL to skip, else at least
/// `OAS_DIGEST_BUF_LEN` bytes; the tree etag of no data is ""), then resets
/// the hasher to empty so it can be reused. Returns `OAS_RESULT_OK` or
/// `OAS_RESULT_NULL_ARGUMENT` for a NULL `etag`.
#[no_mangle]
pub unsafe extern "C" fn oas_etag_finish(
    etag: *mut oas_etag,
    etag_out: *mut c_char,
    tree_etag_out: *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live hasher used by one thread (C contract).
        let etag = unsafe { oas_etag::try_mut(etag, "etag")? };
        let digests = std::mem::take(&mut etag.hasher).finish();
        // SAFETY: outputs NULL or OAS_DIGEST_BUF_LEN bytes (C contract).
        unsafe { write_digests(&digests, etag_out, tree_etag_out) }
    })
}

/// Frees a hasher from `oas_etag_new`; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_etag_free(etag: *mut oas_etag) {
    // SAFETY: NULL or a hasher from oas_etag_new not used again (C contract).
    ffi_guard((), || unsafe { oas_etag::free_ptr(etag) })
}

/// Both digests of a buffer (`data` may be NULL only when `len` is 0). Outputs
/// as for `oas_etag_finish`. Thread-safe. Returns `OAS_RESULT_OK` or
/// `OAS_RESULT_NULL_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn oas_etag_compute_buffer(
    data: *const u8,
    len: usize,
    etag_out: *mut c_char,
    tree_etag_out: *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or `len` readable bytes (C contract).
        let data = unsafe { try_slice(data, len, "data")? };
        let digests = match want(etag_out, tree_etag_out) {
            Want::Tree => Digests {
                etag: String::new(),
                tree_etag: digest::tree_etag(data),
            },
            Want::Etag => Digests {
                etag: digest::content_etag(data),
                tree_etag: String::new(),
            },
            Want::Both => digest::compute(data),
        };
        // SAFETY: outputs NULL or OAS_DIGEST_BUF_LEN bytes (C contract).
        unsafe { write_digests(&digests, etag_out, tree_etag_out) }
    })
}

fn range_size_arg(size: u64) -> Option<u64> {
    (size != OAS_SIZE_TO_END).then_some(size)
}

/// Hashes a range of an open file and maps errors with the file named.
fn digest_file(
    file: &File,
    what: &str,
    offset: u64,
    size: u64,
    etag_out: *mut c_char,
    tree_out: *mut c_char,
) -> FfiResult<Digests> {
    // Positional reads and the size check need a regular file; pipes, sockets
    // and directories would fail later with a less useful message.
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("inspecting {what}"), e))?;
    if !meta.is_file() {
        return Err(FfiError::invalid(format!("{what} is not a regular file")));
    }
    oas_debug!(
        "oas::digest",
        "hashing {what} from offset {offset}, size {size}"
    );
    digest::digest_file_range(file, offset, range_size_arg(size), want(etag_out, tree_out)).map_err(
        |e| match e {
            digest::FileDigestError::PastEnd { .. } => FfiError::invalid(format!("{what}: {e}")),
            digest::FileDigestError::Io(source) => {
                Error::io(format!("reading {what}"), source).into()
            }
        },
    )
}

/// Digests of `size` bytes of the file at `path` starting at `offset`
/// (`size == OAS_SIZE_TO_END` means to the end of the file). Reads the file
/// once for both digests. Outputs as for `oas_etag_finish`. Thread-safe.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` (NULL `path`),
/// `OAS_RESULT_INVALID_UTF8` (`path` not UTF-8), `OAS_RESULT_IO` (cannot open
/// or read), `OAS_RESULT_INVALID_ARGUMENT` (range past the end of the file,
/// an empty path, or a path that is not a regular file, such as a directory).
#[no_mangle]
pub unsafe extern "C" fn oas_etag_compute_file(
    path: *const c_char,
    offset: u64,
    size: u64,
    etag_out: *mut c_char,
    tree_etag_out: *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a NUL-terminated string (C contract).
        let path = unsafe { try_path(path, "path")? };
        let file = File::open(path).map_err(|e| Error::io(format!("opening {path:?}"), e))?;
        let digests = digest_file(
            &file,
            &format!("{path:?}"),
            offset,
            size,
            etag_out,
            tree_etag_out,
        )?;
        // SAFETY: outputs NULL or OAS_DIGEST_BUF_LEN bytes (C contract).
        unsafe { write_digests(&digests, etag_out, tree_etag_out) }
    })
}

/// Like `oas_etag_compute_file` on an open descriptor of a regular file. Uses
/// positional reads (`pread`), so the descriptor's file position is not moved;
/// the descriptor stays open and owned by the caller. Thread-safe.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_INVALID_ARGUMENT` (negative `fd`, a
/// range past the end of the file, or a descriptor that is not a regular file,
/// such as a pipe or socket); `OAS_RESULT_IO` (closed or unreadable descriptor).
#[no_mangle]
pub unsafe extern "C" fn oas_etag_compute_fd(
    fd: c_int,
    offset: u64,
    size: u64,
    etag_out: *mut c_char,
    tree_etag_out: *mut c_char,
) -> oas_result {
    ffi_call(|| {
        if fd < 0 {
            return Err(FfiError::invalid(format!(
                "`fd` is {fd}; expected an open descriptor"
            )));
        }
        // A closed descriptor must be reported, not wrapped: Rust's I/O safety
        // rules allow a File only over an open descriptor.
        // SAFETY: F_GETFD only reads the descriptor table; any int is allowed.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            let e = std::io::Error::last_os_error();
            return Err(Error::io(format!("using descriptor {fd}"), e).into());
        }
        // Borrow the caller's descriptor: ManuallyDrop keeps it open, even if
        // hashing unwinds.
        // SAFETY: `fd` is open (checked above) and stays the caller's.
        let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
        let digests = digest_file(
            &file,
            &format!("descriptor {fd}"),
            offset,
            size,
            etag_out,
            tree_etag_out,
        )?;
        // SAFETY: outputs NULL or OAS_DIGEST_BUF_LEN bytes (C contract).
        unsafe { write_digests(&digests, etag_out, tree_etag_out) }
    })
}

/// Combines the tree etags of consecutive parts (ascending range order) into
/// the tree etag of the whole (spec §3.3), written to `tree_etag_out` (at least
/// `OAS_DIGEST_BUF_LEN` bytes; "" when `count` is 0). Each element is 32 hex
/// digits in either case. `tree_etags` may be NULL only when `count` is 0.
/// Thread-safe.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` (NULL array, element or
/// output), `OAS_RESULT_INVALID_UTF8`, `OAS_RESULT_INVALID_ARGUMENT` (an
/// element that is not 32 hex digits; the message gives its index).
#[no_mangle]
pub unsafe extern "C" fn oas_tree_etag_combine(
    tree_etags: *const *const c_char,
    count: usize,
    tree_etag_out: *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or OAS_DIGEST_BUF_LEN writable bytes (C contract).
        let out = unsafe { try_out(tree_etag_out, "tree_etag_out")? };
        // SAFETY: NULL or `count` pointers to NUL-terminated strings (C contract).
        let etags = unsafe { try_str_array(tree_etags, count, "tree_etags")? };
        let combined =
            digest::combine_tree_etags(&etags).map_err(|e| FfiError::invalid(e.to_string()))?;
        // SAFETY: `out` holds OAS_DIGEST_BUF_LEN bytes (C contract).
        unsafe { write_cstr(out, OAS_DIGEST_BUF_LEN, &combined, "tree_etag_out") }
    })
}

/// Number of bytes in the inclusive range `start..=end`; 0 when `end < start`;
/// `UINT64_MAX` for `0..=UINT64_MAX`, whose 2^64 bytes do not fit.
/// Thread-safe; does not touch `oas_last_error()`.
#[no_mangle]
pub extern "C" fn oas_range_size(start: u64, end: u64) -> u64 {
    ffi_guard(0, || ranges::range_size(start, end))
}

/// Number of parts of `part_size` bytes needed for `total` bytes, written to
/// `count_out`. Returns `OAS_RESULT_OK`, `OAS_RESULT_NULL_ARGUMENT` or
/// `OAS_RESULT_INVALID_ARGUMENT` (`part_size` 0). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn oas_calc_num_part(
    part_size: u64,
    total: u64,
    count_out: *mut u64,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a writable slot (C contract).
        let count_out = unsafe { try_out(count_out, "count_out")? };
        *count_out = ranges::calc_num_part(part_size, total)?;
        Ok(())
    })
}

/// Splits `total` bytes into consecutive inclusive ranges of `part_size` bytes
/// (the last may be shorter; none for `total` 0). With `capacity` at least the
/// number of ranges, writes them to `ranges_out` and their number to
/// `count_out`. With a smaller `capacity` (including 0 with a NULL
/// `ranges_out`, to ask for the size) writes no range, sets `count_out` to the
/// number needed and returns `OAS_RESULT_BUFFER_TOO_SMALL`. Thread-safe.
///
/// Returns `OAS_RESULT_OK`, `OAS_RESULT_BUFFER_TOO_SMALL`,
/// `OAS_RESULT_NULL_ARGUMENT` (NULL `count_out`, or NULL `ranges_out` with a
/// non-zero `capacity`), `OAS_RESULT_INVALID_ARGUMENT` (`part_size` 0).
#[no_mangle]
pub unsafe extern "C" fn oas_calc_ranges(
    part_size: u64,
    total: u64,
    ranges_out: *mut oas_byte_range,
    capacity: usize,
    count_out: *mut usize,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a writable slot (C contract).
        let count_out = unsafe { try_out(count_out, "count_out")? };
        if capacity > 0 && ranges_out.is_null() {
            return Err(FfiError::null("ranges_out"));
        }
        let iter = ranges::iter_ranges(part_size, total)?;
        let needed = iter.len();
        if needed > capacity {
            // The size query is the one output of this failure (documented).
            *count_out = needed;
            return Err(FfiError::new(
                OAS_RESULT_BUFFER_TOO_SMALL,
                Error::InvalidArgument(format!(
                    "`ranges_out` holds {capacity} ranges but {needed} are needed \
                     (part size {part_size}, total {total})"
                )),
            ));
        }
        // SAFETY: `ranges_out` holds `capacity >= needed` ranges, non-NULL
        // when `capacity > 0` (checked above).
        let out = unsafe { try_mut_slice(ranges_out, needed) };
        for (slot, r) in out.iter_mut().zip(iter) {
            *slot = oas_byte_range {
                start: r.start,
                end: r.end,
            };
        }
        *count_out = needed;
        Ok(())
    })
}

/// `needed` elements of a caller array checked non-NULL when `needed > 0`.
///
/// # Safety
/// `p` is valid for `needed` writable elements when `needed > 0`.
unsafe fn try_mut_slice<'a, T>(p: *mut T, needed: usize) -> &'a mut [T] {
    if needed == 0 {
        return &mut [];
    }
    // SAFETY: as this function's contract.
    unsafe { std::slice::from_raw_parts_mut(p, needed) }
}

/// Part size for a multipart upload of `total` bytes with the rules of the
/// SDK's `Uploader.calc_part_size` (spec §7): `total` must be 64 MiB to
/// 40 000 GiB; a `requested` size of 0, not a multiple of 1 MiB, below 64 MiB,
/// larger than `total` or above 4 GiB (the largest part) becomes 64 MiB; if
/// that needs more than 10 000 parts, the smallest power-of-two MiB size that
/// fits is used. Written to `part_size_out`. Thread-safe.
///
/// Returns `OAS_RESULT_OK`, `OAS_RESULT_NULL_ARGUMENT` or
/// `OAS_RESULT_INVALID_ARGUMENT` (total out of range).
#[no_mangle]
pub unsafe extern "C" fn oas_calc_part_size(
    total: u64,
    requested: u64,
    part_size_out: *mut u64,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(part_size_out, "part_size_out")? };
        *out = ranges::calc_part_size(total, requested)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_size_query_then_fill() {
        let mut n = 0usize;
        // SAFETY: the test's buffers outlive the call and hold `capacity` ranges.
        let rc = unsafe { oas_calc_ranges(10, 25, std::ptr::null_mut(), 0, &mut n) };
        assert_eq!((rc, n), (OAS_RESULT_BUFFER_TOO_SMALL, 3));
        let mut buf = [oas_byte_range { start: 9, end: 9 }; 3];
        // SAFETY: the test's buffers outlive the call and hold `capacity` ranges.
        let rc = unsafe { oas_calc_ranges(10, 25, buf.as_mut_ptr(), 2, &mut n) };
        assert_eq!((rc, n), (OAS_RESULT_BUFFER_TOO_SMALL, 3));
        assert_eq!(
            buf[0],
            oas_byte_range { start: 9, end: 9 },
            "nothing written"
        );
        // SAFETY: the test's buffers outlive the call and hold `capacity` ranges.
        let rc = unsafe { oas_calc_ranges(10, 25, buf.as_mut_ptr(), 3, &mut n) };
        assert_eq!((rc, n), (OAS_RESULT_OK, 3));
        assert_eq!(buf[2], oas_byte_range { start: 20, end: 24 });
        // A huge count is reported without allocating it.
        // SAFETY: the test's buffers outlive the call and hold `capacity` ranges.
        let rc = unsafe { oas_calc_ranges(1, u64::MAX, std::ptr::null_mut(), 0, &mut n) };
        assert_eq!((rc, n as u64), (OAS_RESULT_BUFFER_TOO_SMALL, u64::MAX));
    }

    #[test]
    fn streaming_handle_resets_after_finish() {
        let h = oas_etag_new();
        let mut a = [0 as c_char; OAS_DIGEST_BUF_LEN];
        let mut b = [0 as c_char; OAS_DIGEST_BUF_LEN];
        // SAFETY: the test's buffers outlive the call and hold `capacity` ranges.
        unsafe {
            assert_eq!(oas_etag_update(h, b"abc".as_ptr(), 3), OAS_RESULT_OK);
            assert_eq!(
                oas_etag_finish(h, a.as_mut_ptr(), std::ptr::null_mut()),
                OAS_RESULT_OK
            );
            assert_eq!(
                oas_etag_finish(h, b.as_mut_ptr(), std::ptr::null_mut()),
                OAS_RESULT_OK
            );
            oas_etag_free(h);
            let a = std::ffi::CStr::from_ptr(a.as_ptr()).to_str().unwrap();
            let b = std::ffi::CStr::from_ptr(b.as_ptr()).to_str().unwrap();
            assert_eq!(a, "900150983CD24FB0D6963F7D28E17F72");
            assert_eq!(b, "D41D8CD98F00B204E9800998ECF8427E");
        }
    }
}
