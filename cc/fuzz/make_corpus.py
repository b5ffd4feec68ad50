"""Writes the small seed corpus in cc/fuzz/corpus/ (valid and malformed files)."""

import io
import os

import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)


def save(name, array=None, raw=None, version=None):
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
