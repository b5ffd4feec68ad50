"""S and U arrays as tf.string tensors, V2 arrays as bfloat16 and V1 arrays as
the float8 types, int4 and uint4 (ml_dtypes' np.save): decode_npy,
read_npy (single, batched, regions) and read_npz against np.load of files
written by np.save. Messages and codes are owned by the C++ tests
(cc/tests/strings_test.cc); here: behaviour and parity."""

import io

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

import tfnpy
from npy_testutil import VOID_STORED_DTYPES, numpy_npy, tensorflow_has, zip_bytes  # noqa: F401  (zip_bytes: shared .npz writer)

TEXTS = ["", "a", "héllo", "日本語テキスト", "😀🎉 emoji", "a\0b", "x" * 300, "\0", "ü\0\0ß"]
BYTES = [b"", b"a", b"ab\0c", b"\0\0", b"\xff\xfe\x00\x01", b"y" * 300, b"tail\0"]


def as_strings(arr):
    """np.load's elements as tf.string gives them: bytes, or str as UTF-8."""
    flat = [x if isinstance(x, bytes) else x.encode("utf-8") for x in arr.reshape(-1).tolist()]
    return np.array(flat, dtype=object).reshape(arr.shape)


def assert_strings(got, ref):
    got = np.asarray(got)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    assert got.reshape(-1).tolist() == as_strings(ref).reshape(-1).tolist()


def sample(kind, shape, order, byteorder, seed=0):
    rng = np.random.default_rng(seed)
    pool = TEXTS if kind == "U" else BYTES
    n = int(np.prod(shape, dtype=np.int64))
    arr = np.array([pool[i] for i in rng.integers(0, len(pool), n)] or np.zeros(0, kind))
    if kind == "U":
        arr = arr.astype(byteorder + arr.dtype.str[1:])
    return np.array(arr.reshape(shape), order=order)


def saved(arr):
    f = io.BytesIO()
    np.save(f, arr)
    return f.getvalue()


SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 4), (0, 3), (1, 5, 1)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("kind,bo", [("S", "|"), ("U", "<"), ("U", ">")])
class TestWholeArrays:
    def test_decode_npy(self, kind, bo, order, shape):
        b = saved(sample(kind, shape, order, bo, seed=len(shape)))
        ref = np.load(io.BytesIO(b))
        got = tfnpy.decode_npy(b, tf.string)
        assert got.dtype == tf.string
        assert_strings(got.numpy(), ref)

    def test_read_npy(self, files, kind, bo, order, shape):
        b = saved(sample(kind, shape, order, bo, seed=len(shape) + 1))
        ref = np.load(io.BytesIO(b))
        assert_strings(tfnpy.read_npy(files(b), tf.string).numpy(), ref)


@pytest.mark.parametrize("dtype", [tf.string, "string", np.str_, np.bytes_, "U5", "S3", np.dtype(">U2")],
                         ids=["tf.string", "name", "np.str_", "np.bytes_", "U5", "S3", ">U2"])
def test_any_string_dtype_spelling_reads_s_and_u(dtype):
    for arr in (np.array(["ab", "c"]), np.array([b"ab", b"c"])):
        got = tfnpy.decode_npy(saved(arr), dtype).numpy()
        assert got.tolist() == [b"ab", b"c"]


def test_trailing_nuls_stripped_embedded_kept_all_nul_empty():
    arr = np.zeros(4, "S5")
    arr.view(np.uint8).reshape(4, 5)[:] = np.frombuffer(b"a\0b\0\0" b"\0\0\0\0\0" b"abcde" b"\0\0\0\0z", np.uint8).reshape(4, 5)
    got = tfnpy.decode_npy(saved(arr), tf.string).numpy().tolist()
    assert got == [b"a\0b", b"", b"abcde", b"\0\0\0\0z"] == np.load(io.BytesIO(saved(arr))).tolist()
    u = np.array(["a\0b", "", "\0\0x", "\0"], "U4")
    assert tfnpy.decode_npy(saved(u), tf.string).numpy().tolist() == [s.encode() for s in u.tolist()]
    assert u.tolist()[3] == ""


def test_long_strings_and_non_ascii():
    u = np.array(["λ" * 5000, "🙂" * 1000 + "end", "漢字" * 777], ">U5000")
    got = tfnpy.decode_npy(saved(u), tf.string).numpy()
    assert [g.decode("utf-8") for g in got] == u.tolist()
    # Round trip through TensorFlow's own unicode ops.
    assert tf.strings.length(got[1], unit="UTF8_CHAR").numpy() == 1003


