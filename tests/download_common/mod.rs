//! Download helpers of the C-ABI tests: the SDK tests' own (one file, included
//! from `crates/oas/tests/download_common/`, reaching the SDK as `crate::sdk`).

#[path = "../../crates/oas/tests/download_common/mod.rs"]
mod sdk_download_common;
#[allow(unused_imports)]
pub use sdk_download_common::*;
