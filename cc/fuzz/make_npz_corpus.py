"""Writes the archive fuzzer's seed corpus in cc/fuzz/corpus_npz/: .npz files
as np.savez and np.savez_compressed write them, zipfile's variants (zip64
records from force_zip64, data descriptors from a non-seekable stream,
comments, directories, UTF-8 names, bzip2/lzma members) and a few broken
ones. Small files only (each well under the fuzzer's -max_len).

    python cc/fuzz/make_npz_corpus.py

Deterministic: zip timestamps are fixed, so running it again rewrites the
same bytes.
"""

import os
import sys
import zipfile

import numpy as np

# The zip and .npy writers the tests use (tests/npy_testutil.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
from npy_testutil import numpy_npy, zip_bytes  # noqa: E402

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_npz")
os.makedirs(here, exist_ok=True)
DATE = (2020, 1, 1, 0, 0, 0)
rng = np.random.default_rng(0)


def npy(array):
    return numpy_npy(array)


def archive(name, members, method=zipfile.ZIP_STORED, stream=False, force_zip64=False, comment=b""):
    raw = zip_bytes(members, method, stream=stream, force_zip64=force_zip64, comment=comment, date=DATE)
    with open(os.path.join(here, name + ".npz"), "wb") as f:
        f.write(raw)
    return raw


small = [("x.npy", npy(rng.random((3, 4)))), ("arr_0.npy", npy(np.arange(6, dtype=">i2").reshape(2, 3)))]
archive("stored", small)
archive("deflated", small, zipfile.ZIP_DEFLATED)
archive("zip64_stored", small, force_zip64=True)
archive("zip64_deflated", small, zipfile.ZIP_DEFLATED, force_zip64=True)
archive("descriptor_deflated", small, zipfile.ZIP_DEFLATED, stream=True)
archive("descriptor_zip64", small, zipfile.ZIP_DEFLATED, stream=True, force_zip64=True)
archive("comment_dirs_utf8", [("sub/", None), ("sub/\u00e9t\u00e9.npy", npy(np.ones(3, bool)))] + small[:1],
        comment=b"written by make_npz_corpus.py")
archive("bzip2", small[:1], zipfile.ZIP_BZIP2)
archive("lzma", small[:1], zipfile.ZIP_LZMA)
archive("fortran_c16", [("f.npy", npy(np.asfortranarray((rng.random((3, 2)) + 1j).astype("<c16"))))],
        zipfile.ZIP_DEFLATED)
archive("not_npy_member", [("notes.txt", b"hello")])
archive("empty", [])
good = archive("big_rows", [("rows.npy", npy(np.arange(1500, dtype="<u2").reshape(300, 5)))], zipfile.ZIP_DEFLATED)
with open(os.path.join(here, "err_truncated.npz"), "wb") as f:
    f.write(good[: len(good) // 2] + good[-22:])
bad = bytearray(good)
bad[60] ^= 0xFF  # Inside the deflate stream.
with open(os.path.join(here, "err_corrupt_deflate.npz"), "wb") as f:
    f.write(bytes(bad))
# End records zipfile reads though damaged (issue #23): a count on this disk
# that differs from the total, a comment length running past the end.
quirk = bytearray(archive("stored", small))
end = quirk.rindex(b"PK\x05\x06")
quirk[end + 8] = 7
with open(os.path.join(here, "quirk_disk_count.npz"), "wb") as f:
    f.write(bytes(quirk))
quirk[end + 8] = quirk[end + 10]
quirk[end + 20:end + 22] = b"\xff\xff"
with open(os.path.join(here, "quirk_comment_past_end.npz"), "wb") as f:
    f.write(bytes(quirk))
open(os.path.join(here, "zero_bytes.npz"), "wb").close()
