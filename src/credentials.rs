//! Where a client's endpoint and credentials come from when its options leave
//! them unset, and endpoints built from region ids.
//!
//! Resolution order (the first source that completes what the options lack wins;
//! a field the options set is never replaced):
//!
//! 1. environment `OAS_ENDPOINT` (or `OAS_REGION`), `OAS_ACCESS_ID`, `OAS_ACCESS_KEY`;
//! 2. environment `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
//!    with the endpoint from `OAS_ENDPOINT` or `OAS_REGION`;
//! 3. the credentials file of the official `oascmd` tool: `$OAS_CREDENTIALS_FILE`,
//!    else `~/.oascredentials`, an INI file with a section `[OASCredentials]` and the
//!    keys `host`, `port`, `accessid`, `accesskey` and, optionally, `osshost`.
//!
//! The environment is read through [`Environment`], so tests (and programs that
//! keep their own configuration) resolve without touching the process environment.

use crate::error::{Error, Result};
use crate::{oas_debug, oas_warn};
use std::path::{Path, PathBuf};

const LOG_TARGET: &str = "oas::credentials";

/// Section of the `oascmd` credentials file.
pub const CREDENTIALS_SECTION: &str = "OASCredentials";

/// Name of the credentials file in the home directory.
pub const CREDENTIALS_FILE_NAME: &str = ".oascredentials";

/// What a resolution reads: environment variables and the home directory.
pub trait Environment {
    /// The value of an environment variable; `None` when unset or empty.
    fn var(&self, name: &str) -> Option<String>;
    /// The user's home directory.
    fn home_dir(&self) -> Option<PathBuf> {
        self.var("HOME").map(PathBuf::from)
    }
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Environment for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name).filter(|v| !v.is_empty())
    }
}

/// Where the resolved endpoint and credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// Everything was set in the options.
    Options,
    /// `OAS_ENDPOINT`/`OAS_REGION`, `OAS_ACCESS_ID`, `OAS_ACCESS_KEY`.
    OasEnvironment,
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID` and `ALIBABA_CLOUD_ACCESS_KEY_SECRET`.
    AlibabaCloudEnvironment,
    /// The `oascmd` credentials file at this path.
    CredentialsFile(PathBuf),
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSource::Options => f.write_str("the client options"),
            CredentialSource::OasEnvironment => f.write_str("environment OAS_*"),
            CredentialSource::AlibabaCloudEnvironment => {
                f.write_str("environment ALIBABA_CLOUD_ACCESS_KEY_*")
            }
            CredentialSource::CredentialsFile(p) => {
                write!(f, "credentials file {}", p.display())
            }
        }
    }
}

/// Endpoint and credentials, some of which may be unset (`None` or empty).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PartialCredentials {
    /// Service URL.
    pub endpoint: Option<String>,
    /// Access key id.
    pub access_id: Option<String>,
    /// Access key secret.
    pub access_key: Option<String>,
}

impl std::fmt::Debug for PartialCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartialCredentials")
            .field("endpoint", &self.endpoint)
            .field("access_id", &self.access_id)
            .field("access_key", &self.access_key.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

impl PartialCredentials {
    fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if is_unset(&self.endpoint) {
            m.push("endpoint");
        }
        if is_unset(&self.access_id) {
            m.push("access id");
        }
        if is_unset(&self.access_key) {
            m.push("access key");
        }
        m
    }

    /// Fields of `self`, with the unset ones taken from `other`.
    fn or(&self, other: &PartialCredentials) -> PartialCredentials {
        let pick = |a: &Option<String>, b: &Option<String>| {
            if is_unset(a) {
                b.clone().filter(|v| !v.is_empty())
            } else {
                a.clone()
            }
        };
        PartialCredentials {
            endpoint: pick(&self.endpoint, &other.endpoint),
            access_id: pick(&self.access_id, &other.access_id),
            access_key: pick(&self.access_key, &other.access_key),
        }
    }
}

fn is_unset(v: &Option<String>) -> bool {
    v.as_deref().map_or(true, str::is_empty)
}

/// A complete endpoint and credential set, and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Service URL.
    pub endpoint: String,
    /// Access key id.
    pub access_id: String,
    /// Access key secret.
    pub access_key: String,
    /// The credentials file's `osshost`, when the file was the source.
    pub oss_host: Option<String>,
    /// The source that completed the options.
    pub source: CredentialSource,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("endpoint", &self.endpoint)
            .field("access_id", &self.access_id)
            .field("access_key", &"<hidden>")
            .field("oss_host", &self.oss_host)
            .field("source", &self.source)
            .finish()
    }
}

/// The public endpoint of a region: `cn-hangzhou` gives
/// `http://cn-hangzhou.oas.aliyuncs.com` (`https://` with `https`), and with
/// `internal` the intranet domain `cn-hangzhou.oas-internal.aliyuncs.com`.
/// A region id is lower-case letters, digits and inner hyphens (`cn-hangzhou`).
pub fn region_endpoint(region: &str, internal: bool, https: bool) -> Result<String> {
    let valid = !region.is_empty()
        && region.len() <= 63
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
        && !region.contains("--");
    if !valid {
        return Err(Error::InvalidArgument(format!(
            "region {region:?} is not a region id such as \"cn-hangzhou\" \
             (lower-case letters, digits and single inner hyphens)"
        )));
    }
    let scheme = if https { "https" } else { "http" };
    let domain = if internal { "oas-internal" } else { "oas" };
    Ok(format!("{scheme}://{region}.{domain}.aliyuncs.com"))
}

