"""What every integration test needs: a real `trailwatch serve` on 127.0.0.1,
the real peers it delivers to, and the real AWS clients that talk to it.

Standard library only, so that both interpreters the tests run under (Debian's
/usr/bin/python3 and the pyenv python3) can import it.

  Server        `trailwatch serve` on a free port of 127.0.0.1, with the test's
                access key; start(), stop() (SIGTERM, expects exit 0), kill()
                (SIGKILL), its log.
  SmtpSink      tests/support/net/smtp_sink.py (aiosmtpd, run by /usr/bin/python3).
  HttpReceiver  an http.server on 127.0.0.1 that records every request and
                answers what the test says.
  AwsCli        one `aws` executable (v1 or v2) with a clean environment.
  IntegrationTest  unittest base: a scratch directory, cleanups, and the
                logs of every process it started printed when the test fails.

Paths come from the environment CTest sets (TW_BINARY, TW_SOURCE_DIR,
TW_SHARED_DIR); without it they default to the source tree's build/.

With TW_TEST_STORE=postgresql every server and trailwatch command of the
script keeps its store in PostgreSQL (`--store`): one scratch cluster per
script (tests/support/net/scratch_postgres.sh, on 127.0.0.1), one database per
data directory, so a restarted server finds its state again.
"""

import email
import email.policy
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("TW_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
SHARED_DIR = os.environ.get("TW_SHARED_DIR", os.path.join(SOURCE_DIR, "..", "shared"))
BINARY = os.environ.get("TW_BINARY", os.path.join(SOURCE_DIR, "build", "trailwatch"))
SMTP_SINK = os.path.join(SOURCE_DIR, "tests", "support", "net", "smtp_sink.py")
SCRATCH_POSTGRES = os.path.join(SOURCE_DIR, "tests", "support", "net", "scratch_postgres.sh")
STORE_ENGINE = os.environ.get("TW_TEST_STORE", "sqlite")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with aiosmtpd and python3-boto3
DEBIAN_AWS = "/usr/bin/aws"         # Debian's awscli: v2 2.9.19

ACCESS_KEY_ID = "AKIATWINTEGRATION01"
SECRET_ACCESS_KEY = "tw/integration+Secret0123456789abcdefABCD"
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"

# Longest time any single step may take before a test gives up on it (not a
# speed assertion: the 2 s windows of the issue are asserted separately).
STEP_TIMEOUT = 30.0


def wait_until(predicate, timeout=STEP_TIMEOUT, interval=0.02, what="condition"):
    """Polls predicate() until it returns something truthy; returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iam_pattern():
    """The seed's 16-name CIS IAM policy-change pattern, from the seed template
    examples/iam-policy-change.yaml (its one home), so the tests cannot drift
    from what `dev.sh run` serves."""
    with open(os.path.join(SOURCE_DIR, "examples", "iam-policy-change.yaml")) as f:
        m = re.search(r"^\s*FilterPattern: '([^']+)'$", f.read(), re.M)
    if not m:
        raise AssertionError("examples/iam-policy-change.yaml no longer has a FilterPattern: '...' line")
    return m.group(1)


def cloudtrail_records(name):
    """The Records of one file of ../shared/data/cloudtrail."""
    with open(os.path.join(SHARED_DIR, "data", "cloudtrail", name)) as f:
        return json.load(f)["Records"]


DELETE_POLICY_FILE = "aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1220Z_ovtmbuX3ENJ119uH.json"


def delete_policy_event(now=None):
    """The real DeletePolicy record of the seed tutorial with eventTime set to
    `now` (epoch seconds, whole), compacted as CloudTrail → CloudWatch Logs
    delivers it. Returns (record, log event {"timestamp", "message"})."""
    now = int(time.time() if now is None else now)
    record = next(r for r in cloudtrail_records(DELETE_POLICY_FILE) if r["eventName"] == "DeletePolicy")
    record = dict(record)
    record["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    message = json.dumps(record, separators=(",", ":"))
    return record, {"timestamp": now * 1000, "message": message}


def http_get(url, timeout=10):
    """(status, headers, body bytes) of an unsigned GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class ScratchPostgres:
    """The script's PostgreSQL cluster, started on first use and stopped when
    the script exits."""

    _dir = None
    _url = None
    _databases = {}  # data directory -> its database's URL

    @classmethod
    def store_for(cls, data_dir):
        import atexit
        if cls._url is None:
            cls._dir = tempfile.mkdtemp(prefix="tw-it-pg-")
            cls._url = subprocess.run([SCRATCH_POSTGRES, "start", cls._dir], check=True,
                                      capture_output=True, text=True, timeout=60).stdout.strip()
            atexit.register(cls._stop)
        key = os.path.realpath(data_dir)
        if key not in cls._databases:
            name = f"tw{len(cls._databases) + 1}"
            subprocess.run([SCRATCH_POSTGRES, "createdb", cls._dir, name], check=True,
                           capture_output=True, timeout=60)
            cls._databases[key] = cls._url.rsplit("/", 1)[0] + "/" + name
        return cls._databases[key]

    @classmethod
    def stop_server(cls):
        """Stops the cluster (a fast shutdown: connections are cut)."""
        subprocess.run([SCRATCH_POSTGRES, "stop", cls._dir], check=True, capture_output=True, timeout=60)

    @classmethod
    def start_server(cls):
        """Starts the stopped cluster again on its port."""
        subprocess.run([SCRATCH_POSTGRES, "restart", cls._dir], check=True, capture_output=True, timeout=60)

    @classmethod
    def _stop(cls):
        subprocess.run([SCRATCH_POSTGRES, "stop", cls._dir], capture_output=True, timeout=60)
        shutil.rmtree(cls._dir, ignore_errors=True)


EVALUATES = "evaluates the alarms"  # serve's log, on a shared store


def evaluator_of(nodes):
    """The node (a started Server) whose log says it evaluates the alarms,
    once every other node says it stands by."""
    def decided():
        return (sum(f") {EVALUATES}" in n.log() for n in nodes) == 1 and
                sum("this one stands by" in n.log() for n in nodes) == len(nodes) - 1)
    wait_until(decided, what=f"one of {len(nodes)} nodes evaluating, the others standing by")
    [evaluator] = [n for n in nodes if f") {EVALUATES}" in n.log()]
    return evaluator


def store_args(data_dir):
    """`--store URL` when the tests run on PostgreSQL, else nothing."""
    if STORE_ENGINE != "postgresql":
        return []
    return ["--store", ScratchPostgres.store_for(data_dir)]


class Server:
    """`trailwatch serve` on 127.0.0.1. The port is chosen free before the
    start (and kept across restarts, as a user's would be): with --listen
    127.0.0.1:0 the public URL of the SNS links would not know the port."""

    def __init__(self, workdir, data_dir=None, args=(), smtp_port=None, port=None, store=None, name="serve"):
        """`store`: a postgresql:// URL to share with other servers (nodes);
        by default each data directory has its store (store_args). `name`
        names the log file, for several servers in one workdir."""
        self.workdir = workdir
        self.data_dir = data_dir or os.path.join(workdir, "data")
        self.args = list(args)
        self.smtp_port = smtp_port
        self.port = port
        self.store = store
        self.proc = None
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.starts = 0

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self, port):
        cmd = [BINARY, "serve", "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{port}",
               "--access-key", f"{ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}", "--region", REGION,
               "--account-id", ACCOUNT_ID] + self.store_args()
        if self.smtp_port:
            cmd += ["--smtp", f"smtp://127.0.0.1:{self.smtp_port}", "--smtp-from",
                    "alarms@trailwatch.test"]
        return cmd + self.args

    def store_args(self):
        return ["--store", self.store] if self.store else store_args(self.data_dir)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self):
        if not os.access(BINARY, os.X_OK):
            raise AssertionError(f"no trailwatch binary at {BINARY} (build it first)")
        for attempt in range(5):
            port = self.port or free_port()
            offset = len(self.log())
            with open(self.log_path, "a") as log:
                log.write(f"==== start {self.starts + 1}: {' '.join(self.command(port))}\n")
                log.flush()
                self.proc = subprocess.Popen(self.command(port), cwd=self.workdir, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT)
            ready = f"listening on http://127.0.0.1:{port} "

            def started():
                return ready in self.log()[offset:] or self.proc.poll() is not None

            wait_until(started, what=f"trailwatch serve to listen on port {port}")
            if self.proc.poll() is None:
                self.port = port
                self.starts += 1
                return self
            text = self.log()[offset:]
            if "address already in use" in text and not self.port:
                continue  # another process took the free port first: pick again
            raise AssertionError(f"trailwatch serve exited with status {self.proc.returncode}:\n{text}")
        raise AssertionError("no free port for trailwatch serve after 5 attempts")

    def stop(self):
        """SIGTERM and wait: serve must stop cleanly with status 0."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            # Docker's grace period before it sends SIGKILL.
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("trailwatch serve did not stop within 10 s of SIGTERM")
        if rc != 0:
            raise AssertionError(f"trailwatch serve exited with status {rc} on SIGTERM")
        return rc

    def kill(self):
        """SIGKILL: no chance to flush or finish anything."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def trailwatch(self, *args, check=True):
        """Runs another trailwatch command (e.g. `outbox list`) on this data directory."""
        r = subprocess.run([BINARY, *args, "--data-dir", self.data_dir, *self.store_args()],
                           cwd=self.workdir,
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"trailwatch {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, run by Debian's Python."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "mail")
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(workdir, "smtp_sink.log")
        self.proc = None
        self.port = None

    def start(self):
        if not os.access(SYSTEM_PYTHON, os.X_OK):
            raise AssertionError(f"{SYSTEM_PYTHON} (with python3-aiosmtpd) is needed for the SMTP sink")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([SYSTEM_PYTHON, SMTP_SINK, "--dir", self.dir], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"READY (\d+)$", line.strip())
        if not m:
            self.cleanup()
            raise AssertionError(f"smtp_sink.py did not start: {line!r}\n{self.log()}")
        self.port = int(m.group(1))
        return self

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def messages(self):
        """Every message received so far, in order: dicts with "message"
        (email.message.EmailMessage), "info" (the sink's JSON) and "arrived"
        (epoch seconds at which the sink had stored it)."""
        out = []
        n = 1
        while True:
            info_path = os.path.join(self.dir, f"{n}.json")
            if not os.path.exists(info_path):
                return out
            with open(os.path.join(self.dir, f"{n}.eml"), "rb") as f:
                message = email.message_from_bytes(f.read(), policy=email.policy.default)
            with open(info_path) as f:
                info = json.load(f)
            out.append({"message": message, "info": info, "arrived": os.stat(info_path).st_mtime})
            n += 1

    def wait_for(self, predicate, timeout=STEP_TIMEOUT, what="an e-mail"):
        return wait_until(lambda: next((m for m in self.messages() if predicate(m)), None),
                          timeout=timeout, what=what)

    def cleanup(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def mail_text(message):
    """The text/plain part of an e-mail, decoded."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n") if part is not None else ""


class Received:
    def __init__(self, method, path, headers, body):
        self.arrived = time.time()
        self.method = method
        self.path = path
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self):
        return json.loads(self.body)


class HttpReceiver:
    """An HTTP endpoint on 127.0.0.1 that records every request. `respond`
    (request -> status) decides the answer and may block; default 200."""

    def __init__(self, respond=None):
        self.requests = []
        self.respond = respond or (lambda request: 200)
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Received(self.command, self.path, self.headers, body)
                with receiver.lock:
                    receiver.requests.append(request)
                status = receiver.respond(request)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = do_PUT = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, predicate=lambda r: True):
        with self.lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(self, predicate, timeout=STEP_TIMEOUT, what="an HTTP request"):
        return wait_until(lambda: next(iter(self.received(predicate)), None), timeout=timeout, what=what)

    def cleanup(self):
        self.server.shutdown()
        self.server.server_close()


def sns_type(kind):
    """Predicate: a POST whose x-amz-sns-message-type is `kind`."""
    return lambda r: r.method == "POST" and r.headers.get("x-amz-sns-message-type") == kind


def client_environment(workdir):
    """A clean environment for AWS clients: the test's key and region, and no
    config or credentials file of the machine (empty files instead)."""
    config = os.path.join(workdir, "aws-config")
    credentials = os.path.join(workdir, "aws-credentials")
    for path in (config, credentials):
        open(path, "a").close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": config,
        "AWS_SHARED_CREDENTIALS_FILE": credentials,
        "AWS_PAGER": "",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def boto3_clients(workdir, endpoint, *services):
    """boto3 clients of this interpreter's boto3 for `services` ("cloudwatch",
    "sns", ...) against `endpoint`, with the test's key and no configuration
    of the machine, each request tried once."""
    import boto3
    import botocore.config
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update({k: v for k, v in client_environment(workdir).items() if k.startswith("AWS_")})
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                                    region_name=REGION)
    config = botocore.config.Config(retries={"max_attempts": 1})
    return [session.client(service, endpoint_url=endpoint, config=config) for service in services]


def signed_post(endpoint, service, body, headers):
    """(status, headers, body bytes) of a POST to `endpoint`/ signed with
    Debian's botocore SigV4 signer as `service`, sent as is: no SDK model
    stands between the request and the bytes compared."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = endpoint + "/"
    request = AWSRequest("POST", url, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), service, REGION).add_auth(request)
    sent = urllib.request.Request(url, data=body, method="POST", headers=dict(request.headers))
    try:
        with urllib.request.urlopen(sent, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def find_v1_cli():
    """The aws CLI v1 of the machine's pyenv Python: the first `aws` on PATH
    that is not Debian's, else pyenv's shim. None when there is none."""
    debian = os.path.realpath(DEBIAN_AWS) if os.path.exists(DEBIAN_AWS) else None
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(directory, "aws")
        if os.access(candidate, os.X_OK) and os.path.realpath(candidate) != debian:
            return candidate
    for candidate in (os.path.expanduser("~/.pyenv/shims/aws"), "/root/.pyenv/shims/aws"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def find_pyenv_python():
    """The machine's pyenv python3 (the one with boto3 1.43): the first
    python3 on PATH that is not Debian's, else pyenv's shim. None when there
    is none."""
    debian = os.path.realpath(SYSTEM_PYTHON) if os.path.exists(SYSTEM_PYTHON) else None
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(directory, "python3")
        if os.access(candidate, os.X_OK) and os.path.realpath(candidate) not in (debian, "/bin/python3"):
            return candidate
    for candidate in (os.path.expanduser("~/.pyenv/shims/python3"), "/root/.pyenv/shims/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def run_under(python):
    """Re-executes this script under `python` ("debian", "pyenv" or a path)
    unless it already runs there, so CTest can name the interpreter at run
    time. Fails clearly when that interpreter does not exist."""
    import sys
    if python == "debian":
        target = SYSTEM_PYTHON
    elif python == "pyenv":
        target = find_pyenv_python()
        if target is None:
            raise SystemExit("FAIL: no pyenv python3: neither a python3 on PATH other than "
                             f"{SYSTEM_PYTHON} nor ~/.pyenv/shims/python3")
    else:
        target = python
    if not os.access(target, os.X_OK):
        raise SystemExit(f"FAIL: no Python at {target}")
    if os.environ.get("TW_IT_REEXEC") == target:
        return
    os.environ["TW_IT_REEXEC"] = target
    os.execv(target, [target] + sys.argv)


class CliError(Exception):
    def __init__(self, returncode, stderr):
        super().__init__(f"aws exited {returncode}: {stderr}")
        self.returncode = returncode
        self.stderr = stderr


class AwsCli:
    """One `aws` executable pointed at the server."""

    def __init__(self, executable, endpoint, workdir):
        self.executable = executable
        self.endpoint = endpoint
        self.workdir = workdir
        self.env = client_environment(workdir)

    def version(self):
        r = subprocess.run([self.executable, "--version"], capture_output=True, text=True, env=self.env,
                           timeout=60)
        return (r.stdout + r.stderr).strip()

    def run(self, *args, debug=False):
        cmd = [self.executable, "--endpoint-url", self.endpoint, "--output", "json"]
        if debug:
            cmd.append("--debug")
        r = subprocess.run(cmd + list(args), capture_output=True, text=True, env=self.env, cwd=self.workdir,
                           timeout=120)
        return r

    def __call__(self, *args):
        """The parsed JSON output (None when the command prints nothing);
        CliError when the command fails."""
        r = self.run(*args)
        if r.returncode != 0:
            raise CliError(r.returncode, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else None

    def file_arg(self, name, value):
        """A file:// argument holding `value` as JSON (what the CLI reads for
        list and structure parameters)."""
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            json.dump(value, f)
        return "file://" + path


class IntegrationTest(unittest.TestCase):
    """A scratch directory per test, and on failure the logs of the servers
    and sinks the test started (kept on disk too)."""

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="tw-it-")
        self._logs = []
        # Registered first, so it runs last: after every process is stopped.
        self.addCleanup(self._finish)

    def _finish(self):
        # (Inside a cleanup _outcome.success describes the cleanup only.)
        result = self._outcome.result
        failed = any(test is self for test, _ in result.failures + result.errors)
        if failed:
            for name, read in self._logs:
                text = read()
                if len(text) > 20000:
                    text = "...\n" + text[-20000:]
                print(f"\n----- {name} -----\n{text}", flush=True)
            print(f"(scratch directory kept: {self.workdir})", flush=True)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start_server(self, **kwargs):
        server = Server(self.workdir, **kwargs)
        self.addCleanup(server.cleanup)
        self._logs.append((f"trailwatch {server.log_path} log", server.log))
        return server.start()

    def start_smtp(self):
        sink = SmtpSink(self.workdir)
        self.addCleanup(sink.cleanup)
        sink.start()
        self._logs.append(("smtp_sink log", sink.log))
        return sink

    def start_receiver(self, respond=None):
        receiver = HttpReceiver(respond)
        self.addCleanup(receiver.cleanup)
        return receiver


def main(argv_parser=None):
    """unittest.main, after `argv_parser` (an argparse parser) took the
    script's own options; returns them as harness.OPTIONS."""
    import sys
    global OPTIONS
    rest = sys.argv[1:]
    if argv_parser is not None:
        OPTIONS, rest = argv_parser.parse_known_args(rest)
    # Clients' pooled connections die with the servers the tests stop: not a
    # finding (unittest would otherwise show every one as a ResourceWarning).
    # (A -W option keeps unittest from resetting the filters to "default".)
    import warnings
    sys.warnoptions.append("ignore::ResourceWarning")
    warnings.simplefilter("default")
    warnings.simplefilter("ignore", ResourceWarning)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


OPTIONS = None
