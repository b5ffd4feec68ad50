"""tf.data pipelines over .npy files and .npz archives, built from tfnpy's native ops only."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
import re
from typing import Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfnpy._core import SCHEME, inspect
from tensorflow.python.data.ops import dataset_ops

from tfnpy._ops import (DEFAULT_MAX_READ_BYTES, DTypeLike, ShapeLike, _lib, _npz_outputs, _ragged, _raw_read_npz,
                        _read_npy_outputs, as_dtype, read_npy)

_check_status = _lib.tf_npy_check_status
_log_skipped = _lib.tf_npy_log_skipped

__all__ = ["from_csv", "npy_rows"]

# The one rule for "needs no base directory": absolute, or with a scheme
# (gs://...). Python and the graph both apply it through _resolve. \C is any
# byte: the rest of a path may hold a newline or bytes that are not UTF-8.
_ABSOLUTE = r"(?:/|" + SCHEME + r")\C*"

# What a CSV record may be (Python's csv.writer output, RFC 4180): fields split
# by commas, each either quoted whole (quotes inside doubled, commas and line
# breaks allowed) or free of quotes. Python's reader also accepts a quote inside
# an unquoted field and text after a closing quote; TensorFlow's parser does
# not, so such records are refused with an error naming the line.
# TensorFlow's regex ops (RE2) read UTF-8: a class such as [^"] matches no byte
# that is not UTF-8, so a record _RECORD finds bad is looked at again in
# _ASCII's rewrite (its quotes and commas, and its other ASCII bytes).
_QUOTED = r'"(?:[^"]|"")*"'
_FIELD = r'(?:%s|[^,"]*)' % _QUOTED
_RECORD = r"(?s)%s(?:,%s)*" % (_FIELD, _FIELD)
_ASCII = (r"([\x00-\x7f]+)|[^\x00-\x7f]+|\C", r"\1")  # (pattern, rewrite): drops all but ASCII
# A number field, for RE2 in the graph and Python's re for the first row (the
# same meaning in both: ASCII only, \s spelled out).
_NUMBER = {
    tf.int32: r"[ \t\n\f\r]*[+-]?0*[0-9]{1,9}[ \t\n\f\r]*",
    tf.int64: r"[ \t\n\f\r]*[+-]?0*(?:[0-9]{1,18}|[0-8][0-9]{18})[ \t\n\f\r]*",
    tf.float32: r"(?i)[ \t\n\f\r]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity|nan)[ \t\n\f\r]*",
}
_NUMBER[tf.float64] = _NUMBER[tf.float32]

_LINES_PER_STEP = 1024  # CSV lines parsed by one vectorised step while streaming
_BLOCK_BYTES = 1 << 20  # automatic block_size: about this many array bytes per read...
_MAX_BLOCK = 128  # ...and at most this many files
_MAX_HEAD = 16 << 20  # bytes _head reads at most to find the first rows
# Columns in a CSV: at most _MAX_COLUMNS, and at most _MAX_TUPLE_COLUMNS given
# one tensor each. tf.data handles each tensor of an element by itself (a
# 10,000-tuple takes minutes to map and unbatch): wider CSVs need stack_columns.
_MAX_TUPLE_COLUMNS = 1000
_MAX_COLUMNS = 1 << 20
_MAX_FIELDS_PER_STEP = 1 << 20  # a parsing step holds a few copies of its fields (32 bytes each, and their text)
_SPLIT_COLUMNS = 64  # decode_csv (fast; an output per column) splits records of up to this many fields


@dataclasses.dataclass(frozen=True)
class _Column:
    dtype: tf.dtypes.DType
    default: object  # a value for empty fields, or None: the field is required
    label: str  # "column 1 (label)", for messages


@dataclasses.dataclass(frozen=True)
class _Layout:
    columns: tuple  # of _Column, every column of the CSV
    paths: tuple  # indices in parts (a block) of the path columns, in element order
    dtypes: tuple  # per path column: a DType, or (.npz) a tuple of one per key
    shapes: tuple  # per path column: a TensorShape, or (.npz) a tuple of one per key
    single: bool  # one path column: the array part is an array, not a tuple
    keys: Optional[tuple] = None  # .npz: the members read from each archive
    one_key: bool = False  # keys was a str: each archive gives an array, not a dict
    # A block's components (what _column_blocks gives): the path columns, then
    # the others by dtype. A part is a column index (a [rows] tensor), or a
    # tuple of the indices of columns of one dtype side by side (a [rows, k]
    # tensor): tf.data costs time per component, however small.
    parts: tuple = ()
    stacked: bool = False  # stack_columns: the element gives the stacks, not their columns


def _csv_files(csv_path) -> list[str]:
    """The CSV files named by a path, a glob pattern or a sequence of them."""
    entries = [csv_path] if isinstance(csv_path, (str, os.PathLike)) else list(csv_path)
    if not entries:
        raise ValueError("from_csv needs at least one CSV file")
    files = []
    for entry in map(os.fspath, entries):
        if any(c in entry for c in "*?["):
            matched = sorted(tf.io.gfile.glob(entry))
            if not matched:
                raise ValueError(f"no CSV file matches {entry!r}")
            files += matched
        else:
            files.append(entry)
    return files


def _head(csv_file: str, header: bool) -> tuple[Optional[list[str]], list[str]]:
    """The header row (if header) and the first data row, read with Python's
    csv. The bytes are decoded as UTF-8 with surrogateescape, so a field that
    is not UTF-8 keeps its bytes (_text_bytes gives them back), as the graph
    reads them."""
    need = 2 if header else 1
    data = b""
    with tf.io.gfile.GFile(csv_file, "rb") as f:
        while True:  # until the rows needed are followed by another record, or the file ends
            chunk = f.read(max(1 << 20, len(data)))  # doubling: linear in the first rows' length
            data += chunk
            if len(data) > _MAX_HEAD:
                raise ValueError(f"{csv_file}: the first {'two rows are' if header else 'row is'} longer than "
                                 f"{_MAX_HEAD >> 20} MiB (is a quote not closed?)")
            rows = []
            reader = csv.reader(io.StringIO(data.decode("utf-8-sig", "surrogateescape"), newline=""))
            try:
                for row in reader:
                    if len(rows) == need:
                        break
                    if row:  # a blank line is an empty row
                        rows.append(row)
                else:
                    if chunk:
                        continue
            except csv.Error as e:
                raise ValueError(f"{csv_file}:{reader.line_num}: {e}") from None
            break
    names = rows.pop(0) if header and rows else None
    if not rows:
        raise ValueError(f"{csv_file}: the CSV has no data rows")
    return names, rows[0]


def _text_bytes(field: str) -> bytes:
    """A field _head read, as the bytes the CSV holds."""
    return field.encode("utf-8", "surrogateescape")


def _printable(field: str) -> str:
    """A field _head read, for a message: bytes that are not UTF-8 as U+FFFD,
    as the graph's messages show them."""
    return _text_bytes(field).decode("utf-8", "replace")


