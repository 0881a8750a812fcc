//! liboas: client SDK for OAS (Open Archive Service), usable from Rust and, through
//! the `ffi` module and `include/oas.h`, from C.
#![warn(missing_docs)]

pub mod api;
pub mod client;
pub mod credentials;
pub mod digest;
pub mod download;
pub mod error;
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;
pub mod inventory;
pub mod job;
pub mod log;
mod md5core;
pub mod model;
pub mod purge;
pub mod ranges;
pub mod transfer;
pub mod upload;
mod upload_ahead;
mod upload_stream;
pub mod uploader;
pub mod vault;
mod vault_jobs;

pub use client::{CancelToken, Client, ClientOptions, RetryPolicy};
pub use download::{DownloadOptions, Target};
pub use error::{Error, Result, ServerError};
pub use inventory::{Inventory, InventoryArchive};
pub use job::{Job, WaitOptions};
pub use transfer::ProgressFn;
pub use upload::UploadOptions;
pub use uploader::Uploader;
pub use vault::Vault;
