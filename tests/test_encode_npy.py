"""tfnpy.encode_npy and tfnpy.write_npy: the bytes np.save writes, bit for bit.

Organised by behaviour: the bytes (every dtype x shape, strings, bfloat16),
round trips (np.load, decode_npy), where the ops run (eager, tf.function,
tf.data, a SavedModel signature), and write_npy's files (single, batched,
ram://, errors naming the file, no partial file under the final name).
"""

import io
import os
import subprocess
import sys
import textwrap

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

import tfnpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npy_testutil import SHAPES as PARITY_SHAPES  # noqa: E402
from npy_testutil import (SUPPORTED_DTYPES, assert_same_array, header_bytes,  # noqa: E402
                          needs_numpy_for, np_load, numpy_npy, sample_array)

# The parity shapes, and two that test the header's padding: a first dimension
# of 6 digits (numpy's spare spaces shrink) and a dict that ends on a 64-byte
# boundary (numpy then pads 64 spaces).
SHAPES = dict(PARITY_SHAPES, big_first_dim=(100000, 1), **{"1x15": (1,) * 15})


def np_save(arr):
    """What np.save writes for `arr` (io.BytesIO): the reference."""
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def tensor_array(dtype, shape, seed=0):
    """sample_array with bools as 0/1 (a tensor holds nothing else)."""
    arr = sample_array(dtype, shape, seed)
    return arr.view(np.uint8).astype(bool) if arr.dtype == np.bool_ else arr


def shape_params():
    return [pytest.param(s, id=k, marks=needs_numpy_for(s)) for k, s in SHAPES.items()]


# ----------------------------------------------------------------------------
# The bytes equal np.save's.


@pytest.mark.parametrize("shape", shape_params())
@pytest.mark.parametrize("dtype", SUPPORTED_DTYPES)
def test_bytes_equal_np_save_for_every_dtype_and_shape(dtype, shape):
    arr = tensor_array(dtype, shape)
    got = tfnpy.encode_npy(tf.constant(arr)).numpy()
    assert got == np_save(arr)
    assert got == numpy_npy(arr, version=None)


@needs_numpy_for((1,) * 64)
def test_headers_stay_version_1_as_numpy_keeps_them():
    # The longest header a tensor can give (64 dims of 19 digits would be
    # ~1.4 KB) is far below version 2.0's 64 KiB; numpy writes 1.0 too. The
    # switch itself is tested in the C++ unit tests (a long descr).
    arr = np.zeros((2,) + (1,) * 63, np.float64)
    got = tfnpy.encode_npy(arr).numpy()
    assert got[6:8] == b"\x01\x00" and got == np_save(arr)
    offset, text = header_bytes(got)
    assert offset % 64 == 0 and text.endswith(b"\n")


def test_big_endian_and_fortran_inputs_are_written_as_numpy_saves_their_c_copy():
    # A tensor made from any numpy array holds native C-order data: the file
    # is the little-endian C-order one np.save writes for the same values.
    arr = np.asfortranarray(np.arange(12, dtype=">i4").reshape(3, 4))
    assert tfnpy.encode_npy(arr).numpy() == np_save(np.ascontiguousarray(arr.astype("<i4")))


STRING_CASES = {
    "mixed": [b"ab", b"", b"a\x00b", b"\xff\xfe\x80"],
    "all_empty": [b"", b""],
    "one_empty": [b""],
    "trailing_nul": [b"a\x00", b"bcd"],
    "non_ascii_utf8": ["héllo".encode(), "日本".encode()],
    "long": [b"x" * 1000, b"y"],
}


@pytest.mark.parametrize("values", STRING_CASES.values(), ids=STRING_CASES.keys())
def test_strings_are_fixed_width_bytes_like_np_save(values):
    arr = np.array(values, dtype=bytes)
    got = tfnpy.encode_npy(tf.constant(values, tf.string)).numpy()
    assert got == np_save(arr)
    assert f"'descr': '|S{max(1, max(map(len, values)))}'".encode() in got


