"""Packaging: lazy loading, the TensorFlow version checks, wheel metadata, the build backend."""

import os
import re
import shutil
import subprocess
import sys
import tarfile
from importlib import metadata

import pytest

import tfnpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code, *, cwd=None, check=True):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_loads_and_inspect_do_not_import_tensorflow(tmp_path):
    path = tmp_path / "a.npy"
    out = run_python(f"""
import io, sys
import numpy as np
import tfnpy
arr = np.arange(12, dtype=">i4").reshape(3, 4)
np.save({str(path)!r}, arr)
data = open({str(path)!r}, "rb").read()
assert np.array_equal(tfnpy.loads(data), arr)
assert tfnpy.inspect({str(path)!r}).shape == (3, 4)
assert tfnpy.inspect(data).dtype == np.dtype(">i4")
print("before", "tensorflow" in sys.modules)
tfnpy.read_npy
print("after", "tensorflow" in sys.modules)
""")
    assert out.stdout.split() == ["before", "False", "after", "True"], out.stdout


@pytest.mark.parametrize("first", ["tensorflow", "tfnpy"])
def test_import_tfnpy_registers_the_ops_whichever_is_imported_first(first):
    # A process that only loads a graph using the ops (SavedModel, tf.data
    # service worker) relies on this.
    second = "tfnpy" if first == "tensorflow" else "tensorflow"
    out = run_python(f"""
import {first}
import {second}
from tensorflow.python.framework import op_def_registry
print(sorted(op for op in ("TFNpy>DecodeNpy", "TFNpy>ReadNpy") if op_def_registry.get(op)))
""")
    assert out.stdout.strip() == "['TFNpy>DecodeNpy', 'TFNpy>ReadNpy']", out.stdout


def test_lazy_names_resolve_to_the_ops():
    from tfnpy import _ops, data

    assert tfnpy.decode_npy is _ops.decode_npy
    assert tfnpy.read_npy is _ops.read_npy
    assert tfnpy.data is data
    assert {"decode_npy", "read_npy", "data", "loads", "inspect"} <= set(dir(tfnpy))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tfnpy.nope  # noqa: B018


def test_op_library_refused_for_another_tensorflow_minor():
    out = run_python("""
import tfnpy
tfnpy._build_info.TF_VERSION = "2.15.1"
try:
    tfnpy.decode_npy
except ImportError as e:
    print(e)
else:
    raise SystemExit("no ImportError")
""")
    import tensorflow as tf

    msg = out.stdout
    assert "built against TensorFlow 2.15.1" in msg and f"TensorFlow {tf.__version__} is" in msg
    first, last = tfnpy.SUPPORTED_TENSORFLOW
    assert f"supports {first} to {last}" in msg


def test_import_warns_when_the_installed_tensorflow_differs(monkeypatch):
    monkeypatch.setattr(tfnpy._build_info, "TF_VERSION", "2.15.1")
    with pytest.warns(tfnpy.TensorFlowVersionWarning, match="built against TensorFlow 2.15.1"):
        tfnpy._warn_if_mismatched()


def test_import_warns_outside_the_supported_range(monkeypatch):
    import tensorflow as tf

    monkeypatch.setattr(tfnpy, "SUPPORTED_TENSORFLOW", ("1.0", "1.1"))
    with pytest.warns(tfnpy.TensorFlowVersionWarning, match=r"outside the range .*1\.0 to 1\.1"):
        tfnpy._warn_if_mismatched()
    assert tfnpy._version_problem(tf.__version__) is not None


def test_no_warning_for_the_tensorflow_it_was_built_for():
    import tensorflow as tf

    assert tfnpy._version_problem(tf.__version__) is None
    assert tfnpy._build_info.TF_VERSION.split(".")[:2] == tf.__version__.split(".")[:2]


