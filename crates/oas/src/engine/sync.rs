//! The one poison-tolerant lock helper. A panicking worker poisons the mutex
//! it held; every writer in the SDK stores whole values, so the data stays
//! consistent and the other workers carry on.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The value of a mutex nobody else holds any more, ignoring poisoning.
pub(crate) fn into_inner<T>(m: Mutex<T>) -> T {
    m.into_inner().unwrap_or_else(|e| e.into_inner())
}
