//! Vaults for C (the SDK's `Vault`): lifecycle, listing, getters, uploads
//! and uploaders. The job-creating methods come with the job handle.

use crate::client::oas_client;
use crate::result::*;
use crate::uploader::{oas_upload_options, oas_uploader, oas_uploader_list, upload_options};
use crate::{cstring_lossy, ffi_call, ffi_guard, into_owned_cstr};
use crate::{try_opt_str, try_out, try_path, try_ref, try_str, BoxHandle, FfiError};
use oas_sdk::Vault;
use std::ffi::{c_char, c_int, c_void, CString};
use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;

/// A vault: its client and its description as last read. Getters may be
/// called from any thread; `oas_vault_refresh` needs exclusive use. Free with
/// `oas_vault_free` (except vaults borrowed from a list).
pub struct oas_vault {
    pub(crate) vault: Vault,
    strs: [CString; 4],
}

impl BoxHandle for oas_vault {}

impl oas_vault {
    fn new(vault: Vault) -> oas_vault {
        let strs = [
            cstring_lossy(vault.id()),
            cstring_lossy(vault.name()),
            cstring_lossy(vault.creation_date()),
            cstring_lossy(vault.last_inventory_date()),
        ];
        oas_vault { vault, strs }
    }

    /// A string getter: borrowed from the handle, "" for NULL (the one NULL
    /// rule for getters).
    fn str_at(v: *const oas_vault, i: usize) -> *const c_char {
        // SAFETY: NULL or a live vault (C contract of every getter).
        ffi_guard(c"".as_ptr(), || match unsafe { v.as_ref() } {
            Some(v) => v.strs[i].as_ptr(),
            None => c"".as_ptr(),
        })
    }
}

/// A list of vaults from `oas_vault_list_all`. Free with `oas_vault_list_free`.
pub struct oas_vault_list {
    items: Vec<oas_vault>,
}

impl BoxHandle for oas_vault_list {}

/// # Safety
/// `client` is NULL or a live client handle.
unsafe fn client_ref<'a>(client: *const oas_client) -> crate::FfiResult<&'a oas_client> {
    // SAFETY: as this function's contract.
    unsafe { try_ref(client, "client") }
}

/// The shared body of the constructors taking a client and one string:
/// checks the arguments, runs `make` and hands out the new vault.
///
/// # Safety
/// Each pointer is NULL or valid as the export's C contract says.
unsafe fn vault_from(
    client: *const oas_client,
    arg: *const c_char,
    arg_name: &str,
    vault_out: *mut *mut oas_vault,
    make: impl FnOnce(&oas_sdk::Client, &str) -> oas_sdk::Result<Vault>,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: the export's C contract for each pointer.
        let c = unsafe { client_ref(client)? };
        // SAFETY: as above.
        let arg = unsafe { try_str(arg, arg_name)? };
        // SAFETY: as above.
        let out = unsafe { try_out(vault_out, "vault_out")? };
        *out = oas_vault::new(make(&c.inner, arg)?).into_ptr();
        Ok(())
    })
}

/// Creates the vault `name` (or finds it when it already exists) and
/// describes it; `*vault_out` receives a handle to free with
/// `oas_vault_free`. A name outside the service's rules (3-63 of `a-z 0-9 _ -`,
/// starting and ending with a letter or digit) is `OAS_RESULT_INVALID_ARGUMENT`
/// before any request. The 11th vault of an account in a region is
/// `OAS_RESULT_QUOTA_EXCEEDED` (the service's `TooManyVaults`, HTTP 403).
/// Other codes: `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_TRANSPORT`, `OAS_RESULT_TIMEOUT`, `OAS_RESULT_SERVER`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_create(
    client: *const oas_client,
    name: *const c_char,
    vault_out: *mut *mut oas_vault,
) -> oas_result {
    // SAFETY: the pointers are passed on under the same contract.
    unsafe { vault_from(client, name, "name", vault_out, Vault::create) }
}

/// The vault with id `vault_id` into `*vault_out` (free with `oas_vault_free`).
/// Codes as for `oas_vault_create`; an unknown id is `OAS_RESULT_NOT_FOUND`
/// (HTTP 404 `VaultNotExists`).
#[no_mangle]
pub unsafe extern "C" fn oas_vault_get_by_id(
    client: *const oas_client,
    vault_id: *const c_char,
    vault_out: *mut *mut oas_vault,
) -> oas_result {
    // SAFETY: the pointers are passed on under the same contract.
    unsafe { vault_from(client, vault_id, "vault_id", vault_out, Vault::get_by_id) }
}

