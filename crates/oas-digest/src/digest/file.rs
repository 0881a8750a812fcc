//! Digests of files and readers: ranges of a file read with positional reads
//! (the content MD5 streaming on the calling thread while the leaves are
//! hashed in parallel, see [`digest_reader_at`]), whole paths and plain
//! readers.

use super::{
    combine_nodes, hex_string, upper_hex, Digests, Hasher, Hex, Md5, CONTENT_BUF, LANE_BUF,
    LEAF_SIZE, PARALLEL_MIN, READ_BUF,
};
use crate::md5multi::{Backend, Md5Lanes};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Error from hashing a file or a part of it.
#[derive(Debug, thiserror::Error)]
pub enum FileDigestError {
    /// The requested range extends past the end of the file.
    #[error("range offset {offset} size {size} is past the end of the file ({file_size} bytes)")]
    PastEnd {
        /// Requested offset.
        offset: u64,
        /// Requested size.
        size: u64,
        /// Actual file size.
        file_size: u64,
    },
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Which digests a file pass computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Both digests (one read).
    Both,
    /// Only the content etag.
    Etag,
    /// Only the tree etag (leaves in parallel).
    Tree,
}

/// Hashes `size` bytes of `file` starting at `offset` (`None` = to the end) using
/// positional reads, so the file's own position is not moved. A range that ends
/// past the end of the file is an error.
pub fn digest_file_range(
    file: &File,
    offset: u64,
    size: Option<u64>,
    want: Want,
) -> Result<Digests, FileDigestError> {
    let file_size = file.metadata()?.len();
    let size = match size {
        None if offset <= file_size => file_size - offset,
        Some(s) if offset.checked_add(s).is_some_and(|e| e <= file_size) => s,
        _ => {
            return Err(FileDigestError::PastEnd {
                offset,
                size: size.unwrap_or(0),
                file_size,
            })
        }
    };
    digest_reader_at(file, offset, size, want)
}

/// Hashes exactly `size` bytes at `offset` read with positional reads; a short
/// file is an `UnexpectedEof` error.
///
/// Layout for large ranges (why: MD5 is sequential, so the content etag bounds
/// the time): the calling thread streams the content MD5 through a small,
/// cache-resident buffer, exactly like `md5sum`, while the other cores each
/// read and hash whole 1 MiB leaves, taking the next leaf index from a shared
/// counter. Every thread reads its own data, so there is no hand-over, no
/// per-chunk barrier and no large buffer; the threads never exceed the number
/// of cores, so the content stream keeps a core to itself.
pub fn digest_reader_at(
    file: &File,
    offset: u64,
    size: u64,
    want: Want,
) -> Result<Digests, FileDigestError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let digests = match want {
        Want::Etag => Digests {
            etag: content_at(file, offset, size)?,
            tree_etag: String::new(),
        },
        Want::Tree => Digests {
            etag: String::new(),
            tree_etag: tree_at(file, offset, size, cores)?,
        },
        Want::Both if cores < 2 || size < PARALLEL_MIN as u64 => {
            both_sequential_at(file, offset, size)?
        }
        Want::Both => std::thread::scope(|s| -> std::io::Result<Digests> {
            let tree = s.spawn(|| tree_at(file, offset, size, cores - 1));
            let etag = content_at(file, offset, size);
            let tree = tree.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            Ok(Digests {
                etag: etag?,
                tree_etag: tree?,
            })
        })?,
    };
    Ok(digests)
}

/// Content etag of a file range, read sequentially through `CONTENT_BUF`.
fn content_at(file: &File, offset: u64, size: u64) -> std::io::Result<String> {
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; CONTENT_BUF.min(size.max(1) as usize)];
    let mut done = 0u64;
    while done < size {
        let n = ((size - done) as usize).min(buf.len());
        file.read_exact_at(&mut buf[..n], offset + done)?;
        md5.update(&buf[..n]);
        done += n as u64;
    }
    Ok(hex_string(&upper_hex(&md5.finalize())))
}

