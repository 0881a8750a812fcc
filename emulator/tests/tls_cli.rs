//! HTTPS serving (rustls + ring) and the binary's command line.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn serves_https() {
    let emu = Emulator::start(Config {
        tls: Some((data("tls-cert.pem"), data("tls-key.pem"))),
        ..Default::default()
    })
    .unwrap();
    assert!(emu.base_url().starts_with("https://127.0.0.1:"));
    let c = Client::new(&emu.base_url());
    let v = c.create_vault("secure");
    let a = c.upload_ok(&v, &pattern(MIB + 1), "tls");
    assert_eq!(
        c.get(&format!("/vaults/{v}/archives/{a}/meta")).json()["ArchiveSizeInBytes"],
        (MIB + 1) as u64
    );
    // Plain HTTP to the TLS port fails.
    let plain = emu.base_url().replace("https://", "http://");
    assert!(
        !reqwest::blocking::get(format!("{plain}/vaults")).is_ok_and(|r| r.status().is_success())
    );
}

#[test]
fn cli_options() {
    let bin = env!("CARGO_BIN_EXE_oas-emulator");
    let help = Command::new(bin).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for opt in [
        "--listen",
        "--data-dir",
        "--credential",
        "--job-delay",
        "--job-lifetime",
        "--oss-dir",
        "--strict-part-size",
        "--max-vaults",
        "--faults",
        "--fault",
        "--tls-cert",
        "--tls-key",
        "--log-level",
    ] {
        assert!(text.contains(opt), "{opt} missing from --help");
    }
    assert!(!Command::new(bin)
        .args(["--credential", "nocolon"])
        .status()
        .unwrap()
        .success());
    assert!(!Command::new(bin)
        .args(["--fault", "{bad json"])
        .status()
        .unwrap()
        .success());
    // Custom credential, max vaults and an initial fault rule.
    let mut child = Command::new(bin)
        .args([
            "--credential", "MYID:MYSECRET",
            "--max-vaults", "1",
            "--fault", r#"{"op":"DescribeVault","times":1,"action":"error","status":500,"code":"InternalError"}"#,
            "--tls-cert", data("tls-cert.pem").to_str().unwrap(),
            "--tls-key", data("tls-key.pem").to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    assert!(base.starts_with("https://"));
    let c = Client::with_key(&base, "MYID", "MYSECRET");
    let v = c.create_vault("only");
    c.send("PUT", "/vaults/second", &[], Vec::new())
        .expect_error(403, "TooManyVaults");
    c.get(&format!("/vaults/{v}"))
        .expect_error(500, "InternalError");
    assert_eq!(c.get(&format!("/vaults/{v}")).status, 200);
    Client::new(&base)
        .get("/vaults")
        .expect_error(403, "InvalidAccessKeyId");
    let stats = to_resp(
        c.http
            .get(format!("{base}/_emulator/stats"))
            .send()
            .unwrap(),
    )
    .json();
    assert_eq!(stats["operations"]["DescribeVault"], 2);
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}
