//! The upload engine behind [`crate::Vault`] and [`crate::Uploader`]: part
//! sizing, the single-request upload, the parallel part runner and the
//! completion step.
//!
//! Memory: request bodies stream from the file with positional reads and each
//! worker hashes its part through a small fixed buffer, so memory does not grow
//! with the archive or the part size (see `digest::digest_file_range`).

use crate::client::{CancelToken, Client, Payload, ReadHook};
use crate::digest::{self, Want};
use crate::error::{Error, Result};
use crate::ranges::{self, ByteRange, MAX_ARCHIVE_SIZE, MAX_PARTS, MAX_PART_SIZE, MIB};
use crate::transfer::{ProgressFn, Transfer};
use crate::{oas_info, ClientOptions};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Log target of upload messages.
pub(crate) const LOG_TARGET: &str = "oas::uploader";

/// Called once with the id of a multipart upload right after it was
/// initiated, before any part is sent (see [`UploadOptions::on_upload_id`]).
pub type UploadIdFn = Arc<dyn Fn(&str) + Send + Sync>;

/// Per-call options of an upload. Every `None` takes the client's value
/// ([`ClientOptions`]), so one client serves transfers with different part
/// sizes, thresholds, worker counts and rates. Build with
/// `UploadOptions { .., ..Default::default() }`: fields may be added.
#[derive(Clone, Default)]
pub struct UploadOptions {
    /// Called with `(done, total)` bytes at least every 1 MiB or 250 ms, from a
    /// worker thread (never two calls at once); returning `false` stops the
    /// upload with [`Error::Cancelled`]. `total` is 0 when unknown (streams).
    pub progress: Option<ProgressFn>,
    /// Cancelling this token stops the upload with [`Error::Cancelled`]; a
    /// multipart upload stays on the server and can be resumed.
    pub cancel: Option<CancelToken>,
    /// Part size of a multipart upload started by this call (a multiple of
    /// 1 MiB from 1 MiB to 4 GiB); `None` = `ClientOptions::part_size`.
    /// Ignored by `Uploader::start`/`resume`, whose upload already has one.
    pub part_size: Option<u64>,
    /// Files up to this many bytes go in one request; `None` =
    /// `ClientOptions::upload_threshold`.
    pub upload_threshold: Option<u64>,
    /// Parts sent in parallel; `None` = `ClientOptions::workers`.
    pub workers: Option<usize>,
    /// Bytes per second for this transfer (0 = none); `None` =
    /// `ClientOptions::bandwidth_limit`.
    pub bandwidth_limit: Option<u64>,
    /// Called with the multipart upload id as soon as the upload exists, so a
    /// caller can save it and resume after a failure or a crash
    /// ([`crate::Vault::recover_uploader`]).
    pub on_upload_id: Option<UploadIdFn>,
}

impl UploadOptions {
    /// The part size to plan with.
    pub(crate) fn part_size(&self, client: &ClientOptions) -> u64 {
        self.part_size.unwrap_or(client.part_size)
    }

    /// The single-request threshold.
    pub(crate) fn upload_threshold(&self, client: &ClientOptions) -> u64 {
        self.upload_threshold.unwrap_or(client.upload_threshold)
    }

    /// Parallel workers (at least 1).
    pub(crate) fn workers(&self, client: &ClientOptions) -> usize {
        self.workers.unwrap_or(client.workers).max(1)
    }

    /// The bandwidth limit (0 = none).
    pub(crate) fn bandwidth_limit(&self, client: &ClientOptions) -> u64 {
        self.bandwidth_limit.unwrap_or(client.bandwidth_limit)
    }

    /// Tells the caller the id of a new multipart upload.
    pub(crate) fn report_upload_id(&self, id: &str) {
        if let Some(f) = &self.on_upload_id {
            f(id);
        }
    }
}

impl std::fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadOptions")
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("part_size", &self.part_size)
            .field("upload_threshold", &self.upload_threshold)
            .field("workers", &self.workers)
            .field("bandwidth_limit", &self.bandwidth_limit)
            .field("on_upload_id", &self.on_upload_id.is_some())
            .finish()
    }
}

/// Opens a file to upload and returns it with its size; an empty file is an
/// error (the service does not take zero-byte archives).
pub(crate) fn open_source(path: &Path) -> Result<(Arc<File>, u64)> {
    let file = File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("reading the size of {}", path.display()), e))?;
    if !meta.is_file() {
        return Err(Error::InvalidArgument(format!(
            "{} is not a regular file (use Vault::upload_reader for streams)",
            path.display()
        )));
    }
    if meta.len() == 0 {
        return Err(Error::InvalidArgument(format!(
            "{} is empty: OAS does not store zero-byte archives",
            path.display()
        )));
    }
    Ok((Arc::new(file), meta.len()))
}

