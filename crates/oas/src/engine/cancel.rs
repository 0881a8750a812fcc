//! [`CancelToken`]: the cancellation flag every layer shares.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A cancellation flag shared between a transfer and whoever may stop it.
/// A token made with [`CancelToken::linked`] also counts as cancelled once any
/// of the tokens it was linked to is, so a transfer can be stopped internally
/// (a failed part) without touching the caller's token.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<TokenInner>);

#[derive(Debug, Default)]
struct TokenInner {
    flag: AtomicBool,
    parents: Vec<CancelToken>,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }
    /// A new token that is cancelled when it is cancelled itself or when any of
    /// `parents` is. Cancelling it does not cancel the parents.
    pub fn linked<'a>(parents: impl IntoIterator<Item = &'a CancelToken>) -> Self {
        CancelToken(Arc::new(TokenInner {
            flag: AtomicBool::new(false),
            parents: parents.into_iter().cloned().collect(),
        }))
    }
    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
    }
    /// True once cancelled (itself or through a parent).
    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst) || self.0.parents.iter().any(|p| p.is_cancelled())
    }
    /// Sleeps up to `d`, returning early (with `false`) when cancelled.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = std::time::Instant::now() + d;
        loop {
            if self.is_cancelled() {
                return false;
            }
            let now = std::time::Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_tokens() {
        let user = CancelToken::new();
        let other = CancelToken::new();
        let run = CancelToken::linked([&user, &other]);
        assert!(!run.is_cancelled());
        run.cancel();
        assert!(run.is_cancelled());
        assert!(!user.is_cancelled(), "a child must not cancel its parents");
        let run2 = CancelToken::linked([&user, &other]);
        other.cancel();
        assert!(run2.is_cancelled());
    }
}
