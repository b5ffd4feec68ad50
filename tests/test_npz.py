"""tfnpy.read_npz / decode_npz and tfnpy.inspect on .npz archives.

Every value is checked against ``np.load(path)[key]`` (the arrays np.load
returns for the archives np.savez, np.savez_compressed and zipfile write),
errors against what they must name. Hostile archives are built by patching
real ones; big and zip64 cases are hand-built records (a sparse file for
offsets past 4 GiB; repeated full-flush deflate pieces for a huge member),
so nothing large is written or inflated.
"""

import os
import re
import struct
import sys
import zipfile
import zlib

import numpy as np
import pytest
import tensorflow as tf

import tfnpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_testutil import SUPPORTED_DTYPES, assert_same_array, numpy_npy, sample_array, zip_bytes  # noqa: E402

RNG = np.random.default_rng(0)


def npy(array):
    return numpy_npy(array)


def write_zip(path, members, method=zipfile.ZIP_DEFLATED, stream=False, force_zip64=False, comment=b""):
    """members: [(name, bytes or None for a directory)], written by zipfile."""
    raw = zip_bytes(members, method, stream=stream, force_zip64=force_zip64, comment=comment)
    with open(path, "wb") as f:
        f.write(raw)
    return raw


def check_all(path, decode=True):
    """Every .npy member of the archive through read_npz and decode_npz equals np.load's."""
    contents = open(path, "rb").read() if decode else None
    with np.load(path) as z:
        keys = z.files
        for key in keys:
            want = z[key]
            if not isinstance(want, np.ndarray):
                continue  # A directory or a non-.npy member: np.load gives its bytes.
            got = tfnpy.read_npz(str(path), key, want.dtype).numpy()
            assert_same_array(got, want, f"{path}:{key}")
            if decode:
                got = tfnpy.decode_npz(contents, key, want.dtype).numpy()
                assert_same_array(got, want, f"{path}:{key} (decode)")
    return keys


def error(fn, kind=tf.errors.InvalidArgumentError):
    with pytest.raises(kind) as e:
        fn()
    return e.value.message


@pytest.mark.parametrize("compressed", [False, True], ids=["savez", "savez_compressed"])
def test_every_dtype_order_and_layout_matches_np_load(tmp_path, compressed):
    arrays = {}
    for i, dt in enumerate(SUPPORTED_DTYPES):
        a = sample_array(np.dtype(dt), (3, 4), seed=i)
        arrays[f"c{i}"] = a
        arrays[f"be{i}"] = a.astype(np.dtype(dt).newbyteorder(">"))
        arrays[f"f{i}"] = np.asfortranarray(sample_array(np.dtype(dt), (2, 3, 2), seed=i))
    arrays["scalar"] = np.float32(3.5)
    arrays["empty"] = np.zeros((0, 5), np.int16)
    path = tmp_path / "all.npz"
    (np.savez_compressed if compressed else np.savez)(path, RNG.random(5), **arrays)
    keys = check_all(path)
    assert "arr_0" in keys and len(keys) == len(arrays) + 1


def test_keys_as_numpy_names_them(tmp_path):
    path = tmp_path / "k.npz"
    write_zip(path, [("sub/", None), ("sub/x.npy", npy(np.arange(3))), ("y.npy", npy(np.ones(2))),
                     ("caf\u00e9.npy", npy(np.int8(5)))], comment=b"an archive comment")
    keys = check_all(path)
    assert set(keys) >= {"sub/x", "y", "caf\u00e9"}
    assert tfnpy.read_npz(str(path), "sub/x.npy", tf.int64).numpy().tolist() == [0, 1, 2]


@pytest.mark.parametrize("variant", ["force_zip64", "stream", "stream_zip64", "stored_zip64"])
def test_zipfile_variants_match_np_load(tmp_path, variant):
    path = tmp_path / "v.npz"
    members = [("a.npy", npy(RNG.random((50, 7)))), ("b.npy", npy(np.arange(10, dtype=">u4")))]
    write_zip(path, members, method=zipfile.ZIP_STORED if variant == "stored_zip64" else zipfile.ZIP_DEFLATED,
              stream=variant.startswith("stream"), force_zip64="zip64" in variant)
    assert check_all(path) == ["a", "b"]


