"""tfnpy.read_npy: files through TensorFlow's file systems, row ranges, batches.

Every value is checked against numpy: whole files against ``np.load``, row
ranges against ``np.load(path, mmap_mode="r")[start:stop]``, batches against
``np.stack``. Errors must name the file (``ReadNpy: '<path>': ...``), and the
checks that guard allocation and I/O are verified from the outside: a header
that declares a terabyte is refused before any allocation, and ``/proc/self/io``
shows that a row range reads only its rows.
"""

import os
import re
import subprocess
import sys
import uuid
import zlib

import numpy as np
import pytest
import tensorflow as tf

import tfnpy

# pytest runs with --import-mode=importlib, which does not put tests/ on
# sys.path; the shared helpers live next to this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_testutil import (MAGIC, SUPPORTED_DTYPES, assert_same_array,  # noqa: E402
                          build_npy, dict_text, make_npy, np_load, numpy_npy,
                          preamble, raw_data, rchar, sample_array)

INT64_MAX = 2**63 - 1

VERSIONS = {"v1": (1, 0), "v2": (2, 0), "v3": (3, 0)}

SHAPES = {
    "scalar": (),
    "0": (0,),
    "7": (7,),
    "1x5": (1, 5),
    "3x0x2": (3, 0, 2),
    "2x3": (2, 3),
    "3x1x4": (3, 1, 4),
    "5x17x19": (5, 17, 19),
}


# ----------------------------------------------------------------------------
# Helpers.


def read(path, dtype, **kw):
    """read_npy eagerly, as a numpy array."""
    return tfnpy.read_npy(path, dtype, **kw).numpy()


def tf_dtype(np_dtype):
    return tf.as_dtype(np.dtype(np_dtype).newbyteorder("="))


def op_message(err):
    """The kernel's own message: from 'ReadNpy:' on, without eager's
    '{{function_node ...}}' prefix and ' [Op:...]' suffix."""
    msg = err.message
    i = msg.find("ReadNpy:")
    assert i >= 0, f"no 'ReadNpy:' in {msg!r}"
    return re.sub(r" \[Op:[^\]]*\]( name: \S*)?$", "", msg[i:].rstrip("\n"))


def assert_read_error(exc_type, path, dtype, *substrings, **kw):
    """read_npy raises `exc_type` whose message starts with
    "ReadNpy: '<path>': " and holds every substring; returns the message."""
    with pytest.raises(exc_type) as e:
        read(path, dtype, **kw)
    msg = op_message(e.value)
    assert msg.startswith(f"ReadNpy: '{path}': "), msg
    for s in substrings:
        assert s in msg, f"{s!r} not in {msg!r}"
    return msg


def mmap_rows(path, start, stop):
    """numpy's rows [start, stop) of the file, via a memory map where numpy
    can map it (it cannot map a file without data bytes)."""
    try:
        ref = np.load(path, mmap_mode="r")
    except ValueError:
        ref = np.load(path)
    return np.array(ref[start:stop])


def sparse_npy(path, descr, shape, fortran=False, version=(1, 0)):
    """A file with a real header and `shape`'s data as a hole (zeros, no
    disk blocks): large files in no time."""
    text = dict_text(descr, fortran, shape)
    head = build_npy(text, b"", version=version)
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(descr).itemsize
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(len(head) + nbytes)
    return str(path)


# ----------------------------------------------------------------------------
# The matrix: dtype x byte order x C/F x shape x version, whole and rows.


def _matrix_params():
    for dt in SUPPORTED_DTYPES:
        orders = ["|"] if np.dtype(dt).itemsize == 1 else ["<", ">"]
        for bo in orders:
            for layout in ("C", "F"):
                for sid, shape in SHAPES.items():
                    for vid, version in VERSIONS.items():
                        name = {"<": "le", ">": "be", "|": "na"}[bo]
                        yield pytest.param(
                            dt, bo, layout, shape, version,
                            id=f"{dt}-{name}-{layout}-{sid}-{vid}")


