//! Response bodies: error bodies and the JSON answers of the service, run
//! through what the library derives from them. The first byte picks the kind.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oas::model::{ArchiveMeta, JobInfo, JobList, PartList, UploadList, VaultInfo, VaultList};

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    match kind % 8 {
        0 => {
            let e = oas::fuzzing::error_body(403, body);
            // Either the JSON fields or the raw text ends up in the message.
            assert!(!e.code.is_empty() || e.message == String::from_utf8_lossy(body));
        }
        1 => {
            if let Ok(j) = serde_json::from_slice::<JobInfo>(body) {
                oas::fuzzing::job_info(j, 1_700_000_000);
            }
        }
        2 => {
            if let Ok(l) = serde_json::from_slice::<JobList>(body) {
                for j in l.job_list.into_iter().take(8) {
                    oas::fuzzing::job_info(j, 1_700_000_000);
                }
            }
        }
        3 => {
            if let Ok(p) = serde_json::from_slice::<PartList>(body) {
                oas::fuzzing::part_list(&p, 200 << 20);
            }
        }
        4 => {
            let _ = serde_json::from_slice::<VaultList>(body);
            let _ = serde_json::from_slice::<VaultInfo>(body);
        }
        5 => {
            let _ = serde_json::from_slice::<ArchiveMeta>(body);
        }
        6 => {
            let _ = serde_json::from_slice::<UploadList>(body);
        }
        _ => {
            // A VaultInfo is also sent back (Serialize): it must round-trip.
            if let Ok(v) = serde_json::from_slice::<VaultInfo>(body) {
                let text = serde_json::to_vec(&v).unwrap();
                assert_eq!(serde_json::from_slice::<VaultInfo>(&text).unwrap(), v);
            }
        }
    }
});
