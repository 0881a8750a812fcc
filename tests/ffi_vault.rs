//! The C API of client, vault and uploader, driven through its `extern "C"`
//! functions against the in-process emulator.

mod common;
use oas_sdk as sdk;

use common::ffi::*;
use common::*;
use oas::client::*;
use oas::result::*;
use oas::strings::oas_string_free;
use oas::uploader::*;
use oas::vault::*;
use std::ffi::{c_char, c_int, c_void};
use std::ptr::{null, null_mut};

unsafe fn new_client(emu: &oas_emulator::Emulator) -> *const oas_client {
    let o = default_options();
    assert_eq!(o.workers, 16);
    assert_eq!(o.upload_threshold, 64 * MIB);
    c_client(emu)
}

unsafe extern "C" fn stop_at_2mib(userdata: *mut c_void, done: u64, total: u64) -> c_int {
    let calls = &mut *(userdata as *mut Vec<(u64, u64)>);
    calls.push((done, total));
    c_int::from(done >= 2 * MIB)
}

#[test]
fn vault_and_uploader_through_the_c_api() {
    let emu = emulator();
    unsafe {
        let c = new_client(&emu);
        let name = cs("c-api");
        let mut v = null_mut();
        assert_eq!(oas_vault_create(c, name.as_ptr(), &mut v), OAS_RESULT_OK);
        assert_eq!(text(oas_vault_name(v)), "c-api");
        assert_eq!(text(oas_vault_id(v)).len(), 32);
        assert!(!text(oas_vault_creation_date(v)).is_empty());
        let _ = text(oas_vault_last_inventory_date(v));
        assert_eq!(oas_vault_number_of_archives(v), 0);
        assert_eq!(oas_vault_size(v), 0);
        assert_eq!(oas_vault_refresh(v), OAS_RESULT_OK);

        let mut by_name = null_mut();
        assert_eq!(
            oas_vault_get_by_name(c, name.as_ptr(), &mut by_name),
            OAS_RESULT_OK
        );
        let mut by_id = null_mut();
        assert_eq!(
            oas_vault_get_by_id(c, oas_vault_id(v), &mut by_id),
            OAS_RESULT_OK
        );
        assert_eq!(text(oas_vault_id(by_name)), text(oas_vault_id(by_id)));
        oas_vault_free(by_name);
        oas_vault_free(by_id);
        let mut list = null_mut();
        assert_eq!(oas_vault_list_all(c, &mut list), OAS_RESULT_OK);
        assert_eq!(oas_vault_list_len(list), 1);
        assert_eq!(text(oas_vault_name(oas_vault_list_get(list, 0))), "c-api");
        assert!(oas_vault_list_get(list, 1).is_null());
        oas_vault_list_free(list);

        // Single upload with a progress callback, then delete the archive.
        let small = file(MIB + 3, 1);
        let path = cs(small.path().to_str().unwrap());
        let desc = cs("from C");
        let mut archive: *mut c_char = null_mut();
        assert_eq!(
            oas_vault_upload_archive(v, path.as_ptr(), desc.as_ptr(), null(), &mut archive),
            OAS_RESULT_OK
        );
        let vault = oas_sdk::Vault::get_by_id(&client(&emu), &text(oas_vault_id(v))).unwrap();
        assert_archive(&vault, &text(archive), small.path());
        assert_eq!(oas_vault_delete_archive(v, archive), OAS_RESULT_OK);
        oas_string_free(archive);

        // Multipart: the callback stops it, then recover + resume.
        let big = file(5 * MIB + 1, 2);
        let path = cs(big.path().to_str().unwrap());
        let mut u = null_mut();
        assert_eq!(
            oas_vault_initiate_uploader(v, path.as_ptr(), null(), null(), &mut u),
            OAS_RESULT_OK
        );
        assert_eq!(oas_uploader_part_size(u), MIB);
        assert_eq!(oas_uploader_size_total(u), 5 * MIB + 1);
        assert_eq!(text(oas_uploader_description(u)), "");
        assert!(!text(oas_uploader_creation_date(u)).is_empty());
        let mut calls: Vec<(u64, u64)> = Vec::new();
        let mut archive: *mut c_char = null_mut();
        let mut opts = upload_opts();
        opts.progress = Some(stop_at_2mib);
        opts.userdata = &mut calls as *mut _ as *mut c_void;
        let r = oas_uploader_start(u, &opts, &mut archive);
        assert_eq!(r, OAS_RESULT_CANCELLED, "{}", last_message());
        assert!(archive.is_null(), "outputs only on success");
        assert!(calls.iter().all(|&(_, t)| t == 5 * MIB + 1));
        let upload_id = text(oas_uploader_id(u));

        let mut uploads = null_mut();
        assert_eq!(
            oas_vault_list_all_multipart_uploads(v, &mut uploads),
            OAS_RESULT_OK
        );
        assert_eq!(oas_uploader_list_len(uploads), 1);
        assert_eq!(
            text(oas_uploader_id(oas_uploader_list_get(uploads, 0))),
            upload_id
        );
        oas_uploader_list_free(uploads);

        let mut r2 = null_mut();
        assert_eq!(
            oas_vault_recover_uploader(v, oas_uploader_id(u), &mut r2),
            OAS_RESULT_OK
        );
        assert_eq!(
            oas_uploader_start(r2, null(), &mut archive),
            OAS_RESULT_INVALID_STATE
        );
        assert_eq!(
            oas_uploader_resume(r2, path.as_ptr(), null(), &mut archive),
            OAS_RESULT_OK,
            "{}",
            last_message()
        );
        assert_eq!(oas_uploader_size_completed(r2), 5 * MIB + 1);
        assert_archive(&vault, &text(archive), big.path());
        oas_string_free(archive);
        oas_uploader_free(r2);
        oas_uploader_free(u);

        // Abort on the server.
        let mut u = null_mut();
        assert_eq!(
            oas_vault_initiate_uploader(v, path.as_ptr(), null(), null(), &mut u),
            OAS_RESULT_OK
        );
        oas_uploader_stop(u);
        assert_eq!(oas_uploader_cancel(u), OAS_RESULT_OK);
        let mut uploads = null_mut();
        assert_eq!(
            oas_vault_list_all_multipart_uploads(v, &mut uploads),
            OAS_RESULT_OK
        );
        assert_eq!(oas_uploader_list_len(uploads), 0);
        oas_uploader_list_free(uploads);
        oas_uploader_free(u);

        // Upload from a pipe's read end.
        let mut fds = [0 as c_int; 2];
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        let data = data(3 * MIB + 10, 3);
        let writer = {
            let data = data.clone();
            let wfd = fds[1];
            std::thread::spawn(move || {
                use std::io::Write;
                use std::os::fd::FromRawFd;
                let mut w = std::fs::File::from_raw_fd(wfd);
                w.write_all(&data).unwrap();
            })
        };
        let mut archive = null_mut();
        assert_eq!(
            oas_vault_upload_fd(v, fds[0], null(), null(), &mut archive),
            OAS_RESULT_OK,
            "{}",
            last_message()
        );
        writer.join().unwrap();
        libc::close(fds[0]);
        let meta = vault
            .client()
            .archive_meta(vault.id(), &text(archive))
            .unwrap();
        assert_eq!(meta.archive_tree_etag, oas_sdk::digest::tree_etag(&data));
        oas_string_free(archive);

        oas_vault_free(v);
        oas_client_free(c);
    }
}

