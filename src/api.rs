//! The low-level API: one method per REST operation of spec §4, each signed and
//! retried by [`Client::execute`], returning typed results. Listing operations
//! come as one-page calls (`*_page`) and as calls that follow `Marker` to the end.

use crate::client::{header_map, CancelToken, Client, Payload, Request};
use crate::error::{Error, Result};
use crate::model::*;
use crate::ranges::ByteRange;
use reqwest::blocking::Response;
use reqwest::Method;
use std::collections::BTreeMap;
use std::io::Read;

/// Checks a vault name against the service's rules (§4.1): 3–63 bytes of
/// lower-case letters, digits, `_` and `-`, starting and ending with a letter or
/// digit.
pub fn validate_vault_name(name: &str) -> Result<()> {
    let b = name.as_bytes();
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (3..=63).contains(&b.len())
        && b.iter().all(|c| edge(c) || *c == b'_' || *c == b'-')
        && edge(&b[0])
        && edge(&b[b.len() - 1]);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "vault name {name:?} is invalid: use 3-63 lower-case letters, digits, '_' or '-', starting and ending with a letter or digit"
        )))
    }
}

/// Checks an id before it goes into a path: non-empty, no `/`, `?`, `#`, `%`,
/// whitespace or control characters.
fn check_id(what: &str, id: &str) -> Result<()> {
    if id.is_empty()
        || id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "/?#%\\".contains(c))
    {
        return Err(Error::InvalidArgument(format!(
            "{what} {id:?} is not a valid identifier"
        )));
    }
    Ok(())
}

