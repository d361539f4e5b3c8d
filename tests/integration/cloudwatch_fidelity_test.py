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
(theme 4), in both CloudWatch protocols. Units are kept apart (theme 2):
GetMetricStatistics without a Unit gives one datapoint per unit;
GetMetricData keeps the first unit by name and names them all in a
MultipleUnits message, as recorded from AWS. The 1,440-datapoint limit
counts the range as given (theme 1).
High-resolution data (StorageResolution 1) keeps its second and a
10-second alarm goes to ALARM on it (theme 3).
"""

import json
import time
import urllib.parse
import xml.etree.ElementTree as ET

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
        status, self.last_headers, raw = harness.signed_post(self.server.endpoint, service, body, headers)
        return status, raw

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

    def put_two_units(self):
        """metric2: Count samples in minutes 0-2, Seconds samples in minutes 1-2."""
        self.json_call("PutMetricData", {"Namespace": NAMESPACE, "MetricData": [
            {"MetricName": "metric2", "Timestamp": self.start + 60 * i + 5, "Value": 1.0, "Unit": "Count"}
            for i in range(3)] + [
            {"MetricName": "metric2", "Timestamp": self.start + 60 * i + 7, "Value": 100.0, "Unit": "Seconds"}
            for i in (1, 2)]})

    def test_units_are_kept_apart_json(self):
        self.put_two_units()
        got = self.json_call("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "metric2", "StartTime": self.start,
            "EndTime": self.start + 180, "Period": 180, "Statistics": ["Sum", "SampleCount"]})
        self.assertEqual(sorted((p["Unit"], p["Sum"], p["SampleCount"]) for p in got["Datapoints"]),
                         [("Count", 3.0, 3.0), ("Seconds", 200.0, 2.0)])
        self.assertEqual({p["Timestamp"] for p in got["Datapoints"]}, {self.start})
        only = self.json_call("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "metric2", "StartTime": self.start,
            "EndTime": self.start + 180, "Period": 180, "Statistics": ["Sum"], "Unit": "Seconds"})
        self.assertEqual([(p["Unit"], p["Sum"]) for p in only["Datapoints"]], [("Seconds", 200.0)])

        def metric_data(unit=None):
            stat = {"Metric": {"Namespace": NAMESPACE, "MetricName": "metric2"}, "Period": 60, "Stat": "Sum"}
            if unit:
                stat["Unit"] = unit
            return self.json_call("GetMetricData", {
                "StartTime": self.start, "EndTime": self.start + 180, "ScanBy": "TimestampAscending",
                "MetricDataQueries": [{"Id": "m", "MetricStat": stat}]})

        # Count is first by name: kept, and every unit named.
        [result] = metric_data()["MetricDataResults"]
        self.assertEqual(result["Values"], [1.0, 1.0, 1.0])
        self.assertEqual(result["Messages"], [
            {"Code": "MultipleUnits", "Value": "Multiple units returned: '[Count, Seconds]'"}])
        [seconds] = metric_data("Seconds")["MetricDataResults"]
        self.assertEqual(seconds["Values"], [100.0, 100.0])
        self.assertNotIn("Messages", seconds)

    def test_multiple_units_as_recorded_from_aws(self):
        """AWS's recorded case: 60000 Milliseconds and 60 Seconds, twice, in one
        minute: Sum [120000.0]; with 5 Count added, [5.0]: the first unit by name,
        not the one with the most data."""
        minute = self.start + 30 * 60

        def put(unit, value):
            self.json_call("PutMetricData", {"Namespace": NAMESPACE, "MetricData": [
                {"MetricName": "m-test", "Timestamp": minute + 10, "Value": value, "Unit": unit}]})

        def sums():
            answer = self.json_call("GetMetricData", {
                "StartTime": minute, "EndTime": minute + 60, "MetricDataQueries": [{"Id": "m1", "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": "m-test"}, "Period": 60, "Stat": "Sum"}}]})
            self.assertEqual(answer["Messages"], [])
            [result] = answer["MetricDataResults"]
            return result["Values"], result["Messages"]

        for _ in range(2):
            put("Milliseconds", 60000.0)
            put("Seconds", 60.0)
        self.assertEqual(sums(), ([120000.0], [
            {"Code": "MultipleUnits", "Value": "Multiple units returned: '[Milliseconds, Seconds]'"}]))
        put("Count", 5.0)
        self.assertEqual(sums(), ([5.0], [
            {"Code": "MultipleUnits", "Value": "Multiple units returned: '[Count, Milliseconds, Seconds]'"}]))

    def test_units_are_kept_apart_query(self):
        self.put_two_units()
        root = self.query_call({
            "Action": "GetMetricStatistics", "Version": "2010-08-01", "Namespace": NAMESPACE,
            "MetricName": "metric2", "StartTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.start)),
            "EndTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.start + 180)),
            "Period": "180", "Statistics.member.1": "Maximum"})
        members = root.find(f"{XMLNS}GetMetricStatisticsResult").find(f"{XMLNS}Datapoints").findall(f"{XMLNS}member")
        self.assertEqual(sorted((m.find(f"{XMLNS}Unit").text, float(m.find(f"{XMLNS}Maximum").text))
                                for m in members), [("Count", 1.0), ("Seconds", 100.0)])

    def test_a_whole_day_at_one_minute_is_within_the_limit(self):
        # A day that does not start on a minute is still 1,440 datapoints.
        start = self.start - 86400 + 30.5
        got = self.json_call("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "metric1", "StartTime": start, "EndTime": start + 86400,
            "Period": 60, "Statistics": ["Sum"]})
        # Only the first minute of metric1 (value 0) falls inside.
        self.assertEqual([(p["Timestamp"], p["Sum"]) for p in got["Datapoints"]], [(self.start, 0.0)])
        status, body = self.send(json.dumps({
            "Namespace": NAMESPACE, "MetricName": "metric1", "StartTime": start,
            "EndTime": start + 86401, "Period": 60, "Statistics": ["Sum"]}).encode(), {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricStatistics"})
        self.assertEqual(status, 400, body)
        self.assertEqual(json.loads(body)["message"],
                         "You have requested up to 1441 datapoints, which exceeds the limit of 1,440. You may "
                         "reduce the datapoints requested by increasing Period, or decreasing the time range.")

    def test_high_resolution_alarm_json(self):
        # AWS's recorded case: Period 10, threshold 21, a 21.5 datapoint put
        # with StorageResolution 1 -> ALARM within the next evaluations.
        now = time.time()
        self.json_call("PutMetricAlarm", {
            "AlarmName": "fast", "Namespace": NAMESPACE, "MetricName": "latency", "Statistic": "Maximum",
            "Period": 10, "EvaluationPeriods": 1, "Threshold": 21, "ComparisonOperator": "GreaterThanThreshold"})
        # AWS's recorded breaching-actions case: no data, N = 2, missing data
        # breaching -> ALARM listing the 2 buckets it evaluated, by timestamp.
        self.json_call("PutMetricAlarm", {
            "AlarmName": "breaching", "Namespace": NAMESPACE, "MetricName": "silent", "Statistic": "Average",
            "Unit": "Seconds", "Period": 10, "EvaluationPeriods": 2, "Threshold": 2,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "breaching"})
        self.json_call("PutMetricData", {"Namespace": NAMESPACE, "MetricData": [
            {"MetricName": "latency", "Timestamp": now, "Value": 21.5, "StorageResolution": 1}]})
        bucket = int(now) // 10 * 10
        got = self.json_call("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "latency", "StartTime": bucket - 60, "EndTime": bucket + 60,
            "Period": 10, "Statistics": ["Maximum"]})
        self.assertEqual([(p["Timestamp"], p["Maximum"]) for p in got["Datapoints"]], [(bucket, 21.5)])

        def state():
            [alarm] = self.json_call("DescribeAlarms", {"AlarmNames": ["fast"]})["MetricAlarms"]
            return alarm if alarm["StateValue"] == "ALARM" else None
        alarm = harness.wait_until(state, timeout=25, what="the 10-second alarm in ALARM")
        self.assertRegex(alarm["StateReason"],
                         r"^Threshold Crossed: 1 datapoint \[21\.5 \(\d\d/\d\d/\d\d \d\d:\d\d:\d0\)\] was "
                         r"greater than the threshold \(21\.0\)\.$")
        [breaching] = self.json_call("DescribeAlarms", {"AlarmNames": ["breaching"]})["MetricAlarms"]
        self.assertEqual((breaching["StateValue"], breaching["StateReason"]), (
            "ALARM", "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints "
                     "were treated as [Breaching]."))
        data = json.loads(breaching["StateReasonData"])
        self.assertEqual(list(data), ["version", "queryDate", "unit", "statistic", "period", "recentDatapoints",
                                      "threshold", "evaluatedDatapoints"])
        self.assertEqual((data["unit"], data["statistic"], data["period"], data["recentDatapoints"],
                          data["threshold"]), ("Seconds", "Average", 10, [], 2.0))
        self.assertEqual([list(p) for p in data["evaluatedDatapoints"]], [["timestamp"], ["timestamp"]])

        status, body = self.send(json.dumps({"Namespace": NAMESPACE, "MetricData": [
            {"MetricName": "latency", "Value": 1, "StorageResolution": 5}]}).encode(), {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"})
        self.assertEqual(status, 400, body)
        self.assertEqual(json.loads(body)["message"],
                         "The value 5 for parameter MetricData.member.1.StorageResolution is invalid. "
                         "Valid values are 1 and 60.")

    def test_json_errors_as_aws_sends_them(self):
        def refused(operation, payload):
            status, body = self.send(json.dumps(payload).encode(), {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": f"GraniteServiceVersion20100801.{operation}"})
            return status, self.last_headers.get("x-amzn-query-error"), json.loads(body)

        # The request validator: botocore reports Code ValidationError (the
        # header) and QueryErrorCode ValidationException (the __type).
        status, header, body = refused("PutMetricAlarm", {
            "AlarmName": "bad", "Namespace": NAMESPACE, "MetricName": "m", "Statistic": "Sum",
            "Period": 45, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"})
        self.assertEqual((status, header, body["__type"]),
                         (400, "ValidationError;Sender", "com.amazon.coral.validate#ValidationException"))
        # A modelled error keeps its shape.
        status, header, body = refused("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "m", "StartTime": self.start, "EndTime": self.start,
            "Period": 60, "Statistics": ["Sum"]})
        self.assertEqual((status, header, body["__type"]),
                         (400, "InvalidParameterValue;Sender", "InvalidParameterValueException"))
        status, header, body = refused("NoSuchOperation", {})
        self.assertEqual((status, header, body["__type"]),
                         (400, "InvalidAction;Sender", "UnknownOperationException"))

    def test_put_metric_data_combinations_as_recorded_from_aws(self):
        """Value with Values, or with StatisticValues: refused in AWS's words;
        Values and Counts of different sizes: refused; Values with
        StatisticValues: accepted (the Values are kept). JSON and Query."""
        stats = {"SampleCount": 10, "Sum": 55, "Minimum": 1, "Maximum": 10}
        cases = [
            ({"Value": 1.5, "Values": [1.0, 10.0]}, "InvalidParameterCombination",
             "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually "
             "exclusive and you have specified both."),
            ({"Values": [1.0, 10.0], "Counts": [2, 4, 5]}, "InvalidParameterValue",
             "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size."),
            ({"Value": 1.5, "StatisticValues": stats}, "InvalidParameterCombination",
             "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually "
             "exclusive and you have specified both."),
        ]
        for datum, code, message in cases:
            payload = {"Namespace": NAMESPACE, "MetricData": [dict(datum, MetricName="combo", Unit="Count")]}
            status, body = self.send(json.dumps(payload).encode(), {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"})
            body = json.loads(body)
            self.assertEqual((status, body["__type"].split("#")[-1], body["message"]),
                             (400, code + "Exception", message))
            params = {"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": NAMESPACE,
                      "MetricData.member.1.MetricName": "combo", "MetricData.member.1.Unit": "Count"}
            for key, value in datum.items():
                if isinstance(value, list):
                    for k, v in enumerate(value, 1):
                        params[f"MetricData.member.1.{key}.member.{k}"] = str(v)
                elif isinstance(value, dict):
                    for k, v in value.items():
                        params[f"MetricData.member.1.{key}.{k}"] = str(v)
                else:
                    params[f"MetricData.member.1.{key}"] = str(value)
            status, raw = self.send(urllib.parse.urlencode(params).encode(), {
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            error = ET.fromstring(raw).find(f"{XMLNS}Error")
            self.assertEqual((status, error.find(f"{XMLNS}Code").text, error.find(f"{XMLNS}Message").text),
                             (400, code, message))

        minute = self.start + 35 * 60
        self.json_call("PutMetricData", {"Namespace": NAMESPACE, "MetricData": [
            {"MetricName": "combo", "Unit": "Count", "Timestamp": minute + 5, "Values": [1.0, 10.0],
             "Counts": [2, 4], "StatisticValues": stats}]})
        got = self.json_call("GetMetricStatistics", {
            "Namespace": NAMESPACE, "MetricName": "combo", "StartTime": minute, "EndTime": minute + 60,
            "Period": 60, "Statistics": ["Maximum", "SampleCount", "Sum"]})
        self.assertEqual([(p["Maximum"], p["SampleCount"], p["Sum"], p["Unit"]) for p in got["Datapoints"]],
                         [(10.0, 6.0, 42.0, "Count")])

    def test_describe_alarms_answers_all_three_lists(self):
        """CompositeAlarms: [] as recorded from AWS, and LogAlarms: [] as today's
        SDK models read it; AlarmTypes LogAlarm is accepted and finds none."""
        self.json_call("PutMetricAlarm", {
            "AlarmName": "lists", "Namespace": NAMESPACE, "MetricName": "m", "Statistic": "Sum",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"})
        got = self.json_call("DescribeAlarms", {"AlarmNames": ["lists"]})
        self.assertEqual((list(got), [a["AlarmName"] for a in got["MetricAlarms"]], got["CompositeAlarms"],
                          got["LogAlarms"]), (["CompositeAlarms", "MetricAlarms", "LogAlarms"], ["lists"], [], []))
        got = self.json_call("DescribeAlarms", {"AlarmTypes": ["LogAlarm"]})
        self.assertEqual(got, {"CompositeAlarms": [], "MetricAlarms": [], "LogAlarms": []})
        root = self.query_call({"Action": "DescribeAlarms", "Version": "2010-08-01", "AlarmNames.member.1": "lists"})
        result = root.find(f"{XMLNS}DescribeAlarmsResult")
        self.assertEqual([child.tag.replace(XMLNS, "") for child in result],
                         ["CompositeAlarms", "MetricAlarms", "LogAlarms"])
        self.assertEqual(len(result.find(f"{XMLNS}LogAlarms")), 0)

    def test_set_alarm_state_of_a_missing_alarm_has_no_message(self):
        """AWS's recorded answer: ResourceNotFound, 404, and no Message at all."""
        status, raw = self.send(urllib.parse.urlencode({
            "Action": "SetAlarmState", "Version": "2010-08-01", "AlarmName": "nonexistent",
            "StateValue": "OK", "StateReason": "test"}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        error = ET.fromstring(raw).find(f"{XMLNS}Error")
        self.assertEqual((status, [child.tag.replace(XMLNS, "") for child in error]),
                         (404, ["Type", "Code"]))
        self.assertEqual(error.find(f"{XMLNS}Code").text, "ResourceNotFound")
        status, raw = self.send(json.dumps({"AlarmName": "nonexistent", "StateValue": "OK",
                                            "StateReason": "test"}).encode(), {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "GraniteServiceVersion20100801.SetAlarmState"})
        self.assertEqual((status, json.loads(raw)), (404, {"__type": "ResourceNotFound"}))

    def test_alarm_tags_json(self):
        arn = f"arn:aws:cloudwatch:{harness.REGION}:{harness.ACCOUNT_ID}:alarm:tagged"
        self.json_call("PutMetricAlarm", {
            "AlarmName": "tagged", "Namespace": NAMESPACE, "MetricName": "metric1", "Statistic": "Sum",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
            "Tags": [{"Key": "team", "Value": "sec"}]})
        self.json_call("TagResource", {"ResourceARN": arn, "Tags": [{"Key": "env", "Value": "prod"}]})
        self.assertEqual(self.json_call("ListTagsForResource", {"ResourceARN": arn}),
                         {"Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "sec"}]})
        self.assertEqual(self.json_call("UntagResource", {"ResourceARN": arn, "TagKeys": ["team"]}), {})
        self.assertEqual(self.json_call("ListTagsForResource", {"ResourceARN": arn}),
                         {"Tags": [{"Key": "env", "Value": "prod"}]})
        status, body = self.send(json.dumps({"ResourceARN": arn + "x"}).encode(), {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "GraniteServiceVersion20100801.ListTagsForResource"})
        self.assertEqual(status, 404, body)
        self.assertEqual(json.loads(body)["message"], f"The resource {arn}x does not exist.")

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

    def test_sns_error_texts(self):
        ns = "{http://sns.amazonaws.com/doc/2010-03-31/}"

        def refused(params):
            status, body = self.send(urllib.parse.urlencode(dict(params, Version="2010-03-31")).encode(),
                                     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                                     service="sns")
            error = ET.fromstring(body).find(f"{ns}Error")
            return status, error.find(f"{ns}Code").text, error.find(f"{ns}Message").text

        self.assertEqual(refused({"Action": "GetTopicAttributes", "TopicArn": "alerts"}), (
            400, "InvalidParameter", "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"))
        self.assertEqual(refused({"Action": "Publish", "TopicArn": "arn:aws:sns:us-east-1", "Message": "m"}), (
            400, "InvalidParameter", "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 4"))
        self.assertEqual(refused({"Action": "Unsubscribe", "SubscriptionArn": "arn:aws:sns"}), (
            400, "InvalidParameter",
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 3"))
        self.assertEqual(refused({"Action": "CreateTopic", "Name": "no spaces"}),
                         (400, "InvalidParameter", "Invalid parameter: Topic Name"))
        missing = f"arn:aws:sns:{harness.REGION}:{harness.ACCOUNT_ID}:missing"
        self.assertEqual(refused({"Action": "GetTopicAttributes", "TopicArn": missing}),
                         (404, "NotFound", "Topic does not exist"))
        # Subjects and confirmation tokens, as recorded from AWS.
        root = ET.fromstring(self.send(urllib.parse.urlencode({
            "Action": "CreateTopic", "Version": "2010-03-31", "Name": "texts"}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, service="sns")[1])
        topic = root.find(f"{ns}CreateTopicResult").find(f"{ns}TopicArn").text
        for subject in ("", "s" * 101, "two\nlines"):
            self.assertEqual(refused({"Action": "Publish", "TopicArn": topic, "Message": "m", "Subject": subject}),
                             (400, "InvalidParameter", "Invalid parameter: Subject"))
        self.assertEqual(refused({"Action": "ConfirmSubscription", "TopicArn": topic, "Token": "randomtoken"}),
                         (400, "InvalidParameter", "Invalid token"))
        self.assertEqual(refused({"Action": "ConfirmSubscription", "TopicArn": topic, "Token": "ab" * 128}),
                         (400, "InvalidParameter", "Invalid parameter: Token"))
        self.assertEqual(refused({"Action": "ConfirmSubscription", "TopicArn": missing, "Token": "ab" * 128}),
                         (400, "InvalidParameter", "Invalid parameter: Token"))

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
