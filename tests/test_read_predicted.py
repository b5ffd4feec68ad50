"""read_npy's one-read path against its general path.

With a dtype and a whole shape, and no region, read_npy knows the array before it
opens a file: a file np.save wrote for it is read with one scatter read, header and
data straight into the output (cc/npy/predicted.h), and every other file goes through
the general reader. Each file here is read both ways, with the same attrs: as is (the
one-read path where it applies) and with a region that selects the whole array (the
general path only); alone, in a batch, and with ``on_error="report"``. The values must
be ``np.load``'s and the errors the same, word for word.
"""

import io
import os
import re
import sys

import numpy as np
import pytest
import tensorflow as tf

import tfnpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_testutil import (SUPPORTED_DTYPES, VOID_STORED_DTYPES, assert_same_array,  # noqa: E402
                          make_npy, np_load, numpy_npy, proc_io, sample_array)

ARR = sample_array("float64", (4, 3), seed=3)
# A region over every row: the same array, through the general path.
GENERAL = dict(start=0, stop=2**63 - 1)


def saved(arr):
    """np.save's bytes."""
    f = io.BytesIO()
    np.save(f, arr)
    return f.getvalue()


GOOD = saved(ARR)

# name -> the file's bytes; all read as float64 (4, 3).
FILES = {
    "np.save": GOOD,
    "trailing bytes": GOOD + b"trailing",
    "numpy < 1.14 padding (16 bytes)": make_npy(ARR, align=16),
    "version 2.0": numpy_npy(ARR, (2, 0)),
    "version 3.0": numpy_npy(ARR, (3, 0)),
    "keys in another order": make_npy(ARR, order=("shape", "fortran_order", "descr")),
    "big-endian": saved(ARR.astype(">f8")),
    "Fortran order": saved(np.asfortranarray(ARR)),
    "data cut short": GOOD[:-1],
    "header only": GOOD[:128],
    "header cut short": GOOD[:60],
    "float32 data": saved(np.arange(12, dtype=np.float32).reshape(4, 3)),
    "another shape": saved(ARR.reshape(3, 4)),
    "empty": b"",
    "not .npy": b"x" * 200,
}


def op_message(err):
    """The kernel's message, without eager's prefix and suffix."""
    msg = err.message
    i = msg.find("ReadNpy:")
    return re.sub(r" \[Op:[^\]]*\]( name: \S*)?$", "", msg[i:].rstrip("\n"))


def outcome(path, dtype, shape, **kw):
    """('ok', array) or (error type, message) of one read_npy call."""
    try:
        return "ok", tfnpy.read_npy(path, dtype, shape=shape, **kw).numpy()
    except tf.errors.OpError as e:
        return type(e).__name__, op_message(e)


def assert_same_outcome(a, b):
    assert a[0] == b[0], (a, b)
    if a[0] == "ok":
        assert_same_array(a[1], b[1])
    else:
        assert a[1] == b[1]


@pytest.mark.parametrize("name", list(FILES))
def test_one_read_path_equals_general_path(files, name):
    path = files(FILES[name])
    good = files(GOOD)
    shape = [4, 3]
    one = outcome(path, tf.float64, shape)
    assert_same_outcome(one, outcome(path, tf.float64, shape, **GENERAL))
    if one[0] == "ok":
        assert_same_array(one[1], np_load(FILES[name]))
    # In a batch, after a good file.
    batch = outcome([good, path], tf.float64, shape)
    assert_same_outcome(batch, outcome([good, path], tf.float64, shape, **GENERAL))
    # Reported per file: the same codes, messages and rows (a failed row is zeros).
    (rows, errors) = tfnpy.read_npy([path, good], tf.float64, shape=shape, on_error="report")
    (ref_rows, ref_errors) = tfnpy.read_npy([path, good], tf.float64, shape=shape, on_error="report", **GENERAL)
    assert_same_array(rows.numpy(), ref_rows.numpy())
    assert errors.code.numpy().tolist() == ref_errors.code.numpy().tolist()
    assert errors.message.numpy().tolist() == ref_errors.message.numpy().tolist()
    assert_same_array(rows.numpy()[1], ARR)
    assert (errors.code.numpy()[0] == 0) == (one[0] == "ok")


def test_missing_files_and_folders(files, tmp_path):
    good = files(GOOD)
    for bad in (str(tmp_path / "missing.npy"), str(tmp_path)):
        a = outcome([good, bad], tf.float64, [4, 3])
        assert a[0] != "ok"
        assert_same_outcome(a, outcome([good, bad], tf.float64, [4, 3], **GENERAL))


# The float8 types are left out: read_npy's wrapper cannot build their fill_value
# (tf.constant(0) does not cast to them); the core's tests cover their prediction.
@pytest.mark.parametrize("dt", SUPPORTED_DTYPES + tuple(t for t in VOID_STORED_DTYPES if "float8" not in t))
def test_every_dtype_np_save_writes(files, dt):
    if dt in VOID_STORED_DTYPES:
        ml_dtypes = pytest.importorskip("ml_dtypes")
        arr = sample_array(f"u{VOID_STORED_DTYPES[dt]}", (3, 5), seed=1).view(getattr(ml_dtypes, dt))
    else:
        arr = sample_array(dt, (3, 5), seed=1)  # bools hold bytes 2 and 255: read as True
    b = saved(arr)
    path = files(b)
    one = outcome([path, path], tf.as_dtype(arr.dtype), [3, 5])
    # The general path: a dim left unknown (a region's fill_value cannot be a float8).
    assert_same_outcome(one, outcome([path, path], tf.as_dtype(arr.dtype), [3, None]))
    ref = np_load(b)
    if dt in VOID_STORED_DTYPES:
        ref = ref.view(arr.dtype)  # np.load gives raw V<n>
    assert_same_array(one[1][1], ref)


def test_np_save_files_take_the_one_read_path(files):
    # 100x100 float64 (80 KB, past the general path's 16 KiB first read): the
    # one-read path reads the header with the data that fills 16 KiB, then the
    # rest (2 reads); the general path reads 16 KiB, the last byte, the rest (3).
    arr = sample_array("float64", (100, 100), seed=4)
    paths = [files(saved(arr)) for _ in range(20)]
    counts = {}
    for path_taken, kw in (("one-read", {}), ("general", GENERAL), ("unknown dims", dict(shape=[None, 100]))):
        kw = dict(dict(shape=[100, 100]), **kw)
        tfnpy.read_npy(paths[:2], tf.float64, **kw)  # warm up
        before = proc_io("syscr")
        got = tfnpy.read_npy(paths, tf.float64, **kw).numpy()
        counts[path_taken] = proc_io("syscr") - before - 1  # less the read of /proc/self/io
        for row in got:
            assert_same_array(row, arr)
    assert counts["one-read"] <= 2 * len(paths) + 4, counts
    assert counts["general"] >= 3 * len(paths), counts
    assert counts["unknown dims"] >= 3 * len(paths), counts