/// The vault named `name` (found by listing all vaults) into `*vault_out`.
/// No such vault is `OAS_RESULT_NOT_FOUND` (the message says
/// `Vault not exists: <name>`; no HTTP status, as no request failed). Other
/// codes as for `oas_vault_create`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_get_by_name(
    client: *const oas_client,
    name: *const c_char,
    vault_out: *mut *mut oas_vault,
) -> oas_result {
    // SAFETY: the pointers are passed on under the same contract.
    unsafe { vault_from(client, name, "name", vault_out, Vault::get_by_name) }
}

/// Deletes the (empty) vault with id `vault_id`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_delete_by_id(
    client: *const oas_client,
    vault_id: *const c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let c = unsafe { client_ref(client)? };
        // SAFETY: NULL or valid as the C contract says.
        let id = unsafe { try_str(vault_id, "vault_id")? };
        Ok(Vault::delete_by_id(&c.inner, id)?)
    })
}

/// Deletes the (empty) vault named `name`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_delete_by_name(
    client: *const oas_client,
    name: *const c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let c = unsafe { client_ref(client)? };
        // SAFETY: NULL or valid as the C contract says.
        let name = unsafe { try_str(name, "name")? };
        Ok(Vault::delete_by_name(&c.inner, name)?)
    })
}

/// Deletes this (empty) vault on the server; the handle must still be freed.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_delete(vault: *const oas_vault) -> oas_result {
    // SAFETY: NULL or a live vault (C contract).
    ffi_call(|| Ok(unsafe { try_ref(vault, "vault")? }.vault.delete()?))
}

/// Every vault of the account into `*list_out` (free with `oas_vault_list_free`).
#[no_mangle]
pub unsafe extern "C" fn oas_vault_list_all(
    client: *const oas_client,
    list_out: *mut *mut oas_vault_list,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let c = unsafe { client_ref(client)? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(list_out, "list_out")? };
        let items = Vault::list_all(&c.inner)?
            .into_iter()
            .map(oas_vault::new)
            .collect();
        *out = oas_vault_list { items }.into_ptr();
        Ok(())
    })
}

/// Number of vaults in the list (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn oas_vault_list_len(list: *const oas_vault_list) -> usize {
    // SAFETY: NULL or a live list (C contract).
    ffi_guard(0, || unsafe { list.as_ref() }.map_or(0, |l| l.items.len()))
}

/// The vault at `index`, borrowed from the list (valid until
/// `oas_vault_list_free`; never free it); NULL when out of range or NULL list.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_list_get(
    list: *const oas_vault_list,
    index: usize,
) -> *const oas_vault {
    ffi_guard(std::ptr::null(), || {
        // SAFETY: NULL or a live list (C contract).
        unsafe { list.as_ref() }
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), |v| v as *const oas_vault)
    })
}

/// Frees a vault list and the vaults borrowed from it. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_list_free(list: *mut oas_vault_list) {
    // SAFETY: NULL or a list from oas_vault_list_all not used again.
    ffi_guard((), || unsafe { oas_vault_list::free_ptr(list) })
}

/// Frees a vault handle (not one borrowed from a list). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_free(vault: *mut oas_vault) {
    // SAFETY: NULL or an owned vault handle not used again.
    ffi_guard((), || unsafe { oas_vault::free_ptr(vault) })
}

/// Reads the vault's description again. Strings borrowed from the handle
/// before this call are invalid afterwards.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_refresh(vault: *mut oas_vault) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { crate::try_mut(vault, "vault")? };
        let mut fresh = v.vault.clone();
        fresh.refresh()?;
        *v = oas_vault::new(fresh);
        Ok(())
    })
}

/// `VaultId`, borrowed from the handle; "" for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_id(vault: *const oas_vault) -> *const c_char {
    oas_vault::str_at(vault, 0)
}

/// `VaultName`, borrowed from the handle; "" for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_name(vault: *const oas_vault) -> *const c_char {
    oas_vault::str_at(vault, 1)
}

/// `CreationDate` (RFC 1123), borrowed from the handle; "" for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_creation_date(vault: *const oas_vault) -> *const c_char {
    oas_vault::str_at(vault, 2)
}

/// `LastInventoryDate` (RFC 1123, empty before the first inventory), borrowed
/// from the handle; "" for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_last_inventory_date(vault: *const oas_vault) -> *const c_char {
    oas_vault::str_at(vault, 3)
}

/// `NumberOfArchives` as of the last inventory; -1 for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_number_of_archives(vault: *const oas_vault) -> i64 {
    ffi_guard(-1, || {
        // SAFETY: NULL or a live vault (C contract).
        unsafe { vault.as_ref() }.map_or(-1, |v| v.vault.number_of_archives())
    })
}

/// `SizeInBytes` as of the last inventory; -1 for a NULL handle.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_size(vault: *const oas_vault) -> i64 {
    ffi_guard(-1, || {
        // SAFETY: NULL or a live vault (C contract).
        unsafe { vault.as_ref() }.map_or(-1, |v| v.vault.size())
    })
}

