//! Keeping SIGPIPE away from the host program.
//!
//! A write on a socket whose peer has gone (a server that answers early and
//! closes, a reset) raises SIGPIPE in the writing thread, and with the default
//! disposition that kills the whole process (exit 141). A library must never
//! do that to its host (STYLE rule 18). `MSG_NOSIGNAL` would be the per-call
//! cure, but hyper and tokio write with `writev`/`write` and expose no flag;
//! `SO_NOSIGPIPE` does not exist on Linux; changing the process-wide
//! disposition (curl's `sigpipe.h` sets `SIG_IGN` around its calls unless
//! `CURLOPT_NOSIGNAL`) would race with the host and its other threads.
//!
//! What is done instead (Linux, per-thread signal masks):
//!
//! * **Threads the library creates** never see SIGPIPE: the tokio runtime that
//!   sends streamed bodies blocks it in every thread it starts
//!   (`on_thread_start`, which covers its blocking pool too), and the runtime
//!   thread of reqwest's blocking client, which has no such hook, is created
//!   while the creating thread has SIGPIPE blocked ([`with_blocked`] around
//!   `Client::new`), so it inherits the mask (a new thread starts with its
//!   creator's mask; threads it creates in turn inherit it again). A SIGPIPE
//!   generated for such a thread stays pending on it, harmless, because a
//!   signal raised by a write is directed at the writing thread.
//! * **The caller's thread** may also drive sockets (`block_on` in the
//!   streamed-body path, see `stream.rs`, and every request through
//!   [`crate::Client::execute`]): for the duration of each request it runs
//!   under [`Guard`], which blocks SIGPIPE in that thread, and on the way out
//!   consumes a SIGPIPE that became pending during the call (`sigpending` +
//!   `sigtimedwait` with a zero timeout) before it restores the caller's mask.
//!   A SIGPIPE that was already pending before the call is the host's and is
//!   left alone.
//!
//! Nothing here changes a signal disposition or touches another thread.

/// SIGPIPE blocked in the calling thread until dropped; see the module docs.
pub(crate) struct Guard {
    /// The mask to restore, when blocking changed it.
    old: Option<libc::sigset_t>,
    /// SIGPIPE was pending before: it belongs to the host.
    was_pending: bool,
}

fn sigpipe_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        set
    }
}

fn sigpipe_pending() -> bool {
    // SAFETY: sigpending fills a local set; sigismember reads it.
    unsafe {
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut pending) == 0 && libc::sigismember(&pending, libc::SIGPIPE) == 1
    }
}

impl Guard {
    /// Blocks SIGPIPE in this thread.
    pub(crate) fn new() -> Guard {
        let set = sigpipe_set();
        // SAFETY: pthread_sigmask changes only this thread's mask; `old`
        // receives the previous one.
        let old = unsafe {
            let mut old: libc::sigset_t = std::mem::zeroed();
            if libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) != 0 {
                None
            } else if libc::sigismember(&old, libc::SIGPIPE) == 1 {
                // Already blocked by the host: nothing to restore.
                None
            } else {
                Some(old)
            }
        };
        Guard {
            old,
            was_pending: sigpipe_pending(),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.was_pending && sigpipe_pending() {
            let set = sigpipe_set();
            let zero = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: takes the pending SIGPIPE off this thread (or the
            // process) without waiting; it was raised by our own write.
            unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
        }
        if let Some(old) = self.old.take() {
            // SAFETY: restores this thread's mask as it was before `new`.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
        }
    }
}

/// Blocks SIGPIPE in the current thread for good: for threads the library
/// owns (tokio's `on_thread_start`).
pub(crate) fn block_in_this_thread() {
    let set = sigpipe_set();
    // SAFETY: changes only the calling thread's mask.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// Runs `f` (which creates threads) with SIGPIPE blocked, so that every
/// thread it starts inherits the blocked mask.
pub(crate) fn with_blocked<T>(f: impl FnOnce() -> T) -> T {
    let _guard = Guard::new();
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raised_sigpipe_is_consumed_and_the_mask_restored() {
        // On a fresh thread, so the test harness's other threads are untouched.
        std::thread::spawn(|| {
            let before = unsafe {
                let mut m: libc::sigset_t = std::mem::zeroed();
                libc::pthread_sigmask(libc::SIG_SETMASK, std::ptr::null(), &mut m);
                libc::sigismember(&m, libc::SIGPIPE)
            };
            {
                let _g = Guard::new();
                // SAFETY: raise a thread-directed SIGPIPE while it is blocked.
                unsafe { libc::pthread_kill(libc::pthread_self(), libc::SIGPIPE) };
                assert!(sigpipe_pending());
            }
            assert!(!sigpipe_pending(), "the guard must consume its SIGPIPE");
            let after = unsafe {
                let mut m: libc::sigset_t = std::mem::zeroed();
                libc::pthread_sigmask(libc::SIG_SETMASK, std::ptr::null(), &mut m);
                libc::sigismember(&m, libc::SIGPIPE)
            };
            assert_eq!(before, after, "mask restored");
        })
        .join()
        .unwrap();
    }
}
