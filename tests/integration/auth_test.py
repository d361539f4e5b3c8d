"""Acceptance test 3: requests that are unsigned, wrongly signed, signed with
an unknown key, signed too long ago or too far ahead (clock skew), signed
incompletely or for another service are refused, with each protocol's error
code, HTTP status and body shape (spec aws-protocols-alarms.md §2.5, §2.6;
src/api/errors.cc AuthFailure):

  Logs JSON 1.1        400, {"__type": "<X>Exception", "message"}
  CloudWatch awsQuery  403 (400 for IncompleteSignature), <ErrorResponse><Error><Type>Sender</Type><Code>...
  CloudWatch JSON 1.0  the query code and status, {"__type": <code>, "message"} and
                       x-amzn-query-error: <code>;Sender
  SNS awsQuery         as CloudWatch awsQuery, in SNS's XML namespace

Requests are built by hand (http.client) and signed by the small SigV4
signer below, which is checked against the spec's vectors (made by botocore's
own signer) first. Then the real clients' view: botocore of both
interpreters maps the refusals to the error codes above.
"""

import calendar
import datetime
import hashlib
import hmac
import http.client
import json
import re
import subprocess
import time
import xml.etree.ElementTree as ElementTree

import harness

MISSING = "Missing Authentication Token"
UNKNOWN_KEY = "The security token included in the request is invalid."
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.")
QUERY_NS = {"monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
            "sns": "http://sns.amazonaws.com/doc/2010-03-31/"}
FORM = "application/x-www-form-urlencoded; charset=utf-8"

