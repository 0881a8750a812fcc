//! [`Uploader`]: one multipart upload (the SDK's `Uploader`), started fresh
//! with [`Uploader::start`] or continued with [`Uploader::resume`].
//!
//! The server's part list is the resume state: `resume` lists the parts the
//! server holds, re-hashes each of those ranges from the local file (content
//! etag and tree etag must both match), then sends only the missing parts.

use super::ahead::DigestsAhead;
use super::{PartTarget, UploadOptions};
use crate::digest::{self, Digests, Want};
use crate::engine::pool::run_parallel;
use crate::engine::sync::lock;
use crate::engine::transfer::{ProgressFn, Transfer};
use crate::engine::CancelToken;
use crate::error::{Error, Result};
use crate::ranges::{self, ByteRange, MAX_PARTS};
use crate::rest::model::UploadInfo;
use crate::rest::{Client, Payload};
use crate::upload;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

/// Most parts hashed together in SIMD lanes by the hash-ahead thread (the
/// widest back end has 16 lanes per vector).
const HASH_GROUP_MAX: usize = 16;

/// One multipart upload of a vault.
///
/// All methods take `&self`, and the type is `Send + Sync`: while one thread
/// runs [`start`](Uploader::start) or [`resume`](Uploader::resume), others may
/// read [`size_completed`](Uploader::size_completed) or stop it through
/// [`cancel_token`](Uploader::cancel_token).
pub struct Uploader {
    client: Client,
    vault_id: String,
    info: UploadInfo,
    path: Option<PathBuf>,
    size_total: Mutex<u64>,
    progress: Mutex<Option<ProgressFn>>,
    cancel: Mutex<CancelToken>,
    transfer: Mutex<Option<Arc<Transfer>>>,
    /// Set once the upload id is used up, so later calls fail at once with
    /// [`Error::InvalidState`] instead of a 404 after network round trips.
    ended: Mutex<Option<Ended>>,
}

/// How an upload id was used up by this handle.
#[derive(Clone, Debug)]
enum Ended {
    /// Completed as this archive.
    Completed(String),
    /// Aborted on the server by [`Uploader::cancel`].
    Aborted,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader")
            .field("vault_id", &self.vault_id)
            .field("info", &self.info)
            .field("path", &self.path)
            .field("size_total", &self.size_total())
            .field("size_completed", &self.size_completed())
            .finish()
    }
}

impl Uploader {
    /// An uploader for an existing upload of vault `vault_id`; `path` and
    /// `size_total` are known when it was initiated from a file.
    pub(crate) fn new(
        client: Client,
        vault_id: &str,
        info: UploadInfo,
        path: Option<PathBuf>,
        size_total: u64,
    ) -> Uploader {
        Uploader {
            client,
            vault_id: vault_id.to_string(),
            info,
            path,
            size_total: Mutex::new(size_total),
            progress: Mutex::new(None),
            cancel: Mutex::new(CancelToken::new()),
            transfer: Mutex::new(None),
            ended: Mutex::new(None),
        }
    }

    /// [`Error::InvalidState`] once this handle completed or aborted the upload.
    fn check_not_ended(&self) -> Result<()> {
        match &*lock(&self.ended) {
            None => Ok(()),
            Some(Ended::Completed(archive)) => Err(Error::InvalidState(format!(
                "upload {} is already complete (archive {archive})",
                self.id()
            ))),
            Some(Ended::Aborted) => Err(Error::InvalidState(format!(
                "upload {} was aborted by cancel; initiate a new upload",
                self.id()
            ))),
        }
    }

    /// Records the archive id of a completed run.
    fn completed(&self, result: Result<String>) -> Result<String> {
        if let Ok(archive) = &result {
            *lock(&self.ended) = Some(Ended::Completed(archive.clone()));
        }
        result
    }

    /// The upload id (`MultipartUploadId`).
    pub fn id(&self) -> &str {
        &self.info.multipart_upload_id
    }

    /// The archive description (`ArchiveDescription`).
    pub fn description(&self) -> &str {
        &self.info.archive_description
    }

    /// When the upload was initiated (`CreationDate`, RFC 1123).
    pub fn creation_date(&self) -> &str {
        &self.info.creation_date
    }

    /// The part size in bytes (`PartSizeInBytes`).
    pub fn part_size(&self) -> u64 {
        self.info.part_size_in_bytes
    }

