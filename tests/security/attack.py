"""What the security tests share: the integration harness (a real
`trailwatch serve` on 127.0.0.1), a SigV4 signer for hand-made requests, raw
HTTP over sockets (so that requests no client library would send can be
sent), and the server's memory as the kernel reports it.

Standard library only. Every socket connects to 127.0.0.1, optionally from
another loopback source address (127.0.0.2...) to act as another client.
"""

import gzip
import hashlib
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import harness  # noqa: E402
from auth_test import amz_date, sign  # noqa: E402,F401  (the checked botocore-equivalent signer)

FORM = "application/x-www-form-urlencoded; charset=utf-8"


def peak_rss_mb(pid):
    """The process's peak resident set (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for pid {pid}")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def connect(port, source="127.0.0.1", timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def __repr__(self):
        return f"RawResponse({self.status}, {self.headers}, {self.body[:300]!r})"


# Bytes read past the end of a response, per socket (a second response may
# arrive in the same read as the first).
_leftover = {}


def read_response(s, timeout=15):
    """Reads one HTTP/1.1 response (Content-Length framed) off socket `s`;
    a "100 Continue" before it is skipped. None when the server closed the
    connection (or reset it) before any byte of it."""
    s.settimeout(timeout)
    data = _leftover.pop(id(s), b"")

    def more():
        try:
            return s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return b""

    while True:
        while b"\r\n\r\n" not in data:
            chunk = more()
            if not chunk:
                if not data:
                    return None
                raise AssertionError(f"connection closed inside a response head: {data!r}")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status != 100:
            break
        data = rest
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = more()
        if not chunk:
            break
        rest += chunk
    if len(rest) > length:
        _leftover[id(s)] = rest[length:]
    return RawResponse(status, headers, rest[:length])


def closed_by_peer(s, timeout=15):
    """True when the server closed `s` (EOF or reset) within `timeout`,
    reading and discarding whatever it sent before."""
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def request_bytes(method, path, headers, body=b""):
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def send_raw(port, data, source="127.0.0.1", timeout=15):
    """Sends `data` on a new connection and reads one response."""
    s = connect(port, source, timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_response(s, timeout)
    finally:
        s.close()


def signed(port, service, body, headers, key_id=None, secret=None, method="POST", path="/",
           extra_signed=(), when=None):
    """Headers (and the canonical request) of a request signed as botocore
    signs it; `headers` gets Host, X-Amz-Date and Authorization."""
    h = dict(headers)
    h["Host"] = f"127.0.0.1:{port}"
    sign(method, path, h, body, key_id or harness.ACCESS_KEY_ID, secret or harness.SECRET_ACCESS_KEY,
         harness.REGION, service, time.time() if when is None else when)
    return h


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def gzip_bytes(data):
    return gzip.compress(data, compresslevel=9)


def gzip_bomb(inflated_mb):
    """A gzip stream of zeros that inflates to `inflated_mb` MiB (about 1/1000 the size)."""
    zeros = b"\0" * (1 << 20)
    out = bytearray()
    compressor = __import__("zlib").compressobj(9, __import__("zlib").DEFLATED, 31)
    for _ in range(inflated_mb):
        out += compressor.compress(zeros)
    out += compressor.flush()
    return bytes(out)
