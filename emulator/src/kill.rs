//! [`KillSwitch`]: how a fault asks the listener to cut a connection with a
//! reset. A leaf shared by the listener (`http/server.rs`), the router and the
//! fault rules.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Lets a request handler cut its connection abruptly (RST, no response).
#[derive(Clone, Default)]
pub struct KillSwitch(Arc<AtomicBool>);

impl KillSwitch {
    /// Marks the connection for an abrupt close: its next read or write fails.
    pub fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub(crate) fn killed(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
