//! Randomized fault campaign of the Rust library against the in-process
//! emulator (`harness = false`: this file has its own `main`).
//!
//! ```text
//! cargo test --test fault_campaign                   # short campaign: 24 runs
//! cargo test --test fault_campaign -- --seed 12345   # exactly one run
//! cargo test --test fault_campaign -- --runs 60      # the first 60 seeds
//! cargo test --release --test fault_campaign -- --full   # 200 runs (scripts/campaign.sh)
//! ```
//! `--jobs N` sets how many runs go at once (default 2); `--verbose` also
//! prints every error the library reported; `--dry-run` prints the plans only.
//!
//! Run `i` uses seed [`plan::campaign_seed`]`(i)` (a fixed list, cycling
//! through the kinds of run); everything a run does
//! follows from its seed ([`plan::Plan::from_seed`]): single or multipart
//! upload and its size (1 byte to 24 MiB, 1 MiB parts above 2 MiB), workers,
//! download range size (1–4 MiB; 3 MiB ranges are not tree nodes, so only
//! the whole-output check catches their corruption), job delay, and 0–4
//! emulator fault rules (the emulator's RNG seeded with it too): connection
//! resets mid-body in both directions (`reset_request` on uploads,
//! `reset_response` on job output), lost answers (`drop_response`: the server
//! did the work, e.g. completed the upload), 500/503/408 bursts on every
//! operation of the flow, stalls longer than the client's 1.5 s read timeout,
//! and truncated or byte-flipped job output. Some faults repeat more often
//! than the client's 4 attempts per request, so the library has to give up
//! and the rule below applies.
//! Kill runs re-execute this binary as a child client (hidden `--child-*`
//! arguments) that uploads or downloads at a limited rate and is SIGKILLed
//! once the server holds the plan's number of parts (or the download journal
//! its number of ranges; half the kill runs then kill a second child that
//! resumed what the first one left); this process then
//! resumes the transfer: the upload
//! with `Vault::recover_uploader` + `Uploader::resume`, the download with
//! `Job::download_to_file` from the `<target>.oas` journal. Only the moment
//! of a kill and thread interleavings depend on timing.
//!
//! Every run ends with these checks, any failure failing the run:
//! * the archive on the emulator has the source's size and tree etag, and the
//!   file downloaded through a retrieval job is byte-identical to the source;
//! * no corruption went unreported: an upload or download that returned
//!   success with wrong bytes fails the run at once (marked `UNREPORTED
//!   CORRUPTION`), whatever happens after;
//! * nothing is left in the run's directory but the source and the download
//!   (no `*.oas` journal, no temporary file);
//! * the run finished within [`RUN_LIMIT`].
//!
//! The rule for errors: a fault may make an operation fail after the client's
//! retries are exhausted. That is acceptable only when the library returns
//! the error (it is then listed as "reported") and repeating the operation —
//! a resume of the same upload or download where one exists (a one-request
//! upload or a job initiation can only be repeated) — then
//! succeeds, with each phase (upload, retrieval, download) allowed
//! [`run::PHASE_ATTEMPTS`] attempts in all; the end state must be
//! byte-identical as above. One known limit is kept out of kill runs: a new
//! process cannot recover an upload whose Complete went through while every
//! answer was lost (`Vault::recover_uploader` finds no upload to list); the
//! `Uploader` that started it can (`Uploader::resume` repeats the Complete).
//!
//! A child that exits by itself other than with success or a reported error
//! (a panic, an abort) fails the run. Output: one line per run (seed, kind, size,
//! faults, outcome, duration), then `N passed, N failed`; the exit status is
//! non-zero when any run failed.

// The crate root sits beside its module directory: name the files.
#[path = "fault_campaign/child.rs"]
mod child;
#[path = "fault_campaign/plan.rs"]
mod plan;
#[path = "fault_campaign/rng.rs"]
mod rng;
#[path = "fault_campaign/run.rs"]
mod run;

use plan::Plan;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// Longest a run may take.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);
/// Runs of the default (short) campaign.
const SHORT_RUNS: u64 = 24;
/// Runs of the full campaign.
const FULL_RUNS: u64 = 200;

struct Args {
    seeds: Vec<u64>,
    jobs: usize,
    verbose: bool,
    dry_run: bool,
}

