//! The emulator's one lock helper. A handler that panics poisons the mutex it
//! held; the values behind these locks are written whole, so the others go on.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
