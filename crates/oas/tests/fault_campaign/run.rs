//! One run of the campaign: start an emulator, upload the source under the
//! plan's faults (killing a child process part-way for kill runs), retrieve
//! and download it, then check the end state.

use super::child::{self, options};
use super::plan::{Kind, Plan};
use super::rng::contents;
use oas::download::Journal;
use oas::{Client, DownloadOptions, Vault, WaitOptions};
use oas_emulator::{Config, Emulator};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Attempts per phase: the first one plus resumes after reported errors.
pub const PHASE_ATTEMPTS: usize = 5;

/// What a passing run saw.
#[derive(Debug, Default)]
pub struct Report {
    /// Errors the library reported (each followed by a successful resume).
    pub reported: Vec<String>,
    /// Other notes for the report line (where a kill landed).
    pub notes: Vec<String>,
    /// How many times a fault rule acted (from `GET /_emulator/faults`).
    pub fired: u64,
}

/// A child process that is SIGKILLed when dropped, also when a run panics,
/// with what it wrote to stderr.
struct Kid(Child, std::sync::Arc<std::sync::Mutex<String>>);

impl Kid {
    /// The end of the child's stderr, for a failure message.
    fn stderr_tail(&self) -> String {
        let s = self.1.lock().unwrap_or_else(|p| p.into_inner());
        let from = s.len().saturating_sub(600);
        let from = (from..s.len())
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(s.len());
        s[from..].trim().replace('\n', " | ")
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Ctx<'a> {
    plan: &'a Plan,
    emu: Emulator,
    client: Client,
    vault: Vault,
    dir: tempfile::TempDir,
    src: PathBuf,
    out: PathBuf,
    report: Report,
}

/// Runs `plan`; `Err` names the first broken guarantee.
pub fn run(plan: &Plan) -> Result<Report, String> {
    let dir = tempfile::Builder::new()
        .prefix("oas-campaign-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;
    let src = dir.path().join("source.bin");
    let out = dir.path().join("download.bin");
    std::fs::write(&src, contents(plan.size, plan.seed)).map_err(|e| format!("source: {e}"))?;
    let emu = Emulator::start(Config {
        faults: true,
        job_delay: plan.job_delay,
        ..Default::default()
    })
    .map_err(|e| format!("emulator: {e}"))?;
    let client = Client::new(options(&emu.base_url(), plan.workers)).map_err(|e| e.to_string())?;
    let vault = Vault::create(&client, "campaign").map_err(|e| format!("vault: {e}"))?;
    let mut ctx = Ctx {
        plan,
        emu,
        client,
        vault,
        dir,
        src,
        out,
        report: Report::default(),
    };
    ctx.faults(Some(plan.rules.clone()))?;
    let archive = ctx.upload()?;
    ctx.download(&archive)?;
    ctx.report.fired = ctx.fired()?;
    // The checks themselves must not be faulted.
    ctx.faults(None)?;
    ctx.check(&archive)?;
    Ok(ctx.report)
}

impl Ctx<'_> {
    /// Replaces the emulator's rules with `rules` (none: clears them).
    fn faults(&self, rules: Option<Vec<serde_json::Value>>) -> Result<(), String> {
        let url = format!("{}/_emulator/faults", self.emu.base_url());
        let http = reqwest::blocking::Client::new();
        let ok = |r: reqwest::Result<reqwest::blocking::Response>| match r {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("fault control: {}", r.status())),
            Err(e) => Err(format!("fault control: {e}")),
        };
        ok(http.delete(&url).send())?;
        if let Some(rules) = rules {
            let body = serde_json::json!({"seed": self.plan.seed, "rules": rules});
            ok(http
                .post(&url)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send())?;
        }
        Ok(())
    }

