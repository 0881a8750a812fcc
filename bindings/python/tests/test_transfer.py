"""Uploads, uploaders, jobs and downloads against the emulator, with resume."""

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from oas.ease import utils
from oas.ease.exceptions import (DownloadArchiveError, HashDoesNotMatchError, OASServerError,
                                 UploadArchiveError)
from oas.ease.job import Job
from oas.ease.uploader import Uploader
from oas.ease.vault import Vault

from conftest import ACCESS_ID, ACCESS_KEY, MIB, make_api, make_file
from test_utils import ref_etag, ref_tree


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_upload_retrieve_download(vault, tmp_path):
    path = str(tmp_path / "src")
    data = make_file(path, 3 * MIB + 5)
    archive_id = vault.upload_archive(path, desc="three")
    assert archive_id
    job = vault.retrieve_archive(archive_id, desc="get it")
    assert isinstance(job, Job)
    assert job.action == "ArchiveRetrieval" and job.archive_id == archive_id
    assert job.description == "get it" and len(job.id) == 32
    assert job.completed is True and job.status_code == "Succeeded"
    assert job.archive_size == len(data) and job.inventory_size is None
    assert job.creation_date.endswith("GMT") and job.completion_date.endswith("GMT")
    assert job.job_range == "0-%d" % (len(data) - 1)
    assert job.etag == ref_tree(data) and job.tree_etag == ref_tree(data)
    assert job.status_message

    out = str(tmp_path / "out")
    job.download_to_file(out)
    assert read(out) == data and not os.path.exists(out + ".oas")
    assert job.size_completed == len(data)

    again = vault.get_job(job.id)
    for field in ("id", "action", "archive_id", "archive_size", "completed", "creation_date",
                  "completion_date", "description", "status_code", "status_message",
                  "tree_etag", "etag", "job_range", "inventory_size"):
        assert getattr(again, field) == getattr(job, field), field
    again.update_status()
    assert again.completed
    assert job.id in [j.id for j in vault.list_all_jobs()]
    listed = [j for j in vault.list_all_jobs() if j.id == job.id][0]
    out2 = str(tmp_path / "out2")
    listed.download_to_file(out2, chunk_size=65536, block=False)
    assert read(out2) == data

    first = str(tmp_path / "first")
    job.download_by_range((0, MIB - 1), file_path=first)
    assert read(first) == data[:MIB]
    bio = io.BytesIO()
    job.download_by_range((MIB, len(data) - 1), file_obj=bio, chunk_size=4096)
    assert bio.getvalue() == data[MIB:]
    with open(str(tmp_path / "fobj"), "wb") as f:  # a real file object
        f.write(b"head")
        job.download_by_range((2 * MIB, len(data) - 1), file_obj=f)
    assert read(str(tmp_path / "fobj")) == b"head" + data[2 * MIB:]
    with pytest.raises(ValueError):
        job.download_by_range((5, 10), file_path=str(tmp_path / "unaligned"))
    with pytest.raises(ValueError):
        job.download_by_range((0, 10))


def test_file_obj_write_error_is_raised(vault, tmp_path):
    path = str(tmp_path / "src")
    make_file(path, 2 * MIB)
    job = vault.retrieve_archive(vault.upload_archive(path))

    class Broken(object):
        def write(self, data):
            raise RuntimeError("disk on fire")
    with pytest.raises(RuntimeError, match="disk on fire"):
        job.download_by_range((0, 2 * MIB - 1), file_obj=Broken())


def test_ranged_retrieval(vault, tmp_path):
    path = str(tmp_path / "src")
    data = make_file(path, 4 * MIB + 3)
    archive_id = vault.upload_archive(path)
    job = vault.retrieve_archive(archive_id, byte_range=(2 * MIB, 4 * MIB - 1))
    assert job.job_range == "%d-%d" % (2 * MIB, 4 * MIB - 1)
    assert job.tree_etag == ref_tree(data[2 * MIB:4 * MIB])  # a tree-aligned range
    out = str(tmp_path / "out")
    job.download_to_file(out)
    assert read(out) == data[2 * MIB:4 * MIB]
    unaligned = vault.retrieve_archive(archive_id, byte_range=(MIB, len(data) - 1))
    assert unaligned.tree_etag is None and unaligned.job_range == "%d-%d" % (MIB, len(data) - 1)
    unaligned.download_to_file(out)
    assert read(out) == data[MIB:]
    with pytest.raises(ValueError):
        vault.retrieve_archive(archive_id, byte_range=(5, 100))


def test_multipart_uploader(small_vault, tmp_path):
    path = str(tmp_path / "src")
    data = make_file(path, 5 * MIB + 100)
    up = small_vault.initiate_uploader(path, desc="parts")
    assert isinstance(up, Uploader)
    assert len(up.id) == 32 and up.description == "parts" and up.part_size == MIB
    assert up.creation_date.endswith("GMT") and up.size_completed == 0
    listed = [u for u in small_vault.list_all_multipart_uploads() if u.id == up.id]
    assert listed and listed[0].part_size == MIB and listed[0].description == "parts"
    seen = []
    archive_id = up.start(progress=lambda done, total: seen.append((done, total)))
    assert up.size_completed == len(data) and seen and seen[-1][1] == len(data)
    assert up.id not in [u.id for u in small_vault.list_all_multipart_uploads()]
    job = small_vault.retrieve_archive(archive_id)
    assert job.etag == ref_tree(data)
    out = str(tmp_path / "out")
    job.download_to_file(out)
    assert read(out) == data


