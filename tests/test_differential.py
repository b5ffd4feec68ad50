"""Differential fuzzing against np.load through every Python entry point.

On any input, decode_npy, read_npy and loads either return what np.load
returns (values, logical shape, dtype up to byte order) or refuse with
InvalidArgumentError / ValueError; never another exception, never a crash.
The inputs are valid files written in many header styles, then mutated.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tfnpy

SUPPORTED_KINDS = set("biufc")
# More examples for a long local run: TFNPY_FUZZ_SCALE=100 bash .ci/test -k differential
SCALE = int(os.environ.get("TFNPY_FUZZ_SCALE", "1"))

DESCRS = {
    "bool": ["|b1", "?", "<?", "b1", "bool"],
    "int8": ["|i1", "<i1", "b", "int8", "i1"],
    "uint16": ["<u2", ">u2", "=u2", "H", "uint16"],
    "int32": ["<i4", ">i4", "<i", "i4", "int32", "intc"],
    "int64": ["<i8", ">i8", "q", "l", "int64", "int"],
    "float16": ["<f2", ">f2", "e", "half", "float16"],
    "float32": ["<f4", ">f4", "|f4", "f", "single", "float32"],
    "float64": ["<f8", ">f8", "d", "=f8", "float64", "double", "float"],
    "complex64": ["<c8", ">c8", "F", "complex64"],
    "complex128": ["<c16", ">c16", "D", "complex128", "complex"],
}


@st.composite
def npy_files(draw):
    """A valid .npy file in a randomly chosen header style, and its array."""
    name = draw(st.sampled_from(sorted(DESCRS)))
    descr = draw(st.sampled_from(DESCRS[name]))
    dtype = np.dtype(descr)
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    fortran = draw(st.booleans())
    count = int(np.prod(shape, dtype=np.int64))
    raw = draw(st.binary(min_size=count * dtype.itemsize, max_size=count * dtype.itemsize))
    quote = draw(st.sampled_from(["'", '"']))
    space = draw(st.sampled_from(["", " ", "  "]))
    dims = [str(d) + draw(st.sampled_from(["", "", "L"])) for d in shape]
    shape_text = "(" + ("," + space).join(dims) + ("," if len(dims) == 1 else draw(st.sampled_from(["", ","]))) + ")"
    items = [
        f"{quote}descr{quote}:{space}{quote}{descr}{quote}",
        f"{quote}fortran_order{quote}:{space}{fortran}",
        f"{quote}shape{quote}:{space}{shape_text}",
    ]
    items = draw(st.permutations(items))
    text = "{" + ("," + space).join(items) + draw(st.sampled_from(["", ",", ", "])) + "}"
    version = draw(st.sampled_from([1, 2, 3]))
    align = draw(st.sampled_from([16, 64]))
    prefix = 10 if version == 1 else 12
    pad = (-(prefix + len(text) + 1)) % align
    header = (text + " " * pad + "\n").encode("latin1" if version < 3 else "utf8")
    size = len(header).to_bytes(2 if version == 1 else 4, "little")
    data = b"\x93NUMPY" + bytes([version, 0]) + size + header + raw
    return data


@st.composite
def mutated_files(draw):
    data = bytearray(draw(npy_files()))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "append"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 4))]
        elif op == "truncate":
            del data[pos:]
        else:
            data += draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


def reference(data: bytes):
    """np.load's answer: ("ok", array) or ("error", message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - np.load raises many types; any refusal counts.
        return "error", f"{type(e).__name__}: {e}"


def same(ours: np.ndarray, theirs: np.ndarray) -> bool:
    theirs = np.array(theirs, dtype=theirs.dtype.newbyteorder("="), order="C")
    if ours.shape != theirs.shape or ours.dtype != theirs.dtype:
        return False
    if ours.dtype == np.bool_:
        return np.array_equal(ours, theirs)
    return ours.tobytes() == theirs.tobytes()


