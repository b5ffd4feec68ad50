"""Helpers for building .npy bytes in tests, and for comparing results.

Nothing here imports TensorFlow or tfnpy: the helpers are plain numpy so they
can be checked on their own.

Two ways to build a file:

* ``numpy_npy(arr, version)`` -- numpy's own writer (np.lib.format.write_array).
* ``build_npy(header_text, data, version=..., align=...)`` -- a header written
  by hand: any text, any version, any padding, any declared length. Together
  with ``dict_text`` (numpy-style dict literal) and ``raw_data`` (array bytes
  in a chosen byte order and memory order) this makes every variant a test
  needs, valid or not.
"""

import functools
import io
import struct
import warnings
import zipfile

import numpy as np
import pytest

MAGIC = b"\x93NUMPY"

# The 14 element types the op supports, as numpy names.
SUPPORTED_DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)

# ml_dtypes' types the ops read from the V<n> arrays np.save writes for them
# (n: the item size), as ml_dtypes and tf.as_dtype name them. float8_e5m2 is
# not one: ml_dtypes saves it as '<f1', which np.load refuses.
VOID_STORED_DTYPES = {
    "bfloat16": 2,
    "float8_e4m3fn": 1,
    "float8_e4m3fnuz": 1,
    "float8_e4m3b11fnuz": 1,
    "float8_e5m2fnuz": 1,
    "int4": 1,
    "uint4": 1,
}

# The other tensor types the ops read: string (from S and U arrays) and
# ml_dtypes' types (from V<n> arrays), as tf.as_dtype names them.
OTHER_TENSOR_DTYPES = ("string",) + tuple(VOID_STORED_DTYPES)

_NATIVE = "<" if np.little_endian else ">"


# ----------------------------------------------------------------------------
# Building files.


def numpy_npy(arr, version=(1, 0)):
    """The bytes np.lib.format.write_array writes for `arr`."""
    f = io.BytesIO()
    with warnings.catch_warnings():
        # numpy warns when asked for version 2.0/3.0 of a small header.
        warnings.simplefilter("ignore")
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)
    return f.getvalue()


def dict_text(descr, fortran_order, shape, *, quote="'", sep=", ",
              colon=": ", trailing_comma=True, order=("descr", "fortran_order",
                                                      "shape"),
              shape_text=None, descr_text=None, fortran_text=None):
    """A header dict literal in numpy's style, with knobs for the variants.

    `descr_text`, `shape_text` and `fortran_text`, when given, are written
    verbatim instead of the repr of the corresponding value.
    """
    if descr_text is None:
        descr_text = f"{quote}{descr}{quote}"
    if fortran_text is None:
        fortran_text = repr(bool(fortran_order))
    if shape_text is None:
        shape_text = repr(tuple(int(d) for d in shape))
    values = {"descr": descr_text, "fortran_order": fortran_text,
              "shape": shape_text}
    items = [f"{quote}{k}{quote}{colon}{values[k]}" for k in order]
    body = sep.join(items) + (sep if trailing_comma else "")
    return "{" + body + "}"


def preamble(version, header_len, magic=MAGIC):
    """Magic, version bytes and the little-endian header length."""
    major, minor = version
    fmt = "<H" if major == 1 else "<I"
    return magic + bytes([major, minor]) + struct.pack(fmt, header_len)


def build_npy(header_text, data=b"", *, version=(1, 0), align=64,
              terminator="\n", header_len=None, magic=MAGIC, encoding=None):
    """Preamble + header + data.

    header_text: str (encoded as latin1 for versions 1/2, utf-8 for 3, unless
        `encoding` says otherwise) or bytes (used as is).
    align: pad the header with spaces so that the data starts at a multiple
        of `align` bytes (numpy uses 64, numpy < 1.14 used 16); 0 or None: no
        padding.
    terminator: appended after the padding (numpy writes "\\n").
    header_len: the length written in the preamble; default: the real one.
    """
    if encoding is None:
        encoding = "utf-8" if version[0] >= 3 else "latin1"
    text = header_text.encode(encoding) if isinstance(header_text, str) \
        else bytes(header_text)
    term = terminator.encode("ascii") if isinstance(terminator, str) \
        else bytes(terminator)
    pre_size = 10 if version[0] == 1 else 12
    if align:
        used = pre_size + len(text) + len(term)
        text += b" " * (-used % align)
    text += term
    n = len(text) if header_len is None else header_len
    if version[0] == 1 and n > 0xFFFF:
        raise ValueError("header too long for version 1.0")
    return preamble(version, n, magic=magic) + text + bytes(data)


