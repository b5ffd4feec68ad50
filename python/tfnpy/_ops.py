"""Loads the compiled op library and wraps its ops in typed Python functions."""

from __future__ import annotations

import importlib.resources
from typing import NamedTuple, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfnpy import _build_info, _tfnpy_core
from tfnpy._core import check_max_header_size

ShapeLike = Union[None, tf.TensorShape, Sequence[Optional[int]]]
DTypeLike = Union[tf.dtypes.DType, np.dtype, type, str]

# The dtypes the core reads, from its dtype tables (cc/npy/dtype.h).
def _tensorflow_has(name: str) -> bool:
    try:
        tf.dtypes.as_dtype(name)
        return True
    except TypeError:  # the FNUZ float8 types before TensorFlow 2.17
        return False


_core_names = tuple(name for name in _tfnpy_core.DTYPES if _tensorflow_has(name))
_SUPPORTED = tuple(tf.dtypes.as_dtype(name) for name in _core_names)
# ml_dtypes' types (stored as V<item size>): the tables list them after string.
_VOID_STORED = _SUPPORTED[_core_names.index("string") + 1:]


def _void_types() -> str:
    """ "V2: bfloat16; V1: float8_e4m3fn, ...": ml_dtypes' types by the V<n> they are stored as."""
    sizes = dict.fromkeys(d.size for d in _VOID_STORED)
    return "; ".join(f"V{n}: " + ", ".join(d.name for d in _VOID_STORED if d.size == n) for n in sizes)


def _load_library():
    # The package's own check (tfnpy/__init__.py), also for a direct import of this module.
    import tfnpy

    if tfnpy._minor(tf.__version__) != tfnpy._minor(_build_info.TF_VERSION):
        raise ImportError(tfnpy._version_problem(tf.__version__))
    resource = importlib.resources.files("tfnpy").joinpath("_tfnpy_ops.so")
    with importlib.resources.as_file(resource) as path:
        return tf.load_op_library(str(path))


_lib = _load_library()
_raw_decode_npy = _lib.tf_npy_decode_npy
_raw_read_npy = _lib.tf_npy_read_npy
_raw_read_npz = _lib.tf_npy_read_npz
_raw_decode_npz = _lib.tf_npy_decode_npz

# Decoding is not differentiable with respect to the file bytes.
tf.no_gradient("TFNpy>DecodeNpy")
tf.no_gradient("TFNpy>ReadNpy")
tf.no_gradient("TFNpy>ReadNpz")
tf.no_gradient("TFNpy>DecodeNpz")


def as_dtype(dtype: DTypeLike) -> tf.dtypes.DType:
    """Converts a tf.DType, numpy dtype or name to a tf.DType we can decode.

    numpy's S and U dtypes (any item size: the file's is read from it) give
    ``tf.string``; ml_dtypes' types (``ml_dtypes.bfloat16``,
    ``ml_dtypes.float8_e4m3fn``, ``ml_dtypes.int4``...) their TensorFlow
    types; the names ``"string"``, ``"bfloat16"``, ``"float8_e4m3fn"``... are
    TensorFlow's.
    """
    names = ", ".join(d.name for d in _SUPPORTED)
    if isinstance(dtype, str) and dtype in _core_names:
        return tf.dtypes.as_dtype(dtype)
    if not isinstance(dtype, tf.dtypes.DType):
        try:
            np_dtype = np.dtype(dtype)
        except TypeError:
            np_dtype = None
        if np_dtype is not None and np_dtype.kind in "SU":
            return tf.string
        if np_dtype is not None and np_dtype.kind == "V" and np_dtype.names is None:
            try:
                tf_dtype = tf.dtypes.as_dtype(np_dtype)  # ml_dtypes' types
            except TypeError:
                tf_dtype = None
            if tf_dtype not in _SUPPORTED:
                raise TypeError(
                    f"dtype {dtype!r} is numpy's {np_dtype.name} (raw bytes), which has no tensor type; "
                    "a V<n> file written by np.save of an ml_dtypes array reads with its ml_dtypes type "
                    f"as dtype ({_void_types()}); supported: {names}"
                )
            return tf_dtype
        if np_dtype is not None and np_dtype.kind in "OVMmT":
            # numpy types with no tensor equivalent (tf.as_dtype would turn
            # object into tf.string).
            raise TypeError(
                f"dtype {dtype!r} is numpy's {np_dtype.name}, which cannot be read from .npy "
                "(object arrays hold pickles, which tfnpy never loads; structured arrays, "
                f"datetimes and variable-width strings have no tensor type here); supported: {names}"
            )
    try:
        tf_dtype = tf.dtypes.as_dtype(np.dtype(dtype) if isinstance(dtype, str) else dtype)
    except TypeError as e:
        raise TypeError(f"dtype {dtype!r} is not a dtype") from e
    if tf_dtype not in _SUPPORTED:
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


class ReadErrors(NamedTuple):
    """Each file's error, from a read with ``on_error="report"``.

    Attributes:
      code: ``tf.int32``, one per file: 0 for a file read, else its error's
        code (``tf.errors.NOT_FOUND``, ``INVALID_ARGUMENT``, ``DATA_LOSS``...).
      message: ``tf.string``, one per file: the error's message (it names the
        file), empty for a file read.
    """

    code: tf.Tensor
    message: tf.Tensor


