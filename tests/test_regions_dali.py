"""Regions as NVIDIA DALI's numpy reader offers them, through read_npy,
read_npz and decode_npz: the empty box, negative bounds counted from the end
(Python's slices), what happens outside the array (out_of_bounds clamp,
error, pad with fill_value), and bounds relative to each file's shape
(rel_start/rel_stop, DALI's rel_roi_start/rel_roi_end). The reference is
numpy slicing of np.load's array, padded by hand."""

import math

import numpy as np
import pytest
import tensorflow as tf

import tfnpy
from npy_testutil import SUPPORTED_DTYPES, assert_same_array, make_npy, numpy_npy, sample_array, zip_bytes

SHAPE = (5, 6, 4)
INT64_MAX = 2**63 - 1


def _positions(start, stop, dims, relative=False):
    """Per axis, [s, e) as positions: Python's negative indices (or DALI's
    fractions, rounded half away from zero), INT64_MAX the end."""
    out = []
    for k, (a, b) in enumerate(zip(start, stop)):
        d = dims[k]
        if relative:
            out.append((int(math.floor(a * d + 0.5)), int(math.floor(b * d + 0.5))))
            continue
        s = a + d if a < 0 else a
        e = d if b == INT64_MAX else (b + d if b < 0 else b)
        out.append((s, e))
    return out


def reference(arr, start, stop, policy, fill=0, relative=False):
    """numpy's answer: the clamped slice, or the requested box padded with fill."""
    pos = _positions(start, stop, arr.shape, relative)
    if policy == "error" and any(not 0 <= s <= e <= d for (s, e), d in zip(pos, arr.shape)):
        return None
    if policy != "pad":  # Clamped to each axis, as numpy clamps a slice.
        box = []
        for (s, e), d in zip(pos, arr.shape):
            hi = min(max(e, 0), d)
            box.append(slice(min(max(s, 0), hi), hi))
        return arr[tuple(box)]
    extent = [max(0, e - s) for s, e in pos] + list(arr.shape[len(pos):])
    out = np.full(extent, fill, dtype=arr.dtype)
    src, dst = [], []
    for (s, e), d in zip(pos, arr.shape):
        lo, hi = min(max(s, 0), d), min(max(e, 0), d)
        if hi <= lo:
            return out
        src.append(slice(lo, hi))
        dst.append(slice(lo - s, hi - s))
    out[tuple(dst)] = arr[tuple(src)]
    return out


BOXES = [
    ([-2], [INT64_MAX]),
    ([-3, 1], [-1, -1]),
    ([1, -10], [4, 3]),
    ([4, 2, 1], [9, 9, 9]),
    ([-8, -8], [2, 2]),
    ([0, 0, 0], [5, 6, 4]),
    ([3], [1]),
    ([6], [8]),
]


@pytest.mark.parametrize("fortran", [False, True], ids=["C", "F"])
@pytest.mark.parametrize("dt", SUPPORTED_DTYPES)
def test_negative_bounds_and_policies_match_numpy(files, dt, fortran):
    arr = sample_array(dt, SHAPE, seed=len(dt))
    path = files(make_npy(arr, byteorder=">" if np.dtype(dt).itemsize > 1 else "|", fortran=fortran))
    ref = np.load(path)
    tf_dtype = tf.as_dtype(np.dtype(dt))
    fill = np.array(1, dtype=dt) if dt != "bool" else np.True_
    for start, stop in BOXES:
        for policy in ("clamp", "error", "pad"):
            want = reference(ref, start, stop, policy, fill if policy == "pad" else 0)
            kw = dict(start=start, stop=stop, out_of_bounds=policy)
            if policy == "pad":
                kw["fill_value"] = fill
            context = f"{policy} {start}..{stop}"
            if want is None:
                with pytest.raises(tf.errors.InvalidArgumentError, match="out_of_bounds='error' needs") as e:
                    tfnpy.read_npy(path, tf_dtype, **kw)
                assert path in str(e.value) and "out of bounds for shape (5, 6, 4)" in str(e.value), context
                continue
            assert_same_array(tfnpy.read_npy(path, tf_dtype, **kw).numpy(), want, context)


