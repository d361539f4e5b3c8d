"""The seed tutorial (issue acceptance tests 1 and 2), written once and run by
every client: CloudTrail log group and stream, the CIS IAM policy-change
metric filter, an SNS topic with an e-mail and an http subscription (both
confirmed through their real confirmation messages), the alarm, one real
DeletePolicy record; then the alarm state, the e-mail and the http
notification are checked exactly.

A client is an object with the operations below (CliClient for the aws CLI,
seed_boto3_test.Boto3Client for boto3); SeedTest.run_seed() drives one.
"""

import base64
import calendar
import json
import os
import re
import subprocess
import time

import harness

GROUP = "CloudTrail/DefaultLogGroup"
STREAM = f"{harness.ACCOUNT_ID}_CloudTrail_{harness.REGION}"
FILTER = "IAMPolicyChanges"
METRIC = "IAMPolicyEventCount"
NAMESPACE = "CloudTrailMetrics"
TOPIC = "iam-alerts"
TOPIC_ARN = f"arn:aws:sns:{harness.REGION}:{harness.ACCOUNT_ID}:{TOPIC}"
ALARM = "IAMPolicyChangeAlarm"
ALARM_ARN = f"arn:aws:cloudwatch:{harness.REGION}:{harness.ACCOUNT_ID}:alarm:{ALARM}"
EMAIL = "security@example.com"
REGION_NAME = "US East (N. Virginia)"
EARLY_SUFFIX = " (trailwatch early alarm: evaluated on the current, incomplete minute)"

# The record's facts the notifications must show (DELETE_POLICY_FILE).
PRINCIPAL = "arn:aws:iam::123837392027:user/bert-jan"
SOURCE_IP = "192.168.10.20"
POLICY_ARN = "arn:aws:iam::123837392027:policy/stratus-red-team-ec2lui-policy-wuzemnoeqa"

# The window: a notification is due within 2 s of the event that
# makes it due (put-log-events returning, or the minute boundary).
WINDOW = 2.0


def bucket_text(t):
    """A datapoint's time as StateReason writes it: dd/MM/yy HH:mm:ss."""
    return time.strftime("%d/%m/%y %H:%M:%S", time.gmtime(t))


