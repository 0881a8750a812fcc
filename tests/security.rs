//! Security guarantees, checked end to end against the in-process emulator:
//!
//! * no secret (the access key secret, an `Authorization` value, a request
//!   signature) reaches a log line at the most verbose level, through the
//!   Rust sink or the C callback;
//! * a wrong secret is a 403 `SignatureDoesNotMatch` server error that is
//!   not retried;
//! * over HTTPS with a certificate made at test time, the client refuses the
//!   unknown CA by default and works once that CA is configured (Rust and C).

mod common;
use oas_sdk as sdk;

use common::ffi::{cs, default_options, last_message};
use common::*;
use oas::client::{oas_client, oas_client_free, oas_client_new};
use oas::error::{oas_error_kind, oas_last_error, OAS_ERROR_KIND_TRANSPORT};
use oas::log::{oas_set_log_callback, OAS_LOG_TRACE};
use oas::result::OAS_RESULT_OK;
use oas::vault::{oas_vault, oas_vault_create, oas_vault_free};
use oas_emulator::{Config, Emulator};
use oas_sdk::download::Journal;
use oas_sdk::log::{set_sink, Level};
use oas_sdk::{Client, Error, Vault};
use std::ffi::{c_char, c_void, CStr};
use std::path::Path;
use std::sync::{Arc, Mutex};

const ID: &str = "SECURITYTESTID";
const SECRET: &str = "Sup3r-Secret-Key/Value+0123456789";

/// The log sink is process-wide: tests that install one run one at a time.
static LOG_LOCK: Mutex<()> = Mutex::new(());

fn lock_logs() -> std::sync::MutexGuard<'static, ()> {
    LOG_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// An emulator with faults that accepts only [`ID`]/[`SECRET`].
fn emulator_with_credentials() -> Emulator {
    Emulator::start(Config {
        faults: true,
        credentials: vec![(ID.to_string(), SECRET.to_string())],
        ..Default::default()
    })
    .expect("emulator starts")
}

fn client_as(emu: &Emulator, id: &str, secret: &str) -> Client {
    client_with(emu, |o| {
        o.access_id = id.to_string();
        o.access_key = secret.to_string();
    })
}

/// Every maximal run of base64 characters that has the shape of a request
/// signature (Base64 of a 20-byte HMAC-SHA1: 27 characters and one `=`).
fn signature_shaped(line: &str) -> Vec<&str> {
    line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        .filter(|t| t.len() == 28 && t.ends_with('=') && !t[..27].contains('='))
        .collect()
}

/// Checks captured lines for every form a secret could take.
fn assert_no_secrets(lines: &[String], signatures: &[String]) {
    for line in lines {
        assert!(!line.contains(SECRET), "secret in log line: {line}");
        assert!(
            !line.contains(&format!("OAS {ID}:")),
            "Authorization in log line: {line}"
        );
        assert!(
            !line.to_ascii_lowercase().contains("authorization:"),
            "Authorization header in log line: {line}"
        );
        for s in signatures {
            assert!(
                !line.contains(s.as_str()),
                "signature {s} in log line: {line}"
            );
        }
        assert!(
            signature_shaped(line).is_empty(),
            "signature-shaped token in log line: {line}"
        );
    }
}

/// Issue 10, defect 5: every request is one DEBUG line with operation,
/// method, path, status, request id, attempt, bytes and duration, and TRACE
/// adds the wire headers (lines start with the level as `debug`/`trace`).
fn assert_request_lines(lines: &[String], debug: &str, trace: &str) {
    let debug_lines: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with(&format!("{debug} oas::http ")))
        .collect();
    let retried_part = debug_lines.iter().any(|l| {
        l.contains("UploadPart PUT /")
            && l.contains(" -> 503 ")
            && l.contains("request_id=")
            && l.contains("attempt=1")
            && l.contains(" ms")
    });
    assert!(
        retried_part,
        "DEBUG line of the failed part: {debug_lines:#?}"
    );
    assert!(
        debug_lines.iter().any(|l| l.contains("UploadPart PUT /")
            && l.contains("-> 204")
            && !l.contains("attempt=1 ")),
        "DEBUG line of the retried part: {debug_lines:#?}"
    );
    for op in [
        "CreateVault",
        "UploadArchive",
        "InitiateJob",
        "GetJobOutput",
        "CompleteMultipartUpload",
    ] {
        assert!(
            debug_lines.iter().any(|l| l.contains(&format!("{op} "))),
            "no DEBUG line for {op}: {debug_lines:#?}"
        );
    }
    let trace_lines = || lines.iter().filter(|l| l.starts_with(&format!("{trace} ")));
    assert!(
        trace_lines().any(|l| l.contains("> x-oas-version:")),
        "TRACE request headers"
    );
    assert!(
        trace_lines().any(|l| l.contains("< x-oas-request-id:")),
        "TRACE response headers"
    );
}

