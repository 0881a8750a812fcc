"""For real accounts: region endpoints, the protocol_version and oss_host
options, the vault quota's own exception, uploads from and downloads to file
objects through liboas's read and write callbacks (no pipe, no descriptor,
verified bytes only), and Vault.purge."""

import io
import os
import threading

import pytest

import oas
from oas.oas_api import OASAPI, region_endpoint
from oas.ease.exceptions import (OASClientError, OASQuotaExceededError, OASServerError,
                                 OASValueError)
from oas.ease.vault import PurgeReport, Vault

from conftest import ACCESS_ID, ACCESS_KEY, MIB, Emulator, make_api, make_file


def no_pipes(monkeypatch):
    """File objects must not go through a pipe (or a descriptor) any more."""
    def refuse(*_args):
        raise AssertionError("os.pipe() used for a file object transfer")
    monkeypatch.setattr(os, "pipe", refuse)


def test_region_endpoint():
    assert region_endpoint("cn-hangzhou") == "http://cn-hangzhou.oas.aliyuncs.com"
    assert oas.region_endpoint("cn-qingdao", internal=True, https=True) == \
        "https://cn-qingdao.oas-internal.aliyuncs.com"
    with pytest.raises(ValueError) as e:
        region_endpoint("Not A Region")
    assert isinstance(e.value, OASValueError) and "region" in str(e.value)
    api = OASAPI(region_endpoint("cn-hangzhou"), "id", "key")
    assert api.endpoint == "http://cn-hangzhou.oas.aliyuncs.com:80"


def test_protocol_version_and_oss_host_options(emulator, vault, tmp_path):
    with pytest.raises(ValueError) as e:
        make_api(emulator, protocol_version="")
    assert "protocol version" in str(e.value)
    Vault.list_all_vaults(make_api(emulator, protocol_version="2014-01-01"))

    with pytest.raises(ValueError):
        vault.pull_from_oss("", "bucket", "object")
    with_oss = Vault.get_vault_by_id(make_api(emulator, oss_host="oss-test.example"), vault.id)
    job = with_oss.pull_from_oss("", "bucket", "object", desc="default host")
    assert job.action == "PullFromOSS"


def test_vault_quota_is_its_own_server_error():
    emu = Emulator(max_vaults=2)
    try:
        api = make_api(emu)
        Vault.create_vault(api, "quota-a")
        Vault.create_vault(api, "quota-b")
        with pytest.raises(OASQuotaExceededError) as e:
            Vault.create_vault(api, "quota-c")
        err = e.value
        assert isinstance(err, OASServerError)  # the seed's family still catches it
        assert err.status == 403 and err.code == "TooManyVaults"
        assert err.result == 403 and err.result_name == "service quota exceeded"
        assert "vaults" in err.description
        # Other server errors are not quota errors.
        with pytest.raises(OASServerError) as e2:
            Vault.get_vault_by_id(api, "0" * 32)
        assert not isinstance(e2.value, OASQuotaExceededError)
    finally:
        emu.stop()


class ReadOnly(object):
    """A file object with only read(): no fileno, no readinto."""

    def __init__(self, data, step):
        self.data, self.off, self.step, self.calls = data, 0, step, 0
        self.threads = set()

    def read(self, n):
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        chunk = self.data[self.off:self.off + min(n, self.step)]
        self.off += len(chunk)
        return chunk


def test_upload_from_file_objects(emulator, small_vault, tmp_path, monkeypatch):
    no_pipes(monkeypatch)
    data = make_file(str(tmp_path / "src"), 3 * MIB + 5, seed=3)
    emulator.reset_stats()
    # readinto() straight into the library's buffer (BytesIO), and read() only.
    ids = [small_vault.upload_archive(file_obj=io.BytesIO(data), desc="bytesio")]
    reader = ReadOnly(data, 70001)
    seen = []
    ids.append(small_vault.upload_archive(desc="read only", file_obj=reader,
                                          progress=lambda done, total: seen.append(total)))
    assert reader.off == len(data) and reader.calls > 1
    assert "oas-file-obj" not in reader.threads  # no copy thread of its own
    assert seen and seen[-1] == 0  # a stream of unknown length
    with open(str(tmp_path / "src"), "rb") as f:  # a real binary file
        ids.append(small_vault.upload_archive(None, "file", file_obj=f))
    assert emulator.stats().get("InitiateMultipartUpload") == 3
    for archive_id in ids:
        bio = io.BytesIO()
        small_vault.retrieve_archive(archive_id).download_by_range(
            (0, len(data) - 1), file_obj=bio)
        assert bio.getvalue() == data
    with pytest.raises(ValueError):
        small_vault.upload_archive()


