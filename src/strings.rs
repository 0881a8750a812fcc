//! Freeing strings the library hands over (produced by `into_owned_cstr`).

use crate::ffi_guard;
use std::ffi::{c_char, CString};

/// Frees a string that an `oas_*` call handed over to the caller (its doc says
/// "free with oas_string_free"). NULL is a no-op. Never pass strings the
/// library only lends (accessors, `oas_version`, `oas_result_str`). Any thread.
#[no_mangle]
pub unsafe extern "C" fn oas_string_free(s: *mut c_char) {
    ffi_guard((), || {
        if !s.is_null() {
            // SAFETY: per the contract `s` came from CString::into_raw.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}
