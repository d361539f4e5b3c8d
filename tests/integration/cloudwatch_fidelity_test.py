"""CloudWatch and SNS answer as AWS answers (issue 14, themes 1 and 8): GetMetricData's
labels, Messages and MaxDatapoints paging, sent raw to a real `trailwatch
serve` in the JSON protocol (awsJson 1.0, as boto3 1.43 and the JS SDK
speak it) and the Query protocol (form in, XML out, as Debian's boto3 and
aws CLI speak it), signed with Debian's botocore.

AWS's recorded behaviour: `Messages: []` at the top level only, never
inside a MetricDataResults entry; without a Label, "<MetricName> <Stat>",
and "<MetricName> <Stat> <Period>" when the queries' periods differ;
MaxDatapoints bounds the datapoints of one answer over all queries, the
rest following with NextToken (the entry cut short says PartialData). SNS
(Query protocol): a topic reports SignatureVersion only once it is set, and
CreateTopic with FifoTopic=false on an existing standard topic succeeds.
DescribeAlarms shows TreatMissingData only for an alarm that set it
(theme 4), in both CloudWatch protocols.
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import harness

NAMESPACE = "Fidelity"
XMLNS = "{http://monitoring.amazonaws.com/doc/2010-08-01/}"


class CloudWatchFidelityTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.server = self.start_server()
        # 20 minutes of metric1, value i in minute i.
        self.start = (int(time.time()) // 60 - 40) * 60
        self.json_call("PutMetricData", {"Namespace": NAMESPACE, "MetricData": [
            {"MetricName": "metric1", "Timestamp": self.start + 60 * i + 5, "Value": float(i)}
            for i in range(20)]})

    def send(self, body, headers, service="monitoring"):
        url = self.server.endpoint + "/"
        request = AWSRequest("POST", url, data=body, headers=headers)
        SigV4Auth(Credentials(harness.ACCESS_KEY_ID, harness.SECRET_ACCESS_KEY), service,
                  harness.REGION).add_auth(request)
        sent = urllib.request.Request(url, data=body, method="POST", headers=dict(request.headers))
        try:
            with urllib.request.urlopen(sent, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def json_call(self, operation, payload):
        status, body = self.send(json.dumps(payload).encode(), {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"GraniteServiceVersion20100801.{operation}"})
        self.assertEqual(status, 200, body)
        return json.loads(body or b"{}")

    def query_call(self, params):
        status, body = self.send(urllib.parse.urlencode(params).encode(), {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        self.assertEqual(status, 200, body)
        return ET.fromstring(body)

    def queries(self, specs):
        """GetMetricData's queries: (id, stat, period, label or None)."""
        out = []
        for id_, stat, period, label in specs:
            q = {"Id": id_, "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": "metric1"},
                                           "Period": period, "Stat": stat}}
            if label:
                q["Label"] = label
            out.append(q)
        return out

    def test_json_labels_messages_and_paging(self):
        window = {"StartTime": self.start, "EndTime": self.start + 20 * 60}
        first = self.json_call("GetMetricData", dict(
            window, MetricDataQueries=self.queries([("m1", "Average", 60, None)]), MaxDatapoints=10,
            ScanBy="TimestampAscending"))
        self.assertEqual(first["Messages"], [])
        [result] = first["MetricDataResults"]
        self.assertEqual(set(result), {"Id", "Label", "Timestamps", "Values", "StatusCode"})
        self.assertEqual((result["Id"], result["Label"], result["StatusCode"]),
                         ("m1", "metric1 Average", "PartialData"))
        self.assertEqual(result["Values"], [float(i) for i in range(10)])
        self.assertEqual(result["Timestamps"], [self.start + 60 * i for i in range(10)])
        second = self.json_call("GetMetricData", dict(
            window, MetricDataQueries=self.queries([("m1", "Average", 60, None)]), MaxDatapoints=10,
            ScanBy="TimestampAscending", NextToken=first["NextToken"]))
        [rest] = second["MetricDataResults"]
        self.assertEqual((rest["StatusCode"], rest["Values"]),
                         ("Complete", [float(i) for i in range(10, 20)]))
        self.assertNotIn("NextToken", second)

        both = self.json_call("GetMetricData", dict(window, MetricDataQueries=self.queries(
            [("a", "Sum", 60, None), ("b", "Sum", 300, None), ("c", "Sum", 300, "mine")])))
        self.assertEqual([r["Label"] for r in both["MetricDataResults"]],
                         ["metric1 Sum 60", "metric1 Sum 300", "mine"])
        # Newest first by default; 5-minute sums of 0..19.
        self.assertEqual(both["MetricDataResults"][1]["Values"], [85.0, 60.0, 35.0, 10.0])
        self.assertNotIn("NextToken", both)

        status, body = self.send(json.dumps(dict(
            window, MetricDataQueries=self.queries([("m1", "Average", 60, None)]),
            NextToken="not-a-token")).encode(), {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricData"})
        self.assertEqual(status, 400, body)

    def test_query_protocol_labels_and_paging(self):
        def params(extra):
            p = {"Action": "GetMetricData", "Version": "2010-08-01",
                 "StartTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.start)),
                 "EndTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.start + 1200)),
                 "ScanBy": "TimestampAscending", "MaxDatapoints": "15",
                 "MetricDataQueries.member.1.Id": "m1",
                 "MetricDataQueries.member.1.MetricStat.Metric.Namespace": NAMESPACE,
                 "MetricDataQueries.member.1.MetricStat.Metric.MetricName": "metric1",
                 "MetricDataQueries.member.1.MetricStat.Period": "60",
                 "MetricDataQueries.member.1.MetricStat.Stat": "Maximum"}
            p.update(extra)
            return p

        root = self.query_call(params({}))
        result = root.find(f"{XMLNS}GetMetricDataResult")
        [member] = result.find(f"{XMLNS}MetricDataResults").findall(f"{XMLNS}member")
        self.assertEqual(member.find(f"{XMLNS}Label").text, "metric1 Maximum")
        self.assertEqual(member.find(f"{XMLNS}StatusCode").text, "PartialData")
        self.assertIsNone(member.find(f"{XMLNS}Messages"))
        self.assertEqual(len(member.find(f"{XMLNS}Values").findall(f"{XMLNS}member")), 15)
        token = result.find(f"{XMLNS}NextToken").text
        root = self.query_call(params({"NextToken": token}))
        result = root.find(f"{XMLNS}GetMetricDataResult")
        [member] = result.find(f"{XMLNS}MetricDataResults").findall(f"{XMLNS}member")
        self.assertEqual([float(v.text) for v in member.find(f"{XMLNS}Values").findall(f"{XMLNS}member")],
                         [15.0, 16.0, 17.0, 18.0, 19.0])
        self.assertEqual(member.find(f"{XMLNS}StatusCode").text, "Complete")
        self.assertIsNone(result.find(f"{XMLNS}NextToken"))

    def test_treat_missing_data_is_shown_only_when_set(self):
        alarm = {"MetricName": "metric1", "Namespace": NAMESPACE, "Statistic": "Maximum",
                 "Period": 60, "EvaluationPeriods": 1, "Threshold": 0.0,
                 "ComparisonOperator": "GreaterThanThreshold"}
        self.json_call("PutMetricAlarm", dict(alarm, AlarmName="unset"))
        self.json_call("PutMetricAlarm", dict(alarm, AlarmName="set", TreatMissingData="breaching"))
        described = {a["AlarmName"]: a for a in self.json_call("DescribeAlarms", {})["MetricAlarms"]}
        self.assertNotIn("TreatMissingData", described["unset"])
        self.assertEqual(described["set"]["TreatMissingData"], "breaching")
        root = self.query_call({"Action": "DescribeAlarms", "Version": "2010-08-01"})
        shown = {m.find(f"{XMLNS}AlarmName").text: m.find(f"{XMLNS}TreatMissingData")
                 for m in root.iter(f"{XMLNS}member") if m.find(f"{XMLNS}AlarmName") is not None}
        self.assertIsNone(shown["unset"])
        self.assertEqual(shown["set"].text, "breaching")

    def test_sns_topic_attributes(self):
        def sns(params):
            status, body = self.send(urllib.parse.urlencode(dict(params, Version="2010-03-31")).encode(),
                                     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                                     service="sns")
            return status, ET.fromstring(body)

        ns = "{http://sns.amazonaws.com/doc/2010-03-31/}"
        status, created = sns({"Action": "CreateTopic", "Name": "plain"})
        self.assertEqual(status, 200)
        arn = created.find(f"{ns}CreateTopicResult/{ns}TopicArn").text
        status, again = sns({"Action": "CreateTopic", "Name": "plain",
                             "Attributes.entry.1.key": "FifoTopic", "Attributes.entry.1.value": "false"})
        self.assertEqual(status, 200)
        self.assertEqual(again.find(f"{ns}CreateTopicResult/{ns}TopicArn").text, arn)

        def attributes():
            status, got = sns({"Action": "GetTopicAttributes", "TopicArn": arn})
            self.assertEqual(status, 200)
            return {e.find(f"{ns}key").text: e.find(f"{ns}value").text
                    for e in got.iter(f"{ns}entry")}

        self.assertNotIn("SignatureVersion", attributes())
        status, _ = sns({"Action": "SetTopicAttributes", "TopicArn": arn,
                         "AttributeName": "SignatureVersion", "AttributeValue": "2"})
        self.assertEqual(status, 200)
        self.assertEqual(attributes()["SignatureVersion"], "2")


if __name__ == "__main__":
    harness.main()
