"""serve's GET /metrics scraped by Debian's real Prometheus (/usr/bin/prometheus,
on 127.0.0.1 with a 1 s scrape interval and its own scratch TSDB): real traffic
through boto3 (a metric filter, events that match it and events that do not,
an alarm that goes to ALARM at once with --early-alarm, an unsigned request
naming an operation that does not exist), then the series read back through
Prometheus's HTTP API, each asserted to its exact value.

The values are read only from a scrape that began after the traffic was
answered (the `up` sample's timestamp says when), so every count is complete.
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import harness

try:
    import boto3
    import botocore.config
except ImportError as e:  # a clear failure: python3-boto3 is a test package
    boto3 = None
    IMPORT_ERROR = f"{e}; install python3-boto3"

PROMETHEUS = "/usr/bin/prometheus"
GROUP = "app/audit"
FILTER = "PolicyDeletes"
ALARM = "PolicyDeleted"


class Prometheus:
    """Prometheus scraping one target every second, on a free port of 127.0.0.1."""

    def __init__(self, workdir, target):
        self.workdir = workdir
        self.port = harness.free_port()
        self.config = os.path.join(workdir, "prometheus.yml")
        self.log_path = os.path.join(workdir, "prometheus.log")
        with open(self.config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: trailwatch\n"
                    f"    static_configs:\n      - targets: ['{target}']\n")
        self.proc = None

    def start(self):
        if not os.access(PROMETHEUS, os.X_OK):
            raise AssertionError(f"no {PROMETHEUS}: install the prometheus package (scripts/dev.sh)")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={self.config}",
                 f"--storage.tsdb.path={os.path.join(self.workdir, 'tsdb')}",
                 f"--web.listen-address=127.0.0.1:{self.port}"],
                cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited with status {self.proc.returncode}:\n{self.log()}")
            try:
                status, _, _ = harness.http_get(f"http://127.0.0.1:{self.port}/-/ready", timeout=2)
            except urllib.error.URLError:
                return False  # not listening yet
            return status == 200

        harness.wait_until(ready, interval=0.2, what="prometheus to be ready")
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def query(self, promql):
        """The instant vector of `promql`: [(labels, value as float, timestamp)]."""
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as r:
            answer = json.load(r)
        if answer["status"] != "success":
            raise AssertionError(f"query {promql!r}: {answer}")
        return [(s["metric"], float(s["value"][1]), float(s["value"][0])) for s in answer["data"]["result"]]

    def value(self, promql):
        """The one sample of `promql`, which must have exactly one series."""
        result = self.query(promql)
        if len(result) != 1:
            raise AssertionError(f"{promql}: expected one series, got {result}")
        return result[0][1]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class PrometheusTest(harness.IntegrationTest):
    def start_prometheus(self, target):
        prometheus = Prometheus(self.workdir, target)
        self.addCleanup(prometheus.stop)
        self._logs.append(("prometheus log", prometheus.log))
        return prometheus.start()

    def test_prometheus_scrapes_exact_counts(self):
        if boto3 is None:
            self.fail(IMPORT_ERROR)
        server = self.start_server(args=["--early-alarm"])
        prometheus = self.start_prometheus(f"127.0.0.1:{server.port}")

        session = boto3.session.Session(aws_access_key_id=harness.ACCESS_KEY_ID,
                                        aws_secret_access_key=harness.SECRET_ACCESS_KEY,
                                        region_name=harness.REGION)
        config = botocore.config.Config(retries={"max_attempts": 1})
        logs = session.client("logs", endpoint_url=server.endpoint, config=config)
        cloudwatch = session.client("cloudwatch", endpoint_url=server.endpoint, config=config)
        logs.create_log_group(logGroupName=GROUP)
        logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
        logs.put_metric_filter(
            logGroupName=GROUP, filterName=FILTER, filterPattern="{ $.eventName = DeletePolicy }",
            metricTransformations=[{"metricName": "PolicyDeletes", "metricNamespace": "Audit",
                                    "metricValue": "1"}])
        cloudwatch.put_metric_alarm(
            AlarmName=ALARM, Namespace="Audit", MetricName="PolicyDeletes", Statistic="Sum",
            Period=60, EvaluationPeriods=1, Threshold=0,
            ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")

        names = ["DeletePolicy", "GetUser", "DeletePolicy", "ListRoles", "DeletePolicy", "PutRolePolicy",
                 "DeletePolicy"]
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": json.dumps({"eventName": n, "requestID": str(i)})}
                  for i, n in enumerate(names)]
        put = logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=events)
        self.assertNotIn("rejectedLogEventsInfo", put)
        # An unsigned request naming an operation nobody serves: refused, and
        # counted without its name becoming a label value.
        request = urllib.request.Request(
            server.endpoint + "/", data=b"{}", method="POST",
            headers={"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": "Logs_20140328.InventedOperationXYZ"})
        try:
            urllib.request.urlopen(request, timeout=10)
            self.fail("an unsigned request was accepted")
        except urllib.error.HTTPError as e:
            refused_status = e.code
        answered = time.time()

        def scraped_after_traffic():
            # (An instant query's own timestamp is the evaluation time;
            # timestamp() gives the sample's, the scrape's start.)
            last = prometheus.query('timestamp(up{job="trailwatch"})')
            return last and last[0][1] > answered
        harness.wait_until(scraped_after_traffic, interval=0.25,
                           what="a scrape that began after the traffic")
        self.assertEqual(prometheus.value('up{job="trailwatch"}'), 1)

        matching = names.count("DeletePolicy")
        self.assertEqual(prometheus.value(
            f'trailwatch_metric_filter_matches_total{{log_group="{GROUP}",filter="{FILTER}"}}'), matching)
        self.assertEqual(prometheus.value(f'trailwatch_ingested_events_total{{log_group="{GROUP}"}}'),
                         len(names))
        self.assertEqual(prometheus.value(f'trailwatch_ingested_bytes_total{{log_group="{GROUP}"}}'),
                         sum(len(e["message"].encode()) for e in events))
        self.assertEqual(prometheus.value(
            'trailwatch_api_requests_total{service="logs",operation="PutLogEvents",status="200"}'), 1)
        self.assertEqual(prometheus.value(
            'trailwatch_api_requests_total{service="logs",operation="PutMetricFilter",status="200"}'), 1)
        self.assertEqual(prometheus.value(
            f'trailwatch_api_requests_total{{service="logs",operation="unknown",status="{refused_status}"}}'), 1)
        self.assertEqual(prometheus.query(
            'trailwatch_api_requests_total{operation=~".*Invented.*"}'), [])
        self.assertEqual(prometheus.value("trailwatch_put_log_events_duration_seconds_count"), 1)
        self.assertEqual(prometheus.value(f'trailwatch_alarm_state{{alarm="{ALARM}",state="ALARM"}}'), 1)
        self.assertEqual(prometheus.value(f'trailwatch_alarm_state{{alarm="{ALARM}",state="OK"}}'), 0)
        self.assertEqual(prometheus.value(
            f'trailwatch_alarm_transitions_total{{alarm="{ALARM}",from="INSUFFICIENT_DATA",to="ALARM"}}'), 1)
        self.assertGreater(prometheus.value("trailwatch_store_bytes"), 0)
        server.stop()


if __name__ == "__main__":
    harness.main()
