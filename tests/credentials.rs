//! Credential resolution against a live emulator: a client made with empty
//! options finds the emulator through each source, explicit options win, and
//! the credentials file's `osshost` is the default host of OSS jobs.

use oas::{Client, ClientOptions, Vault};
use oas_emulator::{Config, Emulator, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY};
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;

fn env(pairs: Vec<(&str, String)>) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    move |k: &str| map.get(k).cloned()
}

fn empty() -> ClientOptions {
    ClientOptions::new("", "", "")
}

fn write_credentials(dir: &std::path::Path, host: &str, port: u16, key: &str) {
    let p = dir.join(".oascredentials");
    std::fs::write(
        &p,
        format!(
            "[OASCredentials]\nhost = {host}\nport = {port}\naccessid = {DEFAULT_ACCESS_ID}\n\
             accesskey = {key}\nosshost = oss-test-internal.example\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn every_source_reaches_the_emulator() {
    let oss = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(oss.path().join("bucket")).unwrap();
    std::fs::write(oss.path().join("bucket/obj"), b"pulled from oss").unwrap();
    let emu = Emulator::start(Config {
        oss_dir: Some(oss.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let url = emu.base_url();
    let hostport = url.trim_start_matches("http://").to_string();
    let (host, port) = hostport.rsplit_once(':').unwrap();
    let port: u16 = port.parse().unwrap();

    // 1. OAS_* variables.
    let c = Client::with_environment(
        empty(),
        &env(vec![
            ("OAS_ENDPOINT", url.clone()),
            ("OAS_ACCESS_ID", DEFAULT_ACCESS_ID.into()),
            ("OAS_ACCESS_KEY", DEFAULT_ACCESS_KEY.into()),
        ]),
    )
    .unwrap();
    Vault::create(&c, "from-oas-env").unwrap();

    // 2. ALIBABA_CLOUD_* variables with OAS_ENDPOINT.
    let c = Client::with_environment(
        empty(),
        &env(vec![
            ("OAS_ENDPOINT", url.clone()),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", DEFAULT_ACCESS_ID.into()),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEFAULT_ACCESS_KEY.into()),
        ]),
    )
    .unwrap();
    assert_eq!(Vault::list_all(&c).unwrap().len(), 1);

    // 3. The credentials file in a temporary HOME, with its osshost.
    let home = tempfile::tempdir().unwrap();
    write_credentials(home.path(), host, port, DEFAULT_ACCESS_KEY);
    let home_env = env(vec![("HOME", home.path().to_str().unwrap().into())]);
    let c = Client::with_environment(empty(), &home_env).unwrap();
    assert_eq!(c.endpoint(), url);
    assert_eq!(
        c.options().oss_host.as_deref(),
        Some("oss-test-internal.example")
    );
    let v = Vault::get_by_name(&c, "from-oas-env").unwrap();
    // An empty OSS host means the file's osshost.
    let job = v.pull_from_oss("", "bucket", "obj", Some("pull")).unwrap();
    assert_eq!(job.action(), "PullFromOSS", "{job:?}");

    // Explicit options win over the file: a wrong explicit key is used (and
    // rejected), not replaced by the file's right one.
    let mut wrong = empty();
    wrong.access_key = "a-wrong-secret-0000000000000000000".into();
    let c = Client::with_environment(wrong, &home_env).unwrap();
    let err = Vault::list_all(&c).unwrap_err();
    assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");

    // Without a default, an empty OSS host is still refused.
    let c = Client::with_environment(
        ClientOptions::new(&url, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY),
        &home_env,
    )
    .unwrap();
    assert_eq!(c.options().oss_host, None);
    let v = Vault::get_by_name(&c, "from-oas-env").unwrap();
    let err = v.pull_from_oss("", "bucket", "obj", None).unwrap_err();
    assert!(err.to_string().contains("OSS host"), "{err}");
}

#[test]
fn no_source_names_every_source_tried() {
    let home = tempfile::tempdir().unwrap();
    let err = Client::with_environment(
        empty(),
        &env(vec![("HOME", home.path().to_str().unwrap().into())]),
    )
    .unwrap_err();
    let msg = err.to_string();
    for part in [
        "OAS_ACCESS_ID",
        "ALIBABA_CLOUD_ACCESS_KEY",
        ".oascredentials: not found",
    ] {
        assert!(msg.contains(part), "{part:?} not in {msg}");
    }
}
