//! The vault's job methods for C (the SDK's `Vault.get_job`, `list_all_jobs`,
//! `retrieve_archive`, `retrieve_inventory`, `pull_from_oss`, `push_to_oss`):
//! each returns `oas_job` handles described in [`super::job`].

use super::etag::oas_byte_range;
use super::job::oas_job;
use super::result::*;
use super::vault::oas_vault;
use super::{
    ffi_call, ffi_guard, try_opt_range, try_opt_str, try_out, try_ref, try_str, BoxHandle,
    FfiResult,
};
use crate::job::Job;
use std::ffi::c_char;

/// A list of jobs from `oas_vault_list_all_jobs`. Free with
/// `oas_job_list_free`. Use from one thread at a time.
pub struct oas_job_list {
    items: Vec<oas_job>,
}

impl BoxHandle for oas_job_list {}

fn hand_out(job: Job, out: &mut *mut oas_job) {
    *out = oas_job::new(job).into_ptr();
}

/// The OSS location and description arguments shared by pull and push.
struct OssArgs<'a> {
    host: &'a str,
    bucket: &'a str,
    object: &'a str,
    description: Option<&'a str>,
}

/// # Safety
/// Each pointer is NULL or a NUL-terminated string.
unsafe fn oss_args<'a>(
    oss_host: *const c_char,
    bucket: *const c_char,
    object: *const c_char,
    description: *const c_char,
) -> FfiResult<OssArgs<'a>> {
    // SAFETY: as this function's contract.
    unsafe {
        Ok(OssArgs {
            host: try_str(oss_host, "oss_host")?,
            bucket: try_str(bucket, "bucket")?,
            object: try_str(object, "object")?,
            description: try_opt_str(description, "description")?,
        })
    }
}

/// The job `job_id` of this vault (Describe Job) into `*job_out`; free it
/// with `oas_job_free`. Any thread (the vault is only read).
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT` (malformed id); `OAS_RESULT_SERVER` (e.g.
/// `JobNotExists`), `OAS_RESULT_TRANSPORT`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_get_job(
    vault: *const oas_vault,
    job_id: *const c_char,
    job_out: *mut *mut oas_job,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let id = unsafe { try_str(job_id, "job_id")? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(job_out, "job_out")? };
        hand_out(v.vault.get_job(id)?, out);
        Ok(())
    })
}

/// Every job the service still lists for this vault (all pages) into
/// `*list_out`; free with `oas_job_list_free`.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`; `OAS_RESULT_SERVER`,
/// `OAS_RESULT_TRANSPORT`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_list_all_jobs(
    vault: *const oas_vault,
    list_out: *mut *mut oas_job_list,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(list_out, "list_out")? };
        let items = v
            .vault
            .list_all_jobs()?
            .into_iter()
            .map(oas_job::new)
            .collect();
        *out = oas_job_list { items }.into_ptr();
        Ok(())
    })
}

/// Number of jobs in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn oas_job_list_len(list: *const oas_job_list) -> usize {
    // SAFETY: NULL or a live list (C contract).
    ffi_guard(0, || unsafe { list.as_ref() }.map_or(0, |l| l.items.len()))
}

/// The job at `index`, borrowed from the list (valid until
/// `oas_job_list_free`; never free it). Every `oas_job_*` call works on it,
/// downloads included. NULL when `list` is NULL or `index` is out of range.
#[no_mangle]
pub unsafe extern "C" fn oas_job_list_get(list: *mut oas_job_list, index: usize) -> *mut oas_job {
    ffi_guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live list used by one thread (C contract).
        unsafe { list.as_mut() }
            .and_then(|l| l.items.get_mut(index))
            .map_or(std::ptr::null_mut(), |j| j as *mut oas_job)
    })
}

/// Frees a job list and the jobs borrowed from it. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_job_list_free(list: *mut oas_job_list) {
    // SAFETY: NULL or a list from oas_vault_list_all_jobs not used again.
    ffi_guard((), || unsafe { oas_job_list::free_ptr(list) })
}

/// Starts an `archive-retrieval` job for `archive_id` (the SDK's
/// `retrieve_archive`). `range` NULL retrieves the whole archive; otherwise
/// only `range->start..=range->end` (inclusive): `start` a multiple of 1 MiB,
/// `end + 1` a multiple of 1 MiB or the archive size. `description` may be
/// NULL. The new job goes to `*job_out` (free with `oas_job_free`).
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT` (inverted or unaligned range, description
/// over 128 characters); `OAS_RESULT_NOT_FOUND` (no such vault or archive),
/// `OAS_RESULT_SERVER`, `OAS_RESULT_TRANSPORT`, `OAS_RESULT_TIMEOUT`,
/// `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_retrieve_archive(
    vault: *const oas_vault,
    archive_id: *const c_char,
    description: *const c_char,
    range: *const oas_byte_range,
    job_out: *mut *mut oas_job,
) -> oas_result {
    // SAFETY: the pointers are passed on under the same C contract.
    unsafe {
        retrieval(
            vault,
            archive_id,
            description,
            range,
            job_out,
            |v, a, d, r| v.retrieve_archive(a, d, r),
        )
    }
}

