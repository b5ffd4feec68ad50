"""Faults found by trying read_npy and the framework-free functions as a new
user would: open-file limits, files replaced while read, NUL bytes in paths,
what a hostile declared size is called, and what wrong arguments are told."""

import os
import subprocess
import sys
import textwrap
import threading

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

import tfnpy
from npy_testutil import (OTHER_TENSOR_DTYPES, SUPPORTED_DTYPES, assert_same_array, numpy_npy, sample_array,
                          tensorflow_has)

HERE = os.path.dirname(os.path.abspath(__file__))


def test_batches_larger_than_the_open_file_limit(tmp_path):
    # 1,100 small files (complete after one read) and 300 larger ones (read
    # in two steps) under a limit of 256 open files, in a fresh process.
    script = textwrap.dedent(
        f"""
        import resource, sys
        sys.path.insert(0, {HERE!r})
        import numpy as np, tensorflow as tf, tfnpy
        from npy_testutil import assert_same_array
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        root = {str(tmp_path)!r}
        for n, shape in ((1100, (10, 10)), (300, (60, 60))):
            arrays = [np.full(shape, i, np.float64) for i in range(n)]
            paths = [f"{{root}}/{{shape[0]}}_{{i}}.npy" for i in range(n)]
            for p, a in zip(paths, arrays):
                np.save(p, a)
            assert_same_array(tfnpy.read_npy(paths, tf.float64).numpy(), np.stack(arrays))
        print("ok")
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stdout + run.stderr


def test_file_replaced_while_read_gives_old_or_new(tmp_path):
    # Writers replace the file atomically (os.replace) with one of two
    # versions of different sizes, small and past the first read; every
    # read gives one of them whole, never an error.
    versions = [sample_array("float64", (3000,), seed=1), sample_array("float64", (10,), seed=2)]
    blobs = [numpy_npy(v) for v in versions]
    path = str(tmp_path / "x.npy")
    with open(path, "wb") as f:
        f.write(blobs[0])
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            tmp = f"{path}.{i % 2}.tmp"
            with open(tmp, "wb") as f:
                f.write(blobs[i % 2])
            os.replace(tmp, path)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        seen = set()
        for _ in range(400):
            got = tfnpy.read_npy(path, tf.float64).numpy()
            which = 0 if got.shape == versions[0].shape else 1
            assert_same_array(got, versions[which])
            seen.add(which)
    finally:
        stop.set()
        t.join()
    assert seen  # Both usually appear; either is correct.


def test_file_cut_between_reads_is_truncated(tmp_path):
    # A file cut before a read is truncated (InvalidArgument); one that
    # shrinks during a read is DataLoss, which the core's unit tests show
    # deterministically with a source that shrinks between reads.
    path = str(tmp_path / "s.npy")
    np.save(path, np.zeros(5000))
    with open(path, "r+b") as f:
        f.truncate(1000)
    with pytest.raises(tf.errors.InvalidArgumentError, match="data truncated"):
        tfnpy.read_npy(path, tf.float64)


def test_path_with_a_nul_byte_is_refused(tmp_path):
    good = str(tmp_path / "good.npy")
    np.save(good, np.arange(3.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="the path contains a NUL byte at offset"):
        tfnpy.read_npy(tf.constant(good.encode() + b"\0.x"), tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="NUL byte"):
        tfnpy.read_npy([good, good + "\0"], tf.float64)


def test_argument_errors_say_what_is_wrong():
    b = numpy_npy(np.arange(3.0))
    with pytest.raises(ValueError, match=r"max_header_size must be in \[0, 2\*\*63 - 1\], got 9223372036854775808"):
        tfnpy.decode_npy(b, tf.float64, max_header_size=2**63)
    with pytest.raises(TypeError, match="max_header_size must be an int, got float"):
        tfnpy.loads(b, max_header_size=1.5)
    for dtype in ("O", object, "M8[s]"):
        with pytest.raises(TypeError, match="cannot be read from .npy") as e:
            tfnpy.decode_npy(b, dtype)
        assert "never loads" in str(e.value) and "supported: bool" in str(e.value)
    with pytest.raises(TypeError, match=r"raw bytes.*as dtype \(V2: bfloat16; V1: float8_e4m3fn, "
                                        r".*uint4\); supported: bool") as e:
        tfnpy.decode_npy(b, "V4")


def test_inspect_and_loads_take_the_same_inputs(tmp_path):
    arr = sample_array("int32", (4, 5), seed=3)
    b = numpy_npy(arr)
    path = tmp_path / "a.npy"
    path.write_bytes(b)
    for source in (b, bytearray(b), memoryview(b), np.frombuffer(b, np.uint8), str(path), path):
        assert tfnpy.inspect(source).shape == (4, 5), type(source)
        assert_same_array(tfnpy.loads(source), arr)
    for bad in (1234, None, [1, 2], {"a": 1}):
        for fn in (tfnpy.inspect, tfnpy.loads):
            with pytest.raises(TypeError, match="expected a path .* or the file's bytes"):
                fn(bad)


def test_wrong_arguments_give_short_messages():
    # A 50 MB input must not end up in the message of a mistyped keyword.
    big = numpy_npy(np.zeros(50 * 2**20 // 8))
    for fn in (tfnpy.inspect, tfnpy.loads):
        with pytest.raises(TypeError) as e:
            fn(big, max_header_size="10000")
        assert len(str(e.value)) < 200, str(e.value)[:300]


def test_dtype_table_is_the_one_source():
    # The core's table, Python's supported list, the ops' type lists and the
    # tests' own table agree.
    from tensorflow.python.framework import op_def_registry

    from tfnpy import _ops, _tfnpy_core

    tensor_types = SUPPORTED_DTYPES + OTHER_TENSOR_DTYPES
    assert tuple(_tfnpy_core.DTYPES) == tuple(tensor_types)
    # Python's list: those of them this TensorFlow has (2.16 lacks the FNUZ float8 types).
    tensor_types = tuple(n for n in tensor_types if tensorflow_has(n))
    assert tuple(d.name for d in _ops._SUPPORTED) == tuple(
        tf.as_dtype(n).name for n in tensor_types)
    # The ops' dtype attrs are plain types (a type list cannot name
    # float8_e4m3fn): the kernels check them against the core's table.
    for op, name, kind in (("TFNpy>DecodeNpy", "dtype", "type"), ("TFNpy>ReadNpy", "dtype", "type"),
                           ("TFNpy>ReadNpz", "dtypes", "list(type)"), ("TFNpy>DecodeNpz", "dtypes", "list(type)"),
                           ("TFNpy>EncodeNpy", "T", "type"), ("TFNpy>WriteNpy", "T", "type")):
        attr = next(a for a in op_def_registry.get(op).attr if a.name == name)
        assert attr.type == kind and not attr.allowed_values.list.type, op
    assert tuple(d.name for d in _ops._ENCODABLE) == tuple(tf.as_dtype(n).name for n in tensor_types)


def two(name):
    """A 2-element tensor of type `name`."""
    if name == "qint8":
        return tf.constant([1, 2], tf.qint8)
    return tf.constant(np.zeros(2, getattr(ml_dtypes, name)))


@pytest.mark.parametrize("name", ["float8_e5m2", "qint8"])
def test_kernels_refuse_types_outside_the_table(name):
    """The raw ops take any type; each kernel refuses one the table lacks when
    it is built, naming the op, the type and the supported ones."""
    from tfnpy import _ops

    dtype = tf.as_dtype(name)
    supported = ", ".join(SUPPORTED_DTYPES + OTHER_TENSOR_DTYPES)
    b = numpy_npy(np.zeros(3, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        _ops._raw_decode_npy(contents=b, dtype=dtype)
    assert f"DecodeNpy: dtype {name} cannot be read from a .npy file; supported: {supported}" in str(e.value)
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        _ops._raw_encode_npy(tensor=two(name))
    assert f"EncodeNpy: dtype {name} cannot be written to a .npy file; supported: {supported}" in str(e.value)
    # In a graph too, when the function is first run.
    f = tf.function(lambda c: _ops._raw_read_npz(filename=c, start=[], stop=[], fill_value=[tf.zeros([], dtype)],
                                                 keys=["x"], shapes=[tf.TensorShape(None)]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"ReadNpz: dtype {name} cannot be read"):
        f(tf.constant("x.npz"))
    # Through the Python API: a TypeError before any op is built.
    with pytest.raises(TypeError, match=f"dtype {name}.*supported: bool"):
        tfnpy.decode_npy(b, dtype)
    with pytest.raises(TypeError, match=f"encode_npy: dtype {name} cannot be written"):
        tfnpy.encode_npy(two(name))
