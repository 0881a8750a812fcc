//! Downloading job output (the SDK's `Job.download_by_range` and
//! `Job.download_to_file`), verified wherever the protocol allows:
//!
//! * a range whose absolute archive position is tree-aligned (§3.4) is
//!   compared with the server's `x-oas-tree-etag`; other ranges are checked by
//!   length, and by the job's `TreeEtag` over the whole output at the end of
//!   [`Job::download_to_file`] when the job's range is aligned;
//! * short reads, broken bodies and mismatches are retried up to the client's
//!   attempt count, then reported as [`Error::Download`] or
//!   [`Error::HashMismatch`].
//!
//! Inventory output carries no tree etag; it is checked by length only.

pub(crate) mod fetch;
pub mod journal;
pub(crate) mod to_file;

use crate::client::CancelToken;
use crate::error::{Error, Result};
use crate::job::{Job, WaitOptions, ACTION_ARCHIVE_RETRIEVAL, ACTION_INVENTORY_RETRIEVAL};
use crate::ranges::ByteRange;
use crate::transfer::{ProgressFn, Transfer};
use fetch::{Fetcher, OutputInfo, RangeSink};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

pub use journal::{DoneRange, Journal};

/// Default size of one read and write: 1 MiB, as in the SDK.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 20;

/// Where [`Job::download_by_range`] puts the bytes.
pub enum Target<'a> {
    /// A file, created or truncated, holding exactly the range.
    Path(&'a Path),
    /// An open descriptor, written from its current position (not closed).
    /// Seekable descriptors are written in place; pipes, sockets and
    /// `O_APPEND` descriptors receive the bytes only after they were checked
    /// (held meanwhile in an unlinked file in the temp directory, which needs
    /// room for the range).
    Fd(RawFd),
    /// Any writer; it receives the bytes only after they were checked (held
    /// meanwhile in an unlinked file in the temp directory).
    Writer(&'a mut dyn Write),
}

/// Options of a download besides the target.
#[derive(Clone, Default)]
pub struct DownloadOptions {
    /// Called with `(done, total)` bytes; returning `false` cancels.
    pub progress: Option<ProgressFn>,
    /// Cancels the download (a cancelled [`Job::download_to_file`] resumes
    /// from its journal).
    pub cancel: Option<CancelToken>,
    /// Range size of a parallel download; `None` = the client's
    /// `download_range_size`, whose 0 means the SDK's plan.
    pub range_size: Option<u64>,
    /// Parallel ranges in flight; `None` = the client's `workers`.
    pub workers: Option<usize>,
    /// Bytes per second; `None` = the client's `bandwidth_limit` (0 = none).
    pub bandwidth_limit: Option<u64>,
    /// How this call waits for the job when called with `block = true`;
    /// `None` = the job's [`Job::set_wait_options`], by default
    /// [`WaitOptions::default`] without a timeout (wait until the job is done).
    pub wait: Option<WaitOptions>,
}

impl std::fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("range_size", &self.range_size)
            .field("workers", &self.workers)
            .field("bandwidth_limit", &self.bandwidth_limit)
            .field("wait", &self.wait)
            .finish()
    }
}

/// Writes a range into a file at a fixed base offset with positional writes;
/// a retry simply overwrites.
struct FileAt<'a> {
    file: &'a File,
    base: u64,
    /// The file was opened for reading too, so the range can be hashed back
    /// from it (see [`RangeSink::written`]).
    readable: bool,
    /// The target's path, named in write errors (a full disk must say where).
    path: Option<&'a Path>,
}

impl RangeSink for FileAt<'_> {
    fn restart(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.file
            .write_all_at(data, self.base + offset)
            .map_err(|e| match self.path {
                Some(p) => std::io::Error::new(e.kind(), format!("{}: {e}", p.display())),
                None => e,
            })
    }
    fn written(&self) -> Option<(&File, u64)> {
        self.readable.then_some((self.file, self.base))
    }
}

/// Holds a range in an unlinked temporary file until it is verified, for
/// targets that cannot take a rewrite.
struct Spool {
    file: File,
}