def _on_error(on_error: str) -> str:
    if on_error not in ("raise", "report"):
        raise ValueError(f"on_error must be 'raise' or 'report', got {on_error!r}")
    return on_error


def _static_rank(t) -> Optional[int]:
    return tf.convert_to_tensor(t).shape.rank if not isinstance(t, (str, bytes)) else 0


def _ragged(values, row_shapes, shape: tf.TensorShape, batched: bool, columns=None):
    """The arrays a ragged read laid out one after another (values) as a
    tf.RaggedTensor [n, ...]: axes whose size ``shape`` leaves unknown are
    ragged, the others uniform (all known: a dense [n, *shape] tensor). For a
    scalar path, the one array, dense. ``columns``: this output's columns of
    row_shapes (ReadNpz lays its keys' shapes side by side)."""
    rank = shape.rank
    if rank is None:
        rank = row_shapes.shape[1] if columns is None else None
    if rank is None:
        raise ValueError("ragged=True needs the arrays' rank when it is not known until the graph runs: "
                         "pass shape= with one entry per axis, None where the files differ (e.g. [None, 128])")
    if columns is not None:
        row_shapes = row_shapes[:, columns[0]:columns[0] + rank]
    dims = shape.as_list() if shape.rank is not None else [None] * rank
    if not batched:
        array = tf.reshape(values, row_shapes[0])
        if shape.rank is not None:
            array.set_shape(shape)
        return array
    n = tf.shape(row_shapes, out_type=tf.int64)[0]  # A constant where the batch size is static.
    # Trailing axes of known size stay in the flat values; those before them
    # become row partitions, innermost first.
    t = rank
    while t > 0 and dims[t - 1] is not None:
        t -= 1
    if t == 0:  # Nothing varies: a dense batch.
        return tf.reshape(values, [-1] + dims) if rank else values
    rt = tf.reshape(values, [-1] + dims[t:])
    # Rows at level k: every array contributes the product of its first k dims.
    rows = tf.math.cumprod(row_shapes[:, :t], axis=1, exclusive=True)
    for k in reversed(range(t)):
        if dims[k] is None:
            lengths = row_shapes[:, 0] if k == 0 else tf.repeat(row_shapes[:, k], rows[:, k])
            rt = tf.RaggedTensor.from_row_lengths(rt, lengths, validate=False)
        else:
            nrows = n if k == 0 else tf.reduce_sum(rows[:, k])  # n: static where the batch size is.
            rt = tf.RaggedTensor.from_uniform_row_length(rt, dims[k], nrows=nrows, validate=False)
    return rt


def _result(outputs, first, ragged: bool, on_error: str, shapes, several: bool):
    """What a read op's outputs give the caller: the arrays (ragged ones
    built), and with on_error="report" a ReadErrors beside them."""
    *arrays, row_shapes, code, message = outputs
    if ragged:
        batched = _static_rank(first)
        if batched is None:
            raise ValueError("ragged=True needs the filenames' rank (a scalar or a vector) to be known")
        column, built = 0, []
        for array, shape in zip(arrays, shapes):
            built.append(_ragged(array, row_shapes, shape, batched == 1, (column,) if several else None))
            column += shape.rank or 0
        arrays = built
    result = arrays if several else arrays[0]
    return (result, ReadErrors(code, message)) if on_error == "report" else result


