//! The REST layer: the client handle (one shared HTTP connection pool), the
//! request every operation describes, signing, and sending through the one
//! retry loop ([`retry`]).
//!
//! The low-level operations (one per REST call of spec §4) are methods on
//! [`Client`], defined in [`ops`]; the JSON they exchange is [`model`].

mod clock;
pub mod model;
mod nosigpipe;
pub(crate) mod ops;
mod options;
mod payload;
pub(crate) mod response;
pub(crate) mod retry;
pub(crate) mod sign;
mod stream;

pub use options::{ClientOptions, RetryPolicy, DEFAULT_WORKERS, STREAM_DEFAULT_WORKERS};
use payload::PayloadReader;
pub use payload::{Payload, Source};
pub(crate) use response::{header_map, server_error};
pub(crate) use retry::retryable;

use crate::engine::pool::MAX_WORKERS;
use crate::engine::CancelToken;
use crate::error::{Error, Result};
use options::{check_endpoint, check_proxy};
use reqwest::blocking::Response;
use reqwest::Method;
use retry::Attempt;
use std::sync::Arc;
use std::time::Duration;

/// Default value of `x-oas-version` (what the reference SDK sends; the service
/// does not validate it); [`ClientOptions::protocol_version`] changes it.
pub const PROTOCOL_VERSION: &str = "0.2.5";

/// True when the calling thread's thread-locals are torn down far enough that
/// the HTTP stack (tokio's per-thread context) cannot run on it: in C
/// destructors and `atexit` handlers after `main` returned, or a late
/// `thread_local` destructor. The C boundary then runs the call on a helper
/// thread.
pub fn thread_context_destroyed() -> bool {
    matches!(tokio::runtime::Handle::try_current(), Err(e) if e.is_thread_local_destroyed())
}

/// One request as the operations describe it; [`Client::execute`] signs, sends
/// and retries it.
pub(crate) struct Request {
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
    /// The server's clock as learned from a `RequestTimeTooSkewed` answer;
    /// gives the `Date` of every request.
    clock: clock::ClockOffset,
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
        if options.workers == 0 || options.workers > MAX_WORKERS {
            return Err(Error::InvalidArgument(format!(
                "workers must be between 1 and {MAX_WORKERS} (got {})",
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
                clock: clock::ClockOffset::default(),
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
    pub(crate) fn execute(&self, req: &Request) -> Result<Response> {
        // No SIGPIPE for the host from this thread's sockets (`nosigpipe.rs`).
        let _no_sigpipe = nosigpipe::Guard::new();
        let what = format!("{} {}", req.op, req.context);
        let cancelled = || Error::Cancelled(what.clone());
        let is_cancelled = || req.cancel.as_ref().is_some_and(|c| c.is_cancelled());
        let mut skew_corrected = false;
        retry::run(
            &self.inner.options.retry,
            req.cancel.as_ref(),
            "oas::client",
            &what,
            cancelled,
            |attempt| {
                if is_cancelled() {
                    return Attempt::Fail(cancelled());
                }
                let started = std::time::Instant::now();
                let outcome = self.send_once(req);
                log_exchange(req, attempt, &outcome, started.elapsed());
                let failure = match outcome {
                    Ok(resp) if resp.status().is_success() => return Attempt::Done(resp),
                    Ok(resp) => server_error(req.op, resp),
                    Err(e) => e,
                };
                if is_cancelled() {
                    Attempt::Fail(cancelled())
                } else if !skew_corrected && self.inner.clock.learn(&what, &failure) {
                    // A skewed clock is corrected once per request, at once and
                    // outside the retry budget: the next attempt carries the
                    // server's time.
                    skew_corrected = true;
                    Attempt::Again
                } else if retryable(&failure, req.retry_invalid_digest) {
                    Attempt::Retry(failure)
                } else {
                    Attempt::Fail(failure)
                }
            },
        )
    }

    /// The offset between the server's clock and ours that the client applies
    /// to its requests' `Date` (zero until a `RequestTimeTooSkewed` answer):
    /// `(server ahead, amount)`.
    pub fn clock_offset(&self) -> (bool, Duration) {
        self.inner.clock.get()
    }

    fn send_once(&self, req: &Request) -> Result<Response> {
        let opts = &self.inner.options;
        let now = self.inner.clock.now();
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

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn encode_component(v: &str) -> String {
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

fn transport_error(req: &Request, e: reqwest::Error) -> Error {
    let msg = format!("{} {}: {}", req.op, req.context, response::error_chain(&e));
    if stream::is_timeout(&e) {
        Error::TransportTimeout(msg)
    } else {
        Error::Transport(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServerError;

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
    fn encoding() {
        assert_eq!(encode_component("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_component("AZaz09-_.~"), "AZaz09-_.~");
    }
}
