#!/usr/bin/python3
"""Takeover after a SIGKILL: how long the alarms go unevaluated when the
evaluating node of a shared PostgreSQL store dies.

Each round starts node A, waits until it holds the evaluator's lease, starts
node B (which stands by), then SIGKILLs A and at once puts a breaching
sample of a high-resolution alarm (Period 10) through B. It reports, from
the kill:
  - lease: until B's log says it evaluates the alarms (the 10 s lease runs
    out; B tries every second);
  - alarm: until B's DescribeAlarms shows the alarm in ALARM (the lease,
    then the next 10-second boundary; polled every 50 ms).
A minute alarm would wait for its minute boundary instead of the next
10-second one; the evaluator catches up on every boundary it missed.

  bench/takeover.py --store postgresql://USER@127.0.0.1:PORT/DB
                    [--binary build/trailwatch] [--rounds 5]

A scratch server: `tests/support/net/scratch_postgres.sh start DIR` prints
its URL. Needs Debian's python3-boto3.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

KEY_ID, SECRET = "AKIDBENCH", "bench/secret"
EVALUATES = "evaluates the alarms"


def die(why):
    sys.exit("takeover: " + why)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            die(f"timed out waiting for {what}")
        time.sleep(0.02)


class Node:
    def __init__(self, binary, store, work, name):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(work, f"{name}.log")
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [binary, "serve", "--data-dir", os.path.join(work, name), "--listen", f"127.0.0.1:{self.port}",
             "--store", store, "--access-key", f"{KEY_ID}:{SECRET}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: "listening on" in self.log() or self.process.poll() is not None, f"{name} to listen")
        if self.process.poll() is not None:
            die(f"{name} exited; see {self.log_path}")

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


def cloudwatch(url):
    import boto3
    import botocore.config
    return boto3.session.Session(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
                                 region_name="us-east-1").client(
        "cloudwatch", endpoint_url=url, config=botocore.config.Config(retries={"max_attempts": 1}))


def round_trip(args, work, round_number):
    a = Node(args.binary, args.store, work, f"a{round_number}")
    b = None
    try:
        wait_for(lambda: f") {EVALUATES}" in a.log(), "node A to evaluate")
        b = Node(args.binary, args.store, work, f"b{round_number}")
        wait_for(lambda: "this one stands by" in b.log(), "node B to stand by")
        client = cloudwatch(b.url)
        alarm = f"Takeover{round_number}"
        client.put_metric_alarm(AlarmName=alarm, Namespace="Bench", MetricName="Latency", Statistic="Maximum",
                                Period=10, EvaluationPeriods=1, Threshold=1.0,
                                ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore")
        time.sleep(1)  # B has read the alarm and stands by
        a.stop(signal.SIGKILL)
        killed = time.monotonic()
        client.put_metric_data(Namespace="Bench", MetricData=[
            {"MetricName": "Latency", "Value": 5.0, "StorageResolution": 1, "Timestamp": time.time()}])
        lease = alarm_at = None
        while alarm_at is None:
            now = time.monotonic()
            if now - killed > 60:
                die(f"no ALARM 60 s after the kill; see {b.log_path}")
            if lease is None and f") {EVALUATES}" in b.log():
                lease = now - killed
            [state] = client.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
            if state["StateValue"] == "ALARM":
                alarm_at = now - killed
            time.sleep(0.05)
        if lease is None:
            lease = alarm_at
        return lease, alarm_at
    finally:
        for node in (b, a):
            if node is not None:
                node.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", required=True)
    parser.add_argument("--binary", default="build/trailwatch")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="tw-takeover-")
    leases, alarms = [], []
    try:
        for n in range(args.rounds):
            lease, alarm = round_trip(args, work, n)
            print(f"round {n + 1}: lease taken {lease:.1f} s, alarm in ALARM {alarm:.1f} s after the kill",
                  flush=True)
            leases.append(lease)
            alarms.append(alarm)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for what, values in (("lease taken", leases), ("alarm in ALARM", alarms)):
        print(f"{what}: min {min(values):.1f} s, median {statistics.median(values):.1f} s, "
              f"max {max(values):.1f} s over {len(values)} rounds")


if __name__ == "__main__":
    main()
