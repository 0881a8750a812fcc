//! A client whose clock is 20 minutes off the server's: the first request is
//! refused with `RequestTimeTooSkewed`, retried once with the server's time
//! (taken from the answer's `Date`), and the offset is kept for every later
//! request of that client, plain and streamed (multipart upload), and logged
//! at WARN.

mod common;
use oas as sdk;

use common::{count, file, MIB};
use oas::log::{set_sink, Level};
use oas::{Client, Vault};
use oas_emulator::{Config, Emulator};
use std::sync::{Arc, Mutex};

fn skewed_emulator(offset_secs: i64) -> Emulator {
    Emulator::start(Config {
        faults: true, // for /_emulator/stats
        clock_offset_secs: offset_secs,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn skew_is_learned_once_and_kept() {
    let lines = Arc::new(Mutex::new(Vec::<(Level, String)>::new()));
    let sink = lines.clone();
    set_sink(
        Some(Arc::new(move |level, _t: &str, m: &str| {
            sink.lock().unwrap().push((level, m.to_string()))
        })),
        Level::Warn,
    );

    for offset in [20 * 60, -20 * 60] {
        let emu = skewed_emulator(offset);
        let client = Client::new(common::options(&emu)).unwrap();
        assert_eq!(client.clock_offset().1.as_secs(), 0);

        // First request: refused, corrected, retried once; the describe that
        // follows it is already signed with the server's time.
        let vault = Vault::create(&client, "skewed").unwrap();
        assert_eq!(count(&emu, "CreateVault"), 2, "offset {offset}");
        assert_eq!(count(&emu, "DescribeVault"), 1);
        let (ahead, by) = client.clock_offset();
        assert_eq!(ahead, offset > 0);
        assert!(
            by.as_secs().abs_diff(offset.unsigned_abs()) <= 2,
            "learned {by:?} for {offset}"
        );

        // Later requests carry the corrected time at once: one request each,
        // including a streamed multipart upload (3 parts).
        Vault::get_by_id(&client, vault.id()).unwrap();
        assert_eq!(count(&emu, "DescribeVault"), 2);
        let src = file(3 * MIB, 7);
        let archive = vault.upload_archive(src.path(), None).unwrap();
        assert!(!archive.is_empty());
        assert_eq!(count(&emu, "UploadPart"), 3);
        assert_eq!(count(&emu, "InitiateMultipartUpload"), 1);

        // A clone shares the offset.
        let clone = client.clone();
        Vault::list_all(&clone).unwrap();
        assert_eq!(count(&emu, "ListVaults"), 1);

        // A second client learns it again for itself.
        let other = Client::new(common::options(&emu)).unwrap();
        Vault::list_all(&other).unwrap();
        assert_eq!(count(&emu, "ListVaults"), 3);
    }
    set_sink(None, Level::Error);
    let lines = lines.lock().unwrap();
    let warns: Vec<_> = lines
        .iter()
        .filter(|(l, m)| *l == Level::Warn && m.contains("RequestTimeTooSkewed"))
        .collect();
    assert!(warns.len() >= 4, "{lines:?}");
    assert!(
        warns
            .iter()
            .any(|(_, m)| m.contains("by +11") || m.contains("by +12"))
            && warns
                .iter()
                .any(|(_, m)| m.contains("by -11") || m.contains("by -12")),
        "{warns:?}"
    );
}
