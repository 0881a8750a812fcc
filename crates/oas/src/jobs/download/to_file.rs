//! [`Job::download_to_file`]: the parallel, journaled, resumable download of a
//! whole job output.
//!
//! Order of work: plan ranges → open the target without truncating → load the
//! journal and re-hash from the file every range it calls done → fetch the
//! rest in parallel, each written at its offset with positional writes and
//! journaled once complete → verify the whole output → fsync → remove the
//! journal.

use super::fetch::{Fetcher, OutputInfo, RangeSink};
use super::journal::{sync_dir, DoneRange, Journal};
use super::{DownloadOptions, FileAt, DEFAULT_CHUNK_SIZE};
use crate::digest::{combine_tree_etags, digest_file_range, Want};
use crate::engine::pool::{run_parallel, MAX_WORKERS};
use crate::engine::sync::{into_inner, lock};
use crate::engine::CancelToken;
use crate::error::{Error, Result};
use crate::jobs::Job;
use crate::ranges::{calc_ranges, ByteRange, MAX_PARTS, MIB};
use crate::{oas_info, oas_warn};
use std::collections::VecDeque;
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

/// Range size of the SDK's plan for outputs above one range.
pub const DEFAULT_RANGE_SIZE: u64 = 32 * MIB;

/// Range size for an output of `output_size` bytes: `requested` when it is
/// not 0 (it must be a multiple of 1 MiB), else 32 MiB (a single range for
/// outputs up to 32 MiB); grown to the smallest power-of-two number of MiB
/// that keeps the plan within 10 000 ranges.
pub fn plan_range_size(output_size: u64, requested: u64) -> Result<u64> {
    if requested % MIB != 0 {
        return Err(Error::InvalidArgument(format!(
            "download range size {requested} must be a multiple of 1 MiB (1048576)"
        )));
    }
    let mut size = if requested == 0 {
        DEFAULT_RANGE_SIZE
    } else {
        requested
    };
    if output_size.div_ceil(size) > MAX_PARTS {
        let mib = output_size.div_ceil(MAX_PARTS).div_ceil(MIB);
        size = size.max(mib.next_power_of_two() * MIB);
    }
    Ok(size)
}

fn is_power_of_two_mib(size: u64) -> bool {
    size % MIB == 0 && (size / MIB).is_power_of_two()
}

