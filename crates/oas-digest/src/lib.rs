//! The digest core of liboas: content etag and tree etag (one-shot, streaming
//! and from files, in parallel), their combination, the MD5 core, byte ranges,
//! part and range sizing and the protocol's size limits. Pure functions: no
//! HTTP, no async, no other crate of the workspace.
#![warn(missing_docs)]

pub mod digest;
mod md5core;
pub mod md5multi;
pub mod ranges;
