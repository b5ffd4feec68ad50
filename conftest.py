"""Runs the examples of the documentation as tests, with Sybil.

Every ```python block of README.md and docs/**/*.md, and every ``>>>`` example
in a docstring of python/tfnpy, is a test item (pytest collects these paths:
see testpaths in pyproject.toml). Each file's examples run in a fresh folder
that holds the small files they read (``make_example_files``), so paths such
as ``"paths.csv"`` or ``"a.npy"`` work as written.

- A block that cannot run here (several machines, a cloud bucket) is preceded
  by ``<!-- skip: next "why" -->`` and reported as skipped with that reason.
- README blocks and docstrings each start from an empty namespace, so each
  runs as written, imports included; the blocks of one docs page share one
  namespace, read top to bottom like the page.
- Docstrings are read from python/tfnpy and run against the installed tfnpy
  (``bash .ci/setup`` installs it from the same sources).
"""

import bisect
import csv
import os
import pathlib
import shutil
import tempfile
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

import numpy as np
import pytest

try:
    from sybil import Document, Sybil
    from sybil.document import PythonDocStringDocument
    from sybil.parsers import markdown, myst
    from sybil.parsers.rest import DocTestParser
    from sybil.sybil import SybilCollection
except ImportError:  # pragma: no cover - .ci/setup installs it (.ci/requirements.txt)
    Sybil = None

DOCTEST_FLAGS = ELLIPSIS | NORMALIZE_WHITESPACE
ROOT = pathlib.Path(__file__).parent


