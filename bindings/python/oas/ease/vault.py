"""`Vault`: the entry point of the high-level API (`oas.ease.vault.Vault`)."""

from ctypes import byref, c_void_p

from .. import _lib, _log
from ._handle import Owner, Progress, Reader
from .job import Job
from .uploader import Uploader

L = _lib.LIB


class Vault(object):
    """A vault. Fields (from the vault's JSON): `creation_date`,
    `last_inventory_date`, `number_of_archives`, `size`, `id`, `name`.

    Create one with the class methods `create_vault`, `get_vault_by_id`,
    `get_vault_by_name` or `list_all_vaults`, which take an `OASAPI`.
    """

    def __init__(self, api, handle, owner):
        self.api = api
        self._h = handle
        self._owner = owner  # keeps the handle (or the list it is borrowed from) alive
        self._read_fields()

    def _read_fields(self):
        h = self._h
        self.id = _lib.opt_text(L.oas_vault_id(h))
        self.name = _lib.opt_text(L.oas_vault_name(h))
        self.creation_date = _lib.opt_text(L.oas_vault_creation_date(h))
        self.last_inventory_date = _lib.opt_text(L.oas_vault_last_inventory_date(h))
        self.number_of_archives = max(0, L.oas_vault_number_of_archives(h))
        self.size = max(0, L.oas_vault_size(h))

    def __repr__(self):
        return "Vault(id=%r, name=%r, number_of_archives=%r, size=%r)" % (
            self.id, self.name, self.number_of_archives, self.size)

    @classmethod
    def _from_call(cls, api, fn, arg):
        _log.sync()
        out = c_void_p()
        _lib.check(fn, api._client, _lib.enc(arg), byref(out))
        return cls(api, out.value, Owner(out.value, L.oas_vault_free))

    # --- class methods ----------------------------------------------------------
    @classmethod
    def create_vault(cls, api, name):
        """Creates the vault `name` (or returns it when it exists)."""
        return cls._from_call(api, L.oas_vault_create, name)

    @classmethod
    def get_vault_by_id(cls, api, vault_id):
        return cls._from_call(api, L.oas_vault_get_by_id, vault_id)

    @classmethod
    def get_vault_by_name(cls, api, vault_name):
        """The vault named `vault_name`; ValueError("Vault not exists: ...") when none."""
        return cls._from_call(api, L.oas_vault_get_by_name, vault_name)

    @classmethod
    def delete_vault_by_id(cls, api, vault_id):
        _log.sync()
        _lib.check(L.oas_vault_delete_by_id, api._client, _lib.enc(vault_id))

    @classmethod
    def delete_vault_by_name(cls, api, vault_name):
        _log.sync()
        _lib.check(L.oas_vault_delete_by_name, api._client, _lib.enc(vault_name))

    @classmethod
    def list_all_vaults(cls, api):
        """Every vault of the account (all pages)."""
        _log.sync()
        out = c_void_p()
        _lib.check(L.oas_vault_list_all, api._client, byref(out))
        owner = Owner(out.value, L.oas_vault_list_free)
        return [cls(api, L.oas_vault_list_get(out.value, i), owner)
                for i in range(L.oas_vault_list_len(out.value))]

    # --- instance methods ---------------------------------------------------------
    def delete(self):
        """Deletes this (empty) vault."""
        _log.sync()
        _lib.check(L.oas_vault_delete, self._h)

    def refresh(self):
        """Reads the vault's description again (not in the original SDK)."""
        if not isinstance(self._owner, Owner) or self._owner.ptr != self._h:
            fresh = Vault.get_vault_by_id(self.api, self.id)
            self._h, self._owner = fresh._h, fresh._owner
        else:
            _log.sync()
            _lib.check(L.oas_vault_refresh, self._h)
        self._read_fields()

    def list_all_multipart_uploads(self):
        """Every multipart upload in progress in this vault, as `Uploader`s."""
        _log.sync()
        out = c_void_p()
        _lib.check(L.oas_vault_list_all_multipart_uploads, self._h, byref(out))
        owner = Owner(out.value, L.oas_uploader_list_free)
        return [Uploader(self, L.oas_uploader_list_get(out.value, i), owner)
                for i in range(L.oas_uploader_list_len(out.value))]

    def list_all_jobs(self):
        """Every job the service lists for this vault, as `Job`s."""
        _log.sync()
        out = c_void_p()
        _lib.check(L.oas_vault_list_all_jobs, self._h, byref(out))
        owner = Owner(out.value, L.oas_job_list_free)
        return [Job(self, L.oas_job_list_get(out.value, i), owner)
                for i in range(L.oas_job_list_len(out.value))]

    def upload_archive(self, file_path=None, desc=None, progress=None, file_obj=None):
        """Uploads the file (one request up to 64 MiB, parallel multipart above)
        and returns the archive id. `progress(done, total)` (an extra) is called
        from a worker thread; returning False stops the upload.

        With `file_obj` instead of `file_path` (an extra), uploads what can be
        read from that binary file object (`readinto` or `read`) up to its end:
        a stream of unknown length (a pipe, a socket, a compressor), read
        straight into the library's buffers on this call's thread, always as
        a multipart upload; `progress` then gets `total` 0. An exception the
        file object raises is raised again here."""
        if file_path is None and file_obj is None:
            raise ValueError("Either file_path or file_obj should be provided.")
        _log.sync()
        cb = Progress(progress)
        opts = _lib.upload_options(cb.c)
        out = c_void_p()
        reader = None
        if file_path is not None:
            fn, source = L.oas_vault_upload_archive, (_lib.enc(file_path, "file_path"),)
        else:
            reader = Reader(file_obj)
            fn, source = L.oas_vault_upload_callback, (reader.c, None)
        try:
            _lib.check(fn, self._h, *(source + (_lib.enc(desc, "desc"), byref(opts), byref(out))),
                       cancel=cb.stop, context="upload")
        except Exception:
            if reader is not None:
                reader.reraise()
            cb.reraise()
            raise
        return _lib.take_string(out)

    def purge(self, workers=None, progress=None, keep_vault=False, max_inventory_age=None,
              poll_first_interval=None, poll_max_interval=None, timeout=None, work_dir=None):
        """Empties and deletes the vault (an extra; liboas `oas_vault_purge`):
        aborts its multipart uploads, takes the newest inventory (reuses an
        inventory job that succeeded within `max_inventory_age` seconds,
        default 24 h, else waits for one, polling as `Job.wait` does, giving up
        after `timeout` seconds when set), deletes every archive it lists with
        `workers` parallel deletes, then deletes the vault unless `keep_vault`
        or a delete failed. `progress(done, total)` counts archives, from a
        worker thread, one call at a time; returning False stops the purge.
        Returns a `PurgeReport`.

        The real service deletes a vault only once an inventory made after the
        last write shows it empty, about a day later: a first purge usually
        ends with `vault_deleted` False, and calling it again then picks up
        where it stopped (the archives deleted before count as
        `archives_already_gone`)."""
        _log.sync()
        cb = Progress(progress)
        opts = _lib.PurgeOptions()
        L.oas_purge_options_init(byref(opts), _lib.ctypes.sizeof(opts))
        opts.workers = int(workers or 0)
        opts.max_inventory_age_s = int(max_inventory_age or 0)
        opts.wait_first_interval_ms, opts.wait_max_interval_ms, opts.wait_timeout_ms = (
            int((v or 0) * 1000) for v in (poll_first_interval, poll_max_interval, timeout))
        keep = _lib.enc(work_dir, "work_dir")
        opts.work_dir = keep
        opts.keep_vault = 1 if keep_vault else 0
        opts.progress = cb.c
        report = _lib.PurgeReport()
        report.size = _lib.ctypes.sizeof(report)
        try:
            _lib.check(L.oas_vault_purge, self._h, byref(opts), byref(report), cancel=cb.stop)
        except Exception:
            cb.reraise()
            raise
        return PurgeReport(report)

    def initiate_uploader(self, file_path, desc=None):
        """Starts a multipart upload of the file; returns its `Uploader` (call `start()`)."""
        _log.sync()
        out = c_void_p()
        _lib.check(L.oas_vault_initiate_uploader, self._h, _lib.enc(file_path, "file_path"),
                   _lib.enc(desc, "desc"), None, byref(out), context="upload")
        return Uploader(self, out.value, Owner(out.value, L.oas_uploader_free))

    def recover_uploader(self, upload_id):
        """The multipart upload `upload_id`, to continue with `resume(file_path)`."""
        _log.sync()
        out = c_void_p()
        _lib.check(L.oas_vault_recover_uploader, self._h, _lib.enc(upload_id, "upload_id"),
                   byref(out), context="upload")
        return Uploader(self, out.value, Owner(out.value, L.oas_uploader_free))

    def delete_archive(self, archive_id):
        _log.sync()
        _lib.check(L.oas_vault_delete_archive, self._h, _lib.enc(archive_id, "archive_id"))

    def _job(self, fn, *args):
        _log.sync()
        out = c_void_p()
        _lib.check(fn, self._h, *(args + (byref(out),)))
        return Job(self, out.value, Owner(out.value, L.oas_job_free))

    def get_job(self, job_id):
        return self._job(L.oas_vault_get_job, _lib.enc(job_id, "job_id"))

    def retrieve_archive(self, archive_id, desc=None, byte_range=None):
        """Starts an archive-retrieval job; `byte_range` is (start, end), inclusive."""
        rng = None
        if byte_range is not None:
            start, end = byte_range
            rng = byref(_lib.ByteRange(int(start), int(end)))
        return self._job(L.oas_vault_retrieve_archive, _lib.enc(archive_id, "archive_id"),
                         _lib.enc(desc, "desc"), rng)

    def retrieve_inventory(self, desc=None):
        return self._job(L.oas_vault_retrieve_inventory, _lib.enc(desc, "desc"))

    def pull_from_oss(self, osshost, bucket, object, desc=None):
        return self._job(L.oas_vault_pull_from_oss, _lib.enc(osshost, "osshost"),
                         _lib.enc(bucket, "bucket"), _lib.enc(object, "object"),
                         _lib.enc(desc, "desc"))

    def push_to_oss(self, archive_id, osshost, bucket, object, desc=None):
        return self._job(L.oas_vault_push_to_oss, _lib.enc(archive_id, "archive_id"),
                         _lib.enc(osshost, "osshost"), _lib.enc(bucket, "bucket"),
                         _lib.enc(object, "object"), _lib.enc(desc, "desc"))


class PurgeReport(object):
    """What `Vault.purge` did: `uploads_aborted`, `archives_listed`,
    `archives_deleted`, `archives_already_gone`, `archives_failed` (deletes
    that failed after the retries; the vault is then kept) and `vault_deleted`."""

    __slots__ = ("uploads_aborted", "archives_listed", "archives_deleted",
                 "archives_already_gone", "archives_failed", "vault_deleted")

    def __init__(self, c):
        for name in self.__slots__:
            setattr(self, name, getattr(c, name))
        self.vault_deleted = bool(c.vault_deleted)

    def __repr__(self):
        return "PurgeReport(%s)" % ", ".join("%s=%r" % (n, getattr(self, n))
                                              for n in self.__slots__)
