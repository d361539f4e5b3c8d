"""`trailwatch serve` as an operator starts it (issue 15, command line): the
templates are read before anything is created, --parameter gives template
parameters their values across several templates (as `aws cloudformation
deploy --parameter-overrides` does), and the log names the console's URL.
"""

import os
import subprocess

import harness

EXAMPLES = os.path.join(harness.SOURCE_DIR, "examples")


class ServeCliTest(harness.IntegrationTest):
    def refused(self, *args):
        data = os.path.join(self.workdir, "never")
        run = subprocess.run([harness.BINARY, "serve", "--data-dir", data, "--listen", "127.0.0.1:0", *args],
                             capture_output=True, text=True, timeout=30, cwd=self.workdir)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertFalse(os.path.exists(data), "a refused start created the data directory")
        return run.stderr

    def test_a_bad_template_or_parameter_creates_nothing(self):
        err = self.refused("--template", "nope.yaml")
        self.assertRegex(err, r"error nope\.yaml: No such file or directory\n$")
        self.assertEqual(err.count("nope.yaml"), 1, err)
        err = self.refused("--template", os.path.join(EXAMPLES, "iam-policy-change.yaml"),
                           "--template", os.path.join(EXAMPLES, "cis-benchmark.yaml"), "--parameter", "Nope=1")
        self.assertIn("--parameter Nope=...: no template declares the parameter Nope", err)
        err = self.refused("--template", os.path.join(EXAMPLES, "iam-policy-change.yaml"),
                           "--parameter", "NotificationEmail=not-an-address")
        self.assertIn("NotificationEmail", err)

    def test_parameters_across_templates_and_the_console_url(self):
        server = self.start_server(args=[
            "--template", os.path.join(EXAMPLES, "iam-policy-change.yaml"),
            "--template", os.path.join(EXAMPLES, "cis-benchmark.yaml"),
            "--parameter", "NotificationEmail=iam@example.org", "--parameter", "AlarmEmail=cis@example.org"])
        self.assertIn(f"console at {server.endpoint}/console/ (sign in with an access key)", server.log())
        sns, = harness.boto3_clients(self.workdir, server.endpoint, "sns")
        endpoints = sorted(s["Endpoint"] for s in sns.list_subscriptions()["Subscriptions"]
                           if s["Protocol"] == "email")
        self.assertEqual(endpoints, ["cis@example.org", "iam@example.org"])
        self.assertRegex(server.log(), r"applied \S+iam-policy-change\.yaml: 1 log group, 1 metric filter, "
                                       r"1 alarm, 1 topic\n")


    def test_one_serve_per_data_directory_and_nodes_sharing_a_store(self):
        """A second `serve` on the same data directory is refused before it
        listens (the directory's lock). On PostgreSQL a second node, with a
        data directory of its own, shares the first one's store: what one
        node creates, the other answers with."""
        first = self.start_server()
        run = subprocess.run([harness.BINARY, "serve", "--data-dir", first.data_dir, "--listen", "127.0.0.1:0",
                              "--access-key", "AKIASECONDNODE000001:secret", *first.store_args()],
                             capture_output=True, text=True, timeout=30, cwd=self.workdir)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn(f"data directory {first.data_dir} is in use by another trailwatch process", run.stderr)
        self.assertNotIn("listening on", run.stderr)
        if harness.STORE_ENGINE == "postgresql":
            second = self.start_server(data_dir=os.path.join(self.workdir, "second-node"),
                                       store=harness.ScratchPostgres.store_for(first.data_dir), name="second")
            sns_first, = harness.boto3_clients(self.workdir, first.endpoint, "sns")
            sns_second, = harness.boto3_clients(self.workdir, second.endpoint, "sns")
            arn = sns_first.create_topic(Name="shared")["TopicArn"]
            self.assertEqual([t["TopicArn"] for t in sns_second.list_topics()["Topics"]], [arn])
            self.assertEqual(second.stop(), 0)
        # The first one is unaffected.
        status, _, body = harness.http_get(first.endpoint + "/health")
        self.assertEqual((status, body), (200, b"ok\n"))
        self.assertEqual(first.stop(), 0)

    def test_refused_requests_are_logged_with_their_reason(self):
        import boto3
        import botocore.config
        import botocore.exceptions
        server = self.start_server()
        harness.boto3_clients(self.workdir, server.endpoint)  # the machine's AWS settings set aside
        config = botocore.config.Config(retries={"max_attempts": 1})
        for key, secret in ((harness.ACCESS_KEY_ID, "not-the-secret"), ("AKIAUNKNOWN000000000", "x")):
            client = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                           region_name=harness.REGION).client(
                "cloudwatch", endpoint_url=server.endpoint, config=config)
            with self.assertRaises(botocore.exceptions.ClientError):
                client.describe_alarms()
        # A client whose clock is an hour slow: botocore signs with its own
        # clock (botocore.auth's datetime), so that is what is set back.
        import datetime
        import types
        from unittest import mock
        import botocore.auth

        class SlowClock(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return datetime.datetime.utcnow() - datetime.timedelta(hours=1)

        slow = types.SimpleNamespace(datetime=SlowClock, timedelta=datetime.timedelta)
        with mock.patch.object(botocore.auth, "datetime", slow):
            status, _, body = harness.signed_post(
                server.endpoint, "monitoring", b"Action=DescribeAlarms&Version=2010-08-01",
                {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        self.assertEqual(status, 403, body)
        log = server.log()
        refused = [line for line in log.splitlines() if " info  refused monitoring " in line]
        self.assertEqual(len(refused), 3, log)
        self.assertIn("SignatureDoesNotMatch", refused[0])
        self.assertIn("InvalidClientTokenId", refused[1])
        self.assertIn("Signature expired: ", refused[2])
        self.assertIn(" is now earlier than ", refused[2])
        self.assertNotIn("not-the-secret", log)

    def test_the_readme_confirmation_one_liner_after_the_tour(self):
        """The tour's replay --notify leaves alarm mails in the Maildir first; the
        README's one-liner must still pick the confirmation mail. Before it is
        confirmed, an alarm's mail to the subscription is logged as not sent."""
        subprocess.run([harness.BINARY, "replay", "--notify", "--template",
                        os.path.join(EXAMPLES, "iam-policy-change.yaml"),
                        os.path.join(EXAMPLES, "sample-cloudtrail.json")],
                       cwd=self.workdir, check=True, capture_output=True, timeout=60)
        server = self.start_server(data_dir=os.path.join(self.workdir, "trailwatch-data"))
        sns, cloudwatch = harness.boto3_clients(self.workdir, server.endpoint, "sns", "cloudwatch")
        topic = sns.create_topic(Name="iam-alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="you@example.com")
        cloudwatch.put_metric_alarm(
            AlarmName="drill", Namespace="App", MetricName="m", Statistic="Maximum", Period=60,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic])
        cloudwatch.set_alarm_state(AlarmName="drill", StateValue="ALARM", StateReason="drill")
        harness.wait_until(lambda: "alarm drill: not sent to email you@example.com (topic " + topic +
                           "): the subscription is pending confirmation" in server.log(),
                           what="the log line about the pending subscription")

        with open(os.path.join(harness.SOURCE_DIR, "README.md")) as f:
            [one_liner] = [line for line in f if line.startswith("python3 -c 'import email")]
        harness.wait_until(lambda: any("Subscription Confirmation" in open(p, errors="replace").read()
                                       for p in self.maildir_files()), what="the confirmation mail")
        subprocess.run(["bash", "-c", one_liner], cwd=self.workdir, check=True, capture_output=True, timeout=30)
        [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertTrue(subscription["SubscriptionArn"].startswith(topic + ":"), subscription)

    def maildir_files(self):
        new = os.path.join(self.workdir, "trailwatch-data", "maildir", "new")
        return [os.path.join(new, name) for name in os.listdir(new)] if os.path.isdir(new) else []

if __name__ == "__main__":
    harness.main()
