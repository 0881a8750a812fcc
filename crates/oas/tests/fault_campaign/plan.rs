//! What one run does, derived from its seed alone: the kind of run, the file
//! size, the client's settings and the emulator fault rules.

use super::rng::Rng;
use serde_json::{json, Value};
use std::time::Duration;

/// One MiB.
pub const MIB: u64 = 1 << 20;
/// Files above this go multipart (kept small so multipart runs stay small).
pub const UPLOAD_THRESHOLD: u64 = 2 * MIB;
/// The client's read timeout in the campaign; stalls are made longer.
pub const READ_TIMEOUT: Duration = Duration::from_millis(1500);

/// What a run exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One-request upload, download in 1 MiB ranges.
    Single,
    /// Multipart upload in 1 MiB parts, download in 1 MiB ranges.
    Multipart,
    /// A child process uploads and is SIGKILLed; a new process resumes.
    KillUpload,
    /// A child process downloads and is SIGKILLed; a new process resumes.
    KillDownload,
}

impl Kind {
    /// Short name for the report line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multipart => "multipart",
            Kind::KillUpload => "kill-upload",
            Kind::KillDownload => "kill-download",
        }
    }
}

/// Everything a run does, fixed before it starts.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The seed everything here came from.
    pub seed: u64,
    /// What the run exercises.
    pub kind: Kind,
    /// Source file size in bytes.
    pub size: u64,
    /// Parts / ranges in flight.
    pub workers: usize,
    /// Download range size: 1 MiB multiples, some of them not tree nodes
    /// (3 MiB), whose flips only the whole-output check can catch.
    pub range_size: u64,
    /// Emulator job delay.
    pub job_delay: Duration,
    /// Fault rules for `POST /_emulator/faults`.
    pub rules: Vec<Value>,
    /// One short label per rule, for the report line.
    pub labels: Vec<String>,
    /// Kill runs: parts (upload) or ranges (download) the server / journal
    /// must hold before the child is killed; half the runs kill a second
    /// child that resumed what the first one left.
    pub kill_after: Vec<u64>,
    /// Kill runs: extra milliseconds before the SIGKILL.
    pub kill_delay_ms: u64,
}

/// The 5xx / 408 answers a burst is made of (all retryable by the client).
const STATUSES: [(u16, &str); 3] = [
    (500, "InternalError"),
    (503, "ServiceUnavailable"),
    (408, "RequestTimeout"),
];

/// Kinds of the campaign's runs in turn, so that every short campaign has
/// kill runs of both directions (a free draw would leave that to chance).
const KIND_CYCLE: [Kind; 8] = [
    Kind::Single,
    Kind::Multipart,
    Kind::KillUpload,
    Kind::Multipart,
    Kind::KillDownload,
    Kind::Single,
    Kind::Multipart,
    Kind::KillDownload,
];

/// The seed of run number `i` of the campaign: a fixed list, so run `i` is
/// the same run on every machine and every day. It is the first of a fixed
/// sequence of candidates whose plan has the kind [`KIND_CYCLE`] asks for.
pub fn campaign_seed(i: u64) -> u64 {
    let want = KIND_CYCLE[(i % KIND_CYCLE.len() as u64) as usize];
    let mut candidates = Rng::new(0x0A5_CA3B_A16E ^ i);
    loop {
        let seed = candidates.next_u64() % 1_000_000_007;
        if Plan::from_seed(seed).kind == want {
            return seed;
        }
    }
}

impl Plan {
    /// The plan of the run with `seed`.
    pub fn from_seed(seed: u64) -> Plan {
        let mut r = Rng::new(seed);
        let kind = match r.range(0, 99) {
            0..=29 => Kind::Single,
            30..=69 => Kind::Multipart,
            70..=84 => Kind::KillUpload,
            _ => Kind::KillDownload,
        };
        let size = match kind {
            Kind::Single => match r.range(0, 3) {
                0 => r.range(1, 4096),
                1 => MIB,
                _ => r.range(4097, UPLOAD_THRESHOLD),
            },
            Kind::Multipart => {
                let cap = *r.pick(&[6 * MIB, 6 * MIB, 12 * MIB, 24 * MIB]);
                // Part-aligned sizes now and then: the last part is then full.
                let s = r.range(UPLOAD_THRESHOLD + 1, cap);
                if r.chance(0.2) {
                    s.div_ceil(MIB) * MIB
                } else {
                    s
                }
            }
            Kind::KillUpload | Kind::KillDownload => r.range(4 * MIB, 10 * MIB),
        };
        let workers = r.range(1, 4) as usize;
        let range_size = *r.pick(&[MIB, MIB, 2 * MIB, 3 * MIB, 4 * MIB]);
        let job_delay = Duration::from_millis(*r.pick(&[0, 0, 0, 1000]));
        let chunks = match kind {
            Kind::KillDownload => size.div_ceil(range_size),
            _ => size.div_ceil(MIB),
        };
        let last = chunks.saturating_sub(2);
        let mut kill_after = vec![r.range(0, last)];
        if kind != Kind::Multipart && kind != Kind::Single && kill_after[0] < last && r.chance(0.5)
        {
            kill_after.push(r.range(kill_after[0] + 1, last));
        }
        let kill_delay_ms = r.range(0, 400);
        let mut plan = Plan {
            seed,
            kind,
            size,
            workers,
            range_size,
            job_delay,
            rules: Vec::new(),
            labels: Vec::new(),
            kill_after,
            kill_delay_ms,
        };
        // Kill runs carry fewer faults: the kill is their main event.
        let n = match kind {
            Kind::KillUpload | Kind::KillDownload => r.range(0, 2),
            _ => r.range(1, 4),
        };
        for _ in 0..n {
            plan.add_fault(&mut r);
        }
        plan
    }

