#!/usr/bin/python3
"""Acceptance test: CloudWatch over Smithy RPC v2 CBOR, as the Java v2, Go v2
and Ruby SDKs speak it, against a real `trailwatch serve`.

No SDK of those languages can be installed here, so this file is the client:
an RFC 8949 CBOR encoder and decoder of its own (independent of trailwatch's
C++ codec), SigV4 signing by botocore's SigV4Auth (Debian python3-botocore),
and plain http.client. Requests go to
POST /service/GraniteServiceVersion20100801/operation/<Op> with
smithy-protocol: rpc-v2-cbor, Content-Type and Accept application/cbor, and
timestamps as tag 1 around a float64 of epoch seconds, as Java sends them.

Run: /usr/bin/python3 tests/integration/cbor_client_test.py [path/to/trailwatch]
(or TRAILWATCH_BIN=... / TW_BINARY=...). CTest passes the built binary.
"""

import http.client
import math
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDCBORACCEPTANCE"
SECRET_KEY = "cbor-acceptance-secret"
REGION = "us-east-1"
ACCOUNT = "123456789012"
SERVICE_PATH = "/service/GraniteServiceVersion20100801/operation/"
NAMESPACE = "Trailwatch/Cbor"


# --- CBOR (RFC 8949) ----------------------------------------------------------


class Tag:
    """A tagged data item; tag 1 is epoch-based date/time."""

    def __init__(self, tag, value):
        self.tag = tag
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Tag) and (self.tag, self.value) == (other.tag, other.value)

    def __repr__(self):
        return f"Tag({self.tag}, {self.value!r})"


def timestamp(epoch_seconds):
    """A Smithy timestamp as Java sends it: tag 1 around a float64."""
    return Tag(1, float(epoch_seconds))


def _head(major, argument):
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if argument < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, argument)
    raise ValueError("integer too large for CBOR")


def encode(value):
    """Definite-length CBOR; every float is a float64 (major 7, info 27)."""
    if value is False:
        return b"\xf4"
    if value is True:
        return b"\xf5"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        out = _head(5, len(value))
        for k, v in value.items():
            out += encode(k) + encode(v)
        return out
    if isinstance(value, Tag):
        return _head(6, value.tag) + encode(value.value)
    raise TypeError(f"cannot encode {type(value).__name__}")


class _Break:
    pass


