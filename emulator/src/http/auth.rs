//! Request authentication (spec §2): `Authorization: OAS <id>:<base64 hmac-sha1>`.

use crate::error::{ApiError, ApiResult};
use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use hmac::{Hmac, Mac};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Largest accepted difference between the `Date` header and the server clock.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Decodes `%XX` escapes (and nothing else: `+` stays `+`, as the SDK quotes values).
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses a raw query string into `(name, value)` pairs; a bare `name` gives `""`.
pub fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// The canonicalised resource (§2.2): the path as sent, then `?` and the signed
/// sub-resources `limit` / `marker` sorted by name, `name=value` or bare `name`.
pub fn canonical_resource(path: &str, query: &[(String, String)]) -> String {
    let mut signed: Vec<&(String, String)> = query
        .iter()
        .filter(|(k, _)| k == "limit" || k == "marker")
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    if signed.is_empty() {
        return path.to_string();
    }
    let parts: Vec<String> = signed
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// Builds StringToSign from its pieces. `oas_headers` are `(name, value)` pairs in
/// any order and case; values are raw bytes (descriptions may be UTF-8).
pub fn string_to_sign(
    method: &str,
    date: &[u8],
    oas_headers: &[(String, Vec<u8>)],
    resource: &str,
) -> Vec<u8> {
    let mut hs: Vec<(String, &[u8])> = oas_headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_slice()))
        .filter(|(k, _)| k.starts_with("x-oas-"))
        .collect();
    hs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(method.to_ascii_uppercase().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(date);
    out.push(b'\n');
    for (k, v) in hs {
        out.extend_from_slice(k.as_bytes());
        out.push(b':');
        out.extend_from_slice(v.trim_ascii());
        out.push(b'\n');
    }
    out.extend_from_slice(resource.as_bytes());
    out
}

/// Base64(HMAC-SHA1(secret, string_to_sign)).
pub fn sign(secret: &str, string_to_sign: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(string_to_sign);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Lenient RFC 1123 parsing: optional weekday, one- or two-digit day, English month,
/// `GMT`/`UTC`/`+0000` zone. Falls back to `httpdate` for the other HTTP date forms.
pub fn parse_date(s: &str) -> Option<SystemTime> {
    if let Ok(t) = httpdate::parse_http_date(s) {
        return Some(t);
    }
    let mut toks: Vec<&str> = s.split([' ', ',']).filter(|t| !t.is_empty()).collect();
    if toks.first()?.chars().next()?.is_ascii_alphabetic() {
        toks.remove(0);
    }
    if toks.len() < 4 {
        return None;
    }
    let day: i64 = toks[0].parse().ok()?;
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let mon = toks[1].get(..3)?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| *m == mon)? as i64 + 1;
    let year: i64 = toks[2].parse().ok()?;
    // Four-digit years only (as in RFC 1123): larger ones overflowed the day
    // count below.
    if !(0..=9999).contains(&year) {
        return None;
    }
    let hms: Vec<i64> = toks[3]
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if hms.len() != 3 || !(1..=31).contains(&day) || hms[0] > 23 || hms[1] > 59 || hms[2] > 60 {
        return None;
    }
    if let Some(zone) = toks.get(4) {
        if !matches!(
            zone.to_ascii_uppercase().as_str(),
            "GMT" | "UTC" | "UT" | "Z" | "+0000"
        ) {
            return None;
        }
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Verifies a request against the configured credentials (§2.4 order of checks).
pub fn verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    credentials: &[(String, String)],
    now: SystemTime,
) -> ApiResult<()> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::denied("AccessDenied", "missing Authorization header"))?;
    let (id, sig) = auth
        .strip_prefix("OAS ")
        .and_then(|rest| rest.split_once(':'))
        .filter(|(id, sig)| !id.is_empty() && !sig.is_empty())
        .ok_or_else(|| ApiError::denied("AccessDenied", "malformed Authorization header"))?;
    let secret = credentials
        .iter()
        .find(|(k, _)| k == id)
        .map(|(_, s)| s.as_str())
        .ok_or_else(|| {
            ApiError::denied("InvalidAccessKeyId", format!("unknown access key id {id}"))
        })?;
    let date = headers
        .get("date")
        .ok_or_else(|| ApiError::denied("RequestTimeTooSkewed", "missing Date header"))?;
    let when = std::str::from_utf8(date.as_bytes())
        .ok()
        .and_then(parse_date)
        .ok_or_else(|| ApiError::denied("RequestTimeTooSkewed", "unparseable Date header"))?;
    let skew = now.duration_since(when).unwrap_or_else(|e| e.duration());
    if skew > MAX_SKEW {
        return Err(ApiError::denied(
            "RequestTimeTooSkewed",
            "the difference between the request time and the server time is too large",
        ));
    }
    let oas_headers: Vec<(String, Vec<u8>)> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("x-oas-"))
        .map(|k| {
            let vals: Vec<&[u8]> = headers.get_all(k).iter().map(|v| v.as_bytes()).collect();
            (k.as_str().to_string(), vals.join(&b","[..]))
        })
        .collect();
    let query = parse_query(uri.query());
    let resource = canonical_resource(uri.path(), &query);
    let sts = string_to_sign(method.as_str(), date.as_bytes(), &oas_headers, &resource);
    let expected = sign(secret, &sts);
    if !ct_eq(expected.as_bytes(), sig.as_bytes()) {
        return Err(ApiError::denied(
            "SignatureDoesNotMatch",
            format!(
                "the request signature does not match; string to sign was {:?}",
                String::from_utf8_lossy(&sts)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_dates() {
        let a = parse_date("Tue, 25 Mar 2014 12:00:00 GMT").unwrap();
        let b = parse_date("Tue, 5 Mar 2014 12:00:00 GMT").unwrap();
        assert_eq!(
            a.duration_since(b).unwrap(),
            Duration::from_secs(20 * 86_400)
        );
        assert_eq!(
            a.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_395_748_800
        );
        assert!(parse_date("not a date").is_none());
        assert!(parse_date("Tue, 25 Foo 2014 12:00:00 GMT").is_none());
    }

    #[test]
    fn absurd_years_are_rejected_not_overflowed() {
        // Found while writing the fuzz target `emulator_request`: the day
        // count overflowed i64 for huge years (a panicking request handler).
        for y in [
            "99999999999999999",
            "-99999999999999999",
            "9223372036854775807",
        ] {
            let d = format!("Tue, 25 Mar {y} 12:00:00 GMT");
            assert!(parse_date(&d).is_none(), "{d}");
        }
        assert!(parse_date("Tue, 25 Mar 9999 12:00:00 GMT").is_some());
    }

    #[test]
    fn bare_marker_resource() {
        let q = parse_query(Some("marker&limit=10"));
        assert_eq!(canonical_resource("/vaults", &q), "/vaults?limit=10&marker");
        let q = parse_query(Some("x=1"));
        assert_eq!(canonical_resource("/vaults", &q), "/vaults");
    }
}
