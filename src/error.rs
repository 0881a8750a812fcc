//! The crate-wide error type. It keeps everything a caller needs to act on a
//! failure: for server answers the HTTP status, the server's `code`, `type`,
//! `message`, the request id and the response headers; for client failures which
//! step failed and on what (vault, file, range).

use std::collections::BTreeMap;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A non-2xx answer from the server (spec §5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerError {
    /// HTTP status code.
    pub status: u16,
    /// Server error code, e.g. `InvalidDigest`; empty when the body was not JSON.
    pub code: String,
    /// Error type: `client` or `server`; empty when the body was not JSON.
    pub error_type: String,
    /// Server message, or the raw body when it was not JSON.
    pub message: String,
    /// `x-oas-request-id` of the failed request.
    pub request_id: String,
    /// Response headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The operation that failed, e.g. `UploadPart` (context for messages).
    pub operation: String,
}

/// Vaults the service allows per account and region (spec §4.1).
pub const MAX_VAULTS: usize = 10;

impl ServerError {
    /// True when the service refused to create a vault because the account
    /// has all the vaults it may have in the region (`TooManyVaults`).
    pub fn is_quota_exceeded(&self) -> bool {
        self.code == "TooManyVaults"
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.operation.is_empty() {
            write!(f, "{}: ", self.operation)?;
        }
        if self.code.is_empty() {
            write!(
                f,
                "Expected 2xx, got ({}, content={}, request_id={})",
                self.status, self.message, self.request_id
            )
        } else {
            write!(
                f,
                "Expected 2xx, got ({}, code={}, message={}, type={}, request_id={})",
                self.status, self.code, self.message, self.error_type, self.request_id
            )?;
            if self.is_quota_exceeded() {
                write!(
                    f,
                    "; the service allows {MAX_VAULTS} vaults per account and region: \
                     delete one or use another region"
                )?;
            }
            Ok(())
        }
    }
}

/// Every failure the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A caller-supplied argument is invalid (the message names it).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A local file or descriptor operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The request never got an HTTP answer (connect, TLS, reset).
    #[error("transport error: {0}")]
    Transport(String),
    /// The request never got an HTTP answer in time: the connect timeout or
    /// the read timeout ([`crate::ClientOptions`]) ran out. Retried like
    /// [`Error::Transport`]; C: `OAS_RESULT_TIMEOUT`.
    #[error("transport timeout: {0}")]
    TransportTimeout(String),
    /// The server answered with a non-2xx status.
    #[error("{0}")]
    Server(Box<ServerError>),
    /// What was looked up does not exist, found out without a server error
    /// (e.g. [`crate::Vault::get_by_name`] listed every vault and none has the
    /// name). A server's own "not found" answers stay [`Error::Server`];
    /// [`Error::is_not_found`] covers both.
    #[error("not found: {0}")]
    NotFound(String),
    /// The server's answer could not be understood.
    #[error("unexpected response: {0}")]
    Protocol(String),
    /// Data did not match its digest.
    #[error("hash mismatch: {0}")]
    HashMismatch(String),
    /// An upload could not be completed.
    #[error("upload failed: {0}")]
    Upload(String),
    /// A download could not be completed.
    #[error("download failed: {0}")]
    Download(String),
    /// The job has not finished yet.
    #[error("job not ready: {0}")]
    JobNotReady(String),
    /// The job finished without success.
    #[error("job failed: {0}")]
    JobFailed(String),
    /// A wait for a job ran out of time (`WaitOptions::timeout`); C:
    /// `OAS_RESULT_WAIT_TIMEOUT`. Transport timeouts are
    /// [`Error::TransportTimeout`].
    #[error("timed out: {0}")]
    Timeout(String),
    /// The transfer was stopped by the caller (progress callback or cancel).
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// An object was used in a state that does not allow the call.
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// A bug in the library (for instance a caught panic).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An I/O error with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Whether this says that something does not exist: [`Error::NotFound`],
    /// or a server answer with HTTP 404 or a code ending in `NotExists` or
    /// `NotFound` (`VaultNotExists`, `JobNotExists`, `ResourceNotFound`, ...).
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::NotFound(_) => true,
            Error::Server(s) => {
                s.status == 404 || s.code.ends_with("NotExists") || s.code.ends_with("NotFound")
            }
            _ => false,
        }
    }

    /// True for failures to reach the server or hear its answer
    /// ([`Error::Transport`], [`Error::TransportTimeout`]).
    pub fn is_transport(&self) -> bool {
        matches!(self, Error::Transport(_) | Error::TransportTimeout(_))
    }

    /// True when a connect or read timeout ran out ([`Error::TransportTimeout`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::TransportTimeout(_))
    }

    /// True for the service's vault quota (`TooManyVaults`, see
    /// [`ServerError::is_quota_exceeded`]).
    pub fn is_quota_exceeded(&self) -> bool {
        self.server().is_some_and(ServerError::is_quota_exceeded)
    }

    /// The server error, when this is one.
    pub fn server(&self) -> Option<&ServerError> {
        match self {
            Error::Server(s) => Some(s),
            _ => None,
        }
    }
}

impl From<crate::digest::FileDigestError> for Error {
    fn from(e: crate::digest::FileDigestError) -> Self {
        match e {
            crate::digest::FileDigestError::PastEnd { .. } => Error::InvalidArgument(e.to_string()),
            crate::digest::FileDigestError::Io(source) => Error::io("reading data to hash", source),
        }
    }
}

impl From<crate::ranges::RangeError> for Error {
    fn from(e: crate::ranges::RangeError) -> Self {
        Error::InvalidArgument(e.to_string())
    }
}
