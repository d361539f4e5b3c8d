#!/usr/bin/python3
"""Durable PutLogEvents from outside: `trailwatch serve` with the CIS
template's metric filters, loaded by wrk over keep-alive connections.

One PutLogEvents request of 500 real CloudTrail records (aws_dataset, about
0.65 MB) is signed once with botocore's SigV4 and replayed by wrk, so the
client costs almost nothing and the server does all of its work: read and
verify the request, decode it, store the events, run every filter, persist
the metric minutes and commit durably before it answers.

For each connection count it reports events/s, the batch latency's p50 and
p99 (wrk's), and checks the server's own count (/metrics'
trailwatch_ingested_events_total) against what wrk saw answered, so a server
that answers without storing produces no number. At the end it reports the
bytes on disk per stored event.

  bench/put_log_events_load.py [--binary build/trailwatch] [--seconds 20]
                               [--connections 1,4]

Needs Debian's wrk and python3-botocore (python3-boto3 brings it).
"""

import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
SHARED = os.environ.get("TW_SHARED_DIR", os.path.join(SOURCE, "..", "shared"))
KEY_ID, SECRET = "AKIDBENCH", "bench/secret"
BATCH = 500
# The template's CloudTrailLogGroupName default: the group its filters watch.
GROUP = "CloudTrail/DefaultLogGroup"

WRK_SCRIPT = r"""
local f = assert(io.open("%(body)s", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
%(headers)s
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\n", summary.requests,
    summary.duration, summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, latency:percentile(50),
    latency:percentile(99), latency.max))
end
"""


def die(why):
    sys.exit("put_log_events_load: " + why)


def records():
    out = []
    for path in sorted(glob.glob(os.path.join(SHARED, "data/cloudtrail/aws_dataset/*.json"))):
        with open(path) as f:
            out += [json.dumps(r, separators=(",", ":")) for r in json.load(f)["Records"]]
    if len(out) < BATCH:
        die(f"need {BATCH} records under {SHARED}/data/cloudtrail/aws_dataset")
    return out[:BATCH]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed_request(url, body, target="Logs_20140328.PutLogEvents"):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    request = AWSRequest("POST", url, data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    SigV4Auth(Credentials(KEY_ID, SECRET), "logs", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def call(url, target, payload):
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url + "/", data=body, method="POST",
                                     headers=signed_request(url + "/", body, target))
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def ingested(url):
    with urllib.request.urlopen(url + "/metrics", timeout=30) as resp:
        text = resp.read().decode()
    return sum(int(float(v)) for v in
               re.findall(r'^trailwatch_ingested_events_total\{[^}]*\} (\S+)$', text, re.M))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(SOURCE, "build", "trailwatch"))
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", default="1,4")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        die("wrk is not installed (apt-get install wrk)")
    work = tempfile.mkdtemp(prefix="tw-load-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, TRAILWATCH_ACCESS_KEYS=f"{KEY_ID}:{SECRET}")
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen(
        [args.binary, "serve", "--data-dir", os.path.join(work, "data"), "--listen",
         f"127.0.0.1:{port}", "--template", os.path.join(SOURCE, "examples", "cis-benchmark.yaml")],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ingested(url)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    die("serve did not start; see " + log.name)
                time.sleep(0.05)
        with open(os.path.join(SOURCE, "examples", "cis-benchmark.yaml")) as f:
            template = f.read()
        group = GROUP
        filters = template.count("AWS::Logs::MetricFilter")
        for target, payload in (("CreateLogGroup", {"logGroupName": group}),
                                ("CreateLogStream", {"logGroupName": group,
                                                     "logStreamName": "load"})):
            try:
                call(url, "Logs_20140328." + target, payload)
            except urllib.error.HTTPError as e:
                if b"ResourceAlreadyExistsException" not in e.read():
                    die(f"{target}: HTTP {e.code}")
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": m} for m in records()]
        body = json.dumps({"logGroupName": group, "logStreamName": "load",
                           "logEvents": events}).encode()
        body_path = os.path.join(work, "body.json")
        with open(body_path, "wb") as f:
            f.write(body)
        headers = signed_request(url + "/", body)
        lua = WRK_SCRIPT % {
            "body": body_path,
            "headers": "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()
                                 if k.lower() not in ("content-length", "host"))}
        script = os.path.join(work, "put.lua")
        with open(script, "w") as f:
            f.write(lua)
        print(f"serve {args.binary}: {filters} metric filters on {group}; "
              f"{BATCH} events ({len(body) / 1e6:.2f} MB) per request; {args.seconds} s per run")
        total = 0
        for connections in [int(c) for c in args.connections.split(",")]:
            before = ingested(url)
            out = subprocess.run(
                ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{args.seconds}s",
                 "--timeout", "30s", "-s", script, url + "/"],
                capture_output=True, text=True, check=True).stdout
            m = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
            if not m:
                die("wrk printed no result:\n" + out)
            requests, micros, status_errors, socket_errors, p50, p99, worst = map(int, m.groups())
            if status_errors or socket_errors:
                die(f"{status_errors} non-2xx answers and {socket_errors} socket errors:\n{out}")
            time.sleep(0.5)  # requests wrk abandoned at its deadline finish
            stored = ingested(url) - before
            if not requests * BATCH <= stored <= (requests + connections) * BATCH:
                die(f"wrk saw {requests} answered requests but the server stored {stored} events")
            total += stored
            rate = requests * BATCH / (micros / 1e6)
            print(f"{connections} connection(s): {rate:,.0f} events/s ({requests} requests), "
                  f"batch latency p50 {p50 / 1000:.1f} ms, p99 {p99 / 1000:.1f} ms, "
                  f"max {worst / 1000:.1f} ms")
        server.send_signal(signal.SIGTERM)
        if server.wait(timeout=60) != 0:
            die("serve did not stop cleanly; see " + log.name)
        on_disk = sum(os.path.getsize(p) for p in glob.glob(os.path.join(work, "data", "trailwatch.db*")))
        print(f"on disk: {on_disk / 1e6:.1f} MB for {total} events: "
              f"{on_disk / total:.0f} bytes per event (raw {len(body) / BATCH:.0f})")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