def java_time(t):
    """yyyy-MM-dd'T'HH:mm:ss.SSS+0000 for whole seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(t))


def parse_java_time(text):
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})\+0000", text)
    assert m, f"not a yyyy-MM-dd'T'HH:mm:ss.SSS+0000 time: {text!r}"
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + int(m.group(2)) / 1000


def verify_sns_signature(test, envelope, workdir):
    """Checks an SNS envelope's SignatureVersion 1 signature (SHA1withRSA) with
    the certificate served at its SigningCertURL, using the openssl command
    (independent of trailwatch's own code)."""
    status, _, pem = harness.http_get(envelope["SigningCertURL"])
    test.assertEqual(status, 200, "the SigningCertURL serves the certificate")
    test.assertTrue(pem.startswith(b"-----BEGIN CERTIFICATE-----"), pem[:60])
    if envelope["Type"] == "Notification":
        keys = ["Message", "MessageId"] + (["Subject"] if "Subject" in envelope else []) + [
            "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    signed = "".join(f"{k}\n{envelope[k]}\n" for k in keys)
    test.assertEqual(envelope["SignatureVersion"], "1")
    paths = {name: os.path.join(workdir, f"sig-{envelope['MessageId']}.{name}")
             for name in ("pem", "pub", "txt", "bin")}
    with open(paths["pem"], "wb") as f:
        f.write(pem)
    with open(paths["txt"], "w") as f:
        f.write(signed)
    with open(paths["bin"], "wb") as f:
        f.write(base64.b64decode(envelope["Signature"]))
    subprocess.run(["openssl", "x509", "-in", paths["pem"], "-pubkey", "-noout", "-out", paths["pub"]],
                   check=True, capture_output=True)
    r = subprocess.run(["openssl", "dgst", "-sha1", "-verify", paths["pub"], "-signature", paths["bin"],
                        paths["txt"]], capture_output=True, text=True)
    test.assertEqual(r.stdout.strip(), "Verified OK", f"openssl: {r.stdout} {r.stderr}")


class CliClient:
    """The seed operations through one `aws` executable."""

    def __init__(self, cli):
        self.cli = cli

    def describe(self):
        return self.cli.version()

    def cloudwatch_content_type(self):
        """The Content-Type the client sends CloudWatch requests with, from
        --debug: which of CloudWatch's protocols it speaks."""
        r = self.cli.run("cloudwatch", "describe-alarms", "--alarm-names", ALARM, debug=True)
        assert r.returncode == 0, r.stderr
        m = re.search(r"Sending http request: .*?'Content-Type': b'([^']+)'", r.stderr)
        assert m, "no request in aws --debug output"
        return m.group(1)

    def create_log_group(self, name):
        self.cli("logs", "create-log-group", "--log-group-name", name)

    def create_log_stream(self, group, stream):
        self.cli("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", stream)

    def put_metric_filter(self, group, name, pattern, metric, namespace, value, default):
        self.cli("logs", "put-metric-filter", "--log-group-name", group, "--filter-name", name,
                 "--filter-pattern", pattern, "--metric-transformations",
                 f"metricName={metric},metricNamespace={namespace},metricValue={value},defaultValue={default}")

    def describe_metric_filters(self, group):
        return self.cli("logs", "describe-metric-filters", "--log-group-name", group)["metricFilters"]

    def create_topic(self, name):
        return self.cli("sns", "create-topic", "--name", name)["TopicArn"]

    def subscribe(self, topic, protocol, endpoint):
        return self.cli("sns", "subscribe", "--topic-arn", topic, "--protocol", protocol,
                        "--notification-endpoint", endpoint)["SubscriptionArn"]

    def list_subscriptions_by_topic(self, topic):
        return self.cli("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"]

    def put_metric_alarm(self, name, metric, namespace, statistic, period, evaluation_periods, threshold,
                         comparison, treat_missing_data, actions):
        self.cli("cloudwatch", "put-metric-alarm", "--alarm-name", name, "--metric-name", metric,
                 "--namespace", namespace, "--statistic", statistic, "--period", str(period),
                 "--evaluation-periods", str(evaluation_periods), "--threshold", str(threshold),
                 "--comparison-operator", comparison, "--treat-missing-data", treat_missing_data,
                 "--alarm-actions", *actions)

    def describe_alarms(self, name):
        return self.cli("cloudwatch", "describe-alarms", "--alarm-names", name)["MetricAlarms"]

    def describe_alarm_history(self, name):
        return self.cli("cloudwatch", "describe-alarm-history", "--alarm-name", name)["AlarmHistoryItems"]

    def put_log_events(self, group, stream, events):
        return self.cli("logs", "put-log-events", "--log-group-name", group, "--log-stream-name", stream,
                        "--log-events", self.cli.file_arg("log-events.json", events))


class SeedTest(harness.IntegrationTest):
    """run_seed(client_factory, early_alarm, expect_protocol) is the whole
    tutorial; subclasses pick the client."""

    def run_seed(self, make_client, early_alarm, expect_cloudwatch_content_type, cluster=False):
        """`cluster`: two nodes on one PostgreSQL store; the client talks to
        node A while node B evaluates the alarms (B starts first and takes the
        evaluator's lease), and both deliver from the shared outbox. Both
        have A's address as --public-url, as nodes behind one load balancer
        would have its address."""
        sink = self.start_smtp()
        receiver = self.start_receiver()
        # The receiver is on 127.0.0.1, which serve refuses as an endpoint by default.
        args = ["--allow-endpoint", "127.0.0.1/32"] + (["--early-alarm"] if early_alarm else [])
        nodes = []
        if cluster:
            store = harness.ScratchPostgres.store_for(os.path.join(self.workdir, "cluster"))
            port = harness.free_port()
            args += ["--public-url", f"http://127.0.0.1:{port}"]
            evaluator = self.start_server(data_dir=os.path.join(self.workdir, "node-b"), store=store,
                                          name="node-b", args=args, smtp_port=sink.port)
            harness.wait_until(lambda: f") {harness.EVALUATES}" in evaluator.log(),
                               what="node B to take the evaluator's lease")
            server = self.start_server(data_dir=os.path.join(self.workdir, "node-a"), store=store,
                                       name="node-a", args=args, smtp_port=sink.port, port=port)
            self.assertIs(harness.evaluator_of([evaluator, server]), evaluator)
            nodes = [evaluator]
        else:
            server = self.start_server(args=args, smtp_port=sink.port)
        client = make_client(server)
        print(f"client: {client.describe()}; server {server.endpoint}; early alarm: {early_alarm}", flush=True)

        # Log group, stream and the CIS metric filter.
        client.create_log_group(GROUP)
        client.create_log_stream(GROUP, STREAM)
        client.put_metric_filter(GROUP, FILTER, harness.iam_pattern(), METRIC, NAMESPACE, "1", "0")
        [described] = client.describe_metric_filters(GROUP)
        self.assertEqual(described["filterPattern"], harness.iam_pattern())
        self.assertEqual(described["metricTransformations"][0]["defaultValue"], 0.0)

        # The topic and both subscriptions, pending until confirmed.
        self.assertEqual(client.create_topic(TOPIC), TOPIC_ARN)
        self.assertEqual(client.subscribe(TOPIC_ARN, "email", EMAIL), "pending confirmation")
        self.assertEqual(client.subscribe(TOPIC_ARN, "http", receiver.url()), "pending confirmation")
        pending = client.list_subscriptions_by_topic(TOPIC_ARN)
        self.assertEqual(sorted((s["Protocol"], s["Endpoint"], s["SubscriptionArn"]) for s in pending),
                         [("email", EMAIL, "PendingConfirmation"),
                          ("http", receiver.url(), "PendingConfirmation")])

        # http: the SubscriptionConfirmation POST, whose SubscribeURL we visit.
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation"),
                                         what="the http SubscriptionConfirmation")
        self.assertEqual(confirmation.path, "/hook")
        self.assertEqual(confirmation.headers["x-amz-sns-topic-arn"], TOPIC_ARN)
        self.assertNotIn("x-amz-sns-subscription-arn", confirmation.headers)
        envelope = confirmation.json()
        self.assertEqual(list(envelope), ["Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL",
                                          "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"])
        self.assertEqual(envelope["Type"], "SubscriptionConfirmation")
        self.assertEqual(envelope["MessageId"], confirmation.headers["x-amz-sns-message-id"])
        self.assertEqual(envelope["Message"], f"You have chosen to subscribe to the topic {TOPIC_ARN}.\n"
                         "To confirm the subscription, visit the SubscribeURL included in this message.")
        self.assertEqual(envelope["SubscribeURL"], f"{server.endpoint}/?Action=ConfirmSubscription&TopicArn="
                         f"{TOPIC_ARN}&Token={envelope['Token']}")
        verify_sns_signature(self, envelope, self.workdir)
        http_arn = self.confirm(envelope["SubscribeURL"])

        # e-mail: the confirmation mail's link.
        mail = sink.wait_for(lambda m: m["message"]["Subject"] == "AWS Notification - Subscription Confirmation",
                             what="the subscription confirmation e-mail")
        self.assertEqual(mail["info"]["rcpt_tos"], [EMAIL])
        text = harness.mail_text(mail["message"])
        links = re.findall(r"^http://\S+$", text, re.M)
        self.assertEqual(len(links), 1, text)
        self.assertTrue(links[0].startswith(f"{server.endpoint}/?Action=ConfirmSubscription&TopicArn={TOPIC_ARN}"
                                            "&Token="), links[0])
        email_arn = self.confirm(links[0])

        confirmed = client.list_subscriptions_by_topic(TOPIC_ARN)
        self.assertEqual(sorted((s["Protocol"], s["Endpoint"], s["SubscriptionArn"]) for s in confirmed),
                         sorted([("email", EMAIL, email_arn), ("http", receiver.url(), http_arn)]))

        # The alarm of the seed: Maximum > 0 over 5 minutes.
        client.put_metric_alarm(ALARM, METRIC, NAMESPACE, "Maximum", 300, 1, 0, "GreaterThanThreshold",
                                "notBreaching", [TOPIC_ARN])
        self.assertEqual(client.cloudwatch_content_type(), expect_cloudwatch_content_type,
                         "the CloudWatch protocol this client is expected to exercise")

        # One real DeletePolicy record, not within a few seconds of a minute
        # boundary: the record must reach the store before the evaluation of
        # the boundary after it, whose minute the expected texts name.
        self.wait_for_second_of_minute(2, 54)
        record, event = harness.delete_policy_event()
        sent = time.time()
        put = client.put_log_events(GROUP, STREAM, [event])
        returned = time.time()
        self.assertNotIn("rejectedLogEventsInfo", put)
        boundary = (event["timestamp"] // 60000 + 1) * 60
        due = returned if early_alarm else boundary

        notification = receiver.wait_for(harness.sns_type("Notification"), timeout=(due - time.time()) + 15,
                                         what="the http alarm notification")
        alarm_mail = sink.wait_for(lambda m: m["message"]["Subject"].startswith("ALARM"), timeout=15,
                                   what="the alarm e-mail")
        print(f"http notification {notification.arrived - due:+.3f}s and e-mail {alarm_mail['arrived'] - due:+.3f}s "
              f"after {'put-log-events returned' if early_alarm else 'the minute boundary'}", flush=True)
        self.assertLessEqual(notification.arrived - due, WINDOW, "http notification within 2 s")
        self.assertLessEqual(alarm_mail["arrived"] - due, WINDOW, "e-mail within 2 s")
        if not early_alarm:
            # Not before the boundary either: without --early-alarm the minute is evaluated once complete.
            self.assertGreaterEqual(notification.arrived, boundary - 0.05)
            self.assertGreaterEqual(alarm_mail["arrived"], boundary - 0.05)

        # describe-alarms: ALARM with AWS's reason text and data.
        [alarm] = client.describe_alarms(ALARM)
        reason = (f"Threshold Crossed: 1 datapoint [1.0 ({bucket_text(boundary - 300)})] was greater than the "
                  f"threshold (0.0).") + (EARLY_SUFFIX if early_alarm else "")
        self.check_alarm(alarm, reason, boundary, early_alarm)
        old_state = self.old_state(client.describe_alarm_history(ALARM))

        message = self.check_http_notification(notification, http_arn, server, reason, old_state, record, sent)
        self.check_alarm_mail(alarm_mail, notification.json()["MessageId"], email_arn, server, reason, old_state,
                              message, record)
        if cluster:
            self.assertNotIn(f") {harness.EVALUATES}", server.log(), "node A took over the evaluation")
        for node in nodes:
            self.assertEqual(node.stop(), 0)
        self.assertEqual(server.stop(), 0)

    def wait_for_second_of_minute(self, low, high):
        """Sleeps until the wall clock's second of the minute is in [low, high]."""
        while not low <= time.time() % 60 <= high:
            time.sleep(max(0.01, (low - time.time() % 60) % 60))

    def confirm(self, url):
        status, headers, body = harness.http_get(url)
        self.assertEqual(status, 200, body)
        m = re.fullmatch(r'<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
                         r"<ConfirmSubscriptionResult><SubscriptionArn>([^<]+)</SubscriptionArn>"
                         r"</ConfirmSubscriptionResult><ResponseMetadata><RequestId>[^<]+</RequestId>"
                         r"</ResponseMetadata></ConfirmSubscriptionResponse>", body.decode())
        self.assertIsNotNone(m, body)
        self.assertRegex(m.group(1), rf"^{re.escape(TOPIC_ARN)}:[0-9a-f-]{{36}}$")
        return m.group(1)

    def check_alarm(self, alarm, reason, boundary, early_alarm):
        self.assertEqual(alarm["AlarmName"], ALARM)
        self.assertEqual(alarm["AlarmArn"], ALARM_ARN)
        self.assertEqual(alarm["StateValue"], "ALARM")
        self.assertEqual(alarm["StateReason"], reason)
        self.assertEqual(alarm["MetricName"], METRIC)
        self.assertEqual(alarm["Namespace"], NAMESPACE)
        self.assertEqual(alarm["Statistic"], "Maximum")
        self.assertEqual(alarm["Period"], 300)
        self.assertEqual(alarm["EvaluationPeriods"], 1)
        self.assertEqual(alarm["Threshold"], 0.0)
        self.assertEqual(alarm["ComparisonOperator"], "GreaterThanThreshold")
        self.assertEqual(alarm["TreatMissingData"], "notBreaching")
        self.assertEqual(alarm["AlarmActions"], [TOPIC_ARN])
        self.assertEqual(alarm["OKActions"], [])
        self.assertEqual(alarm["InsufficientDataActions"], [])
        self.assertEqual(alarm["Dimensions"], [])
        self.assertIs(alarm["ActionsEnabled"], True)
        data = json.loads(alarm["StateReasonData"])
        start = java_time(boundary - 300)
        self.assertEqual(list(data), ["version", "queryDate", "startDate", "statistic", "period",
                                      "recentDatapoints", "threshold", "evaluatedDatapoints"])
        self.assertEqual(data["version"], "1.0")
        self.assertEqual(data["startDate"], start)
        self.assertEqual(data["statistic"], "Maximum")
        self.assertEqual(data["period"], 300)
        self.assertEqual(data["recentDatapoints"], [1.0])
        self.assertEqual(data["threshold"], 0.0)
        self.assertEqual(data["evaluatedDatapoints"], [{"timestamp": start, "sampleCount": 1.0, "value": 1.0}])
        if not early_alarm:
            # The evaluation of the boundary, run by the minute ticker just after it.
            self.assertGreaterEqual(parse_java_time(data["queryDate"]), boundary)
            self.assertLess(parse_java_time(data["queryDate"]), boundary + WINDOW)

    def old_state(self, history):
        """The state the alarm left for ALARM, from its StateUpdate history item
        (OK when a minute boundary passed between creation and the record,
        INSUFFICIENT_DATA otherwise)."""
        updates = [h for h in history if h["HistoryItemType"] == "StateUpdate"
                   and h["HistorySummary"].endswith(" to ALARM")]
        self.assertEqual(len(updates), 1, history)
        m = re.fullmatch(r"Alarm updated from (OK|INSUFFICIENT_DATA) to ALARM", updates[0]["HistorySummary"])
        self.assertIsNotNone(m, updates[0]["HistorySummary"])
        actions = [h["HistorySummary"] for h in history if h["HistoryItemType"] == "Action"]
        self.assertEqual(actions, [f"Successfully executed action {TOPIC_ARN}"])
        return m.group(1)

    def expected_evidence(self, record):
        return {"eventTime": record["eventTime"], "eventName": "DeletePolicy", "eventSource": "iam.amazonaws.com",
                "principal": PRINCIPAL, "sourceIPAddress": SOURCE_IP, "awsRegion": "us-east-1", "errorCode": None,
                "errorMessage": None, "failure": None, "requestParameters": {"policyArn": POLICY_ARN}}

    def check_http_notification(self, request, http_arn, server, reason, old_state, record, sent):
        self.assertEqual(request.method, "POST")
        self.assertEqual(request.path, "/hook")
        h = request.headers
        self.assertEqual(h["x-amz-sns-message-type"], "Notification")
        self.assertEqual(h["x-amz-sns-topic-arn"], TOPIC_ARN)
        self.assertEqual(h["x-amz-sns-subscription-arn"], http_arn)
        self.assertEqual(h["content-type"], "text/plain; charset=UTF-8")
        self.assertEqual(h["user-agent"], "Amazon Simple Notification Service Agent")
        self.assertEqual(h["accept-encoding"], "gzip,deflate")
        self.assertEqual(h["connection"], "Keep-Alive")
        envelope = request.json()
        self.assertEqual(list(envelope), ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
                                          "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL",
                                          "MessageAttributes"])
        self.assertEqual(envelope["Type"], "Notification")
        self.assertEqual(envelope["MessageId"], h["x-amz-sns-message-id"])
        self.assertEqual(envelope["TopicArn"], TOPIC_ARN)
        self.assertEqual(envelope["Subject"], f'ALARM: "{ALARM}" in {REGION_NAME}')
        self.assertRegex(envelope["Timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(envelope["UnsubscribeURL"],
                         f"{server.endpoint}/?Action=Unsubscribe&SubscriptionArn={http_arn}")
        verify_sns_signature(self, envelope, self.workdir)

        message = json.loads(envelope["Message"])
        self.assertEqual(list(message), [
            "AlarmName", "AlarmDescription", "AWSAccountId", "AlarmConfigurationUpdatedTimestamp", "NewStateValue",
            "NewStateReason", "StateChangeTime", "Region", "AlarmArn", "OldStateValue", "OKActions", "AlarmActions",
            "InsufficientDataActions", "Trigger"])
        self.assertEqual(message["AlarmName"], ALARM)
        self.assertIsNone(message["AlarmDescription"])
        self.assertEqual(message["AWSAccountId"], harness.ACCOUNT_ID)
        parse_java_time(message["AlarmConfigurationUpdatedTimestamp"])
        self.assertEqual(message["NewStateValue"], "ALARM")
        self.assertEqual(message["NewStateReason"], reason)
        # The transition happened after the record was sent and before its notification arrived.
        changed = parse_java_time(message["StateChangeTime"])
        self.assertGreaterEqual(changed, sent - 0.001)
        self.assertLessEqual(changed, request.arrived + 0.001)
        self.assertEqual(message["Region"], REGION_NAME)
        self.assertEqual(message["AlarmArn"], ALARM_ARN)
        self.assertEqual(message["OldStateValue"], old_state)
        self.assertEqual(message["OKActions"], [])
        self.assertEqual(message["AlarmActions"], [TOPIC_ARN])
        self.assertEqual(message["InsufficientDataActions"], [])
        self.assertEqual(list(message["Trigger"].items()), [
            ("MetricName", METRIC), ("Namespace", NAMESPACE), ("StatisticType", "Statistic"),
            ("Statistic", "MAXIMUM"), ("Unit", None), ("Dimensions", []), ("Period", 300),
            ("EvaluationPeriods", 1), ("ComparisonOperator", "GreaterThanThreshold"), ("Threshold", 0.0),
            ("TreatMissingData", "notBreaching"), ("EvaluateLowSampleCountPercentile", "")])
        # The evidence rides beside CloudWatch's message, as an SNS message attribute.
        self.assertEqual(list(envelope["MessageAttributes"]), ["trailwatch.evidence"])
        evidence = envelope["MessageAttributes"]["trailwatch.evidence"]
        self.assertEqual(evidence["Type"], "String")
        self.assertEqual(json.loads(evidence["Value"]), {"total": 1, "events": [self.expected_evidence(record)]})
        return message

    def check_alarm_mail(self, mail, message_id, email_arn, server, reason, old_state, message, record):
        m = mail["message"]
        self.assertEqual(mail["info"]["rcpt_tos"], [EMAIL])
        self.assertEqual(mail["info"]["mail_from"], "alarms@trailwatch.test")
        [sender] = m["From"].addresses
        self.assertEqual((sender.display_name, sender.addr_spec), ("AWS Notifications", "alarms@trailwatch.test"))
        self.assertEqual(m["To"], EMAIL)
        self.assertEqual(m["Subject"], f'ALARM: "{ALARM}" in {REGION_NAME}')
        # One publish: the same SNS MessageId as the http delivery.
        self.assertEqual(m["X-Amz-Sns-Message-Id"], message_id)
        self.assertEqual(m["X-Amz-Sns-Topic-Arn"], TOPIC_ARN)
        self.assertEqual(m["X-Amz-Sns-Subscription-Arn"], email_arn)
        text = harness.mail_text(m)
        when = time.strftime("%A %d %B, %Y %H:%M:%S UTC",
                             time.gmtime(int(parse_java_time(message["StateChangeTime"]))))
        self.assertEqual(text.splitlines()[0],
                         f'You are receiving this email because your Amazon CloudWatch Alarm "{ALARM}" in the '
                         f'{REGION_NAME} region has entered the ALARM state, because "{reason}" at "{when}".')
        self.assertIn(f"\n- State Change:               {old_state} -> ALARM\n", text)
        self.assertIn(f"\n- Reason for State Change:    {reason}\n", text)
        self.assertIn("\n- The alarm is in the ALARM state when the metric is GreaterThanThreshold 0.0 for 300 "
                      "seconds.\n", text)
        self.assertIn("\n- TreatMissingData:                    notBreaching\n", text)
        # What happened: who (the user) and from where (the source IP) of the record.
        section = text.split("\nWhat happened:\n", 1)
        self.assertEqual(len(section), 2, text)
        lines = section[1].split("\n\n", 1)[0].splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], rf"^- {re.escape(record['eventTime'])}  {re.escape(PRINCIPAL)}  "
                         rf"iam\.amazonaws\.com DeletePolicy on policyArn=arn:aws:iam::123837392027:policy/\S+  "
                         rf"from {re.escape(SOURCE_IP)} \(us-east-1\)  succeeded$")
        self.assertIn(f"\n{server.endpoint}/?Action=Unsubscribe&SubscriptionArn={email_arn}\n", text)
        html = m.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
        self.assertIn(">What happened</h2>", html)
        self.assertIn(f'<span class="who">{PRINCIPAL}</span>', html)
        self.assertIn(f'<span class="from">{SOURCE_IP} (us-east-1)</span>', html)
