//! Uploading from a reader that cannot seek (a pipe, a socket, a decoder).
//!
//! The size is unknown up front, so the upload is always multipart. The
//! calling thread reads one part at a time into a buffer and hands it to a
//! worker; buffers are recycled, and at most `workers` of them exist at once,
//! so memory is bounded by `workers × part size` (64 MiB parts by default,
//! or `ClientOptions::part_size`). Without `UploadOptions::workers` a stream
//! uses at most `STREAM_DEFAULT_WORKERS` (8) of the client's workers.

use super::{check_part_size, PartTarget, UploadOptions};
use crate::digest;
use crate::engine::sync::{into_inner, lock};
use crate::engine::transfer::Transfer;
use crate::engine::CancelToken;
use crate::error::{Error, Result};
use crate::ranges::{ByteRange, DEFAULT_PART_SIZE, MAX_PARTS};
use crate::rest::Client;
use crate::rest::Payload;
use std::io::Read;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// A zero-filled shared buffer of `n` bytes, allocated once.
fn new_buffer(n: usize) -> Arc<[u8]> {
    std::iter::repeat(0u8).take(n).collect()
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
fn fill<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A buffer to fill: a recycled one when no request still holds it, else a
/// new one.
fn writable(mut buf: Arc<[u8]>, size: usize) -> Arc<[u8]> {
    if Arc::get_mut(&mut buf).is_some() {
        buf
    } else {
        new_buffer(size)
    }
}

/// One part read from the stream.
struct Chunk {
    index: usize,
    buf: Arc<[u8]>,
    len: usize,
}

/// Uploads everything `reader` yields as one archive of vault `vault_id`.
pub(crate) fn upload_reader<R: Read>(
    client: &Client,
    vault_id: &str,
    mut reader: R,
    description: Option<&str>,
    opts: &UploadOptions,
) -> Result<String> {
    let o = client.options();
    let part = match opts.part_size(o) {
        0 => DEFAULT_PART_SIZE,
        p => check_part_size(p, 0)?,
    };
    let part_len = usize::try_from(part)
        .map_err(|_| Error::InvalidArgument(format!("part size {part} is too large here")))?;
    let workers = opts
        .workers
        .unwrap_or(o.workers.min(crate::rest::STREAM_DEFAULT_WORKERS))
        .max(1);
    let read_err = |e| Error::io("reading the upload stream", e);

    // Read the first part before creating anything on the server, so that an
    // empty stream leaves no upload behind.
    let mut first = new_buffer(part_len);
    let n = fill(&mut reader, Arc::get_mut(&mut first).expect("new buffer")).map_err(read_err)?;
    if n == 0 {
        return Err(Error::InvalidArgument(
            "the stream is empty: OAS does not store zero-byte archives".into(),
        ));
    }
    let upload_id = client.initiate_multipart_upload(vault_id, part, description)?;
    let stop = CancelToken::linked(opts.cancel.iter());
    opts.report_upload_id(&upload_id);
    let t = Transfer::new(
        0,
        opts.progress.clone(),
        opts.bandwidth_limit(o),
        stop.clone(),
    );
    let target = PartTarget {
        client,
        vault_id,
        upload_id: &upload_id,
        transfer: &t,
    };

    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let trees: Mutex<Vec<Option<String>>> = Mutex::new(Vec::new());
    let sent_parts = AtomicUsize::new(0);
    let mut total: u64 = 0;
    // Rendezvous channel: a filled buffer waits in the producer's hands, not in
    // a queue, so buffers never exceed `workers`.
    let (work_tx, work_rx) = mpsc::sync_channel::<Chunk>(0);
    let work_rx = Mutex::new(work_rx);
    let (free_tx, free_rx) = mpsc::channel::<Arc<[u8]>>();

    // The calling thread reads the stream, one part per buffer.
    let produce = |work_tx: &mpsc::SyncSender<Chunk>| -> Result<()> {
        let mut buf = first;
        let mut len = n;
        let mut allocated = 1;
        let mut index = 0usize;
        loop {
            total += len as u64;
            let last = len < part_len;
            if work_tx.send(Chunk { index, buf, len }).is_err() || last {
                return Ok(());
            }
            index += 1;
            // Wait for a free buffer once `workers` exist.
            buf = if allocated < workers {
                allocated += 1;
                new_buffer(part_len)
            } else {
                match free_rx.recv() {
                    Ok(b) => writable(b, part_len),
                    Err(_) => return Ok(()),
                }
            };
            if stop.is_cancelled() {
                return Ok(());
            }
            let slot = Arc::get_mut(&mut buf).expect("unique buffer");
            len = fill(&mut reader, slot).map_err(read_err)?;
            if len == 0 {
                return Ok(());
            }
            if index as u64 >= MAX_PARTS {
                return Err(Error::InvalidArgument(format!(
                    "the stream is longer than {MAX_PARTS} parts of {part} bytes; \
                     set a larger ClientOptions::part_size (upload {upload_id} is kept)"
                )));
            }
        }
    };

    let read_result: Result<()> = std::thread::scope(|s| {
        for _ in 0..workers {
            let free_tx = free_tx.clone();
            let (work_rx, target, failure, trees, stop, sent_parts) =
                (&work_rx, &target, &failure, &trees, &stop, &sent_parts);
            s.spawn(move || loop {
                let Ok(chunk) = lock(work_rx).recv() else {
                    return;
                };
                if !stop.is_cancelled() {
                    let start = chunk.index as u64 * part;
                    let range = ByteRange::new(start, start + chunk.len as u64 - 1)
                        .expect("non-empty chunk");
                    let data = &chunk.buf[..chunk.len];
                    let d = digest::compute(data);
                    let body = if chunk.len == chunk.buf.len() {
                        Payload::bytes(Arc::clone(&chunk.buf))
                    } else {
                        // Only the short last part is copied.
                        Payload::bytes(data)
                    };
                    match target.send(range, body, &d, sent_parts, 0) {
                        Ok(tree) => {
                            let mut tr = lock(trees);
                            if tr.len() <= chunk.index {
                                tr.resize(chunk.index + 1, None);
                            }
                            tr[chunk.index] = Some(tree);
                        }
                        Err(Error::Cancelled(_)) if stop.is_cancelled() => {}
                        Err(e) => {
                            lock(failure).get_or_insert(e);
                            stop.cancel();
                        }
                    }
                }
                let _ = free_tx.send(chunk.buf);
            });
        }
        drop(free_tx);
        // Moved in so it is dropped before the scope joins the workers:
        // that is what ends their `recv` loops.
        let work_tx = work_tx;
        let produced = produce(&work_tx);
        drop(work_tx);
        produced
    });
    // `work_tx` is dropped by now: the scope joined every worker.
    read_result?;
    if let Some(e) = lock(&failure).take() {
        return Err(e);
    }
    let trees = into_inner(trees);
    let parts = total.div_ceil(part) as usize;
    if stop.is_cancelled() || trees.len() != parts || trees.iter().any(Option::is_none) {
        return Err(Error::Cancelled(format!(
            "upload {upload_id} from a stream (the parts sent stay on the server)"
        )));
    }
    let trees: Vec<String> = trees.into_iter().flatten().collect();
    target.complete(total, &trees)
}
