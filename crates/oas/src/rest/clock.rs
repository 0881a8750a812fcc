//! Clock-skew correction: the offset between the server's clock and ours,
//! learned from a `RequestTimeTooSkewed` answer's `Date` header and applied to
//! the `Date` of every later request of the client.

use crate::error::Error;
use crate::oas_warn;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

/// Server clock minus ours, in milliseconds (zero until learned).
#[derive(Debug, Default)]
pub(super) struct ClockOffset(AtomicI64);

impl ClockOffset {
    /// Our clock corrected by the offset: the server's time as we know it.
    pub(super) fn now(&self) -> SystemTime {
        let (ahead, by) = self.get();
        let now = SystemTime::now();
        if ahead {
            now + by
        } else {
            now - by
        }
    }

    /// `(server ahead, amount)`.
    pub(super) fn get(&self) -> (bool, Duration) {
        let ms = self.0.load(Ordering::Relaxed);
        (ms >= 0, Duration::from_millis(ms.unsigned_abs()))
    }

    /// On `RequestTimeTooSkewed`, takes the server's time from the answer's
    /// `Date` header and keeps the offset (logged at WARN naming `what`).
    /// Returns true when an offset was taken (worth one retry, even when
    /// another request learned the same offset first: this one was signed
    /// before that).
    pub(super) fn learn(&self, what: &str, failure: &Error) -> bool {
        let Some(server) = failure.server() else {
            return false;
        };
        if server.code != "RequestTimeTooSkewed" {
            return false;
        }
        let Some(server_time) = server
            .headers
            .get("date")
            .and_then(|d| httpdate::parse_http_date(d).ok())
        else {
            return false;
        };
        let offset_ms = match server_time.duration_since(SystemTime::now()) {
            Ok(ahead) => ahead.as_millis() as i64,
            Err(behind) => -(behind.duration().as_millis() as i64),
        };
        self.0.store(offset_ms, Ordering::Relaxed);
        oas_warn!(
            "oas::client",
            "{what}: the server's clock differs from ours by {:+.1} s (RequestTimeTooSkewed); \
             signing this and later requests with the server's time",
            offset_ms as f64 / 1000.0
        );
        true
    }
}
