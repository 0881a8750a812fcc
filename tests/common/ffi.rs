//! Helpers for tests that drive the C API from Rust.

use super::MIB;
use oas::ffi::client::*;
use oas::ffi::error::*;
use oas::ffi::result::*;
use std::ffi::{c_char, CStr, CString};

/// A C string (the test data never holds NUL).
pub fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Copies a borrowed, non-NULL C string.
///
/// # Safety
/// `p` points to a NUL-terminated string.
pub unsafe fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    CStr::from_ptr(p).to_str().unwrap().to_string()
}

/// The calling thread's last error message; fails when the slot is empty.
///
/// # Safety
/// Calls the C API.
pub unsafe fn last_message() -> String {
    let e = oas_last_error();
    assert!(!e.is_null(), "a failed call leaves an error");
    text(oas_error_message(e))
}

/// Options as `oas_client_options_init` fills them.
pub fn default_options() -> oas_client_options {
    let mut o = std::mem::MaybeUninit::<oas_client_options>::uninit();
    // SAFETY: init writes every field.
    unsafe {
        oas_client_options_init(o.as_mut_ptr(), std::mem::size_of::<oas_client_options>());
        o.assume_init()
    }
}

/// A C client for the emulator with fast-test settings: 2 MiB upload
/// threshold, 1 MiB parts and download ranges, 10 ms retry delay.
///
/// # Safety
/// Calls the C API; free the result with `oas_client_free`.
pub unsafe fn c_client(emu: &oas_emulator::Emulator) -> *const oas_client {
    let endpoint = cs(&emu.base_url());
    let id = cs(oas_emulator::DEFAULT_ACCESS_ID);
    let key = cs(oas_emulator::DEFAULT_ACCESS_KEY);
    let mut o = default_options();
    o.endpoint = endpoint.as_ptr();
    o.access_id = id.as_ptr();
    o.access_key = key.as_ptr();
    o.upload_threshold = 2 * MIB;
    o.part_size = MIB;
    o.download_range_size = MIB;
    o.retry_base_delay_ms = 10;
    let mut c = std::ptr::null();
    assert_eq!(oas_client_new(&o, &mut c), OAS_RESULT_OK);
    c
}

/// Upload options as `oas_upload_options_init` fills them (all defaults).
pub fn upload_opts() -> oas::ffi::uploader::oas_upload_options {
    use oas::ffi::uploader::{oas_upload_options, oas_upload_options_init};
    let mut o = std::mem::MaybeUninit::<oas_upload_options>::uninit();
    // SAFETY: init writes every field of a struct of this size.
    unsafe {
        let rc = oas_upload_options_init(o.as_mut_ptr(), std::mem::size_of::<oas_upload_options>());
        assert_eq!(rc, OAS_RESULT_OK);
        o.assume_init()
    }
}
