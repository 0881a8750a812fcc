//! A job of a vault (the SDK's `Job`, spec §4.4 and §7): its fields, status
//! updates, waiting with backoff, and reuse of an existing retrieval.
//!
//! Downloads of the job output live in [`crate::download`].

use crate::api::check_description;
use crate::client::{CancelToken, Client};
use crate::error::{Error, Result};
use crate::model::{JobInfo, JobRequest};
use crate::ranges::ByteRange;
use crate::transfer::Transfer;
use crate::vault::Vault;
use crate::{oas_debug, oas_info};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// `Action` of an archive retrieval job.
pub const ACTION_ARCHIVE_RETRIEVAL: &str = "ArchiveRetrieval";
/// `Action` of an inventory retrieval job.
pub const ACTION_INVENTORY_RETRIEVAL: &str = "InventoryRetrieval";
/// `Action` of a pull-from-OSS job.
pub const ACTION_PULL_FROM_OSS: &str = "PullFromOSS";
/// `Action` of a push-to-OSS job.
pub const ACTION_PUSH_TO_OSS: &str = "PushToOSS";

/// How long a finished job's output stays downloadable (spec §6).
pub const OUTPUT_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// A finished job is reused only while at least this much of its lifetime is
/// left, so the download does not run into the expiry.
pub const REUSE_MIN_REMAINING: Duration = Duration::from_secs(3600);

/// How [`Job::wait`] polls.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Nominal delay before the second status call (the first is made at once).
    pub first_interval: Duration,
    /// Upper bound of the delay; it doubles after each call until it gets here.
    pub max_interval: Duration,
    /// Give up with [`Error::Timeout`] after this long; `None` = wait forever.
    pub timeout: Option<Duration>,
    /// Stops the wait with [`Error::Cancelled`].
    pub cancel: Option<CancelToken>,
}

/// Each sleep is the nominal delay times a factor drawn from
/// `1.0..=JITTER_MAX`, so that many clients started together spread out.
/// Lengthening rather than shortening keeps the call counts of the schedule
/// at their no-jitter values or below.
pub const JITTER_MAX: f64 = 1.1;

impl Default for WaitOptions {
    /// Good for both ends: 1 s doubling (with jitter) to 15 min, so a job that
    /// ends after 2 s is seen about a second later, a 60 s job costs 7 status
    /// calls and a 4-hour job at most 30 (see [`WaitOptions::calls_for`]).
    fn default() -> Self {
        WaitOptions {
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(15 * 60),
            timeout: None,
            cancel: None,
        }
    }
}

impl WaitOptions {
    /// The nominal delays between status calls (no jitter), starting at
    /// `first_interval` and doubling up to `max_interval`.
    pub fn intervals(&self) -> impl Iterator<Item = Duration> + '_ {
        let first = self.first_interval.max(Duration::from_millis(1));
        let cap = self.max_interval.max(first);
        std::iter::successors(Some(first), move |d| Some((*d * 2).min(cap)))
    }

    /// The sleep before the next status call: `nominal` times `factor`
    /// (clamped to `1.0..=JITTER_MAX`).
    pub fn jittered(nominal: Duration, factor: f64) -> Duration {
        nominal.mul_f64(factor.clamp(1.0, JITTER_MAX))
    }

    /// Status calls [`Job::wait`] makes for a job that finishes `job_time`
    /// after the wait starts, when every sleep is the nominal delay times
    /// `factor` (1.0 = no jitter and the most calls, [`JITTER_MAX`]). Request
    /// time is not counted. For the schedule's worst and best cases.
    pub fn calls_for(&self, job_time: Duration, factor: f64) -> u32 {
        let mut at = Duration::ZERO;
        let mut calls = 1;
        for d in self.intervals() {
            if at >= job_time {
                break;
            }
            at += Self::jittered(d, factor);
            calls += 1;
        }
        calls
    }
}

