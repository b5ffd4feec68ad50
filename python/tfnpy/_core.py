"""Framework-free access to the .npy core: inspect headers, decode to numpy."""

from __future__ import annotations

import dataclasses
import errno
import operator
import os
from typing import Optional, Tuple, Union

import numpy as np

from tfnpy import _tfnpy_core

# A path with a scheme (gs://, s3://, ram://...) is read through TensorFlow's
# file systems; with "/" or a scheme, a CSV's path needs no base folder.
# tfnpy.data (in the graph, RE2) and the tfnpy command (Python's re) both use it.
SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]*://"

BytesLike = Union[bytes, bytearray, memoryview]
PathLike = Union[str, "os.PathLike[str]"]

_INT64_MAX = 2**63 - 1


def check_max_header_size(value) -> int:
    """max_header_size as an int in [0, 2**63 - 1], or a short error saying why not."""
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"max_header_size must be an int, got {type(value).__name__}") from None
    if not 0 <= number <= _INT64_MAX:
        raise ValueError(f"max_header_size must be in [0, 2**63 - 1], got {number}")
    return number


def _as_source(source):
    """('path', str) for a path, ('bytes', memoryview) for a bytes-like object.

    The same rule for inspect and loads: str and os.PathLike are paths; any
    object with the buffer protocol (bytes, bytearray, memoryview, a numpy
    uint8 array...) is the file's bytes; anything else is refused with a
    short message (never the object's repr).
    """
    if isinstance(source, (str, os.PathLike)):
        return "path", os.fspath(source)
    try:
        return "bytes", memoryview(source)
    except TypeError:
        raise TypeError(
            "expected a path (str or os.PathLike) or the file's bytes (a bytes-like object), "
            f"got {type(source).__name__}"
        ) from None


@dataclasses.dataclass(frozen=True)
class NpyInfo:
    """What a ``.npy`` header says.

    Attributes:
      dtype: The numpy dtype of the stored data, with its byte order
        (``>f4`` for a big-endian file).
      shape: The logical shape, as ``np.load`` reports it.
      fortran_order: True if the data is stored column-major.
      version: The format version, ``(1, 0)``, ``(2, 0)`` or ``(3, 0)``.
      data_offset: Bytes from the start of the file to the first data byte.
    """

    dtype: np.dtype
    shape: Tuple[int, ...]
    fortran_order: bool
    version: Tuple[int, int]
    data_offset: int

    @property
    def nbytes(self) -> int:
        """Bytes of array data the file holds after the header."""
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


@dataclasses.dataclass(frozen=True)
class NpzMember:
    """One member of an ``.npz`` archive, as ``tfnpy.inspect`` lists it.

    Attributes:
      key: The name numpy gives it (``x`` for ``x.npy``): what ``read_npz`` takes.
      name: The name stored in the archive.
      compression: ``"stored"``, ``"deflated"``, or another method's name
        (``"bzip2"``, ``"lzma"``: listed, not read).
      compressed_size: Bytes the member takes in the archive.
      size: Uncompressed bytes.
      info: The ``.npy`` header (an ``NpyInfo``), or None if the member is a
        directory or not a ``.npy`` file tfnpy reads (then ``error`` says why).
      error: Why ``info`` is None, or None.
    """

    key: str
    name: str
    compression: str
    compressed_size: int
    size: int
    info: Optional[NpyInfo]
    error: Optional[str]


@dataclasses.dataclass(frozen=True)
class NpzInfo:
    """What an ``.npz`` archive holds: its members, in directory order."""

    members: Tuple[NpzMember, ...]

    def __getitem__(self, key: str) -> NpzMember:
        """The member ``np.load(f)[key]`` would read."""
        for name in (key, key + ".npy"):
            for m in reversed(self.members):
                if m.name == name:
                    return m
        raise KeyError(f"{key!r} is not a member; members: {', '.join(m.key for m in self.members)}")

    def keys(self) -> Tuple[str, ...]:
        return tuple(m.key for m in self.members if not m.name.endswith("/"))


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _npz_info(members) -> NpzInfo:
    return NpzInfo(
        tuple(
            NpzMember(
                key=m["key"],
                name=m["name"],
                compression=m["compression"],
                compressed_size=int(m["compressed_size"]),
                size=int(m["size"]),
                info=None if m["header"] is None else _info(m["header"]),
                error=m["error"] if not m["directory"] else "a directory",
            )
            for m in members
        )
    )


