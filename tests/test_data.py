"""tfnpy.data: from_csv against the seed's numpy_function pipeline, npy_rows."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import tensorflow as tf

import tfnpy
from npy_testutil import rchar


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


def test_crlf_blank_lines_quotes_and_defaults(seed_data, in_memory):
    """Both modes read the same records: CRLF line ends, quoted fields, blank
    lines skipped (CsvDataset used to fail on them), defaults for empty fields."""
    base, arrays, _ = seed_data
    text = 'path,label,note\r\n"data_0.npy",3,"a, b"\r\n\r\ndata_1.npy,,x\r\ndata_2.npy,7,\r\n\r\n'
    (base / "crlf.csv").write_bytes(text.encode())
    defaults = [tf.string, tf.constant(-1, tf.int64), tf.constant("none")]
    ds = tfnpy.data.from_csv(str(base / "crlf.csv"), header=True, column_defaults=defaults, in_memory=in_memory, deterministic=True)
    rows = [(a.numpy(), y.numpy(), n.numpy()) for a, (y, n) in ds]
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


def csv_error(csv_path, in_memory, **kwargs):
    """The message of the InvalidArgumentError that reading the CSV raises
    (with in_memory, when the dataset is built)."""
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        list(tfnpy.data.from_csv(csv_path, in_memory=in_memory, **kwargs))
    return info.value.message


def test_bad_rows_name_the_csv_file_and_line(seed_data, in_memory):
    base, _, rows = seed_data
    bad = write_csv(base / "bad.csv", rows[:2] + [["data_0.npy", "oops"]])
    assert f"{bad}:3: column 1 is not a valid int64: oops" in csv_error(bad, in_memory)
    short = write_csv(base / "short.csv", rows[:2] + [["data_0.npy"]])
    assert f"{short}:3: 1 fields, expected 2" in csv_error(short, in_memory)
    # The header and blank lines count: line 5 is the bad one.
    text = "path,label\n\ndata_0.npy,1\n\ndata_1.npy,1.5\n"
    (base / "counted.csv").write_text(text)
    message = csv_error(str(base / "counted.csv"), in_memory, header=True)
    assert f"{base / 'counted.csv'}:5: column 1 (label) is not a valid int64: 1.5" in message
    (base / "empty.csv").write_text("data_0.npy,1\ndata_1.npy,\n")
    assert f"{base / 'empty.csv'}:2: column 1 is empty and has no default" in csv_error(str(base / "empty.csv"), in_memory)
    (base / "quote.csv").write_text('data_0.npy,1\ndata_1.npy,1"2"\n')
    assert f"{base / 'quote.csv'}:2: a quote inside an unquoted field" in csv_error(str(base / "quote.csv"), in_memory)
    for text in ('data_0.npy,1\n"data_1.npy,1\ndata_2.npy,2\n', 'data_0.npy,1\ndata_1.npy,1"2\ndata_2.npy,2\n'):
        (base / "open.csv").write_text(text)
        assert f"{base / 'open.csv'}:2: a quote is not closed by the end of the file" in csv_error(
            str(base / "open.csv"), in_memory
        )


def test_byte_order_mark_is_not_part_of_the_first_path(seed_data, in_memory):
    base, arrays, rows = seed_data
    text = "".join(f"{p},{y}\n" for p, y in rows[:3])
    (base / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    ds = tfnpy.data.from_csv(str(base / "bom.csv"), in_memory=in_memory, deterministic=True)
    got = [a.numpy() for a, _ in ds]
    assert len(got) == 3 and all(np.array_equal(g, a) for g, a in zip(got, arrays))


def test_records_equal_pythons_csv_reader(seed_data, in_memory, monkeypatch):
    """Quoted commas, doubled quotes and line breaks (also across the blocks of
    lines the streaming parser takes at a time), empty fields: the same rows
    as csv.reader gives."""
    monkeypatch.setattr(tfnpy.data, "_LINES_PER_STEP", 2)
    base, arrays, rows = seed_data
    notes = ["plain", "a, b", 'say "hi"', "two\nlines", "", "three\n\nlines, \"quoted\"", ",", '"']
    path = write_csv(base / "tricky.csv", [[r[0], n, i * 0.25] for i, (r, n) in enumerate(zip(rows, notes))], header=["path", "note", "w"])
    with open(path, newline="") as f:
        expected = [row for row in csv.reader(f) if row][1:]
    ds = tfnpy.data.from_csv(path, header=True, column_defaults=[tf.string, "", tf.float64], in_memory=in_memory, deterministic=True)
    got = [(a.numpy(), n.numpy().decode(), w.numpy()) for a, (n, w) in ds]
    assert [(n, w) for _, n, w in got] == [(n, float(w)) for _, n, w in expected]
    assert all(np.array_equal(a, arrays[i]) for i, (a, _, _) in enumerate(got))


def test_one_rule_for_absolute_paths(seed_data, in_memory, tmp_path_factory):
    """A quoted absolute path with a newline in it is used as it is; a relative
    path with '://' inside is relative, for the first file (read in Python for
    dtype and shape) as for all others."""
    base, arrays, _ = seed_data
    weird = base / "new\nline.npy"
    np.save(weird, arrays[0])
    (base / "a:").mkdir()
    np.save(base / "a:" / "b.npy", arrays[1])
    elsewhere = tmp_path_factory.mktemp("csvs")
    rows = [[str(weird), 0], [str(base / "a:") + "//b.npy", 1]]
    path = write_csv(elsewhere / "abs.csv", rows)
    got = [a.numpy() for a, _ in tfnpy.data.from_csv(path, in_memory=in_memory, deterministic=True)]
    assert np.array_equal(got[0], arrays[0]) and np.array_equal(got[1], arrays[1])
    (base / "d" / "a:").mkdir(parents=True)
    np.save(base / "d" / "a:" / "c.npy", arrays[1])
    relative = write_csv(base / "rel.csv", [["d/a://c.npy", 1], ["data_0.npy", 0]])
    got = [a.numpy() for a, _ in tfnpy.data.from_csv(relative, in_memory=in_memory, deterministic=True)]
    assert np.array_equal(got[0], arrays[1]) and np.array_equal(got[1], arrays[0])


@pytest.fixture
def shards(seed_data):
    """The seed rows split over three CSV files with a header each (one ends
    without a newline, one has blank lines), and the rows in file order."""
    base, arrays, rows = seed_data
    parts = [rows[:10], rows[10:11], rows[11:]]
    for k, part in enumerate(parts):
        write_csv(base / f"shard-{k}.csv", part, header=["path", "label"])
    (base / "shard-1.csv").write_text((base / "shard-1.csv").read_text().rstrip("\r\n"))
    (base / "shard-2.csv").write_text((base / "shard-2.csv").read_text().replace("\r\n", "\r\n\r\n", 3))
    return base, arrays


def test_csv_shards_by_list_glob_shuffled_and_interleaved(shards):
    base, arrays = shards
    files = [str(base / f"shard-{k}.csv") for k in range(3)]
    expected = [(a.tobytes(), i % 5) for i, a in enumerate(arrays)]

    def elements(csv, **kwargs):
        ds = tfnpy.data.from_csv(csv, header=True, **kwargs)
        return [(a.numpy().tobytes(), int(y)) for a, y in ds]

    assert elements(files, deterministic=True) == expected
    assert elements(str(base / "shard-*.csv"), deterministic=True) == expected
    assert elements(str(base / "shard-*.csv"), in_memory=True) == expected
    for kwargs in (dict(shuffle_files=True, seed=3), dict(cycle_length=2), dict(cycle_length=3, deterministic=False)):
        assert sorted(elements(files, **kwargs)) == sorted(expected), kwargs
    # The shard order is drawn again every epoch.
    epochs = list(tfnpy.data.from_csv(files, header=True, shuffle_files=True, seed=1).repeat(6).as_numpy_iterator())
    assert len({epochs[i][0].tobytes() for i in range(0, len(epochs), len(arrays))}) > 1
    with pytest.raises(ValueError, match="no CSV file matches"):
        tfnpy.data.from_csv(str(base / "nothing-*.csv"))
    with pytest.raises(ValueError, match="shuffle the rows"):
        tfnpy.data.from_csv(files, in_memory=True, shuffle_files=True)


@pytest.fixture
def image_and_mask(tmp_path):
    """Rows naming two arrays of different dtype and shape, with a header."""
    rng = np.random.default_rng(1)
    images, masks, rows = [], [], []
    for i in range(11):
        images.append(rng.random((4, 5, 3), dtype=np.float32))
        masks.append(rng.integers(0, 255, (4, 5), dtype=np.uint8))
        np.save(tmp_path / f"img{i}.npy", images[-1])
        np.save(tmp_path / f"mask{i}.npy", masks[-1])
        rows.append([i, f"mask{i}.npy", f"img{i}.npy"])
    csv_path = write_csv(tmp_path / "pairs.csv", rows, header=["id", "mask", "image"])
    return csv_path, images, masks


def test_several_path_columns(image_and_mask, in_memory):
    csv_path, images, masks = image_and_mask
    ds = tfnpy.data.from_csv(csv_path, header=True, path_column=["image", "mask"], in_memory=in_memory, deterministic=True)
    assert ds.element_spec == (
        (tf.TensorSpec([4, 5, 3], tf.float32), tf.TensorSpec([4, 5], tf.uint8)),
        tf.TensorSpec([], tf.int64),
    )
    got = list(ds.as_numpy_iterator())
    assert [i for _, i in got] == list(range(11))
    assert all(np.array_equal(x, images[i]) and np.array_equal(m, masks[i]) for (x, m), i in got)
    # By index, given dtypes and shapes, batched.
    ds = tfnpy.data.from_csv(
        csv_path, header=True, path_column=[1, 2], dtype=["uint8", None], shape=[None, [4, None, 3]],
        batch_size=4, drop_remainder=True, in_memory=in_memory, deterministic=True,
    )
    # An axis left None may differ from file to file: a ragged batch (the others stay uniform).
    assert ds.element_spec[0] == (tf.TensorSpec([4, 4, 5], tf.uint8),
                                  tf.RaggedTensorSpec([4, 4, None, 3], tf.float32, 2, tf.int64))
    (m, x), ids = next(iter(ds))
    assert np.array_equal(m.numpy(), np.stack(masks[:4])) and np.array_equal(x.to_tensor().numpy(), np.stack(images[:4]))
    assert list(ids.numpy()) == [0, 1, 2, 3] and len(list(ds)) == 2
    with pytest.raises(ValueError, match="sequence of 2 entries"):
        tfnpy.data.from_csv(csv_path, header=True, path_column=[1, 2], shape=[4, 5])
    with pytest.raises(ValueError, match="needs header=True"):
        tfnpy.data.from_csv(csv_path, path_column="image")
    with pytest.raises(ValueError, match="'label' is not a column"):
        tfnpy.data.from_csv(csv_path, header=True, path_column="label")


@pytest.fixture
def archives(tmp_path):
    """Rows naming .npz archives (stored and deflated alternately) of two members
    each, and a second archive column, with labels."""
    rng = np.random.default_rng(2)
    arrays, rows = [], []
    for i in range(13):
        a = {"image": rng.random((4, 5, 3), dtype=np.float32), "mask": rng.integers(0, 2, (4, 5)).astype(bool)}
        b = {"arr_0": rng.integers(-9, 9, (i % 3 + 1,), dtype=np.int16)}
        (np.savez_compressed if i % 2 else np.savez)(tmp_path / f"a{i}.npz", **a)
        np.savez(tmp_path / f"b{i}.npz", b["arr_0"])
        arrays.append((a, b))
        rows.append([f"a{i}.npz", f"b{i}.npz", i])
    return write_csv(tmp_path / "archives.csv", rows), arrays


def test_npz_archives_give_their_members(archives, in_memory):
    csv_path, arrays = archives
    ds = tfnpy.data.from_csv(csv_path, keys=["image", "mask"], in_memory=in_memory, deterministic=True)
    assert ds.element_spec == (
        {"image": tf.TensorSpec([4, 5, 3], tf.float32), "mask": tf.TensorSpec([4, 5], tf.bool)},
        (tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.int64)),
    )
    got = list(ds.as_numpy_iterator())
    assert len(got) == len(arrays)
    for (x, (_, i)), (a, _) in zip(got, arrays):
        assert x.keys() == a.keys()
        assert all(np.array_equal(x[k], a[k]) and x[k].dtype == a[k].dtype for k in a)
    # One key as a str: the array itself; batched, with a dtype and a shape given.
    ds = tfnpy.data.from_csv(csv_path, keys="image", shape=[4, None, 3], batch_size=5, in_memory=in_memory,
                             deterministic=True)
    assert ds.element_spec[0] == tf.RaggedTensorSpec([None, 4, None, 3], tf.float32, 2, tf.int64)
    batches = [b.to_tensor().numpy() for b, _ in ds]
    assert [len(b) for b in batches] == [5, 5, 3]
    assert np.array_equal(np.concatenate(batches), np.stack([a["image"] for a, _ in arrays]))


def test_npz_and_npy_columns_side_by_side_and_per_key_dtypes(archives, in_memory):
    csv_path, arrays = archives
    # A later archive without the key: the error names it and lists its members.
    mixed = write_csv(os.path.join(os.path.dirname(csv_path), "mixed.csv"), [["a0.npz", 0], ["b1.npz", 1]])
    ds = tfnpy.data.from_csv(mixed, keys="image", in_memory=in_memory, block_size=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"b1\.npz.*no member 'image'.*its members: 'arr_0'"):
        list(ds)
    with pytest.raises(ValueError, match=r"b0\.npz: no member 'image'; its members: arr_0"):
        tfnpy.data.from_csv(csv_path, path_column=1, keys="image")
    ds = tfnpy.data.from_csv(csv_path, path_column=1, keys="arr_0", shape=[None], dtype="int32", in_memory=in_memory,
                             deterministic=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int16"):
        list(ds)
    ds = tfnpy.data.from_csv(csv_path, path_column=1, keys="arr_0", shape=[None], in_memory=in_memory,
                             deterministic=True, block_size=1)
    got = [x for x, _ in ds.as_numpy_iterator()]
    assert all(np.array_equal(x, b["arr_0"]) for x, (_, b) in zip(got, arrays)) and len(got) == len(arrays)
    # A dict of dtypes for some keys, the rest from the first archive.
    ds = tfnpy.data.from_csv(csv_path, keys=["image", "mask"], dtype={"mask": tf.bool}, in_memory=in_memory)
    assert ds.element_spec[0]["image"].dtype == tf.float32
    with pytest.raises(ValueError, match=r"names members that are not in keys: \['other'\]"):
        tfnpy.data.from_csv(csv_path, keys=["image"], dtype={"other": tf.bool})


def test_npz_crc_is_checked_unless_verify_crc_is_false(archives):
    csv_path, arrays = archives
    path = os.path.join(os.path.dirname(csv_path), "a2.npz")  # np.savez: stored members
    raw = bytearray(open(path, "rb").read())
    for sig, crc_at in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):  # local header, central entry
        at = raw.index(sig + b"-")  # the first member's (image.npy)
        raw[at + crc_at] ^= 1
    open(path, "wb").write(bytes(raw))
    ds = tfnpy.data.from_csv(csv_path, keys="image", block_size=4)
    with pytest.raises(tf.errors.DataLossError, match=r"a2\.npz.*member 'image'.*CRC-32"):
        list(ds)
    ds = tfnpy.data.from_csv(csv_path, keys="image", block_size=4, verify_crc=False, deterministic=True)
    got = [x for x, _ in ds.as_numpy_iterator()]
    assert len(got) == len(arrays) and all(np.array_equal(x, a["image"]) for x, (a, _) in zip(got, arrays))


def test_npz_paths_need_keys_and_keys_need_npz(archives, seed_data):
    csv_path, _ = archives
    with pytest.raises(ValueError, match=r"a0\.npz is an \.npz archive: give keys= \(its members: image, mask\)"):
        tfnpy.data.from_csv(csv_path)
    base, _, rows = seed_data
    npy_csv = write_csv(base / "paths.csv", rows)
    with pytest.raises(ValueError, match=r"keys= is given but .*data_0\.npy is a \.npy file"):
        tfnpy.data.from_csv(npy_csv, keys="x")
    for bad, err in ((["x", "x"], ValueError), ([], ValueError), ({"x": 1}, TypeError), ([1], TypeError)):
        with pytest.raises(err):
            tfnpy.data.from_csv(csv_path, keys=bad)


def test_blocks_of_files_read_at_once_give_the_same_elements(seed_data, in_memory):
    """The default reads small files many per read_npy call and hands them out
    one by one: the same elements in the same order as one read per file, and
    shard, shuffle and filter after it work on single elements."""
    base, arrays, rows = seed_data
    csv_path = write_csv(base / "paths.csv", rows)
    expected = [(a.tobytes(), i % 5) for i, a in enumerate(arrays)]
    for block_size in (None, 1, 5, 64):
        ds = tfnpy.data.from_csv(csv_path, block_size=block_size, deterministic=True, in_memory=in_memory)
        assert ds.element_spec[0] == tf.TensorSpec([10, 10], tf.float64)
        assert [(a.numpy().tobytes(), int(y)) for a, y in ds] == expected, block_size
    ds = tfnpy.data.from_csv(csv_path, block_size=8, in_memory=in_memory)
    assert [(a.tobytes(), int(y)) for a, y in ds.shard(3, 1).as_numpy_iterator()] == expected[1::3]
    assert [int(y) for _, y in ds.filter(lambda a, y: y == 2).as_numpy_iterator()] == [2] * 7
    shuffled = [(a.tobytes(), int(y)) for a, y in ds.shuffle(100, seed=0).as_numpy_iterator()]
    assert sorted(shuffled) == sorted(expected) and shuffled != expected
    # A bad file inside a block: the error names it.
    bad = write_csv(base / "bad_in_block.csv", rows[:5] + [["nope.npy", 0]] + rows[5:9])
    with pytest.raises(tf.errors.NotFoundError, match="nope.npy"):
        list(tfnpy.data.from_csv(bad, block_size=4, in_memory=in_memory))


def test_keras_fit_runs(seed_data):
    base, _, rows = seed_data
    ds = tfnpy.data.from_csv(write_csv(base / "paths.csv", rows)).batch(8)
    model = tf.keras.Sequential([tf.keras.Input((10, 10)), tf.keras.layers.Flatten(), tf.keras.layers.Dense(5)])
    model.compile("sgd", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


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
    before = rchar()
    rows = [r.numpy() for r in ds.take(5)]
    read = rchar() - before
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
