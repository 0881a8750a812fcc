//! Sending streamed request bodies (file parts, hooked payloads).
//!
//! Why not reqwest's blocking client: when a server answers before it has read
//! the whole body (an early `400 InvalidPart`, a `503`), the blocking wrapper
//! reports "send failed because receiver is gone" and drops the answer, so a
//! client error would look like a transport error and be retried. Here the
//! request runs on the async client while the calling thread reads the body
//! (positional file reads, progress and rate-limit hook) and feeds it through a
//! small channel; when the server stops reading, the feeding stops and the
//! server's answer is still returned.

use super::{Payload, PayloadReader};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Chunk size fed to the connection (also the progress/rate-limit step):
/// the largest read `PayloadReader` makes, so that a 1 GiB body costs 4096
/// hand-overs to the connection task rather than 16384.
const CHUNK: usize = 256 << 10;

/// A request body fed from another thread through a channel.
struct ChannelBody {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    len: u64,
}

impl HttpBody for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

/// The async client and the runtime it runs on.
pub(crate) struct Streamer {
    rt: Option<tokio::runtime::Runtime>,
    http: reqwest::Client,
}

impl Drop for Streamer {
    fn drop(&mut self) {
        let Some(rt) = self.rt.take() else { return };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Blocking inside a caller's async runtime would panic.
            rt.shutdown_background();
        } else {
            // Joins the worker thread, so nothing of it outlives the client.
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
        }
    }
}

/// What came back: the answer with its body read (bodies of the operations
/// that upload are empty or small error documents).
pub(crate) type Answer = reqwest::blocking::Response;

/// A request that got no answer: the message and whether a timeout ran out.
pub(crate) struct SendFailure {
    pub(crate) message: String,
    pub(crate) timeout: bool,
}

impl SendFailure {
    fn of(e: &reqwest::Error) -> SendFailure {
        SendFailure {
            message: error_chain(e),
            timeout: is_timeout(e),
        }
    }
    fn other(message: impl Into<String>) -> SendFailure {
        SendFailure {
            message: message.into(),
            timeout: false,
        }
    }
}

/// True when a connect or read timeout ran out, as reqwest reports it or as
/// an I/O error of kind `TimedOut` anywhere in the chain.
pub(crate) fn is_timeout(e: &reqwest::Error) -> bool {
    if e.is_timeout() {
        return true;
    }
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        src = s.source();
    }
    false
}

impl Streamer {
    /// A streamer around an async client built with the same settings as the
    /// blocking one.
    pub fn new(http: reqwest::Client) -> std::io::Result<Streamer> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("oas-http")
            // Every thread of this runtime (workers, blocking pool) writes to
            // sockets: none of them may take a SIGPIPE (see `nosigpipe.rs`).
            .on_thread_start(super::nosigpipe::block_in_this_thread)
            .enable_all()
            .build()?;
        Ok(Streamer { rt: Some(rt), http })
    }

    /// The async client, to build requests for [`Streamer::send`].
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `rb` with `payload` as its body, read in the calling thread.
    /// Errors are transport-level messages.
    pub fn send(
        &self,
        rb: reqwest::RequestBuilder,
        payload: &Payload,
    ) -> Result<Answer, SendFailure> {
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| SendFailure::other("runtime stopped"))?;
        let len = payload.len();
        let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
        let req = rb
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap(ChannelBody { rx, len }))
            .build()
            .map_err(|e| SendFailure::of(&e))?;
        let http = self.http.clone();
        let task = rt.spawn(async move {
            let resp = http.execute(req).await?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        });

        // Feed the body until it ends, fails, or the connection stops taking it.
        let mut reader = PayloadReader {
            payload: payload.clone(),
            pos: 0,
        };
        let mut read_error = None;
        loop {
            // Each chunk is read into its own buffer and handed over as is
            // (no copy into a shared one).
            let mut buf = vec![0u8; CHUNK];
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(std::io::Error::new(e.kind(), e.to_string())));
                    read_error = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let outcome = rt
            .block_on(task)
            .map_err(|e| SendFailure::other(format!("request task failed: {e}")))?;
        match (outcome, read_error) {
            (Ok((status, headers, body)), _) => {
                let mut resp = http::Response::new(body.to_vec());
                *resp.status_mut() = status;
                *resp.headers_mut() = headers;
                Ok(reqwest::blocking::Response::from(resp))
            }
            (Err(e), Some(read)) => Err(SendFailure::other(format!(
                "reading the request body: {read} ({e})"
            ))),
            (Err(e), None) => Err(SendFailure::of(&e)),
        }
    }
}

/// An error with its sources, for messages.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}
