//! The one worker pool of the SDK, used by the multipart upload (parts) and
//! the parallel download (ranges): a fixed number of scoped threads of its own
//! (not the rayon pool, which the hashing uses) take items in order, the first
//! failure wins and stops the others, and cancellation is never mistaken for
//! the cause of a failure.
//!
//! The upload from a stream (`upload::stream`) feeds its workers through a
//! rendezvous channel instead, because its items (part buffers) are produced
//! while the workers run and must all come back to the producer; see there.

use super::sync::{into_inner, lock};
use super::CancelToken;
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Most workers one transfer may run (`ClientOptions::workers` is checked
/// against it, and a download's own `workers` is capped at it).
pub(crate) const MAX_WORKERS: usize = 256;

/// Keeps the first failure; a cancellation seen by a worker is a consequence,
/// not the cause, so a later real error replaces it.
fn record(slot: &Mutex<Option<Error>>, e: Error) {
    let mut slot = lock(slot);
    if slot.is_none() || matches!(slot.as_ref(), Some(Error::Cancelled(_))) {
        *slot = Some(e);
    }
}

/// Runs `f` on every item with up to `workers` threads of its own (not the
/// rayon pool, which the hashing uses). The first failure stops the others by
/// cancelling `stop` and is returned; items not yet started are skipped. When
/// `stop` was cancelled from outside, the result is [`Error::Cancelled`].
/// On success the results come back in item order.
pub(crate) fn run_parallel<T, R, F>(
    items: &[T],
    workers: usize,
    stop: &CancelToken,
    what: &str,
    f: F,
) -> Result<Vec<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R> + Sync,
{
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let threads = workers.clamp(1, items.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                if stop.is_cancelled() {
                    return;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { return };
                match f(item) {
                    Ok(r) => lock(&results)[i] = Some(r),
                    // A part stopped by our own `stop` is not the cause.
                    Err(Error::Cancelled(_)) if stop.is_cancelled() => return,
                    Err(e) => {
                        record(&failure, e);
                        stop.cancel();
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = lock(&failure).take() {
        return Err(e);
    }
    let results = into_inner(results);
    if results.iter().any(Option::is_none) {
        return Err(Error::Cancelled(what.to_string()));
    }
    Ok(results.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_runner_orders_and_stops() {
        let items: Vec<u32> = (0..50).collect();
        let stop = CancelToken::new();
        let out = run_parallel(&items, 4, &stop, "t", |i| Ok(i * 2)).unwrap();
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());

        let ran = AtomicUsize::new(0);
        let stop = CancelToken::new();
        let err = run_parallel(&items, 2, &stop, "t", |i| {
            ran.fetch_add(1, Ordering::SeqCst);
            if *i == 3 {
                Err(Error::Upload("part 3".into()))
            } else {
                std::thread::sleep(std::time::Duration::from_millis(5));
                Ok(())
            }
        })
        .unwrap_err();
        assert!(
            matches!(err, Error::Upload(ref m) if m == "part 3"),
            "{err}"
        );
        assert!(ran.load(Ordering::SeqCst) < 10, "others must stop promptly");

        let user = CancelToken::new();
        user.cancel();
        let stop = CancelToken::linked([&user]);
        let err = run_parallel(&items, 2, &stop, "job", |_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::Cancelled(_)));
    }
}
