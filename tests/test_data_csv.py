"""tfnpy.data.from_csv's CSV parsing against Python's csv module: bytes that
are not UTF-8 (paths on Linux are bytes), and CSVs with many columns."""

from __future__ import annotations

import csv
import io
import os

import numpy as np
import pytest
import tensorflow as tf

import tfnpy


@pytest.fixture(params=[False, True], ids=["streamed", "in_memory"])
def in_memory(request):
    return request.param


def as_text(field) -> str:
    """A field for csv.writer: bytes (any bytes) through surrogateescape."""
    return field.decode("utf-8", "surrogateescape") if isinstance(field, bytes) else str(field)


def csv_bytes(rows, header=None, quoting=csv.QUOTE_MINIMAL) -> bytes:
    """What csv.writer writes for these rows, as bytes (fields may be any bytes)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=quoting)
    for row in ([header] if header else []) + list(rows):
        writer.writerow([as_text(f) for f in row])
    return out.getvalue().encode("utf-8", "surrogateescape")


def python_rows(data: bytes, header: bool = False) -> list:
    """The records Python's csv module reads from these bytes, fields as bytes."""
    text = data.decode("utf-8-sig", "surrogateescape")
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    rows = [[f.encode("utf-8", "surrogateescape") for f in row] for row in rows]
    return rows[1:] if header else rows


def save(folder: bytes, name: bytes, array) -> None:
    """np.save to a file whose name is any bytes."""
    with open(os.path.join(folder, name), "wb") as f:
        np.save(f, array)


def csv_error(path, **kwargs) -> str:
    """The message of the InvalidArgumentError that reading the CSV raises."""
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        list(tfnpy.data.from_csv(str(path), **kwargs))
    return info.value.message


# ---------------------------------------------------------------- not UTF-8

# File names that are not valid UTF-8 (Linux allows any bytes but "/" and NUL),
# some needing quotes (a comma, a quote, a line break), one valid UTF-8 for contrast.
NAMES = [b"caf\xe9.npy", b"plain.npy", b'\xff\xfe, "odd".npy', b"two\xe9\nlines.npy", b"caf\xc3\xa9.npy", b"\x80.npy"]
# String labels that are not valid UTF-8, quoted or not.
LABELS = [b"caf\xe9", b"\x80", b'a, "\xe9"', b"ok", b"\xe9\n\xe9", b"\xc3"]


@pytest.mark.parametrize("header, quoting", [(False, csv.QUOTE_MINIMAL), (True, csv.QUOTE_ALL)],
                         ids=["quoted_when_needed", "header_all_quoted"])
@pytest.mark.parametrize("split_columns", [64, 0], ids=["decode_csv", "split"])
def test_bytes_that_are_not_utf8_read_as_pythons_csv_does(tmp_path, in_memory, quoting, header, split_columns,
                                                          monkeypatch):
    """Paths and string labels with invalid UTF-8 (also in the first row, read
    in Python for the layout, in an absolute path and in the header) give the
    same records as Python's csv module, and the files of those byte names;
    whether decode_csv splits the records (narrow CSVs) or _fields (wide ones)."""
    monkeypatch.setattr(tfnpy.data, "_LINES_PER_STEP", 2)  # records also cross the parser's blocks
    monkeypatch.setattr(tfnpy.data, "_SPLIT_COLUMNS", split_columns)
    folder = os.fsencode(tmp_path)
    arrays = {}
    rows = []
    for i, (name, label) in enumerate(zip(NAMES, LABELS)):
        arrays[name] = np.arange(6, dtype=np.int16).reshape(2, 3) * (i + 1)
        save(folder, name, arrays[name])
        rows.append([name, label, i])
    absolute = os.path.join(folder, b"abs\xe9.npy")
    arrays[absolute] = np.full((2, 3), -7, np.int16)
    save(folder, b"abs\xe9.npy", arrays[absolute])
    rows.append([absolute, b"x\xe9", 99])
    data = csv_bytes(rows, [b"p\xe9th", b"l\xe9bel", "n"] if header else None, quoting)
    (tmp_path / "t.csv").write_bytes(data)

    expected = python_rows(data, header)
    assert [r[0] for r in expected] == [r[0] for r in rows]  # the reference reads back what was written
    ds = tfnpy.data.from_csv(str(tmp_path / "t.csv"), header=header, in_memory=in_memory, deterministic=True)
    assert ds.element_spec[1] == (tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int64))
    got = [(a, label, n) for a, (label, n) in ds.as_numpy_iterator()]
    assert [(label, n) for _, label, n in got] == [(label, int(n)) for _, label, n in expected]
    for (a, _, _), (path, _, _) in zip(got, expected):
        np.testing.assert_array_equal(a, arrays[path])