# One harmless read per protocol, as botocore sends it.
PROTOCOLS = {
    "logs-json-1.1": {"service": "logs", "body": b"{}", "headers": {
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"}},
    "cloudwatch-query": {"service": "monitoring", "body": b"Action=DescribeAlarms&Version=2010-08-01",
                         "headers": {"Content-Type": FORM}},
    "cloudwatch-json-1.0": {"service": "monitoring", "body": b"{}", "headers": {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "GraniteServiceVersion20100801.DescribeAlarms", "x-amzn-query-mode": "true"}},
    "sns-query": {"service": "sns", "body": b"Action=ListTopics&Version=2010-03-31",
                  "headers": {"Content-Type": FORM}},
}

# Per failure: (Logs __type, query Code, query HTTP status).
EXPECTED = {
    "missing": ("MissingAuthenticationTokenException", "MissingAuthenticationToken", 403),
    "incomplete": ("IncompleteSignatureException", "IncompleteSignature", 400),
    "unknown-key": ("UnrecognizedClientException", "InvalidClientTokenId", 403),
    "mismatch": ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
    "skew": ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
    "scope": ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
}

# Allowed clock skew per service (§2.5): AWS's JSON services 5 min, query 15.
WINDOW_MINUTES = {"logs": 5, "monitoring": 15, "sns": 15}


def amz_date(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def sign(method, path, headers, body, key_id, secret, region, service, when):
    """SigV4 (header form) as botocore does it: signs content-type, host,
    x-amz-date and every x-amz-* header given. Adds X-Amz-Date and
    Authorization to `headers`; returns (canonical request, string to sign)."""
    date = amz_date(when)
    headers["X-Amz-Date"] = date
    names = sorted(n.lower() for n in headers if n.lower() in ("content-type", "host") or
                   n.lower().startswith("x-amz"))
    lower = {n.lower(): " ".join(str(v).split()) for n, v in headers.items()}
    signed_headers = ";".join(names)
    canonical = "\n".join([method, path, "", "".join(f"{n}:{lower[n]}\n" for n in names), signed_headers,
                           hashlib.sha256(body).hexdigest()])
    scope = f"{date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", date, scope,
                                hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, "
                                f"SignedHeaders={signed_headers}, Signature={signature}")
    return canonical, string_to_sign


class Response:
    def __init__(self, r):
        self.status = r.status
        self.headers = {k.lower(): v for k, v in r.getheaders()}
        self.body = r.read()


class AuthTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.server = self.start_server()
        self.host = f"127.0.0.1:{self.server.port}"

    def send(self, protocol, case="good", offset_minutes=0, body=None, headers=None):
        """One request of `protocol`, signed per `case`; returns (Response,
        canonical request, string to sign)."""
        spec = PROTOCOLS[protocol]
        body = spec["body"] if body is None else body
        h = dict(spec["headers"], **(headers or {}))
        h["Host"] = self.host
        key_id, secret, service = harness.ACCESS_KEY_ID, harness.SECRET_ACCESS_KEY, spec["service"]
        if case == "mismatch":
            secret = secret + "x"
        elif case == "unknown-key":
            key_id = "AKIAUNKNOWNKEY000000"
        elif case == "scope":
            service = "sns" if service != "sns" else "logs"
        canonical = string_to_sign = None
        if case != "missing":
            canonical, string_to_sign = sign("POST", "/", h, body, key_id, secret, harness.REGION, service,
                                             time.time() + offset_minutes * 60)
        if case == "incomplete":
            h["Authorization"] = h["Authorization"].split(", Signature=")[0]
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            connection.request("POST", "/", body=body, headers=h)
            return Response(connection.getresponse()), canonical, string_to_sign, h
        finally:
            connection.close()

    def assert_refused(self, protocol, response, case, message):
        """The protocol's error for `case` with exactly `message` (a str, or a
        compiled regex the whole message must match)."""
        logs_type, code, query_status = EXPECTED[case]
        service = PROTOCOLS[protocol]["service"]
        headers = response.headers
        self.assertRegex(headers.get("x-amzn-requestid", ""), r"^[0-9a-f-]{36}$")
        self.assertIn("date", headers)
        if protocol.endswith("-query"):
            self.assertEqual(response.status, query_status, response.body)
            self.assertEqual(headers["content-type"], "text/xml")
            root = ElementTree.fromstring(response.body)
            ns = "{" + QUERY_NS[service] + "}"
            self.assertEqual(root.tag, ns + "ErrorResponse")
            self.assertEqual([c.tag for c in root], [ns + "Error", ns + "RequestId"])
            error = root.find(ns + "Error")
            self.assertEqual([c.tag for c in error], [ns + "Type", ns + "Code", ns + "Message"])
            self.assertEqual(error.find(ns + "Type").text, "Sender")
            self.assertEqual(error.find(ns + "Code").text, code)
            self.assertEqual(root.find(ns + "RequestId").text, headers["x-amzn-requestid"])
            text = error.find(ns + "Message").text
            self.assertNotIn("x-amzn-query-error", headers)
        else:
            body = json.loads(response.body)
            self.assertEqual(list(body), ["__type", "message"], body)
            text = body["message"]
            if protocol == "logs-json-1.1":
                self.assertEqual(response.status, 400, body)
                self.assertEqual(headers["content-type"], "application/x-amz-json-1.1")
                self.assertEqual(body["__type"], logs_type)
                self.assertNotIn("x-amzn-query-error", headers)
            else:
                self.assertEqual(response.status, query_status, body)
                self.assertEqual(headers["content-type"], "application/x-amz-json-1.0")
                self.assertEqual(body["__type"], code)
                self.assertEqual(headers.get("x-amzn-query-error"), f"{code};Sender")
        if isinstance(message, str):
            self.assertEqual(text, message)
        else:
            self.assertRegex(text, message)
        return text

    def test_signer_matches_the_spec_vectors(self):
        """§2.4 vectors A and B: the signer this test relies on is botocore's."""
        when = datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc).timestamp()
        secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        a = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.CreateLogGroup",
             "Host": "127.0.0.1:4566"}
        sign("POST", "/", a, b'{"logGroupName": "/app/test"}', "AKIDEXAMPLE", secret, "us-east-1", "logs", when)
        self.assertTrue(a["Authorization"].endswith(
            "Signature=9349bebdfef4ff176f3cb2d62e4dec4ba038efd7b0f306059ec873c8b0bba4c0"))
        b = {"Content-Type": FORM, "Host": "127.0.0.1:4566"}
        sign("POST", "/", b, b"Action=ListTopics&Version=2010-03-31", "AKIDEXAMPLE", secret, "us-east-1", "sns",
             when)
        self.assertTrue(b["Authorization"].endswith(
            "Signature=5bb9fa42ba25cc654261cbdaff2bb3e5a0084817fff4a5927661166ee1aa1846"))

    def test_signed_requests_are_answered(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                response = self.send(protocol)[0]
                self.assertEqual(response.status, 200, response.body)

    def test_unsigned(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                self.assert_refused(protocol, self.send(protocol, "missing")[0], "missing", MISSING)

    def test_wrong_signature(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                response, canonical, string_to_sign, _ = self.send(protocol, "mismatch")
                # AWS appends what it computed: here exactly what the client signed.
                self.assert_refused(protocol, response, "mismatch",
                                    f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'"
                                    f"{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n")

    def test_body_changed_after_signing(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                spec = PROTOCOLS[protocol]
                h = dict(spec["headers"], Host=self.host)
                sign("POST", "/", h, spec["body"], harness.ACCESS_KEY_ID, harness.SECRET_ACCESS_KEY,
                     harness.REGION, spec["service"], time.time())
                tampered = spec["body"] + (b"&MaxRecords=1" if protocol.endswith("-query") else b" ")
                connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
                connection.request("POST", "/", body=tampered, headers=h)
                response = Response(connection.getresponse())
                connection.close()
                self.assert_refused(protocol, response, "mismatch", re.compile(re.escape(MISMATCH) + r"\n.*", re.S))

    def test_unknown_access_key(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                self.assert_refused(protocol, self.send(protocol, "unknown-key")[0], "unknown-key", UNKNOWN_KEY)

    def test_signed_20_minutes_ago(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                response, _, _, h = self.send(protocol, "good", offset_minutes=-20)
                window = WINDOW_MINUTES[PROTOCOLS[protocol]["service"]]
                text = self.assert_refused(protocol, response, "skew", re.compile(
                    rf"Signature expired: {h['X-Amz-Date']} is now earlier than (\d{{8}}T\d{{6}}Z) "
                    rf"\((\d{{8}}T\d{{6}}Z) - {window} min\.\)"))
                self.assert_skew_times(text, window, -1)

    def test_signed_20_minutes_ahead(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                response, _, _, h = self.send(protocol, "good", offset_minutes=20)
                window = WINDOW_MINUTES[PROTOCOLS[protocol]["service"]]
                text = self.assert_refused(protocol, response, "skew", re.compile(
                    rf"Signature not yet current: {h['X-Amz-Date']} is still later than (\d{{8}}T\d{{6}}Z) "
                    rf"\((\d{{8}}T\d{{6}}Z) \+ {window} min\.\)"))
                self.assert_skew_times(text, window, +1)

    def assert_skew_times(self, text, window, sign_of_bound):
        """The two times of a skew message: the server's now (close to ours)
        and now -/+ the window."""
        bound, now = [calendar.timegm(time.strptime(t, "%Y%m%dT%H%M%SZ"))
                      for t in re.findall(r"\d{8}T\d{6}Z", text)[1:]]
        self.assertEqual(bound - now, sign_of_bound * window * 60)
        self.assertLess(abs(now - time.time()), 10)

    def test_ten_minutes_skew_only_logs_refuses(self):
        """§2.5: 5 minutes for Logs, 15 for the query services."""
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                response, _, _, h = self.send(protocol, "good", offset_minutes=-10)
                if protocol == "logs-json-1.1":
                    self.assert_refused(protocol, response, "skew", re.compile(
                        rf"Signature expired: {h['X-Amz-Date']} is now earlier than .* - 5 min\.\)"))
                else:
                    self.assertEqual(response.status, 200, response.body)

    def test_incomplete_authorization(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                response, _, _, h = self.send(protocol, "incomplete")
                self.assert_refused(protocol, response, "incomplete",
                                    "Authorization header requires 'Signature' parameter. Authorization="
                                    + h["Authorization"])

    def test_scoped_to_another_service(self):
        names = {"logs-json-1.1": "logs", "cloudwatch-query": "monitoring", "cloudwatch-json-1.0": "monitoring",
                 "sns-query": "sns"}
        for protocol in PROTOCOLS:
            with self.subTest(protocol):
                self.assert_refused(protocol, self.send(protocol, "scope")[0], "scope",
                                    f"Credential should be scoped to correct service: '{names[protocol]}'.")

    def test_refused_requests_change_nothing(self):
        """A refused write has no effect (authentication comes first)."""
        create_group = {"X-Amz-Target": "Logs_20140328.CreateLogGroup"}
        for case in ("missing", "mismatch", "unknown-key"):
            self.send("logs-json-1.1", case, body=b'{"logGroupName": "refused"}', headers=create_group)
            self.send("sns-query", case, body=b"Action=CreateTopic&Version=2010-03-31&Name=refused")
        groups = json.loads(self.send("logs-json-1.1")[0].body)
        self.assertEqual(groups["logGroups"], [])
        topics = self.send("sns-query")[0].body.decode()
        self.assertNotIn("refused", topics)
        self.assertIn("<Topics/>", topics)

    def test_real_clients_map_the_refusals(self):
        """botocore (both interpreters; 1.43 speaks CloudWatch JSON 1.0) turns
        each refusal into a ClientError with the protocol's code and status."""
        script = r"""
import json, sys, boto3, botocore.config
endpoint, key, secret = sys.argv[1:4]
config = botocore.config.Config(retries={"max_attempts": 1})
out = {}
for service, call in (("logs", "describe_log_groups"), ("cloudwatch", "describe_alarms"), ("sns", "list_topics")):
    client = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                          aws_secret_access_key=secret, config=config)
    try:
        getattr(client, call)()
        out[service] = None
    except client.exceptions.ClientError as e:
        out[service] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
print(json.dumps(out))
"""
        pyenv = harness.find_pyenv_python()
        self.assertIsNotNone(pyenv, "no pyenv python3 (with boto3 1.43) on this machine")
        env = harness.client_environment(self.workdir)
        for python in (harness.SYSTEM_PYTHON, pyenv):
            for case, key, secret in (("mismatch", harness.ACCESS_KEY_ID, harness.SECRET_ACCESS_KEY + "x"),
                                      ("unknown-key", "AKIAUNKNOWNKEY000000", harness.SECRET_ACCESS_KEY)):
                with self.subTest(python=python, case=case):
                    r = subprocess.run([python, "-c", script, self.server.endpoint, key, secret], env=env,
                                       capture_output=True, text=True, timeout=120)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    logs_type, code, status = EXPECTED[case]
                    self.assertEqual(json.loads(r.stdout), {"logs": [logs_type, 400], "cloudwatch": [code, status],
                                                            "sns": [code, status]})


if __name__ == "__main__":
    harness.main()
