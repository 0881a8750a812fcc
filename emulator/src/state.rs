//! The state every request handler shares: the store, the configuration, the
//! fault rules, the request counts and the job-completion lock. A leaf: the
//! router and the handlers use it, it uses neither.

use crate::db::Store;
use crate::faults::Faults;
use crate::Config;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Shared server state.
pub struct State {
    /// Metadata and blobs.
    pub store: Arc<Store>,
    /// Configuration (credentials are always non-empty here).
    pub cfg: Config,
    /// Fault rules.
    pub faults: Mutex<Faults>,
    /// Requests received per operation.
    pub stats: Mutex<BTreeMap<String, u64>>,
    /// Serialises job completion.
    pub job_lock: tokio::sync::Mutex<()>,
}

impl State {
    /// The emulator's clock: the system clock plus `Config::clock_offset_secs`
    /// (the `Date` check of §2.4 and every reply's `Date` use it).
    pub fn now(&self) -> SystemTime {
        let offset = std::time::Duration::from_secs(self.cfg.clock_offset_secs.unsigned_abs());
        let now = SystemTime::now();
        if self.cfg.clock_offset_secs >= 0 {
            now + offset
        } else {
            now - offset
        }
    }
}