def decode_npy(
    contents,
    dtype: DTypeLike,
    shape: ShapeLike = None,
    name: Optional[str] = None,
    *,
    ragged: bool = False,
    on_error: str = "raise",
    max_header_size: int = 10000,
    max_output_bytes: Optional[int] = None,
):
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
        element that differs; ``ragged=True`` reads arrays of different
        shapes).
      dtype: The element type the file holds: a ``tf.DType``, numpy dtype or
        name. A file of another type is refused (byte order does not count).
        ``tf.string`` reads ``S`` and ``U`` arrays (bytes, or UTF-8 for ``U``,
        trailing NULs stripped as numpy does); ``tf.bfloat16`` reads the ``V2``
        arrays ``np.save`` writes for ``ml_dtypes.bfloat16``, and
        ``"float8_e4m3fn"`` (or ``ml_dtypes.float8_e4m3fn``; likewise
        float8_e4m3fnuz, float8_e4m3b11fnuz, float8_e5m2fnuz, int4, uint4)
        the ``V1`` arrays it writes for those types, bit for bit.
      shape: Optional expected shape of each array, ``None`` for unknown
        dimensions. Sets the static shape in graph mode and is checked when
        the op runs. With ``ragged=True``, the axes left ``None`` are the
        ragged ones.
      name: Optional op name.
      ragged: For a vector of N files: return a ``tf.RaggedTensor`` of N
        rows, row ``i`` the array of file ``i`` (as ``tf.ragged.stack`` of
        the arrays would give), so that the arrays may differ in shape. The
        axes ``shape`` leaves ``None`` are ragged and those it gives are
        uniform; without ``shape``, every axis is ragged (the rank is then
        needed when the graph is built: give ``shape`` with ``None``
        entries in a ``tf.function`` or ``tf.data`` map). Every file must
        have the same number of dimensions.
      on_error: ``"raise"`` (default): the first bad file (the lowest
        index) fails the call. ``"report"``: every other file is read and
        the call returns ``(result, errors)``, ``errors`` a
        :class:`ReadErrors` with each file's error code and message; a bad
        file's row holds zeros (empty strings; ragged: its known
        dimensions, the others 0).
      max_header_size: Longest header accepted, in characters (numpy's
        default, a guard against header-parsing denial of service).
      max_output_bytes: Optional cap on each array's size; larger arrays
        raise ``ResourceExhaustedError`` before anything is allocated.

    Returns:
      A tensor of ``dtype`` (a ``tf.RaggedTensor`` with ``ragged=True``);
      with ``on_error="report"``, a pair ``(result, ReadErrors)``.

    Raises:
      tf.errors.InvalidArgumentError: malformed or truncated input, an
        unsupported dtype (object, structured, datetime...), or a dtype or
        shape other than expected. The message says what was expected and
        what was found.

    >>> import io, numpy as np, tensorflow as tf, tfnpy
    >>> buf = io.BytesIO(); np.save(buf, np.arange(6, dtype=np.float32).reshape(2, 3))
    >>> tfnpy.decode_npy(buf.getvalue(), tf.float32, shape=[None, 3]).numpy()
    array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32)
    """
    on_error = _on_error(on_error)
    shape = as_shape(shape)
    outputs = _raw_decode_npy(
        contents=contents,
        dtype=as_dtype(dtype),
        shape=shape,
        ragged=bool(ragged),
        on_error=on_error,
        max_header_size=check_max_header_size(max_header_size),
        max_output_bytes=_max_output(max_output_bytes),
        name=name,
    )
    return _result(outputs, contents, ragged, on_error, [shape], False)


_INT64_MAX = 2**63 - 1
# read_npy refuses arrays above this by default, before allocating: a header
# can claim any size, and a file system can be remote. Raise it as needed.
DEFAULT_MAX_READ_BYTES = 16 * 2**30


def _bound(value, what: str, relative: bool):
    """One of start/stop as an int64 (relative: float64) tensor or numpy array."""
    if value is None:
        return None
    kind = "float64 fractions of each axis" if relative else "integers (slice indices, as in numpy)"
    want = tf.float64 if relative else tf.int64
    if isinstance(value, (tf.Tensor, tf.Variable)):
        empty = value.shape.num_elements() == 0
        ok = value.dtype.is_integer or value.dtype == tf.bool or (relative and value.dtype.is_floating)
        if not (ok or empty):
            raise TypeError(f"{what} must hold {kind}, got a {value.dtype.name} tensor")
        if value.shape.rank is not None and value.shape.rank > 2:
            raise ValueError(f"{what} must be a number, a sequence of them or an [N, k] matrix, got rank {value.shape.rank}")
        return tf.cast(value, want)
    array = np.asarray(value)
    # [] and () are float64 to numpy: an empty box, whatever its type.
    ok = array.dtype.kind in "biu" or (relative and array.dtype.kind == "f")
    if array.dtype == object or not (ok or array.size == 0):
        raise TypeError(f"{what} must be {kind}; got {type(value).__name__} {str(value)[:40]}")
    if array.ndim > 2:
        raise ValueError(f"{what} must be a number, a sequence of them or an [N, k] matrix, got shape {array.shape}")
    if array.dtype.kind == "u" and array.size and array.max() > _INT64_MAX:
        raise ValueError(f"{what} must be below 2**63, got {value}")
    if relative and array.size and not np.isfinite(array).all():
        raise ValueError(f"{what} must be finite fractions, got {value}")
    return array.astype(np.float64 if relative else np.int64)


def _region(start, stop, rel_start=None, rel_stop=None):
    """The region inputs: start and stop as int64 (rel_start and rel_stop as
    float64) tensors or arrays of one shape: [] (scalar: axis 0), [k] or
    [N, k]; an empty vector pair for the whole array."""
    relative = rel_start is not None or rel_stop is not None
    if relative and (start is not None or stop is not None):
        raise ValueError("give start/stop (indices) or rel_start/rel_stop (fractions of each axis), not both")
    if relative:
        start, stop = rel_start, rel_stop
    names = ("rel_start", "rel_stop") if relative else ("start", "stop")
    start, stop = _bound(start, names[0], relative), _bound(stop, names[1], relative)
    dtype = np.float64 if relative else np.int64
    end = 1.0 if relative else _INT64_MAX
    if start is None and stop is None:
        empty = np.zeros([0], dtype)
        return empty, empty
    if start is None:
        start = np.zeros_like(stop) if isinstance(stop, np.ndarray) else tf.zeros_like(stop)
    if stop is None:
        stop = np.full_like(start, end) if isinstance(start, np.ndarray) else tf.fill(tf.shape(start), tf.constant(end, start.dtype))
    if isinstance(start, np.ndarray) and isinstance(stop, np.ndarray) and start.shape != stop.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {start.shape} and {stop.shape}")
    return start, stop


def _out_of_bounds(out_of_bounds: str, fill_value, dtypes):
    """The out_of_bounds attr and one fill_value scalar per dtype."""
    if out_of_bounds not in ("clamp", "error", "pad"):
        raise ValueError(f"out_of_bounds must be 'clamp', 'error' or 'pad', got {out_of_bounds!r}")
    if fill_value is not None and out_of_bounds != "pad":
        raise ValueError("fill_value is used only with out_of_bounds='pad'")
    fills = []
    for dtype in dtypes:
        if isinstance(fill_value, (tf.Tensor, tf.Variable)):
            fill = fill_value if fill_value.dtype == dtype else tf.cast(fill_value, dtype)
        else:
            # Through numpy, which converts to every type (TensorFlow cannot
            # cast into the float8 types), ml_dtypes' included.
            value = (b"" if dtype == tf.string else 0) if fill_value is None else fill_value
            try:
                fill = tf.constant(np.asarray(value, dtype=object if dtype == tf.string else dtype.as_numpy_dtype),
                                   dtype)
            except (TypeError, ValueError) as e:
                raise TypeError(f"fill_value {fill_value!r} is not a {dtype.name} value: {e}") from None
        if fill.shape.rank not in (None, 0):
            raise ValueError(f"fill_value must be a scalar, got shape {fill.shape}")
        fills.append(fill)
    return out_of_bounds, fills


def read_npy(
    filename,
    dtype: DTypeLike,
    shape: ShapeLike = None,
    start=None,
    stop=None,
    name: Optional[str] = None,
    *,
    rel_start=None,
    rel_stop=None,
    out_of_bounds: str = "clamp",
    fill_value=None,
    ragged: bool = False,
    on_error: str = "raise",
    max_header_size: int = 10000,
    max_output_bytes: Optional[int] = DEFAULT_MAX_READ_BYTES,
):
    """Reads ``.npy`` files into a tensor, inside the graph.

    Opens the file through TensorFlow's file systems (local paths, ``ram://``,
    and ``gs://``, ``s3://``, ``hdfs://`` where TensorFlow has them), checks
    the header against the file size, allocates the output and reads the data
    straight into it: no Python, no intermediate string.

    Args:
      filename: A scalar ``tf.string`` path, or a vector of N paths, giving
        ``[N, *shape]`` (the files are read in parallel on TensorFlow's
        intra-op threads; on a remote file system such as ``gs://``,
        ``TFNPY_REMOTE_THREADS`` at once, see the remote storage guide). The
        arrays of a vector must share their shape unless ``ragged=True``.
      dtype: The element type the files hold (``tf.DType``, numpy dtype or
        name).
      shape: Optional expected shape of each whole array, ``None`` for
        unknown dimensions; sets the static shape (with ``ragged=True``: the
        axes left ``None`` are the ragged ones).
      start: Optional start of a region to read: an int (rows of axis 0), a
        sequence of k ints (a box over the first k axes, k <= rank; empty:
        the whole array), or for a vector of N paths an ``[N, k]`` array or
        tensor (one box per file, e.g. random crops). A negative index
        counts from the end of its axis, as in Python (``-16000``: the last
        16,000 samples of each file). Python ints, lists, numpy arrays and
        integer tensors are accepted.
      stop: Optional end of the region (one past its last index on each
        axis), the same shape as ``start``. A missing ``start`` is 0 and a
        missing ``stop`` the end of each axis. Only about the region's bytes
        are read (contiguous runs, small gaps read through), in C and
        Fortran order alike. With a vector of paths and 1-D bounds, every
        file gives the same region.
      name: Optional op name.
      rel_start: Instead of ``start``: the region's start as fractions of
        each axis of each file (0.0 its start, 1.0 its end; DALI's
        ``rel_roi_start``), rounded to the nearest index: a centre crop
        ``rel_start=[0.25, 0.25], rel_stop=[0.75, 0.75]`` of files of any
        size needs no shape lookup.
      rel_stop: Instead of ``stop``: the region's end as fractions.
      out_of_bounds: What bounds outside an axis do: ``"clamp"`` (default)
        clamps them, as a Python slice does (a smaller or empty result);
        ``"error"`` fails with the file, the bound and the shape unless
        ``0 <= start <= stop <= length`` on every axis; ``"pad"`` gives the
        requested size whatever the file's (``stop - start`` on each axis)
        with ``fill_value`` outside the array (fixed-size random crops of
        volumes of different sizes).
      fill_value: With ``out_of_bounds="pad"``: the value outside the
        array (default 0, ``False`` or ``b""``).
      ragged: For a vector of N paths: return a ``tf.RaggedTensor`` of N
        rows, row ``i`` the array (region) of file ``i``, so that files may
        differ in shape. Ragged axes are those ``shape`` leaves ``None``
        (without ``shape``, every axis; then the rank must be known when
        the graph is built: give ``shape`` inside ``tf.function`` or
        ``tf.data``). One op call reads every file straight into the
        values, in parallel; regions and caps apply to each file.
      on_error: ``"raise"`` (default): the first bad file (the lowest index)
        fails the call. ``"report"``: the other files are read and the call
        returns ``(result, errors)``, ``errors`` a :class:`ReadErrors` of
        each file's error code and message; a bad file's row is zeros.
      max_header_size: Longest header accepted, in characters.
      max_output_bytes: Cap on each file's selected size (per file, not for
        the whole batch), checked once the file is known to hold its data and
        before anything is allocated (``ResourceExhaustedError`` above it);
        ``None`` for no cap. Default 16 GiB.

    Returns:
      A tensor of ``dtype`` (a ``tf.RaggedTensor`` with ``ragged=True`` and a
      vector of paths); with ``on_error="report"``, ``(result, ReadErrors)``.

    Raises:
      tf.errors.NotFoundError: a file does not exist.
      tf.errors.InvalidArgumentError: malformed or truncated file, unexpected
        dtype or shape, a region out of bounds with ``out_of_bounds="error"``.
        Every message names the file.
      tf.errors.DataLossError: a file shrank or changed while it was read.
      TypeError: ``start``/``stop`` are not integers.

    >>> import os, tempfile, numpy as np, tensorflow as tf, tfnpy
    >>> path = os.path.join(tempfile.mkdtemp(), "a.npy")
    >>> np.save(path, np.arange(10, dtype=np.int64).reshape(5, 2))
    >>> tfnpy.read_npy(path, tf.int64, start=1, stop=3).numpy()
    array([[2, 3],
           [4, 5]])
    >>> tfnpy.read_npy(path, tf.int64, start=[-2, 1]).numpy()
    array([[7],
           [9]])
    >>> tfnpy.read_npy(path, tf.int64, start=[4, 0], stop=[6, 2], out_of_bounds="pad", fill_value=-1).numpy()
    array([[ 8,  9],
           [-1, -1]])
    """
    on_error = _on_error(on_error)
    shape = as_shape(shape)
    outputs = _read_npy_outputs(filename, dtype, shape, start, stop, name, rel_start, rel_stop, out_of_bounds,
                                fill_value, ragged, on_error, max_header_size, max_output_bytes)
    return _result(outputs, filename, ragged, on_error, [shape], False)


def _read_npy_outputs(filename, dtype, shape, start, stop, name, rel_start, rel_stop, out_of_bounds, fill_value,
                      ragged, on_error, max_header_size, max_output_bytes):
    """ReadNpy's outputs as the op gives them: the array (flat values when
    ragged), row_shapes, status, message."""
    start, stop = _region(start, stop, rel_start, rel_stop)
    dtype = as_dtype(dtype)
    out_of_bounds, fills = _out_of_bounds(out_of_bounds, fill_value, [dtype])
    return _raw_read_npy(
        filename=filename,
        start=start,
        stop=stop,
        fill_value=fills[0],  # Its type is the dtype attr's.
        shape=as_shape(shape),
        out_of_bounds=out_of_bounds,
        ragged=bool(ragged),
        on_error=_on_error(on_error),
        max_header_size=check_max_header_size(max_header_size),
        max_output_bytes=_max_output(max_output_bytes),
        name=name,
    )


def _members(key, dtype, shape):
    """(keys, dtypes, shapes, several) from read_npz's key/dtype/shape arguments."""
    if isinstance(key, dict):
        if dtype is not None:
            raise TypeError("with a dict of keys, give each key's dtype in the dict (dtype= must be None)")
        if not key:
            raise ValueError("the dict of keys is empty: name at least one member")
        keys = list(key)
        if shape is not None and not isinstance(shape, dict):
            raise TypeError("with a dict of keys, shape= must be None or a dict {key: shape}")
        shapes = [as_shape((shape or {}).get(k)) for k in keys]
        unknown = set(shape or {}) - set(keys)
        if unknown:
            raise ValueError(f"shape= names keys that are not read: {sorted(unknown)}")
        return keys, [as_dtype(key[k]) for k in keys], shapes, True
    if not isinstance(key, str):
        raise TypeError(f"key must be a str (a member name as numpy gives it) or a dict {{key: dtype}}, got {type(key).__name__}")
    if dtype is None:
        raise TypeError("dtype is required for a single key")
    return [key], [as_dtype(dtype)], [as_shape(shape)], False