/// Checks an explicit part size: a multiple of 1 MiB within 1 MiB..=4 GiB that
/// keeps `total` (when known, i.e. non-zero) within 10 000 parts.
pub(crate) fn check_part_size(part_size: u64, total: u64) -> Result<u64> {
    if part_size % MIB != 0 || !(MIB..=MAX_PART_SIZE).contains(&part_size) {
        return Err(Error::InvalidArgument(format!(
            "part size {part_size} must be a multiple of 1 MiB between 1 MiB and 4 GiB"
        )));
    }
    if total > MAX_ARCHIVE_SIZE {
        return Err(Error::InvalidArgument(format!(
            "archive of {total} bytes exceeds the multipart limit of {MAX_ARCHIVE_SIZE} bytes"
        )));
    }
    if total.div_ceil(part_size) > MAX_PARTS {
        return Err(Error::InvalidArgument(format!(
            "{total} bytes in parts of {part_size} bytes would need more than {MAX_PARTS} parts"
        )));
    }
    Ok(part_size)
}

/// The part size for a multipart upload of `total` bytes: the client's
/// explicit `part_size` when set, otherwise the SDK's rule
/// ([`ranges::calc_part_size`], which needs at least 64 MiB).
pub(crate) fn plan_part_size(part_size: u64, total: u64) -> Result<u64> {
    if part_size != 0 {
        return check_part_size(part_size, total);
    }
    ranges::calc_part_size(total, 0).map_err(|e| {
        Error::InvalidArgument(format!(
            "{e}; set ClientOptions::part_size to send smaller archives in parts"
        ))
    })
}

/// A read hook for one request body of `len` bytes that may be sent more than
/// once (retries): every byte is paced by the bandwidth limit, but only the
/// first `len` bytes count as progress. `sent` tracks what was read.
pub(crate) fn body_hook(t: &Arc<Transfer>, len: u64, sent: Arc<AtomicU64>) -> ReadHook {
    let t = Arc::clone(t);
    Arc::new(move |n| {
        t.pace(n)?;
        let before = sent.fetch_add(n, Ordering::SeqCst);
        t.credit((before + n).min(len) - before.min(len))
    })
}

/// Uploads a whole file with one request (A1): both digests from one read,
/// then the body streams from the file.
pub(crate) fn upload_single(
    client: &Client,
    vault_id: &str,
    path: &Path,
    file: Arc<File>,
    size: u64,
    description: Option<&str>,
    opts: &UploadOptions,
) -> Result<String> {
    if let Some(d) = description {
        crate::api::check_description(d)?;
    }
    let cancel = CancelToken::linked(opts.cancel.iter());
    let d = digest::digest_file_range(&file, 0, Some(size), Want::Both)
        .map_err(|e| hash_error(path, None, e))?;
    let t = Transfer::new(
        size,
        opts.progress.clone(),
        opts.bandwidth_limit(client.options()),
        cancel.clone(),
    );
    let sent = Arc::new(AtomicU64::new(0));
    let payload = Payload::file(file, 0, size).with_hook(Some(body_hook(&t, size, sent)));
    let id = client.upload_archive(
        vault_id,
        payload,
        &d.etag,
        &d.tree_etag,
        description,
        Some(cancel),
    )?;
    t.maybe_report(true);
    oas_info!(
        LOG_TARGET,
        "archive {id} uploaded to vault {vault_id} from {} ({size} bytes, one request)",
        path.display()
    );
    Ok(id)
}

/// Maps a failure to hash a file range to an error naming the file and range.
pub(crate) fn hash_error(
    path: &Path,
    range: Option<ByteRange>,
    e: digest::FileDigestError,
) -> Error {
    let what = match range {
        Some(r) => format!("hashing bytes {r} of {}", path.display()),
        None => format!("hashing {}", path.display()),
    };
    match e {
        digest::FileDigestError::Io(io) => Error::io(what, io),
        other => Error::InvalidArgument(format!("{what}: {other} (did the file shrink?)")),
    }
}