#[test]
fn signature_shape_detector_finds_signatures() {
    // The detector must see a real signature, or the checks above prove nothing.
    let sig = oas_emulator::auth::sign(SECRET, b"GET\nTue, 25 Mar 2014 12:00:00 GMT\n/vaults");
    let line = format!("Authorization: OAS {ID}:{sig}");
    assert_eq!(signature_shaped(&line), vec![sig.as_str()]);
    assert!(signature_shaped("tree etag 0917ABCDEF0917ABCDEF0917ABCDEF09").is_empty());
}

/// The string to sign that the emulator quotes in a SignatureDoesNotMatch
/// message (`... string to sign was "<Debug-escaped>"`).
fn quoted_string_to_sign(message: &str) -> Option<String> {
    let quoted = message.split("string to sign was ").nth(1)?;
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    Some(
        inner
            .replace("\\n", "\n")
            .replace("\\\"", "\"")
            .replace("\\\\", "\\"),
    )
}

/// Uploads (single and multipart, with injected retries), fails a request on
/// a wrong signature, and downloads through a job with an injected broken
/// response. Returns the exact signatures of the failed requests.
fn run_operations(emu: &Emulator, dir: &Path) -> Vec<String> {
    let client = client_as(emu, ID, SECRET);
    let vault = Vault::create(&client, "security").expect("create vault");
    let small = file(MIB / 2, 1);
    vault
        .upload_archive(small.path(), Some("single"))
        .expect("single upload");
    set_faults(
        emu,
        serde_json::json!([
            {"op": "UploadPart", "times": 2, "action": "error", "status": 503, "code": "ServiceUnavailable", "drain": true},
            {"op": "GetJobOutput", "times": 1, "action": "truncate", "after_bytes": 1000}
        ]),
    );
    let big = file(3 * MIB + 5, 2);
    let archive = vault
        .upload_archive(big.path(), Some("multipart"))
        .expect("multipart upload");
    let mut job = vault.retrieve_archive(&archive, None, None).expect("job");
    let out = dir.join("out.bin");
    job.download_to_file(&out, 0, true).expect("download");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(big.path()).unwrap()
    );
    assert!(!Journal::path_for(&out).exists());
    set_faults(emu, serde_json::json!([]));

    // A signature the server rejects: its text comes back in the error.
    let wrong = "Wrong-Secret-For-The-Same-Id-000";
    let bad = client_as(emu, ID, wrong);
    let err = Vault::create(&bad, "denied").expect_err("wrong secret");
    let server = err.server().expect("server error");
    let sts = quoted_string_to_sign(&server.message).expect("string to sign in the message");
    vec![
        oas_emulator::auth::sign(wrong, sts.as_bytes()),
        oas_emulator::auth::sign(SECRET, sts.as_bytes()),
    ]
}

#[test]
fn no_secret_in_rust_log_lines() {
    let _guard = lock_logs();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink_lines = Arc::clone(&lines);
    set_sink(
        Some(Arc::new(move |level: Level, target: &str, msg: &str| {
            let line = format!("{} {target} {msg}", level.as_str());
            sink_lines.lock().unwrap().push(line);
        })),
        Level::Trace,
    );
    let emu = emulator_with_credentials();
    let dir = tempfile::tempdir().unwrap();
    let signatures = run_operations(&emu, dir.path());
    set_sink(None, Level::Error);
    let lines = lines.lock().unwrap().clone();
    // The run must have logged, including the retries, or this proves nothing.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("WARN") && l.contains("UploadPart")),
        "retry warnings captured: {lines:#?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("INFO")), "{lines:#?}");
    assert_request_lines(&lines, "DEBUG", "TRACE");
    assert_no_secrets(&lines, &signatures);
    // Options are printable without the secret too.
    let opts = format!("{:?}", options(&emu));
    assert!(!opts.contains(oas_emulator::DEFAULT_ACCESS_KEY), "{opts}");
}

unsafe extern "C" fn collect_line(
    userdata: *mut c_void,
    level: u32,
    target: *const c_char,
    message: *const c_char,
) {
    // SAFETY: userdata is the Mutex<Vec<String>> the test passed; strings are
    // valid for the call.
    let lines = unsafe { &*(userdata as *const Mutex<Vec<String>>) };
    let (t, m) = unsafe { (CStr::from_ptr(target), CStr::from_ptr(message)) };
    let line = format!("{level} {} {}", t.to_string_lossy(), m.to_string_lossy());
    lines.lock().unwrap().push(line);
}

#[test]
fn no_secret_in_c_log_callback_lines() {
    let _guard = lock_logs();
    let lines: &'static Mutex<Vec<String>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    // SAFETY: a callback and a userdata that live for the whole process.
    let rc = unsafe {
        oas_set_log_callback(
            Some(collect_line),
            lines as *const _ as *mut c_void,
            OAS_LOG_TRACE,
        )
    };
    assert_eq!(rc, OAS_RESULT_OK);
    let emu = emulator_with_credentials();
    let dir = tempfile::tempdir().unwrap();
    let signatures = run_operations(&emu, dir.path());
    assert_eq!(
        // SAFETY: turning logging off passes no pointer on.
        unsafe { oas_set_log_callback(None, std::ptr::null_mut(), 0) },
        OAS_RESULT_OK
    );
    let lines = lines.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l.contains("UploadPart")), "{lines:#?}");
    assert_request_lines(&lines, "4", "5");
    assert_no_secrets(&lines, &signatures);
}

