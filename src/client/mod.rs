//! The client handle: configuration, one shared HTTP connection pool, request
//! signing and the retry loop every operation goes through.
//!
//! The low-level operations (one per REST call of spec §4) are methods on
//! [`Client`], defined in [`crate::api`].

mod nosigpipe;
mod payload;
pub mod sign;
mod stream;

use payload::PayloadReader;
pub use payload::{Payload, Source};

use crate::error::{Error, Result, ServerError};
use crate::oas_warn;
use reqwest::blocking::Response;
use reqwest::Method;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Default value of `x-oas-version` (what the reference SDK sends; the service
/// does not validate it); [`ClientOptions::protocol_version`] changes it.
pub const PROTOCOL_VERSION: &str = "0.2.5";

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Parallel workers per transfer (parts or ranges in flight).
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
            workers: 8,
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

/// Called with the number of body bytes just read for sending; an error stops
/// the request (used for progress, cancellation and bandwidth limiting).
pub type ReadHook = Arc<dyn Fn(u64) -> std::io::Result<()> + Send + Sync>;

/// A cancellation flag shared between a transfer and whoever may stop it.
/// A token made with [`CancelToken::linked`] also counts as cancelled once any
/// of the tokens it was linked to is, so a transfer can be stopped internally
/// (a failed part) without touching the caller's token.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<TokenInner>);

#[derive(Debug, Default)]
struct TokenInner {
    flag: AtomicBool,
    parents: Vec<CancelToken>,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }
    /// A new token that is cancelled when it is cancelled itself or when any of
    /// `parents` is. Cancelling it does not cancel the parents.
    pub fn linked<'a>(parents: impl IntoIterator<Item = &'a CancelToken>) -> Self {
        CancelToken(Arc::new(TokenInner {
            flag: AtomicBool::new(false),
            parents: parents.into_iter().cloned().collect(),
        }))
    }
    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
    }
    /// True once cancelled (itself or through a parent).
    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst) || self.0.parents.iter().any(|p| p.is_cancelled())
    }
    /// Sleeps up to `d`, returning early (with `false`) when cancelled.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = std::time::Instant::now() + d;
        loop {
            if self.is_cancelled() {
                return false;
            }
            let now = std::time::Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }
}

/// One request as the operations describe it; [`Client::execute`] signs, sends
/// and retries it.
pub struct Request {
    /// Operation name for logs and errors, e.g. `UploadPart`.
    pub op: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path as sent (already percent-encoded where needed).
    pub path: String,
    /// `limit` query parameter.
    pub limit: Option<String>,
    /// `marker` query parameter.
    pub marker: Option<String>,
    /// Extra headers (signed when they are `x-oas-*`).
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub payload: Payload,
    /// Context for messages, e.g. `vault 79D2…, range 0-1048575`.
    pub context: String,
    /// Retry `InvalidDigest` answers too (the part is re-read and re-sent).
    pub retry_invalid_digest: bool,
    /// Stops retries and the request when set.
    pub cancel: Option<CancelToken>,
}

