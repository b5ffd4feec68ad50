"""Processes for the distributed tests (tests/test_distributed.py).

Imported by the tests for `Cluster` (starts the processes, always cleans
them up); run as a script, it is one of those processes:

    python tests/cluster.py dispatcher STATE_DIR [--without-tfnpy]
    python tests/cluster.py data-worker DISPATCHER_ADDRESS [--without-tfnpy]
    python tests/cluster.py data-client DISPATCHER_ADDRESS CSV SCENARIO OUT_JSON
    python tests/cluster.py mwms-worker CSV STEPS OUT_NPZ       (TF_CONFIG set)

Servers pick their own ports (port 0) where TensorFlow allows it: the
tf.data dispatcher and workers do; MultiWorkerMirroredStrategy needs every
address in TF_CONFIG up front, so its ports come from the OS (bind to port 0)
just before the workers start. Only localhost is used. Every server process
exits by itself when the process that started it goes away.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------
# The test side.


def free_ports(n: int) -> list[int]:
    """n distinct ports that the OS just handed out (bind to port 0)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Cluster:
    """Starts roles of this script as subprocesses; stops them all on exit.

    Each process's output goes to a log file in `workdir`, shown by `logs()`
    when a test fails.
    """

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, name: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")
        full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
        full_env.update(env or {})
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "cluster.py"), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=self.workdir,
            start_new_session=True,  # its own process group: stop() reaches its threads' children too
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def wait(self, proc: subprocess.Popen, timeout: float) -> int:
        """The exit status of `proc`; fails the test (with logs) after `timeout` s."""
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"timed out after {timeout:.0f} s\n{self.logs()}") from None

    def wait_all(self, procs: list[subprocess.Popen], timeout: float) -> list[int]:
        """Exit statuses of `procs`; once one fails, the others (which would wait
        for it forever) are stopped. Fails the test after `timeout` s."""
        deadline = time.monotonic() + timeout
        while any(p.poll() is None for p in procs):
            if any(p.poll() not in (None, 0) for p in procs):
                self.stop()
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s\n{self.logs()}")
            time.sleep(0.2)
        return [p.returncode for p in procs]

    def wait_for_file(self, path: Path, timeout: float, predicate=lambda text: bool(text)) -> str:
        """The text of `path` once `predicate` holds for it; fails early if a process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists():
                text = path.read_text()
                if predicate(text):
                    return text
            dead = [(n, p.returncode) for n, p in self.procs if p.poll() is not None]
            if dead:
                raise AssertionError(f"process exited early: {dead}\n{self.logs()}")
            time.sleep(0.1)
        raise AssertionError(f"{path.name} not ready after {timeout:.0f} s\n{self.logs()}")

    def logs(self, tail: int = 3000) -> str:
        out = []
        for name, proc in self.procs:
            text = (self.workdir / f"{name}.log").read_text(errors="replace")
            out.append(f"--- {name} (exit {proc.poll()}) ---\n{text[-tail:]}")
        return "\n".join(out)


def start_data_service(
    cluster: Cluster, workers: int, *, without_tfnpy: tuple[str, ...] = (), timeout: float = 120
) -> str:
    """A dispatcher and `workers` tf.data worker processes; the dispatcher's address
    once all workers have registered with it. `without_tfnpy` names the roles
    ("dispatcher", "worker") that must not import tfnpy."""
    state = cluster.workdir / "dispatcher"
    state.mkdir()
    flag = lambda role: ["--without-tfnpy"] if role in without_tfnpy else []  # noqa: E731
    cluster.start("dispatcher", "dispatcher", str(state), *flag("dispatcher"))
    address = cluster.wait_for_file(state / "address", timeout)
    for i in range(workers):
        cluster.start(f"worker{i}", "data-worker", address, *flag("worker"))
    cluster.wait_for_file(state / "workers", timeout, lambda text: text.strip() == str(workers))
    return address


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# The process side.


def exit_with_parent() -> None:
    """Ends this process when the one that started it goes away (even by SIGKILL)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def run_dispatcher(state_dir: str, without_tfnpy: bool) -> None:
    import tensorflow as tf

    if not without_tfnpy:
        import tfnpy  # noqa: F401  (the dispatcher reads the pipeline's graph too)
    exit_with_parent()
    state = Path(state_dir)
    server = tf.data.experimental.service.DispatchServer(tf.data.experimental.service.DispatcherConfig(port=0))
    atomic_write(state / "address", server.target.split("://", 1)[1])
    while True:  # Report how many workers have registered, for start_data_service.
        atomic_write(state / "workers", str(server._num_workers()))  # No public API for this.
        time.sleep(0.2)


def run_data_worker(dispatcher: str, without_tfnpy: bool) -> None:
    import tensorflow as tf

    if not without_tfnpy:
        import tfnpy  # noqa: F401  (registers the TFNpy> ops and kernels in this process)
    exit_with_parent()
    config = tf.data.experimental.service.WorkerConfig(dispatcher_address=dispatcher, port=0)
    worker = tf.data.experimental.service.WorkerServer(config)
    print(f"worker pid {os.getpid()} serving at {worker._address}", flush=True)
    worker.join()


