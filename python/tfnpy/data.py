"""tf.data pipelines over .npy files, built from tfnpy's native ops only."""

from __future__ import annotations

import csv
import io
import math
import os
from typing import Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfnpy._core import inspect
from tfnpy._ops import DTypeLike, ShapeLike, as_dtype, read_npy

__all__ = ["from_csv", "npy_rows"]

# A path that needs no base directory: absolute, or with a scheme (gs://...).
_ABSOLUTE = r"^(/|[A-Za-z][A-Za-z0-9+.\-]*://).*"


def _read_first_row(csv_path: str, header: bool) -> list[str]:
    with tf.io.gfile.GFile(csv_path, "r") as f:
        reader = csv.reader(io.StringIO(f.read(1 << 20)))
        for i, row in enumerate(reader):
            if header and i == 0:
                continue
            if row:
                return row
    raise ValueError(f"{csv_path}: the CSV has no data rows")


def _csv_lines(csv_path: str, header: bool) -> tf.Tensor:
    """The CSV's non-empty lines (without their line ends), header dropped."""
    with tf.io.gfile.GFile(csv_path, "rb") as f:
        lines = [line.rstrip(b"\r\n") for line in f.read().split(b"\n")]
    lines = [line for line in lines[1 if header else 0 :] if line.strip()]
    return tf.constant(lines, tf.string)


def _infer_type(value: str) -> tf.dtypes.DType:
    try:
        int(value)
        return tf.int64
    except ValueError:
        pass
    try:
        float(value)
        return tf.float32
    except ValueError:
        return tf.string


def _resolve(path: tf.Tensor, base_dir: str) -> tf.Tensor:
    if not base_dir:
        return path
    joined = tf.strings.join([base_dir.rstrip("/"), path], separator="/")
    return tf.where(tf.strings.regex_full_match(path, _ABSOLUTE), path, joined)


def from_csv(
    csv_path: Union[str, "os.PathLike[str]"],
    *,
    dtype: Optional[DTypeLike] = None,
    shape: ShapeLike = None,
    path_column: int = 0,
    column_defaults: Optional[Sequence] = None,
    header: bool = False,
    base_dir: Optional[str] = None,
    num_parallel_calls: Optional[int] = tf.data.AUTOTUNE,
    deterministic: Optional[bool] = None,
    batch_size: Optional[int] = None,
    drop_remainder: bool = False,
    in_memory: bool = False,
) -> tf.data.Dataset:
    """A dataset of the ``.npy`` files a CSV lists, with the CSV's other columns.

    The CSV is read with TensorFlow's native reader (``CsvDataset``, or
    ``decode_csv`` once with ``in_memory=True``) and the files with
    ``read_npy``: no Python runs while the dataset is iterated, so it works
    with ``num_parallel_calls``, ``tf.data`` service workers and
    ``tf.distribute``.

    Elements are ``(array, label)`` when the CSV has one column besides the
    path (``path,label``, as Python's ``csv`` writes it), ``(array, (col,
    col, ...))`` for several, and ``array`` when the path is the only column.
    Column types come from ``column_defaults`` or are inferred from the first
    data row: integers become int64, other numbers float32, anything else
    string. ``dtype`` and ``shape`` default to what the first file's header
    says, so the element spec is fully static; a file that disagrees fails
    with an error naming it.

    Args:
      csv_path: The CSV file (any ``tf.io.gfile`` path).
      dtype: Element type of the arrays; default: the first file's.
      shape: Shape of each array (``None`` entries allowed); default: the
        first file's.
      path_column: Index of the column that holds the paths.
      column_defaults: ``CsvDataset`` record defaults for every column,
        including the path column (a dtype makes a column required).
      header: Whether the first row is a header to skip.
      base_dir: Folder that relative paths are relative to; default: the
        CSV's own folder. Absolute paths and URLs are used as they are.
      num_parallel_calls: Passed to ``map``.
      deterministic: Passed to ``map``.
      batch_size: If set, elements are batches of this many files, read by
        one batched ``read_npy`` call each (much cheaper per element for
        small files than batching afterwards).
      drop_remainder: With ``batch_size``, drop a last partial batch (gives a
        static batch dimension).
      in_memory: Read and parse the CSV once, now (``tf.io.decode_csv``, the
        parser ``CsvDataset`` uses; a bad row fails here), and keep its
        columns in the dataset (``from_tensor_slices``) instead of streaming
        it with ``CsvDataset``. Needed for the tf.data service's
        ``distributed_epoch`` mode, which hands rows out to workers and
        cannot split a ``CsvDataset``; also cheaper per element. The CSV
        must fit in memory (and, for the tf.data service, in the dataset
        graph sent to the dispatcher), one record per line; blank lines are
        skipped.

    Returns:
      A ``tf.data.Dataset``.

    >>> ds = tfnpy.data.from_csv("data/paths.csv")  # doctest: +SKIP
    >>> ds.element_spec  # doctest: +SKIP
    (TensorSpec(shape=(10, 10), dtype=tf.float64, name=None), TensorSpec(shape=(), dtype=tf.int64, name=None))
    """
    csv_path = os.fspath(csv_path)
    if base_dir is None:
        base_dir = os.path.dirname(csv_path)
    first = _read_first_row(csv_path, header)
    if not 0 <= path_column < len(first):
        raise ValueError(f"path_column {path_column} is not a column of {csv_path} ({len(first)} columns)")
    if column_defaults is None:
        column_defaults = [tf.string if i == path_column else _infer_type(v) for i, v in enumerate(first)]
    elif len(column_defaults) != len(first):
        raise ValueError(
            f"column_defaults has {len(column_defaults)} entries but {csv_path} has {len(first)} columns"
        )
    first_path = first[path_column]
    if base_dir and not (first_path.startswith("/") or "://" in first_path):
        first_path = base_dir.rstrip("/") + "/" + first_path
    info = inspect(first_path)
    if dtype is None:
        dtype = info.dtype.newbyteorder("=")
    dtype = as_dtype(dtype)
    if shape is None:
        shape = info.shape
    shape = tf.TensorShape(shape)

    if in_memory:
        # Parse every line now, with the parser CsvDataset uses, and resolve
        # the paths once: each element then costs one read_npy and nothing else.
        record_defaults = [
            tf.constant([], d) if isinstance(d, tf.dtypes.DType) else tf.constant(d) for d in column_defaults
        ]
        columns = tf.io.decode_csv(_csv_lines(csv_path, header), record_defaults)
        columns[path_column] = _resolve(columns[path_column], base_dir)
        rows = tf.data.Dataset.from_tensor_slices(tuple(columns))
    else:
        rows = tf.data.experimental.CsvDataset(csv_path, list(column_defaults), header=header)
    if batch_size is not None:
        rows = rows.batch(batch_size, drop_remainder=drop_remainder)

    # One map does everything: each extra tf.data stage costs more per element
    # than reading a small file.
    def decode(*cols):
        path = cols[path_column] if in_memory else _resolve(cols[path_column], base_dir)
        array = read_npy(path, dtype, shape=shape)
        rest = tuple(c for i, c in enumerate(cols) if i != path_column)
        if not rest:
            return array
        return array, (rest[0] if len(rest) == 1 else rest)

    return rows.map(decode, num_parallel_calls=num_parallel_calls, deterministic=deterministic)


