//! Persistence: in-process restart, kill -9 of the binary, and bounded memory for a
//! large streamed upload (the only big-data test).

mod common;
use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Proc {
    child: Child,
    base: String,
}

impl Proc {
    fn spawn(args: &[&str]) -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oas-emulator"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .expect("first line")
            .to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Proc { child, base }
    }

    fn hwm_kib(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let l = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        l.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    fn term(mut self) -> std::process::ExitStatus {
        unsafe_kill_term(self.child.id());
        self.child.wait().unwrap()
    }
}

fn unsafe_kill_term(pid: u32) {
    let st = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// Populates a store: an archive, an upload with one part, a finished job.
fn populate(c: &Client) -> (String, String, String, String, Vec<u8>) {
    let v = c.create_vault("persist");
    let data = pattern(3 * MIB + 7);
    let a = c.upload_ok(&v, &data, "kept");
    let r = c.send(
        "POST",
        &format!("/vaults/{v}/multipart-uploads"),
        &[("x-oas-part-size", MIB.to_string())],
        Vec::new(),
    );
    let u = r.header("x-oas-multipart-upload-id").unwrap();
    let part = &data[..MIB];
    let d = oas_digest::digest::compute(part);
    let r = c.send(
        "PUT",
        &format!("/vaults/{v}/multipart-uploads/{u}"),
        &[
            ("content-range", format!("0-{}", MIB - 1)),
            ("x-oas-content-etag", d.etag),
            ("x-oas-tree-etag", d.tree_etag),
        ],
        part.to_vec(),
    );
    assert_eq!(r.status, 204);
    let j = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a}));
    (v, a, u, j, data)
}

fn check(c: &Client, v: &str, a: &str, u: &str, j: &str, data: &[u8]) {
    let m = c.get(&format!("/vaults/{v}/archives/{a}/meta")).json();
    assert_eq!(m["ArchiveDescription"], "kept");
    assert_eq!(m["ArchiveTreeEtag"], "B59AC4ECD5AC0EDB26BE3A940D142F11");
    let p = c.get(&format!("/vaults/{v}/multipart-uploads/{u}")).json();
    assert_eq!(p["Parts"].as_array().unwrap().len(), 1);
    assert_eq!(
        c.get(&format!("/vaults/{v}/jobs/{j}")).json()["StatusCode"],
        "Succeeded"
    );
    assert_eq!(c.get(&format!("/vaults/{v}/jobs/{j}/output")).body, data);
    assert_eq!(c.get(&format!("/vaults/{v}")).json()["NumberOfArchives"], 1);
}

#[test]
fn restart_in_process_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let emu = Emulator::start(cfg.clone()).unwrap();
    assert_eq!(emu.data_dir(), dir.path());
    let c = Client::new(&emu.base_url());
    let (v, a, u, j, data) = populate(&c);
    // Restart on the same fixed port (connections of the old one are in TIME_WAIT).
    let port: u16 = emu.base_url().rsplit(':').next().unwrap().parse().unwrap();
    emu.stop();
    let cfg = Config {
        listen: ([127, 0, 0, 1], port).into(),
        ..cfg
    };
    let emu = Emulator::start(cfg).unwrap();
    assert_eq!(emu.base_url(), format!("http://127.0.0.1:{port}"));
    let c = Client::new(&emu.base_url());
    check(&c, &v, &a, &u, &j, &data);
}

#[test]
fn kill_9_then_restart() {
    let dir = tempfile::tempdir().unwrap();
    let dd = dir.path().to_str().unwrap().to_string();
    let p = Proc::spawn(&["--data-dir", &dd]);
    let c = Client::new(&p.base);
    let (v, a, u, j, data) = populate(&c);
    // Leave an upload half-sent when the process dies.
    let target = format!("/vaults/{v}/archives");
    let big = pattern(8 * MIB);
    let d = oas_digest::digest::compute(&big);
    let hs = vec![
        ("x-oas-content-etag".to_string(), d.etag.clone()),
        ("x-oas-tree-etag".to_string(), d.tree_etag.clone()),
    ];
    let date = c.date();
    let auth = c.authorization("POST", &date, &hs, &target);
    let mut s = std::net::TcpStream::connect(p.base.trim_start_matches("http://")).unwrap();
    write!(s, "POST {target} HTTP/1.1\r\nHost: x\r\nDate: {date}\r\nAuthorization: {auth}\r\nx-oas-content-etag: {}\r\nx-oas-tree-etag: {}\r\nContent-Length: {}\r\n\r\n", d.etag, d.tree_etag, big.len()).unwrap();
    s.write_all(&big[..5 * MIB]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.kill9();
    let p = Proc::spawn(&["--data-dir", &dd]);
    let c = Client::new(&p.base);
    check(&c, &v, &a, &u, &j, &data);
    // Nothing half-written survived: tmp is empty, and blobs match rows (archive,
    // part, job output link).
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs")).unwrap().count(),
        3
    );
    assert!(p.term().success());
}

