//! OAS emulator: a protocol-true local OAS server (see `emulator/README.md`).
//!
//! Start it in-process with [`Emulator::start`] (it runs its own tokio runtime on
//! a background thread, so plain `#[test]` functions can use it), or run the
//! `oas-emulator` binary.
#![warn(missing_docs)]

// The rooms, top to bottom (no module uses one above it; see README.md):
// `http` (router, server, auth, replies, `handlers/`) → `runner` (jobs
// finishing) → `state` (what every handler shares) → `faults`, `kill` → `db`
// (SQLite rows, blob files, streaming bodies to and from them) → `error`,
// `log`, `sync`.
mod db;
mod error;
pub mod faults;
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod kill;
pub mod log;
mod runner;
mod state;
mod sync;

pub use http::auth;

pub use faults::{FaultAction, FaultRule};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Access key id accepted when no credential is configured.
pub const DEFAULT_ACCESS_ID: &str = "OASEMULATORTESTID";
/// Secret of [`DEFAULT_ACCESS_ID`].
pub const DEFAULT_ACCESS_KEY: &str = "OASEmulatorTestSecret000000000000";

/// Emulator configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind (default `127.0.0.1:0`, an ephemeral port).
    pub listen: SocketAddr,
    /// Persistent data directory; `None` uses a temporary one removed on stop.
    pub data_dir: Option<PathBuf>,
    /// Accepted `(AccessKeyId, AccessKeySecret)` pairs; empty means the default pair.
    pub credentials: Vec<(String, String)>,
    /// Time from job initiation to completion (default 0).
    pub job_delay: Duration,
    /// How long finished jobs stay readable (default 24 h).
    pub job_lifetime: Duration,
    /// Directory standing in for OSS: `<oss_dir>/<bucket>/<object>`.
    pub oss_dir: Option<PathBuf>,
    /// Only accept part sizes that are power-of-two MiB multiples of at least 32 MiB.
    pub strict_part_size: bool,
    /// Most vaults (default 10).
    pub max_vaults: usize,
    /// Seconds added to the emulator's clock (for tests of clients whose clock
    /// is off): the `Date` check of §2.4 and every reply's `Date` use it.
    pub clock_offset_secs: i64,
    /// Enables fault injection and the `/_emulator/*` control endpoints.
    pub faults: bool,
    /// Fault rules installed at start (used only when `faults` is true).
    pub initial_faults: Vec<FaultRule>,
    /// Serve HTTPS with this PEM certificate chain and private key.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            credentials: Vec::new(),
            job_delay: Duration::ZERO,
            job_lifetime: Duration::from_secs(24 * 3600),
            oss_dir: None,
            strict_part_size: false,
            max_vaults: 10,
            clock_offset_secs: 0,
            faults: false,
            initial_faults: Vec::new(),
            tls: None,
        }
    }
}

/// A running emulator; stops on [`Emulator::stop`] or drop.
pub struct Emulator {
    base_url: String,
    data_dir: PathBuf,
    state: Arc<state::State>,
    shutdown: tokio::sync::watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
    // Declared last: removed after the server thread has stopped.
    _temp: Option<tempfile::TempDir>,
}

impl Emulator {
    /// Opens the store, binds the listener and starts serving on a background thread.
    pub fn start(mut cfg: Config) -> std::io::Result<Emulator> {
        let io_err = |e: error::ApiError| std::io::Error::other(e.message);
        let (temp, data_dir) = match &cfg.data_dir {
            Some(d) => (None, d.clone()),
            None => {
                let t = tempfile::Builder::new().prefix("oas-emulator-").tempdir()?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        if cfg.credentials.is_empty() {
            cfg.credentials = vec![(DEFAULT_ACCESS_ID.into(), DEFAULT_ACCESS_KEY.into())];
        }
        let store = Arc::new(db::Store::open(&data_dir).map_err(io_err)?);
        let tls = match &cfg.tls {
            Some((c, k)) => Some(http::server::tls_acceptor(c, k)?),
            None => None,
        };
        let listener = bind(cfg.listen)?;
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                [127, 0, 0, 1].into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{addr}");
        let faults = faults::Faults::new(if cfg.faults {
            cfg.initial_faults.clone()
        } else {
            Vec::new()
        });
        let state = Arc::new(state::State {
            store,
            cfg,
            faults: Mutex::new(faults),
            stats: Mutex::new(BTreeMap::new()),
            job_lock: tokio::sync::Mutex::new(()),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("oas-emulator")
            .build()?;
        let (tx, rx) = tokio::sync::watch::channel(false);
        let st = state.clone();
        let thread = std::thread::Builder::new()
            .name("oas-emulator-main".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            log::error(&format!("listener: {e}"));
                            return;
                        }
                    };
                    let ticker = tokio::spawn(tick(st.clone(), rx.clone()));
                    http::server::serve(listener, tls, st, rx).await;
                    ticker.abort();
                });
                rt.shutdown_timeout(Duration::from_secs(2));
            })?;
        Ok(Emulator {
            base_url,
            data_dir,
            state,
            shutdown: tx,
            thread: Some(thread),
            _temp: temp,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The data directory in use (temporary unless configured).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Requests received per operation name since start (or the last reset).
    pub fn stats(&self) -> BTreeMap<String, u64> {
        self.state.stats_lock().clone()
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Binds with `SO_REUSEADDR`, so a restart on a fixed port does not wait for
/// the old connections' TIME_WAIT to expire.
fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

/// Background work: finish due jobs, expire old ones.
async fn tick(st: Arc<state::State>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => return,
        }
        runner::finish_due(&st).await;
        if let Err(e) = runner::expire(&st) {
            log::warn(&format!("expiring jobs: {}", e.message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_is_shareable_and_config_defaults() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Emulator>();
        let c = Config::default();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.max_vaults, 10);
        assert_eq!(c.job_lifetime, Duration::from_secs(86_400));
        assert!(c.credentials.is_empty() && !c.faults && c.tls.is_none());
    }

    #[test]
    fn start_reports_url_and_temp_dir_goes_away() {
        let emu = Emulator::start(Config::default()).unwrap();
        assert!(emu.base_url().starts_with("http://127.0.0.1:"));
        let dir = emu.data_dir().to_path_buf();
        assert!(dir.join("oas.sqlite").exists());
        emu.stop();
        assert!(!dir.exists());
    }
}
