//! The emulator's reading of requests: the signature check with its
//! `Authorization` and `Date` headers, routing, `Date` parsing, Upload Part
//! headers and fault-rule bodies. The first byte picks the part; requests are
//! written as lines: method, URI, then `name:value` headers.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oas_emulator::fuzzing;

fn split_headers<'a>(lines: impl Iterator<Item = &'a [u8]>) -> Vec<(&'a [u8], &'a [u8])> {
    lines
        .filter_map(|l| {
            let at = l.iter().position(|&b| b == b':')?;
            Some((&l[..at], l[at + 1..].trim_ascii()))
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 4 {
        0 => {
            let mut lines = rest.split(|&b| b == b'\n');
            let method = lines.next().unwrap_or_default();
            let uri = std::str::from_utf8(lines.next().unwrap_or_default()).unwrap_or("/");
            let hs = split_headers(lines);
            fuzzing::authenticate(method, uri, &hs, 1_700_000_000);
        }
        1 => {
            if let Ok(s) = std::str::from_utf8(rest) {
                let _ = fuzzing::date(s);
            }
        }
        2 => {
            if rest.len() >= 8 {
                let (size, text) = rest.split_at(8);
                let part = u64::from_le_bytes(size.try_into().unwrap());
                let hs = split_headers(text.split(|&b| b == b'\n'));
                fuzzing::part_headers(&hs, part);
            }
        }
        _ => {
            let mut lines = rest.splitn(3, |&b| b == b'\n');
            let op = lines.next().and_then(|l| std::str::from_utf8(l).ok());
            let path = lines
                .next()
                .and_then(|l| std::str::from_utf8(l).ok())
                .unwrap_or("/");
            let body = lines.next().unwrap_or_default();
            fuzzing::fault_rules(body, op.filter(|o| !o.is_empty()), path);
        }
    }
});
