"""tfnpy pipelines on TensorFlow's own distributed engines, on localhost.

tf.data service: a dispatcher and worker processes of their own (started by
tests/cluster.py), serving the pipeline a client process builds. The worker
processes run the graph without any Python of the client: tfnpy's ops run
there (once the op library is loaded), the seed's numpy_function cannot.

MultiWorkerMirroredStrategy: two worker processes (TF_CONFIG), each reading
its shard of the CSV through tfnpy, train a Keras model in lockstep.

SavedModel, Dataset.save and iterator checkpoints: tests/test_serialization.py.
"""

from __future__ import annotations

import collections
import re
import csv
import json
import os

import numpy as np
import pytest

from cluster import Cluster, free_ports, start_data_service

pytestmark = pytest.mark.slow

FILES = 12
SHARDS = 3
WORKERS = 2
TIMEOUT = 180  # s, per process; each step takes a few seconds on 2 CPUs


@pytest.fixture(scope="module")
def csv_of_files(tmp_path_factory):
    """FILES .npy files (4x4 float32, big- and little-endian, C and Fortran
    order) and a `name,label` CSV of them; the label is the file's index, so
    the tests can tell which files arrived. The same rows also stand in
    SHARDS CSV files with a header, shard-0.csv ..."""
    root = tmp_path_factory.mktemp("npy_files")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(FILES):
        a = (rng.normal(size=(4, 4)) + i).astype(">f4" if i % 3 == 0 else "<f4")
        if i % 2:
            a = np.asfortranarray(a)
        np.save(root / f"x{i:02d}.npy", a)
        rows.append([f"x{i:02d}.npy", i])
    with open(root / "paths.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    for k in range(SHARDS):
        with open(root / f"shard-{k}.csv", "w", newline="") as f:
            csv.writer(f).writerows([["path", "label"]] + rows[k::SHARDS])
    return root / "paths.csv"


def serve(tmp_path, csv_path, scenarios, *, without_tfnpy=()):
    """Runs each scenario's client against one dispatcher + WORKERS workers."""
    results = {}
    with Cluster(tmp_path) as cluster:
        address = start_data_service(cluster, WORKERS, without_tfnpy=without_tfnpy, timeout=TIMEOUT)
        for scenario in scenarios:
            out = tmp_path / f"{scenario}.json"
            client = cluster.start(f"client_{scenario}", "data-client", address, str(csv_path), scenario, str(out))
            assert cluster.wait(client, TIMEOUT) == 0, cluster.logs()
            results[scenario] = json.loads(out.read_text())
        worker_pids = {p.pid for name, p in cluster.procs if name.startswith("worker")}
        assert len(worker_pids) == WORKERS and os.getpid() not in worker_pids
        assert all(p.poll() is None for name, p in cluster.procs if name.startswith("worker")), cluster.logs()
    return results


def test_data_service_runs_tfnpy_pipelines_and_refuses_numpy_function(tmp_path, csv_of_files):
    results = serve(
        tmp_path,
        csv_of_files,
        ["from_csv", "decode_npy", "from_csv_batched", "from_csv_shards", "from_csv_streaming", "parallel_epochs",
         "numpy_function"],
    )
    everything = list(range(FILES))
    # from_csv(in_memory=True) splits rows, a streamed from_csv its CSV files
    # (shards, or the one CSV as one split): no CSV in the dataset graph.
    for scenario in ["from_csv", "decode_npy", "from_csv_batched", "from_csv_shards", "from_csv_streaming"]:
        r = results[scenario]
        assert "error" not in r, (scenario, r)
        assert r["mode"] == "distributed_epoch"
        # distributed_epoch: the workers split one epoch; every file arrives exactly once.
        assert sorted(r["labels"]) == everything, (scenario, r["labels"])
        assert r["mismatches"] == [], scenario  # each array equals np.load of its file
    # parallel_epochs: each worker produces a whole epoch.
    r = results["parallel_epochs"]
    assert "error" not in r, r
    assert collections.Counter(r["labels"]) == {i: WORKERS for i in everything}
    assert r["mismatches"] == []
    # The seed's pipeline: its Python callback lives in the client process only.
    r = results["numpy_function"]
    assert r["labels"] == []
    assert "error" in r, r
    assert "callback" in r["error"]["message"] and "pyfunc" in r["error"]["message"], r["error"]


@pytest.mark.parametrize("role", ["worker", "dispatcher"])
def test_data_service_needs_the_op_library_everywhere(tmp_path, csv_of_files, role):
    """The dispatcher and every worker read the pipeline's graph: each must
    `import tfnpy` (or tf.load_op_library the .so) before it serves."""
    results = serve(tmp_path, csv_of_files, ["without_tfnpy"], without_tfnpy=(role,))
    r = results["without_tfnpy"]
    assert r["labels"] == [] and "error" in r, r
    # The first of the pipeline's tfnpy ops it meets (from_csv's rows, or the reads).
    assert re.search(r"Op type not registered 'TFNpy>(RowsDataset|ReadNpy)'", r["error"]["message"]), r["error"]


def test_multi_worker_mirrored_strategy_trains_in_lockstep(tmp_path, csv_of_files):
    steps = 5
    for attempt in range(2):  # a port taken between free_ports() and the bind: new ports, once
        ports = free_ports(WORKERS)
        cluster_spec = {"worker": [f"localhost:{p}" for p in ports]}
        outs = [tmp_path / f"try{attempt}_worker{i}.npz" for i in range(WORKERS)]
        with Cluster(tmp_path) as cluster:
            procs = [
                cluster.start(
                    f"try{attempt}_mwms{i}",
                    "mwms-worker",
                    str(csv_of_files),
                    str(steps),
                    str(outs[i]),
                    env={"TF_CONFIG": json.dumps({"cluster": cluster_spec, "task": {"type": "worker", "index": i}})},
                )
                for i in range(WORKERS)
            ]
            codes = cluster.wait_all(procs, TIMEOUT)
            logs = cluster.logs()
        if codes == [0] * WORKERS:
            break
        assert attempt == 0 and "Could not start gRPC server" in logs, logs
    results = [np.load(out) for out in outs]
    # Each worker read its own files (labels are file indices): disjoint shards
    # that together cover the CSV.
    shards = [r["shard_labels"].tolist() for r in results]
    assert len(shards[0]) == len(shards[1]) == FILES // WORKERS, shards
    assert sorted(shards[0] + shards[1]) == list(range(FILES)), shards
    assert [int(r["replicas"]) for r in results] == [WORKERS] * WORKERS
    names = sorted(k for k in results[0].files if k.startswith("final_"))
    assert names and names == sorted(k for k in results[1].files if k.startswith("final_"))
    for name in names:
        # Synchronous all-reduce: both workers end with the same weights, bit for bit...
        assert np.array_equal(results[0][name], results[1][name]), name
        # ...from the same start (the workers seeded differently; the chief's values won)...
        initial = name.replace("final_", "initial_")
        assert np.array_equal(results[0][initial], results[1][initial]), initial
        # ...and training changed them.
        assert not np.array_equal(results[0][name], results[0][name.replace("final_", "initial_")]), name
    assert np.isfinite(results[0]["loss"]).all()
