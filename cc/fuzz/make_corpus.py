"""Writes the seed corpus in cc/fuzz/corpus/: valid files that numpy writes
(every dtype, byte order, memory order, versions 1.0-3.0) and hand-made
header variants and malformed files (at least one per error code).

    python cc/fuzz/make_corpus.py

Deterministic: running it again rewrites the same bytes. Crashing inputs the
fuzzers find are kept beside these as regress_*.npy (not written here).
"""

import io
import os

import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)


def save(name, array=None, raw=None, version=None):
    if isinstance(array, bytes):
        array, raw = None, array
    if raw is None:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, array, version=version)
        raw = buf.getvalue()
    with open(os.path.join(here, name + ".npy"), "wb") as f:
        f.write(raw)


rng = np.random.default_rng(0)
save("f8_2d", rng.random((3, 4)))
save("f4_be_fortran", np.asfortranarray(rng.random((3, 4, 2)).astype(">f4")))
save("c16_v2", (rng.random((2, 3)) + 1j).astype("<c16"), version=(2, 0))
save("bool_v3", rng.random(7) > 0.5, version=(3, 0))
save("i2_scalar", np.int16(7))
save("u8_empty", np.zeros((3, 0, 2), ">u8"))
save("f2_1d", np.arange(5, dtype="<f2"))


def v1(text, data=b""):
    header = text.encode() + b" " * ((-(10 + len(text) + 1)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data


save("bad_magic", raw=b"\x93NUMPX\x01\x00\x10\x00{}")
save("bad_version", raw=b"\x93NUMPY\x04\x00\x10\x00{}")
save("header_past_end", raw=b"\x93NUMPY\x01\x00\xff\x00{'descr'")
save("structured", raw=v1("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }", bytes(4)))
save("py2_long", raw=v1("{'descr': '<i1', 'fortran_order': False, 'shape': (2L, 3L), }", bytes(6)))
save("truncated_data", raw=v1("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }", bytes(10)))
save("duplicate_key", raw=v1("{'descr': '<f8', 'descr': '<i8', 'fortran_order': False, 'shape': (1,)}", bytes(8)))
save("type_number_descr", raw=v1("{'descr': '\\x0c', 'fortran_order': True, 'shape': (2, 2)}", bytes(32)))


def npy(text, data=b"", version=1, align=64, newline=True):
    """A file with the given header text, padded the way numpy pads."""
    enc = text.encode("utf-8" if version == 3 else "latin-1")
    pre = 10 if version == 1 else 12
    enc += b" " * ((-(pre + len(enc) + newline)) % align) + (b"\n" if newline else b"")
    size = len(enc).to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + size + enc + data


def header(descr, shape, fortran=False):
    return "{'descr': %r, 'fortran_order': %s, 'shape': %r, }" % (descr, fortran, shape)


# Every dtype: little-endian C order, and big-endian Fortran order (2-D).
for dt in ["?", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "c8", "c16"]:
    name = np.dtype(dt).name
    a = (rng.random((2, 3)) * 100).astype(dt)
    save("valid_%s_le_c" % name, a.astype(np.dtype(dt).newbyteorder("<")))
    save("valid_%s_be_fortran" % name, np.asfortranarray(a.astype(np.dtype(dt).newbyteorder(">"))))

# Shapes and layouts.
save("valid_scalar_c8_be", np.array(1.5 - 2j, ">c8"))
save("valid_zero_len_1d", np.zeros((0,), "<i4"))
save("valid_empty_fortran_3d", np.asfortranarray(np.zeros((2, 0, 3), "<f4")))
save("valid_fortran_3d_i2", np.asfortranarray(np.arange(24, dtype="<i2").reshape(2, 3, 4)))
save("valid_fortran_4d_unit_axes", np.asfortranarray(np.arange(6, dtype=">u4").reshape(1, 2, 1, 3)))
save("valid_fortran_37x45_u1", np.asfortranarray(rng.integers(0, 255, (37, 45), dtype="u1")))
save("valid_64_dims", npy(header("<f8", (1,) * 64), bytes(8)))
save("valid_bool_bytes_2_255", npy(header("|b1", (4,)), b"\x00\x01\x02\xff"))
save("valid_trailing_bytes", npy(header("<i2", (2,)), b"\x01\x00\x02\x00trailing"))

# Header versions and spellings.
save("valid_v2_f8", rng.random(4), version=(2, 0))
save("valid_v3_utf8_comment", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,)} # caf\u00e9 \u4e2d", bytes(8), 3))
save("valid_v1_latin1_comment", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,)} # caf\u00e9", bytes(8), 1))
save("valid_align16", npy(header("<f4", (3,)), bytes(12), align=16))
save("valid_no_newline", npy(header("<f4", (3,)), bytes(12), newline=False))
save("valid_shape_first", npy("{'shape': (2, 2), 'fortran_order': True, 'descr': '>i8'}", bytes(32)))
save("valid_no_spaces", npy("{'descr':'<u2','fortran_order':False,'shape':(3,)}", bytes(6)))
save("valid_double_quotes", npy('{"descr": "<u2", "fortran_order": False, "shape": (3,)}', bytes(6)))
save("valid_nested_parens", npy("{'descr': '<i1', 'fortran_order': False, 'shape': ((2, (3))), }", bytes(6)))
save("valid_int_spellings", npy("{'descr': '<i1', 'fortran_order': False, 'shape': (0x2, 0o3, 0b1, 1_0), }", bytes(60)))
save("valid_string_concat_escape", npy("{'descr': u'<' '\\x66\\u0038', 'fortran_order': False, 'shape': (1,)}", bytes(8)))
save("valid_named_descr", npy(header("float32", (2,)), bytes(8)))
save("valid_type_code_descr", npy(header("D", (1,)), bytes(16)))
save("valid_comment_continuation", npy("{'descr': '<i1', # dtype\n 'fortran_order': \\\n False, 'shape': (1,)}", bytes(1)))

