"""Builds the `oas` wheel: the Python package plus liboas.so.

The library is built with cargo from the repository this directory belongs
to (`cargo build --release --lib`, two levels up), unless OAS_PREBUILT_LIB
names an already built liboas.so to copy instead. The wheel is tagged
`py3-none-<platform>` (ctypes: no Python ABI), with the manylinux tag that the
library's glibc symbol versions allow when binutils can tell (see README.md).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from wheel.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - newer setuptools ship their own
    from setuptools.command.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# Libraries every manylinux policy allows a wheel to need (PEP 600).
SYSTEM_LIBS = {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
               "libgcc_s.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


def cargo_version():
    try:
        text = open(os.path.join(REPO, "Cargo.toml")).read()
    except OSError:
        return "0.0.0"
    m = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    return m.group(1) if m else "0.0.0"


def build_library():
    """Path of liboas.so: OAS_PREBUILT_LIB, or a fresh `cargo build --release`."""
    prebuilt = os.environ.get("OAS_PREBUILT_LIB")
    if prebuilt:
        if not os.path.isfile(prebuilt):
            sys.exit("OAS_PREBUILT_LIB=%s: no such file" % prebuilt)
        return prebuilt
    manifest = os.path.join(REPO, "Cargo.toml")
    if not os.path.isfile(manifest):
        sys.exit("building the oas wheel needs the liboas repository around bindings/python "
                 "(or OAS_PREBUILT_LIB=/path/to/liboas.so)")
    cargo = shutil.which("cargo") or os.path.expanduser("~/.cargo/bin/cargo")
    subprocess.check_call([cargo, "build", "--release", "--lib", "--manifest-path", manifest])
    meta = json.loads(subprocess.check_output(
        [cargo, "metadata", "--format-version", "1", "--no-deps", "--manifest-path", manifest]))
    lib = os.path.join(meta["target_directory"], "release", "liboas.so")
    if not os.path.isfile(lib):
        sys.exit("cargo build did not produce %s" % lib)
    return lib


def platform_tag(lib):
    """manylinux_2_X_<arch> from the highest GLIBC_ symbol version the library
    needs, when it needs only system libraries; else the plain platform tag."""
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    if not plat.startswith("linux_") or os.environ.get("OAS_WHEEL_PLAT"):
        return os.environ.get("OAS_WHEEL_PLAT") or plat
    arch = plat[len("linux_"):]
    try:
        dyn = subprocess.check_output(["readelf", "-d", "-W", lib], universal_newlines=True)
        syms = subprocess.check_output(["readelf", "-V", "-W", lib], universal_newlines=True)
    except (OSError, subprocess.CalledProcessError):
        return plat
    needed = set(re.findall(r"\(NEEDED\).*\[(.+?)\]", dyn))
    if not needed <= SYSTEM_LIBS:
        return plat
    versions = [tuple(int(x) for x in v.split("."))
                for v in re.findall(r"GLIBC_(\d+\.\d+)", syms)]
    if not versions:
        return plat
    major, minor = max(versions)[:2]
    return "manylinux_%d_%d_%s" % (major, max(minor, 17), arch)


class BinaryDistribution(Distribution):
    """Holds a native library: installed to platlib, never treated as pure."""

    def has_ext_modules(self):
        return True

    def is_pure(self):
        return False


class BuildPyWithLib(build_py):
    def run(self):
        build_py.run(self)
        lib = build_library()
        dest = os.path.join(self.build_lib, "oas", "liboas.so")
        self.mkpath(os.path.dirname(dest))
        shutil.copyfile(lib, dest)
        os.chmod(dest, 0o755)
        # Debug info (a dev build has 15 MiB of it) stays out of the wheel; the
        # symbol table stays, for backtraces.
        strip = shutil.which("strip")
        if strip:
            subprocess.call([strip, "--strip-debug", dest])
        self.distribution.oas_lib = dest


class BdistWheelPlatform(bdist_wheel):
    def finalize_options(self):
        bdist_wheel.finalize_options(self)
        self.root_is_pure = False

    def get_tag(self):
        lib = getattr(self.distribution, "oas_lib", None)
        plat = platform_tag(lib) if lib else sysconfig.get_platform().replace("-", "_")
        return "py3", "none", plat


setup(
    name="liboas",
    version=cargo_version(),
    description="Python 3 drop-in replacement for the OAS Python SDK (oassdk), on liboas",
    long_description=open(os.path.join(HERE, "README.md")).read(),
    long_description_content_type="text/markdown",
    license="MIT OR Apache-2.0",
    python_requires=">=3.7",
    packages=["oas", "oas.ease"],
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildPyWithLib, "bdist_wheel": BdistWheelPlatform},
    zip_safe=False,
)
