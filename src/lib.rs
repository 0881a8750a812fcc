//! liboas: client SDK for OAS (Open Archive Service), usable from Rust and, through
//! the `ffi` module and `include/oas.h`, from C.
#![warn(missing_docs)]

pub mod digest;
pub mod error;
pub mod ffi;
pub mod log;
mod md5core;
pub mod ranges;

pub use error::{Error, Result, ServerError};