def _npz(raw, first, key, dtype, shape, start, stop, name, max_header_size, max_output_bytes, verify_crc,
         rel_start, rel_stop, out_of_bounds, fill_value, ragged, on_error, **inputs):
    keys, dtypes, shapes, several = _members(key, dtype, shape)
    on_error = _on_error(on_error)
    outputs = _npz_outputs(raw, first, keys, dtypes, shapes, start, stop, name, max_header_size, max_output_bytes,
                           verify_crc, rel_start, rel_stop, out_of_bounds, fill_value, ragged, on_error, **inputs)
    result = _result(outputs, inputs[first], ragged, on_error, shapes, True)
    if on_error == "report":
        arrays, errors = result
        return (dict(zip(keys, arrays)) if several else arrays[0]), errors
    return dict(zip(keys, result)) if several else result[0]


def _npz_outputs(raw, first, keys, dtypes, shapes, start, stop, name, max_header_size, max_output_bytes,
                 verify_crc, rel_start, rel_stop, out_of_bounds, fill_value, ragged, on_error, **inputs):
    """ReadNpz's (DecodeNpz's) outputs as the op gives them, flat: one array
    per key (flat values when ragged), row_shapes, status, message."""
    if not isinstance(verify_crc, bool):
        raise TypeError(f"verify_crc must be a bool, got {type(verify_crc).__name__}")
    start, stop = _region(start, stop, rel_start, rel_stop)
    out_of_bounds, fills = _out_of_bounds(out_of_bounds, fill_value, dtypes)
    arrays, *rest = raw(
        start=start,
        stop=stop,
        fill_value=fills,  # Their types are the dtypes attr's.
        keys=keys,
        shapes=shapes,
        out_of_bounds=out_of_bounds,
        ragged=bool(ragged),
        on_error=on_error,
        max_header_size=check_max_header_size(max_header_size),
        max_output_bytes=_max_output(max_output_bytes),
        verify_crc=verify_crc,
        name=name,
        **{first: inputs[first]},
    )
    return [*arrays, *rest]