def test_regions_batches_and_several_keys(tmp_path):
    paths = []
    for i in range(3):
        p = tmp_path / f"{i}.npz"
        (np.savez if i % 2 else np.savez_compressed)(p, x=RNG.random((6, 5, 4)), y=np.arange(i, i + 4))
        paths.append(str(p))
    loaded = [np.load(p) for p in paths]
    got = tfnpy.read_npz(paths[1], "x", tf.float64, start=2, stop=5).numpy()
    np.testing.assert_array_equal(got, loaded[1]["x"][2:5])
    got = tfnpy.read_npz(paths[0], "x", tf.float64, start=[1, 2], stop=[3, 4]).numpy()
    np.testing.assert_array_equal(got, loaded[0]["x"][1:3, 2:4])
    got = tfnpy.read_npz(paths, "x", tf.float64, shape=[6, 5, 4]).numpy()
    np.testing.assert_array_equal(got, np.stack([z["x"] for z in loaded]))
    starts = [[0, 1], [3, 0], [4, 3]]
    got = tfnpy.read_npz(paths, "x", tf.float64, start=starts, stop=[[2, 3], [5, 2], [6, 5]]).numpy()
    np.testing.assert_array_equal(got, np.stack([z["x"][a:a + 2, b:b + 2] for z, (a, b) in zip(loaded, starts)]))
    both = tfnpy.read_npz(paths, {"x": tf.float64, "y": "int64"}, shape={"y": [4]})
    assert set(both) == {"x", "y"} and both["y"].shape == (3, 4)
    np.testing.assert_array_equal(both["y"].numpy(), np.stack([z["y"] for z in loaded]))
    contents = [open(p, "rb").read() for p in paths]
    got = tfnpy.decode_npz(contents, {"y": tf.int64})["y"].numpy()
    np.testing.assert_array_equal(got, np.stack([z["y"] for z in loaded]))


def test_graph_mode_static_shapes(tmp_path):
    path = tmp_path / "g.npz"
    np.savez_compressed(path, x=np.zeros((8, 3), np.float32))
    ds = tf.data.Dataset.from_tensor_slices([str(path)] * 4).batch(2)
    ds = ds.map(lambda p: tfnpy.read_npz(p, {"x": tf.float32}, shape={"x": [8, 3]}, start=1, stop=3))
    assert ds.element_spec["x"].shape.as_list() == [None, 2, 3]
    assert [b["x"].shape for b in ds] == [(2, 2, 3), (2, 2, 3)]


def test_checks_and_messages_as_read_npy(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, x=np.zeros((3, 4)), y=np.zeros(2))
    msg = error(lambda: tfnpy.read_npz(str(path), "nope", tf.float64))
    assert f"ReadNpz: '{path}': no member 'nope' (nor 'nope.npy')" in msg and "members: 'x', 'y'" in msg
    msg = error(lambda: tfnpy.read_npz(str(path), "x", tf.float32))
    assert f"ReadNpz: '{path}': member 'x': file holds <f8 (float64), expected float32" in msg
    msg = error(lambda: tfnpy.read_npz(str(path), "x", tf.float64, shape=[3, 5]))
    assert "member 'x': file has shape (3, 4), expected (3, 5)" in msg
    msg = error(lambda: tfnpy.read_npz(str(path), "x", tf.float64, max_output_bytes=50),
                tf.errors.ResourceExhaustedError)
    assert "member 'x'" in msg
    with pytest.raises(TypeError, match="integers"):
        tfnpy.read_npz(str(path), "x", tf.float64, start=1.5)
    with pytest.raises(TypeError, match="dtype is required"):
        tfnpy.read_npz(str(path), "x")
    error(lambda: tfnpy.read_npz(str(tmp_path / "missing.npz"), "x", tf.float64), tf.errors.NotFoundError)