def _prefix(base_dir: str) -> str:
    return base_dir if not base_dir or base_dir.endswith("/") else base_dir + "/"


def _resolve(paths, prefix):
    """Paths joined onto their base folder's prefix, unless _ABSOLUTE."""
    return tf.where(tf.strings.regex_full_match(paths, _ABSOLUTE), paths, tf.strings.join([prefix, paths]))


def _infer_type(value: str) -> tf.dtypes.DType:
    """A column's type from its first value, as the graph reads numbers (not
    as int() and float() do: they take "1_000" and other digits than 0-9)."""
    for dtype in (tf.int64, tf.float32):
        if re.fullmatch(_NUMBER[dtype], value, re.ASCII):  # (?i) for ASCII letters only, as RE2's
            return dtype
    return tf.string


def _path_indices(path_column, names, ncols: int, csv_file: str) -> tuple[tuple[int, ...], bool]:
    single = isinstance(path_column, (int, str))
    indices = []
    for entry in [path_column] if single else list(path_column):
        if isinstance(entry, str):
            if names is None:
                raise ValueError(f"path_column {entry!r} is a column name: it needs header=True")
            if entry not in names:
                raise ValueError(f"path_column {entry!r} is not a column of {csv_file} (header: {names})")
            entry = names.index(entry)
        if not isinstance(entry, int) or not 0 <= entry < ncols:
            raise ValueError(f"path_column {entry!r} is not a column of {csv_file} ({ncols} columns)")
        indices.append(entry)
    if not indices or len(set(indices)) != len(indices):
        raise ValueError(f"path_column must name one or more distinct columns, got {path_column!r}")
    return tuple(indices), single


def _per_path(value, n: int, what: str, is_one) -> list:
    """dtype= / shape= as one entry per path column (None: from the first file)."""
    if value is None:
        return [None] * n
    if n == 1 and is_one(value):
        return [value]
    if is_one(value) or len(value) != n:
        raise ValueError(f"with {n} path columns, {what} must be a sequence of {n} entries, got {value!r}")
    return list(value)


def _keys(keys) -> tuple[Optional[tuple], bool]:
    """from_csv's keys= as (tuple of keys or None, one key given as a str)."""
    if keys is None:
        return None, False
    if isinstance(keys, str):
        return (keys,), True
    if isinstance(keys, (bytes, dict)) or not all(isinstance(k, str) for k in keys):
        raise TypeError(f"keys must be a member name (str) or a sequence of them, got {keys!r}")
    keys = tuple(keys)
    if not keys:
        raise ValueError("keys is empty: name at least one member of the archives")
    if len(set(keys)) != len(keys):
        raise ValueError(f"keys names a member twice: {list(keys)}")
    return keys, False


def _per_key(value, keys, what: str) -> list:
    """One path column's dtype= / shape= entry as one value per key: None (from
    the first archive), a dict {key: value} (keys left out: from the archive),
    or one value for every key."""
    if isinstance(value, dict):
        unknown = set(value) - set(keys)
        if unknown:
            raise ValueError(f"{what} names members that are not in keys: {sorted(unknown)}")
        return [value.get(k) for k in keys]
    return [value] * len(keys)


def _first_file(path: str, keys):
    """The NpyInfo of each array the first row's file gives: one, or one per key."""
    info = inspect(path)
    members = getattr(info, "members", None)
    if keys is None:
        if members is not None:
            raise ValueError(f"{path} is an .npz archive: give keys= (its members: {', '.join(info.keys())})")
        return [info]
    if members is None:
        raise ValueError(f"keys= is given but {path} is a .npy file, not an .npz archive")
    out = []
    for k in keys:
        try:
            member = info[k]
        except KeyError:
            raise ValueError(f"{path}: no member {k!r}; its members: {', '.join(info.keys())}") from None
        if member.info is None:
            raise ValueError(f"{path}: member {k!r}: {member.error}")
        out.append(member.info)
    return out


def _parts(columns, paths, stack_columns: bool) -> tuple[tuple, tuple]:
    """_Layout's parts and paths: the path columns (in element order), then
    the other columns by dtype (in the order the dtypes first appear), each
    dtype's stacked (or a column alone, unless stack_columns)."""
    others = {}
    for i, col in enumerate(columns):
        if i not in paths:
            others.setdefault(col.dtype, []).append(i)
    stacks = tuple(tuple(g) if stack_columns or len(g) > 1 else g[0] for g in others.values())
    return paths + stacks, tuple(range(len(paths)))