def read_npz(
    filename,
    key,
    dtype: Optional[DTypeLike] = None,
    shape=None,
    start=None,
    stop=None,
    name: Optional[str] = None,
    *,
    rel_start=None,
    rel_stop=None,
    out_of_bounds: str = "clamp",
    fill_value=None,
    ragged: bool = False,
    on_error: str = "raise",
    max_header_size: int = 10000,
    max_output_bytes: Optional[int] = DEFAULT_MAX_READ_BYTES,
    verify_crc: bool = True,
):
    """Reads arrays from ``.npz`` archives (``np.savez``, ``np.savez_compressed``), inside the graph.

    Gives what ``np.load(filename)[key]`` gives, bit for bit, in C order and
    native byte order, with ``read_npy``'s dtype and shape checks. Stored
    members are read straight into the output; deflated members are
    inflated (zlib) as they are read, never past what is asked for. Every
    member read whole has its CRC-32 checked (``DataLossError``).

    Args:
      filename: A scalar path, or a vector of N paths (read in parallel,
        giving ``[N, *shape]`` per key, or ragged rows with ``ragged=True``).
      key: The member as numpy names it (``"x"`` for ``x.npy``, ``"arr_0"``
        for positional ``savez`` arguments, ``"sub/x"``), or a dict
        ``{key: dtype}`` to read several members with one archive open and
        one directory parse: then the result is a dict ``{key: tensor}``.
      dtype: The element type of the member (single key only).
      shape: Expected shape of the whole array (``None`` entries allowed); a
        dict ``{key: shape}`` with a dict of keys.
      start: A region, exactly as for ``read_npy`` (ints, negative ones from
        the end, sequences, ``[N, k]``), applied to every key. On a stored
        member only the region's bytes are read; a deflated member is
        inflated up to the region's end (its CRC is then not checked: it
        covers the whole member).
      stop: The region's end, as for ``read_npy``.
      name: Optional op name.
      rel_start: Instead of ``start``: fractions of each axis, as for
        ``read_npy``.
      rel_stop: Instead of ``stop``: fractions of each axis.
      out_of_bounds: ``"clamp"``, ``"error"`` or ``"pad"``, as for
        ``read_npy``.
      fill_value: With ``out_of_bounds="pad"``: the value outside each
        array (cast to each key's dtype).
      ragged: Return each key's arrays as a ``tf.RaggedTensor`` of N rows
        (as for ``read_npy``; each key's ``shape`` says which axes are
        ragged, and with a dict of keys every key needs a shape of known
        rank).
      on_error: ``"raise"`` or ``"report"``, as for ``read_npy``: with
        ``"report"`` the result is ``(arrays, ReadErrors)``, one error per
        archive (an archive fails as a whole if any of its keys does).
      max_header_size: Longest ``.npy`` header accepted, in characters.
      max_output_bytes: Cap on what one archive's members select in all
        (the sum over the keys read; per archive as ``read_npy``'s is per
        file, not for the whole batch), checked before anything is
        allocated or inflated past the members' headers
        (``ResourceExhaustedError``); ``None`` for no cap. Default 16 GiB.
      verify_crc: Check the CRC-32 of every member read whole, as
        ``np.load`` does. ``False`` skips that check alone (every other
        check stays), for storage you trust: checksumming every byte costs
        up to a fifth of a page-cached read (see the ``.npz`` guide).

    Returns:
      A tensor, or a dict of tensors for a dict of keys (ragged tensors with
      ``ragged=True``); with ``on_error="report"``, ``(that, ReadErrors)``.

    Raises:
      tf.errors.InvalidArgumentError: a missing key (the message lists the
        members), a malformed or unsupported archive or member, an
        unexpected dtype or shape.
      tf.errors.DataLossError: a CRC-32 mismatch, or a file that changed.

    >>> import os, tempfile, numpy as np, tensorflow as tf, tfnpy
    >>> path = os.path.join(tempfile.mkdtemp(), "a.npz")
    >>> np.savez_compressed(path, x=np.arange(6).reshape(3, 2), y=np.ones(2, np.float32))
    >>> tfnpy.read_npz(path, "x", tf.int64, start=1).numpy()
    array([[2, 3],
           [4, 5]])
    >>> sorted(tfnpy.read_npz(path, {"x": tf.int64, "y": tf.float32}))
    ['x', 'y']
    """
    return _npz(_raw_read_npz, "filename", key, dtype, shape, start, stop, name, max_header_size,
                max_output_bytes, verify_crc, rel_start, rel_stop, out_of_bounds, fill_value, ragged, on_error,
                filename=filename)


