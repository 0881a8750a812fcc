//! Streaming bodies: request bodies to a temporary file while hashing, and
//! responses read from blob files, both with bounded memory.

use crate::db::blob::{AlignedBlock, BlobReader, BlobWriter};
use crate::db::{Segment, Store};
use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;
use oas_digest::digest::{Hasher, Hex, LEAF_SIZE};
use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Write and hashing block: whole leaves, and a multiple of the `O_DIRECT`
/// alignment so that full blocks go to disk directly.
const BLOCK: usize = 4 * LEAF_SIZE as usize;
/// Chunk size of response bodies.
const OUT_CHUNK: usize = 256 * 1024;

/// A fully received body: an unpersisted temp file plus its digests.
pub struct Ingested {
    /// The temporary file holding the bytes.
    pub file: tempfile::NamedTempFile,
    /// Bytes received.
    pub len: u64,
    /// Content etag (upper-case hex MD5).
    pub etag: String,
    /// MD5 of each 1 MiB leaf.
    pub leaves: Vec<Hex>,
}

impl Ingested {
    /// Tree etag of the body.
    pub fn tree_etag(&self) -> String {
        crate::db::tree_of(&self.leaves)
    }
}

struct Sink {
    file: BlobWriter,
    hasher: Hasher,
}

impl Sink {
    fn new(store: &Store) -> std::io::Result<Sink> {
        Ok(Sink {
            file: BlobWriter::new_in(&store.tmp_dir())?,
            hasher: Hasher::new(),
        })
    }

    /// Writes a block and hashes it at the same time: the calling thread
    /// writes while the rayon pool hashes (the library's `Hasher`: content
    /// MD5 on one thread, leaves on the others).
    fn absorb(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let Sink { file, hasher } = self;
        rayon::in_place_scope(|s| {
            s.spawn(|_| hasher.update(buf));
            file.write(buf)
        })
    }

    fn finish(self) -> Ingested {
        let len = self.hasher.len();
        let (etag, leaves) = self.hasher.finish_leaves();
        Ingested {
            file: self.file.into_temp(),
            len,
            etag,
            leaves,
        }
    }
}

async fn absorb(sink: Sink, buf: AlignedBlock) -> ApiResult<(Sink, AlignedBlock)> {
    tokio::task::spawn_blocking(move || {
        let mut sink = sink;
        sink.absorb(buf.data()).map(|_| (sink, buf))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::from)
}

/// Streams `body` to a temp file under the store's tmp dir while hashing it.
/// Fails (and the temp file vanishes) when fewer than `expected` bytes arrive.
pub async fn ingest(body: Body, expected: u64, store: &Store) -> ApiResult<Ingested> {
    let mut sink = Sink::new(store)?;
    // Whole aligned blocks go to disk directly (see blob.rs).
    let mut buf = AlignedBlock::new(BLOCK.min(expected as usize).max(1));
    let mut len = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|e| {
            ApiError::new(
                400,
                "InvalidRequest",
                format!("request body interrupted: {e}"),
            )
        })?;
        len += chunk.len() as u64;
        while !chunk.is_empty() {
            let take = buf.extend(&chunk);
            let _ = chunk.split_to(take);
            if buf.is_full() {
                let (s, mut b) = absorb(sink, buf).await?;
                b.clear();
                sink = s;
                buf = b;
            }
        }
    }
    if len != expected {
        return Err(ApiError::bad(
            "InvalidRequest",
            format!("request body has {len} bytes, Content-Length said {expected}"),
        ));
    }
    if !buf.is_empty() {
        sink = absorb(sink, buf).await?.0;
    }
    Ok(sink.finish())
}

/// Reads and discards up to `n` bytes of a body (used by the `reset_request` fault).
pub async fn drain(body: Body, n: u64) {
    let mut got = 0u64;
    let mut stream = body.into_data_stream();
    while got < n {
        match stream.next().await {
            Some(Ok(c)) => got += c.len() as u64,
            _ => break,
        }
    }
}

/// A `Stream` of body chunks fed by a producer task.
pub struct ChannelBody(pub mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_util::Stream for ChannelBody {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// A body streaming bytes `start..=end` of the content made of `segments`.
pub fn segments_body(store: Arc<Store>, segments: Vec<Segment>, start: u64, end: u64) -> Body {
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut pos = start;
        for seg in segments {
            if seg.offset + seg.len <= pos || seg.offset > end {
                continue;
            }
            let res = (|| -> std::io::Result<()> {
                let mut f = BlobReader::open(&store.blob_path(&seg.file))?;
                let stop = (seg.offset + seg.len).min(end + 1);
                while pos < stop {
                    let n = ((stop - pos) as usize).min(OUT_CHUNK);
                    let b = f.read(pos - seg.offset, n)?;
                    pos += n as u64;
                    if tx.blocking_send(Ok(b)).is_err() {
                        return Err(std::io::ErrorKind::BrokenPipe.into());
                    }
                }
                Ok(())
            })();
            if let Err(e) = res {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    });
    Body::from_stream(ChannelBody(rx))
}

/// Copies a local file into a new temp file while hashing it (pull-from-oss).
pub fn ingest_file(path: &std::path::Path, store: &Store) -> std::io::Result<Ingested> {
    let mut src = std::fs::File::open(path)?;
    let mut sink = Sink::new(store)?;
    let mut buf = vec![0u8; BLOCK];
    loop {
        // The hasher takes any chunking; whole blocks keep the writes large.
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sink.absorb(&buf[..n])?;
    }
    Ok(sink.finish())
}
