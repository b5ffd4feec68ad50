"""tfnpy: decode NumPy .npy files natively inside TensorFlow graphs.

>>> import tfnpy
>>> ds = ds.map(lambda p: tfnpy.decode_npy(tf.io.read_file(p), tf.float32))  # doctest: +SKIP
"""

from tfnpy._version import __version__
from tfnpy._ops import decode_npy

__all__ = ["__version__", "decode_npy"]
