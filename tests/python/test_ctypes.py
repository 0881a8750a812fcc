#!/usr/bin/env python3
"""ctypes test of liboas: loads the shared library by path (argv[1] or the
OAS_LIB environment variable) with dlopen, and checks the digests of temporary
files against an independent hashlib implementation of the OAS etags (spec §3).

Standard library only. Prints a final line "N passed, N failed".
"""

import ctypes
import hashlib
import os
import random
import sys
import tempfile
import unittest

MIB = 1 << 20
DIGEST_BUF_LEN = 33
SIZE_TO_END = (1 << 64) - 1
RESULT_OK = 0
RESULT_INVALID_ARGUMENT = 100
RESULT_NULL_ARGUMENT = 101
RESULT_IO = 200


def lib_path():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    path = args[0] if args else os.environ.get("OAS_LIB")
    if not path:
        sys.exit("usage: test_ctypes.py PATH/TO/liboas.so (or set OAS_LIB)")
    return path


LIB = ctypes.CDLL(os.path.abspath(lib_path()))
LIB.oas_etag_compute_file.argtypes = [ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint64,
                                      ctypes.c_char_p, ctypes.c_char_p]
LIB.oas_etag_compute_file.restype = ctypes.c_uint32
LIB.oas_etag_compute_buffer.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p]
LIB.oas_etag_compute_buffer.restype = ctypes.c_uint32
LIB.oas_etag_new.argtypes = []
LIB.oas_etag_new.restype = ctypes.c_void_p
LIB.oas_etag_update.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
LIB.oas_etag_update.restype = ctypes.c_uint32
LIB.oas_etag_finish.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
LIB.oas_etag_finish.restype = ctypes.c_uint32
LIB.oas_etag_free.argtypes = [ctypes.c_void_p]
LIB.oas_etag_free.restype = None
LIB.oas_tree_etag_combine.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.c_char_p]
LIB.oas_tree_etag_combine.restype = ctypes.c_uint32
LIB.oas_last_error.argtypes = []
LIB.oas_last_error.restype = ctypes.c_void_p
LIB.oas_error_message.argtypes = [ctypes.c_void_p]
LIB.oas_error_message.restype = ctypes.c_char_p
LIB.oas_error_code.argtypes = [ctypes.c_void_p]
LIB.oas_error_code.restype = ctypes.c_uint32
LIB.oas_version.restype = ctypes.c_char_p
LIB.oas_version_number.restype = ctypes.c_uint32
LIB.oas_client_options_init.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
LIB.oas_client_options_init.restype = ctypes.c_uint32
LIB.oas_upload_options_init.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
LIB.oas_upload_options_init.restype = ctypes.c_uint32
LIB.oas_result_str.argtypes = [ctypes.c_uint32]
LIB.oas_result_str.restype = ctypes.c_char_p
LIB.oas_error_dup.argtypes = [ctypes.c_void_p]
LIB.oas_error_dup.restype = ctypes.c_void_p
LIB.oas_error_free.argtypes = [ctypes.c_void_p]
LIB.oas_error_free.restype = None
RESULT_NOT_FOUND = 402


class UploadOptions(ctypes.Structure):
    """oas_upload_options of the 0.2 header."""
    _fields_ = [("size", ctypes.c_uint64), ("part_size", ctypes.c_uint64),
                ("upload_threshold", ctypes.c_uint64), ("bandwidth_limit", ctypes.c_uint64),
                ("workers", ctypes.c_uint32),
                ("progress", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)),
                ("userdata", ctypes.c_void_p)]


# --- independent reference (spec §3.1, §3.2) --------------------------------
def ref_etag(data):
    return hashlib.md5(data).hexdigest().upper()


def ref_combine(nodes):
    nodes = list(nodes)
    while len(nodes) > 1:
        nxt = []
        for i in range(0, len(nodes) - 1, 2):
            nxt.append(hashlib.md5((nodes[i] + nodes[i + 1]).encode("ascii")).hexdigest().upper())
        if len(nodes) % 2:
            nxt.append(nodes[-1])
        nodes = nxt
    return nodes[0] if nodes else ""


