#!/usr/bin/env python
"""Optional peer run: tfnpy next to NVIDIA DALI (CPU) and tensorflow-io, with the
seed pipeline and the read_file floor measured in the same run. See README.md.

    bash benchmarks/peers/setup_peers.sh              # once: venvs in /tmp/tfnpy-peers
    .venv/bin/python benchmarks/peers/run_peers.py    # ~15 min; writes benchmarks/results/peers.{md,png}

Run it with the Python that has TensorFlow and tfnpy (the project's venv, .venv in the
checkout, made by `bash .ci/setup`): the seed, floor and tfnpy workers use that
interpreter; the DALI and tensorflow-io workers use the venvs that setup_peers.sh
made. This process never imports TensorFlow or DALI.

For each case it starts one worker process per pipeline (each builds its pipeline,
checks its output against np.load and waits), then runs a warm-up pass of each and
N timed passes in which every pipeline runs once, one at a time, the order rotated
by one each pass. Every figure is also given as a ratio to the seed, the floor and
DALI: the median over passes of the per-pass ratio of pass times ("DALI best": the
faster of DALI's two configurations in that pass).
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import run as harness  # noqa: E402  (benchmarks/run.py: same files, worker protocol, formatting)
from run import Worker, _busy_s, _own_cpu_s, fmt_int, fmt_x, page_cache, prepare_case  # noqa: E402
BATCH = 32

# name -> dtype (little-endian, also the result dtype), shape, files, minimum passes over
# the files per timed pass (raised to make files x repeat a multiple of 32, so a DALI pass
# of whole batches reads every file the same number of times: small 2, medium 4, large 8).
# The .npz cases (medium_npz: np.savez, medium_npz_deflated: np.savez_compressed, one
# member "x" each) are run only when asked for (--cases); they have no DALI rows (DALI has
# no .npz reader) and get a "× tfio" column instead of the DALI ones.
DEFAULT_CASES = ("small", "medium", "large")
CASES = {c: harness.CASES[c] for c in DEFAULT_CASES + ("medium_npz", "medium_npz_deflated")}

# label -> (venv key, worker script, pipeline name in that script)
PIPELINES = {
    "seed_numpy_function": ("tf", "bench_tf.py", "seed_numpy_function"),
    "read_file_floor": ("tf", "bench_tf.py", "read_file_floor"),
    "tfnpy read_npy": ("tf", "bench_tf.py", "read_npy"),
    "tfnpy batched_read_npy": ("tf", "bench_tf.py", "batched_read_npy"),
    "tfnpy read_npz": ("tf", "bench_tf.py", "read_npz"),
    "tfnpy batched_read_npz": ("tf", "bench_tf.py", "batched_read_npz"),
    "dali_cpu": ("dali", "bench_dali.py", "dali_cpu"),
    "dali_cpu_static_exec": ("dali", "bench_dali.py", "dali_cpu_static_exec"),
    "tfio_from_numpy_file": ("tfio", "bench_tfio.py", "tfio_from_numpy_file"),
    "tfio_numpy_read_op": ("tfio", "bench_tfio.py", "tfio_numpy_read_op"),
}
SEED, FLOOR, DALI = "seed_numpy_function", "read_file_floor", "dali_cpu"
DALI_ALL = ["dali_cpu", "dali_cpu_static_exec"]  # "DALI best": per pass, the faster of these
TFNPY = ["tfnpy read_npy", "tfnpy batched_read_npy"]
TFIO = "tfio_from_numpy_file"  # tensorflow-io's documented path: the "× tfio" reference of the .npz cases
# which pipelines a case runs: .npy cases all but the read_npz ones; .npz cases the seed
# (np.load(p)["x"]), the floor (the archives' bytes), tfnpy's read_npz and tensorflow-io.
NPZ_ONLY = ["tfnpy read_npz", "tfnpy batched_read_npz"]
NPY_ONLY = TFNPY + DALI_ALL
# target: tfnpy's best pipeline / DALI CPU, per case
TARGETS = {"small": 1.2, "medium": 1.0, "large": 1.0}
CMD_TIMEOUT = 600.0
# chart colours: references grey, tfnpy blue, DALI green, tensorflow-io orange
COLORS = {
    "seed_numpy_function": "#9e9e9e",
    "read_file_floor": "#616161",
    "tfnpy read_npy": "#64b5f6",
    "tfnpy batched_read_npy": "#1565c0",
    "tfnpy read_npz": "#4dd0e1",
    "tfnpy batched_read_npz": "#00838f",
    "dali_cpu": "#66bb6a",
    "dali_cpu_static_exec": "#2e7d32",
    "tfio_from_numpy_file": "#ffb74d",
    "tfio_numpy_read_op": "#ef6c00",
}


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data
# The files are benchmarks/run.py's (prepare_case): made by whichever runs first,
# reused by the other.


def repeat_for(n, minimum):
    """Smallest r >= minimum with n * r a multiple of BATCH."""
    step = BATCH // math.gcd(n, BATCH)
    return step * math.ceil(minimum / step)


# --------------------------------------------------------------------------- workers


def run_case(case, entries, passes, log_dir):
    """entries: dicts with label, python (or None + note), script, spec. Returns results."""
    results, workers = [], {}
    log("%s: starting %d workers" % (case, sum(1 for e in entries if e["python"])))
    for e in entries:
        res = {"label": e["label"], "venv": e["venv"], "status": "starting", "note": "", "seconds": [], "extra": []}
        results.append(res)
        if not e["python"]:
            res["status"], res["note"] = "not installed", "no %s venv (see above)" % e["venv"]
            continue
        argv = [e["python"], os.path.join(HERE, e["script"]), "--serve", json.dumps(e["spec"])]
        log_path = os.path.join(log_dir, "%s-%s.log" % (case, e["label"].replace(" ", "_")))
        # PYTHONDONTWRITEBYTECODE: no __pycache__ in benchmarks/peers/.
        workers[e["label"]] = Worker(e["spec"], log_path, argv=argv, env={"PYTHONDONTWRITEBYTECODE": "1"})
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
        res["note"] = msg.get("note", "")
        res["check"] = msg.get("check", "")
        res["versions"] = msg.get("versions", {})
        if res["status"] == "ready":
            log("%s: %s ready, check: %s" % (case, res["label"], res["check"]))
            active.append(res)
        else:
            w.close()
    log("%s: %d ready; %s" % (case, len(active), "; ".join("%s %s: %s" % (r["label"], r["status"], r["note"])
                                                            for r in results if r["status"] != "ready") or "none skipped"))
    t_busy0, t_own0, t_wall0 = _busy_s(), _own_cpu_s(workers.values()), time.monotonic()
    for k in range(-1, passes):
        order = active[k % len(active):] + active[: k % len(active)] if k >= 0 and active else list(active)
        for res in order:
            if res["status"] != "ready":
                continue
            w = workers[res["label"]]
            try:
                w.send({"cmd": "run"})
                msg = w.recv()
                if "error" in msg:
                    raise RuntimeError(msg["error"])
            except (RuntimeError, OSError) as ex:
                res["status"], res["note"] = "failed", "during pass %d: %s" % (k, ex)
                w.kill()
                continue
            res["elements"] = msg["elements"]
            if k < 0:
                res["warmup_s"] = msg["seconds"]
            else:
                res["seconds"].append(msg["seconds"])
                res["extra"].append({x: v for x, v in msg.items() if x not in ("elements", "seconds")})
        if k >= 0:
            log("%s: pass %d/%d done" % (case, k + 1, passes))
    wall = time.monotonic() - t_wall0
    foreign = (_busy_s() - t_busy0 - (_own_cpu_s(workers.values()) - t_own0)) / wall if wall > 0 else None
    log("%s: other processes used %.2f CPUs during the timed passes" % (case, foreign or 0))
    for res in active:
        if res["status"] != "ready":
            continue
        try:
            workers[res["label"]].send({"cmd": "exit"})
            res["maxrss_kb"] = workers[res["label"]].recv(60).get("maxrss_kb")
        except (RuntimeError, OSError):
            pass
        res["status"] = "ok"
    for w in workers.values():
        w.close()
    return results, foreign


def summarize(results, expected, file_bytes):
    by = {r["label"]: r for r in results}

    def ref_seconds(labels):
        """Per-pass time of the fastest of these pipelines in that pass (None if none ran)."""
        refs = [by[x]["seconds"] for x in labels if x in by and by[x]["status"] == "ok" and by[x]["seconds"]]
        if not refs:
            return None
        return [min(x) for x in zip(*refs)]

    def ratio(r, labels):
        ref = ref_seconds(labels)
        if ref is None or r["status"] != "ok":
            return None
        n = min(len(r["seconds"]), len(ref))
        if n == 0:
            return None
        return statistics.median(ref[i] / r["seconds"][i] for i in range(n))

    for r in results:
        if r["status"] != "ok" or not r["seconds"]:
            continue
        if r.get("elements") != expected:
            r["note"] = "; ".join(filter(None, [r["note"], "counted %s elements, expected %d" % (r.get("elements"), expected)]))
        med = statistics.median(r["seconds"])
        ru = [e.get("rusage") for e in r["extra"] if e.get("rusage")]
        if ru:  # what the pipeline's process spent per element (all its threads), median over passes
            r["cpu_us_per_el"] = statistics.median((u["user_s"] + u["sys_s"]) / r["elements"] * 1e6 for u in ru)
            r["sys_share"] = statistics.median(u["sys_s"] / max(u["user_s"] + u["sys_s"], 1e-9) for u in ru)
            r["faults_per_el"] = statistics.median(u["minflt"] / r["elements"] for u in ru)
        r.update(median_s=med, eps=r["elements"] / med, mbps=r["elements"] / med * file_bytes / 1e6,
                 spread=(max(r["seconds"]) - min(r["seconds"])) / med,
                 x_seed=ratio(r, [SEED]), x_floor=ratio(r, [FLOOR]), x_dali=ratio(r, [DALI]),
                 x_dali_best=ratio(r, DALI_ALL), x_tfio=ratio(r, [TFIO]))
    return results


# --------------------------------------------------------------------------- report


def table(results, npz=False):
    """The case's table; npz: a "× tfio" column (vs tfio_from_numpy_file) instead of the DALI ones."""
    refs = ["× tfio"] if npz else ["× DALI", "× DALI best"]
    lines = ["| pipeline | venv | elements/s | MB/s | × seed | × floor | %s | spread | CPU µs/el (sys) "
             "| page faults/el | note |" % " | ".join(refs),
             "|---|---|---:|---:|---:|---:|%s---:|---:|---:|---|" % ("---:|" * len(refs))]
    for r in results:
        if r["status"] == "ok" and r.get("eps"):
            mbps = "%.1f" % r["mbps"] if r["mbps"] < 100 else fmt_int(r["mbps"])
            cpu = "%s (%.0f%%)" % (("%.1f" % r["cpu_us_per_el"]) if r["cpu_us_per_el"] < 100 else fmt_int(r["cpu_us_per_el"]),
                                   100 * r["sys_share"]) if r.get("cpu_us_per_el") is not None else "–"
            flt = "%.1f" % r["faults_per_el"] if r.get("faults_per_el") is not None else "–"
            xref = [fmt_x(r.get("x_tfio"))] if npz else [fmt_x(r["x_dali"]), fmt_x(r["x_dali_best"])]
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %.0f%% | %s | %s | %s |" % (
                r["label"], r["venv"], fmt_int(r["eps"]), mbps, fmt_x(r["x_seed"]), fmt_x(r["x_floor"]),
                " | ".join(xref), 100 * r["spread"], cpu, flt, r["note"]))
        else:
            lines.append("| %s | %s | – | – | – | – | %s | – | – | – | %s: %s |" % (
                r["label"], r["venv"], " | ".join("–" for _ in refs), r["status"], r["note"]))
    return lines


