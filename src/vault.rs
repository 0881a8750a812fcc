//! [`Vault`]: the entry point of the high-level API (the SDK's `Vault`):
//! vault lifecycle and listing, archive uploads and multipart uploaders. The
//! job-creating methods are in `vault_jobs.rs`.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::model::VaultInfo;
use crate::upload::{self, UploadOptions};
use crate::uploader::Uploader;
use std::io::Read;
use std::path::Path;

/// A vault: a client and the vault's description as last read from the
/// server. Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Vault {
    client: Client,
    info: VaultInfo,
}

impl Vault {
    /// A vault object from a description already at hand (no request).
    pub fn from_info(client: &Client, info: VaultInfo) -> Vault {
        Vault {
            client: client.clone(),
            info,
        }
    }

    /// Creates the vault `name` (or finds it when it exists: the service
    /// answers with the existing id) and describes it. The name must follow
    /// the service's rules (3–63 of `a-z 0-9 _ -`, starting and ending with a
    /// letter or digit), checked before any request.
    pub fn create(client: &Client, name: &str) -> Result<Vault> {
        let id = client.create_vault(name)?;
        Vault::get_by_id(client, &id)
    }

    /// The vault with id `vault_id`.
    pub fn get_by_id(client: &Client, vault_id: &str) -> Result<Vault> {
        let info = client.describe_vault(vault_id)?;
        Ok(Vault::from_info(client, info))
    }

    /// The vault named `name`, found by listing every vault (the service
    /// addresses vaults by id only). No such vault is
    /// [`Error::NotFound`] with the message `Vault not exists: <name>`.
    pub fn get_by_name(client: &Client, name: &str) -> Result<Vault> {
        crate::api::validate_vault_name(name)?;
        client
            .list_vaults()?
            .into_iter()
            .find(|v| v.vault_name == name)
            .map(|info| Vault::from_info(client, info))
            .ok_or_else(|| Error::NotFound(format!("Vault not exists: {name}")))
    }

    /// Deletes the vault with id `vault_id` (it must be empty).
    pub fn delete_by_id(client: &Client, vault_id: &str) -> Result<()> {
        client.delete_vault(vault_id)
    }

    /// Deletes the vault named `name` (it must be empty).
    pub fn delete_by_name(client: &Client, name: &str) -> Result<()> {
        Vault::get_by_name(client, name)?.delete()
    }

    /// Every vault of the account (all pages).
    pub fn list_all(client: &Client) -> Result<Vec<Vault>> {
        Ok(client
            .list_vaults()?
            .into_iter()
            .map(|info| Vault::from_info(client, info))
            .collect())
    }

    /// Deletes this vault (it must be empty).
    pub fn delete(&self) -> Result<()> {
        self.client.delete_vault(self.id())
    }

    /// Empties and deletes the vault: aborts its multipart uploads, takes the
    /// newest inventory (reusing a recent one, else retrieving one and waiting),
    /// deletes every archive it lists in parallel, then deletes the vault when
    /// the service allows it. The real service allows that only once a later
    /// inventory shows the vault empty; a rerun picks up where a run stopped
    /// (see [`crate::purge`]).
    pub fn purge(&self) -> Result<crate::purge::PurgeReport> {
        self.purge_with(&crate::purge::PurgeOptions::default())
    }

    /// [`Vault::purge`] with workers, progress, cancellation and waiting options.
    pub fn purge_with(
        &self,
        options: &crate::purge::PurgeOptions,
    ) -> Result<crate::purge::PurgeReport> {
        crate::purge::purge(self, options)
    }

    /// Reads the vault's description again.
    pub fn refresh(&mut self) -> Result<()> {
        self.info = self.client.describe_vault(self.id())?;
        Ok(())
    }

    /// The client this vault uses.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The description as last read.
    pub fn info(&self) -> &VaultInfo {
        &self.info
    }

    /// `VaultId`.
    pub fn id(&self) -> &str {
        &self.info.vault_id
    }

    /// `VaultName`.
    pub fn name(&self) -> &str {
        &self.info.vault_name
    }

    /// `CreationDate` (RFC 1123).
    pub fn creation_date(&self) -> &str {
        &self.info.creation_date
    }

    /// `LastInventoryDate` (RFC 1123; empty before the first inventory).
    pub fn last_inventory_date(&self) -> &str {
        &self.info.last_inventory_date
    }

    /// `NumberOfArchives` as of the last inventory.
    pub fn number_of_archives(&self) -> i64 {
        self.info.number_of_archives
    }

    /// `SizeInBytes` as of the last inventory.
    pub fn size(&self) -> i64 {
        self.info.size_in_bytes
    }

    /// Every multipart upload in progress in this vault, as uploaders to
    /// [`resume`](Uploader::resume).
    pub fn list_all_multipart_uploads(&self) -> Result<Vec<Uploader>> {
        Ok(self
            .client
            .list_multipart_uploads(self.id())?
            .into_iter()
            .map(|info| Uploader::new(self.client.clone(), self.id(), info, None, 0))
            .collect())
    }

