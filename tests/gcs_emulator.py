"""A Google Cloud Storage stand-in on 127.0.0.1 that TensorFlow's own gs:// client talks to.

TensorFlow's GCS client has no endpoint setting: it always asks for
https://storage.googleapis.com (reads) and https://www.googleapis.com (the
JSON API). It does honour ``https_proxy`` and ``CURL_CA_BUNDLE``, so the
server is two parts, each a process of its own (`serve` starts `emulator`):

- the emulator from PyPI (``gcp-storage-emulator``), in memory, on a threading
  HTTP server with a listen backlog of 1024 (its own server answers one
  request at a time and drops connections past a backlog of 5), its
  rewrite-all-metadata-on-every-upload hook turned off;
- an HTTPS CONNECT proxy that terminates TLS with a certificate for those two
  hosts, signed by a throwaway CA made at start-up (``cryptography``), and
  relays each request to the emulator. It can add a delay to every response
  (the benchmarks' network latency) and inject faults into the requests a
  rule matches: an error status, a dropped connection, a response cut short
  of its Content-Length, a slow or a stalled response. It keeps a log of the
  requests it relayed.

The client side (TensorFlow) reads its GCS settings from the environment when
it is imported, so it runs in a process of its own (`client`, below) started
with `GcsEmulator.env()`; tests send it short Python snippets and get back
their `result` (or the exception's type and message). Nothing here listens on
anything but 127.0.0.1, every wait is bounded, and every process started
exits when the process that started it goes away (its stdin closes).

    with GcsEmulator(workdir) as gcs:
        gcs.upload("a.npy", data)                         # gs://<gcs.bucket>/a.npy
        with gcs.client() as c:
            c.run("result = tfnpy.read_npy(url, tf.float64).numpy()", url=gcs.url("a.npy"))
        gcs.faults([{"match": "GET storage.googleapis.com/", "kind": "status", "status": 503}])

Run as a script, it is one of those processes:

    python tests/gcs_emulator.py serve WORKDIR [--delay SECONDS] [--bucket NAME]
    python tests/gcs_emulator.py emulator [--bucket NAME]   (started by serve)
    python tests/gcs_emulator.py client        (environment from GcsEmulator.env())
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import pickle
import queue
import re
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOSTS = ("storage.googleapis.com", "www.googleapis.com")
BUCKET = "tfnpy-test"
START_TIMEOUT = 60.0  # s for the server process to come up
CALL_TIMEOUT = 120.0  # s for one client snippet
MISSING = None  # Why the server cannot run here (set below), or None.

try:
    import cryptography  # noqa: F401
    import gcp_storage_emulator  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    MISSING = (f"{e.name} is not installed: the gs:// tests need the packages of "
               ".ci/requirements-remote.txt (pip install -r .ci/requirements-remote.txt)")


# ---------------------------------------------------------------------------
# The server process: the emulator and the proxy.


def make_certificates(workdir: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate it signs for HOSTS: (ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tfnpy test CA (throwaway)")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTS]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = workdir / "ca.pem", workdir / "cert.pem", workdir / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # With the default 5, bursts of connections are dropped.


def start_emulator(bucket: str):
    """The emulator, in memory, on a threading server: (server, port)."""
    from functools import partial
    from http.server import ThreadingHTTPServer

    from gcp_storage_emulator.handlers import buckets
    from gcp_storage_emulator.server import RequestHandler
    from gcp_storage_emulator.storage import Storage

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024

    class Handler(RequestHandler):
        protocol_version = "HTTP/1.1"  # Keep-alive: the proxy reuses its connections (answers say their length).

    storage = Storage(use_memory_fs=True)
    # It writes every object's metadata out again after each change: in memory,
    # a cost that grows with the bucket and buys nothing.
    storage._write_config_to_file = lambda: None
    buckets.create_bucket(bucket, storage)
    httpd = Server(("127.0.0.1", 0), partial(Handler, storage))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, httpd.server_address[1]


def _read_head(f) -> tuple[str, list[tuple[str, str]]]:
    """An HTTP request line and its headers from a binary file; ('', []) at EOF."""
    line = f.readline(65537)
    if not line:
        return "", []
    headers = []
    while True:
        h = f.readline(65537)
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    return line.decode("latin-1").rstrip("\r\n"), headers


def _header(headers, name, default=None):
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), default)


def _read_body(f, headers) -> bytes:
    if (_header(headers, "transfer-encoding") or "").lower() == "chunked":
        body = b""
        while True:
            size = int(f.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += f.read(size)
            f.readline()
    n = int(_header(headers, "content-length", "0"))
    return f.read(n) if n else b""


class Proxy:
    """The HTTPS CONNECT proxy in front of the emulator (see the module's docstring).

    Faults are rules, tried in order on "METHOD host/path?query" of each
    request (unescaped): {"match": regex, "kind": ..., "times": n (default: every time)}
    with kind one of
      status  answer `status` (503, 404, 403...) with a JSON error body
      drop    close the connection without an answer
      cut     send the headers and only the first half of the body, then close
      slow    wait `seconds`, then send the whole answer
      stall   send the headers and half the body, wait `seconds`, then close
    A plain (not CONNECT) request to the proxy is a control request:
    POST /faults (a JSON list of rules), POST /delay ({"seconds": s}),
    GET /log (the requests relayed so far), POST /log/clear.
    """

    def __init__(self, emulator_port: int, cert: Path, key: Path, delay: float):
        self.emulator_port = emulator_port
        self.delay = delay
        self.rules: list[dict] = []
        self.log: list[dict] = []
        self.upstream: queue.SimpleQueue = queue.SimpleQueue()  # Idle keep-alive connections to the emulator.
        self.lock = threading.Lock()
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(str(cert), str(key))
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                proxy.handle(self.connection, self.rfile)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, conn, rfile):
        line, headers = _read_head(rfile)
        if not line:
            return
        method, target, _ = (line.split(" ") + ["", ""])[:3]
        if method != "CONNECT":
            self.control(conn, method, target, _read_body(rfile, headers))
            return
        host = target.rsplit(":", 1)[0]
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            tls = self.tls.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with contextlib.closing(tls):
            f = tls.makefile("rb")
            # One request per connection: the answer says "Connection: close".
            line, headers = _read_head(f)
            if not line:
                return
            method, path, _ = (line.split(" ") + ["", ""])[:3]
            if (_header(headers, "expect") or "").lower() == "100-continue":
                tls.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = _read_body(f, headers)
            self.relay(tls, host, method, path, headers, body)

    def rule_for(self, request: str):
        with self.lock:
            for rule in self.rules:
                if rule.get("times", -1) != 0 and re.search(rule["match"], request):
                    if rule.get("times", -1) > 0:
                        rule["times"] -= 1
                    return dict(rule)
        return None

    def relay(self, tls, host, method, path, headers, body):
        request = f"{method} {host}{urllib.parse.unquote(path)}"  # Object names unescaped ("a/b", not "a%2Fb").
        rule = self.rule_for(request)
        entry = {"request": request, "range": _header(headers, "range"), "fault": rule and rule["kind"],
                 "start": time.time()}
        with self.lock:
            self.log.append(entry)
        try:
            entry["status"] = self.answer_or_fault(tls, method, path, headers, body, rule)
        finally:
            entry["end"] = time.time()

    def answer_or_fault(self, tls, method, path, headers, body, rule) -> int | None:
        """Relays one request (or a fault); returns the status sent, None if none was."""
        kind = rule and rule["kind"]
        if kind == "drop":
            tls.close()
            return None
        if kind == "status":
            status = int(rule.get("status", 503))
            payload = json.dumps({"error": {"code": status, "message": f"injected {status}"}}).encode()
            self.answer(tls, status, http.client.responses.get(status, "Error"),
                        [("Content-Type", "application/json")], payload)
            return status
        resp, data = self.forward(method, path, headers, body)
        out = []
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "transfer-encoding", "content-length", "keep-alive"):
                continue
            if k.lower() == "location":
                v = re.sub(r"^http://", "https://", v)  # The emulator answers as if it were plain HTTP.
            out.append((k, v))
        if self.delay:
            time.sleep(self.delay)
        if kind == "slow":
            time.sleep(float(rule.get("seconds", 1.0)))
        if kind in ("cut", "stall"):
            with contextlib.suppress(OSError):
                tls.sendall(self.head(resp.status, resp.reason, out, len(data)) + data[: len(data) // 2])
            if kind == "stall":
                time.sleep(float(rule.get("seconds", 5.0)))
            tls.close()
            return resp.status
        self.answer(tls, resp.status, resp.reason, out, data)
        return resp.status

    def forward(self, method, path, headers, body):
        """The emulator's answer (response, body), over an idle keep-alive connection if
        there is one (once more on a fresh one if that fails before answering)."""
        for attempt in range(2):
            try:
                upstream, reused = self.upstream.get_nowait(), True
            except queue.Empty:
                upstream, reused = http.client.HTTPConnection("127.0.0.1", self.emulator_port, timeout=60), False
            try:
                upstream.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for k, v in headers:
                    if k.lower() not in ("proxy-connection", "connection", "expect", "transfer-encoding",
                                         "content-length"):
                        upstream.putheader(k, v)
                upstream.putheader("Content-Length", str(len(body)))
                upstream.endheaders(body)
                resp = upstream.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                upstream.close()
                if reused and attempt == 0:
                    continue
                raise
            except BaseException:
                upstream.close()
                raise
            if resp.will_close:
                upstream.close()
            else:
                self.upstream.put(upstream)
            return resp, data

    @staticmethod
    def head(status, reason, headers, length) -> bytes:
        lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers]
        lines += [f"Content-Length: {length}", "Connection: close", "", ""]
        return "\r\n".join(lines).encode("latin-1")

    def answer(self, tls, status, reason, headers, data):
        with contextlib.suppress(OSError):
            tls.sendall(self.head(status, reason, headers, len(data)) + data)

    def control(self, conn, method, target, body):
        with self.lock:
            if method == "POST" and target == "/faults":
                self.rules = json.loads(body or b"[]")
                out = {"ok": True}
            elif method == "POST" and target == "/delay":
                self.delay = float(json.loads(body)["seconds"])
                out = {"ok": True}
            elif method == "GET" and target == "/log":
                out = {"log": self.log}
            elif method == "POST" and target == "/log/clear":
                self.log = []
                out = {"ok": True}
            else:
                out = {"error": f"unknown control request {method} {target}"}
        data = json.dumps(out).encode()
        conn.sendall(self.head(200 if "error" not in out else 404, "OK", [("Content-Type", "application/json")],
                               len(data)) + data)


def end_process(proc: subprocess.Popen, grace: float) -> None:
    """Closes the process's stdin (our processes exit then), waits up to `grace` s, then kills it."""
    if proc.poll() is None and grace > 0:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def emulator_main(bucket: str) -> None:
    """The emulator's process: prints its port as a JSON line and serves until stdin closes."""
    emulator, port = start_emulator(bucket)
    print(json.dumps({"port": port}), flush=True)
    sys.stdin.read()
    emulator.shutdown()


def serve(workdir: Path, bucket: str, delay: float) -> None:
    """The server: the proxy here and the emulator in a child process (each has a
    CPU's worth of interpreter lock to itself). Prints one JSON line (ports, CA)
    and serves until stdin closes."""
    workdir.mkdir(parents=True, exist_ok=True)
    ca, cert, key = make_certificates(workdir)
    emulator = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "emulator", "--bucket", bucket],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        emulator_port = json.loads(emulator.stdout.readline())["port"]
        proxy = Proxy(emulator_port, cert, key, delay)
        print(json.dumps({"emulator_port": emulator_port, "proxy_port": proxy.port, "ca": str(ca),
                          "bucket": bucket, "pids": [os.getpid(), emulator.pid]}), flush=True)
        sys.stdin.read()  # Until the parent closes our stdin (or goes away).
        proxy.server.shutdown()
    finally:
        end_process(emulator, 10)