@pytest.mark.parametrize("dt,bo,layout,shape,version", list(_matrix_params()))
def test_matrix(files, dt, bo, layout, shape, version):
    arr = sample_array(dt, shape, seed=zlib.crc32(repr((dt, shape)).encode()))
    fortran = layout == "F"
    if fortran:
        # fortran_order=True whatever the shape (numpy itself would write
        # False for 1-D arrays); still a valid file.
        b = make_npy(arr, byteorder=bo, fortran=True, version=version)
    else:
        src = arr
        if arr.dtype.itemsize > 1 and bo == ">":
            src = arr.byteswap().view(arr.dtype.newbyteorder(">"))
        b = numpy_npy(src, version)
    path = files(b)
    ref = np.load(path)
    assert_same_array(read(path, tf_dtype(dt)), ref, "whole file")

    if shape == ():
        assert_read_error(tf.errors.InvalidArgumentError, path, tf_dtype(dt),
                          "a region over 1 axes does not fit an array of shape ()",
                          start=0, stop=1)
        return
    # Rows, C and Fortran order alike (Fortran rows are gathered).
    got = read(path, tf_dtype(dt), start=1, stop=3)
    assert_same_array(got, ref[1:3], "rows [1, 3)")


@pytest.mark.parametrize("bo", ["=", "|", ""], ids=["eq", "bar", "none"])
@pytest.mark.parametrize("dt", ["float64", "int16", "bool", "complex64"])
def test_byte_order_spellings(files, dt, bo):
    arr = sample_array(dt, (4, 3), seed=5)
    path = files(make_npy(arr, byteorder=bo))
    ref = np_load(open(path, "rb").read())
    assert_same_array(read(path, tf_dtype(dt)), ref)
    assert_same_array(read(path, tf_dtype(dt), start=2), ref[2:])


def test_bool_bytes_normalised(files):
    # Bytes 2 and 255 are True to numpy; the tensor holds exactly 0 and 1.
    raw = np.array([0, 1, 2, 255, 0, 7], np.uint8)
    path = files(build_npy(dict_text("|b1", False, (3, 2)), raw.tobytes()))
    got = read(path, tf.bool)
    assert got.view(np.uint8).tolist() == [[0, 1], [1, 1], [0, 1]]
    assert read(path, tf.bool, start=1, stop=2).view(np.uint8).tolist() == [[1, 1]]


def test_trailing_bytes_ignored(files):
    arr = sample_array("int32", (5, 2), seed=1)
    path = files(numpy_npy(arr) + b"trailing garbage")
    assert_same_array(read(path, tf.int32), arr)
    assert_same_array(read(path, tf.int32, start=4, stop=9), arr[4:])


# The first read of a whole file is 16 KiB: files just below, at and above it,
# and headers longer than it.
@pytest.mark.parametrize("total", [16383, 16384, 16385, 40000])
def test_sizes_around_first_read(files, total):
    data_offset = 128
    arr = sample_array("uint8", (total - data_offset,), seed=total)
    b = numpy_npy(arr)
    assert len(b) == total
    path = files(b)
    assert_same_array(read(path, tf.uint8), arr)
    assert_same_array(read(path, tf.uint8, start=10, stop=total), arr[10:])


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)], ids=["v1", "v2", "v3"])
def test_header_longer_than_first_read(files, version):
    arr = sample_array("float32", (6, 5), seed=2)
    # Padding to a 32 KiB boundary: the header is ~32 KiB long.
    b = build_npy(dict_text("<f4", False, arr.shape), raw_data(arr),
                  version=version, align=32768)
    path = files(b)
    ref = np_load(b, max_header_size=40000)
    assert_same_array(read(path, tf.float32, max_header_size=40000), ref)
    assert_same_array(read(path, tf.float32, start=2, stop=4,
                           max_header_size=40000), ref[2:4])
    for kw in ({}, {"start": 1}):
        assert_read_error(tf.errors.InvalidArgumentError, path, tf.float32,
                          "exceeds max_header_size", **kw)


# ----------------------------------------------------------------------------
# Row ranges.

A10 = sample_array("int32", (10, 3), seed=10)

RANGES = [
    (0, 10), (0, 1), (3, 7), (9, 10),   # last row
    (0, 0), (3, 3), (10, 10),            # empty ranges
    (7, 2),                              # start > stop: empty
    (8, 100), (0, INT64_MAX - 1),        # stop beyond the end: clamped
    (10, 20), (11, 12), (500, 1000),     # start beyond the end: empty
    (4, None), (None, 6), (10, None), (12, None),
]


