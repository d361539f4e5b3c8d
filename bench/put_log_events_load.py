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

With --soak-events N it then keeps four connections sending until the store
holds N events, sampling serve's RSS every second, and restarts serve on
that data directory to read its RSS again (memory must stay flat in stored
data).

With --search-events N it fills the store to N events (as the soak does),
then searches the whole group with FilterLogEvents and a JSON pattern (the
CIS template's IAM policy pattern), following nextToken to the end, three
times, and reports the median pass, the calls it took and serve's RSS. It
then repeats the pass while one wrk connection keeps putting events, and
reports that connection's batch latency beside its latency alone: a search
must not hold up ingest.

With --store postgresql://... --nodes N it starts N serve nodes on that one
store (each with its own data directory and port) and loads them all at
once, each with the given connections to its own stream; events/s is the
sum over the nodes, and the store's count is checked against every node's.

  bench/put_log_events_load.py [--binary build/trailwatch] [--seconds 20]
                               [--connections 1,4] [--soak-events 10000000]
                               [--search-events 1000000]
                               [--store postgresql://... [--nodes 1,2,3]]

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


def rss_mb(pid, field="VmRSS"):
    """VmRSS, or RssAnon (the process's own memory: without the pages of
    the database file that reader connections map)."""
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M).group(1)) / 1024


SPREAD_SCRIPT = r"""
local requests = {}
for i = 1, %(count)d do
  local f = assert(io.open("%(dir)s/body-" .. i .. ".json", "rb"))
  local body = f:read("*a")
  f:close()
  local headers = {}
  for line in io.lines("%(dir)s/headers-" .. i .. ".txt") do
    local name, value = line:match("^([^:]+): (.*)$")
    headers[name] = value
  end
  requests[i] = wrk.format("POST", "/", headers, body)
end
local next_request = 0
request = function()
  next_request = next_request %% #requests + 1
  return requests[next_request]
end
"""


def spread_script(work, url, messages, bodies=288):
    """A wrk script cycling through `bodies` signed requests whose events are
    spread over the last 14 days (one request: 500 events over 500 s), so the
    metric store sees thousands of distinct minutes, as months of use would."""
    directory = os.path.join(work, "spread")
    os.makedirs(directory)
    now = int(time.time() * 1000)
    span = 13 * 24 * 3600 * 1000  # inside the 14 days PutLogEvents accepts
    for i in range(1, bodies + 1):
        start = now - span + (i - 1) * span // bodies
        events = [{"timestamp": start + 1000 * j, "message": m} for j, m in enumerate(messages)]
        body = json.dumps({"logGroupName": GROUP, "logStreamName": "load",
                           "logEvents": events}).encode()
        with open(os.path.join(directory, f"body-{i}.json"), "wb") as f:
            f.write(body)
        with open(os.path.join(directory, f"headers-{i}.txt"), "w") as f:
            # The signed Host: wrk.format does not know it when the script loads.
            f.write(f"Host: {url.split('//', 1)[1]}\n")
            for k, v in signed_request(url + "/", body).items():
                if k.lower() not in ("content-length", "host"):
                    f.write(f"{k}: {v}\n")
    script = os.path.join(work, "spread.lua")
    with open(script, "w") as f:
        f.write(SPREAD_SCRIPT % {"count": bodies, "dir": directory})
    return script


def soak(url, script, pid, events):
    """Four connections until `events` more are stored; RSS sampled each second."""
    start = ingested(url)
    wrk = subprocess.Popen(["wrk", "-t2", "-c4", "-d3600s", "--timeout", "30s", "-s", script,
                            url + "/"], stdout=subprocess.DEVNULL)
    samples = []
    began = time.monotonic()
    try:
        while True:
            time.sleep(1)
            stored = ingested(url) - start
            samples.append((stored, rss_mb(pid)))
            if len(samples) % 15 == 0:
                print(f"  soak: {start + stored:,} events stored, RSS {samples[-1][1]:.0f} MB",
                      flush=True)
            if stored >= events:
                break
            if wrk.poll() is not None:
                die("wrk stopped during the soak")
    finally:
        wrk.terminate()
        wrk.wait()
    elapsed = time.monotonic() - began
    print(f"soak: {start + samples[-1][0]:,} events stored ({samples[-1][0] / elapsed:,.0f}/s); "
          f"RSS max {max(r for _, r in samples):.0f} MB, at the end {samples[-1][1]:.0f} MB")


IAM_PATTERN = ("{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || "
               "($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || "
               "($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || "
               "($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || "
               "($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || "
               "($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || "
               "($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || "
               "($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}")