/// Uploads the file at `path` (one request up to the upload threshold,
/// parallel multipart above) with an optional `description` (NULL for none)
/// and options (`opts` NULL = the client's settings, no progress callback).
/// On success `*archive_id_out` receives the archive id, to free with
/// `oas_string_free`.
///
/// When a multipart upload was started and the call then fails or is
/// cancelled, the upload stays on the server and `oas_error_upload_id()` of
/// the error gives its id: `oas_vault_recover_uploader` + `oas_uploader_resume`
/// continue it.
///
/// Codes: `OAS_RESULT_NULL_ARGUMENT`, `OAS_RESULT_INVALID_UTF8`,
/// `OAS_RESULT_INVALID_ARGUMENT` (empty path, empty file, bad part size or
/// workers, bad `opts->size`), `OAS_RESULT_IO` (missing file),
/// `OAS_RESULT_CANCELLED` (the callback stopped it), `OAS_RESULT_UPLOAD_FAILED`
/// (a part failed after retries), `OAS_RESULT_HASH_MISMATCH`,
/// `OAS_RESULT_NOT_FOUND` (no such vault), `OAS_RESULT_TRANSPORT`,
/// `OAS_RESULT_TIMEOUT`, `OAS_RESULT_SERVER`, `OAS_RESULT_PROTOCOL`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_upload_archive(
    vault: *const oas_vault,
    path: *const c_char,
    description: *const c_char,
    opts: *const oas_upload_options,
    archive_id_out: *mut *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let path = unsafe { try_path(path, "path")? };
        // SAFETY: NULL or valid as the C contract says.
        let desc = unsafe { try_opt_str(description, "description")? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(archive_id_out, "archive_id_out")? };
        // SAFETY: NULL or an initialised options struct (C contract).
        let o = unsafe { upload_options(opts)? };
        let id = o.run(|o| v.vault.upload_archive_with(path, desc, o))?;
        *out = into_owned_cstr(&id);
        Ok(())
    })
}

/// Uploads everything readable from the file descriptor `fd` (a pipe or any
/// stream; it is read to its end and not closed) as one archive, always as a
/// multipart upload. Memory grows to at most one part per worker
/// (`workers × part_size`, 64 MiB parts when `part_size` is 0). Arguments,
/// output and codes as for `oas_vault_upload_archive`; a negative `fd` is
/// `OAS_RESULT_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_upload_fd(
    vault: *const oas_vault,
    fd: c_int,
    description: *const c_char,
    opts: *const oas_upload_options,
    archive_id_out: *mut *mut c_char,
) -> oas_result {
    let stream = || {
        if fd < 0 {
            return Err(FfiError::invalid(format!("`fd` {fd} is not a descriptor")));
        }
        // SAFETY: a non-negative descriptor the caller keeps open for the
        // call; ManuallyDrop leaves it open (the caller closes it).
        Ok(FdReader(ManuallyDrop::new(unsafe {
            File::from_raw_fd(fd)
        })))
    };
    // SAFETY: the pointers are NULL or valid as the C contract says.
    unsafe { upload_stream(vault, stream, description, opts, archive_id_out) }
}

/// A caller's descriptor as an `io::Read`, left open when dropped.
struct FdReader(ManuallyDrop<File>);

impl std::io::Read for FdReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

/// The shared body of the stream uploads (`oas_vault_upload_fd`,
/// `oas_vault_upload_callback`): checks the arguments in the order of the C
/// signature (`stream` makes the reader, checking its own arguments), then
/// uploads everything the reader delivers as one archive.
///
/// # Safety
/// Each pointer is NULL or valid as the export's C contract says.
unsafe fn upload_stream<R: std::io::Read>(
    vault: *const oas_vault,
    stream: impl FnOnce() -> super::FfiResult<R>,
    description: *const c_char,
    opts: *const oas_upload_options,
    archive_id_out: *mut *mut c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        let reader = stream()?;
        // SAFETY: NULL or valid as the C contract says.
        let desc = unsafe { try_opt_str(description, "description")? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(archive_id_out, "archive_id_out")? };
        // SAFETY: NULL or an initialised options struct (C contract).
        let o = unsafe { upload_options(opts)? };
        let id = o.run(|o| v.vault.upload_reader(reader, desc, o))?;
        *out = into_owned_cstr(&id);
        Ok(())
    })
}

/// An upload's read callback: fills up to `len` bytes at `buf` and returns
/// how many it wrote, 0 at the end of the stream, or a negative value for an
/// error (the upload then fails with `OAS_RESULT_IO`). Short reads are fine.
/// Called on the thread that called `oas_vault_upload_callback`, one call at
/// a time.
pub type oas_read_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, buf: *mut u8, len: usize) -> i64>;