@pytest.mark.parametrize("version", [(1, 0), (3, 0)], ids=["v1", "v3"])
@pytest.mark.parametrize("start,stop", RANGES, ids=[str(r) for r in RANGES])
def test_row_range(files, start, stop, version):
    path = files(numpy_npy(A10, version))
    got = read(path, tf.int32, start=start, stop=stop)
    ref = mmap_rows(path, start, stop)
    assert ref.shape[1:] == (3,)
    assert_same_array(got, ref)


@pytest.mark.parametrize("shape", [(10,), (10, 0), (10, 1, 2)],
                         ids=["10", "10x0", "10x1x2"])
@pytest.mark.parametrize("start,stop", [(0, 0), (2, 5), (9, 10), (8, 20),
                                        (11, 13)])
def test_row_range_shapes(files, shape, start, stop):
    arr = sample_array("float64", shape, seed=3)
    be = arr.byteswap().view(arr.dtype.newbyteorder(">"))
    path = files(numpy_npy(be))
    assert_same_array(read(path, tf.float64, start=start, stop=stop),
                      mmap_rows(path, start, stop))


def test_row_range_of_empty_file(files):
    path = files(numpy_npy(np.zeros((0, 4), np.float32)))
    for start, stop in [(0, 0), (0, 5), (3, 9)]:
        got = read(path, tf.float32, start=start, stop=stop)
        assert got.shape == (0, 4)


@pytest.mark.parametrize("shape", [(7,), (1, 6), (6, 1), (3, 0, 2)],
                         ids=["7", "1x6", "6x1", "3x0x2"])
def test_row_range_fortran_contiguous(files, shape):
    # Fortran order with at most one dimension longer than one: the rows are
    # contiguous, so a row range is allowed.
    arr = sample_array("int16", shape, seed=4)
    path = files(make_npy(arr, byteorder=">", fortran=True))
    for start, stop in [(0, 1), (1, 4), (5, 99)]:
        assert_same_array(read(path, tf.int16, start=start, stop=stop),
                          mmap_rows(path, start, stop))


@pytest.mark.parametrize("shape", [(2, 3), (3, 1, 4), (4, 2, 1)])
def test_row_range_fortran_gathered(files, shape):
    # Fortran order with several long axes: the rows are not contiguous in
    # the file, and are gathered from it.
    arr = np.asfortranarray(sample_array("float32", shape, seed=6))
    path = files(numpy_npy(arr))
    assert np.load(path).flags.f_contiguous
    for start, stop in [(0, 1), (1, 3), (1, 99)]:
        assert_same_array(read(path, tf.float32, start=start, stop=stop), arr[start:stop])
    assert_same_array(read(path, tf.float32), arr)


def test_negative_bounds(files):
    # Counted from the end of the axis, as numpy's slices are: as Python
    # ints, lists and tensors (which reach the kernel as they are).
    path = files(numpy_npy(A10))
    for start, stop in [(-1, 10), (0, -1), (-3, -1), (-100, 3), (2, -100), (-4, None), (None, -7)]:
        want = A10[slice(start, stop)]
        assert_same_array(read(path, tf.int32, start=start, stop=stop), want, f"[{start}:{stop}]")
        bounds = {k: tf.constant(v, tf.int64) for k, v in (("start", start), ("stop", stop)) if v is not None}
        assert_same_array(read(path, tf.int32, **bounds), want, f"tensors [{start}:{stop}]")


def test_tensor_bounds_in_tf_function(files):
    path = files(numpy_npy(A10))

    @tf.function(input_signature=[tf.TensorSpec([], tf.string),
                                  tf.TensorSpec([], tf.int64),
                                  tf.TensorSpec([], tf.int64)])
    def rows(p, start, stop):
        out = tfnpy.read_npy(p, tf.int32, shape=[10, 3], start=start, stop=stop)
        # Bounds known only when the graph runs: the row dim is unknown.
        assert out.shape.as_list() == [None, 3]
        return out

    ref = np.load(path, mmap_mode="r")
    for start, stop in [(0, 10), (2, 5), (9, 10), (4, 4), (6, 2), (7, 50),
                        (10, 11), (20, 30)]:
        assert_same_array(rows(path, start, stop).numpy(), ref[start:stop],
                          f"[{start}, {stop})")
    assert_same_array(rows(path, -3, 9).numpy(), ref[-3:9])

    # int32 bounds are accepted too.
    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def from_row(start):
        return tfnpy.read_npy(path, tf.int32, start=start)

    assert_same_array(from_row(7).numpy(), A10[7:])