def _info(d: dict) -> NpyInfo:
    return NpyInfo(
        dtype=np.dtype(d["descr"]),
        shape=tuple(d["shape"]),
        fortran_order=bool(d["fortran_order"]),
        version=tuple(d["version"]),
        data_offset=int(d["data_offset"]),
    )


def _read(path: str, read):
    """read(file object) on a file: local, or any tf.io.gfile scheme."""
    if "://" not in path:
        with open(path, "rb") as f:
            return read(f)
    import tensorflow as tf  # Only for other file systems (gs://, s3://, ram://).

    try:
        with tf.io.gfile.GFile(path, "rb") as f:
            return read(f)
    except tf.errors.NotFoundError as e:
        raise FileNotFoundError(errno.ENOENT, e.message or "No such file", path) from e
    except tf.errors.OpError as e:
        raise OSError(f"{path}: {e.message}") from e


def _inspect_file(f, max_header_size: int):
    """NpyInfo or NpzInfo of an open binary file: an .npz is recognised by its zip magic."""
    prefix = f.read(_tfnpy_core.MAX_PREAMBLE_SIZE)
    if prefix[:4] not in _ZIP_MAGIC:
        size = _tfnpy_core.header_size(prefix, max_header_size)
        return _info(_tfnpy_core.parse_header(prefix + f.read(max(0, size - len(prefix))), max_header_size))
    f.seek(0, os.SEEK_END)
    size = f.tell()

    def read_at(offset, n):
        f.seek(offset)
        return f.read(n)

    return _npz_info(_tfnpy_core.npz_members_of_file(read_at, size, max_header_size))


def inspect(source: Union[PathLike, BytesLike], *, max_header_size: int = 10000) -> Union[NpyInfo, NpzInfo]:
    """Reads the header of a ``.npy`` file or of its bytes; for an ``.npz``
    archive, lists its members (``NpzInfo``: each member's key, compression,
    sizes and ``.npy`` header), reading only the directory and each member's
    first bytes.

    Only the header is read from a file, and no TensorFlow op runs, so this is
    cheap enough to call on a dataset's first file to learn its dtype and
    shape (``tfnpy.data.from_csv`` does).

    Args:
      source: A path (local, or any scheme ``tf.io.gfile`` knows, such as
        ``gs://``), or the file's bytes (any bytes-like object).
      max_header_size: Longest header accepted, in characters.

    Returns:
      An ``NpyInfo``.

    Raises:
      ValueError: the header is malformed or unsupported; the message is the
        one ``decode_npy`` would give.
      TypeError: ``source`` is neither a path nor bytes-like.
      OSError: the file cannot be read.

    >>> import io, numpy as np, tfnpy
    >>> buf = io.BytesIO(); np.save(buf, np.zeros((2, 3), dtype=">f4"))
    >>> info = tfnpy.inspect(buf.getvalue())
    >>> info.dtype, info.shape, info.fortran_order
    (dtype('>f4'), (2, 3), False)
    """
    max_header_size = check_max_header_size(max_header_size)
    kind, value = _as_source(source)
    if kind == "path":
        return _read(value, lambda f: _inspect_file(f, max_header_size))
    if bytes(value[:4]) in _ZIP_MAGIC:
        return _npz_info(_tfnpy_core.npz_members(value, max_header_size))
    return _info(_tfnpy_core.parse_header(value, max_header_size))


def loads(source: Union[PathLike, BytesLike], *, max_header_size: int = 10000) -> np.ndarray:
    """Decodes a ``.npy`` file, or its bytes, into a numpy array.

    Equal to ``np.load(io.BytesIO(data))`` for every file ``decode_npy``
    accepts, but returned in C order and native byte order, with the GIL
    released while the data is copied. Never unpickles.

    Args:
      source: The complete file contents (any bytes-like object), or a path
        (local, or any scheme ``tf.io.gfile`` knows), as for ``inspect``.
      max_header_size: Longest header accepted, in characters.

    Returns:
      A new array that owns its data.

    Raises:
      ValueError: malformed, truncated or unsupported input.
      MemoryError: the array does not fit in memory (the message gives its size).
      TypeError: ``source`` is neither a path nor bytes-like.
      OSError: the file cannot be read.

    >>> import io, numpy as np, tfnpy
    >>> buf = io.BytesIO(); np.save(buf, np.arange(3, dtype=">i2"))
    >>> tfnpy.loads(buf.getvalue())
    array([0, 1, 2], dtype=int16)
    """
    max_header_size = check_max_header_size(max_header_size)
    kind, value = _as_source(source)
    if kind == "path":
        value = _read(value, lambda f: f.read())
    return _tfnpy_core.loads(value, max_header_size)