    /// The upload as the server described it.
    pub fn info(&self) -> &UploadInfo {
        &self.info
    }

    /// Id of the vault the upload belongs to.
    pub fn vault_id(&self) -> &str {
        &self.vault_id
    }

    /// The file given to `initiate_uploader`, if any.
    pub fn file_path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Size of the archive in bytes: known once a file was given
    /// (`initiate_uploader` or `resume`), 0 before.
    pub fn size_total(&self) -> u64 {
        *lock(&self.size_total)
    }

    /// Bytes uploaded so far (`size_completed`): live while `start`/`resume`
    /// runs, readable from any thread (also from the progress callback);
    /// includes parts found already uploaded and verified by `resume`. It never
    /// goes down, also not after a stop, a failed part or a resume on this
    /// handle (see `transfer.rs`, "What `done` counts").
    pub fn size_completed(&self) -> u64 {
        lock(&self.transfer).as_ref().map_or(0, |t| t.done())
    }

    /// Sets the progress callback for the next `start`/`resume`:
    /// `(done, total)` bytes, called from a worker thread at least every 1 MiB
    /// or 250 ms; returning `false` stops the transfer with
    /// [`Error::Cancelled`] (the upload stays resumable).
    pub fn set_progress(&self, progress: Option<ProgressFn>) {
        *lock(&self.progress) = progress;
    }

    /// A token that stops the running (or next) `start`/`resume` with
    /// [`Error::Cancelled`] when cancelled, from any thread. After a run ended
    /// that way the uploader takes a fresh token, so it can be resumed.
    pub fn cancel_token(&self) -> CancelToken {
        lock(&self.cancel).clone()
    }

    /// Uploads every part of the file given to `initiate_uploader`, then
    /// completes the upload; returns the archive id. For an uploader obtained
    /// from `recover_uploader` or `list_all_multipart_uploads`, use
    /// [`resume`](Uploader::resume).
    pub fn start(&self) -> Result<String> {
        self.start_with(&UploadOptions::default())
    }

    /// [`start`](Uploader::start) with a per-call progress callback and
    /// cancel token (used instead of / in addition to the uploader's own).
    pub fn start_with(&self, opts: &UploadOptions) -> Result<String> {
        self.check_not_ended()?;
        let path = self.path.clone().ok_or_else(|| {
            Error::InvalidState(format!(
                "upload {} has no file attached; call resume(path)",
                self.id()
            ))
        })?;
        let (file, size) = upload::open_source(&path)?;
        let expected = self.size_total();
        if size != expected {
            return Err(Error::InvalidState(format!(
                "{} is now {size} bytes but was {expected} when upload {} was initiated",
                path.display(),
                self.id()
            )));
        }
        self.completed(self.run(&path, file, size, HashMap::new(), opts))
    }

    /// Continues the upload from `path`: lists the parts the server holds,
    /// checks each against the same range of the local file (content etag and
    /// tree etag; a difference is [`Error::HashMismatch`] naming the range),
    /// sends the missing parts and completes. Returns the archive id.
    ///
    /// An upload the service no longer lists may have been completed by an
    /// earlier call whose answer was lost: the Complete is then repeated and
    /// the archive it names is returned if its size and tree etag are the
    /// file's ([`Error::HashMismatch`] otherwise); an aborted or unknown
    /// upload stays an `UploadIdNotExists` server error.
    pub fn resume(&self, path: impl AsRef<Path>) -> Result<String> {
        self.resume_with(path, &UploadOptions::default())
    }

    /// [`resume`](Uploader::resume) with a per-call progress callback and
    /// cancel token.
    pub fn resume_with(&self, path: impl AsRef<Path>, opts: &UploadOptions) -> Result<String> {
        self.check_not_ended()?;
        let path = path.as_ref();
        let (file, size) = upload::open_source(path)?;
        let plan = self.plan(size, path)?;
        let listed = match self.client.list_parts(&self.vault_id, self.id()) {
            Ok(listed) => listed,
            // Gone: aborted, or completed by a Complete whose answer was lost
            // (the client gave up after its retries). The latter is learnt by
            // repeating the Complete, which the service answers with the
            // same archive id for a while.
            Err(e) if upload_gone(&e) => return self.complete_again(path, &file, size, &plan, e),
            Err(e) => return Err(e),
        };
        let mut known = HashMap::new();
        for p in &listed.parts {
            let range = ByteRange::parse(&p.range_in_bytes)
                .map(|(r, _)| r)
                .filter(|r| plan.contains(r))
                .ok_or_else(|| {
                    Error::HashMismatch(format!(
                        "upload {}: the server holds part {:?}, which is not one of the \
                         {}-byte parts of {} ({size} bytes): is this the file the upload \
                         was started with?",
                        self.id(),
                        p.range_in_bytes,
                        self.part_size(),
                        path.display()
                    ))
                })?;
            known.insert(range, (p.content_etag.clone(), p.tree_etag.clone()));
        }
        *lock(&self.size_total) = size;
        self.completed(self.run(path, file, size, known, opts))
    }

