//! `x-oas-version` and `User-Agent` are options: a one-shot server records
//! the headers of the request it gets, and invalid values are refused.

use oas::{Client, ClientOptions, Vault};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// Serves one request with an empty vault list and returns its header lines,
/// names lower-cased.
fn capture(f: impl FnOnce(&str) + Send + 'static) -> Vec<String> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client = std::thread::spawn(move || f(&url));
    let (stream, _) = listener.accept().unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        lines.push(match line.split_once(':') {
            Some((k, v)) => format!("{}:{v}", k.to_ascii_lowercase()),
            None => line,
        });
    }
    let body = r#"{"Marker":"","VaultList":[]}"#;
    write!(
        &stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    client.join().unwrap();
    lines
}

#[test]
fn defaults_then_configured_values_are_sent() {
    let lines = capture(|url| {
        let c = Client::new(ClientOptions::new(url, "id", "key")).unwrap();
        assert!(Vault::list_all(&c).unwrap().is_empty());
    });
    assert!(
        lines.contains(&"x-oas-version: 0.2.5".to_string()),
        "{lines:?}"
    );
    let ua = format!("user-agent: liboas/{}", env!("CARGO_PKG_VERSION"));
    assert!(lines.contains(&ua), "{lines:?}");

    let lines = capture(|url| {
        let mut o = ClientOptions::new(url, "id", "key");
        o.protocol_version = "2014-01-01".into();
        o.user_agent = "backup-tool/3.1".into();
        let c = Client::new(o).unwrap();
        assert!(Vault::list_all(&c).unwrap().is_empty());
    });
    assert!(
        lines.contains(&"x-oas-version: 2014-01-01".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"user-agent: backup-tool/3.1".to_string()),
        "{lines:?}"
    );
}

#[test]
fn unusable_values_are_refused() {
    for (version, agent) in [
        ("", "ua"),
        ("0.2.5\r\nx: y", "ua"),
        ("0.2.5", ""),
        ("0.2.5", "a\nb"),
    ] {
        let mut o = ClientOptions::new("http://127.0.0.1:9", "id", "key");
        o.protocol_version = version.into();
        o.user_agent = agent.into();
        let err = Client::new(o).unwrap_err().to_string();
        assert!(err.contains("not a usable header value"), "{err}");
    }
}
