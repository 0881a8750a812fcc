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
use crate::oas_debug;
use std::path::PathBuf;

mod file;
pub use file::{credentials_file_path, read_credentials_file};
#[cfg(test)]
mod tests;

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
