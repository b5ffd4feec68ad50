"""The tfnpy command (tfnpy.cli): inspect, check and bench, in-process and as commands."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tfnpy
from tfnpy import cli

F8 = np.arange(100, dtype="<f8").reshape(10, 10)


def run(capsys, *argv):
    """cli.main in this process: (exit status, stdout, stderr)."""
    code = cli.main([os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_process(argv, *, block_tensorflow=False, cwd=None):
    """The command in a new interpreter; with block_tensorflow, importing
    TensorFlow there fails (sys.modules['tensorflow'] = None)."""
    prelude = "import sys; sys.modules['tensorflow'] = None; " if block_tensorflow else ""
    code = prelude + "from tfnpy.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", "import sys; " + code, *argv], capture_output=True,
                          text=True, errors="surrogateescape", timeout=120, cwd=cwd)


def save(path, array):
    np.save(path, array)
    return path


def header_facts(path):
    """What numpy's own format module says of a .npy file's header."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}[version]
        shape, fortran, dtype = read(f)
        return {"dtype": dtype.str, "shape": list(shape), "fortran_order": fortran, "version": list(version),
                "data_offset": f.tell()}


# --------------------------------------------------------------------------- inspect


def test_inspect_json_agrees_with_numpy(tmp_path, capsys):
    a = save(tmp_path / "a.npy", F8)
    b = save(tmp_path / "b.npy", np.asfortranarray(np.arange(12, dtype=">i2").reshape(3, 4)))
    c = tmp_path / "c.npz"
    np.savez_compressed(c, x=np.zeros(5, "<f4"), y=np.array(["ab", "c"]))
    code, out, err = run(capsys, "inspect", "--json", a, b, c)
    assert code == 0 and err == ""
    records = json.loads(out)
    assert [r["path"] for r in records] == [str(a), str(b), str(c)]
    for r, path in zip(records[:2], (a, b)):
        assert r["format"] == "npy"
        assert {k: r[k] for k in header_facts(path)} == header_facts(path)
        loaded = np.load(path)
        assert (np.dtype(r["dtype"]), tuple(r["shape"])) == (loaded.dtype, loaded.shape)
        assert r["nbytes"] == loaded.nbytes
    assert records[1]["fortran_order"] is True and records[1]["dtype"] == ">i2"
    npz = records[2]
    assert npz["format"] == "npz"
    info = tfnpy.inspect(str(c))
    with np.load(c) as z:
        for m, member in zip(npz["members"], info.members):
            assert (m["key"], m["name"], m["compression"]) == (member.key, member.name, "deflated")
            assert (m["size"], m["compressed_size"]) == (member.size, member.compressed_size)
            assert (m["dtype"], tuple(m["shape"])) == (z[m["key"]].dtype.str, z[m["key"]].shape)
            assert m["data_offset"] == member.info.data_offset


def test_inspect_table_and_errors(tmp_path, capsys):
    a = save(tmp_path / "a.npy", F8)
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"not a numpy file at all")
    z = tmp_path / "z.npz"
    np.savez(z, x=np.ones((2, 3), "u1"))
    code, out, err = run(capsys, "inspect", a, tmp_path / "missing.npy", bad, z)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == ["FILE", "MEMBER", "DTYPE", "SHAPE", "ORDER", "VERSION", "DATA", "OFFSET"]
    assert lines[1].split() == [str(a), "<f8", "(10,", "10)", "C", "1.0", str(header_facts(a)["data_offset"])]
    assert lines[2].split()[:5] == [str(z), "x", "|u1", "(2,", "3)"]
    assert f"{tmp_path / 'missing.npy'}: No such file or directory" in err
    assert f"{bad}: bad magic" in err and "not a .npy file" in err
    # An archive member that is not a .npy: a line of its own, and exit status 1.
    with zipfile.ZipFile(tmp_path / "mixed.npz", "w") as archive:
        archive.writestr("x.npy", (tmp_path / "a.npy").read_bytes())
        archive.writestr("notes/", b"")
        archive.writestr("notes/readme.txt", b"hello")
    code, out, err = run(capsys, "inspect", tmp_path / "mixed.npz")
    rows = [line.split(maxsplit=3) for line in out.splitlines()[1:]]
    assert code == 1 and err == "" and [r[1] for r in rows] == ["x", "notes/", "notes/readme.txt"]
    assert rows[0][2] == "<f8" and rows[1][2:] == ["error:", "a directory"]
    assert rows[2][2] == "error:" and "bad magic" in rows[2][3]
    archive_only_folder = tmp_path / "folder.npz"
    with zipfile.ZipFile(archive_only_folder, "w") as archive:
        archive.writestr("x.npy", (tmp_path / "a.npy").read_bytes())
        archive.writestr("notes/", b"")
    assert run(capsys, "inspect", archive_only_folder)[0] == 0
    # --json: the errors are records too.
    code, out, err = run(capsys, "inspect", "--json", tmp_path / "missing.npy", a)
    records = json.loads(out)
    assert code == 1 and records[0] == {"path": str(tmp_path / "missing.npy"), "error": "No such file or directory"}
    assert records[1]["shape"] == [10, 10]