def _layout(files, header, path_column, column_defaults, dtype, shape, base_dir, keys=None,
            stack_columns=False) -> _Layout:
    keys, one_key = _keys(keys)
    names, first = _head(files[0], header)
    ncols = len(first)
    limit = _MAX_COLUMNS if stack_columns else _MAX_TUPLE_COLUMNS
    if ncols > limit:
        raise ValueError(
            f"{files[0]} has {ncols:,} columns, more than from_csv reads "
            + (f"({limit:,})" if stack_columns else f"as one tensor each ({limit:,}): pass stack_columns=True "
               "to get the columns besides the paths as one tensor per dtype")
        )
    paths, single = _path_indices(path_column, names, ncols, files[0])
    if column_defaults is None:
        column_defaults = [tf.string if i in paths else _infer_type(v) for i, v in enumerate(first)]
    elif len(column_defaults) != ncols:
        raise ValueError(f"column_defaults has {len(column_defaults)} entries but {files[0]} has {ncols} columns")
    columns = []
    supported = {tf.string, *_NUMBER}
    for i, d in enumerate(column_defaults):
        if isinstance(d, tf.dtypes.DType):
            col_dtype, default = d, None
        else:
            value = tf.constant(d)
            col_dtype, default = value.dtype, value.numpy()
        if col_dtype not in supported:
            raise TypeError(f"column {i}: {col_dtype.name} columns are not supported (int32, int64, float32, float64, string)")
        label = f"column {i}" + (f" ({_printable(names[i])})" if names and i < len(names) else "")
        columns.append(_Column(col_dtype, default, label))
    for i in paths:
        if columns[i].dtype != tf.string:
            raise TypeError(f"path column {i} must be a string column, not {columns[i].dtype.name}")
    # The first row's files give the dtypes and shapes not given.
    first_paths = _resolve(tf.constant([_text_bytes(first[i]) for i in paths]), _prefix(base_dir)).numpy()
    dtypes = _per_path(dtype, len(paths), "dtype", lambda v: not isinstance(v, (list, tuple)))
    # A shape, unless a sequence of per-column shapes. With one path column, [None]
    # (or [None, None]...) is a shape of unknown dims: as a list of "infer this
    # column's shape" it would say nothing.
    shapes = _per_path(shape, len(paths), "shape", lambda v: isinstance(v, tf.TensorShape) or
                       (len(paths) == 1 and isinstance(v, (list, tuple)) and all(e is None for e in v)) or
                       not (isinstance(v, (list, tuple)) and v and all(e is None or isinstance(e, (list, tuple, tf.TensorShape)) for e in v)))
    for k, path in enumerate(first_paths):
        ds = [dtypes[k]] if keys is None else _per_key(dtypes[k], keys, "dtype")
        ss = [shapes[k]] if keys is None else _per_key(shapes[k], keys, "shape")
        if any(d is None for d in ds) or any(x is None for x in ss):
            infos = _first_file(os.fsdecode(path), keys)
            ds = [i.dtype.newbyteorder("=") if d is None else d for d, i in zip(ds, infos)]
            ss = [i.shape if x is None else x for x, i in zip(ss, infos)]
        ds = tuple(as_dtype(d) for d in ds)
        ss = tuple(tf.TensorShape(x) for x in ss)
        dtypes[k], shapes[k] = (ds[0], ss[0]) if keys is None else (ds, ss)
    parts, positions = _parts(columns, paths, stack_columns)
    return _Layout(tuple(columns), positions, tuple(dtypes), tuple(shapes), single, keys, one_key, parts,
                   stack_columns)


def _arrays(layout: _Layout):
    """(dtype, shape) of every array of a row: one per path column and key."""
    for dtype, shape in zip(layout.dtypes, layout.shapes):
        yield from zip(dtype, shape) if layout.keys is not None else [(dtype, shape)]


def _row_bytes(layout: _Layout) -> int:
    total = 0
    for dtype, shape in _arrays(layout):
        dims = [d if d is not None else 1 for d in shape.as_list()] if shape.rank is not None else [1]
        total += int(np.prod(dims, dtype=np.int64)) * dtype.size
    return max(total, 1)


def _plain(fn):
    """fn, for tf.data to trace as it is. AutoGraph would first rewrite it and
    everything it calls, for Python control flow on tensors, which these
    functions do not use; that took most of the time from_csv spent building
    a dataset."""
    return tf.autograph.experimental.do_not_convert(fn)


def _check(ok, message):
    """An op that fails with InvalidArgumentError(message) unless ok. (No
    tf.cond to build the message only on failure: each one costs about 10 ms
    when an iterator is created, that is per CSV file and epoch.)"""
    return tf.debugging.Assert(ok, [message], summarize=1)


def _at(csv_file, line, *text):
    """'<csv>:<line>: <text>', the prefix of every CSV error."""
    return tf.strings.join([csv_file, ":", tf.strings.as_string(line), ": ", *text])


def _records(lines: tf.data.Dataset, csv_file, header: bool) -> tf.data.Dataset:
    """Blocks of one CSV's records, with the 1-based line each starts on, from
    blocks of its lines (TextLineDataset's: line ends removed) followed by one
    empty block marking the end of the file. A quoted field may hold line
    breaks (read as "\\n"): a record ends on the line where its count of quotes
    becomes even. A UTF-8 byte order mark at the start is dropped, as are blank
    lines (Python's csv reads them as empty rows) and, with header, the first
    record.

    Written with few graph nodes (tf.gather, no tf.cond, no slicing by
    tensors): every node costs time each time an iterator is created."""
    bom = "^" + "\ufeff"

    def step(state, block):
        carry, carry_line, next_line, header_left = state
        n = tf.size(block, out_type=tf.int64)
        numbers = tf.range(next_line, next_line + n)
        block = tf.where(tf.equal(numbers, 1), tf.strings.regex_replace(block, bom, ""), block)
        # The open record carried over (or "", a blank record) comes first.
        block = tf.concat([tf.reshape(carry, [1]), block], 0)
        numbers = tf.concat([tf.reshape(carry_line, [1]), numbers], 0)
        quotes = _count(block, '"')
        ends = tf.cast(tf.equal(tf.math.cumsum(quotes % 2) % 2, 0), tf.int32)
        segment = tf.math.cumsum(ends, exclusive=True)
        complete = tf.reduce_sum(ends)  # records that end in this block; one more may be open
        joined = tf.strings.unsorted_segment_join(block, segment, complete + 1, separator="\n")
        starts = tf.math.unsorted_segment_min(numbers, segment, complete + 1)
        carry, carry_line = tf.gather(joined, complete), tf.gather(starts, complete)
        keep = tf.not_equal(joined, "") & (tf.range(complete + 1) < complete)
        is_header = header_left & keep & tf.equal(tf.math.cumsum(tf.cast(keep, tf.int32)), 1)
        eof = tf.equal(n, 0)
        ok = ~(eof & tf.not_equal(carry, "")) & (tf.strings.length(carry) <= (1 << 20))
        trouble = tf.where(
            eof, "a quote is not closed by the end of the file", "a quoted field runs on for more than 1 MiB (is a quote not closed?)"
        )
        with tf.control_dependencies([_check(ok, _at(csv_file, carry_line, trouble))]):
            kept = tf.reshape(tf.where(keep & ~is_header), [-1])
            records = (tf.gather(joined, kept), tf.gather(starts, kept))
        state = (carry, carry_line, next_line + n, header_left & ~tf.reduce_any(keep))
        return state, records

    initial = (tf.constant(""), tf.constant(0, tf.int64), tf.constant(1, tf.int64), tf.constant(header))
    return lines.scan(initial, _plain(step)).filter(_plain(lambda records, _: tf.size(records) > 0))