def test_file_object_errors_are_raised(small_vault, tmp_path):
    class Failing(object):
        def read(self, n):
            raise RuntimeError("tape jammed")
    with pytest.raises(RuntimeError, match="tape jammed"):
        small_vault.upload_archive(file_obj=Failing())
    path = str(tmp_path / "text")
    make_file(path, 1000)
    with open(path, "r", encoding="latin-1") as text:
        with pytest.raises(TypeError, match="binary mode"):
            small_vault.upload_archive(file_obj=text)


def test_download_to_file_object_gets_verified_bytes_only(emulator, small_vault, tmp_path,
                                                         monkeypatch):
    no_pipes(monkeypatch)
    path = str(tmp_path / "src")
    data = make_file(path, 3 * MIB + 5, seed=4)
    job = small_vault.retrieve_archive(small_vault.upload_archive(path))

    class WriteOnly(object):
        def __init__(self):
            self.parts = []

        def write(self, b):
            self.parts.append(bytes(b))
            return len(b)
    w = WriteOnly()
    job.download_by_range((MIB, len(data) - 1), file_obj=w, chunk_size=65536)
    assert b"".join(w.parts) == data[MIB:]
    assert max(len(p) for p in w.parts) <= 65536

    # Every answer corrupted: the download fails and nothing reaches the object.
    emulator.set_faults([{"op": "GetJobOutput", "action": "flip", "offset": 100}])
    try:
        bio = io.BytesIO()
        with pytest.raises(OASClientError):
            job.download_by_range((0, len(data) - 1), file_obj=bio)
        assert bio.getvalue() == b""
    finally:
        emulator.set_faults([])


def test_purge(small_vault, small_api, tmp_path):
    for i in range(6):
        p = str(tmp_path / ("a%d" % i))
        make_file(p, 1000 + i, seed=i)
        small_vault.upload_archive(p)
    big = str(tmp_path / "big")
    make_file(big, 3 * MIB)
    small_vault.initiate_uploader(big)

    calls = []
    report = small_vault.purge(workers=3, keep_vault=True, poll_first_interval=0.05,
                               progress=lambda done, total: calls.append((done, total)))
    assert isinstance(report, PurgeReport) and "archives_deleted=6" in repr(report)
    assert report.uploads_aborted == 1 and report.archives_listed == 6
    assert report.archives_deleted == 6 and report.archives_already_gone == 0
    assert report.archives_failed == 0 and report.vault_deleted is False
    assert calls and calls[-1] == (6, 6)
    assert all(a[0] < b[0] for a, b in zip(calls, calls[1:]))
    assert Vault.get_vault_by_id(small_api, small_vault.id).name == small_vault.name

    # A progress callback that stops it, and one that raises.
    with pytest.raises(OASClientError) as e:
        small_vault.purge(progress=lambda done, total: False, poll_first_interval=0.05)
    assert e.value.result == 700

    def boom(done, total):
        raise KeyError("boom")
    with pytest.raises(KeyError):
        small_vault.purge(progress=boom, poll_first_interval=0.05)

    report = small_vault.purge(poll_first_interval=0.05)
    assert report.archives_deleted == 0 and report.archives_already_gone == 6
    assert report.vault_deleted is True
    with pytest.raises(ValueError):
        Vault.get_vault_by_name(small_api, small_vault.name)
    with pytest.raises(ValueError):
        small_vault.purge(workers=300)