def test_inspect_needs_a_file(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["inspect"])
    assert e.value.code == 2 and "FILE" in capsys.readouterr().err


# --------------------------------------------------------------------------- check


def write_csv(path, rows: bytes):
    path.write_bytes(rows)
    return path


@pytest.fixture
def planted(tmp_path):
    """A CSV of paths with bad rows planted, and what `check` must say of each:
    {line: text the report contains} (lines not named are fine)."""
    d = tmp_path / "data"
    d.mkdir()
    raw = os.fsencode(d)
    save(d / "good.npy", F8)
    save(d / "f4.npy", F8.astype("<f4"))
    save(d / "shape.npy", np.zeros((3, 3)))
    save(d / "big_endian.npy", F8.astype(">f8"))  # same dtype for read_npy: fine
    save(d / "fortran.npy", np.asfortranarray(F8))  # fine too
    truncated = (d / "good.npy").read_bytes()[:-8]
    (d / "truncated.npy").write_bytes(truncated)
    (d / "garbage.npy").write_bytes(b"\x00" * 200)
    np.save(os.path.join(d, "odd, name\nwith newline.npy"), F8)
    np.save(os.path.join(d, 'bad, "name"\nsecond.npy'), np.zeros((10, 11)))
    with open(os.path.join(raw, b"good\xff.npy"), "wb") as f:
        np.save(f, F8)
    with open(os.path.join(raw, b"bad\xfe.npy"), "wb") as f:
        np.save(f, F8.astype("<i8"))
    absolute = save(tmp_path / "elsewhere.npy", F8)
    records = {  # line -> the record starting there
        1: b"\xef\xbb\xbfgood.npy,0\r\n",  # a byte order mark; the reference row
        2: b"missing.npy,1\r\n",
        3: b"\r\n",  # blank
        4: b"truncated.npy,2\r\n",
        5: b"f4.npy,3\r\n",
        6: b"shape.npy,4\r\n",
        7: b'"odd, name\nwith newline.npy",5\r\n',  # lines 7-8, fine
        9: b'"bad, ""name""\nsecond.npy",6\r\n',  # lines 9-10
        11: b"good\xff.npy,7\r\n",  # fine
        12: b"bad\xfe.npy,8\r\n",
        13: b"too,many,fields\r\n",
        14: b"garbage.npy,9\r\n",
        15: b",10\r\n",
        16: os.fsencode(absolute) + b",11\r\n",  # fine
        17: b"big_endian.npy,12\n",  # fine
        18: b"fortran.npy,13\n",  # fine
        19: b'"unclosed.npy,14\n',  # a quote not closed by the end
    }
    csv = b"".join(records.values())
    path = write_csv(d / "paths.csv", csv)
    expect = {
        2: "missing.npy: No such file or directory",
        4: "truncated.npy: data truncated",
        5: "f4.npy: file holds <f4 (float32), expected float64",
        6: "shape.npy: file has shape (3, 3), expected (10, 10)",
        9: 'bad, "name"\\nsecond.npy: file has shape (10, 11), expected (10, 10)',
        12: "bad\\xfe.npy: file holds <i8 (int64), expected float64",
        13: "3 fields, expected 2",
        14: "garbage.npy: bad magic",
        15: "path column 0 is empty",
        19: "a quote is not closed by the end of the file",
    }
    return path, expect, records


def test_check_reports_each_planted_row_at_its_line(planted, capsys):
    csv_path, expect, _ = planted
    code, out, err = run(capsys, "check", csv_path)
    assert code == 1 and err == ""
    lines = out.splitlines()
    reports, summary = lines[:-1], lines[-1]
    assert [r.split(":")[0] for r in reports] == [str(csv_path)] * len(expect)
    got = {int(r[len(str(csv_path)) + 1:].split(":")[0]): r for r in reports}
    assert sorted(got) == sorted(expect)
    for line, text in expect.items():
        assert got[line].startswith(f"{csv_path}:{line}: ") and text in got[line], (line, got[line])
    assert summary.startswith("FAILED: 10 problems (1 missing, 2 malformed, 4 mismatch, 3 bad row)")
    assert "<f8 (10, 10) (as " + f"{csv_path}:1)" in summary
    assert "14 files in 15 rows of 1 CSV file" in summary  # 16 records, one not a CSV record