def test_other_methods_are_refused_with_the_method_named(tmp_path):
    for method, name in [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")]:
        path = tmp_path / f"{name}.npz"
        write_zip(path, [("x.npy", npy(np.arange(4)))], method=method)
        np.testing.assert_array_equal(np.load(path)["x"], np.arange(4))  # numpy reads it...
        msg = error(lambda: tfnpy.read_npz(str(path), "x", tf.int64))
        assert f"is compressed with {name}" in msg  # ...tfnpy says why not.


# ---------------------------------------------------------------------------
# Hostile archives.


def _small(tmp_path, compressed=True):
    """An archive with plain 32-bit local headers (np.savez writes zip64 extras)."""
    path = tmp_path / "h.npz"
    write_zip(path, [("x.npy", npy(np.arange(100.0))), ("y.npy", npy(np.arange(7)))],
              method=zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED)
    return bytearray(path.read_bytes())


def _decode(raw, key="x", dtype=tf.float64, **kw):
    return lambda: tfnpy.decode_npz(bytes(raw), key, dtype, **kw)


def _central(raw, index=0):
    at = -1
    for _ in range(index + 1):
        at = raw.index(b"PK\x01\x02", at + 1)
    return at


def test_crc_mismatch_is_data_loss(tmp_path):
    for compressed in (False, True):
        raw = _small(tmp_path, compressed)
        c = _central(raw)
        raw[c + 16] ^= 1  # The CRC in the central directory...
        local = raw.index(b"PK\x03\x04")
        raw[local + 14] ^= 1  # ...and the local header: the data disagrees with both.
        msg = error(_decode(raw), tf.errors.DataLossError)
        assert "DecodeNpz: member 'x': CRC-32 of its 928 bytes is" in msg and "x.npy" not in msg
        # verify_crc=False skips that check alone: the bytes as stored, through every entry point.
        path = tmp_path / "bad_crc.npz"
        path.write_bytes(bytes(raw))
        for got in (_decode(raw, verify_crc=False)(), tfnpy.read_npz(str(path), "x", tf.float64, verify_crc=False),
                    tfnpy.read_npz([str(path)] * 2, "x", tf.float64, verify_crc=False)[1]):
            np.testing.assert_array_equal(got.numpy(), np.arange(100.0))
        with pytest.raises(tf.errors.DataLossError):
            tfnpy.read_npz([str(path)] * 2, "x", tf.float64)
        with pytest.raises(TypeError, match="verify_crc must be a bool"):
            tfnpy.read_npz(str(path), "x", tf.float64, verify_crc=0)


def test_hostile_archives_are_refused(tmp_path):
    raw = _small(tmp_path)
    c = _central(raw)
    enc = bytearray(raw)
    enc[c + 8] |= 1
    enc[raw.index(b"PK\x03\x04") + 6] |= 1
    assert "is encrypted" in error(_decode(enc))
    past = bytearray(raw)
    past[c + 42:c + 46] = struct.pack("<I", 1 << 30)
    assert "past the central directory's start" in error(_decode(past))
    overlap = bytearray(raw)
    c1 = _central(raw, 1)
    overlap[c1 + 42:c1 + 46] = struct.pack("<I", 40)  # y's header inside x's data.
    assert "corrupt zip archive" in error(_decode(overlap))
    for cut in (len(raw) - 1, len(raw) - 30, len(raw) // 2, 10):
        assert "zip" in error(_decode(raw[:cut]))
    ratio = bytearray(raw)
    ratio[c + 24:c + 28] = struct.pack("<I", 0xFFFFFFF0)
    ratio[raw.index(b"PK\x03\x04") + 22:raw.index(b"PK\x03\x04") + 26] = struct.pack("<I", 0xFFFFFFF0)
    assert "deflate cannot exceed about 1032:1" in error(_decode(ratio))
    bigger = bytearray(raw)
    bigger[c + 24:c + 28] = struct.pack("<I", 1000)
    bigger[raw.index(b"PK\x03\x04") + 22:raw.index(b"PK\x03\x04") + 26] = struct.pack("<I", 1000)
    assert re.search(r"member 'x': its \d+ compressed bytes inflate to 928, not the 1000 declared", error(_decode(bigger)))
    path = tmp_path / "text.npz"
    write_zip(path, [("notes.txt", b"not numpy at all")])
    assert "member 'notes.txt'" in error(_decode(path.read_bytes(), "notes.txt"))
    assert "not a zip archive" in error(_decode(npy(np.arange(3)), "x"))
    local_name = bytearray(raw)
    local_name[raw.index(b"PK\x03\x04") + 30] = ord("q")
    assert "its local header names it 'q.npy'" in error(_decode(local_name))


def _u8_header(rows, cols=None):
    """A 128-byte v1.0 .npy header of uint8, shape (rows,) or (rows, cols)."""
    shape = f"({rows},)" if cols is None else f"({rows}, {cols})"
    text = "{'descr': '|u1', 'fortran_order': False, 'shape': %s, }" % shape
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + (text + " " * (117 - len(text)) + "\n").encode()


def _zeros_stream(header, total):
    """Raw deflate of header + zeros up to `total` bytes, from repeated full-flush pieces (cheap to build)."""
    mib = 1 << 20
    first = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = [first.compress(header + bytes(mib - len(header))) + first.flush(zlib.Z_FULL_FLUSH)]
    piece = zlib.compressobj(6, zlib.DEFLATED, -15)
    piece = piece.compress(bytes(mib)) + piece.flush(zlib.Z_FULL_FLUSH)
    out += [piece] * (total // mib - 1)
    out.append(zlib.compressobj(6, zlib.DEFLATED, -15).flush())
    return b"".join(out)


def _zip64_archive(f, members):
    """Writes members [(name, method, crc, csize, usize, offset, data)] at their offsets (holes between
    them stay sparse), then a zip64 central directory and end records."""
    cd = b""
    for name, method, crc, csize, usize, offset, data in members:
        name = name.encode()
        f.seek(offset)
        f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0x800, method, 0, 0x21, crc, 0xFFFFFFFF,
                            0xFFFFFFFF, len(name), 20) + name + struct.pack("<HHQQ", 1, 16, usize, csize))
        f.write(data)
        extra = struct.pack("<HHQQQ", 1, 24, usize, csize, offset)
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0x800, method, 0, 0x21, crc, 0xFFFFFFFF,
                          0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + name + extra
    cd_offset = f.tell()
    f.write(cd)
    e64 = f.tell()
    n = len(members)
    f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(cd), cd_offset))
    f.write(struct.pack("<IIQI", 0x07064B50, 0, e64, 1))
    f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def _stored(name, array, offset):
    data = npy(array)
    return (name, 0, zlib.crc32(data), len(data), len(data), offset, data)


