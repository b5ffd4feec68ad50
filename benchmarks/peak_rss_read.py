"""Peak memory of reading one large .npy file, three ways.

    python benchmarks/peak_rss_read.py [--mb 1024] [--dir /tmp] [--out table.md]

Writes a float32 .npy of about --mb megabytes (default 1 GiB) and reads it in a
fresh Python process per method, so each peak resident set size (ru_maxrss)
belongs to that method alone:

  read_npy               tfnpy.read_npy(path, tf.float32): the op reads the
                         data straight into the output tensor.
  read_file + decode_npy tfnpy.decode_npy(tf.io.read_file(path), tf.float32):
                         the file's bytes as a string tensor, then the array.
  np.load                numpy's reader (no TensorFlow in that process).
  read_npy, 1/8 rows     tfnpy.read_npy(path, ..., start=0, stop=rows // 8).

Each child imports what it needs and runs the method once on a tiny file (so
libraries and kernels are loaded), resets its peak-RSS mark (VmHWM, through
/proc/self/clear_refs), records VmRSS, reads the big file and reports ru_maxrss
(its whole life, imports included) and VmHWM (the peak since the reset). The
last columns give the peak during the read above the RSS before it, in MiB and
divided by the size of the array: 1.00 means the read needed memory for the
array and nothing more. The tensor is not converted with .numpy() (a copy in
TensorFlow 2.x); a few values are checked by indexing.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

import numpy as np

METHODS = ["read_npy", "read_file+decode_npy", "np.load", "read_npy_rows"]
LABELS = {
    "read_npy": "`read_npy`",
    "read_file+decode_npy": "`read_file` + `decode_npy`",
    "np.load": "`np.load`",
    "read_npy_rows": "`read_npy`, first 1/8 of the rows",
}


def _status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_hwm():
    """Resets VmHWM (the peak RSS) to the current RSS; False if the kernel
    does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _expected_value(i, cols):
    """The file holds float32(row * 7 + col % 1000) at (row, col)."""
    r, c = divmod(i, cols)
    return np.float32(r * 7 + c % 1000)


def child(method, path, small):
    """Runs in a fresh process: one method on `small` (warm-up), then on
    `path`; prints a JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if method == "np.load":
        def run(p, rows=None):
            return np.load(p)
    else:
        import tensorflow as tf
        import tfnpy

        if method == "read_npy":
            def run(p, rows=None):
                return tfnpy.read_npy(p, tf.float32)
        elif method == "read_npy_rows":
            def run(p, rows=None):
                return tfnpy.read_npy(p, tf.float32, start=0,
                                      stop=max(1, (rows or 8) // 8))
        elif method == "read_file+decode_npy":
            def run(p, rows=None):
                return tfnpy.decode_npy(tf.io.read_file(p), tf.float32)
        else:
            raise SystemExit(f"unknown method {method}")

    run(small, 8)
    header = np.load(path, mmap_mode="r")
    rows, cols = header.shape
    del header
    hwm_reset = _reset_hwm()
    baseline_kb = _status_kb("VmRSS")
    out = run(path, rows)
    read_peak_kb = _status_kb("VmHWM")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Check a few values, so the read really happened. Not through
    # Tensor.numpy(), which copies the whole tensor in TF 2.x.
    n = int(np.prod(out.shape))
    flat = out.reshape(-1) if isinstance(out, np.ndarray) else None
    for i in (0, n // 3, n - 1):
        if flat is not None:
            got = flat[i]
        else:
            r, c = divmod(i, cols)
            got = out[r, c].numpy()
        if got != _expected_value(i, cols):
            raise SystemExit(f"{method}: wrong value at flat index {i}: {got}")
    print(json.dumps({"method": method, "baseline_kb": baseline_kb,
                      "read_peak_kb": read_peak_kb if hwm_reset else None,
                      "peak_kb": peak_kb, "result_bytes": n * 4}))


def write_file(path, mb):
    """Writes the test array block by block: this process stays small. (A
    child's ru_maxrss starts at its parent's peak RSS, since exec records the
    peak of the memory image it replaces, so the parent must not grow.)"""
    cols = 4096
    rows = max(8, (mb * 2**20) // (cols * 4))
    col_part = (np.arange(cols) % 1000).astype(np.float32)
    block = 256
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f4", "fortran_order": False, "shape": (rows, cols)})
        for r in range(0, rows, block):
            end = min(rows, r + block)
            part = (np.arange(r, end, dtype=np.float32) * 7)[:, None] + col_part
            f.write(part.astype("<f4").tobytes())
    return rows, cols


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=1024, help="array size in MiB")
    ap.add_argument("--dir", default=tempfile.gettempdir(),
                    help="where to write the test file")
    ap.add_argument("--out", help="also write the table to this file")
    ap.add_argument("--child", nargs=3, metavar=("METHOD", "PATH", "SMALL"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return

    tmp = tempfile.mkdtemp(dir=args.dir, prefix="tfnpy-rss-")
    path = os.path.join(tmp, "big.npy")
    small = os.path.join(tmp, "small.npy")
    try:
        rows, cols = write_file(path, args.mb)
        write_file(small, 0)
        array_bytes = rows * cols * 4
        results = []
        for method in METHODS:
            proc = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--child", method,
                 path, small],
                capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr[-4000:])
                raise SystemExit(f"{method} failed (exit {proc.returncode})")
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    finally:
        for p in (path, small):
            if os.path.exists(p):
                os.remove(p)
        os.rmdir(tmp)

    import platform
    mib = 2**20
    lines = [
        f"Peak RSS reading a float32 .npy of shape ({rows}, {cols}) = "
        f"{array_bytes / mib:.0f} MiB; one fresh process per method; "
        f"Python {platform.python_version()}, numpy {np.__version__}.",
        "",
        "| method | result MiB | peak RSS (ru_maxrss) MiB | RSS before the read MiB "
        "| peak during the read - before MiB | that / array size |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        peak = r["peak_kb"] * 1024
        base = r["baseline_kb"] * 1024
        # The peak during the read alone (VmHWM reset just before it); where
        # the kernel cannot reset it, the process's whole-life peak.
        during = (r["read_peak_kb"] if r["read_peak_kb"] is not None
                  else r["peak_kb"]) * 1024
        lines.append(
            f"| {LABELS[r['method']]} | {r['result_bytes'] / mib:.0f} "
            f"| {peak / mib:.0f} | {base / mib:.0f} | {(during - base) / mib:.0f} "
            f"| {(during - base) / array_bytes:.2f} |")
    lines += ["", "ratio 1.00: the read needed the array's memory and nothing "
              "more; 2.00: a second full copy existed at some point."]
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