/// A job of a vault: the last description read from the server plus what is
/// needed to update it and download its output.
#[derive(Debug, Clone)]
pub struct Job {
    pub(crate) client: Client,
    pub(crate) vault_id: String,
    pub(crate) info: JobInfo,
    pub(crate) wait_options: WaitOptions,
    /// The current (or last) download, read by [`Job::size_completed`].
    pub(crate) progress: Arc<Mutex<Option<Arc<Transfer>>>>,
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn known_size(v: i64) -> Option<u64> {
    u64::try_from(v).ok()
}

impl Job {
    /// A job of vault `vault_id` described by `info`, reached through `client`.
    pub fn new(client: Client, vault_id: impl Into<String>, info: JobInfo) -> Job {
        Job {
            client,
            vault_id: vault_id.into(),
            info,
            wait_options: WaitOptions::default(),
            progress: Arc::new(Mutex::new(None)),
        }
    }

    /// A job of `vault` described by `info`.
    pub fn from_info(vault: &Vault, info: JobInfo) -> Job {
        Job::new(vault.client().clone(), vault.id(), info)
    }

    /// Describes job `job_id` of vault `vault_id` (Describe Job).
    pub fn describe(client: &Client, vault_id: &str, job_id: &str) -> Result<Job> {
        let info = client.describe_job(vault_id, job_id)?;
        Ok(Job::new(client.clone(), vault_id, info))
    }

    /// Starts a job (Initiate Job) and describes it.
    pub fn initiate(client: &Client, vault_id: &str, request: &JobRequest) -> Result<Job> {
        let id = client.initiate_job(vault_id, request)?;
        oas_info!(
            "oas::job",
            "vault {vault_id}: started {} job {id}",
            request.job_type
        );
        Job::describe(client, vault_id, &id)
    }

    /// The job's description as last read from the server.
    pub fn info(&self) -> &JobInfo {
        &self.info
    }

    /// The client the job is reached through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The id of the job's vault.
    pub fn vault_id(&self) -> &str {
        &self.vault_id
    }

    /// `JobId`.
    pub fn id(&self) -> &str {
        &self.info.job_id
    }

    /// `Action`: `ArchiveRetrieval`, `InventoryRetrieval`, `PullFromOSS` or `PushToOSS`.
    pub fn action(&self) -> &str {
        &self.info.action
    }

    /// `ArchiveId`; `None` when empty (inventory jobs, unfinished pulls).
    pub fn archive_id(&self) -> Option<&str> {
        non_empty(&self.info.archive_id)
    }

    /// `ArchiveSizeInBytes`; `None` until known.
    pub fn archive_size(&self) -> Option<u64> {
        known_size(self.info.archive_size_in_bytes)
    }

    /// `Completed`: true once the job finished, successfully or not.
    pub fn completed(&self) -> bool {
        self.info.completed
    }

    /// `CreationDate` (RFC 1123).
    pub fn creation_date(&self) -> Option<&str> {
        non_empty(&self.info.creation_date)
    }

    /// `CompletionDate` (RFC 1123); `None` while running.
    pub fn completion_date(&self) -> Option<&str> {
        non_empty(&self.info.completion_date)
    }

    /// `InventorySizeInBytes`; `None` until known and for other job types.
    pub fn inventory_size(&self) -> Option<u64> {
        known_size(self.info.inventory_size_in_bytes)
    }

    /// `JobDescription`; `None` when empty.
    pub fn description(&self) -> Option<&str> {
        non_empty(&self.info.job_description)
    }

    /// `StatusCode`: `InProgress`, `Succeeded` or `Failed`.
    pub fn status_code(&self) -> &str {
        &self.info.status_code
    }

    /// `StatusMessage`; `None` when empty.
    pub fn status_message(&self) -> Option<&str> {
        non_empty(&self.info.status_message)
    }

    /// `TreeEtag`: tree etag of the retrieved range; `None` when the range is
    /// not tree-aligned, for inventories and unfinished jobs.
    pub fn tree_etag(&self) -> Option<&str> {
        non_empty(&self.info.tree_etag)
    }

    /// `ArchiveTreeEtag` (the SDK's `etag`): the whole archive's tree etag.
    pub fn etag(&self) -> Option<&str> {
        non_empty(&self.info.archive_tree_etag)
    }