def test_check_clean_csv_with_header_and_base_dir(tmp_path, capsys):
    d = tmp_path / "arrays"
    d.mkdir()
    for i in range(20):
        save(d / f"{i}.npy", np.full((4, 5), i, "<i4"))
    (tmp_path / "lists").mkdir()
    csv_path = write_csv(tmp_path / "lists" / "paths.csv",
                         b"label,image\n" + b"".join(b"%d,%d.npy\n" % (i, i) for i in range(20)))
    # Relative to the CSV's folder: all missing.
    code, out, _ = run(capsys, "check", csv_path, "--header", "--path-column", "image")
    assert code == 1 and out.count("No such file or directory") == 20
    code, out, err = run(capsys, "check", csv_path, "--header", "--path-column", "image", "--base-dir", d)
    assert (code, err) == (0, "")
    assert out.startswith("OK: 20 files in 20 rows of 1 CSV file") and "every file holds <i4 (4, 5)" in out
    assert len(out.splitlines()) == 1
    # The same by index; a name without --header, or not in the header, is refused (exit 2).
    assert run(capsys, "check", csv_path, "--header", "--path-column", "1", "--base-dir", d)[0] == 0
    code, out, err = run(capsys, "check", csv_path, "--path-column", "image", "--base-dir", d)
    assert code == 2 and "--path-column 'image' is a column name: it needs --header" in err
    code, out, err = run(capsys, "check", csv_path, "--header", "--path-column", "mask")
    assert code == 2 and "'mask' is not a column" in err and "['label', 'image']" in err
    code, out, err = run(capsys, "check", csv_path, "--header", "--path-column", "2")
    assert code == 2 and "(2 columns)" in err
    code, out, err = run(capsys, "check", tmp_path / "nope.csv")
    assert code == 2 and "nope.csv: No such file or directory" in err


def test_check_several_path_columns_and_csvs(tmp_path, capsys):
    for i in range(3):
        save(tmp_path / f"x{i}.npy", np.zeros((2,), "u1"))
        save(tmp_path / f"y{i}.npy", np.zeros((3, 1), "<f2"))
    save(tmp_path / "y_bad.npy", np.zeros((3, 2), "<f2"))
    a = write_csv(tmp_path / "a.csv", b"x0.npy,y0.npy,0\nx1.npy,y1.npy,1\n")
    b = write_csv(tmp_path / "b.csv", b"x2.npy,y_bad.npy,2\nx9.npy,y2.npy,3\n")
    code, out, _ = run(capsys, "check", a, b, "--path-column", "0", "--path-column", "1")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{b}:1: y_bad.npy: file has shape (3, 2), expected (3, 1)"
    assert lines[1] == f"{b}:2: x9.npy: No such file or directory"
    assert "column 0: |u1 (2,), column 1: <f2 (3, 1)" in lines[2] and "rows of 2 CSV files" in lines[2]
    # A glob pattern names the same files.
    code, out, _ = run(capsys, "check", tmp_path / "?.csv", "--path-column", "0", "--path-column", "1")
    assert code == 1 and out.splitlines()[:2] == lines[:2]


