//! Typed forms of the JSON the service returns and accepts (spec §4).
//!
//! Parsing is lenient the way the Python SDK is: a missing or `null` field takes
//! its default (`""`, `0`, `-1` for job sizes, `false`).

use serde::{Deserialize, Deserializer, Serialize};

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn minus_one() -> i64 {
    -1
}

fn null_minus_one<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.unwrap_or(-1))
}

/// A vault description (V3, and each entry of V4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VaultInfo {
    /// `VaultId`.
    #[serde(default, deserialize_with = "null_default")]
    pub vault_id: String,
    /// `VaultName`.
    #[serde(default, deserialize_with = "null_default")]
    pub vault_name: String,
    /// `CreationDate` (RFC 1123).
    #[serde(default, deserialize_with = "null_default")]
    pub creation_date: String,
    /// `LastInventoryDate` (RFC 1123, `""` before the first inventory).
    #[serde(default, deserialize_with = "null_default")]
    pub last_inventory_date: String,
    /// `NumberOfArchives`.
    #[serde(default, deserialize_with = "null_default")]
    pub number_of_archives: i64,
    /// `SizeInBytes`.
    #[serde(default, deserialize_with = "null_default")]
    pub size_in_bytes: i64,
}

/// One page of List Vaults (V4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VaultList {
    /// Next marker; empty when the listing is complete.
    #[serde(default, deserialize_with = "null_default")]
    pub marker: String,
    /// The vaults of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub vault_list: Vec<VaultInfo>,
}

/// Archive metadata (A3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArchiveMeta {
    /// `ArchiveId`.
    #[serde(default, deserialize_with = "null_default")]
    pub archive_id: String,
    /// `ArchiveDescription`.
    #[serde(default, deserialize_with = "null_default")]
    pub archive_description: String,
    /// `ArchiveSizeInBytes`.
    #[serde(default = "minus_one", deserialize_with = "null_minus_one")]
    pub archive_size_in_bytes: i64,
    /// `ArchiveTreeEtag`.
    #[serde(default, deserialize_with = "null_default")]
    pub archive_tree_etag: String,
    /// `CreationDate`.
    #[serde(default, deserialize_with = "null_default")]
    pub creation_date: String,
}

/// A multipart upload description (entries of M2, header of M4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UploadInfo {
    /// `MultipartUploadId`.
    #[serde(default, deserialize_with = "null_default")]
    pub multipart_upload_id: String,
    /// `ArchiveDescription`.
    #[serde(default, deserialize_with = "null_default")]
    pub archive_description: String,
    /// `CreationDate`.
    #[serde(default, deserialize_with = "null_default")]
    pub creation_date: String,
    /// `PartSizeInBytes`.
    #[serde(default, deserialize_with = "null_default")]
    pub part_size_in_bytes: u64,
}

/// One page of List Multipart Uploads (M2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UploadList {
    /// Next marker; empty at the end.
    #[serde(default, deserialize_with = "null_default")]
    pub marker: String,
    /// Uploads of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub uploads_list: Vec<UploadInfo>,
}

/// One uploaded part (entries of M4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartInfo {
    /// `RangeInBytes`: `S-E` inclusive.
    #[serde(default, deserialize_with = "null_default")]
    pub range_in_bytes: String,
    /// `ContentEtag`.
    #[serde(default, deserialize_with = "null_default")]
    pub content_etag: String,
    /// `TreeEtag`.
    #[serde(default, deserialize_with = "null_default")]
    pub tree_etag: String,
}

/// One page of List Parts (M4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartList {
    /// The upload this list belongs to.
    #[serde(flatten)]
    pub upload: UploadInfo,
    /// Next marker; empty at the end.
    #[serde(default, deserialize_with = "null_default")]
    pub marker: String,
    /// Parts of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub parts: Vec<PartInfo>,
}

