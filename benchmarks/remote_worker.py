"""TensorFlow side of the benchmark's remote case (remote.py): one gs:// pipeline.

Started by remote.py (never by hand) as `python remote_worker.py '<json spec>'`
with the environment that sends TensorFlow's gs:// requests to the emulator
(tests/gcs_emulator.py): TensorFlow reads it at import. Same line protocol as
worker.py (whose setup and pass loop it uses): "ready" once the first batch
matches np.load of the local copies of the files, then one timed pass per
"run" command.

spec: pipeline (a name in PIPELINES), urls (a local text file of the files'
gs:// URLs, one a line), local (the same files on local disk, for the check),
limit (how many of the files the row reads; from_csv reads them all),
csv (the gs:// URL of a CSV of the files, relative names), shape, dtype,
batch (elements per batch of the per-element rows), call_batch (files per
batched read_npy call).
"""

import json
import sys

import worker  # The protocol channel, then TensorFlow and tfnpy (in that order).
from worker import AUTOTUNE, np, send, tf, tfnpy


def _private_pool(ds, threads=64):
    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    return ds.with_options(options)


class Spec:
    def __init__(self, spec):
        with open(spec["urls"]) as f:
            self.urls = [line.strip() for line in f if line.strip()][: spec["limit"]]
        with open(spec["local"]) as f:
            self.local = [line.strip() for line in f if line.strip()][: spec["limit"]]
        self.csv = spec["csv"]
        self.shape = tuple(spec["shape"])
        self.dtype = tf.as_dtype(spec["dtype"])
        self.batch = int(spec["batch"])
        self.call_batch = int(spec["call_batch"])

    def paths(self):
        return tf.data.Dataset.from_tensor_slices(self.urls)

    def read(self, p):
        return tfnpy.read_npy(p, self.dtype, shape=self.shape)


PIPELINES = {
    # TensorFlow's own read, as a user without tfnpy would (bytes, not decoded).
    "read_file_map": lambda s: s.paths().map(tf.io.read_file, num_parallel_calls=AUTOTUNE).batch(s.batch),
    "batched_read_npy": lambda s: s.paths().batch(s.call_batch).map(s.read, num_parallel_calls=AUTOTUNE),
    "read_npy": lambda s: s.paths().map(s.read, num_parallel_calls=AUTOTUNE).batch(s.batch),
    "read_npy_private64": lambda s: _private_pool(s.paths().map(s.read, num_parallel_calls=AUTOTUNE).batch(s.batch)),
    "from_csv": lambda s: tfnpy.data.from_csv(s.csv, dtype=s.dtype, shape=s.shape).batch(s.batch),
}


def check_first_batch(batch, s, name):
    """The first elements against np.load of the same files (outside timing)."""
    part = tf.nest.flatten(batch)[0].numpy()
    for i in range(min(4, len(part))):
        with open(s.local[i], "rb") as f:
            raw = f.read()
        if name.startswith("read_file"):
            if part[i] != raw:
                raise AssertionError("read_file bytes of %s differ from the file" % s.urls[i])
        elif not np.array_equal(part[i], np.load(s.local[i])):
            raise AssertionError("element %d differs from np.load of %s" % (i, s.local[i]))
    return "first elements equal np.load"


def main():
    spec = json.loads(sys.argv[1])
    if worker.tfnpy is None:
        send({"status": "skipped", "note": "tfnpy not importable (%s)" % worker.TFNPY_ERROR})
        return
    s = Spec(spec)
    ds = PIPELINES[spec["pipeline"]](s).prefetch(AUTOTUNE)
    try:
        check = check_first_batch(next(iter(ds)), s, spec["pipeline"])
    except Exception as e:  # noqa: BLE001 - reported to the coordinator
        send({"status": "failed", "note": "%s: %s" % (type(e).__name__, str(e)[:300])})
        return
    worker.serve(ds, None, check, 1)


if __name__ == "__main__":
    main()