    /// Uploads the file at `path` and returns the archive id: one request up to
    /// `ClientOptions::upload_threshold` bytes (64 MiB by default), a parallel
    /// multipart upload above. An empty file is [`Error::InvalidArgument`].
    pub fn upload_archive(
        &self,
        path: impl AsRef<Path>,
        description: Option<&str>,
    ) -> Result<String> {
        self.upload_archive_with(path, description, &UploadOptions::default())
    }

    /// [`upload_archive`](Vault::upload_archive) with per-call options. A
    /// cancelled or failed multipart upload stays on the server: its id is
    /// given to `opts.on_upload_id` when the upload starts (and is in the
    /// error message), and
    /// [`recover_uploader`](Vault::recover_uploader) + `resume` continue it.
    pub fn upload_archive_with(
        &self,
        path: impl AsRef<Path>,
        description: Option<&str>,
        opts: &UploadOptions,
    ) -> Result<String> {
        let path = path.as_ref();
        let (file, size) = upload::open_source(path)?;
        if size <= opts.upload_threshold(self.client.options()) {
            return upload::upload_single(
                &self.client,
                self.id(),
                path,
                file,
                size,
                description,
                opts,
            );
        }
        drop(file);
        let uploader = self.initiate_uploader_with(path, description, opts)?;
        opts.report_upload_id(uploader.id());
        uploader.start_with(opts)
    }

    /// Uploads everything `reader` yields (a pipe or any other stream whose
    /// size is unknown) as one archive, always as a multipart upload.
    /// Memory: at most one part buffer per worker, i.e. `workers ×` the part
    /// size (`ClientOptions::part_size`, or 64 MiB when 0), so the stream may
    /// hold at most 10 000 parts. An empty stream is [`Error::InvalidArgument`].
    pub fn upload_reader<R: Read>(
        &self,
        reader: R,
        description: Option<&str>,
        opts: &UploadOptions,
    ) -> Result<String> {
        crate::upload_stream::upload_reader(self, reader, description, opts)
    }

    /// Starts a multipart upload for the file at `path` (its part size from
    /// `ClientOptions::part_size`, or the SDK's rule, which needs at least
    /// 64 MiB); [`Uploader::start`] sends it.
    pub fn initiate_uploader(
        &self,
        path: impl AsRef<Path>,
        description: Option<&str>,
    ) -> Result<Uploader> {
        self.initiate_uploader_with(path, description, &UploadOptions::default())
    }

    /// [`initiate_uploader`](Vault::initiate_uploader) with the part size of
    /// `opts` (`UploadOptions::part_size`; the other fields apply to
    /// `start`/`resume`).
    pub fn initiate_uploader_with(
        &self,
        path: impl AsRef<Path>,
        description: Option<&str>,
        opts: &UploadOptions,
    ) -> Result<Uploader> {
        let path = path.as_ref();
        let (_, size) = upload::open_source(path)?;
        let part_size = upload::plan_part_size(opts.part_size(self.client.options()), size)?;
        let id = self
            .client
            .initiate_multipart_upload(self.id(), part_size, description)?;
        // The listing gives the creation date the service recorded. The upload
        // exists now, so a failed listing must not lose it: the handle is
        // returned without the date (the upload can be started, recovered or
        // aborted as usual).
        let mut info = match self.client.list_parts_page(self.id(), &id, None, Some(1)) {
            Ok(page) => page.upload,
            Err(e) => {
                crate::oas_warn!(
                    "oas::upload",
                    "upload {id}: listing its parts for the creation date failed ({e}); \
                     continuing without it"
                );
                crate::model::UploadInfo {
                    archive_description: description.unwrap_or_default().to_string(),
                    ..Default::default()
                }
            }
        };
        if info.multipart_upload_id.is_empty() {
            info.multipart_upload_id = id;
        }
        if info.part_size_in_bytes == 0 {
            info.part_size_in_bytes = part_size;
        }
        Ok(Uploader::new(
            self.client.clone(),
            self.id(),
            info,
            Some(path.to_path_buf()),
            size,
        ))
    }

    /// The multipart upload `upload_id` of this vault, to continue with
    /// [`Uploader::resume`].
    pub fn recover_uploader(&self, upload_id: &str) -> Result<Uploader> {
        let mut info = self
            .client
            .list_parts_page(self.id(), upload_id, None, Some(1))?
            .upload;
        if info.multipart_upload_id.is_empty() {
            info.multipart_upload_id = upload_id.to_string();
        }
        Ok(Uploader::new(self.client.clone(), self.id(), info, None, 0))
    }

    /// Deletes the archive `archive_id` of this vault.
    pub fn delete_archive(&self, archive_id: &str) -> Result<()> {
        self.client.delete_archive(self.id(), archive_id)
    }
}
