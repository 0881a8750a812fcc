"""The SDK's utilities (`oas.ease.utils`); digests are computed by liboas.

Digests are 32 upper-case hex characters (content etag = MD5; tree etag =
the OAS 1 MiB MD5 tree). `size=None` (or 0, as in the original) means "from
`offset` to the end". `chunk_size` is accepted for compatibility: the library
reads in its own buffer sizes.
"""

import io
import os
import stat
from ctypes import c_char_p, create_string_buffer

from .. import _lib

L = _lib.LIB
_MIB = 1 << 20


def is_file_like(obj):
    """True when `obj` has a callable `read`."""
    return callable(getattr(obj, "read", None))


def content_length(content):
    """Length of bytes/str, of a file object (from its position to its end), or
    of anything with `len` or `getvalue`; ValueError otherwise."""
    if hasattr(content, "__len__"):
        return len(content)
    if hasattr(content, "len"):
        return content.len
    if hasattr(content, "fileno"):
        try:
            fd = content.fileno()
        except (io.UnsupportedOperation, OSError, ValueError):
            pass
        else:
            return os.fstat(fd).st_size - content.tell()
    if hasattr(content, "getvalue"):
        return len(content.getvalue())
    if hasattr(content, "seek") and hasattr(content, "tell"):
        pos = content.tell()
        end = content.seek(0, os.SEEK_END)
        content.seek(pos)
        return end - pos
    raise ValueError("Unsupported content type")


def open_file(file_path=None, file_obj=None, mode="rb"):
    """`file_obj` when given, else `open(file_path, mode)`."""
    if file_path is None and file_obj is None:
        raise ValueError("Either file_path or file_obj should be provided.")
    if file_obj is not None:
        return file_obj
    try:
        return open(file_path, mode)
    except Exception:
        raise IOError("Failed to open file: %s" % file_path)


def range_size(byte_range):
    """Bytes in the inclusive range (start, end)."""
    return byte_range[1] - byte_range[0] + 1


def calc_num_part(part_size, size_total):
    """Number of `part_size` parts covering `size_total` bytes."""
    if part_size <= 0:
        raise ValueError("part_size must be positive")
    return -(-int(size_total) // int(part_size))


def calc_ranges(part_size, size_total):
    """The inclusive (start, end) ranges of `part_size` parts of `size_total` bytes."""
    n = calc_num_part(part_size, size_total)
    return [(i * part_size, min((i + 1) * part_size, size_total) - 1) for i in range(n)]


# --- digests ------------------------------------------------------------------
def _bufs():
    return create_string_buffer(_lib.DIGEST_BUF_LEN), create_string_buffer(_lib.DIGEST_BUF_LEN)


def _as_bytes(content):
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode("utf-8")
    return bytes(content)


def _hash_buffer(content):
    data = _as_bytes(content)
    etag, tree = _bufs()
    _lib.check(L.oas_etag_compute_buffer, data, len(data), etag, tree)
    return etag.value.decode(), tree.value.decode()


def _size_arg(size):
    return _lib.SIZE_TO_END if not size else int(size)


def _hash_file(file_path, offset, size):
    etag, tree = _bufs()
    _lib.check(L.oas_etag_compute_file, _lib.enc(file_path, "file_path"), int(offset),
               _size_arg(size), etag, tree)
    return etag.value.decode(), tree.value.decode()


def _regular_fd(file_obj):
    try:
        fd = file_obj.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (AttributeError, io.UnsupportedOperation, OSError, ValueError):
        return None


def _hash_file_obj(file_obj, offset, size, chunk_size):
    fd = _regular_fd(file_obj)
    if fd is not None:
        flush = getattr(file_obj, "flush", None)
        if callable(flush) and getattr(file_obj, "writable", lambda: False)():
            flush()
        etag, tree = _bufs()
        _lib.check(L.oas_etag_compute_fd, fd, int(offset), _size_arg(size), etag, tree)
        return etag.value.decode(), tree.value.decode()
    # Any other readable object: stream it through the library's hasher.
    pos = file_obj.tell() if hasattr(file_obj, "tell") else None
    h = L.oas_etag_new()
    if not h:
        raise MemoryError("oas_etag_new")
    try:
        if offset or pos is not None:
            file_obj.seek(offset)
        left = int(size) if size else None
        step = int(chunk_size or _MIB)
        while left is None or left > 0:
            data = file_obj.read(step if left is None else min(step, left))
            if not data:
                break
            data = _as_bytes(data)
            _lib.check(L.oas_etag_update, h, data, len(data))
            if left is not None:
                left -= len(data)
        if left:
            raise ValueError("range past the end of the file object (%d bytes missing)" % left)
        etag, tree = _bufs()
        _lib.check(L.oas_etag_finish, h, etag, tree)
        return etag.value.decode(), tree.value.decode()
    finally:
        L.oas_etag_free(h)
        if pos is not None:
            file_obj.seek(pos)


def compute_etag_from_string(content):
    """Content etag of a string (str is hashed as UTF-8) or bytes."""
    return _hash_buffer(content)[0]


def compute_tree_etag_from_string(content):
    """Tree etag of a string or bytes ("" for empty input)."""
    return _hash_buffer(content)[1]


def compute_etag_from_file(file_path, offset=0, size=None, chunk_size=_MIB):
    return _hash_file(file_path, offset, size)[0]


def compute_etag_from_file_obj(file_obj, offset=0, size=None, chunk_size=_MIB):
    return _hash_file_obj(file_obj, offset, size, chunk_size)[0]


def compute_tree_etag_from_file(file_path, offset=0, size=None, chunk_size=_MIB):
    return _hash_file(file_path, offset, size)[1]


def compute_tree_etag_from_file_obj(file_obj, offset=0, size=None, chunk_size=_MIB):
    return _hash_file_obj(file_obj, offset, size, chunk_size)[1]


def compute_hash_from_file(file_path, offset=0, size=None, chunk_size=_MIB):
    """(etag, tree_etag) of the file, from one read."""
    return _hash_file(file_path, offset, size)


def compute_hash_from_file_obj(file_obj, offset=0, size=None, chunk_size=_MIB):
    """(etag, tree_etag) of the file object, from one read."""
    return _hash_file_obj(file_obj, offset, size, chunk_size)


def compute_combine_tree_etag_from_list(tree_etag_list):
    """Tree etag of consecutive parts from their tree etags (in order)."""
    items = [_lib.enc(t, "tree etag") for t in tree_etag_list]
    arr = (c_char_p * max(1, len(items)))(*items)
    out = create_string_buffer(_lib.DIGEST_BUF_LEN)
    _lib.check(L.oas_tree_etag_combine, arr, len(items), out)
    return out.value.decode()
