//! The Initiate Job bodies (spec §4.4 J1) of the four job types, with the
//! checks that can be made before any request. `Vault::retrieve_archive`,
//! `retrieve_inventory`, `pull_from_oss`, `push_to_oss` and the reuse of a
//! retrieval build their requests here.

use crate::error::{Error, Result};
use crate::ranges::ByteRange;
use crate::rest::model::JobRequest;

/// Job type of an archive retrieval.
const ARCHIVE_RETRIEVAL: &str = "archive-retrieval";
/// Job type of an inventory retrieval.
const INVENTORY_RETRIEVAL: &str = "inventory-retrieval";
/// Job type of a pull from OSS.
const PULL_FROM_OSS: &str = "pull-from-oss";
/// Job type of a push to OSS.
const PUSH_TO_OSS: &str = "push-to-oss";

fn required(what: &str, v: &str) -> Result<String> {
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
        archive_id: Some(required("archive id", archive_id)?),
        description: description.map(str::to_string),
        retrieval_byte_range: byte_range.map(|r| r.to_header()),
        ..Default::default()
    })
}

/// The body of an inventory retrieval.
pub(crate) fn inventory_retrieval_request(description: Option<&str>) -> JobRequest {
    JobRequest {
        job_type: INVENTORY_RETRIEVAL.into(),
        description: description.map(str::to_string),
        ..Default::default()
    }
}

/// The body of a pull from OSS: the object becomes a new archive.
pub(crate) fn pull_from_oss_request(
    oss_host: &str,
    bucket: &str,
    object: &str,
    description: Option<&str>,
) -> Result<JobRequest> {
    Ok(JobRequest {
        job_type: PULL_FROM_OSS.into(),
        description: description.map(str::to_string),
        oss_host: Some(required("OSS host", oss_host)?),
        bucket: Some(required("OSS bucket", bucket)?),
        object: Some(required("OSS object", object)?),
        ..Default::default()
    })
}

/// The body of a push of archive `archive_id` to an OSS object.
pub(crate) fn push_to_oss_request(
    archive_id: &str,
    oss_host: &str,
    bucket: &str,
    object: &str,
    description: Option<&str>,
) -> Result<JobRequest> {
    Ok(JobRequest {
        job_type: PUSH_TO_OSS.into(),
        archive_id: Some(required("archive id", archive_id)?),
        description: description.map(str::to_string),
        oss_host: Some(required("OSS host", oss_host)?),
        bucket: Some(required("OSS bucket", bucket)?),
        object: Some(required("OSS object", object)?),
        ..Default::default()
    })
}