def raw_data(arr, byteorder="<", fortran=False):
    """The data bytes of `arr` as a .npy file stores them.

    byteorder: '<' or '>' give that order; '=', '|' and '' give this machine's
    order (what those descr prefixes mean to numpy). Bits are preserved
    (NaN payloads, -0.0, bools that are neither 0 nor 1).
    """
    arr = np.asarray(arr)
    want = _NATIVE if byteorder in ("=", "|", "") else byteorder
    if arr.dtype.itemsize > 1 and arr.dtype.byteorder not in ("|",):
        have = _NATIVE if arr.dtype.byteorder in ("=",) else \
            arr.dtype.byteorder
        if have != want:
            arr = arr.byteswap().view(arr.dtype.newbyteorder())
    return arr.tobytes(order="F" if fortran else "C")


def descr_of(dtype, byteorder="<"):
    """'<f8', '>i4', '|u1', '=c16', 'f2' ... for a supported dtype.

    byteorder is one of '<', '>', '=', '|', '' and is written as given, even
    where numpy itself would write '|' (one-byte types).
    """
    dt = np.dtype(dtype)
    return f"{byteorder}{dt.kind}{dt.itemsize}"


def make_npy(arr, *, byteorder="<", fortran=False, version=(1, 0), align=64,
             descr=None, trailing=b"", **dict_kw):
    """A hand-built file holding `arr` (any order) with the given layout.

    The header says fortran_order=`fortran` whatever the shape (numpy's own
    writer says False for arrays that are both C and F contiguous).
    """
    arr = np.asarray(arr)
    if descr is None:
        descr = descr_of(arr.dtype, byteorder)
    text = dict_text(descr, fortran, arr.shape, **dict_kw)
    return build_npy(text, raw_data(arr, byteorder, fortran) + trailing,
                     version=version, align=align)


def header_bytes(b):
    """(data_offset, header_text_bytes) of a well-formed file `b`."""
    major = b[6]
    if major == 1:
        (n,) = struct.unpack("<H", b[8:10])
        return 10 + n, b[10:10 + n]
    (n,) = struct.unpack("<I", b[8:12])
    return 12 + n, b[12:12 + n]


# ----------------------------------------------------------------------------
# Test data.

# Bit patterns planted in float arrays: NaNs with payloads (quiet, signalling,
# negative), -0.0, +-inf, the smallest subnormal, the largest finite value.
_FLOAT_BITS = {
    2: [0x7E01, 0x7C01, 0xFE00, 0x8000, 0x7C00, 0xFC00, 0x0001, 0x7BFF],
    4: [0x7FC00123, 0x7F800001, 0xFFC00000, 0x80000000, 0x7F800000,
        0xFF800000, 0x00000001, 0x7F7FFFFF],
    8: [0x7FF8000000000123, 0x7FF0000000000001, 0xFFF8000000000000,
        0x8000000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
        0x0000000000000001, 0x7FEFFFFFFFFFFFFF],
}


def sample_array(dtype, shape, seed=0):
    """A native-order, C-order array of `dtype` and `shape` whose bytes are
    random, with special values planted at the start: float NaN payloads,
    -0.0, infinities, subnormals; integer extremes; bool bytes 0, 1, 2, 255.
    """
    dt = np.dtype(dtype).newbyteorder("=")
    shape = tuple(shape)
    n = int(np.prod(shape, dtype=np.int64))
    rng = np.random.default_rng(seed)
    if dt.kind == "b":
        raw = rng.choice(np.array([0, 1, 0, 1, 2, 255], np.uint8), size=n)
        k = min(4, n)
        raw[:k] = [0, 1, 2, 255][:k]
        return raw.view(np.bool_).reshape(shape)
    raw = rng.integers(0, 256, size=n * dt.itemsize, dtype=np.uint8)
    arr = raw.view(dt).reshape(shape).copy()
    flat = arr.reshape(-1)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        special = [info.min, info.max, 0, 1]
        if dt.kind == "i":
            special.append(-1)
        k = min(len(special), n)
        flat[:k] = np.array(special[:k], dt)
    elif dt.kind in "fc":
        part = dt.itemsize if dt.kind == "f" else dt.itemsize // 2
        ubits = flat.view(np.dtype(f"u{part}"))
        bits = _FLOAT_BITS[part]
        k = min(len(bits), ubits.size)
        ubits[:k] = np.array(bits[:k], dtype=ubits.dtype)
    return arr


# ----------------------------------------------------------------------------
# Reference and comparison.


def np_load(b, **kw):
    """np.load of bytes, pickles refused, Python-2 header warnings hidden."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return np.load(io.BytesIO(b), allow_pickle=False, **kw)


def native_c(arr):
    """A C-contiguous, native-byte-order copy of `arr` with the same bits."""
    arr = np.asarray(arr)
    if arr.dtype.itemsize > 1 and arr.dtype.byteorder not in ("=", "|") \
            and arr.dtype.byteorder != _NATIVE:
        arr = arr.byteswap().view(arr.dtype.newbyteorder())
    out = arr.copy(order="C")  # ascontiguousarray would make 0-d arrays 1-d
    return out.view(out.dtype.newbyteorder("="))


def shape_str(shape):
    """numpy's tuple string: '(3, 4)', '(3,)', '()', '(None, 5)'."""
    return str(tuple(None if d is None else int(d) for d in shape))


