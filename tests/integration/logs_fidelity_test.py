"""CloudWatch Logs answers as AWS answers (issue 14, theme 7): a conformance
table of awsJson 1.1 requests and the exact responses AWS gives, sent raw
(signed with Debian's botocore) to a real `trailwatch serve`, so that no SDK
model stands between the request and the bytes compared. Timestamps the
server chooses (creationTime) are checked for type and then set aside.

AWS's facts used here: DescribeLogGroups items carry logGroupClass,
logGroupArn (the ARN without ":*") and deletionProtectionEnabled; with
logGroupNamePattern only arn, creationTime and logGroupName; ListLogGroups
(API reference: logGroupNamePattern of up to five '|'-separated
expressions of 3 to 24 characters, '^' anchoring at the start, limit up to
1000); metric filters carry applyOnTransformedLogs and no unit when none
was given; DescribeMetricFilters with filterNamePrefix and no group
searches every group; a namespace such as "A.B-c_d/1#2:metricNamespace" is
accepted (recorded from AWS).
"""

import json

import harness

ARN = f"arn:aws:logs:{harness.REGION}:{harness.ACCOUNT_ID}:log-group:"


class LogsFidelityTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.server = self.start_server()

    def call(self, operation, payload):
        """(HTTP status, the decoded JSON body) of one signed request."""
        status, _, body = harness.signed_post(self.server.endpoint, "logs", json.dumps(payload).encode(), {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Logs_20140328.{operation}"})
        return status, json.loads(body or b"{}")

    def ok(self, operation, payload):
        status, body = self.call(operation, payload)
        self.assertEqual(status, 200, f"{operation} {payload}: {body}")
        return body

    def without_creation_times(self, items):
        for item in items:
            self.assertIsInstance(item.pop("creationTime"), int)
        return items

    def test_log_group_fields_and_list_log_groups(self):
        for name in ("/fidelity/a", "/fidelity/b", "other"):
            self.ok("CreateLogGroup", {"logGroupName": name})

        described = self.ok("DescribeLogGroups", {"logGroupNamePrefix": "/fidelity/a"})
        self.assertEqual(self.without_creation_times(described["logGroups"]), [{
            "logGroupName": "/fidelity/a", "metricFilterCount": 0, "arn": ARN + "/fidelity/a:*",
            "storedBytes": 0, "logGroupClass": "STANDARD", "logGroupArn": ARN + "/fidelity/a",
            "deletionProtectionEnabled": False}])
        self.assertNotIn("nextToken", described)

        by_pattern = self.ok("DescribeLogGroups", {"logGroupNamePattern": "delity/b"})
        self.assertEqual(self.without_creation_times(by_pattern["logGroups"]),
                         [{"logGroupName": "/fidelity/b", "arn": ARN + "/fidelity/b:*"}])

        def listed(payload):
            return [g["logGroupName"] for g in self.ok("ListLogGroups", payload)["logGroups"]]

        self.assertEqual(self.ok("ListLogGroups", {}), {"logGroups": [
            {"logGroupName": name, "logGroupArn": ARN + name, "logGroupClass": "STANDARD"}
            for name in ("/fidelity/a", "/fidelity/b", "other")]})
        self.assertEqual(listed({"logGroupNamePattern": "^/fid"}), ["/fidelity/a", "/fidelity/b"])
        self.assertEqual(listed({"logGroupNamePattern": "fid"}), ["/fidelity/a", "/fidelity/b"])
        self.assertEqual(listed({"logGroupNamePattern": "^fid"}), [])
        self.assertEqual(listed({"logGroupNamePattern": "^/fidelity/a|the"}), ["/fidelity/a", "other"])
        self.assertEqual(listed({"logGroupNamePattern": "ity/."}), ["/fidelity/a", "/fidelity/b"])  # . is any character
        self.assertEqual(listed({"logGroupNamePattern": "Other"}), [])  # case-sensitive
        self.assertEqual(listed({"logGroupClass": "STANDARD"}), ["/fidelity/a", "/fidelity/b", "other"])
        self.assertEqual(listed({"logGroupClass": "INFREQUENT_ACCESS"}), [])

        first = self.ok("ListLogGroups", {"limit": 2})
        self.assertEqual([g["logGroupName"] for g in first["logGroups"]], ["/fidelity/a", "/fidelity/b"])
        rest = self.ok("ListLogGroups", {"limit": 2, "nextToken": first["nextToken"]})
        self.assertEqual(rest, {"logGroups": [
            {"logGroupName": "other", "logGroupArn": ARN + "other", "logGroupClass": "STANDARD"}]})

        rule = r"(\^?[\.\-_\/#A-Za-z0-9]{3,24})(\|\^?[\.\-_\/#A-Za-z0-9]{3,24}){0,4}"
        for pattern in ("ab", "a|b|c", "(abc)", "a" * 25, "abc|abd|abe|abf|abg|abh"):
            status, body = self.call("ListLogGroups", {"logGroupNamePattern": pattern})
            self.assertEqual(status, 400, pattern)
            self.assertEqual(body.get("message"),
                             f"1 validation error detected: Value '{pattern}' at 'logGroupNamePattern' "
                             f"failed to satisfy constraint: Member must satisfy regular expression "
                             f"pattern: {rule}")
        status, body = self.call("ListLogGroups", {"logGroupClass": "COLD"})
        self.assertEqual((status, body.get("message")), (400, (
            "1 validation error detected: Value 'COLD' at 'logGroupClass' failed to satisfy "
            "constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")))
        status, body = self.call("ListLogGroups", {"limit": 1001})
        self.assertEqual(status, 400)

    def test_metric_filter_fields(self):
        for group in ("/fidelity/a", "/fidelity/b"):
            self.ok("CreateLogGroup", {"logGroupName": group})
        transformation = {"metricName": "Changes", "metricNamespace": "A.B-c_d/1#2:metricNamespace",
                          "metricValue": "1"}
        self.ok("PutMetricFilter", {"logGroupName": "/fidelity/a", "filterName": "f-plain",
                                    "filterPattern": "{ $.eventName = DeletePolicy }",
                                    "metricTransformations": [transformation]})
        self.ok("PutMetricFilter", {"logGroupName": "/fidelity/b", "filterName": "f-count",
                                    "filterPattern": "ERROR",
                                    "metricTransformations": [dict(transformation, unit="Count")]})
        self.ok("PutMetricFilter", {"logGroupName": "/fidelity/b", "filterName": "g-other",
                                    "filterPattern": "WARN",
                                    "metricTransformations": [transformation]})

        # filterNamePrefix without a group searches every group.
        found = self.ok("DescribeMetricFilters", {"filterNamePrefix": "f-"})["metricFilters"]
        self.assertEqual(self.without_creation_times(found), [
            {"filterName": "f-plain", "filterPattern": "{ $.eventName = DeletePolicy }",
             "metricTransformations": [transformation], "logGroupName": "/fidelity/a",
             "applyOnTransformedLogs": False},
            {"filterName": "f-count", "filterPattern": "ERROR",
             "metricTransformations": [dict(transformation, unit="Count")],
             "logGroupName": "/fidelity/b", "applyOnTransformedLogs": False}])

        status, body = self.call("PutMetricFilter", {
            "logGroupName": "/fidelity/a", "filterName": "long", "filterPattern": "x",
            "metricTransformations": [dict(transformation, metricName="m" * 256)]})
        self.assertEqual(status, 400, body)
        self.assertEqual(body.get("__type"), "InvalidParameterException")

    def test_names_too_long_and_both_names(self):
        self.ok("CreateLogGroup", {"logGroupName": "g"})
        self.ok("CreateLogStream", {"logGroupName": "g", "logStreamName": "s"})
        long = "x" * 513
        pair = (400, {"__type": "InvalidParameterException",
                      "message": "Invalid LogGroup or LogStream, both must have length less than or equal to 512."})
        self.assertEqual(self.call("PutLogEvents", {"logGroupName": long, "logStreamName": "s",
                                                    "logEvents": [{"timestamp": 1, "message": "m"}]}), pair)
        self.assertEqual(self.call("PutLogEvents", {"logGroupName": "g", "logStreamName": long,
                                                    "logEvents": [{"timestamp": 1, "message": "m"}]}), pair)
        self.assertEqual(self.call("GetLogEvents", {"logGroupName": "g", "logStreamName": long}), pair)
        # A name no group can have is a bad parameter, not a missing group.
        too_long = (400, {"__type": "InvalidParameterException",
                          "message": f"1 validation error detected: Value '{long}' at 'logGroupName' failed to "
                                     f"satisfy constraint: Member must have length less than or equal to 512"})
        self.assertEqual(self.call("DescribeLogStreams", {"logGroupName": long}), too_long)
        self.assertEqual(self.call("CreateLogGroup", {"logGroupName": long}), too_long)
        self.assertEqual(self.call("DescribeLogStreams", {"logGroupName": "x" * 512})[0], 400)
        self.assertEqual(self.call("DescribeLogStreams", {"logGroupName": "x" * 512})[1]["__type"],
                         "ResourceNotFoundException")
        self.assertEqual(self.call("DescribeLogStreams", {"logGroupName": "g", "logGroupIdentifier": "g"}),
                         (400, {"__type": "ValidationException",
                                "message": "LogGroup name and LogGroup ARN are mutually exclusive parameters."}))


if __name__ == "__main__":
    harness.main()

    def test_filter_pattern_errors(self):
        """AWS's sentences lead ("Invalid metric filter pattern" from PutMetricFilter
        and TestMetricFilter, "Invalid filter pattern" from FilterLogEvents);
        trailwatch's column and reason follow as a second sentence. Over 1,024
        characters: the "1 validation error detected" form, recorded from AWS."""
        self.ok("CreateLogGroup", {"logGroupName": "patterns"})
        transformation = [{"metricName": "m", "metricNamespace": "ns", "metricValue": "1"}]
        bad = "{ $.eventName = }"
        status, body = self.call("PutMetricFilter", {
            "logGroupName": "patterns", "filterName": "f", "filterPattern": bad,
            "metricTransformations": transformation})
        self.assertEqual((status, body["__type"]), (400, "InvalidParameterException"))
        self.assertRegex(body["message"], r"^Invalid metric filter pattern\. Column 16: ")
        status, body = self.call("TestMetricFilter", {"filterPattern": bad, "logEventMessages": ["a"]})
        self.assertEqual((status, body["__type"]), (400, "InvalidParameterException"))
        self.assertRegex(body["message"], r"^Invalid metric filter pattern\. Column 16: ")
        status, body = self.call("FilterLogEvents", {"logGroupName": "patterns", "filterPattern": bad})
        self.assertEqual((status, body["__type"]), (400, "InvalidParameterException"))
        self.assertRegex(body["message"], r"^Invalid filter pattern\. Column 16: ")

        long = "X" * 1025
        expected = {"__type": "InvalidParameterException",
                    "message": f"1 validation error detected: Value '{long}' at 'filterPattern' failed to "
                               "satisfy constraint: Member must have length less than or equal to 1024"}
        for operation, payload in (
                ("PutMetricFilter", {"logGroupName": "patterns", "filterName": "f", "filterPattern": long,
                                     "metricTransformations": transformation}),
                ("TestMetricFilter", {"filterPattern": long, "logEventMessages": ["a"]}),
                ("FilterLogEvents", {"logGroupName": "patterns", "filterPattern": long})):
            self.assertEqual(self.call(operation, payload), (400, expected), operation)
        self.ok("TestMetricFilter", {"filterPattern": "X" * 1024, "logEventMessages": ["a"]})