    /// `ArchiveContentEtag`, when the server sends it.
    pub fn content_etag(&self) -> Option<&str> {
        non_empty(&self.info.archive_content_etag)
    }

    /// `RetrievalByteRange`, parsed; `None` when absent or malformed.
    pub fn retrieval_byte_range(&self) -> Option<ByteRange> {
        ByteRange::parse(&self.info.retrieval_byte_range).map(|(r, _)| r)
    }

    /// True when the job finished successfully.
    pub fn succeeded(&self) -> bool {
        self.info.completed && self.info.status_code == "Succeeded"
    }

    /// True when the job finished without success.
    pub fn failed(&self) -> bool {
        self.info.completed && self.info.status_code != "Succeeded"
    }

    /// True for jobs whose output can be downloaded (archive and inventory
    /// retrievals).
    pub fn has_output(&self) -> bool {
        self.info.action == ACTION_ARCHIVE_RETRIEVAL
            || self.info.action == ACTION_INVENTORY_RETRIEVAL
    }

    /// Bytes of the current (or last) download so far; readable while it runs
    /// through a clone of [`Job::progress_probe`].
    pub fn size_completed(&self) -> u64 {
        self.progress_probe().size_completed()
    }

    /// A handle that reads [`Job::size_completed`] from another thread while
    /// this job downloads.
    pub fn progress_probe(&self) -> ProgressProbe {
        ProgressProbe(Arc::clone(&self.progress))
    }

    /// Sets, on this handle, the polling of downloads called with
    /// `block = true` whose [`DownloadOptions::wait`](crate::DownloadOptions)
    /// is `None` (default: [`WaitOptions::default`], no timeout).
    pub fn set_wait_options(&mut self, options: WaitOptions) {
        self.wait_options = options;
    }

    /// The polling of downloads called with `block = true` and no per-call
    /// wait options.
    pub fn wait_options(&self) -> &WaitOptions {
        &self.wait_options
    }

    /// Reads the job's status from the server (Describe Job).
    pub fn update_status(&mut self) -> Result<()> {
        let info = self
            .client
            .describe_job(&self.vault_id, &self.info.job_id)?;
        oas_debug!(
            "oas::job",
            "job {}: {} {}",
            info.job_id,
            info.status_code,
            info.status_message
        );
        self.info = info;
        Ok(())
    }

    /// The outcome of a finished job: `Ok` for success, [`Error::JobFailed`]
    /// with the status message otherwise; [`Error::JobNotReady`] while running.
    pub fn outcome(&self) -> Result<()> {
        if !self.info.completed {
            return Err(Error::JobNotReady(format!(
                "job {} ({}) is {}",
                self.info.job_id, self.info.action, self.info.status_code
            )));
        }
        if self.succeeded() {
            Ok(())
        } else {
            Err(Error::JobFailed(format!(
                "job {} ({}) ended {}: {}",
                self.info.job_id, self.info.action, self.info.status_code, self.info.status_message
            )))
        }
    }

    /// Polls until the job finishes: one status call at once, then after
    /// `first_interval`, doubling up to `max_interval`, each sleep lengthened
    /// by a random factor of 1..[`JITTER_MAX`]. Returns the outcome
    /// ([`Job::outcome`]); [`Error::Timeout`] when `timeout` passes first.
    pub fn wait(&mut self, options: &WaitOptions) -> Result<()> {
        let started = Instant::now();
        let mut intervals = options.intervals();
        loop {
            if let Some(c) = &options.cancel {
                if c.is_cancelled() {
                    return Err(Error::Cancelled(format!("waiting for job {}", self.id())));
                }
            }
            self.update_status()?;
            if self.info.completed {
                oas_info!(
                    "oas::job",
                    "job {} finished: {}",
                    self.info.job_id,
                    self.info.status_code
                );
                return self.outcome();
            }
            let nominal = intervals.next().unwrap_or(options.max_interval);
            let factor = 1.0 + (JITTER_MAX - 1.0) * rand::random::<f64>();
            let mut delay = WaitOptions::jittered(nominal, factor);
            if let Some(t) = options.timeout {
                let left = t.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(Error::Timeout(format!(
                        "job {} still {} after {:?}",
                        self.info.job_id, self.info.status_code, t
                    )));
                }
                // Check once more right at the deadline rather than oversleeping it.
                delay = delay.min(left);
            }
            let slept = match &options.cancel {
                Some(c) => c.sleep(delay),
                None => {
                    std::thread::sleep(delay);
                    true
                }
            };
            if !slept {
                return Err(Error::Cancelled(format!("waiting for job {}", self.id())));
            }
        }
    }