def test_the_issues_example_reads_both_rows(tmp_path, in_memory):
    folder = os.fsencode(tmp_path)
    save(folder, b"ok.npy", np.zeros(2))
    save(folder, b"caf\xe9.npy", np.ones(2))
    for text in (b"ok.npy,0\ncaf\xe9.npy,1\n", b"caf\xe9.npy,0\ncaf\xe9.npy,1\n"):
        (tmp_path / "t.csv").write_bytes(text)
        got = [(a.tolist(), y) for a, y in tfnpy.data.from_csv(str(tmp_path / "t.csv"), in_memory=in_memory,
                                                               deterministic=True).as_numpy_iterator()]
        expected = [([0.0, 0.0] if p == b"ok.npy" else [1.0, 1.0], int(y)) for p, y in python_rows(text)]
        assert got == expected


def test_errors_about_bytes_that_are_not_utf8_say_what_and_where(tmp_path, in_memory):
    """A bad record with invalid UTF-8 in it gets the error its structure
    deserves, on its line, and the message is text (invalid bytes shown as
    U+FFFD), not a UnicodeDecodeError."""
    save(os.fsencode(tmp_path), b"ok.npy", np.zeros(2))
    path = tmp_path / "t.csv"
    cases = [
        (b"ok.npy,0\nok.npy,caf\xe9\n", "2: column 1 is not a valid int64: caf\ufffd"),
        (b"ok.npy,0\n\n\xe9.npy,1\"2\"\nok.npy,1\n", "3: a quote inside an unquoted field"),
        (b"ok.npy,0\nok\xe9.npy,1,\xff\n", "2: 3 fields, expected 2"),
        (b"ok.npy,0\n\"ok\xe9.npy,1\nok.npy,1\n", "2: a quote is not closed by the end of the file"),
        (b"ok.npy,0\nok.npy,\n", "2: column 1 is empty and has no default"),
    ]
    for data, message in cases:
        path.write_bytes(data)
        assert f"{path}:{message}" in csv_error(path, in_memory=in_memory), data


def test_a_missing_first_file_with_a_byte_name_is_named_as_python_shows_it(tmp_path):
    """The first row's file is inspected in Python for the layout: its name
    keeps its bytes (not U+FFFD, which would name another file)."""
    (tmp_path / "t.csv").write_bytes(b"caf\xe9.npy,0\n")
    with pytest.raises(FileNotFoundError) as info:
        tfnpy.data.from_csv(str(tmp_path / "t.csv"))
    assert os.fsencode(info.value.filename) == os.path.join(os.fsencode(tmp_path), b"caf\xe9.npy")


# ---------------------------------------------------------------- wide CSVs


KINDS = ((tf.int64, np.int64, int, np.int64(-1)), (tf.float32, np.float32, float, np.float32(0.5)),
         (tf.string, object, bytes, b"-"))


def kind(c: int):
    """(dtype, numpy dtype, Python type, default) of column c > 0 of wide_rows."""
    return KINDS[c % 3]


