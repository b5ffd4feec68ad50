"""Batches of arrays of different shapes (ragged=True) and per-file errors
(on_error="report"), through read_npy, decode_npy, read_npz and decode_npz.

The reference is np.load of each file: a ragged result's row i holds file i's
array, bit for bit, and the whole equals tf.ragged.stack of the arrays (its
values and every row length); the axes the shape leaves None are ragged, the
others uniform."""

import io
import os

import numpy as np
import pytest
import tensorflow as tf

import tfnpy
from npy_testutil import SUPPORTED_DTYPES, assert_same_array, make_npy, numpy_npy, sample_array, zip_bytes

# Shapes of a batch's arrays, and the shape= that reads them (None: what varies).
BATCHES = {
    "1d": ([(3,), (0,), (7,), (1,)], [None]),
    "first-axis": ([(2, 4), (5, 4), (1, 4)], [None, 4]),
    "both-axes": ([(2, 3), (4, 1), (3, 3), (0, 2)], [None, None]),
    "middle-uniform": ([(2, 3, 4), (1, 3, 2), (3, 3, 1)], [None, 3, None]),
    "uniform-outer": ([(2, 1), (2, 5), (2, 3)], [2, None]),
    "scalars": ([(), (), ()], []),
}


def _check_ragged(got, arrays, context=""):
    """got (a RaggedTensor, or a dense batch where nothing varies) holds the
    arrays: row i is array i bit for bit, and padded out it is what
    tf.ragged.stack of the arrays gives padded out."""
    if not isinstance(got, tf.RaggedTensor):
        assert_same_array(got.numpy(), np.stack(arrays), context)
        return
    assert got.nrows().numpy() == len(arrays), context
    for i, a in enumerate(arrays):
        row = got[i]
        row = row.to_tensor() if isinstance(row, tf.RaggedTensor) else row
        if a.size:  # An empty row of a ragged tensor has no inner dims to give.
            assert_same_array(row.numpy(), a, f"{context} row {i}")
        else:
            assert row.numpy().size == 0, f"{context} row {i}"
    flat = np.concatenate([a.reshape(-1) for a in arrays])
    assert_same_array(got.flat_values.numpy().reshape(-1), flat, context)
    # Padded out with zeros it is the arrays padded out, as tf.ragged.stack's
    # (which takes arrays of rank 2 at most when they differ) would be.
    bound = np.max([a.shape for a in arrays], axis=0)
    assert got.bounding_shape().numpy().tolist()[1:] == bound.tolist() or flat.size == 0, context
    padded = np.zeros((len(arrays),) + tuple(bound), arrays[0].dtype)
    for i, a in enumerate(arrays):
        padded[(i,) + tuple(slice(0, d) for d in a.shape)] = a != 0 if a.dtype == bool else a
    if arrays[0].ndim <= 2:
        want = tf.ragged.stack([tf.constant(a != 0 if a.dtype == bool else a) for a in arrays])
        assert_same_array(want.to_tensor(shape=padded.shape).numpy(), padded, context)
    assert_same_array(got.to_tensor(shape=padded.shape).numpy(), padded, context)


def _arrays(dt, shapes, seed=0):
    return [sample_array(dt, s, seed=seed + i) for i, s in enumerate(shapes)]


@pytest.mark.parametrize("batch", sorted(BATCHES))
@pytest.mark.parametrize("dt", SUPPORTED_DTYPES)
def test_ragged_rows_equal_np_load(files, dt, batch):
    shapes, shape = BATCHES[batch]
    arrays = _arrays(dt, shapes, seed=len(dt))
    # Files in both byte orders and memory orders, as numpy writes them.
    blobs = [make_npy(a, byteorder=">" if i % 2 else "<", fortran=i % 3 == 1 and a.ndim > 1)
             if np.dtype(dt).itemsize > 1 else numpy_npy(a) for i, a in enumerate(arrays)]
    paths = [files(b) for b in blobs]
    tf_dtype = tf.as_dtype(np.dtype(dt))
    for got in (tfnpy.read_npy(paths, tf_dtype, shape=shape, ragged=True),
                tfnpy.decode_npy(tf.constant(blobs), tf_dtype, shape=shape, ragged=True)):
        _check_ragged(got, arrays, f"{dt} {batch}")
        if batch == "scalars":
            assert not isinstance(got, tf.RaggedTensor) and got.shape == (len(arrays),)
        else:
            assert isinstance(got, tf.RaggedTensor)
            # Ragged exactly where shape= says None; the rest uniform.
            assert got.shape.as_list() == [len(arrays)] + shape
    # npz: stored and deflated members of each archive.
    archives = [zip_bytes([("x.npy", b), ("y.npy", numpy_npy(np.arange(i + 1, dtype=np.int32)))])
                for i, b in enumerate(blobs)]
    npz_paths = [files(z, f"{batch}-{dt}-{i}.npz") for i, z in enumerate(archives)]
    ys = [np.arange(i + 1, dtype=np.int32) for i in range(len(arrays))]
    for got in (tfnpy.read_npz(npz_paths, {"x": tf_dtype, "y": tf.int32}, shape={"x": shape, "y": [None]}, ragged=True),
                tfnpy.decode_npz(tf.constant(archives), {"x": tf_dtype, "y": tf.int32}, shape={"x": shape, "y": [None]},
                                 ragged=True)):
        _check_ragged(got["x"], arrays, f"npz x {dt} {batch}")
        _check_ragged(got["y"], ys, f"npz y {dt} {batch}")


