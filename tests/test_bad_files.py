"""One bad file among many in tfnpy.data.from_csv, in every mode: it fails
its own element (named with its CSV file and line), or is skipped and logged
with on_error="skip"; the other rows of its block or batch arrive. Also the
error class a bad file gives, and arrays of different shapes."""

import csv
import os

import numpy as np
import pytest
import tensorflow as tf

import tfnpy
from npy_testutil import numpy_npy, zip_bytes

ROWS = 300
BAD = 57  # The corrupt row (0-based); its CSV line is BAD + 1.


def _write_csv(path, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return str(path)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """300 rows of (x.npy, m.npy, z.npz, label), row BAD's files corrupt."""
    root = tmp_path_factory.mktemp("bad")
    rows = []
    for i in range(ROWS):
        x = np.full((3,), i, np.float32)
        (root / f"x{i}.npy").write_bytes(b"\x93NUMPY\x01\x00garbage" if i == BAD else numpy_npy(x))
        (root / f"m{i}.npy").write_bytes(numpy_npy(np.full((2,), i, np.int16)))
        (root / f"z{i}.npz").write_bytes(b"PK\x03\x04 not an archive" if i == BAD else
                                         zip_bytes([("x.npy", numpy_npy(x)), ("y.npy", numpy_npy(np.int64(i)))]))
        rows.append((f"x{i}.npy", f"m{i}.npy", f"z{i}.npz", i))
    return root, rows


def _labels(ds):
    """The labels of a dataset's elements (batches flattened)."""
    out = []
    for element in ds:
        label = element[1]
        label = label[-1] if isinstance(label, tuple) else label
        out.extend(np.atleast_1d(label.numpy()).tolist())
    return out


MODES = {
    "blocks": dict(),
    "block_size=1": dict(block_size=1),
    "batch_size": dict(batch_size=32),
    "in_memory": dict(in_memory=True),
    "in_memory batch_size": dict(in_memory=True, batch_size=32),
}


def _columns(root, rows, which):
    """A CSV of the path column(s) `which` (0: x.npy, 1: m.npy, 2: z.npz) and the label."""
    name = "-".join(map(str, which)) + ".csv"
    return _write_csv(root / name, [[r[k] for k in which] + [r[3]] for r in rows])


@pytest.mark.parametrize("columns", ["npy", "two paths", "npz keys"])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_ignore_errors_drops_exactly_the_bad_row(dataset, mode, columns):
    root, rows = dataset
    kw = dict(MODES[mode])
    if columns == "npy":
        path = _columns(root, rows, [0])
    elif columns == "two paths":  # The bad file in the first column of two.
        path, kw["path_column"] = _columns(root, rows, [1, 0]), [0, 1]
    else:
        path, kw["keys"] = _columns(root, rows, [2]), ["x", "y"]
    ds = tfnpy.data.from_csv(path, **kw)
    assert sorted(_labels(ds.ignore_errors())) == [i for i in range(ROWS) if i != BAD]
    # Without ignore_errors the pipeline stops at the bad row, naming it, its
    # CSV file and line.
    seen = []
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        for element in ds:
            seen.extend(np.atleast_1d(element[1].numpy()).tolist())
    assert seen == list(range(BAD - BAD % 32 if kw.get("batch_size") else BAD)), mode
    message = str(e.value)
    bad_file = rows[BAD][2 if columns == "npz keys" else 0]
    assert f"{path}:{BAD + 1}: " in message and bad_file in message, message


def test_the_error_class_is_the_files(dataset, tmp_path):
    root, rows = dataset
    lines = [(str(root / "x0.npy"), 0), (str(tmp_path / "gone.npy"), 1), (str(root / "x2.npy"), 2)]
    path = _write_csv(tmp_path / "missing.csv", lines)
    ds = tfnpy.data.from_csv(path)
    it = iter(ds)
    assert next(it)[1].numpy() == 0
    with pytest.raises(tf.errors.NotFoundError, match=f"{path}:2: ReadNpy: '{tmp_path / 'gone.npy'}'"):
        next(it)
    assert next(it)[1].numpy() == 2  # The pipeline goes on after an error, as tf.data's own do.
    # A wrong shape names what was expected and what was found.
    np.save(tmp_path / "wide.npy", np.zeros((4,), np.float32))
    path = _write_csv(tmp_path / "shape.csv", [(str(root / "x0.npy"), 0), (str(tmp_path / "wide.npy"), 1)])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"shape.csv:2: ReadNpy: '.*wide.npy': file has shape \(4,\), expected \(3,\)"):
        list(tfnpy.data.from_csv(path))


def test_a_record_spanning_lines_is_named_by_its_first(dataset, tmp_path):
    root, rows = dataset
    with open(tmp_path / "multi.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([str(root / "x1.npy"), "one\nlabel"])
        w.writerow([str(root / f"x{BAD}.npy"), "bad"])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"multi.csv:3: "):
        list(tfnpy.data.from_csv(str(tmp_path / "multi.csv")))


