//! PLACEHOLDER — the real `Job` (status updates, downloads) is written on the
//! `down` branch and replaces this file when the branches merge. It only holds
//! what `src/vault_jobs.rs` needs to compile: `Job::from_info` and `Job::info`.

use crate::model::JobInfo;
use crate::vault::Vault;

/// A job of a vault (placeholder: see the module comment).
#[derive(Debug, Clone)]
pub struct Job {
    vault: Vault,
    info: JobInfo,
}

impl Job {
    /// A job of `vault` described by `info`.
    pub fn from_info(vault: &Vault, info: JobInfo) -> Job {
        Job {
            vault: vault.clone(),
            info,
        }
    }

    /// The job's description as last read from the server.
    pub fn info(&self) -> &JobInfo {
        &self.info
    }

    /// The vault the job belongs to.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }
}
