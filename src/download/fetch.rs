//! Fetching one range of a job output: stream it into a sink, count it, hash
//! it, compare with the server's tree etag where the range is tree-aligned,
//! and retry short reads and mismatches.

use crate::client::CancelToken;
use crate::digest::{is_tree_aligned, parse_tree_etag, TreeHasher};
use crate::error::{Error, Result};
use crate::job::Job;
use crate::oas_warn;
use crate::ranges::ByteRange;
use crate::transfer::Transfer;
use std::io::Read;

/// Where the bytes of one range go. `restart` is called before every attempt
/// so a retry can overwrite (or discard) what a failed attempt wrote.
pub(crate) trait RangeSink {
    /// Prepares for a new attempt.
    fn restart(&mut self) -> std::io::Result<()>;
    /// Writes `data` at `offset` bytes into the range.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()>;
}

/// What is known about the job output, shared by every range of a download.
#[derive(Debug, Clone)]
pub(crate) struct OutputInfo {
    pub(crate) vault_id: String,
    pub(crate) job_id: String,
    /// Size of the job output.
    pub(crate) size: u64,
    /// For archive jobs: where the output starts in the archive and the
    /// archive's size, to decide tree alignment (§3.4). `None` for inventories.
    pub(crate) archive: Option<(u64, u64)>,
}

impl OutputInfo {
    /// Describes the output of a finished job.
    pub(crate) fn of(job: &Job) -> Result<OutputInfo> {
        let size = job.output_size()?;
        let archive = if job.action() == crate::job::ACTION_ARCHIVE_RETRIEVAL {
            let start = job.retrieval_byte_range().map_or(0, |r| r.start);
            job.archive_size().map(|total| (start, total))
        } else {
            None
        };
        Ok(OutputInfo {
            vault_id: job.vault_id().to_string(),
            job_id: job.id().to_string(),
            size,
            archive,
        })
    }

    /// True when `range` of the output is one node of the archive's tree, so
    /// the server must send its tree etag.
    pub(crate) fn aligned(&self, range: ByteRange) -> bool {
        self.archive.is_some_and(|(base, total)| {
            is_tree_aligned(base + range.start, base + range.end, total)
        })
    }

    /// Checks the output-relative alignment rule (§4.4 J4) before any request.
    pub(crate) fn check_range(&self, range: ByteRange) -> Result<()> {
        const MIB: u64 = crate::ranges::MIB;
        if range.end >= self.size {
            return Err(Error::InvalidArgument(format!(
                "range {range} ends past the end of job {}'s output ({} bytes)",
                self.job_id, self.size
            )));
        }
        if range.start % MIB != 0 {
            return Err(Error::InvalidArgument(format!(
                "range {range}: the start must be a multiple of 1 MiB (1048576)"
            )));
        }
        if (range.end + 1) % MIB != 0 && range.end + 1 != self.size {
            return Err(Error::InvalidArgument(format!(
                "range {range}: end + 1 must be a multiple of 1 MiB (1048576) or the output size ({})",
                self.size
            )));
        }
        Ok(())
    }
}

/// Result of a verified range.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// Tree etag computed over the bytes that arrived.
    pub(crate) tree_etag: String,
    /// True when it was compared with the server's `x-oas-tree-etag`.
    pub(crate) verified: bool,
}

/// A failed attempt: whether another attempt may help.
enum Failure {
    Retry(Error),
    Fatal(Error),
}

/// Everything one range fetch needs besides the range.
pub(crate) struct Fetcher<'a> {
    pub(crate) client: &'a crate::client::Client,
    pub(crate) output: &'a OutputInfo,
    pub(crate) chunk_size: usize,
    pub(crate) transfer: &'a Transfer,
    pub(crate) cancel: &'a CancelToken,
}

