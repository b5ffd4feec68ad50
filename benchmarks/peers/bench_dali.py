#!/usr/bin/env python
"""Peer benchmark worker for NVIDIA DALI, CPU only (its own venv; no GPU needed):

    @pipeline_def(batch_size=32, num_threads=2, device_id=None)
    def pipe():
        return fn.readers.numpy(device="cpu", file_root=DIR, files=[...names...])

consumed with `pipe.run()` in a Python loop (DALI's own API, no framework plugin).
Two variants: `dali_cpu` with DALI's defaults, and `dali_cpu_static_exec` with
`exec_dynamic=False`. DALI's docs: the default execution model "uses dynamic memory
allocation for pipeline outputs and inter-operator buffers"; `exec_dynamic=False` selects
the older one, which keeps fixed output buffers. With the default, DALI's outputs are, in
some processes and not others, freshly faulted-in memory: perf showed 84% of the page
faults of a slow process on anonymous memory (~260k faults per medium pass), against ~40k
faults in a fast one; the static executor ran at ~40k faults every time, and faster.

Epochs. The reader does not stop at the end of the file list: with the defaults
(pad_last_batch=False, one shard) it cycles through the files forever and a batch
that straddles the end of the list is filled from the start of the next epoch. So a
pass is B = ceil(R*N/32) consecutive batches; when R*N is a multiple of 32 (run_peers.py
picks R so that it is) those batches hold every one of the N files exactly R times,
wherever in the cycle the pass starts. check() verifies that on one full pass (by each
sample's source_info) and compares the first samples with np.load.

Prefetching. The pipeline runs ahead of the consumer (prefetch_queue_depth=2: one
batch is computed in the background while the user holds the last one). Between
passes the worker waits until the process is idle, so one batch is ready before a pass
starts. run_pass() takes that batch (and any other already prefetched, i.e.
prefetch_queue_depth - 1) before the clock starts, then times B batches produced
while the clock runs. Without it a pass would get ~1 batch for free (0.8% of a
medium pass of 125 batches, 4% of a large one of 25).

Usage: see peerproto.py.
"""

import math
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import peerproto  # noqa: E402  (before DALI: it moves stdout aside)
from peerproto import Skip  # noqa: E402

try:
    import nvidia.dali as dali
    from nvidia.dali import fn, pipeline_def

    DALI_ERROR = None
except Exception as e:  # noqa: BLE001
    dali = fn = pipeline_def = None
    DALI_ERROR = "%s: %s" % (type(e).__name__, e)

NUM_THREADS = 2
PREFETCH_QUEUE_DEPTH = 2  # DALI's default, spelled out
# pipeline name -> extra Pipeline arguments
PIPELINES = {
    "dali_cpu": {},  # DALI's defaults (2.x: the dynamic executor)
    "dali_cpu_static_exec": {"exec_dynamic": False},  # the older execution model: fixed output buffers
}


class DaliRunner:
    def __init__(self, spec):
        self.spec = spec
        paths = spec["paths"]
        root = os.path.commonpath([os.path.dirname(p) for p in paths])
        files = [os.path.relpath(p, root) for p in paths]
        self.n_files = len(files)
        self.batch = spec["batch"]
        self.samples = spec["repeat"] * self.n_files
        self.batches = math.ceil(self.samples / self.batch)

        @pipeline_def(batch_size=self.batch, num_threads=NUM_THREADS, device_id=None,
                      prefetch_queue_depth=PREFETCH_QUEUE_DEPTH, **PIPELINES[spec["pipeline"]])
        def npy_pipe():
            return fn.readers.numpy(device="cpu", file_root=root, files=files, name="Reader")

        t0 = time.perf_counter()
        self.pipe = npy_pipe()
        self.pipe.build()
        self.build_s = time.perf_counter() - t0
        epoch = self.pipe.epoch_size("Reader")
        if epoch != self.n_files:
            raise AssertionError("reader epoch_size %d != %d files" % (epoch, self.n_files))
        self.versions = {"dali": dali.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}

    def check(self):
        """One full pass, untimed: every file exactly `repeat` times, values equal np.load."""
        seen = {}
        dense = True
        first = None
        for _ in range(self.batches):
            (out,) = self.pipe.run()
            dense = dense and out.is_dense_tensor()
            for i in range(len(out)):
                src = out[i].source_info()
                seen[src] = seen.get(src, 0) + 1
                if first is None or len(first) < 4:
                    first = (first or []) + [(src, np.array(out[i]))]
        counts = set(seen.values())
        exact = self.samples == self.batches * self.batch
        if exact and (len(seen) != self.n_files or counts != {self.spec["repeat"]}):
            raise AssertionError("one pass read %d distinct files with counts %s; expected all %d files x %d"
                                 % (len(seen), sorted(counts), self.n_files, self.spec["repeat"]))
        for src, arr in first:
            ref = np.load(src if os.path.isabs(src) else os.path.join(os.path.dirname(self.spec["paths"][0]), src))
            if arr.shape != ref.shape or not np.array_equal(arr, ref):
                raise AssertionError("sample from %s differs from np.load" % src)
        self.dense = dense
        wrapped = "" if exact else " (+%d wrapped samples)" % (self.batches * self.batch - self.samples)
        return ("%d batches: every file read %d time(s)%s; first %d samples equal np.load; outputs %s"
                % (self.batches, self.spec["repeat"], wrapped, len(first), "dense" if dense else "not dense"))

    def run_pass(self):
        pre = []
        for _ in range(PREFETCH_QUEUE_DEPTH - 1):  # already computed while idle: not timed
            t = time.perf_counter()
            self.pipe.run()
            pre.append(time.perf_counter() - t)
        lat = []
        t0 = time.perf_counter()
        for i in range(self.batches):
            if i < 3:
                t = time.perf_counter()
                self.pipe.run()
                lat.append(time.perf_counter() - t)
            else:
                self.pipe.run()
        dt = time.perf_counter() - t0
        return {"elements": self.batches * self.batch, "seconds": dt,
                "untimed_prefetched_ms": [round(x * 1e3, 3) for x in pre],
                "first_batches_ms": [round(x * 1e3, 3) for x in lat]}


def build(spec):
    if dali is None:
        raise Skip("DALI not importable in %s (%s)" % (sys.executable, DALI_ERROR))
    return DaliRunner(spec)


if __name__ == "__main__":
    peerproto.main(build, PIPELINES)
