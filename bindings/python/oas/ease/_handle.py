"""Ownership of liboas handles: an object either owns its handle (freed by a
finalizer) or borrows it from a list, which it keeps alive; and the ctypes
callbacks of the transfers (progress, and the read and write callbacks that
connect a Python file object to a stream upload or download)."""

import ctypes
import weakref


class Owner(object):
    """Frees `ptr` with `free` when the last Python reference goes."""

    __slots__ = ("ptr", "_fin", "__weakref__")

    def __init__(self, ptr, free):
        self.ptr = ptr
        self._fin = weakref.finalize(self, free, ptr)
        # Not at interpreter exit: a daemon thread may still be inside a call.
        self._fin.atexit = False


class Progress(object):
    """A ctypes progress callback around an optional Python callable.

    The callable gets (done, total); returning False stops the transfer. A
    stop can also be requested with `stop()` (used on KeyboardInterrupt).
    """

    def __init__(self, fn=None):
        from .. import _lib
        self.fn = fn
        self.stopped = False
        self.error = None
        self.c = _lib.PROGRESS_FN(self._call)

    def _call(self, _userdata, done, total):
        if self.stopped:
            return 1
        if self.fn is not None:
            try:
                if self.fn(done, total) is False:
                    self.stopped = True
                    return 1
            except BaseException as e:  # never unwind into the library
                self.error = e
                self.stopped = True
                return 1
        return 0

    def stop(self):
        self.stopped = True

    def reraise(self):
        if self.error is not None:
            raise self.error


class _Stream(object):
    """A callback around a file object; what it raises is kept for `reraise`
    (never unwinds into the library) and ends the transfer."""

    def __init__(self, file_obj):
        self.file_obj = file_obj
        self.error = None

    def reraise(self):
        if self.error is not None:
            raise self.error


class Reader(_Stream):
    """An oas_read_fn reading a binary file object to its end: `readinto` when
    it has one, else `read`. Called on the thread of the upload call."""

    def __init__(self, file_obj):
        from .. import _lib
        _Stream.__init__(self, file_obj)
        self.c = _lib.READ_FN(self._call)

    def _call(self, _userdata, buf, length):
        if self.error is not None:
            return -1
        try:
            readinto = getattr(self.file_obj, "readinto", None)
            if readinto is not None:
                n = readinto((ctypes.c_ubyte * length).from_address(buf))
                if n is None:
                    raise BlockingIOError("file_obj.readinto() returned None (a non-blocking "
                                          "stream without data)")
                return int(n)
            data = self.file_obj.read(length)
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError("file_obj.read() returned %s, not bytes: open the file in "
                                "binary mode" % type(data).__name__)
            data = bytes(data)
            if len(data) > length:
                raise ValueError("file_obj.read(%d) returned %d bytes" % (length, len(data)))
            ctypes.memmove(buf, data, len(data))
            return len(data)
        except BaseException as e:  # never unwind into the library
            self.error = e
            return -1


class Writer(_Stream):
    """An oas_write_fn writing the verified bytes of a download to a file
    object (anything with `write`). Called on the thread of the download call."""

    def __init__(self, file_obj):
        from .. import _lib
        _Stream.__init__(self, file_obj)
        self.c = _lib.WRITE_FN(self._call)

    def _call(self, _userdata, buf, length):
        if self.error is not None:
            return 1
        try:
            data = memoryview(ctypes.string_at(buf, length))
            while data:  # a raw file object may write less than it is given
                n = self.file_obj.write(data)
                data = data[len(data) if n is None else n:]
            return 0
        except BaseException as e:  # never unwind into the library
            self.error = e
            return 1