def wide_rows(folder, ncols: int, nrows: int, seed: int = 0, quotes: bool = True, line_breaks: bool = True,
              empty: float = 0.1):
    """Rows of a path and ncols - 1 other columns: int64, float32 and string
    columns in turn (kind(c); strings with commas, quotes and line breaks
    unless not quotes), the first row without empty fields (it gives the
    types), later rows with a share of empty ones."""
    rng = np.random.default_rng(seed)
    np.save(os.path.join(folder, "a.npy"), np.arange(4.0))
    rows = []
    for r in range(nrows):
        row = ["a.npy"]
        for c in range(1, ncols):
            strings = (["x", "a, b", 'say "hi"'] + (["two\nlines"] if line_breaks else [])) if quotes else ["x", "y z"]
            text = [str(rng.integers(-99, 99)), f"{rng.random():.3f}", rng.choice(strings)]
            row.append("" if r and rng.random() < empty else text[c % 3])
        rows.append(row)
    return rows


def expected_columns(data: bytes, ncols: int) -> list:
    """Python's csv reading of wide_rows' CSV, with kind(c)'s defaults for
    empty fields: one list per column besides the path."""
    read = python_rows(data)
    cols = []
    for c in range(1, ncols):
        _, _, convert, default = kind(c)
        cols.append([default if row[c] == b"" else convert(row[c]) for row in read])
    return cols


@pytest.mark.parametrize("stack_columns, quotes", [(False, True), (True, True), (True, False)],
                         ids=["tuple", "stacked", "stacked_no_quotes"])
def test_wide_csv_equals_pythons_csv(tmp_path, in_memory, stack_columns, quotes, monkeypatch):
    """A wide CSV's columns: one tensor each in CSV order, or with
    stack_columns one [k] tensor per dtype in the order the dtypes first
    appear; also when a parsing step holds a few lines only, and when no
    field is quoted."""
    monkeypatch.setattr(tfnpy.data, "_MAX_FIELDS_PER_STEP", 1000)
    ncols = 1501 if stack_columns else 100
    data = csv_bytes(wide_rows(tmp_path, ncols, 9, quotes=quotes))
    assert (b'"' in data) == quotes
    (tmp_path / "w.csv").write_bytes(data)
    cols = expected_columns(data, ncols)
    defaults = [tf.string] + [kind(c)[3] for c in range(1, ncols)]
    ds = tfnpy.data.from_csv(str(tmp_path / "w.csv"), column_defaults=defaults, in_memory=in_memory,
                             stack_columns=stack_columns, deterministic=True)
    got = list(ds.as_numpy_iterator())
    assert len(got) == 9 and all(np.array_equal(a, np.arange(4.0)) for a, _ in got)
    if stack_columns:  # float32 (column 1) first, then string, then int64
        order = (1, 2, 0)
        assert ds.element_spec[1] == tuple(tf.TensorSpec([500], KINDS[k][0]) for k in order)
        for position, k in enumerate(order):
            want = np.array([col for c, col in enumerate(cols, 1) if c % 3 == k], KINDS[k][1]).T
            np.testing.assert_array_equal(np.stack([others[position] for _, others in got]), want)
    else:
        assert ds.element_spec[1] == tuple(tf.TensorSpec([], kind(c)[0]) for c in range(1, ncols))
        for c, col in enumerate(cols, 1):
            np.testing.assert_array_equal(np.array([others[c - 1] for _, others in got]), np.array(col, kind(c)[1]))


def test_wide_csv_errors_name_the_first_bad_field(tmp_path, in_memory):
    """The error names the first bad field of the first bad record, in column
    order, with its header name, as for a narrow CSV."""
    rows = wide_rows(tmp_path, 3000, 4, seed=1, line_breaks=False, empty=0)  # row r on line r + 2
    header = ["path"] + [f"h{c}" for c in range(1, 3000)]
    rows[2][2802] = "oops"  # an int64 column
    rows[2][2348] = ""  # a string column without a default
    rows[3][7] = "bad"
    path = tmp_path / "w.csv"
    path.write_bytes(csv_bytes(rows, header))
    message = csv_error(path, header=True, in_memory=in_memory, stack_columns=True)
    assert f"{path}:4: column 2348 (h2348) is empty and has no default" in message
    rows[2][2348] = "fine"
    path.write_bytes(csv_bytes(rows, header))
    message = csv_error(path, header=True, in_memory=in_memory, stack_columns=True)
    assert f"{path}:4: column 2802 (h2802) is not a valid int64: oops" in message