def test_batched_files_and_decode_vectors(files):
    arrs = [sample("U", (3, 2), "CF"[i % 2], "<>"[i % 2], seed=i) for i in range(5)]
    # Same dtype for all: a batch needs one shape, the item size may differ.
    paths = [files(saved(a)) for a in arrs]
    got = tfnpy.read_npy(paths, tf.string, shape=[3, 2])
    assert got.shape == (5, 3, 2)
    for g, a in zip(got.numpy(), arrs):
        assert_strings(g, a)
    dec = tfnpy.decode_npy([saved(a) for a in arrs], tf.string).numpy()
    for g, a in zip(dec, arrs):
        assert_strings(g, a)
    # An empty batch takes its shape from shape=.
    assert tfnpy.read_npy(tf.zeros([0], tf.string), tf.string, shape=[3, 2]).shape == (0, 3, 2)


BOXES = [(1, 3), ([1], [100]), ([0, 1], [2, 3]), ([1, 0, 2], [3, 2, 4]), ([3, 0], [1, 9]), ([2, 3, 4], [2, 3, 4])]


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("kind,bo", [("S", "|"), ("U", "<"), ("U", ">")])
def test_regions_match_numpy_slicing(files, kind, bo, order):
    arr = sample(kind, (4, 3, 5), order, bo, seed=11)
    path = files(saved(arr))
    ref = np.load(path)
    for start, stop in BOXES:
        sl = tuple(slice(a, b) for a, b in zip(np.atleast_1d(start), np.atleast_1d(stop)))
        got = tfnpy.read_npy(path, tf.string, start=start, stop=stop).numpy()
        assert_strings(got, ref[sl])
    # Per-file boxes in a batch.
    starts = np.array([[0, 1], [2, 0]])
    got = tfnpy.read_npy([path, path], tf.string, start=starts, stop=starts + [2, 2]).numpy()
    for g, (a, b) in zip(got, starts):
        assert_strings(g, ref[a:a + 2, b:b + 2])


def test_region_reads_only_its_bytes(files):
    # 2000 rows of 1 KiB strings; rows 10..12 read, not the file.
    arr = np.array([("%04d" % i) * 256 for i in range(2000)], "S1024")
    path = files(saved(arr))
    with open("/proc/self/io") as f:
        before = dict(line.split(": ") for line in f.read().splitlines())
    got = tfnpy.read_npy(path, tf.string, start=10, stop=12).numpy()
    with open("/proc/self/io") as f:
        after = dict(line.split(": ") for line in f.read().splitlines())
    assert got.tolist() == arr[10:12].tolist()
    assert int(after["rchar"]) - int(before["rchar"]) < 200_000


def test_read_npz_and_decode_npz_strings(tmp_path):
    s = sample("S", (3, 4), "C", "|", seed=1)
    u = sample("U", (3, 2), "F", ">", seed=2)
    x = np.arange(3.0)
    for save in (np.savez, np.savez_compressed):
        path = str(tmp_path / f"{save.__name__}.npz")
        save(path, s=s, u=u, x=x)
        ref = np.load(path)
        got = tfnpy.read_npz(path, {"s": tf.string, "u": tf.string, "x": tf.float64})
        assert_strings(got["s"].numpy(), ref["s"])
        assert_strings(got["u"].numpy(), ref["u"])
        assert np.array_equal(got["x"].numpy(), x)
        rows = tfnpy.read_npz([path, path], "u", tf.string, start=1, stop=3).numpy()
        for r in rows:
            assert_strings(r, ref["u"][1:3])
        with open(path, "rb") as f:
            dec = tfnpy.decode_npz(f.read(), "s", tf.string).numpy()
        assert_strings(dec, ref["s"])


def test_graph_mode_and_static_shape():
    b = saved(np.array([["a", "b"], ["c", "d"]]))

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def f(x):
        out = tfnpy.decode_npy(x, tf.string, shape=[None, 2])
        assert out.shape.as_list() == [None, 2] and out.dtype == tf.string
        return out

    assert f(tf.constant(b)).numpy().tolist() == [[b"a", b"b"], [b"c", b"d"]]


# ----------------------------------------------------------------------------
# Refusals.


