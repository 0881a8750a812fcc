"""Ownership of liboas handles: an object either owns its handle (freed by a
finalizer) or borrows it from a list, which it keeps alive."""

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