def test_rows_from_a_file_larger_than_max_output_bytes(tmp_path):
    # The cap is on the selected rows ("Cap on each array's selected size"):
    # one row of a 4000-byte array fits a 1000-byte cap.
    path = str(tmp_path / "a.npy")
    arr = np.arange(1000, dtype=np.float32).reshape(100, 10)  # 4000 bytes
    np.save(path, arr)
    got = read(path, tf.float32, start=0, stop=1, max_output_bytes=1000)
    assert_same_array(got, arr[:1])
    got = read(path, tf.float32, start=50, stop=75, max_output_bytes=1000)
    assert_same_array(got, arr[50:75])


def test_rows_from_a_file_larger_than_default_cap(tmp_path):
    # README: "Rows 1000..1999 of a file bigger than memory (only those bytes
    # are read)". A 17 GiB (sparse) file is above the default 16 GiB cap,
    # but rows of it are small.
    rows, cols = 17 * 2**20, 256  # float32: 17 GiB
    path = sparse_npy(tmp_path / "huge.npy", "<f4", (rows, cols))
    got = read(path, tf.float32, start=1000, stop=2000)
    assert got.shape == (1000, cols) and not got.any()


# ----------------------------------------------------------------------------
# Only the requested bytes are read.


def test_row_range_reads_only_its_rows(tmp_path):
    rows, cols = 50_000, 1000  # float32: 200 MB, as a hole in a sparse file.
    path = sparse_npy(tmp_path / "big.npy", "<f4", (rows, cols))
    size = os.path.getsize(path)
    row_bytes = cols * 4
    read(path, tf.float32, start=0, stop=1)  # warm up (op creation, caches)
    slack = 64 * 1024  # The header, and this process's own /proc reads.

    for start, stop in [(0, 1), (31_337, 31_338), (rows - 1, rows)]:
        before = rchar()
        got = read(path, tf.float32, start=start, stop=stop)
        used = rchar() - before
        assert got.shape == (stop - start, cols)
        assert row_bytes <= used <= row_bytes + slack, (start, stop, used, size)
        assert used < size / 1000

    # The measurement sees real reads: 8000 rows (32 MB) cost at least that.
    before = rchar()
    got = read(path, tf.float32, start=10_000, stop=18_000)
    used = rchar() - before
    assert got.shape == (8000, cols)
    assert 8000 * row_bytes <= used <= 8000 * row_bytes + slack, used


# ----------------------------------------------------------------------------
# Batches.


def test_batch_equals_stack(files):
    arrays = [sample_array("float32", (4, 5), seed=s) for s in range(6)]
    paths = []
    for i, a in enumerate(arrays):
        # Mixed versions, byte orders and memory orders in one batch.
        if i % 3 == 0:
            b = numpy_npy(a, VERSIONS[["v1", "v2", "v3"][i % 3]])
        elif i % 3 == 1:
            b = make_npy(a, byteorder=">", version=(2, 0))
        else:
            b = make_npy(a, byteorder="<", fortran=True, version=(3, 0))
        paths.append(files(b))
    ref = np.stack([np.load(p) for p in paths])
    got = read(paths, tf.float32, shape=[4, 5])
    assert_same_array(got, ref)
    assert_same_array(read(tf.constant(paths), tf.float32), ref)


def test_batch_row_range(files):
    arrays = [sample_array("int64", (9, 2), seed=s) for s in range(5)]
    paths = [files(numpy_npy(a)) for a in arrays]
    for start, stop in [(0, 1), (3, 7), (8, 20), (9, 10), (4, 4)]:
        got = read(paths, tf.int64, start=start, stop=stop)
        assert_same_array(got, np.stack([mmap_rows(p, start, stop)
                                         for p in paths]))


def test_batch_many_files_in_parallel(files):
    arrays = [sample_array("uint16", (33, 7), seed=s) for s in range(64)]
    paths = [files(numpy_npy(a)) for a in arrays]
    assert_same_array(read(paths, tf.uint16), np.stack(arrays))


