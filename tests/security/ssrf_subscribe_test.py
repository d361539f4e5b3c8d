"""Issue 12, SSRF, against a real `trailwatch serve`: http(s) and slack
subscriptions may not target loopback, link-local or private addresses
unless --allow-endpoint covers them.

  * Subscribe (boto3, signed) to a receiver on 127.0.0.1, to the metadata
    service 169.254.169.254, to localhost, to ::ffff:127.0.0.1, to the
    decimal form 2130706433, to a private slack webhook: InvalidParameter
    (400) with the message naming the address; nothing stored, nothing sent.
  * With --allow-endpoint 127.0.0.1/32 the receiver can subscribe and gets
    its SubscriptionConfirmation; 169.254.169.254 is still refused.
  * A template subscription to 127.0.0.1 stops serve at start (exit 2).
  * A subscription stored while 127.0.0.1 was allowed, after a restart
    without the flag: the notification is dead after one attempt with
    "endpoint address 127.0.0.1 is not allowed (loopback)", and the
    receiver gets nothing.
  * A bad --allow-endpoint is a usage error.

Before: every one of these subscriptions was accepted and the receiver got
its confirmation request; the stored one was delivered.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

sys.path.insert(0, os.path.join(os.environ.get(
    "TW_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    "tests", "integration"))
import harness  # noqa: E402

import boto3  # noqa: E402
import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

TAIL = ("; trailwatch refuses private, loopback and link-local endpoints unless --allow-endpoint "
        "covers them")
ALLOW_LOOPBACK = ["--allow-endpoint", "127.0.0.1/32"]
QUIET = 1.0  # seconds a receiver must stay silent (the deliverer polls every 0.2 s)


def first_address(host):
    """The first address getaddrinfo gives for a TCP connection, as trailwatch sees it."""
    return socket.getaddrinfo(host, None, socket.AF_UNSPEC, socket.SOCK_STREAM)[0][4][0]


class SsrfSubscribeTest(harness.IntegrationTest):

    def sns(self, server):
        os.environ.update({k: v for k, v in harness.client_environment(self.workdir).items()
                           if k.startswith("AWS_")})
        return boto3.session.Session().client(
            "sns", endpoint_url=server.endpoint,
            config=botocore.config.Config(retries={"max_attempts": 0}))

    def assert_refused(self, sns, topic, protocol, endpoint, what):
        with self.assertRaises(ClientError, msg=endpoint) as caught:
            sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
        error = caught.exception.response
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 400, endpoint)
        self.assertEqual(error["Error"]["Code"], "InvalidParameter", endpoint)
        self.assertEqual(error["Error"]["Message"], "Invalid parameter: Endpoint Reason: " + what + TAIL)

    def test_loopback_link_local_and_private_endpoints_are_refused_by_default(self):
        receiver = self.start_receiver()
        server = self.start_server()
        sns = self.sns(server)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        port = receiver.port
        for protocol, endpoint, what in [
            ("http", receiver.url(), "127.0.0.1 is a loopback address"),
            ("http", "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
             "169.254.169.254 is a link-local address"),
            ("http", f"http://localhost:{port}/hook",
             f"localhost resolves to {first_address('localhost')}, a loopback address"),
            ("http", f"http://[::ffff:127.0.0.1]:{port}/hook", "::ffff:127.0.0.1 is a loopback address"),
            ("http", f"http://2130706433:{port}/hook", "127.0.0.1 is a loopback address"),
            ("http", f"http://0.0.0.0:{port}/hook", "0.0.0.0 is an unspecified address"),
            ("https", "https://10.0.0.5/hook", "10.0.0.5 is a private address"),
            ("https", "https://[fd00::5]/hook", "fd00::5 is a private address"),
            ("slack", "https://192.168.1.10/services/T000/B000/XXXX", "192.168.1.10 is a private address"),
        ]:
            self.assert_refused(sns, topic, protocol, endpoint, what)
        self.assertEqual(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"], [])
        time.sleep(QUIET)
        self.assertEqual(receiver.received(), [])
        # E-mail is delivered by the operator's SMTP server (or the Maildir): not checked.
        self.assertEqual(sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@127.0.0.1")
                         ["SubscriptionArn"], "pending confirmation")

    def test_allow_endpoint_opens_exactly_the_networks_it_names(self):
        receiver = self.start_receiver()
        server = self.start_server(args=ALLOW_LOOPBACK)
        sns = self.sns(server)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        self.assertEqual(sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url())
                         ["SubscriptionArn"], "pending confirmation")
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation")).json()
        self.assertEqual(confirmation["TopicArn"], topic)
        self.assert_refused(sns, topic, "http", "http://169.254.169.254/",
                            "169.254.169.254 is a link-local address")
        self.assert_refused(sns, topic, "http", f"http://127.0.0.2:{receiver.port}/",
                            "127.0.0.2 is a loopback address")

    def test_a_template_subscription_to_loopback_stops_serve(self):
        receiver = self.start_receiver()
        template = os.path.join(self.workdir, "t.yaml")
        with open(template, "w") as f:
            f.write(textwrap.dedent(f"""\
                Resources:
                  Alerts:
                    Type: AWS::SNS::Topic
                    Properties:
                      TopicName: alerts
                  Hook:
                    Type: AWS::SNS::Subscription
                    Properties:
                      TopicArn: !Ref Alerts
                      Protocol: http
                      Endpoint: {receiver.url()}
                """))
        cmd = [harness.BINARY, "serve", "--data-dir", os.path.join(self.workdir, "data"),
               "--listen", "127.0.0.1:0", "--access-key",
               f"{harness.ACCESS_KEY_ID}:{harness.SECRET_ACCESS_KEY}", "--template", template]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn(f"{template}: Resources.Hook: Invalid parameter: Endpoint Reason: 127.0.0.1 is a "
                      "loopback address" + TAIL, run.stderr)
        # With the receiver's address allowed, the same template starts.
        server = self.start_server(args=["--template", template] + ALLOW_LOOPBACK)
        subscriptions = self.sns(server).list_subscriptions()["Subscriptions"]
        self.assertEqual([s["Endpoint"] for s in subscriptions], [receiver.url()])

    def test_a_stored_subscription_is_refused_at_connect_time_after_the_allowance_is_gone(self):
        receiver = self.start_receiver()
        server = self.start_server(args=ALLOW_LOOPBACK)
        sns = self.sns(server)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url())
        confirmation = receiver.wait_for(harness.sns_type("SubscriptionConfirmation")).json()
        status, _, _ = harness.http_get(confirmation["SubscribeURL"])
        self.assertEqual(status, 200)
        sns.publish(TopicArn=topic, Message="while allowed")
        receiver.wait_for(harness.sns_type("Notification"))

        server.stop()
        server.args = []  # the same data directory, without --allow-endpoint
        server.start()
        sns = self.sns(server)
        message_id = sns.publish(TopicArn=topic, Message="after")["MessageId"]
        line = (f"dead-lettered Notification {message_id} to http {receiver.url()} (attempt 1): "
                "endpoint address 127.0.0.1 is not allowed (loopback)")
        harness.wait_until(lambda: line in server.log(), what="the dead letter in the log")
        time.sleep(QUIET)
        self.assertEqual(len(receiver.received(harness.sns_type("Notification"))), 1)
        server.stop()

        listed = server.trailwatch("outbox", "list", "--state", "dead", "--json").stdout
        dead = [json.loads(row) for row in listed.splitlines()]
        self.assertEqual(len(dead), 1, listed)
        self.assertEqual(dead[0]["messageId"], message_id)
        self.assertEqual(dead[0]["attempts"], 1)
        self.assertEqual(dead[0]["lastDetail"], "endpoint address 127.0.0.1 is not allowed (loopback)")

    def test_a_bad_allow_endpoint_is_a_usage_error(self):
        run = subprocess.run([harness.BINARY, "serve", "--data-dir", os.path.join(self.workdir, "data"),
                              "--allow-endpoint", "10.0.0.5/8"],
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("'10.0.0.5/8': host bits are set; the network is 10.0.0.0/8, a single address is "
                      "10.0.0.5/32", run.stderr)


if __name__ == "__main__":
    harness.main()
