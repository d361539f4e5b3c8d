"""Issue 12, endpoint passwords: SNS lets an http(s) endpoint carry
user:password@ (basic authentication). trailwatch uses the password to
deliver and shows it nowhere but GetSubscriptionAttributes, as AWS does.

Before the fix the password was in the serve log ("subscription confirmed",
every delivery line), in `outbox list`/`outbox show` (the endpoint and the
request URL), in the console's topics JSON, and in ListSubscriptions and
ListSubscriptionsByTopic. This test failed on each of them."""

import base64
import json
import os
import re
import shutil
import tempfile
import unittest

from datadir_secrets_support import Serve, client, console_get, harness, run

KEY_ID, SECRET = "AKIDREDACT", "redaction-test-secret"
PASSWORD = "pa55w0rd"


class RedactionTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tw-redact-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.data = os.path.join(self.work, "data")

    def test_an_endpoint_password_is_used_but_shown_only_by_get_subscription_attributes(self):
        receiver = harness.HttpReceiver()
        self.addCleanup(receiver.cleanup)
        hook = f"http://user:{PASSWORD}@127.0.0.1:{receiver.port}/hook"
        shown_hook = f"http://user:****@127.0.0.1:{receiver.port}/hook"
        closed = harness.free_port()  # nothing listens: every attempt is refused and retried
        dead = f"https://user:{PASSWORD}@127.0.0.1:{closed}/hook"
        shown_dead = f"https://user:****@127.0.0.1:{closed}/hook"

        args = []
        # Loopback endpoints need --allow-endpoint once serve refuses them by
        # default (SSRF protection, also issue 12); older builds lack the flag.
        if "--allow-endpoint" in run(["serve", "--help"]).stdout:
            args += ["--allow-endpoint", "127.0.0.1/32"]
        # --access-key rather than a key file: older builds take only it, and
        # this test must show their leaks, not a refused signature.
        server = Serve(self.work, self.data, args + ["--access-key", f"{KEY_ID}:{SECRET}"])
        self.addCleanup(server.cleanup)
        server.start()
        sns = client("sns", server.url, KEY_ID, SECRET)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook)
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=dead)

        # The password is what the endpoint receives.
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        self.assertEqual(confirmation.headers.get("authorization"),
                         "Basic " + base64.b64encode(f"user:{PASSWORD}".encode()).decode())
        status, _, _ = harness.http_get(confirmation.json()["SubscribeURL"])
        self.assertEqual(status, 200)
        harness.wait_until(lambda: "subscription confirmed" in server.log(), what="the confirmation")
        sns.publish(TopicArn=topic, Subject="hello", Message="hello")
        receiver.wait_for(harness.sns_type("Notification"))
        harness.wait_until(lambda: "delivered Notification" in server.log(), what="the delivery")
        harness.wait_until(lambda: f"connection refused (127.0.0.1:{closed})" in server.log(),
                           what="the refused attempt")

        # SNS: the lists mask it, GetSubscriptionAttributes gives it whole.
        listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual(sorted((s["Protocol"], s["Endpoint"]) for s in listed),
                         [("http", shown_hook), ("https", shown_dead)])
        everything = sns.list_subscriptions()["Subscriptions"]
        self.assertEqual(sorted(s["Endpoint"] for s in everything), [shown_hook, shown_dead])
        confirmed = next(s["SubscriptionArn"] for s in listed if s["Protocol"] == "http")
        attributes = sns.get_subscription_attributes(SubscriptionArn=confirmed)["Attributes"]
        self.assertEqual(attributes["Endpoint"], hook)

        # The console's topics page.
        status, body = console_get(server.url, KEY_ID, SECRET, "topics")
        self.assertEqual(status, 200, body)
        self.assertNotIn(PASSWORD, body)
        topics = json.loads(body)["topics"]
        self.assertEqual(sorted(s["endpoint"] for s in topics[0]["subscriptions"]),
                         [shown_hook, shown_dead])
        self.assertEqual({d["endpoint"] for d in topics[0]["deliveries"]}, {shown_dead, shown_hook})

        self.assertEqual(server.stop(), 0)
        log = server.log()
        self.assertNotIn(PASSWORD, log)
        self.assertIn(f"subscription confirmed: {confirmed} (http {shown_hook})\n", log)
        self.assertRegex(log, r"delivered Notification [0-9a-f-]{36} to http " + re.escape(shown_hook) +
                         r" \(attempt 1\): HTTP 200\n")
        self.assertRegex(log, r"will retry SubscriptionConfirmation [0-9a-f-]{36} to https " +
                         re.escape(shown_dead) + r" \(attempt 1\): connection refused \(127\.0\.0\.1:" +
                         str(closed) + r"\)\n")

        # `trailwatch outbox`, after serve let go of the data directory.
        listing = run(["outbox", "list", "--data-dir", self.data])
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertNotIn(PASSWORD, listing.stdout + listing.stderr)
        self.assertIn(shown_hook, listing.stdout)
        self.assertIn(shown_dead, listing.stdout)
        rows = run(["outbox", "list", "--json", "--data-dir", self.data])
        self.assertNotIn(PASSWORD, rows.stdout)
        deliveries = [json.loads(line) for line in rows.stdout.splitlines()]
        self.assertEqual({d["endpoint"] for d in deliveries}, {shown_hook, shown_dead})
        for d in deliveries:
            shown = run(["outbox", "show", "--data-dir", self.data, str(d["id"])])
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertNotIn(PASSWORD, shown.stdout)
            self.assertEqual(json.loads(shown.stdout)["request"]["url"], d["endpoint"])


if __name__ == "__main__":
    harness.main()  # unittest.main, with closed servers' sockets not reported