def test_batch_shape_mismatch_names_both_files(files):
    a = files(numpy_npy(np.zeros((4, 5), np.float32)), "first.npy")
    b = files(numpy_npy(np.zeros((4, 5), np.float32)), "second.npy")
    c = files(numpy_npy(np.zeros((4, 6), np.float32)), "third.npy")
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        read([a, b, c], tf.float32)
    msg = op_message(e.value)
    assert msg == (f"ReadNpy: '{c}' (element 2) gives shape (4, 6) but '{a}' (element 0) gives (4, 5); "
                   "all arrays in a batch must share dtype and shape (ragged=True reads arrays of different shapes)"), msg


def test_batch_dtype_mismatch_names_the_file(files):
    a = files(numpy_npy(np.zeros((2,), np.float32)))
    b = files(numpy_npy(np.zeros((2,), np.float64)))
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        read([a, b], tf.float32)
    msg = op_message(e.value)
    assert msg.startswith(f"ReadNpy: '{b}': "), msg
    assert "file holds <f8 (float64), expected float32" in msg


def test_batch_missing_file_names_it(files):
    a = files(numpy_npy(np.zeros((2,), np.float32)))
    missing = a + ".missing"
    with pytest.raises(tf.errors.NotFoundError) as e:
        read([a, missing, a], tf.float32)
    assert op_message(e.value).startswith(f"ReadNpy: '{missing}': ")


def test_empty_batch():
    got = read(tf.constant([], tf.string), tf.float32, shape=[3, 4])
    assert got.shape == (0, 3, 4)
    got = read(tf.constant([], tf.string), tf.float32, shape=[3, 4],
               start=1, stop=10)
    assert got.shape == (0, 2, 4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="empty batch"):
        read(tf.constant([], tf.string), tf.float32)


# ----------------------------------------------------------------------------
# Errors name the file.


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.npy")
    assert_read_error(tf.errors.NotFoundError, path, tf.float32)
    assert_read_error(tf.errors.NotFoundError, path, tf.float32, start=0, stop=1)


def _valid(arr=np.arange(12, dtype="<f8").reshape(4, 3), version=(1, 0)):
    return numpy_npy(arr, version)


MALFORMED = {
    "empty": (b"", "too short for the .npy preamble"),
    "short": (MAGIC + b"\x01", "too short for the .npy preamble"),
    "bad-magic": (b"\x93NUMPX" + _valid()[6:], "bad magic"),
    "version-4": (_valid()[:6] + b"\x04\x00" + _valid()[8:],
                  "unsupported format version"),
    "not-a-dict": (build_npy("[1, 2, 3]", b"\0" * 96),
                   "header is not a dict literal"),
    "missing-key": (build_npy("{'descr': '<f8', 'fortran_order': False}",
                              b"\0" * 96), "missing key"),
    "unexpected-key": (build_npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), 'x': 1}",
        b"\0" * 96), "unexpected key"),
    "bad-descr": (build_npy(dict_text("<q9", False, (4, 3)), b"\0" * 96),
                  "is not a valid dtype"),
    # numpy reads this one (a long double array); tensors cannot hold it.
    "unsupported-descr": (build_npy(dict_text("<f16", False, (4, 3)),
                                    b"\0" * 96), "unsupported descr"),
    "bad-fortran": (build_npy(dict_text("<f8", False, (4, 3),
                                        fortran_text="1"), b"\0" * 96),
                    "fortran_order is not a bool"),
    "bad-shape": (build_npy(dict_text("<f8", False, (4, 3),
                                      shape_text="[4, 3]"), b"\0" * 96),
                  "shape is not a tuple of ints"),
    "negative-dim": (build_npy(dict_text("<f8", False, (4, 3),
                                         shape_text="(4, -3)"), b"\0" * 96),
                     "negative dimension"),
    "65-dims": (build_npy(dict_text("<f8", False, (1,) * 65), b"\0" * 8),
                "at most 64"),
    "overflow": (build_npy(dict_text("<f8", False, (2**40, 2**40)), b""),
                 "overflows"),
    "header-past-end": (preamble((1, 0), 5000) + b"{'descr': '<f8', ",
                        "runs past the end of the input"),
    "truncated": (_valid()[:-1], "data truncated"),
}


