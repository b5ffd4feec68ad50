"""End-to-end demo: a CSV of .npy files -> tfnpy pipeline -> Keras training.

Run ``python -m tfnpy.demo --help``. It generates a data set the way the
usual articles do (``np.save`` per sample, a ``path,label`` CSV written with
the ``csv`` module), builds the input pipeline with
``tfnpy.data.from_csv``, trains a small Keras model for an epoch, and
measures the input pipeline's throughput beside the same pipeline built
with ``tf.numpy_function(np.load)``.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import sys
import tempfile
import time
from typing import Optional, Sequence, Union

import numpy as np
import tensorflow as tf

import tfnpy


def _progress(label: str, done: int, total: int) -> None:
    end = "\n" if done == total else ""
    sys.stdout.write(f"\r{label}: {done}/{total} ({100 * done // max(total, 1)}%)" + end)
    sys.stdout.flush()


def generate(data_dir: str, files: int, shape: Sequence[int], classes: int, seed: int = 0) -> str:
    """Writes `files` .npy arrays and a `path,label` CSV; returns the CSV path.

    Each class has its own mean, so the labels can be learned from the data.
    """
    os.makedirs(data_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    csv_path = os.path.join(data_dir, "paths.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        for i in range(files):
            label = int(rng.integers(classes))
            array = rng.normal(loc=2.0 * label / classes - 1.0, scale=0.3, size=shape).astype(np.float32)
            name = f"sample_{i:06d}.npy"
            np.save(os.path.join(data_dir, name), array)
            writer.writerow([name, label])  # relative to the CSV's folder
            if (i + 1) % max(1, files // 20) == 0 or i + 1 == files:
                _progress("generating .npy files", i + 1, files)
    return csv_path


def native_pipeline(csv_path: str, batch_size: int, **csv_args) -> tf.data.Dataset:
    return tfnpy.data.from_csv(csv_path, **csv_args).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def native_batched_pipeline(csv_path: str, batch_size: int, **csv_args) -> tf.data.Dataset:
    """One read_npy call per batch: cheapest per element for small files."""
    return tfnpy.data.from_csv(csv_path, batch_size=batch_size, **csv_args).prefetch(tf.data.AUTOTUNE)


def numpy_function_pipeline(
    csv_path: str,
    batch_size: int,
    *,
    header: bool = False,
    path_column: Union[int, str, Sequence[Union[int, str]]] = 0,
    keys: Optional[Sequence[str]] = None,
    base_dir: Optional[str] = None,
) -> tf.data.Dataset:
    """The usual Python-callback pipeline, written so that it works: CSV rows
    (``CsvDataset``), each path column's file loaded by ``np.load`` inside
    ``tf.numpy_function`` (its dtype and shape from the first row's), the other
    columns passed on as strings."""
    names, first = tfnpy.data._head(csv_path, header)  # as from_csv reads them
    columns = [path_column] if isinstance(path_column, (int, str)) else list(path_column)
    columns = [names.index(c) if isinstance(c, str) else c for c in columns]
    base = os.path.dirname(csv_path) if base_dir is None else base_dir
    keys = [keys] if isinstance(keys, str) else keys

    def resolve(path: str) -> str:  # as from_csv does: absolute paths and URLs as they are
        return path if path.startswith("/") or "://" in path else os.path.join(base, path)

    def arrays(path: str) -> list:
        try:
            with (tf.io.gfile.GFile if "://" in path else open)(path, "rb") as f:
                if keys is None:
                    return [np.load(f)]
                with np.load(f) as archive:
                    return [archive[k] for k in keys]
        except Exception as e:  # noqa: BLE001 - say which file
            raise ValueError(f"{path}: {e}") from e

    specs = [(a.dtype.newbyteorder("="), a.shape) for c in columns for a in arrays(resolve(first[c]))]

    def load(*paths: bytes) -> list:  # the paths arrive as bytes
        loaded = [a for p in paths for a in arrays(resolve(os.fsdecode(p)))]
        return [np.asarray(a, dtype=dtype) for a, (dtype, _) in zip(loaded, specs)]

    def decode(*fields):
        out = tf.numpy_function(load, [fields[c] for c in columns], [tf.as_dtype(d) for d, _ in specs])
        for array, (_, shape) in zip(out, specs):
            array.set_shape(shape)
        rest = [f for i, f in enumerate(fields) if i not in columns]
        out = out[0] if len(out) == 1 else tuple(out)
        return out if not rest else (out, rest[0] if len(rest) == 1 else tuple(rest))

    rows = tf.data.experimental.CsvDataset(csv_path, [""] * len(first), header=header)
    return rows.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE)


@tf.function
def _drain_for(iterator, seconds):
    """Elements taken from `iterator` (batches: their first dimension) until
    `seconds` have passed, in a graph loop (no Python per batch)."""
    deadline = tf.timestamp() + seconds
    n = tf.constant(0, tf.int64)
    while tf.timestamp() < deadline:
        batch = iterator.get_next()
        n += tf.shape(tf.nest.flatten(batch)[0], out_type=tf.int64)[0]
    return n


def throughput(ds: tf.data.Dataset, seconds: float = 1.0, passes: int = 3) -> float:
    """Elements per second reading `ds` (batches, repeated) alone: the median
    of `passes` timed runs of about `seconds` each, after a warm-up run of as
    long (it traces, autotunes and brings files into the page cache)."""
    iterator = iter(ds.repeat())
    rates = []
    for i in range(passes + 1):
        start = time.perf_counter()
        n = int(_drain_for(iterator, tf.constant(seconds, tf.float64)))
        if i:
            rates.append(n / (time.perf_counter() - start))
    return float(np.median(rates))


# The pipelines compare() times, by the names it prints.
NUMPY_FUNCTION = "tf.numpy_function(np.load)"
NATIVE = "tfnpy.data.from_csv(...).batch(n)"
NATIVE_BATCHED = "tfnpy.data.from_csv(..., batch_size=n)"


def compare(
    csv_path: str,
    *,
    batch_size: int = 32,
    seconds: float = 1.0,
    passes: int = 3,
    header: bool = False,
    path_column: Union[int, str, Sequence[Union[int, str]]] = 0,
    keys: Optional[Sequence[str]] = None,
    base_dir: Optional[str] = None,
) -> dict:
    """Times the files a CSV lists through ``tf.numpy_function(np.load)`` and
    through ``tfnpy.data.from_csv`` (per element, then batched), prints
    elements/s and the ratios, and returns ``{pipeline name: elements/s}``.
    The CSV arguments are ``from_csv``'s. (``tfnpy bench`` and the demo.)"""
    csv_args = dict(header=header, path_column=path_column, keys=keys, base_dir=base_dir)
    pipelines = {
        NUMPY_FUNCTION: lambda: numpy_function_pipeline(csv_path, batch_size, **csv_args),
        NATIVE: lambda: native_pipeline(csv_path, batch_size, **csv_args),
        NATIVE_BATCHED: lambda: native_batched_pipeline(csv_path, batch_size, **csv_args),
    }
    print(f"measuring input throughput ({passes} pass{'es' if passes != 1 else ''} of {seconds:g} s each "
          "after a warm-up)")
    rates = {name: throughput(build(), seconds, passes) for name, build in pipelines.items()}
    base = rates[NUMPY_FUNCTION]
    print()
    print(f"input pipeline throughput (CSV -> arrays -> batches of {batch_size}):")
    for name, rate in rates.items():
        print(f"  {name:<40} {rate:10,.0f} elements/s {rate / base:6.2f}x")
    return rates


def run(
    files: int = 2000,
    shape: Sequence[int] = (32, 32, 3),
    classes: int = 10,
    epochs: int = 1,
    batch_size: int = 32,
    data_dir: Optional[str] = None,
    keep: bool = False,
    passes: int = 3,
    seconds: float = 1.0,
) -> dict:
    """Runs the demo; returns its figures (also printed)."""
    owned = data_dir is None
    data_dir = data_dir or tempfile.mkdtemp(prefix="tfnpy-demo-")
    try:
        print(f"tfnpy {tfnpy.__version__}, TensorFlow {tf.__version__}; data in {data_dir}")
        csv_path = generate(data_dir, files, shape, classes)

        ds = tfnpy.data.from_csv(csv_path)
        print(f"native pipeline element spec: {ds.element_spec}")
        model = tf.keras.Sequential(
            [
                tf.keras.Input(shape=tuple(shape)),
                tf.keras.layers.Flatten(),
                tf.keras.layers.Dense(64, activation="relu"),
                tf.keras.layers.Dense(classes),
            ]
        )
        model.compile(
            optimizer="adam",
            loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        train = ds.shuffle(min(files, 10_000), seed=0).repeat().batch(batch_size).prefetch(tf.data.AUTOTUNE)
        steps = math.ceil(files / batch_size)
        print(f"training for {epochs} epoch(s) of {steps} steps on {files} files")
        history = model.fit(train, epochs=epochs, steps_per_epoch=steps, shuffle=False, verbose=2)

        rates = compare(csv_path, batch_size=batch_size, seconds=seconds, passes=passes)
        native, batched, seed = rates[NATIVE], rates[NATIVE_BATCHED], rates[NUMPY_FUNCTION]
        result = {
            "files": files,
            "shape": tuple(shape),
            "accuracy": float(history.history["accuracy"][-1]),
            "loss": float(history.history["loss"][-1]),
            "native_elements_per_s": native,
            "native_batched_elements_per_s": batched,
            "numpy_function_elements_per_s": seed,
            "speedup": native / seed,
            "batched_speedup": batched / seed,
        }
        return result
    finally:
        if owned and not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tfnpy.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="number of .npy files (default 2000)")
    parser.add_argument("--shape", default="32,32,3", help="array shape, comma-separated (default 32,32,3)")
    parser.add_argument("--classes", type=int, default=10, help="number of labels (default 10)")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs (default 1)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes per pipeline (default 3)")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each timed pass (default 1)")
    parser.add_argument("--data-dir", default=None, help="where to write the data (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args(argv)
    shape = tuple(int(d) for d in args.shape.split(",") if d.strip())
    return run(
        files=args.files,
        shape=shape,
        classes=args.classes,
        epochs=args.epochs,
        batch_size=args.batch_size,
        data_dir=args.data_dir,
        keep=args.keep,
        passes=args.passes,
        seconds=args.seconds,
    )


if __name__ == "__main__":
    main()
