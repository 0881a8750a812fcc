//! Fault injection: every action, matching by op / path / times / probability, stats.

mod common;
use common::*;
use oas_emulator::FaultRule;
use serde_json::json;
use std::time::{Duration, Instant};

fn control(base: &str, method: &str, path: &str, body: Option<serde_json::Value>) -> Resp {
    let http = reqwest::blocking::Client::new();
    let mut rb = http.request(method.parse().unwrap(), format!("{base}{path}"));
    if let Some(b) = body {
        rb = rb.body(b.to_string());
    }
    to_resp(rb.send().unwrap())
}

fn faulty() -> (Emulator, Client) {
    start(Config {
        faults: true,
        ..Default::default()
    })
}

fn add(c: &Client, seed: u64, rules: serde_json::Value) {
    let r = control(
        &c.base,
        "POST",
        "/_emulator/faults",
        Some(json!({"seed": seed, "rules": rules})),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn stats(c: &Client) -> serde_json::Value {
    control(&c.base, "GET", "/_emulator/stats", None).json()
}

#[test]
fn error_rules_times_and_stats() {
    let (emu, c) = faulty();
    let v = c.create_vault("faults");
    add(
        &c,
        1,
        json!([{"op": "UploadArchive", "times": 1, "action": "error", "status": 503, "code": "ServiceUnavailable", "message": "try later"}]),
    );
    let r = c.upload(&v, &pattern(100), "");
    r.expect_error(503, "ServiceUnavailable");
    assert_eq!(r.json()["message"], "try later");
    assert_eq!(c.upload(&v, &pattern(100), "").status, 201);
    let s = stats(&c);
    assert_eq!(s["operations"]["UploadArchive"], 2);
    assert_eq!(s["operations"]["CreateVault"], 1);
    assert_eq!(s["total"], 3);
    assert_eq!(emu.stats().get("UploadArchive"), Some(&2));
    assert_eq!(
        control(&c.base, "DELETE", "/_emulator/stats", None).status,
        204
    );
    assert_eq!(stats(&c)["total"], 0);
    // Path glob, unlimited until cleared.
    add(
        &c,
        1,
        json!([{"path": "/vaults/*/jobs", "action": "error", "status": 500, "code": "InternalError"}]),
    );
    c.get(&format!("/vaults/{v}/jobs"))
        .expect_error(500, "InternalError");
    c.get(&format!("/vaults/{v}/jobs"))
        .expect_error(500, "InternalError");
    assert_eq!(c.get(&format!("/vaults/{v}")).status, 200);
    assert_eq!(
        control(&c.base, "DELETE", "/_emulator/faults", None).status,
        204
    );
    assert_eq!(c.get(&format!("/vaults/{v}/jobs")).status, 200);
    assert_eq!(stats(&c)["operations"]["ListJobs"], 3);
    control(
        &c.base,
        "POST",
        "/_emulator/faults",
        Some(json!({"rules": [{"action": "explode"}]})),
    )
    .expect_error(400, "InvalidArgument");
}

#[test]
fn probability_is_seeded() {
    let (_emu, c) = faulty();
    let run = || {
        control(&c.base, "DELETE", "/_emulator/faults", None);
        add(
            &c,
            42,
            json!([{"op": "ListVaults", "probability": 0.5, "action": "error", "status": 500, "code": "InternalError"}]),
        );
        (0..24)
            .map(|_| c.get("/vaults").status == 500)
            .collect::<Vec<bool>>()
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    let hits = a.iter().filter(|x| **x).count();
    assert!((4..=20).contains(&hits), "{hits}");
}

#[test]
fn stall_and_request_reset() {
    let (_emu, c) = faulty();
    let v = c.create_vault("stall");
    add(
        &c,
        0,
        json!([{"op": "DescribeVault", "times": 1, "action": "stall", "ms": 1000}]),
    );
    let t = Instant::now();
    assert_eq!(c.get(&format!("/vaults/{v}")).status, 200);
    assert!(t.elapsed() >= Duration::from_millis(1000));
    let t = Instant::now();
    c.get(&format!("/vaults/{v}"));
    assert!(t.elapsed() < Duration::from_millis(1000));
    add(
        &c,
        0,
        json!([{"op": "UploadArchive", "times": 1, "action": "reset_request", "after_bytes": 65536}]),
    );
    let data = pattern(3 * MIB);
    let d = oas_digest::digest::compute(&data);
    let hs = [
        ("x-oas-content-etag", d.etag.clone()),
        ("x-oas-tree-etag", d.tree_etag.clone()),
    ];
    let r = c.try_send("POST", &format!("/vaults/{v}/archives"), &hs, data.clone());
    assert!(
        r.is_err(),
        "expected a transport error, got {:?}",
        r.map(|r| r.status)
    );
    assert_eq!(c.get(&format!("/vaults/{v}")).json()["NumberOfArchives"], 0);
    assert_eq!(
        c.send("POST", &format!("/vaults/{v}/archives"), &hs, data)
            .status,
        201
    );
}

#[test]
fn response_faults_on_job_output() {
    let (_emu, c) = faulty();
    let v = c.create_vault("outfaults");
    let data = pattern(2 * MIB);
    let a = c.upload_ok(&v, &data, "");
    let j = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a}));
    let path = format!("/vaults/{v}/jobs/{j}/output");
    let tree = oas_digest::digest::compute(&data).tree_etag;
    // reset_response: headers and some bytes, then the connection dies.
    add(
        &c,
        0,
        json!([{"op": "GetJobOutput", "times": 1, "action": "reset_response", "after_bytes": 100000}]),
    );
    let r = c.try_send("GET", &path, &[], Vec::new());
    assert!(r.is_err(), "expected a transport error");
    // truncate: shorter than Content-Length, then closed.
    add(
        &c,
        0,
        json!([{"op": "GetJobOutput", "times": 1, "action": "truncate", "after_bytes": 5000}]),
    );
    let r = c.try_send("GET", &path, &[], Vec::new());
    match r {
        Err(_) => {}
        Ok(r) => assert!(r.body.len() < data.len(), "truncated body came back whole"),
    }
    // flip: same headers, one byte differs.
    add(
        &c,
        0,
        json!([{"path": "/vaults/*/jobs/*/output", "times": 1, "action": "flip", "offset": 1048577}]),
    );
    let r = c.send("GET", &path, &[], Vec::new());
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-oas-tree-etag").unwrap(), tree);
    assert_eq!(r.body.len(), data.len());
    let diff: Vec<usize> = (0..data.len()).filter(|i| r.body[*i] != data[*i]).collect();
    assert_eq!(diff, vec![1048577]);
    assert_ne!(oas_digest::digest::compute(&r.body).tree_etag, tree);
    // Clean afterwards.
    assert_eq!(c.send("GET", &path, &[], Vec::new()).body, data);
    // Flip on a JSON reply keeps Content-Length.
    add(
        &c,
        0,
        json!([{"op": "DescribeVault", "times": 1, "action": "flip", "offset": 0}]),
    );
    let r = c.get(&format!("/vaults/{v}"));
    assert_eq!(r.body[0], b'{' ^ 0xFF);
}

#[test]
fn initial_faults_and_disabled_control() {
    let rule = FaultRule::from_json(
        r#"{"op":"ListVaults","times":2,"action":"error","status":500,"code":"InternalError"}"#,
    )
    .unwrap();
    let (_emu, c) = start(Config {
        faults: true,
        initial_faults: vec![rule.clone()],
        ..Default::default()
    });
    c.get("/vaults").expect_error(500, "InternalError");
    c.get("/vaults").expect_error(500, "InternalError");
    assert_eq!(c.get("/vaults").status, 200);
    // Without `faults`, rules are ignored and control endpoints are absent.
    let (_emu2, c2) = start(Config {
        faults: false,
        initial_faults: vec![rule],
        ..Default::default()
    });
    assert_eq!(c2.get("/vaults").status, 200);
    let r = control(&c2.base, "GET", "/_emulator/stats", None);
    assert_eq!(r.status, 404);
}
