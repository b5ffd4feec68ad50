"""tfnpy.decode_npy on malformed input: always InvalidArgumentError, never a
crash, with a message that says what is wrong.

Where numpy refuses the same bytes, the test checks that too, so each case is
known to be malformed and not merely unusual. Deliberate deviations from
np.load (duplicate keys, unsupported dtypes) are marked as such.
"""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

import tfnpy

# pytest runs with --import-mode=importlib, which does not put tests/ on
# sys.path; the shared helpers live next to this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_testutil import (MAGIC, assert_same_array, build_npy, dict_text,
                          header_bytes, make_npy, np_load, numpy_npy,
                          preamble, raw_data, sample_array)

F8_3 = np.array([1.5, -2.0, 3.25])
VALID = {v: make_npy(F8_3, version=v) for v in [(1, 0), (2, 0), (3, 0)]}


def decode(contents, dtype=tf.float64, **kw):
    return tfnpy.decode_npy(tf.constant(contents), dtype, **kw).numpy()


def assert_invalid(contents, *substrings, dtype=tf.float64, **kw):
    """decode_npy raises InvalidArgumentError whose message holds every one of
    `substrings`; returns the message."""
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        decode(contents, dtype, **kw)
    msg = e.value.message
    for s in substrings:
        assert s in msg, f"{s!r} not in {msg!r}"
    return msg


def numpy_rejects(b, **kw):
    try:
        np_load(b, **kw)
    except Exception:  # noqa: BLE001 - any refusal will do
        return True
    return False


def hdr(text, data=b"", version=(1, 0), **kw):
    """A file with header `text` (verbatim) and data bytes."""
    return build_npy(text, data, version=version, **kw)


def hdr3(descr="'<f8'", fortran="False", shape="(3,)", data=None,
         version=(1, 0)):
    """A file whose three values are given as source text."""
    text = (f"{{'descr': {descr}, 'fortran_order': {fortran}, "
            f"'shape': {shape}, }}")
    return hdr(text, raw_data(F8_3) if data is None else data, version)


# ----------------------------------------------------------------------------
# Preamble.


def test_empty():
    assert_invalid(b"", "too short for the .npy preamble")


@pytest.mark.parametrize("b", [
    MAGIC[:1], MAGIC[:4], MAGIC, MAGIC + b"\x01", MAGIC + b"\x01\x00",
    MAGIC + b"\x01\x00\x10", MAGIC + b"\x02\x00\x10\x00",
    MAGIC + b"\x03\x00\x10\x00\x00",
], ids=["1-byte", "4-bytes", "magic-only", "major-only", "v1-no-length",
        "v1-half-length", "v2-10-bytes", "v3-11-bytes"])
def test_short(b):
    assert numpy_rejects(b)
    assert_invalid(b, "too short for the .npy preamble")


@pytest.mark.parametrize("b", [
    b"PK\x03\x04" + bytes(100),
    b"\x92NUMPY" + VALID[(1, 0)][6:],
    b"\x93numpy" + VALID[(1, 0)][6:],
    b"NUMPY\x93" + VALID[(1, 0)][6:],
    b"\x80\x04\x95" + bytes(40),
    b"abc",
    b"\x93NUMPX",
    bytes(200),
    b"\n" + VALID[(1, 0)],
], ids=["npz-zip", "first-byte", "lowercase", "rotated", "pickle", "3-bytes",
        "6-bytes-wrong-last", "zeros", "leading-newline"])
def test_bad_magic(b):
    assert numpy_rejects(b)
    assert_invalid(b, "bad magic")


@pytest.mark.parametrize("version,text", [
    ((4, 0), "unsupported format version 4.0; expected 1.0, 2.0 or 3.0"),
    ((0, 0), "unsupported format version 0.0"),
    ((1, 1), "unsupported format version 1.1"),
    ((2, 1), "unsupported format version 2.1"),
    ((255, 255), "unsupported format version 255.255"),
], ids=["4.0", "0.0", "1.1", "2.1", "255.255"])
def test_bad_version(version, text):
    b = build_npy(dict_text("<f8", False, (3,)), raw_data(F8_3),
                  version=version)
    assert numpy_rejects(b)
    assert_invalid(b, text)


