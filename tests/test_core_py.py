"""tfnpy.inspect and tfnpy.loads: the C++ core from Python, without TF ops.

inspect is checked against numpy's own header reader (read_magic,
read_array_header_*, and f.tell() for the data offset) from every kind of
source; loads against np.load; errors against decode_npy's messages.
"""

import io
import os
import pathlib
import re
import sys
import threading
import uuid
import warnings
import zlib

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tfnpy

# pytest runs with --import-mode=importlib, which does not put tests/ on
# sys.path; the shared helpers live next to this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_testutil import (MAGIC, SUPPORTED_DTYPES, assert_same_array,  # noqa: E402
                          build_npy, dict_text, make_npy, np_load, numpy_npy,
                          preamble, raw_data, sample_array)
from npy_testutil import needs_numpy_for, rchar  # noqa: E402

VERSIONS = {"v1": (1, 0), "v2": (2, 0), "v3": (3, 0)}

SHAPES = {
    "scalar": (),
    "0": (0,),
    "7": (7,),
    "3x0x2": (3, 0, 2),
    "2x3": (2, 3),
    "3x1x4": (3, 1, 4),
    "64d": (2,) + (1,) * 62 + (3,),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("core_py")
    counter = iter(range(10**9))

    def write(b):
        path = root / f"f{next(counter)}.npy"
        path.write_bytes(b)
        return path

    return write


def numpy_header(b):
    """(version, dtype, shape, fortran_order, data_offset) as numpy reads
    them from the start of `b`."""
    f = io.BytesIO(b)
    version = np.lib.format.read_magic(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:  # numpy has no public reader of 3.0 (UTF-8) headers.
            shape, fortran, dtype = _read_header_3_0(f)
    return version, dtype, shape, fortran, f.tell()


def _read_header_3_0(f):
    try:
        from numpy.lib._format_impl import _read_array_header
    except ImportError:  # numpy < 2
        from numpy.lib.format import _read_array_header
    return _read_array_header(f, (3, 0))


def assert_info(info, b):
    version, dtype, shape, fortran, offset = numpy_header(b)
    assert isinstance(info, tfnpy.NpyInfo)
    assert info.version == version
    assert isinstance(info.dtype, np.dtype)
    assert info.dtype == dtype and info.dtype.str == dtype.str, \
        (info.dtype.str, dtype.str)
    assert info.shape == shape and all(type(d) is int for d in info.shape)
    assert info.fortran_order is fortran
    assert info.data_offset == offset
    assert info.nbytes == int(np.prod(shape, dtype=np.int64)) * dtype.itemsize


def ram_path(b):
    path = f"ram://tfnpy-core-{uuid.uuid4().hex}/a.npy"
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(b)
    return path


def decode_message(b, dtype=tf.float64):
    """decode_npy's InvalidArgumentError text after 'DecodeNpy: '."""
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tfnpy.decode_npy(tf.constant(b), dtype).numpy()
    msg = e.value.message
    i = msg.find("DecodeNpy: ")
    assert i >= 0, msg
    msg = msg[i + len("DecodeNpy: "):].rstrip("\n")
    return re.sub(r" \[Op:[^\]]*\]( name: \S*)?$", "", msg)


# ----------------------------------------------------------------------------
# The matrix: dtype x byte order x C/F x shape x version.


def _matrix_params():
    for dt in SUPPORTED_DTYPES:
        orders = ["|"] if np.dtype(dt).itemsize == 1 else ["<", ">"]
        for bo in orders:
            for layout in ("C", "F"):
                for sid, shape in SHAPES.items():
                    for vid, version in VERSIONS.items():
                        name = {"<": "le", ">": "be", "|": "na"}[bo]
                        yield pytest.param(
                            dt, bo, layout, shape, version, marks=needs_numpy_for(shape),
                            id=f"{dt}-{name}-{layout}-{sid}-{vid}")


def _matrix_file(dt, bo, layout, shape, version):
    arr = sample_array(dt, shape, seed=zlib.crc32(repr((dt, shape)).encode()))
    if layout == "F":
        return arr, make_npy(arr, byteorder=bo, fortran=True, version=version)
    src = arr
    if arr.dtype.itemsize > 1 and bo == ">":
        src = arr.byteswap().view(arr.dtype.newbyteorder(">"))
    return arr, numpy_npy(src, version)


@pytest.mark.parametrize("dt,bo,layout,shape,version", list(_matrix_params()))
def test_matrix(files, dt, bo, layout, shape, version):
    arr, b = _matrix_file(dt, bo, layout, shape, version)
    info = tfnpy.inspect(b)
    assert_info(info, b)
    assert info.fortran_order is (layout == "F")
    assert info.dtype.str == np.dtype(dt).newbyteorder(bo).str
    path = files(b)
    assert tfnpy.inspect(str(path)) == info
    ref = np_load(b)
    got = tfnpy.loads(b)
    assert_same_array(got, ref)
    assert got.flags.c_contiguous and got.flags.owndata and got.flags.writeable
    assert got.dtype.isnative


SOURCES = ["bytes", "bytearray", "memoryview", "str", "pathlib", "ram"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("case", [
    ("float64", "<", "C", (2, 3), (1, 0)),
    ("int32", ">", "F", (3, 1, 4), (2, 0)),
    ("complex128", ">", "C", (), (3, 0)),
    ("bool", "|", "F", (5, 2), (1, 0)),
    ("uint16", "<", "C", (0, 4), (3, 0)),
], ids=["f8-C", "be-i4-F-v2", "be-c16-scalar-v3", "b1-F", "u2-empty-v3"])
def test_inspect_sources(files, source, case):
    _, b = _matrix_file(*case)
    src = {
        "bytes": lambda: b,
        "bytearray": lambda: bytearray(b),
        "memoryview": lambda: memoryview(b),
        "str": lambda: str(files(b)),
        "pathlib": lambda: pathlib.Path(str(files(b))),
        "ram": lambda: ram_path(b),
    }[source]()
    assert_info(tfnpy.inspect(src), b)
    if source in ("bytes", "bytearray", "memoryview"):
        assert_same_array(tfnpy.loads(src), np_load(b))


def test_inspect_header_only_input():
    # inspect needs the header, not the data.
    _, b = _matrix_file("float32", "<", "C", (100, 100), (1, 0))
    head = b[:tfnpy.inspect(b).data_offset]
    assert_info(tfnpy.inspect(head), b)
    with pytest.raises(ValueError, match="data truncated"):
        tfnpy.loads(head)


@pytest.mark.parametrize("bo", ["=", "|", ""], ids=["eq", "bar", "none"])
@pytest.mark.parametrize("dt", ["float64", "int16", "bool", "complex64"])
def test_byte_order_spellings(dt, bo):
    arr = sample_array(dt, (4, 3), seed=5)
    b = make_npy(arr, byteorder=bo)
    assert_info(tfnpy.inspect(b), b)
    assert_same_array(tfnpy.loads(b), np_load(b))


def test_long_header(files):
    arr = sample_array("float32", (6, 5), seed=2)
    b = build_npy(dict_text("<f4", False, arr.shape), raw_data(arr),
                  version=(2, 0), align=32768)
    info = tfnpy.inspect(b, max_header_size=40000)
    assert info.data_offset == 32768
    assert tfnpy.inspect(str(files(b)), max_header_size=40000) == info
    assert_same_array(tfnpy.loads(b, max_header_size=40000),
                      np_load(b, max_header_size=40000))
    for fn in (tfnpy.inspect, tfnpy.loads):
        with pytest.raises(ValueError, match="exceeds max_header_size"):
            fn(b)


def test_inspect_reads_only_the_header(tmp_path):
    path = tmp_path / "big.npy"
    head = build_npy(dict_text("<f8", False, (10_000, 1000)))
    with open(path, "wb") as f:  # 80 MB, sparse.
        f.write(head)
        f.truncate(len(head) + 80_000_000)
    before = rchar()
    info = tfnpy.inspect(path)
    assert rchar() - before < 64 * 1024
    assert info.shape == (10_000, 1000) and info.data_offset == len(head)


def test_inspect_missing_file(tmp_path):
    with pytest.raises(OSError):
        tfnpy.inspect(tmp_path / "missing.npy")


def test_inspect_missing_ram_file():
    # Docstring: "OSError: the file cannot be read."
    path = f"ram://tfnpy-core-{uuid.uuid4().hex}/missing.npy"
    with pytest.raises(OSError):
        tfnpy.inspect(path)


# ----------------------------------------------------------------------------
# loads on random arrays.

_hyp_dtypes = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(endianness="?"),
    hnp.unsigned_integer_dtypes(endianness="?"),
    hnp.floating_dtypes(endianness="?", sizes=(16, 32, 64)),
    hnp.complex_number_dtypes(endianness="?", sizes=(64, 128)),
)


@st.composite
def _npy_cases(draw):
    dt = draw(_hyp_dtypes)
    arr = draw(hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=5,
                                               min_side=0, max_side=6)))
    if draw(st.booleans()):
        arr = np.asfortranarray(arr)
    version = draw(st.sampled_from(list(VERSIONS.values())))
    trailing = draw(st.binary(max_size=8))
    return arr, version, trailing


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(_npy_cases())
def test_hypothesis_loads(case):
    arr, version, trailing = case
    b = numpy_npy(arr, version) + trailing
    ref = np_load(b)
    got = tfnpy.loads(b)
    assert_same_array(got, ref, f"{arr.dtype.str} {arr.shape} {version}")
    # Equal values, as np.array_equal sees them (NaNs compare equal).
    assert np.array_equal(got, ref, equal_nan=ref.dtype.kind in "fc")
    assert got.flags.c_contiguous and got.dtype.isnative
    assert_info(tfnpy.inspect(b), b)


