"""Every ctypes prototype of liboas, in one place (the C API is `include/oas.h`).

The rest of the package calls the library only through this module: `LIB`
(the loaded `liboas.so` with argtypes/restype set), the structures, the
callback types, and a few helpers (`call`, `check`, `text`).

The library is loaded with `ctypes.CDLL`, so the GIL is released during every
foreign call: callbacks that the library makes from its own threads (log,
progress) can take the GIL while the calling thread waits inside the library.
"""

import ctypes
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_bool, c_char_p, c_int, c_int64,
                    c_size_t, c_uint16, c_uint32, c_uint64, c_void_p)

_HERE = os.path.dirname(os.path.abspath(__file__))


def _library_path():
    """The bundled liboas.so, or the file named by $OAS_LIB (a development override)."""
    override = os.environ.get("OAS_LIB")
    if override:
        return os.path.abspath(override)
    return os.path.join(_HERE, "liboas.so")


LIB_PATH = _library_path()
try:
    LIB = ctypes.CDLL(LIB_PATH)
except OSError as e:  # pragma: no cover - a broken install
    raise ImportError("oas: cannot load the liboas library %s: %s (install the wheel, or set "
                      "OAS_LIB to a built liboas.so)" % (LIB_PATH, e))

# --- constants (oas.h) --------------------------------------------------------
DIGEST_BUF_LEN = 33
SIZE_TO_END = (1 << 64) - 1

LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE = 1, 2, 3, 4, 5

OK = 0
INVALID_ARGUMENT = 100
NULL_ARGUMENT = 101
INVALID_UTF8 = 102
BUFFER_TOO_SMALL = 103
IO = 200
TRANSPORT = 300
TIMEOUT = 301
SERVER = 400
PROTOCOL = 401
NOT_FOUND = 402
QUOTA_EXCEEDED = 403
HASH_MISMATCH = 500
UPLOAD_FAILED = 600
DOWNLOAD_FAILED = 601
JOB_NOT_READY = 602
JOB_FAILED = 603
WAIT_TIMEOUT = 604
INVALID_STATE = 605
CANCELLED = 700
PANIC = 900
INTERNAL = 901

# --- types --------------------------------------------------------------------
oas_result = c_uint32
PROGRESS_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)
LOG_FN = CFUNCTYPE(None, c_void_p, c_uint32, c_char_p, c_char_p)
READ_FN = CFUNCTYPE(c_int64, c_void_p, c_void_p, c_size_t)    # oas_read_fn
WRITE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)     # oas_write_fn


class ClientOptions(Structure):
    _fields_ = [
        ("size", c_uint64),
        ("endpoint", c_char_p),
        ("access_id", c_char_p),
        ("access_key", c_char_p),
        ("connect_timeout_ms", c_uint64),
        ("read_timeout_ms", c_uint64),
        ("retry_base_delay_ms", c_uint64),
        ("retry_max_delay_ms", c_uint64),
        ("retry_max_attempts", c_uint32),
        ("workers", c_uint32),
        ("upload_threshold", c_uint64),
        ("part_size", c_uint64),
        ("download_range_size", c_uint64),
        ("bandwidth_limit", c_uint64),
        ("proxy", c_char_p),
        ("ca_file", c_char_p),
        ("user_agent", c_char_p),
        ("verify_tls", c_int),
        ("protocol_version", c_char_p),
        ("oss_host", c_char_p),
    ]


class UploadOptions(Structure):
    _fields_ = [
        ("size", c_uint64),
        ("part_size", c_uint64),
        ("upload_threshold", c_uint64),
        ("bandwidth_limit", c_uint64),
        ("workers", c_uint32),
        ("progress", PROGRESS_FN),
        ("userdata", c_void_p),
    ]


class DownloadOptions(Structure):
    _fields_ = [
        ("size", c_uint64),
        ("range_size", c_uint64),
        ("bandwidth_limit", c_uint64),
        ("workers", c_uint32),
        ("wait_first_interval_ms", c_uint64),
        ("wait_max_interval_ms", c_uint64),
        ("wait_timeout_ms", c_uint64),
        ("progress", PROGRESS_FN),
        ("userdata", c_void_p),
    ]