/// Both digests of several ranges of one file, `(offset, size)` each, computed
/// together: the content MD5s of all ranges in SIMD lanes on the calling
/// thread (one lane per range, each read through its own small buffer), the
/// trees on the other cores. MD5 is sequential within a range but the ranges
/// are independent, so a group of parts of a multipart upload costs about
/// one lane-parallel pass instead of one scalar pass per part. A range past
/// the end of the file is an error.
pub fn digest_ranges_at(
    file: &File,
    ranges: &[(u64, u64)],
) -> Result<Vec<Digests>, FileDigestError> {
    let file_size = file.metadata()?.len();
    for &(offset, size) in ranges {
        if offset.checked_add(size).map_or(true, |e| e > file_size) {
            return Err(FileDigestError::PastEnd {
                offset,
                size,
                file_size,
            });
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if ranges.len() < 2 || cores < 2 {
        return ranges
            .iter()
            .map(|&(offset, size)| digest_reader_at(file, offset, size, Want::Both))
            .collect();
    }
    let digests = std::thread::scope(|s| -> std::io::Result<Vec<Digests>> {
        let trees = s.spawn(|| {
            ranges
                .iter()
                .map(|&(offset, size)| tree_at(file, offset, size, cores - 1))
                .collect::<std::io::Result<Vec<String>>>()
        });
        let etags = contents_at(file, ranges);
        let trees = trees
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        Ok(etags?
            .into_iter()
            .zip(trees?)
            .map(|(etag, tree_etag)| Digests { etag, tree_etag })
            .collect())
    })?;
    Ok(digests)
}

/// Content etags of several file ranges, one SIMD lane per range.
fn contents_at(file: &File, ranges: &[(u64, u64)]) -> std::io::Result<Vec<String>> {
    let mut bufs = Vec::new();
    Ok(md5_spans_at(file, ranges, &mut bufs)?
        .iter()
        .map(|d| hex_string(&upper_hex(d)))
        .collect())
}

/// MD5 of each span `(offset, len)` of `file`, all hashed together in SIMD
/// lanes, every lane read through its own cache-sized buffer of `bufs`
/// (grown as needed, kept for the caller's next call). A short file is an
/// `UnexpectedEof` error.
fn md5_spans_at(
    file: &File,
    spans: &[(u64, u64)],
    bufs: &mut Vec<Vec<u8>>,
) -> std::io::Result<Vec<[u8; 16]>> {
    let n = spans.len();
    let longest = spans.iter().map(|s| s.1).max().unwrap_or(0);
    bufs.resize_with(n, || vec![0u8; LANE_BUF]);
    let mut md5 = Md5Lanes::new(n);
    let mut lens = vec![0usize; n];
    let mut pos = 0u64;
    while pos < longest {
        for (j, (buf, &(offset, size))) in bufs.iter_mut().zip(spans).enumerate() {
            let len = size.saturating_sub(pos).min(LANE_BUF as u64) as usize;
            file.read_exact_at(&mut buf[..len], offset + pos)?;
            lens[j] = len;
        }
        let chunks: Vec<&[u8]> = bufs.iter().zip(&lens).map(|(b, &l)| &b[..l]).collect();
        md5.update(&chunks);
        pos += LANE_BUF as u64;
    }
    Ok(md5.finalize())
}

/// Both digests of a (small) range in one sequential pass.
fn both_sequential_at(file: &File, offset: u64, size: u64) -> std::io::Result<Digests> {
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; CONTENT_BUF.min(size.max(1) as usize)];
    let mut done = 0u64;
    while done < size {
        let n = ((size - done) as usize).min(buf.len());
        file.read_exact_at(&mut buf[..n], offset + done)?;
        hasher.update(&buf[..n]);
        done += n as u64;
    }
    Ok(hasher.finish())
}

/// Tree etag of exactly `size` bytes of `file` at `offset` (a short file is
/// an `UnexpectedEof` error), hashed by `threads` threads (at least one: the
/// caller). Each thread claims groups of consecutive leaves from a counter and
/// hashes a group's leaves together in SIMD lanes, reading every lane through
/// its own small buffer (all of them together cache-resident).
pub fn tree_etag_at(
    file: &File,
    offset: u64,
    size: u64,
    threads: usize,
) -> std::io::Result<String> {
    tree_at(file, offset, size, threads)
}

fn tree_at(file: &File, offset: u64, size: u64, threads: usize) -> std::io::Result<String> {
    let count = size.div_ceil(LEAF_SIZE) as usize;
    let lanes = Backend::detect().lanes();
    let groups = count.div_ceil(lanes);
    let next = AtomicUsize::new(0);
    let work = || -> std::io::Result<Vec<(usize, Vec<Hex>)>> {
        let mut out = Vec::new();
        let mut bufs: Vec<Vec<u8>> = Vec::new();
        loop {
            let g = next.fetch_add(1, Ordering::Relaxed);
            if g >= groups {
                return Ok(out);
            }
            let first = g * lanes;
            let n = lanes.min(count - first);
            let spans: Vec<(u64, u64)> = (first..first + n)
                .map(|i| {
                    let start = i as u64 * LEAF_SIZE;
                    (offset + start, (start + LEAF_SIZE).min(size) - start)
                })
                .collect();
            let digests = md5_spans_at(file, &spans, &mut bufs)?;
            out.push((first, digests.iter().map(|d| upper_hex(d)).collect()));
        }
    };
    let helpers = threads.min(groups).saturating_sub(1);
    let parts = std::thread::scope(|s| {
        let handles: Vec<_> = (0..helpers).map(|_| s.spawn(work)).collect();
        let mut parts = vec![work()];
        parts.extend(
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        );
        parts
    });
    let mut leaves = vec![[0u8; 32]; count];
    for part in parts {
        for (first, hexes) in part? {
            leaves[first..first + hexes.len()].copy_from_slice(&hexes);
        }
    }
    Ok(combine_nodes(leaves)
        .map(|h| hex_string(&h))
        .unwrap_or_default())
}

/// Both digests of a file range by path (`size` `None` = to the end).
pub fn digest_path(
    path: &Path,
    offset: u64,
    size: Option<u64>,
) -> Result<Digests, FileDigestError> {
    let f = File::open(path)?;
    digest_file_range(&f, offset, size, Want::Both)
}

/// Both digests of everything a reader yields (for pipes and other streams).
pub fn digest_reader<R: Read>(mut r: R) -> std::io::Result<Digests> {
    let mut h = Hasher::new();
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finish());
        }
        h.update(&buf[..n]);
    }
}

/// Size of a seekable stream without moving its position.
pub fn stream_len<S: Seek>(s: &mut S) -> std::io::Result<u64> {
    let pos = s.stream_position()?;
    let end = s.seek(SeekFrom::End(0))?;
    s.seek(SeekFrom::Start(pos))?;
    Ok(end)
}