@pytest.mark.parametrize("rows", [False, True], ids=["whole", "rows"])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_names_the_file(files, case, rows):
    b, text = MALFORMED[case]
    path = files(b)
    if case != "unsupported-descr":
        with pytest.raises(Exception):  # numpy refuses it too
            np_load(b)
    kw = {"start": 0, "stop": 1} if rows else {}
    assert_read_error(tf.errors.InvalidArgumentError, path, tf.float64,
                      text, **kw)


def test_dtype_and_shape_mismatch(files):
    path = files(_valid())
    assert_read_error(tf.errors.InvalidArgumentError, path, tf.float32,
                      "file holds <f8 (float64), expected float32")
    assert_read_error(tf.errors.InvalidArgumentError, path, tf.float64,
                      "file has shape (4, 3), expected (4, 5)", shape=[4, 5])
    assert_read_error(tf.errors.InvalidArgumentError, path, tf.float64,
                      "file has shape (4, 3), expected (None, 2)",
                      shape=[None, 2], start=0, stop=1)
    be = files(numpy_npy(np.zeros(3, ">i4")))
    assert_read_error(tf.errors.InvalidArgumentError, be, tf.int64,
                      "file holds >i4 (int32), expected int64")


# ----------------------------------------------------------------------------
# Sizes declared by the header are checked before allocating.


def test_terabyte_header_in_100_byte_file(files):
    # Declares 2**38 float32 = 1 TiB; the whole file is 100 bytes.
    head = build_npy(dict_text("<f4", False, (2**38,)), align=0)
    b = head + b"\0" * (100 - len(head))
    assert len(b) == 100
    path = files(b)
    rss_before = _max_rss_kb()
    # A content problem, whatever the cap: refused because the file cannot
    # hold it (as decode_npy refuses the same bytes). Had the op allocated
    # 1 TiB first, it would fail with an allocation error instead.
    for cap in ({}, {"max_output_bytes": None}, {"max_output_bytes": 1024}):
        for kw in ({}, {"start": 0, "stop": 2**37}, {"start": 0, "stop": 1}):
            assert_read_error(tf.errors.InvalidArgumentError, path, tf.float32,
                              "data truncated", "1099511627776", **cap, **kw)
    with pytest.raises(tf.errors.InvalidArgumentError, match="data truncated"):
        tfnpy.decode_npy(b, tf.float32)
    assert _max_rss_kb() - rss_before < 512 * 1024


def test_header_claims_more_data_than_file(files):
    arr = np.arange(10, dtype=np.float64)
    b = build_npy(dict_text("<f8", False, (1000,)), raw_data(arr))
    path = files(b)
    with pytest.raises(ValueError):
        np_load(b)
    assert_read_error(tf.errors.InvalidArgumentError, path, tf.float64,
                      "data truncated", "needs 8000 bytes", "has 80")
    assert_read_error(tf.errors.InvalidArgumentError, path, tf.float64,
                      "data truncated", start=0, stop=5)


def _max_rss_kb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_max_output_bytes(files):
    arr = sample_array("float32", (10, 100), seed=8)  # 4000 bytes
    path = files(numpy_npy(arr))
    assert_same_array(read(path, tf.float32, max_output_bytes=4000), arr)
    msg = assert_read_error(tf.errors.ResourceExhaustedError, path, tf.float32,
                            "exceeds max_output_bytes", max_output_bytes=3999)
    assert "4000" in msg and "3999" in msg
    # Per array: a batch of two 4000-byte arrays fits a 4000-byte cap.
    got = read([path, path], tf.float32, max_output_bytes=4000)
    assert_same_array(got, np.stack([arr, arr]))
    with pytest.raises(tf.errors.ResourceExhaustedError):
        read([path, path], tf.float32, max_output_bytes=10)
    assert_same_array(read(path, tf.float32, max_output_bytes=None), arr)
    with pytest.raises(ValueError):
        read(path, tf.float32, max_output_bytes=-1)


# ----------------------------------------------------------------------------
# File systems, graphs and pipelines.


