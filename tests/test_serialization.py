"""tfnpy graphs outlive the Python process: SavedModel, Dataset.save, checkpoints."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import tfnpy


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


class Decoder(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def serve(self, contents):
        x = tfnpy.decode_npy(contents, tf.float32, shape=[None, 3])
        return {"array": x, "row_sums": tf.reduce_sum(x, axis=1)}


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.mark.slow
def test_saved_model_serves_in_a_fresh_process(tmp_path):
    export = str(tmp_path / "model")
    tf.saved_model.save(Decoder(), export, signatures={"serving_default": Decoder().serve})
    array = np.arange(12, dtype=">f4").reshape(4, 3)
    (tmp_path / "in.npy").write_bytes(npy_bytes(array))
    code = f"""
        import numpy as np, tensorflow as tf
        import tfnpy  # registers TFNpy>DecodeNpy in this process
        model = tf.saved_model.load({export!r})
        out = model.signatures["serving_default"](contents=tf.constant(open({str(tmp_path / 'in.npy')!r}, "rb").read()))
        np.save({str(tmp_path / 'out.npy')!r}, out["array"].numpy())
        np.save({str(tmp_path / 'sums.npy')!r}, out["row_sums"].numpy())
    """
    done = run_python(code)
    assert done.returncode == 0, done.stderr[-3000:]
    assert np.array_equal(np.load(tmp_path / "out.npy"), array.astype("<f4"))
    assert np.array_equal(np.load(tmp_path / "sums.npy"), array.sum(axis=1))


@pytest.mark.slow
def test_saved_model_needs_the_op_library(tmp_path):
    export = str(tmp_path / "model")
    tf.saved_model.save(Decoder(), export)
    done = run_python(f"import tensorflow as tf; tf.saved_model.load({export!r})")
    assert done.returncode != 0
    assert "TFNpy>DecodeNpy" in done.stderr


def file_dataset(tmp_path, n=12):
    arrays = [np.full((2, 3), i, np.float32) for i in range(n)]
    paths = []
    for i, a in enumerate(arrays):
        p = str(tmp_path / f"a{i}.npy")
        np.save(p, a)
        paths.append(p)
    ds = tf.data.Dataset.from_tensor_slices(paths).map(lambda p: tfnpy.read_npy(p, tf.float32, shape=[2, 3]))
    return ds, arrays


def test_dataset_save_and_load_round_trip(tmp_path):
    ds, arrays = file_dataset(tmp_path)
    target = str(tmp_path / "saved")
    ds.save(target)
    loaded = tf.data.Dataset.load(target)
    assert loaded.element_spec == tf.TensorSpec([2, 3], tf.float32)
    got = [x.numpy() for x in loaded]
    assert len(got) == len(arrays) and all(np.array_equal(g, a) for g, a in zip(got, arrays))


def test_iterator_checkpoint_resumes_where_it_stopped(tmp_path):
    ds, arrays = file_dataset(tmp_path)
    it = iter(ds)
    first = [next(it).numpy() for _ in range(5)]
    prefix = tf.train.Checkpoint(iterator=it).save(str(tmp_path / "ckpt" / "it"))
    fresh = iter(ds)
    tf.train.Checkpoint(iterator=fresh).restore(prefix).assert_consumed()
    rest = [x.numpy() for x in fresh]
    assert all(np.array_equal(g, a) for g, a in zip(first + rest, arrays))
    assert len(first) + len(rest) == len(arrays)


def test_numpy_function_pipeline_cannot_checkpoint_its_iterator(tmp_path):
    """The reason this project exists, in one assertion: a Python callback is
    opaque state, so tf.data refuses to checkpoint an iterator that uses it."""
    path = str(tmp_path / "a.npy")
    np.save(path, np.zeros(3, np.float32))
    ds = tf.data.Dataset.from_tensor_slices([path, path]).map(
        lambda p: tf.numpy_function(lambda s: np.load(s.decode()), [p], tf.float32)
    )
    it = iter(ds)
    next(it)
    with pytest.raises(tf.errors.FailedPreconditionError, match="stateful"):
        tf.train.Checkpoint(iterator=it).save(str(tmp_path / "ckpt" / "it"))