def test_loads_result_independent_of_input():
    arr = np.arange(6, dtype=np.int32).reshape(2, 3)
    buf = bytearray(numpy_npy(arr))
    got = tfnpy.loads(buf)
    buf[-4:] = b"\xff\xff\xff\xff"
    assert got[1, 2] == 5
    got[0, 0] = 99  # writeable, and owns its data
    assert tfnpy.loads(bytes(buf))[0, 0] == 0


# ----------------------------------------------------------------------------
# Errors: ValueError with decode_npy's message.


def _valid(version=(1, 0)):
    return numpy_npy(np.arange(12, dtype="<f8").reshape(4, 3), version)


MALFORMED = {
    "empty": (b"", "too short for the .npy preamble"),
    "short": (MAGIC + b"\x01\x00\x10", "too short for the .npy preamble"),
    "bad-magic": (b"\x93NUMPX" + _valid()[6:], "bad magic"),
    "version-4": (_valid()[:6] + b"\x04\x00" + _valid()[8:],
                  "unsupported format version"),
    "version-1.1": (_valid()[:6] + b"\x01\x01" + _valid()[8:],
                    "unsupported format version"),
    "header-too-long": (build_npy(dict_text("<f8", False, (4, 3)),
                                  raw_data(np.zeros((4, 3))), version=(2, 0),
                                  align=16384), "exceeds max_header_size"),
    "header-past-end": (preamble((1, 0), 5000) + b"{'descr': '<f8', ",
                        "runs past the end of the input"),
    "header-past-end-v2": (preamble((2, 0), 9000) + b"{'descr'",
                           "runs past the end of the input"),
    "not-a-dict": (build_npy("[1, 2, 3]"), "header is not a dict literal"),
    "missing-key": (build_npy("{'descr': '<f8', 'fortran_order': False}"),
                    "missing key"),
    "unexpected-key": (build_npy("{'descr': '<f8', 'fortran_order': False, "
                                 "'shape': (4, 3), 'x': 1}"),
                       "unexpected key"),
    "duplicate-key": (build_npy("{'descr': '<f8', 'fortran_order': False, "
                                "'shape': (4, 3), 'shape': (4, 3)}"),
                      "duplicate key"),
    "bad-descr": (build_npy(dict_text("<q9", False, (4, 3))),
                  "is not a valid dtype"),
    "unsupported-descr": (build_npy(dict_text("<f16", False, (4, 3))),
                          "unsupported descr"),
    "object-descr": (build_npy(dict_text("|O", False, (4, 3))),
                     "unsupported descr"),
    "bad-fortran": (build_npy(dict_text("<f8", False, (4, 3),
                                        fortran_text="1")),
                    "fortran_order is not a bool"),
    "bad-shape": (build_npy(dict_text("<f8", False, (4, 3),
                                      shape_text="[4, 3]")),
                  "shape is not a tuple of ints"),
    "float-dim": (build_npy(dict_text("<f8", False, (4, 3),
                                      shape_text="(4.0, 3)")),
                  "shape is not a tuple of ints"),
    "negative-dim": (build_npy(dict_text("<f8", False, (4, 3),
                                         shape_text="(4, -3)")),
                     "negative dimension"),
    "65-dims": (build_npy(dict_text("<f8", False, (1,) * 65), b"\0" * 8),
                "at most 64"),
    "overflow": (build_npy(dict_text("<f8", False, (2**40, 2**40))),
                 "overflows"),
    "data-truncated": (_valid()[:-1], "data truncated"),
    "data-missing": (build_npy(dict_text("<f8", False, (4, 3))),
                     "data truncated"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_errors_match_decode_npy(case):
    b, text = MALFORMED[case]
    expected = decode_message(b)
    assert text in expected, expected
    with pytest.raises(ValueError) as e:
        tfnpy.loads(b)
    assert str(e.value) == expected
    for source in (b, bytearray(b), memoryview(b)):
        with pytest.raises(ValueError) as e:
            tfnpy.loads(source)
        assert str(e.value) == expected


@pytest.mark.parametrize("case", [c for c in MALFORMED if "data-" not in c])
def test_inspect_errors_match_decode_npy(files, case):
    b, _ = MALFORMED[case]
    expected = decode_message(b)
    for source in (b, str(files(b)), ram_path(b)):
        with pytest.raises(ValueError) as e:
            tfnpy.inspect(source)
        assert str(e.value) == expected, source if isinstance(source, str) else ""


def test_inspect_accepts_missing_data():
    # Data errors are not inspect's business: it reads the header only.
    for case in ("data-truncated", "data-missing"):
        b, _ = MALFORMED[case]
        assert tfnpy.inspect(b).shape == (4, 3)


# ----------------------------------------------------------------------------
# loads releases the GIL while it copies.
#
# No timing: with a 30 s switch interval a thread never has the GIL taken
# from it, so another thread runs Python code only when the GIL is released
# voluntarily. A worker calls loads(data, max_header_size=<signal>); the
# signal's __index__ runs inside the call, before the data is decoded. The
# main thread waits for that signal: if it runs again while the worker is
# still inside the call, loads released the GIL. If loads held the GIL, the
# main thread could run only once the worker thread had finished.


class _Signal:
    def __init__(self):
        self.entered = threading.Event()

    def __index__(self):
        self.entered.set()
        return 10000


def _main_runs_during(fn, data, main_work=None):
    """Whether the main thread ran while the worker was inside fn(data, ...),
    and what main_work() returned then."""
    sig = _Signal()
    state = {"done": False}

    def worker():
        state["out"] = fn(data, max_header_size=sig)
        state["done"] = True

    old = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    try:
        t = threading.Thread(target=worker)
        t.start()
        assert sig.entered.wait(60), "max_header_size.__index__ was not called"
        overlapped = not state["done"]
        mine = main_work() if (overlapped and main_work) else None
        t.join(60)
    finally:
        sys.setswitchinterval(old)
    return overlapped, state.get("out"), mine


def _holds_gil(data, max_header_size):
    """A stand-in that works with the GIL held throughout."""
    max_header_size.__index__()
    return data.translate(bytes(range(256))[::-1])


def test_loads_releases_the_gil():
    n = 16 * 2**20  # 64 MB of big-endian float32: a byte-swapping copy
    a = np.arange(n, dtype=">f4")
    b = np.arange(n, dtype=">i4")[::-1].copy()
    da, db = numpy_npy(a), numpy_npy(b)

    # The harness tells a GIL-holding call apart.
    overlapped, _, _ = _main_runs_during(_holds_gil, da)
    assert not overlapped

    # loads: the main thread runs, and decodes its own array, while the
    # worker is inside loads. A rare scheduling order could let the worker
    # take the GIL back first, so three tries.
    for _ in range(3):
        overlapped, out, mine = _main_runs_during(
            tfnpy.loads, da, main_work=lambda: tfnpy.loads(db))
        assert np.array_equal(out, a)
        if overlapped:
            break
    assert overlapped, "the main thread never ran while loads was decoding"
    assert np.array_equal(mine, b)