/// A job description (J2, entries of J3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobInfo {
    /// `JobId`.
    #[serde(default, deserialize_with = "null_default")]
    pub job_id: String,
    /// `Action`: `ArchiveRetrieval`, `InventoryRetrieval`, `PullFromOSS`, `PushToOSS`.
    #[serde(default, deserialize_with = "null_default")]
    pub action: String,
    /// `ArchiveId`.
    #[serde(default, deserialize_with = "null_default")]
    pub archive_id: String,
    /// `ArchiveSizeInBytes`, `-1` until known.
    #[serde(default = "minus_one", deserialize_with = "null_minus_one")]
    pub archive_size_in_bytes: i64,
    /// `ArchiveTreeEtag`.
    #[serde(default, deserialize_with = "null_default")]
    pub archive_tree_etag: String,
    /// `ArchiveContentEtag` (listed by the SDK's documentation; may be absent).
    #[serde(default, deserialize_with = "null_default")]
    pub archive_content_etag: String,
    /// `TreeEtag` of the retrieved range (empty when not tree-aligned).
    #[serde(default, deserialize_with = "null_default")]
    pub tree_etag: String,
    /// `RetrievalByteRange`: `S-E` actually retrieved.
    #[serde(default, deserialize_with = "null_default")]
    pub retrieval_byte_range: String,
    /// `Completed`.
    #[serde(default, deserialize_with = "null_default")]
    pub completed: bool,
    /// `StatusCode`: `InProgress`, `Succeeded`, `Failed`.
    #[serde(default, deserialize_with = "null_default")]
    pub status_code: String,
    /// `StatusMessage`.
    #[serde(default, deserialize_with = "null_default")]
    pub status_message: String,
    /// `CreationDate`.
    #[serde(default, deserialize_with = "null_default")]
    pub creation_date: String,
    /// `CompletionDate` (`""` while running).
    #[serde(default, deserialize_with = "null_default")]
    pub completion_date: String,
    /// `InventorySizeInBytes`, `-1` until known.
    #[serde(default = "minus_one", deserialize_with = "null_minus_one")]
    pub inventory_size_in_bytes: i64,
    /// `JobDescription`.
    #[serde(default, deserialize_with = "null_default")]
    pub job_description: String,
}

/// One page of List Jobs (J3).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobList {
    /// Next marker; empty at the end.
    #[serde(default, deserialize_with = "null_default")]
    pub marker: String,
    /// Jobs of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub job_list: Vec<JobInfo>,
}

/// Body of Initiate Job (J1). Absent fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobRequest {
    /// `archive-retrieval`, `inventory-retrieval`, `pull-from-oss` or `push-to-oss`.
    #[serde(rename = "Type")]
    pub job_type: String,
    /// Archive to read (retrieval, push).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_id: Option<String>,
    /// Job description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `S-E` inclusive (archive retrieval only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieval_byte_range: Option<String>,
    /// OSS endpoint (pull, push).
    #[serde(rename = "OSSHost", skip_serializing_if = "Option::is_none")]
    pub oss_host: Option<String>,
    /// OSS bucket (pull, push).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// OSS object (pull, push).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_sentinels() {
        let j: JobInfo = serde_json::from_str(
            r#"{"JobId":"J","Action":"ArchiveRetrieval","ArchiveSizeInBytes":null,"Completed":false,"CompletionDate":""}"#,
        )
        .unwrap();
        assert_eq!(j.archive_size_in_bytes, -1);
        assert_eq!(j.inventory_size_in_bytes, -1);
        assert!(!j.completed);
        let r = JobRequest {
            job_type: "inventory-retrieval".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"Type":"inventory-retrieval"}"#
        );
    }

    #[test]
    fn part_list_flatten() {
        let p: PartList = serde_json::from_str(
            r#"{"ArchiveDescription":"d","CreationDate":"x","Marker":"","MultipartUploadId":"U","PartSizeInBytes":1048576,
               "Parts":[{"RangeInBytes":"0-1048575","ContentEtag":"A","TreeEtag":"B"}]}"#,
        )
        .unwrap();
        assert_eq!(p.upload.multipart_upload_id, "U");
        assert_eq!(p.upload.part_size_in_bytes, 1048576);
        assert_eq!(p.parts[0].tree_etag, "B");
    }
}
