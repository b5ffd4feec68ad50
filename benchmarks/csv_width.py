#!/usr/bin/env python
"""How from_csv's build and iteration time and memory grow with a CSV's width.

    python benchmarks/csv_width.py [--rows 100] [--widths 2,1000,10000,100000] [--dir /tmp/tfnpy-csv-width]

Each width is a CSV of --rows rows: one path (all naming the same small .npy
file) and width - 1 integer columns; CSVs of up to 1,000 columns are read as
one tensor per column, wider ones with stack_columns=True (one tensor per
dtype). Every (width, mode) runs in a process of its own, started after a
first from_csv on a 2-column CSV (the one-time costs of a process), and
reports the seconds to build the dataset, to create its iterator and to read
all its elements, and the process's peak RSS. Issue #23's target: 10,000
columns build and iterate in seconds (before: 253 s and 5.4 GB). Timings on a
shared machine move with its load, which is printed next to them.
"""

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, resource, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf, tfnpy
folder, width, rows, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tfnpy.data.from_csv(os.path.join(folder, "w2.csv"))  # one-time costs of the process
path = os.path.join(folder, f"w{width}.csv")
t0 = time.perf_counter()
ds = tfnpy.data.from_csv(path, in_memory=mode == "in_memory", stack_columns=width > 1000)
t1 = time.perf_counter()
it = iter(ds)
t2 = time.perf_counter()
n = sum(1 for _ in it)
t3 = time.perf_counter()
assert n == rows, (n, rows)
print(json.dumps(dict(build=t1 - t0, iterator=t2 - t1, read=t3 - t2,
                      rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--widths", default="2,1000,10000,100000")
    parser.add_argument("--dir", default="/tmp/tfnpy-csv-width")
    args = parser.parse_args()
    import numpy as np

    os.makedirs(args.dir, exist_ok=True)
    np.save(os.path.join(args.dir, "a.npy"), np.zeros((10, 10)))
    widths = sorted({2, *map(int, args.widths.split(","))})
    for width in widths:
        row = "a.npy," + ",".join(str(i % 100) for i in range(width - 1)) + "\n"
        with open(os.path.join(args.dir, f"w{width}.csv"), "w") as f:
            f.write(row * args.rows)
    print(f"load average before: {os.getloadavg()}")
    print("| columns | mode | build s | iterator s | read s | peak RSS MB |")
    print("|---:|---|---:|---:|---:|---:|")
    for width in widths:
        for mode in ("streamed", "in_memory"):
            out = subprocess.run([sys.executable, "-c", CHILD, args.dir, str(width), str(args.rows), mode],
                                 capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"| {width:,} | {mode} | {r['build']:.2f} | {r['iterator']:.2f} | {r['read']:.2f} "
                  f"| {r['rss_mb']:.0f} |",
                  flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
