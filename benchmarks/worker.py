"""TensorFlow side of the tfnpy benchmark: one child process per measurement.

Started by run.py (never by hand) as `python worker.py '<json spec>'`. It talks to
the coordinator over its original stdout, one JSON object per line; anything the
pipelines or TensorFlow print goes to stderr (run.py sends that to a log file).

Modes (spec["mode"]):
  probe     report versions and which tfnpy entry points exist, then exit.
  pipeline  build one input pipeline for one case, check its first batch against
            np.load, answer "ready", then run one full pass per "run" command and
            report its time; on "exit" report the peak RSS of this process.
  micro     the in-memory micro-benchmarks; report and exit.

Each pipeline lives in its own process so its peak RSS (ru_maxrss) belongs to it
alone; the coordinator decides when each process runs a pass, so the timed passes
of all pipelines of a case are interleaved.
"""

import csv
import io
import json
import os
import resource
import statistics
import sys
import time

# The protocol channel is the original stdout; everything else printed goes to stderr.
_PROTO = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def send(obj):
    _PROTO.write(json.dumps(obj) + "\n")
    _PROTO.flush()


RSS_START_KB = _status_kb("VmRSS")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

try:
    import tfnpy  # noqa: E402

    TFNPY_ERROR = None
except Exception as e:  # pragma: no cover - depends on the tree's state
    tfnpy = None
    TFNPY_ERROR = "%s: %s" % (type(e).__name__, e)

RSS_IMPORTED_KB = _status_kb("VmRSS")
AUTOTUNE = tf.data.AUTOTUNE


class Skip(Exception):
    """The pipeline cannot run with this build of tfnpy (reported, not an error)."""


def has(attr):
    """True if tfnpy has the dotted attribute, e.g. 'data.from_csv'."""
    obj = tfnpy
    if obj is None:
        return False
    for part in attr.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def need(*attrs):
    if tfnpy is None:
        raise Skip("tfnpy not importable (%s)" % TFNPY_ERROR)
    for a in attrs:
        if not has(a):
            raise Skip("tfnpy.%s does not exist in this build" % a)


def capabilities():
    return {a: has(a) for a in ("decode_npy", "read_npy", "read_npz", "loads", "data", "data.from_csv", "encode_npy",
                                "write_npy")}


def versions():
    return {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "tfnpy": getattr(tfnpy, "__version__", "unknown") if tfnpy is not None else None,
        "tfnpy_file": getattr(tfnpy, "__file__", None) if tfnpy is not None else None,
        "tfnpy_error": TFNPY_ERROR,
        # The zlib ReadNpz inflates with (TensorFlow's), for floor.c's inflate floor.
        "tf_zlib_include": _existing(os.path.join(tf.sysconfig.get_include(), "external", "zlib")),
        "tf_framework_lib": _existing(os.path.join(tf.sysconfig.get_lib(), "libtensorflow_framework.so.2")),
    }


def _existing(path):
    return path if os.path.exists(path) else None


# --------------------------------------------------------------------------- pipelines


class Ctx:
    """What a pipeline builder needs to know about the case."""

    def __init__(self, spec):
        case = spec["case"]
        self.case = case["name"]
        self.csv = case["csv"]
        with open(self.csv, newline="") as f:
            rows = [r for r in csv.reader(f) if r]
        self.paths = [r[0] for r in rows]
        # .npz cases: the CSV lists archives of one member, npz_key; the same arrays
        # are .npy files beside them, which the read_npy rows read.
        self.npz = case.get("npz")
        self.key = case.get("npz_key")
        self.npy_paths = [p[:-4] + ".npy" for p in self.paths] if self.npz else self.paths
        self.repeat = int(case["repeat"])
        self.batch = int(case["batch"])
        self.shape = tuple(case["shape"])
        self.np_dtype = np.dtype(case["out_dtype"])  # native-order result dtype
        self.tf_dtype = tf.as_dtype(self.np_dtype)
        npc = spec.get("npc", "autotune")
        self.npc = AUTOTUNE if npc == "autotune" else int(npc)
        self.intra_op_threads = case.get("intra_op_threads")

    def paths_ds(self, npy=False):
        ds = tf.data.Dataset.from_tensor_slices(self.npy_paths if npy else self.paths)
        return ds.repeat(self.repeat) if self.repeat > 1 else ds

    def load(self, path, npy=False):
        """What np.load gives for one element (the seed's way, also for .npz)."""
        if self.npz and npy:
            return np.load(path[:-4] + ".npy")
        if self.npz:
            with np.load(path) as z:
                return z[self.key]
        return np.load(path)