impl Job {
    /// Downloads the whole job output to `path`, in parallel ranges written
    /// at their offsets, with a progress journal `<path>.oas` (see
    /// [`Journal`]) so that an interrupted download resumes:
    ///
    /// * the target is never truncated; every range the journal lists is
    ///   re-hashed from the file and fetched again if it does not match;
    /// * a journal of another job or output size, or one that cannot be read,
    ///   is discarded and the download starts over;
    /// * a resumed download keeps the journal's range size;
    /// * at the end the whole output is verified (combined tree etag against
    ///   the job's `TreeEtag` when the job's range is tree-aligned; otherwise
    ///   each range's own check plus the total size), the file is fsynced and
    ///   the journal removed;
    /// * the target is locked (`flock`) while the download runs: a second
    ///   download to the same path fails with [`Error::InvalidState`].
    ///
    /// On failure or cancellation the journal stays, holding every range that
    /// was finished. `chunk_size` 0 = 1 MiB.
    pub fn download_to_file_with(
        &mut self,
        path: &Path,
        chunk_size: usize,
        block: bool,
        options: &DownloadOptions,
    ) -> Result<()> {
        self.ensure_ready_cancellable(block, options.wait.as_ref(), options.cancel.as_ref())?;
        let output = OutputInfo::of(self)?;
        let chunk_size = if chunk_size == 0 {
            DEFAULT_CHUNK_SIZE
        } else {
            chunk_size
        };
        let requested = options
            .range_size
            .unwrap_or(self.client.options().download_range_size);
        let planned = plan_range_size(output.size, requested)?;
        let archive_id = self.info.archive_id.clone();
        let journal_path = Journal::path_for(path);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        lock_exclusive(&file, path)?;

        // Resume state: a journal of this very download, else a fresh one.
        let mut journal = match Journal::load(&journal_path) {
            Ok(Some(j))
                if j.same_download(&output.job_id, &archive_id, output.size)
                    && plan_range_size(output.size, j.range_size).ok() == Some(j.range_size) =>
            {
                j
            }
            Ok(None) => Journal::new(&output.job_id, &archive_id, output.size, planned),
            Ok(Some(_)) => {
                oas_warn!(
                    "oas::job",
                    "journal {} belongs to another download; starting over",
                    journal_path.display()
                );
                Journal::new(&output.job_id, &archive_id, output.size, planned)
            }
            Err(e) => {
                oas_warn!("oas::job", "{e}; starting over");
                Journal::new(&output.job_id, &archive_id, output.size, planned)
            }
        };
        let ranges = calc_ranges(journal.range_size, output.size)?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?
            .len();
        if len < output.size {
            file.set_len(output.size)
                .map_err(|e| Error::io(format!("extending {}", path.display()), e))?;
        }

        let key = format!("file {}", path.display());
        let (transfer, cancel) = self.start_transfer(output.size, options, Some(key));
        let mut trusted = Vec::new();
        let mut pending = VecDeque::new();
        for r in &ranges {
            match journal
                .done
                .iter()
                .find(|d| d.start == r.start && d.end == r.end)
            {
                Some(d) if range_matches(&file, *r, &d.tree_etag) => {
                    transfer.skip(r.len());
                    trusted.push(d.clone());
                }
                Some(_) => {
                    oas_warn!(
                        "oas::job",
                        "{}: range {r} listed as done does not match its tree etag; fetching it again",
                        path.display()
                    );
                    pending.push_back(*r);
                }
                None => pending.push_back(*r),
            }
        }
        journal.done = trusted;
        journal.save(&journal_path)?;
        oas_info!(
            "oas::job",
            "job {}: downloading {} of {} ranges ({} bytes each) to {}",
            output.job_id,
            pending.len(),
            ranges.len(),
            journal.range_size,
            path.display()
        );

        let workers = options
            .workers
            .unwrap_or(self.client.options().workers)
            .clamp(1, MAX_WORKERS)
            .min(pending.len().max(1));
        let journal = Mutex::new(journal);
        let verified = Mutex::new(Vec::<ByteRange>::new());
        let fetcher = Fetcher {
            client: &self.client,
            output: &output,
            chunk_size,
            transfer: &transfer,
            cancel: &cancel,
        };
        // A failed range stops the others from taking new ranges; the ranges
        // in flight finish (and are journaled), so nothing fetched is lost.
        let stop = CancelToken::new();
        let pending: Vec<ByteRange> = pending.into();
        let fetched = run_parallel(&pending, workers, &stop, "download", |&range| {
            let mut sink = FileAt {
                file: &file,
                base: range.start,
                readable: true,
                path: Some(path),
            };
            let fetched = fetcher.fetch(range, &mut sink as &mut dyn RangeSink)?;
            if fetched.verified {
                lock(&verified).push(range);
            }
            let mut j = lock(&journal);
            j.mark_done(DoneRange {
                start: range.start,
                end: range.end,
                tree_etag: fetched.tree_etag,
            });
            // The journal lists ranges written to the file; the disk writes
            // are started here and waited for by the final fsync. After a
            // power loss a listed range whose bytes did not reach the disk
            // fails the re-hash every resume makes and is fetched again.
            start_writeback(&file, range);
            j.save(&journal_path)
        });
        transfer.maybe_report(true);
        fetched?;
        let mut journal = into_inner(journal);
        let verified = into_inner(verified);
        self.verify_output(&file, path, &output, &mut journal, &journal_path, &verified)?;
        file.sync_all()
            .map_err(|e| Error::io(format!("flushing {}", path.display()), e))?;
        sync_dir(path)
            .map_err(|e| Error::io(format!("syncing the directory of {}", path.display()), e))?;
        Journal::remove(&journal_path)?;
        oas_info!(
            "oas::job",
            "job {}: {} bytes downloaded and verified to {}",
            output.job_id,
            output.size,
            path.display()
        );
        Ok(())
    }

