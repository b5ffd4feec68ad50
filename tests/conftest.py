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