class PurgeOptions(Structure):
    _fields_ = [
        ("size", c_uint64),
        ("workers", c_uint32),
        ("max_inventory_age_s", c_uint64),
        ("wait_first_interval_ms", c_uint64),
        ("wait_max_interval_ms", c_uint64),
        ("wait_timeout_ms", c_uint64),
        ("work_dir", c_char_p),
        ("keep_vault", c_int),
        ("progress", PROGRESS_FN),
        ("userdata", c_void_p),
    ]


class PurgeReport(Structure):
    _fields_ = [
        ("size", c_uint64),
        ("uploads_aborted", c_uint64),
        ("archives_listed", c_uint64),
        ("archives_deleted", c_uint64),
        ("archives_already_gone", c_uint64),
        ("archives_failed", c_uint64),
        ("vault_deleted", c_uint32),
    ]


class ByteRange(Structure):
    _fields_ = [("start", c_uint64), ("end", c_uint64)]


def _proto(name, restype, *argtypes):
    fn = getattr(LIB, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


P = c_void_p        # every opaque handle
S = c_char_p        # every string argument (bytes) and borrowed string result
OUT_P = POINTER(c_void_p)
OUT_S = POINTER(c_void_p)   # char ** handed over: read, then oas_string_free
R = oas_result

# client, errors, strings, version, log
_proto("oas_client_options_init", R, POINTER(ClientOptions), c_size_t)
_proto("oas_upload_options_init", R, POINTER(UploadOptions), c_size_t)
_proto("oas_download_options_init", R, POINTER(DownloadOptions), c_size_t)
_proto("oas_client_new", R, POINTER(ClientOptions), OUT_P)
_proto("oas_client_free", None, P)
_proto("oas_region_endpoint", R, S, c_bool, c_bool, OUT_S)
_proto("oas_last_error", P)
_proto("oas_error_code", R, P)
_proto("oas_error_kind", c_uint32, P)
_proto("oas_error_http_status", c_uint16, P)
_proto("oas_error_message", S, P)
_proto("oas_error_server_code", S, P)
_proto("oas_error_server_type", S, P)
_proto("oas_error_request_id", S, P)
_proto("oas_error_header", S, P, S)
_proto("oas_error_server_message", S, P)
_proto("oas_error_header_count", c_size_t, P)
_proto("oas_error_header_name", S, P, c_size_t)
_proto("oas_error_header_value", S, P, c_size_t)
_proto("oas_error_upload_id", S, P)
_proto("oas_result_str", S, R)
_proto("oas_string_free", None, c_void_p)
_proto("oas_version", S)
_proto("oas_version_number", c_uint32)
_proto("oas_set_log_callback", R, LOG_FN, c_void_p, c_uint32)

# digests and ranges
_proto("oas_etag_new", P)
_proto("oas_etag_update", R, P, c_void_p, c_size_t)
_proto("oas_etag_finish", R, P, S, S)
_proto("oas_etag_free", None, P)
_proto("oas_etag_compute_buffer", R, c_void_p, c_size_t, S, S)
_proto("oas_etag_compute_file", R, S, c_uint64, c_uint64, S, S)
_proto("oas_etag_compute_fd", R, c_int, c_uint64, c_uint64, S, S)
_proto("oas_tree_etag_combine", R, POINTER(c_char_p), c_size_t, S)
_proto("oas_range_size", c_uint64, c_uint64, c_uint64)
_proto("oas_calc_num_part", R, c_uint64, c_uint64, POINTER(c_uint64))
_proto("oas_calc_ranges", R, c_uint64, c_uint64, POINTER(ByteRange), c_size_t, POINTER(c_size_t))

# vaults
_proto("oas_vault_create", R, P, S, OUT_P)
_proto("oas_vault_get_by_id", R, P, S, OUT_P)
_proto("oas_vault_get_by_name", R, P, S, OUT_P)
_proto("oas_vault_delete_by_id", R, P, S)
_proto("oas_vault_delete_by_name", R, P, S)
_proto("oas_vault_delete", R, P)
_proto("oas_vault_list_all", R, P, OUT_P)
_proto("oas_vault_list_len", c_size_t, P)
_proto("oas_vault_list_get", P, P, c_size_t)
_proto("oas_vault_list_free", None, P)
_proto("oas_vault_free", None, P)
_proto("oas_vault_refresh", R, P)
_proto("oas_vault_id", S, P)
_proto("oas_vault_name", S, P)
_proto("oas_vault_creation_date", S, P)
_proto("oas_vault_last_inventory_date", S, P)
_proto("oas_vault_number_of_archives", c_int64, P)
_proto("oas_vault_size", c_int64, P)
_proto("oas_vault_upload_archive", R, P, S, S, POINTER(UploadOptions), OUT_S)
_proto("oas_vault_upload_fd", R, P, c_int, S, POINTER(UploadOptions), OUT_S)
_proto("oas_vault_upload_callback", R, P, READ_FN, c_void_p, S, POINTER(UploadOptions), OUT_S)
_proto("oas_purge_options_init", R, POINTER(PurgeOptions), c_size_t)
_proto("oas_vault_purge", R, P, POINTER(PurgeOptions), POINTER(PurgeReport))
_proto("oas_vault_initiate_uploader", R, P, S, S, POINTER(UploadOptions), OUT_P)
_proto("oas_vault_recover_uploader", R, P, S, OUT_P)
_proto("oas_vault_list_all_multipart_uploads", R, P, OUT_P)
_proto("oas_vault_delete_archive", R, P, S)
_proto("oas_vault_get_job", R, P, S, OUT_P)
_proto("oas_vault_list_all_jobs", R, P, OUT_P)
_proto("oas_vault_retrieve_archive", R, P, S, S, POINTER(ByteRange), OUT_P)
_proto("oas_vault_retrieve_inventory", R, P, S, OUT_P)
_proto("oas_vault_pull_from_oss", R, P, S, S, S, S, OUT_P)
_proto("oas_vault_push_to_oss", R, P, S, S, S, S, S, OUT_P)

# uploaders
_proto("oas_uploader_list_len", c_size_t, P)
_proto("oas_uploader_list_get", P, P, c_size_t)
_proto("oas_uploader_list_free", None, P)
_proto("oas_uploader_free", None, P)
_proto("oas_uploader_id", S, P)
_proto("oas_uploader_description", S, P)
_proto("oas_uploader_creation_date", S, P)
_proto("oas_uploader_part_size", c_uint64, P)
_proto("oas_uploader_size_total", c_uint64, P)
_proto("oas_uploader_size_completed", c_uint64, P)
_proto("oas_uploader_start", R, P, POINTER(UploadOptions), OUT_S)
_proto("oas_uploader_resume", R, P, S, POINTER(UploadOptions), OUT_S)
_proto("oas_uploader_stop", None, P)
_proto("oas_uploader_cancel", R, P)

# jobs
_proto("oas_job_list_len", c_size_t, P)
_proto("oas_job_list_get", P, P, c_size_t)
_proto("oas_job_list_free", None, P)
_proto("oas_job_free", None, P)
for _f in ("id", "action", "archive_id", "creation_date", "completion_date", "description",
           "status_code", "status_message", "tree_etag", "etag", "content_etag", "vault_id"):
    _proto("oas_job_" + _f, S, P)
_proto("oas_job_archive_size", c_int64, P)
_proto("oas_job_inventory_size", c_int64, P)
_proto("oas_job_completed", c_bool, P)
_proto("oas_job_size_completed", c_uint64, P)
_proto("oas_job_retrieval_byte_range", R, P, POINTER(ByteRange))
_proto("oas_job_update_status", R, P)
_proto("oas_job_outcome", R, P)
_proto("oas_job_wait", R, P, c_uint64, c_uint64, c_uint64)
_proto("oas_job_cancel", None, P)
_proto("oas_job_download_by_range", R, P, POINTER(ByteRange), S, c_size_t, c_bool, POINTER(DownloadOptions))
_proto("oas_job_download_by_range_fd", R, P, POINTER(ByteRange), c_int, c_size_t, c_bool, POINTER(DownloadOptions))
_proto("oas_job_download_to_file", R, P, S, c_size_t, c_bool, POINTER(DownloadOptions))
_proto("oas_job_download_to_callback", R, P, POINTER(ByteRange), WRITE_FN, c_void_p, c_size_t, c_bool,
       POINTER(DownloadOptions))

NO_PROGRESS = PROGRESS_FN()  # a NULL progress callback


def upload_options(progress=None):
    """An oas_upload_options with the defaults and an optional PROGRESS_FN."""
    o = UploadOptions()
    LIB.oas_upload_options_init(byref(o), ctypes.sizeof(o))
    if progress is not None:
        o.progress = progress
    return o


def download_options(progress=None, first=0, most=0, timeout=0):
    """An oas_download_options: optional PROGRESS_FN, `block` poll schedule in ms."""
    o = DownloadOptions()
    LIB.oas_download_options_init(byref(o), ctypes.sizeof(o))
    if progress is not None:
        o.progress = progress
    o.wait_first_interval_ms, o.wait_max_interval_ms, o.wait_timeout_ms = first, most, timeout
    return o


# --- helpers ------------------------------------------------------------------
def enc(s, name="argument"):
    """A str/bytes/PathLike argument as bytes for the library; None stays None."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("utf-8", "surrogateescape")
    if hasattr(s, "__fspath__"):
        return os.fsencode(s)
    raise TypeError("%s must be a string, not %s" % (name, type(s).__name__))


def text(b):
    """A borrowed C string as str ("" for NULL)."""
    return b.decode("utf-8", "replace") if b else ""


def opt_text(b):
    """A borrowed C string as str, None when NULL or empty (the SDK's convention)."""
    return b.decode("utf-8", "replace") if b else None


def take_string(ptr):
    """A `char *` handed over by the library, as str; frees it."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8", "replace")
    finally:
        LIB.oas_string_free(ptr.value)


class ErrorInfo(object):
    """A snapshot of oas_last_error(), taken on the thread that made the call."""

    __slots__ = ("result", "kind", "http_status", "message", "server_message", "server_code",
                 "server_type", "request_id", "headers", "upload_id")

    def __init__(self, rc):
        e = LIB.oas_last_error()
        self.result = rc
        self.kind = LIB.oas_error_kind(e)
        self.http_status = LIB.oas_error_http_status(e)
        self.message = text(LIB.oas_error_message(e)) or text(LIB.oas_result_str(rc))
        self.server_code = text(LIB.oas_error_server_code(e))
        self.server_type = text(LIB.oas_error_server_type(e))
        self.server_message = text(LIB.oas_error_server_message(e))
        self.request_id = text(LIB.oas_error_request_id(e))
        self.upload_id = text(LIB.oas_error_upload_id(e)) or None
        self.headers = dict((text(LIB.oas_error_header_name(e, i)).lower(),
                             text(LIB.oas_error_header_value(e, i)))
                            for i in range(LIB.oas_error_header_count(e)))


def call(fn, *args, **kw):
    """Runs `fn(*args)` and returns (rc, ErrorInfo or None).

    With `cancel` (a no-argument function), the call runs on a helper thread so
    that a KeyboardInterrupt in the calling thread can stop it: `cancel()` is
    called, the call is awaited, and the KeyboardInterrupt is re-raised.
    """
    cancel = kw.get("cancel")
    if cancel is None:
        rc = fn(*args)
        return rc, (ErrorInfo(rc) if rc != OK else None)
    box = []
    done = threading.Event()

    def run():
        try:
            r = fn(*args)
            box.append((r, ErrorInfo(r) if r != OK else None))
        except BaseException as e:  # pragma: no cover - ctypes argument errors
            box.append(e)
        finally:
            done.set()

    # An Event, not Thread.join: in CPython 3.11 a KeyboardInterrupt inside
    # join() can mark a running thread as stopped (bpo-45274's fix), and the
    # call must be over before its handles may be freed.
    threading.Thread(target=run, name="oas-call", daemon=True).start()
    try:
        done.wait()
    except KeyboardInterrupt:
        cancel()
        while not done.wait(0.1):
            pass
        raise
    res = box[0]
    if isinstance(res, BaseException):
        raise res
    return res


def check(fn, *args, **kw):
    """Runs `fn(*args)` (see `call`) and raises the mapped exception on failure.

    `context` ("upload", "download" or None) selects the SDK exception for
    failures of the transfer itself.
    """
    context = kw.pop("context", None)
    rc, info = call(fn, *args, **kw)
    if rc != OK:
        from .ease.exceptions import from_error
        raise from_error(info, context)
    return rc


def version():
    return text(LIB.oas_version())