def _with_code_point(value, index, shape=(2, 3), descr="<U2", fortran=False):
    arr = np.zeros(shape, "<U2" if descr[0] != ">" else ">U2")
    arr[...] = "ab"
    b = bytearray(saved(np.asfortranarray(arr) if fortran else arr))
    flat = np.ravel_multi_index(index, shape, order="F" if fortran else "C")
    at = len(b) - arr.nbytes + flat * 8 + 4
    b[at:at + 4] = value.to_bytes(4, "little" if descr[0] != ">" else "big")
    return bytes(b)


@pytest.mark.parametrize("value", [0x110000, 0xFFFFFFFF, 0xD800, 0xDFFF])
@pytest.mark.parametrize("bo", ["<", ">"])
@pytest.mark.parametrize("fortran", [False, True])
def test_invalid_code_points_are_refused_with_the_position(files, value, bo, fortran):
    b = _with_code_point(value, (1, 2), descr=bo + "U2", fortran=fortran)
    text = rf"element \(1, 2\) of .U2 \(str\) holds 0x{value:X} at character 1"
    with pytest.raises(tf.errors.InvalidArgumentError, match=text):
        tfnpy.decode_npy(b, tf.string)
    path = files(b)
    with pytest.raises(tf.errors.InvalidArgumentError, match=text):
        tfnpy.read_npy(path, tf.string)
    with pytest.raises(tf.errors.InvalidArgumentError, match=text):
        tfnpy.read_npy(path, tf.string, start=[1, 1])
    # A region without it reads.
    assert tfnpy.read_npy(path, tf.string, start=0, stop=1).numpy().tolist() == [[b"ab"] * 3]


@pytest.mark.parametrize("arr,dtype,text", [
    (np.array(["abcde"]), tf.float32, r"file holds <U5 \(str\), expected float32"),
    (np.array([b"abc"]), tf.int64, r"file holds \|S3 \(bytes\), expected int64"),
    (np.arange(3.0), tf.string, r"file holds <f8 \(float64\), expected string"),
    (np.zeros(3, ml_dtypes.bfloat16), tf.float16, r"file holds <V2 \(void\), expected float16 \(a V2 array .*dtype=tf.bfloat16\)"),
    (np.zeros(3, "V4"), tf.bfloat16, r"file holds \|V4 \(void\), expected bfloat16"),
    (np.zeros(3, np.uint16), tf.bfloat16, r"file holds <u2 \(uint16\), expected bfloat16"),
], ids=["U-as-float", "S-as-int", "float-as-string", "V2-as-half", "V4-as-bf16", "u2-as-bf16"])
def test_dtype_mismatches_name_both(files, arr, dtype, text):
    b = saved(arr)
    with pytest.raises(tf.errors.InvalidArgumentError, match="DecodeNpy: " + text):
        tfnpy.decode_npy(b, dtype)
    with pytest.raises(tf.errors.InvalidArgumentError, match=text):
        tfnpy.read_npy(files(b), dtype)


def test_max_output_bytes_counts_data_and_one_tstring_per_element(files):
    arr = np.array(["abcd"] * 10, "<U4")  # 160 data bytes + 10 * 24
    path = files(saved(arr))
    assert tfnpy.read_npy(path, tf.string, max_output_bytes=400).shape == (10,)
    with pytest.raises(tf.errors.ResourceExhaustedError, match=r"399|max_output_bytes 399"):
        tfnpy.read_npy(path, tf.string, max_output_bytes=399)
    # On the region: 3 rows.
    assert tfnpy.read_npy(path, tf.string, start=2, stop=5, max_output_bytes=120).shape == (3,)