impl Spool {
    fn new() -> std::io::Result<Spool> {
        let dir = std::env::temp_dir();
        for _ in 0..16 {
            let name = dir.join(format!(
                ".oas-spool-{}-{:016x}",
                std::process::id(),
                rand::random::<u64>()
            ));
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&name)
            {
                Ok(file) => {
                    // Unlinked at once: the space is freed however we exit.
                    let _ = std::fs::remove_file(&name);
                    return Ok(Spool { file });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("could not create a spool file"))
    }

    fn copy_to(&mut self, w: &mut dyn Write, len: u64) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(0))?;
        let copied = std::io::copy(&mut std::io::Read::take(&self.file, len), w)?;
        if copied != len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "spool file is shorter than the range",
            ));
        }
        w.flush()
    }
}

impl RangeSink for Spool {
    fn restart(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.file.write_all_at(data, offset)
    }
    fn written(&self) -> Option<(&File, u64)> {
        Some((&self.file, 0))
    }
}

/// True when positional writes to `fd` land where asked (regular, seekable,
/// not in append mode).
fn fd_is_positional(fd: RawFd) -> bool {
    // SAFETY: fcntl and lseek only inspect the descriptor.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && flags & libc::O_APPEND == 0 && libc::lseek(fd, 0, libc::SEEK_CUR) >= 0
    }
}

/// True when `fd` was opened for reading and writing.
fn fd_is_readable(fd: RawFd) -> bool {
    // SAFETY: fcntl only inspects the descriptor.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    flags >= 0 && flags & libc::O_ACCMODE == libc::O_RDWR
}

impl Job {
    /// Size of the job output: the retrieved range (or the whole archive) for
    /// archive jobs, `InventorySizeInBytes` for inventory jobs.
    pub fn output_size(&self) -> Result<u64> {
        let size = match self.action() {
            ACTION_ARCHIVE_RETRIEVAL => self
                .retrieval_byte_range()
                .map(|r| r.len())
                .or(self.archive_size()),
            ACTION_INVENTORY_RETRIEVAL => self.inventory_size(),
            other => {
                return Err(Error::InvalidState(format!(
                    "job {} is a {other} job, which has no output",
                    self.id()
                )))
            }
        };
        size.ok_or_else(|| {
            Error::JobNotReady(format!(
                "job {}: the output size is not known yet",
                self.id()
            ))
        })
    }

    /// The transfer of one download; `key` names its target so that a
    /// resumed download to the same place continues the last figure
    /// (`Transfer::carry_over`); `None` for targets that cannot resume.
    pub(crate) fn start_transfer(
        &self,
        total: u64,
        options: &DownloadOptions,
        key: Option<String>,
    ) -> (Arc<Transfer>, CancelToken) {
        let cancel = options.cancel.clone().unwrap_or_default();
        let limit = options
            .bandwidth_limit
            .unwrap_or(self.client.options().bandwidth_limit);
        let t = Transfer::new(total, options.progress.clone(), limit, cancel.clone());
        let mut slot = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(key) = key {
            t.carry_over(slot.as_deref(), &key);
        }
        *slot = Some(Arc::clone(&t));
        (t, cancel)
    }

    /// Downloads `range` (relative to the job output) to `target`, reading and
    /// writing `chunk_size` bytes at a time (0 = 1 MiB). With `block`, waits
    /// for the job first; otherwise an unfinished job is
    /// [`Error::JobNotReady`]. The range must start on a 1 MiB boundary and
    /// end one byte before one or at the end of the output; this is checked
    /// before any request.
    pub fn download_by_range(
        &mut self,
        range: ByteRange,
        target: Target<'_>,
        chunk_size: usize,
        block: bool,
    ) -> Result<()> {
        self.download_by_range_with(
            range,
            target,
            chunk_size,
            block,
            &DownloadOptions::default(),
        )
    }

    /// Downloads `range` of the output, or the whole output for `None`, to
    /// `writer` (a stream, a compressor, a language binding's file object).
    /// Each range is fetched into a spool file and checked first: the writer
    /// receives only bytes that passed their check (tree etag where the range
    /// is tree-aligned, length always), and nothing of a range that fails.
    /// `chunk_size`, `block` and `options` as for
    /// [`Job::download_by_range_with`].
    pub fn download_to_writer(
        &mut self,
        range: Option<ByteRange>,
        writer: &mut dyn Write,
        chunk_size: usize,
        block: bool,
        options: &DownloadOptions,
    ) -> Result<()> {
        let range = match range {
            Some(r) => r,
            None => {
                self.ensure_ready_cancellable(
                    block,
                    options.wait.as_ref(),
                    options.cancel.as_ref(),
                )?;
                let size = self.output_size()?;
                ByteRange::new(0, size.saturating_sub(1)).ok_or_else(|| {
                    Error::InvalidState(format!("job {} has an empty output", self.id()))
                })?
            }
        };
        self.download_by_range_with(range, Target::Writer(writer), chunk_size, block, options)
    }

