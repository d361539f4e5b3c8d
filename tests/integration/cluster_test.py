"""Two `trailwatch serve` nodes on one PostgreSQL store (issue 16): any node
answers any request, one node evaluates the alarms, and when it is SIGKILLed
right after it stored a breaching sample, the other takes over, reads the
sample from the store, and the alarm fires once, its notification sent once;
a notification whose delivery a SIGKILL cut is sent by the other node once
the lease has run out, with the same MessageId;
PutLogEvents sent to both nodes at once keeps every acknowledged event,
once, with distinct ids.

Runs with TW_TEST_STORE=postgresql only (CMake registers it so).
"""

import json
import os
import socket
import subprocess
import threading
import time

import harness

EVALUATES = "evaluates the alarms"


class ClusterTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        if harness.STORE_ENGINE != "postgresql":
            self.skipTest("needs TW_TEST_STORE=postgresql")
        self.store = harness.ScratchPostgres.store_for(os.path.join(self.workdir, "cluster"))

    def start_nodes(self, args=()):
        return [self.start_server(data_dir=os.path.join(self.workdir, f"node-{name}"), store=self.store,
                                  name=f"node-{name}", args=list(args)) for name in ("a", "b")]

    def evaluator_of(self, nodes):
        """The node whose log says it evaluates, once the other stands by."""
        def decided():
            return (sum(f") {EVALUATES}" in n.log() for n in nodes) == 1 and
                    any("this one stands by" in n.log() for n in nodes))
        harness.wait_until(decided, what="one node evaluating, the other standing by")
        [evaluator] = [n for n in nodes if f") {EVALUATES}" in n.log()]
        return evaluator

    def test_a_takeover_fires_the_alarm_once(self):
        receiver = self.start_receiver()
        nodes = self.start_nodes(["--allow-endpoint", "127.0.0.1/32"])
        evaluator = self.evaluator_of(nodes)
        [survivor] = [n for n in nodes if n is not evaluator]

        # Configured through the evaluator, used through the other.
        cloudwatch, sns = harness.boto3_clients(self.workdir, evaluator.endpoint, "cloudwatch", "sns")
        topic = sns.create_topic(Name="cluster-alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url())
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        status, _, body = harness.http_get(confirmation.json()["SubscribeURL"])
        self.assertEqual(status, 200, body)
        # A high-resolution alarm: evaluated every 10 s, so the test waits
        # for the takeover, not for a minute boundary.
        cloudwatch.put_metric_alarm(AlarmName="Latency", Namespace="App", MetricName="Latency",
                                    Statistic="Maximum", Period=10, EvaluationPeriods=1, Threshold=21.0,
                                    ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
                                    AlarmActions=[topic])

        # The breaching sample goes to the evaluator, which dies at once
        # (mid-minute, most likely before its next evaluation): the
        # survivor must read the sample from the store to fire.
        cloudwatch.put_metric_data(Namespace="App", MetricData=[
            {"MetricName": "Latency", "Value": 50.0, "StorageResolution": 1, "Timestamp": time.time()}])
        evaluator.kill()
        killed_at = time.time()
        cloudwatch, = harness.boto3_clients(self.workdir, survivor.endpoint, "cloudwatch")

        def alarm_notifications():
            return [r for r in receiver.received(harness.sns_type("Notification"))
                    if json.loads(r.json()["Message"])["NewStateValue"] == "ALARM"]
        # The lease runs out 10 s after its last renewal; then a 10-second boundary.
        harness.wait_until(alarm_notifications, timeout=60, what="the ALARM notification after the takeover")
        took = time.time() - killed_at
        self.assertIn(f"this node ({socket.gethostname()}:{survivor.data_dir}) {EVALUATES}",
                      survivor.log())
        print(f"the survivor evaluated and notified {took:.1f} s after the kill", flush=True)
        # Two more evaluations: still one transition, one message.
        time.sleep(21)
        [notification] = alarm_notifications()
        self.assertEqual(json.loads(notification.json()["Message"])["AlarmName"], "Latency")
        history = cloudwatch.describe_alarm_history(AlarmName="Latency", HistoryItemType="StateUpdate")
        self.assertEqual([h["HistorySummary"] for h in history["AlarmHistoryItems"]],
                         ["Alarm updated from INSUFFICIENT_DATA to ALARM"])
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
        nodes = self.start_nodes()
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
        self.assertEqual(len(acknowledged), 2 * 2 * 20 * 50)
        # Read back through each node: every event once, ids distinct.
        for client in clients:
            messages, ids, token = [], set(), None
            while True:
                page = client.filter_log_events(logGroupName="cluster", **({"nextToken": token} if token else {}))
                messages += [e["message"] for e in page["events"]]
                ids |= {e["eventId"] for e in page["events"]}
                token = page.get("nextToken")
                if not token:
                    break
            self.assertEqual(sorted(messages), sorted(acknowledged))
            self.assertEqual(len(ids), len(acknowledged))
        for n in nodes:
            self.assertEqual(n.stop(), 0)


if __name__ == "__main__":
    harness.main()
