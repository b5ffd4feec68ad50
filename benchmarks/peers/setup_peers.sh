#!/usr/bin/env bash
# Creates the virtual environments of the optional peer benchmark (benchmarks/peers/):
#
#   $TFNPY_PEERS_DIR/dali   NVIDIA DALI (CUDA 12 build, used CPU-only) + NumPy
#   $TFNPY_PEERS_DIR/tfio   tensorflow-io 0.37.1 + tensorflow-cpu 2.16 + NumPy 1.x
#
# TFNPY_PEERS_DIR defaults to /tmp/tfnpy-peers. Nothing is written inside the repository.
# A package that cannot be installed here is reported and skipped; the other venv is
# still made, and run_peers.py leaves the missing peer's rows out with the reason.
#
# Environment:
#   TFNPY_PEERS_DIR      where the venvs go (default /tmp/tfnpy-peers)
#   TFNPY_PEERS_PYTHON   interpreter for the venvs (default python3.11, else python3)
#   TFNPY_DALI_VERSION   pin a DALI release (default: the newest that installs)
#   TFNPY_PEERS_PYSPY=1  also install py-spy into the DALI venv (for profiling)
#   TFNPY_PEERS_FORCE=1  recreate venvs that already exist
#
# Usage: bash benchmarks/peers/setup_peers.sh [dali] [tfio]    (no argument: both)

set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS_DIR="${TFNPY_PEERS_DIR:-/tmp/tfnpy-peers}"
PY="${TFNPY_PEERS_PYTHON:-}"
if [ -z "$PY" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PY=python3.11; else PY=python3; fi
fi
WANT=("$@")
[ ${#WANT[@]} -eq 0 ] && WANT=(dali tfio)

mkdir -p "$PEERS_DIR"
say() { echo "[setup_peers] $*"; }
# One line per peer in $PEERS_DIR/<peer>.status (run_peers.py shows it when a peer is missing).
note() { local peer="${1%%:*}"; echo "$*" >"$PEERS_DIR/$peer.status"; say "$*"; }

say "venvs in $PEERS_DIR, interpreter $PY ($("$PY" -c 'import sys, platform; print(sys.version.split()[0], platform.machine())'))"

make_venv() { # name -> venv dir; recreate if forced or broken
    local dir="$PEERS_DIR/$1"
    if [ -n "${TFNPY_PEERS_FORCE:-}" ] || [ ! -x "$dir/bin/python" ]; then
        rm -rf "$dir"
        "$PY" -m venv "$dir" || return 1
        "$dir/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    fi
    echo "$dir"
}

setup_dali() {
    local dir log spec
    dir="$(make_venv dali)" || { note "dali: FAILED: could not create a venv with $PY"; return 1; }
    log="$PEERS_DIR/dali-install.log"
    if [ -n "${TFNPY_DALI_VERSION:-}" ]; then
        spec="nvidia-dali-cuda120==$TFNPY_DALI_VERSION"
        set -- "$spec" numpy
    else
        spec="nvidia-dali-cuda120"
        set -- -r "$HERE/requirements-dali.txt"
    fi
    say "dali: pip install $spec numpy (about 0.5 GB to download; log: $log)"
    if ! "$dir/bin/python" -m pip install "$@" >"$log" 2>&1; then
        note "dali: NOT INSTALLED: pip install $spec failed here (see $log): $(grep -E '^ERROR' "$log" | tail -1 | cut -c1-160)"
        return 1
    fi
    if [ -n "${TFNPY_PEERS_PYSPY:-}" ]; then
        "$dir/bin/python" -m pip install -q py-spy >>"$log" 2>&1 || say "dali: py-spy did not install (profiling only; not needed to run)"
    fi
    # Smoke test: a CPU-only pipeline reading one .npy file, no GPU needed.
    if ! "$dir/bin/python" - >>"$log" 2>&1 <<'EOF'
import os, tempfile
import numpy as np
from nvidia.dali import fn, pipeline_def
d = tempfile.mkdtemp()
np.save(os.path.join(d, "a.npy"), np.arange(12, dtype=np.float32).reshape(3, 4))
@pipeline_def(batch_size=1, num_threads=1, device_id=None)
def p():
    return fn.readers.numpy(device="cpu", file_root=d, files=["a.npy"])
pipe = p()
pipe.build()
(out,) = pipe.run()
assert np.array_equal(np.array(out[0]), np.arange(12, dtype=np.float32).reshape(3, 4))
print("dali smoke test ok")
EOF
    then
        note "dali: INSTALLED BUT BROKEN: the CPU smoke test failed (see $log)"
        return 1
    fi
    note "dali: ok: nvidia-dali-cuda120 $("$dir/bin/python" -c 'import nvidia.dali as d; print(d.__version__)'), numpy $("$dir/bin/python" -c 'import numpy; print(numpy.__version__)') ($dir)"
}

setup_tfio() {
    local dir log
    dir="$(make_venv tfio)" || { note "tfio: FAILED: could not create a venv with $PY"; return 1; }
    log="$PEERS_DIR/tfio-install.log"
    say "tfio: pip install -r requirements-tfio.txt (tensorflow-io 0.37.1, tensorflow-cpu 2.16, numpy<2; log: $log)"
    if ! "$dir/bin/python" -m pip install -r "$HERE/requirements-tfio.txt" >"$log" 2>&1; then
        note "tfio: NOT INSTALLED: pip install of tensorflow-io 0.37.1 + tensorflow-cpu 2.16 failed here (see $log): $(grep -E '^ERROR' "$log" | tail -1 | cut -c1-160)"
        return 1
    fi
    if ! "$dir/bin/python" - >>"$log" 2>&1 <<'EOF'
import os, tempfile
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import tensorflow_io as tfio
d = tempfile.mkdtemp()
f = os.path.join(d, "a.npy")
a = np.arange(12, dtype=np.float32).reshape(3, 4)
np.save(f, a)
@tf.function
def read(p):  # graph mode, as bench_tfio.py uses it: a .npy file's one array is named ""
    ds = tfio.experimental.IODataset.from_numpy_file(p, spec={"": tf.float32})
    return ds.batch(3).get_single_element()[""]
assert np.array_equal(read(tf.constant(f)).numpy(), a)
print("tfio smoke test ok", tf.__version__, tfio.__version__)
EOF
    then
        note "tfio: INSTALLED BUT BROKEN: import or the .npy smoke test failed (see $log)"
        return 1
    fi
    note "tfio: ok: tensorflow-io $("$dir/bin/python" -c 'import os; os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"; import tensorflow_io as t; print(t.__version__)' 2>/dev/null), tensorflow-cpu $("$dir/bin/python" -c 'import os; os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"; import tensorflow as t; print(t.__version__)' 2>/dev/null), numpy $("$dir/bin/python" -c 'import numpy; print(numpy.__version__)') ($dir)"
}

rc=0
for w in "${WANT[@]}"; do
    case "$w" in
        dali) setup_dali || rc=1 ;;
        tfio) setup_tfio || rc=1 ;;
        *) say "unknown peer '$w' (known: dali tfio)"; rc=2 ;;
    esac
done
say "summary:"
for w in "${WANT[@]}"; do [ -f "$PEERS_DIR/$w.status" ] && sed 's/^/  /' "$PEERS_DIR/$w.status"; done
# A missing peer is not an error of the setup: run_peers.py runs what is there.
[ $rc -eq 2 ] && exit 2
exit 0
