//! oas: the Rust client SDK for OAS (Open Archive Service). The C ABI over it
//! is the workspace's root package `liboas` (`include/oas.h`).
#![warn(missing_docs)]

pub mod api;
pub mod client;
pub mod download;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod inventory;
pub mod job;
pub mod log;
pub mod model;
pub mod transfer;
pub mod upload;
mod upload_ahead;
mod upload_stream;
pub mod uploader;
pub mod vault;
mod vault_jobs;

/// The digest core (`oas-digest`), re-exported under its old paths.
pub use oas_digest::{digest, ranges};

pub use client::{CancelToken, Client, ClientOptions, RetryPolicy};
pub use download::{DownloadOptions, Target};
pub use error::{Error, Result, ServerError};
pub use inventory::{Inventory, InventoryArchive};
pub use job::{Job, WaitOptions};
pub use transfer::ProgressFn;
pub use upload::UploadOptions;
pub use uploader::Uploader;
pub use vault::Vault;