def decode_npz(
    contents,
    key,
    dtype: Optional[DTypeLike] = None,
    shape=None,
    start=None,
    stop=None,
    name: Optional[str] = None,
    *,
    rel_start=None,
    rel_stop=None,
    out_of_bounds: str = "clamp",
    fill_value=None,
    ragged: bool = False,
    on_error: str = "raise",
    max_header_size: int = 10000,
    max_output_bytes: Optional[int] = None,
    verify_crc: bool = True,
):
    """Decodes arrays from the bytes of ``.npz`` archives, inside the graph.

    ``read_npz`` for archives already in memory (from ``tf.io.read_file``, a
    TFRecord, a request): gives what ``np.load(io.BytesIO(contents))[key]``
    gives, bit for bit, in C order and native byte order, with the same
    members, regions and checks.

    Args:
      contents: A ``tf.string`` tensor: the complete bytes of one archive (a
        scalar), or of N archives (a vector, giving ``[N, *shape]`` per key;
        the members must agree in dtype and shape across the N).
      key: The member as numpy names it (``"x"`` for ``x.npy``, ``"arr_0"``
        for positional ``savez`` arguments, ``"sub/x"``), or a dict
        ``{key: dtype}`` to decode several members with one directory parse:
        then the result is a dict ``{key: tensor}``.
      dtype: The element type of the member (single key only).
      shape: Expected shape of the whole array (``None`` entries allowed); a
        dict ``{key: shape}`` with a dict of keys.
      start: Optional start of a region, exactly as for ``read_npy`` (an int,
        negative ones from the end, a sequence of k ints, or ``[N, k]``),
        applied to every key. A
        deflated member is inflated only up to the region's end.
      stop: Optional end of the region, as for ``read_npy``.
      name: Optional op name.
      rel_start: Instead of ``start``: fractions of each axis, as for
        ``read_npy``.
      rel_stop: Instead of ``stop``: fractions of each axis.
      out_of_bounds: ``"clamp"``, ``"error"`` or ``"pad"``, as for
        ``read_npy``.
      fill_value: With ``out_of_bounds="pad"``: the value outside each
        array (cast to each key's dtype).
      ragged: Return each key's arrays as a ``tf.RaggedTensor`` of N rows,
        as for ``read_npz``.
      on_error: ``"raise"`` or ``"report"``, as for ``read_npz``: with
        ``"report"`` the result is ``(arrays, ReadErrors)``.
      max_header_size: Longest ``.npy`` header accepted, in characters.
      max_output_bytes: Optional cap on what one archive's members select in
        all, as for ``read_npz``, checked before anything is allocated or
        inflated past the members' headers (``ResourceExhaustedError``).
        Default ``None``: no cap beyond what each member declares, which the
        archive's size bounds (deflate expands at most about 1032:1).
      verify_crc: Check the CRC-32 of every member decoded whole, as
        ``np.load`` does; ``False`` skips that check alone.

    Returns:
      A tensor, or a dict of tensors for a dict of keys (ragged tensors with
      ``ragged=True``); with ``on_error="report"``, ``(that, ReadErrors)``.

    Raises:
      tf.errors.InvalidArgumentError: a missing key (the message lists the
        members), a malformed or unsupported archive or member, an
        unexpected dtype or shape.
      tf.errors.DataLossError: a CRC-32 mismatch.
      tf.errors.ResourceExhaustedError: a member larger than
        ``max_output_bytes``.

    >>> import io, numpy as np, tensorflow as tf, tfnpy
    >>> buf = io.BytesIO(); np.savez_compressed(buf, x=np.arange(6.0).reshape(3, 2), y=np.array([7, 8]))
    >>> tfnpy.decode_npz(buf.getvalue(), "x", tf.float64, stop=2).numpy()
    array([[0., 1.],
           [2., 3.]])
    >>> tfnpy.decode_npz(tf.constant([buf.getvalue()] * 2), {"y": tf.int64})["y"].numpy()
    array([[7, 8],
           [7, 8]])
    """
    return _npz(_raw_decode_npz, "contents", key, dtype, shape, start, stop, name, max_header_size,
                max_output_bytes, verify_crc, rel_start, rel_stop, out_of_bounds, fill_value, ragged, on_error,
                contents=contents)


