"""Acceptance test 4: `trailwatch serve` is SIGKILLed while four boto3 clients
are sending PutLogEvents batches of 100 events; after a restart on the same
data directory:

  * every batch that got a success response is there, whole (GetLogEvents per
    stream, FilterLogEvents with and without a pattern); the batch in flight
    at the kill is there whole or not at all;
  * the metric filter's metric holds exactly those events (GetMetricStatistics
    Sum = matching events, SampleCount = all events: defaultValue 0);
  * the alarm that went to ALARM before the kill (--early-alarm, on the first
    batch) is still ALARM, and its notification, whose delivery was cut by
    the kill (the receiver holds the first attempt unanswered), is delivered
    after the restart with the same MessageId; `trailwatch outbox list
    --json` then shows it delivered and nothing pending.

Runs under Debian's Python (boto3 1.26); retries are off, so "acknowledged"
means what one request was answered.
"""

import json
import os
import threading
import time

import harness

try:
    import boto3
    import botocore.config
except ImportError as e:
    boto3 = None
    IMPORT_ERROR = str(e)

GROUP = "app/durability"
WRITERS = 4  # concurrent batches share commits (group commit)
BATCH = 100
MATCHING_PER_BATCH = 25  # seq % 4 == 0 is an ERROR
PATTERN = '{ $.level = "ERROR" }'
METRIC, NAMESPACE = "Errors", "Durability"
TOPIC = "durability-alerts"
ALARM = "DurabilityErrors"
MIN_ACKED = 30  # batches per writer acknowledged before the kill


class Writer(threading.Thread):
    """Sends batches to its stream until the server goes away."""

    def __init__(self, logs, index):
        super().__init__(daemon=True)
        self.logs = logs
        self.stream = f"writer-{index}"
        self.index = index
        self.acked = []  # batch numbers that got a success response
        self.error = None
        self.stop = threading.Event()

    def run(self):
        batch = 0
        while not self.stop.is_set():
            now = int(time.time() * 1000)
            events = [{"timestamp": now, "message": json.dumps(
                {"writer": self.index, "batch": batch, "seq": seq, "level": "ERROR" if seq % 4 == 0 else "INFO"})}
                for seq in range(BATCH)]
            try:
                response = self.logs.put_log_events(logGroupName=GROUP, logStreamName=self.stream, logEvents=events)
            except Exception as e:  # the kill: connection reset or refused
                self.error = e
                return
            if "rejectedLogEventsInfo" in response:
                self.error = AssertionError(f"rejected: {response['rejectedLogEventsInfo']}")
                return
            self.acked.append(batch)
            batch += 1