def make_example_files(root):
    """The files the documentation's examples read, small, under root."""
    rng = np.random.default_rng(0)

    def save(name, array):
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.save(path, array)

    # A CSV of images and labels, as the usual articles write it: path,label,
    # no header, paths relative to the CSV's folder.
    with open(os.path.join(root, "paths.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        for i in range(16):
            save(f"images/img_{i:02d}.npy", rng.random((32, 32, 3), dtype=np.float32))
            writer.writerow([f"images/img_{i:02d}.npy", i % 10])
    # CSV shards with a header and two arrays per row.
    os.makedirs(os.path.join(root, "train"))
    for shard in range(2):
        with open(os.path.join(root, f"train/shard-{shard}.csv"), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["image", "mask", "label"])
            for i in range(4):
                stem = f"train/{shard}_{i}"
                save(f"{stem}_image.npy", rng.random((32, 32, 3), dtype=np.float32))
                save(f"{stem}_mask.npy", rng.random((32, 32)) > 0.5)
                writer.writerow([f"{shard}_{i}_image.npy", f"{shard}_{i}_mask.npy", i % 2])
    # .npz archives, and a CSV of them.
    np.savez(os.path.join(root, "a.npz"), x=np.arange(12, dtype=np.float32).reshape(4, 3),
             y=np.arange(4, dtype=np.int64))
    with open(os.path.join(root, "archives.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        for i in range(4):
            np.savez_compressed(os.path.join(root, f"sample_{i}.npz"),
                                image=rng.integers(0, 255, (64, 64, 3), dtype=np.uint8),
                                mask=rng.random((64, 64)) > 0.5)
            writer.writerow([f"sample_{i}.npz", i % 2])
    save("a.npy", np.arange(12, dtype=np.float32).reshape(4, 3))
    save("big.npy", rng.random((4000, 16), dtype=np.float32))
    save("features.npy", rng.random((1000, 8), dtype=np.float32))
    save("volume.npy", rng.random((64, 64, 64), dtype=np.float32))
    for i in range(8):
        save(f"volumes/v{i}.npy", rng.random((32, 32, 32), dtype=np.float32))
    save("labels.npy", np.array(["cat", "dog", "bird"]))
    # Clips of different lengths, one of them broken (README: messy data).
    with open(os.path.join(root, "audio.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        for i in range(10):
            save(f"audio/clip_{i}.npy", rng.standard_normal(int(rng.integers(800, 1600))).astype(np.float32))
            writer.writerow([f"audio/clip_{i}.npy", i % 3])
    with open(os.path.join(root, "audio/clip_7.npy"), "r+b") as f:
        f.truncate(100)  # cut short, as a failed copy leaves a file


def pytest_collect_directory(path, parent):
    """python/tfnpy as a plain folder: pytest would import its __init__.py (the
    sources, without the built modules); the examples run against the installed
    package."""
    if path == ROOT / "python" / "tfnpy":
        return pytest.Dir.from_parent(parent, path=path)
    return None


class _ExampleFolder:
    """Sybil setup/teardown: each document's examples run in a fresh folder of example files."""

    def __init__(self):
        self.folders = {}

    def setup(self, namespace):
        folder = tempfile.mkdtemp(prefix="tfnpy-docs-")
        make_example_files(folder)
        self.folders[id(namespace)] = (folder, os.getcwd())
        os.chdir(folder)

    def teardown(self, namespace):
        folder, cwd = self.folders.pop(id(namespace))
        os.chdir(cwd)
        shutil.rmtree(folder, ignore_errors=True)


if Sybil is not None:

    class _FreshNamespace:
        """A document whose scopes (from _scopes) each start from an empty namespace."""

        def evaluate(self, example, evaluator):
            __tracebackhide__ = True
            scope = bisect.bisect_right(self._scopes(), example.region.start)
            if scope != getattr(self, "_scope", None):
                self._scope = scope
                self.namespace.clear()
            super().evaluate(example, evaluator)

    class BlockDocument(_FreshNamespace, Document):
        """README.md: every example (code block) on its own."""

        def _scopes(self):
            return [start for start, _ in self.regions]

    class DocstringDocument(_FreshNamespace, PythonDocStringDocument):
        """A .py file's docstrings, each on its own, without the module's globals
        (PythonDocument would put them in the namespace: an example that forgot
        an import would pass here and fail for a reader)."""

        def __init__(self, text, path):
            Document.__init__(self, text, path)

        @classmethod
        def parse(cls, path, *parsers, encoding="utf-8"):
            document = super().parse(path, *parsers, encoding=encoding)
            document._starts = sorted(start for start, _, _ in cls.extract_docstrings(document.text))
            return document

        def _scopes(self):
            return self._starts

    folder = _ExampleFolder()
    common = dict(setup=folder.setup, teardown=folder.teardown)
    pytest_collect_file = SybilCollection([
        Sybil(
            parsers=[markdown.PythonCodeBlockParser(doctest_optionflags=DOCTEST_FLAGS),
                     markdown.SkipParser()],
            patterns=["README.md"],
            excludes=["*/README.md"],
            document_types={".md": BlockDocument},
            **common,
        ),
        Sybil(
            parsers=[myst.PythonCodeBlockParser(doctest_optionflags=DOCTEST_FLAGS), myst.SkipParser()],
            patterns=["docs/*.md", "docs/**/*.md"],
            excludes=["docs/README.md"],
            **common,
        ),
        Sybil(
            parsers=[DocTestParser(optionflags=DOCTEST_FLAGS), myst.SkipParser()],
            patterns=["python/tfnpy/*.py"],
            document_types={".py": DocstringDocument},
            **common,
        ),
    ]).pytest()
else:

    class _NoSybil(pytest.File):
        def collect(self):
            yield _NoSybilItem.from_parent(self, name="examples")

    class _NoSybilItem(pytest.Item):
        def runtest(self):
            if os.environ.get("CI"):
                pytest.fail("sybil is not installed: the documentation's examples cannot run")
            pytest.skip("sybil is not installed (pip install -r .ci/requirements.txt): "
                        "the documentation's examples were not run")

    def pytest_collect_file(file_path, parent):
        if file_path.suffix == ".md" or (file_path.suffix == ".py" and file_path.parent.name == "tfnpy"):
            return _NoSybil.from_parent(parent, path=file_path)
        return None