def test_upload_archive_multipart_and_progress_stop(small_vault, tmp_path):
    path = str(tmp_path / "src")
    data = make_file(path, 3 * MIB)
    archive_id = small_vault.upload_archive(path, "multi")
    job = small_vault.retrieve_archive(archive_id)
    assert job.archive_size == len(data) and job.etag == ref_tree(data)
    with pytest.raises(UploadArchiveError) as e:
        small_vault.upload_archive(path, progress=lambda done, total: done < MIB)
    assert e.value.result == 700 and e.value.upload_id
    # the upload that upload_archive left behind resumes through recover_uploader
    resumed = small_vault.recover_uploader(e.value.upload_id).resume(path)
    assert small_vault.retrieve_archive(resumed).etag == ref_tree(data)

    def boom(done, total):
        raise KeyError("from the callback")
    with pytest.raises(KeyError):
        small_vault.upload_archive(path, progress=boom)


def test_uploader_cancel(small_vault, tmp_path):
    path = str(tmp_path / "src")
    make_file(path, 3 * MIB)
    up = small_vault.initiate_uploader(path)
    up.cancel()
    assert up.id not in [u.id for u in small_vault.list_all_multipart_uploads()]
    with pytest.raises(UploadArchiveError):
        up.start()


def test_recover_uploader_resumes(emulator, small_vault, tmp_path):
    path = str(tmp_path / "src")
    data = make_file(path, 6 * MIB, seed=3)
    # One worker: the first part is on the server before the stop at 2 MiB
    # (with more workers every part may still be in flight when it comes).
    one = make_api(emulator, part_size=MIB, upload_threshold=2 * MIB, workers=1)
    up = Vault.get_vault_by_id(one, small_vault.id).initiate_uploader(path, desc="resume me")
    with pytest.raises(UploadArchiveError) as e:
        up.start(progress=lambda done, total: done < 2 * MIB)
    assert e.value.result == 700 and e.value.upload_id == up.id
    sent_before = up.size_completed
    assert 0 < sent_before < len(data)

    rec = small_vault.recover_uploader(up.id)
    assert rec.id == up.id and rec.description == "resume me" and rec.part_size == MIB
    # a changed file is refused: the parts on the server are checked
    changed = str(tmp_path / "changed")
    with open(changed, "wb") as f:
        f.write(b"\xff" * len(data))
    with pytest.raises(HashDoesNotMatchError):
        small_vault.recover_uploader(up.id).resume(changed)
    emulator.reset_stats()
    archive_id = rec.resume(path)
    parts_sent = emulator.stats().get("UploadPart", 0)
    assert 0 < parts_sent < 6, "resume sent %d parts" % parts_sent
    job = small_vault.retrieve_archive(archive_id)
    out = str(tmp_path / "out")
    job.download_to_file(out)
    assert read(out) == data


CHILD = r"""
import sys
from oas.oas_api import OASAPI
from oas.ease.vault import Vault
host, port, key_id, key, vault_id, job_id, out = sys.argv[1:]
api = OASAPI(host, key_id, key, port=int(port), download_range_size=1 << 20, workers=2,
             bandwidth_limit=3 << 20)
Vault.get_vault_by_id(api, vault_id).get_job(job_id).download_to_file(out)
print("finished")
"""


def test_download_to_file_resumes_after_kill(emulator, small_vault, tmp_path):
    path = str(tmp_path / "src")
    data = make_file(path, 8 * MIB, seed=5)
    job = small_vault.retrieve_archive(small_vault.upload_archive(path))
    out = str(tmp_path / "out")
    child = subprocess.Popen([sys.executable, "-c", CHILD, emulator.host, str(emulator.port),
                              ACCESS_ID, ACCESS_KEY, small_vault.id, job.id, out],
                             stdout=subprocess.PIPE)
    journal = out + ".oas"
    deadline = time.time() + 20
    done = []
    while time.time() < deadline and child.poll() is None:
        try:
            with open(journal) as f:
                done = json.load(f).get("done", [])
        except (OSError, ValueError):
            done = []
        if len(done) >= 2:
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert 2 <= len(done) < 8, "the child was not caught mid-download (%d ranges)" % len(done)
    assert os.path.exists(journal)

    emulator.reset_stats()
    job.download_to_file(out)
    fetched = emulator.stats().get("GetJobOutput", 0)
    assert read(out) == data and not os.path.exists(journal)
    assert fetched <= 8 - len(done), "resume fetched %d ranges" % fetched


CHILD_INT = CHILD.replace('print("finished")', "") .replace(
    "Vault.get_vault_by_id(", "try:\n    Vault.get_vault_by_id(").replace(
    ".download_to_file(out)\n", ".download_to_file(out)\nexcept KeyboardInterrupt:\n"
    "    print('interrupted', flush=True)\n    sys.exit(3)\n")