#[test]
fn bad_input_returns_codes_and_messages() {
    let emu = emulator();
    unsafe {
        let c = new_client(&emu);
        let mut v = null_mut();
        // NULL handles and strings.
        assert_eq!(
            oas_vault_create(null(), cs("abc").as_ptr(), &mut v),
            OAS_RESULT_NULL_ARGUMENT
        );
        assert!(last_message().contains("client"));
        assert_eq!(
            oas_vault_create(c, null(), &mut v),
            OAS_RESULT_NULL_ARGUMENT
        );
        assert!(last_message().contains("name"));
        assert_eq!(
            oas_vault_create(c, cs("abc").as_ptr(), null_mut()),
            OAS_RESULT_NULL_ARGUMENT
        );
        // A name the spec forbids.
        assert_eq!(
            oas_vault_create(c, cs("Bad_Name").as_ptr(), &mut v),
            OAS_RESULT_INVALID_ARGUMENT
        );
        assert!(last_message().contains("vault name"));
        assert!(v.is_null());
        // Invalid UTF-8.
        let bad = [0xFFu8, 0xFE, 0];
        assert_eq!(
            oas_vault_create(c, bad.as_ptr() as *const c_char, &mut v),
            OAS_RESULT_INVALID_UTF8
        );
        // Unknown vault name.
        assert_eq!(
            oas_vault_get_by_name(c, cs("nothere").as_ptr(), &mut v),
            OAS_RESULT_NOT_FOUND
        );
        assert_eq!(last_message(), "not found: Vault not exists: nothere");

        assert_eq!(
            oas_vault_create(c, cs("good").as_ptr(), &mut v),
            OAS_RESULT_OK
        );
        let mut out = null_mut();
        // Missing and empty files.
        assert_eq!(
            oas_vault_upload_archive(v, cs("/no/such/file").as_ptr(), null(), null(), &mut out),
            OAS_RESULT_IO
        );
        assert!(last_message().contains("/no/such/file"));
        let empty = file(0, 0);
        let p = cs(empty.path().to_str().unwrap());
        assert_eq!(
            oas_vault_upload_archive(v, p.as_ptr(), null(), null(), &mut out),
            OAS_RESULT_INVALID_ARGUMENT
        );
        assert_eq!(
            oas_vault_upload_fd(v, -1, null(), null(), &mut out),
            OAS_RESULT_INVALID_ARGUMENT
        );
        assert!(out.is_null());
        // Getters on NULL.
        assert_eq!(text(oas_vault_id(null())), "");
        assert_eq!(text(oas_uploader_id(null())), "");
        assert_eq!(oas_vault_size(null()), -1);
        assert_eq!(oas_uploader_size_completed(null()), 0);
        assert_eq!(oas_uploader_cancel(null()), OAS_RESULT_NULL_ARGUMENT);
        oas_uploader_stop(null());
        oas_vault_free(null_mut());
        oas_uploader_free(null_mut());
        // Options that were not initialised.
        let mut o: oas_client_options = std::mem::zeroed();
        let mut c2 = null();
        assert_eq!(oas_client_new(&o, &mut c2), OAS_RESULT_INVALID_ARGUMENT);
        assert!(last_message().contains("oas_client_options_init"));
        assert_eq!(
            oas_client_options_init(&mut o, std::mem::size_of::<oas_client_options>()),
            OAS_RESULT_OK
        );
        // No endpoint or credentials: completed from the environment or the
        // credentials file; where this machine has neither, the error names
        // every source tried.
        let no_source = [
            "OAS_ENDPOINT",
            "OAS_REGION",
            "OAS_ACCESS_ID",
            "OAS_ACCESS_KEY",
        ]
        .iter()
        .chain(["ALIBABA_CLOUD_ACCESS_KEY_ID", "OAS_CREDENTIALS_FILE"].iter())
        .all(|v| std::env::var_os(v).is_none())
            && std::env::var_os("HOME")
                .map(|h| !std::path::Path::new(&h).join(".oascredentials").exists())
                .unwrap_or(true);
        if no_source {
            assert_eq!(oas_client_new(&o, &mut c2), OAS_RESULT_INVALID_ARGUMENT);
            assert!(last_message().contains("no source completed them"));
            assert!(c2.is_null());
        }
        oas_vault_free(v);
        oas_client_free(c);
    }
}