def search_pass(url, pid, streams=None):
    """One FilterLogEvents pass over the group (or those of its streams),
    nextToken to the end: (seconds, calls, matching events, RSS max and
    RssAnon max in MB)."""
    began = time.monotonic()
    token, calls, matches, rss, anon = None, 0, 0, rss_mb(pid), rss_mb(pid, "RssAnon")
    while True:
        payload = {"logGroupName": GROUP, "filterPattern": IAM_PATTERN}
        if streams:
            payload["logStreamNames"] = streams
        if token:
            payload["nextToken"] = token
        page = json.loads(call(url, "Logs_20140328.FilterLogEvents", payload))
        calls += 1
        matches += len(page["events"])
        rss, anon = max(rss, rss_mb(pid)), max(anon, rss_mb(pid, "RssAnon"))
        token = page.get("nextToken")
        if not token:
            return time.monotonic() - began, calls, matches, rss, anon


def run_wrk(script, url, connections, seconds):
    """(requests, micros, p50, p99, max) of one wrk run; dies on any error."""
    return wrk_result(subprocess.run(
        ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s",
         "--timeout", "30s", "-s", script, url + "/"],
        capture_output=True, text=True, check=True).stdout)


def wrk_result(out):
    m = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if not m:
        die("wrk printed no result:\n" + out)
    requests, micros, status_errors, socket_errors, p50, p99, worst = map(int, m.groups())
    if status_errors or socket_errors:
        die(f"{status_errors} non-2xx answers and {socket_errors} socket errors:\n{out}")
    return requests, micros, p50, p99, worst


def search(work, url, pid, seconds):
    stored = ingested(url)
    runs = [search_pass(url, pid) for _ in range(3)]
    took = sorted(r[0] for r in runs)[1]
    _, calls, matches, _, _ = runs[0]
    print(f"search: FilterLogEvents with the IAM pattern over {stored:,} events: median of 3 "
          f"passes {took:.2f} s ({stored / took:,.0f} events/s; first {runs[0][0]:.2f} s), "
          f"{calls} calls, {matches:,} matches; serve RSS max {max(r[3] for r in runs):.0f} MB, "
          f"of which its own memory (RssAnon) {max(r[4] for r in runs):.0f} MB and the rest "
          f"the mapped database file")
    # The ingesting connection writes to a stream of its own, which the
    # passes leave out, so that each pass searches the same events.
    create_stream(url, "beside")
    put_script = put_request_script(work, url, "beside")
    _, _, alone50, alone99, _ = run_wrk(put_script, url, 1, seconds)
    wrk = subprocess.Popen(
        ["wrk", "-t1", "-c1", f"-d{seconds}s", "--timeout", "30s", "-s", put_script, url + "/"],
        stdout=subprocess.PIPE, text=True)
    passes = []
    while wrk.poll() is None:
        passes.append(search_pass(url, pid, streams=["load"])[0])
    _, _, p50, p99, _ = wrk_result(wrk.stdout.read())
    print(f"search beside ingest: {len(passes)} passes (median {sorted(passes)[len(passes) // 2]:.2f} s); "
          f"one connection's batch latency p50 {p50 / 1000:.1f} ms, p99 {p99 / 1000:.1f} ms "
          f"(alone: p50 {alone50 / 1000:.1f} ms, p99 {alone99 / 1000:.1f} ms)")


def create_stream(url, stream):
    for target, payload in (("CreateLogGroup", {"logGroupName": GROUP}),
                            ("CreateLogStream", {"logGroupName": GROUP, "logStreamName": stream})):
        try:
            call(url, "Logs_20140328." + target, payload)
        except urllib.error.HTTPError as e:
            if b"ResourceAlreadyExistsException" not in e.read():
                die(f"{target}: HTTP {e.code}")