    /// Aborts the upload on the server (M6) after stopping a running
    /// `start`/`resume`. The upload id is no longer usable afterwards: later
    /// calls on this handle fail with [`Error::InvalidState`].
    pub fn cancel(&self) -> Result<()> {
        self.check_not_ended()?;
        lock(&self.cancel).cancel();
        self.client
            .abort_multipart_upload(&self.vault_id, self.id())?;
        *lock(&self.ended) = Some(Ended::Aborted);
        Ok(())
    }

    /// Repeats the Complete of an upload the service no longer lists, with
    /// the part tree etags of the local file. Returns the archive id when the
    /// service answers with one and that archive holds exactly the file
    /// (size and tree etag); `gone`, the listing's error, when the service
    /// does not know the upload (it was aborted or never existed).
    fn complete_again(
        &self,
        path: &Path,
        file: &File,
        size: u64,
        plan: &[ByteRange],
        gone: Error,
    ) -> Result<String> {
        let hash = |offset: u64, len: u64| {
            digest::digest_file_range(file, offset, Some(len), Want::Tree)
                .map(|d| d.tree_etag)
                .map_err(|e| upload::hash_error(path, None, e))
        };
        let trees = plan
            .iter()
            .map(|r| hash(r.start, r.len()))
            .collect::<Result<Vec<_>>>()?;
        let tree = digest::combine_tree_etags(&trees)
            .map_err(|e| Error::Protocol(format!("upload {}: {e}", self.id())))?;
        let id = match self
            .client
            .complete_multipart_upload(&self.vault_id, self.id(), size, &tree)
        {
            Ok(id) => id,
            Err(e) if upload_gone(&e) => return Err(gone),
            Err(e) => return Err(e),
        };
        let meta = self.client.archive_meta(&self.vault_id, &id)?;
        let whole = hash(0, size)?;
        if meta.archive_size_in_bytes != size as i64
            || !meta.archive_tree_etag.eq_ignore_ascii_case(&whole)
        {
            return Err(Error::HashMismatch(format!(
                "upload {} was completed as archive {id} ({} bytes, tree etag {}), which is \
                 not {} ({size} bytes, tree etag {whole})",
                self.id(),
                meta.archive_size_in_bytes,
                meta.archive_tree_etag,
                path.display()
            )));
        }
        *lock(&self.size_total) = size;
        let t = Transfer::new(size, lock(&self.progress).clone(), 0, CancelToken::new());
        t.carry_over(lock(&self.transfer).as_deref(), self.id());
        t.skip(size);
        t.maybe_report(true);
        *lock(&self.transfer) = Some(t);
        crate::oas_info!(
            "oas::upload",
            "upload {}: had already been completed as archive {id}",
            self.id()
        );
        Ok(id)
    }

    /// The part ranges of a `size`-byte file with this upload's part size.
    fn plan(&self, size: u64, path: &Path) -> Result<Vec<ByteRange>> {
        let part = self.part_size();
        if part == 0 || ranges::calc_num_part(part, size)? > MAX_PARTS {
            return Err(Error::InvalidState(format!(
                "upload {} has part size {part}, which cannot cover {} ({size} bytes) \
                 in at most {MAX_PARTS} parts",
                self.id(),
                path.display()
            )));
        }
        Ok(ranges::calc_ranges(part, size)?)
    }

