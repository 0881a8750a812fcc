"""`Job`: a job of a vault (`oas.ease.job.Job`): status and verified downloads.

Logging goes to the logger `oas.ease.job` (fed by liboas).
"""

import logging
from ctypes import byref

from .. import _lib, _log
from ._handle import Progress, Writer

L = _lib.LIB
log = logging.getLogger(__name__)


def _none_if_negative(v):
    return None if v < 0 else v


class Job(object):
    """A job. Fields (from the job's JSON): `action`, `etag`, `archive_id`,
    `archive_size`, `completed`, `completion_date`, `creation_date`,
    `inventory_size`, `description`, `id`, `status_code`, `status_message`,
    `tree_etag`, `job_range` (empty values are None); property
    `size_completed` (bytes downloaded, live, readable from any thread).

    Waiting with `block=True` polls with the library's schedule unless the
    class attributes `poll_first_interval` / `poll_max_interval` (seconds)
    are set.
    """

    poll_first_interval = None
    poll_max_interval = None

    def __init__(self, vault, handle, owner):
        self.vault = vault
        self._h = handle
        self._owner = owner
        self._progress = None
        self._read_fields()

    def _read_fields(self):
        h = self._h
        self.id = _lib.opt_text(L.oas_job_id(h))
        self.action = _lib.opt_text(L.oas_job_action(h))
        self.archive_id = _lib.opt_text(L.oas_job_archive_id(h))
        self.archive_size = _none_if_negative(L.oas_job_archive_size(h))
        self.inventory_size = _none_if_negative(L.oas_job_inventory_size(h))
        self.completed = bool(L.oas_job_completed(h))
        self.creation_date = _lib.opt_text(L.oas_job_creation_date(h))
        self.completion_date = _lib.opt_text(L.oas_job_completion_date(h))
        self.description = _lib.opt_text(L.oas_job_description(h))
        self.status_code = _lib.opt_text(L.oas_job_status_code(h))
        self.status_message = _lib.opt_text(L.oas_job_status_message(h))
        self.tree_etag = _lib.opt_text(L.oas_job_tree_etag(h))
        self.etag = _lib.opt_text(L.oas_job_etag(h))
        self.content_etag = _lib.opt_text(L.oas_job_content_etag(h))
        self.vault_id = _lib.opt_text(L.oas_job_vault_id(h))
        rng = _lib.ByteRange()
        if L.oas_job_retrieval_byte_range(h, byref(rng)) == _lib.OK:
            self.job_range = "%d-%d" % (rng.start, rng.end)
        else:
            self.job_range = None

    def __repr__(self):
        return "Job(id=%r, action=%r, status_code=%r, completed=%r)" % (
            self.id, self.action, self.status_code, self.completed)

    @property
    def size_completed(self):
        return L.oas_job_size_completed(self._h)

    def update_status(self):
        """Reads the job's status from the server."""
        _log.sync()
        _lib.check(L.oas_job_update_status, self._h)
        self._read_fields()

    def wait(self, first_interval=None, max_interval=None, timeout=None):
        """Polls until the job finished (an extra; `block=True` uses it).
        Raises DownloadArchiveError when the job failed or the timeout passed."""
        first = self.poll_first_interval if first_interval is None else first_interval
        most = self.poll_max_interval if max_interval is None else max_interval
        ms = [int((v or 0) * 1000) for v in (first, most, timeout)]
        _log.sync()
        try:
            _lib.check(L.oas_job_wait, self._h, ms[0], ms[1], ms[2],
                       cancel=lambda: L.oas_job_cancel(self._h), context="download")
        finally:
            self._read_fields()

    def set_progress(self, progress):
        """Registers `progress(done, total)` for this job's downloads (an extra;
        returning False stops the download, which resumes on the next call)."""
        self._progress = Progress(progress) if progress is not None else None

    def _download(self, fn, args, block, progress):
        cb = Progress(progress) if progress is not None else self._progress
        ms = [int((v or 0) * 1000) for v in (self.poll_first_interval, self.poll_max_interval)]
        opts = _lib.download_options(cb.c if cb else None, ms[0], ms[1], 0)
        _log.sync()
        try:
            _lib.check(fn, self._h, *(args + (bool(block), byref(opts))),
                       cancel=lambda: L.oas_job_cancel(self._h), context="download")
        except Exception:
            if cb is not None:
                cb.reraise()
            raise
        finally:
            if block:
                self._read_fields()

    def download_by_range(self, byte_range, file_path=None, file_obj=None, chunk_size=None,
                          block=True, progress=None):
        """Downloads `byte_range` (start, end inclusive, relative to the job
        output) to `file_path` (created or truncated) or to the file object
        `file_obj` (anything with `write`), verified before it is written."""
        start, end = (int(v) for v in byte_range)
        chunk = int(chunk_size or 0)
        if file_path is not None:
            return self._download(L.oas_job_download_by_range,
                                  (byref(_lib.ByteRange(start, end)),
                                   _lib.enc(file_path, "file_path"), chunk), block, progress)
        if file_obj is None:
            raise ValueError("Either file_path or file_obj should be provided.")
        return self._download_to_obj(start, end, file_obj, chunk, block, progress)

    def _download_to_obj(self, start, end, file_obj, chunk, block, progress):
        # The library hands each range to the write callback only after it
        # was verified (oas_job_download_to_callback); the callback writes it
        # to the file object, whatever it is, on this call's thread.
        writer = Writer(file_obj)
        try:
            self._download(L.oas_job_download_to_callback,
                           (byref(_lib.ByteRange(start, end)), writer.c, None, chunk), block,
                           progress)
        except Exception:
            writer.reraise()
            raise

    def download_to_file(self, file_path, chunk_size=None, block=True, progress=None):
        """Downloads the whole job output to `file_path` in parallel verified
        ranges; an interrupted download resumes from `<file_path>.oas`, which is
        removed when the output is complete and verified."""
        return self._download(L.oas_job_download_to_file,
                              (_lib.enc(file_path, "file_path"), int(chunk_size or 0)),
                              block, progress)

    def cancel(self):
        """Stops a wait or download running on another thread (an extra)."""
        L.oas_job_cancel(self._h)