class DurabilityTest(harness.IntegrationTest):
    def clients(self, server):
        config = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
        session = boto3.session.Session(aws_access_key_id=harness.ACCESS_KEY_ID,
                                        aws_secret_access_key=harness.SECRET_ACCESS_KEY,
                                        region_name=harness.REGION)
        return [session.client(s, endpoint_url=server.endpoint, config=config) for s in ("logs", "cloudwatch", "sns")]

    def test_sigkill_during_put_log_events(self):
        if boto3 is None:
            self.fail(f"no boto3 in this Python: {IMPORT_ERROR}")
        os.environ.update({k: v for k, v in harness.client_environment(self.workdir).items() if k.startswith("AWS_")})
        release = threading.Event()
        first_notification = threading.Event()

        def respond(request):
            # The first attempt of the alarm notification is held unanswered until after the kill.
            if request.headers.get("x-amz-sns-message-type") == "Notification" and not first_notification.is_set():
                first_notification.set()
                release.wait(60)
            return 200

        receiver = self.start_receiver(respond)
        # The receiver is on 127.0.0.1, which serve refuses as an endpoint by default.
        args = ["--early-alarm", "--http-timeout", "60", "--allow-endpoint", "127.0.0.1/32"]
        server = self.start_server(args=args)
        logs, cloudwatch, sns = self.clients(server)
        logs.create_log_group(logGroupName=GROUP)
        for w in range(WRITERS):
            logs.create_log_stream(logGroupName=GROUP, logStreamName=f"writer-{w}")
        logs.put_metric_filter(logGroupName=GROUP, filterName="errors", filterPattern=PATTERN,
                               metricTransformations=[{"metricName": METRIC, "metricNamespace": NAMESPACE,
                                                       "metricValue": "1", "defaultValue": 0.0}])
        topic = sns.create_topic(Name=TOPIC)["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url())
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        status, _, body = harness.http_get(confirmation.json()["SubscribeURL"])
        self.assertEqual(status, 200, body)
        cloudwatch.put_metric_alarm(AlarmName=ALARM, MetricName=METRIC, Namespace=NAMESPACE, Statistic="Sum",
                                    Period=60, EvaluationPeriods=1, Threshold=0.0,
                                    ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic])
        started = time.time()

        writers = [Writer(logs, w) for w in range(WRITERS)]
        for w in writers:
            w.start()
        first_notification.wait(harness.STEP_TIMEOUT)
        self.assertTrue(first_notification.is_set(), "the alarm notification was not sent")
        held = receiver.received(harness.sns_type("Notification"))[0]
        harness.wait_until(lambda: all(len(w.acked) >= MIN_ACKED or w.error for w in writers),
                           what=f"{MIN_ACKED} acknowledged batches per writer")
        for w in writers:
            self.assertIsNone(w.error, f"{w.stream} failed before the kill")
        server.kill()
        for w in writers:
            w.join(harness.STEP_TIMEOUT)
            w.stop.set()
        release.set()
        acked = {w.stream: list(w.acked) for w in writers}
        for w in writers:
            # Still sending when the server died: the kill cut the traffic.
            self.assertIsNotNone(w.error, f"{w.stream} was not interrupted")
        print("acknowledged batches:", {s: len(b) for s, b in acked.items()},
              "errors:", {w.stream: type(w.error).__name__ for w in writers}, flush=True)

        server.start()
        logs, cloudwatch, sns = self.clients(server)
        present_batches = 0
        for stream, batches in acked.items():
            with self.subTest(stream=stream):
                found = self.batches_of(logs, stream)
                # Every acknowledged batch, whole; at most the one in flight besides, whole too.
                for b in batches:
                    self.assertEqual(sorted(found.get(b, [])), list(range(BATCH)), f"batch {b} of {stream}")
                extra = sorted(set(found) - set(batches))
                self.assertIn(extra, ([], [len(batches)]), f"unacknowledged batches in {stream}")
                for b in extra:
                    self.assertEqual(sorted(found[b]), list(range(BATCH)), f"in-flight batch {b} is partial")
                present_batches += len(found)
                print(f"{stream}: {len(batches)} acknowledged, {len(found)} stored", flush=True)
        total = present_batches * BATCH
        self.assertEqual(self.count_filtered(logs, None), total)
        self.assertEqual(self.count_filtered(logs, PATTERN), present_batches * MATCHING_PER_BATCH)

        datapoints = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE, MetricName=METRIC, StartTime=started - 120, EndTime=time.time() + 120, Period=60,
            Statistics=["Sum", "SampleCount"])["Datapoints"]
        self.assertEqual(sum(d["Sum"] for d in datapoints), present_batches * MATCHING_PER_BATCH)
        self.assertEqual(sum(d["SampleCount"] for d in datapoints), total)

        [alarm] = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]
        self.assertEqual(alarm["StateValue"], "ALARM")

        # The notification cut by the kill arrives again, the same message.
        redelivered = receiver.wait_for(lambda r: harness.sns_type("Notification")(r) and r is not held,
                                        what="the notification after the restart")
        self.assertEqual(redelivered.headers["x-amz-sns-message-id"], held.headers["x-amz-sns-message-id"])
        self.assertEqual(redelivered.json()["Message"], held.json()["Message"])
        self.assertEqual(json.loads(held.json()["Message"])["NewStateValue"], "ALARM")
        server.stop()
        # One transition, one message: nothing notified twice as new, nothing left behind.
        notifications = receiver.received(harness.sns_type("Notification"))
        self.assertEqual({r.headers["x-amz-sns-message-id"] for r in notifications},
                         {held.headers["x-amz-sns-message-id"]})

        listed = [json.loads(line) for line in server.trailwatch("outbox", "list", "--json").stdout.splitlines()]
        by_type = {}
        for d in listed:
            by_type.setdefault(d["messageType"], []).append(d)
        self.assertEqual(sorted(by_type), ["Notification", "SubscriptionConfirmation"], listed)
        [notification] = by_type["Notification"]
        self.assertEqual(notification["state"], "delivered", notification)
        self.assertEqual(notification["messageId"], held.headers["x-amz-sns-message-id"])
        self.assertEqual(notification["endpoint"], receiver.url())
        self.assertEqual(notification["lastStatus"], 200)
        self.assertEqual([d["state"] for d in listed if d["state"] != "delivered"], [])

    def batches_of(self, logs, stream):
        """batch -> [seq, ...] of every event of `stream` (GetLogEvents, from
        the head, until the forward token repeats)."""
        found, token = {}, None
        while True:
            kwargs = {"nextToken": token} if token else {}
            page = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True, **kwargs)
            for e in page["events"]:
                m = json.loads(e["message"])
                found.setdefault(m["batch"], []).append(m["seq"])
            if page["nextForwardToken"] == token:
                return found
            token = page["nextForwardToken"]

    def count_filtered(self, logs, pattern):
        count, token, ids = 0, None, set()
        while True:
            kwargs = {"nextToken": token} if token else {}
            if pattern:
                kwargs["filterPattern"] = pattern
            page = logs.filter_log_events(logGroupName=GROUP, **kwargs)
            count += len(page["events"])
            ids.update(e["eventId"] for e in page["events"])
            token = page.get("nextToken")
            if not token:
                self.assertEqual(len(ids), count, "eventIds are unique")
                return count


if __name__ == "__main__":
    harness.main()