    /// Verifies the `known` parts against the file, uploads the others in
    /// parallel, completes.
    fn run(
        &self,
        path: &Path,
        file: Arc<File>,
        size: u64,
        known: HashMap<ByteRange, (String, String)>,
        opts: &UploadOptions,
    ) -> Result<String> {
        let own = self.cancel_token();
        let stop = CancelToken::linked(std::iter::once(&own).chain(opts.cancel.iter()));
        let progress = opts
            .progress
            .clone()
            .or_else(|| lock(&self.progress).clone());
        let t = Transfer::new(
            size,
            progress,
            opts.bandwidth_limit(self.client.options()),
            stop.clone(),
        );
        {
            // A resumed run on this handle never reports less than the last one.
            let mut slot = lock(&self.transfer);
            t.carry_over(slot.as_deref(), self.id());
            *slot = Some(Arc::clone(&t));
        }
        let workers = opts.workers(self.client.options());
        let result = self.run_parts(path, &file, size, known, &t, workers);
        if own.is_cancelled() {
            // Let the caller resume with this object.
            *lock(&self.cancel) = CancelToken::new();
        }
        result
    }

    fn run_parts(
        &self,
        path: &Path,
        file: &Arc<File>,
        size: u64,
        known: HashMap<ByteRange, (String, String)>,
        t: &Arc<Transfer>,
        workers: usize,
    ) -> Result<String> {
        let plan = self.plan(size, path)?;
        let stop = t.cancel_token();
        let what = format!("upload {}", self.id());
        let hash = |r: &ByteRange| {
            digest::digest_file_range(file, r.start, Some(r.len()), Want::Both)
                .map_err(|e| upload::hash_error(path, Some(*r), e))
        };

        // 1. The parts the server holds must match the local file.
        let verified: Vec<ByteRange> = plan
            .iter()
            .copied()
            .filter(|r| known.contains_key(r))
            .collect();
        let verified_trees = run_parallel(&verified, workers, stop, &what, |r| {
            let (etag, tree) = &known[r];
            let local = hash(r)?;
            if !local.etag.eq_ignore_ascii_case(etag) || !local.tree_etag.eq_ignore_ascii_case(tree)
            {
                return Err(Error::HashMismatch(format!(
                    "upload {}: part {r} on the server (content etag {etag}, tree etag {tree}) \
                     differs from bytes {r} of {} (content etag {}, tree etag {})",
                    self.id(),
                    path.display(),
                    local.etag,
                    local.tree_etag
                )));
            }
            t.skip(r.len());
            Ok(local.tree_etag)
        })?;
        let mut trees: HashMap<ByteRange, String> =
            verified.into_iter().zip(verified_trees).collect();

        // 2. Send the rest.
        let missing: Vec<ByteRange> = plan
            .iter()
            .copied()
            .filter(|r| !trees.contains_key(r))
            .collect();
        let target = PartTarget {
            client: &self.client,
            vault_id: &self.vault_id,
            upload_id: self.id(),
            transfer: t,
        };
        let sent_parts = AtomicUsize::new(0);
        // One thread hashes the parts in order ahead of the senders (see
        // upload_ahead.rs); each sender takes its part's digests from it.
        let ahead = DigestsAhead::new(missing.len());
        let order: Vec<usize> = (0..missing.len()).collect();
        // A group's MD5s share the SIMD lanes; on a failure each part of the
        // group is hashed alone, so its error names its own range.
        let hash_group = |batch: &[usize]| -> Vec<Result<Digests>> {
            let ranges: Vec<(u64, u64)> = batch
                .iter()
                .map(|&i| (missing[i].start, missing[i].len()))
                .collect();
            match digest::digest_ranges_at(file, &ranges) {
                Ok(d) => d.into_iter().map(Ok).collect(),
                Err(_) => batch.iter().map(|&i| hash(&missing[i])).collect(),
            }
        };
        let group = workers.clamp(1, HASH_GROUP_MAX);
        let sent = std::thread::scope(|s| {
            s.spawn(|| ahead.produce(stop, group, hash_group));
            run_parallel(&order, workers, stop, &what, |&i| {
                let r = missing[i];
                let d = ahead.take(i, stop, &what)?;
                let body = Payload::file(Arc::clone(file), r.start, r.len());
                target.send(r, body, &d, &sent_parts, missing.len())
            })
        })?;
        trees.extend(missing.into_iter().zip(sent));

        // 3. Complete with the part tree etags in range order.
        let ordered: Vec<String> = plan.iter().map(|r| trees[r].clone()).collect();
        target.complete(size, &ordered)
    }
}

/// True when the service says the multipart upload does not exist (any more).
fn upload_gone(e: &Error) -> bool {
    matches!(e, Error::Server(s) if s.status == 404 && s.code == "UploadIdNotExists")
}
