//! The vault's job methods through the C API (`oas_vault_get_job`,
//! `oas_vault_list_all_jobs`, `oas_vault_retrieve_archive`,
//! `oas_vault_retrieve_inventory`, `oas_vault_pull_from_oss`,
//! `oas_vault_push_to_oss`) against the in-process emulator.

mod common;
use oas_sdk as sdk;

use common::ffi::*;
use common::*;
use oas::client::*;
use oas::error::*;
use oas::etag::oas_byte_range;
use oas::job::*;
use oas::result::*;
use oas::strings::oas_string_free;
use oas::vault::*;
use oas::vault_jobs::*;
use std::ffi::c_char;
use std::ptr::{null, null_mut};

#[test]
fn vault_job_methods_through_the_c_api() {
    let oss = tempfile::tempdir().unwrap();
    std::fs::create_dir(oss.path().join("bucket")).unwrap();
    let src = data(3 * MIB + 5, 9);
    std::fs::write(oss.path().join("bucket/in.bin"), &src).unwrap();
    let emu = oas_emulator::Emulator::start(oas_emulator::Config {
        oss_dir: Some(oss.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let f = file(3 * MIB + 5, 9);
    let dir = tempfile::tempdir().unwrap();
    unsafe {
        let c = c_client(&emu);
        let name = cs("c-jobs");
        let mut v = null_mut();
        assert_eq!(oas_vault_create(c, name.as_ptr(), &mut v), OAS_RESULT_OK);
        let path = cs(f.path().to_str().unwrap());
        let mut archive: *mut c_char = null_mut();
        assert_eq!(
            oas_vault_upload_archive(v, path.as_ptr(), null(), null(), &mut archive),
            OAS_RESULT_OK
        );
        let archive_id = text(archive);

        // Whole-archive retrieval, then download and compare.
        let mut job = null_mut();
        let desc = cs("whole");
        assert_eq!(
            oas_vault_retrieve_archive(v, archive, desc.as_ptr(), null(), &mut job),
            OAS_RESULT_OK
        );
        assert_eq!(text(oas_job_action(job)), "ArchiveRetrieval");
        assert_eq!(text(oas_job_archive_id(job)), archive_id);
        assert_eq!(text(oas_job_description(job)), "whole");
        let out = dir.path().join("whole.bin");
        let out_c = cs(out.to_str().unwrap());
        assert_eq!(
            oas_job_download_to_file(job, out_c.as_ptr(), 0, true, null()),
            OAS_RESULT_OK
        );
        assert_eq!(std::fs::read(&out).unwrap(), src);
        let whole_id = text(oas_job_id(job));

        // Ranged retrieval of the second MiB.
        let mut ranged = null_mut();
        let second = oas_byte_range {
            start: MIB,
            end: 2 * MIB - 1,
        };
        assert_eq!(
            oas_vault_retrieve_archive(v, archive, null(), &second, &mut ranged),
            OAS_RESULT_OK
        );
        // Its sibling with the same arguments finds that job again.
        let mut reused = null_mut();
        assert_eq!(
            oas_vault_retrieve_archive_reuse(v, archive, null(), &second, &mut reused),
            OAS_RESULT_OK
        );
        assert_eq!(text(oas_job_id(reused)), text(oas_job_id(ranged)));
        oas_job_free(reused);
        let part = dir.path().join("part.bin");
        let part_c = cs(part.to_str().unwrap());
        assert_eq!(
            oas_job_download_to_file(ranged, part_c.as_ptr(), 0, true, null()),
            OAS_RESULT_OK
        );
        assert_eq!(
            std::fs::read(&part).unwrap(),
            &src[MIB as usize..2 * MIB as usize]
        );

        // Bad ranges are refused before any request.
        let mut bad = null_mut();
        assert_eq!(
            oas_vault_retrieve_archive(
                v,
                archive,
                null(),
                &oas_byte_range { start: 5, end: 1 },
                &mut bad
            ),
            OAS_RESULT_INVALID_ARGUMENT
        );
        assert!(last_message().contains("before start"));
        assert_eq!(
            oas_vault_retrieve_archive(
                v,
                archive,
                null(),
                &oas_byte_range {
                    start: 1,
                    end: MIB - 1
                },
                &mut bad
            ),
            OAS_RESULT_INVALID_ARGUMENT
        );
        assert!(bad.is_null());

        // get_job and list_all_jobs see the jobs just made.
        let mut again = null_mut();
        let whole_c = cs(&whole_id);
        assert_eq!(
            oas_vault_get_job(v, whole_c.as_ptr(), &mut again),
            OAS_RESULT_OK
        );
        assert_eq!(text(oas_job_id(again)), whole_id);
        assert!(oas_job_completed(again));
        let mut list = null_mut();
        assert_eq!(oas_vault_list_all_jobs(v, &mut list), OAS_RESULT_OK);
        assert_eq!(oas_job_list_len(list), 2);
        let ids: Vec<String> = (0..2)
            .map(|i| text(oas_job_id(oas_job_list_get(list, i))))
            .collect();
        assert!(ids.contains(&whole_id));
        assert!(oas_job_list_get(list, 2).is_null());
        assert!(oas_job_list_get(null_mut(), 0).is_null());
        assert_eq!(oas_job_list_len(null()), 0);
        let missing = cs("0123456789ABCDEF0123456789ABCDEF");
        assert_eq!(
            oas_vault_get_job(v, missing.as_ptr(), &mut again),
            OAS_RESULT_NOT_FOUND
        );
        assert_eq!(
            text(oas_error_server_code(oas_last_error())),
            "JobNotExists"
        );

        // Inventory.
        let mut inv = null_mut();
        assert_eq!(
            oas_vault_retrieve_inventory(v, null(), &mut inv),
            OAS_RESULT_OK
        );
        assert_eq!(text(oas_job_action(inv)), "InventoryRetrieval");
        let inv_path = dir.path().join("inv.json");
        let inv_c = cs(inv_path.to_str().unwrap());
        assert_eq!(
            oas_job_download_to_file(inv, inv_c.as_ptr(), 0, true, null()),
            OAS_RESULT_OK
        );
        let inv_text = std::fs::read_to_string(&inv_path).unwrap();
        assert!(inv_text.contains(&archive_id));

        // OSS pull and push.
        let host = cs("oss-cn-hangzhou-internal.aliyuncs.com");
        let bucket = cs("bucket");
        let object = cs("in.bin");
        let mut pull = null_mut();
        assert_eq!(
            oas_vault_pull_from_oss(
                v,
                host.as_ptr(),
                bucket.as_ptr(),
                object.as_ptr(),
                null(),
                &mut pull
            ),
            OAS_RESULT_OK
        );
        assert_eq!(oas_job_wait(pull, 10, 50, 10_000), OAS_RESULT_OK);
        assert_eq!(text(oas_job_status_code(pull)), "Succeeded");
        assert_eq!(text(oas_job_archive_id(pull)).len(), 32);
        let pushed = cs("out.bin");
        let mut push = null_mut();
        assert_eq!(
            oas_vault_push_to_oss(
                v,
                archive,
                host.as_ptr(),
                bucket.as_ptr(),
                pushed.as_ptr(),
                null(),
                &mut push
            ),
            OAS_RESULT_OK
        );
        assert_eq!(oas_job_wait(push, 10, 50, 10_000), OAS_RESULT_OK);
        assert_eq!(
            std::fs::read(oss.path().join("bucket/out.bin")).unwrap(),
            src
        );

        // NULL arguments name themselves.
        assert_eq!(
            oas_vault_retrieve_inventory(null(), null(), &mut inv),
            OAS_RESULT_NULL_ARGUMENT
        );
        assert!(last_message().contains("vault"));
        assert_eq!(
            oas_vault_pull_from_oss(v, host.as_ptr(), null(), object.as_ptr(), null(), &mut pull),
            OAS_RESULT_NULL_ARGUMENT
        );
        assert!(last_message().contains("bucket"));
        assert_eq!(
            oas_vault_list_all_jobs(v, null_mut()),
            OAS_RESULT_NULL_ARGUMENT
        );

        for j in [job, ranged, again, inv, pull, push] {
            oas_job_free(j);
        }
        oas_job_list_free(list);
        oas_string_free(archive);
        oas_vault_free(v);
        oas_client_free(c);
    }
}
