"""Builds and runs the core's own C++ unit tests (cc/tests/npy_format_test.cc).

The core (cc/npy/) depends only on the C++17 standard library, so the test
binary is compiled here directly with the machine's C++ compiler ($CXX, else
c++, g++ or clang++) under AddressSanitizer and UndefinedBehaviorSanitizer:
any out-of-bounds read, leak or undefined behaviour aborts the run. The
binary prints one line per test and ends with "N passed, N failed".
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Listed explicitly: a new core source must be added here on purpose.
SOURCES = [
    "cc/npy/npy_format.cc",
    "cc/npy/npy_convert.cc",
    "cc/tests/npy_format_test.cc",
]
FLAGS = [
    "-std=c++17", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
]


def _compiler() -> list[str] | None:
    """$CXX if it names a program that exists, else the first of c++, g++, clang++."""
    candidates = [shlex.split(os.environ.get("CXX", ""))] + [[name] for name in ("c++", "g++", "clang++")]
    for cmd in candidates:
        if cmd and shutil.which(cmd[0]):
            return cmd
    return None


@pytest.fixture(scope="module")
def npy_format_test(tmp_path_factory) -> Path:
    cxx = _compiler()
    if cxx is None:
        pytest.skip("no C++ compiler found (install g++ or set CXX)")
    out = tmp_path_factory.mktemp("npy_format_test") / "npy_format_test"
    cmd = [*cxx, *FLAGS, f"-I{ROOT / 'cc'}", *(str(ROOT / s) for s in SOURCES), "-o", str(out)]
    build = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert build.returncode == 0, f"build failed:\n{shlex.join(cmd)}\n{build.stdout}\n{build.stderr}"
    return out


def test_npy_format_unit_tests_pass_under_sanitizers(npy_format_test):
    env = dict(
        os.environ,
        ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
    )
    run = subprocess.run([str(npy_format_test)], capture_output=True, text=True, timeout=120, env=env)
    output = f"exit {run.returncode}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
    lines = run.stdout.strip().splitlines()
    summary = re.fullmatch(r"(\d+) passed, (\d+) failed", lines[-1]) if lines else None
    assert run.returncode == 0, output
    assert summary is not None, output
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0, output
    # Every registered test ran: one "[ OK ]" line each, and more than a few.
    assert passed == sum(line.startswith("[ OK ] ") for line in lines), output
    assert passed >= 30, output