save("valid_descr_escapes", npy("{'descr': '\\x3c' '\\146' u'\\u0038', 'fortran_order': False, 'shape': (1,)}", bytes(8)))
save("valid_descr_triple_raw", npy("{'descr': r'''<i4''', \"fortran_order\": True, 'shape': (1, 2)}", bytes(8)))
save("valid_type_number_bool", npy("{'descr': '\\x00', 'fortran_order': False, 'shape': (3,)}", b"\x00\x01\x07"))
# Malformed: at least one per error code.
save("err_truncated_preamble", b"\x93NUMPY\x01\x00\x76")
save("err_bad_magic_zip", b"PK\x03\x04" + bytes(60))
save("err_bad_version_1_1", npy(header("<f8", ()), bytes(8)).replace(b"\x01\x00", b"\x01\x01", 1))
save("err_header_too_large", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{}")
save("err_header_utf8_v3", npy("{'descr': '<f8', 'fortran_order': False, 'shape': ()}", bytes(8), 3).replace(b"}", b"}#\xff", 1))
save("err_header_not_dict", npy("['descr', '<f8']", bytes(8)))
save("err_header_unclosed", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)", bytes(8)))
save("err_header_nul", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}\x00", bytes(8)))
save("valid_shape_in_31_parens", npy("{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * 31 + "1," + ")" * 31 + "}", bytes(8)))
# Python's parser refuses 200 nested brackets ("too many nested parentheses").
save("err_header_200_parens", npy("{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * 200 + "1," + ")" * 200 + "}", bytes(8)))
save("err_py2_long_v3", npy("{'descr': '<i1', 'fortran_order': False, 'shape': (2L,), }", bytes(2), 3))
save("err_descr_raw_bytes", npy("{'descr': Rb'<f8', 'fortran_order': False, 'shape': (1,)}", bytes(8)))
save("err_descr_dict", npy("{'descr': {'a': (1, [2])}, 'fortran_order': False, 'shape': (1,)}", bytes(8)))
save("err_missing_shape", npy("{'descr': '<f8', 'fortran_order': False}", bytes(8)))
save("err_unexpected_key", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'foo': 1}", bytes(8)))
save("err_bad_descr_f3", npy(header("<f3", (1,)), bytes(3)))
save("err_unsupported_unicode", npy(header("<U3", (1,)), bytes(12)))
save("err_unsupported_object", npy(header("|O", (1,)), bytes(8)))
save("err_fortran_order_int", npy("{'descr': '<f8', 'fortran_order': 1, 'shape': (1,)}", bytes(8)))
save("err_shape_not_tuple", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3)}", bytes(24)))
save("err_shape_negative", npy(header("<f8", (2, -1)), bytes(8)))
save("err_too_many_dims", npy(header("<f8", (1,) * 65), bytes(8)))
save("err_size_overflow", npy(header("<f8", (2**31, 2**31, 4)), bytes(8)))
save("err_data_truncated_fortran", npy(header(">c8", (3, 3), True), bytes(70)))

# S, U and V arrays (strings, ml_dtypes' bfloat16 as V2).
save("valid_S5_c", np.array([[b"ab\0c", b""], [b"\0\0", b"hello"]], "S5"))
save("valid_U3_le_fortran", np.asfortranarray(np.array([["a", "日本"], ["😀", "\0x"], ["", "zzz"]], "<U3")))
save("valid_U2_be", np.array(["é", "ab", ""], ">U2"))
save("valid_V2_bfloat16", np.arange(6, dtype="<u2").view("V2").reshape(2, 3))
save("valid_S1_empty", np.zeros((0, 3), "S1"))

# ReadNpy's one-read path (cc/npy/predicted.h) claims exactly np.save's bytes for the array it
# expects. fuzz_reader predicts the array a file's header declares when the byte 8 from the end
# is >= 128: these np.save files end with 8 such bytes (ignored after the data, as np.load does),
# which also keep the source honest and select the whole array.
PREDICTED_TAIL = bytes([0x80, 0, 0, 0, 0, 0, 0, 0])


def saved(array):
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue() + PREDICTED_TAIL


save("predicted_f8_10x10", saved(rng.random((10, 10))))
save("predicted_bool", saved(rng.random(9) > 0.5))
save("predicted_i4_scalar", saved(np.int32(-3)))
save("predicted_f4_past_first_read", saved(rng.random((64, 80), dtype=np.float32)))  # 20 KB: two reads
buf = io.BytesIO()
np.lib.format.write_array_header_1_0(buf, {"descr": "<V2", "fortran_order": False, "shape": (3, 4)})
# Predicted as the dtype TensorDTypes lists 15th (bfloat16): 15 in place of 0x80.
save("predicted_bfloat16_as_V2", buf.getvalue() + bytes(range(24)) + bytes([15]) + PREDICTED_TAIL[1:])