def test_empty_boxes_in_every_form_and_op(files):
    # DALI's empty roi_axes, numpy's a[()]: the whole array.
    arr = sample_array("int16", SHAPE)
    path = files(numpy_npy(arr))
    z = zip_bytes([("x.npy", numpy_npy(arr))])
    npz = files(z, "box.npz")
    empties = [[], (), np.array([]), np.zeros([0], np.int64), tf.constant([]), tf.zeros([0], tf.int64)]
    for empty in empties:
        for kw in (dict(start=empty, stop=empty), dict(start=empty), dict(stop=empty)):
            assert_same_array(tfnpy.read_npy(path, tf.int16, **kw).numpy(), arr, repr(empty))
            assert_same_array(tfnpy.read_npy([path, path], tf.int16, **kw).numpy(), np.stack([arr, arr]))
            assert_same_array(tfnpy.read_npz(npz, "x", tf.int16, **kw).numpy(), arr, repr(empty))
            assert_same_array(tfnpy.decode_npz(z, "x", tf.int16, **kw).numpy(), arr, repr(empty))
    for empty in ([], (), np.array([])):
        assert_same_array(tfnpy.read_npy(path, tf.int16, rel_start=empty, rel_stop=empty).numpy(), arr)


def test_padded_crops_of_volumes_of_different_sizes(files):
    # Fixed-size random crops of volumes, some smaller than the crop: every
    # crop has the requested size, padded where a volume ends. (Before its
    # start: a start below -length, or rel_start below 0, since a negative
    # start counts from the end.)
    rng = np.random.default_rng(3)
    vols = [sample_array("float32", s, seed=i) for i, s in enumerate([(20, 20, 20), (12, 30, 9), (8, 8, 8)])]
    paths = [files(numpy_npy(np.asfortranarray(v) if i == 1 else v)) for i, v in enumerate(vols)]
    starts = rng.integers(0, 16, size=(3, 3))
    got = tfnpy.read_npy(paths, tf.float32, start=starts, stop=starts + 16, out_of_bounds="pad", fill_value=-1.0)
    assert got.shape == (3, 16, 16, 16)
    for i, v in enumerate(vols):
        assert_same_array(got[i].numpy(), reference(v, starts[i], starts[i] + 16, "pad", np.float32(-1)), f"vol {i}")

    # Static shapes: known wherever the bounds do not depend on a dim.
    @tf.function(input_signature=[tf.TensorSpec([3], tf.string)])
    def crops(p):
        return tfnpy.read_npy(p, tf.float32, shape=[None, None, None], start=[2, 2, 2], stop=[18, 18, 18],
                              out_of_bounds="pad")

    assert crops.get_concrete_function().structured_outputs.shape.as_list() == [3, 16, 16, 16]
    got = crops(tf.constant(paths)).numpy()
    for i, v in enumerate(vols):
        assert_same_array(got[i], reference(v, [2, 2, 2], [18, 18, 18], "pad", np.float32(0)))


def test_pad_strings_and_ml_dtypes_and_npz(files):
    s = np.array([["a", "bb"], ["ccc", "d"]])
    path = files(numpy_npy(s))
    got = tfnpy.read_npy(path, tf.string, start=[-1, 1], stop=[3, 3], out_of_bounds="pad", fill_value="?")
    assert got.numpy().tolist() == [[b"d", b"?"], [b"?", b"?"]]  # Rows [1, 3), columns [1, 3).
    ml_dtypes = pytest.importorskip("ml_dtypes")
    b16 = np.arange(6, dtype=np.float32).astype(ml_dtypes.bfloat16)
    got = tfnpy.read_npy(files(numpy_npy(b16)), tf.bfloat16, start=4, stop=8, out_of_bounds="pad", fill_value=0.5)
    assert got.numpy().astype(np.float32).tolist() == [4.0, 5.0, 0.5, 0.5]
    f8 = np.arange(4, dtype=np.float32).astype(ml_dtypes.float8_e4m3fn)
    got = tfnpy.read_npy(files(numpy_npy(f8)), "float8_e4m3fn", start=-6, stop=2, out_of_bounds="pad", fill_value=2)
    assert got.numpy().astype(np.float32).tolist() == [2.0, 2.0, 0.0, 1.0]  # [-2, 2): two fills first.
    # .npz, stored and deflated: each key padded with its own dtype.
    x, y = sample_array("int64", (4, 3)), sample_array("uint8", (2, 5))
    for compressed in (False, True):
        z = files(zip_bytes([("x.npy", numpy_npy(x)), ("y.npy", numpy_npy(y))]), f"pad{compressed}.npz")
        got = tfnpy.read_npz(z, {"x": tf.int64, "y": tf.uint8}, start=[1, 1], stop=[5, 4], out_of_bounds="pad",
                             fill_value=7)
        assert_same_array(got["x"].numpy(), reference(x, [1, 1], [5, 4], "pad", 7))
        assert_same_array(got["y"].numpy(), reference(y, [1, 1], [5, 4], "pad", 7))