# ----------------------------------------------------------------------------
# Header length.


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)],
                         ids=["v1", "v2", "v3"])
@pytest.mark.parametrize("cut", [1, 20, 63], ids=lambda c: f"cut{c}")
def test_truncated_header(version, cut):
    b = VALID[version]
    off, _ = header_bytes(b)
    b = b[:off - cut]
    assert numpy_rejects(b)
    assert_invalid(b, "runs past the end of the input")


@pytest.mark.parametrize("version,declared", [
    ((1, 0), 9000), ((2, 0), 9999), ((3, 0), 5000)], ids=["v1", "v2", "v3"])
def test_header_length_past_end(version, declared):
    b = build_npy(dict_text("<f8", False, (3,)), raw_data(F8_3),
                  version=version, header_len=declared)
    assert len(b) < declared
    assert numpy_rejects(b)
    assert_invalid(b, "runs past the end of the input")


def _padded(header_len, version=(1, 0), terminator="\n"):
    """A valid file of F8_3 whose header is exactly `header_len` bytes."""
    text = dict_text("<f8", False, (3,))
    pad = header_len - len(text) - len(terminator)
    return build_npy(text + " " * pad, raw_data(F8_3), version=version,
                     align=0, terminator=terminator)


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)],
                         ids=["v1", "v2", "v3"])
def test_header_over_max_header_size(version):
    at_limit = _padded(10000, version)
    over = _padded(10001, version)
    assert len(header_bytes(over)[1]) == 10001
    # numpy draws the line in the same place.
    np_load(at_limit)
    assert numpy_rejects(over)
    assert_same_array(decode(at_limit), F8_3)
    assert_invalid(over, "exceeds max_header_size")
    # Accepted once the limit is raised, by numpy and by us.
    np_load(over, max_header_size=10001)
    assert_same_array(decode(over, max_header_size=10001), F8_3)
    assert_invalid(over, "exceeds max_header_size", max_header_size=5000)


def test_small_max_header_size():
    b = VALID[(1, 0)]
    n = len(header_bytes(b)[1])
    assert_invalid(b, "exceeds max_header_size", max_header_size=n - 1)
    assert_same_array(decode(b, max_header_size=n), F8_3)


@pytest.mark.parametrize("version,declared", [
    ((1, 0), 0xFFFF), ((2, 0), 0xFFFFFFFF), ((3, 0), 0xFFFFFFFF)],
    ids=["v1-65535", "v2-4GiB", "v3-4GiB"])
def test_huge_declared_header_length(version, declared):
    # Refused for its size before anything looks for the bytes.
    b = preamble(version, declared) + b"{" + b" " * 50
    assert numpy_rejects(b)
    assert_invalid(b, "exceeds max_header_size")


# ----------------------------------------------------------------------------
# Header encoding and syntax.


@pytest.mark.parametrize("bad", [
    b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82",
    b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80",
], ids=["ff", "lone-continuation", "overlong", "surrogate", "cut-sequence",
        "above-10ffff", "5-byte-form"])
def test_v3_invalid_utf8(bad):
    text = dict_text("<f8", False, (3,)).encode() + b" " + bad + b"   "
    b = build_npy(text, raw_data(F8_3), version=(3, 0))
    assert numpy_rejects(b)
    assert_invalid(b, "not valid UTF-8")


def test_v1_non_ascii_header_is_syntax_error():
    # Versions 1.0/2.0 are latin-1: the byte decodes, the literal does not.
    text = dict_text("<f8", False, (3,)).encode() + b" \xa0 "
    b = build_npy(text, raw_data(F8_3), version=(1, 0))
    assert numpy_rejects(b)
    assert_invalid(b, "header is not a dict literal")