def put_request_script(work, url, stream):
    """A wrk script sending one signed PutLogEvents of the BATCH records to
    `stream`, over and over."""
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": m} for m in records()]
    body = json.dumps({"logGroupName": GROUP, "logStreamName": stream,
                       "logEvents": events}).encode()
    body_path = os.path.join(work, f"body-{stream}.json")
    with open(body_path, "wb") as f:
        f.write(body)
    headers = signed_request(url + "/", body)
    lua = WRK_SCRIPT % {
        "body": body_path,
        "headers": "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()
                             if k.lower() not in ("content-length", "host"))}
    script = os.path.join(work, f"put-{stream}.lua")
    with open(script, "w") as f:
        f.write(lua)
    return script


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(SOURCE, "build", "trailwatch"))
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", default="1,4")
    parser.add_argument("--soak-events", type=int, default=0)
    parser.add_argument("--search-events", type=int, default=0)
    parser.add_argument("--store", default="",
                        help="serve --store postgresql://...: the same load on a PostgreSQL store")
    parser.add_argument("--nodes", default="",
                        help="with --store: node counts to load at once, e.g. 1,2,3")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        die("wrk is not installed (apt-get install wrk)")
    if args.nodes:
        if not args.store:
            die("--nodes needs --store postgresql://... (nodes share a PostgreSQL store)")
        for count in [int(n) for n in args.nodes.split(",")]:
            load_nodes(args, count)
        return
    work = tempfile.mkdtemp(prefix="tw-load-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, TRAILWATCH_ACCESS_KEYS=f"{KEY_ID}:{SECRET}")
    log = open(os.path.join(work, "serve.log"), "a")

    def start():
        process = subprocess.Popen(
            [args.binary, "serve", "--data-dir", os.path.join(work, "data"), "--listen",
             f"127.0.0.1:{port}", "--template",
             os.path.join(SOURCE, "examples", "cis-benchmark.yaml")]
            + (["--store", args.store] if args.store else []),
            stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 600
        while True:
            try:
                ingested(url)
                return process
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    die("serve did not start; see " + log.name)
                time.sleep(0.05)

    server = start()
    try:
        with open(os.path.join(SOURCE, "examples", "cis-benchmark.yaml")) as f:
            template = f.read()
        filters = template.count("AWS::Logs::MetricFilter")
        create_stream(url, "load")
        script = put_request_script(work, url, "load")
        body_bytes = os.path.getsize(os.path.join(work, "body-load.json"))
        print(f"serve {args.binary}: {filters} metric filters on {GROUP}; "
              f"{BATCH} events ({body_bytes / 1e6:.2f} MB) per request; {args.seconds} s per run")
        total = 0
        for connections in [int(c) for c in args.connections.split(",")]:
            before = ingested(url)
            requests, micros, p50, p99, worst = run_wrk(script, url, connections, args.seconds)
            time.sleep(0.5)  # requests wrk abandoned at its deadline finish
            stored = ingested(url) - before
            if not requests * BATCH <= stored <= (requests + connections) * BATCH:
                die(f"wrk saw {requests} answered requests but the server stored {stored} events")
            total += stored
            rate = requests * BATCH / (micros / 1e6)
            print(f"{connections} connection(s): {rate:,.0f} events/s ({requests} requests), "
                  f"batch latency p50 {p50 / 1000:.1f} ms, p99 {p99 / 1000:.1f} ms, "
                  f"max {worst / 1000:.1f} ms")
        fill = max(args.soak_events, args.search_events)
        if fill > total:
            soak(url, spread_script(work, url, records()), server.pid, fill - total)
            total = ingested(url)
        if args.search_events:
            search(work, url, server.pid, args.seconds)
            total = ingested(url)
        server.send_signal(signal.SIGTERM)
        if server.wait(timeout=60) != 0:
            die("serve did not stop cleanly; see " + log.name)
        if args.soak_events:
            started = time.monotonic()
            server = start()
            print(f"restarted on that data directory in {time.monotonic() - started:.1f} s: "
                  f"RSS {rss_mb(server.pid):.0f} MB")
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        on_disk = sum(os.path.getsize(p) for p in glob.glob(os.path.join(work, "data", "trailwatch.db*")))
        print(f"on disk: {on_disk / 1e6:.1f} MB for {total} events: "
              f"{on_disk / total:.0f} bytes per event (raw {body_bytes / BATCH:.0f})")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


def load_nodes(args, count):
    """`count` serve nodes on args.store, loaded at once: one wrk per node,
    each with every connection count of args.connections in turn."""
    work = tempfile.mkdtemp(prefix="tw-nodes-")
    env = dict(os.environ, TRAILWATCH_ACCESS_KEYS=f"{KEY_ID}:{SECRET}")
    nodes = []
    try:
        for i in range(count):
            port = free_port()
            log = open(os.path.join(work, f"node-{i}.log"), "a")
            process = subprocess.Popen(
                [args.binary, "serve", "--data-dir", os.path.join(work, f"data-{i}"), "--listen",
                 f"127.0.0.1:{port}", "--store", args.store, "--template",
                 os.path.join(SOURCE, "examples", "cis-benchmark.yaml")],
                stdout=log, stderr=subprocess.STDOUT, env=env)
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    ingested(url)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        die(f"serve node {i} did not start; see {log.name}")
                    time.sleep(0.05)
            nodes.append((process, url))
        scripts = []
        for i, (_, url) in enumerate(nodes):
            create_stream(url, f"node-{i}")
            scripts.append(put_request_script(work, url, f"node-{i}"))
        for connections in [int(c) for c in args.connections.split(",")]:
            before = sum(ingested(url) for _, url in nodes)
            runs = [subprocess.Popen(
                ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{args.seconds}s",
                 "--timeout", "30s", "-s", script, url + "/"], stdout=subprocess.PIPE, text=True)
                for script, (_, url) in zip(scripts, nodes)]
            results = [wrk_result(run.communicate()[0]) for run in runs]
            time.sleep(0.5)
            stored = sum(ingested(url) for _, url in nodes) - before
            requests = sum(r[0] for r in results)
            if not requests * BATCH <= stored <= (requests + connections * count) * BATCH:
                die(f"wrk saw {requests} answered requests but the nodes stored {stored} events")
            seconds = max(r[1] for r in results) / 1e6
            print(f"{count} node(s) x {connections} connection(s): {requests * BATCH / seconds:,.0f} events/s "
                  f"({requests} requests), batch latency p50 {max(r[2] for r in results) / 1000:.1f} ms, "
                  f"p99 {max(r[3] for r in results) / 1000:.1f} ms (worst node)")
    finally:
        for process, _ in nodes:
            process.send_signal(signal.SIGTERM)
        for process, _ in nodes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
