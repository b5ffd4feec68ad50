"""tfnpy: decode NumPy .npy files natively inside TensorFlow graphs.

    ds = ds.map(lambda p: tfnpy.decode_npy(tf.io.read_file(p), tf.float32))
    ds = ds.map(lambda p: tfnpy.read_npy(p, tf.float32, shape=[224, 224, 3]))

``tfnpy.inspect`` and ``tfnpy.loads`` use the same C++ core without TensorFlow.
"""

from tfnpy._version import __version__
from tfnpy._core import NpyInfo, NpzInfo, NpzMember, inspect, loads
from tfnpy._ops import decode_npy, decode_npz, read_npy, read_npz
from tfnpy import data

__all__ = ["__version__", "NpyInfo", "NpzInfo", "NpzMember", "data", "decode_npy", "decode_npz", "inspect", "loads", "read_npy", "read_npz"]