NOT_A_DICT = {
    "list": "[1, 2]",
    "string": "'abc'",
    "tuple": "(1, 2)",
    "none": "None",
    "int": "42",
    "empty": "",
    "blank": "    ",
    "set": "{'descr', 'fortran_order', 'shape'}",
    "unclosed": "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)",
    "no-colon": "{'descr' '<f8', 'fortran_order': False, 'shape': (3,)}",
    "bare-key": "{descr: '<f8', 'fortran_order': False, 'shape': (3,)}",
    "call": "dict(descr='<f8', fortran_order=False, shape=(3,))",
    "text-after": "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} x",
    "two-dicts": "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}{}",
    "unterminated-string": "{'descr: '<f8', 'fortran_order': False, "
                           "'shape': (3,)}",
    "double-comma": "{'descr': '<f8',, 'fortran_order': False, "
                    "'shape': (3,)}",
    "lowercase-false": "{'descr': '<f8', 'fortran_order': false, "
                       "'shape': (3,)}",
    "missing-comma": "{'descr': '<f8' 'fortran_order': False, "
                     "'shape': (3,)}",
    "shape-unclosed": "{'descr': '<f8', 'fortran_order': False, "
                      "'shape': (3,}",
    "nul-byte": "{'descr': '<f8', 'fortran_order': False,\0 'shape': (3,)}",
    "expression": "{'descr': '<f8', 'fortran_order': False, 'shape': (1+2,)}",
    "leading-zero": "{'descr': '<f8', 'fortran_order': False, 'shape': (03,)}",
    "double-sign": "{'descr': '<f8', 'fortran_order': False, 'shape': (+-3,)}",
    "vertical-tab": "{'descr': '<f8',\v'fortran_order': False, 'shape': (3,)}",
    # Bounded parsing: thousands of nested brackets (within the default
    # max_header_size) must not blow the stack.
    "deep-nesting": ("{'descr': '<f8', 'fortran_order': False, 'shape': "
                     + "(" * 4000 + "3," + ")" * 4000 + "}"),
    "deep-unclosed": "{'descr': " + "[" * 9900,
}


@pytest.mark.parametrize("text", list(NOT_A_DICT.values()),
                         ids=list(NOT_A_DICT))
def test_not_a_dict(text):
    b = hdr(text, raw_data(F8_3))
    assert numpy_rejects(b)
    assert_invalid(b, "header is not a dict literal")


@pytest.mark.parametrize("shape_text", ["(3L,)", "(3l,)"], ids=["L", "l"])
def test_v3_refuses_python2_long_suffix(shape_text):
    # numpy filters the Python 2 'L' only in version 1.0/2.0 headers.
    b = hdr3(shape=shape_text, version=(3, 0))
    assert numpy_rejects(b)
    assert_invalid(b, "header is not a dict literal")


# ----------------------------------------------------------------------------
# Keys.


@pytest.mark.parametrize("text,missing", [
    ("{'fortran_order': False, 'shape': (3,)}", "descr"),
    ("{'descr': '<f8', 'shape': (3,)}", "fortran_order"),
    ("{'descr': '<f8', 'fortran_order': False}", "shape"),
    ("{}", "descr"),
], ids=["descr", "fortran_order", "shape", "empty-dict"])
def test_missing_key(text, missing):
    b = hdr(text, raw_data(F8_3))
    assert numpy_rejects(b)
    assert_invalid(b, f"missing key '{missing}'")


@pytest.mark.parametrize("extra,shown", [
    ("'foo': 1", "'foo'"),
    ("'Descr': '<f8'", "'Descr'"),
    ("b'descr': '<f8'", "descr"),
    ("1: 2", "1"),
], ids=["foo", "capitalised", "bytes-key", "int-key"])
def test_unexpected_key(extra, shown):
    b = hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), "
            + extra + "}", raw_data(F8_3))
    assert numpy_rejects(b)
    assert_invalid(b, "unexpected key", shown)


@pytest.mark.parametrize("text,key", [
    ("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
     "'shape': (3,)}", "descr"),
    ("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), "
     "'descr': '<f8'}", "descr"),
    ("{'descr': '<f8', 'fortran_order': True, 'fortran_order': False, "
     "'shape': (3,)}", "fortran_order"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), "
     "'shape': (3,)}", "shape"),
], ids=["descr-same", "descr-different", "fortran_order", "shape"])
def test_duplicate_key(text, key):
    b = hdr(text, raw_data(F8_3))
    # Deliberate deviation: numpy keeps the last value and reads the file.
    np_load(b)
    assert_invalid(b, f"duplicate key '{key}'")


