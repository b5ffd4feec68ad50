"""Builds and runs the C++ core's own unit tests (cc/tests/core_test.cc).

The core depends only on the C++ standard library, so it is compiled here
directly, with AddressSanitizer and UndefinedBehaviorSanitizer and
assertions on: any out-of-bounds access or undefined behaviour aborts.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["cc/npy/npy_format.cc", "cc/npy/npy_convert.cc", "cc/tests/core_test.cc"]
FLAGS = [
    "-std=c++17", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
]


def _compiler() -> list[str] | None:
    cxx = os.environ.get("CXX")
    if cxx:
        return shlex.split(cxx)
    for name in ("c++", "g++", "clang++"):
        if shutil.which(name):
            return [name]
    return None


@pytest.fixture(scope="module")
def core_test_binary(tmp_path_factory) -> Path:
    cxx = _compiler()
    if cxx is None:
        pytest.skip("no C++ compiler found (set CXX)")
    out = tmp_path_factory.mktemp("cc") / "core_test"
    cmd = [*cxx, *FLAGS, f"-I{ROOT / 'cc'}", *[str(ROOT / s) for s in SOURCES], "-o", str(out)]
    build = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"{shlex.join(cmd)}\n{build.stdout}\n{build.stderr}"
    return out


def test_core_unit_tests_pass_under_sanitizers(core_test_binary):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1", UBSAN_OPTIONS="print_stacktrace=1")
    run = subprocess.run([str(core_test_binary)], capture_output=True, text=True, timeout=300, env=env)
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    assert summary.endswith(" 0 failed"), run.stdout
    passed = int(summary.split()[0])
    assert passed >= 10, run.stdout
