"""Import time of tfnpy's two paths, each in fresh interpreter processes.

    python benchmarks/import_time.py [--runs 7]

framework-free: ``import tfnpy`` + ``loads`` + ``inspect`` of a small file;
with TensorFlow: ``import tfnpy`` + the first ``read_npy`` of that file (imports
TensorFlow and loads the op library). Prints the median and range of the wall
time measured inside each process (interpreter start-up excluded), and whether
TensorFlow was imported.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import tfnpy
t1 = time.perf_counter()
data = open(sys.argv[1], "rb").read()
if sys.argv[2] == "core":
    tfnpy.loads(data)
    tfnpy.inspect(sys.argv[1])
else:
    tfnpy.read_npy(sys.argv[1], "float32").numpy()
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "total": t2 - t0, "tf": "tensorflow" in sys.modules}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    path = os.path.join(tempfile.mkdtemp(), "a.npy")
    np.save(path, np.zeros((10, 10), np.float32))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    for mode, label in (("core", "import tfnpy + loads + inspect"),
                        ("ops", "import tfnpy + first read_npy")):
        runs = [json.loads(subprocess.run([sys.executable, "-c", _CHILD, path, mode], env=env,
                                          check=True, capture_output=True, text=True).stdout)
                for _ in range(args.runs)]
        imp = [r["import"] * 1000 for r in runs]
        tot = [r["total"] * 1000 for r in runs]
        print(f"{label:32s} import tfnpy {statistics.median(imp):7.0f} ms "
              f"({min(imp):.0f}-{max(imp):.0f}), total {statistics.median(tot):7.0f} ms "
              f"({min(tot):.0f}-{max(tot):.0f}), TensorFlow imported: {runs[0]['tf']}"
              f"  [{args.runs} runs]")


if __name__ == "__main__":
    main()