#[test]
fn binary_temp_dir_removed_on_sigterm() {
    let p = Proc::spawn(&["--log-level", "info"]);
    let c = Client::new(&p.base);
    let v = c.create_vault("tmpdir");
    c.upload_ok(&v, &pattern(10), "");
    // Find the temp dir through /proc: the SQLite file is held open.
    let fds = std::fs::read_dir(format!("/proc/{}/fd", p.child.id())).unwrap();
    let db = fds
        .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
        .find(|l| l.to_string_lossy().ends_with("oas.sqlite"))
        .expect("database open");
    let data_dir = db.parent().unwrap().to_path_buf();
    assert!(data_dir.exists());
    assert!(p.term().success());
    assert!(!data_dir.exists());
}

/// Generates the vectors' pattern on the fly.
struct Pattern {
    pos: u64,
    len: u64,
}

/// 251 × 4096 bytes of the pattern: any window of up to 1 MiB starts at `pos % 251`.
fn period() -> &'static [u8] {
    static P: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    P.get_or_init(|| pattern(251 * 4096 + MIB))
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min((self.len - self.pos) as usize).min(MIB);
        let off = (self.pos % 251) as usize;
        buf[..n].copy_from_slice(&period()[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

#[test]
fn one_gib_upload_has_bounded_memory() {
    const SIZE: u64 = 1 << 30;
    let t0 = std::time::Instant::now();
    let mut h = oas_digest::digest::Hasher::new();
    let mut src = Pattern { pos: 0, len: SIZE };
    let mut buf = vec![0u8; 8 * MIB];
    loop {
        let n = src.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let d = h.finish();
    eprintln!("hashed locally in {:?}", t0.elapsed());
    let p = Proc::spawn(&[]);
    let c = Client::new(&p.base);
    let v = c.create_vault("big");
    let target = format!("/vaults/{v}/archives");
    let hs = vec![
        ("x-oas-content-etag".to_string(), d.etag.clone()),
        ("x-oas-tree-etag".to_string(), d.tree_etag.clone()),
    ];
    let date = c.date();
    let auth = c.authorization("POST", &date, &hs, &target);
    let r = c
        .http
        .post(format!("{}{target}", p.base))
        .header("Date", date)
        .header("Authorization", auth)
        .header("x-oas-content-etag", &d.etag)
        .header("x-oas-tree-etag", &d.tree_etag)
        .body(reqwest::blocking::Body::sized(
            Pattern { pos: 0, len: SIZE },
            SIZE,
        ))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    eprintln!("uploaded at {:?}", t0.elapsed());
    let a = r.headers()["x-oas-archive-id"]
        .to_str()
        .unwrap()
        .to_string();
    // Stream the archive back through a job and verify it.
    let j = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a}));
    let date = c.date();
    let target = format!("/vaults/{v}/jobs/{j}/output");
    let auth = c.authorization("GET", &date, &[], &target);
    let mut r = c
        .http
        .get(format!("{}{target}", p.base))
        .header("Date", date)
        .header("Authorization", auth)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["x-oas-tree-etag"].to_str().unwrap(),
        d.tree_etag
    );
    let mut back = oas_digest::digest::Hasher::new();
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        back.update(&buf[..n]);
    }
    assert_eq!(back.finish(), d);
    eprintln!("downloaded at {:?}", t0.elapsed());
    let hwm = p.hwm_kib();
    eprintln!("emulator peak RSS: {hwm} KiB");
    assert!(hwm < 100 * 1024, "peak RSS {hwm} KiB");
    assert!(p.term().success());
}