fn parse_args(args: &[String]) -> Result<Option<Args>, String> {
    let mut seed = None;
    let mut runs = SHORT_RUNS;
    let mut jobs = 2;
    let mut verbose = false;
    let mut dry_run = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--seed" => seed = Some(value("--seed")?),
            "--runs" => runs = value("--runs")?,
            "--jobs" => jobs = value("--jobs")?.max(1) as usize,
            "--full" => runs = FULL_RUNS,
            "--verbose" => verbose = true,
            "--dry-run" => dry_run = true,
            // `cargo test -- --list` asks what is here: one campaign.
            "--list" => {
                println!("fault_campaign: test");
                return Ok(None);
            }
            // As with libtest: `cargo test --ignored` runs only ignored
            // tests (there are none here), and a name filter that does not
            // match this campaign selects nothing.
            "--ignored" => return Ok(None),
            other if !other.starts_with('-') && !"fault_campaign".contains(other) => {
                println!("fault_campaign: filtered out by {other:?}");
                return Ok(None);
            }
            // Other harness options (e.g. --nocapture) do not apply.
            other => eprintln!("fault_campaign: ignoring argument {other:?}"),
        }
    }
    let seeds = match seed {
        Some(s) => vec![s],
        None => (0..runs).map(plan::campaign_seed).collect(),
    };
    Ok(Some(Args {
        seeds,
        jobs,
        verbose,
        dry_run,
    }))
}

/// Runs `plan` on its own thread and waits at most [`RUN_LIMIT`].
fn bounded(plan: Plan) -> Result<run::Report, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| run::run(&plan));
        let _ = tx.send(r.unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {msg}"))
        }));
    });
    rx.recv_timeout(RUN_LIMIT)
        .unwrap_or_else(|_| Err(format!("did not finish within {RUN_LIMIT:?}")))
}

fn line(plan: &Plan, outcome: &Result<run::Report, String>, took: Duration) -> String {
    let faults = if plan.labels.is_empty() {
        "none".to_string()
    } else {
        plan.labels.join(" ")
    };
    let result = match outcome {
        Ok(r) => {
            let mut s = format!(
                "ok, {} fired, {} reported+resumed",
                r.fired,
                r.reported.len()
            );
            for n in &r.notes {
                s.push_str(", ");
                s.push_str(n);
            }
            s
        }
        Err(e) => format!("FAILED: {e}"),
    };
    format!(
        "seed={} {} size={} workers={} range={}M faults=[{faults}] -> {result} ({:.1}s)",
        plan.seed,
        plan.kind.name(),
        plan.size,
        plan.workers,
        plan.range_size >> 20,
        took.as_secs_f64()
    )
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().is_some_and(|a| a.starts_with("--child-")) {
        child::main(&argv);
    }
    let args = match parse_args(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => return,
        Err(e) => {
            eprintln!("fault_campaign: {e}");
            std::process::exit(2);
        }
    };
    if args.dry_run {
        for &seed in &args.seeds {
            println!("{:?}", Plan::from_seed(seed));
        }
        return;
    }
    let started = Instant::now();
    println!(
        "fault campaign: {} run(s), {} at a time",
        args.seeds.len(),
        args.jobs
    );
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..args.jobs.min(args.seeds.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&seed) = args.seeds.get(i) else {
                    return;
                };
                let plan = Plan::from_seed(seed);
                let t = Instant::now();
                let outcome = bounded(plan.clone());
                let took = t.elapsed();
                // A run that returned late still broke its time bound.
                let outcome = match outcome {
                    Ok(_) if took > RUN_LIMIT => Err(format!("took {took:?} > {RUN_LIMIT:?}")),
                    o => o,
                };
                let mut text = line(&plan, &outcome, took);
                if let (true, Ok(r)) = (args.verbose, &outcome) {
                    for e in &r.reported {
                        text.push_str("\n    reported: ");
                        text.push_str(e);
                    }
                }
                // One write per run, so parallel runs do not interleave.
                println!("{text}");
                if outcome.is_err() {
                    failed.lock().unwrap().push(seed);
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap();
    let passed = args.seeds.len() - failed.len();
    println!(
        "{passed} passed, {} failed ({:.1}s)",
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        for s in &failed {
            println!("reproduce: cargo test --test fault_campaign -- --seed {s}");
        }
        std::process::exit(1);
    }
}