@pytest.mark.parametrize("dtype", ["string", "bfloat16"])
def test_ragged_strings_and_ml_dtypes(files, dtype):
    if dtype == "string":
        arrays = [np.array(["a", "bcd", ""]), np.array([b"xy\0z"] * 2, dtype="S4"), np.array([], dtype="U2")]
        want = [np.char.encode(a, "utf-8") if a.dtype.kind == "U" else a for a in arrays]
    else:
        ml_dtypes = pytest.importorskip("ml_dtypes")
        want = [np.arange(n, dtype=np.float32).astype(ml_dtypes.bfloat16) for n in (3, 0, 5)]
        arrays = want
    paths = [files(numpy_npy(a)) for a in arrays]
    got = tfnpy.read_npy(paths, dtype, shape=[None], ragged=True)
    for i, w in enumerate(want):
        row = got[i].numpy()
        if dtype == "string":
            assert list(row) == [bytes(x).rstrip(b"\0") for x in w], (i, row)
        else:
            assert_same_array(row, w)


def test_without_shape_every_axis_is_ragged_when_eager(files):
    arrays = _arrays("int16", [(2, 3), (4, 1)])
    paths = [files(numpy_npy(a)) for a in arrays]
    got = tfnpy.read_npy(paths, tf.int16, ragged=True)
    assert got.ragged_rank == 2 and got.shape.as_list() == [2, None, None]
    _check_ragged(got, arrays)

    # In a graph the rank must be given: the ragged structure is static.
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def no_rank(p):
        return tfnpy.read_npy(p, tf.int16, ragged=True)

    with pytest.raises(ValueError, match="ragged=True needs the arrays' rank"):
        no_rank.get_concrete_function()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def with_rank(p):
        return tfnpy.read_npy(p, tf.int16, shape=[None, None], ragged=True)

    spec = with_rank.get_concrete_function().structured_outputs
    assert isinstance(spec, tf.RaggedTensor) and spec.shape.as_list() == [None, None, None]
    _check_ragged(with_rank(tf.constant(paths)), arrays)


def test_ragged_regions_per_file(files):
    # Crops of each file, every one a different size: ragged, one call.
    vols = _arrays("float32", [(9, 8), (5, 7), (12, 3)])
    paths = [files(numpy_npy(v)) for v in vols]
    starts = np.array([[1, 2], [-3, 0], [4, 1]])
    stops = np.array([[4, 8], [5, 5], [100, 2]])
    got = tfnpy.read_npy(paths, tf.float32, shape=[None, None], start=starts, stop=stops, ragged=True)
    _check_ragged(got, [v[a[0]:b[0], a[1]:b[1]] for v, a, b in zip(vols, starts, stops)])
    # Relative crops: the centre half of each file.
    got = tfnpy.read_npy(paths, tf.float32, shape=[None, None], rel_start=[0.25, 0.25], rel_stop=[0.75, 0.75],
                         ragged=True)
    centre = [v[int(np.floor(0.25 * v.shape[0] + 0.5)):int(np.floor(0.75 * v.shape[0] + 0.5)),
                int(np.floor(0.25 * v.shape[1] + 0.5)):int(np.floor(0.75 * v.shape[1] + 0.5))] for v in vols]
    _check_ragged(got, centre)
    # The cap applies to each file (140 and 144 bytes here), not to the batch.
    with pytest.raises(tf.errors.ResourceExhaustedError, match=os.path.basename(paths[2])):
        tfnpy.read_npy(paths[1:], tf.float32, shape=[None, None], ragged=True, max_output_bytes=142)
    _check_ragged(tfnpy.read_npy(paths[1:], tf.float32, shape=[None, None], ragged=True, max_output_bytes=144),
                  vols[1:])


def test_ragged_rank_mismatch_and_empty_batches(files):
    a = files(numpy_npy(np.zeros((2, 3), np.float32)))
    b = files(numpy_npy(np.zeros((4,), np.float32)))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\(element 1\) has 1 dimensions but .* has 2"):
        tfnpy.read_npy([a, b], tf.float32, ragged=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="file has shape \\(4,\\), expected \\(None, None\\)"):
        tfnpy.read_npy([a, b], tf.float32, shape=[None, None], ragged=True)
    empty = tfnpy.read_npy(tf.constant([], tf.string), tf.float32, shape=[None, 3], ragged=True)
    assert isinstance(empty, tf.RaggedTensor) and empty.shape.as_list() == [0, None, 3]
    # A scalar path with ragged=True: the array itself, dense.
    one = tfnpy.read_npy(a, tf.float32, shape=[None, 3], ragged=True)
    assert not isinstance(one, tf.RaggedTensor) and one.shape == (2, 3)