def ref_tree(data):
    return ref_combine(hashlib.md5(data[i:i + MIB]).hexdigest().upper() for i in range(0, len(data), MIB))


# --- library calls ----------------------------------------------------------
def last_error():
    return (LIB.oas_error_message(LIB.oas_last_error()) or b"").decode()


def lib_file(path, offset=0, size=SIZE_TO_END):
    etag = ctypes.create_string_buffer(DIGEST_BUF_LEN)
    tree = ctypes.create_string_buffer(DIGEST_BUF_LEN)
    rc = LIB.oas_etag_compute_file(os.fsencode(path), offset, size, etag, tree)
    if rc != RESULT_OK:
        raise RuntimeError("oas_etag_compute_file: %d: %s" % (rc, last_error()))
    return etag.value.decode(), tree.value.decode()


class Digests(unittest.TestCase):
    rng = random.Random(int(os.environ.get("OAS_TEST_SEED", "20140325")))

    def temp_with(self, data):
        f = tempfile.NamedTemporaryFile(delete=False)
        self.addCleanup(os.unlink, f.name)
        f.write(data)
        f.close()
        return f.name

    def check_size(self, size):
        data = self.rng.randbytes(size) if hasattr(self.rng, "randbytes") else os.urandom(size)
        path = self.temp_with(data)
        etag, tree = lib_file(path)
        self.assertEqual(etag, ref_etag(data), "etag of %d bytes" % size)
        self.assertEqual(tree, ref_tree(data), "tree etag of %d bytes" % size)
        return data, path

    def test_sizes(self):
        for size in (0, 1, MIB - 1, MIB, MIB + 1, 2 * MIB, 3 * MIB + 7, 5 * MIB, 7 * MIB + 12345):
            with self.subTest(size=size):
                self.check_size(size)

    def test_random_sizes(self):
        for _ in range(6):
            size = self.rng.randrange(0, 9 * MIB)
            with self.subTest(size=size):
                self.check_size(size)

    def test_empty_tree_etag_is_empty(self):
        path = self.temp_with(b"")
        self.assertEqual(lib_file(path), ("D41D8CD98F00B204E9800998ECF8427E", ""))

    def test_ranges_of_a_file(self):
        data, path = self.check_size(4 * MIB + 99)
        for offset, size in ((0, 1), (MIB - 5, MIB + 10), (3 * MIB, SIZE_TO_END), (len(data), 0)):
            end = len(data) if size == SIZE_TO_END else offset + size
            with self.subTest(offset=offset, size=size):
                self.assertEqual(lib_file(path, offset, size), (ref_etag(data[offset:end]), ref_tree(data[offset:end])))

    def test_streaming_and_buffer(self):
        data = self.rng.randbytes(3 * MIB + 5) if hasattr(self.rng, "randbytes") else os.urandom(3 * MIB + 5)
        h = LIB.oas_etag_new()
        self.assertTrue(h)
        try:
            pos = 0
            for step in (1, 999, MIB + 3, 77777, 10 * MIB):
                self.assertEqual(LIB.oas_etag_update(h, data[pos:pos + step], len(data[pos:pos + step])), RESULT_OK)
                pos += step
            etag = ctypes.create_string_buffer(DIGEST_BUF_LEN)
            tree = ctypes.create_string_buffer(DIGEST_BUF_LEN)
            self.assertEqual(LIB.oas_etag_finish(h, etag, tree), RESULT_OK)
        finally:
            LIB.oas_etag_free(h)
        self.assertEqual((etag.value.decode(), tree.value.decode()), (ref_etag(data), ref_tree(data)))
        buf_tree = ctypes.create_string_buffer(DIGEST_BUF_LEN)
        self.assertEqual(LIB.oas_etag_compute_buffer(data, len(data), None, buf_tree), RESULT_OK)
        self.assertEqual(buf_tree.value.decode(), ref_tree(data))

    def test_combine_parts(self):
        data = self.rng.randbytes(6 * MIB + 1) if hasattr(self.rng, "randbytes") else os.urandom(6 * MIB + 1)
        for part in (MIB, 2 * MIB, 3 * MIB):
            parts = [ref_tree(data[i:i + part]).encode() for i in range(0, len(data), part)]
            arr = (ctypes.c_char_p * len(parts))(*parts)
            out = ctypes.create_string_buffer(DIGEST_BUF_LEN)
            self.assertEqual(LIB.oas_tree_etag_combine(arr, len(parts), out), RESULT_OK)
            self.assertEqual(out.value.decode(), ref_combine(p.decode() for p in parts))
            # Power-of-two MiB parts give the whole tree etag (spec §3.3).
            if part in (MIB, 2 * MIB):
                self.assertEqual(out.value.decode(), ref_tree(data))

    def test_errors(self):
        etag = ctypes.create_string_buffer(DIGEST_BUF_LEN)
        rc = LIB.oas_etag_compute_file(b"/nonexistent/oas", 0, SIZE_TO_END, etag, None)
        self.assertEqual(rc, RESULT_IO)
        self.assertIn("/nonexistent/oas", last_error())
        path = self.temp_with(b"abc")
        self.assertEqual(LIB.oas_etag_compute_file(os.fsencode(path), 2, 5, etag, None), RESULT_INVALID_ARGUMENT)
        self.assertIn("past the end", last_error())
        self.assertEqual(LIB.oas_etag_compute_file(None, 0, 0, etag, None), RESULT_NULL_ARGUMENT)
        self.assertEqual(LIB.oas_error_code(LIB.oas_last_error()), RESULT_NULL_ARGUMENT)

    def test_version(self):
        v = LIB.oas_version().decode()
        major, minor, patch = (int(x) for x in v.split("."))
        self.assertEqual(LIB.oas_version_number(), major * 10000 + minor * 100 + patch)


