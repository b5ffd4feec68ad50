"""What write_npy does with what is already at a name (issue #23).

As ``np.save`` would leave it, but atomically: symbolic links are followed, an
existing file keeps its permission bits (and owner where the process may set
it), FIFOs and devices are written to directly and stay what they are, a
folder is refused; names up to 255 bytes work; the temporary files a killed
writer leaves match the documented pattern; ``sync=True`` writes the same.
"""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

import tfnpy

X = tf.constant([[1.5, 2.0], [3.0, -4.0]])


def expected() -> bytes:
    buf = io.BytesIO()
    np.save(buf, X.numpy())
    return buf.getvalue()


def leftovers(folder) -> list:
    return sorted(n for n in os.listdir(folder) if ".tfnpy-tmp-" in n)


def test_symlink_is_followed_to_the_file_it_names(tmp_path):
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    target = real_dir / "a.npy"
    target.write_bytes(b"old")
    (link_dir / "abs.npy").symlink_to(target)  # Absolute.
    (link_dir / "rel.npy").symlink_to("../real/a.npy")  # Relative to the link's folder.
    (link_dir / "chain.npy").symlink_to("rel.npy")  # A link to a link.
    for name in ("abs.npy", "rel.npy", "chain.npy"):
        target.write_bytes(b"old")
        tfnpy.write_npy(str(link_dir / name), X)
        assert (link_dir / name).is_symlink(), name
        assert target.read_bytes() == expected(), name
    assert leftovers(real_dir) == [] and leftovers(link_dir) == []
    assert sorted(os.listdir(real_dir)) == ["a.npy"]


def test_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "link.npy").symlink_to("made.npy")
    tfnpy.write_npy(str(tmp_path / "link.npy"), X)
    assert (tmp_path / "link.npy").is_symlink()
    assert (tmp_path / "made.npy").read_bytes() == expected()


def test_symlink_loop_is_an_error(tmp_path):
    (tmp_path / "a.npy").symlink_to("b.npy")
    (tmp_path / "b.npy").symlink_to("a.npy")
    with pytest.raises(tf.errors.OpError, match="Too many levels of symbolic links"):
        tfnpy.write_npy(str(tmp_path / "a.npy"), X)
    assert leftovers(tmp_path) == []


# A read-only file is written over only by root (np.save's rule, see below).
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o755] + ([0o400] if os.geteuid() == 0 else []))
def test_existing_file_keeps_its_permission_bits(tmp_path, mode):
    path = tmp_path / "a.npy"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    tfnpy.write_npy(str(path), X)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert path.read_bytes() == expected()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_a_file_we_may_not_write_is_refused_as_np_save_refuses_it(tmp_path):
    path = tmp_path / "a.npy"
    path.write_bytes(b"old")
    os.chmod(path, 0o400)
    with pytest.raises(PermissionError):
        np.save(path, X.numpy())
    with pytest.raises(tf.errors.PermissionDeniedError, match=r"a\.npy"):
        tfnpy.write_npy(str(path), X)
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_new_file_gets_the_mode_np_save_gives(tmp_path):
    np.save(tmp_path / "by_numpy.npy", X.numpy())
    tfnpy.write_npy(str(tmp_path / "by_tfnpy.npy"), X)
    assert os.stat(tmp_path / "by_tfnpy.npy").st_mode == os.stat(tmp_path / "by_numpy.npy").st_mode


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner takes root")
def test_existing_file_keeps_its_owner_and_group(tmp_path):
    path = tmp_path / "a.npy"
    path.write_bytes(b"old")
    os.chown(path, 65534, 65534)
    tfnpy.write_npy(str(path), X)
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert path.read_bytes() == expected()


def test_fifo_is_written_to_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe.npy"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    tfnpy.write_npy(str(fifo), X)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # Else the reader waits on, a daemon.
    reader.join(timeout=60)
    assert got == [expected()]
    assert leftovers(tmp_path) == []