def test_metadata_pins_tensorflow_only_in_extras():
    import tensorflow as tf

    requires = metadata.requires("tfnpy") or []
    hard = [r for r in requires if "extra ==" not in r]
    assert not [r for r in hard if r.lower().startswith("tensorflow")], hard
    major, minor = (int(p) for p in tf.__version__.split(".")[:2])
    for extra, dist in (("cpu", "tensorflow-cpu"), ("tensorflow", "tensorflow")):
        pins = [r for r in requires if re.search(rf"extra == ['\"]{extra}['\"]", r)]
        assert len(pins) == 1, requires
        spec = pins[0].split(";")[0].replace(" ", "")
        assert spec.startswith(dist + "<") or spec.startswith(dist + ">"), spec
        assert f">={major}.{minor}" in spec and f"<{major}.{minor + 1}" in spec, spec


@pytest.mark.parametrize("hook", ["get_requires_for_build_wheel", "build_wheel"])
def test_build_without_tensorflow_stops_with_a_short_message(hook, tmp_path):
    args = "" if hook.startswith("get_requires") else repr(str(tmp_path))
    proc = run_python(f"""
import sys
sys.path.insert(0, "python/build_support")
import tf_requirement
tf_requirement.installed_tensorflow = lambda: None   # as in pip's isolated environment
import tfnpy_backend
tfnpy_backend.{hook}({args})
""", cwd=ROOT, check=False)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "no TensorFlow" in proc.stderr
    assert "pip install --no-build-isolation ." in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 8, proc.stderr
    assert not list(tmp_path.iterdir())


def test_build_refuses_tensorflow_older_than_supported():
    proc = run_python("""
import sys
sys.path.insert(0, "python/build_support")
import tf_requirement
tf_requirement.installed_tensorflow = lambda: ("tensorflow", "2.15.1")
import tfnpy_backend
tfnpy_backend.prepare_metadata_for_build_wheel(".")
""", cwd=ROOT, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "2.15.1 is older than the oldest supported" in proc.stderr


def test_message_for_a_tensorflow_outside_the_range(monkeypatch):
    monkeypatch.setattr(tfnpy._build_info, "TF_VERSION", "2.21.0")
    monkeypatch.setattr(tfnpy, "SUPPORTED_TENSORFLOW", ("2.16", "2.21"))
    msg = tfnpy._version_problem("2.15.1")
    assert "TensorFlow 2.15 is outside the range tfnpy supports (2.16 to 2.21)" in msg, msg
    assert "tensorflow-cpu~=2.21.0" in msg, msg


def test_wheel_carries_the_license():
    # .ci/setup builds the wheel and installs it: its dist-info is the wheel's.
    dist = metadata.distribution("tfnpy")
    licenses = [f for f in dist.files if f.name == "LICENSE"]
    assert [f.as_posix() for f in licenses] == [f"tfnpy-{tfnpy.__version__}.dist-info/licenses/LICENSE"]
    with open(os.path.join(ROOT, "LICENSE")) as f:
        assert licenses[0].read_text() == f.read()
    assert dist.metadata["License-Expression"] == "Apache-2.0"
    assert dist.metadata.get_all("License-File") == ["LICENSE"]


def test_sdist_carries_the_license(tmp_path):
    # The files an sdist takes (tracked, or untracked and not ignored), copied apart:
    # built in the checkout, scikit-build-core would walk .venv and build/ too.
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, timeout=60)
    if listing.returncode != 0:
        pytest.skip("not a git checkout")
    src = tmp_path / "src"
    for name in filter(None, listing.stdout.decode().split("\0")):
        if os.path.isfile(os.path.join(ROOT, name)):
            os.makedirs(src / os.path.dirname(name), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), src / name)
    run_python(f"""
import sys
sys.path.insert(0, "python/build_support")
import tfnpy_backend
tfnpy_backend.build_sdist({str(tmp_path)!r})
""", cwd=src)
    (sdist,) = tmp_path.glob("tfnpy-*.tar.gz")
    top = f"tfnpy-{tfnpy.__version__}"
    with tarfile.open(sdist) as tar:
        license_text = tar.extractfile(f"{top}/LICENSE").read().decode()
        pkg_info = tar.extractfile(f"{top}/PKG-INFO").read().decode()
    with open(os.path.join(ROOT, "LICENSE")) as f:
        assert license_text == f.read()
    assert "License-Expression: Apache-2.0" in pkg_info and "License-File: LICENSE" in pkg_info