@pytest.mark.parametrize("mode", sorted(MODES) + ["batch_size drop_remainder"])
def test_skip_logs_each_bad_file_once_and_keeps_the_rest(dataset, mode, capfd):
    root, rows = dataset
    kw = dict(MODES.get(mode, dict(batch_size=32, drop_remainder=True)))
    # A CSV of its own: the log says each message once per process.
    path = _write_csv(root / f"skip {mode}.csv", [(r[0], r[3]) for r in rows])
    ds = tfnpy.data.from_csv(path, on_error="skip", **kw)
    for epoch in range(2):
        labels = _labels(ds)
        if mode == "batch_size drop_remainder":  # Full batches: the bad row's place taken by the next.
            assert labels == [i for i in range(ROWS) if i != BAD][:(ROWS - 1) // 32 * 32], epoch
        else:
            assert sorted(labels) == [i for i in range(ROWS) if i != BAD], epoch
    err = capfd.readouterr().err
    said = [line for line in err.splitlines() if line.startswith("tfnpy: skipped a file")]
    assert len(said) == 1, err  # Once per process, whatever the epochs.
    assert f"{path}:{BAD + 1}: ReadNpy: '{root / rows[BAD][0]}': " in said[0] and "max_header_size" in said[0], said
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'skip'"):
        tfnpy.data.from_csv(path, on_error="report")


def test_batches_without_their_bad_rows(dataset):
    # batch_size: an error for the bad row, then its batch without it; with
    # drop_remainder (a static batch size), the batch fails as a whole.
    root, rows = dataset
    path = _columns(root, rows, [0])
    sizes = [len(b[1]) for b in tfnpy.data.from_csv(path, batch_size=32).ignore_errors()]
    assert sizes == [32, 31] + [32] * 7 + [12]
    ds = tfnpy.data.from_csv(path, batch_size=32, drop_remainder=True)
    assert ds.element_spec[0].shape.as_list() == [32, 3]
    sizes = [len(b[1]) for b in ds.ignore_errors()]
    assert sizes == [32] * 8  # 9 full batches of 300 rows, less the one holding the bad row.


def test_arrays_of_different_shapes(tmp_path):
    # 1-D arrays of lengths 10..109: one array each, block reads kept;
    # batches are ragged, and padded_batch pads them for a model.
    rows = []
    for i in range(100):
        np.save(tmp_path / f"v{i}.npy", np.arange(10 + i, dtype=np.int32))
        rows.append((f"v{i}.npy", i))
    path = _write_csv(tmp_path / "v.csv", rows)
    ds = tfnpy.data.from_csv(path, shape=[None])
    assert ds.element_spec == (tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int64))
    got = list(ds)
    assert len(got) == 100 and all(np.array_equal(a.numpy(), np.arange(10 + int(i))) for a, i in got)
    ds = tfnpy.data.from_csv(path, shape=[None], batch_size=8)
    assert ds.element_spec[0] == tf.RaggedTensorSpec([None, None], tf.int32, 1, tf.int64)
    first, labels = next(iter(ds))
    assert first.to_list() == [list(range(10 + i)) for i in range(8)] and labels.numpy().tolist() == list(range(8))
    padded = next(iter(tfnpy.data.from_csv(path, shape=[None]).padded_batch(4)))[0]
    assert padded.shape == (4, 13) and padded.numpy()[0].tolist() == list(range(10)) + [0, 0, 0]
    # Several axes that vary: each row still a tensor of its own shape.
    rows = []
    for i in range(6):
        np.save(tmp_path / f"m{i}.npy", np.full((1 + i, 7 - i), i, np.float32))
        rows.append((f"m{i}.npy", i))
    path = _write_csv(tmp_path / "m.csv", rows)
    got = list(tfnpy.data.from_csv(path, shape=[None, None]))
    assert [a.shape for a, _ in got] == [(1 + i, 7 - i) for i in range(6)]
    # Without shape=[None...], a file whose shape differs from the first row's says how to read it.
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"file has shape \(2, 6\), expected \(1, 7\)"):
        list(tfnpy.data.from_csv(path))


def test_npz_archives_of_different_shapes(tmp_path):
    rows = []
    for i in range(20):
        (tmp_path / f"a{i}.npz").write_bytes(zip_bytes([("x.npy", numpy_npy(np.arange(i + 1, dtype=np.int64))),
                                                        ("y.npy", numpy_npy(np.float32(i)))]))
        rows.append((f"a{i}.npz", i))
    path = _write_csv(tmp_path / "a.csv", rows)
    got = list(tfnpy.data.from_csv(path, keys=["x", "y"], shape={"x": [None]}))
    assert [a["x"].numpy().tolist() for a, _ in got] == [list(range(i + 1)) for i in range(20)]
    assert [float(a["y"]) for a, _ in got] == [float(i) for i in range(20)]
    batch = next(iter(tfnpy.data.from_csv(path, keys=["x", "y"], shape={"x": [None]}, batch_size=5)))[0]
    assert isinstance(batch["x"], tf.RaggedTensor) and batch["y"].shape == (5,)
    assert os.path.exists(path)
