//! Streaming bodies: request bodies to a temporary file while hashing, and
//! responses read from blob files, both with bounded memory.

use crate::blobfile::{AlignedBlock, BlobReader, BlobWriter};
use crate::error::{ApiError, ApiResult};
use crate::store::{Segment, Store};
use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;
use oas::digest::{md5_hex, Hex, Md5, LEAF_SIZE};
use rayon::prelude::*;
use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Hashing block: a multiple of the leaf size, so leaves never straddle blocks.
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
        crate::store::tree_of(&self.leaves)
    }
}

struct Sink {
    file: BlobWriter,
    md5: Md5,
    leaves: Vec<Hex>,
}

impl Sink {
    fn new(store: &Store) -> std::io::Result<Sink> {
        Ok(Sink {
            file: BlobWriter::new_in(&store.tmp_dir())?,
            md5: Md5::new(),
            leaves: Vec::new(),
        })
    }

    /// Writes a block and hashes it at the same time: the calling thread
    /// writes while the rayon pool runs the content MD5 on one thread and the
    /// leaves on the others.
    fn absorb(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let Sink { file, md5, leaves } = self;
        rayon::in_place_scope(|s| {
            s.spawn(|_| {
                rayon::join(
                    || md5.update(buf),
                    || leaves.par_extend(buf.par_chunks(LEAF_SIZE as usize).map(md5_hex)),
                );
            });
            file.write(buf)
        })
    }

    fn finish(self, len: u64) -> Ingested {
        Ingested {
            file: self.file.into_temp(),
            len,
            etag: hex_upper(&self.md5.finalize()),
            leaves: self.leaves,
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
    // Whole aligned blocks go to disk directly (see blobfile.rs).
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
    Ok(sink.finish(len))
}

fn hex_upper(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02X}")).collect()
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
    let mut len = 0u64;
    loop {
        // Fill whole blocks so leaves never straddle two absorb calls.
        let mut n = 0;
        while n < BLOCK {
            let k = src.read(&mut buf[n..])?;
            if k == 0 {
                break;
            }
            n += k;
        }
        if n == 0 {
            break;
        }
        sink.absorb(&buf[..n])?;
        len += n as u64;
        if n < BLOCK {
            break;
        }
    }
    Ok(sink.finish(len))
}
