"""tfnpy on gs:// through TensorFlow's own GCS client, against a server on 127.0.0.1.

The server is a GCS emulator behind an HTTPS proxy (tests/gcs_emulator.py);
TensorFlow runs in client processes of its own, started with the
environment that sends its gs:// requests there (TensorFlow reads it at
import). Every array read is compared with np.load of the same bytes; every
fault the proxy injects must give an error naming the object, never a wrong
array.
"""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest

import gcs_emulator
from gcs_emulator import GcsEmulator, RemoteError

pytestmark = pytest.mark.slow

WINDOW_64M = f"bytes=0-{64 << 20}"  # tfnpy's first read of a gs:// file: TensorFlow's block + 1 bytes.
REMOTE_THREADS = 8  # The clients' TFNPY_REMOTE_THREADS.


def _missing():
    """Skip (with the reason) where the emulator's packages could not be installed; in CI, fail."""
    if gcs_emulator.MISSING is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{gcs_emulator.MISSING}; .ci/run installs them, so in CI these tests must run")
    pytest.skip(f"gs:// tests skipped: {gcs_emulator.MISSING}")


@pytest.fixture(scope="module")
def gcs(tmp_path_factory):
    _missing()
    with GcsEmulator(tmp_path_factory.mktemp("gcs")) as server:
        yield server


@pytest.fixture(scope="module")
def client(gcs):
    """TensorFlow with the emulator; TensorFlow's retries on, quick."""
    with gcs.client("client", TFNPY_REMOTE_THREADS=REMOTE_THREADS, GCS_RETRY_CONFIG_MAX_RETRIES=3,
                    GCS_RETRY_CONFIG_INIT_DELAY_TIME_US=10000, GCS_RETRY_CONFIG_MAX_DELAY_TIME_US=50000) as c:
        yield c


@pytest.fixture(scope="module")
def strict(gcs):
    """TensorFlow with the emulator, no retries, a 3 s idle timeout: every fault reaches tfnpy."""
    with gcs.client("strict", TFNPY_REMOTE_THREADS=REMOTE_THREADS, GCS_RETRY_CONFIG_MAX_RETRIES=0,
                    GCS_REQUEST_IDLE_TIMEOUT_SECS=3) as c:
        yield c


@pytest.fixture(scope="module")
def block1(gcs):
    """TensorFlow with GCS_READ_CACHE_BLOCK_SIZE_MB=1: files larger than its read buffer."""
    with gcs.client("block1", TFNPY_REMOTE_THREADS=REMOTE_THREADS, GCS_READ_CACHE_BLOCK_SIZE_MB=1) as c:
        yield c


@pytest.fixture(autouse=True)
def _no_faults(request):
    """Each test starts with no faults, no delay and an empty request log."""
    if "gcs" in request.fixturenames:
        server = request.getfixturevalue("gcs")
        server.faults([])
        server.set_delay(0)
        server.clear_requests()
    yield