#[test]
fn wrong_secret_is_a_403_that_is_not_retried() {
    let emu = emulator_with_credentials();
    let bad = client_as(&emu, ID, "not-the-secret");
    let before = count(&emu, "CreateVault");
    let err = Vault::create(&bad, "denied").expect_err("wrong secret");
    let Error::Server(s) = &err else {
        panic!("expected a server error, got {err:?}");
    };
    assert_eq!(s.status, 403, "{s:?}");
    assert_eq!(s.code, "SignatureDoesNotMatch", "{s:?}");
    assert_eq!(
        count(&emu, "CreateVault") - before,
        1,
        "sent once, not retried"
    );
    // An unknown key id is refused the same way.
    let stranger = client_as(&emu, "NOSUCHID", SECRET);
    let err = Vault::create(&stranger, "denied").expect_err("unknown id");
    let s = err.server().expect("server error");
    assert_eq!((s.status, s.code.as_str()), (403, "InvalidAccessKeyId"));
    // The right pair works against the same server.
    Vault::create(&client_as(&emu, ID, SECRET), "allowed").expect("right secret");
}

/// A CA and a server certificate for 127.0.0.1 and localhost, made now and
/// written as PEM files: (ca, cert, key).
fn make_pki(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "liboas test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca_cert.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

fn tls_emulator(dir: &Path) -> (Emulator, std::path::PathBuf) {
    let (ca, cert, key) = make_pki(dir);
    let emu = Emulator::start(Config {
        tls: Some((cert, key)),
        ..Default::default()
    })
    .expect("TLS emulator starts");
    assert!(emu.base_url().starts_with("https://"), "{}", emu.base_url());
    (emu, ca)
}

#[test]
fn https_refuses_an_unknown_ca_and_trusts_a_configured_one() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, ca) = tls_emulator(dir.path());

    let refused = client_with(&emu, |o| o.retry.max_attempts = 1);
    let err = Vault::create(&refused, "tls").expect_err("unknown CA");
    let Error::Transport(msg) = &err else {
        panic!("expected a transport error, got {err:?}");
    };
    let lower = msg.to_ascii_lowercase();
    assert!(
        lower.contains("certificate") || lower.contains("issuer"),
        "message names the certificate problem: {msg}"
    );
    assert_eq!(count_tls(&emu), 0, "no request got through");

    let trusted = client_with(&emu, |o| o.ca_file = Some(ca.clone()));
    let vault = Vault::create(&trusted, "tls").expect("CA configured");
    let src = file(3 * MIB + 1, 9);
    let archive = vault
        .upload_archive(src.path(), None)
        .expect("upload over TLS");
    let mut job = vault.retrieve_archive(&archive, None, None).unwrap();
    let out = dir.path().join("tls-out.bin");
    job.download_to_file(&out, 0, true)
        .expect("download over TLS");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(src.path()).unwrap()
    );
    assert!(count_tls(&emu) > 0, "the counter sees requests");
}

/// Requests the emulator has handled (counted in-process: a refused TLS
/// handshake never becomes a request).
fn count_tls(emu: &Emulator) -> u64 {
    emu.stats().values().sum::<u64>()
}

unsafe fn c_tls_client(emu: &Emulator, ca: Option<&Path>) -> Result<*const oas_client, String> {
    let endpoint = cs(&emu.base_url());
    let id = cs(oas_emulator::DEFAULT_ACCESS_ID);
    let key = cs(oas_emulator::DEFAULT_ACCESS_KEY);
    let ca = ca.map(|p| cs(p.to_str().unwrap()));
    let mut o = default_options();
    o.endpoint = endpoint.as_ptr();
    o.access_id = id.as_ptr();
    o.access_key = key.as_ptr();
    o.retry_max_attempts = 1;
    o.ca_file = ca.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    let mut c = std::ptr::null();
    if unsafe { oas_client_new(&o, &mut c) } != OAS_RESULT_OK {
        return Err(unsafe { last_message() });
    }
    Ok(c)
}

#[test]
fn https_through_the_c_api() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, ca) = tls_emulator(dir.path());
    let name = cs("c-tls");
    unsafe {
        let plain = c_tls_client(&emu, None).unwrap();
        let mut v: *mut oas_vault = std::ptr::null_mut();
        assert_ne!(
            oas_vault_create(plain, name.as_ptr(), &mut v),
            OAS_RESULT_OK
        );
        assert_eq!(oas_error_kind(oas_last_error()), OAS_ERROR_KIND_TRANSPORT);
        let msg = last_message().to_ascii_lowercase();
        assert!(
            msg.contains("certificate") || msg.contains("issuer"),
            "{msg}"
        );
        assert!(v.is_null());
        oas_client_free(plain);

        let trusting = c_tls_client(&emu, Some(&ca)).unwrap();
        let rc = oas_vault_create(trusting, name.as_ptr(), &mut v);
        assert_eq!(rc, OAS_RESULT_OK, "{}", last_message());
        assert!(!v.is_null());
        oas_vault_free(v);
        oas_client_free(trusting);
    }
}