    /// Makes sure the job finished successfully before its output is read:
    /// with `block`, waits with the job's [`WaitOptions`]; without, refreshes
    /// the status once if needed and fails with [`Error::JobNotReady`] or
    /// [`Error::JobFailed`].
    pub fn ensure_ready(&mut self, block: bool) -> Result<()> {
        self.ensure_ready_cancellable(block, None, None)
    }

    /// [`Job::ensure_ready`] waiting with `wait` (this call's options; `None`
    /// = the handle's) and also stopping when `cancel` is set (the downloads
    /// pass their own token).
    pub(crate) fn ensure_ready_cancellable(
        &mut self,
        block: bool,
        wait: Option<&WaitOptions>,
        cancel: Option<&CancelToken>,
    ) -> Result<()> {
        if !self.has_output() {
            return Err(Error::InvalidState(format!(
                "job {} is a {} job, which has no output to download",
                self.info.job_id, self.info.action
            )));
        }
        if self.info.completed {
            return self.outcome();
        }
        if block {
            let mut opts = wait.unwrap_or(&self.wait_options).clone();
            if opts.cancel.is_none() {
                opts.cancel = cancel.cloned();
            }
            self.wait(&opts)
        } else {
            self.update_status()?;
            self.outcome()
        }
    }

    /// Finds an unexpired archive retrieval of `archive_id` over the same
    /// range (`None` = the whole archive) that is running or succeeded, so a
    /// restarted program does not pay for a second retrieval. Prefers
    /// succeeded jobs, then the most recent. Succeeded jobs with less than
    /// [`REUSE_MIN_REMAINING`] of their 24 h output lifetime left are skipped.
    pub fn find_reusable(
        client: &Client,
        vault_id: &str,
        archive_id: &str,
        range: Option<ByteRange>,
    ) -> Result<Option<Job>> {
        let jobs: Vec<JobInfo> = client
            .list_jobs(vault_id)?
            .into_iter()
            .filter(|j| j.action == ACTION_ARCHIVE_RETRIEVAL && j.archive_id == archive_id)
            .collect();
        let wanted = match range {
            Some(r) => Some(r),
            // The whole archive: learn its size from a finished job or the
            // archive's metadata, to compare with `RetrievalByteRange`.
            None => jobs
                .iter()
                .find_map(|j| known_size(j.archive_size_in_bytes))
                .or_else(|| {
                    client
                        .archive_meta(vault_id, archive_id)
                        .ok()
                        .and_then(|m| known_size(m.archive_size_in_bytes))
                })
                .and_then(|size| ByteRange::new(0, size.checked_sub(1)?)),
        };
        let best = pick_reusable(jobs, wanted, SystemTime::now());
        Ok(best.map(|info| {
            oas_info!(
                "oas::job",
                "reusing {} job {} for archive {archive_id}",
                info.status_code,
                info.job_id
            );
            Job::new(client.clone(), vault_id, info)
        }))
    }

