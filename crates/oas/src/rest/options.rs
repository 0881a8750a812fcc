//! What a [`Client`](super::Client) is configured with: [`ClientOptions`],
//! the [`RetryPolicy`], and the checks of the endpoint and proxy URLs.

use super::PROTOCOL_VERSION;
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Default parallel workers per transfer: 16 connections fill a 200 Mbit/s
/// link at 40 ms RTT even when each connection is held to 3.3 MB/s by a
/// 128 KiB TCP window (README, "Performance": 8 gave 81-89 %, 16 gave 91-92 %).
pub const DEFAULT_WORKERS: usize = 16;

/// Workers (part buffers) of a stream upload when its `UploadOptions` do not
/// set them: memory is this times the part size (512 MiB at 64 MiB parts).
pub const STREAM_DEFAULT_WORKERS: usize = 8;

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per request, including the first (1 = no retries).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (1-based): exponential with jitter,
    /// uniformly drawn from the upper half of the capped exponential value.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        half + capped.mul_f64(rand::random::<f64>() * 0.5)
    }
}

/// Everything a [`Client`] is configured with. Its `Debug` form hides the
/// access key secret.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Service URL: `http://host[:port]` or `https://host[:port]`.
    pub endpoint: String,
    /// Access key id.
    pub access_id: String,
    /// Access key secret. Never logged.
    pub access_key: String,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Longest wait for the server to answer or for the next bytes of a response.
    pub read_timeout: Duration,
    /// Retry policy for every request.
    pub retry: RetryPolicy,
    /// Parallel workers per transfer (parts or ranges in flight), default
    /// [`DEFAULT_WORKERS`]. A stream upload (`Vault::upload_reader`) holds a
    /// part buffer per worker, so it uses at most [`STREAM_DEFAULT_WORKERS`]
    /// of these unless its own `UploadOptions::workers` says otherwise.
    pub workers: usize,
    /// Files up to this size are uploaded with one request; larger ones in parts.
    pub upload_threshold: u64,
    /// Part size for multipart uploads; 0 = the SDK's rule (64 MiB, grown to stay
    /// within 10 000 parts). Any other value must be a multiple of 1 MiB.
    pub part_size: u64,
    /// Range size for parallel downloads; 0 = the SDK's plan (32 MiB, grown to
    /// stay within 10 000 ranges).
    pub download_range_size: u64,
    /// Bandwidth limit per transfer in bytes per second; 0 = none.
    pub bandwidth_limit: u64,
    /// Proxy URL; `None` = no proxy (environment proxy variables are ignored).
    pub proxy: Option<String>,
    /// Extra PEM CA bundle to trust for HTTPS.
    pub ca_file: Option<PathBuf>,
    /// Verify the server's TLS certificate (on by default).
    pub verify_tls: bool,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Value of the `x-oas-version` header (default [`PROTOCOL_VERSION`],
    /// what the official SDKs send; the API manual's examples show `2014-01-01`).
    pub protocol_version: String,
    /// Default OSS host of pull/push jobs called with an empty host (set from the
    /// credentials file's `osshost` when that file completed the options).
    pub oss_host: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            endpoint: String::new(),
            access_id: String::new(),
            access_key: String::new(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(100),
            retry: RetryPolicy::default(),
            workers: DEFAULT_WORKERS,
            upload_threshold: 64 << 20,
            part_size: 0,
            download_range_size: 0,
            bandwidth_limit: 0,
            proxy: None,
            ca_file: None,
            verify_tls: true,
            user_agent: format!("liboas/{}", env!("CARGO_PKG_VERSION")),
            oss_host: None,
            protocol_version: PROTOCOL_VERSION.to_string(),
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field but the secret, so options can be logged safely.
        f.debug_struct("ClientOptions")
            .field("endpoint", &self.endpoint)
            .field("access_id", &self.access_id)
            .field("access_key", &"<hidden>")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("retry", &self.retry)
            .field("workers", &self.workers)
            .field("upload_threshold", &self.upload_threshold)
            .field("part_size", &self.part_size)
            .field("download_range_size", &self.download_range_size)
            .field("bandwidth_limit", &self.bandwidth_limit)
            .field("proxy", &self.proxy.as_deref().map(hide_userinfo))
            .field("ca_file", &self.ca_file)
            .field("verify_tls", &self.verify_tls)
            .field("user_agent", &self.user_agent)
            .field("oss_host", &self.oss_host)
            .field("protocol_version", &self.protocol_version)
            .finish()
    }
}

