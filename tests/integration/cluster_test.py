"""Two or three `trailwatch serve` nodes on one PostgreSQL store (issue 16):
any node answers any request, one node evaluates the alarms, and when it is
SIGKILLed right after it stored breaching samples, the other takes over,
reads them from the store, and each alarm (a 10-second and a minute alarm)
fires once, its notification sent once (the http message and the e-mail); a notification whose delivery a SIGKILL cut is sent by the other
node once the lease has run out, with the same MessageId; PutLogEvents sent
to three nodes at once keeps every acknowledged event, once, with distinct
ids, and so it does when PostgreSQL restarts under that load (requests in
the outage answer 503 "try again", the nodes reconnect); early alarms with
writers on every node make one transition and one notification.

Runs with TW_TEST_STORE=postgresql only (CMake registers it so).
"""

import collections
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import harness

EVALUATES = harness.EVALUATES


class ClusterTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        if harness.STORE_ENGINE != "postgresql":
            self.skipTest("needs TW_TEST_STORE=postgresql")
        self.store = harness.ScratchPostgres.store_for(os.path.join(self.workdir, "cluster"))

    def start_nodes(self, args=(), names=("a", "b"), smtp_port=None):
        return [self.start_server(data_dir=os.path.join(self.workdir, f"node-{name}"), store=self.store,
                                  name=f"node-{name}", args=list(args), smtp_port=smtp_port) for name in names]

    @staticmethod
    def logs_call(node, operation, payload):
        """(status, parsed body) of a CloudWatch Logs request sent once, so
        that a 503 is seen as such (an SDK would retry it)."""
        status, _, body = harness.signed_post(node.endpoint, "logs", json.dumps(payload).encode(), {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Logs_20140328.{operation}"})
        return status, json.loads(body or b"{}")

    def stored_messages(self, node, group):
        """Every event of `group` read through `node`: (messages, distinct ids)."""
        messages, ids, token = [], set(), None
        while True:
            status, page = self.logs_call(node, "FilterLogEvents",
                                          {"logGroupName": group, **({"nextToken": token} if token else {})})
            self.assertEqual(status, 200, page)
            messages += [e["message"] for e in page["events"]]
            ids |= {e["eventId"] for e in page["events"]}
            token = page.get("nextToken")
            if not token:
                return messages, ids

    def test_a_takeover_fires_the_alarm_once(self):
        receiver = self.start_receiver()
        sink = self.start_smtp()
        nodes = self.start_nodes(["--allow-endpoint", "127.0.0.1/32"], smtp_port=sink.port)
        evaluator = harness.evaluator_of(nodes)
        [survivor] = [n for n in nodes if n is not evaluator]

        # Configured through the evaluator, used through the other.
        cloudwatch, sns = harness.boto3_clients(self.workdir, evaluator.endpoint, "cloudwatch", "sns")
        topic = sns.create_topic(Name="cluster-alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url())
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        status, _, body = harness.http_get(confirmation.json()["SubscribeURL"])
        self.assertEqual(status, 200, body)
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
        mail = sink.wait_for(lambda m: m["message"]["Subject"] == "AWS Notification - Subscription Confirmation")
        [link] = [line for line in harness.mail_text(mail["message"]).splitlines()
                  if line.startswith("http://") and "Action=ConfirmSubscription" in line]
        status, _, body = harness.http_get(link)
        self.assertEqual(status, 200, body)
        # A high-resolution alarm, evaluated every 10 s, which shows the
        # takeover's own delay; and a minute alarm, as the CIS alarms are,
        # whose minute is evaluated by the survivor (at its boundary, or as
        # a missed boundary when the takeover comes after it).
        cloudwatch.put_metric_alarm(AlarmName="Latency", Namespace="App", MetricName="Latency",
                                    Statistic="Maximum", Period=10, EvaluationPeriods=1, Threshold=21.0,
                                    ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
                                    AlarmActions=[topic])
        cloudwatch.put_metric_alarm(AlarmName="Errors", Namespace="App", MetricName="Errors",
                                    Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=0.0,
                                    ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
                                    AlarmActions=[topic])

        # The breaching samples go to the evaluator, which dies at once
        # (most likely before its next evaluation): the survivor must read
        # them from the store to fire.
        cloudwatch.put_metric_data(Namespace="App", MetricData=[
            {"MetricName": "Latency", "Value": 50.0, "StorageResolution": 1, "Timestamp": time.time()},
            {"MetricName": "Errors", "Value": 1.0, "Timestamp": time.time()}])
        evaluator.kill()
        killed_at = time.time()
        cloudwatch, = harness.boto3_clients(self.workdir, survivor.endpoint, "cloudwatch")

        def alarm_notifications(name):
            return [r for r in receiver.received(harness.sns_type("Notification"))
                    if json.loads(r.json()["Message"])["NewStateValue"] == "ALARM"
                    and json.loads(r.json()["Message"])["AlarmName"] == name]

        def alarm_mails(name):
            return [m for m in sink.messages() if m["message"]["Subject"].startswith(f'ALARM: "{name}"')]
        # The lease runs out 10 s after its last renewal; the survivor then
        # evaluates the boundaries missed at once.
        harness.wait_until(lambda: alarm_notifications("Latency"), timeout=60,
                           what="the 10-second alarm's notification after the takeover")
        took = time.time() - killed_at
        self.assertIn(f"this node ({socket.gethostname()}:{survivor.data_dir}) {EVALUATES}",
                      survivor.log())
        print(f"the survivor evaluated and notified {took:.1f} s after the kill", flush=True)
        harness.wait_until(lambda: alarm_notifications("Errors"), timeout=90,
                           what="the minute alarm's notification after the takeover")
        for name in ("Latency", "Errors"):
            harness.wait_until(lambda: alarm_mails(name), what=f"the ALARM e-mail of {name}")
        # Two more evaluations: still one transition, one message, one mail each.
        time.sleep(21)
        for name in ("Latency", "Errors"):
            self.assertEqual(len(alarm_notifications(name)), 1, name)
            [mail] = alarm_mails(name)
            self.assertEqual(mail["message"]["Subject"], f'ALARM: "{name}" in US East (N. Virginia)')
            self.assertEqual(mail["info"]["rcpt_tos"], ["oncall@example.com"])
            history = cloudwatch.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")
            self.assertEqual([h["HistorySummary"] for h in history["AlarmHistoryItems"]],
                             ["Alarm updated from INSUFFICIENT_DATA to ALARM"], name)
        self.assertEqual(survivor.stop(), 0)

    def test_a_delivery_cut_by_a_sigkill_is_sent_by_the_other_node_with_its_message_id(self):
        release, held = threading.Event(), []

        def respond(request):
            # The first attempt of the notification is held unanswered until after the kill.
            if harness.sns_type("Notification")(request) and not held:
                held.append(request)
                release.wait(60)
            return 200

        receiver = self.start_receiver(respond)
        self.addCleanup(release.set)
        # A 2 s HTTP timeout: a lease lasts 32 s (the timeout and 30 s).
        nodes = self.start_nodes(["--allow-endpoint", "127.0.0.1/32", "--http-timeout", "2"])
        sns, = harness.boto3_clients(self.workdir, nodes[0].endpoint, "sns")
        topic = sns.create_topic(Name="cluster-cut")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url())
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        status, _, body = harness.http_get(confirmation.json()["SubscribeURL"])
        self.assertEqual(status, 200, body)
        message_id = sns.publish(TopicArn=topic, Message="cut by a kill")["MessageId"]
        harness.wait_until(lambda: held, what="the first attempt of the notification")
        # Whichever node leased the row is killed mid-attempt.
        leased_by = subprocess.run(
            ["psql", "-At", self.store, "-c", "SELECT leased_by FROM deliveries WHERE type = 'Notification'"],
            capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        [delivering] = [n for n in nodes if leased_by == f"{socket.gethostname()}:{n.data_dir}"]
        [other] = [n for n in nodes if n is not delivering]
        delivering.kill()
        killed_at = time.time()
        release.set()
        again = receiver.wait_for(lambda r: harness.sns_type("Notification")(r) and r is not held[0],
                                  timeout=60, what="the notification sent by the other node")
        print(f"sent again {time.time() - killed_at:.1f} s after the kill", flush=True)
        self.assertEqual(again.headers["x-amz-sns-message-id"], message_id)
        self.assertEqual(held[0].headers["x-amz-sns-message-id"], message_id)
        self.assertEqual(again.json()["Message"], "cut by a kill")
        listed = [json.loads(line) for line in other.trailwatch("outbox", "list", "--json").stdout.splitlines()]
        [notification] = [d for d in listed if d["messageType"] == "Notification"]
        self.assertEqual((notification["state"], notification["messageId"]), ("delivered", message_id))
        self.assertEqual(other.stop(), 0)

    def test_put_log_events_on_every_node_keeps_each_acknowledged_event_once(self):
        nodes = self.start_nodes(names=("a", "b", "c"))
        clients = [harness.boto3_clients(self.workdir, n.endpoint, "logs")[0] for n in nodes]
        clients[0].create_log_group(logGroupName="cluster")
        writers, acknowledged, errors = [], [], []

        def write(client, stream):
            client.create_log_stream(logGroupName="cluster", logStreamName=stream)
            for batch in range(20):
                events = [{"timestamp": int(time.time() * 1000), "message": f"{stream} {batch} {seq}"}
                          for seq in range(50)]
                try:
                    client.put_log_events(logGroupName="cluster", logStreamName=stream, logEvents=events)
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(f"{stream}: {e}")
                    return
                acknowledged.extend(e["message"] for e in events)

        for i, client in enumerate(clients):
            for w in range(2):
                writers.append(threading.Thread(target=write, args=(client, f"node{i}-writer{w}")))
        for t in writers:
            t.start()
        for t in writers:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(len(acknowledged), 3 * 2 * 20 * 50)
        # Read back through each node: every event once, ids distinct.
        for node in nodes:
            messages, ids = self.stored_messages(node, "cluster")
            self.assertEqual(sorted(messages), sorted(acknowledged))
            self.assertEqual(len(ids), len(acknowledged))
        for n in nodes:
            self.assertEqual(n.stop(), 0)

    def test_a_console_session_from_one_node_works_on_the_other(self):
        def console(node, method, body=None, headers=None):
            request = urllib.request.Request(f"{node.endpoint}/console/api/session", method=method,
                                             data=body, headers=headers or {})
            try:
                with urllib.request.urlopen(request, timeout=10) as r:
                    return r.status, r.headers, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, e.headers, json.loads(e.read())

        a, b = self.start_nodes()
        status, headers, signed_in = console(a, "POST", json.dumps({
            "accessKeyId": harness.ACCESS_KEY_ID, "secretAccessKey": harness.SECRET_ACCESS_KEY}).encode(),
            {"Content-Type": "application/json", "Origin": a.endpoint})
        self.assertEqual(status, 200, signed_in)
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        status, _, session = console(b, "GET", headers={"Cookie": cookie})
        self.assertEqual((status, session["accessKeyId"], session["csrfToken"]),
                         (200, harness.ACCESS_KEY_ID, signed_in["csrfToken"]))
        # Signed out through B: A no longer knows the session either.
        status, _, body = console(b, "DELETE", headers={"Cookie": cookie, "X-CSRF-Token": session["csrfToken"]})
        self.assertEqual(status, 200, body)
        self.assertEqual(console(a, "GET", headers={"Cookie": cookie})[::2], (401, {"error": "not signed in"}))
        for node in (a, b):
            self.assertEqual(node.stop(), 0)

    def test_a_postgresql_restart_under_load_loses_nothing_acknowledged(self):
        nodes = self.start_nodes(names=("a", "b", "c"))
        self.assertEqual(self.logs_call(nodes[0], "CreateLogGroup", {"logGroupName": "restart"})[0], 200)
        stop, restarted = threading.Event(), threading.Event()
        acknowledged, refused, errors = [], [], []
        after_restart = collections.Counter()  # node name -> batches acknowledged after the restart

        def write(node, stream):
            status, body = self.logs_call(node, "CreateLogStream", {"logGroupName": "restart", "logStreamName": stream})
            if status != 200:
                errors.append(f"{stream}: CreateLogStream {status} {body}")
                return
            for batch in range(100_000):
                if stop.is_set():
                    return
                messages = [f"{stream} {batch} {seq}" for seq in range(20)]
                was_restarted = restarted.is_set()
                try:
                    status, body = self.logs_call(node, "PutLogEvents", {
                        "logGroupName": "restart", "logStreamName": stream,
                        "logEvents": [{"timestamp": int(time.time() * 1000), "message": m} for m in messages]})
                except OSError as e:  # serve must stay up and answer
                    errors.append(f"{stream}: {e}")
                    return
                if status == 200:
                    acknowledged.extend(messages)
                    if was_restarted:
                        after_restart[node.log_path] += 1
                elif status == 503:
                    refused.append(body)
                    time.sleep(0.05)
                else:
                    errors.append(f"{stream}: {status} {body}")
                    return

        writers = [threading.Thread(target=write, args=(node, f"{i}-{w}"))
                   for i, node in enumerate(nodes) for w in range(2)]
        for t in writers:
            t.start()
        try:
            harness.wait_until(lambda: len(acknowledged) >= 2000 or errors, what="2,000 events before the restart")
            harness.ScratchPostgres.stop_server()
            harness.wait_until(lambda: len(refused) >= len(writers) or errors, what="503s in the outage")
            harness.ScratchPostgres.start_server()
            restarted.set()
            harness.wait_until(lambda: all(after_restart[n.log_path] >= 20 for n in nodes) or errors,
                               what="20 batches acknowledged by every node after the restart")
        finally:
            stop.set()
            for t in writers:
                t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual({json.dumps(b, sort_keys=True) for b in refused}, {json.dumps(
            {"__type": "ServiceUnavailableException", "message": "The service is unavailable; try again."},
            sort_keys=True)})
        print(f"{len(acknowledged)} events acknowledged, {len(refused)} batches refused with 503", flush=True)
        for node in nodes:
            # Its once-a-second follower, if it ran into the outage, reconnects too.
            if "following the shared store: " in node.log():
                harness.wait_until(lambda: "following the shared store again" in node.log(),
                                   what=f"{node.log_path} to follow the store again")
            messages, ids = self.stored_messages(node, "restart")
            counts = collections.Counter(messages)
            # Every acknowledged event once; a batch refused with 503 may
            # have committed before the connection was cut, never twice.
            self.assertEqual([m for m in acknowledged if counts[m] != 1], [])
            self.assertEqual([m for m, n in counts.items() if n > 1], [])
            self.assertEqual(len(ids), len(messages))
        for node in nodes:
            self.assertEqual(node.stop(), 0)

    def test_early_alarms_with_writers_on_every_node_transition_once(self):
        receiver = self.start_receiver()
        nodes = self.start_nodes(["--allow-endpoint", "127.0.0.1/32", "--early-alarm"])
        logs, cloudwatch, sns = harness.boto3_clients(self.workdir, nodes[0].endpoint, "logs", "cloudwatch", "sns")
        topic = sns.create_topic(Name="cluster-early")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url())
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        status, _, body = harness.http_get(confirmation.json()["SubscribeURL"])
        self.assertEqual(status, 200, body)
        logs.create_log_group(logGroupName="early")
        logs.put_metric_filter(logGroupName="early", filterName="Errors", filterPattern="ERROR",
                               metricTransformations=[{"metricName": "Errors", "metricNamespace": "App",
                                                       "metricValue": "1"}])
        cloudwatch.put_metric_alarm(AlarmName="Errors", Namespace="App", MetricName="Errors", Statistic="Sum",
                                    Period=60, EvaluationPeriods=1, Threshold=10.0,
                                    ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
                                    AlarmActions=[topic])
        # The other node compiles the new filter within a second of seeing
        # it changed; the writes must not straddle a minute boundary.
        time.sleep(2)
        while not 5 <= time.time() % 60 <= 40:
            time.sleep(0.2)
        errors = []

        def write(node, stream):
            client, = harness.boto3_clients(self.workdir, node.endpoint, "logs")
            try:
                client.create_log_stream(logGroupName="early", logStreamName=stream)
                for batch in range(10):
                    client.put_log_events(logGroupName="early", logStreamName=stream, logEvents=[
                        {"timestamp": int(time.time() * 1000), "message": f"ERROR {stream} {batch} {i}"}
                        for i in range(3)])
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(f"{stream}: {e}")

        writers = [threading.Thread(target=write, args=(node, f"{i}-{w}"))
                   for i, node in enumerate(nodes) for w in range(2)]
        for t in writers:
            t.start()
        for t in writers:
            t.join(60)
        self.assertEqual(errors, [])

        def alarm_notifications():
            return [r for r in receiver.received(harness.sns_type("Notification"))
                    if json.loads(r.json()["Message"])["NewStateValue"] == "ALARM"]
        harness.wait_until(alarm_notifications, what="the early ALARM notification")
        time.sleep(3)  # time for a second, wrong one
        self.assertEqual(len(alarm_notifications()), 1)
        history = cloudwatch.describe_alarm_history(AlarmName="Errors", HistoryItemType="StateUpdate")
        # From OK when an evaluation of the empty minute ran before the writes.
        [to_alarm] = [h["HistorySummary"] for h in history["AlarmHistoryItems"]
                      if h["HistorySummary"].endswith(" to ALARM")]
        self.assertRegex(to_alarm, r"^Alarm updated from (OK|INSUFFICIENT_DATA) to ALARM$")
        for node in nodes:
            self.assertEqual(node.stop(), 0)


if __name__ == "__main__":
    harness.main()