class OptionsAndErrors(unittest.TestCase):
    def test_options_init_writes_only_the_callers_bytes(self):
        buf = (ctypes.c_ubyte * 128)(*([0xA5] * 128))
        # A caller that knows only size, endpoint, access_id, access_key.
        self.assertEqual(LIB.oas_client_options_init(buf, 32), RESULT_OK)
        self.assertEqual(int.from_bytes(bytes(buf[0:8]), "little"), 32)
        self.assertEqual(bytes(buf[8:32]), bytes(24))
        self.assertEqual(bytes(buf[32:]), bytes([0xA5] * 96))
        # Too small for the four first fields: refused, nothing written.
        buf2 = (ctypes.c_ubyte * 64)(*([0xA5] * 64))
        self.assertEqual(LIB.oas_client_options_init(buf2, 24), RESULT_INVALID_ARGUMENT)
        self.assertEqual(bytes(buf2), bytes([0xA5] * 64))
        self.assertIn("oas_client_options_init", last_error())

    def test_upload_options_struct_matches_the_header(self):
        o = UploadOptions()
        ctypes.memset(ctypes.byref(o), 0xA5, ctypes.sizeof(o))
        self.assertEqual(LIB.oas_upload_options_init(ctypes.byref(o), ctypes.sizeof(o)), RESULT_OK)
        self.assertEqual(o.size, ctypes.sizeof(o))
        self.assertEqual((o.part_size, o.upload_threshold, o.workers, o.userdata), (0, 0, 0, None))
        self.assertFalse(o.progress)

    def test_not_found_and_kept_errors(self):
        self.assertEqual(LIB.oas_result_str(RESULT_NOT_FOUND), b"not found")
        etag = ctypes.create_string_buffer(DIGEST_BUF_LEN)
        self.assertEqual(LIB.oas_etag_compute_file(None, 0, 0, etag, None), RESULT_NULL_ARGUMENT)
        copy = LIB.oas_error_dup(LIB.oas_last_error())
        self.assertTrue(copy)
        self.assertEqual(LIB.oas_client_options_init(ctypes.create_string_buffer(128), 128), RESULT_OK)
        self.assertIsNone(LIB.oas_last_error())  # the slot was cleared, the copy was not
        self.assertEqual(LIB.oas_error_code(copy), RESULT_NULL_ARGUMENT)
        self.assertIn("`path`", LIB.oas_error_message(copy).decode())
        LIB.oas_error_free(copy)
        LIB.oas_error_free(None)


if __name__ == "__main__":
    prog = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    result = prog.result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or result.testsRun == 0 else 0)