/// As `oas_vault_retrieve_archive`, but first looks for an unexpired
/// retrieval of the same archive and range that is running or succeeded and
/// returns that one instead (see `oas_job_retrieve_archive_reuse`, which takes
/// a client and ids). Arguments, output and codes as for
/// `oas_vault_retrieve_archive`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_retrieve_archive_reuse(
    vault: *const oas_vault,
    archive_id: *const c_char,
    description: *const c_char,
    range: *const oas_byte_range,
    job_out: *mut *mut oas_job,
) -> oas_result {
    // SAFETY: the pointers are passed on under the same C contract.
    unsafe {
        retrieval(
            vault,
            archive_id,
            description,
            range,
            job_out,
            |v, a, d, r| v.retrieve_archive_reuse(a, d, r),
        )
    }
}

/// The shared body of the two retrievals of a vault.
///
/// # Safety
/// Each pointer is NULL or valid as the exports' C contract says.
unsafe fn retrieval(
    vault: *const oas_vault,
    archive_id: *const c_char,
    description: *const c_char,
    range: *const oas_byte_range,
    job_out: *mut *mut oas_job,
    start: impl FnOnce(
        &crate::Vault,
        &str,
        Option<&str>,
        Option<crate::ranges::ByteRange>,
    ) -> crate::Result<Job>,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live vault (C contract).
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or a NUL-terminated string (C contract).
        let archive = unsafe { try_str(archive_id, "archive_id")? };
        // SAFETY: as above.
        let desc = unsafe { try_opt_str(description, "description")? };
        // SAFETY: NULL or a valid oas_byte_range (C contract).
        let range = unsafe { try_opt_range(range)? };
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(job_out, "job_out")? };
        hand_out(start(&v.vault, archive, desc, range)?, out);
        Ok(())
    })
}

/// Starts an `inventory-retrieval` job (the SDK's `retrieve_inventory`);
/// `description` may be NULL. The new job goes to `*job_out`.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT`; `OAS_RESULT_SERVER`, `OAS_RESULT_TRANSPORT`,
/// `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_retrieve_inventory(
    vault: *const oas_vault,
    description: *const c_char,
    job_out: *mut *mut oas_job,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let desc = unsafe { try_opt_str(description, "description")? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(job_out, "job_out")? };
        hand_out(v.vault.retrieve_inventory(desc)?, out);
        Ok(())
    })
}

/// Starts a `pull-from-oss` job: the OSS object `bucket`/`object` at
/// `oss_host` becomes a new archive of this vault (its id appears in
/// `oas_job_archive_id` once the job succeeded). `description` may be NULL.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT`; `OAS_RESULT_SERVER`, `OAS_RESULT_TRANSPORT`,
/// `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_pull_from_oss(
    vault: *const oas_vault,
    oss_host: *const c_char,
    bucket: *const c_char,
    object: *const c_char,
    description: *const c_char,
    job_out: *mut *mut oas_job,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let a = unsafe { oss_args(oss_host, bucket, object, description)? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(job_out, "job_out")? };
        let job = v
            .vault
            .pull_from_oss(a.host, a.bucket, a.object, a.description)?;
        hand_out(job, out);
        Ok(())
    })
}

/// Starts a `push-to-oss` job copying archive `archive_id` to the OSS object
/// `bucket`/`object` at `oss_host`. `description` may be NULL.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT`; `OAS_RESULT_SERVER`, `OAS_RESULT_TRANSPORT`,
/// `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_push_to_oss(
    vault: *const oas_vault,
    archive_id: *const c_char,
    oss_host: *const c_char,
    bucket: *const c_char,
    object: *const c_char,
    description: *const c_char,
    job_out: *mut *mut oas_job,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let archive = unsafe { try_str(archive_id, "archive_id")? };
        // SAFETY: NULL or valid as the C contract says.
        let a = unsafe { oss_args(oss_host, bucket, object, description)? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(job_out, "job_out")? };
        let job = v
            .vault
            .push_to_oss(archive, a.host, a.bucket, a.object, a.description)?;
        hand_out(job, out);
        Ok(())
    })
}