# ---------------------------------------------------------------------------
# The client process: TensorFlow and tfnpy with the GCS environment.


def _send(stream, obj) -> None:
    data = pickle.dumps(obj)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _recv(stream):
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("the other side closed the pipe")
    (n,) = struct.unpack("<Q", head)
    return pickle.loads(stream.read(n))


def client_main() -> None:
    """Runs snippets sent on stdin; answers ("ok", result) or ("error", type, message) on stdout."""
    proto = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # Anything printed goes to stderr, never into the protocol.
    stdin = sys.stdin.buffer
    import numpy as np
    import tensorflow as tf

    import tfnpy

    while True:
        try:
            code, names = _recv(stdin)
        except EOFError:
            return
        scope = {"np": np, "tf": tf, "tfnpy": tfnpy, **names}
        try:
            exec(code, scope)  # noqa: S102 - test snippets from the test process
            _send(proto, ("ok", scope.get("result")))
        except Exception as e:  # noqa: BLE001 - reported to the test
            message = getattr(e, "message", None) or str(e)
            _send(proto, ("error", type(e).__name__, message, traceback.format_exc()))


# ---------------------------------------------------------------------------
# The test side.


class RemoteError(Exception):
    """An exception raised by a snippet in the client process: `.type` and `.message`."""

    def __init__(self, type_name: str, message: str, trace: str):
        super().__init__(f"{type_name}: {message}")
        self.type = type_name
        self.message = message
        self.trace = trace