@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (2, 3)], ids=str)
def test_string_shapes(shape):
    n = int(np.prod(shape))
    values = np.array([b"v%d" % i * (i % 3) for i in range(n)], dtype=bytes).reshape(shape)
    if n == 0:
        values = np.zeros(shape, "S1")  # numpy's dtype for no strings at all
    got = tfnpy.encode_npy(tf.constant(values, tf.string)).numpy()
    assert got == np_save(values)


def test_strings_lose_trailing_nuls_on_reading_as_with_numpy():
    got = tfnpy.encode_npy(tf.constant([b"a\x00\x00", b"b"])).numpy()
    assert np_load(got).tolist() == [b"a", b"b"]


def test_bfloat16_equals_np_save_of_an_ml_dtypes_array():
    arr = np.array([[1.5, -2.0, np.inf], [np.nan, -0.0, 3e38]], ml_dtypes.bfloat16)
    got = tfnpy.encode_npy(tf.constant(arr)).numpy()
    assert b"'descr': '<V2'" in got
    assert got == np_save(arr)
    back = np_load(got).view(ml_dtypes.bfloat16)
    assert back.view(np.uint16).tobytes() == arr.view(np.uint16).tobytes()


def test_undecodable_dtypes_are_refused_by_name():
    with pytest.raises(TypeError, match="encode_npy: dtype qint8 cannot be written to .npy; supported: bool"):
        tfnpy.encode_npy(tf.constant(np.zeros(2, np.int8), tf.qint8))
    with pytest.raises(TypeError, match="write_npy: dtype qint8"):
        tfnpy.write_npy("/tmp/never.npy", tf.constant(np.zeros(2, np.int8), tf.qint8))


def test_more_than_64_dims_is_refused():
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="EncodeNpy: array has 65 dimensions; .npy files hold at most 64"):
        tfnpy.encode_npy(tf.zeros([1] * 65))


# ----------------------------------------------------------------------------
# Round trips.


@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("dtype", SUPPORTED_DTYPES)
def test_round_trips_through_np_load_and_decode_npy(dtype, shape):
    arr = tensor_array(dtype, shape, seed=1)
    b = tfnpy.encode_npy(arr)
    assert_same_array(np_load(b.numpy()), arr, "np.load")
    assert_same_array(tfnpy.decode_npy(b, dtype, shape=shape).numpy(), arr, "decode_npy")


def test_strings_and_bfloat16_round_trip_through_the_readers(tmp_path):
    """What encode_npy and write_npy write, decode_npy, read_npy and read_npz read
    back: strings (as np.load gives them: trailing NULs gone), bfloat16 bit for bit."""
    strings = tf.constant([[b"", b"caf\xc3\xa9", b"a\x00b"], [b"xyz\x00", b"\xff", b"longest one"]])
    expect = np.vectorize(lambda v: v.rstrip(b"\x00"), otypes=[object])(strings.numpy())
    bf = tf.constant(np.array([1.5, -0.0, np.inf, np.nan, 3e38, -1e-38], ml_dtypes.bfloat16))
    for t, dtype, want in ((strings, tf.string, expect), (bf, tf.bfloat16, bf.numpy())):
        path = str(tmp_path / f"{dtype.name}.npy")
        tfnpy.write_npy(path, t)
        with open(path, "rb") as f:
            assert f.read() == tfnpy.encode_npy(t).numpy()
        got = [tfnpy.decode_npy(tfnpy.encode_npy(t), dtype), tfnpy.read_npy(path, dtype)]
        np.savez(tmp_path / "a.npz", x=np.load(path))
        got.append(tfnpy.read_npz(str(tmp_path / "a.npz"), "x", dtype))
        for g in got:
            assert g.dtype == dtype and g.shape == t.shape
            if dtype == tf.string:
                assert g.numpy().tolist() == want.tolist()
            else:
                assert g.numpy().view(np.uint16).tobytes() == want.view(np.uint16).tobytes()


# ----------------------------------------------------------------------------
# Where the ops run.


