"""Runs an unmodified script written for the original oassdk (tests/legacy/)."""

import os
import subprocess
import sys

from conftest import ACCESS_ID, ACCESS_KEY

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "legacy", "oassdk_roundtrip.py")


def test_unmodified_oassdk_script(emulator, tmp_path):
    r = subprocess.run([sys.executable, SCRIPT, emulator.host, str(emulator.port), ACCESS_ID,
                        ACCESS_KEY, str(tmp_path)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, out
    assert "roundtrip OK" in out
    assert "expected error: 404" in out
    # the seed's logging configuration shows the library's INFO lines
    assert "archive " in out and "uploaded" in out, out
