"""Shared pytest setup: quiet TensorFlow logs, keep hypothesis' files out of the tree."""

import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Test helper modules (npy_testutil) live beside the tests; --import-mode=importlib
# does not put this folder on sys.path by itself.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hypothesis import settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "tfnpy-hypothesis"))
settings.register_profile("tfnpy", database=None, print_blob=True)
settings.load_profile("tfnpy")


import pytest  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A writer of .npy bytes to fresh paths (str) in one directory per module:
    files(b) or files(b, "name.npy")."""
    root = tmp_path_factory.mktemp("npy")
    counter = iter(range(10**9))

    def write(b, name=None):
        path = root / (name or f"f{next(counter)}.npy")
        path.write_bytes(b)
        return str(path)

    return write