def array_mismatch(actual, expected, strict_bool=True):
    """None if `actual` equals `expected` bit for bit, else a description.

    Bools compare by value (any nonzero byte is True); with `strict_bool` the
    bytes of `actual` must moreover be exactly 0 or 1.
    """
    actual = np.asarray(actual)
    expected = native_c(expected)
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != {expected.shape}"
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype} != {expected.dtype}"
    a = actual.copy(order="C")
    if expected.dtype == np.bool_:
        want = (expected.view(np.uint8) != 0).astype(np.uint8)
        got = a.view(np.uint8)
        if not strict_bool:
            got = (got != 0).astype(np.uint8)
    else:
        want = expected.reshape(-1).view(np.uint8)
        got = a.reshape(-1).view(np.uint8)
    if not np.array_equal(got.reshape(-1), want.reshape(-1)):
        diff = np.flatnonzero(got.reshape(-1) != want.reshape(-1))
        return (f"bytes differ at byte offsets {diff[:8].tolist()} "
                f"(got {got.reshape(-1)[diff[:8]].tolist()}, "
                f"want {want.reshape(-1)[diff[:8]].tolist()})")
    return None


def assert_same_array(actual, expected, context="", strict_bool=True):
    msg = array_mismatch(actual, expected, strict_bool)
    assert msg is None, f"{context}: {msg}" if context else msg


# ----------------------------------------------------------------------------
# What this numpy can do.


@functools.lru_cache(maxsize=None)
def _numpy_builds(shape):
    try:
        arr = sample_array("float32", shape)
        np_load(numpy_npy(arr))
        np_load(make_npy(arr, fortran=True))
    except (ValueError, RuntimeError):
        return False
    return True


def needs_numpy_for(shape):
    """A mark that skips a case whose test files this numpy cannot build or load:
    numpy < 2.0 has at most 32 dimensions, and numpy < 2.2 stops at 32 in some
    calls (``tobytes(order="F")``), though tfnpy itself takes up to 64."""
    shape = tuple(shape)
    ok = len(shape) <= 32 or _numpy_builds(shape)
    return pytest.mark.skipif(
        not ok, reason=f"numpy {np.__version__} cannot build or load a {len(shape)}-dimensional "
                       "test file (numpy < 2.2 stops at 32 dimensions)")


def proc_io(field):
    """A counter of this process's /proc/self/io (Linux): "rchar" (bytes read
    through read()/pread() so far), "syscr" (read system calls so far)..."""
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/io")


def rchar():
    """Bytes this process has read through read()/pread() so far (Linux)."""
    return proc_io("rchar")


class _Stream(io.RawIOBase):
    """A non-seekable sink: zipfile then writes data descriptors."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


def zip_bytes(members, method=zipfile.ZIP_DEFLATED, *, stream=False, force_zip64=False, comment=b"",
              date=(2020, 1, 1, 0, 0, 0)):
    """The bytes zipfile writes for members [(name, bytes, or None for a directory)].

    stream: write to a non-seekable stream (data descriptors); force_zip64:
    zip64 records for every member; a fixed date makes the bytes repeatable.
    """
    sink = _Stream() if stream else io.BytesIO()
    with zipfile.ZipFile(sink, "w", method) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date)
            info.compress_type = method
            if data is None:
                info.external_attr = 0o40775 << 16
                zf.writestr(info, b"")
                continue
            with zf.open(info, "w", force_zip64=force_zip64) as f:
                f.write(data)
        zf.comment = comment
    return bytes(sink.data if stream else sink.getvalue())


# Shapes every decode and encode parity test runs through (the read tests, which
# write files, take a smaller set).
SHAPES = {
    "scalar": (),
    "0": (0,),
    "1": (1,),
    "7": (7,),
    "3x0x2": (3, 0, 2),
    "2x3": (2, 3),
    "17x33": (17, 33),  # partial 16x16 transpose tiles
    "5x17x19": (5, 17, 19),
    "3x1x4": (3, 1, 4),
    "2x3x4x5": (2, 3, 4, 5),
    "2x1x3x1x2": (2, 1, 3, 1, 2),
    "32d": (2,) + (1,) * 30 + (3,),
    "64d": (2,) + (1,) * 62 + (3,),
}


def tensorflow_has(name: str) -> bool:
    """Whether this TensorFlow has the dtype `name` (2.16 lacks the FNUZ float8
    types). Imports TensorFlow only when called."""
    import tensorflow as tf

    try:
        tf.as_dtype(name)
        return True
    except TypeError:
        return False
