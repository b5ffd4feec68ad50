"""tfnpy.data: from_csv against the seed's numpy_function pipeline, npy_rows."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import tensorflow as tf

import tfnpy


def write_csv(path, rows, header=None):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return str(path)


@pytest.fixture
def seed_data(tmp_path):
    """The seed article's layout: 10x10 float64 arrays and a path,label CSV."""
    rng = np.random.default_rng(0)
    arrays, rows = [], []
    for i in range(37):
        a = rng.random((10, 10))
        name = f"data_{i}.npy"
        np.save(tmp_path / name, a)
        arrays.append(a)
        rows.append([name, i % 5])
    return tmp_path, arrays, rows


@pytest.fixture(params=[False, True], ids=["csv_dataset", "in_memory"])
def in_memory(request):
    """from_csv's two sources: CsvDataset (streamed) and the lines in memory."""
    return request.param


def seed_pipeline(csv_path, base):
    """The seed's numpy_function pipeline, with its bugs fixed (path as bytes)."""
    rows = tf.data.experimental.CsvDataset(csv_path, [tf.string, tf.int64])
    load = lambda p: np.load(os.path.join(base, p.decode()))  # noqa: E731
    return rows.map(lambda p, y: (tf.numpy_function(load, [p], tf.float64), y))


def test_from_csv_equals_seed_pipeline_in_order(seed_data, in_memory):
    base, arrays, rows = seed_data
    csv_path = write_csv(base / "paths.csv", rows)
    ds = tfnpy.data.from_csv(csv_path, deterministic=True, in_memory=in_memory)
    assert ds.element_spec == (tf.TensorSpec([10, 10], tf.float64), tf.TensorSpec([], tf.int64))
    ours = [(a.numpy(), y.numpy()) for a, y in ds]
    theirs = [(a.numpy(), y.numpy()) for a, y in seed_pipeline(csv_path, str(base))]
    assert len(ours) == len(theirs) == len(arrays)
    for (a, y), (b, z), c in zip(ours, theirs, arrays):
        assert a.tobytes() == b.tobytes() == c.tobytes()
        assert y == z


def test_header_absolute_paths_and_base_dir(seed_data, in_memory, tmp_path_factory):
    base, arrays, rows = seed_data
    other = tmp_path_factory.mktemp("elsewhere")
    abs_rows = [[str(base / r[0]), r[1]] for r in rows]
    abs_csv = write_csv(other / "abs.csv", abs_rows, header=["path", "label"])
    ds = tfnpy.data.from_csv(abs_csv, header=True, in_memory=in_memory)
    assert len(list(ds)) == len(arrays)
    rel_csv = write_csv(other / "rel.csv", rows)
    rel = tfnpy.data.from_csv(rel_csv, base_dir=str(base), deterministic=True, in_memory=in_memory)
    got = [a.numpy() for a, _ in rel]
    assert all(np.array_equal(g, a) for g, a in zip(got, arrays))


def test_several_columns_and_no_column(seed_data, in_memory):
    base, arrays, rows = seed_data
    multi = [[r[0], r[1], r[1] * 0.5, f"tag{r[1]}"] for r in rows]
    ds = tfnpy.data.from_csv(write_csv(base / "multi.csv", multi), deterministic=True, in_memory=in_memory)
    array, (label, weight, tag) = next(iter(ds))
    assert label.dtype == tf.int64 and weight.dtype == tf.float32 and tag.dtype == tf.string
    assert (label.numpy(), weight.numpy(), tag.numpy()) == (0, 0.0, b"tag0")
    only_csv = write_csv(base / "only.csv", [[r[0]] for r in rows])
    only = tfnpy.data.from_csv(only_csv, deterministic=True, in_memory=in_memory)
    assert only.element_spec == tf.TensorSpec([10, 10], tf.float64)
    assert np.array_equal(next(iter(only)).numpy(), arrays[0])


def test_column_defaults_and_path_column(seed_data, in_memory):
    base, arrays, rows = seed_data
    swapped = [[r[1], r[0]] for r in rows]
    ds = tfnpy.data.from_csv(
        write_csv(base / "swapped.csv", swapped), path_column=1,
        column_defaults=[tf.float32, tf.string],
        in_memory=in_memory,
    )
    array, label = next(iter(ds))
    assert label.dtype == tf.float32 and np.array_equal(array.numpy(), arrays[0])


def test_batch_size_equals_batching_afterwards(seed_data, in_memory):
    base, arrays, rows = seed_data
    csv_path = write_csv(base / "paths.csv", rows)
    batched = list(tfnpy.data.from_csv(csv_path, batch_size=8, deterministic=True, in_memory=in_memory))
    plain = list(tfnpy.data.from_csv(csv_path, deterministic=True, in_memory=in_memory).batch(8))
    assert len(batched) == len(plain) == 5
    for (a, y), (b, z) in zip(batched, plain):
        assert np.array_equal(a.numpy(), b.numpy()) and np.array_equal(y.numpy(), z.numpy())
    dropped = tfnpy.data.from_csv(csv_path, batch_size=8, drop_remainder=True, in_memory=in_memory)
    assert dropped.element_spec[0].shape == (8, 10, 10)


