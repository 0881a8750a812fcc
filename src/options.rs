//! The one rule every options struct of the C API follows (libgit2's
//! versioned options, Win32 `cbSize`, Linux `copy_struct_from_user`):
//!
//! * the struct starts with `uint64_t size`, the number of bytes the caller
//!   owns (`sizeof` of the struct in the header it was built with);
//! * `oas_<x>_options_init(&o, sizeof o)` writes only those bytes: the
//!   defaults for the fields this library knows, zero beyond them, then
//!   `o.size`;
//! * a call reads only the fields that lie wholly inside `o.size` and uses
//!   the defaults for the others (an older, smaller caller);
//! * bytes beyond the struct this library knows (a newer, larger caller) must
//!   be zero: a non-zero byte is a field this version cannot honour, and the
//!   call fails with `OAS_RESULT_INVALID_ARGUMENT` rather than ignore it;
//! * a `size` below the struct's minimum, or above [`MAX_OPTIONS_SIZE`]
//!   (an uninitialised struct), is `OAS_RESULT_INVALID_ARGUMENT`.
//!
//! Fields are copied one by one from their offsets, so padding is never read
//! from a Rust value. Fields may only be appended, each at or after the
//! previous version's `sizeof` (never inside its tail padding).

use crate::{FfiError, FfiResult};
use std::mem::size_of;

/// The largest `size` accepted: far above any struct of this API, and small
/// enough that a garbage `size` does not make the library read far away.
pub(crate) const MAX_OPTIONS_SIZE: usize = 4096;

/// One field of an options struct: where it is and how long.
pub(crate) struct Field {
    pub offset: usize,
    pub len: usize,
}