impl Fetcher<'_> {
    /// Fetches `range` into `sink`, retrying short reads, broken bodies and
    /// digest mismatches up to the client's attempt count. Errors:
    /// [`Error::HashMismatch`] when the last attempt's digest was wrong,
    /// [`Error::Download`] for incomplete data, [`Error::Cancelled`], or the
    /// server's error for rejected requests.
    pub(crate) fn fetch(&self, range: ByteRange, sink: &mut dyn RangeSink) -> Result<Fetched> {
        let policy = &self.client.options().retry;
        let mut attempt = 1;
        // The furthest byte of this range any attempt counted as progress: a
        // retry counts only what lies beyond it, so `done` never goes back.
        let mut counted = 0u64;
        loop {
            sink.restart()
                .map_err(|e| Error::io(format!("preparing range {range} for writing"), e))?;
            let err = match self.attempt(range, sink, &mut counted) {
                Ok(f) => return Ok(f),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(e)) => e,
            };
            if attempt >= policy.max_attempts {
                return Err(err);
            }
            let delay = policy.delay(attempt);
            oas_warn!(
                "oas::job",
                "job {} range {range}: attempt {attempt}/{} failed ({err}); retrying in {} ms",
                self.output.job_id,
                policy.max_attempts,
                delay.as_millis()
            );
            if !self.cancel.sleep(delay) {
                return Err(self.cancelled(range));
            }
            attempt += 1;
        }
    }

    fn cancelled(&self, range: ByteRange) -> Error {
        Error::Cancelled(format!(
            "download of job {} range {range}",
            self.output.job_id
        ))
    }

    fn attempt(
        &self,
        range: ByteRange,
        sink: &mut dyn RangeSink,
        counted: &mut u64,
    ) -> std::result::Result<Fetched, Failure> {
        let out = &self.output;
        let ctx = format!("job {} range {range}", out.job_id);
        let resp = self
            .client
            .get_job_output(
                &out.vault_id,
                &out.job_id,
                Some(range),
                Some(self.cancel.clone()),
            )
            // The request itself was already retried by the client as its
            // policy allows; what is left is final.
            .map_err(Failure::Fatal)?;
        let want = range.len();
        if let Some(n) = resp.content_length {
            if n != want {
                return Err(Failure::Retry(Error::Download(format!(
                    "{ctx}: server announced {n} bytes, expected {want}"
                ))));
            }
        }
        if let Some(cr) = resp.headers.get("content-range") {
            match ByteRange::parse(cr) {
                Some((r, _)) if r == range => {}
                _ => {
                    return Err(Failure::Retry(Error::Download(format!(
                        "{ctx}: server answered with Content-Range {cr:?}"
                    ))))
                }
            }
        }
        let server_etag = resp.tree_etag.clone();
        let aligned = out.aligned(range);
        if aligned && server_etag.is_none() {
            return Err(Failure::Fatal(Error::Download(format!(
                "{ctx}: the range is tree-aligned but the server sent no x-oas-tree-etag, so it cannot be verified"
            ))));
        }
        let mut body = resp.body;
        let mut hasher = TreeHasher::new();
        let mut buf = vec![0u8; self.chunk_size.max(1)];
        let mut got = 0u64;
        loop {
            // Fill one chunk (or what is left of the range) before writing it.
            let cap = (want - got).min(buf.len() as u64) as usize;
            let mut filled = 0;
            let mut eof = false;
            while filled < cap.max(1) {
                let n = if filled < cap {
                    body.read(&mut buf[filled..cap])
                } else {
                    // The range is complete: probe for bytes the server should not send.
                    let mut probe = [0u8; 1];
                    body.read(&mut probe)
                };
                match n {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) if filled < cap => filled += n,
                    Ok(_) => {
                        return Err(Failure::Retry(Error::Download(format!(
                            "{ctx}: server sent more than the {want} bytes asked for"
                        ))))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        if self.cancel.is_cancelled() {
                            return Err(Failure::Fatal(self.cancelled(range)));
                        }
                        return Err(Failure::Retry(Error::Download(format!(
                            "{ctx}: reading the response failed after {} of {want} bytes: {e}",
                            got + filled as u64
                        ))));
                    }
                }
            }
            if filled > 0 {
                let chunk = &buf[..filled];
                sink.write_at(got, chunk).map_err(|e| {
                    Failure::Fatal(Error::io(format!("{ctx}: writing the downloaded bytes"), e))
                })?;
                hasher.update(chunk);
                got += filled as u64;
                let new = got.saturating_sub(*counted);
                *counted = (*counted).max(got);
                if self
                    .transfer
                    .pace(filled as u64)
                    .and_then(|_| self.transfer.credit(new))
                    .is_err()
                {
                    return Err(Failure::Fatal(self.cancelled(range)));
                }
            }
            if eof || cap == 0 {
                break;
            }
        }
        if got != want {
            return Err(Failure::Retry(Error::Download(format!(
                "{ctx}: incomplete download: got {got} of {want} bytes"
            ))));
        }
        let computed = hasher.finish();
        let verified = match &server_etag {
            Some(s) => {
                if parse_tree_etag(s).as_ref().map(|h| &h[..]) != Some(computed.as_bytes()) {
                    return Err(Failure::Retry(Error::HashMismatch(format!(
                        "{ctx}: tree etag of the received bytes is {computed}, the server says {s}"
                    ))));
                }
                true
            }
            None => false,
        };
        Ok(Fetched {
            tree_etag: computed,
            verified,
        })
    }
}
