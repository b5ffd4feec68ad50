"""The TensorFlow a build finds, and the wheel metadata that follows from it.

Used three ways:

* as scikit-build-core's metadata provider for ``optional-dependencies``:
  the wheel has no hard TensorFlow requirement (a user's ``tensorflow`` or
  ``tensorflow-cpu`` is left alone), and the extras ``tfnpy[cpu]`` and
  ``tfnpy[tensorflow]`` pin the TensorFlow minor version the op library was
  compiled for (a custom op only loads in that minor version);
* by the build backend (``tfnpy_backend``), to refuse a build with no
  TensorFlow or one older than the supported range, with a short message;
* as a script, ``python tf_requirement.py --version``: prints the installed
  TensorFlow's version (no TensorFlow import, so it takes milliseconds).
"""

from __future__ import annotations

import os
import re
import sys
from importlib import metadata
from typing import Optional, Tuple

# Distributions that install the ``tensorflow`` package, most common first.
DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos")

_VERSION_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                             "tfnpy", "_version.py")

# Extras that are not about TensorFlow.
_OTHER_EXTRAS = {"test": ["pytest>=8", "hypothesis>=6", "sybil>=9"]}


def installed_tensorflow() -> Optional[Tuple[str, str]]:
    """(distribution, version) of the TensorFlow this interpreter sees, or None."""
    for name in DISTRIBUTIONS:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def minor(version: str) -> Tuple[int, int]:
    major, minor_, *_ = re.findall(r"\d+", version)
    return int(major), int(minor_)


def supported_range() -> Tuple[str, str]:
    """The first and last TensorFlow minor versions tfnpy is tested with."""
    with open(_VERSION_FILE, encoding="utf-8") as f:
        text = f.read()
    found = re.search(r"SUPPORTED_TENSORFLOW\s*=\s*\(\s*\"([\d.]+)\"\s*,\s*\"([\d.]+)\"", text)
    if not found:
        raise RuntimeError(f"no SUPPORTED_TENSORFLOW in {_VERSION_FILE}")
    return found.group(1), found.group(2)


def _pin(distribution: str, version: str) -> str:
    major, minor_ = minor(version)
    return f"{distribution}>={major}.{minor_},<{major}.{minor_ + 1}"


def dynamic_metadata(field, settings=None, project=None):  # noqa: ARG001
    if field != "optional-dependencies":
        msg = f"tf_requirement only provides 'optional-dependencies', not {field!r}"
        raise RuntimeError(msg)
    found = installed_tensorflow()
    if found is None:
        raise RuntimeError("tfnpy builds against the installed TensorFlow, and none was found")
    version = found[1]
    return {"cpu": [_pin("tensorflow-cpu", version)],
            "tensorflow": [_pin("tensorflow", version)],
            **_OTHER_EXTRAS}


if __name__ == "__main__":
    if sys.argv[1:] != ["--version"]:
        sys.exit(f"usage: {sys.argv[0]} --version")
    found = installed_tensorflow()
    if found is None:
        sys.exit("no TensorFlow installed")
    print(found[1])
