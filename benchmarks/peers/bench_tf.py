#!/usr/bin/env python
"""Peer benchmark worker for the main venv (TensorFlow + tfnpy): the reference
pipelines every peer figure is divided by, and tfnpy's best pipelines.

    seed_numpy_function   map(tf.numpy_function(np.load))          the seed article's way
    read_file_floor       map(tf.io.read_file)                     reading without decoding
    read_npy              map(tfnpy.read_npy(p, dt, shape=...))    per element
    batched_read_npy      batch(32).map(tfnpy.read_npy(p, ...))    one op call per batch
    read_npz              map(tfnpy.read_npz(p, key, dt, shape=...))  per element (.npz cases)
    batched_read_npz      batch(32).map(tfnpy.read_npz(p, key, ...))  one op call per batch

In the .npz cases (the spec has "npz_key": each archive's member, "x") the seed loads
np.load(p)["x"], the floor reads the archives' bytes, and the first-batch check compares
against np.load(path)["x"].

Each is `Dataset.from_tensor_slices(paths).repeat(R).map(f, num_parallel_calls=AUTOTUNE)
.batch(32).prefetch(AUTOTUNE)` (batched_read_npy: batch first), the same code as
benchmarks/worker.py. A pass creates an iterator and drains it in a tf.function
(a graph while loop, no Python per batch); the pass time runs from iter(ds) to the
last element; destroying the iterator is not timed (see benchmarks/README.md).

bench_tfio.py reuses `TFRunner` for tensorflow-io's pipelines. Usage: see peerproto.py.
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerproto  # noqa: E402  (must come first: it moves stdout aside)
from peerproto import Skip  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

AUTOTUNE = tf.data.AUTOTUNE


class TFRunner:
    """Times a tf.data pipeline built by make_ds(spec) (see the module doc)."""

    def __init__(self, spec, make_ds, versions, raw_bytes=False):
        self.spec = spec
        self.ds = make_ds(spec)
        self.raw_bytes = raw_bytes  # the pipeline yields file bytes (the floor)
        self.versions = dict(versions, tensorflow=tf.__version__, numpy=np.__version__,
                             python=sys.version.split()[0])

        @tf.function
        def drain(it):
            n = tf.constant(0, tf.int64)
            for b in it:
                n += tf.shape(tf.nest.flatten(b)[0], out_type=tf.int64)[0]
            return n

        self._drain = drain

    def check(self):
        s = self.spec
        key = s.get("npz_key")
        batch = next(iter(self.ds))
        if self.raw_bytes:
            got = batch.numpy()
            for i in range(min(2, len(got))):
                with open(s["paths"][i], "rb") as f:
                    if got[i] != f.read():
                        raise AssertionError("read_file bytes differ from the file")
            return "bytes ok"
        arr = tf.nest.flatten(batch)[0].numpy()
        k = min(4, arr.shape[0])
        for i in range(k):
            ref = load_ref(s["paths"][i], key)
            if arr[i].shape != ref.shape or not np.array_equal(arr[i], ref):
                raise AssertionError("element %d differs from np.load(%s)%s" % (i, s["paths"][i], "[%r]" % key if key else ""))
        return "first %d elements equal np.load%s" % (k, '(path)["%s"]' % key if key else "")

    def run_pass(self):
        t0 = time.perf_counter()
        it = iter(self.ds)
        n = self._drain(it)
        dt = time.perf_counter() - t0
        n = int(n.numpy())
        t1 = time.perf_counter()
        del it
        return {"elements": n, "seconds": dt, "teardown_s": time.perf_counter() - t1}


def load_ref(path, key=None):
    """What np.load gives for a file: the array of a .npy, member `key` of a .npz."""
    if key is None:
        return np.load(path)
    with np.load(path) as z:
        return z[key]


def paths_ds(s):
    ds = tf.data.Dataset.from_tensor_slices(s["paths"])
    return ds.repeat(s["repeat"]) if s["repeat"] > 1 else ds


def tf_dtype(s):
    return tf.as_dtype(np.dtype(s["dtype"]))


# --------------------------------------------------------------------------- pipelines


def seed_numpy_function(s):
    npdt, tdt = np.dtype(s["dtype"]), tf_dtype(s)

    key = s.get("npz_key")

    def load(p):  # inside numpy_function the path arrives as bytes; .npz: np.load(p)["x"]
        return (np.load(p.decode())[key] if key else np.load(p.decode())).astype(npdt)

    return (paths_ds(s).map(lambda p: tf.numpy_function(load, [p], tdt), num_parallel_calls=AUTOTUNE)
            .batch(s["batch"]).prefetch(AUTOTUNE))


def read_file_floor(s):
    return paths_ds(s).map(tf.io.read_file, num_parallel_calls=AUTOTUNE).batch(s["batch"]).prefetch(AUTOTUNE)


def _tfnpy(op="read_npy"):
    try:
        import tfnpy
    except Exception as e:  # noqa: BLE001
        raise Skip("tfnpy not importable in %s (%s: %s)" % (sys.executable, type(e).__name__, e)) from e
    if not hasattr(tfnpy, op):
        raise Skip("tfnpy.%s does not exist in this build" % op)
    return tfnpy


def read_npy(s):
    tfnpy = _tfnpy()
    tdt, shape = tf_dtype(s), s["shape"]
    return (paths_ds(s).map(lambda p: tfnpy.read_npy(p, tdt, shape=shape), num_parallel_calls=AUTOTUNE)
            .batch(s["batch"]).prefetch(AUTOTUNE))


def batched_read_npy(s):
    tfnpy = _tfnpy()
    tdt, shape = tf_dtype(s), s["shape"]
    return (paths_ds(s).batch(s["batch"]).map(lambda p: tfnpy.read_npy(p, tdt, shape=shape), num_parallel_calls=AUTOTUNE)
            .prefetch(AUTOTUNE))


def read_npz(s):
    tfnpy = _tfnpy("read_npz")
    tdt, shape, key = tf_dtype(s), s["shape"], s["npz_key"]
    return (paths_ds(s).map(lambda p: tfnpy.read_npz(p, key, tdt, shape=shape), num_parallel_calls=AUTOTUNE)
            .batch(s["batch"]).prefetch(AUTOTUNE))


def batched_read_npz(s):
    tfnpy = _tfnpy("read_npz")
    tdt, shape, key = tf_dtype(s), s["shape"], s["npz_key"]
    return (paths_ds(s).batch(s["batch"]).map(lambda p: tfnpy.read_npz(p, key, tdt, shape=shape),
                                               num_parallel_calls=AUTOTUNE)
            .prefetch(AUTOTUNE))


PIPELINES = {
    "seed_numpy_function": seed_numpy_function,
    "read_file_floor": read_file_floor,
    "read_npy": read_npy,
    "batched_read_npy": batched_read_npy,
    "read_npz": read_npz,
    "batched_read_npz": batched_read_npz,
}
NPZ_ONLY = ("read_npz", "batched_read_npz")


def build(spec):
    name = spec["pipeline"]
    versions = {}
    if bool(spec.get("npz_key")) != (name in NPZ_ONLY) and name not in ("seed_numpy_function", "read_file_floor"):
        raise Skip("%s reads %s files; this case has %s files" % (
            name, ".npz" if name in NPZ_ONLY else ".npy", ".npz" if spec.get("npz_key") else ".npy"))
    if name in ("read_npy", "batched_read_npy") + NPZ_ONLY:
        tfnpy = _tfnpy("read_npz" if name in NPZ_ONLY else "read_npy")
        versions = {"tfnpy": getattr(tfnpy, "__version__", "unknown"), "tfnpy_file": tfnpy.__file__}
    return TFRunner(spec, PIPELINES[name], versions, raw_bytes=(name == "read_file_floor"))


if __name__ == "__main__":
    peerproto.main(build, PIPELINES)