def seed_numpy_function(c):
    npdt, tdt = c.np_dtype, c.tf_dtype

    def load(p):  # inside numpy_function the path arrives as bytes; .npz: np.load(p)["x"]
        return c.load(p.decode()).astype(npdt)

    def f(p):
        return tf.numpy_function(load, [p], tdt)

    return c.paths_ds().map(f, num_parallel_calls=c.npc).batch(c.batch).prefetch(AUTOTUNE)


def seed_py_function(c):
    tdt = c.tf_dtype

    def load(p):  # inside py_function the path is an EagerTensor
        return np.load(p.numpy().decode())

    def f(p):
        return tf.py_function(load, [p], tdt)

    return c.paths_ds().map(f, num_parallel_calls=c.npc).batch(c.batch).prefetch(AUTOTUNE)


def decode_npy(c):
    need("decode_npy")
    tdt, shape = c.tf_dtype, c.shape

    def f(p):
        return tfnpy.decode_npy(tf.io.read_file(p), tdt, shape=shape)

    return c.paths_ds().map(f, num_parallel_calls=c.npc).batch(c.batch).prefetch(AUTOTUNE)


def batched_decode(c):
    need("decode_npy")
    tdt, shape = c.tf_dtype, c.shape

    def f(b):
        return tfnpy.decode_npy(b, tdt, shape=shape)

    return (
        c.paths_ds()
        .map(tf.io.read_file, num_parallel_calls=c.npc)
        .batch(c.batch)
        .map(f, num_parallel_calls=c.npc)
        .prefetch(AUTOTUNE)
    )


def read_npy(c):
    need("read_npy")
    tdt, shape = c.tf_dtype, c.shape

    def f(p):
        return tfnpy.read_npy(p, tdt, shape=shape)

    return c.paths_ds(npy=True).map(f, num_parallel_calls=c.npc).batch(c.batch).prefetch(AUTOTUNE)


def batched_read_npy(c):
    need("read_npy")
    tdt, shape = c.tf_dtype, c.shape

    def f(p):
        return tfnpy.read_npy(p, tdt, shape=shape)

    return c.paths_ds(npy=True).batch(c.batch).map(f, num_parallel_calls=c.npc).prefetch(AUTOTUNE)


def read_npz(c):
    need("read_npz")
    tdt, shape, key = c.tf_dtype, c.shape, c.key

    def f(p):
        return tfnpy.read_npz(p, key, tdt, shape=shape)

    return c.paths_ds().map(f, num_parallel_calls=c.npc).batch(c.batch).prefetch(AUTOTUNE)


def batched_read_npz(c, **kwargs):
    need("read_npz")
    tdt, shape, key = c.tf_dtype, c.shape, c.key

    def f(p):
        return tfnpy.read_npz(p, key, tdt, shape=shape, **kwargs)

    return c.paths_ds().batch(c.batch).map(f, num_parallel_calls=c.npc).prefetch(AUTOTUNE)


def batched_read_npz_nocrc(c):
    """batched_read_npz with verify_crc=False: every check but the CRC-32."""
    return batched_read_npz(c, verify_crc=False)


def _from_csv(c, **kwargs):
    need("data.from_csv")
    if c.npz:
        kwargs["keys"] = c.key
    ds = tfnpy.data.from_csv(c.csv, dtype=c.tf_dtype, shape=c.shape, **kwargs)
    if c.repeat > 1:
        ds = ds.repeat(c.repeat)
    return ds.batch(c.batch).prefetch(AUTOTUNE)


def from_csv(c):
    return _from_csv(c)


def from_csv_in_memory(c):
    return _from_csv(c, in_memory=True)


def read_npy_one_call(c):
    """Not a tf.data pipeline: one eager read_npy op call over all the case's paths,
    c.repeat times per pass (see run_pipeline)."""
    need("read_npy")
    tdt, shape = c.tf_dtype, c.shape
    paths = tf.constant(c.npy_paths)

    def call():
        return tfnpy.read_npy(paths, tdt, shape=shape)

    return call


def read_npz_one_call(c, **kwargs):
    """read_npy_one_call for .npz archives: one read_npz op call over all paths."""
    need("read_npz")
    tdt, shape, key = c.tf_dtype, c.shape, c.key
    paths = tf.constant(c.paths)

    def call():
        return tfnpy.read_npz(paths, key, tdt, shape=shape, **kwargs)

    return call


