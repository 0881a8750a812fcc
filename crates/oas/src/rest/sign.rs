//! Request signing (protocol spec §2).
//!
//! `Authorization: OAS <AccessKeyId>:<Base64(HMAC-SHA1(secret, StringToSign))>` where
//! `StringToSign = VERB \n DATE \n CanonicalizedOASHeaders CanonicalizedResource`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Builds the canonical resource: the path as sent, plus `?limit=..&marker=..`
/// (sorted by name, bare name for an empty value) when either is present.
/// Values are not percent-encoded here (§2.2).
pub fn canonical_resource(path: &str, limit: Option<&str>, marker: Option<&str>) -> String {
    let mut out = String::from(path);
    let mut sep = '?';
    for (name, value) in [("limit", limit), ("marker", marker)] {
        if let Some(v) = value {
            out.push(sep);
            out.push_str(name);
            if !v.is_empty() {
                out.push('=');
                out.push_str(v);
            }
            sep = '&';
        }
    }
    out
}

/// Builds StringToSign from the method, the raw `Date` value, the request's
/// headers (only `x-oas-*` ones are used; names are lower-cased and sorted, values
/// trimmed) and the canonical resource.
pub fn string_to_sign<'a, I>(method: &str, date: &str, headers: I, resource: &str) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut oas: Vec<(String, &str)> = headers
        .into_iter()
        .filter_map(|(k, v)| {
            let k = k.trim().to_ascii_lowercase();
            k.starts_with("x-oas-").then_some((k, v.trim()))
        })
        .collect();
    oas.sort_by(|a, b| a.0.cmp(&b.0));
    let mut s = String::with_capacity(64 + resource.len());
    s.push_str(&method.to_ascii_uppercase());
    s.push('\n');
    s.push_str(date);
    s.push('\n');
    for (k, v) in oas {
        s.push_str(&k);
        s.push(':');
        s.push_str(v);
        s.push('\n');
    }
    s.push_str(resource);
    s
}

/// Base64 HMAC-SHA1 of `string_to_sign` under `secret`.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The `Authorization` header value.
pub fn authorization(access_id: &str, secret: &str, string_to_sign: &str) -> String {
    format!("OAS {}:{}", access_id, signature(secret, string_to_sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/hash_vectors.json"
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let sig = &v["signatures"];
        let id = sig["access_key_id"].as_str().unwrap();
        let secret = sig["access_key_secret"].as_str().unwrap();
        let reqs = sig["requests"].as_array().unwrap();
        assert!(reqs.len() >= 5);
        for r in reqs {
            let q = &r["query"];
            let resource = canonical_resource(
                r["path"].as_str().unwrap(),
                q.get("limit").and_then(|x| x.as_str()),
                q.get("marker").and_then(|x| x.as_str()),
            );
            let headers: Vec<(&str, &str)> = r["x_oas_headers"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                .collect();
            let sts = string_to_sign(
                r["method"].as_str().unwrap(),
                r["date"].as_str().unwrap(),
                headers,
                &resource,
            );
            assert_eq!(sts, r["string_to_sign"].as_str().unwrap());
            assert_eq!(signature(secret, &sts), r["signature"].as_str().unwrap());
            assert_eq!(
                authorization(id, secret, &sts),
                r["authorization"].as_str().unwrap()
            );
        }
    }
}
