//! The one retry loop of the SDK: requests ([`Client::execute`](super::Client::execute))
//! and range fetches (`jobs::download::fetch`) both run through [`run`], with the
//! client's [`RetryPolicy`](super::RetryPolicy), cancellation and one WARN line per retry.

use super::RetryPolicy;
use crate::engine::CancelToken;
use crate::error::{Error, Result};
use crate::oas_warn;

/// Whether a failure may succeed when tried again.
pub(crate) fn retryable(e: &Error, retry_invalid_digest: bool) -> bool {
    match e {
        Error::Transport(_) | Error::TransportTimeout(_) => true,
        Error::Server(s) => {
            s.status >= 500
                || s.status == 408
                || s.status == 429
                || matches!(
                    s.code.as_str(),
                    "Throttling" | "ThrottlingException" | "SlowDown" | "RequestTimeout"
                )
                || (retry_invalid_digest && s.code == "InvalidDigest")
        }
        _ => false,
    }
}

/// What one attempt came to.
pub(crate) enum Attempt<T> {
    /// Success: the loop returns it.
    Done(T),
    /// A failure another attempt may cure.
    Retry(Error),
    /// A failure that is final.
    Fail(Error),
    /// Try again at once, without a delay and without counting the attempt
    /// (the cause was corrected, e.g. the clock offset was learned).
    Again,
}

/// Runs `attempt` (called with the 1-based attempt number) until it is done,
/// fails for good, or the policy's attempts are used up; between attempts it
/// logs a WARN on `log_target` naming `what`, the attempt and the reason, and
/// sleeps the policy's delay, returning `cancelled()` when `cancel` is set
/// meanwhile.
pub(crate) fn run<T>(
    policy: &RetryPolicy,
    cancel: Option<&CancelToken>,
    log_target: &str,
    what: &str,
    cancelled: impl Fn() -> Error,
    mut attempt: impl FnMut(u32) -> Attempt<T>,
) -> Result<T> {
    let mut n = 1;
    loop {
        let err = match attempt(n) {
            Attempt::Done(v) => return Ok(v),
            Attempt::Fail(e) => return Err(e),
            Attempt::Retry(e) => e,
            Attempt::Again => continue,
        };
        if n >= policy.max_attempts {
            return Err(err);
        }
        let delay = policy.delay(n);
        oas_warn!(
            log_target,
            "{what}: attempt {n}/{} failed ({err}); retrying in {} ms",
            policy.max_attempts,
            delay.as_millis()
        );
        let slept = match cancel {
            Some(c) => c.sleep(delay),
            None => {
                std::thread::sleep(delay);
                true
            }
        };
        if !slept {
            return Err(cancelled());
        }
        n += 1;
    }
}