# ----------------------------------------------------------------------------
# descr.

BAD_DESCRS = {
    "xyz": "'xyz'", "f3": "'<f3'", "i3": "'<i3'", "empty": "''",
    "two-orders": "'<>f8'", "trailing-space": "'f8 '",
    "leading-space": "' f8'", "b2": "'b2'", "u3": "'<u3'",
    "removed-alias": "'float_'", "capitalised": "'Float64'",
    "int": "42", "none": "None", "bool": "True",
}


@pytest.mark.parametrize("descr", list(BAD_DESCRS.values()),
                         ids=list(BAD_DESCRS))
def test_bad_descr(descr):
    if descr == "'float_'" and np.lib.NumpyVersion(np.__version__) < "2.0.0":
        pytest.skip("numpy < 2 still accepts the alias float_ (removed in numpy 2.0)")
    b = hdr3(descr=descr)
    assert numpy_rejects(b)
    assert_invalid(b, "is not a valid dtype")


UNSUPPORTED_DESCRS = {
    "object": ("'|O'", "|O"),
    "object-code": ("'O'", "O"),
    "object-name": ("'object'", "object"),
    # S, U and V arrays read (tests/test_strings.py), unless their items have
    # no bytes: numpy never writes those.
    "unicode-0": ("'<U0'", "<U0"),
    "str-name": ("'str'", "str"),
    "bytes-0": ("'|S0'", "|S0"),
    "void-0": ("'|V'", "|V"),
    "datetime": ("'<M8[ns]'", "<M8[ns]"),
    "datetime-generic": ("'<M8'", "<M8"),
    "timedelta": ("'<m8[s]'", "<m8[s]"),
    "longdouble": ("'<f16'", "<f16"),
    "longdouble-code": ("'g'", "g"),
    "longdouble-name": ("'longdouble'", "longdouble"),
    "clongdouble": ("'<c32'", "<c32"),
    "structured": ("[('a', '<f4'), ('b', '<i4')]", "unsupported descr"),
    "subarray": ("('<f4', (2,))", "unsupported descr"),
}


@pytest.mark.parametrize("descr,shown", list(UNSUPPORTED_DESCRS.values()),
                         ids=list(UNSUPPORTED_DESCRS))
def test_unsupported_descr(descr, shown):
    # Valid numpy dtypes that have no tensor type; 64 bytes of data is enough
    # for numpy to read any of them (so this refusal is ours alone).
    b = hdr3(descr=descr, shape="(2,)", data=bytes(64))
    assert_invalid(b, "unsupported descr", shown)


# ----------------------------------------------------------------------------
# fortran_order and shape.


@pytest.mark.parametrize("value", ["0", "1", "'False'", "None", "(False,)",
                                   "b'True'"],
                         ids=["0", "1", "string", "None", "tuple", "bytes"])
def test_fortran_order_not_bool(value):
    b = hdr3(fortran=value)
    assert numpy_rejects(b)
    assert_invalid(b, "fortran_order is not a bool")


@pytest.mark.parametrize("shape", ["(-1,)", "(3, -2)", "(-3, 0)"],
                         ids=["-1", "3,-2", "-3,0"])
def test_negative_dimension(shape):
    b = hdr3(shape=shape)
    assert numpy_rejects(b)
    assert_invalid(b, "negative dimension")


@pytest.mark.parametrize("shape", [
    "[3]", "(3)", "3", "None", "'(3,)'", "(3.0,)", "('3',)", "(None,)",
    "(3, (1,))", "{3: 1}", "(True, 3)", "(False,)",
], ids=["list", "parenthesised-int", "int", "None", "string", "float",
        "str-dim", "None-dim", "nested", "dict", "bool-dim", "bool-dim-only"])
def test_shape_not_tuple_of_ints(shape):
    # A bool passes numpy's isinstance(x, int) header check, but np.load then
    # fails in reshape ("an integer is required"): numpy refuses the file.
    b = hdr3(shape=shape)
    assert numpy_rejects(b)
    assert_invalid(b, "shape is not a tuple of ints")


