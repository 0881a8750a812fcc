//! `Range` / `Content-Range` / `RetrievalByteRange` values and tree etags, as
//! the client reads them from responses and job descriptions, and as the
//! emulator checks them in requests.
//! Input: 8 bytes (little-endian size), then the header value.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (size, text) = data.split_at(8);
    let size = u64::from_le_bytes(size.try_into().unwrap());
    let Ok(s) = std::str::from_utf8(text) else {
        return;
    };
    oas::fuzzing::range_header(s);
    oas::fuzzing::tree_etag(s);
    oas_emulator::fuzzing::ranges(s, size);
});