class Client:
    """A TensorFlow process with the emulator's environment (see GcsEmulator.client)."""

    def __init__(self, env: dict, log_path: Path):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "client"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     env=env, cwd=str(HERE))

    def run(self, code: str, timeout: float = CALL_TIMEOUT, **names):
        """Runs `code` with np, tf, tfnpy and `names` defined; returns its `result`.
        Raises RemoteError for an exception there; kills the process past `timeout`."""
        _send(self.proc.stdin, (code, names))
        answer = []
        reader = threading.Thread(target=lambda: answer.append(_recv(self.proc.stdout)), daemon=True)
        reader.start()
        reader.join(timeout)
        if not answer:
            code = self.proc.poll()
            log = self.tail()
            self.close(kill=True)
            if code is not None:
                raise RuntimeError(f"the client process exited (code {code}); its log:\n{log}")
            raise TimeoutError(f"the client process did not answer within {timeout} s; its log:\n{log}")
        if answer[0][0] == "error":
            raise RemoteError(*answer[0][1:])
        return answer[0][1]

    def tail(self, n: int = 4000) -> str:
        self.log.flush()
        return self.log_path.read_bytes()[-n:].decode(errors="replace")

    def close(self, kill: bool = False) -> None:
        end_process(self.proc, 0 if kill else 30)
        self.log.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class GcsEmulator:
    """The server process (emulator + proxy), started and always stopped by the test side."""

    def __init__(self, workdir, delay: float = 0.0, bucket: str = BUCKET):
        if MISSING:
            raise RuntimeError(MISSING)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.bucket = bucket
        self.log_path = self.workdir / "server.log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve", str(self.workdir), "--delay", str(delay),
             "--bucket", bucket],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        line = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not line or not line[0]:
            self.stop()
            raise RuntimeError(f"the GCS emulator did not start; its log:\n{self.log_path.read_text()[-4000:]}")
        info = json.loads(line[0])
        self.emulator_port, self.proxy_port, self.ca = info["emulator_port"], info["proxy_port"], info["ca"]
        self.pids = info["pids"]

    def cpu_seconds(self) -> float:
        """CPU time the server's processes (proxy and emulator) have used so far (Linux)."""
        total = 0.0
        for pid in self.pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def url(self, name: str) -> str:
        return f"gs://{self.bucket}/{name}"

    def env(self, **extra) -> dict:
        """The environment of a TensorFlow process that reaches the emulator as gs://."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GCS_") and k.lower() not in (
            "http_proxy", "https_proxy", "all_proxy", "no_proxy")}
        env.update({
            "https_proxy": f"http://127.0.0.1:{self.proxy_port}",
            "CURL_CA_BUNDLE": self.ca,
            "GOOGLE_AUTH_TOKEN_FOR_TESTING": "emulator",  # Sent as the bearer token; no network call.
            "NO_GCE_CHECK": "true",  # Not on Compute Engine: do not ask its metadata server.
            "TF_CPP_MIN_LOG_LEVEL": "2",
        })
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def client(self, name: str = "client", **env) -> Client:
        """A TensorFlow + tfnpy process with env() and `env` (e.g. GCS_RETRY_CONFIG_MAX_RETRIES=0)."""
        return Client(self.env(**env), self.workdir / f"{name}.log")

    # The emulator's own JSON API, in plain HTTP, for setting up and checking.
    def _emulator(self, method: str, path: str, body: bytes = b"", timeout: float = 60):
        conn = http.client.HTTPConnection("127.0.0.1", self.emulator_port, timeout=timeout)
        try:
            conn.request(method, path, body=body)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def upload(self, name: str, data: bytes) -> None:
        q = urllib.parse.quote(name, safe="")
        status, out = self._emulator("POST", f"/upload/storage/v1/b/{self.bucket}/o?uploadType=media&name={q}", data)
        if status != 200:
            raise RuntimeError(f"upload of {name} failed: {status} {out[:200]!r}")

    def download(self, name: str) -> bytes | None:
        """The object's bytes, or None if there is no such object."""
        q = urllib.parse.quote(name, safe="")
        status, out = self._emulator("GET", f"/download/storage/v1/b/{self.bucket}/o/{q}?alt=media")
        return out if status == 200 else None

    def names(self, prefix: str = "") -> list[str]:
        """The names of the bucket's objects that start with `prefix`."""
        q = urllib.parse.quote(prefix, safe="")
        status, out = self._emulator("GET", f"/storage/v1/b/{self.bucket}/o?prefix={q}")
        if status != 200:
            raise RuntimeError(f"listing failed: {status} {out[:200]!r}")
        return sorted(item["name"] for item in json.loads(out).get("items", []))

    # The proxy's controls.
    def _control(self, method: str, path: str, obj=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=30)
        try:
            conn.request(method, path, body=json.dumps(obj).encode() if obj is not None else b"")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def faults(self, rules: list[dict]) -> None:
        """Replaces the fault rules (see Proxy); [] turns faults off."""
        self._control("POST", "/faults", rules)

    def set_delay(self, seconds: float) -> None:
        self._control("POST", "/delay", {"seconds": seconds})

    def requests(self) -> list[dict]:
        """The requests the proxy relayed since the last clear_requests()."""
        return self._control("GET", "/log")["log"]

    def clear_requests(self) -> None:
        self._control("POST", "/log/clear")

    def stop(self) -> None:
        end_process(self.proc, 10)
        self.log.close()

    def __enter__(self) -> "GcsEmulator":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        import argparse

        ap = argparse.ArgumentParser(prog="gcs_emulator.py serve")
        ap.add_argument("workdir", type=Path)
        ap.add_argument("--delay", type=float, default=0.0, help="seconds added to every response")
        ap.add_argument("--bucket", default=BUCKET)
        args = ap.parse_args(argv[1:])
        serve(args.workdir, args.bucket, args.delay)
    elif argv[:1] == ["emulator"]:
        emulator_main(argv[argv.index("--bucket") + 1] if "--bucket" in argv else BUCKET)
    elif argv[:1] == ["client"]:
        client_main()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
