#!/usr/bin/env python
"""The benchmark's remote case: small .npy files on gs://, with network latency.

    python benchmarks/remote.py [--delays 10,20,40] [--files 2000] [--passes 3]
    python benchmarks/run.py --remote ...       (the same, as a section of run.py's report)

A GCS emulator behind an HTTPS proxy on 127.0.0.1 (tests/gcs_emulator.py)
holds `--files` small .npy files (10x10 float64, as run.py's small case) and a
CSV of them; the proxy adds a fixed delay to every response, standing in for
the round trip to a bucket. Each row is a pipeline of TensorFlow's own gs://
client in a worker process of its own (remote_worker.py, started with the
emulator's environment), timed in passes interleaved with the other rows, as
run.py does (run_group). The ceiling row is what the emulator and proxy serve
without TensorFlow: curl fetching the same objects 64 at a time through the
proxy, a connection each, in passes interleaved with the others. On 2 cores
the server and the client share the CPUs, so read the rows against that
ceiling, and the machine's load beside them.

Needs the packages of .ci/requirements-remote.txt (the emulator, cryptography).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import gcs_emulator  # noqa: E402  (tests/gcs_emulator.py)
import run  # noqa: E402  (run.py: run_group, summarize, log)

# label: (remote_worker.py pipeline, extra environment, the share of the files it reads)
ROWS = {
    # TensorFlow's 64 MiB buffer makes this row CPU-bound at ~30 files/s per core
    # (far less on a busy machine): a tenth of the files keep its passes short.
    "read_file_map": ("read_file_map", {}, 0.1),
    "read_file_map_block1": ("read_file_map", {"GCS_READ_CACHE_BLOCK_SIZE_MB": "1"}, 1),
    "batched_read_npy": ("batched_read_npy", {}, 1),
    "read_npy": ("read_npy", {}, 1),
    "read_npy_private64": ("read_npy_private64", {}, 1),
    "from_csv": ("from_csv", {}, 1),
}
ROW_NOTES = {
    "read_file_map": "`map(tf.io.read_file, AUTOTUNE)`: TensorFlow's read, bytes only (a tenth of the files)",
    "read_file_map_block1": "the same with `GCS_READ_CACHE_BLOCK_SIZE_MB=1` set before TensorFlow starts",
    "batched_read_npy": "`batch(256).map(read_npy, AUTOTUNE)`: one op call per 256 files",
    "read_npy": "`map(read_npy, AUTOTUNE)`: one file per op call",
    "read_npy_private64": "the same with `Options().threading.private_threadpool_size = 64`",
    "from_csv": "`tfnpy.data.from_csv` of a CSV in the bucket (its default blocks)",
    "http_ceiling": "curl, 64 transfers at a time through the proxy, no TensorFlow: what the server serves",
}
CEILING = "http_ceiling"
SHAPE, DTYPE, BATCH, CALL_BATCH = (10, 10), "float64", 32, 256
TARGET_DELAY_MS, TARGET_EPS, CSV_RATIO = 20, 300, 0.8


def _count(files, share):
    return max(1, int(files * share))


def make_files(root, n):
    """n small .npy files in root (made once; kept): their paths."""
    os.makedirs(root, exist_ok=True)
    paths = [os.path.join(root, "arr_%06d.npy" % i) for i in range(n)]
    for i, p in enumerate(paths):
        if not os.path.exists(p):
            np.save(p, np.random.default_rng([7, i]).random(SHAPE))
    return paths


def curl_fetch(env, bucket, names, parallel=64, timeout=600):
    """Seconds curl takes to fetch the objects through the proxy (env: GcsEmulator.env()),
    `parallel` at a time, a connection each (as TensorFlow's client does)."""
    with tempfile.NamedTemporaryFile("w", suffix=".curl", delete=False) as f:
        for name in names:
            f.write('url = "https://storage.googleapis.com/%s/%s"\noutput = "/dev/null"\n' % (bucket, name))
        config = f.name
    try:
        t0 = time.perf_counter()
        subprocess.run([shutil.which("curl"), "--silent", "--show-error", "--no-progress-meter", "--fail",
                        "--parallel", "--parallel-max", str(parallel), "--proxy", env["https_proxy"],
                        "--cacert", env["CURL_CA_BUNDLE"], "--config", config], check=True, timeout=timeout, env=env)
        return time.perf_counter() - t0
    finally:
        os.unlink(config)


def ceiling_worker(spec):
    """The ceiling row as a run.py worker (same line protocol): curl fetching every object per pass."""
    def send(obj):
        print(json.dumps(obj), flush=True)

    send({"status": "ready", "check": "curl %s" % shutil.which("curl")})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "run":
            send({"elements": len(spec["names"]), "seconds": curl_fetch(os.environ, spec["bucket"], spec["names"])})
        elif cmd["cmd"] == "exit":
            send({"maxrss_kb": 0})
            return


def server_cpu_ms(gcs, names):
    """The server's CPU ms per object while curl fetches them (None without curl)."""
    if not shutil.which("curl"):
        return None
    cpu0 = gcs.cpu_seconds()
    curl_fetch(gcs.env(), gcs.bucket, names)
    return (gcs.cpu_seconds() - cpu0) / len(names) * 1e3


def run_remote(data_dir, delays_ms, files, passes, log_dir):
    """Runs every row at every delay; returns {delay_ms: {"results": [...], "ceiling": [...]}}."""
    if gcs_emulator.MISSING:
        run.log("remote case skipped: %s" % gcs_emulator.MISSING)
        return {"skipped": gcs_emulator.MISSING}
    root = os.path.join(data_dir, "remote")
    local = make_files(os.path.join(root, "files"), files)
    out = {}
    with gcs_emulator.GcsEmulator(os.path.join(root, "server")) as gcs:
        run.log("remote: uploading %d files to the emulator" % files)
        names = ["data/" + os.path.basename(p) for p in local]
        for name, path in zip(names, local):
            with open(path, "rb") as f:
                gcs.upload(name, f.read())
        gcs.upload("paths.csv", "".join("%s,%d\n" % (n, i % 10) for i, n in enumerate(names)).encode())
        with open(os.path.join(root, "urls.txt"), "w") as f:
            f.write("".join(gcs.url(n) + "\n" for n in names))
        with open(os.path.join(root, "local.txt"), "w") as f:
            f.write("".join(p + "\n" for p in local))
        spec = {"urls": os.path.join(root, "urls.txt"), "local": os.path.join(root, "local.txt"),
                "csv": gcs.url("paths.csv"), "shape": list(SHAPE), "dtype": DTYPE, "batch": BATCH,
                "call_batch": CALL_BATCH}
        argv = [sys.executable, os.path.join(HERE, "remote_worker.py")]
        for delay in delays_ms:
            gcs.set_delay(delay / 1000)
            group = "remote_%dms" % delay
            load = os.getloadavg()[0]
            server_ms = server_cpu_ms(gcs, names)
            entries = [{"label": label, "argv": argv + [json.dumps(dict(spec, pipeline=p, limit=_count(files, share)))],
                        "env": gcs.env(**env), "spec": {"pipeline": label}}
                       for label, (p, env, share) in ROWS.items()]
            ceiling = {"label": CEILING, "env": gcs.env(), "spec": {"pipeline": CEILING},
                       "argv": [sys.executable, os.path.abspath(__file__), "--ceiling-worker",
                                json.dumps({"bucket": gcs.bucket, "names": names})]}
            if not shutil.which("curl"):
                ceiling["skip"] = "no curl on this machine"
            results = run.run_group(group, entries + [ceiling], passes, log_dir)
            for r in results:
                run.summarize([r], _count(files, ROWS.get(r["label"], (0, 0, 1))[2]), os.path.getsize(local[0]))
            out[delay] = {"results": results, "server_ms": server_ms, "loadavg_start": load}
    return out


def _get(results, label):
    return next((r for r in results if r["label"] == label and r["status"] == "ok" and r.get("eps")), None)


def report(out, files, passes):
    """Markdown lines: one table per delay, then the targets."""
    md = ["## Remote storage: gs:// (an emulator on 127.0.0.1 behind a delaying proxy)", ""]
    if "skipped" in out:
        return md + ["Skipped: %s." % out["skipped"]]
    md.append("%d files of %s %s (`tests/gcs_emulator.py`), a fixed delay added to every response; TensorFlow's own "
              "gs:// client in a worker process per row (`benchmarks/remote_worker.py`), default environment "
              "(`TFNPY_REMOTE_THREADS` unset: 32 reads in flight per batch); medians of %d interleaved passes. "
              "× ceiling: of what the emulator and proxy serve to curl with no TensorFlow (they share the "
              "machine's CPUs with the client)." % (files, "×".join(map(str, SHAPE)), DTYPE, passes))
    for delay, d in out.items():
        ceil = _get(d["results"], CEILING)
        ceil = ceil and ceil["eps"]
        server_ms = d["server_ms"]
        batched = _get(d["results"], "batched_read_npy")
        md += ["", "### +%d ms per response (1-minute load average at start %.2f; other processes used %.2f CPUs)"
               % (delay, d["loadavg_start"], d["results"][0].get("foreign_cpus") or 0), "",
               "| pipeline | files/s | × ceiling | × batched_read_npy | spread | what |",
               "|---|---:|---:|---:|---:|---|"]
        for r in d["results"]:
            note = ROW_NOTES[r["label"]]
            if r["label"] == CEILING:
                continue
            if r["status"] == "ok" and r.get("eps"):
                md.append("| %s | %s | %s | %s | %.0f%% | %s |" % (
                    r["label"], run.fmt_int(r["eps"]), run.fmt_x(r["eps"] / ceil if ceil else None),
                    run.fmt_x(r["eps"] / batched["eps"] if batched else None), 100 * r["spread"], note))
            else:
                md.append("| %s | – | – | – | – | %s: %s |" % (r["label"], r["status"], r["note"]))
        r = next(r for r in d["results"] if r["label"] == CEILING)
        md.append("| %s | %s | 1.00× | %s | %s | %s |" % (
            CEILING, run.fmt_int(ceil) if ceil else "– (%s)" % r["note"],
            run.fmt_x(ceil / batched["eps"] if ceil and batched else None),
            "%.0f%%" % (100 * r["spread"]) if ceil else "–", ROW_NOTES[CEILING]))
        if server_ms:
            md += ["", "The server (proxy and emulator processes) used %.2f ms of CPU per object during a curl run "
                   "before the passes: alone on this machine's %d CPUs it would serve at most ~%s objects/s." % (
                       server_ms, os.cpu_count(), run.fmt_int(os.cpu_count() * 1e3 / server_ms))]
    md += ["", "| target | measured | holds |", "|---|---|---|"]
    d = out.get(TARGET_DELAY_MS)
    batched = d and _get(d["results"], "batched_read_npy")
    csv_row = d and _get(d["results"], "from_csv")
    t1 = "batched `read_npy` at +%d ms ≥ %d files/s" % (TARGET_DELAY_MS, TARGET_EPS)
    t2 = "`from_csv` at +%d ms ≥ %.1f× batched `read_npy`" % (TARGET_DELAY_MS, CSV_RATIO)
    md.append("| %s | %s | %s |" % (t1, run.fmt_int(batched["eps"]) if batched else "not measured",
                                    ("yes" if batched["eps"] >= TARGET_EPS else "**no**") if batched else "n/a"))
    if batched and csv_row:
        ratio = csv_row["eps"] / batched["eps"]
        md.append("| %s | %s | %s |" % (t2, run.fmt_x(ratio), "yes" if ratio >= CSV_RATIO else "**no**"))
    else:
        md.append("| %s | not measured | n/a |" % t2)
    return md


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--ceiling-worker"]:
        ceiling_worker(json.loads(argv[1]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--delays", default="10,20,40", help="milliseconds added to every response, comma-separated")
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--data-dir", default="/tmp/tfnpy-bench")
    ap.add_argument("--out", default=None, help="also write the report to this markdown file")
    args = ap.parse_args(argv)
    delays = [int(d) for d in args.delays.split(",") if d.strip()]
    log_dir = os.path.join(os.path.abspath(args.data_dir), "logs", "remote-" + time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(log_dir, exist_ok=True)
    out = run_remote(os.path.abspath(args.data_dir), delays, args.files, args.passes, log_dir)
    text = "\n".join(report(out, args.files, args.passes)) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
