//! Fault injection (only with `--faults`): rules matched per request by
//! operation and/or path glob, acting a number of times or with a seeded
//! probability.

use crate::kill::KillSwitch;
use axum::body::Body;
use axum::http::{header, HeaderValue, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;

/// What a matching rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FaultAction {
    /// Reply with this error instead of handling the request.
    Error {
        /// HTTP status.
        status: u16,
        /// OAS error code.
        code: String,
        /// Optional message text.
        #[serde(default)]
        message: Option<String>,
        /// Read the whole request body before answering, so the client surely
        /// receives the error (by default the answer comes before the body is
        /// read, as a server that refuses early does, and a client still
        /// sending may see its connection closed instead).
        #[serde(default)]
        drain: bool,
    },
    /// Read this many request-body bytes, then drop the connection abruptly.
    ResetRequest {
        /// Bytes read before the reset.
        after_bytes: u64,
    },
    /// Send the headers and this many body bytes, then drop the connection.
    ResetResponse {
        /// Body bytes sent before the reset.
        after_bytes: u64,
    },
    /// Handle the request normally, then reset the connection before any
    /// of the answer is sent: the server did the work, the client never
    /// learns it (a lost answer).
    DropResponse,
    /// Sleep before handling the request.
    Stall {
        /// Milliseconds to sleep.
        ms: u64,
    },
    /// Send only this many body bytes (less than `Content-Length`), then close.
    Truncate {
        /// Body bytes sent.
        after_bytes: u64,
    },
    /// XOR one response-body byte with 0xFF (headers unchanged).
    Flip {
        /// Offset of the byte in the response body.
        offset: u64,
    },
}

/// One fault rule, as given in JSON (`POST /_emulator/faults` or `--fault`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Operation name to match (e.g. `UploadPart`); any when absent.
    #[serde(default)]
    pub op: Option<String>,
    /// Path glob with `*` to match; any when absent.
    #[serde(default)]
    pub path: Option<String>,
    /// How many matches it acts on; unlimited when absent.
    #[serde(default)]
    pub times: Option<u64>,
    /// Chance to act on a match (default 1.0), drawn from the seeded RNG.
    #[serde(default)]
    pub probability: Option<f64>,
    /// The action and its parameters.
    #[serde(flatten)]
    pub action: FaultAction,
}

impl FaultRule {
    /// Parses one rule from JSON.
    pub fn from_json(s: &str) -> Result<FaultRule, String> {
        serde_json::from_str(s).map_err(|e| format!("bad fault rule {s:?}: {e}"))
    }
}

/// Body of `POST /_emulator/faults`.
#[derive(Debug, Deserialize)]
pub struct FaultRequest {
    /// RNG seed for probabilities (reseeds the generator when given).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Rules to append.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// The installed rules and the RNG.
pub struct Faults {
    rules: Vec<FaultRule>,
    rng: StdRng,
    fired: u64,
}

/// The outcome of matching one request.
#[derive(Debug, Default)]
pub struct Decision {
    /// Total stall before handling.
    pub stall: Duration,
    /// The first terminal action that fired.
    pub action: Option<FaultAction>,
}

/// `*` matches any run of characters (including `/`).
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

impl Faults {
    /// Rules given at start, with seed 0.
    pub fn new(initial: Vec<FaultRule>) -> Faults {
        Faults {
            rules: initial,
            rng: StdRng::seed_from_u64(0),
            fired: 0,
        }
    }

    /// Appends rules (reseeding the RNG when a seed is given).
    pub fn add(&mut self, req: FaultRequest) {
        if let Some(seed) = req.seed {
            self.rng = StdRng::seed_from_u64(seed);
        }
        self.rules.extend(req.rules);
    }

    /// Removes all rules and resets the count of fired faults.
    pub fn clear(&mut self) {
        self.rules.clear();
        self.fired = 0;
    }

    /// The rules still installed (with their remaining `times`) and how many
    /// times a rule acted since start or the last [`clear`](Faults::clear):
    /// the body of `GET /_emulator/faults`.
    pub fn report(&self) -> serde_json::Value {
        serde_json::json!({"rules": self.rules, "fired": self.fired})
    }