def test_ram_filesystem():
    base = f"ram://tfnpy-test-{uuid.uuid4().hex}"
    arrays = [sample_array("complex64", (6, 2), seed=s) for s in range(3)]
    paths = []
    for i, a in enumerate(arrays):
        p = f"{base}/a{i}.npy"
        with tf.io.gfile.GFile(p, "wb") as f:
            f.write(make_npy(a, byteorder=">" if i else "<"))
        paths.append(p)
    assert_same_array(read(paths[0], tf.complex64), arrays[0])
    assert_same_array(read(paths[1], tf.complex64, start=4, stop=99),
                      arrays[1][4:])
    assert_same_array(read(paths, tf.complex64, start=1, stop=3),
                      np.stack([a[1:3] for a in arrays]))
    missing = f"{base}/missing.npy"
    with pytest.raises(tf.errors.NotFoundError) as e:
        read(missing, tf.complex64)
    assert op_message(e.value).startswith(f"ReadNpy: '{missing}': ")
    for p in paths:
        tf.io.gfile.remove(p)


def _static_shape(fn, *specs):
    return fn.get_concrete_function(*specs).structured_outputs.shape.as_list()


@pytest.mark.parametrize("shape,start,stop,batch,expected", [
    (None, None, None, None, None),
    ([10, 3], None, None, None, [10, 3]),
    ([None, 3], None, None, None, [None, 3]),
    ([10, 3], 2, 5, None, [3, 3]),
    ([10, 3], 8, 100, None, [2, 3]),
    ([10, 3], 12, 20, None, [0, 3]),
    ([10, 3], 5, 2, None, [0, 3]),
    ([10, 3], None, 4, None, [4, 3]),
    ([10, 3], 7, None, None, [3, 3]),
    ([None, 3], 2, 5, None, [None, 3]),
    ([10, 3], None, None, 4, [4, 10, 3]),
    ([10, 3], 1, 3, None, [2, 3]),
    ([10, 3], 1, 3, -1, [None, 2, 3]),
])
def test_static_shape(files, shape, start, stop, batch, expected):
    path = files(numpy_npy(A10))
    spec = tf.TensorSpec([] if batch is None else
                         [None if batch == -1 else batch], tf.string)

    @tf.function
    def fn(p):
        return tfnpy.read_npy(p, tf.int32, shape=shape, start=start, stop=stop)

    got = fn.get_concrete_function(spec).structured_outputs.shape
    if expected is None:
        assert got.rank is None
    else:
        assert got.as_list() == expected
    # And at run time the tensor has a shape compatible with it.
    arg = path if batch is None else [path] * (4 if batch == 4 else 2)
    out = fn(tf.constant(arg))
    assert got.is_compatible_with(out.shape)
    ref = mmap_rows(path, start, stop)
    assert_same_array(out.numpy(), ref if batch is None else
                      np.stack([ref] * len(arg)))


def test_row_range_of_scalar_shape_refused_in_graph():
    with pytest.raises(ValueError, match="rank >= 1"):
        @tf.function
        def fn():
            return tfnpy.read_npy("x.npy", tf.float32, shape=[], start=0, stop=1)
        fn.get_concrete_function()


@pytest.mark.parametrize("rows", [False, True], ids=["whole", "rows"])
def test_tf_data_parallel_map(files, rows):
    arrays = [sample_array("float32", (8, 5), seed=100 + s) for s in range(24)]
    paths = [files(make_npy(a, byteorder="<>"[s % 2])) for s, a in
             enumerate(arrays)]
    kw = {"start": 2, "stop": 6} if rows else {}
    ds = tf.data.Dataset.from_tensor_slices(paths).map(
        lambda p: tfnpy.read_npy(p, tf.float32, shape=[8, 5], **kw),
        num_parallel_calls=4, deterministic=True)
    assert ds.element_spec.shape.as_list() == ([4, 5] if rows else [8, 5])
    got = list(ds.as_numpy_iterator())
    want = [a[2:6] if rows else a for a in arrays]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_same_array(g, w)
    # Batched paths inside the pipeline: one op call per batch.
    ds = tf.data.Dataset.from_tensor_slices(paths).batch(5).map(
        lambda p: tfnpy.read_npy(p, tf.float32, shape=[8, 5], **kw),
        num_parallel_calls=2)
    got = np.concatenate(list(ds.as_numpy_iterator()))
    assert_same_array(got, np.stack(want))


def test_tf_data_error_names_the_file(files):
    good = files(numpy_npy(np.zeros((2, 2), np.float32)))
    bad = files(numpy_npy(np.zeros((2, 2), np.float32))[:-3])
    ds = tf.data.Dataset.from_tensor_slices([good, bad]).map(
        lambda p: tfnpy.read_npy(p, tf.float32), num_parallel_calls=2)
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        list(ds.as_numpy_iterator())
    assert f"ReadNpy: '{bad}': data truncated" in e.value.message