def test_in_memory_lines_crlf_blank_lines_quotes_and_defaults(seed_data):
    """in_memory parses each line with decode_csv: the same records as
    CsvDataset for CRLF line ends, quoted fields and empty fields with defaults;
    it skips blank lines, where CsvDataset reads an empty record."""
    base, arrays, _ = seed_data
    text = 'path,label,note\r\n"data_0.npy",3,"a, b"\r\n\r\ndata_1.npy,,x\r\ndata_2.npy,7,\r\n'
    (base / "crlf.csv").write_bytes(text.encode())
    defaults = [tf.string, tf.constant(-1, tf.int64), tf.constant("none")]
    got = []
    for in_memory in (False, True):
        csv_path = str(base / ("crlf.csv" if in_memory else "plain.csv"))
        if not in_memory:  # CsvDataset: "Field 0 is required but missing" on a blank line.
            (base / "plain.csv").write_bytes(text.replace("\r\n\r\n", "\r\n").encode())
        ds = tfnpy.data.from_csv(csv_path, header=True, column_defaults=defaults, in_memory=in_memory, deterministic=True)
        got.append([(a.numpy(), y.numpy(), n.numpy()) for a, (y, n) in ds])
    for rows in got:
        assert [(y, n) for _, y, n in rows] == [(3, b"a, b"), (-1, b"x"), (7, b"none")]
        assert all(np.array_equal(a, arrays[i]) for i, (a, _, _) in enumerate(rows))


def test_missing_file_names_the_file(seed_data, in_memory):
    base, _, rows = seed_data
    csv_path = write_csv(base / "missing.csv", rows[:2] + [["nope.npy", 1]])
    with pytest.raises(tf.errors.NotFoundError, match="nope.npy"):
        list(tfnpy.data.from_csv(csv_path, in_memory=in_memory))


def test_file_of_another_shape_names_the_file(seed_data, in_memory):
    base, _, rows = seed_data
    np.save(base / "odd.npy", np.zeros((3, 3)))
    csv_path = write_csv(base / "odd.csv", rows[:2] + [["odd.npy", 1]])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"odd\.npy.*file has shape \(3, 3\), expected \(10, 10\)"):
        list(tfnpy.data.from_csv(csv_path, in_memory=in_memory))


def test_bad_row_is_reported(seed_data, in_memory):
    base, _, rows = seed_data
    csv_path = write_csv(base / "bad.csv", rows[:2] + [["data_0.npy", "not-a-number"]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="not-a-number|Field 1"):
        list(tfnpy.data.from_csv(csv_path, in_memory=in_memory))
    short = write_csv(base / "short.csv", rows[:2] + [["data_0.npy"]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expect 2 fields but have 1"):
        list(tfnpy.data.from_csv(short, in_memory=in_memory))


def test_keras_fit_runs(seed_data):
    base, _, rows = seed_data
    ds = tfnpy.data.from_csv(write_csv(base / "paths.csv", rows)).batch(8)
    model = tf.keras.Sequential([tf.keras.Input((10, 10)), tf.keras.layers.Flatten(), tf.keras.layers.Dense(5)])
    model.compile("sgd", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def _rchar() -> int:
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("rchar"))


def test_npy_rows_equals_np_load_and_reads_blocks(tmp_path):
    a = np.arange(1000 * 6, dtype=">i4").reshape(1000, 2, 3)
    path = str(tmp_path / "rows.npy")
    np.save(path, a)
    ds = tfnpy.data.npy_rows(path, block_rows=64)
    assert ds.element_spec == tf.TensorSpec([2, 3], tf.int32)
    assert np.array_equal(np.stack([r.numpy() for r in ds]), a)
    sharded = [r.numpy() for r in tfnpy.data.npy_rows(path, block_rows=100).shard(3, 1)]
    assert len(sharded) == 1000 // 3 and np.array_equal(sharded[0], a[1])
    batches = list(tfnpy.data.npy_rows(path).batch(128))
    assert np.array_equal(np.concatenate([b.numpy() for b in batches]), a)


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs /proc/self/io")
def test_npy_rows_never_reads_the_whole_file(tmp_path):
    path = str(tmp_path / "big.npy")
    big = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(50_000, 1024))
    big[:10] = 1.0
    del big  # ~200 MB on disk, mostly sparse
    ds = tfnpy.data.npy_rows(path, block_rows=16)
    before = _rchar()
    rows = [r.numpy() for r in ds.take(5)]
    read = _rchar() - before
    assert all(np.all(r == 1.0) for r in rows)
    assert read < 4 << 20, f"read {read} bytes to take 5 rows of a 200 MB file"


def test_npy_rows_of_fortran_order_and_scalars(tmp_path):
    arr = np.asfortranarray(np.arange(60.0).reshape(12, 5))
    np.save(tmp_path / "f.npy", arr)
    np.save(tmp_path / "s.npy", np.float64(1.0))
    rows = list(tfnpy.data.npy_rows(str(tmp_path / "f.npy"), block_rows=5).as_numpy_iterator())
    np.testing.assert_array_equal(np.stack(rows), arr)
    with pytest.raises(ValueError, match="scalar"):
        tfnpy.data.npy_rows(str(tmp_path / "s.npy"))