def _groups(layout: _Layout, by_dtype: bool) -> list[tuple[int, ...]]:
    """The columns _parse checks and converts together, as one [records, k]
    matrix: each stacked part, and the other columns by dtype or one by one."""
    stacked = [part for part in layout.parts if isinstance(part, tuple)]
    in_stacked = {i for part in stacked for i in part}
    others = {}
    for i, col in enumerate(layout.columns):
        if i not in in_stacked:
            others.setdefault(col.dtype if by_dtype else i, []).append(i)
    return stacked + [tuple(indices) for indices in others.values()]


def _shown(text):
    """A field for a message: at most 100 characters, bytes that are not UTF-8
    as U+FFFD (a message must be UTF-8 to reach Python)."""
    text = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace")
    return tf.strings.substr(text, 0, 100, unit="UTF8_CHAR")


def _count(text, char: str):
    """How many times char (one ASCII byte) occurs in each string; any bytes."""
    return tf.strings.length(text) - tf.strings.length(tf.strings.regex_replace(text, char, ""))


def _fields(records, ncols: int):
    """The fields of well-formed records (_RECORD) of ncols fields, unquoted,
    as a [records, ncols] matrix: the records split at every comma, and if
    any holds a quote (a tf.cond: this is for wide records), the pieces of a
    quoted field that holds commas joined again (a field ends on the piece
    where its count of quotes becomes even; each record holds an even count)
    and quoted fields unquoted. A few ops whatever ncols (decode_csv has an
    output per column), and no character class (RE2 would miss bytes that
    are not UTF-8)."""
    pieces = tf.strings.split(records, ",").flat_values

    def join_and_unquote():
        ends = tf.cast(tf.equal(tf.math.cumsum(_count(pieces, '"') % 2) % 2, 0), tf.int32)
        fields = tf.strings.unsorted_segment_join(
            pieces, tf.math.cumsum(ends, exclusive=True), tf.size(records) * ncols, separator=","
        )
        is_quoted = tf.equal(tf.strings.substr(fields, 0, 1), '"')
        quoted = tf.where(is_quoted, fields, '""')
        size = tf.strings.length(quoted)
        inner = tf.strings.regex_replace(tf.strings.substr(quoted, tf.ones_like(size), size - 2), '""', '"')
        return tf.where(is_quoted, inner, fields)

    fields = tf.cond(tf.reduce_any(_count(records, '"') > 0), join_and_unquote, lambda: pieces)
    return tf.reshape(fields, [-1, ncols])


def _parse(records, starts, csv_file, prefix, layout: _Layout):
    """The columns of a block of records (paths resolved), or an error naming
    the CSV file and the line of the first bad record.

    Up to _SPLIT_COLUMNS columns, decode_csv splits the records and each
    column is checked by itself. Wider, _fields splits them and the columns
    of one dtype are checked and converted together, as one [records,
    columns] matrix: the graph has a few nodes per dtype and none per column,
    so that a CSV of 10,000 columns builds about as fast as one of 2."""
    ncols = len(layout.columns)

    def shape(records):  # (well formed, fields); exact for ASCII, and wherever well formed
        fields = 1 + _count(tf.strings.regex_replace(records, _QUOTED, ""), ",")
        return tf.strings.regex_full_match(records, _RECORD), fields

    well_formed, fields = shape(records)
    # RE2 matches no byte that is not UTF-8 with [^"]: a record found bad is
    # looked at again without them (usually none is).
    again = tf.where(~well_formed | tf.not_equal(fields, ncols))
    well_formed_again, fields_again = shape(tf.strings.regex_replace(tf.gather_nd(records, again), *_ASCII))
    well_formed = tf.tensor_scatter_nd_update(well_formed, again, well_formed_again)
    fields = tf.tensor_scatter_nd_update(fields, again, fields_again)
    bad = ~well_formed | tf.not_equal(fields, ncols)
    i = tf.argmax(tf.cast(bad, tf.int32))  # the first bad record, if any (blocks are never empty)
    found = tf.strings.join([tf.strings.as_string(tf.gather(fields, i)), f" fields, expected {ncols}"])
    quoting = "a quote inside an unquoted field, or text after a closing quote (quote the whole field, double its quotes)"
    message = _at(csv_file, tf.gather(starts, i), tf.where(tf.gather(well_formed, i), found, quoting))
    wide = ncols > _SPLIT_COLUMNS
    with tf.control_dependencies([_check(~tf.reduce_any(bad), message)]):
        if wide:
            table = _fields(records, ncols)
        else:
            texts = tf.io.decode_csv(records, [tf.constant([""])] * ncols)
    groups = _groups(layout, by_dtype=wide)
    cells, values, bads = [], [], []
    for indices in groups:
        cols = [layout.columns[k] for k in indices]
        dtype = cols[0].dtype
        if wide:
            text = table if indices == tuple(range(ncols)) else tf.gather(table, indices, axis=1)
        elif len(indices) > 1:
            text = tf.stack([texts[k] for k in indices], 1)
        else:
            text = tf.expand_dims(texts[indices[0]], 1)
        empty = tf.equal(text, "")
        required = tf.constant([c.default is None for c in cols])
        if dtype == tf.string:
            bad, value = empty & required, text  # only an empty field is wrong
        else:
            valid = tf.strings.regex_full_match(text, _NUMBER[dtype])
            bad = ~valid & (required | ~empty)
            value = tf.strings.to_number(tf.where(valid, text, "0"), dtype)  # used once every field is known valid
        if any(c.default is not None for c in cols):
            unused = b"" if dtype == tf.string else 0  # the default of a required column
            defaults = tf.constant([unused if c.default is None else c.default for c in cols], dtype)
            value = tf.where(empty & ~required, defaults, value)
        cells.append(text)
        values.append(value)
        bads.append(bad)
    # The message: the first bad field (in column order) of the first bad record.
    bad_rows = [tf.reduce_any(b, axis=1) for b in bads]
    bad_row = bad_rows[0] if len(bad_rows) == 1 else tf.reduce_any(tf.stack(bad_rows), axis=0)
    row = tf.argmax(tf.cast(bad_row, tf.int32))
    firsts, texts = [], []
    for indices, bad, cell in zip(groups, bads, cells):  # each group's first bad field, or ncols
        at = tf.gather(bad, row)
        j = tf.argmax(tf.cast(at, tf.int32))
        firsts.append(tf.where(tf.reduce_any(at), tf.gather(tf.constant(indices, tf.int64), j), ncols))
        texts.append(tf.gather(tf.gather(cell, row), j))
    g = tf.argmin(tf.stack(firsts))
    k, text = tf.gather(tf.stack(firsts), g), tf.gather(tf.stack(texts), g)
    labels = [c.label for c in layout.columns]
    if labels == [f"column {i}" for i in range(ncols)]:  # no header: no constant of ncols strings
        label = tf.strings.join(["column ", tf.strings.as_string(k)])
    else:
        label = tf.gather(tf.constant(labels), tf.minimum(k, ncols - 1))  # k is ncols if no field is bad
    invalid = tf.gather([f" is not a valid {layout.columns[indices[0]].dtype.name}: " for indices in groups], g)
    said = tf.where(tf.equal(text, ""), tf.strings.join([label, " is empty and has no default"]),
                    tf.strings.join([label, invalid, _shown(text)]))
    paths = {layout.parts[k] for k in layout.paths}
    stacked = {part for part in layout.parts if isinstance(part, tuple)}
    out = {}
    with tf.control_dependencies([_check(~tf.reduce_any(bad_row), _at(csv_file, tf.gather(starts, row), said))]):
        for indices, value in zip(groups, values):
            if indices in stacked:
                out[indices] = tf.identity(value)
                continue
            columns = [tf.reshape(value, [-1])] if len(indices) == 1 else tf.unstack(value, axis=1)
            for k, column in zip(indices, columns):
                out[k] = _resolve(column, prefix) if k in paths else column
    return tuple(out[part] for part in layout.parts)


