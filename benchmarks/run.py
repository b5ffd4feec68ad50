#!/usr/bin/env python
"""tfnpy benchmark harness: one command, see benchmarks/README.md.

    python benchmarks/run.py [--quick] [--cases small,medium,...,medium_npz_deflated]
                             [--passes 5] [--data-dir /tmp/tfnpy-bench] [--out benchmarks/results]

This process only generates data, schedules and reports; it never imports
TensorFlow. Each (case, pipeline) runs in its own worker process (worker.py) that
stays alive for the warm-up and all timed passes of its case, so its peak RSS is
its own, while this coordinator interleaves the passes of all pipelines of a case.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import selectors
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import time
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "worker.py")
FLOOR_SRC = os.path.join(HERE, "floor", "floor.c")
CRC_SHIM = os.path.join(HERE, "floor", "crc_shim.cc")
CORE_DIR = os.path.join(os.path.dirname(HERE), "cc")  # cc/npy/crc32.cc, for floor.c --crc
BATCH = 32

# name -> on-disk dtype, result dtype, shape, memory order, files, passes over them per timed pass
CASES = {
    "small": dict(dtype="<f8", out="float64", shape=(10, 10), order="C", files=10000, repeat=2),
    "medium": dict(dtype="<f4", out="float32", shape=(224, 224, 3), order="C", files=1000, repeat=3),
    "large": dict(dtype="<f4", out="float32", shape=(1024, 1024), order="C", files=100, repeat=5),
    "medium_be": dict(dtype=">f4", out="float32", shape=(224, 224, 3), order="C", files=1000, repeat=3),
    "medium_f": dict(dtype="<f4", out="float32", shape=(224, 224, 3), order="F", files=1000, repeat=3),
    # .npz: each archive holds one member "x" (np.savez / np.savez_compressed); the same
    # arrays are also written as .npy files, which the read_npy rows of these cases read.
    "small_npz": dict(dtype="<f8", out="float64", shape=(10, 10), order="C", files=10000, repeat=2, npz="stored"),
    "medium_npz": dict(dtype="<f4", out="float32", shape=(224, 224, 3), order="C", files=1000, repeat=3,
                       npz="stored"),
    # Values in steps of 1/256 (8 significant bits), so deflate has something to remove:
    # they compress about 2.6:1 where uniform random floats compress 1.1:1.
    "medium_npz_deflated": dict(dtype="<f4", out="float32", shape=(224, 224, 3), order="C", files=1000, repeat=3,
                                npz="deflated", steps=256),
}
PIPELINES = [
    "seed_numpy_function",
    "seed_py_function",
    "decode_npy",
    "batched_decode",
    "read_npy",
    "batched_read_npy",
    "from_csv",
    "from_csv_in_memory",
    "from_csv_batched",
    "csv_dataset_read_npy",
    "read_file_floor",
]
# The rows of the .npz cases: read_npy* rows read the .npy twins of the archives, every
# other row the archives (the seed: numpy_function(np.load(p)["x"])).
NPZ_PIPELINES = ["seed_numpy_function", "read_npy", "batched_read_npy", "read_npz", "batched_read_npz",
                 "from_csv", "from_csv_batched", "read_file_floor"]
NPZ_KEY = "x"
SEED, FLOOR = "seed_numpy_function", "read_file_floor"
TFNPY_PIPELINES = ["decode_npy", "batched_decode", "read_npy", "batched_read_npy", "from_csv", "from_csv_in_memory",
                   "from_csv_batched", "csv_dataset_read_npy"]
# Timed in every case next to the pipelines, but not tf.data pipelines (so not in the
# chart or the pipeline targets): one read_npy op call over all the case's paths
# (worker.py), and the syscall and memcpy floors (floor/floor.c) at 1 and --threads threads.
ONE_CALL = "read_npy_one_call"
NPZ_ONE_CALL = "read_npz_one_call"
# Stored .npz cases only: read_npz with verify_crc=False (every check but the CRC-32).
NOCRC_ROWS = ["batched_read_npz_nocrc", "read_npz_one_call_nocrc"]
# Medium and large cases: the same reads in a worker with one more environment
# variable: TFNPY_HUGE_PAGES=0 (no transparent-huge-page advice on the outputs,
# cc/tf/batch.cc), or TensorFlow's pooling CPU allocator instead of malloc.
# {row: (the row it repeats, its environment)}
ENV_ROWS = {
    "batched_read_npy_no_thp": ("batched_read_npy", {"TFNPY_HUGE_PAGES": "0"}),
    "read_npy_one_call_no_thp": (ONE_CALL, {"TFNPY_HUGE_PAGES": "0"}),
    "batched_read_npy_bfc": ("batched_read_npy", {"TF_CPU_ALLOCATOR_USE_BFC": "true"}),
    "read_npy_one_call_bfc": (ONE_CALL, {"TF_CPU_ALLOCATOR_USE_BFC": "true"}),
}
ENV_CASES = ("medium", "large")
NO_THP_ROWS = [r for r, (_, env) in ENV_ROWS.items() if "TFNPY_HUGE_PAGES" in env]
FLOOR_KINDS = ("syscall_floor", "memcpy_floor")
INFLATE_FLOOR = "inflate_floor"  # deflated .npz cases only: zlib inflating the members from memory
CRC_FLOOR = "syscall_crc_floor"  # stored .npz cases only: the syscall floor, each slice read then CRC-32'd
SCALING_PIPELINES = ["seed_numpy_function", "decode_npy"]
SCALING_NPC = ["1", "2", "autotune"]
CMD_TIMEOUT = 600.0  # seconds one worker command may take before the worker is killed


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data


def _make_array(case, spec, i):
    rng = np.random.default_rng([sum(map(ord, case)), i])
    if spec.get("steps"):
        a = np.floor(rng.random(spec["shape"]) * spec["steps"]) / spec["steps"]
    elif spec["out"] == "float64":
        a = rng.random(spec["shape"])  # np.random.rand(10, 10), as in the seed
    else:
        a = rng.random(spec["shape"], dtype=np.float32)
    a = a.astype(spec["dtype"])
    if spec["order"] == "F":
        a = np.asfortranarray(a)
    return a


def prepare_case(data_dir, case, spec, n):
    """Make sure files 0..n-1 exist (generate what is missing) and write paths.csv
    with exactly those n files. Returns (csv_path, paths, file_bytes)."""
    d = os.path.join(data_dir, case)
    os.makedirs(d, exist_ok=True)
    man_path = os.path.join(d, "manifest.json")
    key = {k: (list(v) if isinstance(v, tuple) else v) for k, v in spec.items()
           if k in ("dtype", "shape", "order", "npz", "steps")}
    have = 0
    if os.path.exists(man_path):
        with open(man_path) as f:
            man = json.load(f)
        if man.get("key") == key:
            have = int(man.get("count", 0))
    npz = spec.get("npz")
    paths = [os.path.join(d, "arr_%06d.%s" % (i, "npz" if npz else "npy")) for i in range(max(n, have))]
    if have:
        size0 = os.path.getsize(paths[0]) if os.path.exists(paths[0]) else -1
        # Trust the manifest only if the files it lists are all there with the right size
        # (deflated archives differ in size: there, only that they are all there).
        same = npz != "deflated"
        if any(not os.path.exists(p) or (same and os.path.getsize(p) != size0) for p in paths[:have]):
            have = 0
    if have < n:
        log("generating %s: files %d..%d in %s" % (case, have, n - 1, d))
        for i in range(have, n):
            a = _make_array(case, spec, i)
            if npz:
                np.save(paths[i][:-4] + ".npy", a)
                (np.savez_compressed if npz == "deflated" else np.savez)(paths[i], **{NPZ_KEY: a})
            else:
                np.save(paths[i], a)
        with open(man_path, "w") as f:
            json.dump({"key": key, "count": n}, f)
    paths = paths[:n]
    csv_path = os.path.join(d, "paths.csv")
    rows = [[p, str(i % 10)] for i, p in enumerate(paths)]
    old = None
    if os.path.exists(csv_path):
        with open(csv_path, newline="") as f:
            old = [r for r in csv.reader(f) if r]
    if old != rows:
        with open(csv_path, "w", newline="") as f:
            csv.writer(f).writerows(rows)
    with open(os.path.join(d, "paths.txt"), "w") as f:  # the same paths, one a line, for floor.c
        f.write("".join(p + "\n" for p in paths))
    if npz:
        with open(os.path.join(d, "members.txt"), "w") as f:  # floor.c --inflate
            f.write("".join("%s %d %d %d\n" % ((p,) + member_extent(p, NPZ_KEY + ".npy")) for p in paths))
    return csv_path, paths, os.path.getsize(paths[0])


def member_extent(path, name):
    """(offset, compressed size, size) of a zip member's data in its archive."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        local = f.read(30)
    name_n, extra_n = struct.unpack("<HH", local[26:30])
    return info.header_offset + 30 + name_n + extra_n, info.compress_size, info.file_size


