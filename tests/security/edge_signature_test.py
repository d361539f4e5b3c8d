"""Issue 12, "Signature and body": what a signature covers, tried against a
real `trailwatch serve` with hand-made requests and the real botocore.

Before the fix (each reproduced on the old main):
  - a captured signed SNS ListTopics (hex x-amz-content-sha256, as the JS SDK
    v3 sends) re-sent with an unsigned "Content-Encoding: gzip" and a gzip'ed
    DeleteTopic body answered 200 and deleted the topic;
  - boto3 1.43's gzip-compressed put_metric_data (over 10 KB) failed with
    SignatureDoesNotMatch;
  - botocore's presigned URLs (generate_presigned_url) were refused, while an
    UNSIGNED-PAYLOAD request carried any body;
  - '+' in a query-signed request was signed as a plus sign and executed as a
    space.
"""

import json
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree

import attack
from attack import harness

SNS_NS = {"sns": "http://sns.amazonaws.com/doc/2010-03-31/"}


def boto3_session():
    import boto3
    return boto3.session.Session(aws_access_key_id=harness.ACCESS_KEY_ID,
                                 aws_secret_access_key=harness.SECRET_ACCESS_KEY,
                                 region_name=harness.REGION)


def url_open(url, method="GET", data=None, headers=None):
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class SignatureTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.server = self.start_server()
        self.port = self.server.port
        self.endpoint = self.server.endpoint
        self.sns = boto3_session().client("sns", endpoint_url=self.endpoint)

    def topics(self):
        return [t["TopicArn"] for t in self.sns.list_topics()["Topics"]]

    def test_gzip_header_does_not_unbind_the_body(self):
        arn = self.sns.create_topic(Name="kept")["TopicArn"]
        body = b"Action=ListTopics&Version=2010-03-31"
        captured = attack.signed(self.port, "sns", body, {
            "Content-Type": attack.FORM, "X-Amz-Content-Sha256": attack.sha256_hex(body)})
        # The capture itself is good.
        r = attack.send_raw(self.port, attack.request_bytes(
            "POST", "/", dict(captured, **{"Content-Length": str(len(body))}), body))
        self.assertEqual(r.status, 200, r)
        evil = attack.gzip_bytes(
            f"Action=DeleteTopic&Version=2010-03-31&TopicArn={urllib.parse.quote(arn, safe='')}".encode())
        for encoding in ("gzip", "GZIP", "x-gzip", "identity, gzip"):
            headers = dict(captured, **{"Content-Encoding": encoding, "Content-Length": str(len(evil))})
            r = attack.send_raw(self.port, attack.request_bytes("POST", "/", headers, evil))
            self.assertEqual(r.status, 403, (encoding, r))
            error = ElementTree.fromstring(r.body).find("sns:Error", SNS_NS)
            self.assertEqual(error.findtext("sns:Code", namespaces=SNS_NS), "SignatureDoesNotMatch")
            self.assertEqual(error.findtext("sns:Message", namespaces=SNS_NS),
                             "The provided 'x-amz-content-sha256' header does not match what was computed.")
        self.assertIn(arn, self.topics())

    def test_boto3_143_compresses_put_metric_data_and_it_is_accepted(self):
        python = harness.find_pyenv_python()
        self.assertIsNotNone(python, "the pyenv python3 with boto3 1.43 is needed")
        script = f"""
import json, boto3, botocore
s = boto3.session.Session(aws_access_key_id={harness.ACCESS_KEY_ID!r},
    aws_secret_access_key={harness.SECRET_ACCESS_KEY!r}, region_name={harness.REGION!r})
cw = s.client("cloudwatch", endpoint_url={self.endpoint!r})
sent = []
cw.meta.events.register("before-send.cloudwatch.PutMetricData",
    lambda request, **kw: sent.append((request.headers.get("Content-Encoding"), len(request.body))))
import datetime
now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
data = [{{"MetricName": "Latency", "Dimensions": [{{"Name": "Host", "Value": "host-%03d" % i}}],
         "Value": float(i), "Unit": "Milliseconds", "Timestamp": now}} for i in range(100)]
cw.put_metric_data(Namespace="Edge/Gzip", MetricData=data)
got = cw.get_metric_statistics(Namespace="Edge/Gzip", MetricName="Latency",
    Dimensions=[{{"Name": "Host", "Value": "host-042"}}], StartTime=now - datetime.timedelta(minutes=5),
    EndTime=now + datetime.timedelta(minutes=5), Period=60, Statistics=["Sum"])
print(json.dumps({{"version": botocore.__version__, "sent": [[e.decode() if isinstance(e, bytes) else e, n] for e, n in sent],
                  "sums": [p["Sum"] for p in got["Datapoints"]]}}))
"""
        env = harness.client_environment(self.workdir)
        r = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["sent"][0][0], "gzip", out)  # boto3 did compress it
        self.assertEqual(out["sums"], [42.0], out)

    def test_presigned_urls_work_for_gettable_operations(self):
        arn = self.sns.create_topic(Name="presigned")["TopicArn"]
        url = self.sns.generate_presigned_url("list_topics", HttpMethod="GET", ExpiresIn=300)
        self.assertIn("X-Amz-Signature=", url)
        status, body = url_open(url)
        self.assertEqual(status, 200, body)
        self.assertIn(arn, body)
        # The default method is the operation's, POST, with an empty body.
        status, body = url_open(self.sns.generate_presigned_url("list_topics"), method="POST", data=b"")
        self.assertEqual(status, 200, body)
        cloudwatch = boto3_session().client("cloudwatch", endpoint_url=self.endpoint)
        status, body = url_open(cloudwatch.generate_presigned_url("describe_alarms", HttpMethod="GET"))
        self.assertEqual(status, 200, body)
        self.assertIn("<DescribeAlarmsResponse", body)

    def test_presigned_urls_expire(self):
        url = self.sns.generate_presigned_url("list_topics", HttpMethod="GET", ExpiresIn=1)
        time.sleep(2.1)
        status, body = url_open(url)
        self.assertEqual(status, 403, body)
        self.assertIn("<Code>SignatureDoesNotMatch</Code><Message>Request has expired: X-Amz-Date ", body)
        over_a_week = self.sns.generate_presigned_url("list_topics", HttpMethod="GET", ExpiresIn=604801)
        status, body = url_open(over_a_week)
        self.assertEqual(status, 400, body)
        self.assertIn("X-Amz-Expires must be less than a week", body)

    def test_a_presigned_url_is_not_a_bearer_token_for_a_body(self):
        arn = self.sns.create_topic(Name="not-deleted")["TopicArn"]
        url = self.sns.generate_presigned_url("list_topics")  # POST
        evil = f"Action=DeleteTopic&Version=2010-03-31&TopicArn={urllib.parse.quote(arn, safe='')}".encode()
        status, body = url_open(url, method="POST", data=evil, headers={"Content-Type": attack.FORM})
        self.assertEqual(status, 403, body)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        status, body = url_open(url, method="POST", data=evil,
                                headers={"Content-Type": attack.FORM, "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"})
        self.assertEqual(status, 400, body)
        self.assertIn("UNSIGNED-PAYLOAD is not accepted", body)
        # The header form too: UNSIGNED-PAYLOAD used to sign no body at all.
        headers = attack.signed(self.port, "sns", b"", {"Content-Type": attack.FORM,
                                                       "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"})
        r = attack.send_raw(self.port, attack.request_bytes(
            "POST", "/", dict(headers, **{"Content-Length": str(len(evil))}), evil))
        self.assertEqual(r.status, 400, r)
        self.assertIn(arn, self.topics())

    def test_plus_means_the_same_to_the_verifier_and_the_router(self):
        arn = self.sns.create_topic(Name="display")["TopicArn"]

        def display_name():
            return self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"]

        def presigned(value):
            return self.sns.generate_presigned_url(
                "set_topic_attributes", HttpMethod="GET",
                Params={"TopicArn": arn, "AttributeName": "DisplayName", "AttributeValue": value})

        spaced = presigned("a b")
        self.assertIn("AttributeValue=a%20b", spaced)
        status, body = url_open(spaced.replace("a%20b", "a+b"))  # a form-encoded space
        self.assertEqual(status, 200, body)
        self.assertEqual(display_name(), "a b")
        plus = presigned("c+d")
        self.assertIn("AttributeValue=c%2Bd", plus)
        status, body = url_open(plus)
        self.assertEqual(status, 200, body)
        self.assertEqual(display_name(), "c+d")
        # The signed plus sign sent as '+' now means a space: refused, unchanged.
        status, body = url_open(presigned("e+f").replace("e%2Bf", "e+f"))
        self.assertEqual(status, 403, body)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        self.assertEqual(display_name(), "c+d")


if __name__ == "__main__":
    harness.main()
