"""Every op meets a failed allocation with an error, never a crash (issue #23).

Each case runs in a child process that imports TensorFlow, builds its inputs,
then lowers its address-space limit (``RLIMIT_AS``) to what it uses plus
``MARGIN`` and calls the op: one allocation the op needs is then larger than
what is left (``SINGLE``), or the second of two (``PAIR`` each) is. The op
must raise ``tf.errors.ResourceExhaustedError`` (``MemoryError`` for the
pybind module's ``tfnpy.loads`` and ``tfnpy.inspect``) naming the op and the
bytes it could not have, and the process must go on: after every case, with
the limit still in force, a small read and a small encode run. Files are
sparse, inputs made just before each case, so the children stay light.

A case that kills its child is reported as such, and the other cases run in
a fresh one.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

MIB = 1 << 20
MARGIN = 160 * MIB  # Address space left to the op.
PAIR = 120 * MIB  # Two of these do not fit in the margin; one does.
SINGLE = 224 * MIB  # One of these does not fit.
BATCHED = 70 * MIB  # A batch of two fits, with one more does not.
# All above 64 MiB: what one of malloc's arenas may hold in address space it
# has already reserved (and so outside the margin).

CHILD = textwrap.dedent(
    r'''
    import gc, json, mmap, os, resource, struct, sys, zlib
    import numpy as np
    import tensorflow as tf
    import tfnpy

    MARGIN, PAIR, SINGLE, BATCHED = (int(v) for v in sys.argv[2:6])
    cases = sys.argv[6].split(",")
    d = sys.argv[1]
    os.chdir(d)
    MIB = 1 << 20

    def header(descr, shape, fortran=False):
        text = "{'descr': %r, 'fortran_order': %r, 'shape': %r, }" % (descr, fortran, tuple(shape))
        text += " " * (63 - (10 + len(text)) % 64) + "\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()

    def sparse_npy(name, descr, shape, fortran=False, last=b""):
        """A .npy file of zeros (a hole on disk), its last bytes `last`."""
        h = header(descr, shape, fortran)
        size = np.dtype(descr).itemsize * int(np.prod(shape))
        with open(name, "wb") as f:
            f.write(h)
            f.truncate(len(h) + size)
            if last:
                f.seek(len(h) + size - len(last))
                f.write(last)
        return name

    def crc_of(name):
        crc = 0
        with open(name, "rb") as f:
            for block in iter(lambda: f.read(16 * MIB), b""):
                crc = zlib.crc32(block, crc)
        return crc

    def stored_npz(name, member, npy):
        """An .npz with one stored member: the .npy file's bytes (copied as a hole)."""
        size = os.path.getsize(npy)
        crc = crc_of(npy)
        fn = member.encode()
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, size, size, len(fn), 0) + fn
        with open(npy, "rb") as src, open(name, "wb") as f:
            f.write(local)
            h = src.read(4096)
            f.write(h)
            f.truncate(len(local) + size)
            src.seek(size - 64)
            f.seek(len(local) + size - 64)
            f.write(src.read(64))
            f.seek(len(local) + size)
            cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, size, size, len(fn),
                             0, 0, 0, 0, 0, 0) + fn
            f.write(cd)
            f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), len(local) + size, 0))
        return name

    def huge_directory_npz(name, size):
        """An end record that declares a central directory of `size` bytes (a hole)."""
        with open(name, "wb") as f:
            f.write(b"PK\x03\x04")  # What inspect knows an archive by.
            f.truncate(size)
            f.seek(size)
            f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, size, 0, 0))
        return name

    def vm():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    def limit(on):
        resource.setrlimit(resource.RLIMIT_AS, (vm() + MARGIN if on else resource.RLIM_INFINITY,
                                                resource.RLIM_INFINITY))

    def mapped(name):
        with open(name, "rb") as f:
            return memoryview(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ))

    small = sparse_npy("small.npy", "<f4", (4, 3))

    def alive():
        # Both on the pool threads (a batch of two) and inline.
        tfnpy.read_npy([small, small], tf.float32).numpy()
        tfnpy.decode_npy(tfnpy.encode_npy(tf.ones([3])), tf.float32).numpy()

    f4 = tf.float32
    st = tf.string

    def make(case):
        """(inputs, the call) for a case, its files made as needed."""
        if case == "read_npy_output":
            p = sparse_npy("c.npy", "<f4", (SINGLE // 4,))
            return lambda: tfnpy.read_npy(p, f4, max_output_bytes=None)
        if case == "read_npy_fortran":
            p = sparse_npy("f.npy", "<f4", (PAIR // 4096, 1024), fortran=True)
            return lambda: tfnpy.read_npy(p, f4)
        if case == "read_npy_bytes_string":
            p = sparse_npy("s.npy", "|S%d" % PAIR, (1,), last=b"x")
            return lambda: tfnpy.read_npy(p, st)
        if case == "read_npy_unicode_string":
            p = sparse_npy("u.npy", "<U%d" % (PAIR // 4), (1,), last=b"x\0\0\0")
            return lambda: tfnpy.read_npy(p, st)
        if case == "read_npy_1gib_S32":
            p = sparse_npy("s32.npy", "|S32", (1 << 25,))
            return lambda: tfnpy.read_npy(p, st)
        if case == "read_npy_1gib_U8":
            p = sparse_npy("u8.npy", "<U8", (1 << 25,))
            return lambda: tfnpy.read_npy(p, st)
        if case == "read_npy_batch":  # The output fits; one element's scratch does not.
            p = sparse_npy("h.npy", "<f4", (BATCHED // 4096, 1024), fortran=True)
            return lambda: tfnpy.read_npy([p, p], f4)
        if case == "read_npy_ragged":  # A ragged batch's values tensor.
            p = sparse_npy("r.npy", "<f4", (SINGLE // 8,))
            return lambda: tfnpy.read_npy([p, p], f4, shape=[None], ragged=True, max_output_bytes=None)
        if case == "read_npy_report":  # Per-file statuses do not turn a failed allocation into a row error.
            p = sparse_npy("e.npy", "<f4", (SINGLE // 4,))
            return lambda: tfnpy.read_npy([p], f4, on_error="report", max_output_bytes=None)
        if case == "decode_npy_output":
            t = tf.io.read_file(sparse_npy("c.npy", "<f4", (SINGLE // 4,)))
            return lambda: tfnpy.decode_npy(t, f4)
        if case == "decode_npy_string":
            t = tf.io.read_file(sparse_npy("s.npy", "|S%d" % PAIR, (1,), last=b"x"))
            return lambda: tfnpy.decode_npy(t, st)
        if case == "read_npz_fortran":
            p = stored_npz("f.npz", "x.npy", sparse_npy("f.npy", "<f4", (PAIR // 4096, 1024), fortran=True))
            return lambda: tfnpy.read_npz(p, "x", f4)
        if case == "read_npz_string":
            p = stored_npz("s.npz", "x.npy", sparse_npy("s.npy", "|S%d" % PAIR, (1,), last=b"x"))
            return lambda: tfnpy.read_npz(p, "x", st)
        if case == "read_npz_directory":
            p = huge_directory_npz("d.npz", SINGLE)
            return lambda: tfnpy.read_npz(p, "x", f4)
        if case == "decode_npz_string":
            t = tf.io.read_file(stored_npz("s.npz", "x.npy", sparse_npy("s.npy", "|S%d" % PAIR, (1,), last=b"x")))
            return lambda: tfnpy.decode_npz(t, "x", st)
        if case == "encode_npy_numeric":
            t = tf.zeros([SINGLE // 4])
            return lambda: tfnpy.encode_npy(t)
        if case == "encode_npy_string":
            t = tf.io.read_file(sparse_npy("s.npy", "|S%d" % PAIR, (1,), last=b"x"))
            t = tf.stack([t, t])
            return lambda: tfnpy.encode_npy(t)
        if case == "write_npy_bool":
            t = tf.zeros([SINGLE], tf.bool)
            return lambda: tfnpy.write_npy("w.npy", t)
        if case == "write_npy_string":
            t = tf.io.read_file(sparse_npy("s.npy", "|S%d" % PAIR, (1,), last=b"x"))
            t = tf.stack([t, t])
            return lambda: tfnpy.write_npy("w.npy", t)
        if case == "loads_numeric":
            m = mapped(sparse_npy("c.npy", "<f4", (SINGLE // 4,)))
            return lambda: tfnpy.loads(m)
        if case == "loads_unicode":
            m = mapped(sparse_npy("u.npy", "<U%d" % (SINGLE // 4), (1,)))
            return lambda: tfnpy.loads(m)
        if case == "inspect_directory":
            p = huge_directory_npz("d.npz", SINGLE)
            return lambda: tfnpy.inspect(p)
        raise ValueError(case)

    # Warm up: the pool threads and their malloc arenas exist before any limit.
    for _ in range(3):
        alive()
        tfnpy.write_npy(["a0.npy", "a1.npy"], tf.zeros([2, 3]))
    for case in cases:
        print("START", case, flush=True)
        call = make(case)
        gc.collect()  # Nothing left to free while the limit holds: the margin is exact.
        limit(True)
        try:
            call()
            result = {"case": case, "error": None}
        except (tf.errors.OpError, MemoryError) as e:
            result = {"case": case, "error": type(e).__name__, "message": getattr(e, "message", None) or str(e)}
        alive()
        limit(False)
        del call
        result["leftovers"] = sorted(n for n in os.listdir(".") if n.startswith((".w.npy", "w.npy")))
        print("RESULT", json.dumps(result), flush=True)
    print("ALIVE", flush=True)
    '''
)

def _header(descr: str, n: int) -> int:
    """Bytes of the header np.save writes for a vector of n elements."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": (n,)})
    return len(buf.getvalue())


# The string cases' elements: a whole .npy file of PAIR bytes of data.
_ELEMENT = _header(f"|S{PAIR}", 1) + PAIR

# case -> (error type, what the message must name: the op, then the bytes).
CASES = {
    "read_npy_output": ("ResourceExhaustedError", "ReadNpy: cannot allocate the output", SINGLE),
    "read_npy_fortran": ("ResourceExhaustedError", "ReadNpy: ", PAIR),
    "read_npy_bytes_string": ("ResourceExhaustedError", "ReadNpy: ", PAIR),
    "read_npy_unicode_string": ("ResourceExhaustedError", "ReadNpy: ", PAIR),
    "read_npy_1gib_S32": ("ResourceExhaustedError", "ReadNpy: cannot allocate the output", 24 << 25),
    "read_npy_1gib_U8": ("ResourceExhaustedError", "ReadNpy: cannot allocate the output", 24 << 25),
    "read_npy_batch": ("ResourceExhaustedError", "ReadNpy: ", BATCHED),
    "read_npy_ragged": ("ResourceExhaustedError", "ReadNpy: cannot allocate the output", SINGLE),
    "read_npy_report": ("ResourceExhaustedError", "ReadNpy: cannot allocate the output", SINGLE),
    "decode_npy_output": ("ResourceExhaustedError", "DecodeNpy: cannot allocate the output", SINGLE),
    "decode_npy_string": ("ResourceExhaustedError", "DecodeNpy: ", PAIR),
    "read_npz_fortran": ("ResourceExhaustedError", "ReadNpz: ", PAIR),
    "read_npz_string": ("ResourceExhaustedError", "ReadNpz: ", PAIR),
    "read_npz_directory": ("ResourceExhaustedError", "ReadNpz: ", SINGLE),
    "decode_npz_string": ("ResourceExhaustedError", "DecodeNpz: ", PAIR),
    "encode_npy_numeric": ("ResourceExhaustedError", "EncodeNpy: ", SINGLE + _header("<f4", SINGLE // 4)),
    "encode_npy_string": ("ResourceExhaustedError", "EncodeNpy: ", 2 * _ELEMENT + _header(f"|S{_ELEMENT}", 2)),
    "write_npy_bool": ("ResourceExhaustedError", "WriteNpy: 'w.npy': ", SINGLE + _header("|b1", SINGLE)),
    "write_npy_string": ("ResourceExhaustedError", "WriteNpy: 'w.npy': ", 2 * _ELEMENT + _header(f"|S{_ELEMENT}", 2)),
    "loads_numeric": ("MemoryError", "loads: ", SINGLE),
    "loads_unicode": ("MemoryError", "loads: ", SINGLE),
    "inspect_directory": ("MemoryError", "inspect: ", SINGLE),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Runs every case; a child that dies is replaced for the cases after it."""
    folder = tmp_path_factory.mktemp("limits")
    left = list(CASES)
    out = {}
    while left:
        run = subprocess.run(
            [sys.executable, "-c", CHILD, str(folder), str(MARGIN), str(PAIR), str(SINGLE), str(BATCHED), ",".join(left)],
            capture_output=True,
            text=True,
            timeout=600,
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        )
        started = None
        for line in run.stdout.splitlines():
            if line.startswith("START "):
                started = line.split()[1]
            elif line.startswith("RESULT "):
                r = json.loads(line[len("RESULT "):])
                out[r["case"]] = r
                started = None
        if run.returncode == 0 and "ALIVE" in run.stdout:
            break
        if started is None:  # Died outside a case: nothing to blame, nothing to retry.
            raise AssertionError(f"child failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr[-3000:]}")
        how = f"signal {signal.Signals(-run.returncode).name}" if run.returncode < 0 else f"exit {run.returncode}"
        out[started] = {"case": started, "died": how, "stderr": run.stderr[-1500:]}
        left = left[left.index(started) + 1:]
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_failed_allocation_is_an_error_naming_the_op_and_size(results, case):
    error, op, size = CASES[case]
    r = results[case]
    assert "died" not in r, f"{case}: the process died ({r['died']}):\n{r['stderr']}"
    assert r["error"] == error, r
    message = r["message"]
    assert op in message, message
    assert str(size) in message, message
    assert r["leftovers"] == [], r  # write_npy leaves no file, temporary or final.