@_plain
def _column_blocks(csv_file, prefix, layout: _Layout, header: bool, lines_per_step: int, source=0, **map_args):
    """One CSV file as blocks of parsed columns (a dataset), from steps of
    lines_per_step lines (fewer when the lines are wide: _MAX_FIELDS_PER_STEP),
    each block followed by two columns of its own: the line each record
    starts on, and ``source``, the CSV file's index in from_csv's list (for
    messages)."""
    lines_per_step = max(1, min(lines_per_step, _MAX_FIELDS_PER_STEP // len(layout.columns)))
    lines = tf.data.TextLineDataset(csv_file).batch(lines_per_step)
    lines = lines.concatenate(tf.data.Dataset.from_tensors(tf.constant([], tf.string)))

    def parse(records, starts):
        columns = _parse(records, starts, csv_file, prefix, layout)
        return (*columns, starts, tf.fill(tf.shape(starts), tf.cast(source, tf.int32)))

    return _records(lines, csv_file, header).map(_plain(parse), **map_args)


def _ragged_column(shapes) -> bool:
    """Whether a path column's arrays are read ragged: some axis of its
    shape (of one of its keys) is left unknown."""
    shapes = shapes if isinstance(shapes, tuple) else (shapes,)
    return any(x.rank is None or None in x.as_list() for x in shapes)


def _joined(layout: _Layout, blocks: list) -> tuple:
    """Blocks of parsed columns (from _column_blocks, with their line and
    source columns) as one block."""
    def empty(part):
        dtype = layout.columns[part[0] if isinstance(part, tuple) else part].dtype
        return tf.zeros([0, len(part)] if isinstance(part, tuple) else [0], dtype)

    parts = [empty(part) for part in layout.parts] + [tf.zeros([0], tf.int64), tf.zeros([0], tf.int32)]
    return tuple(tf.concat([block[k] for block in blocks], 0) if blocks else part for k, part in enumerate(parts))


def _others(layout: _Layout, parts):
    """The element's columns besides the paths, from a block's components (or
    batches of them): None if there are none; with layout.stacked one tensor
    per dtype, else one per column in CSV order; a tuple unless just one."""
    values = {part: value for k, (part, value) in enumerate(zip(layout.parts, parts)) if k not in layout.paths}
    if not layout.stacked:
        columns = {}
        for part, value in values.items():
            columns.update(zip(part, tf.unstack(value, axis=-1)) if isinstance(part, tuple) else [(part, value)])
        values = dict(sorted(columns.items()))
    values = tuple(values.values())
    return None if not values else values[0] if len(values) == 1 else values


@dataclasses.dataclass(frozen=True)
class _Part:
    """One array (or other column) of an element, and where RowsDataset finds
    it in a block: a row of block component `source`, or, for a ragged read,
    its values there with each row's shape in block component `shapes` from
    column `column` on."""

    spec: tf.TensorSpec
    source: int
    shapes: int = -1
    column: int = 0


def _rest_plan(layout: _Layout, take):
    """The _Parts of the element's columns besides the paths, as _others
    gives them (None if there are none)."""
    others = [part for k, part in enumerate(layout.parts) if k not in layout.paths]
    if layout.stacked:
        specs = [tf.TensorSpec([len(part)], layout.columns[part[0]].dtype) if isinstance(part, tuple)
                 else tf.TensorSpec([], layout.columns[part].dtype) for part in others]
    else:
        columns = sorted(c for part in others for c in (part if isinstance(part, tuple) else (part,)))
        specs = [tf.TensorSpec([], layout.columns[c].dtype) for c in columns]
    parts = tuple(_Part(spec, take()) for spec in specs)
    return None if not parts else parts[0] if len(parts) == 1 else parts


def _read_block(layout: _Layout, verify_crc: bool):
    """A block's (or batch's) rows read with on_error="report", so that each
    row carries its own error (the first of its path columns'): (the map
    function giving the arrays as the ops give them (a ragged read's flat
    values and row shapes), the other columns, then code, message, line and
    source; the element's structure of _Part; the index of code)."""
    at = [0]

    def take(n=1):
        at[0] += n
        return at[0] - n

    arrays = []
    for dtype, shape in zip(layout.dtypes, layout.shapes):
        ragged = _ragged_column(shape)
        if layout.keys is None:
            values = take()
            arrays.append(_Part(tf.TensorSpec(shape, dtype), values, take() if ragged else -1))
            continue
        values = [take() for _ in layout.keys]
        shapes_at = take() if ragged else -1
        parts, column = {}, 0
        for key, v, d, x in zip(layout.keys, values, dtype, shape):
            parts[key] = _Part(tf.TensorSpec(x, d), v, shapes_at, column)
            column += x.rank or 0
        arrays.append(parts[layout.keys[0]] if layout.one_key else parts)
    array = arrays[0] if layout.single else tuple(arrays)
    rest = _rest_plan(layout, take)
    plan = array if rest is None else (array, rest)

    def read(*cols):
        *cols, line, source = cols
        out, code, message = [], None, None
        for k, dtype, shape in zip(layout.paths, layout.dtypes, layout.shapes):
            ragged = _ragged_column(shape)
            if layout.keys is None:
                values, row_shapes, c, m = _read_npy_outputs(
                    cols[k], dtype, shape, None, None, None, None, None, "clamp", None, ragged, "report", 10000,
                    DEFAULT_MAX_READ_BYTES)
                out += [values]
            else:  # One archive open and one directory parse for all the keys.
                *values, row_shapes, c, m = _npz_outputs(
                    _raw_read_npz, "filename", list(layout.keys), list(dtype), list(shape), None, None, None, 10000,
                    DEFAULT_MAX_READ_BYTES, verify_crc, None, None, "clamp", None, ragged, "report", filename=cols[k])
                out += values
            if ragged:
                out.append(row_shapes)
            if code is None:
                code, message = c, m
            else:  # A row's first failing column gives its error.
                first = tf.equal(code, 0) & tf.not_equal(c, 0)
                code, message = tf.where(first, c, code), tf.where(first, m, message)
        out += tf.nest.flatten(_others(layout, cols))
        return (*out, code, message, line, source)

    return _plain(read), plan, at[0]


def _assemble(plan, components):
    """The element a batch's components make: stacked arrays and columns as
    they are, a ragged read's values and row shapes as a tf.RaggedTensor."""
    def build(part):
        if part.shapes < 0:
            return components[part.source]
        return _ragged(components[part.source], components[part.shapes], part.spec.shape, True, (part.column,))

    return tf.nest.map_structure(build, plan)


def _keep_rows(plan, components, keep):
    """A batch's components with only the rows where keep is True (a ragged
    read's values: those of the rows kept)."""
    values = {}
    for part in tf.nest.flatten(plan):
        if part.shapes >= 0:
            dims = components[part.shapes][:, part.column:part.column + part.spec.shape.rank]
            counts = tf.reduce_prod(dims, axis=1)
            values[part.source] = tf.ragged.boolean_mask(
                tf.RaggedTensor.from_row_lengths(components[part.source], counts, validate=False), keep).flat_values
    return tuple(values.get(k, tf.boolean_mask(c, keep)) for k, c in enumerate(components))


class _RowsDataset(dataset_ops.UnaryDataset):
    """A dataset of read blocks as rows (the RowsDataset op): each bad row an
    error of its own (or, with skip, left out and logged), each ragged row a
    tensor of its own shape."""

    def __init__(self, blocks: tf.data.Dataset, plan, status: int, sources, skip: bool):
        parts = tf.nest.flatten(plan)
        self._structure = tf.nest.map_structure(lambda p: p.spec, plan)
        variant = _lib.tf_npy_rows_dataset(
            blocks._variant_tensor,
            output_types=[p.spec.dtype for p in parts],
            output_shapes=[p.spec.shape for p in parts],
            components=[p.source for p in parts],
            shapes_from=[p.shapes for p in parts],
            shape_columns=[p.column for p in parts],
            status=status,
            sources=list(sources),
            skip=skip,
        )
        super().__init__(blocks, variant)

    @property
    def element_spec(self):
        return self._structure


class _Errors:
    """What from_csv does with the rows whose files failed, per batch read
    whole (a map or flat_map function over _read_block's components)."""

    def __init__(self, csv_files, plan, status: int):
        self.names = tf.constant(csv_files)
        self.plan = plan
        self.status = status

    def located(self, message, line, source):
        """'paths.csv:7: ReadNpy: 'x.npy': ...': each message with its CSV file and line."""
        return tf.strings.join([tf.gather(self.names, source), ":", tf.strings.as_string(line), ": ", message])

    def split(self, block):
        return block[:self.status], block[self.status:]

    def checked(self, element, code, text):
        """The element, unless code says it failed: then its error, code kept."""
        flat = tf.nest.flatten(element, expand_composites=True)
        return tf.nest.pack_sequence_as(element, _check_status(code, text, flat), expand_composites=True)

    def skip(self, *block):
        """The rows read, each bad one logged (once per process) and left out."""
        components, (code, message, line, source) = self.split(block)
        ok = tf.equal(code, 0)
        bad = tf.reshape(tf.where(~ok), [-1])
        texts = self.located(tf.gather(message, bad), tf.gather(line, bad), tf.gather(source, bad))
        with tf.control_dependencies([_log_skipped(texts)]):
            kept = tf.cond(tf.reduce_all(ok), lambda: tuple(tf.identity(c) for c in components),
                           lambda: _keep_rows(self.plan, components, ok))
        return _assemble(self.plan, kept)

    def whole(self, *block):
        """A batch, or the error of its first bad row."""
        components, (code, message, line, source) = self.split(block)
        first = tf.argmax(tf.cast(tf.not_equal(code, 0), tf.int32))
        text = self.located(tf.gather(message, first), tf.gather(line, first), tf.gather(source, first))
        return self.checked(_assemble(self.plan, components), tf.gather(code, first), text)

    def batch(self, *block):
        """A batch (flat_map): an error for each bad row, then the batch without them."""
        components, (code, message, line, source) = self.split(block)
        ok = tf.equal(code, 0)
        element = _assemble(self.plan, components)

        def failing():
            bad = tf.reshape(tf.where(~ok), [-1])
            text = self.located(tf.gather(message, bad), tf.gather(line, bad), tf.gather(source, bad))
            errors = tf.data.Dataset.zip((tf.data.Dataset.from_tensors(element).repeat(),
                                          tf.data.Dataset.from_tensor_slices((tf.gather(code, bad), text))))
            errors = errors.map(lambda e, status: self.checked(e, *status))
            kept = _assemble(self.plan, _keep_rows(self.plan, components, ok))
            return errors.concatenate(tf.data.Dataset.from_tensors(kept))

        clean = lambda: tf.data.Dataset.from_tensors(element)  # noqa: E731
        return tf.cond(tf.reduce_all(ok), clean, failing)


def from_csv(
    csv_path: Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]],
    *,
    dtype: Union[None, DTypeLike, Sequence[Optional[DTypeLike]]] = None,
    shape: Union[ShapeLike, Sequence[ShapeLike]] = None,
    path_column: Union[int, str, Sequence[Union[int, str]]] = 0,
    column_defaults: Optional[Sequence] = None,
    header: bool = False,
    base_dir: Optional[str] = None,
    num_parallel_calls: Optional[int] = tf.data.AUTOTUNE,
    deterministic: Optional[bool] = None,
    batch_size: Optional[int] = None,
    drop_remainder: bool = False,
    block_size: Optional[int] = None,
    shuffle_files: bool = False,
    seed: Optional[int] = None,
    cycle_length: int = 1,
    in_memory: bool = False,
    keys: Union[None, str, Sequence[str]] = None,
    verify_crc: bool = True,
    stack_columns: bool = False,
    on_error: str = "raise",
) -> tf.data.Dataset:
    """A dataset of the ``.npy`` files (or ``.npz`` archives) CSV files list, with their other columns.

    The CSV files are read in the graph (``TextLineDataset`` and
    ``decode_csv``) and the arrays with ``read_npy``: no Python runs while the
    dataset is iterated, so it works with ``num_parallel_calls``, ``tf.data``
    service workers and ``tf.distribute``. The dataset's source is the list
    of CSV files: in the tf.data service's ``distributed_epoch`` mode each CSV
    file is a split, handed whole to one worker.

    Elements are ``(array, label)`` when the CSV has one column besides the
    path (``path,label``, as Python's ``csv`` writes it), ``(array, (col,
    col, ...))`` for several (or with ``stack_columns``, one tensor per
    dtype), and ``array`` when the path is the only column;
    with several path columns, ``array`` is a tuple of arrays in
    ``path_column`` order. With ``keys``, the paths are ``.npz`` archives and
    each gives the members named (``read_npz``): one array for a single key
    given as a str, else a dict ``{key: array}``. Column types come from ``column_defaults`` or are
    inferred from the first data row: integers become int64, other numbers
    float32, anything else string. ``dtype`` and ``shape`` default to what the
    first row's files say, so the element spec is fully static.

    A file that cannot be read (missing, malformed, of another dtype or
    shape) fails its own element only, with an error that names it and the
    CSV file and line it came from, its error class kept (``NotFoundError``
    for a missing file): the other rows of its block or batch arrive, so
    ``ignore_errors()`` drops exactly the bad rows (with ``batch_size`` and
    ``drop_remainder``, the batch that holds it), and ``on_error="skip"``
    leaves them out.

    A CSV is what Python's ``csv.writer`` writes: quoted fields may hold
    commas, doubled quotes and line breaks (read as ``"\\n"``); CRLF or LF
    line ends; a UTF-8 byte order mark at the start and blank lines are
    skipped. Fields are bytes: a path or a string that is not UTF-8 is read
    as it is (the path names the file of those bytes, as on Linux; Python's
    ``csv`` gives the same fields from the text decoded with
    ``surrogateescape``). A malformed record, a missing required value or a value of the
    wrong type fails with ``InvalidArgumentError`` naming the CSV file and
    the record's 1-based line (``paths.csv:7: column 1 (label) is not a
    valid int64: oops``).

    Args:
      csv_path: A CSV file (any ``tf.io.gfile`` path), a glob pattern, or a
        sequence of them (shards, read in order unless ``shuffle_files``).
        With ``header``, every file starts with a header row.
      dtype: Element type of the arrays, or one per path column; default:
        the first row's files'. With ``keys``: one type for every member, or
        a dict ``{key: dtype}`` (members left out: the first archive's).
      shape: Shape of each array, or with several path columns a sequence of
        one shape (or ``None``) per column; default: the first row's files'.
        A ``None`` entry is an axis whose size differs from file to file:
        each element then has its own shape (``padded_batch`` pads them), and
        with ``batch_size`` a batch is a ``tf.RaggedTensor``. With ``keys``:
        a dict ``{key: shape}``, or one shape for every member.
      path_column: The column that holds the paths (an index, or a name from
        the header), or a sequence of them: one array per column.
      column_defaults: A record default for every column, including the path
        columns: a dtype (int32, int64, float32, float64, string) makes the
        column required, a value is used for empty fields.
      header: Whether each CSV file starts with a header row (skipped).
      base_dir: Folder that relative paths are relative to; default: each
        CSV file's own folder. Absolute paths and URLs are used as they are.
      num_parallel_calls: Passed to the ``map`` calls that parse and read.
      deterministic: Passed to them and to the interleave of CSV files:
        ``False`` lets elements come out of order when that is faster.
      batch_size: If set, elements are batches of this many rows, each read
        by one batched ``read_npy`` call per path column.
      drop_remainder: With ``batch_size``, drop a last partial batch (gives a
        static batch dimension). A batch that holds a bad file then fails
        as a whole (``on_error="skip"`` keeps its good rows); without it, a
        bad file's batch arrives without it, after the file's error.
      block_size: Without ``batch_size``: how many files one ``read_npy``
        call reads; the elements are then handed out one by one. Default:
        from the first row's array sizes, about 1 MiB per read but at most
        128 files (small files: many per read; files of 1 MiB or more: one).
        ``1`` reads each element by itself.
      shuffle_files: Shuffle the order of the CSV files every epoch.
      seed: Seed of that shuffle.
      cycle_length: How many CSV files are read at once, their rows
        interleaved (blocks of up to 1024 lines from each in turn).
      in_memory: Parse the CSV files once, now, and keep their columns in
        the dataset (``from_tensor_slices``): each element then costs one
        read and nothing else, and ``distributed_epoch`` splits the rows one
        by one (rather than whole CSV files) among the workers. The CSV must
        fit in memory and in the dataset graph sent to the tf.data service's
        dispatcher; a bad row fails here. Not with ``shuffle_files`` or
        ``cycle_length`` (shuffle the rows instead).
      keys: The members to read when the paths are ``.npz`` archives, as
        numpy names them (``"x"`` for ``x.npy``, ``"arr_0"``): a str, or a
        sequence of them read with one archive open.
      verify_crc: With ``keys``: check each member's CRC-32, as ``read_npz``
        does; ``False`` skips that check alone.
      stack_columns: Give the columns besides the paths as one tensor per
        dtype, of shape ``[k]`` (the columns of that dtype in CSV order):
        ``(array, columns)`` when they all have one dtype, else ``(array,
        (int64_columns, float32_columns, ...))`` in the order the dtypes
        first appear. tf.data handles each tensor of an element by itself,
        so a CSV of more than 1,000 columns needs this (up to 1,048,576).
      on_error: ``"raise"`` (default): a file that cannot be read is its
        row's error. ``"skip"``: its row is left out, and the file, its CSV
        file and line and why are written once to stderr (``tfnpy: skipped
        a file (3 so far): paths.csv:17: ReadNpy: 'x.npy': ...``), so that a
        long run is not stopped by a few bad files and says which they are.

    Returns:
      A ``tf.data.Dataset``.

    >>> import tfnpy
    >>> ds = tfnpy.data.from_csv("paths.csv")  # rows like images/img_00.npy,3
    >>> ds.element_spec
    (TensorSpec(shape=(32, 32, 3), dtype=tf.float32, name=None), TensorSpec(shape=(), dtype=tf.int64, name=None))
    >>> ds = tfnpy.data.from_csv("train/shard-*.csv", header=True, path_column=["image", "mask"])
    >>> [spec.dtype.name for spec in ds.element_spec[0]]
    ['float32', 'bool']
    >>> ds = tfnpy.data.from_csv("archives.csv", keys=["image", "mask"])  # .npz archives
    >>> ds.element_spec[0]
    {'image': TensorSpec(shape=(64, 64, 3), dtype=tf.uint8, name=None), 'mask': TensorSpec(shape=(64, 64), dtype=tf.bool, name=None)}
    """
    files = _csv_files(csv_path)
    if not isinstance(verify_crc, bool):
        raise TypeError(f"verify_crc must be a bool, got {type(verify_crc).__name__}")
    if cycle_length < 1:
        raise ValueError(f"cycle_length must be >= 1, got {cycle_length}")
    if block_size is not None and block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    if in_memory and (shuffle_files or cycle_length > 1):
        raise ValueError("in_memory=True keeps the rows in order: shuffle the rows (Dataset.shuffle), not the files")
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    prefixes = [_prefix(os.path.dirname(f) if base_dir is None else base_dir) for f in files]
    layout = _layout(files, header, path_column, column_defaults, dtype, shape, prefixes[0], keys, stack_columns)
    map_args = dict(num_parallel_calls=num_parallel_calls, deterministic=deterministic)
    if block_size is None:
        block_size = min(_MAX_BLOCK, max(1, _BLOCK_BYTES // _row_bytes(layout)))
    size = batch_size or block_size
    # Batches read whole, or blocks handed out row by row (RowsDataset; also
    # for full batches of whatever rows on_error="skip" leaves).
    by_rows = not batch_size or (drop_remainder and on_error == "skip")
    drop = bool(batch_size) and drop_remainder and not by_rows

    if in_memory:
        # Every file parsed now, by the same graph code as streaming, in large steps.
        parts = [
            list(_column_blocks(f, p, layout, header, 1 << 16, source=k))
            for k, (f, p) in enumerate(zip(files, prefixes))
        ]
        parts = [block for blocks in parts for block in blocks]
        rows = tf.data.Dataset.from_tensor_slices(_joined(layout, parts)).batch(size, drop_remainder=drop)
    else:
        sources = tf.data.Dataset.from_tensor_slices((files, prefixes, tf.range(len(files), dtype=tf.int32)))
        if shuffle_files:
            sources = sources.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        blocks = sources.interleave(
            lambda f, p, k: _column_blocks(f, p, layout, header, _LINES_PER_STEP, source=k, **map_args),
            cycle_length=cycle_length,
            block_length=1,
            **(dict(num_parallel_calls=cycle_length, deterministic=deterministic) if cycle_length > 1 else {}),
        )
        rows = blocks.rebatch(size, drop_remainder=drop)

    # One read per batch or block: each tf.data stage costs more per element
    # than reading a small file, so small files are read many at a time and
    # handed out one by one. Each row keeps its own error (on_error="report"):
    # a bad file fails its own element, or is skipped, never its neighbours.
    read, plan, status = _read_block(layout, verify_crc)
    blocks = rows.map(read, **map_args)
    if by_rows:
        # Blocks handed out row by row natively (RowsDataset): a bad row fails
        # (or is skipped) alone, a ragged row is a tensor of its own shape.
        elements = _RowsDataset(blocks, plan, status, files, skip=on_error == "skip")
        if not batch_size:
            return elements
        # Batches of exactly batch_size rows: a skipped row's place is taken by the next row.
        if any(_ragged_column(x) for x in layout.shapes):
            return elements.ragged_batch(batch_size, drop_remainder=True)
        return elements.batch(batch_size, drop_remainder=True)
    # Batches read whole. A bad row is an error of its own, then its batch
    # comes without it; with drop_remainder (batches of exactly batch_size),
    # the batch fails with its first bad row's error; with skip, bad rows are
    # logged and left out.
    errors = _Errors(files, plan, status)
    if on_error == "skip":
        elements = blocks.map(errors.skip)
    elif drop_remainder:
        elements = blocks.map(errors.whole)
    else:
        elements = blocks.flat_map(errors.batch)
    return elements


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

    >>> import tfnpy
    >>> rows = tfnpy.data.npy_rows("features.npy")  # an array of shape (1000, 8)
    >>> rows.element_spec
    TensorSpec(shape=(8,), dtype=tf.float32, name=None)
    >>> batches = rows.shuffle(1000).batch(256)
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