    /// The final check over the whole output. On a mismatch, ranges that were
    /// not verified on their own are dropped from the journal so the next call
    /// fetches them again.
    fn verify_output(
        &self,
        file: &File,
        path: &Path,
        output: &OutputInfo,
        journal: &mut Journal,
        journal_path: &Path,
        verified_now: &[ByteRange],
    ) -> Result<()> {
        let ranges = calc_ranges(journal.range_size, output.size)?;
        let covered = ranges.len() == journal.done.len()
            && ranges
                .iter()
                .zip(&journal.done)
                .all(|(r, d)| r.start == d.start && r.end == d.end);
        if !covered {
            return Err(Error::Download(format!(
                "job {}: {} of {} ranges are done",
                output.job_id,
                journal.done.len(),
                ranges.len()
            )));
        }
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?
            .len();
        if len > output.size {
            // Left over from an older, larger file at this path.
            file.set_len(output.size)
                .map_err(|e| Error::io(format!("trimming {}", path.display()), e))?;
        }
        let Some(whole) = ByteRange::new(0, output.size.saturating_sub(1)) else {
            return Ok(());
        };
        if !output.aligned(whole) {
            // Not aligned: no whole-output tree etag exists; every range was
            // checked as far as the protocol allows, and the size is right.
            return Ok(());
        }
        let expected = match (self.tree_etag(), self.etag()) {
            (Some(t), _) => t.to_string(),
            // The whole archive was retrieved: its tree etag is the output's.
            (None, Some(a)) if output.archive == Some((0, output.size)) => a.to_string(),
            _ => {
                return Err(Error::Protocol(format!(
                "job {}: its range is tree-aligned but the job has no TreeEtag to verify against",
                output.job_id
            )))
            }
        };
        let actual = if is_power_of_two_mib(journal.range_size) {
            let etags: Vec<&str> = journal.done.iter().map(|d| d.tree_etag.as_str()).collect();
            combine_tree_etags(&etags).map_err(|e| Error::Internal(e.to_string()))?
        } else {
            // Ranges of other sizes are not tree nodes: hash the file itself.
            digest_file_range(file, 0, Some(output.size), Want::Tree)?.tree_etag
        };
        if actual.eq_ignore_ascii_case(&expected) {
            return Ok(());
        }
        // Keep only ranges verified against the server on their own.
        let keep = |d: &DoneRange| {
            verified_now.iter().any(|r| r.start == d.start)
                || output.aligned(ByteRange {
                    start: d.start,
                    end: d.end,
                })
        };
        journal.done.retain(keep);
        journal.save(journal_path)?;
        Err(Error::HashMismatch(format!(
            "job {}: tree etag of the downloaded output is {actual}, the job's is {expected}; unverified ranges will be fetched again",
            output.job_id
        )))
    }
}

/// Takes an advisory lock on the target for the duration of the download
/// (released when the file is closed, also by a crash), so two downloads to
/// one path cannot interleave their writes and journals.
fn lock_exclusive(file: &File, path: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock only operates on the open descriptor.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    if err.kind() == std::io::ErrorKind::WouldBlock {
        return Err(Error::InvalidState(format!(
            "another download to {} is in progress",
            path.display()
        )));
    }
    Err(Error::io(format!("locking {}", path.display()), err))
}

/// Starts writing `range` of `file` to disk without waiting
/// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`), so the disk works while the
/// other ranges arrive and the final fsync has little left to wait for. A
/// hint only: where it fails, the final fsync does all the writing.
fn start_writeback(file: &File, range: ByteRange) {
    use std::os::fd::AsRawFd;
    let (Ok(start), Ok(len)) = (
        libc::off64_t::try_from(range.start),
        libc::off64_t::try_from(range.len()),
    ) else {
        return;
    };
    // SAFETY: sync_file_range only operates on the open descriptor.
    let _ =
        unsafe { libc::sync_file_range(file.as_raw_fd(), start, len, libc::SYNC_FILE_RANGE_WRITE) };
}

/// True when the bytes of `range` in `file` have tree etag `etag`.
fn range_matches(file: &File, range: ByteRange, etag: &str) -> bool {
    match digest_file_range(file, range.start, Some(range.len()), Want::Tree) {
        Ok(d) => d.tree_etag.eq_ignore_ascii_case(etag),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_follows_the_sdk() {
        assert_eq!(plan_range_size(1, 0).unwrap(), 32 * MIB);
        assert_eq!(
            calc_ranges(plan_range_size(32 * MIB, 0).unwrap(), 32 * MIB)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(plan_range_size(64 * MIB + 13, 0).unwrap(), 32 * MIB);
        assert_eq!(plan_range_size(10 * MIB, 2 * MIB).unwrap(), 2 * MIB);
        assert!(plan_range_size(10 * MIB, MIB + 1).is_err());
        // 1 TiB / 10 000 = 104.9 MiB -> 128 MiB.
        assert_eq!(plan_range_size(1 << 40, 0).unwrap(), 128 * MIB);
        assert_eq!(plan_range_size(1 << 40, MIB).unwrap(), 128 * MIB);
        assert!(is_power_of_two_mib(32 * MIB));
        assert!(!is_power_of_two_mib(3 * MIB));
    }
}