    /// Returns a reusable retrieval of `archive_id` ([`Job::find_reusable`])
    /// or starts a new one (`range` `None` = the whole archive). The
    /// arguments after the ids are in the order of
    /// [`Vault::retrieve_archive`]: description, then range.
    pub fn retrieve_archive_reuse(
        client: &Client,
        vault_id: &str,
        archive_id: &str,
        description: Option<&str>,
        range: Option<ByteRange>,
    ) -> Result<Job> {
        if let Some(d) = description {
            check_description(d)?;
        }
        // Checked before looking for a job to reuse, so a bad range never
        // costs a listing.
        let request = crate::vault_jobs::archive_retrieval_request(archive_id, description, range)?;
        if let Some(job) = Job::find_reusable(client, vault_id, archive_id, range)? {
            return Ok(job);
        }
        Job::initiate(client, vault_id, &request)
    }
}

impl Vault {
    /// Like [`Vault::retrieve_archive`], but first looks for a reusable
    /// retrieval of the same archive and range ([`Job::find_reusable`]), so a
    /// restarted program does not pay for a second one.
    pub fn retrieve_archive_reuse(
        &self,
        archive_id: &str,
        description: Option<&str>,
        byte_range: Option<ByteRange>,
    ) -> Result<Job> {
        Job::retrieve_archive_reuse(
            self.client(),
            self.id(),
            archive_id,
            description,
            byte_range,
        )
    }
}

/// Among archive retrievals of one archive, the job to reuse for `wanted`
/// (`None` = whole archive of unknown size: jobs without a range): running or
/// succeeded, with at least [`REUSE_MIN_REMAINING`] of a succeeded job's
/// output lifetime left; succeeded ones first, then the most recent.
pub(crate) fn pick_reusable(
    jobs: Vec<JobInfo>,
    wanted: Option<ByteRange>,
    now: SystemTime,
) -> Option<JobInfo> {
    let mut best: Option<(bool, SystemTime, JobInfo)> = None;
    for j in jobs {
        let succeeded = j.completed && j.status_code == "Succeeded";
        if j.completed && !succeeded {
            continue;
        }
        let job_range = ByteRange::parse(&j.retrieval_byte_range).map(|(r, _)| r);
        if job_range != wanted {
            continue;
        }
        if succeeded {
            let done = httpdate::parse_http_date(&j.completion_date).unwrap_or(now);
            let expires = done + OUTPUT_LIFETIME;
            if expires.duration_since(now).unwrap_or_default() < REUSE_MIN_REMAINING {
                continue;
            }
        }
        let created = httpdate::parse_http_date(&j.creation_date).unwrap_or(now);
        if best
            .as_ref()
            .map_or(true, |(s, c, _)| (succeeded, created) > (*s, *c))
        {
            best = Some((succeeded, created, j));
        }
    }
    best.map(|(_, _, j)| j)
}

/// Reads a job's download progress from any thread.
#[derive(Debug, Clone)]
pub struct ProgressProbe(Arc<Mutex<Option<Arc<Transfer>>>>);

impl ProgressProbe {
    /// Bytes of the current (or last) download so far, including bytes a
    /// resumed download found already done.
    pub fn size_completed(&self) -> u64 {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |t| t.done())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(json: &str) -> Job {
        let client =
            Client::new(crate::ClientOptions::new("http://127.0.0.1:9", "id", "key")).unwrap();
        Job::new(client, "V", serde_json::from_str(json).unwrap())
    }