def floor_label(kind, threads):
    return "%s_%dt" % (kind, threads)


def page_cache(paths):
    """Read every file once so the timed passes read from the page cache, and cache
    each one as a read from storage does, whatever wrote it. A file is written back
    (fsync), dropped from the cache (POSIX_FADV_DONTNEED) and read again: left as
    written, an archive that zipfile wrote in small pieces stays in small page-cache
    folios, which the kernel reads measurably slower than the large ones of a
    one-piece write (np.save's) or of readahead (medium .npz: 15-25% in a C loop of
    pread, 2026-12-01), and the .npz rows would pay for how the harness made them.
    For a .npz, its .npy twin (the read_npy rows' file) is cached the same way."""
    total = 0
    drop = getattr(os, "posix_fadvise", None)
    for p in paths:
        twin = p[:-4] + ".npy" if p.endswith(".npz") else None
        for q in [p] + ([twin] if twin and os.path.exists(twin) else []):
            with open(q, "rb", buffering=0) as f:
                if drop is not None:
                    os.fsync(f.fileno())
                    drop(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                while True:
                    chunk = f.read(1 << 22)
                    if not chunk:
                        break
                    total += len(chunk)
    return total


# --------------------------------------------------------------------------- floors


def build_floor(build_dir, zlib=None):
    """Compile floor/floor.c with the machine's C compiler ($CC, else cc, else gcc)
    into build_dir. zlib: (include dir, library file) of the zlib ReadNpz uses
    (TensorFlow's), for the inflate floor and, with a C++ compiler ($CXX, else c++,
    else g++), the CRC floor (floor.c --crc, linked to tfnpy's cc/npy/crc32.cc);
    without them, or if that build fails, the floor is built without those modes.
    Returns (binary, how it was built, {"inflate": bool, "crc": bool}) or (None, why
    not, {})."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if not cc:
        return None, "no C compiler ($CC, cc or gcc) found: floor rows skipped", {}
    os.makedirs(build_dir, exist_ok=True)
    out = os.path.join(build_dir, "floor")
    flags = ["-O2", "-std=c11", "-pthread"]
    tries = []  # (commands, how, modes)
    if zlib:
        inc, lib = zlib
        link = [lib, "-Wl,-rpath," + os.path.dirname(lib)]
        if cxx:
            objs = [os.path.join(build_dir, n) for n in ("floor.o", "crc32.o", "crc_shim.o")]
            tries.append(([shlex.split(cc) + flags + ["-DFLOOR_ZLIB", "-DFLOOR_CRC", "-I" + inc, "-c", FLOOR_SRC,
                                                      "-o", objs[0]],
                           shlex.split(cxx) + ["-O2", "-I" + CORE_DIR, "-I" + inc, "-c",
                                               os.path.join(CORE_DIR, "npy", "crc32.cc"), "-o", objs[1]],
                           shlex.split(cxx) + ["-O2", "-I" + CORE_DIR, "-c", CRC_SHIM, "-o", objs[2]],
                           shlex.split(cxx) + ["-pthread", "-o", out] + objs + link],
                          " -DFLOOR_ZLIB -DFLOOR_CRC, with cc/npy/crc32.cc (%s -O2), linked to %s"
                          % (cxx, os.path.basename(lib)), {"inflate": True, "crc": True}))
        tries.append(([shlex.split(cc) + flags + ["-o", out, FLOOR_SRC, "-DFLOOR_ZLIB", "-I" + inc] + link],
                      " -DFLOOR_ZLIB, linked to %s" % os.path.basename(lib), {"inflate": True, "crc": False}))
    tries.append(([shlex.split(cc) + flags + ["-o", out, FLOOR_SRC]], "", {"inflate": False, "crc": False}))
    why = ""
    for cmds, extra, modes in tries:
        try:
            for cmd in cmds:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                if p.returncode != 0:
                    break
            ver = subprocess.run(shlex.split(cc) + ["--version"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired) as ex:
            return None, "building floor.c failed (%s): floor rows skipped" % ex, {}
        if p.returncode == 0:
            return out, "`%s -O2 -std=c11 -pthread%s` (%s)" % (cc, extra, (ver.splitlines() or ["?"])[0]), modes
        why = "`%s` failed: %s" % (" ".join(cmd), p.stderr.strip()[-300:])
        log("floor.c: %s" % why)
    return None, why + "; floor rows skipped", {}


def floor_entries(floor_bin, why, case, threads_list, modes=None):
    """Harness entries for the syscall and memcpy floors of a case (and the inflate
    floor of a deflated .npz case, the CRC floor of a stored one), one per thread
    count; each is a floor.c process serving the same line protocol as worker.py."""
    modes = modes or {}
    entries = []
    # (kind, the .npz cases it is for, floor.c's mode it needs, its work arguments)
    npz_floors = [(INFLATE_FLOOR, "deflated", "inflate", ["--inflate", case["members"]]),
                  (CRC_FLOOR, "stored", "crc", ["--list", case["list"], "--crc"])]
    for kind, npz, mode, work in npz_floors:
        for t in threads_list if case.get("npz") == npz else []:
            e = {"label": floor_label(kind, t), "spec": {"pipeline": kind, "threads": t}}
            if floor_bin is None or not modes.get(mode):
                e["skip"] = why if floor_bin is None else "floor.c built without its %s mode (see the log)" % mode
            else:
                e["argv"] = [floor_bin, "--serve", "--threads", str(t), "--repeat", str(case["repeat"])] + work
            entries.append(e)
    for kind in FLOOR_KINDS:
        for t in threads_list:
            e = {"label": floor_label(kind, t), "spec": {"pipeline": kind, "threads": t}}
            if floor_bin is None:
                e["skip"] = why
            else:
                work = (["--memcpy", "--count", str(case["files"]), "--bytes", str(case["data_bytes"])]
                        if kind == "memcpy_floor" else ["--list", case["list"]])
                e["argv"] = [floor_bin, "--serve", "--threads", str(t), "--repeat", str(case["repeat"])] + work
            entries.append(e)
    return entries


# --------------------------------------------------------------------------- workers


class Worker:
    """A worker process that answers one JSON line per command. argv defaults to
    worker.py in this interpreter; benchmarks/peers/run_peers.py passes its own."""

    def __init__(self, spec, log_path, argv=None, env=None):
        env = dict(os.environ, **(env or {}))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self.log_file = open(log_path, "ab")
        self.proc = subprocess.Popen(
            argv or [sys.executable, WORKER, json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            env=env,
        )
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.buf = b""

    def recv(self, timeout=CMD_TIMEOUT):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(left):
                self.kill()
                raise RuntimeError("worker timed out after %.0f s" % timeout)
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                self.proc.wait()
                raise RuntimeError("worker exited (code %s) without answering" % self.proc.returncode)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.kill()
        self.log_file.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _busy_s():
    """CPU seconds all processes of the machine have used (from /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s(workers):
    """CPU seconds used by this process and the given live workers."""
    t = os.times()
    total = t.user + t.system
    tick = os.sysconf("SC_CLK_TCK")
    for w in workers:
        try:
            with open("/proc/%d/stat" % w.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_once(spec, log_path, timeout=CMD_TIMEOUT):
    w = Worker(spec, log_path)
    try:
        return w.recv(timeout)
    finally:
        w.close()


def run_group(group, entries, passes, log_dir):
    """entries: list of dicts with 'label' and 'spec'. All workers start together,
    then one warm-up pass each, then `passes` passes; in pass k the entries run one
    after another, the order rotated by k. Returns one result dict per entry."""
    results = []
    workers = {}
    log("%s: starting %d workers" % (group, len(entries)))
    for e in entries:
        res = {"label": e["label"], "pipeline": e["spec"].get("pipeline"), "npc": e["spec"].get("npc"),
               "status": "starting", "note": "", "seconds": [], "warmup_s": None}
        results.append(res)
        if e.get("skip"):
            res["status"], res["note"], res["ready"] = "skipped", e["skip"], {}
            continue
        workers[e["label"]] = Worker(e["spec"], os.path.join(log_dir, "%s-%s.log" % (group, e["label"])),
                                     argv=e.get("argv"), env=e.get("env"))
    active = []
    for res in results:
        w = workers.get(res["label"])
        if w is None:
            continue
        try:
            msg = w.recv()
        except RuntimeError as ex:
            msg = {"status": "failed", "note": str(ex)}
        res["status"] = msg.get("status")
        res["note"] = msg.get("note", msg.get("check", ""))
        res["ready"] = msg
        if res["status"] == "ready":
            active.append(res)
        else:
            w.close()
    log("%s: %d ready, %s" % (group, len(active), ", ".join("%s %s" % (r["label"], r["status"]) for r in results if r["status"] != "ready") or "none skipped"))

    t_busy0, t_own0, t_wall0 = _busy_s(), _own_cpu_s(workers.values()), time.monotonic()

    def one_pass(res):
        w = workers[res["label"]]
        w.send({"cmd": "run"})
        msg = w.recv()
        if "error" in msg:
            raise RuntimeError(msg["error"])
        return msg

    for k in range(-1, passes):
        order = active[k % len(active):] + active[: k % len(active)] if k >= 0 else list(active)
        for res in order:
            if res["status"] != "ready":
                continue
            try:
                msg = one_pass(res)
            except RuntimeError as ex:
                res["status"], res["note"] = "failed", "during pass %d: %s" % (k, ex)
                workers[res["label"]].kill()
                continue
            res["elements"] = msg["elements"]
            if "bytes" in msg:  # the floors say how many bytes they moved
                res["bytes"] = msg["bytes"]
            if k < 0:
                res["warmup_s"] = msg["seconds"]
            else:
                res["seconds"].append(msg["seconds"])
                res.setdefault("teardown_s", []).append(msg.get("teardown_s"))
        if k >= 0:
            log("%s: pass %d/%d done" % (group, k + 1, passes))
    wall = time.monotonic() - t_wall0
    foreign = (_busy_s() - t_busy0 - (_own_cpu_s(workers.values()) - t_own0)) / wall if wall > 0 else None
    log("%s: other processes used %.2f CPUs during the timed passes" % (group, foreign or 0))
    for res in results:
        res["foreign_cpus"] = foreign
    # Ask every worker for its peak RSS first, then let them all exit together.
    for res in active:
        if res["status"] == "ready":
            try:
                workers[res["label"]].send({"cmd": "exit"})
            except OSError:
                pass
    for res in active:
        if res["status"] == "ready":
            try:
                msg = workers[res["label"]].recv(60)
                res["maxrss_kb"] = msg["maxrss_kb"]
            except (RuntimeError, KeyError) as ex:
                res["note"] += " (no RSS: %s)" % ex
            res["status"] = "ok"
    for res in active:
        workers[res["label"]].close()
    return results


def summarize(results, expected, file_bytes, threads=None):
    """Add medians and per-pass ratios (to the seed, the read_file floor and, given
    threads, the syscall and memcpy floors at that thread count) to each result."""
    by = {r["label"]: r for r in results}

    def per_pass_ratio(r, ref_label):
        ref = by.get(ref_label)
        if not ref or ref["status"] != "ok" or r["status"] != "ok":
            return None
        n = min(len(r["seconds"]), len(ref["seconds"]))
        if n == 0:
            return None
        return statistics.median(ref["seconds"][i] / r["seconds"][i] for i in range(n))

    for r in results:
        if r["status"] != "ok" or not r["seconds"]:
            continue
        if r.get("elements") != expected:
            r["note"] = (r["note"] + "; " if r["note"] else "") + "counted %s elements, expected %d" % (r.get("elements"), expected)
        med = statistics.median(r["seconds"])
        r["median_s"] = med
        r["eps"] = r["elements"] / med
        r["mbps"] = r["eps"] * (r["bytes"] / r["elements"] if r.get("bytes") else file_bytes) / 1e6
        r["spread"] = (max(r["seconds"]) - min(r["seconds"])) / med
        r["x_seed"] = per_pass_ratio(r, SEED)
        r["x_floor"] = per_pass_ratio(r, FLOOR)
        if threads:
            r["x_syscall"] = per_pass_ratio(r, floor_label("syscall_floor", threads))
            r["x_memcpy"] = per_pass_ratio(r, floor_label("memcpy_floor", threads))
        r["x_inflate"] = per_pass_ratio(r, floor_label(INFLATE_FLOOR, 1))  # zlib's own, one thread
        if threads:
            r["x_crc"] = per_pass_ratio(r, floor_label(CRC_FLOOR, threads))
        base = r["ready"].get("rss_imported_kb")
        if r.get("maxrss_kb") and base:
            r["rss_peak_mb"] = r["maxrss_kb"] / 1024
            r["rss_delta_mb"] = (r["maxrss_kb"] - base) / 1024
    return results


# --------------------------------------------------------------------------- report


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) // (1024 * 1024)
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    return {"cpu": cpu, "nproc": nproc, "mem_gib": mem, "kernel": platform.release(),
            "loadavg_start": os.getloadavg()}


def fmt_int(x):
    return "%s" % format(int(round(x)), ",") if x is not None else "–"


def fmt_x(x):
    return "%.2f×" % x if x is not None else "–"


def pipeline_table(results):
    # An .npz case has one more column: deflated, × zlib's inflate; stored, × the CRC floor.
    extra = next(((k, t) for k, t in (("x_inflate", " × inflate 1t |"), ("x_crc", " × syscall+crc |"))
                  if any(r.get(k) for r in results)), None)
    lines = [
        "| pipeline | elements/s | MB/s | × seed | × floor | × syscall | × memcpy |%s spread | peak RSS MB (Δ) | note |"
        % (extra[1] if extra else ""),
        "|---|---:|---:|---:|---:|---:|---:|%s---:|---:|---|" % ("---:|" if extra else ""),
    ]
    for r in results:
        if r["status"] == "ok" and r.get("eps"):
            rss = "%.0f (+%.0f)" % (r["rss_peak_mb"], r["rss_delta_mb"]) if r.get("rss_peak_mb") else "–"
            mbps = "%.1f" % r["mbps"] if r["mbps"] < 100 else fmt_int(r["mbps"])
            note = "" if r["note"] == r["ready"].get("check") else r["note"]  # a passed check is not news
            lines.append("| %s | %s | %s | %s | %s | %s | %s |%s %.0f%% | %s | %s |" % (
                r["label"], fmt_int(r["eps"]), mbps, fmt_x(r["x_seed"]), fmt_x(r["x_floor"]),
                fmt_x(r.get("x_syscall")), fmt_x(r.get("x_memcpy")),
                " %s |" % fmt_x(r.get(extra[0])) if extra else "", 100 * r["spread"], rss, note))
        else:
            lines.append("| %s | – | – | – | – | – | – |%s – | – | %s: %s |" % (
                r["label"], " – |" if extra else "", r["status"], r["note"]))
    return lines


def micro_tables(micro):
    lines = []
    dec = micro.get("decode", [])
    if dec:
        lines += ["| array | order | method | GB/s | × memcpy | ms/call |", "|---|---|---|---:|---:|---:|"]
        memcpy = {(d["array"], d["order"]): d["median_s"] for d in dec if d["method"].startswith("memcpy")}
        for d in dec:
            gbps = d["bytes"] / d["median_s"] / 1e9
            ratio = memcpy[(d["array"], d["order"])] / d["median_s"]
            d["gbps"], d["x_memcpy"] = gbps, ratio
            lines.append("| %s | %s | %s | %.2f | %.2f× | %.3f |" % (
                d["array"], d["order"], d["method"], gbps, ratio, d["median_s"] * 1e3))
    lo = micro.get("loads", [])
    if lo:
        lines += ["", "| array | np.load(io.BytesIO(b)) µs | tfnpy.loads(b) µs | speed-up |", "|---|---:|---:|---:|"]
        for arr in dict.fromkeys(d["array"] for d in lo):
            t = {d["method"]: d["median_s"] for d in lo if d["array"] == arr}
            a, b = t.get("np.load(io.BytesIO(b))"), t.get("tfnpy.loads(b)")
            lines.append("| %s | %.1f | %.1f | %.2f× |" % (arr, a * 1e6, b * 1e6, a / b))
    enc = micro.get("encode", [])
    if enc:
        lines += ["", "| encode | method | GB/s | × memcpy | ms/call |", "|---|---|---:|---:|---:|"]
        memcpy = next(d["median_s"] for d in enc if d["method"].startswith("memcpy"))
        for d in enc:
            d["gbps"], d["x_memcpy"] = d["bytes"] / d["median_s"] / 1e9, memcpy / d["median_s"]
            lines.append("| %s float32 | %s | %.2f | %.2f× | %.3f |" % (
                d["array"], d["method"], d["gbps"], d["x_memcpy"], d["median_s"] * 1e3))
    wr = micro.get("write", [])
    if wr:
        lines += ["", "| write | method | files/s | × write_file loop | ms/pass |", "|---|---|---:|---:|---:|"]
        loop = next(d["median_s"] for d in wr if "eager loop" in d["method"])
        for d in wr:
            d["files_per_s"], d["x_loop"] = d["files"] / d["median_s"], loop / d["median_s"]
            lines.append("| %s | %s | %s | %.2f× | %.1f |" % (
                d["array"], d["method"], fmt_int(d["files_per_s"]), d["x_loop"], d["median_s"] * 1e3))
    for n in micro.get("notes", []):
        lines.append("")
        lines.append("Note: " + n)
    return lines


def evaluate_targets(cases, micro, threads=None):
    """Returns rows (target, pipeline, measured, holds) and a summary per target."""
    rows = []

    def get(case, label):
        for r in cases.get(case, {}).get("results", []):
            if r["label"] == label and r["status"] == "ok" and r.get("eps"):
                return r
        return None

    def seed_floor_target(case, min_seed, min_floor, pipes, title):
        any_row = False
        holds = []
        for p in pipes:
            r = get(case, p)
            if r is None or r.get("x_seed") is None or r.get("x_floor") is None:
                continue
            ok = r["x_seed"] >= min_seed and r["x_floor"] >= min_floor
            holds.append(ok)
            rows.append((title if not any_row else "", p, "%s seed, %s floor" % (fmt_x(r["x_seed"]), fmt_x(r["x_floor"])), ok))
            any_row = True
        if not any_row:
            rows.append((title, "–", "not measured", None))

    def ratio_target(case, pipes, key, minimum, title):
        first = True
        for p in pipes:
            r = get(case, p)
            if r is None or r.get(key) is None:
                continue
            ok = r[key] >= minimum
            rows.append((title if first else "", p, "%s %s" % (fmt_x(r[key]), key[2:]), ok))
            first = False
        if first:
            rows.append((title, "–", "not measured", None))

    if "small" in cases:
        seed_floor_target("small", 8, 1.0, TFNPY_PIPELINES, "small: ≥ 8× seed and ≥ 1.0× floor")
    if "medium" in cases:
        seed_floor_target("medium", 3, 0.9, TFNPY_PIPELINES, "medium: ≥ 3× seed and ≥ 0.9× floor")
    if "large" in cases:
        ratio_target("large", TFNPY_PIPELINES, "x_seed", 3, "large: ≥ 3× seed")
        ratio_target("large", ["read_npy"], "x_floor", 1.0, "large: read_npy ≥ 1.0× floor")
    if threads and "small" in cases:
        ratio_target("small", [ONE_CALL], "x_syscall", 0.8, "small: one read_npy call ≥ 0.8× syscall floor (%d threads)" % threads)
    for c in ("medium", "large"):
        if threads and c in cases:
            ratio_target(c, ["batched_read_npy"], "x_memcpy", 0.85, "%s: batched_read_npy ≥ 0.85× memcpy (%d threads)" % (c, threads))
    dec = (micro or {}).get("decode", [])
    for order, minimum in (("native", 0.8), ("big-endian", 0.5)):
        title = "in-memory 64 MB %s decode ≥ %.1f× memcpy" % (order, minimum)
        ds = [d for d in dec if d["array"] == "64 MB" and d["order"] == order and d["method"].startswith("decode_npy")]
        if not ds:
            rows.append((title, "–", "not measured", None))
        for i, d in enumerate(ds):
            rows.append((title if i == 0 else "", d["method"], "%s memcpy (%.2f GB/s)" % (fmt_x(d["x_memcpy"]), d["gbps"]), d["x_memcpy"] >= minimum))

    def pair_target(case, a, b, minimum):
        """a ÷ b in elements/s, the median of per-pass ratios."""
        title = "%s: %s ≥ %s× %s" % (case, a, minimum, b)
        ra, rb = get(case, a), get(case, b)
        if ra and rb:
            n = min(len(ra["seconds"]), len(rb["seconds"]))
            ratio = statistics.median(rb["seconds"][i] / ra["seconds"][i] for i in range(n))
            rows.append((title, "%s / %s" % (a, b), fmt_x(ratio), ratio >= minimum))
        else:
            rows.append((title, "–", "not measured", None))

    pair_target("small", "batched_decode", "decode_npy", 1.5)
    # The huge-page advice on outputs (cc/tf/batch.cc) should cost no speed (on a VM
    # that hands free memory back to its host it can: README, "Fresh output memory").
    for c in ENV_CASES:
        if c in cases:
            for row in NO_THP_ROWS:
                pair_target(c, ENV_ROWS[row][0], row, 1.0)
    # .npz: stored members as fast as the same arrays in .npy files; deflated ones at
    # 0.8x zlib's own one-thread inflate (the batch's files in parallel).
    def crc_bound_target(case, a, b, minimum):
        """a ÷ b against the most a reader that CRCs every byte can reach: the CRC
        floor ÷ the syscall floor, per pass."""
        title = "%s: %s ≥ %s× %s × (CRC floor ÷ syscall floor)" % (case, a, minimum, b)
        ra, rb = get(case, a), get(case, b)
        fc, fs = get(case, floor_label(CRC_FLOOR, threads)), get(case, floor_label("syscall_floor", threads))
        if ra and rb and fc and fs and threads:
            n = min(len(x["seconds"]) for x in (ra, rb, fc, fs))
            ratio = statistics.median((rb["seconds"][i] / ra["seconds"][i]) / (fs["seconds"][i] / fc["seconds"][i])
                                      for i in range(n))
            bound = statistics.median(fs["seconds"][i] / fc["seconds"][i] for i in range(n))
            rows.append((title, "(%s / %s) ÷ %s" % (a, b, fmt_x(bound)), fmt_x(ratio), ratio >= minimum))
        else:
            rows.append((title, "–", "not measured", None))

    for c in ("small_npz", "medium_npz"):
        if c in cases:
            pair_target(c, "batched_read_npz", "batched_read_npy", 0.9)
            pair_target(c, NPZ_ONE_CALL, ONE_CALL, 0.9)
            crc_bound_target(c, "batched_read_npz", "batched_read_npy", 0.9)
            crc_bound_target(c, NPZ_ONE_CALL, ONE_CALL, 0.9)
            pair_target(c, "batched_read_npz_nocrc", "batched_read_npy", 0.9)
            pair_target(c, "read_npz_one_call_nocrc", ONE_CALL, 0.9)
    if "medium_npz_deflated" in cases:
        ratio_target("medium_npz_deflated", ["batched_read_npz", NPZ_ONE_CALL, "read_npz"], "x_inflate", 0.8,
                     "medium_npz_deflated: ≥ 0.8× zlib's one-thread inflate")
    # from_csv's per-element default (block reads) against its batch_size=32 style,
    # and on large files against one read per file as before.
    pair_target("small", "from_csv", "from_csv_batched", 0.7)
    pair_target("large", "from_csv", "csv_dataset_read_npy", 0.95)
    return rows


def targets_lines(rows):
    lines = ["| target | pipeline | measured | holds |", "|---|---|---|---|"]
    for t, p, m, ok in rows:
        lines.append("| %s | %s | %s | %s |" % (t, p, m, {True: "yes", False: "**no**", None: "n/a"}[ok]))
    # One summary line per target: holds if any listed pipeline meets it.
    summary, cur = [], None
    for t, p, m, ok in rows:
        if t:
            cur = [t, []]
            summary.append(cur)
        cur[1].append((p, ok))
    lines.append("")
    for t, items in summary:
        met = [p for p, ok in items if ok]
        measured = [p for p, ok in items if ok is not None]
        state = "HOLDS" if met else ("MISSED" if measured else "NOT MEASURED")
        lines.append("- %s: **%s**%s" % (t, state, " (by %s)" % ", ".join(met) if met else ""))
    return lines


def chart(cases, path, pipelines=PIPELINES, title=None, label=str, color=None,
          value_fmt=lambda y: "%.2g" % y):
    """Bar chart of every pipeline's elements/s ÷ the read_file floor, per case
    (log scale). benchmarks/peers/run_peers.py draws its chart with it too."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no chart (pip install -r benchmarks/requirements.txt)")
        return False
    names = [c for c in cases if any(r.get("x_floor") for r in cases[c].get("results") or [])]
    pipes = [p for p in pipelines if any(r["label"] == p and r.get("x_floor") for c in names for r in cases[c]["results"])]
    if not names or not pipes:
        return False
    fig, ax = plt.subplots(figsize=(11, 4.8), dpi=100)
    width = 0.8 / len(pipes)
    cmap = plt.get_cmap("tab10")
    for j, p in enumerate(pipes):
        xs, ys = [], []
        for i, c in enumerate(names):
            r = next((r for r in cases[c]["results"] if r["label"] == p and r.get("x_floor")), None)
            if r:
                xs.append(i - 0.4 + width * (j + 0.5))
                ys.append(r["x_floor"])
        ax.bar(xs, ys, width, label=label(p), color=color(p) if color else cmap(j))
        for x, y in zip(xs, ys):
            ax.text(x, y * 1.04, value_fmt(y), ha="center", va="bottom", fontsize=6, rotation=90)
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(["%s\n%s" % (c, cases[c]["desc"]) for c in names], fontsize=8)
    ax.set_ylabel("elements/s ÷ read_file floor (log)")
    ax.set_title(title or "tfnpy input pipelines vs the read_file floor (median of interleaved passes)", fontsize=10)
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ymin, ymax = ax.get_ylim()
    ax.set_ylim(ymin, ymax * 2)
    ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if ymin <= t <= ymax * 2]
    ax.set_yticks(ticks)
    ax.set_yticklabels(["%g" % t for t in ticks])
    ax.minorticks_off()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------- the check case

# `tfnpy check` over a CSV of 100,000 small files (headers only, as a user checks a data set
# before training), beside the syscall floor of the same files. Its rows are not tf.data
# pipelines: check_worker.py runs them (no TensorFlow). Target: >= 50,000 files/s.
CHECK_CASE = "check"
CASES[CHECK_CASE] = dict(dtype="<f8", out="float64", shape=(10, 10), order="C", files=100000, repeat=1)
CHECK_WORKER = os.path.join(HERE, "check_worker.py")
# check: headers, in-process; check_full: --full; check_process: `python -m tfnpy check`, start-up included
CHECK_ROWS = ["check", "check_full", "check_process"]
CHECK_TARGET = 50000  # files/s, the check row


def check_entries(case, floor_bin, floor_how, threads_list):
    """The check case's rows: tfnpy check in check_worker.py processes, and the syscall floors."""
    entries = []
    for row in CHECK_ROWS:
        spec = {"pipeline": row, "csv": case["csv"], "repeat": case["repeat"]}
        entries.append({"label": row, "spec": spec, "argv": [sys.executable, CHECK_WORKER, json.dumps(spec)]})
    floors = floor_entries(floor_bin, floor_how, case, threads_list)
    return entries + [e for e in floors if e["spec"]["pipeline"] == "syscall_floor"]


def check_targets(cases, threads):
    """Target rows (as evaluate_targets') of the check case: files/s of the check row."""
    title = "check: tfnpy check ≥ %s files/s (small files, headers)" % format(CHECK_TARGET, ",")
    r = next((r for r in cases.get(CHECK_CASE, {}).get("results", []) if r["label"] == "check"), None)
    if r is None or r["status"] != "ok" or not r.get("eps"):
        return [(title, "–", "not measured", None)] if CHECK_CASE in cases else []
    syscall = " (%s syscall floor, %d threads)" % (fmt_x(r.get("x_syscall")), threads) if r.get("x_syscall") else ""
    return [(title, "check", "%s files/s%s" % (fmt_int(r["eps"]), syscall), r["eps"] >= CHECK_TARGET)]


# --------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1/10 the files, 2 passes: a smoke run")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    ap.add_argument("--batch", type=int, default=BATCH, help="elements per batch (default %d)" % BATCH)
    ap.add_argument("--passes", type=int, default=None, help="timed passes (default 5, 2 with --quick)")
    ap.add_argument("--data-dir", default="/tmp/tfnpy-bench", help="generated .npy files, logs and JSON results")
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="where latest.md and latest.png go")
    ap.add_argument("--no-micro", action="store_true", help="skip the in-memory micro-benchmarks")
    ap.add_argument("--micro", default="decode,loads,encode,write",
                    help="comma-separated micro-benchmark groups: decode, loads, encode (64 MB encode_npy vs memcpy), "
                         "write (1,000 small files: batched write_npy vs tf.io.write_file)")
    ap.add_argument("--no-scaling", action="store_true", help="skip the num_parallel_calls scaling group")
    ap.add_argument("--pipelines", default=None, help="comma-separated subset of the rows of each case (default: all)")
    ap.add_argument("--threads", type=int, default=None,
                    help="TensorFlow's intra-op pool size in every worker, and the floors' second thread count "
                         "(default: the CPUs this process may run on)")
    ap.add_argument("--remote", action="store_true",
                    help="also the remote case (remote.py): small files on gs:// through an emulator, added delays")
    ap.add_argument("--remote-delays", default="10,20,40", help="the remote case's added delays in ms")
    ap.add_argument("--remote-files", type=int, default=2000, help="the remote case's files (1/10 with --quick)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="MIN",
                    help="first wait up to MIN minutes for the 1-minute load average to drop below 0.5")
    args = ap.parse_args(argv)

    t_start = time.time()
    passes = args.passes if args.passes is not None else (2 if args.quick else 5)
    case_names = [c.strip() for c in args.cases.split(",") if c.strip()]
    for c in case_names:
        if c not in CASES:
            ap.error("unknown case %r (known: %s)" % (c, ", ".join(CASES)))
    data_dir = os.path.abspath(args.data_dir)
    threads = args.threads or machine_info()["nproc"]
    threads_list = sorted({1, threads})
    rows_all = list(dict.fromkeys(PIPELINES + NPZ_PIPELINES + [ONE_CALL, NPZ_ONE_CALL] + NOCRC_ROWS + list(ENV_ROWS) + CHECK_ROWS +
                                  [floor_label(k, t) for k in FLOOR_KINDS + (INFLATE_FLOOR, CRC_FLOOR) for t in threads_list]))
    wanted = [p.strip() for p in args.pipelines.split(",") if p.strip()] if args.pipelines else rows_all
    for p in wanted:
        if p not in rows_all:
            ap.error("unknown pipeline %r (known: %s)" % (p, ", ".join(rows_all)))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = os.path.join(data_dir, "logs", stamp)
    os.makedirs(log_dir, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)

    if args.wait_idle > 0:
        deadline = time.time() + 60 * args.wait_idle
        while os.getloadavg()[0] >= 0.5 and time.time() < deadline:
            log("waiting for an idle machine: load average %.2f" % os.getloadavg()[0])
            time.sleep(20)
    info = machine_info()
    probe = run_once({"mode": "probe"}, os.path.join(log_dir, "probe.log"))
    info.update(probe["versions"])
    caps = probe["capabilities"]
    zlib = (probe["versions"].get("tf_zlib_include"), probe["versions"].get("tf_framework_lib"))
    floor_bin, floor_how, floor_modes = build_floor(os.path.join(data_dir, "build"), zlib if all(zlib) else None)
    log("floor.c: %s" % (floor_how if floor_bin else "NOT BUILT: " + floor_how))
    log("tensorflow %s, numpy %s, tfnpy %s" % (info["tensorflow"], info["numpy"],
                                               info["tfnpy_file"] or "NOT IMPORTABLE: %s" % info["tfnpy_error"]))

    cases = {}
    for c in case_names:
        spec = CASES[c]
        n = max(1, spec["files"] // 10) if args.quick else spec["files"]
        repeat = 1 if args.quick else spec["repeat"]
        csv_path, paths, file_bytes = prepare_case(data_dir, c, spec, n)
        shape = "×".join(map(str, spec["shape"]))
        desc = "%s %s%s%s" % (shape, spec["dtype"], ", Fortran order" if spec["order"] == "F" else "",
                              {"stored": ", .npz stored", "deflated": ", .npz deflated"}.get(spec.get("npz"), ""))
        data_bytes = int(np.prod(spec["shape"])) * np.dtype(spec["dtype"]).itemsize
        cases[c] = {"desc": desc, "files": n, "repeat": repeat, "file_bytes": file_bytes, "data_bytes": data_bytes,
                    "csv": csv_path, "list": os.path.join(os.path.dirname(csv_path), "paths.txt"),
                    "members": os.path.join(os.path.dirname(csv_path), "members.txt"), "npz": spec.get("npz"),
                    "paths": paths, "expected": n * repeat}

    def case_spec(c):
        s = CASES[c]
        return {"name": c, "csv": cases[c]["csv"], "repeat": cases[c]["repeat"], "batch": args.batch,
                "shape": list(s["shape"]), "out_dtype": s["out"], "intra_op_threads": threads,
                "npz": s.get("npz"), "npz_key": NPZ_KEY}

    for c in case_names:
        log("%s: page-caching %d files (load average %.2f)" % (c, len(cases[c]["paths"]), os.getloadavg()[0]))
        cases[c]["loadavg_start"] = os.getloadavg()[0]
        page_cache(cases[c]["paths"])
        rows = PIPELINES + [ONE_CALL] + (list(ENV_ROWS) if c in ENV_CASES else [])
        if cases[c]["npz"]:
            rows = NPZ_PIPELINES + [ONE_CALL, NPZ_ONE_CALL] + (NOCRC_ROWS if cases[c]["npz"] == "stored" else [])
        entries = [{"label": p, "spec": {"mode": "pipeline", "pipeline": base, "npc": "autotune", "case": case_spec(c)},
                    "env": env}
                   for p in rows for base, env in [ENV_ROWS.get(p, (p, None))]] + floor_entries(floor_bin, floor_how, cases[c], threads_list, floor_modes)
        if c == CHECK_CASE:
            entries = check_entries(cases[c], floor_bin, floor_how, threads_list)
        res = run_group(c, [e for e in entries if e["label"] in wanted], passes, log_dir)
        cases[c]["results"] = summarize(res, cases[c]["expected"], cases[c]["file_bytes"], threads)

    scaling = None
    if not args.no_scaling and "small" in cases:
        page_cache(cases["small"]["paths"])
        entries = [{"label": "%s npc=%s" % (p, n), "spec": {"mode": "pipeline", "pipeline": p, "npc": n, "case": case_spec("small")}}
                   for p in SCALING_PIPELINES for n in SCALING_NPC]
        scaling = summarize(run_group("scaling", entries, passes, log_dir), cases["small"]["expected"], cases["small"]["file_bytes"])

    micro = None
    if not args.no_micro:
        log("micro-benchmarks")
        spec = {"mode": "micro", "rounds": 3 if args.quick else 7, "min_time": 0.05 if args.quick else 0.25,
                "groups": [g.strip() for g in args.micro.split(",") if g.strip()]}
        try:
            micro = run_once(spec, os.path.join(log_dir, "micro.log"))["micro"]
        except RuntimeError as ex:
            micro = {"decode": [], "loads": [], "encode": [], "write": [], "notes": ["micro-benchmarks failed: %s" % ex]}

    remote_out, remote_files = None, max(1, args.remote_files // 10) if args.quick else args.remote_files
    if args.remote:
        import remote  # benchmarks/remote.py

        remote_out = remote.run_remote(data_dir, [int(d) for d in args.remote_delays.split(",")], remote_files,
                                       passes, log_dir)

    elapsed = time.time() - t_start
    info["loadavg_end"] = os.getloadavg()

    # ---- report
    md = ["# tfnpy benchmark results", ""]
    md.append("- date: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))
    md.append("- machine: %s, %d CPUs, %s GiB RAM, Linux %s; 1-minute load average at start %.2f" % (
        info["cpu"], info["nproc"], info["mem_gib"], info["kernel"], info["loadavg_start"][0]))
    md.append("- versions: Python %s, TensorFlow %s, NumPy %s, tfnpy %s" % (
        info["python"], info["tensorflow"], info["numpy"],
        info["tfnpy"] if info["tfnpy_file"] else "not importable (%s)" % info["tfnpy_error"]))
    md.append("- command: `%s`; %d timed passes after a warm-up; run time %.0f s" % (
        " ".join(["python", "benchmarks/run.py"] + (argv if argv is not None else sys.argv[1:])), passes, elapsed))
    md.append("- TensorFlow's intra-op pool: %d threads in every worker (`tf.config.threading.set_intra_op_parallelism_threads`); "
              "`%s` is one eager `read_npy` op call over all of a case's paths (as many calls per pass as the case "
              "repeats its files)" % (threads, ONE_CALL))
    md.append("- floors (`benchmarks/floor/floor.c`, %s): open + pread + close per file (syscall) and a memcpy of each "
              "file's data (memcpy), at %s threads; × syscall and × memcpy are per-pass ratios to the %d-thread floors; "
              "stored .npz cases also have the CRC floor, the syscall floor with each 256 KiB read CRC-32'd "
              "(tfnpy's CRC, as ReadNpz checks a member): × syscall+crc" % (
                  floor_how if floor_bin else "NOT BUILT: " + floor_how, " and ".join(map(str, threads_list)), threads))
    md.append("- every pipeline: `map(num_parallel_calls=AUTOTUNE).batch(%d).prefetch(AUTOTUNE)` on page-cached files, "
              "drained by a `tf.function` loop over the iterator (iterator teardown not timed); medians over passes, ratios are medians of "
              "per-pass ratios; MB/s counts file bytes; RSS: peak of the pipeline's own process (Δ over TF+tfnpy import)." % args.batch)
    foreign = {c: cases[c]["results"][0].get("foreign_cpus") for c in case_names if cases[c].get("results")}
    busy = {c: f for c, f in foreign.items() if f is not None and f > 0.25}
    md.append("- other processes' CPU use during the timed passes (in CPUs): %s" % ", ".join(
        "%s %.2f" % (c, f) for c, f in foreign.items() if f is not None))
    if busy:
        md.append("- **warning**: the machine was busy with other work during %s: absolute numbers are low and noisy; "
                  "the ratios, from interleaved passes, hold up better" % ", ".join(busy))
    missing = [a for a, ok in caps.items() if not ok]
    if missing:
        md.append("- not in this build of tfnpy: %s (their pipelines are skipped)" % ", ".join("`tfnpy.%s`" % a for a in missing))
    md.append("")
    md.append("## Pipelines")
    for c in case_names:
        cc = cases[c]
        md += ["", "### %s — %s, %d files × %d = %d elements per pass, %s bytes per file" % (
            c, cc["desc"], cc["files"], cc["repeat"], cc["expected"], format(cc["file_bytes"], ",")), ""]
        md += pipeline_table(cc["results"])
    if scaling:
        md += ["", "## Scaling: small case, num_parallel_calls 1, 2, AUTOTUNE (%d CPUs)" % info["nproc"], "",
               "| pipeline | npc=1 el/s | npc=2 el/s | AUTOTUNE el/s | 2 ÷ 1 | AUTOTUNE ÷ 1 |", "|---|---:|---:|---:|---:|---:|"]
        for p in SCALING_PIPELINES:
            rs = [next(r for r in scaling if r["label"] == "%s npc=%s" % (p, n)) for n in SCALING_NPC]
            eps = [r.get("eps") for r in rs]
            if eps[0]:
                md.append("| %s | %s | %s | %s | %s | %s |" % (p, fmt_int(eps[0]), fmt_int(eps[1]), fmt_int(eps[2]),
                                                           fmt_x(eps[1] / eps[0] if eps[1] else None),
                                                           fmt_x(eps[2] / eps[0] if eps[2] else None)))
            else:
                md.append("| %s | – | – | – | – | – | %s" % (p, rs[0]["status"] + ": " + rs[0]["note"]))
    if micro is not None:
        md += ["", "## In-memory micro-benchmarks", "",
               "Bytes already in memory: `decode_npy` on a string tensor (eager call in a loop, and a `tf.function` that "
               "decodes 32 or 8 times in a graph loop per call, time per decode), "
               "vs a memcpy of the data (`np.copyto` between preallocated uint8 buffers), a copy into a fresh buffer, "
               "and `np.load(io.BytesIO(b))` (which does not byte-swap big-endian data). Encode: `encode_npy` of a 64 MB float32 "
               "tensor (header + data into one allocated string) vs the same memcpy (`np.copyto`) and `np.save` to a BytesIO. "
               "Write: 1,000 files of 10×10 float64 into a fresh /tmp folder, one batched `write_npy` call vs "
               "`tf.io.write_file` of pre-encoded bytes. Median of rounds run in rotated order.", ""]
        md += micro_tables(micro)
    if remote_out is not None:
        md += [""] + remote.report(remote_out, remote_files, passes)
    rows = evaluate_targets(cases, micro, threads) + check_targets(cases, threads)
    md += ["", "## Targets", ""] + targets_lines(rows)
    text = "\n".join(md) + "\n"

    print(text)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(text)
    png = os.path.join(args.out, "latest.png")
    if chart(cases, png, pipelines=list(dict.fromkeys(PIPELINES + NPZ_PIPELINES))):
        log("wrote %s" % png)
    raw = {"info": info, "capabilities": caps, "args": vars(args), "passes": passes, "elapsed_s": elapsed,
           "cases": {c: {k: v for k, v in cases[c].items() if k != "paths"} for c in case_names},
           "scaling": scaling, "micro": micro, "targets": rows, "remote": remote_out}
    os.makedirs(os.path.join(data_dir, "results"), exist_ok=True)
    for name in ("%s.json" % stamp, "latest.json"):
        with open(os.path.join(data_dir, "results", name), "w") as f:
            json.dump(raw, f, indent=1, default=str)
    log("wrote %s and %s; raw numbers in %s; run time %.0f s" % (
        os.path.join(args.out, "latest.md"), png, os.path.join(data_dir, "results", "latest.json"), elapsed))


if __name__ == "__main__":
    main()
