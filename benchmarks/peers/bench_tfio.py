#!/usr/bin/env python
"""Peer benchmark worker for tensorflow-io (its own venv: tensorflow-io 0.37.1 needs
TensorFlow 2.16 and NumPy 1.x). Reads `.npy` files by filename inside the graph,
mapped per element like the seed pipeline:

    tfio_from_numpy_file   the documented path, per element:
        map(lambda p: tfio.experimental.IODataset.from_numpy_file(p, spec={"": dt})
                          .batch(rows).get_single_element()[""])
        In graph mode from_numpy_file needs `spec`; a .npy file's one array is named ""
        (a tuple spec looks for "arr_0" and fails on .npy files). The dataset yields
        the array's rows (it reads them with the IO>NumpyRead kernel in chunks of
        1024 rows, then unbatches), so `.batch(rows)` puts the array back together.
    tfio_numpy_read_op     the kernel under that path, called directly (internal API,
        tensorflow_io.python.ops.core_ops.io_numpy_read): one op per file, no nested
        dataset; tensorflow-io's best case, not a documented entry point.

In the .npz cases (the spec has "npz_key", the member "x") both name that member
instead of "": spec={"x": dt} and array="x" (tensorflow-io 0.37.1 reads stored and
deflated members alike). Should the probe read of the first archive raise, the
pipeline is reported as skipped with that error rather than failing the run.

Each is `from_tensor_slices(paths).repeat(R).map(f, num_parallel_calls=AUTOTUNE)
.batch(32).prefetch(AUTOTUNE)`, timed exactly like bench_tf.py (shared TFRunner).
(`interleave(lambda p: from_numpy_file(p, spec).batch(rows))` is the other documented
shape; it measured ~2.5x slower than the map variant on the small case, so it is left out.)
Usage: see peerproto.py.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerproto  # noqa: E402  (must come first: it moves stdout aside)
import tensorflow as tf  # noqa: E402
from bench_tf import AUTOTUNE, TFRunner, paths_ds, tf_dtype  # noqa: E402
from peerproto import Skip  # noqa: E402

try:
    import tensorflow_io as tfio
    from tensorflow_io.python.ops import core_ops

    TFIO_ERROR = None
except Exception as e:  # noqa: BLE001
    tfio = core_ops = None
    TFIO_ERROR = "%s: %s" % (type(e).__name__, e)


def array_name(s):
    """The array's name for tensorflow-io: "" in a .npy file, the member key in a .npz."""
    return s.get("npz_key") or ""


def from_numpy_file_fn(s):
    tdt, shape, name = tf_dtype(s), s["shape"], array_name(s)

    def f(p):
        ds = tfio.experimental.IODataset.from_numpy_file(p, spec={name: tdt})
        return tf.ensure_shape(ds.batch(shape[0]).get_single_element()[name], shape)

    return f


def numpy_read_op_fn(s):
    tdt, shape, name = tf_dtype(s), s["shape"], array_name(s)
    shape_t = tf.constant(shape, tf.int64)

    def f(p):
        x = core_ops.io_numpy_read(address=0, filename=p, array=name, shape=shape_t, start=0, stop=shape[0], dtype=tdt)
        return tf.ensure_shape(x, shape)

    return f


FNS = {"tfio_from_numpy_file": from_numpy_file_fn, "tfio_numpy_read_op": numpy_read_op_fn}


def _pipeline(name):
    def make(s):
        return paths_ds(s).map(FNS[name](s), num_parallel_calls=AUTOTUNE).batch(s["batch"]).prefetch(AUTOTUNE)

    return make


tfio_from_numpy_file = _pipeline("tfio_from_numpy_file")
tfio_numpy_read_op = _pipeline("tfio_numpy_read_op")


PIPELINES = {
    "tfio_from_numpy_file": tfio_from_numpy_file,
    "tfio_numpy_read_op": tfio_numpy_read_op,
}


def build(spec):
    if tfio is None:
        raise Skip("tensorflow-io not importable in %s (%s)" % (sys.executable, TFIO_ERROR))
    if spec.get("npz_key"):
        # Can tensorflow-io read this kind of archive at all? An error here is a skip
        # (reported with the error); wrong values are caught by TFRunner.check.
        try:
            tf.function(FNS[spec["pipeline"]](spec))(tf.constant(spec["paths"][0]))
        except Exception as e:  # noqa: BLE001
            raise Skip("tensorflow-io cannot read %s: %s: %s" % (
                spec["paths"][0], type(e).__name__, " ".join(str(e).split())[:300])) from e
    return TFRunner(spec, PIPELINES[spec["pipeline"]], {"tensorflow_io": tfio.__version__})


if __name__ == "__main__":
    peerproto.main(build, PIPELINES)
