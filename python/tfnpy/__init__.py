"""tfnpy: decode NumPy .npy files natively inside TensorFlow graphs.

    ds = ds.map(lambda p: tfnpy.decode_npy(tf.io.read_file(p), tf.float32))
    ds = ds.map(lambda p: tfnpy.read_npy(p, tf.float32, shape=[224, 224, 3]))

``tfnpy.inspect`` and ``tfnpy.loads`` use the same C++ core without TensorFlow.
TensorFlow and the op library are loaded the first time ``decode_npy``,
``read_npy`` or ``data`` is used (PEP 562), so ``import tfnpy`` stays cheap.
"""

import importlib
import re
import warnings
from importlib import metadata

from tfnpy import _build_info
from tfnpy._core import NpyInfo, inspect, loads
from tfnpy._version import SUPPORTED_TENSORFLOW, __version__

__all__ = ["__version__", "NpyInfo", "data", "decode_npy", "inspect", "loads", "read_npy"]

# Names that need TensorFlow, and the module that has each.
_LAZY = {"decode_npy": "tfnpy._ops", "read_npy": "tfnpy._ops", "data": "tfnpy.data"}


class TensorFlowVersionWarning(UserWarning):
    """The installed TensorFlow is not the one this tfnpy was built for."""


def _minor(version):
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def _version_problem(running):
    """Why the op library cannot (or may not) load in TensorFlow `running`; None if it can."""
    built = _build_info.TF_VERSION
    first, last = SUPPORTED_TENSORFLOW
    if _minor(running) == _minor(built):
        if _minor(first) <= _minor(running) <= _minor(last):
            return None
        return (f"tfnpy {__version__} was built against TensorFlow {built}, which is outside the "
                f"range tfnpy is tested with ({first} to {last}).")
    major, minor = _minor(built)
    return (f"tfnpy {__version__} was built against TensorFlow {built}, but TensorFlow "
            f"{running} is installed: a custom op library only loads in the TensorFlow minor "
            f"version it was compiled for. Install tfnpy built for TensorFlow "
            f"{'.'.join(map(str, _minor(running)))} (tfnpy supports {first} to {last}; from "
            f"source: pip install --no-build-isolation --force-reinstall --no-deps <tfnpy "
            f"source>), or TensorFlow {major}.{minor} (pip install 'tensorflow-cpu~={major}."
            f"{minor}.0').")


def _installed_tensorflow():
    """The installed TensorFlow's version from its metadata (no import), or None."""
    for name in ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _warn_if_mismatched():
    """At import: say at once if the ops will not load here (loads/inspect still work)."""
    running = _installed_tensorflow()
    problem = running and _version_problem(running)
    if problem:
        warnings.warn(problem, TensorFlowVersionWarning, stacklevel=2)


def _load_tensorflow():
    try:
        import tensorflow as tf
    except ImportError as e:
        built = _build_info.TF_VERSION
        raise ImportError(
            f"tfnpy.decode_npy, read_npy and data need TensorFlow {'.'.join(built.split('.')[:2])}"
            f" (this tfnpy was built against {built}), and it cannot be imported ({e}). "
            f"Install it, e.g. pip install 'tfnpy[cpu]' or 'tfnpy[tensorflow]'. "
            f"tfnpy.loads and tfnpy.inspect work without it.") from e
    problem = _version_problem(tf.__version__)
    if problem and _minor(tf.__version__) != _minor(_build_info.TF_VERSION):
        raise ImportError(problem)


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tfnpy' has no attribute {name!r}")
    _load_tensorflow()
    value = importlib.import_module(module)
    if name != "data":
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


_warn_if_mismatched()