class Decoder:
    """Decodes one CBOR data item. Records the float widths it met, so the
    test can check that doubles came back as float64."""

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.float_widths = set()
        self.indefinite = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError(f"truncated CBOR at byte {self.pos}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def argument(self, info):
        if info < 24:
            return info
        if info in (24, 25, 26, 27):
            size = 1 << (info - 24)
            return int.from_bytes(self.take(size), "big")
        if info == 31:
            return None  # indefinite length
        raise ValueError(f"reserved additional information {info}")

    def item(self, allow_break=False):
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            if info == 20:
                return False
            if info == 21:
                return True
            if info in (22, 23):
                return None
            if info == 25:
                self.float_widths.add(16)
                return struct.unpack(">e", self.take(2))[0]
            if info == 26:
                self.float_widths.add(32)
                return struct.unpack(">f", self.take(4))[0]
            if info == 27:
                self.float_widths.add(64)
                return struct.unpack(">d", self.take(8))[0]
            if info == 31 and allow_break:
                return _Break
            if info < 24:
                return ("simple", info)
            if info == 24:
                return ("simple", self.take(1)[0])
            raise ValueError(f"bad major 7 item {info}")
        n = self.argument(info)
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major in (2, 3):
            if n is None:
                self.indefinite += 1
                chunks = []
                while (chunk := self.item(allow_break=True)) is not _Break:
                    chunks.append(chunk.encode("utf-8") if major == 3 else chunk)
                raw = b"".join(chunks)
            else:
                raw = self.take(n)
            return raw if major == 2 else raw.decode("utf-8")
        if major == 4:
            if n is None:
                self.indefinite += 1
                out = []
                while (v := self.item(allow_break=True)) is not _Break:
                    out.append(v)
                return out
            return [self.item() for _ in range(n)]
        if major == 5:
            out = {}
            count = 0
            while n is None or count < n:
                k = self.item(allow_break=n is None)
                if k is _Break:
                    self.indefinite += 1
                    break
                out[k] = self.item()
                count += 1
            return out
        if major == 6:
            return Tag(n, self.item())
        raise AssertionError("unreachable")


def decode(data):
    d = Decoder(data)
    value = d.item()
    if d.pos != len(data):
        raise ValueError(f"{len(data) - d.pos} bytes after the CBOR item")
    return value, d


# --- the server and the client -----------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary):
        self.data_dir = tempfile.mkdtemp(prefix="trailwatch-cbor-")
        self.port = free_port()
        self.log = []
        self.proc = subprocess.Popen(
            [binary, "serve", "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}",
             "--access-key", f"{ACCESS_KEY}:{SECRET_KEY}", "--region", REGION,
             "--account-id", ACCOUNT],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ready = threading.Event()

        def pump():
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                if f"listening on http://127.0.0.1:{self.port}" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(10) or self.proc.poll() is not None:
            raise RuntimeError("trailwatch serve did not start:\n" + "\n".join(self.log))

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "no exit within 10 s"
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.raw = body
        self.body, self.decoder = decode(body) if body else (None, None)


class CborClient:
    """What a Smithy RPC v2 CBOR client sends, signed with SigV4."""

    def __init__(self, port, secret=SECRET_KEY):
        self.port = port
        self.credentials = Credentials(ACCESS_KEY, secret)
        self.signed_headers = []

    def call(self, operation, params=None, raw_body=None, path=None):
        body = raw_body if raw_body is not None else (b"" if params is None else encode(params))
        headers = {"smithy-protocol": "rpc-v2-cbor", "Accept": "application/cbor",
                   "x-amzn-query-mode": "true"}
        if body:
            headers["Content-Type"] = "application/cbor"  # omitted for an empty input
        url = f"http://127.0.0.1:{self.port}{path or SERVICE_PATH + operation}"
        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(self.credentials, "monitoring", REGION).add_auth(request)
        auth = request.headers["Authorization"]
        self.signed_headers.append(auth.split("SignedHeaders=")[1].split(",")[0])
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            send = dict(request.headers.items())
            send["Content-Length"] = str(len(body))
            connection.request("POST", url[url.index("/", len("http://")):], body=body,
                               headers=send)
            r = connection.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            connection.close()


server = None
client = None


def setUpModule():
    global server, client
    binary = (sys.argv[1] if len(sys.argv) > 1 else None) or os.environ.get("TRAILWATCH_BIN") \
        or os.environ.get("TW_BINARY")
    binary = binary or os.path.join(os.path.dirname(__file__), "../../build/trailwatch")
    server = Server(binary)
    client = CborClient(server.port)


def tearDownModule():
    code = server.stop()
    if code != 0:
        print("\n".join(server.log), file=sys.stderr)
    assert code == 0, f"trailwatch serve exited with {code} on SIGTERM"


# Timestamps: whole minutes two and three minutes ago, so that the data is
# complete and inside PutMetricData's window.
NOW = time.time()
M0 = (int(NOW) // 60 - 3) * 60
M1 = M0 + 60


class CborTest(unittest.TestCase):
    maxDiff = None

    def assertCborOk(self, r):
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers.get("smithy-protocol"), "rpc-v2-cbor")
        self.assertEqual(r.headers.get("content-type"), "application/cbor")
        self.assertTrue(r.headers.get("x-amzn-requestid"))
        self.assertTrue(r.headers.get("date"))
        self.assertNotIn("x-amzn-query-error", r.headers)
        self.assertIsInstance(r.body, dict)
        return r.body

    def assertCborError(self, r, status, query_code, shape, message=None):
        """`shape` is __type as sent; without '#', the namespace before it is free
        (a client strips "ns#")."""
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(r.headers.get("smithy-protocol"), "rpc-v2-cbor")
        self.assertEqual(r.headers.get("content-type"), "application/cbor")
        self.assertEqual(r.headers.get("x-amzn-query-error"), f"{query_code};Sender")
        self.assertIsInstance(r.body, dict)
        if message == "":  # AWS sends some errors without a message
            self.assertEqual(set(r.body), {"__type"})
            self.assertEqual(r.body["__type"].split("#")[-1], shape)
            return
        self.assertEqual(set(r.body), {"__type", "message"})
        if "#" in shape:
            self.assertEqual(r.body["__type"], shape)
        else:
            self.assertEqual(r.body["__type"].split("#")[-1], shape)
        self.assertIsInstance(r.body["message"], str)
        if message is not None:
            self.assertRegex(r.body["message"], message)

    def assertTimestamp(self, value, near=None, exactly=None):
        self.assertIsInstance(value, Tag)
        self.assertEqual(value.tag, 1)
        self.assertIsInstance(value.value, (int, float))
        self.assertNotIsInstance(value.value, bool)
        if near is not None:
            self.assertLess(abs(value.value - near), 60)
        if exactly is not None:
            self.assertEqual(value.value, exactly)

    # The steps run in name order.

    def test_01_put_metric_alarm(self):
        r = client.call("PutMetricAlarm", {
            "AlarmName": "cbor-latency",
            "AlarmDescription": "p99 too slow",
            "MetricName": "Latency",
            "Namespace": NAMESPACE,
            "Statistic": "Average",
            "Dimensions": [{"Name": "Service", "Value": "api"}],
            "Period": 60,
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "Threshold": 100.5,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "ignore",
            "Unit": "Milliseconds",
            "ActionsEnabled": True,
            "AlarmActions": [],
            "OKActions": [],
        })
        self.assertCborOk(r)
        self.assertEqual(r.body, {})
        # An alarm over a metric nobody writes, for SetAlarmState: with
        # "ignore" no evaluation changes its state.
        r = client.call("PutMetricAlarm", {
            "AlarmName": "cbor-manual", "MetricName": "Unused", "Namespace": NAMESPACE,
            "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "ignore"})
        self.assertCborOk(r)

    def test_02_put_metric_data(self):
        r = client.call("PutMetricData", {
            "Namespace": NAMESPACE,
            "MetricData": [
                {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "api"}],
                 "Timestamp": timestamp(M0 + 10.5), "Value": 150.0, "Unit": "Milliseconds"},
                {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "api"}],
                 "Timestamp": timestamp(M0 + 20.75), "Values": [90.0, 110.0, 130.0],
                 "Counts": [1.0, 2.0, 1.0], "Unit": "Milliseconds"},
                # Integer seconds inside tag 1 are legal CBOR timestamps too.
                {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "api"}],
                 "Timestamp": Tag(1, M0 + 30),
                 "StatisticValues": {"SampleCount": 4.0, "Sum": 400.0, "Minimum": 50.0,
                                     "Maximum": 150.0},
                 "Unit": "Milliseconds"},
                {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "api"}],
                 "Timestamp": timestamp(M1 + 5.001), "Value": 10.0, "Unit": "Milliseconds"},
            ],
        })
        self.assertCborOk(r)
        self.assertEqual(r.body, {})

    def test_03_describe_alarms(self):
        r = client.call("DescribeAlarms", {"AlarmNames": ["cbor-latency", "no-such-alarm"]})
        body = self.assertCborOk(r)
        self.assertEqual(body["CompositeAlarms"], [])
        self.assertEqual(len(body["MetricAlarms"]), 1)
        a = body["MetricAlarms"][0]
        self.assertEqual(a["AlarmName"], "cbor-latency")
        self.assertEqual(a["AlarmArn"], f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:cbor-latency")
        self.assertEqual(a["AlarmDescription"], "p99 too slow")
        self.assertEqual(a["Dimensions"], [{"Name": "Service", "Value": "api"}])
        self.assertEqual(a["Statistic"], "Average")
        self.assertEqual(a["Unit"], "Milliseconds")
        self.assertEqual(a["ComparisonOperator"], "GreaterThanThreshold")
        self.assertEqual(a["TreatMissingData"], "ignore")
        self.assertEqual(a["AlarmActions"], [])
        self.assertEqual(a["OKActions"], [])
        self.assertEqual(a["InsufficientDataActions"], [])
        self.assertIn(a["StateValue"], ("INSUFFICIENT_DATA", "ALARM", "OK"))
        # Types as the model says: integers, a double, a boolean.
        self.assertIs(a["ActionsEnabled"], True)
        for name, want in (("Period", 60), ("EvaluationPeriods", 3), ("DatapointsToAlarm", 2)):
            self.assertIs(type(a[name]), int, name)
            self.assertEqual(a[name], want)
        self.assertIs(type(a["Threshold"]), float)
        self.assertEqual(a["Threshold"], 100.5)
        self.assertIn(64, r.decoder.float_widths)
        for name in ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp"):
            self.assertTimestamp(a[name], near=time.time())

        # An empty input: no body and no Content-Type, as Smithy clients send it.
        r = client.call("DescribeAlarms")
        body = self.assertCborOk(r)
        self.assertEqual([x["AlarmName"] for x in body["MetricAlarms"]],
                         ["cbor-latency", "cbor-manual"])
        # What a Java/Go client signs.
        self.assertEqual(client.signed_headers[-1],
                         "accept;host;smithy-protocol;x-amz-date;x-amzn-query-mode")
        self.assertEqual(client.signed_headers[0],
                         "accept;content-type;host;smithy-protocol;x-amz-date;x-amzn-query-mode")

    def test_04_get_metric_statistics(self):
        r = client.call("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "Latency",
            "Dimensions": [{"Name": "Service", "Value": "api"}],
            "StartTime": timestamp(M0 - 60.0), "EndTime": Tag(1, M0 + 180), "Period": 60,
            "Statistics": ["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        })
        body = self.assertCborOk(r)
        self.assertEqual(body["Label"], "Latency")
        points = sorted(body["Datapoints"], key=lambda p: p["Timestamp"].value)
        self.assertEqual(len(points), 2, points)
        first, second = points
        self.assertTimestamp(first["Timestamp"], exactly=M0)
        self.assertTimestamp(second["Timestamp"], exactly=M1)
        # 150; 90, 110, 110, 130; the set of 4 (sum 400) -> 9 samples, sum 990.
        self.assertEqual(first["SampleCount"], 9.0)
        self.assertEqual(first["Sum"], 990.0)
        self.assertEqual(first["Minimum"], 50.0)
        self.assertEqual(first["Maximum"], 150.0)
        self.assertEqual(first["Average"], 110.0)
        self.assertEqual(first["Unit"], "Milliseconds")
        self.assertEqual([second[k] for k in ("SampleCount", "Sum", "Minimum", "Maximum")],
                         [1.0, 10.0, 10.0, 10.0])
        for p in points:
            for k in ("SampleCount", "Sum", "Minimum", "Maximum", "Average"):
                self.assertIs(type(p[k]), float, k)

        # Percentiles come back as a map.
        r = client.call("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "Latency",
            "Dimensions": [{"Name": "Service", "Value": "api"}],
            "StartTime": timestamp(M0), "EndTime": timestamp(M0 + 60.0), "Period": 60,
            "ExtendedStatistics": ["p50"],
        })
        body = self.assertCborOk(r)
        self.assertEqual(len(body["Datapoints"]), 1)
        p = body["Datapoints"][0]
        self.assertEqual(set(p["ExtendedStatistics"]), {"p50"})
        # The sketch holds 150, 90, 110, 110, 130 (a statistic set with
        # Minimum != Maximum feeds no percentile); 1% relative accuracy.
        self.assertLess(abs(p["ExtendedStatistics"]["p50"] - 110.0), 110.0 * 0.02)
        self.assertNotIn("Sum", p)

        # GetMetricData as AWS answers it: a generated label, Messages only
        # at the top level, and MaxDatapoints paging with NextToken.
        query = {"Id": "m1", "MetricStat": {"Metric": {
            "Namespace": NAMESPACE, "MetricName": "Latency",
            "Dimensions": [{"Name": "Service", "Value": "api"}]}, "Period": 60, "Stat": "Sum"}}
        window = {"StartTime": timestamp(M0), "EndTime": timestamp(M1 + 60.0),
                  "ScanBy": "TimestampAscending", "MaxDatapoints": 1}
        body = self.assertCborOk(client.call("GetMetricData", dict(window, MetricDataQueries=[query])))
        self.assertEqual(body["Messages"], [])
        [result] = body["MetricDataResults"]
        self.assertEqual(set(result), {"Id", "Label", "Timestamps", "Values", "StatusCode"})
        self.assertEqual((result["Label"], result["Values"], result["StatusCode"]),
                         ("Latency Sum", [990.0], "PartialData"))
        body = self.assertCborOk(client.call("GetMetricData", dict(
            window, MetricDataQueries=[query], NextToken=body["NextToken"])))
        [result] = body["MetricDataResults"]
        self.assertEqual((result["Values"], result["StatusCode"]), ([10.0], "Complete"))
        self.assertNotIn("NextToken", body)

    def test_05_set_alarm_state_and_history(self):
        r = client.call("SetAlarmState", {
            "AlarmName": "cbor-manual", "StateValue": "ALARM",
            "StateReason": "set by the CBOR acceptance test",
            "StateReasonData": '{"source":"cbor"}'})
        self.assertCborOk(r)
        self.assertEqual(r.body, {})
        r = client.call("DescribeAlarms", {"AlarmNamePrefix": "cbor-man", "StateValue": "ALARM"})
        body = self.assertCborOk(r)
        self.assertEqual(len(body["MetricAlarms"]), 1)
        a = body["MetricAlarms"][0]
        self.assertEqual(a["StateValue"], "ALARM")
        self.assertEqual(a["StateReason"], "set by the CBOR acceptance test")
        self.assertEqual(a["StateReasonData"], '{"source":"cbor"}')
        r = client.call("SetAlarmState", {"AlarmName": "cbor-manual", "StateValue": "OK",
                                          "StateReason": "back to normal"})
        self.assertCborOk(r)

        r = client.call("DescribeAlarmHistory", {"AlarmName": "cbor-manual",
                                                 "HistoryItemType": "StateUpdate",
                                                 "ScanBy": "TimestampAscending"})
        body = self.assertCborOk(r)
        items = body["AlarmHistoryItems"]
        self.assertEqual([i["HistorySummary"] for i in items],
                         ["Alarm updated from INSUFFICIENT_DATA to ALARM",
                          "Alarm updated from ALARM to OK"])
        for i in items:
            self.assertEqual(i["AlarmName"], "cbor-manual")
            self.assertEqual(i["AlarmType"], "MetricAlarm")
            self.assertEqual(i["HistoryItemType"], "StateUpdate")
            self.assertTimestamp(i["Timestamp"], near=time.time())
            self.assertIsInstance(i["HistoryData"], str)
        self.assertLessEqual(items[0]["Timestamp"].value, items[1]["Timestamp"].value)

        r = client.call("DescribeAlarmHistory", {"AlarmName": "cbor-manual", "MaxRecords": 1})
        body = self.assertCborOk(r)
        self.assertEqual(len(body["AlarmHistoryItems"]), 1)
        self.assertEqual(body["AlarmHistoryItems"][0]["HistorySummary"],
                         "Alarm updated from ALARM to OK")  # newest first by default
        self.assertIsInstance(body["NextToken"], str)
        r = client.call("DescribeAlarmHistory", {"AlarmName": "cbor-manual",
                                                 "HistoryItemType": "ConfigurationUpdate",
                                                 "StartDate": timestamp(NOW - 3600),
                                                 "EndDate": timestamp(time.time() + 60)})
        body = self.assertCborOk(r)
        self.assertEqual([i["HistorySummary"] for i in body["AlarmHistoryItems"]],
                         ['Alarm "cbor-manual" created'])

    def test_06_errors(self):
        r = client.call("SetAlarmState", {"AlarmName": "NoSuchAlarm", "StateValue": "OK",
                                          "StateReason": "x"})
        self.assertCborError(r, 404, "ResourceNotFound", "ResourceNotFound", "")

        r = client.call("PutMetricData", {"Namespace": NAMESPACE, "MetricData": [
            {"MetricName": "Latency", "Value": math.nan, "Timestamp": timestamp(NOW)}]})
        self.assertCborError(r, 400, "InvalidParameterValue", "InvalidParameterValueException",
                             r"The value NaN for parameter MetricData\.member\.1\.Value is invalid")

        r = client.call("GetMetricStatistics", {
            "MetricName": "Latency", "StartTime": timestamp(M0), "EndTime": timestamp(M1),
            "Period": 60, "Statistics": ["Sum"]})
        self.assertCborError(r, 400, "MissingParameter", "MissingRequiredParameterException",
                             "Namespace")

        r = client.call("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "Latency", "StartTime": timestamp(M1),
            "EndTime": timestamp(M0), "Period": 60, "Statistics": ["Sum"]})
        self.assertCborError(r, 400, "InvalidParameterValue", "InvalidParameterValueException",
                             "StartTime")

        r = client.call("PutMetricAlarm", {
            "AlarmName": "bad-period", "MetricName": "M", "Namespace": NAMESPACE,
            "Statistic": "Sum", "Period": 45, "EvaluationPeriods": 1, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanThreshold"})
        self.assertCborError(r, 400, "ValidationError", "com.amazon.coral.validate#ValidationException",
                             "Period")

        r = client.call("DescribeAlarmHistory", {"MaxRecords": 0})
        self.assertCborError(r, 400, "ValidationError", "com.amazon.coral.validate#ValidationException",
                             "maxRecords")

        r = client.call("NoSuchOperation", {})
        self.assertCborError(r, 400, "InvalidAction", "UnknownOperationException",
                             "NoSuchOperation")

        # The smithy-protocol header routes to CBOR whatever the path.
        r = client.call("DescribeAlarms", {}, path="/")
        self.assertCborError(r, 400, "InvalidAction", "UnknownOperationException")

        r = client.call("DescribeAlarms", raw_body=b"\xa1\x6aAlarmNames")  # truncated map
        self.assertCborError(r, 400, "MalformedInput", "SerializationException")

        bad = CborClient(server.port, secret="not-the-secret")
        r = bad.call("DescribeAlarms", {})
        self.assertCborError(r, 403, "SignatureDoesNotMatch", "SignatureDoesNotMatch",
                             "signature")

    def test_07_codec_round_trip(self):
        # The client's own codec, checked against RFC 8949 Appendix A vectors
        # so that a failure above is not the test's own encoder.
        vectors = [(0, "00"), (23, "17"), (24, "1818"), (1000000, "1a000f4240"), (-1000, "3903e7"),
                   (1.1, "fb3ff199999999999a"), ("IETF", "6449455446"),
                   ([1, [2, 3]], "8201820203"), ({"a": 1}, "a1616101"),
                   (Tag(1, 1363896240.5), "c1fb41d452d9ec200000")]
        for value, hex_text in vectors:
            self.assertEqual(encode(value).hex(), hex_text, value)
            self.assertEqual(decode(bytes.fromhex(hex_text))[0], value)
        self.assertEqual(decode(bytes.fromhex("f93c00"))[0], 1.0)
        self.assertEqual(decode(bytes.fromhex("9f018202039f0405ffff"))[0], [1, [2, 3], [4, 5]])
        self.assertEqual(decode(bytes.fromhex("bf6346756ef563416d7421ff"))[0],
                         {"Fun": True, "Amt": -2})
        self.assertEqual(decode(bytes.fromhex("7f657374726561646d696e67ff"))[0], "streaming")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