def test_check_streams_in_chunks_with_right_lines(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_CHUNK_ROWS", 7)
    save(tmp_path / "ok.npy", F8)
    rows = [b"ok.npy\n"] * 50
    for line in (3, 8, 22, 50):
        rows[line - 1] = b"gone%d.npy\n" % line
    rows[30] = b'"ok\n.npy"\n'  # lines 31-32: the next row starts on line 33
    rows[31] = b"gone33.npy\n"
    csv_path = write_csv(tmp_path / "p.csv", b"".join(rows))
    code, out, _ = run(capsys, "check", csv_path)
    assert code == 1
    reported = [line.split(": ")[0] for line in out.splitlines()[:-1]]
    assert reported == [f"{csv_path}:{n}" for n in (3, 8, 22, 31, 33, 51)]
    assert "ok\\n.npy: No such file" in out


def make_npz(path, x, compressed=False):
    (np.savez_compressed if compressed else np.savez)(path, x=x, y=np.arange(3))
    return path


def test_check_npz_keys_and_full_reads(tmp_path, capsys):
    for i in range(4):
        make_npz(tmp_path / f"{i}.npz", F8 + i, compressed=i % 2 == 1)
    # Flip a data byte of a stored member: its CRC-32 no longer matches; the header is intact.
    corrupt = bytearray((tmp_path / "0.npz").read_bytes())
    with zipfile.ZipFile(tmp_path / "0.npz") as z:
        info = z.getinfo("x.npy")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    corrupt[at] ^= 0xFF
    (tmp_path / "corrupt.npz").write_bytes(bytes(corrupt))
    np.savez(tmp_path / "nox.npz", y=np.arange(3))
    save(tmp_path / "plain.npy", F8)
    csv_path = write_csv(tmp_path / "z.csv", b"0.npz\n1.npz\ncorrupt.npz\n2.npz\n3.npz\n")
    code, out, _ = run(capsys, "check", csv_path, "--keys", "x", "--keys", "y")
    assert code == 0 and "every file holds x: <f8 (10, 10), y: <i8 (3,)" in out
    code, out, _ = run(capsys, "check", csv_path, "--keys", "x", "--full")
    assert code == 1
    assert out.splitlines()[0].startswith(f"{csv_path}:3: corrupt.npz: member 'x': ")
    assert "CRC-32" in out.splitlines()[0]
    assert "1 malformed" in out.splitlines()[-1]
    # As from_csv: an archive without keys, a .npy with keys, a member missing.
    csv_path = write_csv(tmp_path / "w.csv", b"0.npz\nnox.npz\nplain.npy\n")
    code, out, _ = run(capsys, "check", csv_path, "--keys", "x")
    assert code == 1
    assert f"{csv_path}:2: nox.npz: no member 'x'" in out and "its members: 'y'" in out
    assert f"{csv_path}:3: plain.npy: a .npy file, not an .npz archive (--keys was given)" in out
    csv_path = write_csv(tmp_path / "v.csv", b"plain.npy\n0.npz\n")
    code, out, _ = run(capsys, "check", csv_path)
    assert code == 1 and f"{csv_path}:2: 0.npz: an .npz archive: name its members with --keys (its members: 'x', 'y')" in out


def test_check_full_reads_the_data(tmp_path, capsys):
    save(tmp_path / "a.npy", np.array(["ab", "c"]))
    # A U array whose second element holds a surrogate: its header is fine, its data not.
    raw = bytearray((tmp_path / "a.npy").read_bytes())
    raw[-8:-4] = (0xD800).to_bytes(4, "little")
    (tmp_path / "b.npy").write_bytes(bytes(raw))
    csv_path = write_csv(tmp_path / "s.csv", b"a.npy\nb.npy\n")
    assert run(capsys, "check", csv_path)[0] == 0
    code, out, _ = run(capsys, "check", csv_path, "--full")
    assert code == 1 and f"{csv_path}:2: b.npy: element (1,) of <U2 (str) holds 0xD800" in out


def test_check_shows_a_progress_bar_only_on_a_terminal(planted, capsys, monkeypatch):
    csv_path, _, _ = planted
    monkeypatch.setattr(cli, "_BAR_AFTER_S", 0.0)
    monkeypatch.setattr(cli, "_CHUNK_ROWS", 2)
    run(capsys, "check", csv_path)
    assert capsys.readouterr().err == ""  # stderr is no terminal here

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code, out, _ = run(capsys, "check", csv_path)
    assert code == 1 and "checking" in terminal.getvalue()
    assert out.count("\n") == 11  # the reports and the summary, not the bar
    terminal.truncate(0)
    run(capsys, "check", csv_path, "--no-progress")
    assert terminal.getvalue() == ""


def test_check_agrees_with_from_csv(planted, capsys):
    """The rows check reports are the rows from_csv fails on; the rows it
    passes, from_csv reads as np.load does."""
    tf = pytest.importorskip("tensorflow")
    csv_path, expect, records = planted
    # Rows of good and bad files (names that are not UTF-8 too), read one
    # file per element, errors dropped.
    lines = [1, 2, 4, 5, 6, 7, 9, 11, 12, 14, 16, 17, 18]
    files = write_csv(csv_path.parent / "files.csv", b"".join(records[i] for i in lines))
    code, out, _ = run(capsys, "check", files)
    starts = np.cumsum([1] + [records[i].count(b"\n") for i in lines])  # where each record starts now
    reported = {int(r.split(":")[1]) for r in out.splitlines()[:-1]}
    assert code == 1 and reported == {int(starts[k]) for k, i in enumerate(lines) if i in expect}
    read = list(tfnpy.data.from_csv(str(files), block_size=1, deterministic=True).ignore_errors())
    assert [int(label) for _, label in read] == [int(records[i].rsplit(b",", 1)[1]) for i in lines if i not in expect]
    assert all(np.array_equal(array.numpy(), F8) for array, _ in read)
    # A bad record fails from_csv at the line check names.
    for line in (13, 19):
        one = write_csv(csv_path.parent / "one.csv", records[1] + records[line])
        assert run(capsys, "check", one)[1].startswith(f"{one}:2: ")
        with pytest.raises(tf.errors.OpError, match=f"{one}:2: "):
            list(tfnpy.data.from_csv(str(one)))


def test_check_remote_paths_through_gfile(tmp_path, capsys):
    tf = pytest.importorskip("tensorflow")
    for name, a in (("a", F8), ("b", F8), ("c", np.zeros(3))):
        buf = io.BytesIO()
        np.save(buf, a)
        tf.io.gfile.makedirs("ram://cli")
        with tf.io.gfile.GFile(f"ram://cli/{name}.npy", "wb") as f:
            f.write(buf.getvalue())
    save(tmp_path / "local.npy", F8)
    csv_path = write_csv(tmp_path / "r.csv", b"ram://cli/a.npy\nram://cli/b.npy\nlocal.npy\nram://cli/c.npy\nram://cli/none.npy\n")
    code, out, _ = run(capsys, "check", csv_path, "--full")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == f"{csv_path}:4: ram://cli/c.npy: file has shape (3,), expected (10, 10)"
    assert lines[1].startswith(f"{csv_path}:5: ram://cli/none.npy: ") and "1 missing" in lines[2]


# --------------------------------------------------------------------------- as commands


def test_inspect_and_check_run_without_tensorflow(planted, tmp_path):
    csv_path, expect, _ = planted
    done = run_process(["check", str(csv_path)], block_tensorflow=True)
    assert done.returncode == 1, done.stderr
    assert len(done.stdout.splitlines()) == len(expect) + 1 and "10 problems" in done.stdout
    done = run_process(["inspect", "--json", str(csv_path.parent / "good.npy")], block_tensorflow=True)
    assert done.returncode == 0 and json.loads(done.stdout)[0]["shape"] == [10, 10]
    # A path with a scheme needs TensorFlow: said per file, the rest still checked.
    remote = write_csv(tmp_path / "remote.csv", os.fsencode(csv_path.parent / "good.npy") + b"\ngs://bucket/x.npy\n")
    done = run_process(["check", str(remote)], block_tensorflow=True)
    assert done.returncode == 1
    assert f"{remote}:2: gs://bucket/x.npy: reading this path needs TensorFlow" in done.stdout
    # And without the block, tfnpy.cli imports no TensorFlow either.
    probe = "import sys, tfnpy.cli; print('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "False"


def test_python_m_tfnpy_and_console_script(tmp_path):
    a = save(tmp_path / "a.npy", F8)
    done = subprocess.run([sys.executable, "-m", "tfnpy", "inspect", str(a)], capture_output=True, text=True)
    assert done.returncode == 0 and "(10, 10)" in done.stdout
    script = shutil.which("tfnpy", path=os.path.dirname(sys.executable))
    assert script is not None, "the tfnpy console script is not installed beside this Python"
    done = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"tfnpy {tfnpy.__version__}"
    csv_path = write_csv(tmp_path / "p.csv", b"a.npy\nb.npy\n")
    done = subprocess.run([script, "check", str(csv_path)], capture_output=True, text=True)
    assert done.returncode == 1 and f"{csv_path}:2: b.npy: No such file or directory" in done.stdout
    done = subprocess.run([script, "frobnicate"], capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_bench_times_both_pipelines(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    for i in range(16):
        save(tmp_path / f"{i}.npy", np.full((4, 4), i, "<f4"))
    csv_path = write_csv(tmp_path / "b.csv", b"image,label\n" + b"".join(b"%d.npy,%d\n" % (i, i) for i in range(16)))
    code, out, err = run(capsys, "bench", csv_path, "--header", "--path-column", "image", "--seconds", "0.05",
                         "--passes", "1", "--batch-size", "4")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if "elements/s" in line]
    assert [r[0] for r in rows] == ["tf.numpy_function(np.load)", "tfnpy.data.from_csv(...).batch(n)",
                                    "tfnpy.data.from_csv(...,"]
    assert rows[0][-1] == "1.00x" and all(float(r[-3].replace(",", "")) > 0 for r in rows)
    # A file that cannot be read fails the run with a pointer to check.
    (tmp_path / "3.npy").write_bytes(b"junk")
    code, out, err = run(capsys, "bench", csv_path, "--header", "--path-column", "image", "--seconds", "0.05",
                         "--passes", "1")
    assert code == 1 and "3.npy" in err and "tfnpy check" in err