def data_pipeline(csv_path: str, scenario: str):
    """The tf.data pipeline of a scenario, built in the client process. Every
    element is (array, label); the label is the file's index."""
    import numpy as np
    import tensorflow as tf

    import tfnpy

    if scenario in ("from_csv", "without_tfnpy"):
        return tfnpy.data.from_csv(csv_path, in_memory=True)
    if scenario == "from_csv_batched":
        return tfnpy.data.from_csv(csv_path, in_memory=True, batch_size=5).unbatch()
    if scenario in ("from_csv_streaming", "parallel_epochs"):
        return tfnpy.data.from_csv(csv_path)  # streamed: the one CSV file is the one split
    base = os.path.dirname(csv_path)
    if scenario == "from_csv_shards":  # the same rows in CSV shards beside it: one split each
        return tfnpy.data.from_csv(os.path.join(base, "shard-*.csv"), header=True, shuffle_files=True, cycle_length=2)
    with open(csv_path) as f:
        rows = [line.strip().split(",") for line in f]
    paths = tf.data.Dataset.from_tensor_slices(([os.path.join(base, p) for p, _ in rows], [int(y) for _, y in rows]))
    if scenario == "decode_npy":
        return paths.map(lambda p, y: (tfnpy.decode_npy(tf.io.read_file(p), tf.float32), y))
    if scenario == "numpy_function":  # the seed article's pipeline
        return paths.map(lambda p, y: (tf.numpy_function(lambda s: np.load(s.decode()), [p], tf.float32), y))
    raise ValueError(scenario)


def run_data_client(dispatcher: str, csv_path: str, scenario: str, out_json: str) -> None:
    import numpy as np
    import tensorflow as tf

    exit_with_parent()
    mode = "parallel_epochs" if scenario == "parallel_epochs" else "distributed_epoch"
    ds = data_pipeline(csv_path, scenario).apply(
        tf.data.experimental.service.distribute(processing_mode=mode, service=f"grpc://{dispatcher}")
    )
    files = {}
    with open(csv_path) as f:
        for line in f:
            name, label = line.strip().split(",")
            files[int(label)] = os.path.join(os.path.dirname(csv_path), name)
    result = {"mode": mode, "labels": [], "mismatches": []}
    try:
        for array, label in ds.as_numpy_iterator():
            label = int(label)
            result["labels"].append(label)
            expected = np.load(files[label])
            expected = np.ascontiguousarray(expected, expected.dtype.newbyteorder("="))  # as tfnpy returns it
            if array.dtype != expected.dtype or array.shape != expected.shape or array.tobytes() != expected.tobytes():
                result["mismatches"].append(label)
    except tf.errors.OpError as e:
        result["error"] = {"type": type(e).__name__, "message": e.message}
    atomic_write(Path(out_json), json.dumps(result))


def run_mwms_worker(csv_path: str, steps: int, out_npz: str) -> None:
    import numpy as np
    import tensorflow as tf

    import tfnpy

    exit_with_parent()
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING
        )
    )
    global_batch = 8

    def shard(ctx: tf.distribute.InputContext) -> tf.data.Dataset:
        # Each worker reads only its own files: shard the CSV rows, then read.
        return tfnpy.data.from_csv(csv_path).shard(ctx.num_input_pipelines, ctx.input_pipeline_id)

    def dataset_fn(ctx: tf.distribute.InputContext) -> tf.data.Dataset:
        return shard(ctx).repeat().batch(ctx.get_per_replica_batch_size(global_batch))

    # What this worker's shard holds (labels are file indices).
    ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=task["index"], num_replicas_in_sync=2)
    shard_labels = [int(y) for _, y in shard(ctx).as_numpy_iterator()]

    tf.keras.utils.set_random_seed(1234 + task["index"])  # different on purpose: the chief's init wins
    with strategy.scope():
        model = tf.keras.Sequential(
            [tf.keras.Input(shape=(4, 4)), tf.keras.layers.Flatten(), tf.keras.layers.Dense(16)]
        )
        optimizer = tf.keras.optimizers.SGD(0.05)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    initial = [w.copy() for w in model.get_weights()]
    # A custom loop: Keras 3's model.fit does not run under
    # MultiWorkerMirroredStrategy (keras-team/keras#20585).
    batches = iter(strategy.distribute_datasets_from_function(dataset_fn))

    @tf.function
    def train_step(iterator):
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.nn.compute_average_loss(loss_fn(y, model(x, training=True)), global_batch_size=global_batch)
            # The optimizer sums the gradients over all replicas of all workers.
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return loss

        return strategy.reduce("SUM", strategy.run(step, args=next(iterator)), axis=None)

    losses = [float(train_step(batches)) for _ in range(steps)]
    final = model.get_weights()
    np.savez(
        out_npz + ".tmp.npz",
        shard_labels=np.array(shard_labels),
        loss=np.array(losses),
        replicas=np.array(strategy.num_replicas_in_sync),
        **{f"initial_{i}": w for i, w in enumerate(initial)},
        **{f"final_{i}": w for i, w in enumerate(final)},
    )
    os.replace(out_npz + ".tmp.npz", out_npz)


def main(argv: list[str]) -> None:
    role, args = argv[0], argv[1:]
    if role == "dispatcher":
        run_dispatcher(args[0], "--without-tfnpy" in args[1:])
    elif role == "data-worker":
        run_data_worker(args[0], "--without-tfnpy" in args[1:])
    elif role == "data-client":
        run_data_client(*args)
    elif role == "mwms-worker":
        run_mwms_worker(args[0], int(args[1]), args[2])
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