    /// True for runs whose upload is multipart.
    pub fn multipart(&self) -> bool {
        self.size > UPLOAD_THRESHOLD
    }

    /// Appends one random fault rule.
    fn add_fault(&mut self, r: &mut Rng) {
        let upload_op = if self.multipart() {
            "UploadPart"
        } else {
            "UploadArchive"
        };
        // Body sizes seen by the faulted requests: parts are 1 MiB.
        let body = self.size.min(MIB);
        let out_body = self.size.min(self.range_size);
        let times = r.range(1, 3);
        let (label, rule) = match r.range(0, 8) {
            0 => {
                let at = r.range(0, body - 1);
                (
                    format!("reset_request({upload_op}@{at}x{times})"),
                    json!({"op": upload_op, "times": times,
                           "action": "reset_request", "after_bytes": at}),
                )
            }
            1 => {
                let mut ops = vec!["GetJobOutput", "GetJobOutput", upload_op];
                if self.multipart() {
                    // Lost answers of requests that did change the server.
                    ops.extend(["CompleteMultipartUpload", "InitiateMultipartUpload"]);
                }
                let op = *r.pick(&ops);
                let at = if op == "GetJobOutput" {
                    r.range(0, out_body - 1)
                } else {
                    0
                };
                // Now and then more lost answers in a row than the client's
                // 4 attempts: the operation fails although the server did it.
                let times = if r.chance(0.25) { 5 } else { times };
                (
                    format!("reset_response({op}@{at}x{times})"),
                    json!({"op": op, "times": times,
                           "action": "reset_response", "after_bytes": at}),
                )
            }
            2 | 3 => {
                let mut ops = vec![upload_op, "InitiateJob", "DescribeJob", "GetJobOutput"];
                if self.multipart() {
                    ops.extend(["InitiateMultipartUpload", "CompleteMultipartUpload"]);
                    ops.extend(["ListParts", "UploadPart"]);
                }
                let op = *r.pick(&ops);
                let (status, code) = *r.pick(&STATUSES);
                // Mostly a burst the retries absorb; sometimes one that may
                // outlast them, so a resume has to finish the job.
                if r.chance(0.3) {
                    let times = r.range(4, 8);
                    (
                        format!("error({op}:{status}x{times}@p0.5)"),
                        json!({"op": op, "times": times, "probability": 0.5,
                               "action": "error", "status": status, "code": code}),
                    )
                } else {
                    (
                        format!("error({op}:{status}x{times})"),
                        json!({"op": op, "times": times,
                               "action": "error", "status": status, "code": code}),
                    )
                }
            }
            4 => {
                let mut ops = vec![upload_op, "GetJobOutput", "DescribeJob", "InitiateJob"];
                if self.multipart() {
                    // Completed on the server after the client gave up waiting.
                    ops.push("CompleteMultipartUpload");
                }
                let op = *r.pick(&ops);
                let ms = READ_TIMEOUT.as_millis() as u64 + r.range(300, 900);
                (
                    format!("stall({op}:{ms}ms)"),
                    json!({"op": op, "times": 1, "action": "stall", "ms": ms}),
                )
            }
            7 => {
                // The server does the work, the answer is lost; sometimes
                // more often in a row than the client's 4 attempts.
                let mut ops = vec![upload_op, "InitiateJob"];
                if self.multipart() {
                    ops.extend(["CompleteMultipartUpload", "CompleteMultipartUpload"]);
                    ops.push("InitiateMultipartUpload");
                }
                let op = *r.pick(&ops);
                let mut times = if r.chance(0.3) { 5 } else { times };
                // Known limit: a new process cannot recover an upload whose
                // Complete went through unseen (`recover_uploader` finds no
                // upload to list), so kill runs lose at most what retries
                // absorb there.
                if self.kind == Kind::KillUpload && op == "CompleteMultipartUpload" {
                    times = times.min(3);
                }
                (
                    format!("drop_response({op}x{times})"),
                    json!({"op": op, "times": times, "action": "drop_response"}),
                )
            }
            5 => {
                let at = r.range(0, out_body - 1);
                (
                    format!("truncate(GetJobOutput@{at}x{times})"),
                    json!({"op": "GetJobOutput", "times": times,
                           "action": "truncate", "after_bytes": at}),
                )
            }
            _ => {
                let at = r.range(0, out_body - 1);
                (
                    format!("flip(GetJobOutput@{at}x{times})"),
                    json!({"op": "GetJobOutput", "times": times,
                           "action": "flip", "offset": at}),
                )
            }
        };
        self.labels.push(label);
        self.rules.push(rule);
    }
}
