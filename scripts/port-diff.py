#!/usr/bin/env python3
"""Re-applies a diff made against the pre-workspace layout (d602648) to the
workspace layout: rewrites each file's path, then `git apply --3way` file by
file. Used once, to carry branches cut before the restructure; kept for any
other branch still on the old layout.

  git diff --full-index d602648 BRANCH | scripts/port-diff.py [--dry-run]
"""

import re
import subprocess
import sys

MOVES = [
    ("src/ffi/mod.rs", "src/lib.rs"),
    ("src/ffi/", "src/"),
    ("src/api.rs", "crates/oas/src/rest/ops.rs"),
    ("src/client/mod.rs", "crates/oas/src/rest/mod.rs"),
    ("src/client/", "crates/oas/src/rest/"),
    ("src/digest.rs", "crates/oas-digest/src/digest/mod.rs"),
    ("src/md5core.rs", "crates/oas-digest/src/md5core.rs"),
    ("src/ranges.rs", "crates/oas-digest/src/ranges.rs"),
    ("src/download/", "crates/oas/src/jobs/download/"),
    ("src/inventory.rs", "crates/oas/src/jobs/inventory.rs"),
    ("src/job.rs", "crates/oas/src/jobs/mod.rs"),
    ("src/model.rs", "crates/oas/src/rest/model.rs"),
    ("src/transfer.rs", "crates/oas/src/engine/transfer.rs"),
    ("src/upload.rs", "crates/oas/src/upload/mod.rs"),
    ("src/upload_ahead.rs", "crates/oas/src/upload/ahead.rs"),
    ("src/upload_stream.rs", "crates/oas/src/upload/stream.rs"),
    ("src/uploader.rs", "crates/oas/src/upload/uploader.rs"),
    ("src/vault_jobs.rs", "crates/oas/src/jobs/request.rs"),
    ("src/", "crates/oas/src/"),  # error, fuzzing, lib, log, vault
    ("tests/digest_props.rs", "crates/oas-digest/tests/digest_props.rs"),
    ("tests/digest_vectors.rs", "crates/oas-digest/tests/digest_vectors.rs"),
    ("tests/common/ffi.rs", "tests/common/ffi.rs"),
    ("tests/ffi_", "tests/ffi_"),
    ("tests/download_ffi.rs", "tests/download_ffi.rs"),
    ("tests/security.rs", "tests/security.rs"),
    ("tests/header.rs", "tests/header.rs"),
    ("tests/common/", "crates/oas/tests/common/"),
    ("tests/download_common/", "crates/oas/tests/download_common/"),
    ("tests/fault_campaign", "crates/oas/tests/fault_campaign"),
    ("tests/download_", "crates/oas/tests/download_"),
    ("tests/upload_", "crates/oas/tests/upload_"),
]


def new_path(p):
    for old, new in MOVES:
        if p == old or (old.endswith("/") and p.startswith(old)) or (
            not old.endswith(".rs") and not old.endswith("/") and p.startswith(old)
        ):
            return new + p[len(old):]
    return p


def main():
    dry = "--dry-run" in sys.argv
    text = sys.stdin.read()
    chunks = re.split(r"(?m)^(?=diff --git )", text)
    failed = []
    for chunk in chunks:
        if not chunk.startswith("diff --git "):
            continue
        m = re.match(r"diff --git a/(\S+) b/(\S+)", chunk)
        a, b = m.group(1), m.group(2)
        na, nb = new_path(a), new_path(b)
        out = chunk.replace(f"diff --git a/{a} b/{b}", f"diff --git a/{na} b/{nb}", 1)
        out = re.sub(rf"(?m)^--- a/{re.escape(a)}$", f"--- a/{na}", out)
        out = re.sub(rf"(?m)^\+\+\+ b/{re.escape(b)}$", f"+++ b/{nb}", out)
        print(f"{b} -> {nb}", file=sys.stderr)
        if dry:
            continue
        r = subprocess.run(["git", "apply", "--3way", "--whitespace=nowarn"], input=out, text=True,
                           capture_output=True)
        if r.returncode != 0:
            failed.append(nb)
            print(r.stderr.strip(), file=sys.stderr)
    if failed:
        print("conflicts or failures in:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
