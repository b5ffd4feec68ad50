"""Loads the compiled op library and wraps its ops in typed Python functions."""

from __future__ import annotations

import importlib.resources
from typing import Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfnpy import _build_info

ShapeLike = Union[None, tf.TensorShape, Sequence[Optional[int]]]
DTypeLike = Union[tf.dtypes.DType, np.dtype, type, str]

_SUPPORTED = (
    tf.bool, tf.int8, tf.int16, tf.int32, tf.int64,
    tf.uint8, tf.uint16, tf.uint32, tf.uint64,
    tf.float16, tf.float32, tf.float64, tf.complex64, tf.complex128,
)


def _check_tensorflow_version() -> None:
    built = _build_info.TF_VERSION
    running = tf.__version__
    if built.split(".")[:2] != running.split(".")[:2]:
        raise ImportError(
            f"tfnpy was built against TensorFlow {built} but TensorFlow "
            f"{running} is running; a custom op library only loads in the "
            "TensorFlow minor version it was compiled for. Rebuild tfnpy in "
            "this environment: pip install --no-build-isolation "
            "--force-reinstall --no-deps <path to the tfnpy source>"
        )


def _load_library():
    _check_tensorflow_version()
    resource = importlib.resources.files("tfnpy").joinpath("_tfnpy_ops.so")
    with importlib.resources.as_file(resource) as path:
        return tf.load_op_library(str(path))


_lib = _load_library()
_raw_decode_npy = _lib.tf_npy_decode_npy
_raw_read_npy = getattr(_lib, "tf_npy_read_npy", None)

# Decoding is not differentiable with respect to the file bytes.
tf.no_gradient("TFNpy>DecodeNpy")
tf.no_gradient("TFNpy>ReadNpy")


def as_dtype(dtype: DTypeLike) -> tf.dtypes.DType:
    """Converts a tf.DType, numpy dtype or name to a tf.DType we can decode."""
    try:
        tf_dtype = tf.dtypes.as_dtype(np.dtype(dtype) if isinstance(dtype, str) else dtype)
    except TypeError as e:
        raise TypeError(f"dtype {dtype!r} is not a dtype") from e
    if tf_dtype not in _SUPPORTED:
        names = ", ".join(d.name for d in _SUPPORTED)
        raise TypeError(f"dtype {tf_dtype.name} cannot be read from .npy; supported: {names}")
    return tf_dtype


def as_shape(shape: ShapeLike) -> tf.TensorShape:
    """None -> unknown rank; a list with None entries -> a partial shape."""
    shape = tf.TensorShape(shape)
    if shape.rank is not None and any(d is not None and d < 0 for d in shape.as_list()):
        raise ValueError(f"shape {shape} has a negative dimension")
    return shape


def _max_output(max_output_bytes: Optional[int]) -> int:
    if max_output_bytes is None:
        return -1
    if max_output_bytes < 0:
        raise ValueError(f"max_output_bytes must be >= 0 or None, got {max_output_bytes}")
    return int(max_output_bytes)


def decode_npy(
    contents,
    dtype: DTypeLike,
    shape: ShapeLike = None,
    name: Optional[str] = None,
    *,
    max_header_size: int = 10000,
    max_output_bytes: Optional[int] = None,
) -> tf.Tensor:
    """Decodes the bytes of a ``.npy`` file into a tensor, inside the graph.

    The native replacement for ``tf.numpy_function(np.load, ...)``: no Python
    runs when the graph executes, so it scales with ``num_parallel_calls``,
    keeps static shapes, serialises into SavedModels and runs on tf.data
    service workers. Results equal ``np.load`` bit for bit, in C order and
    native byte order (big-endian and Fortran-order files are converted).

    Args:
      contents: A ``tf.string`` tensor with the complete bytes of a ``.npy``
        file (for example from ``tf.io.read_file``). A scalar gives the
        array; a vector of N files gives one tensor of shape ``[N, *shape]``
        (all N must share dtype and shape, or the error names the first
        element that differs).
      dtype: The element type the file holds: a ``tf.DType``, numpy dtype or
        name. A file of another type is refused (byte order does not count).
      shape: Optional expected shape of each array, ``None`` for unknown
        dimensions. Sets the static shape in graph mode and is checked when
        the op runs.
      name: Optional op name.
      max_header_size: Longest header accepted, in characters (numpy's
        default, a guard against header-parsing denial of service).
      max_output_bytes: Optional cap on the output size; larger arrays raise
        ``ResourceExhaustedError`` before anything is allocated.

    Returns:
      A tensor of ``dtype``.

    Raises:
      tf.errors.InvalidArgumentError: malformed or truncated input, an
        unsupported dtype (object, string, structured...), or a dtype or
        shape other than expected. The message says what was expected and
        what was found.

    >>> import io, numpy as np, tfnpy
    >>> buf = io.BytesIO(); np.save(buf, np.arange(6, dtype=np.float32).reshape(2, 3))
    >>> tfnpy.decode_npy(buf.getvalue(), tf.float32, shape=[None, 3]).numpy()
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    """
    return _raw_decode_npy(
        contents=contents,
        dtype=as_dtype(dtype),
        shape=as_shape(shape),
        max_header_size=max_header_size,
        max_output_bytes=_max_output(max_output_bytes),
        name=name,
    )