def test_in_a_tf_function_with_a_static_scalar_shape():
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(x):
        out = tfnpy.encode_npy(x * 2)
        assert out.shape == []
        return out

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert f(x).numpy() == np_save(x * 2)


def test_in_a_tf_data_map():
    arrays = np.arange(24, dtype=np.int16).reshape(4, 2, 3)
    ds = tf.data.Dataset.from_tensor_slices(arrays).map(tfnpy.encode_npy, num_parallel_calls=2)
    assert [b.numpy() for b in ds] == [np_save(a) for a in arrays]


class Exporter(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def serve(self, x):
        return {"npy": tfnpy.encode_npy(tf.nn.softmax(x)), "labels": tfnpy.encode_npy(tf.constant([b"a", b"bc"]))}


def test_a_saved_model_signature_returns_npy_bytes(tmp_path):
    export = str(tmp_path / "model")
    m = Exporter()
    tf.saved_model.save(m, export, signatures={"serving_default": m.serve})
    loaded = tf.saved_model.load(export)
    x = np.array([[1, 2, 3], [0, 0, 0]], np.float32)
    out = loaded.signatures["serving_default"](x=tf.constant(x))
    want = tf.nn.softmax(x).numpy()
    assert out["npy"].numpy() == np_save(want)
    assert np_load(out["labels"].numpy()).tolist() == [b"a", b"bc"]


# ----------------------------------------------------------------------------
# write_npy.


def test_write_one_file_equals_np_save(tmp_path):
    arr = tensor_array("complex64", (3, 5))
    path = str(tmp_path / "a.npy")
    assert tfnpy.write_npy(path, arr) is None  # eager
    assert open(path, "rb").read() == np_save(arr)
    assert sorted(os.listdir(tmp_path)) == ["a.npy"]  # no temporary file left


@pytest.mark.parametrize("dtype", ["float64", "bool", "uint16"])
def test_write_a_batch_of_files_one_per_row(tmp_path, dtype):
    arr = tensor_array(dtype, (50, 10, 10))
    paths = [str(tmp_path / f"{i:03d}.npy") for i in range(len(arr))]
    tfnpy.write_npy(paths, arr)
    for p, row in zip(paths, arr):
        assert open(p, "rb").read() == np_save(row)
        assert_same_array(np.load(p), row)
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in paths)


def test_write_a_batch_of_strings_gives_each_row_its_own_width(tmp_path):
    rows = [[b"a", b""], [b"abcd", b"e"]]
    paths = [str(tmp_path / "0.npy"), str(tmp_path / "1.npy")]
    tfnpy.write_npy(paths, tf.constant(rows))
    for p, row in zip(paths, rows):
        assert open(p, "rb").read() == np_save(np.array(row))


def test_write_an_empty_batch_writes_nothing(tmp_path):
    tfnpy.write_npy(tf.constant([], tf.string), tf.zeros([0, 3]))
    assert os.listdir(tmp_path) == []


def test_write_replaces_an_existing_file(tmp_path):
    path = tmp_path / "a.npy"
    path.write_bytes(b"old" * 1000)
    tfnpy.write_npy(str(path), tf.constant([1, 2], tf.int64))
    assert path.read_bytes() == np_save(np.array([1, 2], np.int64))


def test_write_to_ram_file_system():
    tfnpy.write_npy("ram://tfnpy-write/a.npy", tf.constant([1.0, 2.0]))
    tfnpy.write_npy(["ram://tfnpy-write/b0.npy", "ram://tfnpy-write/b1.npy"], tf.eye(2, dtype=tf.float64))
    assert tf.io.read_file("ram://tfnpy-write/a.npy").numpy() == np_save(np.array([1.0, 2.0], np.float32))
    assert tf.io.read_file("ram://tfnpy-write/b1.npy").numpy() == np_save(np.eye(2)[1])
    assert tfnpy.read_npy("ram://tfnpy-write/b0.npy", tf.float64).numpy().tolist() == [1.0, 0.0]
    names = tf.io.gfile.listdir("ram://tfnpy-write/")
    assert not [n for n in names if ".tmp-" in n], names


