"""The package under test is the installed wheel, with its own liboas.so."""

import os

import oas
from oas import _lib


def test_loaded_from_the_installed_package():
    venv = os.environ.get("OAS_EXPECT_INSTALLED")
    here = os.path.dirname(os.path.abspath(oas.__file__))
    assert _lib.LIB_PATH == os.path.join(here, "liboas.so")
    if venv:
        assert os.path.realpath(here).startswith(os.path.realpath(venv)), here
    assert oas.__version__ == _lib.version() and oas.__version__.count(".") == 2