def read_npz_one_call_nocrc(c):
    """read_npz_one_call with verify_crc=False."""
    return read_npz_one_call(c, verify_crc=False)


def from_csv_batched(c):
    need("data.from_csv")
    keys = dict(keys=c.key) if c.npz else {}
    ds = tfnpy.data.from_csv(c.csv, dtype=c.tf_dtype, shape=c.shape, batch_size=c.batch, **keys)
    if c.repeat > 1:
        ds = ds.repeat(c.repeat)
    return ds.prefetch(AUTOTUNE)


def csv_dataset_read_npy(c):
    """from_csv as it was before it read blocks: CsvDataset rows, each path
    resolved and read by its own read_npy call, the user's batch(32) after."""
    need("read_npy")
    tdt, shape, base = c.tf_dtype, c.shape, os.path.dirname(c.csv)

    def f(p, y):
        p = tf.where(tf.strings.regex_full_match(p, r"^(/|[A-Za-z][A-Za-z0-9+.\-]*://).*"), p,
                     tf.strings.join([base, p], separator="/"))
        return tfnpy.read_npy(p, tdt, shape=shape), y

    ds = tf.data.experimental.CsvDataset(c.csv, [tf.string, tf.int64]).map(f, num_parallel_calls=c.npc)
    if c.repeat > 1:
        ds = ds.repeat(c.repeat)
    return ds.batch(c.batch).prefetch(AUTOTUNE)


def read_file_floor(c):
    return (
        c.paths_ds()
        .map(tf.io.read_file, num_parallel_calls=c.npc)
        .batch(c.batch)
        .prefetch(AUTOTUNE)
    )


PIPELINES = {
    "seed_numpy_function": seed_numpy_function,
    "seed_py_function": seed_py_function,
    "decode_npy": decode_npy,
    "batched_decode": batched_decode,
    "read_npy": read_npy,
    "batched_read_npy": batched_read_npy,
    "from_csv": from_csv,
    "from_csv_in_memory": from_csv_in_memory,
    "from_csv_batched": from_csv_batched,
    "csv_dataset_read_npy": csv_dataset_read_npy,
    "read_file_floor": read_file_floor,
    "read_npy_one_call": read_npy_one_call,
    "read_npz": read_npz,
    "batched_read_npz": batched_read_npz,
    "read_npz_one_call": read_npz_one_call,
    "batched_read_npz_nocrc": batched_read_npz_nocrc,
    "read_npz_one_call_nocrc": read_npz_one_call_nocrc,
}
NPY_TWIN_ROWS = ("read_npy", "batched_read_npy", "read_npy_one_call")  # in .npz cases: read the .npy files


def _array_part(batch, c):
    """The decoded-array component of a batch (from_csv may add labels)."""
    flat = tf.nest.flatten(batch)
    for t in flat:
        if t.dtype == c.tf_dtype and t.shape.rank == len(c.shape) + 1:
            return t
    for t in flat:
        if t.dtype == c.tf_dtype:
            return t
    return flat[0]


def check_first_batch(batch, c, name):
    """Compare the first elements of the first batch with np.load (outside timing)."""
    if name == "read_file_floor":
        got = batch.numpy()
        for i in range(min(2, len(got))):
            with open(c.paths[i], "rb") as f:
                if got[i] != f.read():
                    raise AssertionError("read_file bytes differ from the file")
        return "bytes ok"
    arr = _array_part(batch, c).numpy()
    k = min(4, arr.shape[0])
    for i in range(k):
        ref = c.load(c.paths[i], npy=name in NPY_TWIN_ROWS).astype(c.np_dtype)
        if arr[i].shape != ref.shape:
            raise AssertionError("element %d has shape %s, np.load gives %s" % (i, arr[i].shape, ref.shape))
        if not np.array_equal(arr[i], ref):
            raise AssertionError("element %d differs from np.load of %s" % (i, c.paths[i]))
    return "first %d elements equal np.load" % k


