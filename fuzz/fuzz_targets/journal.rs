//! The download progress journal `<target>.oas` as read back from disk: parse,
//! then write and parse again (must round-trip), then replay the resume
//! decisions a download takes on it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oas::download::{DoneRange, Journal};

fuzz_target!(|data: &[u8]| {
    let Ok(j) = Journal::from_bytes(data) else {
        return;
    };
    let text = j.to_bytes().expect("a parsed journal encodes");
    assert_eq!(Journal::from_bytes(&text).as_ref(), Ok(&j), "round trip");
    // What a resume does with it: accept only a plan it would have made.
    let _ = oas::fuzzing::journal_plan(&j);
    let mut k = j.clone();
    for d in &j.done {
        k.mark_done(DoneRange {
            start: d.start,
            end: d.end,
            tree_etag: d.tree_etag.clone(),
        });
    }
    assert!(
        k.done.windows(2).all(|w| w[0].start < w[1].start),
        "sorted, unique"
    );
});
