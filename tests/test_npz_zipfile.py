""".npz archives as np.load (Python's zipfile) reads them, and what the reader says (issue #23).

Damaged end records that zipfile reads are read the same; what it refuses is
refused; a member is named once in a message; ``max_output_bytes`` caps what
one archive's members select in all.
"""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest
import tensorflow as tf

import tfnpy

ARRAYS = {"x": np.arange(12, dtype=np.float64).reshape(3, 4), "y": np.arange(5, dtype=np.int32)}


def archive(compressed: bool) -> bytearray:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **ARRAYS)
    return bytearray(buf.getvalue())


def end_record(raw: bytearray) -> int:
    return raw.rindex(b"PK\x05\x06")


def damaged(compressed: bool, what: str) -> bytearray:
    raw = archive(compressed)
    end = end_record(raw)
    if what == "entries on this disk":
        raw[end + 8:end + 10] = struct.pack("<H", 7)
    elif what == "total entries":
        raw[end + 10:end + 12] = struct.pack("<H", 7)
    elif what == "disk numbers":
        raw[end + 4:end + 8] = struct.pack("<HH", 1, 1)
    elif what == "comment length past the end":
        raw[end + 20:end + 22] = struct.pack("<H", 0xFFFF)
    elif what == "comment cut short":
        raw[end + 20:end + 22] = struct.pack("<H", 100)
        raw += b"ten bytes!"
    else:
        raise ValueError(what)
    return raw


QUIRKS = ["entries on this disk", "total entries", "disk numbers", "comment length past the end", "comment cut short"]


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("what", QUIRKS)
def test_damaged_end_records_zipfile_reads_are_read_the_same(tmp_path, what, compressed):
    raw = damaged(compressed, what)
    with np.load(io.BytesIO(bytes(raw))) as ref:  # zipfile reads it...
        want = {k: ref[k] for k in ARRAYS}
    path = tmp_path / "a.npz"
    path.write_bytes(bytes(raw))
    dtypes = {k: tf.as_dtype(v.dtype) for k, v in ARRAYS.items()}
    for got in (tfnpy.decode_npz(bytes(raw), dtypes), tfnpy.read_npz(str(path), dtypes),
                {k: v[1] for k, v in tfnpy.read_npz([str(path)] * 2, dtypes).items()}):
        for k in ARRAYS:  # ...and so do we, bit for bit.
            np.testing.assert_array_equal(got[k].numpy(), want[k])
    info = tfnpy.inspect(bytes(raw))
    assert info.keys() == ("x", "y")


def test_both_counts_wrong_is_refused_with_both():
    raw = archive(False)
    end = end_record(raw)
    raw[end + 8:end + 12] = struct.pack("<HH", 7, 5)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"end record declares 5 members \(7 on this disk\), the central directory holds 2"):
        tfnpy.decode_npz(bytes(raw), "x", tf.float64)


def test_a_signature_too_close_to_the_end_is_not_an_archive_for_either():
    raw = archive(False) + b"PK\x05\x06\x00\x00"
    with pytest.raises(zipfile.BadZipFile):
        np.load(io.BytesIO(bytes(raw)))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"not a zip archive: its last end-of-central-directory signature .* 6 bytes before the end"):
        tfnpy.decode_npz(bytes(raw), "x", tf.float64)


def test_the_disk_count_message_no_longer_contradicts_itself():
    raw = archive(False)
    end = end_record(raw)
    raw[end + 8:end + 10] = struct.pack("<H", 7)
    out = tfnpy.decode_npz(bytes(raw), "x", tf.float64)  # Was: "spans several disks (disk 0, directory on disk 0)".
    np.testing.assert_array_equal(out.numpy(), ARRAYS["x"])


def _message(call) -> str:
    with pytest.raises(tf.errors.OpError) as e:
        call()
    return e.value.message


