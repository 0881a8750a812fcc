//! PLACEHOLDER — the real `Vault` (uploads, job creation) is written on the
//! `up` branch and replaces this file when the branches merge. It only holds
//! what `src/job.rs` needs to compile: `Vault::id` and `Vault::client`.

use crate::client::Client;
use crate::model::VaultInfo;

/// A vault (placeholder: see the module comment).
#[derive(Debug, Clone)]
pub struct Vault {
    client: Client,
    info: VaultInfo,
}

impl Vault {
    /// A vault handle for `info`, reached through `client`.
    pub fn new(client: Client, info: VaultInfo) -> Vault {
        Vault { client, info }
    }

    /// The vault id.
    pub fn id(&self) -> &str {
        &self.info.vault_id
    }

    /// The client the vault is reached through.
    pub fn client(&self) -> &Client {
        &self.client
    }
}
