//! Part digests computed ahead of the part requests.
//!
//! A part's request needs both its digests in the headers, so the part must be
//! hashed before its body goes out. When every worker hashes its own part and
//! then sends it, the workers move in lock-step: all of them hash (the client
//! uses every core, the server idles), then all of them send (the server
//! verifies, the client idles). One thread hashing the parts in order ahead of
//! the senders keeps both sides busy: the first part goes out as soon as it is
//! hashed, and the next ones are hashed while earlier ones are on the wire.
//! Nothing but the digests is kept, so memory does not grow.
//!
//! Parts are hashed in groups: the content MD5 of a part is one sequential
//! stream, but the parts are independent, so a group's MD5s run together in
//! SIMD lanes (`digest::digest_ranges_at`), several times cheaper than one
//! scalar pass per part. The first part of a group is ready when the whole
//! group is, so groups are as large as the parts in flight (the workers).

use crate::digest::Digests;
use crate::engine::sync::lock;
use crate::engine::CancelToken;
use crate::error::{Error, Result};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Digests of `n` parts, filled in order by [`DigestsAhead::produce`] and
/// taken once each by [`DigestsAhead::take`].
pub(crate) struct DigestsAhead {
    slots: Mutex<Vec<Option<Result<Digests>>>>,
    ready: Condvar,
}

impl DigestsAhead {
    /// Room for `n` parts.
    pub fn new(n: usize) -> Self {
        DigestsAhead {
            slots: Mutex::new((0..n).map(|_| None).collect()),
            ready: Condvar::new(),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Vec<Option<Result<Digests>>>> {
        lock(&self.slots)
    }

    /// Computes the digests of every part in order, `group` parts per call
    /// of `hash` (given the parts' indices, it returns one result per index),
    /// until all are done or `stop` is cancelled. Run it on a thread of its own.
    pub fn produce(
        &self,
        stop: &CancelToken,
        group: usize,
        hash: impl Fn(&[usize]) -> Vec<Result<Digests>>,
    ) {
        let n = self.slots().len();
        let indices: Vec<usize> = (0..n).collect();
        for batch in indices.chunks(group.max(1)) {
            if stop.is_cancelled() {
                break;
            }
            let digests = hash(batch);
            debug_assert_eq!(digests.len(), batch.len());
            let mut slots = self.slots();
            for (&i, d) in batch.iter().zip(digests) {
                slots[i] = Some(d);
            }
            drop(slots);
            self.ready.notify_all();
        }
    }

    /// Waits for part `i`'s digests (or its hashing error); fails with
    /// [`Error::Cancelled`] once `stop` is cancelled.
    pub fn take(&self, i: usize, stop: &CancelToken, what: &str) -> Result<Digests> {
        let mut slots = self.slots();
        loop {
            if let Some(d) = slots[i].take() {
                return d;
            }
            if stop.is_cancelled() {
                return Err(Error::Cancelled(what.to_string()));
            }
            // The timeout bounds how late a cancellation is noticed.
            slots = self
                .ready
                .wait_timeout(slots, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn digests(i: usize) -> Digests {
        crate::digest::compute(&[i as u8; 10])
    }

    #[test]
    fn parts_come_in_order_while_later_ones_are_hashed() {
        let ahead = DigestsAhead::new(5);
        let stop = CancelToken::new();
        let hashed = AtomicUsize::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                ahead.produce(&stop, 2, |batch| {
                    assert!(batch.len() <= 2, "groups of at most 2");
                    batch
                        .iter()
                        .map(|&i| {
                            hashed.fetch_add(1, Ordering::SeqCst);
                            if i == 3 {
                                return Err(Error::Upload("disk gone".into()));
                            }
                            std::thread::sleep(Duration::from_millis(5));
                            Ok(digests(i))
                        })
                        .collect()
                })
            });
            for i in [0, 1, 2, 4] {
                assert_eq!(ahead.take(i, &stop, "t").unwrap(), digests(i));
            }
            let err = ahead.take(3, &stop, "t").unwrap_err();
            assert!(
                matches!(err, Error::Upload(ref m) if m == "disk gone"),
                "{err}"
            );
        });
        assert_eq!(hashed.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn cancel_stops_both_sides() {
        let ahead = DigestsAhead::new(100);
        let stop = CancelToken::new();
        let hashed = AtomicUsize::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                ahead.produce(&stop, 1, |batch| {
                    if hashed.fetch_add(1, Ordering::SeqCst) == 2 {
                        stop.cancel();
                    }
                    batch.iter().map(|&i| Ok(digests(i))).collect()
                })
            });
            let err = ahead.take(50, &stop, "upload x").unwrap_err();
            assert!(matches!(err, Error::Cancelled(ref m) if m == "upload x"));
        });
        assert_eq!(
            hashed.load(Ordering::SeqCst),
            3,
            "hashing stops at the cancel"
        );
    }
}