def test_column_limits_say_what_to_do(tmp_path, monkeypatch):
    np.save(tmp_path / "a.npy", np.zeros(2))
    (tmp_path / "w.csv").write_text("a.npy," + ",".join(["1"] * 1000) + "\n")
    with pytest.raises(ValueError, match=r"has 1,001 columns, more than from_csv reads as one tensor each \(1,000\): "
                                         r"pass stack_columns=True"):
        tfnpy.data.from_csv(str(tmp_path / "w.csv"))
    ds = tfnpy.data.from_csv(str(tmp_path / "w.csv"), stack_columns=True)
    assert ds.element_spec[1] == tf.TensorSpec([1000], tf.int64)
    monkeypatch.setattr(tfnpy.data, "_MAX_COLUMNS", 999)
    with pytest.raises(ValueError, match=r"has 1,001 columns, more than from_csv reads \(999\)"):
        tfnpy.data.from_csv(str(tmp_path / "w.csv"), stack_columns=True)


def graph_nodes(ds) -> int:
    """Nodes of a dataset's graph, its functions' included."""
    graph = tf.compat.v1.GraphDef.FromString(ds._as_serialized_graph().numpy())
    return len(graph.node) + sum(len(f.node_def) for f in graph.library.function)


@pytest.mark.parametrize("in_memory", [False, True], ids=["streamed", "in_memory"])
def test_wide_csv_graph_does_not_grow_with_its_width(tmp_path, in_memory):
    """The graph from_csv builds has a few nodes per dtype, none per column
    (with stack_columns; one tensor per column needs a node or two each)."""
    np.save(tmp_path / "a.npy", np.zeros(2))

    def nodes(ncols, **kwargs):
        (tmp_path / "w.csv").write_text("a.npy," + ",".join(["1", "2.5", "x"] * (ncols // 3)) + "\n")
        return graph_nodes(tfnpy.data.from_csv(str(tmp_path / "w.csv"), in_memory=in_memory, **kwargs))

    assert nodes(3000, stack_columns=True) == nodes(300, stack_columns=True)
    assert nodes(900) - nodes(300) <= 3 * 600


def test_a_first_row_longer_than_a_mebibyte(tmp_path, in_memory):
    """The first row (read in Python for the layout) is read whole, however long."""
    np.save(tmp_path / "a.npy", np.zeros(2))
    rows = [["a.npy"] + [f"{r}{c}" + "x" * 25_000 for c in range(50)] for r in range(3)]
    (tmp_path / "w.csv").write_bytes(csv_bytes(rows))
    ds = tfnpy.data.from_csv(str(tmp_path / "w.csv"), in_memory=in_memory)
    assert [[v.decode() for v in others] for _, others in ds.as_numpy_iterator()] == [row[1:] for row in rows]


def test_first_row_types_are_what_the_graph_reads(tmp_path, in_memory):
    """A column's type comes from its first value as the graph reads numbers:
    "1_000" or other digits than 0-9 (int() takes both) make a string column."""
    np.save(tmp_path / "a.npy", np.zeros(2))
    rows = [["a.npy", "1_000", "\u0663", " 7 ", "2.5e3", "1_0.5"], ["a.npy", "x", "y", "-8", "inf", "z"]]
    (tmp_path / "t.csv").write_bytes(csv_bytes(rows))
    ds = tfnpy.data.from_csv(str(tmp_path / "t.csv"), in_memory=in_memory, deterministic=True)
    assert [s.dtype for s in ds.element_spec[1]] == [tf.string, tf.string, tf.int64, tf.float32, tf.string]
    got = [tuple(v.decode() if isinstance(v, bytes) else float(v) for v in others) for _, others in
           ds.as_numpy_iterator()]
    assert got == [("1_000", "\u0663", 7.0, 2500.0, "1_0.5"), ("x", "y", -8.0, float("inf"), "z")]
