"""The ``tfnpy`` command: look into .npy/.npz files, check a CSV of them, time a pipeline.

    tfnpy inspect FILE... [--json]
    tfnpy check CSV... [--header] [--path-column C]... [--keys K]... [--full] [--base-dir DIR]
    tfnpy bench CSV [--seconds S] [--batch-size N] [--passes P] [same CSV options as check]

``inspect`` and ``check`` run on tfnpy's C++ core alone: they import no
TensorFlow, except to read paths with a scheme (``gs://``...) through
``tf.io.gfile``. ``bench`` runs TensorFlow pipelines and needs it.
Exit status: 0 when everything is fine, 1 when a file or row has a problem,
2 when the command could not run (bad options, an unreadable CSV).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import dataclasses
import glob
import io
import json
import os
import re
import sys
import time
from typing import Iterator, List, Optional, Sequence, Tuple

from tfnpy import _core, _tfnpy_core
from tfnpy._version import __version__

_SCHEME = re.compile(_core.SCHEME)  # as tfnpy.data.from_csv: "/" or a scheme needs no base folder
_CHUNK_ROWS = 8192  # CSV rows read, then checked by the core, at a time
_REMOTE_THREADS = 16  # files of other file systems (gs://...) read at once
_BAR_AFTER_S = 0.5  # a progress bar appears once a check has run this long

# Control characters shown escaped, so that every report stays on one line.
_ESCAPES = {c: "\\x%02x" % c for c in [*range(32), 127]}
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})


class _Failure(Exception):
    """The command cannot run: its message is printed, the exit status is 2."""


def _show(text: str) -> str:
    """A path as one readable line: bytes that are not UTF-8 (held as
    surrogates, as Python decodes file names) as \\xNN, control characters
    escaped."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").translate(_ESCAPES)


def _reason(e: BaseException) -> str:
    """What went wrong, without the path (the caller names the file)."""
    if isinstance(e, ImportError):
        return f"reading this path needs TensorFlow (tf.io.gfile), which cannot be imported ({e})"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e)


def _int_list(info) -> list:
    return [int(d) for d in info.shape]


# --------------------------------------------------------------------------- inspect


def _npy_facts(info: _core.NpyInfo) -> dict:
    return {
        "dtype": info.dtype.str,
        "shape": _int_list(info),
        "fortran_order": info.fortran_order,
        "version": list(info.version),
        "data_offset": info.data_offset,
        "nbytes": info.nbytes,
    }


def _inspect_one(path: str) -> dict:
    """The --json record of one file: what its header says, or why it could not be read."""
    out = {"path": path}
    try:
        info = _core.inspect(path)
    except (OSError, ValueError, ImportError) as e:
        out["error"] = _reason(e)
        return out
    if isinstance(info, _core.NpyInfo):
        out["format"] = "npy"
        out.update(_npy_facts(info))
        return out
    out["format"] = "npz"
    out["members"] = []
    for m in info.members:
        member = {"key": m.key, "name": m.name, "compression": m.compression,
                  "compressed_size": m.compressed_size, "size": m.size}
        if m.info is None:
            member["error"] = m.error
        else:
            member.update(_npy_facts(m.info))
        out["members"].append(member)
    return out