def test_relative_bounds_as_dali_computes_them(files):
    vols = [sample_array("int32", s, seed=i) for i, s in enumerate([(10, 7), (5, 9), (3, 3)])]
    paths = [files(numpy_npy(v)) for v in vols]
    for lo, hi in [([0.25, 0.25], [0.75, 0.75]), ([0.0], [0.5]), ([0.1, 0.3], [1.0, 0.9])]:
        for i, p in enumerate(paths):
            want = reference(vols[i], lo, hi, "clamp", relative=True)
            assert_same_array(tfnpy.read_npy(p, tf.int32, rel_start=lo, rel_stop=hi).numpy(), want, f"{lo} {hi}")
    # Per file, in a batch: a centre crop whose size follows each file (ragged).
    got = tfnpy.read_npy(paths, tf.int32, shape=[None, None], rel_start=[[0.25, 0.25]] * 3,
                         rel_stop=[[0.75, 0.75]] * 3, ragged=True)
    for i, v in enumerate(vols):
        row = got[i].to_tensor().numpy()
        assert_same_array(row, reference(v, [0.25, 0.25], [0.75, 0.75], "clamp", relative=True))
    # Outside [0, 1]: padded (before the start too), or refused.
    got = tfnpy.read_npy(paths[0], tf.int32, rel_start=[-0.2], rel_stop=[0.3], out_of_bounds="pad", fill_value=-9)
    assert got.numpy()[:2].tolist() == [[-9] * 7] * 2 and got.shape == (5, 7)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"region \[-2, 3\) on axis 0 is out of bounds"):
        tfnpy.read_npy(paths[0], tf.int32, rel_start=[-0.2], rel_stop=[0.3], out_of_bounds="error")
    with pytest.raises(ValueError, match="finite"):
        tfnpy.read_npy(paths[0], tf.int32, rel_start=[float("nan")])
    with pytest.raises(TypeError, match="float64 fractions"):
        tfnpy.read_npy(paths[0], tf.int32, rel_start=["a"])


def test_negative_bounds_and_policies_in_a_graph(files):
    arr = sample_array("float64", (10, 4))
    path = files(numpy_npy(arr))

    @tf.function(input_signature=[tf.TensorSpec([], tf.string), tf.TensorSpec([2], tf.int64)])
    def box(p, start):
        return tfnpy.read_npy(p, tf.float64, shape=[None, 4], start=start, stop=start + 3, out_of_bounds="pad")

    assert box.get_concrete_function().structured_outputs.shape.as_list() == [None, None]
    for start in ([-2, 0], [8, 2], [-12, -1]):
        assert_same_array(box(path, tf.constant(start, tf.int64)).numpy(),
                          reference(arr, start, [s + 3 for s in start], "pad", 0.0))

    # Constant bounds: static extents where they do not move with a dim.
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def tail(p):
        return tfnpy.read_npy(p, tf.float64, shape=[None, 4], start=[-3, -3], stop=[INT64_MAX, -1])

    assert tail.get_concrete_function().structured_outputs.shape.as_list() == [None, 2]
    assert_same_array(tail(path).numpy(), arr[-3:, -3:-1])
