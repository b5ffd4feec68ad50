"""Arrays of different shapes against uniform ones, through tfnpy.data.from_csv.

Two CSVs of N small float64 .npy files of the same mean size: uniform (10, 10)
arrays, and 1-D arrays whose lengths are drawn from 50..150 (read with
shape=[None], so from_csv reads them ragged in blocks and hands each out as a
tensor of its own shape). Each pipeline is iterated whole inside one
tf.function (Dataset.reduce: no Python per element), in interleaved passes in
one process, after the files are in the page cache; the report gives each
row's median elements/s and, per pass, the ratio of the ragged rows to their
uniform twins (the target: the unbatched default at >= 0.8x).

    python benchmarks/ragged.py [--files 10000] [--passes 5] [--out results.md]

Also a section of benchmarks/run.py (--ragged).
"""

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time

import numpy as np

TARGET = 0.8  # ragged unbatched from_csv / uniform unbatched from_csv, per pass

# name -> (csv, from_csv keyword arguments); the ragged rows' twins are the uniform ones.
ROWS = {
    "uniform": ("uniform", {}),
    "ragged": ("ragged", {"shape": [None]}),
    "uniform_batched": ("uniform", {"batch_size": 32}),
    "ragged_batched": ("ragged", {"shape": [None], "batch_size": 32}),
    "ragged_2d": ("ragged_2d", {"shape": [None, None]}),
}
TWINS = {"ragged": "uniform", "ragged_batched": "uniform_batched", "ragged_2d": "uniform"}


def prepare(root, n):
    """Write the three CSVs and their files (kept between runs); read every file once."""
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(24)
    lengths = rng.integers(50, 151, size=n)
    for name, make in (("uniform", lambda i: np.random.default_rng(i).random((10, 10))),
                       ("ragged", lambda i: np.random.default_rng(i).random(int(lengths[i]))),
                       ("ragged_2d", lambda i: np.random.default_rng(i).random((int(lengths[i]) // 10, 10 + i % 3)))):
        path = os.path.join(root, f"{name}.csv")
        if not os.path.exists(path):
            with open(path + ".tmp", "w", newline="") as f:
                w = csv.writer(f)
                for i in range(n):
                    np.save(os.path.join(root, f"{name}_{i}.npy"), make(i))
                    w.writerow([f"{name}_{i}.npy", i])
            os.replace(path + ".tmp", path)
        for row in csv.reader(open(path)):
            with open(os.path.join(root, row[0]), "rb") as f:
                f.read()


def measure(root, passes, rows=tuple(ROWS)):
    """{row: [elements/s per pass]}, passes interleaved."""
    import tensorflow as tf

    import tfnpy

    fns = {}
    for row in rows:
        name, kw = ROWS[row]
        ds = tfnpy.data.from_csv(os.path.join(root, f"{name}.csv"), **kw)
        fns[row] = tf.function(lambda ds=ds: ds.reduce(tf.constant(0, tf.int64), lambda s, *_: s + 1))
        fns[row]()  # Warm-up: graph, threads, page cache.
    out = {row: [] for row in rows}
    for _ in range(passes):
        for row, fn in fns.items():
            t = time.perf_counter()
            n = int(fn())
            elements = n * (32 if "batched" in row else 1)
            out[row].append(elements / (time.perf_counter() - t))
    return out


def report(results):
    lines = ["| row | elements/s (median) | min–max | × its uniform twin (median of per-pass ratios) |",
             "|---|---:|---:|---:|"]
    ratios = {}
    for row, rates in results.items():
        twin = TWINS.get(row)
        ratio = ""
        if twin in results:
            r = [a / b for a, b in zip(rates, results[twin])]
            ratios[row] = statistics.median(r)
            ratio = f"{ratios[row]:.2f}× ({min(r):.2f}–{max(r):.2f})"
        lines.append(f"| {row} | {statistics.median(rates):,.0f} | {min(rates):,.0f}–{max(rates):,.0f} | {ratio} |")
    if "ragged" in ratios:
        verdict = "met" if ratios["ragged"] >= TARGET else "MISSED"
        lines += ["", f"Target: unbatched ragged from_csv ≥ {TARGET}× its uniform twin: "
                      f"{ratios['ragged']:.2f}× ({verdict})."]
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=10000)
    p.add_argument("--passes", type=int, default=5)
    p.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "tfnpy-bench-ragged"))
    p.add_argument("--out", help="also write the report (markdown) here")
    args = p.parse_args(argv)
    root = os.path.join(args.data, str(args.files))
    prepare(root, args.files)
    load = os.getloadavg()
    results = measure(root, args.passes)
    lines = [f"{args.files} files per CSV, {args.passes} passes, load average before: {load[0]:.2f}", ""]
    lines += report(results)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
