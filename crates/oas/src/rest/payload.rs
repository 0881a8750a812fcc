//! Request bodies: where their bytes come from, and the reader that streams
//! them while calling the transfer's hook (progress, rate limit, cancel).

use crate::engine::ReadHook;
use reqwest::blocking::Body;
use std::fs::File;
use std::io::Read;
use std::sync::Arc;

/// Where a request body comes from. File bodies are read with positional reads,
/// so many requests can share one open file.
#[derive(Clone)]
pub enum Source {
    /// No body.
    Empty,
    /// Bytes in memory.
    Bytes(Arc<[u8]>),
    /// `len` bytes of `file` at `offset`.
    File {
        /// The open file.
        file: Arc<File>,
        /// First byte.
        offset: u64,
        /// Byte count.
        len: u64,
    },
}

/// A request body: its source and an optional hook called as it is read.
#[derive(Clone)]
pub struct Payload {
    /// Where the bytes come from.
    pub source: Source,
    /// Called after each chunk read for sending.
    pub hook: Option<ReadHook>,
}

impl Payload {
    /// No body.
    pub fn empty() -> Self {
        Payload {
            source: Source::Empty,
            hook: None,
        }
    }
    /// A body from memory.
    pub fn bytes(data: impl Into<Arc<[u8]>>) -> Self {
        Payload {
            source: Source::Bytes(data.into()),
            hook: None,
        }
    }
    /// A body from part of a file.
    pub fn file(file: Arc<File>, offset: u64, len: u64) -> Self {
        Payload {
            source: Source::File { file, offset, len },
            hook: None,
        }
    }
    /// The same payload with a read hook.
    pub fn with_hook(mut self, hook: Option<ReadHook>) -> Self {
        self.hook = hook;
        self
    }
    /// Body length in bytes.
    pub fn len(&self) -> u64 {
        match &self.source {
            Source::Empty => 0,
            Source::Bytes(b) => b.len() as u64,
            Source::File { len, .. } => *len,
        }
    }
    /// True for an empty body.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the body is read piecewise as it is sent (a file range, or
    /// any body with a hook) rather than handed over from memory at once.
    pub(crate) fn is_streamed(&self) -> bool {
        !matches!(
            (&self.source, &self.hook),
            (Source::Empty, _) | (Source::Bytes(_), None)
        )
    }

    /// The body of an in-memory payload (streamed ones go through `stream.rs`).
    pub(crate) fn body(&self) -> Option<Body> {
        match &self.source {
            Source::Bytes(b) => Some(Body::from(b.to_vec())),
            _ => None,
        }
    }
}

/// Streams a payload, calling its hook after each read.
pub(crate) struct PayloadReader {
    pub(crate) payload: Payload,
    pub(crate) pos: u64,
}

impl Read for PayloadReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let remaining = self.payload.len() - self.pos;
        // Small reads keep progress and rate limiting smooth.
        let want = (remaining.min(buf.len() as u64) as usize).min(256 << 10);
        if want == 0 {
            return Ok(0);
        }
        let n = match &self.payload.source {
            Source::Empty => 0,
            Source::Bytes(b) => {
                let start = self.pos as usize;
                buf[..want].copy_from_slice(&b[start..start + want]);
                want
            }
            Source::File { file, offset, .. } => {
                let n = file.read_at(&mut buf[..want], offset + self.pos)?;
                if n == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "file shrank while it was being uploaded",
                    ));
                }
                n
            }
        };
        self.pos += n as u64;
        if let Some(hook) = &self.payload.hook {
            hook(n as u64)?;
        }
        Ok(n)
    }
}