def run_pipeline(spec):
    c = Ctx(spec)
    name = spec["pipeline"]
    if c.intra_op_threads:
        # Before the first op runs; TF's default is the CPUs the process may use.
        tf.config.threading.set_intra_op_parallelism_threads(c.intra_op_threads)
    try:
        ds = PIPELINES[name](c)
    except Skip as e:
        send({"status": "skipped", "note": str(e)})
        return
    # A builder gives a Dataset, or (read_npy_one_call) a function whose every
    # call is one op call giving a whole batch.
    call = None if isinstance(ds, tf.data.Dataset) else ds
    try:
        check = check_first_batch(call() if call else next(iter(ds)), c, name)
    except Exception as e:
        send({"status": "failed", "note": "%s: %s" % (type(e).__name__, str(e)[:300])})
        return

    serve(ds, call, check, c.repeat)


def serve(ds, call, check, repeat):
    """Answer "ready" (with `check`), then time one pass of `ds` (or `repeat`
    calls of `call`) per "run" command until "exit". Also remote_worker.py's."""
    # Drain an iterator inside a tf.function (a graph while loop: no Python per
    # batch). The iterator is created inside the timed region but destroyed
    # outside it: destroying a tf.data iterator can block until the autotuner's
    # background thread next wakes up (its period doubles from 10 ms, so a pass
    # that ends at 0.35 s may wait until 0.63 s), a fixed per-epoch wait that
    # otherwise shows up as random +0.3 s outliers.
    @tf.function
    def drain(it):
        n = tf.constant(0, tf.int64)
        for b in it:
            n += tf.shape(tf.nest.flatten(b)[0], out_type=tf.int64)[0]
        return n

    send(
        {
            "status": "ready",
            "check": check,
            "rss_start_kb": RSS_START_KB,
            "rss_imported_kb": RSS_IMPORTED_KB,
            "rss_ready_kb": _status_kb("VmRSS"),
            "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        }
    )
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "run":
            try:
                t0 = time.perf_counter()
                if call:
                    # Eager ops are synchronous: each result is complete (and dropped) here.
                    n = sum(int(call().shape[0]) for _ in range(repeat))
                    dt, teardown = time.perf_counter() - t0, 0.0
                else:
                    it = iter(ds)
                    n = drain(it)
                    dt = time.perf_counter() - t0
                    n = int(n.numpy())
                    t1 = time.perf_counter()
                    del it
                    teardown = time.perf_counter() - t1
            except Exception as e:
                send({"error": "%s: %s" % (type(e).__name__, str(e)[:300])})
                continue
            send({"elements": n, "seconds": dt, "teardown_s": teardown})
        elif cmd["cmd"] == "exit":
            send(
                {
                    "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                    "vmhwm_kb": _status_kb("VmHWM"),
                }
            )
            return


# --------------------------------------------------------------------------- micro


def _npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _bench(benches, rounds, min_time):
    """benches: list of (key, fn). Calibrate a loop count per bench, then run
    `rounds` rounds with the order rotated each round; median seconds per call."""
    loops = {}
    for key, fn in benches:
        fn()
        n, t = 1, 0.0
        while True:
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            t = time.perf_counter() - t0
            if t >= min_time / 4 or n >= 1 << 20:
                break
            n *= 2
        loops[key] = max(1, int(n * (min_time / max(t, 1e-9))))
    samples = {key: [] for key, _ in benches}
    for r in range(rounds):
        order = benches[r % len(benches):] + benches[: r % len(benches)]
        for key, fn in order:
            n = loops[key]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[key].append((time.perf_counter() - t0) / n)
    return {k: {"median_s": statistics.median(v), "samples_s": v, "loops": loops[k]} for k, v in samples.items()}


def _decode_loop_fn(shape, k):
    """A tf.function that decodes its input k times in a graph loop. A tf.function
    call costs ~0.3 ms of Python on this class of machine, more than decoding 4 MB,
    so one call per decode would mostly time the call; each iteration's result
    feeds the loop's output, so no decode can be pruned. parallel_iterations=1:
    otherwise the independent decodes of several iterations run at once on both
    cores, and the time per decode would not compare with a one-thread memcpy."""

    @tf.function
    def f(x):
        def body(i, acc):
            return i + 1, acc + tfnpy.decode_npy(x, tf.float32, shape=shape)[0, 0]

        _, acc = tf.while_loop(lambda i, acc: i < k, body, (tf.constant(0), tf.constant(0.0)),
                               parallel_iterations=1)
        return acc

    return f, k


def _encode_loop_fn(k):
    """A tf.function that encodes its input k times in a graph loop (see
    _decode_loop_fn: one call per encode would mostly time the call). Each
    iteration's output length feeds the loop's result, so none is pruned."""

    @tf.function
    def f(x):
        def body(i, acc):
            return i + 1, acc + tf.strings.length(tfnpy.encode_npy(x))

        _, acc = tf.while_loop(lambda i, acc: i < k, body, (tf.constant(0), tf.constant(0)), parallel_iterations=1)
        return acc

    return f


def _micro_encode(out, rounds, min_time):
    """Encoding a 64 MB float32 tensor to .npy bytes vs a memcpy of its data."""
    a = np.random.default_rng(7).random((4096, 4096), dtype=np.float32)
    src = np.frombuffer(a.tobytes(), np.uint8).copy()
    dst = np.empty_like(src)
    t = tf.constant(a)
    if tfnpy.encode_npy(t).numpy() != _npy_bytes(a):
        out["notes"].append("encode_npy 64 MB: bytes differ from np.save")
    k = 8
    fn = _encode_loop_fn(k)
    fn_key = "encode_npy in tf.function (%d per call)" % k
    benches = [
        ("memcpy (np.copyto, preallocated)", lambda: np.copyto(dst, src)),
        ("copy to a new buffer (ndarray.copy)", lambda: src.copy()),
        ("np.save(io.BytesIO(), a)", lambda: np.save(io.BytesIO(), a)),
        ("encode_npy eager", lambda: tfnpy.encode_npy(t)),
        (fn_key, lambda: fn(t)),
    ]
    for key, r in _bench(benches, rounds, min_time).items():
        if key == fn_key:
            r["median_s"] /= k
            r["samples_s"] = [x / k for x in r["samples_s"]]
        out["encode"].append({"array": "64 MB", "bytes": a.nbytes, "method": key, **r})


def _micro_write(out, rounds, min_time, n=1000):
    """Writing n small files (10x10 float64): one batched write_npy call vs
    tf.io.write_file of bytes encoded beforehand, in a Python loop and in a
    tf.data map, and write_npy per element in a tf.data map."""
    import shutil
    import tempfile

    root = tempfile.mkdtemp(prefix="tfnpy-bench-write-")
    try:
        arrays = np.random.default_rng(8).random((n, 10, 10))
        paths = [os.path.join(root, "w_%05d.npy" % i) for i in range(n)]
        paths_t = tf.constant(paths)
        arrays_t = tf.constant(arrays)
        encoded_t = tf.stack([tfnpy.encode_npy(x) for x in arrays_t])  # for the write_file rows
        encoded_list = list(tf.unstack(encoded_t))
        paths_list = list(tf.unstack(paths_t))

        def write_file_loop():
            for p, b in zip(paths_list, encoded_list):
                tf.io.write_file(p, b)

        def ds_write_file(p, b):
            with tf.control_dependencies([tf.io.write_file(p, b)]):
                return tf.constant(1)

        def ds_write_npy(p, x):
            with tf.control_dependencies([tfnpy.write_npy(p, x)]):
                return tf.constant(1)

        ds_file = tf.data.Dataset.from_tensor_slices((paths_t, encoded_t)).map(ds_write_file, num_parallel_calls=AUTOTUNE)
        ds_npy = tf.data.Dataset.from_tensor_slices((paths_t, arrays_t)).map(ds_write_npy, num_parallel_calls=AUTOTUNE)
        drain_file = tf.function(lambda: ds_file.reduce(0, lambda s, v: s + v))
        drain_npy = tf.function(lambda: ds_npy.reduce(0, lambda s, v: s + v))
        tfnpy.write_npy(paths_t, arrays_t)
        if any(open(p, "rb").read() != _npy_bytes(a) for p, a in zip(paths[:50], arrays)):
            out["notes"].append("write_npy: files differ from np.save")
        benches = [
            ("write_npy, one batched call", lambda: tfnpy.write_npy(paths_t, arrays_t)),
            ("tf.io.write_file of pre-encoded bytes, eager loop", write_file_loop),
            ("tf.data map(tf.io.write_file) of pre-encoded bytes", lambda: drain_file()),
            ("tf.data map(write_npy), one file per element", lambda: drain_npy()),
        ]
        for key, r in _bench(benches, rounds, min_time).items():
            out["write"].append({"array": "%d x 10x10 float64" % n, "files": n, "method": key, **r})
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_micro(spec):
    rounds = int(spec.get("rounds", 7))
    min_time = float(spec.get("min_time", 0.25))
    out = {"decode": [], "loads": [], "encode": [], "write": [], "notes": []}
    groups = spec.get("groups") or ["decode", "loads", "encode", "write"]
    dec = has("decode_npy")
    if not dec:
        out["notes"].append("decode_npy rows skipped: " + ("tfnpy not importable (%s)" % TFNPY_ERROR if tfnpy is None else "tfnpy.decode_npy missing"))
    rng = np.random.default_rng(1234)
    for label, shape in (("4 MB", (1024, 1024)), ("64 MB", (4096, 4096))) if "decode" in groups else ():
        base = rng.random(shape, dtype=np.float32)
        for order in ("native", "big-endian"):
            a = base if order == "native" else base.astype(">f4")
            b = _npy_bytes(a)
            nbytes = a.nbytes
            src = np.frombuffer(a.tobytes(), np.uint8).copy()
            dst = np.empty_like(src)
            t = tf.constant(b)
            benches = [
                ("memcpy (np.copyto, preallocated)", lambda: np.copyto(dst, src)),
                ("copy to a new buffer (ndarray.copy)", lambda: src.copy()),
                ("np.load(io.BytesIO(b))", lambda: np.load(io.BytesIO(b))),
            ]
            if order == "big-endian":
                benches.append(("np.load(io.BytesIO(b)).astype('<f4')", lambda: np.load(io.BytesIO(b)).astype("<f4")))
            if dec:
                fn_t, per_run = _decode_loop_fn(shape, 32 if nbytes <= (4 << 20) else 8)
                ref = np.load(io.BytesIO(b)).astype("<f4")
                got = tfnpy.decode_npy(t, tf.float32, shape=shape).numpy()
                if not np.array_equal(got, ref):
                    out["notes"].append("decode_npy %s %s: result differs from np.load" % (label, order))
                benches.append(("decode_npy eager", lambda: tfnpy.decode_npy(t, tf.float32, shape=shape)))
                fn_key = "decode_npy in tf.function (%d per call)" % per_run
                benches.append((fn_key, lambda: fn_t(t)))
            res = _bench(benches, rounds, min_time)
            for key, r in res.items():
                if key.startswith("decode_npy in tf.function"):
                    # One call decodes per_run times: report the time of one decode.
                    r["median_s"] /= per_run
                    r["samples_s"] = [x / per_run for x in r["samples_s"]]
                out["decode"].append({"array": label, "order": order, "bytes": nbytes, "method": key, **r})
            del t
    if "encode" in groups or "write" in groups:
        if not (has("encode_npy") and has("write_npy")):
            out["notes"].append("encode/write rows skipped: tfnpy.encode_npy / write_npy missing in this build")
        else:
            if "encode" in groups:
                _micro_encode(out, rounds, min_time)
            if "write" in groups:
                _micro_write(out, rounds, min_time)
    # tfnpy.loads vs np.load
    if "loads" not in groups:
        pass
    elif not has("loads"):
        out["notes"].append("tfnpy.loads rows skipped: " + ("tfnpy not importable" if tfnpy is None else "tfnpy.loads missing"))
    else:
        for label, a in (("10x10 float64", rng.random((10, 10))), ("4 MB float32", rng.random((1024, 1024), dtype=np.float32))):
            b = _npy_bytes(a)
            got = tfnpy.loads(b)
            if not np.array_equal(np.asarray(got), a):
                out["notes"].append("tfnpy.loads %s: result differs from np.load" % label)
            res = _bench(
                [("np.load(io.BytesIO(b))", lambda: np.load(io.BytesIO(b))), ("tfnpy.loads(b)", lambda: tfnpy.loads(b))],
                rounds,
                min_time,
            )
            for key, r in res.items():
                out["loads"].append({"array": label, "bytes": a.nbytes, "method": key, **r})
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    send({"status": "done", "micro": out})


def main():
    spec = json.loads(sys.argv[1])
    mode = spec["mode"]
    if mode == "probe":
        send({"status": "done", "versions": versions(), "capabilities": capabilities()})
    elif mode == "pipeline":
        run_pipeline(spec)
    elif mode == "micro":
        run_micro(spec)
    else:
        raise SystemExit("unknown mode %r" % mode)


if __name__ == "__main__":
    main()
    # Skip TensorFlow's slow interpreter teardown: all results are already sent.
    sys.stderr.flush()
    _PROTO.flush()
    os._exit(0)
