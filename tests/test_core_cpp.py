"""Builds and runs the core's own C++ unit tests (cc/tests/, see cc/CMakeLists.txt).

The core (cc/npy/) depends only on the C++17 standard library, so its tests
are built here on their own with CMake and the machine's C++ compiler, under
AddressSanitizer and UndefinedBehaviorSanitizer: any out-of-bounds read, leak
or undefined behaviour aborts the run. The binary prints one line per test
and ends with "N passed, N failed". The core's source list is
cc/npy/CMakeLists.txt, the tests' cc/tests/CMakeLists.txt.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str | None:
    """`name` beside this interpreter (a venv's cmake/ninja), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


@pytest.fixture(scope="module")
def npy_core_test(tmp_path_factory) -> Path:
    cmake = _tool("cmake")
    if cmake is None:
        pytest.skip("cmake not found (pip install cmake)")
    build = tmp_path_factory.mktemp("npy_core_test")
    configure = [cmake, "-S", str(ROOT / "cc"), "-B", str(build), "-DTFNPY_SANITIZE=ON", "-DCMAKE_BUILD_TYPE=Debug"]
    ninja = _tool("ninja")
    if ninja is not None:
        configure += ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"]
    for cmd in (configure, [cmake, "--build", str(build), "--target", "npy_core_test", "-j", "2"]):
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if run.returncode != 0 and "No CMAKE_CXX_COMPILER could be found" in run.stdout + run.stderr:
            pytest.skip("no C++ compiler found (install g++ or set CXX)")
        assert run.returncode == 0, f"{' '.join(cmd)} failed:\n{run.stdout}\n{run.stderr}"
    return build / "tests" / "npy_core_test"


def test_core_unit_tests_pass_under_sanitizers(npy_core_test):
    env = dict(
        os.environ,
        ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
    )
    run = subprocess.run([str(npy_core_test)], capture_output=True, text=True, timeout=300, env=env)
    output = f"exit {run.returncode}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
    lines = run.stdout.strip().splitlines()
    summary = re.fullmatch(r"(\d+) passed, (\d+) failed", lines[-1]) if lines else None
    assert run.returncode == 0, output
    assert summary is not None, output
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0, output
    # Every registered test ran: one "[ OK ]" line each, and more than a few.
    assert passed == sum(line.startswith("[ OK ] ") for line in lines), output
    assert passed >= 40, output
