//! Reuse of an archive retrieval that is running or finished, so a restarted
//! program does not pay for a second one (the SDK's `retrieve_archive` with
//! reuse).

use super::request::archive_retrieval_request;
use super::{known_size, Job, ACTION_ARCHIVE_RETRIEVAL, OUTPUT_LIFETIME, REUSE_MIN_REMAINING};
use crate::error::Result;
use crate::oas_info;
use crate::ranges::ByteRange;
use crate::rest::model::JobInfo;
use crate::rest::ops::check_description;
use crate::rest::Client;
use std::time::SystemTime;

impl Job {
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
    /// [`Vault::retrieve_archive`](crate::Vault::retrieve_archive): description, then range.
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
        let request = archive_retrieval_request(archive_id, description, range)?;
        if let Some(job) = Job::find_reusable(client, vault_id, archive_id, range)? {
            return Ok(job);
        }
        Job::initiate(client, vault_id, &request)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
}
