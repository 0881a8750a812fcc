//! Process-wide logging with a replaceable sink and a level.
//!
//! The core logs through [`log`] (or the `oas_*!` macros); whoever embeds the
//! library installs a sink with [`set_sink`]. The FFI layer installs the C
//! callback here. Messages never contain secrets: callers must not format access
//! keys or signatures into them.

use once_cell::sync::Lazy;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

/// Severity of a log message; a sink receives messages at or above its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Failures.
    Error = 1,
    /// Retries and other recovered problems.
    Warn = 2,
    /// Progress of transfers and jobs (the SDK's INFO).
    Info = 3,
    /// Requests and responses.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl Level {
    /// The level for a number 1..=5; `None` otherwise.
    pub fn from_u8(v: u8) -> Option<Level> {
        Some(match v {
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            5 => Level::Trace,
            _ => return None,
        })
    }

    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }
}

/// A log sink: receives level, target (e.g. `oas::uploader`) and message.
pub type Sink = Arc<dyn Fn(Level, &str, &str) + Send + Sync>;

static SINK: Lazy<RwLock<Option<Sink>>> = Lazy::new(|| RwLock::new(None));
/// 0 = logging off.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);

/// Installs (`Some`) or removes (`None`) the process-wide sink and its level.
pub fn set_sink(sink: Option<Sink>, level: Level) {
    let mut guard = SINK.write().unwrap_or_else(|e| e.into_inner());
    let on = sink.is_some();
    *guard = sink;
    MAX_LEVEL.store(if on { level as u8 } else { 0 }, Ordering::SeqCst);
}

/// True when a message at `level` would reach the sink.
pub fn enabled(level: Level) -> bool {
    (level as u8) <= MAX_LEVEL.load(Ordering::Relaxed)
}

/// Sends one message to the sink, if one is installed at this level.
pub fn log(level: Level, target: &str, message: &str) {
    if !enabled(level) {
        return;
    }
    let sink = SINK.read().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(sink) = sink {
        sink(level, target, message);
    }
}

/// Logs with `format!` arguments, formatting only when the level is enabled.
#[macro_export]
macro_rules! oas_log {
    ($level:expr, $target:expr, $($arg:tt)+) => {
        if $crate::log::enabled($level) {
            $crate::log::log($level, $target, &format!($($arg)+));
        }
    };
}

/// Logs at WARN.
#[macro_export]
macro_rules! oas_warn {
    ($target:expr, $($arg:tt)+) => { $crate::oas_log!($crate::log::Level::Warn, $target, $($arg)+) };
}

/// Logs at INFO.
#[macro_export]
macro_rules! oas_info {
    ($target:expr, $($arg:tt)+) => { $crate::oas_log!($crate::log::Level::Info, $target, $($arg)+) };
}

/// Logs at DEBUG.
#[macro_export]
macro_rules! oas_debug {
    ($target:expr, $($arg:tt)+) => { $crate::oas_log!($crate::log::Level::Debug, $target, $($arg)+) };
}

/// Logs at ERROR.
#[macro_export]
macro_rules! oas_error {
    ($target:expr, $($arg:tt)+) => { $crate::oas_log!($crate::log::Level::Error, $target, $($arg)+) };
}
