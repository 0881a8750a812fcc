//! PLACEHOLDER — the minimal client handle the job API needs to compile and be
//! tested from C. The full `oas_client` (options, proxies, TLS, ...) belongs
//! to the client/vault C API and replaces this file when it lands; keep only
//! `oas_client`, `oas_client_new` and `oas_client_free` here.

use super::{ffi_call, ffi_guard, try_out, try_str, ArcHandle};
use crate::client::{Client, ClientOptions};

/// A client: endpoint, credentials and one shared connection pool.
/// Thread-safe: one `const oas_client *` may be used by many threads at once.
pub struct oas_client {
    pub(crate) inner: Client,
}

impl ArcHandle for oas_client {}

/// Creates a client for `endpoint` (`http://host[:port]` or `https://…`)
/// with the given access key id and secret and default options. On success
/// writes the handle to `*client_out`; free it with `oas_client_free`.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` or
/// `OAS_RESULT_INVALID_UTF8` for a bad argument; `OAS_RESULT_INVALID_ARGUMENT`
/// for an endpoint that is not an http(s) URL or empty credentials.
#[no_mangle]
pub unsafe extern "C" fn oas_client_new(
    endpoint: *const std::ffi::c_char,
    access_id: *const std::ffi::c_char,
    access_key: *const std::ffi::c_char,
    client_out: *mut *const oas_client,
) -> super::result::oas_result {
    ffi_call(|| {
        let endpoint = try_str(endpoint, "endpoint")?;
        let access_id = try_str(access_id, "access_id")?;
        let access_key = try_str(access_key, "access_key")?;
        let out = try_out(client_out, "client_out")?;
        let inner = Client::new(ClientOptions::new(endpoint, access_id, access_key))?;
        *out = oas_client { inner }.into_ptr();
        Ok(())
    })
}

/// Releases a client; NULL is a no-op. Handles made from it (jobs) keep
/// their own reference and stay usable.
#[no_mangle]
pub unsafe extern "C" fn oas_client_free(client: *const oas_client) {
    ffi_guard((), || oas_client::free_ptr(client))
}
