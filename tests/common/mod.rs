//! Helpers of the C-ABI tests: the SDK tests' own helpers (one file, included
//! from `crates/oas/tests/common/`, reaching the SDK as `crate::sdk`) and the
//! C-ABI ones in `ffi`.
#![allow(dead_code)]

#[path = "../../crates/oas/tests/common/mod.rs"]
mod sdk_common;
#[allow(unused_imports)]
pub use sdk_common::*;

pub mod ffi;
