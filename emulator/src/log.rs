//! Minimal leveled logging to stderr (`--log-level`).

use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(2);

/// Sets the level from a name: `off`, `error`, `warn`, `info`, `debug`.
/// Returns false for an unknown name.
pub fn set_level(name: &str) -> bool {
    let l = match name.to_ascii_lowercase().as_str() {
        "off" | "none" => 0,
        "error" => 1,
        "warn" | "warning" => 2,
        "info" => 3,
        "debug" | "trace" => 4,
        _ => return false,
    };
    LEVEL.store(l, Ordering::Relaxed);
    true
}

fn emit(level: u8, tag: &str, msg: &str) {
    if LEVEL.load(Ordering::Relaxed) >= level {
        eprintln!("oas-emulator {tag}: {msg}");
    }
}

/// Logs an error.
pub fn error(msg: &str) {
    emit(1, "ERROR", msg)
}
/// Logs a warning.
pub fn warn(msg: &str) {
    emit(2, "WARN", msg)
}
/// Logs an informational line.
pub fn info(msg: &str) {
    emit(3, "INFO", msg)
}
/// Logs a debug line.
pub fn debug(msg: &str) {
    emit(4, "DEBUG", msg)
}
