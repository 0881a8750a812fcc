//! oas: the Rust client SDK for OAS (Open Archive Service). The C ABI over it
//! is the workspace's root package `liboas` (`include/oas.h`).
//!
//! Layers, top to bottom (docs/architecture.md; no module uses one above it):
//! [`Vault`] (`vault.rs`, the facade) → `upload/` ([`Uploader`]) and `jobs/`
//! ([`Job`], [`download`], [`inventory`]) → `engine/` (transfer state, the
//! worker pool, [`CancelToken`]) and `rest/` ([`Client`], one method per REST
//! operation, [`model`]) → [`error`], [`log`] and the digest core
//! ([`digest`], [`ranges`], from `oas-digest`).
#![warn(missing_docs)]

pub mod credentials;
mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
mod jobs;
pub mod log;
mod rest;
mod upload;
mod vault;

/// The digest core (`oas-digest`), re-exported under its old paths.
pub use oas_digest::{digest, md5multi, ranges};

pub use engine::{CancelToken, ProgressFn, ReadHook};
pub use error::{Error, Result, ServerError};
pub use jobs::download::{Descriptor, DownloadOptions, Target};
pub use jobs::inventory::{Inventory, InventoryArchive};
pub use jobs::{download, inventory};
pub use jobs::{
    Job, ProgressProbe, WaitOptions, ACTION_ARCHIVE_RETRIEVAL, ACTION_INVENTORY_RETRIEVAL,
    ACTION_PULL_FROM_OSS, ACTION_PUSH_TO_OSS, OUTPUT_LIFETIME, REUSE_MIN_REMAINING,
};
pub use rest::model;
pub use rest::{
    thread_context_destroyed, Client, ClientOptions, Payload, RetryPolicy, Source, DEFAULT_WORKERS,
    PROTOCOL_VERSION, STREAM_DEFAULT_WORKERS,
};
pub use upload::{UploadOptions, Uploader};
pub use vault::purge;
pub use vault::Vault;