@pytest.mark.parametrize("shape,descr", [
    (f"({2**40}, {2**40})", "'<f8'"),
    (f"({2**63},)", "'<f8'"),
    (f"({10**30},)", "'|u1'"),
    (f"({2**62}, 4)", "'|u1'"),
    (f"({2**60},)", "'<f8'"),
    (f"(0, {2**62}, {2**62})", "'<f8'"),
    (f"({2**32}, {2**32}, 0)", "'<c16'"),
    ("(" + "9" * 5000 + ",)", "'<f8'"),
], ids=["2^40x2^40", "2^63", "10^30", "2^62x4", "2^60-f8-bytes",
        "zero-does-not-hide", "zero-last", "5000-digits"])
def test_overflowing_shape(shape, descr):
    b = hdr3(descr=descr, shape=shape, data=bytes(16))
    assert_invalid(b, "overflows")


@pytest.mark.parametrize("ndims", [65, 100])
def test_too_many_dims(ndims):
    b = hdr3(shape="(" + "1, " * ndims + ")", data=raw_data(np.zeros(1)))
    assert numpy_rejects(b)
    assert_invalid(b, "dimensions; at most 64")


# ----------------------------------------------------------------------------
# Data.


@pytest.mark.parametrize("shape,descr", [
    ((2**37,), "<f8"),            # 1 TiB
    ((2**20, 2**20), "|u1"),      # 1 TiB
    ((2**59,), "<f8"),            # 4 EiB, still fits int64 bytes
    ((2**30, 2**30, 4), "<c16"),
], ids=["1TiB-f8", "1TiB-u1", "4EiB", "c16-2^64-elems-is-overflow"])
def test_declared_size_larger_than_payload(shape, descr):
    # Must fail on the size check, before any allocation: an allocation of
    # this size would fail with ResourceExhausted (or kill the process).
    b = build_npy(dict_text(descr, False, shape), bytes(8), align=0)
    assert len(b) < 128
    dtype = np.dtype(descr).name
    n = np.prod([float(d) for d in shape]) * np.dtype(descr).itemsize
    if n < 2**63:
        assert_invalid(b, "data truncated", dtype=dtype)
    else:
        assert_invalid(b, "overflows", dtype=dtype)


@pytest.mark.parametrize("dt,shape,cut", [
    ("float64", (3,), 1), ("float64", (3,), 8), ("float64", (3,), 24),
    ("complex128", (2, 2), 8), ("bool", (5,), 1), ("int16", (2, 3), 1),
    ("float32", (), 4),
], ids=["f8-1", "f8-item", "f8-all", "c16-half-item", "bool", "i2-odd",
        "scalar"])
def test_truncated_data(dt, shape, cut):
    arr = sample_array(dt, shape, seed=1)
    b = numpy_npy(arr)[:-cut]
    assert numpy_rejects(b)
    assert_invalid(b, "data truncated", dtype=dt)


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)],
                         ids=["v1", "v2", "v3"])
@pytest.mark.parametrize("dt,shape,fortran", [
    ("float64", (3,), False), ("complex64", (2, 3), True)],
    ids=["f8", "c8-F"])
def test_every_truncated_prefix(version, dt, shape, fortran):
    arr = sample_array(dt, shape, seed=2)
    b = make_npy(arr, fortran=fortran, version=version)
    assert_same_array(decode(b, dt), arr)
    pre = 10 if version == (1, 0) else 12
    off, _ = header_bytes(b)
    problems = []
    for n in range(len(b)):
        want = ("too short for the .npy preamble" if n < pre else
                "runs past the end of the input" if n < off else
                "data truncated")
        try:
            decode(b[:n], dt)
        except tf.errors.InvalidArgumentError as e:
            if want not in e.message:
                problems.append((n, want, e.message))
        else:
            problems.append((n, want, "no error"))
    assert not problems, problems[:5]


# ----------------------------------------------------------------------------
# Mismatch with the requested dtype and shape.