/// Checks an archive or job description: at most 128 characters, no control
/// characters (it travels as a header value).
pub fn check_description(desc: &str) -> Result<()> {
    if desc.chars().count() > 128 {
        return Err(Error::InvalidArgument(format!(
            "description is {} characters long; the limit is 128",
            desc.chars().count()
        )));
    }
    if desc.chars().any(|c| c.is_control()) {
        return Err(Error::InvalidArgument(
            "description must not contain control characters".into(),
        ));
    }
    Ok(())
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn required_header(resp: &Response, op: &str, name: &str) -> Result<String> {
    header(resp, name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::Protocol(format!("{op}: response lacks the {name} header")))
}

fn json<T: serde::de::DeserializeOwned>(op: &str, resp: Response) -> Result<T> {
    let mut body = Vec::new();
    // Listings are bounded by their page caps; 64 MiB is far above any of them.
    resp.take(64 << 20).read_to_end(&mut body).map_err(|e| {
        let msg = format!("{op}: reading response: {e}");
        if e.kind() == std::io::ErrorKind::TimedOut {
            Error::TransportTimeout(msg)
        } else {
            Error::Transport(msg)
        }
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| Error::Protocol(format!("{op}: response is not the expected JSON: {e}")))
}

/// Follows `Marker` from page to page until it is empty, concatenating items.
fn collect_pages<T>(
    mut page: impl FnMut(Option<&str>) -> Result<(Vec<T>, String)>,
) -> Result<Vec<T>> {
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    // A server that keeps handing back the same marker would loop forever.
    let mut seen = std::collections::HashSet::new();
    loop {
        let (items, next) = page(marker.as_deref())?;
        all.extend(items);
        if next.is_empty() {
            return Ok(all);
        }
        if !seen.insert(next.clone()) {
            return Err(Error::Protocol(format!(
                "listing returned marker {next:?} twice"
            )));
        }
        marker = Some(next);
    }
}

/// Metadata of a job output response; read the bytes through [`JobOutput::body`].
pub struct JobOutput {
    /// HTTP status (200 or 206).
    pub status: u16,
    /// Response headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// `Content-Length`, when sent.
    pub content_length: Option<u64>,
    /// `x-oas-tree-etag` of the returned range, when the server sent it.
    pub tree_etag: Option<String>,
    /// `Content-Type`.
    pub content_type: String,
    /// The response, positioned at the start of the body.
    pub body: Response,
}

impl Client {
    fn base_request(&self, op: &'static str, method: Method, path: String) -> Request {
        Request::new(op, method, path)
    }

    /// V1 Create Vault: returns the new (or existing) vault's id.
    pub fn create_vault(&self, name: &str) -> Result<String> {
        validate_vault_name(name)?;
        let mut r = self.base_request("CreateVault", Method::PUT, format!("/vaults/{name}"));
        r.context = format!("vault name {name}");
        let resp = self.execute(&r)?;
        if let Some(id) = header(&resp, "x-oas-vault-id").filter(|v| !v.is_empty()) {
            return Ok(id);
        }
        // Fall back to the Location header, `/vaults/{id}`.
        header(&resp, "location")
            .and_then(|l| l.rsplit('/').next().map(str::to_string))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::Protocol("CreateVault: response names no vault id".into()))
    }

    /// V2 Delete Vault.
    pub fn delete_vault(&self, vault_id: &str) -> Result<()> {
        check_id("vault id", vault_id)?;
        let mut r = self.base_request("DeleteVault", Method::DELETE, format!("/vaults/{vault_id}"));
        r.context = format!("vault {vault_id}");
        self.execute(&r).map(drop)
    }

    /// V3 Describe Vault.
    pub fn describe_vault(&self, vault_id: &str) -> Result<VaultInfo> {
        check_id("vault id", vault_id)?;
        let mut r = self.base_request("DescribeVault", Method::GET, format!("/vaults/{vault_id}"));
        r.context = format!("vault {vault_id}");
        json("DescribeVault", self.execute(&r)?)
    }

    /// V4 List Vaults, one page.
    pub fn list_vaults_page(&self, marker: Option<&str>, limit: Option<u32>) -> Result<VaultList> {
        let mut r = self.base_request("ListVaults", Method::GET, "/vaults".into());
        r.marker = marker.map(str::to_string);
        r.limit = limit.map(|l| l.to_string());
        json("ListVaults", self.execute(&r)?)
    }

    /// V4 List Vaults, all pages.
    pub fn list_vaults(&self) -> Result<Vec<VaultInfo>> {
        collect_pages(|m| {
            let p = self.list_vaults_page(m, None)?;
            Ok((p.vault_list, p.marker))
        })
    }

    /// A1 Upload Archive: one request with the whole archive and its digests.
    pub fn upload_archive(
        &self,
        vault_id: &str,
        payload: Payload,
        etag: &str,
        tree_etag: &str,
        description: Option<&str>,
        cancel: Option<CancelToken>,
    ) -> Result<String> {
        check_id("vault id", vault_id)?;
        let mut r = self
            .base_request(
                "UploadArchive",
                Method::POST,
                format!("/vaults/{vault_id}/archives"),
            )
            .header("x-oas-content-etag", etag)
            .header("x-oas-tree-etag", tree_etag);
        if let Some(d) = description {
            check_description(d)?;
            r = r.header("x-oas-archive-description", d);
        }
        r.context = format!("vault {vault_id}, {} bytes", payload.len());
        r.payload = payload;
        r.cancel = cancel;
        let resp = self.execute(&r)?;
        required_header(&resp, "UploadArchive", "x-oas-archive-id")
    }

    /// A2 Delete Archive.
    pub fn delete_archive(&self, vault_id: &str, archive_id: &str) -> Result<()> {
        check_id("vault id", vault_id)?;
        check_id("archive id", archive_id)?;
        let mut r = self.base_request(
            "DeleteArchive",
            Method::DELETE,
            format!("/vaults/{vault_id}/archives/{archive_id}"),
        );
        r.context = format!("vault {vault_id}, archive {archive_id}");
        self.execute(&r).map(drop)
    }

    /// A3 Archive metadata (an SDK-only operation).
    pub fn archive_meta(&self, vault_id: &str, archive_id: &str) -> Result<ArchiveMeta> {
        check_id("vault id", vault_id)?;
        check_id("archive id", archive_id)?;
        let mut r = self.base_request(
            "ArchiveMeta",
            Method::GET,
            format!("/vaults/{vault_id}/archives/{archive_id}/meta"),
        );
        r.context = format!("vault {vault_id}, archive {archive_id}");
        json("ArchiveMeta", self.execute(&r)?)
    }

    /// M1 Initiate Multipart Upload: returns the upload id.
    pub fn initiate_multipart_upload(
        &self,
        vault_id: &str,
        part_size: u64,
        description: Option<&str>,
    ) -> Result<String> {
        check_id("vault id", vault_id)?;
        let mut r = self
            .base_request(
                "InitiateMultipartUpload",
                Method::POST,
                format!("/vaults/{vault_id}/multipart-uploads"),
            )
            .header("x-oas-part-size", part_size.to_string());
        if let Some(d) = description {
            check_description(d)?;
            r = r.header("x-oas-archive-description", d);
        }
        r.context = format!("vault {vault_id}, part size {part_size}");
        let resp = self.execute(&r)?;
        required_header(
            &resp,
            "InitiateMultipartUpload",
            "x-oas-multipart-upload-id",
        )
    }

    /// M2 List Multipart Uploads, one page.
    pub fn list_multipart_uploads_page(
        &self,
        vault_id: &str,
        marker: Option<&str>,
        limit: Option<u32>,
    ) -> Result<UploadList> {
        check_id("vault id", vault_id)?;
        let mut r = self.base_request(
            "ListMultipartUploads",
            Method::GET,
            format!("/vaults/{vault_id}/multipart-uploads"),
        );
        r.marker = marker.map(str::to_string);
        r.limit = limit.map(|l| l.to_string());
        r.context = format!("vault {vault_id}");
        json("ListMultipartUploads", self.execute(&r)?)
    }

    /// M2 List Multipart Uploads, all pages.
    pub fn list_multipart_uploads(&self, vault_id: &str) -> Result<Vec<UploadInfo>> {
        collect_pages(|m| {
            let p = self.list_multipart_uploads_page(vault_id, m, None)?;
            Ok((p.uploads_list, p.marker))
        })
    }

    /// M3 Upload Part: the bytes of `range` with their digests. `InvalidDigest`
    /// answers are retried when `retry_invalid_digest` is set.
    #[allow(clippy::too_many_arguments)]
    pub fn upload_part(
        &self,
        vault_id: &str,
        upload_id: &str,
        range: ByteRange,
        payload: Payload,
        etag: &str,
        tree_etag: &str,
        cancel: Option<CancelToken>,
    ) -> Result<()> {
        check_id("vault id", vault_id)?;
        check_id("upload id", upload_id)?;
        if payload.len() != range.len() {
            return Err(Error::InvalidArgument(format!(
                "part {range}: body holds {} bytes, the range {}",
                payload.len(),
                range.len()
            )));
        }
        let mut r = self
            .base_request(
                "UploadPart",
                Method::PUT,
                format!("/vaults/{vault_id}/multipart-uploads/{upload_id}"),
            )
            .header("Content-Range", range.to_header())
            .header("x-oas-content-etag", etag)
            .header("x-oas-tree-etag", tree_etag);
        r.context = format!("upload {upload_id}, range {range}");
        r.payload = payload;
        r.retry_invalid_digest = true;
        r.cancel = cancel;
        self.execute(&r).map(drop)
    }

    /// M4 List Parts, one page.
    pub fn list_parts_page(
        &self,
        vault_id: &str,
        upload_id: &str,
        marker: Option<&str>,
        limit: Option<u32>,
    ) -> Result<PartList> {
        check_id("vault id", vault_id)?;
        check_id("upload id", upload_id)?;
        let mut r = self.base_request(
            "ListParts",
            Method::GET,
            format!("/vaults/{vault_id}/multipart-uploads/{upload_id}"),
        );
        r.marker = marker.map(str::to_string);
        r.limit = limit.map(|l| l.to_string());
        r.context = format!("upload {upload_id}");
        json("ListParts", self.execute(&r)?)
    }

    /// M4 List Parts, all pages: the upload's description and every part.
    pub fn list_parts(&self, vault_id: &str, upload_id: &str) -> Result<PartList> {
        let mut first: Option<UploadInfo> = None;
        let parts = collect_pages(|m| {
            let p = self.list_parts_page(vault_id, upload_id, m, None)?;
            first.get_or_insert(p.upload);
            Ok((p.parts, p.marker))
        })?;
        Ok(PartList {
            upload: first.unwrap_or_default(),
            marker: String::new(),
            parts,
        })
    }

    /// M5 Complete Multipart Upload: returns the archive id.
    pub fn complete_multipart_upload(
        &self,
        vault_id: &str,
        upload_id: &str,
        archive_size: u64,
        tree_etag: &str,
    ) -> Result<String> {
        check_id("vault id", vault_id)?;
        check_id("upload id", upload_id)?;
        let mut r = self
            .base_request(
                "CompleteMultipartUpload",
                Method::POST,
                format!("/vaults/{vault_id}/multipart-uploads/{upload_id}"),
            )
            .header("x-oas-archive-size", archive_size.to_string())
            .header("x-oas-tree-etag", tree_etag);
        r.context = format!("upload {upload_id}, {archive_size} bytes");
        let resp = self.execute(&r)?;
        required_header(&resp, "CompleteMultipartUpload", "x-oas-archive-id")
    }

    /// M6 Abort Multipart Upload.
    pub fn abort_multipart_upload(&self, vault_id: &str, upload_id: &str) -> Result<()> {
        check_id("vault id", vault_id)?;
        check_id("upload id", upload_id)?;
        let mut r = self.base_request(
            "AbortMultipartUpload",
            Method::DELETE,
            format!("/vaults/{vault_id}/multipart-uploads/{upload_id}"),
        );
        r.context = format!("upload {upload_id}");
        self.execute(&r).map(drop)
    }

    /// J1 Initiate Job: returns the job id.
    pub fn initiate_job(&self, vault_id: &str, job: &JobRequest) -> Result<String> {
        check_id("vault id", vault_id)?;
        if let Some(d) = &job.description {
            check_description(d)?;
        }
        let body = serde_json::to_vec(job)
            .map_err(|e| Error::Internal(format!("encoding job request: {e}")))?;
        let mut r = self.base_request(
            "InitiateJob",
            Method::POST,
            format!("/vaults/{vault_id}/jobs"),
        );
        r.payload = Payload::bytes(body);
        r.context = format!("vault {vault_id}, {}", job.job_type);
        let resp = self.execute(&r)?;
        required_header(&resp, "InitiateJob", "x-oas-job-id")
    }

    /// J2 Describe Job.
    pub fn describe_job(&self, vault_id: &str, job_id: &str) -> Result<JobInfo> {
        check_id("vault id", vault_id)?;
        check_id("job id", job_id)?;
        let mut r = self.base_request(
            "DescribeJob",
            Method::GET,
            format!("/vaults/{vault_id}/jobs/{job_id}"),
        );
        r.context = format!("vault {vault_id}, job {job_id}");
        json("DescribeJob", self.execute(&r)?)
    }

    /// J3 List Jobs, one page.
    pub fn list_jobs_page(
        &self,
        vault_id: &str,
        marker: Option<&str>,
        limit: Option<u32>,
    ) -> Result<JobList> {
        check_id("vault id", vault_id)?;
        let mut r = self.base_request("ListJobs", Method::GET, format!("/vaults/{vault_id}/jobs"));
        r.marker = marker.map(str::to_string);
        r.limit = limit.map(|l| l.to_string());
        r.context = format!("vault {vault_id}");
        json("ListJobs", self.execute(&r)?)
    }

    /// J3 List Jobs, all pages.
    pub fn list_jobs(&self, vault_id: &str) -> Result<Vec<JobInfo>> {
        collect_pages(|m| {
            let p = self.list_jobs_page(vault_id, m, None)?;
            Ok((p.job_list, p.marker))
        })
    }

    /// J4 Get Job Output: `range` is relative to the job output. The body is not
    /// read; the caller streams it from [`JobOutput::body`].
    pub fn get_job_output(
        &self,
        vault_id: &str,
        job_id: &str,
        range: Option<ByteRange>,
        cancel: Option<CancelToken>,
    ) -> Result<JobOutput> {
        check_id("vault id", vault_id)?;
        check_id("job id", job_id)?;
        let mut r = self.base_request(
            "GetJobOutput",
            Method::GET,
            format!("/vaults/{vault_id}/jobs/{job_id}/output"),
        );
        if let Some(rg) = range {
            r = r.header("Range", format!("bytes={}-{}", rg.start, rg.end));
            r.context = format!("job {job_id}, range {rg}");
        } else {
            r.context = format!("job {job_id}");
        }
        r.cancel = cancel;
        let resp = self.execute(&r)?;
        let headers = header_map(resp.headers());
        Ok(JobOutput {
            status: resp.status().as_u16(),
            content_length: headers.get("content-length").and_then(|v| v.parse().ok()),
            tree_etag: headers
                .get("x-oas-tree-etag")
                .cloned()
                .filter(|v| !v.is_empty()),
            content_type: headers.get("content-type").cloned().unwrap_or_default(),
            headers,
            body: resp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_names() {
        for ok in ["abc", "my-vault_01", "a1b", &"a".repeat(63)] {
            assert!(validate_vault_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc_",
            "a b c",
            "",
            &"a".repeat(64),
            "abc/d",
        ] {
            assert!(validate_vault_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_and_descriptions() {
        assert!(check_id("vault id", "79D2D8F33B7C287037286185863B6823").is_ok());
        assert!(check_id("vault id", "").is_err());
        assert!(check_id("vault id", "a/b").is_err());
        assert!(check_description(&"x".repeat(128)).is_ok());
        assert!(check_description(&"x".repeat(129)).is_err());
        assert!(check_description("a\nb").is_err());
    }

    #[test]
    fn pages_are_followed_and_loops_detected() {
        let mut calls = 0;
        let all = collect_pages(|m| {
            calls += 1;
            Ok(match m {
                None => (vec![1, 2], "B".to_string()),
                Some("B") => (vec![3], "C".to_string()),
                Some(_) => (vec![4], String::new()),
            })
        })
        .unwrap();
        assert_eq!(all, vec![1, 2, 3, 4]);
        assert_eq!(calls, 3);
        let looped = collect_pages(|_| Ok((vec![0], "same".to_string())));
        assert!(matches!(looped, Err(Error::Protocol(_))));
    }
}