def test_truncated_string_file_is_refused_before_allocating(files):
    b = saved(np.array(["x" * 100] * 1000))
    for cut in (b[:-1], b[: len(b) // 2]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="data truncated"):
            tfnpy.decode_npy(cut, tf.string)
        with pytest.raises(tf.errors.InvalidArgumentError, match="data truncated"):
            tfnpy.read_npy(files(cut), tf.string)


def test_zero_byte_items_are_refused_unless_empty():
    header = "{'descr': '|S0', 'fortran_order': False, 'shape': (3,), }"
    header += " " * (117 - len(header)) + "\n"
    b = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    assert np.load(io.BytesIO(b)).tolist() == [b"", b"", b""]  # numpy reads it; it never writes it
    with pytest.raises(tf.errors.InvalidArgumentError, match="items of 0 bytes"):
        tfnpy.decode_npy(b, tf.string)
    assert np.zeros(3, "S0").dtype == np.dtype("S1")


# ----------------------------------------------------------------------------
# bfloat16 (ml_dtypes' V2).


@pytest.mark.parametrize("shape,order", [((), "C"), ((0,), "C"), ((17,), "C"), ((3, 5), "F"), ((2, 3, 4), "C")])
def test_bfloat16_bits_equal_ml_dtypes(files, shape, order):
    rng = np.random.default_rng(3)
    vals = np.array(rng.standard_normal(shape) * 1e3, order=order).astype(ml_dtypes.bfloat16)
    if vals.size:
        vals.reshape(-1)[:3] = np.array([np.inf, -0.0, np.nan][: vals.size], ml_dtypes.bfloat16)
    b = saved(vals)
    assert b"'descr': '<V2'" in b
    want = np.array(vals, order="C").view(np.uint16)
    for got in (tfnpy.decode_npy(b, tf.bfloat16), tfnpy.read_npy(files(b), "bfloat16"),
                tfnpy.decode_npy(b, ml_dtypes.bfloat16)):
        assert got.dtype == tf.bfloat16
        assert np.array_equal(tf.bitcast(got, tf.uint16).numpy(), want)
        assert got.numpy().view(np.uint16).tobytes() == want.tobytes()


def test_bfloat16_regions_batches_and_big_endian(files):
    vals = np.arange(60, dtype=np.float32).reshape(3, 4, 5).astype(ml_dtypes.bfloat16)
    path = files(saved(vals))
    got = tfnpy.read_npy([path, path], tf.bfloat16, start=[1, 2], stop=[3, 4]).numpy()
    assert got.view(np.uint16).tolist() == [vals[1:3, 2:4].view(np.uint16).tolist()] * 2
    # '>V2': a big-endian machine's np.save; its bytes are swapped.
    b = bytearray(saved(vals))
    b = bytes(b).replace(b"'<V2'", b"'>V2'")
    raw = np.frombuffer(b[-vals.nbytes:], np.uint16).byteswap()
    be = bytes(b[: -vals.nbytes]) + raw.tobytes()
    assert np.array_equal(tfnpy.decode_npy(be, tf.bfloat16).numpy().view(np.uint16), vals.view(np.uint16))


def test_bfloat16_in_npz(tmp_path):
    vals = np.linspace(-3, 3, 12).reshape(3, 4).astype(ml_dtypes.bfloat16)
    path = str(tmp_path / "b.npz")
    np.savez_compressed(path, w=vals)
    got = tfnpy.read_npz(path, "w", tf.bfloat16).numpy()
    assert got.view(np.uint16).tobytes() == vals.view(np.uint16).tobytes()


# ----------------------------------------------------------------------------
# The float8 types, int4 and uint4 (ml_dtypes' V1).

ONE_BYTE = [name for name, size in VOID_STORED_DTYPES.items() if size == 1 and tensorflow_has(name)]


def one_byte_values(name, shape, seed=0):
    """An ml_dtypes array of `shape`: every bit pattern for the float8 types
    (NaNs, infinities, -0 included), the representable values for int4/uint4."""
    rng = np.random.default_rng(seed)
    t = getattr(ml_dtypes, name)
    n = int(np.prod(shape, dtype=np.int64))
    if name in ("int4", "uint4"):
        info = ml_dtypes.iinfo(t)
        return rng.integers(int(info.min), int(info.max) + 1, n).astype(t).reshape(shape)
    return rng.integers(0, 256, n, dtype=np.uint8).view(t).reshape(shape)


def bits(x):
    return np.asarray(x).view(np.uint8).tobytes()


@pytest.mark.parametrize("name", ONE_BYTE)
@pytest.mark.parametrize("shape", [(), (0,), (300,), (3, 5), (2, 3, 4)])
def test_one_byte_ml_dtypes_bits_equal_np_save(files, name, shape):
    vals = one_byte_values(name, shape)
    b = saved(vals)
    assert b"'descr': '<V1'" in b
    want = tf.as_dtype(name)
    for dtype in (want, name, getattr(ml_dtypes, name)):
        for got in (tfnpy.decode_npy(b, dtype), tfnpy.read_npy(files(b), dtype)):
            assert got.dtype == want and got.shape == vals.shape
            assert bits(got.numpy()) == bits(vals)
    # encode_npy: the bytes np.save writes; back through decode_npy.
    enc = tfnpy.encode_npy(tf.constant(vals)).numpy()
    assert enc == b
    assert bits(tfnpy.decode_npy(enc, name).numpy()) == bits(vals)


@pytest.mark.parametrize("name", ONE_BYTE)
def test_one_byte_ml_dtypes_regions_batches_npz_and_write_npy(tmp_path, files, name):
    vals = one_byte_values(name, (4, 5, 6), seed=1)
    path = files(saved(vals))
    got = tfnpy.read_npy([path, path], name, start=[1, 2], stop=[3, 5]).numpy()
    assert bits(got) == bits(np.stack([vals[1:3, 2:5]] * 2))
    npz = str(tmp_path / "a.npz")
    np.savez_compressed(npz, w=vals, x=vals[0])
    out = tfnpy.read_npz(npz, {"w": name, "x": getattr(ml_dtypes, name)})
    w, x = out["w"], out["x"]
    assert bits(w.numpy()) == bits(vals) and bits(x.numpy()) == bits(vals[0])
    with open(npz, "rb") as f:
        got = tfnpy.decode_npz(f.read(), "w", name, start=1, stop=2).numpy()
    assert bits(got) == bits(vals[1:2])
    out = str(tmp_path / "w.npy")
    tfnpy.write_npy(out, tf.constant(vals))
    with open(out, "rb") as f:
        assert f.read() == saved(vals)
    assert bits(np.load(out).view(getattr(ml_dtypes, name))) == bits(vals)


def test_a_v1_file_reads_as_any_one_byte_type_with_the_same_bits(files):
    vals = one_byte_values("float8_e4m3fn", (16,), seed=2)
    b = saved(vals)
    path = files(b)
    for name in ONE_BYTE:
        assert bits(tfnpy.decode_npy(b, name).numpy()) == bits(vals), name
        assert bits(tfnpy.read_npy(path, name).numpy()) == bits(vals), name
    # And an int4 file as float8_e4m3fn.
    ints = one_byte_values("int4", (9,), seed=3)
    assert bits(tfnpy.decode_npy(saved(ints), "float8_e4m3fn").numpy()) == bits(ints)


@pytest.mark.parametrize("name", ONE_BYTE)
def test_v2_asked_as_a_one_byte_type_names_both(files, name):
    b = saved(np.zeros(3, ml_dtypes.bfloat16))
    text = (rf"file holds <V2 \(void\), expected {name} \({name} is stored as V1; "
            r"a V2 array is what np.save writes for ml_dtypes.bfloat16\)")
    with pytest.raises(tf.errors.InvalidArgumentError, match="DecodeNpy: " + text):
        tfnpy.decode_npy(b, name)
    with pytest.raises(tf.errors.InvalidArgumentError, match="ReadNpy: .*" + text):
        tfnpy.read_npy(files(b), name)
    # And V1 asked as bfloat16, or as uint8.
    v1 = saved(one_byte_values(name, (3,)))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"<V1 \(void\), expected bfloat16 \(bfloat16 is stored as V2; a V1 array is what "
                             rf"np.save writes for .*ml_dtypes.{name}\b"):
        tfnpy.decode_npy(v1, tf.bfloat16)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"expected uint8 \(a V1 array .*read it as the one it holds"):
        tfnpy.decode_npy(v1, tf.uint8)