# ---------------------------------------------------------------------------
# Writing .npy (issue #16).

_raw_encode_npy = _lib.tf_npy_encode_npy
_raw_write_npy = _lib.tf_npy_write_npy
# Encoding is not differentiable; WriteNpy has no output at all.
tf.no_gradient("TFNpy>EncodeNpy")
tf.no_gradient("TFNpy>WriteNpy")

# What encode_npy and write_npy take: the dtypes the core reads: strings as
# numpy fixed-width bytes |S<n>, ml_dtypes' types as <V<n> (as ml_dtypes saves them).
_ENCODABLE = _SUPPORTED


def _encodable(tensor, what: str) -> tf.Tensor:
    tensor = tf.convert_to_tensor(tensor)
    if tensor.dtype not in _ENCODABLE:
        names = ", ".join(d.name for d in _ENCODABLE)
        raise TypeError(f"{what}: dtype {tensor.dtype.name} cannot be written to .npy; supported: {names}")
    return tensor


def encode_npy(tensor, name: Optional[str] = None) -> tf.Tensor:
    """Encodes a tensor as the bytes of a ``.npy`` file, inside the graph.

    The bytes equal what ``np.save`` writes for the same array (C order,
    format version 1.0, or 2.0 for a header past 64 KiB, as numpy does):
    numbers little-endian, bools as 0/1, ``tf.string`` as numpy fixed-width
    bytes ``|S<n>`` (``n`` the longest element, at least 1; shorter elements
    are NUL-padded, so trailing NUL bytes are lost on reading, as with
    numpy's own files), ``tf.bfloat16`` as ``<V2`` and the float8 types,
    ``int4`` and ``uint4`` as ``<V1`` (what ``np.save`` writes for the
    ``ml_dtypes`` array; ``np.load(...).view(ml_dtypes.bfloat16)`` gives the
    values back).

    Args:
      tensor: The array, of any of ``decode_npy``'s dtypes (``tf.string``,
        ``tf.bfloat16``, ``float8_e4m3fn``...), with at most 64 dimensions.
      name: Optional op name.

    Returns:
      A scalar ``tf.string`` tensor: the whole ``.npy`` file.

    Raises:
      TypeError: a dtype that cannot be written (resource, variant, qint...).
      tf.errors.InvalidArgumentError: more than 64 dimensions.
      tf.errors.ResourceExhaustedError: the encoded file does not fit in
        memory (the message gives its size).

    >>> import io, numpy as np, tensorflow as tf, tfnpy
    >>> b = tfnpy.encode_npy(tf.constant([[1, 2], [3, 4]], tf.int32)).numpy()
    >>> buf = io.BytesIO(); np.save(buf, np.array([[1, 2], [3, 4]], np.int32))
    >>> b == buf.getvalue()
    True
    >>> np.load(io.BytesIO(b))
    array([[1, 2],
           [3, 4]], dtype=int32)
    """
    return _raw_encode_npy(tensor=_encodable(tensor, "encode_npy"), name=name)