/// Runs `f` on every item with up to `workers` threads of its own (not the
/// rayon pool, which the hashing uses). The first failure stops the others by
/// cancelling `stop` and is returned; items not yet started are skipped. When
/// `stop` was cancelled from outside, the result is [`Error::Cancelled`].
/// On success the results come back in item order.
pub(crate) fn run_parallel<T, R, F>(
    items: &[T],
    workers: usize,
    stop: &CancelToken,
    what: &str,
    f: F,
) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R> + Sync,
{
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let threads = workers.clamp(1, items.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                if stop.is_cancelled() {
                    return;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { return };
                match f(item) {
                    Ok(r) => lock(&results)[i] = Some(r),
                    // A part stopped by our own `stop` is not the cause.
                    Err(Error::Cancelled(_)) if stop.is_cancelled() => return,
                    Err(e) => {
                        lock(&failure).get_or_insert(e);
                        stop.cancel();
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = lock(&failure).take() {
        return Err(e);
    }
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    if results.iter().any(Option::is_none) {
        return Err(Error::Cancelled(what.to_string()));
    }
    Ok(results.into_iter().flatten().collect())
}

/// Locks a mutex, ignoring poisoning (the data stays consistent: every writer
/// stores whole values).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the part uploads share.
pub(crate) struct PartTarget<'a> {
    /// The client.
    pub client: &'a Client,
    /// Vault id.
    pub vault_id: &'a str,
    /// Multipart upload id.
    pub upload_id: &'a str,
    /// The transfer the parts count into.
    pub transfer: &'a Arc<Transfer>,
}

impl PartTarget<'_> {
    /// Sends one part whose bytes come from `payload` (without hook) with the
    /// given digests; returns the part's tree etag. `done_parts` counts the
    /// parts sent, out of `total_parts` (0 = unknown), for the log. A failure
    /// that is not a cancellation becomes [`Error::Upload`] naming the range.
    pub fn send(
        &self,
        range: ByteRange,
        payload: Payload,
        d: &digest::Digests,
        done_parts: &AtomicUsize,
        total_parts: usize,
    ) -> Result<String> {
        let t = self.transfer;
        if t.is_cancelled() {
            return Err(Error::Cancelled(format!(
                "upload {}, part {range}",
                self.upload_id
            )));
        }
        let sent = Arc::new(AtomicU64::new(0));
        let payload = payload.with_hook(Some(body_hook(t, range.len(), sent)));
        let res = self.client.upload_part(
            self.vault_id,
            self.upload_id,
            range,
            payload,
            &d.etag,
            &d.tree_etag,
            Some(t.cancel_token().clone()),
        );
        match res {
            Ok(()) => {
                let n = done_parts.fetch_add(1, Ordering::SeqCst) + 1;
                let of = match total_parts {
                    0 => String::new(),
                    t => format!("/{t}"),
                };
                oas_info!(
                    LOG_TARGET,
                    "upload {}: part {range} done ({n}{of} parts sent this run)",
                    self.upload_id
                );
                Ok(d.tree_etag.clone())
            }
            // The bytes sent stay counted: progress never goes back
            // (transfer.rs, "What `done` counts").
            Err(e) => Err(match e {
                Error::Cancelled(m) => Error::Cancelled(m),
                e => Error::Upload(format!(
                    "upload {} to vault {}: part {range} failed: {e}; the upload is kept \
                         on the server and can be resumed with its id",
                    self.upload_id, self.vault_id
                )),
            }),
        }
    }

    /// Completes the upload of `size` bytes from the part tree etags in range
    /// order (M5) and returns the archive id.
    pub fn complete(&self, size: u64, tree_etags: &[String]) -> Result<String> {
        let tree = digest::combine_tree_etags(tree_etags)
            .map_err(|e| Error::Protocol(format!("upload {}: {e}", self.upload_id)))?;
        let id =
            self.client
                .complete_multipart_upload(self.vault_id, self.upload_id, size, &tree)?;
        self.transfer.maybe_report(true);
        oas_info!(
            LOG_TARGET,
            "upload {}: archive {id} complete in vault {} ({size} bytes, {} parts)",
            self.upload_id,
            self.vault_id,
            tree_etags.len()
        );
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_part_sizes() {
        assert_eq!(check_part_size(MIB, 5 * MIB).unwrap(), MIB);
        assert!(check_part_size(MIB + 1, 5 * MIB).is_err());
        assert!(check_part_size(0, 5 * MIB).is_err());
        assert!(check_part_size(8 << 30, 5 * MIB).is_err());
        assert!(check_part_size(MIB, 10_000 * MIB).is_ok());
        assert!(check_part_size(MIB, 10_000 * MIB + 1).is_err());
        assert!(plan_part_size(0, 3 * MIB).is_err(), "SDK rule needs 64 MiB");
        assert_eq!(plan_part_size(0, 100 * MIB).unwrap(), 64 * MIB);
        assert_eq!(plan_part_size(2 * MIB, 3 * MIB).unwrap(), 2 * MIB);
    }

    #[test]
    fn parallel_runner_orders_and_stops() {
        let items: Vec<u32> = (0..50).collect();
        let stop = CancelToken::new();
        let out = run_parallel(&items, 4, &stop, "t", |i| Ok(i * 2)).unwrap();
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());

        let ran = AtomicUsize::new(0);
        let stop = CancelToken::new();
        let err = run_parallel(&items, 2, &stop, "t", |i| {
            ran.fetch_add(1, Ordering::SeqCst);
            if *i == 3 {
                Err(Error::Upload("part 3".into()))
            } else {
                std::thread::sleep(std::time::Duration::from_millis(5));
                Ok(())
            }
        })
        .unwrap_err();
        assert!(
            matches!(err, Error::Upload(ref m) if m == "part 3"),
            "{err}"
        );
        assert!(ran.load(Ordering::SeqCst) < 10, "others must stop promptly");

        let user = CancelToken::new();
        user.cancel();
        let stop = CancelToken::linked([&user]);
        let err = run_parallel(&items, 2, &stop, "job", |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::Cancelled(_)));
    }

    #[test]
    fn retried_bodies_count_once() {
        let t = Transfer::new(100, None, 0, CancelToken::new());
        let sent = Arc::new(AtomicU64::new(0));
        let hook = body_hook(&t, 100, sent.clone());
        hook(60).unwrap();
        hook(40).unwrap();
        // A retry re-reads the body: no more progress.
        hook(100).unwrap();
        assert_eq!(t.done(), 100);
    }
}