@pytest.mark.parametrize("compressed", [False, True])
def test_a_member_is_named_once(tmp_path, compressed):
    raw = archive(compressed)
    # A CRC that disagrees, in the central directory and the local header.
    c = raw.index(b"PK\x01\x02")
    raw[c + 16] ^= 1
    raw[raw.index(b"PK\x03\x04") + 14] ^= 1
    path = tmp_path / "a.npz"
    path.write_bytes(bytes(raw))
    for call in (lambda: tfnpy.decode_npz(bytes(raw), "x", tf.float64),
                 lambda: tfnpy.read_npz(str(path), "x", tf.float64),
                 lambda: tfnpy.read_npz(str(path), {"x": tf.float64, "y": tf.int32})):
        msg = _message(call)
        assert "CRC-32 of its" in msg, msg
        assert msg.count("member '") == 1 and "x.npy" not in msg, msg
    # Deflated bytes that do not inflate: said once too.
    if compressed:
        bad = archive(True)
        start = bad.index(b"x.npy") + len("x.npy") + 4
        bad[start:start + 40] = b"\xff" * 40
        msg = _message(lambda: tfnpy.decode_npz(bytes(bad), "x", tf.float64))
        assert msg.count("member '") == 1, msg
    # A member that is not a .npy file: its header error, after the member's name, once.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("x.npy", b"not numpy at all")
    msg = _message(lambda: tfnpy.decode_npz(buf.getvalue(), "x", tf.float64))
    assert "DecodeNpz: member 'x': bad magic" in msg and msg.count("member '") == 1, msg


def test_max_output_bytes_caps_each_archive(tmp_path):
    a, b = np.zeros(100, np.float64), np.ones(100, np.float64)  # 800 bytes each.
    path = tmp_path / "ab.npz"
    np.savez(path, a=a, b=b)
    both = {"a": tf.float64, "b": tf.float64}
    # Each member alone fits under the cap; the two in one call do not.
    for key in both:
        assert tfnpy.read_npz(str(path), key, tf.float64, max_output_bytes=1000).shape == (100,)
    with pytest.raises(tf.errors.ResourceExhaustedError,
                       match=r"ReadNpz: '.*ab\.npz': the members read select more than max_output_bytes 1000 in all "
                             r"\('a': 800, 'b': 800 bytes\); the cap applies to each archive"):
        tfnpy.read_npz(str(path), both, max_output_bytes=1000)
    with pytest.raises(tf.errors.ResourceExhaustedError, match="the cap applies to each archive"):
        tfnpy.decode_npz(path.read_bytes(), both, max_output_bytes=1599)
    # Per archive, not per batch: two archives of 1,600 bytes under a cap of 1,600.
    out = tfnpy.read_npz([str(path)] * 2, both, max_output_bytes=1600)
    np.testing.assert_array_equal(out["b"].numpy(), np.stack([b, b]))


def test_an_empty_archive_is_an_error_everywhere(tmp_path):
    """A 0-byte .npz killed the process through read_npz (scalar, first of a
    batch, and inside from_csv): the archive path's arena was asked for 0 bytes."""
    empty = tmp_path / "e.npz"
    empty.write_bytes(b"")
    good = tmp_path / "g.npz"
    np.savez(good, x=np.ones(3, np.float32))
    no_archive = r"not a zip archive: 0 bytes, fewer than an end-of-central-directory record"
    for call in (lambda: tfnpy.read_npz(str(empty), "x", tf.float32),
                 lambda: tfnpy.read_npz([str(empty), str(good)], "x", tf.float32),
                 lambda: tfnpy.read_npz([str(good), str(empty)], "x", tf.float32),
                 lambda: tfnpy.decode_npz(b"", "x", tf.float32),
                 lambda: tfnpy.decode_npz([b"", b""], "x", tf.float32)):
        with pytest.raises(tf.errors.InvalidArgumentError, match=no_archive):
            call()
    csv = tmp_path / "index.csv"
    csv.write_text("e.npz,0\n")
    with pytest.raises(tf.errors.InvalidArgumentError, match=no_archive):
        list(tfnpy.data.from_csv(str(csv), keys="x", dtype=tf.float32, shape=[3], block_size=1))
    with pytest.raises(ValueError, match="0 bytes"):
        tfnpy.inspect(str(empty))