def write_npy(filename, tensor, name: Optional[str] = None, *, sync: bool = False):
    """Writes tensors as ``.npy`` files through TensorFlow's file systems.

    Each file holds exactly what ``encode_npy`` gives (``np.save``'s bytes),
    and a name holds either its old file or the whole new one, never a part:
    each file is written to a temporary name in the same folder, then renamed
    over ``filename``; if writing fails, the temporary file is deleted.

    What is already at a local path (no ``scheme://``) is treated as
    ``np.save`` treats it, but atomically:

    - a symbolic link is followed: the file it points to is replaced (its
      temporary file goes in that file's folder), the link stays;
    - an existing file keeps its permission bits, and its owner and group
      where the process may set them (root; or a group it belongs to); one
      the process may not write is refused (``PermissionDeniedError``), as
      ``np.save`` refuses it; with several hard links, this name gets the
      new file, the others keep the old;
    - a FIFO or a device is written to directly, as ``np.save`` writes to it
      (``/dev/null`` stays a device; there is nothing to replace atomically);
    - a folder is refused (``FailedPreconditionError``).

    Other file systems (``ram://``, ``s3://``...) get a temporary object and
    TensorFlow's rename. On ``gs://``, where an upload becomes the object
    only once complete, the file is uploaded straight to ``filename`` (a
    rename there is a copy and a delete).

    The temporary name is ``.<name>.tfnpy-tmp-<16 hex digits>`` beside the
    final name (``<name>`` cut so the whole fits in 255 bytes). A writer
    killed mid-write leaves it behind; when no writer runs, delete those
    left, e.g. ``find DIR -name '.*.tfnpy-tmp-*' -delete``.

    Durability: the rename makes the write atomic against a killed process.
    Against a power loss or an OS crash it is not durable by default (as
    ``np.save``): the name may then hold the old file, the new one, or on
    some file systems an empty or partial one. With ``sync=True`` each file
    is flushed to storage (``fsync``) before the rename and its folder after
    it: once ``write_npy`` returns, the new file is on storage under its name
    (if the device honours flushes). Its cost is in the writing guide of the docs
    (several times the time of a small write on a local disk). On other
    file systems ``sync=True`` calls their ``Sync`` (``gs://`` uploads on
    close anyway).

    Args:
      filename: A scalar path (local, ``ram://``, ``gs://``...): the whole
        tensor is written to it. Or a vector of N paths: ``tensor`` must be
        ``[N, ...]`` and file ``i`` gets ``tensor[i]`` (the files are written
        in parallel on TensorFlow's intra-op threads, or for a remote file
        system such as ``gs://`` on tfnpy's remote pool, ``TFNPY_REMOTE_THREADS``
        at once; string rows each get their own width, as
        ``encode_npy(tensor[i])``).
      tensor: What to write (``encode_npy``'s dtypes).
      name: Optional op name.
      sync: Flush each file and its folder to storage before returning.

    Returns:
      The op in graph mode (a control dependency for what must run after
      it); ``None`` when executing eagerly.

    Raises:
      TypeError: a dtype that cannot be written.
      tf.errors.InvalidArgumentError: N paths with a tensor whose first
        dimension is not N (the message gives both).
      tf.errors.ResourceExhaustedError: the encoded file does not fit in
        memory (the message gives its size).
      tf.errors.OpError: the file system's own error (``NotFoundError``,
        ``PermissionDeniedError``...), the message naming the file (a
        temporary file needs write access to the folder, as any atomic
        replace does).

    >>> import os, tempfile, numpy as np, tensorflow as tf, tfnpy
    >>> d = tempfile.mkdtemp()
    >>> tfnpy.write_npy(os.path.join(d, "a.npy"), tf.range(3))
    >>> np.load(os.path.join(d, "a.npy"))
    array([0, 1, 2], dtype=int32)
    >>> paths = [os.path.join(d, f"{i}.npy") for i in range(2)]
    >>> tfnpy.write_npy(paths, tf.constant([[1.0, 2.0], [3.0, 4.0]]), sync=True)
    >>> np.load(paths[1])
    array([3., 4.], dtype=float32)
    """
    if not isinstance(sync, bool):
        raise TypeError(f"sync must be a bool, got {type(sync).__name__}")
    return _raw_write_npy(filename=filename, tensor=_encodable(tensor, "write_npy"), sync=sync, name=name)
