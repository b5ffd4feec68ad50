"""The check case's rows: `tfnpy check` over the case's CSV, timed (see run.py, "the check case").

Started by run.py as `python check_worker.py '<json spec>'`; it speaks worker.py's line
protocol on its stdout (a "ready" line, then one line per "run" command, the peak RSS on
"exit") and imports no TensorFlow. spec["pipeline"] is the row:

  check          tfnpy.cli.main(["check", csv]) in this process: every file's header
  check_full     the same with --full: every file's data too
  check_process  `python -m tfnpy check csv` as a new process each pass: interpreter
                 start-up and imports included, as a user runs it

A pass checks the CSV spec["repeat"] times and must find every file fine.
"""

import contextlib
import json
import os
import resource
import subprocess
import sys
import time

# The protocol channel is the original stdout; anything else printed goes to stderr.
_PROTO = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr


def send(obj):
    _PROTO.write(json.dumps(obj) + "\n")


def _rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    spec = json.loads(sys.argv[1])
    rss_start = _rss_kb()
    from tfnpy import cli

    csv_path, row = spec["csv"], spec["pipeline"]
    with open(csv_path, "rb") as f:
        files = sum(1 for line in f if line.strip())
    argv = ["check", csv_path, "--no-progress"] + (["--full"] if row == "check_full" else [])

    def once():
        if row == "check_process":
            done = subprocess.run([sys.executable, "-m", "tfnpy"] + argv, capture_output=True, text=True)
            code, out = done.returncode, done.stdout
        else:
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                code, out = cli.main(argv), ""
        if code != 0:
            raise RuntimeError("tfnpy check exited with %d: %s" % (code, out[-300:]))

    try:
        once()  # the check itself, before timing
    except Exception as e:  # noqa: BLE001 - reported to run.py
        send({"status": "failed", "note": "%s: %s" % (type(e).__name__, str(e)[:300])})
        return
    send({"status": "ready", "check": "every file passes tfnpy check", "rss_start_kb": rss_start,
          "rss_imported_kb": _rss_kb()})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "run":
            try:
                t0 = time.perf_counter()
                for _ in range(spec["repeat"]):
                    once()
                send({"elements": files * spec["repeat"], "seconds": time.perf_counter() - t0})
            except Exception as e:  # noqa: BLE001
                send({"error": "%s: %s" % (type(e).__name__, str(e)[:300])})
        elif cmd["cmd"] == "exit":
            send({"maxrss_kb": _rss_kb()})
            return


if __name__ == "__main__":
    main()