    /// How many times a fault acted so far in this run.
    fn fired(&self) -> Result<u64, String> {
        let url = format!("{}/_emulator/faults", self.emu.base_url());
        reqwest::blocking::get(url)
            .and_then(|r| r.text())
            .map_err(|e| format!("fault report: {e}"))
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()))
            .map(|v| v["fired"].as_u64().unwrap_or(0))
    }

    /// Calls `f` until it succeeds, at most [`PHASE_ATTEMPTS`] times; every
    /// error it returns is recorded as reported.
    fn attempts<T>(
        &mut self,
        what: &str,
        mut f: impl FnMut(&Ctx<'_>) -> oas::Result<T>,
    ) -> Result<T, String> {
        let mut last = String::new();
        for _ in 0..PHASE_ATTEMPTS {
            match f(self) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    last = e.to_string();
                    self.report.reported.push(format!("{what}: {e}"));
                }
            }
        }
        Err(format!(
            "{what} still failing after {PHASE_ATTEMPTS} attempts: {last}"
        ))
    }

    /// Uploads the source; returns the archive id.
    fn upload(&mut self) -> Result<String, String> {
        let src = self.src.clone();
        if self.plan.kind == Kind::KillUpload {
            return self.killed_upload();
        }
        if !self.plan.multipart() {
            return self.attempts("upload", |c| c.vault.upload_archive(&src, Some("campaign")));
        }
        let u = self.attempts("initiate", |c| {
            c.vault.initiate_uploader(&src, Some("campaign"))
        })?;
        let mut first = true;
        // After a reported failure the same uploader resumes from what the
        // server holds (kill runs resume through `recover_uploader`).
        self.attempts("upload", |_| {
            if std::mem::take(&mut first) {
                u.start()
            } else {
                u.resume(&src)
            }
        })
    }

    fn spawn(&self, args: &[&str]) -> Result<(Kid, mpsc::Receiver<String>), String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args(args)
            // The panic message, not a backtrace, belongs in the report line.
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawning the child: {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = text.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                s.push_str(&line);
                s.push('\n');
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok((Kid(child, text), rx))
    }

    /// Kills the child once `progress()` reaches the plan's threshold (or it
    /// ended by itself), after the plan's extra delay; returns the lines it
    /// printed.
    fn kill_when(
        &mut self,
        mut kid: Kid,
        lines: &mpsc::Receiver<String>,
        mut seen: Vec<String>,
        threshold: u64,
        mut progress: impl FnMut(&Ctx<'_>) -> u64,
    ) -> Result<Vec<String>, String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut reached = 0;
        loop {
            if let Ok(Some(status)) = kid.0.try_wait() {
                // 0: finished; 5: the library reported an error. Anything else
                // (a panic, an abort) is a crash of the client.
                if !matches!(status.code(), Some(0) | Some(5)) {
                    std::thread::sleep(Duration::from_millis(100));
                    return Err(format!(
                        "the child client crashed ({status}): {}",
                        kid.stderr_tail()
                    ));
                }
                self.report
                    .notes
                    .push(format!("child ended by itself ({status})"));
                break;
            }
            reached = progress(self);
            if reached >= threshold {
                std::thread::sleep(Duration::from_millis(self.plan.kill_delay_ms));
                break;
            }
            if Instant::now() > deadline {
                return Err("the child made no progress in 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = kid.0.kill(); // SIGKILL
        let status = kid.0.wait().map_err(|e| e.to_string())?;
        self.report.notes.push(format!(
            "SIGKILL at {reached} done (planned {threshold}) {status}"
        ));
        drop(kid);
        seen.extend(lines.try_iter());
        Ok(seen)
    }

    /// A child starts the multipart upload and is killed part-way (and maybe
    /// a second child resuming it too); this process recovers the upload by
    /// its id and resumes it from the file.
    fn killed_upload(&mut self) -> Result<String, String> {
        let base = self.emu.base_url();
        let workers = self.plan.workers.to_string();
        let src = self.src.display().to_string();
        let (kid, lines) = self.spawn(&[child::UPLOAD, &base, self.vault.id(), &src, &workers])?;
        let first = lines
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| "the upload child printed no upload id".to_string())?;
        let upload_id = first
            .strip_prefix("UPLOAD_ID=")
            .ok_or_else(|| format!("upload child said {first:?}"))?
            .to_string();
        let mut kid_first = Some((kid, lines));
        let vault_id = self.vault.id().to_string();
        let held = |c: &Ctx<'_>| {
            c.client
                .list_parts(&vault_id, &upload_id)
                .map_or(0, |l| l.parts.len() as u64)
        };
        let mut seen = vec![first];
        for (i, threshold) in self.plan.kill_after.clone().into_iter().enumerate() {
            if let Some(id) = seen
                .iter()
                .find_map(|l| l.strip_prefix("FINISHED ARCHIVE_ID="))
            {
                self.report.notes.push("a child finished first".into());
                return Ok(id.to_string());
            }
            let kid = if i == 0 {
                kid_first.take().expect("first child")
            } else {
                // A further child resumes the upload and is killed too.
                let args = [child::RESUME, &base, &vault_id, &upload_id, &src, &workers];
                self.spawn(&args)?
            };
            let (kid, lines) = kid;
            seen = self.kill_when(kid, &lines, seen, threshold, held)?;
        }
        if let Some(id) = seen
            .iter()
            .find_map(|l| l.strip_prefix("FINISHED ARCHIVE_ID="))
        {
            self.report.notes.push("a child finished first".into());
            return Ok(id.to_string());
        }
        let src = self.src.clone();
        self.attempts("resume after kill", |c| {
            c.vault.recover_uploader(&upload_id)?.resume(&src)
        })
    }

    /// Retrieves the archive and downloads it (for kill runs, a child starts
    /// the download and is killed part-way); the download resumes from its
    /// journal after every reported error.
    fn download(&mut self, archive: &str) -> Result<(), String> {
        let mut job = self.attempts("retrieve", |c| {
            c.vault.retrieve_archive(archive, Some("campaign"), None)
        })?;
        job.set_wait_options(fast_wait());
        if self.plan.kind == Kind::KillDownload {
            self.attempts("wait", |_| job.wait(&fast_wait()))?;
            let base = self.emu.base_url();
            let workers = self.plan.workers.to_string();
            let out = self.out.display().to_string();
            let journal = Journal::path_for(&self.out);
            let range = self.plan.range_size.to_string();
            let vault_id = self.vault.id().to_string();
            let args = [
                child::DOWNLOAD,
                &base,
                &vault_id,
                job.id(),
                &out,
                &workers,
                &range,
            ];
            // Each further child resumes from the journal the last one left.
            for threshold in self.plan.kill_after.clone() {
                let (kid, lines) = self.spawn(&args)?;
                self.kill_when(
                    kid,
                    &lines,
                    Vec::new(),
                    threshold,
                    |_| match Journal::load(&journal) {
                        Ok(Some(j)) => j.done.len() as u64,
                        _ => 0,
                    },
                )?;
            }
        }
        let mut opts = DownloadOptions::default();
        opts.range_size = Some(self.plan.range_size);
        opts.workers = Some(self.plan.workers);
        let mut last = String::new();
        for _ in 0..PHASE_ATTEMPTS {
            match job.download_to_file_with(&self.out, 0, true, &opts) {
                // Success must mean the right bytes: anything else is
                // corruption that went unreported, which no resume excuses.
                Ok(()) => {
                    return match first_difference(&self.src, &self.out) {
                        None => Ok(()),
                        Some(at) => Err(format!(
                            "UNREPORTED CORRUPTION: the download reported success, differs at {at}"
                        )),
                    }
                }
                Err(e) => {
                    last = e.to_string();
                    self.report.reported.push(format!("download: {e}"));
                }
            }
        }
        Err(format!(
            "download still failing after {PHASE_ATTEMPTS} attempts: {last}"
        ))
    }

    /// The end state: archive metadata, downloaded bytes, no leftovers.
    fn check(&self, archive: &str) -> Result<(), String> {
        let meta = self
            .client
            .archive_meta(self.vault.id(), archive)
            .map_err(|e| format!("archive meta: {e}"))?;
        let want = oas::digest::digest_path(&self.src, 0, None).map_err(|e| e.to_string())?;
        if meta.archive_size_in_bytes != self.plan.size as i64
            || !meta.archive_tree_etag.eq_ignore_ascii_case(&want.tree_etag)
        {
            return Err(format!(
                "UNREPORTED CORRUPTION: the upload reported success, archive on the emulator is {} bytes / {}, source is {} bytes / {}",
                meta.archive_size_in_bytes, meta.archive_tree_etag, self.plan.size, want.tree_etag
            ));
        }
        if let Some(at) = first_difference(&self.src, &self.out) {
            return Err(format!("downloaded file differs from the source at {at}"));
        }
        let mut extra = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).map_err(|e| e.to_string())? {
            let name = entry.map_err(|e| e.to_string())?.file_name();
            let name = name.to_string_lossy().into_owned();
            if name != "source.bin" && name != "download.bin" {
                extra.push(name);
            }
        }
        if !extra.is_empty() {
            return Err(format!("left behind after success: {extra:?}"));
        }
        Ok(())
    }
}

/// Polling for the campaign's short jobs.
fn fast_wait() -> WaitOptions {
    let mut o = WaitOptions::default();
    o.first_interval = Duration::from_millis(100);
    o.max_interval = Duration::from_millis(300);
    o.timeout = Some(Duration::from_secs(20));
    o
}

/// The first offset where the two files differ (a length difference counts
/// at the shorter length); `None` when identical.
pub fn first_difference(a: &Path, b: &Path) -> Option<String> {
    let (x, y) = match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => return Some(format!("(unreadable: {e})")),
    };
    if x == y {
        return None;
    }
    let at = x.iter().zip(&y).position(|(p, q)| p != q);
    Some(match at {
        Some(i) => format!("byte {i}"),
        None => format!("length {} vs {}", x.len(), y.len()),
    })
}