def _null_device(tmp_path) -> str:
    """A character device that discards what is written: a private twin of
    /dev/null where we may make one (root), so that no run, however wrong,
    can touch the system's own."""
    if os.geteuid() != 0:
        return "/dev/null"  # Not root: nobody's /dev/null could be replaced.
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("cannot make a device node here (no CAP_MKNOD)")
    return str(path)


def test_device_is_written_to_never_replaced(tmp_path):
    dev = _null_device(tmp_path)
    before = os.stat(dev)
    tfnpy.write_npy(dev, X)
    tfnpy.write_npy(dev, X, sync=True)
    after = os.stat(dev)
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert leftovers(os.path.dirname(dev)) == []


def test_folder_is_refused(tmp_path):
    folder = tmp_path / "a.npy"
    folder.mkdir()
    (folder / "inside").write_bytes(b"keep")
    with pytest.raises(tf.errors.FailedPreconditionError, match=r"WriteNpy: '.*a\.npy'.*[Ii]s a directory"):
        tfnpy.write_npy(str(folder), X)
    assert (folder / "inside").read_bytes() == b"keep"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("length", [235, 240, 250, 255])
def test_long_names_up_to_name_max(tmp_path, length):
    for stem_char in ("a", "\u00e9"):  # One byte, two bytes in UTF-8: the cut falls between characters.
        stem = stem_char * ((length - 4) // len(stem_char.encode()))
        name = stem + "x" * (length - 4 - len(stem.encode())) + ".npy"
        assert len(name.encode()) == length
        path = os.path.join(tmp_path, name)
        np.save(path, X.numpy())  # numpy takes the name...
        tfnpy.write_npy(path, X * 2)  # ...and so do we, over it.
        np.testing.assert_array_equal(np.load(path), X.numpy() * 2)
        assert leftovers(tmp_path) == []


def test_sync_writes_the_same_bytes(tmp_path):
    paths = [str(tmp_path / f"{i}.npy") for i in range(3)]
    tfnpy.write_npy(paths, tf.stack([X, X, X]), sync=True)
    for p in paths:
        assert open(p, "rb").read() == expected()
    tfnpy.write_npy("ram://sync/a.npy", X, sync=True)
    assert tf.io.read_file("ram://sync/a.npy").numpy() == expected()
    with pytest.raises(TypeError, match="sync must be a bool"):
        tfnpy.write_npy(paths[0], X, sync=1)


def test_other_file_systems_keep_writing_through_a_rename(tmp_path):
    for name in ("ram://w/a.npy", "ram://w/" + "b" * 251 + ".npy"):
        tfnpy.write_npy(name, X)
        assert tf.io.read_file(name).numpy() == expected()
    assert [n for n in tf.io.gfile.listdir("ram://w/") if "tfnpy-tmp" in n] == []


KILLED = r"""
import sys, tensorflow as tf, tfnpy
x = tf.zeros([64 << 20], tf.bool)  # Encoded (bools are normalised): 64 MiB a file.
print("ready", flush=True)
while True:
    tfnpy.write_npy(sys.argv[1], x)
"""


def test_killed_writer_leaves_a_findable_temporary_file_only(tmp_path):
    """SIGKILL while a file is written: the final name holds a whole file
    (or none), and what is left is found by the documented pattern."""
    target = tmp_path / "big.npy"
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(target)], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    try:
        assert child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while not leftovers(tmp_path):
            assert time.monotonic() < deadline, "never saw the temporary file"
            time.sleep(0.0005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    left = leftovers(tmp_path)
    found = subprocess.run(["find", str(tmp_path), "-name", ".*.tfnpy-tmp-*"], capture_output=True, text=True)
    assert sorted(os.path.basename(p) for p in found.stdout.split()) == left
    assert len(left) == 1 and left[0].startswith(".big.npy.tfnpy-tmp-"), left
    assert len(left[0]) == len(".big.npy.tfnpy-tmp-") + 16
    if target.exists():
        loaded = np.load(target)
        assert loaded.shape == (64 << 20,) and loaded.dtype == bool
    subprocess.run(["find", str(tmp_path), "-name", ".*.tfnpy-tmp-*", "-delete"], check=True)
    assert leftovers(tmp_path) == []
