//! Test helpers: an independent OAS request signer and a tiny blocking client.
//! Deliberately separate from both the SDK and the emulator's own auth code.
#![allow(dead_code)]

use base64::Engine;
use hmac::{Hmac, Mac};
use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

pub use oas_emulator::{Config, Emulator, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY};

pub const MIB: usize = 1 << 20;

/// StringToSign per spec §2.2, from a raw request target (`/path?query`).
pub fn string_to_sign(
    method: &str,
    date: &str,
    headers: &[(String, String)],
    target: &str,
) -> String {
    let mut oas: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.trim().to_string()))
        .filter(|(k, _)| k.starts_with("x-oas-"))
        .collect();
    oas.sort();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut signed: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), percent_decode(v))
        })
        .filter(|(k, _)| k == "limit" || k == "marker")
        .collect();
    signed.sort();
    let mut s = format!("{}\n{}\n", method, date);
    for (k, v) in oas {
        s.push_str(&format!("{k}:{v}\n"));
    }
    s.push_str(path);
    if !signed.is_empty() {
        let q: Vec<String> = signed
            .into_iter()
            .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") })
            .collect();
        s.push('?');
        s.push_str(&q.join("&"));
    }
    s
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap();
            out.push(h);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

pub fn signature(secret: &str, sts: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// A received response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
    /// Asserts an OAS error reply with this status and code.
    pub fn expect_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let j = self.json();
        assert_eq!(j["code"], code, "body: {j}");
        assert!(j["message"].is_string());
        let ty = if status >= 500 { "server" } else { "client" };
        assert_eq!(j["type"], ty);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/json")
        );
        assert!(self.header("x-oas-request-id").is_some());
    }
}

/// A signing client.
pub struct Client {
    pub base: String,
    pub id: String,
    pub secret: String,
    pub http: reqwest::blocking::Client,
    /// Added to the Date header (clock-skew tests).
    pub skew: i64,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client::with_key(base, DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY)
    }

    pub fn with_key(base: &str, id: &str, secret: &str) -> Client {
        Client {
            base: base.to_string(),
            id: id.to_string(),
            secret: secret.to_string(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(120))
                .danger_accept_invalid_certs(true)
                .build()
                .unwrap(),
            skew: 0,
        }
    }

    pub fn date(&self) -> String {
        let now = SystemTime::now();
        let t = if self.skew >= 0 {
            now + Duration::from_secs(self.skew as u64)
        } else {
            now - Duration::from_secs((-self.skew) as u64)
        };
        http_date(t)
    }

    pub fn authorization(
        &self,
        method: &str,
        date: &str,
        headers: &[(String, String)],
        target: &str,
    ) -> String {
        let sts = string_to_sign(method, date, headers, target);
        format!("OAS {}:{}", self.id, signature(&self.secret, &sts))
    }

    /// Sends a signed request with a byte body.
    pub fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Resp {
        self.try_send(method, target, headers, body)
            .expect("request failed")
    }

    /// Like `send`, but transport errors (also while reading the body) are returned.
    pub fn try_send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Resp, String> {
        let mut hs: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        if !hs
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("x-oas-version"))
        {
            hs.push(("x-oas-version".into(), "0.2.5".into()));
        }
        let date = self.date();
        let auth = self.authorization(method, &date, &hs, target);
        let mut rb = self
            .http
            .request(method.parse().unwrap(), format!("{}{}", self.base, target))
            .header("Date", date)
            .header("Authorization", auth);
        for (k, v) in &hs {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if !body.is_empty() || method == "POST" || method == "PUT" {
            rb = rb.body(body);
        }
        let mut r = rb.send().map_err(|e| format!("{e:?}"))?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let mut body = Vec::new();
        r.read_to_end(&mut body)
            .map_err(|e| format!("body: {e:?}"))?;
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    pub fn get(&self, target: &str) -> Resp {
        self.send("GET", target, &[], Vec::new())
    }

    pub fn create_vault(&self, name: &str) -> String {
        let r = self.send("PUT", &format!("/vaults/{name}"), &[], Vec::new());
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.header("x-oas-vault-id").unwrap()
    }

    pub fn upload(&self, vault: &str, data: &[u8], desc: &str) -> Resp {
        let d = oas_digest::digest::compute(data);
        self.send(
            "POST",
            &format!("/vaults/{vault}/archives"),
            &[
                ("x-oas-content-etag", d.etag),
                ("x-oas-tree-etag", d.tree_etag),
                ("x-oas-archive-description", desc.to_string()),
            ],
            data.to_vec(),
        )
    }

    pub fn upload_ok(&self, vault: &str, data: &[u8], desc: &str) -> String {
        let r = self.upload(vault, data, desc);
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.header("x-oas-archive-id").unwrap()
    }

    pub fn job(&self, vault: &str, body: serde_json::Value) -> Resp {
        self.send(
            "POST",
            &format!("/vaults/{vault}/jobs"),
            &[],
            body.to_string().into_bytes(),
        )
    }

    pub fn job_ok(&self, vault: &str, body: serde_json::Value) -> String {
        let r = self.job(vault, body);
        assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
        r.header("x-oas-job-id").unwrap()
    }
}

pub fn to_resp(mut r: reqwest::blocking::Response) -> Resp {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let mut body = Vec::new();
    r.read_to_end(&mut body).expect("reading body");
    Resp {
        status,
        headers,
        body,
    }
}

/// The vectors' input pattern: byte i = i mod 251.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

pub fn start(cfg: Config) -> (Emulator, Client) {
    let emu = Emulator::start(cfg).expect("emulator starts");
    let c = Client::new(&emu.base_url());
    (emu, c)
}

/// Sends raw bytes on a fresh connection and returns the raw reply (until close).
pub fn raw(base: &str, request: &[u8]) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&out);
                if let Some(i) = text.find("\r\n\r\n") {
                    let cl = text[..i].lines().find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    });
                    if let Some(cl) = cl {
                        if out.len() >= i + 4 + cl {
                            break;
                        }
                    }
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
