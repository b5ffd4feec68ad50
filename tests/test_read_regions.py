"""read_npy regions: boxes over the first k axes (DALI's roi_start/roi_end),
per-file boxes in a batch, static shapes, and that only about the region's
bytes are read. The reference is numpy slicing of np.load's array."""

import os

import numpy as np
import pytest
import tensorflow as tf

import tfnpy
from npy_testutil import SUPPORTED_DTYPES, assert_same_array, make_npy, numpy_npy, rchar, sample_array

SHAPE = (5, 6, 7)
# (start, stop) pairs: k = 1..3 axes, clamped, empty, start > stop, to the end.
BOXES = [
    (1, 4),
    ([1], [4]),
    ([1, 2], [4, 5]),
    ([0, 1, 2], [5, 5, 6]),
    ([2, 0, 3], [100, 100, 100]),
    ([4, 3], [2, 5]),
    ([0, 6], [5, 9]),
    ([1, 1, 1], [2, 2, 2]),
    ([0, 0, 0], [2**63 - 1, 2**63 - 1, 2**63 - 1]),
]


def _slices(start, stop):
    start, stop = np.atleast_1d(start), np.atleast_1d(stop)
    return tuple(slice(int(a), int(b)) for a, b in zip(start, stop))


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("bo", ["<", ">"])
@pytest.mark.parametrize("dt", SUPPORTED_DTYPES)
def test_boxes_match_numpy_slicing(files, dt, bo, layout):
    arr = sample_array(dt, SHAPE, seed=len(dt))
    path = files(make_npy(arr, byteorder=bo if np.dtype(dt).itemsize > 1 else "|", fortran=layout == "F"))
    ref = np.load(path)
    tf_dtype = tf.as_dtype(np.dtype(dt))
    for start, stop in BOXES:
        got = tfnpy.read_npy(path, tf_dtype, start=start, stop=stop).numpy()
        assert_same_array(got, ref[_slices(start, stop)], f"box {start}..{stop}")
    # One bound given: the other is 0 / the end of each axis.
    assert_same_array(tfnpy.read_npy(path, tf_dtype, start=[2, 3]).numpy(), ref[2:, 3:])
    assert_same_array(tfnpy.read_npy(path, tf_dtype, stop=[2, 3]).numpy(), ref[:2, :3])


def test_per_file_boxes_in_a_batch(files):
    # Random 16^3 crops of four 40^3 volumes in one call.
    rng = np.random.default_rng(7)
    vols = [sample_array("float32", (40, 40, 40), seed=s) for s in range(4)]
    paths = [files(numpy_npy(v if s % 2 else np.asfortranarray(v))) for s, v in enumerate(vols)]
    starts = rng.integers(0, 24, size=(4, 3))
    got = tfnpy.read_npy(paths, tf.float32, start=starts, stop=starts + 16).numpy()
    want = np.stack([v[_slices(a, a + 16)] for v, a in zip(vols, starts)])
    assert_same_array(got, want)
    # Boxes of different sizes cannot be stacked: the error names both files.
    stops = starts + 16
    stops[2, 1] -= 1
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tfnpy.read_npy(paths, tf.float32, start=starts, stop=stops)
    assert f"'{paths[2]}' (element 2) gives shape (16, 15, 16) but '{paths[0]}' (element 0) gives (16, 16, 16)" \
        in e.value.message
    # Tensors work as well as arrays, and in a tf.data map.
    ds = tf.data.Dataset.from_tensors((tf.constant(paths), tf.constant(starts)))
    ds = ds.map(lambda p, s: tfnpy.read_npy(p, tf.float32, shape=[40, 40, 40], start=s, stop=s + 16))
    assert ds.element_spec.shape.as_list() == [4, None, None, None]
    assert_same_array(next(iter(ds)).numpy(), want)


