//! The [`Vault`] methods that create or find jobs (the SDK's `get_job`,
//! `list_all_jobs`, `retrieve_archive`, `retrieve_inventory`, `pull_from_oss`,
//! `push_to_oss`). Each returns a described [`Job`].

use crate::error::{Error, Result};
use crate::job::Job;
use crate::model::JobRequest;
use crate::ranges::ByteRange;
use crate::vault::Vault;

/// Job type of an archive retrieval.
const ARCHIVE_RETRIEVAL: &str = "archive-retrieval";
/// Job type of an inventory retrieval.
const INVENTORY_RETRIEVAL: &str = "inventory-retrieval";
/// Job type of a pull from OSS.
const PULL_FROM_OSS: &str = "pull-from-oss";
/// Job type of a push to OSS.
const PUSH_TO_OSS: &str = "push-to-oss";

fn non_empty(what: &str, v: &str) -> Result<String> {
    if v.trim().is_empty() {
        return Err(Error::InvalidArgument(format!("{what} must not be empty")));
    }
    Ok(v.to_string())
}

/// The Initiate Job body of an archive retrieval, with the checks that can be
/// made without the archive size: a non-empty id and a range starting at a
/// multiple of 1 MiB (the server checks the end against the archive size).
pub(crate) fn archive_retrieval_request(
    archive_id: &str,
    description: Option<&str>,
    byte_range: Option<ByteRange>,
) -> Result<JobRequest> {
    if let Some(r) = byte_range {
        if r.start % crate::ranges::MIB != 0 {
            return Err(Error::InvalidArgument(format!(
                "retrieval range {r} must start at a multiple of 1 MiB"
            )));
        }
    }
    Ok(JobRequest {
        job_type: ARCHIVE_RETRIEVAL.into(),
        archive_id: Some(non_empty("archive id", archive_id)?),
        description: description.map(str::to_string),
        retrieval_byte_range: byte_range.map(|r| r.to_header()),
        ..Default::default()
    })
}

impl Vault {
    /// The job `job_id` of this vault.
    pub fn get_job(&self, job_id: &str) -> Result<Job> {
        let info = self.client().describe_job(self.id(), job_id)?;
        Ok(Job::from_info(self, info))
    }

    /// Every job of this vault the service still lists (all pages).
    pub fn list_all_jobs(&self) -> Result<Vec<Job>> {
        Ok(self
            .client()
            .list_jobs(self.id())?
            .into_iter()
            .map(|info| Job::from_info(self, info))
            .collect())
    }

    /// Starts an `archive-retrieval` job for `archive_id`, optionally only for
    /// the inclusive `byte_range` (start a multiple of 1 MiB, end + 1 a
    /// multiple of 1 MiB or the archive size; the server checks the latter).
    pub fn retrieve_archive(
        &self,
        archive_id: &str,
        description: Option<&str>,
        byte_range: Option<ByteRange>,
    ) -> Result<Job> {
        self.start_job(archive_retrieval_request(
            archive_id,
            description,
            byte_range,
        )?)
    }

    /// Starts an `inventory-retrieval` job.
    pub fn retrieve_inventory(&self, description: Option<&str>) -> Result<Job> {
        self.start_job(JobRequest {
            job_type: INVENTORY_RETRIEVAL.into(),
            description: description.map(str::to_string),
            ..Default::default()
        })
    }

    /// Starts a `pull-from-oss` job: the OSS object becomes a new archive of
    /// this vault (its id appears in the job once it finished). An empty
    /// `oss_host` means the client's default OSS host.
    pub fn pull_from_oss(
        &self,
        oss_host: &str,
        bucket: &str,
        object: &str,
        description: Option<&str>,
    ) -> Result<Job> {
        self.start_job(JobRequest {
            job_type: PULL_FROM_OSS.into(),
            description: description.map(str::to_string),
            oss_host: Some(self.oss_host(oss_host)?),
            bucket: Some(non_empty("OSS bucket", bucket)?),
            object: Some(non_empty("OSS object", object)?),
            ..Default::default()
        })
    }

    /// Starts a `push-to-oss` job copying archive `archive_id` to an OSS object.
    /// An empty `oss_host` means the client's default OSS host.
    pub fn push_to_oss(
        &self,
        archive_id: &str,
        oss_host: &str,
        bucket: &str,
        object: &str,
        description: Option<&str>,
    ) -> Result<Job> {
        self.start_job(JobRequest {
            job_type: PUSH_TO_OSS.into(),
            archive_id: Some(non_empty("archive id", archive_id)?),
            description: description.map(str::to_string),
            oss_host: Some(self.oss_host(oss_host)?),
            bucket: Some(non_empty("OSS bucket", bucket)?),
            object: Some(non_empty("OSS object", object)?),
            ..Default::default()
        })
    }

    /// `oss_host`, or the client's default (`ClientOptions::oss_host`, from the
    /// credentials file's `osshost`) when it is empty.
    fn oss_host(&self, oss_host: &str) -> Result<String> {
        match (oss_host.is_empty(), &self.client().options().oss_host) {
            (true, Some(default)) if !default.is_empty() => Ok(default.clone()),
            _ => non_empty("OSS host", oss_host),
        }
    }

    /// Initiates a job and describes it.
    fn start_job(&self, request: JobRequest) -> Result<Job> {
        let job_id = self.client().initiate_job(self.id(), &request)?;
        self.get_job(&job_id)
    }
}
