//! The inventory iterator for C: opens a downloaded inventory file and walks
//! its `ArchiveList` one entry at a time (bounded memory, see
//! [`crate::inventory`]).

use super::result::*;
use super::{cstring_lossy, ffi_call, ffi_guard, try_out, try_path, BoxHandle, FfiError};
use crate::inventory::{Inventory, InventoryArchives};
use std::ffi::{c_char, CString};

/// An open inventory and its position in `ArchiveList`. Create with
/// `oas_inventory_open`, free with `oas_inventory_free`. Use from one thread
/// at a time (it may be moved between threads).
pub struct oas_inventory {
    vault_id: CString,
    date: CString,
    archives: InventoryArchives,
    current: oas_inventory_archive,
}

impl BoxHandle for oas_inventory {}

/// One entry of `ArchiveList`, borrowed from its `oas_inventory` and valid
/// until the next `oas_inventory_next` or `oas_inventory_free`.
pub struct oas_inventory_archive {
    archive_id: CString,
    description: CString,
    creation_date: CString,
    tree_etag: CString,
    size: u64,
}

/// Opens the inventory JSON at `path` (as written by `oas_job_download_to_file`
/// for an inventory job) and reads its `VaultId` and `InventoryDate`. On
/// success writes the handle to `*inventory_out`.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT` / `OAS_RESULT_INVALID_UTF8`
/// / `OAS_RESULT_INVALID_ARGUMENT` (an empty path) for bad arguments;
/// `OAS_RESULT_IO` when the file cannot be read; `OAS_RESULT_PROTOCOL` when it
/// is not an inventory.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_open(
    path: *const c_char,
    inventory_out: *mut *mut oas_inventory,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a NUL-terminated string (C contract).
        let path = unsafe { try_path(path, "path")? };
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(inventory_out, "inventory_out")? };
        let inv = Inventory::open(std::path::Path::new(path))?;
        let archives = inv.archives()?;
        *out = oas_inventory {
            vault_id: cstring_lossy(inv.vault_id()),
            date: cstring_lossy(inv.inventory_date()),
            archives,
            current: oas_inventory_archive {
                archive_id: CString::default(),
                description: CString::default(),
                creation_date: CString::default(),
                tree_etag: CString::default(),
                size: 0,
            },
        }
        .into_ptr();
        Ok(())
    })
}

/// `VaultId` of the inventory, borrowed from the handle; "" for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_vault_id(inventory: *const oas_inventory) -> *const c_char {
    ffi_guard(c"".as_ptr(), || {
        // SAFETY: NULL or a live inventory (C contract).
        unsafe { inventory.as_ref() }.map_or(c"".as_ptr(), |i| i.vault_id.as_ptr())
    })
}

/// `InventoryDate` (RFC 1123), borrowed from the handle; "" for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_date(inventory: *const oas_inventory) -> *const c_char {
    ffi_guard(c"".as_ptr(), || {
        // SAFETY: NULL or a live inventory (C contract).
        unsafe { inventory.as_ref() }.map_or(c"".as_ptr(), |i| i.date.as_ptr())
    })
}

/// Advances to the next archive. On `OAS_RESULT_OK`, `*archive_out` is the
/// entry (borrowed, valid until the next call or `oas_inventory_free`) or NULL
/// at the end of the list.
///
/// Returns `OAS_RESULT_OK`; `OAS_RESULT_NULL_ARGUMENT`; `OAS_RESULT_IO` or
/// `OAS_RESULT_PROTOCOL` for a read error or malformed entry (the iteration
/// then ends).
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_next(
    inventory: *mut oas_inventory,
    archive_out: *mut *const oas_inventory_archive,
) -> oas_result {
    ffi_call(|| {
        // SAFETY: NULL or a live inventory used by one thread (C contract).
        let inv = unsafe { oas_inventory::try_mut(inventory, "inventory")? };
        // SAFETY: NULL or a writable slot (C contract).
        let out = unsafe { try_out(archive_out, "archive_out")? };
        match inv.archives.next() {
            None => *out = std::ptr::null(),
            Some(Err(e)) => return Err(FfiError::from(e)),
            Some(Ok(a)) => {
                inv.current = oas_inventory_archive {
                    archive_id: cstring_lossy(&a.archive_id),
                    description: cstring_lossy(&a.archive_description),
                    creation_date: cstring_lossy(&a.creation_date),
                    tree_etag: cstring_lossy(&a.tree_etag),
                    size: a.size,
                };
                *out = &inv.current;
            }
        }
        Ok(())
    })
}

/// # Safety
/// `a` is NULL or a live entry from `oas_inventory_next`.
unsafe fn archive_str(
    a: *const oas_inventory_archive,
    f: fn(&oas_inventory_archive) -> &CString,
) -> *const c_char {
    ffi_guard(c"".as_ptr(), || {
        // SAFETY: the C contract: NULL or a pointer from oas_inventory_next.
        unsafe { a.as_ref() }.map_or(c"".as_ptr(), |a| f(a).as_ptr())
    })
}

/// `ArchiveId` of the entry, borrowed; "" for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_archive_id(
    archive: *const oas_inventory_archive,
) -> *const c_char {
    // SAFETY: NULL or a live entry (C contract).
    unsafe { archive_str(archive, |a| &a.archive_id) }
}

/// `ArchiveDescription` of the entry, borrowed; "" for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_archive_description(
    archive: *const oas_inventory_archive,
) -> *const c_char {
    // SAFETY: NULL or a live entry (C contract).
    unsafe { archive_str(archive, |a| &a.description) }
}

/// `CreationDate` of the entry (RFC 1123), borrowed; "" for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_archive_creation_date(
    archive: *const oas_inventory_archive,
) -> *const c_char {
    // SAFETY: NULL or a live entry (C contract).
    unsafe { archive_str(archive, |a| &a.creation_date) }
}

/// `TreeEtag` of the entry, borrowed; "" for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_archive_tree_etag(
    archive: *const oas_inventory_archive,
) -> *const c_char {
    // SAFETY: NULL or a live entry (C contract).
    unsafe { archive_str(archive, |a| &a.tree_etag) }
}

/// `Size` of the entry in bytes; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_archive_size(archive: *const oas_inventory_archive) -> u64 {
    ffi_guard(0, || {
        // SAFETY: the C contract: NULL or a pointer from oas_inventory_next.
        unsafe { archive.as_ref() }.map_or(0, |a| a.size)
    })
}

/// Closes an inventory; NULL is a no-op. Entries obtained from it become invalid.
#[no_mangle]
pub unsafe extern "C" fn oas_inventory_free(inventory: *mut oas_inventory) {
    // SAFETY: NULL or an inventory from oas_inventory_open not used again.
    ffi_guard((), || unsafe { oas_inventory::free_ptr(inventory) })
}