/// Completes `explicit` from the environment and the credentials file, in the
/// order of the module documentation, and logs (at DEBUG) which source was used.
/// The error names every source tried and what each one lacked.
pub fn resolve(explicit: &PartialCredentials, env: &dyn Environment) -> Result<Resolved> {
    if explicit.missing().is_empty() {
        return Ok(complete(explicit, None, CredentialSource::Options));
    }
    let mut tried = Vec::new();
    let endpoint_env = env_endpoint(env);

    // 1. OAS_*.
    let oas_env = PartialCredentials {
        endpoint: endpoint_env.as_ref().ok().cloned().flatten(),
        access_id: env.var("OAS_ACCESS_ID"),
        access_key: env.var("OAS_ACCESS_KEY"),
    };
    match try_source(explicit, &oas_env, &endpoint_env) {
        Ok(done) => return Ok(found(done, None, CredentialSource::OasEnvironment)),
        Err(why) => tried.push(format!(
            "{} (OAS_ENDPOINT or OAS_REGION, OAS_ACCESS_ID, OAS_ACCESS_KEY): {why}",
            CredentialSource::OasEnvironment
        )),
    }

    // 2. ALIBABA_CLOUD_ACCESS_KEY_*.
    let ali_env = PartialCredentials {
        endpoint: endpoint_env.as_ref().ok().cloned().flatten(),
        access_id: env.var("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        access_key: env.var("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    };
    match try_source(explicit, &ali_env, &endpoint_env) {
        Ok(done) => return Ok(found(done, None, CredentialSource::AlibabaCloudEnvironment)),
        Err(why) => tried.push(format!(
            "{} (with OAS_ENDPOINT or OAS_REGION): {why}",
            CredentialSource::AlibabaCloudEnvironment
        )),
    }

    // 3. The oascmd credentials file.
    match credentials_file_path(env) {
        None => {
            tried.push("credentials file: neither OAS_CREDENTIALS_FILE nor HOME is set".to_string())
        }
        Some(path) => match read_credentials_file(&path) {
            Ok(Some((file, oss_host))) => {
                let merged = explicit.or(&file);
                let missing = merged.missing();
                if missing.is_empty() {
                    return Ok(found(
                        merged,
                        oss_host,
                        CredentialSource::CredentialsFile(path),
                    ));
                }
                tried.push(format!(
                    "credentials file {}: no {}",
                    path.display(),
                    missing.join(", no ")
                ));
            }
            Ok(None) => tried.push(format!("credentials file {}: not found", path.display())),
            Err(e) => tried.push(e.to_string()),
        },
    }

    let missing = explicit.missing().join(", ");
    Err(Error::InvalidArgument(format!(
        "no OAS {missing} given in the options, and no source completed them: {}",
        tried.join("; ")
    )))
}

/// `OAS_ENDPOINT`, else the endpoint of `OAS_REGION`, else `None`; an invalid
/// region is an error of the sources that need an endpoint.
fn env_endpoint(env: &dyn Environment) -> Result<Option<String>, String> {
    if let Some(e) = env.var("OAS_ENDPOINT") {
        return Ok(Some(e));
    }
    match env.var("OAS_REGION") {
        Some(r) => region_endpoint(&r, false, false)
            .map(Some)
            .map_err(|_| format!("OAS_REGION {r:?} is not a region id")),
        None => Ok(None),
    }
}

fn try_source(
    explicit: &PartialCredentials,
    source: &PartialCredentials,
    endpoint_env: &Result<Option<String>, String>,
) -> Result<PartialCredentials, String> {
    let merged = explicit.or(source);
    let mut missing: Vec<String> = merged.missing().iter().map(|m| m.to_string()).collect();
    if let (Err(why), true) = (endpoint_env, is_unset(&explicit.endpoint)) {
        missing.retain(|m| m != "endpoint");
        missing.insert(0, why.clone());
    }
    if missing.is_empty() {
        Ok(merged)
    } else {
        Err(format!("no {}", missing.join(", no ")))
    }
}

fn complete(
    p: &PartialCredentials,
    oss_host: Option<String>,
    source: CredentialSource,
) -> Resolved {
    Resolved {
        endpoint: p.endpoint.clone().unwrap_or_default(),
        access_id: p.access_id.clone().unwrap_or_default(),
        access_key: p.access_key.clone().unwrap_or_default(),
        oss_host,
        source,
    }
}

fn found(p: PartialCredentials, oss_host: Option<String>, source: CredentialSource) -> Resolved {
    // The access id is not a secret, but it identifies the account: keep logs
    // to the source and the endpoint.
    oas_debug!(
        LOG_TARGET,
        "endpoint and credentials completed from {source} (endpoint {})",
        p.endpoint.as_deref().unwrap_or("")
    );
    complete(&p, oss_host, source)
}

/// `$OAS_CREDENTIALS_FILE`, else `$HOME/.oascredentials`.
pub fn credentials_file_path(env: &dyn Environment) -> Option<PathBuf> {
    env.var("OAS_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| env.home_dir().map(|h| h.join(CREDENTIALS_FILE_NAME)))
}

/// Reads an `oascmd` credentials file: `Ok(None)` when it does not exist; the
/// endpoint comes from `host` (with or without a scheme) and `port` (default 80;
/// 443 means HTTPS, as in the SDK's `OASAPI`). A file readable by group or
/// others is used, with a WARN (as ssh does for its keys).
pub fn read_credentials_file(path: &Path) -> Result<Option<(PartialCredentials, Option<String>)>> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                context: format!("reading credentials file {}", path.display()),
                source,
            })
        }
    };
    warn_if_shared(path);
    let text = String::from_utf8(text).map_err(|_| {
        Error::InvalidArgument(format!(
            "credentials file {} is not UTF-8 text",
            path.display()
        ))
    })?;
    let ini = ini::Ini::load_from_str(&text).map_err(|e| {
        Error::InvalidArgument(format!(
            "credentials file {} is not an INI file: {e}",
            path.display()
        ))
    })?;
    let Some(section) = ini.section(Some(CREDENTIALS_SECTION)) else {
        return Err(Error::InvalidArgument(format!(
            "credentials file {} has no [{CREDENTIALS_SECTION}] section",
            path.display()
        )));
    };
    // Keys as ConfigParser reads them: case-insensitive, values trimmed.
    let get = |key: &str| {
        section
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let endpoint =
        match get("host") {
            None => None,
            Some(host) => Some(endpoint_from_host(&host, get("port").as_deref()).map_err(
                |why| Error::InvalidArgument(format!("credentials file {}: {why}", path.display())),
            )?),
        };
    Ok(Some((
        PartialCredentials {
            endpoint,
            access_id: get("accessid"),
            access_key: get("accesskey"),
        },
        get("osshost"),
    )))
}

/// `host` (`cn-hangzhou.oas.aliyuncs.com`, or a URL) and `port` as an endpoint URL.
fn endpoint_from_host(host: &str, port: Option<&str>) -> Result<String, String> {
    if host.contains("://") {
        return Ok(match port {
            Some(p) => format!("{}:{p}", host.trim_end_matches('/')),
            None => host.trim_end_matches('/').to_string(),
        });
    }
    let port: u16 = match port {
        None => 80,
        Some(p) => p
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("port {p:?} is not a port number"))?,
    };
    Ok(match port {
        80 => format!("http://{host}"),
        443 => format!("https://{host}"),
        p => format!("http://{host}:{p}"),
    })
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o044 != 0 {
            oas_warn!(
                LOG_TARGET,
                "credentials file {} is readable by group or others (mode {mode:03o}); \
                 it holds a secret: chmod 600 it",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
            lines
                .iter()
                .any(|(l, m)| *l == crate::log::Level::Warn
                    && m.contains("readable by group or others")),
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
}
