//! The `oascmd` credentials file: where it is, how it is read, and the
//! warning for a file others can read.

use super::{
    Environment, PartialCredentials, CREDENTIALS_FILE_NAME, CREDENTIALS_SECTION, LOG_TARGET,
};
use crate::error::{Error, Result};
use crate::oas_warn;
use std::path::{Path, PathBuf};

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
pub(super) fn endpoint_from_host(host: &str, port: Option<&str>) -> Result<String, String> {
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