def test_member_past_4_gib_in_a_sparse_file(tmp_path):
    path = tmp_path / "sparse.npz"
    with open(path, "wb") as f:
        _zip64_archive(f, [_stored("a.npy", np.arange(3), 0),
                           _stored("x.npy", np.arange(12, dtype=np.int32).reshape(3, 4), 5 << 30)])
    assert os.path.getsize(path) > 5 << 30
    assert check_all(path, decode=False) == ["a", "x"]  # (5 GiB of bytes to decode)
    info = tfnpy.inspect(str(path))
    assert info["x"].info.shape == (3, 4) and info["x"].compression == "stored"


def test_deflated_member_past_4_gib_reads_a_region_without_inflating_it_all(tmp_path):
    usize = (5 << 30) + 128
    stream = _zeros_stream(_u8_header(5 << 20, 1024), usize)
    path = tmp_path / "big.npz"
    with open(path, "wb") as f:
        # The CRC is not that of 5 GiB of zeros: a region read never checks it.
        _zip64_archive(f, [("z.npy", 8, 0, len(stream), usize, 0, stream)])
    got = tfnpy.read_npz(str(path), "z", tf.uint8, start=3, stop=5).numpy()
    assert got.shape == (2, 1024) and not got.any()
    assert tfnpy.inspect(str(path))["z"].info.shape == (5 << 20, 1024)


def test_a_gib_of_zeros_over_the_cap_is_refused_before_inflating(tmp_path):
    size = 1 << 30
    stream = _zeros_stream(_u8_header(size - 128), size)
    assert len(stream) < 2 << 20
    # Hand-made: one deflated member declaring 1 GiB.
    name = b"zeros.npy"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, 0, len(stream), size, len(name), 0) + name
    cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, 0, len(stream), size, len(name), 0,
                     0, 0, 0, 0, 0) + name
    blob = local + stream + cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), len(local) + len(stream), 0)
    msg = error(lambda: tfnpy.decode_npz(blob, "zeros", tf.uint8, max_output_bytes=1 << 20),
                tf.errors.ResourceExhaustedError)
    assert "member 'zeros'" in msg


def test_inspect_lists_members(tmp_path):
    path = tmp_path / "i.npz"
    np.savez_compressed(path, np.zeros((2, 3), ">f4"), y=np.arange(5))
    for source in (str(path), path.read_bytes()):
        info = tfnpy.inspect(source)
        assert sorted(info.keys()) == ["arr_0", "y"]
        m = info["arr_0"]
        assert (m.compression, m.info.dtype, m.info.shape) == ("deflated", np.dtype(">f4"), (2, 3))
        assert m.size == len(npy(np.zeros((2, 3), ">f4"))) and m.compressed_size < m.size
    plain = tmp_path / "p.npz"
    write_zip(plain, [("d/", None), ("notes.txt", b"hi"), ("x.npy", npy(np.int8(1)))], method=zipfile.ZIP_STORED)
    info = tfnpy.inspect(str(plain))
    assert info["notes.txt"].info is None and "magic" in info["notes.txt"].error.lower()
    assert info["x"].compression == "stored" and info["x"].info.shape == ()
    assert isinstance(tfnpy.inspect(npy(np.arange(3))), tfnpy.NpyInfo)