def npy_bytes(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def assert_same(got, want):
    """Bit for bit what np.load gives, in native byte order and C order, and the same shape."""
    want = np.asarray(want)
    want = want.astype(want.dtype.newbyteorder("="))
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes()


def put(gcs, name, a) -> str:
    """Uploads np.save(a) as `name`; returns its gs:// URL."""
    gcs.upload(name, npy_bytes(a))
    return gcs.url(name)


def read_npy(c, urls, dtype, **kw):
    return c.run("result = tfnpy.read_npy(urls, dtype, **kw).numpy()", urls=urls, dtype=dtype, kw=kw)


def object_gets(gcs):
    """The proxy's log of object reads (GETs to storage.googleapis.com)."""
    return [r for r in gcs.requests() if r["request"].startswith("GET storage.googleapis.com/")]


def _range_bytes(header: str) -> int:
    first, last = header.removeprefix("bytes=").split("-")
    return int(last) - int(first) + 1


def most_in_flight(requests) -> int:
    """The largest number of requests the proxy was serving at one time."""
    events = sorted([(r["start"], 1) for r in requests] + [(r["end"], -1) for r in requests],
                    key=lambda e: (e[0], e[1]))
    now = most = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


ARRAYS = {
    "scalar_f8.npy": np.float64(3.25),
    "c_f4.npy": np.arange(20, dtype="<f4").reshape(4, 5) / 7,
    "fortran_be_i2.npy": np.asfortranarray(np.arange(-6, 6, dtype=">i2").reshape(3, 4)),
    "bool.npy": np.array([True, False, True]),
    "empty_u8.npy": np.zeros((0, 3), dtype=np.uint8),
    # More than the first read (16 KiB): the data comes in a second read.
    "big_f4.npy": np.random.default_rng(1).random((200, 50), dtype=np.float32),
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_read_npy_one_file(gcs, client, name):
    want = ARRAYS[name]
    url = put(gcs, "one/" + name, want)
    dtype = np.asarray(want).dtype.newbyteorder("=").name
    assert_same(read_npy(client, url, dtype), want)


def test_read_npy_batch_is_one_request_per_file(gcs, client):
    rng = np.random.default_rng(2)
    arrays = [rng.random((10, 10)) for _ in range(40)]
    urls = [put(gcs, f"batch/f{i:02d}.npy", a) for i, a in enumerate(arrays)]
    gcs.clear_requests()
    got = read_npy(client, urls, "float64", shape=[10, 10])
    assert_same(got, np.stack(arrays))
    # One ranged GET per file, of TensorFlow's block + 1 bytes: the read
    # bypasses TensorFlow's zero-filled 64 MiB buffer (its own read would ask
    # for bytes=0-67108863).
    gets = object_gets(gcs)
    assert sorted(r["request"] for r in gets) == sorted(f"GET storage.googleapis.com/{gcs.bucket}/batch/f{i:02d}.npy"
                                                        for i in range(40))
    assert {r["range"] for r in gets} == {WINDOW_64M}


def test_read_npy_batch_keeps_requests_in_flight(gcs, client):
    urls = [put(gcs, f"inflight/f{i:02d}.npy", np.full((2, 2), i, dtype=np.int32)) for i in range(24)]
    gcs.set_delay(0.3)
    gcs.clear_requests()
    got = read_npy(client, urls, "int32")
    assert_same(got, np.stack([np.full((2, 2), i, dtype=np.int32) for i in range(24)]))
    # TFNPY_REMOTE_THREADS reads at a time: many more than this machine's cores, never more than that.
    assert REMOTE_THREADS // 2 < most_in_flight(object_gets(gcs)) <= REMOTE_THREADS
    # Never more than the batch has elements.
    gcs.clear_requests()
    assert_same(read_npy(client, urls[:3], "int32"), got[:3])
    assert most_in_flight(object_gets(gcs)) <= 3


def test_read_npy_regions(gcs, client):
    a = np.random.default_rng(3).random((300, 40)).astype(">f8")  # 96 KB: past the first read
    b = np.asfortranarray(a[::-1] * 2)
    urls = [put(gcs, "regions/a.npy", a), put(gcs, "regions/b.npy", b)]
    assert_same(read_npy(client, urls[0], "float64", start=10, stop=20), a[10:20])
    assert_same(read_npy(client, urls[1], "float64", start=[250, 5], stop=[300, 9]), b[250:300, 5:9])
    got = read_npy(client, urls, "float64", start=[[0, 0], [100, 30]], stop=[[5, 10], [105, 40]])
    assert_same(got, np.stack([a[0:5, 0:10], b[100:105, 30:40]]))


def test_files_larger_than_the_read_buffer(gcs, block1):
    # 1000x800 float32: 3.2 MB, three times TensorFlow's 1 MiB block here.
    a = np.random.default_rng(7).random((1000, 800), dtype=np.float32)
    f = np.asfortranarray(a[:, ::-1]).astype(">f4")
    urls = [put(gcs, "block1/a.npy", a), put(gcs, "block1/f.npy", f)]
    gcs.clear_requests()
    assert_same(read_npy(block1, urls[0], "float32"), a)
    # The first read fills tfnpy's window, TensorFlow's block + 1 bytes (the
    # variable is followed); no request is one of TensorFlow's buffered reads
    # (exactly a block: its zero-filled buffer).
    ranges = [r["range"] for r in object_gets(gcs)]
    assert ranges[0] == f"bytes=0-{1 << 20}"
    assert not [r for r in ranges if _range_bytes(r) == 1 << 20]
    assert_same(read_npy(block1, urls[0], "float32", start=400, stop=410), a[400:410])
    assert_same(read_npy(block1, urls[1], "float32", start=[10, 100], stop=[990, 103]), f[10:990, 100:103])
    got = read_npy(block1, urls, "float32", start=[[0, 0], [500, 700]], stop=[[300, 8], [800, 708]])
    assert_same(got, np.stack([a[0:300, 0:8], f[500:800, 700:708]]))
    assert_same(read_npy(block1, urls, "float32"), np.stack([a, f]))


def test_read_npz_stored_and_deflated(gcs, client):
    rng = np.random.default_rng(4)
    want = []
    for i, save in enumerate([np.savez, np.savez_compressed, np.savez, np.savez_compressed]):
        x, y = rng.random((6, 7)).astype(np.float32), np.arange(i, i + 5, dtype=">i8")
        buf = io.BytesIO()
        save(buf, x=x, y=y)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            assert {m.compress_type for m in z.infolist()} == {zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED}
        gcs.upload(f"npz/a{i}.npz", buf.getvalue())
        want.append((x, y))
    urls = [gcs.url(f"npz/a{i}.npz") for i in range(4)]
    code = "result = {k: v.numpy() for k, v in tfnpy.read_npz(urls, {'x': tf.float32, 'y': tf.int64}).items()}"
    got = client.run(code, urls=urls)
    assert_same(got["x"], np.stack([x for x, _ in want]))
    assert_same(got["y"], np.stack([y for _, y in want]))
    one = client.run("result = tfnpy.read_npz(url, {'y': tf.int64})['y'].numpy()", url=urls[1])
    assert_same(one, want[1][1])


def test_from_csv_with_the_csv_in_the_bucket(gcs, client):
    rng = np.random.default_rng(5)
    arrays = [rng.random((3, 4)).astype(np.float32) for _ in range(50)]
    for i, a in enumerate(arrays):
        put(gcs, f"csv/data/x{i:02d}.npy", a)
    gcs.upload("csv/paths.csv", "".join(f"data/x{i:02d}.npy,{i}\n" for i in range(50)).encode())
    url = gcs.url("csv/paths.csv")
    code = "result = [(x.numpy(), y.numpy()) for x, y in tfnpy.data.from_csv(url, **kw)]"
    for kw in ({}, {"batch_size": 16}):
        got = client.run(code, url=url, kw=kw)
        if kw:
            got = [(x[j], int(y[j])) for x, y in got for j in range(len(x))]
        assert [y for _, y in got] == list(range(50))
        assert_same(np.stack([x for x, _ in got]), np.stack(arrays))


def test_inspect_and_loads_on_gs_paths(gcs, client):
    a = np.asfortranarray(np.arange(12, dtype=">u4").reshape(3, 4))
    url = put(gcs, "py/a.npy", a)
    info = client.run("i = tfnpy.inspect(url); result = (i.dtype.str, i.shape, i.fortran_order)", url=url)
    assert info == (">u4", (3, 4), True)
    assert_same(client.run("result = tfnpy.loads(url)", url=url), a)
    buf = io.BytesIO()
    np.savez_compressed(buf, image=np.zeros((2, 2)), label=np.int64(7))
    gcs.upload("py/b.npz", buf.getvalue())
    keys = client.run("result = tfnpy.inspect(url).keys()", url=gcs.url("py/b.npz"))
    assert sorted(keys) == ["image", "label"]
    with pytest.raises(RemoteError) as e:
        client.run("tfnpy.inspect(url)", url=gcs.url("py/missing.npy"))
    assert e.value.type == "FileNotFoundError" and "py/missing.npy" in e.value.message


def test_write_npy_to_the_bucket(gcs, client):
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    url = gcs.url("out/one.npy")
    gcs.upload("out/one.npy", b"an older object")
    client.run("tfnpy.write_npy(url, a)", url=url, a=a)
    assert_same(np.load(io.BytesIO(gcs.download("out/one.npy"))), a)
    # An upload becomes the object only once complete, so tfnpy writes gs://
    # objects straight to their name: one upload (a session and its data),
    # no temporary object, no rename (on GCS a copy and a delete).
    requests = [r["request"].split("?")[0] for r in gcs.requests()]
    assert requests == [f"POST www.googleapis.com/upload/storage/v1/b/{gcs.bucket}/o",
                        f"PUT www.googleapis.com/upload/storage/v1/b/{gcs.bucket}/o"]
    rows = np.random.default_rng(6).random((20, 5))
    urls = [gcs.url(f"out/many/r{i:02d}.npy") for i in range(20)]
    gcs.set_delay(0.2)
    gcs.clear_requests()
    client.run("tfnpy.write_npy(urls, rows)", urls=urls, rows=rows)
    assert REMOTE_THREADS // 2 < most_in_flight(gcs.requests()) <= REMOTE_THREADS
    assert gcs.names("out/") == ["out/many/" + f"r{i:02d}.npy" for i in range(20)] + ["out/one.npy"]
    for i in range(20):
        assert_same(np.load(io.BytesIO(gcs.download(f"out/many/r{i:02d}.npy"))), rows[i])


# --------------------------------------------------------------------------- faults


def _fault_files(gcs, prefix, n=6):
    arrays = [np.full((4, 4), i, dtype=np.float32) for i in range(n)]
    return arrays, [put(gcs, f"{prefix}/f{i}.npy", a) for i, a in enumerate(arrays)]


# TensorFlow retries 5xx and 429 (here not at all): then "All 0 retry attempts failed", AbortedError.
@pytest.mark.parametrize("status,error", [(503, "AbortedError"), (500, "AbortedError"), (429, "AbortedError"),
                                          (404, "NotFoundError"), (403, "PermissionDeniedError")])
def test_error_status_names_the_object(gcs, strict, status, error):
    _, urls = _fault_files(gcs, f"status{status}")
    gcs.faults([{"match": f"GET storage.googleapis.com/.*/status{status}/f3.npy", "kind": "status",
                 "status": status}])
    with pytest.raises(RemoteError) as e:
        read_npy(strict, urls, "float32")
    assert e.value.type == error
    assert f"ReadNpy: '{urls[3]}'" in e.value.message and f"HTTP response code {status}" in e.value.message


@pytest.mark.parametrize("kind", ["drop", "cut", "stall"])
def test_broken_response_names_the_object(gcs, strict, kind):
    _, urls = _fault_files(gcs, kind)
    gcs.faults([{"match": f"/{kind}/f2.npy", "kind": kind, "seconds": 8}])  # stall: past the idle timeout
    with pytest.raises(RemoteError) as e:
        read_npy(strict, urls, "float32")
    assert f"ReadNpy: '{urls[2]}'" in e.value.message
    # A single file: the same.
    with pytest.raises(RemoteError) as e:
        read_npy(strict, urls[2], "float32")
    assert f"ReadNpy: '{urls[2]}'" in e.value.message


def test_slow_response_gives_the_array(gcs, strict):
    arrays, urls = _fault_files(gcs, "slow")
    gcs.faults([{"match": "/slow/f1.npy", "kind": "slow", "seconds": 1}])  # within the idle timeout
    assert_same(read_npy(strict, urls, "float32"), np.stack(arrays))


def test_tensorflow_retry_gives_the_array(gcs, client):
    arrays, urls = _fault_files(gcs, "retry")
    gcs.faults([{"match": "/retry/f4.npy", "kind": "status", "status": 503, "times": 1},
                {"match": "/retry/f5.npy", "kind": "cut", "times": 1}])
    assert_same(read_npy(client, urls, "float32"), np.stack(arrays))
    gets = [r["request"].rsplit("/", 1)[1] for r in object_gets(gcs)]
    assert gets.count("f4.npy") == 2 and gets.count("f5.npy") == 2


def test_faults_in_npz_from_csv_and_write(gcs, strict):
    buf = io.BytesIO()
    np.savez(buf, x=np.ones(3))
    gcs.upload("fz/a.npz", buf.getvalue())
    gcs.faults([{"match": "/fz/a.npz", "kind": "cut"}])
    with pytest.raises(RemoteError) as e:
        strict.run("tfnpy.read_npz(url, {'x': tf.float64})", url=gcs.url("fz/a.npz"))
    assert f"'{gcs.url('fz/a.npz')}'" in e.value.message

    _, urls = _fault_files(gcs, "fcsv/data")
    gcs.upload("fcsv/paths.csv", "".join(f"data/f{i}.npy,{i}\n" for i in range(len(urls))).encode())
    gcs.faults([{"match": "GET storage.googleapis.com/.*/fcsv/data/f4.npy", "kind": "status", "status": 503}])
    with pytest.raises(RemoteError) as e:
        strict.run("result = list(tfnpy.data.from_csv(url, dtype=tf.float32, shape=[4, 4]))",
                   url=gcs.url("fcsv/paths.csv"))
    assert f"'{urls[4]}'" in e.value.message

    gcs.upload("fw/a.npy", npy_bytes(np.zeros(2)))
    gcs.faults([{"match": "PUT www.googleapis.com/upload/", "kind": "status", "status": 503}])
    with pytest.raises(RemoteError) as e:
        strict.run("tfnpy.write_npy(url, np.ones(5))", url=gcs.url("fw/a.npy"))
    assert e.value.type == "AbortedError" and f"WriteNpy: '{gcs.url('fw/a.npy')}'" in e.value.message
    gcs.faults([])
    assert_same(np.load(io.BytesIO(gcs.download("fw/a.npy"))), np.zeros(2))  # The old object, whole.