def test_float8_e5m2_is_refused_before_any_op():
    # ml_dtypes saves it as '<f1', which np.load refuses: not a type of the table.
    with pytest.raises(TypeError, match="dtype float8_e5m2 cannot be read from .npy; supported: bool"):
        tfnpy.decode_npy(saved(np.zeros(3, np.float32)), ml_dtypes.float8_e5m2)


# ----------------------------------------------------------------------------
# Without TensorFlow ops: inspect and loads.


@pytest.mark.parametrize("arr", [np.array(["ab", "日本"], ">U2"), np.array([b"x\0y"], "S4"),
                                 np.zeros(3, ml_dtypes.bfloat16), np.array(["é"] * 3, "<U1").reshape(3, 1, order="F")],
                         ids=[">U2", "S4", "bfloat16", "U1-fortran"])
def test_inspect_and_loads_agree_with_np_load(arr):
    b = saved(arr)
    ref = np.load(io.BytesIO(b))
    info = tfnpy.inspect(b)
    assert info.dtype == ref.dtype and info.dtype.str == np.dtype(arr.dtype.str).str.replace("<V", "|V")
    assert info.shape == ref.shape and info.nbytes == ref.nbytes
    got = tfnpy.loads(b)
    assert got.dtype == ref.dtype.newbyteorder("=") and got.shape == ref.shape
    assert got.tobytes() == np.ascontiguousarray(ref.astype(ref.dtype.newbyteorder("="))).tobytes()