impl Request {
    /// A request with no query, headers or body.
    pub fn new(op: &'static str, method: Method, path: String) -> Self {
        Request {
            op,
            method,
            path,
            limit: None,
            marker: None,
            headers: Vec::new(),
            payload: Payload::empty(),
            context: String::new(),
            retry_invalid_digest: false,
            cancel: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

struct Inner {
    http: reqwest::blocking::Client,
    streamer: stream::Streamer,
    base: String,
    options: ClientOptions,
    /// Server clock minus ours, in milliseconds, learned from a
    /// `RequestTimeTooSkewed` answer; added to the `Date` of every request.
    clock_offset_ms: AtomicI64,
}

/// A thread-safe client: credentials, options and one shared connection pool.
/// Cloning is cheap and shares everything.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("Client")
            .field("endpoint", &self.inner.base)
            .field("access_id", &self.inner.options.access_id)
            .finish()
    }
}

fn check_endpoint(endpoint: &str) -> Result<String> {
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
fn check_proxy(proxy: &str) -> Result<reqwest::Proxy> {
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

impl Client {
    /// A client for the given options. An empty endpoint, access id or access
    /// key is completed from the environment or the `oascmd` credentials file
    /// ([`crate::credentials`]); fields set in the options always win. Fails on
    /// an invalid endpoint, proxy or CA file, or when no source completes the
    /// credentials (the error names every source tried).
    pub fn new(options: ClientOptions) -> Result<Client> {
        Client::with_environment(options, &crate::credentials::ProcessEnvironment)
    }

    /// [`Client::new`], completing unset credentials from `env` instead of the
    /// process environment.
    pub fn with_environment(
        mut options: ClientOptions,
        env: &dyn crate::credentials::Environment,
    ) -> Result<Client> {
        if options.endpoint.is_empty()
            || options.access_id.is_empty()
            || options.access_key.is_empty()
        {
            let set = |s: &String| Some(s.clone()).filter(|s| !s.is_empty());
            let given = crate::credentials::PartialCredentials {
                endpoint: set(&options.endpoint),
                access_id: set(&options.access_id),
                access_key: set(&options.access_key),
            };
            let found = crate::credentials::resolve(&given, env)?;
            options.endpoint = found.endpoint;
            options.access_id = found.access_id;
            options.access_key = found.access_key;
            if options.oss_host.is_none() {
                options.oss_host = found.oss_host;
            }
        }
        let base = check_endpoint(&options.endpoint)?;
        if options.access_id.is_empty() || options.access_key.is_empty() {
            return Err(Error::InvalidArgument(
                "access id and access key must not be empty".into(),
            ));
        }
        for (name, value) in [
            ("protocol version", &options.protocol_version),
            ("user agent", &options.user_agent),
        ] {
            if value.is_empty() || http::HeaderValue::from_str(value).is_err() {
                return Err(Error::InvalidArgument(format!(
                    "{name} {value:?} is not a usable header value (empty or control characters)"
                )));
            }
        }
        if options.workers == 0 || options.workers > 256 {
            return Err(Error::InvalidArgument(format!(
                "workers must be between 1 and 256 (got {})",
                options.workers
            )));
        }
        if options.retry.max_attempts == 0 {
            return Err(Error::InvalidArgument(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        // Both clients (blocking for plain requests, async for streamed
        // bodies, see `stream.rs`) get the same settings.
        let mut roots = Vec::new();
        if let Some(path) = &options.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| Error::io(format!("reading CA file {}", path.display()), e))?;
            roots = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| Error::InvalidArgument(format!("CA file {}: {e}", path.display())))?;
            if roots.is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "CA file {} holds no certificate",
                    path.display()
                )));
            }
        }
        let proxy = options.proxy.as_deref().map(check_proxy).transpose()?;
        macro_rules! configure {
            ($builder:expr) => {{
                let mut b = $builder
                    .connect_timeout(options.connect_timeout)
                    .timeout(options.read_timeout)
                    .user_agent(options.user_agent.clone())
                    .pool_max_idle_per_host(64)
                    .tcp_keepalive(Duration::from_secs(30))
                    .danger_accept_invalid_certs(!options.verify_tls);
                b = match &proxy {
                    Some(p) => b.proxy(p.clone()),
                    None => b.no_proxy(),
                };
                for c in &roots {
                    b = b.add_root_certificate(c.clone());
                }
                b.build()
                    .map_err(|e| Error::InvalidArgument(format!("HTTP client: {e}")))?
            }};
        }
        // Both clients start their I/O threads here: with SIGPIPE blocked,
        // so that those threads inherit the mask (see `nosigpipe.rs`).
        let (http, streamer) = nosigpipe::with_blocked(|| -> Result<_> {
            let http = configure!(reqwest::blocking::Client::builder());
            let streamer = stream::Streamer::new(configure!(reqwest::Client::builder()))
                .map_err(|e| Error::io("starting the HTTP runtime", e))?;
            Ok((http, streamer))
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                streamer,
                base,
                options,
                clock_offset_ms: AtomicI64::new(0),
            }),
        })
    }

    /// The options this client was made with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The endpoint as `scheme://host[:port]`.
    pub fn endpoint(&self) -> &str {
        &self.inner.base
    }

    /// Signs, sends and (per the retry policy) retries a request. Returns the
    /// response of the first 2xx answer; its body is not read.
    pub fn execute(&self, req: &Request) -> Result<Response> {
        // No SIGPIPE for the host from this thread's sockets (`nosigpipe.rs`).
        let _no_sigpipe = nosigpipe::Guard::new();
        let policy = &self.inner.options.retry;
        let mut attempt = 1;
        let mut skew_corrected = false;
        loop {
            if let Some(c) = &req.cancel {
                if c.is_cancelled() {
                    return Err(Error::Cancelled(format!("{} {}", req.op, req.context)));
                }
            }
            let started = std::time::Instant::now();
            let outcome = self.send_once(req);
            log_exchange(req, attempt, &outcome, started.elapsed());
            let cancelled = req.cancel.as_ref().is_some_and(|c| c.is_cancelled());
            let failure = match outcome {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => server_error(req.op, resp),
                Err(e) => e,
            };
            if cancelled {
                return Err(Error::Cancelled(format!("{} {}", req.op, req.context)));
            }
            // A skewed clock is corrected once per request, at once and
            // outside the retry budget: the next attempt carries the server's time.
            if !skew_corrected && self.learn_clock_offset(req, &failure) {
                skew_corrected = true;
                continue;
            }
            if attempt >= policy.max_attempts || !retryable(&failure, req.retry_invalid_digest) {
                return Err(failure);
            }
            let delay = policy.delay(attempt);
            oas_warn!(
                "oas::client",
                "{} {}: attempt {}/{} failed ({}); retrying in {} ms",
                req.op,
                req.context,
                attempt,
                policy.max_attempts,
                failure,
                delay.as_millis()
            );
            let slept = match &req.cancel {
                Some(c) => c.sleep(delay),
                None => {
                    std::thread::sleep(delay);
                    true
                }
            };
            if !slept {
                return Err(Error::Cancelled(format!("{} {}", req.op, req.context)));
            }
            attempt += 1;
        }
    }

    /// The offset between the server's clock and ours that the client applies
    /// to its requests' `Date` (zero until a `RequestTimeTooSkewed` answer).
    pub fn clock_offset(&self) -> (bool, Duration) {
        let ms = self.inner.clock_offset_ms.load(Ordering::Relaxed);
        (ms >= 0, Duration::from_millis(ms.unsigned_abs()))
    }

    /// On `RequestTimeTooSkewed`, takes the server's time from the answer's
    /// `Date` header and keeps the offset for every later request of this
    /// client. Returns true when an offset was taken (worth one retry).
    fn learn_clock_offset(&self, req: &Request, failure: &Error) -> bool {
        let Some(server) = failure.server() else {
            return false;
        };
        if server.code != "RequestTimeTooSkewed" {
            return false;
        }
        let Some(server_time) = server
            .headers
            .get("date")
            .and_then(|d| httpdate::parse_http_date(d).ok())
        else {
            return false;
        };
        let now = std::time::SystemTime::now();
        let offset_ms = match server_time.duration_since(now) {
            Ok(ahead) => ahead.as_millis() as i64,
            Err(behind) => -(behind.duration().as_millis() as i64),
        };
        self.inner
            .clock_offset_ms
            .store(offset_ms, Ordering::Relaxed);
        oas_warn!(
            "oas::client",
            "{} {}: the server's clock differs from ours by {:+.1} s (RequestTimeTooSkewed); \
             signing this and later requests with the server's time",
            req.op,
            req.context,
            offset_ms as f64 / 1000.0
        );
        // Worth one retry even when another request learned the same offset
        // first: this one was signed before that.
        true
    }

    fn send_once(&self, req: &Request) -> Result<Response> {
        let opts = &self.inner.options;
        let offset_ms = self.inner.clock_offset_ms.load(Ordering::Relaxed);
        let now = std::time::SystemTime::now();
        let now = if offset_ms >= 0 {
            now + Duration::from_millis(offset_ms as u64)
        } else {
            now - Duration::from_millis(offset_ms.unsigned_abs())
        };
        let date = httpdate::fmt_http_date(now);
        let mut headers: Vec<(String, String)> = req.headers.clone();
        headers.push(("x-oas-version".into(), opts.protocol_version.clone()));
        let resource =
            sign::canonical_resource(&req.path, req.limit.as_deref(), req.marker.as_deref());
        let sts = sign::string_to_sign(
            req.method.as_str(),
            &date,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &resource,
        );
        let auth = sign::authorization(&opts.access_id, &opts.access_key, &sts);
        let mut url = format!("{}{}", self.inner.base, req.path);
        let mut sep = '?';
        for (name, value) in [("marker", &req.marker), ("limit", &req.limit)] {
            if let Some(v) = value {
                url.push(sep);
                url.push_str(name);
                url.push('=');
                url.push_str(&encode_component(v));
                sep = '&';
            }
        }
        let len = req.payload.len();
        if crate::log::enabled(crate::log::Level::Trace) {
            // Wire detail; the Authorization header (the signature) is never
            // logged, the other headers hold no secret.
            let mut lines = format!("{} {} {url}\n> Date: {date}", req.op, req.method);
            for (k, v) in &headers {
                lines.push_str(&format!("\n> {k}: {v}"));
            }
            lines.push_str(&format!("\n> Content-Length: {len}"));
            crate::oas_log!(crate::log::Level::Trace, "oas::http", "{lines}");
        }
        // The client-wide timeout bounds the wait for an answer; a body adds
        // the time it may take to send at a slow but live rate.
        let timeout = (len > 0).then(|| {
            let floor_rate = match opts.bandwidth_limit {
                0 => 256u64 << 10,
                l => (l / 2).clamp(1, 256 << 10),
            };
            opts.read_timeout + Duration::from_secs(len / floor_rate + 1)
        });
        macro_rules! prepare {
            ($client:expr) => {{
                let mut rb = $client
                    .request(req.method.clone(), &url)
                    .header("Date", &date)
                    .header("Authorization", &auth);
                for (k, v) in &headers {
                    rb = rb.header(k.as_str(), v.as_str());
                }
                if let Some(t) = timeout {
                    rb = rb.timeout(t);
                }
                rb
            }};
        }
        if req.payload.is_streamed() {
            let rb = prepare!(self.inner.streamer.http());
            return self.inner.streamer.send(rb, &req.payload).map_err(|f| {
                let msg = format!("{} {}: {}", req.op, req.context, f.message);
                if f.timeout {
                    Error::TransportTimeout(msg)
                } else {
                    Error::Transport(msg)
                }
            });
        }
        let mut rb = prepare!(self.inner.http);
        match req.payload.body() {
            Some(body) => rb = rb.body(body),
            None if req.method == Method::PUT || req.method == Method::POST => {
                rb = rb.header("Content-Length", "0")
            }
            None => {}
        }
        rb.send().map_err(|e| transport_error(req, e))
    }
}