def test_report_gives_each_files_error_and_reads_the_rest(files, tmp_path):
    good = _arrays("int32", [(3,), (2,), (4,)])
    paths = [files(numpy_npy(a)) for a in good]
    corrupt = files(b"\x93NUMPY\x01\x00garbage")
    truncated = files(numpy_npy(np.arange(100, dtype=np.int64))[:-8])
    wrong = files(numpy_npy(np.zeros(3, np.float64)))
    missing = str(tmp_path / "missing.npy")
    batch = [paths[0], corrupt, paths[1], missing, truncated, wrong, paths[2]]
    for ragged in (True, False):
        shape = [None] if ragged else None
        if not ragged:  # A stacked batch needs one shape: make the good files agree.
            batch = [files(numpy_npy(np.full(3, i, np.int32))) if p in paths else p for i, p in enumerate(batch)]
        values, errors = tfnpy.read_npy(batch, tf.int32, shape=shape, ragged=ragged, on_error="report")
        codes = list(errors.code.numpy())
        assert codes == [0, 3, 0, 5, 3, 3, 0], codes  # INVALID_ARGUMENT, NOT_FOUND
        messages = [m.decode() for m in errors.message.numpy()]
        assert messages[0] == messages[2] == messages[6] == ""
        assert messages[1].startswith(f"ReadNpy: '{corrupt}': ")
        assert messages[3].startswith(f"ReadNpy: '{missing}': ") and "No such file" in messages[3]
        assert "data truncated" in messages[4] and "file holds <f8 (float64), expected int32" in messages[5]
        for i in (1, 3, 4, 5):  # A failed row: empty (ragged) or zeros.
            row = values[i].numpy()
            assert row.size == 0 if ragged else not row.any(), (i, row)
        for i in (0, 2, 6):
            assert_same_array(values[i].numpy(), np.load(batch[i]))
    # A scalar path: a one-element report.
    _, errors = tfnpy.read_npy(missing, tf.int32, shape=[3], on_error="report")
    assert errors.code.numpy().tolist() == [5]
    # decode_npy and read_npz report the same way; an archive fails as a whole.
    _, errors = tfnpy.decode_npy(tf.constant([numpy_npy(good[0]), b"junk"]), tf.int32, shape=[None], ragged=True,
                                 on_error="report")
    assert errors.code.numpy().tolist() == [0, 3] and b"DecodeNpy: element 1: " in errors.message.numpy()[1]
    z = files(zip_bytes([("x.npy", numpy_npy(good[0]))]), "only-x.npz")
    got, errors = tfnpy.read_npz([z, z], {"x": tf.int32, "y": tf.int32}, shape={"x": [None], "y": [None]},
                                 ragged=True, on_error="report")
    assert errors.code.numpy().tolist() == [3, 3] and b"no member 'y'" in errors.message.numpy()[0]
    assert got["x"].shape.as_list() == [2, None] and got["x"].flat_values.shape == (0,)


def test_report_in_a_stacked_batch_that_disagrees(files):
    # The file whose shape differs from the first read is the one that fails.
    a = files(numpy_npy(np.ones((2, 2), np.float32)))
    b = files(numpy_npy(np.ones((3, 2), np.float32)))
    values, errors = tfnpy.read_npy([a, a, b, a], tf.float32, on_error="report")
    assert errors.code.numpy().tolist() == [0, 0, 3, 0]
    assert b"gives shape (3, 2) but" in errors.message.numpy()[2]
    assert values.shape == (4, 2, 2) and not values[2].numpy().any() and values[3].numpy().all()
    # Every file failing: the shape comes from shape=, or the first error is raised.
    missing = a + ".nope"
    values, errors = tfnpy.read_npy([missing, missing], tf.float32, shape=[2, None], on_error="report")
    assert values.shape == (2, 2, 0) and errors.code.numpy().tolist() == [5, 5]
    with pytest.raises(tf.errors.NotFoundError):
        tfnpy.read_npy([missing], tf.float32, on_error="report")


def test_report_and_ragged_in_a_graph(files):
    paths = [files(numpy_npy(np.arange(n, dtype=np.int64))) for n in (2, 5)]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def read(p):
        values, errors = tfnpy.read_npy(p, tf.int64, shape=[None], ragged=True, on_error="report")
        return values, errors.code, errors.message

    values, code, message = read(tf.constant(paths + [paths[0] + "x"]))
    assert values.to_list() == [[0, 1], [0, 1, 2, 3, 4], []]
    assert code.numpy().tolist() == [0, 0, 5] and message.shape == (3,)
    # The outputs' static shapes.
    out = read.get_concrete_function().structured_outputs
    assert out[1].shape.as_list() == [None] and out[0].shape.as_list() == [None, None]
    # As a SavedModel signature, without Python.
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'report'"):
        tfnpy.read_npy(paths, tf.int64, on_error="skip")
    buf = io.BytesIO()
    np.save(buf, np.arange(3))
    assert tfnpy.decode_npy(buf.getvalue(), tf.int64, ragged=True).numpy().tolist() == [0, 1, 2]