/// Length of the field a closure picks (used by [`options_fields!`]).
pub(crate) fn field_len<T, F>(_pick: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// The field list of an options struct, in declaration order.
macro_rules! options_fields {
    ($t:ty; $($f:ident),+ $(,)?) => {
        vec![$($crate::options::Field {
            offset: std::mem::offset_of!($t, $f),
            len: $crate::options::field_len(|o: &$t| &o.$f),
        }),+]
    };
}
pub(crate) use options_fields;

/// A C options struct.
///
/// # Safety
/// `Self` is `#[repr(C)]`, starts with a `u64` `size` field, and every field
/// is an integer, a raw pointer or an `Option` of a function pointer, so any
/// bytes the caller wrote are a valid value of it; [`OptionsStruct::fields`]
/// lists every field exactly once.
pub(crate) unsafe trait OptionsStruct: Sized {
    /// The C name, for messages.
    const NAME: &'static str;
    /// The fewest bytes a caller may declare (through the last field that has
    /// no default).
    const MIN_SIZE: usize;
    /// The defaults, with `size` set to `sizeof` of this struct.
    fn defaults() -> Self;
    /// Every field, in order.
    fn fields() -> Vec<Field>;
}

pub(crate) fn check_size<T: OptionsStruct>(size: u64, arg: &str) -> FfiResult<usize> {
    match usize::try_from(size) {
        Ok(n) if (T::MIN_SIZE..=MAX_OPTIONS_SIZE).contains(&n) => Ok(n),
        _ => Err(FfiError::invalid(format!(
            "`{arg}` is {size}, but a {name} needs {} to {MAX_OPTIONS_SIZE} bytes: \
             initialise it with {name}_init(&o, sizeof o)",
            T::MIN_SIZE,
            name = T::NAME,
        ))),
    }
}

/// `oas_<x>_options_init`: writes the defaults into the caller's `size`
/// bytes at `p` (see the module doc).
///
/// # Safety
/// `p` is NULL or valid for writes of `size` bytes and aligned for `T`.
pub(crate) unsafe fn init<T: OptionsStruct>(p: *mut T, size: usize, name: &str) -> FfiResult<()> {
    if p.is_null() {
        return Err(FfiError::null(name));
    }
    let size = check_size::<T>(size as u64, "size")?;
    // SAFETY: as this function's contract; `size` is checked.
    unsafe { write(p, size, &T::defaults()) };
    Ok(())
}

/// Writes `value` into the caller's `size` bytes at `p` by the rule of the
/// module doc: the fields inside `size`, zero beyond the struct this library
/// knows, then `size` itself. For `init`, and for structs the library fills
/// as an output (`oas_purge_report`).
///
/// # Safety
/// `p` is valid for writes of `size` bytes and aligned for `T`; `size` passed
/// [`check_size`].
pub(crate) unsafe fn write<T: OptionsStruct>(p: *mut T, size: usize, value: &T) {
    let src = (value as *const T).cast::<u8>();
    let dst = p.cast::<u8>();
    for f in T::fields() {
        if f.offset + f.len <= size {
            // SAFETY: the field lies inside both the Rust value and the
            // caller's `size` bytes; the two never overlap.
            unsafe { std::ptr::copy_nonoverlapping(src.add(f.offset), dst.add(f.offset), f.len) };
        }
    }
    if size > size_of::<T>() {
        // SAFETY: the caller owns `size` bytes from `dst`.
        unsafe { std::ptr::write_bytes(dst.add(size_of::<T>()), 0, size - size_of::<T>()) };
    }
    // SAFETY: `size` (a u64 at offset 0) lies inside the caller's bytes
    // (MIN_SIZE covers it) and `p` is aligned for `T`.
    unsafe { p.cast::<u64>().write(size as u64) };
}

/// Reads the caller's options at `p` by the rule of the module doc: the
/// fields inside `(*p).size`, the defaults for the rest.
///
/// # Safety
/// `p` is valid for reads of `(*p).size` bytes (at least 8) and aligned for `T`.
pub(crate) unsafe fn read<T: OptionsStruct>(p: *const T, name: &str) -> FfiResult<T> {
    // SAFETY: every options struct starts with its u64 size; `p` is aligned.
    let declared = unsafe { p.cast::<u64>().read() };
    let size = check_size::<T>(declared, &format!("{name}->size"))?;
    let mut out = T::defaults();
    let src = p.cast::<u8>();
    let dst = (&mut out as *mut T).cast::<u8>();
    for f in T::fields() {
        if f.offset + f.len <= size {
            // SAFETY: inside the caller's `size` bytes and inside `out`; any
            // bytes are a valid value of the field (OptionsStruct contract).
            unsafe { std::ptr::copy_nonoverlapping(src.add(f.offset), dst.add(f.offset), f.len) };
        }
    }
    if size > size_of::<T>() {
        // SAFETY: the caller declared `size` readable bytes.
        let tail =
            unsafe { std::slice::from_raw_parts(src.add(size_of::<T>()), size - size_of::<T>()) };
        if let Some(i) = tail.iter().position(|&b| b != 0) {
            return Err(FfiError::invalid(format!(
                "`{name}` sets byte {} of a {}-byte {}, beyond the {} bytes this library \
                 (liboas {}) knows: it sets a field this version does not know",
                size_of::<T>() + i,
                size,
                T::NAME,
                size_of::<T>(),
                env!("CARGO_PKG_VERSION")
            )));
        }
    }
    Ok(out)
}

/// Like [`read`], but NULL is the defaults (for optional option arguments).
///
/// # Safety
/// As [`read`], or `p` is NULL.
pub(crate) unsafe fn read_opt<T: OptionsStruct>(p: *const T, name: &str) -> FfiResult<T> {
    if p.is_null() {
        return Ok(T::defaults());
    }
    // SAFETY: non-NULL, so the caller's contract of `read` applies.
    unsafe { read(p, name) }
}

/// Checks a field list against its struct (used by the unit tests of every
/// options struct): in order, not overlapping, inside the struct, and with
/// only alignment padding between them.
#[cfg(test)]
pub(crate) fn check_layout<T: OptionsStruct>() {
    let fields = T::fields();
    assert_eq!(fields[0].offset, 0, "{}: size first", T::NAME);
    assert_eq!(fields[0].len, 8, "{}: size is a u64", T::NAME);
    let mut end = 0;
    for f in &fields {
        assert!(f.offset >= end, "{}: fields in order", T::NAME);
        assert!(
            f.offset - end < f.len.max(1),
            "{}: a field is missing",
            T::NAME
        );
        end = f.offset + f.len;
    }
    assert!(
        end <= size_of::<T>() && size_of::<T>() - end < 8,
        "{}: last field",
        T::NAME
    );
    assert!(T::MIN_SIZE >= 8 && T::MIN_SIZE <= size_of::<T>());
}
