"""tfnpy: decode NumPy .npy files natively inside TensorFlow graphs.

    ds = ds.map(lambda p: tfnpy.decode_npy(tf.io.read_file(p), tf.float32))
    ds = ds.map(lambda p: tfnpy.read_npy(p, tf.float32, shape=[224, 224, 3]))

``tfnpy.inspect`` and ``tfnpy.loads`` use the same C++ core without TensorFlow.
``import tfnpy`` does not import TensorFlow (PEP 562): ``decode_npy``,
``read_npy`` and ``data`` import it when first used. The op library is loaded
as soon as TensorFlow is imported, before or after tfnpy, so a process that
only loads a graph using the ops (a SavedModel, a tf.data service worker) has
them registered after ``import tfnpy`` as before.
"""

import importlib
import re
import warnings
from importlib import metadata

from tfnpy import _build_info
from tfnpy._core import NpyInfo, NpzInfo, NpzMember, inspect, loads
from tfnpy._version import SUPPORTED_TENSORFLOW, __version__

__all__ = ["__version__", "NpyInfo", "NpzInfo", "NpzMember", "ReadErrors", "data", "decode_npy", "decode_npz", "encode_npy",
           "inspect", "loads", "read_npy", "read_npz", "write_npy"]

# Names that need TensorFlow, and the module that has each.
_LAZY = {"decode_npy": "tfnpy._ops", "read_npy": "tfnpy._ops", "decode_npz": "tfnpy._ops",
         "read_npz": "tfnpy._ops", "data": "tfnpy.data",
         "encode_npy": "tfnpy._ops", "write_npy": "tfnpy._ops", "ReadErrors": "tfnpy._ops"}


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
    want = ".".join(map(str, _minor(running)))
    if _minor(first) <= _minor(running) <= _minor(last):
        fix = (f"Install tfnpy built for TensorFlow {want} (tfnpy supports {first} to {last}; "
               "from source: pip install --no-build-isolation --force-reinstall --no-deps "
               "<tfnpy source>), or")
    else:
        fix = f"TensorFlow {want} is outside the range tfnpy supports ({first} to {last}). Install"
    return (f"tfnpy {__version__} was built against TensorFlow {built}, but TensorFlow "
            f"{running} is installed: a custom op library only loads in the TensorFlow minor "
            f"version it was compiled for. {fix} TensorFlow {major}.{minor} "
            f"(pip install 'tensorflow-cpu~={major}.{minor}.0').")


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
    if _minor(tf.__version__) != _minor(_build_info.TF_VERSION):
        raise ImportError(_version_problem(tf.__version__))


def _register_ops(tensorflow_module):
    """Post-import hook on tensorflow: load the op library (TFNpy>DecodeNpy, ReadNpy)."""
    if _minor(tensorflow_module.__version__) != _minor(_build_info.TF_VERSION):
        return  # Said at import (a warning) and on first use (ImportError).
    try:
        importlib.import_module("tfnpy._ops")
    except Exception as e:  # noqa: BLE001 - never break `import tensorflow`; first use re-raises
        warnings.warn(f"tfnpy could not load its op library: {e}", RuntimeWarning, stacklevel=2)


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
try:
    import wrapt  # A dependency of TensorFlow: where it is missing, so is TensorFlow.
except ImportError:
    pass
else:
    wrapt.register_post_import_hook(_register_ops, "tensorflow")