def test_write_in_a_tf_function_and_a_tf_data_map(tmp_path):
    @tf.function
    def f(x):
        tfnpy.write_npy(tf.strings.join([str(tmp_path), "/f.npy"]), x)  # stateful: runs without a dependency
        return x

    f(tf.constant([3, 4]))
    assert np.load(tmp_path / "f.npy").tolist() == [3, 4]

    def write(i, x):
        path = tf.strings.join([str(tmp_path), "/d", tf.strings.as_string(i), ".npy"])
        with tf.control_dependencies([tfnpy.write_npy(path, x)]):
            return tf.identity(path)

    arrays = np.arange(12, dtype=np.float32).reshape(3, 4)
    written = [p.numpy().decode() for p in tf.data.Dataset.from_tensor_slices((tf.range(3), arrays)).map(write)]
    for p, a in zip(written, arrays):
        assert open(p, "rb").read() == np_save(a)


def test_graph_mode_returns_the_op():
    g = tf.Graph()
    with g.as_default():
        op = tfnpy.write_npy("/tmp/unused.npy", tf.zeros([2]))
    assert isinstance(op, tf.Operation) and op.type == "TFNpy>WriteNpy"


def test_a_missing_directory_names_the_file(tmp_path):
    path = str(tmp_path / "no_such_dir" / "a.npy")
    with pytest.raises(tf.errors.NotFoundError, match=f"WriteNpy: '{path}': "):
        tfnpy.write_npy(path, tf.zeros([2]))


def test_a_path_with_a_nul_byte_is_refused_and_nothing_is_written(tmp_path):
    good = str(tmp_path / "good.npy")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="WriteNpy: '.*good.npy.*': the path contains a NUL byte at offset"):
        tfnpy.write_npy(tf.constant(good.encode() + b"\0.x"), tf.zeros([2]))
    assert os.listdir(tmp_path) == []


def test_a_failing_file_in_a_batch_is_named_and_the_others_are_written(tmp_path):
    good, bad = str(tmp_path / "good.npy"), str(tmp_path / "missing" / "bad.npy")
    with pytest.raises(tf.errors.NotFoundError, match=f"WriteNpy: '{bad}'"):
        tfnpy.write_npy([good, bad], tf.ones([2, 3]))
    assert open(good, "rb").read() == np_save(np.ones(3, np.float32))


def test_n_filenames_must_match_the_first_dimension(tmp_path):
    paths = [str(tmp_path / f"{i}.npy") for i in range(3)]
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"WriteNpy: 3 filenames need a tensor of shape \[3, \.\.\.\] \(one file per "
                             r"tensor\[i\]\), but the tensor has first dimension 4 \(shape \[4,2\]\)"):
        tfnpy.write_npy(paths, tf.zeros([4, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="no first dimension \\(a scalar\\)"):
        tfnpy.write_npy(paths, tf.constant(1.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="filename must be a scalar or a vector, got shape"):
        tfnpy.write_npy([paths], tf.zeros([1, 3]))
    assert os.listdir(tmp_path) == []


def test_n_mismatch_is_caught_by_shape_inference():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        tf.function(lambda: tfnpy.write_npy(["a", "b", "c"], tf.zeros([4, 2]))).get_concrete_function()


def test_a_write_that_fails_midway_leaves_no_partial_file(tmp_path):
    # The file-size limit (RLIMIT_FSIZE, honoured for root too) makes the
    # write fail after 64 KiB with EFBIG: the old file under the final name
    # must be untouched and the temporary file gone.
    final = tmp_path / "a.npy"
    final.write_bytes(b"old contents")
    code = textwrap.dedent(f"""
        import resource, signal
        import tensorflow as tf, tfnpy
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        try:
            tfnpy.write_npy({str(final)!r}, tf.zeros([1 << 18], tf.float32))
        except tf.errors.OpError as e:
            print("ERROR", type(e).__name__, e.message)
        else:
            print("NO ERROR")
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ERROR"), done.stdout + done.stderr[-2000:]
    assert f"WriteNpy: '{final}': " in done.stdout
    assert final.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["a.npy"]
