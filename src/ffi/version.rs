//! Runtime version information, for programs that `dlopen` the library and
//! cannot see the header's `OAS_VERSION_*` macros.

use super::ffi_guard;
use std::ffi::c_char;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

const fn parse(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0u32;
    while i < b.len() {
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}

const NUMBER: u32 = parse(env!("CARGO_PKG_VERSION_MAJOR")) * 10_000
    + parse(env!("CARGO_PKG_VERSION_MINOR")) * 100
    + parse(env!("CARGO_PKG_VERSION_PATCH"));

/// The library version as text, e.g. "0.2.0". Static: never NULL, never freed.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oas_version() -> *const c_char {
    ffi_guard(VERSION, || VERSION).as_ptr().cast()
}

/// The library version as a number: major * 10000 + minor * 100 + patch
/// (0.2.0 is 200). When library and header match, it equals
/// `OAS_VERSION_MAJOR * 10000 + OAS_VERSION_MINOR * 100 + OAS_VERSION_PATCH`
/// of the header the program was built with. Thread-safe.
#[no_mangle]
pub extern "C" fn oas_version_number() -> u32 {
    ffi_guard(NUMBER, || NUMBER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_number_agree_with_cargo() {
        // SAFETY: oas_version returns a static NUL-terminated string.
        let text = unsafe { std::ffi::CStr::from_ptr(oas_version()) };
        assert_eq!(text.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        let parts: Vec<u32> = env!("CARGO_PKG_VERSION")
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            oas_version_number(),
            parts[0] * 10_000 + parts[1] * 100 + parts[2]
        );
    }
}
