"""`Uploader`: one multipart upload (`oas.ease.uploader.Uploader`).

Logging goes to the logger `oas.ease.uploader` (fed by liboas).
"""

import logging
from ctypes import byref, c_void_p

from .. import _lib, _log
from ._handle import Progress

L = _lib.LIB
log = logging.getLogger(__name__)


class Uploader(object):
    """A multipart upload. Fields: `description`, `creation_date`, `id`,
    `part_size`; property `size_completed` (bytes uploaded, live while a
    transfer runs, readable from any thread).

    Get one from `Vault.initiate_uploader` (then `start()`), or from
    `Vault.recover_uploader` / `Vault.list_all_multipart_uploads` (then
    `resume(file_path)`).
    """

    def __init__(self, vault, handle, owner):
        self.vault = vault
        self._h = handle
        self._owner = owner
        self.id = _lib.opt_text(L.oas_uploader_id(handle))
        self.description = _lib.opt_text(L.oas_uploader_description(handle))
        self.creation_date = _lib.opt_text(L.oas_uploader_creation_date(handle))
        self.part_size = L.oas_uploader_part_size(handle)

    def __repr__(self):
        return "Uploader(id=%r, description=%r, part_size=%r)" % (
            self.id, self.description, self.part_size)

    @property
    def size_completed(self):
        return L.oas_uploader_size_completed(self._h)

    @property
    def size_total(self):
        """Archive size once the file is known (not in the original SDK), else 0."""
        return L.oas_uploader_size_total(self._h)

    def _run(self, fn, *args, **kw):
        _log.sync()
        cb = Progress(kw.get("progress"))
        opts = _lib.upload_options(cb.c)
        out = c_void_p()

        def stop():
            cb.stop()
            L.oas_uploader_stop(self._h)
        try:
            _lib.check(fn, self._h, *(args + (byref(opts), byref(out))), cancel=stop,
                       context="upload")
        except Exception as e:
            cb.reraise()
            if getattr(e, "upload_id", True) is None:
                e.upload_id = self.id
            raise
        return _lib.take_string(out)

    def start(self, progress=None):
        """Uploads every part and completes; returns the archive id.
        `progress(done, total)` (an extra) may return False to stop; a stopped
        upload stays resumable."""
        return self._run(L.oas_uploader_start, progress=progress)

    def resume(self, file_path, progress=None):
        """Checks the parts the server holds against `file_path`, sends the
        rest and completes; returns the archive id."""
        return self._run(L.oas_uploader_resume, _lib.enc(file_path, "file_path"),
                         progress=progress)

    def stop(self):
        """Asks a running `start`/`resume` on another thread to stop (an extra)."""
        L.oas_uploader_stop(self._h)

    def cancel(self):
        """Aborts the upload on the server."""
        _log.sync()
        _lib.check(L.oas_uploader_cancel, self._h, context="upload")
