//! `oas-emulator`: a local OAS server. See `--help` and `emulator/README.md`.

use clap::Parser;
use oas_emulator::{Config, Emulator, FaultRule};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A protocol-true local OAS (Open Archive Service) server for tests, demos and offline development.
#[derive(Parser, Debug)]
#[command(name = "oas-emulator", version)]
struct Cli {
    /// Address to listen on; port 0 picks a free port. The first stdout line is
    /// `listening on <base URL>`.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Data directory (persists across restarts); default: a temporary directory removed at exit.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Accepted credential `ID:SECRET` (repeatable); default: OASEMULATORTESTID:OASEmulatorTestSecret000000000000.
    #[arg(long = "credential", value_name = "ID:SECRET")]
    credentials: Vec<String>,
    /// Seconds from job initiation until the job completes.
    #[arg(long, default_value_t = 0.0)]
    job_delay: f64,
    /// Seconds a finished job (and its output) stays available.
    #[arg(long, default_value_t = 86_400.0)]
    job_lifetime: f64,
    /// Directory standing in for OSS: objects live at <oss-dir>/<bucket>/<object>.
    #[arg(long)]
    oss_dir: Option<PathBuf>,
    /// Only accept part sizes that are a power-of-two number of MiB, at least 32 MiB.
    #[arg(long)]
    strict_part_size: bool,
    /// Maximum number of vaults.
    #[arg(long, default_value_t = 10)]
    max_vaults: usize,
    /// Seconds added to the emulator's clock (negative: behind), to test clients
    /// with a skewed clock: Date checks and reply Date headers use it.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    clock_offset: i64,
    /// Enable fault injection and the unsigned /_emulator/{faults,stats} endpoints.
    #[arg(long)]
    faults: bool,
    /// A fault rule as JSON (repeatable; implies --faults), e.g.
    /// '{"op":"UploadPart","times":1,"action":"error","status":500,"code":"InternalError"}'.
    #[arg(long = "fault", value_name = "JSON")]
    fault: Vec<String>,
    /// PEM certificate chain: serve HTTPS (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Log level on stderr: off, error, warn, info, debug.
    #[arg(long, default_value = "warn")]
    log_level: String,
}

fn secs(v: f64, name: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(v)
        .map_err(|_| format!("--{name} must be a non-negative number of seconds"))
}

fn config(cli: Cli) -> Result<Config, String> {
    if !oas_emulator::log::set_level(&cli.log_level) {
        return Err(format!("unknown --log-level {:?}", cli.log_level));
    }
    let credentials = cli
        .credentials
        .iter()
        .map(|c| {
            c.split_once(':')
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| format!("--credential {c:?} is not ID:SECRET"))
        })
        .collect::<Result<_, _>>()?;
    let initial_faults = cli
        .fault
        .iter()
        .map(|f| FaultRule::from_json(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Config {
        listen: cli.listen,
        data_dir: cli.data_dir,
        credentials,
        job_delay: secs(cli.job_delay, "job-delay")?,
        job_lifetime: secs(cli.job_lifetime, "job-lifetime")?,
        oss_dir: cli.oss_dir,
        strict_part_size: cli.strict_part_size,
        max_vaults: cli.max_vaults,
        clock_offset_secs: cli.clock_offset,
        faults: cli.faults || !initial_faults.is_empty(),
        initial_faults,
        tls: cli.tls_cert.zip(cli.tls_key),
    })
}

fn main() {
    let cli = Cli::parse();
    let cfg = match config(cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("oas-emulator: {e}");
            std::process::exit(2);
        }
    };
    let emu = match Emulator::start(cfg) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("oas-emulator: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", emu.base_url());
    let _ = out.flush();
    oas_emulator::log::info(&format!("data directory {}", emu.data_dir().display()));
    wait_for_signal();
    oas_emulator::log::info("shutting down");
    emu.stop();
}

/// Blocks until SIGINT or SIGTERM.
fn wait_for_signal() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("signal runtime");
    rt.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
            let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    });
}
