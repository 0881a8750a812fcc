#!/usr/bin/env python
# -*- coding: utf-8 -*-
#
# An oassdk (OAS Python SDK 0.2.x) script, written the way the SDK's own
# high-level API page shows it: upload an archive, retrieve it through a job,
# wait for the job, download it, and compare with the original. It must run
# unchanged against the Python 3 `oas` package: keep it free of Python-3-only
# syntax (no f-strings, no print without parentheses semantics, no type hints).
#
# usage: oassdk_roundtrip.py HOST PORT ACCESS_ID ACCESS_KEY WORKDIR

import filecmp
import logging
import os
import sys
import time

from oas.oas_api import OASAPI
from oas.ease.vault import Vault
from oas.ease.exceptions import OASServerError, OASClientError
from oas.ease import utils

handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(logging.Formatter('%(asctime)s %(message)s'))
handler.setLevel(logging.INFO)

log = logging.getLogger('oas.ease.uploader')
log.addHandler(handler)
log.setLevel(logging.INFO)

job_log = logging.getLogger('oas.ease.job')
job_log.addHandler(handler)
job_log.setLevel(logging.INFO)


def make_file(path, size):
    f = open(path, 'wb')
    try:
        block = os.urandom(1024 * 1024)
        written = 0
        while written < size:
            n = min(len(block), size - written)
            f.write(block[:n])
            written += n
    finally:
        f.close()


def main():
    host, port, access_id, access_key, workdir = sys.argv[1:6]
    api = OASAPI(host, access_id, access_key, port=int(port))

    vault = Vault.create_vault(api, 'legacy_sdk_vault')
    print('vault %s %s created at %s' % (vault.name, vault.id, vault.creation_date))

    src = os.path.join(workdir, 'backup.tar')
    make_file(src, 3 * 1024 * 1024 + 333)
    etag, tree_etag = utils.compute_hash_from_file(src)
    print('local etag %s tree-etag %s' % (etag, tree_etag))

    archive_id = vault.upload_archive(src, desc='backup.tar')
    print('archive id: %s' % archive_id)

    job = vault.retrieve_archive(archive_id, desc='restore backup.tar')
    print('job %s %s' % (job.id, job.status_code))
    while not job.completed:
        time.sleep(0.2)
        job.update_status()
    if job.status_code != 'Succeeded':
        print('job failed: %s' % job.status_message)
        return 1
    if job.etag != tree_etag:
        print('tree-etag mismatch: %s != %s' % (job.etag, tree_etag))
        return 1

    dst = os.path.join(workdir, 'restored.tar')
    job.download_to_file(dst)
    if os.path.exists(dst + '.oas'):
        print('progress file left behind')
        return 1
    if not filecmp.cmp(src, dst, shallow=False):
        print('restored file differs')
        return 1

    try:
        Vault.get_vault_by_id(api, '0' * 32)
    except OASServerError as e:
        print('expected error: %s %s %s' % (e.status, e.code, e.request_id))
    except OASClientError as e:
        print('unexpected client error: %s' % e)
        return 1

    vault.delete_archive(archive_id)
    for uploader in vault.list_all_multipart_uploads():
        uploader.cancel()
    print('roundtrip OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