    #[test]
    fn default_schedule_suits_short_and_long_jobs() {
        let o = WaitOptions::default();
        let v: Vec<u64> = o.intervals().take(13).map(|d| d.as_secs()).collect();
        assert_eq!(v, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
        let s = Duration::from_secs;
        // Issue 10, defect 4, for the fewest (no jitter) and the most calls.
        for factor in [1.0, JITTER_MAX] {
            let calls = |t| o.calls_for(t, factor);
            // bench/run.sh counts the describe of the retrieve call too.
            let with_retrieve = calls(s(60)) + 1;
            assert!(with_retrieve <= 8, "60 s job: {with_retrieve} calls");
            assert!(calls(s(4 * 3600)) <= 30, "4 h job: {}", calls(s(4 * 3600)));
            // A job that ends after 2 s is seen by the call at 3.3 s at the latest.
            let mut at = Duration::ZERO;
            let seen = o
                .intervals()
                .map(|d| {
                    at += WaitOptions::jittered(d, factor);
                    at
                })
                .find(|t| *t >= s(2))
                .unwrap();
            assert!(
                seen <= Duration::from_millis(3300),
                "2 s job seen at {seen:?}"
            );
        }
        assert_eq!(WaitOptions::jittered(s(10), 0.0), s(10));
        assert_eq!(WaitOptions::jittered(s(10), 2.0), s(11));
    }

    #[test]
    fn reusable_job_choice() {
        let now = SystemTime::now();
        let date = |ago_h: u64| httpdate::fmt_http_date(now - Duration::from_secs(ago_h * 3600));
        let job =
            |id: &str, status: &str, range: &str, created_h: u64, done_h: Option<u64>| JobInfo {
                job_id: id.into(),
                status_code: status.into(),
                completed: status != "InProgress",
                retrieval_byte_range: range.into(),
                creation_date: date(created_h),
                completion_date: done_h.map(date).unwrap_or_default(),
                ..serde_json::from_str("{}").unwrap()
            };
        let r = ByteRange::new(0, 99);
        let pick = |jobs: Vec<JobInfo>, w| pick_reusable(jobs, w, now).map(|j| j.job_id);
        // Failed jobs and other ranges are never reused.
        assert_eq!(
            pick(
                vec![
                    job("F", "Failed", "0-99", 1, Some(1)),
                    job("O", "InProgress", "0-49", 1, None)
                ],
                r
            ),
            None
        );
        // A succeeded job beats a newer running one; among running, the newest.
        assert_eq!(
            pick(
                vec![
                    job("R", "InProgress", "0-99", 1, None),
                    job("S", "Succeeded", "0-99", 5, Some(4))
                ],
                r
            )
            .as_deref(),
            Some("S")
        );
        assert_eq!(
            pick(
                vec![
                    job("R1", "InProgress", "0-99", 3, None),
                    job("R2", "InProgress", "0-99", 1, None)
                ],
                r
            )
            .as_deref(),
            Some("R2")
        );
        // Output that expires within the hour (finished 23.5 h ago) is skipped.
        let mut old = job("E", "Succeeded", "0-99", 30, None);
        old.completion_date = httpdate::fmt_http_date(now - Duration::from_secs(23 * 3600 + 1800));
        assert_eq!(pick(vec![old.clone()], r), None);
        old.completion_date = date(20);
        assert_eq!(pick(vec![old], r).as_deref(), Some("E"));
        // Unknown size: only jobs without a range match.
        assert_eq!(
            pick(
                vec![
                    job("N", "InProgress", "", 1, None),
                    job("X", "InProgress", "0-99", 1, None)
                ],
                None
            )
            .as_deref(),
            Some("N")
        );
    }

    #[test]
    fn fields_and_outcomes() {
        let running = job(
            r#"{"JobId":"J1","Action":"ArchiveRetrieval","ArchiveId":"A","ArchiveSizeInBytes":-1,
                "Completed":false,"StatusCode":"InProgress","RetrievalByteRange":"0-1048575","TreeEtag":""}"#,
        );
        assert_eq!(running.id(), "J1");
        assert_eq!(running.archive_size(), None);
        assert_eq!(running.tree_etag(), None);
        assert_eq!(running.retrieval_byte_range(), ByteRange::new(0, 1048575));
        assert!(matches!(running.outcome(), Err(Error::JobNotReady(_))));
        let failed = job(
            r#"{"JobId":"J2","Action":"PushToOSS","Completed":true,"StatusCode":"Failed",
                "StatusMessage":"bucket missing"}"#,
        );
        match failed.outcome() {
            Err(Error::JobFailed(m)) => assert!(m.contains("bucket missing"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(!failed.has_output());
        let ok = job(
            r#"{"JobId":"J3","Action":"InventoryRetrieval","Completed":true,"StatusCode":"Succeeded",
                "InventorySizeInBytes":77}"#,
        );
        assert!(ok.outcome().is_ok());
        assert_eq!(ok.inventory_size(), Some(77));
        assert_eq!(ok.size_completed(), 0);
    }
}
