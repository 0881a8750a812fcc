//! State shared by the workers of one transfer (an upload or a download):
//! bytes done, progress reporting, cancellation and the bandwidth limit.
//!
//! Workers call [`Transfer::advance`] as bytes move. It paces them to the
//! bandwidth limit, reports progress at least every 1 MiB or 250 ms (never two
//! callback calls at once), and fails with `Interrupted` once the transfer is
//! cancelled so the request in flight stops within a read.
//!
//! # What `done` counts
//!
//! `done` (the progress callback's first figure and `size_completed`) never
//! goes down, so a progress bar never moves backwards. It counts each byte of
//! the archive or output once: the bytes found already done (verified parts
//! on the server, journaled ranges) plus every byte sent or received, where
//! the bytes of a failed attempt stay counted and re-sending them counts
//! nothing until the retry passes the furthest point an earlier attempt
//! reached. A new run on the same handle and target (a resume after a stop or
//! a failure) starts from the last figure of the previous run
//! ([`Transfer::carry_over`]) and stays there until it has really moved past
//! it. At the end of a successful transfer `done == total`.

use crate::client::{CancelToken, ReadHook};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A progress callback: `(done, total)`; returning `false` cancels the transfer.
pub type ProgressFn = Arc<dyn Fn(u64, u64) -> bool + Send + Sync>;

/// Progress is reported at least this often in bytes...
const REPORT_BYTES: u64 = 1 << 20;
/// ...or in time.
const REPORT_INTERVAL: Duration = Duration::from_millis(250);

/// Paces a stream of bytes to an average rate, shared by all workers.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    // The moment at which the bytes granted so far have "drained" at `rate`.
    next: Mutex<Instant>,
}

impl RateLimiter {
    /// A limiter of `bytes_per_sec` (> 0).
    pub fn new(bytes_per_sec: u64) -> Self {
        RateLimiter {
            rate: bytes_per_sec.max(1) as f64,
            next: Mutex::new(Instant::now()),
        }
    }

    /// How long the caller must wait before sending `n` more bytes.
    pub fn reserve(&self, n: u64) -> Duration {
        let now = Instant::now();
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        // Idle time does not bank more than a small burst.
        let burst = Duration::from_millis(50);
        let start = if *next + burst < now {
            now - burst
        } else {
            *next
        };
        *next = start + Duration::from_secs_f64(n as f64 / self.rate);
        next.saturating_duration_since(now)
    }
}

struct Report {
    at: Instant,
    bytes: u64,
}

/// One transfer's shared state.
pub struct Transfer {
    total: u64,
    done: AtomicU64,
    /// The last figure of an earlier run of the same transfer; `done()` never
    /// reports less.
    floor: AtomicU64,
    /// What is transferred (e.g. the target path), to match a later run.
    key: std::sync::OnceLock<String>,
    cancel: CancelToken,
    progress: Option<ProgressFn>,
    report: Mutex<Report>,
    limiter: Option<RateLimiter>,
}

impl std::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfer")
            .field("total", &self.total)
            .field("done", &self.done())
            .finish()
    }
}

impl Transfer {
    /// A transfer of `total` bytes (0 = unknown) with an optional progress callback, a
    /// bandwidth limit in bytes/s (0 = none) and a cancel token.
    pub fn new(
        total: u64,
        progress: Option<ProgressFn>,
        bandwidth_limit: u64,
        cancel: CancelToken,
    ) -> Arc<Transfer> {
        Arc::new(Transfer {
            total,
            done: AtomicU64::new(0),
            floor: AtomicU64::new(0),
            key: std::sync::OnceLock::new(),
            cancel,
            progress,
            report: Mutex::new(Report {
                at: Instant::now(),
                bytes: 0,
            }),
            limiter: (bandwidth_limit > 0).then(|| RateLimiter::new(bandwidth_limit)),
        })
    }

    /// Total bytes of the transfer.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes done so far (readable from any thread); never decreases (see
    /// the module docs).
    pub fn done(&self) -> u64 {
        self.done
            .load(Ordering::SeqCst)
            .max(self.floor.load(Ordering::SeqCst))
    }

    /// Names what this transfer moves (`key`) and, when `previous` moved the
    /// same thing with the same total, starts from its last figure so that a
    /// resumed run never reports less than the stopped one did.
    pub fn carry_over(&self, previous: Option<&Transfer>, key: &str) {
        let _ = self.key.set(key.to_string());
        if let Some(p) = previous {
            if p.total == self.total && p.key.get().map(String::as_str) == Some(key) {
                self.floor.store(p.done().min(self.total), Ordering::SeqCst);
            }
        }
    }