impl ClientOptions {
    /// Options for `endpoint` with the given credentials and defaults otherwise.
    pub fn new(endpoint: &str, access_id: &str, access_key: &str) -> Self {
        ClientOptions {
            endpoint: endpoint.to_string(),
            access_id: access_id.to_string(),
            access_key: access_key.to_string(),
            ..Default::default()
        }
    }
}

pub(crate) fn check_endpoint(endpoint: &str) -> Result<String> {
    let url = reqwest::Url::parse(endpoint.trim())
        .map_err(|e| Error::InvalidArgument(format!("endpoint {endpoint:?} is not a URL: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::InvalidArgument(format!(
            "endpoint {endpoint:?} must use http or https"
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| Error::InvalidArgument(format!("endpoint {endpoint:?} has no host")))?;
    if url.path() != "/" && !url.path().is_empty() {
        return Err(Error::InvalidArgument(format!(
            "endpoint {endpoint:?} must not have a path"
        )));
    }
    Ok(match url.port() {
        Some(p) => format!("{}://{}:{}", url.scheme(), host, p),
        None => format!("{}://{}", url.scheme(), host),
    })
}

/// A proxy URL reqwest would accept *and* can use: `Proxy::all` takes any
/// string (it defers parsing), so "" or "::x::" would only fail, as a
/// transport error, on the first request. A bare `host:port` means http, as
/// for reqwest.
pub(crate) fn check_proxy(proxy: &str) -> Result<reqwest::Proxy> {
    let bad = |why: String| Error::InvalidArgument(format!("proxy {proxy:?}: {why}"));
    let full = if proxy.contains("://") {
        proxy.to_string()
    } else {
        format!("http://{proxy}")
    };
    let url = reqwest::Url::parse(&full).map_err(|e| bad(e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad("must use http or https".into()));
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(bad("has no host".into()));
    }
    reqwest::Proxy::all(url).map_err(|e| bad(e.to_string()))
}

/// `url` with any `user:password@` part replaced, for logs and `Debug`.
fn hide_userinfo(url: &str) -> String {
    let Some(scheme) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    // Only the authority (up to the first '/') can hold credentials.
    let authority_end = url[scheme..].find('/').map_or(url.len(), |i| scheme + i);
    match url[scheme..authority_end].rfind('@') {
        Some(at) => format!("{}<hidden>@{}", &url[..scheme], &url[scheme + at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret_and_proxy_credentials() {
        let mut o = ClientOptions::new("http://h", "ID", "SECRETKEY");
        o.proxy = Some("http://user:pa55@proxy:3128".into());
        let text = format!("{o:?}");
        assert!(
            !text.contains("SECRETKEY") && !text.contains("pa55"),
            "{text}"
        );
        assert!(text.contains("http://<hidden>@proxy:3128"), "{text}");
        assert_eq!(hide_userinfo("http://proxy:8080"), "http://proxy:8080");
        assert_eq!(hide_userinfo("proxy@x"), "proxy@x");
        assert_eq!(hide_userinfo("http://p:1/a@b"), "http://p:1/a@b");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for _ in 0..50 {
            let d1 = p.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = p.delay(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            assert!(p.delay(30) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn endpoint_checks() {
        assert_eq!(
            check_endpoint("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            check_endpoint("https://h.example").unwrap(),
            "https://h.example"
        );
        assert!(check_endpoint("ftp://x").is_err());
        assert!(check_endpoint("nonsense").is_err());
        assert!(check_endpoint("http://h/x").is_err());
        assert!(check_proxy("http://proxy.example:3128").is_ok());
        assert!(check_proxy("proxy.example:3128").is_ok());
        assert!(check_proxy("").is_err());
        assert!(check_proxy("::not a url::").is_err());
        assert!(check_proxy("ftp://proxy.example").is_err());
    }
}
