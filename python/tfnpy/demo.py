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
from typing import Optional, Sequence

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


def native_pipeline(csv_path: str, batch_size: int) -> tf.data.Dataset:
    return tfnpy.data.from_csv(csv_path).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def native_batched_pipeline(csv_path: str, batch_size: int) -> tf.data.Dataset:
    """One read_npy call per batch: cheapest per element for small files."""
    return tfnpy.data.from_csv(csv_path, batch_size=batch_size).prefetch(tf.data.AUTOTUNE)


def numpy_function_pipeline(csv_path: str, shape, batch_size: int) -> tf.data.Dataset:
    """The usual Python-callback pipeline, written so that it works."""
    base = os.path.dirname(csv_path)

    def load(path: bytes) -> np.ndarray:  # the path arrives as bytes
        return np.load(os.path.join(base, path.decode()))

    def decode(path, label):
        array = tf.numpy_function(load, [path], tf.float32)
        array.set_shape(shape)
        return array, label

    rows = tf.data.experimental.CsvDataset(csv_path, [tf.string, tf.int64])
    return rows.map(decode, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def throughput(ds: tf.data.Dataset, elements: int, passes: int = 3) -> float:
    """Elements per second reading `ds` alone: median of `passes` after a warm-up."""
    rates = []
    for i in range(passes + 1):
        start = time.perf_counter()
        for _ in ds:
            pass
        if i:  # the first pass warms up (page cache, tracing, autotuning)
            rates.append(elements / (time.perf_counter() - start))
    return float(np.median(rates))


def run(
    files: int = 2000,
    shape: Sequence[int] = (32, 32, 3),
    classes: int = 10,
    epochs: int = 1,
    batch_size: int = 32,
    data_dir: Optional[str] = None,
    keep: bool = False,
    passes: int = 3,
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

        print(f"measuring input throughput ({passes} passes each after a warm-up)")
        native = throughput(native_pipeline(csv_path, batch_size), files, passes)
        batched = throughput(native_batched_pipeline(csv_path, batch_size), files, passes)
        seed = throughput(numpy_function_pipeline(csv_path, shape, batch_size), files, passes)
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
        print()
        print("input pipeline throughput (CSV -> arrays -> batches of %d):" % batch_size)
        print(f"  tf.numpy_function(np.load)             {seed:10,.0f} elements/s   1.00x")
        print(f"  tfnpy.data.from_csv(...).batch(n)      {native:10,.0f} elements/s {native / seed:6.2f}x")
        print(f"  tfnpy.data.from_csv(..., batch_size=n) {batched:10,.0f} elements/s {batched / seed:6.2f}x")
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
    )


if __name__ == "__main__":
    main()
