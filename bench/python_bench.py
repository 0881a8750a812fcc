#!/usr/bin/env python3
"""python_bench: the transfers of bench/transfer_bench.c, through the `oas`
package (bench/python.sh runs it from a venv with the wheel installed).

    python_bench.py upload FILE          -> "<seconds> <archive id>"
    python_bench.py download ARCHIVE OUT -> "<seconds> <job id>"
    python_bench.py delete ARCHIVE

Same client defaults and vault (OAS_BENCH_VAULT) as transfer_bench; only the
library call named is timed (upload_archive, download_to_file)."""

import os
import sys
import time

from oas.oas_api import OASAPI
from oas.ease.vault import Vault


def main():
    endpoint = os.environ["OAS_ENDPOINT"]
    scheme, hostport = endpoint.split("://", 1)
    host, port = hostport.rsplit(":", 1)
    api = OASAPI(host, os.environ["OAS_ACCESS_ID"], os.environ["OAS_ACCESS_KEY"],
                 port=int(port), is_security=scheme == "https")
    vault = Vault.create_vault(api, os.environ.get("OAS_BENCH_VAULT") or "liboas-bench")
    mode = sys.argv[1]
    if mode == "upload":
        t0 = time.monotonic()
        archive_id = vault.upload_archive(sys.argv[2], desc="bench")
        print("%.3f %s" % (time.monotonic() - t0, archive_id))
    elif mode == "download":
        job = vault.retrieve_archive(sys.argv[2], desc="bench")
        job.wait(0.1, 1.0, 60)  # untimed
        t0 = time.monotonic()
        job.download_to_file(sys.argv[3], block=False)
        print("%.3f %s" % (time.monotonic() - t0, job.id))
    elif mode == "delete":
        vault.delete_archive(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
