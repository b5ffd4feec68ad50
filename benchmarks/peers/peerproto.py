"""What every peer-benchmark worker shares (standard library only: it is imported
by three different interpreters: the main TensorFlow venv, the DALI venv and the
tensorflow-io venv).

A worker script (bench_tf.py, bench_dali.py, bench_tfio.py) defines a *pipeline
builder*: given a spec (see `parse_spec`) it returns a `Runner` with

    check()    -> str     verify the output against np.load (untimed), say what was checked
    run_pass() -> dict    one timed pass: {"elements": n, "seconds": t, ...}
    versions   -> dict    library versions, for the report

and calls `main(build)`. Two ways to run it:

  serve mode (run_peers.py):  python bench_X.py --serve '<json spec>'
      prints {"status": "ready", ...} (or "skipped"/"failed") on stdout, then one
      JSON line per "run" line read from stdin; "exit" answers with the peak RSS.
      The process stays alive, so run_peers.py can interleave the passes of all
      pipelines of a case.

  standalone:  python bench_X.py --csv /tmp/tfnpy-bench/small/paths.csv --shape 10,10 \
                   --dtype float64 --repeat 2 --pipeline NAME [--passes 5]
      runs a warm-up pass and N timed passes and prints one JSON summary.

After each pass the worker waits until its own process has gone quiet (no CPU
time used for a short while, at most 2 s) before it answers, so that background
work of the pipeline it measured (DALI's prefetching, tf.data teardown) does not
overlap the next pipeline's timed pass.
"""

import argparse
import csv
import json
import os
import resource
import statistics
import sys
import time

# The protocol channel is the original stdout; anything a library prints goes to stderr.
_PROTO = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr


def send(obj):
    _PROTO.write(json.dumps(obj) + "\n")
    _PROTO.flush()


class Skip(Exception):
    """The pipeline cannot run in this interpreter (reported, not an error)."""


def read_paths(csv_path):
    with open(csv_path, newline="") as f:
        return [r[0] for r in csv.reader(f) if r]


def parse_spec(spec):
    """Normalise a spec dict: csv, shape, dtype (NumPy name of the on-disk, native
    little-endian dtype, which is also the result dtype), repeat, batch, pipeline and,
    for .npz archives, npz_key (the member to read; None or absent for .npy files)."""
    out = dict(spec)
    out["shape"] = tuple(int(x) for x in spec["shape"])
    out["repeat"] = int(spec.get("repeat", 1))
    out["batch"] = int(spec.get("batch", 32))
    out["paths"] = read_paths(spec["csv"])
    return out


def wait_quiet(max_s=2.0, window_s=0.02, eps_s=0.002):
    """Return when this process used < eps_s CPU seconds during one window_s (all threads)."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        c0 = time.process_time()
        time.sleep(window_s)
        if time.process_time() - c0 < eps_s:
            return True
    return False


def maxrss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def timed_pass(runner):
    """runner.run_pass() plus what this process spent on it (all threads): user and
    system CPU seconds, minor page faults, context switches (from getrusage)."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    res = runner.run_pass()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    res["rusage"] = {"user_s": round(r1.ru_utime - r0.ru_utime, 4), "sys_s": round(r1.ru_stime - r0.ru_stime, 4),
                     "minflt": r1.ru_minflt - r0.ru_minflt, "majflt": r1.ru_majflt - r0.ru_majflt,
                     "nvcsw": r1.ru_nvcsw - r0.ru_nvcsw, "nivcsw": r1.ru_nivcsw - r0.ru_nivcsw}
    return res


def _serve(build, spec):
    try:
        runner = build(spec)
    except Skip as e:
        send({"status": "skipped", "note": str(e)})
        return
    except Exception as e:  # noqa: BLE001 - reported to the coordinator
        send({"status": "failed", "note": "%s: %s" % (type(e).__name__, str(e)[:400])})
        return
    try:
        check = runner.check()
    except Exception as e:  # noqa: BLE001
        send({"status": "failed", "note": "check: %s: %s" % (type(e).__name__, str(e)[:400])})
        return
    wait_quiet()
    send({"status": "ready", "check": check, "versions": runner.versions, "pid": os.getpid()})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "run":
            try:
                res = timed_pass(runner)
            except Exception as e:  # noqa: BLE001
                send({"error": "%s: %s" % (type(e).__name__, str(e)[:400])})
                continue
            res["quiet"] = wait_quiet()
            send(res)
        elif cmd["cmd"] == "exit":
            send({"maxrss_kb": maxrss_kb()})
            return


def _standalone(build, args):
    spec = parse_spec({"csv": args.csv, "shape": args.shape.split(","), "dtype": args.dtype,
                       "repeat": args.repeat, "batch": args.batch, "pipeline": args.pipeline,
                       "npz_key": args.npz_key})
    runner = build(spec)
    out = {"pipeline": args.pipeline, "csv": args.csv, "check": runner.check(), "versions": runner.versions}
    warm = timed_pass(runner)
    wait_quiet()
    secs, extra = [], []
    elements = None
    for _ in range(args.passes):
        r = timed_pass(runner)
        wait_quiet()
        secs.append(r.pop("seconds"))
        elements = r.pop("elements")
        extra.append(r)
    med = statistics.median(secs)
    out.update({"elements": elements, "warmup_s": warm["seconds"], "seconds": secs, "median_s": med,
                "elements_per_s": elements / med, "maxrss_kb": maxrss_kb(), "per_pass": extra})
    send(out)


def main(build, pipelines):
    ap = argparse.ArgumentParser(description="one peer-benchmark worker (see peerproto.py)")
    ap.add_argument("--serve", metavar="JSON", help="serve mode: the spec as JSON (used by run_peers.py)")
    ap.add_argument("--csv", help="paths.csv of a case (path,label rows)")
    ap.add_argument("--shape", help="array shape, e.g. 10,10")
    ap.add_argument("--dtype", help="NumPy dtype name of the arrays, e.g. float64")
    ap.add_argument("--repeat", type=int, default=1, help="passes over the files per timed pass")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--npz-key", default=None, help="the files are .npz archives: read this member (e.g. x)")
    ap.add_argument("--pipeline", choices=sorted(pipelines), default=sorted(pipelines)[0])
    ap.add_argument("--passes", type=int, default=5)
    args = ap.parse_args()
    if args.serve:
        _serve(build, parse_spec(json.loads(args.serve)))
    else:
        if not (args.csv and args.shape and args.dtype):
            ap.error("--csv, --shape and --dtype are needed (or --serve)")
        _standalone(build, args)
    sys.stderr.flush()
    _PROTO.flush()
    # Skip TensorFlow's / DALI's slow interpreter teardown: every result is sent.
    os._exit(0)