/// One DEBUG line per request sent (operation, method, path, status,
/// request id, attempt, bytes each way, duration) and, at TRACE, the response
/// headers. Query values (markers) and headers carry no secret; the
/// Authorization header is never logged.
fn log_exchange(req: &Request, attempt: u32, outcome: &Result<Response>, took: Duration) {
    use crate::log::{enabled, Level};
    if !enabled(Level::Debug) {
        return;
    }
    let ms = took.as_secs_f64() * 1000.0;
    let sent = req.payload.len();
    match outcome {
        Ok(resp) => {
            let id = resp
                .headers()
                .get("x-oas-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            let received = resp
                .content_length()
                .map_or_else(|| "?".to_string(), |n| n.to_string());
            crate::oas_debug!(
                "oas::http",
                "{} {} {} -> {} request_id={id} attempt={attempt} sent={sent} received={received} {ms:.1} ms",
                req.op,
                req.method,
                req.path,
                resp.status().as_u16()
            );
            if enabled(Level::Trace) {
                let mut lines = format!("{} response {}", req.op, resp.status());
                for (k, v) in resp.headers() {
                    lines.push_str(&format!(
                        "\n< {k}: {}",
                        String::from_utf8_lossy(v.as_bytes())
                    ));
                }
                crate::oas_log!(Level::Trace, "oas::http", "{lines}");
            }
        }
        Err(e) => crate::oas_debug!(
            "oas::http",
            "{} {} {} -> no answer attempt={attempt} sent<={sent} {ms:.1} ms: {e}",
            req.op,
            req.method,
            req.path
        ),
    }
}

fn transport_error(req: &Request, e: reqwest::Error) -> Error {
    use std::error::Error as _;
    let mut msg = format!("{} {}: {}", req.op, req.context, e);
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    if stream::is_timeout(&e) {
        Error::TransportTimeout(msg)
    } else {
        Error::Transport(msg)
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode_component(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Turns a non-2xx response into a [`ServerError`], keeping status, request id,
/// lower-cased headers and, when the body is JSON, code, type and message.
pub fn server_error(op: &str, resp: Response) -> Error {
    let status = resp.status().as_u16();
    let headers = header_map(resp.headers());
    let request_id = headers.get("x-oas-request-id").cloned().unwrap_or_default();
    // Error bodies are small; never read more than 64 KiB of one.
    let mut raw = Vec::new();
    let _ = resp.take(64 << 10).read_to_end(&mut raw);
    let mut err = ServerError {
        status,
        request_id,
        headers,
        operation: op.to_string(),
        ..Default::default()
    };
    read_error_body(&mut err, &raw);
    Error::Server(Box::new(err))
}

/// Fills code, type and message of `err` from an error body: the JSON
/// `{"code","type","message"}` of the protocol, else the body as the message.
pub fn read_error_body(err: &mut ServerError, raw: &[u8]) {
    let text = String::from_utf8_lossy(raw).into_owned();
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v.get("code").is_some() => {
            let field = |k: &str| {
                v.get(k)
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .unwrap_or_default()
            };
            err.code = field("code");
            err.error_type = field("type");
            err.message = field("message");
        }
        _ => err.message = text,
    }
}

/// Response headers with lower-cased names (repeated headers joined by `, `).
pub fn header_map(h: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in h {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        out.entry(k.as_str().to_ascii_lowercase())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(&v)
            })
            .or_insert(v);
    }
    out
}

/// Whether a failure may succeed when tried again.
pub fn retryable(e: &Error, retry_invalid_digest: bool) -> bool {
    match e {
        Error::Transport(_) | Error::TransportTimeout(_) => true,
        Error::Server(s) => {
            s.status >= 500
                || s.status == 408
                || s.status == 429
                || matches!(
                    s.code.as_str(),
                    "Throttling" | "ThrottlingException" | "SlowDown" | "RequestTimeout"
                )
                || (retry_invalid_digest && s.code == "InvalidDigest")
        }
        _ => false,
    }
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

    #[test]
    fn retry_classes() {
        let se = |status: u16, code: &str| {
            Error::Server(Box::new(ServerError {
                status,
                code: code.into(),
                ..Default::default()
            }))
        };
        assert!(retryable(&se(503, "ServiceUnavailable"), false));
        assert!(retryable(&se(408, "RequestTimeout"), false));
        assert!(!retryable(&se(404, "VaultNotExists"), false));
        assert!(!retryable(&se(400, "InvalidDigest"), false));
        assert!(retryable(&se(400, "InvalidDigest"), true));
        assert!(retryable(&Error::Transport("reset".into()), false));
        assert!(!retryable(&Error::InvalidArgument("x".into()), true));
    }

    #[test]
    fn linked_tokens() {
        let user = CancelToken::new();
        let other = CancelToken::new();
        let run = CancelToken::linked([&user, &other]);
        assert!(!run.is_cancelled());
        run.cancel();
        assert!(run.is_cancelled());
        assert!(!user.is_cancelled(), "a child must not cancel its parents");
        let run2 = CancelToken::linked([&user, &other]);
        other.cancel();
        assert!(run2.is_cancelled());
    }

    #[test]
    fn encoding() {
        assert_eq!(encode_component("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_component("AZaz09-_.~"), "AZaz09-_.~");
    }
}