/// A C read callback as an `io::Read`.
struct CReader {
    f: unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> i64,
    userdata: *mut c_void,
}

impl std::io::Read for CReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: a C function pointer given for this use; `buf` is writable
        // for `buf.len()` bytes during the call.
        let n = unsafe { (self.f)(self.userdata, buf.as_mut_ptr(), buf.len()) };
        match usize::try_from(n) {
            Ok(n) if n <= buf.len() => Ok(n),
            Ok(n) => Err(std::io::Error::other(format!(
                "the read callback returned {n}, more than the {} bytes asked for",
                buf.len()
            ))),
            Err(_) => Err(std::io::Error::other(format!(
                "the read callback failed (returned {n})"
            ))),
        }
    }
}

/// Uploads everything the read callback `read` delivers (with `userdata`),
/// up to its end, as one archive: a stream of unknown length (a language
/// binding's file object, a compressor or encryption pipeline), always as a
/// multipart upload with the same digests, retries and memory bound as
/// `oas_vault_upload_fd` (at most one part per worker). `description` may be
/// NULL; `opts` (NULL = defaults) as for `oas_vault_upload_archive`. On
/// success `*archive_id_out` receives the archive id (free with
/// `oas_string_free`).
///
/// Returns as `oas_vault_upload_fd`; `OAS_RESULT_NULL_ARGUMENT` for a NULL
/// `read`, `OAS_RESULT_IO` when the callback returned a negative value (the
/// upload's id is then in `oas_error_upload_id`).
#[no_mangle]
pub unsafe extern "C" fn oas_vault_upload_callback(
    vault: *const oas_vault,
    read: oas_read_fn,
    userdata: *mut c_void,
    description: *const c_char,
    opts: *const oas_upload_options,
    archive_id_out: *mut *mut c_char,
) -> oas_result {
    let stream = || {
        let f = read.ok_or_else(|| FfiError::null("read"))?;
        Ok(CReader { f, userdata })
    };
    // SAFETY: the pointers are NULL or valid as the C contract says.
    unsafe { upload_stream(vault, stream, description, opts, archive_id_out) }
}

/// Starts a multipart upload for the file at `path`; `*uploader_out`
/// receives an uploader to send it with `oas_uploader_start` (free with
/// `oas_uploader_free`). Its part size is `opts->part_size`, else the
/// client's `part_size`, else the SDK rule (needs at least 64 MiB); the other
/// fields of `opts` belong to `oas_uploader_start`. `opts` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_initiate_uploader(
    vault: *const oas_vault,
    path: *const c_char,
    description: *const c_char,
    opts: *const oas_upload_options,
    uploader_out: *mut *mut oas_uploader,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let path = unsafe { try_path(path, "path")? };
        // SAFETY: NULL or valid as the C contract says.
        let desc = unsafe { try_opt_str(description, "description")? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(uploader_out, "uploader_out")? };
        // SAFETY: NULL or an initialised options struct (C contract).
        let o = unsafe { upload_options(opts)? };
        let uploader = v.vault.initiate_uploader_with(path, desc, &o.options)?;
        *out = oas_uploader::new(uploader).into_ptr();
        Ok(())
    })
}

/// The multipart upload `upload_id` of this vault, to continue with
/// `oas_uploader_resume`; free with `oas_uploader_free`.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_recover_uploader(
    vault: *const oas_vault,
    upload_id: *const c_char,
    uploader_out: *mut *mut oas_uploader,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let id = unsafe { try_str(upload_id, "upload_id")? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(uploader_out, "uploader_out")? };
        *out = oas_uploader::new(v.vault.recover_uploader(id)?).into_ptr();
        Ok(())
    })
}

/// Every multipart upload in progress in this vault into `*list_out` (free
/// with `oas_uploader_list_free`).
#[no_mangle]
pub unsafe extern "C" fn oas_vault_list_all_multipart_uploads(
    vault: *const oas_vault,
    list_out: *mut *mut oas_uploader_list,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let out = unsafe { try_out(list_out, "list_out")? };
        let items = v.vault.list_all_multipart_uploads()?;
        *out = oas_uploader_list::new(items).into_ptr();
        Ok(())
    })
}

/// Deletes the archive `archive_id` of this vault.
#[no_mangle]
pub unsafe extern "C" fn oas_vault_delete_archive(
    vault: *const oas_vault,
    archive_id: *const c_char,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or valid as the C contract says.
        let v = unsafe { try_ref(vault, "vault")? };
        // SAFETY: NULL or valid as the C contract says.
        let id = unsafe { try_str(archive_id, "archive_id")? };
        Ok(v.vault.delete_archive(id)?)
    })
}