def _table(rows: List[List[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _facts_cells(facts: dict) -> List[str]:
    if "error" in facts:
        return ["error: " + _show(facts["error"]), "", "", "", ""]
    return [facts["dtype"], _shape(facts["shape"]), "F" if facts["fortran_order"] else "C",
            "%d.%d" % tuple(facts["version"]), str(facts["data_offset"])]


def _run_inspect(args) -> int:
    records = [_inspect_one(path) for path in args.files]
    # A file that cannot be read, or an archive member (not a folder) that is not a .npy tfnpy reads.
    failed = sum("error" in r or any("error" in m and not m["name"].endswith("/") for m in r.get("members", []))
                 for r in records)
    if args.json:
        # A JSON list, one file's record a line.
        print("[\n" + ",\n".join("  " + json.dumps(r) for r in records) + "\n]")
        return 1 if failed else 0
    rows = [["FILE", "MEMBER", "DTYPE", "SHAPE", "ORDER", "VERSION", "DATA OFFSET"]]
    for r in records:
        if "error" in r:
            print(f"{_show(r['path'])}: {_show(r['error'])}", file=sys.stderr)
        elif r["format"] == "npy":
            rows.append([_show(r["path"]), ""] + _facts_cells(r))
        else:
            if not r["members"]:
                rows.append([_show(r["path"]), "(empty archive)", "", "", "", "", ""])
            for m in r["members"]:
                rows.append([_show(r["path"]), _show(m["key"])] + _facts_cells(m))
    if len(rows) > 1:
        print(_table(rows))
    return 1 if failed else 0


# --------------------------------------------------------------------------- check


@dataclasses.dataclass
class _Chunk:
    """CSV rows read from one CSV file, checked together."""

    csv: str  # the CSV as named on the command line
    lines: List[int] = dataclasses.field(default_factory=list)  # line each row starts on
    texts: List[str] = dataclasses.field(default_factory=list)  # each file's path as written
    paths: List[bytes] = dataclasses.field(default_factory=list)  # resolved, for the core; b"" if not local
    remote: List[Tuple[int, str]] = dataclasses.field(default_factory=list)  # (file index, path) with a scheme
    problems: List[Tuple[int, int, str]] = dataclasses.field(default_factory=list)  # (line, order, report)
    end_bytes: int = 0  # bytes of all CSVs read when the chunk was complete


class _GFileRaw(io.RawIOBase):
    """A tf.io.gfile file as a raw stream, for io.TextIOWrapper."""

    def __init__(self, f):
        self._f = f
        self._pos = 0

    def readable(self):
        return True

    def readinto(self, b):
        data = self._f.read(len(b))
        b[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def tell(self):
        return self._pos

    def close(self):
        self._f.close()
        super().close()


def _tensorflow():
    """TensorFlow, imported only for paths with a scheme (gs://...): ImportError where it is missing."""
    import tensorflow as tf

    return tf


def _open_csv(name: str):
    """A CSV as text: UTF-8 (a byte order mark dropped), with bytes that are not
    UTF-8 kept as surrogates so that paths round-trip to their bytes."""
    text = dict(encoding="utf-8-sig", errors="surrogateescape", newline="")
    if _SCHEME.match(name):
        f = _tensorflow().io.gfile.GFile(name, "rb")
        return io.TextIOWrapper(io.BufferedReader(_GFileRaw(f)), **text)
    return open(name, **text)


def _csv_size(name: str) -> Optional[int]:
    try:
        return _tensorflow().io.gfile.stat(name).length if _SCHEME.match(name) else os.path.getsize(name)
    except Exception:  # noqa: BLE001 - only the progress bar's total
        return None


def _csv_files(entries: Sequence[str]) -> List[str]:
    """The CSV files named: paths, or glob patterns (as from_csv takes them)."""
    files = []
    for entry in entries:
        if any(c in entry for c in "*?[") and not os.path.exists(entry):
            matched = sorted(_tensorflow().io.gfile.glob(entry) if _SCHEME.match(entry) else glob.glob(entry))
            if not matched:
                raise _Failure(f"no CSV file matches {entry!r}")
            files += matched
        else:
            files.append(entry)
    return files


# Python's words for a malformed record, and from_csv's.
_CSV_ERRORS = {
    "unexpected end of data": "a quote is not closed by the end of the file",
    "',' expected after '\"'": "text after a closing quote (quote the whole field, double its quotes)",
}


def _path_columns(given: Sequence[str], names: Optional[List[str]], ncols: int, csv_name: str) -> List[int]:
    """--path-column values as column indices, by from_csv's rules for path_column."""
    out = []
    for entry in given or ["0"]:
        if re.fullmatch(r"[0-9]+", entry):
            index = int(entry)
        elif names is None:
            raise _Failure(f"--path-column {entry!r} is a column name: it needs --header")
        elif entry not in names:
            raise _Failure(f"--path-column {entry!r} is not a column of {csv_name} (header: {names})")
        else:
            index = names.index(entry)
        if not 0 <= index < ncols:
            raise _Failure(f"--path-column {entry!r} is not a column of {csv_name} ({ncols} columns)")
        out.append(index)
    if len(set(out)) != len(out):
        raise _Failure(f"--path-column names a column twice: {list(given)}")
    return out


def _keys(given: Optional[Sequence[str]]) -> Optional[List[str]]:
    if not given:
        return None
    if len(set(given)) != len(given):
        raise _Failure(f"--keys names a member twice: {list(given)}")
    return list(given)


def _expected(paths: Sequence[str], keys: Optional[List[str]]):
    """(descr, shape) of every array the files of one row give, one per path
    column (and key): what every other row must have. None if a file cannot
    give them."""
    out = []
    for path in paths:
        try:
            info = _core.inspect(path)
        except (OSError, ValueError, ImportError):
            return None
        if keys is None:
            if not isinstance(info, _core.NpyInfo):
                return None
            out.append((info.dtype.str, _int_list(info)))
            continue
        if isinstance(info, _core.NpyInfo):
            return None
        for k in keys:
            try:
                member = info[k]
            except KeyError:
                return None
            if member.info is None:
                return None
            out.append((member.info.dtype.str, _int_list(member.info)))
    return out


class _Progress:
    """A progress bar on stderr (rich), shown only on a terminal and only for
    runs that last; what is printed on stdout meanwhile appears above it."""

    def __init__(self, enabled: bool, total_bytes: Optional[int]):
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total_bytes
        self.start = time.monotonic()
        self.bar = None
        self.task = None

    def update(self, done_bytes: int, files: int, problems: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < _BAR_AFTER_S:
                return
            try:
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
            except ImportError:  # a dependency, but installed with --no-deps it may be missing
                self.enabled = False
                return

            self.bar = Progress(TextColumn("checking"), BarColumn(), TaskProgressColumn(),
                                TextColumn("{task.fields[files]:,} files, {task.fields[problems]:,} problems"),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                                # Reports printed on a terminal too go above the bar; printed
                                # elsewhere (a file, a pipe), they go there as they are.
                                redirect_stdout=sys.stdout.isatty(), redirect_stderr=False)
            self.bar.start()
            self.task = self.bar.add_task("check", total=self.total, files=0, problems=0)
        self.bar.update(self.task, completed=done_bytes, files=files, problems=problems)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class _Check:
    """One `tfnpy check` run: reads the CSVs in chunks, has the core check each
    chunk's files (on its own threads, while the next chunk is read), prints
    what is wrong, line by line."""

    def __init__(self, args):
        self.args = args
        self.keys = _keys(args.keys)
        self.files = _csv_files(args.csv)
        self.ncols = None  # columns of the first data row: every row must have as many
        self.columns: List[int] = []  # path columns
        self.names = None  # the first CSV's header
        self.checker = None  # the core's checker, with the reference once known
        self.reference = None  # "paths.csv:1: <f8 (10, 10)"
        self.counts = {"missing": 0, "unreadable": 0, "malformed": 0, "mismatch": 0, "bad row": 0}
        self.rows = 0
        self.checked = 0
        self.remote_pool = None
        self.threads = args.threads or _cpus()

    # -- reading

    def chunks(self) -> Iterator[_Chunk]:
        done_bytes = 0
        for csv_name in self.files:
            prefix = os.path.dirname(csv_name) if self.args.base_dir is None else self.args.base_dir
            prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
            try:
                f = _open_csv(csv_name)
            except (OSError, ImportError) as e:
                raise _Failure(f"{_show(csv_name)}: {_reason(e)}") from None
            with f:
                for chunk in self._csv_chunks(f, csv_name, os.fsencode(prefix)):
                    chunk.end_bytes = done_bytes + f.buffer.tell()
                    yield chunk
                done_bytes += f.buffer.tell()
        if self.ncols is None:
            raise _Failure("the CSV has no data rows" if len(self.files) == 1 else "the CSVs have no data rows")

    def _csv_chunks(self, f, csv_name: str, prefix: bytes) -> Iterator[_Chunk]:
        """One CSV's rows in chunks of _CHUNK_ROWS (the last one shorter). The
        hot loop of check: a few microseconds a row, no call per row but
        csv's."""
        reader = csv.reader(f, strict=True)
        header = self.args.header
        last = 0  # the line the last record ended on
        chunk = _Chunk(csv_name)
        lines, texts, paths = chunk.lines, chunk.texts, chunk.paths
        while True:
            try:
                for row in reader:
                    line, last = last + 1, reader.line_num
                    if not row:
                        continue
                    if header:  # each CSV's first record; the first CSV's names the columns
                        header = False
                        self.names = row if self.names is None else self.names
                        continue
                    if self.ncols is None:
                        self.ncols = len(row)
                        self.columns = _path_columns(self.args.path_column, self.names, self.ncols, csv_name)
                    self.rows += 1
                    if len(row) != self.ncols:  # from_csv's words
                        chunk.problems.append((line, 0, f"{_show(csv_name)}:{line}: {len(row)} fields, expected {self.ncols}"))
                        self.counts["bad row"] += 1
                        continue
                    lines.append(line)
                    for c in self.columns:
                        text = row[c]
                        texts.append(text)
                        if text[:1] == "/":
                            paths.append(text.encode("utf-8", "surrogateescape"))
                        elif not text or ("://" in text and _SCHEME.match(text)):
                            if text:
                                chunk.remote.append((len(paths), text))
                            paths.append(b"")  # not a local file: the core finds nothing there
                        else:
                            paths.append(prefix + text.encode("utf-8", "surrogateescape"))
                    if len(lines) >= _CHUNK_ROWS:
                        yield chunk
                        chunk = _Chunk(csv_name)
                        lines, texts, paths = chunk.lines, chunk.texts, chunk.paths
            except csv.Error as e:  # reading goes on with the next line
                line, last = last + 1, reader.line_num
                error = _CSV_ERRORS.get(str(e), f"not a CSV record: {e}")
                chunk.problems.append((line, 0, f"{_show(csv_name)}:{line}: {error}"))
                self.counts["bad row"] += 1
                continue
            break
        yield chunk

    # -- checking

    def _find_reference(self, chunk: _Chunk) -> None:
        """The first row (in CSV order) whose files can all be read gives the
        dtypes and shapes every file must have."""
        n = len(self.columns)
        for r, line in enumerate(chunk.lines):
            texts = chunk.texts[r * n:(r + 1) * n]
            if not all(texts):
                continue
            paths = [os.fsdecode(p) if p else t for p, t in zip(chunk.paths[r * n:(r + 1) * n], texts)]
            expect = _expected(paths, self.keys)
            if expect is not None:
                self.checker = _tfnpy_core.Checker(keys=self.keys, full=self.args.full, expect=expect, columns=n)
                labels = [(self._label(c) + ": " if n > 1 else "") + (f"{k}: " if self.keys else "")
                          for c in self.columns for k in (self.keys or [None])]
                facts = ", ".join(f"{label}{d} {_shape(s)}" for label, (d, s) in zip(labels, expect))
                self.reference = f"{facts} (as {_show(chunk.csv)}:{line})"
                return

    def _label(self, column: int) -> str:
        if self.names is not None and column < len(self.names):
            return self.names[column]
        return f"column {column}"

    def submit(self, pool, chunk: _Chunk):
        if self.checker is None:
            self._find_reference(chunk)
        checker = self.checker or _tfnpy_core.Checker(keys=self.keys, full=self.args.full, columns=len(self.columns))
        local = pool.submit(checker.check_paths, chunk.paths, self.threads)
        remote = []
        if chunk.remote:
            if self.remote_pool is None:
                self.remote_pool = concurrent.futures.ThreadPoolExecutor(_REMOTE_THREADS)
            remote = [(i, self.remote_pool.submit(_check_remote, checker, path, i % len(self.columns)))
                      for i, path in chunk.remote]
        return local, remote

    def finish(self, chunk: _Chunk, futures) -> None:
        local, remote = futures
        n = len(self.columns)
        found = {i: (trouble, message) for i, trouble, message in local.result()}
        for i, fut in remote:
            result = fut.result()
            if result is None:
                found.pop(i, None)  # what the core said of its b"" placeholder
            else:
                found[i] = result
        problems = chunk.problems
        for i, (trouble, message) in found.items():
            text = chunk.texts[i]
            line = chunk.lines[i // n]
            if not text:
                trouble, report = "bad row", f"{_show(chunk.csv)}:{line}: path column {self.columns[i % n]} is empty"
            else:
                report = f"{_show(chunk.csv)}:{line}: {_show(text)}: {message}"
            self.counts[trouble] += 1
            problems.append((line, 1 + i % n, report))
        self.checked += len(chunk.paths)
        for _, _, report in sorted(problems, key=lambda p: p[:2]):
            print(report)

    def run(self) -> int:
        start = time.monotonic()
        sizes = [_csv_size(f) for f in self.files]
        progress = _Progress(not self.args.no_progress, None if None in sizes else sum(sizes))
        pending = None
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                for chunk in self.chunks():
                    futures = self.submit(pool, chunk)
                    if pending is not None:
                        self.finish(*pending)
                        progress.update(pending[0].end_bytes, self.checked, sum(self.counts.values()))
                    pending = (chunk, futures)
                if pending is not None:
                    self.finish(*pending)
        finally:
            progress.close()
            if self.remote_pool is not None:
                self.remote_pool.shutdown(cancel_futures=True)
        seconds = time.monotonic() - start
        print(self.summary(seconds))
        return 1 if any(self.counts.values()) else 0

    def summary(self, seconds: float) -> str:
        rate = f"{self.checked / seconds:,.0f} files/s" if seconds > 0 else ""
        what = (f"{self.checked:,} files in {self.rows:,} rows of {len(self.files)} CSV file"
                f"{'s' if len(self.files) > 1 else ''}, {seconds:.2f} s ({rate})")
        problems = sum(self.counts.values())
        if not problems:
            return f"OK: {what}; every file holds {self.reference}"
        parts = ", ".join(f"{n:,} {kind}" for kind, n in self.counts.items() if n)
        ref = f"; reference: {self.reference}" if self.reference else "; no row's files could all be read"
        return f"FAILED: {problems:,} problem{'s' if problems > 1 else ''} ({parts}); {what}{ref}"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _shape(dims) -> str:
    return "(%s)" % (", ".join(map(str, dims)) + ("," if len(dims) == 1 else ""))


def _check_remote(checker, path: str, column: int):
    """None, or (trouble, message) for a file of another file system (tf.io.gfile)."""
    try:
        tf = _tensorflow()
        with tf.io.gfile.GFile(path, "rb") as f:
            size = f.size()

            def read(offset, n):
                f.seek(offset)
                return f.read(n)

            return checker.check_reader(read, size, column)
    except ImportError as e:
        return "unreadable", _reason(e)
    except Exception as e:  # noqa: BLE001 - tf.errors.NotFoundError and the like
        kind = "missing" if type(e).__name__ == "NotFoundError" else "unreadable"
        return kind, getattr(e, "message", None) or str(e)


def _run_check(args) -> int:
    return _Check(args).run()


# --------------------------------------------------------------------------- bench


def _run_bench(args) -> int:
    try:
        import tensorflow as tf
    except ImportError as e:
        raise _Failure(f"tfnpy bench runs TensorFlow pipelines, and TensorFlow cannot be imported ({e})") from None
    from tfnpy import demo

    path_column = [int(c) if re.fullmatch(r"[0-9]+", c) else c for c in args.path_column] or [0]
    print(f"tfnpy {__version__}, TensorFlow {tf.__version__}: the files {_show(args.csv)} lists, "
          f"in batches of {args.batch_size}")
    try:
        demo.compare(
            args.csv,
            batch_size=args.batch_size,
            seconds=args.seconds,
            passes=args.passes,
            header=args.header,
            path_column=path_column[0] if len(path_column) == 1 else path_column,
            keys=args.keys,
            base_dir=args.base_dir,
        )
    except (tf.errors.OpError, ValueError, TypeError, OSError) as e:
        print(f"tfnpy bench: {_reason(e) if isinstance(e, OSError) else getattr(e, 'message', None) or e}",
              file=sys.stderr)
        print("tfnpy bench: `tfnpy check` lists every file that cannot be read", file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------- main


def _csv_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--header", action="store_true", help="each CSV starts with a header row")
    p.add_argument("--path-column", action="append", default=[], metavar="COLUMN",
                   help="the column of paths: an index (default 0) or, with --header, a name; repeat for several")
    p.add_argument("--keys", action="append", default=None, metavar="KEY",
                   help="the paths are .npz archives: the member to read (x for x.npy); repeat for several")
    p.add_argument("--base-dir", default=None, metavar="DIR",
                   help="folder of relative paths (default: each CSV's own folder)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tfnpy", description=__doc__.split("\n")[0])
    p.add_argument("--version", action="version", version=f"tfnpy {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{inspect,check,bench}")

    i = sub.add_parser("inspect", help="print what .npy/.npz headers say",
                       description="Prints each file's dtype, shape, memory order, format version and data offset "
                                   "(for an .npz archive: each member's). No TensorFlow needed.")
    i.add_argument("files", nargs="+", metavar="FILE")
    i.add_argument("--json", action="store_true", help="print a JSON list, one record per file")
    i.set_defaults(run=_run_inspect)

    c = sub.add_parser("check", help="check every file a CSV lists",
                       description="Reads the header (with --full, all the data) of every file the CSVs list, "
                                   "in parallel, and reports each file that is missing, malformed, or holds another "
                                   "dtype or shape than the first row's, as CSV:LINE: PATH: reason. "
                                   "No TensorFlow needed for local files.")
    c.add_argument("csv", nargs="+", metavar="CSV", help="CSV files (or glob patterns) of paths")
    _csv_options(c)
    c.add_argument("--full", action="store_true",
                   help="read all the data too (and check each .npz member's CRC-32), not just the headers")
    c.add_argument("--threads", type=int, default=None,
                   help="files read at once (default: the number of CPUs; more helps on network storage)")
    c.add_argument("--no-progress", action="store_true", help="no progress bar (there is none unless stderr is a terminal)")
    c.set_defaults(run=_run_check)

    b = sub.add_parser("bench", help="time tfnpy.data.from_csv against tf.numpy_function(np.load) on your data",
                       description="Reads your files through tf.numpy_function(np.load) and through "
                                   "tfnpy.data.from_csv for a few seconds each and prints elements/s and the ratio. "
                                   "Needs TensorFlow.")
    b.add_argument("csv", metavar="CSV")
    _csv_options(b)
    b.add_argument("--seconds", type=float, default=2.0, help="length of each timed pass (default 2)")
    b.add_argument("--passes", type=int, default=3, help="timed passes per pipeline, after a warm-up (default 3)")
    b.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    b.set_defaults(run=_run_bench)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the tfnpy command; returns its exit status."""
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except _Failure as e:
        print(f"tfnpy {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tfnpy check ... | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