# ----------------------------------------------------------------------------
# Output memory: a large output's whole 2 MiB pages are advised as transparent
# huge pages (cc/tf/batch.cc); TFNPY_HUGE_PAGES=0 turns that off.


def _thp_mode():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            m = re.search(r"\[(\w+)\]", f.read())
    except OSError:
        return None
    return m.group(1) if m else None


class _DLPackView:
    """The tensor's own buffer as numpy sees it (Tensor.numpy() may copy)."""

    def __init__(self, t):
        self.capsule = tf.experimental.dlpack.to_dlpack(t)

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU


def _thp_eligible(t):
    """THPeligible of the mapping that holds the middle of tensor t's buffer:
    inside the advised range for any output of at least 6 MiB."""
    a = np.from_dlpack(_DLPackView(t))
    address = a.ctypes.data + a.nbytes // 2
    inside = False
    with open("/proc/self/smaps") as f:
        for line in f:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
            if m:
                inside = int(m.group(1), 16) <= address < int(m.group(2), 16)
            elif inside and line.startswith("THPeligible:"):
                return int(line.split()[1])
    raise AssertionError("no THPeligible line for the tensor's mapping")


def _big_batch(tmp_path):
    """8 float32 arrays of 1 MiB as .npy files and as .npz archives."""
    npy, npz = [], []
    for i in range(8):
        a = sample_array("float32", (512, 512), seed=i)
        npy.append(str(tmp_path / f"a{i}.npy"))
        npz.append(str(tmp_path / f"a{i}.npz"))
        np.save(npy[-1], a)
        np.savez(npz[-1], x=a)
    return npy, npz


# Run in a fresh process each: numpy advises its own large arrays (over
# 4 MiB) the same way, and memory it frees may come back as a tensor's.
BIG_READS_SCRIPT = """
import sys, tensorflow as tf, tfnpy
sys.path.insert(0, sys.argv[1])
import test_read_npy as t
npy, npz = sys.argv[2:10], sys.argv[10:18]
outs = {"read_npy": tfnpy.read_npy(npy, tf.float32),
        "decode_npy": tfnpy.decode_npy([tf.io.read_file(p) for p in npy], tf.float32),
        "read_npz": tfnpy.read_npz(npz, "x", tf.float32)}
for how, out in outs.items():
    print(how, t._thp_eligible(out))
# Only then numpy's arrays (see above): the advised outputs hold np.load's values.
import numpy as np
want = np.stack([np.load(p) for p in npy])
for how, out in outs.items():
    print(how + "_equal", int(out.numpy().tobytes() == want.tobytes()))  # bit for bit (NaNs too)
"""


def _eligibility(tmp_path, huge_pages):
    """{entry point: THPeligible of its 8 MiB output} in a fresh process, after
    checking that each output equals np.load's arrays."""
    npy, npz = _big_batch(tmp_path)
    env = dict(os.environ, TFNPY_HUGE_PAGES=huge_pages)
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run([sys.executable, "-c", BIG_READS_SCRIPT, here] + npy + npz, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    got = dict((how, int(v)) for how, v in (line.split() for line in p.stdout.splitlines()))
    assert {k: v for k, v in got.items() if k.endswith("_equal")} == {
        "read_npy_equal": 1, "decode_npy_equal": 1, "read_npz_equal": 1}
    return {k: v for k, v in got.items() if not k.endswith("_equal")}


@pytest.mark.skipif(_thp_mode() not in ("madvise", "always"),
                    reason="needs Linux transparent huge pages (madvise or always)")
def test_large_output_is_advised_as_huge_pages(tmp_path):
    assert _eligibility(tmp_path, "1") == {"read_npy": 1, "decode_npy": 1, "read_npz": 1}


@pytest.mark.skipif(_thp_mode() != "madvise",
                    reason="needs transparent huge pages in madvise mode (always makes every mapping eligible)")
def test_huge_pages_off_by_environment(tmp_path):
    assert _eligibility(tmp_path, "0") == {"read_npy": 0, "decode_npy": 0, "read_npz": 0}
