"""Shared by the datadir_* and secrets_* tests of issue 12: the real
`trailwatch` binary run as a user would run it (any environment, any umask,
no forced --access-key), the modes of a data directory, signed AWS calls
(botocore, Debian's python3-boto3) and the console's sign-in.

Not a test itself (no _test suffix): CTest runs only *_test.py."""

import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
import harness  # noqa: E402

BINARY = harness.BINARY
SOURCE_DIR = harness.SOURCE_DIR
REGION = harness.REGION

# boto3 in this process must see no key, config or profile of the machine.
for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@contextlib.contextmanager
def umask(mask):
    """Runs the block (and the processes it starts) under `mask`: 022 is a
    typical shell's, under which trailwatch used to make 0755/0644 files."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(root):
    """{path relative to root ("." for root): "0700"} of root and everything
    under it, symbolic links not followed."""
    out = {".": "%04o" % stat.S_IMODE(os.lstat(root).st_mode)}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            out[os.path.relpath(path, root)] = "%04o" % stat.S_IMODE(os.lstat(path).st_mode)
    return out


def run(args, env=None, timeout=120):
    """Runs `trailwatch args...`; returns the CompletedProcess (text)."""
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, stdin=subprocess.DEVNULL)


def strip_log_prefix(text):
    """The log without its "2024-03-01T12:00:00.000Z info  " prefixes."""
    return re.sub(r"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info |warn |error) ", "", text)


class Serve:
    """`trailwatch serve --data-dir DIR --listen 127.0.0.1:PORT ARGS...` with
    exactly the environment given (none of the harness's keys), its log in
    a file."""

    def __init__(self, workdir, data_dir, args=(), env=None):
        self.workdir = workdir
        self.data_dir = data_dir
        self.args = list(args)
        self.env = dict(os.environ if env is None else env)
        self.log_path = os.path.join(workdir, "serve-%d.log" % time.monotonic_ns())
        self.proc = None
        self.port = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def start(self, expect_ready=True):
        """Starts and waits until it listens (returns self) or exits (returns
        its exit status when expect_ready is False, else fails)."""
        self.port = harness.free_port()
        cmd = [BINARY, "serve", "--data-dir", self.data_dir, "--listen",
               "127.0.0.1:%d" % self.port, *self.args]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        ready = "listening on http://127.0.0.1:%d " % self.port
        harness.wait_until(lambda: ready in self.log() or self.proc.poll() is not None,
                           what="trailwatch serve to listen or exit")
        if self.proc.poll() is None:
            if not expect_ready:
                raise AssertionError("trailwatch serve started although it should refuse:\n" + self.log())
            return self
        rc = self.proc.wait()
        if expect_ready:
            raise AssertionError("trailwatch serve exited with status %d:\n%s" % (rc, self.log()))
        return rc

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def client(service, url, key_id, secret):
    """A boto3 client of `service` at `url`, signing with the key given."""
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id=key_id,
                        aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30))


def http(method, url, body=None, headers=None):
    """(status, headers, body text) of one request; errors included."""
    data = None if body is None else body.encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def console_get(base_url, key_id, secret, path):
    """Signs in to the console (POST /console/api/session from the server's
    own origin) and GETs /console/api/<path>: (status, body text)."""
    status, headers, body = http("POST", base_url + "/console/api/session",
                                 json.dumps({"accessKeyId": key_id, "secretAccessKey": secret}),
                                 {"Content-Type": "application/json", "Origin": base_url})
    if status != 200:
        raise AssertionError("console sign-in answered %d: %s" % (status, body))
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, body = http("GET", base_url + "/console/api/" + path, headers={"Cookie": cookie})
    return status, body