    /// Matches a request: stalls accumulate, the first other action wins.
    /// Rules with `times` are consumed on each firing.
    pub fn decide(&mut self, op: Option<&str>, path: &str) -> Decision {
        let mut d = Decision::default();
        for rule in self.rules.iter_mut() {
            if d.action.is_some() && !matches!(rule.action, FaultAction::Stall { .. }) {
                continue;
            }
            if rule.op.as_deref().is_some_and(|o| Some(o) != op)
                || rule.path.as_deref().is_some_and(|g| !glob(g, path))
                || rule.times == Some(0)
            {
                continue;
            }
            let p = rule.probability.unwrap_or(1.0);
            if p < 1.0 && self.rng.gen::<f64>() >= p {
                continue;
            }
            if let Some(t) = rule.times.as_mut() {
                *t -= 1;
            }
            self.fired += 1;
            match &rule.action {
                FaultAction::Stall { ms } => d.stall += Duration::from_millis(*ms),
                a => d.action = Some(a.clone()),
            }
        }
        self.rules.retain(|r| r.times != Some(0));
        d
    }
}

/// Time given to the server to flush what was sent before a connection is cut.
const FLUSH_GRACE: Duration = Duration::from_millis(150);

/// Applies a response-side action (`reset_response`, `truncate`, `flip`) to a
/// response; other actions leave it unchanged.
pub fn wrap_response(
    resp: Response<Body>,
    action: &FaultAction,
    kill: KillSwitch,
) -> Response<Body> {
    let (limit, flip, reset) = match action {
        FaultAction::ResetResponse { after_bytes } => (Some(*after_bytes), None, true),
        FaultAction::Truncate { after_bytes } => (Some(*after_bytes), None, false),
        FaultAction::Flip { offset } => (None, Some(*offset), false),
        _ => return resp,
    };
    let (mut parts, body) = resp.into_parts();
    if !parts.headers.contains_key(header::CONTENT_LENGTH) {
        if let Some(n) = http_body::Body::size_hint(&body).exact() {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        let mut pos = 0u64;
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else { break };
            let mut data = chunk.to_vec();
            if let Some(off) = flip {
                if off >= pos && off < pos + data.len() as u64 {
                    data[(off - pos) as usize] ^= 0xFF;
                }
            }
            if let Some(lim) = limit {
                if pos + data.len() as u64 >= lim {
                    data.truncate((lim - pos) as usize);
                    if !data.is_empty() && tx.send(Ok(Bytes::from(data))).await.is_err() {
                        return;
                    }
                    break;
                }
            }
            pos += data.len() as u64;
            if tx.send(Ok(Bytes::from(data))).await.is_err() {
                return;
            }
        }
        if limit.is_some() {
            tokio::time::sleep(FLUSH_GRACE).await;
            if reset {
                kill.kill();
            }
            let _ = tx
                .send(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "fault injection: response cut",
                )))
                .await;
        }
    });
    Response::from_parts(parts, Body::from_stream(crate::db::stream::ChannelBody(rx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("/vaults/*/jobs/*/output", "/vaults/A/jobs/B/output"));
        assert!(glob("*", "/x"));
        assert!(!glob("/vaults/*/jobs", "/vaults/A/archives"));
        assert!(glob("/vaults", "/vaults"));
        assert!(!glob("/vaults", "/vaults/x"));
    }

    #[test]
    fn times_and_probability() {
        let r = FaultRule::from_json(
            r#"{"op":"UploadPart","times":2,"action":"error","status":500,"code":"InternalError"}"#,
        )
        .unwrap();
        let mut f = Faults::new(vec![r]);
        assert_eq!(
            FaultRule::from_json(r#"{"action":"drop_response"}"#)
                .unwrap()
                .action,
            FaultAction::DropResponse
        );
        assert!(f.decide(Some("ListVaults"), "/vaults").action.is_none());
        assert!(f.decide(Some("UploadPart"), "/v").action.is_some());
        assert!(f.decide(Some("UploadPart"), "/v").action.is_some());
        assert!(f.decide(Some("UploadPart"), "/v").action.is_none());
        assert_eq!(f.report()["fired"], 2);
        assert_eq!(f.report()["rules"].as_array().unwrap().len(), 0, "used up");
        f.clear();
        assert_eq!(f.report()["fired"], 0);
        let half = FaultRule::from_json(r#"{"probability":0.5,"action":"stall","ms":1}"#).unwrap();
        let count = |seed| {
            let mut f = Faults::new(Vec::new());
            f.add(FaultRequest {
                seed: Some(seed),
                rules: vec![half.clone()],
            });
            (0..200)
                .filter(|_| !f.decide(None, "/").stall.is_zero())
                .count()
        };
        assert_eq!(count(42), count(42));
        assert!((60..140).contains(&count(42)));
    }
}