def check(data: bytes, path: str) -> None:
    status, expected = reference(data)
    supported = status == "ok" and expected.dtype.kind in SUPPORTED_KINDS and expected.dtype.names is None
    results = {}
    try:
        results["loads"] = tfnpy.loads(data)
    except ValueError as e:
        results["loads"] = e
    if status == "ok" and supported:
        dtype = expected.dtype.newbyteorder("=")
    else:
        dtype = np.float32
    for name, fn in [
        ("decode_npy", lambda: tfnpy.decode_npy(data, dtype).numpy()),
        ("read_npy", lambda: tfnpy.read_npy(path, dtype).numpy()),
    ]:
        try:
            results[name] = fn()
        except tf.errors.InvalidArgumentError as e:
            results[name] = e
    if status == "ok" and expected.dtype.kind in "SUV" and expected.dtype.names is None and expected.dtype.subdtype is None:
        check_flexible(data, path, expected, results["loads"])
        return
    for name, got in results.items():
        if supported:
            if isinstance(got, Exception):
                # The only file np.load reads that we refuse on purpose: an
                # ambiguous header with a duplicate key.
                assert "duplicate key" in str(got), (name, data, got)
            else:
                assert same(got, expected), (name, data, got, expected)
        else:
            assert isinstance(got, Exception), (name, data, status, expected, got)


def check_flexible(data: bytes, path: str, expected: np.ndarray, loaded) -> None:
    """S, U and V files: loads gives np.load's array; the ops give np.load's
    elements as strings (UTF-8) or a V2 array's bits as bfloat16, or refuse:
    items of 0 bytes, and U values that are no code points."""
    kind, itemsize = expected.dtype.kind, expected.dtype.itemsize
    refusals = ("items of 0 bytes", "not a Unicode code point", "expected bfloat16")
    if itemsize == 0 and expected.size:
        assert isinstance(loaded, ValueError) and "items of 0 bytes" in str(loaded), (data, loaded)
    else:
        assert same(loaded, expected), (data, loaded, expected)
    dtype = tf.bfloat16 if kind == "V" else tf.string
    for name, fn in [
        ("decode_npy", lambda: tfnpy.decode_npy(data, dtype).numpy()),
        ("read_npy", lambda: tfnpy.read_npy(path, dtype).numpy()),
    ]:
        try:
            got = fn()
        except tf.errors.InvalidArgumentError as e:
            assert any(r in e.message for r in refusals), (name, data, e.message)
            continue
        if kind == "V":
            raw = np.ascontiguousarray(expected).view(np.uint16)
            bits = got.view(np.uint16)
            # '>V2' is big-endian bfloat16; np.load keeps V's bytes as stored.
            assert bits.tobytes() in (raw.tobytes(), raw.byteswap().tobytes()), (name, data)
        else:
            want = [x if kind == "S" else x.encode("utf-8") for x in expected.reshape(-1).tolist()]
            assert got.reshape(-1).tolist() == want and got.shape == expected.shape, (name, data, got, expected)


@settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=npy_files())
def test_valid_header_styles_match_np_load(data):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.npy")
        with open(path, "wb") as f:
            f.write(data)
        check(data, path)


@settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_files())
def test_mutated_files_match_np_load_or_are_refused(data):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.npy")
        with open(path, "wb") as f:
            f.write(data)
        check(data, path)


@pytest.mark.parametrize(
    "descr", ["|O", "|S0", "<U0", "<M8[ns]", "<m8", "<f16", "<c32", "[('a', '<i4')]"]
)
def test_dtypes_np_load_reads_but_tensors_cannot_hold_are_refused(descr):
    text = "{'descr': %s, 'fortran_order': False, 'shape': (2,), }" % (
        descr if descr.startswith("[") else repr(descr)
    )
    header = text.encode() + b" " * ((-(10 + len(text) + 1)) % 64) + b"\n"
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 64
    with pytest.raises(ValueError, match="unsupported descr"):
        tfnpy.loads(data)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unsupported descr"):
        tfnpy.decode_npy(data, tf.float32)


CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cc", "fuzz", "corpus")


@pytest.mark.parametrize("name", sorted(os.listdir(CORPUS)) if os.path.isdir(CORPUS) else [])
def test_fuzz_seed_corpus_matches_np_load(name):
    path = os.path.join(CORPUS, name)
    with open(path, "rb") as f:
        check(f.read(), path)