def npy_rows(
    filename: Union[str, "os.PathLike[str]"],
    *,
    block_rows: Optional[int] = None,
    dtype: Optional[DTypeLike] = None,
) -> tf.data.Dataset:
    """The rows (axis 0) of one large ``.npy``, read block by block.

    Each block is one ``read_npy(filename, start, stop)`` call that reads only
    its rows, so the file is never loaded whole: use it for arrays larger
    than memory. The element spec is static (from the header). A
    Fortran-order file works too, but its rows are spread over the whole file
    and are gathered piece by piece: store large arrays in C order. Works with
    ``shard()`` (shard before ``unbatch`` happens: blocks are split across
    workers), ``shuffle()`` and ``batch()``.

    Args:
      filename: The ``.npy`` file.
      block_rows: Rows per read; default: about 4 MB per block.
      dtype: Element type; default: the file's.

    Returns:
      A dataset of rows of shape ``shape[1:]``.

    >>> rows = tfnpy.data.npy_rows("features.npy").shuffle(10_000).batch(256)  # doctest: +SKIP
    """
    filename = os.fspath(filename)
    info = inspect(filename)
    if not info.shape:
        raise ValueError(f"{filename}: holds a scalar (shape ()), which has no rows")
    rows = info.shape[0]
    row_bytes = max(1, int(np.prod(info.shape[1:], dtype=np.int64)) * info.dtype.itemsize)
    if block_rows is None:
        block_rows = max(1, (4 << 20) // row_bytes)
    if block_rows < 1:
        raise ValueError(f"block_rows must be >= 1, got {block_rows}")
    dtype = as_dtype(info.dtype.newbyteorder("=") if dtype is None else dtype)
    blocks = math.ceil(rows / block_rows)

    def read_block(b):
        start = b * block_rows
        return read_npy(filename, dtype, shape=info.shape, start=start, stop=start + block_rows)

    return tf.data.Dataset.range(blocks).map(read_block).unbatch()