@pytest.mark.parametrize("descr,arr_dt,dtype,text", [
    ("<f8", "float64", tf.float32, "file holds <f8 (float64), expected float32"),
    (">i4", "int32", tf.int64, "file holds >i4 (int32), expected int64"),
    ("|b1", "bool", tf.uint8, "file holds |b1 (bool), expected uint8"),
    ("|u1", "uint8", tf.int8, "file holds |u1 (uint8), expected int8"),
    ("<c8", "complex64", tf.float64,
     "file holds <c8 (complex64), expected float64"),
    ("<u8", "uint64", "int64", "file holds <u8 (uint64), expected int64"),
    ("f8", "float64", np.float32, "file holds f8 (float64), expected float32"),
    ("d", "float64", "float16", "file holds d (float64), expected float16"),
], ids=["f8-vs-f4", "be-i4-vs-i8", "bool-vs-u8", "u1-vs-i1", "c8-vs-f8",
        "u8-vs-i8", "bare-f8", "code-d"])
def test_dtype_mismatch(descr, arr_dt, dtype, text):
    arr = sample_array(arr_dt, (2, 2), seed=3)
    bo = ">" if descr.startswith(">") else "<"
    b = build_npy(dict_text(descr, False, arr.shape), raw_data(arr, bo))
    np_load(b)
    assert_invalid(b, text, dtype=dtype)


@pytest.mark.parametrize("file_shape,shape,text", [
    ((3, 4), [3, 5], "file has shape (3, 4), expected (3, 5)"),
    ((3, 4), [None, 5], "file has shape (3, 4), expected (None, 5)"),
    ((3, 4), [3], "file has shape (3, 4), expected (3,)"),
    ((3, 4), [3, 4, 1], "file has shape (3, 4), expected (3, 4, 1)"),
    ((3,), [], "file has shape (3,), expected ()"),
    ((), [1], "file has shape (), expected (1,)"),
    ((0,), [1], "file has shape (0,), expected (1,)"),
    ((3, 0, 2), [3, 1, 2], "file has shape (3, 0, 2), expected (3, 1, 2)"),
], ids=["3x4-vs-3x5", "None", "rank-less", "rank-more", "1d-vs-scalar",
        "scalar-vs-1d", "empty", "zero-dim"])
def test_shape_mismatch(file_shape, shape, text):
    b = numpy_npy(np.zeros(file_shape, np.float32))
    assert_invalid(b, text, dtype=tf.float32, shape=shape)


# ----------------------------------------------------------------------------
# A few in graph mode, and in a batch.


@pytest.mark.parametrize("b,text", [
    (b"not a npy file at all", "bad magic"),
    (VALID[(2, 0)][:-1], "data truncated"),
    (hdr3(shape="(3, -1)"), "negative dimension"),
    (hdr3(descr="'|O'"), "unsupported descr"),
], ids=["bad-magic", "truncated", "negative", "object"])
def test_graph_mode_errors(b, text):
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def f(s):
        return tfnpy.decode_npy(s, tf.float64, shape=[None])

    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        f(tf.constant(b))
    assert text in e.value.message


def test_graph_mode_dtype_mismatch():
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def f(s):
        return tfnpy.decode_npy(s, tf.int32)

    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        f(tf.constant(VALID[(1, 0)]))
    assert "file holds <f8 (float64), expected int32" in e.value.message


@pytest.mark.parametrize("bad,text", [
    (b"\x93NUMPY", "too short for the .npy preamble"),
    (b"garbage!" * 10, "bad magic"),
    (VALID[(3, 0)][:-3], "data truncated"),
    (b"", "too short for the .npy preamble"),
], ids=["short", "bad-magic", "truncated", "empty"])
def test_batched_malformed_element(bad, text):
    good = VALID[(1, 0)]
    assert_invalid([good, good, bad, good], text, "element 2")


def test_batched_max_header_size_applies_to_each():
    good = VALID[(1, 0)]
    big = _padded(10001)
    assert_invalid([good, big], "exceeds max_header_size")
    got = decode([good, big], max_header_size=10001)
    assert_same_array(got, np.stack([F8_3, F8_3]))
