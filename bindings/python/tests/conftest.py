"""Fixtures: the oas-emulator binary started on a free port (one per session,
plus one with delayed jobs), and OASAPI clients for it.

The binary is $OAS_EMULATOR, else target/{debug,release}/oas-emulator of the
repository around bindings/python.
"""

import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

ACCESS_ID = "OASEMULATORTESTID"
ACCESS_KEY = "OASEmulatorTestSecret000000000000"
MIB = 1 << 20
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def emulator_binary():
    env = os.environ.get("OAS_EMULATOR")
    if env:
        return env
    for profile in ("debug", "release"):
        p = os.path.join(REPO, "target", profile, "oas-emulator")
        if os.path.exists(p):
            return p
    pytest.exit("set OAS_EMULATOR to the oas-emulator binary", returncode=2)


class Emulator(object):
    def __init__(self, *options, max_vaults=1000):
        self.dir = tempfile.mkdtemp(prefix="oas-py-emu-")
        self.oss_dir = os.path.join(self.dir, "oss")
        os.makedirs(self.oss_dir)
        self.proc = subprocess.Popen(
            [emulator_binary(), "--listen", "127.0.0.1:0", "--data-dir",
             os.path.join(self.dir, "data"), "--oss-dir", self.oss_dir, "--max-vaults", str(max_vaults)]
            + list(options), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError("emulator did not start: %r" % line)
        self.url = line.split()[-1]
        hostport = self.url.split("://", 1)[1]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def stats(self):
        import json
        import urllib.request
        with urllib.request.urlopen(self.url + "/_emulator/stats") as r:
            return json.loads(r.read().decode())["operations"]

    def set_faults(self, rules):
        """Replaces the fault rules (a list of dicts, see README "Fault injection")."""
        import json
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(self.url + "/_emulator/faults",
                                                      method="DELETE")).close()
        body = json.dumps({"rules": rules}).encode()
        urllib.request.urlopen(urllib.request.Request(
            self.url + "/_emulator/faults", data=body, method="POST",
            headers={"Content-Type": "application/json"})).close()

    def reset_stats(self):
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(self.url + "/_emulator/stats",
                                                      method="DELETE")).close()


@pytest.fixture(scope="session")
def emulator():
    emu = Emulator("--faults")
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def slow_emulator():
    emu = Emulator("--job-delay", "1.5")
    yield emu
    emu.stop()


def make_api(emu, **options):
    from oas.oas_api import OASAPI
    return OASAPI(emu.host, ACCESS_ID, ACCESS_KEY, port=emu.port, **options)


@pytest.fixture
def api(emulator):
    return make_api(emulator)


@pytest.fixture
def small_api(emulator):
    """Multipart from 2 MiB, 1 MiB parts and ranges: multi-part transfers of small files."""
    return make_api(emulator, part_size=MIB, upload_threshold=2 * MIB,
                    download_range_size=MIB)


@pytest.fixture
def vault_name():
    return "py-" + uuid.uuid4().hex[:20]


@pytest.fixture
def vault(api, vault_name):
    from oas.ease.vault import Vault
    return Vault.create_vault(api, vault_name)


@pytest.fixture
def small_vault(small_api, vault_name):
    from oas.ease.vault import Vault
    return Vault.create_vault(small_api, vault_name)


def make_file(path, size, seed=1):
    import random
    data = random.Random(seed).randbytes(size)
    with open(path, "wb") as f:
        f.write(data)
    return data