def parse_md(path):
    """The per-case tables of a peers.md, as {case: {"desc", "results": [{label, x_floor, ...}]}},
    so that --replot can redraw the chart of a run whose raw JSON is gone."""
    cols = {"× seed": "x_seed", "× floor": "x_floor", "× DALI": "x_dali", "× DALI best": "x_dali_best", "× tfio": "x_tfio"}
    cases, cur, header = {}, None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("## ") and " — " in line:
                name, rest = line[3:].split(" — ", 1)
                cur = cases[name] = {"desc": rest.split(",", 1)[0], "results": []}
                header = None
            elif line.startswith("## "):
                cur = None
            elif cur is not None and line.startswith("| "):
                cells = [c.strip() for c in line.strip("|").split("|")]
                if header is None:
                    header = cells
                elif not cells[0].startswith("---"):
                    row = dict(zip(header, cells))
                    r = {"label": row["pipeline"], "venv": row.get("venv")}
                    for col, key in cols.items():
                        v = row.get(col, "–").rstrip("×")
                        r[key] = float(v) if v not in ("", "–") else None
                    cur["results"].append(r)
    return cases


def chart(cases, path, title_note=""):
    return harness.chart(
        cases, path, pipelines=list(PIPELINES),
        title="tfnpy vs NVIDIA DALI (CPU) and tensorflow-io, same files and run%s" % title_note,
        label=lambda p: "%s (%s)" % (p, PIPELINES[p][0]), color=COLORS.get,
        value_fmt=lambda y: "%.2f" % y if y < 10 else "%.0f" % y)


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return "%s, %d CPUs, Linux %s" % (cpu, len(os.sched_getaffinity(0)), platform.release())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a tenth of the files, 2 passes: a smoke run (~2 min); its report goes to DATA_DIR/results/quick")
    ap.add_argument("--cases", default=",".join(DEFAULT_CASES),
                    help="comma-separated subset of %s (default %s)" % (",".join(CASES), ",".join(DEFAULT_CASES)))
    ap.add_argument("--pipelines", default=",".join(PIPELINES), help="comma-separated subset of: " + ", ".join(PIPELINES))
    ap.add_argument("--passes", type=int, default=None, help="timed passes (default 5, 2 with --quick)")
    ap.add_argument("--data-dir", default="/tmp/tfnpy-bench",
                    help="the .npy files (shared with benchmarks/run.py), logs, raw JSON")
    ap.add_argument("--peers-dir", default=os.environ.get("TFNPY_PEERS_DIR", "/tmp/tfnpy-peers"),
                    help="where setup_peers.sh made the dali and tfio venvs")
    ap.add_argument("--tf-python", default=sys.executable, help="interpreter with TensorFlow and tfnpy (default: this one)")
    ap.add_argument("--out", default=None,
                    help="where peers.md and peers.png go (default benchmarks/results; with --quick DATA_DIR/results/quick)")
    ap.add_argument("--replot", action="store_true", help="run nothing: redraw OUT/peers.png from the tables in OUT/peers.md")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="MIN",
                    help="first wait up to MIN minutes for the 1-minute load average to drop below 0.5")
    args = ap.parse_args(argv)
    data_dir = os.path.abspath(args.data_dir)
    if args.out is None:
        args.out = os.path.join(data_dir, "results", "quick") if args.quick else os.path.join(os.path.dirname(HERE), "results")
    if args.replot:
        md_path, png = os.path.join(args.out, "peers.md"), os.path.join(args.out, "peers.png")
        if not chart(parse_md(md_path), png):
            sys.exit("no chart drawn from %s" % md_path)
        log("wrote %s (from %s)" % (png, md_path))
        return

    passes = args.passes if args.passes is not None else (2 if args.quick else 5)
    case_names = [c.strip() for c in args.cases.split(",") if c.strip()]
    pipe_names = [p.strip() for p in args.pipelines.split(",") if p.strip()]
    for c in case_names:
        if c not in CASES:
            ap.error("unknown case %r" % c)
    for p in pipe_names:
        if p not in PIPELINES:
            ap.error("unknown pipeline %r (known: %s)" % (p, ", ".join(PIPELINES)))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = os.path.join(data_dir, "logs", "peers-" + stamp)
    os.makedirs(log_dir, exist_ok=True)

    if args.wait_idle > 0:
        deadline = time.time() + 60 * args.wait_idle
        while os.getloadavg()[0] >= 0.5 and time.time() < deadline:
            log("waiting for an idle machine: load average %.2f" % os.getloadavg()[0])
            time.sleep(20)
    load_start = os.getloadavg()[0]
    t_start = time.time()  # run time counts from here, after any --wait-idle

    pythons, missing = {"tf": args.tf_python}, {}
    for venv in ("dali", "tfio"):
        py = os.path.join(args.peers_dir, venv, "bin", "python")
        status = os.path.join(args.peers_dir, venv + ".status")
        st = ""
        if os.path.exists(status):
            with open(status) as f:
                st = f.read().strip()
        if os.path.exists(py) and (not st or ": ok:" in st):
            pythons[venv] = py
        else:
            pythons[venv] = None
            missing[venv] = st or "no venv at %s: run benchmarks/peers/setup_peers.sh" % os.path.dirname(os.path.dirname(py))
            log("%s: %s" % (venv, missing[venv]))

    cases, versions, used_venvs = {}, {}, set()
    for c in case_names:
        spec = CASES[c]
        n = max(1, spec["files"] // 10) if args.quick else spec["files"]
        repeat = repeat_for(n, 1 if args.quick else spec["repeat"])
        csv_path, paths, file_bytes = prepare_case(data_dir, c, spec, n)
        wspec = {"csv": csv_path, "shape": list(spec["shape"]), "dtype": spec["out"], "repeat": repeat, "batch": BATCH}
        if spec.get("npz"):
            wspec["npz_key"] = harness.NPZ_KEY
        entries = []
        for label in pipe_names:
            if label in (NPY_ONLY if spec.get("npz") else NPZ_ONLY):
                continue  # not a pipeline of this kind of case
            venv, script, name = PIPELINES[label]
            used_venvs.add(venv)
            entries.append({"label": label, "venv": venv, "python": pythons[venv], "note": missing.get(venv, ""),
                            "script": script, "spec": dict(wspec, pipeline=name)})
        log("%s: page-caching %d files" % (c, n))
        page_cache(paths)
        res, foreign = run_case(c, entries, passes, log_dir)
        expected = n * repeat
        desc = "%s %s" % ("×".join(map(str, spec["shape"])), spec["dtype"])
        if spec.get("npz"):  # no comma: parse_md takes the description up to the first one
            desc += " in .npz archives (member %s %s)" % (harness.NPZ_KEY, spec["npz"])
        cases[c] = {"desc": desc, "files": n, "repeat": repeat, "npz": bool(spec.get("npz")),
                    "expected": expected, "file_bytes": file_bytes, "foreign_cpus": foreign,
                    "results": summarize(res, expected, file_bytes)}
        for r in res:
            for k, v in (r.get("versions") or {}).items():
                if k != "python" and k != "tfnpy_file":
                    versions.setdefault("%s (%s venv)" % (k, r["venv"]) if k in ("numpy", "tensorflow") else k, v)
    elapsed = time.time() - t_start

    # ---- report
    md = ["# tfnpy next to its peers: NVIDIA DALI (CPU) and tensorflow-io", ""]
    md.append("- date: %s; machine: %s; 1-minute load average at start %.2f" % (
        datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), machine(), load_start))
    md.append("- versions: Python %s; %s" % (
        platform.python_version(), ", ".join("%s %s" % kv for kv in sorted(versions.items()))))
    command = " ".join(["python", "benchmarks/peers/run_peers.py"] + (argv if argv is not None else sys.argv[1:]))
    md.append("- command: `%s`; %d timed passes after a warm-up, pipelines interleaved (order rotated each pass); "
              "run time %.0f s" % (command, passes, elapsed))
    md.append("- tf.data pipelines: `map(num_parallel_calls=AUTOTUNE).batch(32).prefetch(AUTOTUNE)` drained by a `tf.function` "
              "loop; DALI: `fn.readers.numpy(device=\"cpu\")` in `@pipeline_def(batch_size=32, num_threads=2, device_id=None)`, "
              "`pipe.run()` in a loop. Files page-cached. elements/s = elements ÷ median pass time; × columns are medians of "
              "per-pass ratios (reference pass time ÷ this pipeline's, same pass). CPU µs/el: user+system CPU time of the "
              "pipeline's process (all threads) per element, with the system share; page faults/el: its minor page faults "
              "per element (getrusage around each pass; medians).")
    md.append("- other processes' CPU use during the timed passes (in CPUs): %s" % ", ".join(
        "%s %.2f" % (c, cases[c]["foreign_cpus"]) for c in cases if cases[c]["foreign_cpus"] is not None))
    busy = [c for c in cases if (cases[c]["foreign_cpus"] or 0) > 0.25]
    if busy:
        md.append("- **warning**: the machine was busy with other work during %s: absolute numbers are low and noisy; "
                  "the ratios, from interleaved passes, hold up better" % ", ".join(busy))
    if any(cases[c]["npz"] for c in cases):
        md.append("- .npz cases: `benchmarks/run.py`'s archives, one member `x` (`np.savez`: stored; `np.savez_compressed`: "
                  "deflated); the seed is `numpy_function(np.load(p)[\"x\"])`, the floor reads the archives' bytes, "
                  "tensorflow-io names the member (`spec={\"x\": dt}`, `array=\"x\"`). DALI has no .npz reader: no DALI "
                  "rows; × tfio is the ratio to `tfio_from_numpy_file` (tensorflow-io's documented path).")
    for v, why in missing.items():
        if v not in used_venvs:
            continue  # e.g. DALI in a run of the .npz cases only
        md.append("- **%s not measured**: %s" % (v, why))
    for c in case_names:
        cc = cases[c]
        md += ["", "## %s — %s, %d files × %d = %d elements per pass, %s bytes per file" % (
            c, cc["desc"], cc["files"], cc["repeat"], cc["expected"], format(cc["file_bytes"], ",")), ""]
        md += table(cc["results"], npz=cc["npz"])

    if any(c in TARGETS for c in case_names):
        md += ["", "## Targets: tfnpy's best pipeline ÷ DALI CPU", "",
               ("Against `dali_cpu` (DALI's defaults) and against DALI's best (per pass, the faster of `dali_cpu` and "
                "`dali_cpu_static_exec`); a target holds only if it holds against DALI's best."), "",
               "| case | target | best tfnpy pipeline | × DALI (defaults) | × DALI best | holds |",
               "|---|---:|---|---:|---:|---|"]
    target_rows = []
    for c in case_names:
        if c not in TARGETS:
            continue
        cand = [r for r in cases[c]["results"] if r["label"] in TFNPY and r.get("x_dali_best") is not None]
        if not cand:
            md.append("| %s | ≥ %.1f× | – | – | not measured | n/a |" % (c, TARGETS[c]))
            target_rows.append((c, None, None))
            continue
        best = max(cand, key=lambda r: r["x_dali_best"])
        ok = best["x_dali_best"] >= TARGETS[c]
        target_rows.append((c, best["label"], ok))
        md.append("| %s | ≥ %.1f× | %s | %s | %s | %s |" % (c, TARGETS[c], best["label"], fmt_x(best.get("x_dali")),
                                                          fmt_x(best["x_dali_best"]), "yes" if ok else "**no**"))
    text = "\n".join(md) + "\n"
    print(text)
    os.makedirs(args.out, exist_ok=True)
    out_md = os.path.join(args.out, "peers.md")
    with open(out_md, "w", encoding="utf-8") as f:
        f.write(text)
    png = os.path.join(args.out, "peers.png")
    if chart(cases, png, " (--quick: smoke run, numbers are noise)" if args.quick else ""):
        log("wrote %s" % png)
    raw_dir = os.path.join(data_dir, "results")
    os.makedirs(raw_dir, exist_ok=True)
    raw = {"args": vars(args), "passes": passes, "elapsed_s": elapsed, "versions": versions, "missing": missing,
           "cases": cases, "targets": target_rows}
    for name in ("peers-%s.json" % stamp, "peers-latest.json"):
        with open(os.path.join(raw_dir, name), "w") as f:
            json.dump(raw, f, indent=1, default=str)
    log("wrote %s; raw numbers in %s; worker logs in %s; run time %.0f s" % (
        out_md, os.path.join(raw_dir, "peers-latest.json"), log_dir, elapsed))


if __name__ == "__main__":
    main()
