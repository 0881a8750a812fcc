//! The transfer engine: what every upload and download shares, with no HTTP in
//! it. [`CancelToken`] (used by every layer), the per-transfer state
//! ([`transfer::Transfer`]: progress, bandwidth pacing, cancellation), the one
//! worker pool ([`pool`]) and the one poison-tolerant lock helper ([`sync`]).

pub(crate) mod cancel;
pub(crate) mod pool;
pub(crate) mod sync;
pub(crate) mod transfer;

pub use cancel::CancelToken;
pub use transfer::{ProgressFn, ReadHook};
