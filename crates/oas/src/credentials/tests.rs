//! Unit tests of the resolution and of the credentials file.

use super::file::endpoint_from_host;
use super::*;
use std::collections::HashMap;
use std::path::Path;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

fn none() -> PartialCredentials {
    PartialCredentials::default()
}

fn write_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

#[test]
fn regions() {
    assert_eq!(
        region_endpoint("cn-hangzhou", false, false).unwrap(),
        "http://cn-hangzhou.oas.aliyuncs.com"
    );
    assert_eq!(
        region_endpoint("cn-hangzhou", true, true).unwrap(),
        "https://cn-hangzhou.oas-internal.aliyuncs.com"
    );
    for bad in [
        "",
        "CN-hangzhou",
        "-cn",
        "cn-",
        "cn--x",
        "cn hangzhou",
        "a/b",
        "cn.x",
    ] {
        assert!(region_endpoint(bad, false, false).is_err(), "{bad:?}");
    }
}

#[test]
fn explicit_options_win_and_need_nothing_else() {
    let all = PartialCredentials {
        endpoint: Some("http://e".into()),
        access_id: Some("id".into()),
        access_key: Some("key".into()),
    };
    let e = env(&[("OAS_ACCESS_ID", "other"), ("OAS_ACCESS_KEY", "k2")]);
    let r = resolve(&all, &e).unwrap();
    assert_eq!(r.source, CredentialSource::Options);
    assert_eq!((r.access_id.as_str(), r.access_key.as_str()), ("id", "key"));
}

#[test]
fn oas_environment_first() {
    let e = env(&[
        ("OAS_ENDPOINT", "http://127.0.0.1:1"),
        ("OAS_ACCESS_ID", "oid"),
        ("OAS_ACCESS_KEY", "okey"),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "aid"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "akey"),
    ]);
    let r = resolve(&none(), &e).unwrap();
    assert_eq!(r.source, CredentialSource::OasEnvironment);
    assert_eq!(r.access_id, "oid");
    assert_eq!(r.endpoint, "http://127.0.0.1:1");
}

#[test]
fn explicit_fields_are_kept_when_a_source_completes_them() {
    let some = PartialCredentials {
        endpoint: Some("http://mine".into()),
        ..Default::default()
    };
    let e = env(&[
        ("OAS_ENDPOINT", "http://theirs"),
        ("OAS_ACCESS_ID", "oid"),
        ("OAS_ACCESS_KEY", "okey"),
    ]);
    let r = resolve(&some, &e).unwrap();
    assert_eq!(r.endpoint, "http://mine");
    assert_eq!(r.access_key, "okey");
}

#[test]
fn alibaba_cloud_variables_with_a_region() {
    let e = env(&[
        ("OAS_REGION", "cn-qingdao"),
        ("OAS_ACCESS_ID", "only-half"),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "aid"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "akey"),
    ]);
    let r = resolve(&none(), &e).unwrap();
    assert_eq!(r.source, CredentialSource::AlibabaCloudEnvironment);
    assert_eq!(r.endpoint, "http://cn-qingdao.oas.aliyuncs.com");
    assert_eq!(
        (r.access_id.as_str(), r.access_key.as_str()),
        ("aid", "akey")
    );
}

#[test]
fn credentials_file_in_home() {
    let home = tempfile::tempdir().unwrap();
    write_file(
        home.path(),
        CREDENTIALS_FILE_NAME,
        "[OASCredentials]\nhost = cn-hangzhou.oas.aliyuncs.com\nport = 8080\n\
         accessid = fid\nAccessKey: fkey\nosshost = oss-cn-hangzhou-internal.aliyuncs.com\n",
        0o600,
    );
    let h = home.path().to_str().unwrap().to_string();
    let e = env(&[("HOME", &h)]);
    let r = resolve(&none(), &e).unwrap();
    assert_eq!(
        r.source,
        CredentialSource::CredentialsFile(home.path().join(CREDENTIALS_FILE_NAME))
    );
    assert_eq!(r.endpoint, "http://cn-hangzhou.oas.aliyuncs.com:8080");
    assert_eq!(
        (r.access_id.as_str(), r.access_key.as_str()),
        ("fid", "fkey")
    );
    assert_eq!(
        r.oss_host.as_deref(),
        Some("oss-cn-hangzhou-internal.aliyuncs.com")
    );
}

#[test]
fn credentials_file_variable_and_ports() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        dir.path(),
        "creds.ini",
        "[OASCredentials]\nhost=example.test\nport=443\naccessid=i\naccesskey=k\n",
        0o600,
    );
    let e = env(&[
        ("OAS_CREDENTIALS_FILE", p.to_str().unwrap()),
        ("HOME", "/nonexistent-home"),
    ]);
    let r = resolve(&none(), &e).unwrap();
    assert_eq!(r.endpoint, "https://example.test");
    assert_eq!(r.oss_host, None);
    assert_eq!(endpoint_from_host("h", None).unwrap(), "http://h");
    assert_eq!(
        endpoint_from_host("http://127.0.0.1", Some("9")).unwrap(),
        "http://127.0.0.1:9"
    );
    assert!(endpoint_from_host("h", Some("x")).is_err());
}

#[test]
fn failure_names_every_source() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_str().unwrap().to_string();
    let e = env(&[("HOME", &h), ("OAS_ACCESS_ID", "x")]);
    let msg = resolve(&none(), &e).unwrap_err().to_string();
    for part in [
        "environment OAS_*",
        "no endpoint, no access key",
        "environment ALIBABA_CLOUD_ACCESS_KEY_*",
        "not found",
        ".oascredentials",
    ] {
        assert!(msg.contains(part), "{part:?} missing from {msg}");
    }
    assert!(!msg.contains("x\""), "{msg}");
}

#[test]
fn bad_region_and_bad_file_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "c", "[Other]\nhost=h\n", 0o600);
    let e = env(&[
        ("OAS_REGION", "Not A Region"),
        ("OAS_ACCESS_ID", "i"),
        ("OAS_ACCESS_KEY", "k"),
        ("OAS_CREDENTIALS_FILE", p.to_str().unwrap()),
    ]);
    let msg = resolve(&none(), &e).unwrap_err().to_string();
    assert!(
        msg.contains("OAS_REGION \"Not A Region\" is not a region id"),
        "{msg}"
    );
    assert!(msg.contains("no [OASCredentials] section"), "{msg}");
}

#[test]
fn shared_file_is_used_with_a_warning() {
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        dir.path(),
        "c",
        "[OASCredentials]\nhost=h\naccessid=i\naccesskey=secret-value\n",
        0o644,
    );
    let lines = Arc::new(Mutex::new(Vec::<(crate::log::Level, String)>::new()));
    let sink = lines.clone();
    crate::log::set_sink(
        Some(Arc::new(move |level, _target: &str, msg: &str| {
            sink.lock().unwrap().push((level, msg.to_string()))
        })),
        crate::log::Level::Debug,
    );
    let e = env(&[("OAS_CREDENTIALS_FILE", p.to_str().unwrap())]);
    let r = resolve(&none(), &e).unwrap();
    crate::log::set_sink(None, crate::log::Level::Error);
    assert_eq!(r.access_key, "secret-value");
    let lines = lines.lock().unwrap();
    assert!(
        lines.iter().any(
            |(l, m)| *l == crate::log::Level::Warn && m.contains("readable by group or others")
        ),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|(l, m)| *l == crate::log::Level::Debug && m.contains("credentials file")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|(_, m)| !m.contains("secret-value")));
}