    /// The transfer's cancel token.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Marks bytes that were already done before this run (resume): counted,
    /// not paced.
    pub fn skip(&self, n: u64) {
        self.done.fetch_add(n, Ordering::SeqCst);
    }

    /// Records `n` bytes moved: waits as the bandwidth limit requires, reports
    /// progress when due, and fails with `Interrupted` once cancelled.
    pub fn advance(&self, n: u64) -> io::Result<()> {
        self.pace(n)?;
        self.credit(n)
    }

    /// Waits as the bandwidth limit requires for `n` bytes about to move,
    /// without counting them as done (bytes re-sent by a retry are paced but
    /// were already counted). Fails with `Interrupted` once cancelled.
    pub fn pace(&self, n: u64) -> io::Result<()> {
        if let Some(l) = &self.limiter {
            let wait = l.reserve(n);
            if !wait.is_zero() && !self.cancel.sleep(wait) {
                return Err(cancelled());
            }
        }
        if self.cancel.is_cancelled() {
            return Err(cancelled());
        }
        Ok(())
    }

    /// Counts `n` bytes as done and reports progress when due. Fails with
    /// `Interrupted` once cancelled (also by the progress callback).
    pub fn credit(&self, n: u64) -> io::Result<()> {
        if n > 0 {
            self.done.fetch_add(n, Ordering::SeqCst);
            self.maybe_report(false);
        }
        if self.cancel.is_cancelled() {
            return Err(cancelled());
        }
        Ok(())
    }

    /// Calls the progress callback now if a report is due (or `force`).
    /// A `false` from the callback cancels the transfer.
    pub fn maybe_report(&self, force: bool) {
        let Some(cb) = &self.progress else { return };
        // Holding the lock while calling serialises the callback.
        let mut r = self.report.lock().unwrap_or_else(|e| e.into_inner());
        let done = self.done();
        let due = force
            || done >= r.bytes + REPORT_BYTES
            || (done != r.bytes && r.at.elapsed() >= REPORT_INTERVAL);
        if !due {
            return;
        }
        r.at = Instant::now();
        r.bytes = done;
        // A total of 0 means "unknown" (streams): report the bytes as they are.
        let shown = if self.total == 0 {
            done
        } else {
            done.min(self.total)
        };
        if !cb(shown, self.total) {
            self.cancel.cancel();
        }
    }

    /// A read hook that advances this transfer, for request bodies.
    pub fn hook(self: &Arc<Self>) -> ReadHook {
        let t = Arc::clone(self);
        Arc::new(move |n| t.advance(n))
    }
}

fn cancelled() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "transfer cancelled")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn progress_is_throttled_and_can_cancel() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let t = Transfer::new(
            10 << 20,
            Some(Arc::new(move |done, _| {
                c.fetch_add(1, Ordering::SeqCst);
                done < (5 << 20)
            })),
            0,
            CancelToken::new(),
        );
        let mut stopped = false;
        for _ in 0..(10 * 16) {
            if t.advance(64 << 10).is_err() {
                stopped = true;
                break;
            }
        }
        assert!(stopped, "callback returning false must cancel");
        let n = calls.load(Ordering::SeqCst);
        assert!((5..=7).contains(&n), "reported {n} times for ~5 MiB");
        assert!(t.is_cancelled());
    }

    #[test]
    fn rate_limit_paces() {
        let t = Transfer::new(1 << 20, None, 4 << 20, CancelToken::new());
        let start = Instant::now();
        for _ in 0..16 {
            t.advance(64 << 10).unwrap();
        }
        // 1 MiB at 4 MiB/s is 250 ms (minus the 50 ms burst allowance).
        let e = start.elapsed();
        assert!(e >= Duration::from_millis(180), "{e:?}");
        assert!(e <= Duration::from_millis(600), "{e:?}");
    }

    #[test]
    fn skip_and_carry_over() {
        let t = Transfer::new(100, None, 0, CancelToken::new());
        t.carry_over(None, "f");
        t.skip(40);
        t.advance(30).unwrap();
        assert_eq!(t.done(), 70);
        // A resumed run of the same target starts at the last figure...
        let again = Transfer::new(100, None, 0, CancelToken::new());
        again.carry_over(Some(&t), "f");
        assert_eq!(again.done(), 70);
        again.skip(40);
        assert_eq!(again.done(), 70, "no step back while below the floor");
        again.advance(50).unwrap();
        assert_eq!(again.done(), 90);
        // ...but not another target's or total's.
        let other = Transfer::new(100, None, 0, CancelToken::new());
        other.carry_over(Some(&t), "g");
        assert_eq!(other.done(), 0);
        let bigger = Transfer::new(200, None, 0, CancelToken::new());
        bigger.carry_over(Some(&t), "f");
        assert_eq!(bigger.done(), 0);
    }
}