def test_bad_regions(files):
    path = files(numpy_npy(np.zeros(SHAPE, np.float32)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="a region over 4 axes does not fit an array of shape"):
        tfnpy.read_npy(path, tf.float32, start=[0, 0, 0, 0], stop=[1, 1, 1, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="matrices of one row per file"):
        tfnpy.read_npy(path, tf.float32, start=[[0]], stop=[[1]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="have 1 rows .regions., but there are 2 files"):
        tfnpy.read_npy([path, path], tf.float32, start=[[0]], stop=[[1]])
    with pytest.raises(ValueError, match="same shape"):
        tfnpy.read_npy(path, tf.float32, start=[0, 0], stop=[1])
    # Slice indices are integers, as in numpy: floats are refused, not truncated.
    for bad in (1.5, [1.0, 2.0], np.float32(1), tf.constant(1.5)):
        with pytest.raises(TypeError, match="integers"):
            tfnpy.read_npy(path, tf.float32, start=bad)
        with pytest.raises(TypeError, match="integers"):
            tfnpy.read_npy(path, tf.float32, stop=bad)
    # Fractions and indices are not mixed.
    with pytest.raises(ValueError, match="not both"):
        tfnpy.read_npy(path, tf.float32, start=[0], rel_stop=[0.5])
    with pytest.raises(ValueError, match="out_of_bounds must be"):
        tfnpy.read_npy(path, tf.float32, out_of_bounds="wrap")
    with pytest.raises(ValueError, match="fill_value is used only with out_of_bounds='pad'"):
        tfnpy.read_npy(path, tf.float32, start=[0], fill_value=1)


@pytest.mark.parametrize(
    "start,stop,batch,expected",
    [
        ([1, 2], [3, 5], False, [2, 3, 7]),
        ([1, 2], [3, 50], False, [2, 4, 7]),
        ([3], [1], False, [0, 6, 7]),
        ([[0, 0], [2, 1]], [[2, 3], [4, 4]], True, [2, 2, 3, 7]),
        ([[0, 0], [2, 1]], [[2, 3], [4, 5]], True, [2, 2, None, 7]),
        (None, None, False, [5, 6, 7]),
    ],
)
def test_static_shapes(start, stop, batch, expected):
    spec = tf.TensorSpec([2] if batch else [], tf.string)

    @tf.function(input_signature=[spec])
    def fn(p):
        return tfnpy.read_npy(p, tf.float32, shape=SHAPE, start=start, stop=stop)

    assert fn.get_concrete_function().structured_outputs.shape.as_list() == expected


def test_static_shapes_of_unknown_bounds():
    @tf.function(input_signature=[tf.TensorSpec([], tf.string), tf.TensorSpec([2], tf.int64)])
    def fn(p, s):
        return tfnpy.read_npy(p, tf.float32, shape=SHAPE, start=s, stop=s + 2)

    assert fn.get_concrete_function().structured_outputs.shape.as_list() == [None, None, 7]


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs /proc/self/io (Linux)")
@pytest.mark.parametrize("fortran", [False, True], ids=["C", "F"])
def test_crop_reads_only_about_its_bytes(tmp_path, fortran):
    # A 64^3 crop of a 256^3 float32 volume (64 MiB): 1 MiB of output, and
    # only a few MiB read (rows of the crop 1 KiB apart are read as one span).
    vol = np.arange(256**3, dtype=np.float32).reshape(256, 256, 256)
    path = str(tmp_path / "vol.npy")
    np.save(path, np.asfortranarray(vol) if fortran else vol)
    start = np.array([100, 30, 170])
    tfnpy.read_npy(path, tf.float32, start=[0, 0, 0], stop=[1, 1, 1])  # Warm up the op.
    before = rchar()
    got = tfnpy.read_npy(path, tf.float32, start=start, stop=start + 64).numpy()
    read = rchar() - before
    assert_same_array(got, vol[_slices(start, start + 64)])
    assert read < 6 * 2**20, f"read {read} bytes for a 1 MiB crop of a 64 MiB file"
