//! The job and inventory C API driven end to end against the emulator (the
//! C-side tests cover bad input; uploads and vaults come from the Rust API
//! here because their C API lives elsewhere).

mod download_common;
use oas_sdk as sdk;

use download_common::*;
use oas::client::{
    oas_client, oas_client_free, oas_client_new, oas_client_options, oas_client_options_init,
    oas_progress_fn,
};
use oas::inventory::*;
use oas::job::*;
use oas::result::*;
use std::ffi::{c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicU64, Ordering};

fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn text(p: *const std::ffi::c_char) -> String {
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Download options as `oas_download_options_init` fills them, with the
/// given range size, workers, rate and callback.
fn dl_opts(
    range_size: u64,
    workers: u32,
    bandwidth_limit: u64,
    progress: oas_progress_fn,
    userdata: *mut c_void,
) -> oas_download_options {
    let mut o = std::mem::MaybeUninit::<oas_download_options>::uninit();
    // SAFETY: init writes every field of a struct of this size.
    let mut o = unsafe {
        assert_eq!(
            oas_download_options_init(o.as_mut_ptr(), std::mem::size_of::<oas_download_options>()),
            OAS_RESULT_OK
        );
        o.assume_init()
    };
    o.range_size = range_size;
    o.workers = workers;
    o.bandwidth_limit = bandwidth_limit;
    o.progress = progress;
    o.userdata = userdata;
    o
}

fn range(start: u64, end: u64) -> oas::etag::oas_byte_range {
    oas::etag::oas_byte_range { start, end }
}

unsafe extern "C" fn stop_after_2mib(userdata: *mut c_void, done: u64, _total: u64) -> c_int {
    let max = &*(userdata as *const AtomicU64);
    max.fetch_max(done, Ordering::SeqCst);
    c_int::from(done >= 2 * MIB)
}

#[test]
fn c_api_waits_downloads_resumes_and_lists() {
    let env = start(oas_emulator::Config {
        job_delay: std::time::Duration::from_millis(600),
        ..Default::default()
    });
    let len = 5 * MIB + 11;
    let bytes = data(len, 60);
    let archive = env.upload(&bytes);
    let dir = tempfile::tempdir().unwrap();
    unsafe {
        let mut client: *const oas_client = std::ptr::null();
        let base = cs(&env.emu.base_url());
        let id = cs(oas_emulator::DEFAULT_ACCESS_ID);
        let key = cs(oas_emulator::DEFAULT_ACCESS_KEY);
        let mut opts = std::mem::MaybeUninit::<oas_client_options>::uninit();
        oas_client_options_init(opts.as_mut_ptr(), std::mem::size_of::<oas_client_options>());
        let mut opts = opts.assume_init();
        opts.endpoint = base.as_ptr();
        opts.access_id = id.as_ptr();
        opts.access_key = key.as_ptr();
        assert_eq!(oas_client_new(&opts, &mut client), OAS_RESULT_OK);
        let vault = cs(&env.vault);
        let arch = cs(&archive);
        let mut job: *mut oas_job = std::ptr::null_mut();
        let desc = cs("from C");
        assert_eq!(
            oas_job_retrieve_archive_reuse(
                client,
                vault.as_ptr(),
                arch.as_ptr(),
                desc.as_ptr(),
                &range(MIB, len - 1),
                &mut job
            ),
            OAS_RESULT_OK
        );
        assert_eq!(text(oas_job_action(job)), "ArchiveRetrieval");
        assert_eq!(text(oas_job_description(job)), "from C");
        assert!(!oas_job_completed(job));
        assert_eq!(oas_job_outcome(job), OAS_RESULT_JOB_NOT_READY);
        let out = cs(dir.path().join("o.bin").to_str().unwrap());
        assert_eq!(
            oas_job_download_to_file(job, out.as_ptr(), 0, false, std::ptr::null()),
            OAS_RESULT_JOB_NOT_READY
        );
        // A block download passes its own wait schedule, without a prior
        // oas_job_wait, and it does not stick to the handle.
        let mut quick = dl_opts(0, 0, 0, None, std::ptr::null_mut());
        quick.wait_first_interval_ms = 20;
        quick.wait_max_interval_ms = 20;
        quick.wait_timeout_ms = 60;
        assert_eq!(
            oas_job_download_to_file(job, out.as_ptr(), 0, true, &quick),
            OAS_RESULT_WAIT_TIMEOUT
        );
        assert_eq!(oas_job_wait(job, 50, 200, 10_000), OAS_RESULT_OK);
        assert!(oas_job_completed(job));
        assert_eq!(text(oas_job_status_code(job)), "Succeeded");
        assert_eq!(oas_job_archive_size(job), len as i64);
        let mut r = range(7, 9);
        assert_eq!(oas_job_retrieval_byte_range(job, &mut r), OAS_RESULT_OK);
        assert_eq!((r.start, r.end), (MIB, len - 1));
        assert_eq!(text(oas_job_etag(job)), oas_sdk::digest::tree_etag(&bytes));

        // A reused job is the same job.
        let mut again: *mut oas_job = std::ptr::null_mut();
        assert_eq!(
            oas_job_retrieve_archive_reuse(
                client,
                vault.as_ptr(),
                arch.as_ptr(),
                std::ptr::null(),
                &range(MIB, len - 1),
                &mut again
            ),
            OAS_RESULT_OK
        );
        assert_eq!(text(oas_job_id(again)), text(oas_job_id(job)));
        oas_job_free(again);

        // Cancel from the progress callback, then resume to a byte-identical file.
        let seen = AtomicU64::new(0);
        let bad = dl_opts(MIB + 1, 1, 0, None, std::ptr::null_mut());
        assert_eq!(
            oas_job_download_to_file(job, out.as_ptr(), 0, true, &bad),
            OAS_RESULT_INVALID_ARGUMENT
        );
        let stopping = dl_opts(
            MIB,
            1,
            0,
            Some(stop_after_2mib),
            &seen as *const AtomicU64 as *mut c_void,
        );
        assert_eq!(
            oas_job_download_to_file(job, out.as_ptr(), 0, true, &stopping),
            OAS_RESULT_CANCELLED
        );
        assert!(seen.load(Ordering::SeqCst) >= 2 * MIB);
        assert!(dir.path().join("o.bin.oas").exists());
        let before = env.count("GetJobOutput");
        assert_eq!(
            oas_job_download_to_file(job, out.as_ptr(), 0, true, std::ptr::null()),
            OAS_RESULT_OK
        );
        assert_eq!(
            std::fs::read(dir.path().join("o.bin")).unwrap(),
            &bytes[MIB as usize..]
        );
        assert!(
            env.count("GetJobOutput") - before < 5,
            "resumed, not restarted"
        );
        assert_eq!(oas_job_size_completed(job), len - MIB);

        // Cancel from another thread while a throttled download runs; resume.
        struct Shared(*mut oas_job);
        // SAFETY: oas_job_cancel may be called from any thread.
        unsafe impl Send for Shared {}
        unsafe impl Sync for Shared {}
        let slow = cs(dir.path().join("slow.bin").to_str().unwrap());
        let shared = Shared(job);
        let rc = std::thread::scope(|sc| {
            let h = sc.spawn(|| {
                let s = &shared;
                let throttled = dl_opts(MIB, 1, 2 * MIB, None, std::ptr::null_mut());
                oas_job_download_to_file(s.0, slow.as_ptr(), 0, false, &throttled)
            });
            std::thread::sleep(std::time::Duration::from_millis(700));
            oas_job_cancel(shared.0);
            h.join().unwrap()
        });
        assert_eq!(rc, OAS_RESULT_CANCELLED);
        assert!(dir.path().join("slow.bin.oas").exists());
        oas_job_cancel(std::ptr::null());
        let one = dl_opts(MIB, 1, 0, None, std::ptr::null_mut());
        assert_eq!(
            oas_job_download_to_file(job, slow.as_ptr(), 0, false, &one),
            OAS_RESULT_OK
        );
        assert_eq!(
            std::fs::read(dir.path().join("slow.bin")).unwrap(),
            &bytes[MIB as usize..]
        );

        // A range into a descriptor, and a bad range refused.
        let part = dir.path().join("part");
        let f = std::fs::File::create(&part).unwrap();
        use std::os::fd::AsRawFd;
        assert_eq!(
            oas_job_download_by_range_fd(
                job,
                &range(0, MIB - 1),
                f.as_raw_fd(),
                0,
                false,
                std::ptr::null()
            ),
            OAS_RESULT_OK
        );
        assert_eq!(
            std::fs::read(&part).unwrap(),
            &bytes[MIB as usize..2 * MIB as usize]
        );
        assert_eq!(
            oas_job_download_by_range_fd(
                job,
                &range(1, MIB - 1),
                f.as_raw_fd(),
                0,
                false,
                std::ptr::null()
            ),
            OAS_RESULT_INVALID_ARGUMENT
        );
        oas_job_free(job);

        // Inventory: download through C, iterate through C.
        let req = oas_sdk::model::JobRequest {
            job_type: "inventory-retrieval".into(),
            ..Default::default()
        };
        let inv_id = cs(&env.client.initiate_job(&env.vault, &req).unwrap());
        let mut inv_job: *mut oas_job = std::ptr::null_mut();
        assert_eq!(
            oas_job_describe(client, vault.as_ptr(), inv_id.as_ptr(), &mut inv_job),
            OAS_RESULT_OK
        );
        assert_eq!(oas_job_wait(inv_job, 50, 200, 10_000), OAS_RESULT_OK);
        let inv_path = cs(dir.path().join("inv.json").to_str().unwrap());
        assert_eq!(
            oas_job_download_to_file(inv_job, inv_path.as_ptr(), 0, false, std::ptr::null()),
            OAS_RESULT_OK
        );
        assert!(oas_job_inventory_size(inv_job) > 0);
        oas_job_free(inv_job);
        let mut inv: *mut oas_inventory = std::ptr::null_mut();
        assert_eq!(
            oas_inventory_open(inv_path.as_ptr(), &mut inv),
            OAS_RESULT_OK
        );
        assert_eq!(text(oas_inventory_vault_id(inv)), env.vault);
        let mut entry: *const oas_inventory_archive = std::ptr::null();
        assert_eq!(oas_inventory_next(inv, &mut entry), OAS_RESULT_OK);
        assert!(!entry.is_null());
        assert_eq!(text(oas_inventory_archive_id(entry)), archive);
        assert_eq!(oas_inventory_archive_size(entry), len);
        assert_eq!(
            text(oas_inventory_archive_tree_etag(entry)),
            oas_sdk::digest::tree_etag(&bytes)
        );
        assert_eq!(oas_inventory_next(inv, &mut entry), OAS_RESULT_OK);
        assert!(entry.is_null());
        oas_inventory_free(inv);
        oas_client_free(client);
    }
}