    /// [`Job::download_by_range`] with progress, cancellation and a bandwidth
    /// limit (`range_size` and `workers` do not apply: one request).
    pub fn download_by_range_with(
        &mut self,
        range: ByteRange,
        target: Target<'_>,
        chunk_size: usize,
        block: bool,
        options: &DownloadOptions,
    ) -> Result<()> {
        // What can be checked without the job's size is checked before waiting.
        if range.start % crate::ranges::MIB != 0 {
            return Err(Error::InvalidArgument(format!(
                "range {range}: the start must be a multiple of 1 MiB (1048576)"
            )));
        }
        self.ensure_ready_cancellable(block, options.wait.as_ref(), options.cancel.as_ref())?;
        let output = OutputInfo::of(self)?;
        output.check_range(range)?;
        let chunk_size = if chunk_size == 0 {
            DEFAULT_CHUNK_SIZE
        } else {
            chunk_size
        };
        let key = match &target {
            Target::Path(p) => Some(format!("range {range} to {}", p.display())),
            Target::Fd(_) | Target::Writer(_) => None,
        };
        let (transfer, cancel) = self.start_transfer(range.len(), options, key);
        let fetcher = Fetcher {
            client: &self.client,
            output: &output,
            chunk_size,
            transfer: &transfer,
            cancel: &cancel,
        };
        let result = match target {
            Target::Path(path) => {
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(path)
                    .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
                let mut sink = FileAt {
                    file: &file,
                    base: 0,
                    readable: true,
                    path: Some(path),
                };
                let done = fetcher.fetch(range, &mut sink).and_then(|_| {
                    file.sync_all()
                        .map_err(|e| Error::io(format!("flushing {}", path.display()), e))
                });
                if done.is_err() {
                    // Its bytes were not verified: do not leave them looking like a result.
                    drop(file);
                    let _ = std::fs::remove_file(path);
                }
                done
            }
            Target::Fd(fd) => {
                if fd < 0 {
                    return Err(Error::InvalidArgument(format!(
                        "file descriptor {fd} is invalid"
                    )));
                }
                // SAFETY: the caller lends us an open descriptor; ManuallyDrop
                // keeps it open when we are done.
                let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
                if fd_is_positional(fd) {
                    let base = (&*file)
                        .stream_position()
                        .map_err(|e| Error::io(format!("descriptor {fd}"), e))?;
                    let readable = fd_is_readable(fd);
                    fetcher.fetch(
                        range,
                        &mut FileAt {
                            file: &file,
                            base,
                            readable,
                            path: None,
                        },
                    )?;
                    // Leave the position after the range, as sequential writes would.
                    (&*file)
                        .seek(SeekFrom::Start(base + range.len()))
                        .map(drop)
                        .map_err(|e| Error::io(format!("descriptor {fd}"), e))
                } else {
                    let mut w: &File = &file;
                    spool_then_copy(&fetcher, range, &mut w)
                }
            }
            Target::Writer(w) => spool_then_copy(&fetcher, range, w),
        };
        transfer.maybe_report(true);
        result
    }

    /// Downloads the whole job output to `path` in parallel ranges, resuming
    /// from the journal `<path>.oas` when one is there (see
    /// [`Job::download_to_file_with`]). `chunk_size` 0 = 1 MiB.
    pub fn download_to_file(&mut self, path: &Path, chunk_size: usize, block: bool) -> Result<()> {
        self.download_to_file_with(path, chunk_size, block, &DownloadOptions::default())
    }
}

fn spool_then_copy(fetcher: &Fetcher<'_>, range: ByteRange, w: &mut dyn Write) -> Result<()> {
    let mut spool =
        Spool::new().map_err(|e| Error::io("creating a spool file in the temp directory", e))?;
    fetcher.fetch(range, &mut spool)?;
    spool
        .copy_to(w, range.len())
        .map_err(|e| Error::io(format!("writing range {range} to the target"), e))
}
