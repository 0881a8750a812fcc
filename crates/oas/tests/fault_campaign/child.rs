//! The client process that gets killed: the campaign binary re-executed with
//! a hidden first argument. It transfers slowly (a bandwidth limit) so the
//! parent can SIGKILL it part-way, and reports on stdout what the parent
//! needs to resume (`UPLOAD_ID=`), or `FINISHED` when it was not killed in
//! time.

use super::plan::{MIB, READ_TIMEOUT};
use oas::{Client, ClientOptions, DownloadOptions, Job, Vault};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Hidden argument: `--child-upload BASE VAULT FILE WORKERS`.
pub const UPLOAD: &str = "--child-upload";
/// Hidden argument: `--child-resume BASE VAULT UPLOAD_ID FILE WORKERS`.
pub const RESUME: &str = "--child-resume";
/// Hidden argument: `--child-download BASE VAULT JOB TARGET WORKERS`.
pub const DOWNLOAD: &str = "--child-download";
/// Bytes per second of a child transfer.
pub const CHILD_RATE: u64 = 4 * MIB;

/// The campaign's client settings: 1 MiB parts above a 2 MiB threshold,
/// a short read timeout (stalls outlast it), fast retries.
pub fn options(base: &str, workers: usize) -> ClientOptions {
    let mut o = ClientOptions::new(
        base,
        oas_emulator::DEFAULT_ACCESS_ID,
        oas_emulator::DEFAULT_ACCESS_KEY,
    );
    o.upload_threshold = super::plan::UPLOAD_THRESHOLD;
    o.part_size = MIB;
    o.download_range_size = MIB;
    o.workers = workers;
    o.read_timeout = READ_TIMEOUT;
    o.connect_timeout = Duration::from_secs(2);
    o.retry.max_attempts = 4;
    o.retry.base_delay = Duration::from_millis(10);
    o.retry.max_delay = Duration::from_millis(100);
    o
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs the child mode named by `args[0]`; never returns.
pub fn main(args: &[String]) -> ! {
    let workers = |s: &String| s.parse::<usize>().expect("workers");
    let code = match args[0].as_str() {
        UPLOAD => upload(&args[1], &args[2], Path::new(&args[3]), workers(&args[4])),
        RESUME => resume(
            &args[1],
            &args[2],
            &args[3],
            Path::new(&args[4]),
            workers(&args[5]),
        ),
        DOWNLOAD => download(
            &args[1],
            &args[2],
            &args[3],
            Path::new(&args[4]),
            workers(&args[5]),
        ),
        other => {
            eprintln!("unknown child mode {other}");
            2
        }
    };
    std::process::exit(code)
}

fn upload(base: &str, vault_id: &str, path: &Path, workers: usize) -> i32 {
    let mut o = options(base, workers);
    o.bandwidth_limit = CHILD_RATE;
    let client = Client::new(o).expect("client");
    // Faults may hit these first requests too: a real client would retry.
    let mut uploader = None;
    for _ in 0..5 {
        match Vault::get_by_id(&client, vault_id).and_then(|v| v.initiate_uploader(path, None)) {
            Ok(u) => {
                uploader = Some(u);
                break;
            }
            Err(e) => eprintln!("child: initiate failed: {e}"),
        }
    }
    let Some(u) = uploader else { return 4 };
    say(&format!("UPLOAD_ID={}", u.id()));
    match u.start() {
        Ok(id) => {
            say(&format!("FINISHED ARCHIVE_ID={id}"));
            0
        }
        Err(e) => {
            say(&format!("FAILED {e}"));
            5
        }
    }
}

fn resume(base: &str, vault_id: &str, upload_id: &str, path: &Path, workers: usize) -> i32 {
    let mut o = options(base, workers);
    o.bandwidth_limit = CHILD_RATE;
    let client = Client::new(o).expect("client");
    let r = Vault::get_by_id(&client, vault_id)
        .and_then(|v| v.recover_uploader(upload_id))
        .and_then(|u| u.resume(path));
    match r {
        Ok(id) => {
            say(&format!("FINISHED ARCHIVE_ID={id}"));
            0
        }
        Err(e) => {
            say(&format!("FAILED {e}"));
            5
        }
    }
}

fn download(base: &str, vault_id: &str, job_id: &str, target: &Path, workers: usize) -> i32 {
    let client = Client::new(options(base, workers)).expect("client");
    let mut opts = DownloadOptions::default();
    opts.range_size = Some(MIB);
    opts.workers = Some(workers);
    opts.bandwidth_limit = Some(CHILD_RATE);
    let r = Job::describe(&client, vault_id, job_id)
        .and_then(|mut job| job.download_to_file_with(target, 0, true, &opts));
    match r {
        Ok(()) => {
            say("FINISHED");
            0
        }
        Err(e) => {
            say(&format!("FAILED {e}"));
            5
        }
    }
}