def test_ctrl_c_stops_a_download_that_then_resumes(emulator, small_vault, tmp_path):
    path = str(tmp_path / "src")
    data = make_file(path, 8 * MIB, seed=6)
    job = small_vault.retrieve_archive(small_vault.upload_archive(path))
    out = str(tmp_path / "out")
    child = subprocess.Popen([sys.executable, "-c", CHILD_INT, emulator.host, str(emulator.port),
                              ACCESS_ID, ACCESS_KEY, small_vault.id, job.id, out],
                             stdout=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline and child.poll() is None and not os.path.exists(out + ".oas"):
        time.sleep(0.02)
    time.sleep(0.3)
    child.send_signal(signal.SIGINT)
    try:
        stdout, _ = child.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise AssertionError("the download did not stop on SIGINT")
    assert child.returncode == 3 and b"interrupted" in stdout
    assert os.path.exists(out + ".oas")
    job.download_to_file(out)
    assert read(out) == data and not os.path.exists(out + ".oas")


def test_block_waits_for_the_job(slow_emulator, tmp_path, monkeypatch):
    monkeypatch.setattr(Job, "poll_first_interval", 0.2)
    api = make_api(slow_emulator)
    vault = Vault.create_vault(api, "py-slow-jobs")
    path = str(tmp_path / "src")
    data = make_file(path, MIB + 1)
    job = vault.retrieve_archive(vault.upload_archive(path))
    assert job.completed is False and job.status_code == "InProgress"
    assert job.completion_date is None and job.tree_etag is None
    with pytest.raises(DownloadArchiveError):
        job.download_to_file(str(tmp_path / "early"), block=False)
    out = str(tmp_path / "out")
    job.download_to_file(out)  # block=True
    assert read(out) == data and job.completed and job.status_code == "Succeeded"


def test_inventory(vault, tmp_path):
    path = str(tmp_path / "src")
    make_file(path, 1234)
    archive_id = vault.upload_archive(path, "inv")
    job = vault.retrieve_inventory(desc="inventory")
    assert job.action == "InventoryRetrieval" and job.description == "inventory"
    assert job.inventory_size > 0 and job.job_range is None
    out = str(tmp_path / "inv.json")
    job.download_to_file(out)
    inv = json.loads(read(out).decode())
    assert inv["VaultId"] == vault.id
    assert [a["ArchiveId"] for a in inv["ArchiveList"]] == [archive_id]
    vault.refresh()
    assert vault.last_inventory_date


def test_oss_jobs(emulator, vault, tmp_path):
    path = str(tmp_path / "src")
    data = make_file(path, MIB + 7)
    archive_id = vault.upload_archive(path)
    os.makedirs(os.path.join(emulator.oss_dir, "bucket"), exist_ok=True)
    push = vault.push_to_oss(archive_id, "oss.example", "bucket", "dir/obj", desc="push")
    assert push.action == "PushToOSS" and push.description == "push"
    push.wait()
    assert push.status_code == "Succeeded"
    assert read(os.path.join(emulator.oss_dir, "bucket", "dir", "obj")) == data
    with pytest.raises(DownloadArchiveError):
        push.download_to_file(str(tmp_path / "no"))
    pull = vault.pull_from_oss("oss.example", "bucket", "dir/obj", desc="pull")
    assert pull.action == "PullFromOSS"
    pull.wait()
    assert pull.archive_id and pull.archive_id != archive_id
    out = str(tmp_path / "out")
    vault.retrieve_archive(pull.archive_id).download_to_file(out)
    assert read(out) == data


def test_delete_archive(vault, tmp_path):
    path = str(tmp_path / "src")
    make_file(path, 10)
    archive_id = vault.upload_archive(path)
    vault.delete_archive(archive_id)
    with pytest.raises(OASServerError) as e:
        vault.retrieve_archive(archive_id)
    assert e.value.status == 404


def test_logging_reaches_the_sdk_loggers(small_vault, tmp_path):
    records = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append(record)
    handler = Capture(level=logging.INFO)
    loggers = [logging.getLogger("oas.ease.uploader"), logging.getLogger("oas.ease.job")]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    try:
        path = str(tmp_path / "src")
        make_file(path, 3 * MIB)
        archive_id = small_vault.upload_archive(path)
        small_vault.retrieve_archive(archive_id).download_to_file(str(tmp_path / "out"))
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
            lg.setLevel(logging.NOTSET)
    up = [r for r in records if r.name == "oas.ease.uploader"]
    jobs = [r for r in records if r.name == "oas.ease.job"]
    assert any(archive_id in r.getMessage() for r in up), [r.getMessage() for r in up]
    assert any("part" in r.getMessage() for r in up)
    assert any("verified" in r.getMessage() or "downloaded" in r.getMessage() for r in jobs)
    assert all(r.levelno >= logging.INFO for r in records)
    # the part messages come from the library's worker threads
    assert any(r.threadName != "MainThread" for r in up)
