"""Composite alarms through Debian's boto3 (CloudWatch's Query protocol) and raw
JSON 1.0 requests (issue 14, theme 9), against a real `trailwatch serve`,
the composite's notification delivered to a real HTTP endpoint.

AWS's documented and recorded behaviour: PutCompositeAlarm creates the alarm
in INSUFFICIENT_DATA and evaluates it at once ("<arn> was created and its
alarm rule evaluates to OK"); a child's transition moves it ("<child arn>
transitioned to ALARM at <EEEE dd MMMM, yyyy HH:mm:ss> UTC", StateReasonData
{"triggeringAlarms": [...]}); DescribeAlarms lists composites only when
AlarmTypes asks for CompositeAlarm; DeleteAlarms refuses a child a composite
depends on ("Cannot delete X as there are composite alarm(s) depending on
it.").
"""

import json
import re

import botocore.exceptions

import harness

ARN = f"arn:aws:cloudwatch:{harness.REGION}:{harness.ACCOUNT_ID}:alarm:"
LONG_TIME = r"[A-Z][a-z]+day \d\d [A-Z][a-z]+, \d{4} \d\d:\d\d:\d\d UTC"


class CompositeAlarmTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.receiver = self.start_receiver()
        self.server = self.start_server(args=["--allow-endpoint", "127.0.0.1/32"])
        self.cloudwatch, self.sns = harness.boto3_clients(self.workdir, self.server.endpoint, "cloudwatch", "sns")
        # No data ever arrives: TreatMissingData ignore keeps the states the
        # tests set across the minute evaluations.
        for name in ("cpu", "deploying"):
            self.cloudwatch.put_metric_alarm(
                AlarmName=name, Namespace="App", MetricName=name, Statistic="Maximum", Period=60,
                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                TreatMissingData="ignore")
            self.cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="start")

    def error(self, call, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call(**kwargs)
        e = caught.exception.response
        return e["Error"]["Code"], e["Error"].get("Message"), e["ResponseMetadata"]["HTTPStatusCode"]

    def composite(self, name="service"):
        [c] = self.cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])[
            "CompositeAlarms"]
        return c

    def subscribed_topic(self, name="composite"):
        """A topic whose HTTP subscription to the receiver is confirmed."""
        topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=self.receiver.url("/c"))
        confirmation = self.receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        self.sns.confirm_subscription(TopicArn=topic, Token=json.loads(confirmation.body)["Token"])
        return topic

    def test_a_composite_follows_its_children_and_notifies(self):
        topic = self.subscribed_topic()

        rule = 'ALARM(cpu) AND NOT ALARM("deploying")'
        self.cloudwatch.put_composite_alarm(AlarmName="service", AlarmRule=rule, AlarmActions=[topic],
                                            Tags=[{"Key": "team", "Value": "sec"}])
        c = self.composite()
        self.assertEqual((c["AlarmRule"], c["StateValue"], c["AlarmArn"]), (rule, "OK", ARN + "service"))
        self.assertEqual(c["StateReason"], f"{ARN}service was created and its alarm rule evaluates to OK")
        self.assertEqual([t["arn"] for t in json.loads(c["StateReasonData"])["triggeringAlarms"]],
                         [ARN + "cpu", ARN + "deploying"])
        # Metric alarms only, unless asked.
        listed = self.cloudwatch.describe_alarms()
        self.assertEqual(([a["AlarmName"] for a in listed["MetricAlarms"]], listed["CompositeAlarms"]),
                         (["cpu", "deploying"], []))
        both = self.cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        self.assertEqual([a["AlarmName"] for a in both["CompositeAlarms"]], ["service"])
        self.assertEqual([a["AlarmName"] for a in self.cloudwatch.describe_alarms(
            ParentsOfAlarmName="cpu", AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]], ["service"])
        self.assertEqual([a["AlarmName"] for a in self.cloudwatch.describe_alarms(
            ChildrenOfAlarmName="service")["MetricAlarms"]], ["cpu", "deploying"])
        self.assertEqual(self.cloudwatch.list_tags_for_resource(ResourceARN=ARN + "service")["Tags"],
                         [{"Key": "team", "Value": "sec"}])

        self.cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="testing")
        c = self.composite()
        self.assertEqual(c["StateValue"], "ALARM")
        self.assertRegex(c["StateReason"], f"^{re.escape(ARN)}cpu transitioned to ALARM at {LONG_TIME}$")
        [trigger] = json.loads(c["StateReasonData"])["triggeringAlarms"]
        self.assertEqual((trigger["arn"], trigger["state"]["value"]), (ARN + "cpu", "ALARM"))

        notification = self.receiver.wait_for(harness.sns_type("Notification"), what="the composite's message")
        envelope = json.loads(notification.body)
        self.assertEqual(envelope["Subject"], 'ALARM: "service" in US East (N. Virginia)')
        message = json.loads(envelope["Message"])
        self.assertEqual(list(message), [
            "AlarmName", "AlarmDescription", "AWSAccountId", "AlarmConfigurationUpdatedTimestamp",
            "NewStateValue", "NewStateReason", "StateChangeTime", "Region", "AlarmArn", "OldStateValue",
            "OKActions", "AlarmActions", "InsufficientDataActions", "AlarmRule", "TriggeringChildren"])
        self.assertEqual((message["OldStateValue"], message["NewStateValue"], message["AlarmRule"]),
                         ("OK", "ALARM", rule))
        [child] = message["TriggeringChildren"]
        self.assertEqual((child["Arn"], child["State"]["Value"]), (ARN + "cpu", "ALARM"))

        # A deployment in progress silences it.
        self.cloudwatch.set_alarm_state(AlarmName="deploying", StateValue="ALARM", StateReason="deploy")
        self.assertEqual(self.composite()["StateValue"], "OK")
        history = self.cloudwatch.describe_alarm_history(AlarmName="service")["AlarmHistoryItems"]
        self.assertEqual([h["HistorySummary"] for h in history], [
            "Alarm updated from ALARM to OK", f"Successfully executed action {topic}",
            "Alarm updated from OK to ALARM", "Alarm updated from INSUFFICIENT_DATA to OK",
            'Alarm "service" created'])

        self.assertEqual(self.error(self.cloudwatch.delete_alarms, AlarmNames=["cpu"]), (
            "ValidationError", "Cannot delete cpu as there are composite alarm(s) depending on it.", 400))
        self.assertEqual(self.error(self.cloudwatch.delete_alarms, AlarmNames=["cpu", "deploying"])[1],
                         "Cannot delete cpu,deploying as there are composite alarm(s) depending on them.")
        self.cloudwatch.delete_alarms(AlarmNames=["service", "cpu"])  # together: allowed
        self.assertEqual(self.cloudwatch.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"], [])

    def test_actions_suppression(self):
        """ActionsSuppressor (CloudWatch API reference and user guide): while the
        suppressor is in ALARM the composite's actions are held (ActionsSuppressedBy
        Alarm), for ExtensionPeriod after it leaves ALARM, and a change to ALARM
        waits WaitPeriod for the suppressor; when a period ends the held actions
        run. The ticker lifts ended periods every 10 s."""
        topic = self.subscribed_topic()
        self.cloudwatch.put_composite_alarm(
            AlarmName="quiet", AlarmRule="ALARM(cpu)", AlarmActions=[topic], ActionsSuppressor="deploying",
            ActionsSuppressorWaitPeriod=1, ActionsSuppressorExtensionPeriod=1)
        c = self.composite("quiet")
        self.assertEqual((c["ActionsSuppressor"], c["ActionsSuppressorWaitPeriod"],
                          c["ActionsSuppressorExtensionPeriod"], c["StateValue"]), ("deploying", 1, 1, "OK"))
        self.assertNotIn("ActionsSuppressedBy", c)

        def suppressed_by():
            c = self.composite("quiet")
            return c.get("ActionsSuppressedBy"), c.get("ActionsSuppressedReason")

        def notifications():
            return self.receiver.received(harness.sns_type("Notification"))

        # The suppressor in ALARM holds the composite's change to ALARM.
        self.cloudwatch.set_alarm_state(AlarmName="deploying", StateValue="ALARM", StateReason="deploy")
        self.assertEqual(suppressed_by(), ("Alarm", "Actions suppressed by Alarm"))
        self.cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="hot")
        self.assertEqual(self.composite("quiet")["StateValue"], "ALARM")
        history = [h["HistorySummary"] for h in
                   self.cloudwatch.describe_alarm_history(AlarmName="quiet")["AlarmHistoryItems"]]
        self.assertEqual(history[0], "Alarm updated from OK to ALARM")
        self.assertNotIn(f"Successfully executed action {topic}", history)
        # Out of ALARM: an ExtensionPeriod, then the held actions run.
        self.cloudwatch.set_alarm_state(AlarmName="deploying", StateValue="OK", StateReason="done")
        self.assertEqual(suppressed_by(), ("ExtensionPeriod", "Actions suppressed by ExtensionPeriod"))
        [held] = harness.wait_until(notifications, timeout=25, what="the held notification")
        message = json.loads(json.loads(held.body)["Message"])
        self.assertEqual((message["AlarmName"], message["OldStateValue"], message["NewStateValue"]),
                         ("quiet", "OK", "ALARM"))
        self.assertEqual(suppressed_by(), (None, None))
        self.assertEqual(self.cloudwatch.describe_alarm_history(AlarmName="quiet")["AlarmHistoryItems"][0][
            "HistorySummary"], f"Successfully executed action {topic}")

        # A change to ALARM waits WaitPeriod for the suppressor, then runs.
        self.cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="OK", StateReason="cool")
        self.cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="hot again")
        self.assertEqual(suppressed_by(), ("WaitPeriod", "Actions suppressed by WaitPeriod"))
        harness.wait_until(lambda: len(notifications()) == 2, timeout=25, what="the waited notification")
        self.assertEqual(suppressed_by(), (None, None))

        refused = self.error(self.cloudwatch.put_composite_alarm, AlarmName="q2", AlarmRule="ALARM(cpu)",
                             ActionsSuppressor="nothing", ActionsSuppressorWaitPeriod=1,
                             ActionsSuppressorExtensionPeriod=1)
        self.assertEqual(refused, ("ValidationError", "ActionsSuppressor: no alarm named nothing exists", 400))
        refused = self.error(self.cloudwatch.put_composite_alarm, AlarmName="q2", AlarmRule="ALARM(cpu)",
                             ActionsSuppressorWaitPeriod=1)
        self.assertEqual(refused[0], "ValidationError")
        self.assertEqual(refused[1], "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are "
                                     "allowed only together with ActionsSuppressor")

    def test_composites_of_composites_and_what_is_refused(self):
        self.cloudwatch.put_composite_alarm(AlarmName="inner", AlarmRule="ALARM(cpu)")
        self.cloudwatch.put_composite_alarm(AlarmName="outer", AlarmRule=f'ALARM("{ARN}inner") OR FALSE')
        self.cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="testing")
        self.assertEqual(self.composite("outer")["StateValue"], "ALARM")
        self.assertRegex(self.composite("outer")["StateReason"], f"^{re.escape(ARN)}inner transitioned to ALARM")

        def refused(**kwargs):
            return self.error(self.cloudwatch.put_composite_alarm, **kwargs)
        self.assertEqual(refused(AlarmName="x", AlarmRule="ALARM(nothere)"),
                         ("ValidationError", "AlarmRule: no alarm named nothere exists", 400))
        self.assertEqual(refused(AlarmName="inner", AlarmRule="ALARM(outer)"), (
            "ValidationError", "AlarmRule: outer names inner, so naming it would make a cycle", 400))
        self.assertEqual(refused(AlarmName="x", AlarmRule="ALARM(cpu) AND"),
                         ("ValidationError", "AlarmRule: unexpected end of the rule at character 15", 400))
        self.assertEqual(refused(AlarmName="cpu", AlarmRule="TRUE")[1],
                         "AlarmName: cpu is already the name of a metric alarm")
        code, _, _ = self.error(self.cloudwatch.put_metric_alarm,
                                AlarmName="outer", Namespace="App", MetricName="m", Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold")
        self.assertEqual(code, "InvalidParameterValue")

    def test_set_state_and_actions_of_a_composite(self):
        topic = self.sns.create_topic(Name="manual")["TopicArn"]
        self.cloudwatch.put_composite_alarm(AlarmName="service", AlarmRule="ALARM(cpu)", AlarmActions=[topic])
        self.cloudwatch.disable_alarm_actions(AlarmNames=["service"])
        self.assertFalse(self.composite()["ActionsEnabled"])
        self.cloudwatch.set_alarm_state(AlarmName="service", StateValue="ALARM", StateReason="drill")
        c = self.composite()
        self.assertEqual((c["StateValue"], c["StateReason"]), ("ALARM", "drill"))
        history = self.cloudwatch.describe_alarm_history(AlarmName="service")["AlarmHistoryItems"]
        # Actions disabled: the change is recorded, no action runs.
        self.assertEqual(history[0]["HistorySummary"], "Alarm updated from OK to ALARM")
        self.cloudwatch.enable_alarm_actions(AlarmNames=["service"])
        self.assertTrue(self.composite()["ActionsEnabled"])
        # The next child transition evaluates the rule again: cpu is OK, so OK.
        self.cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="up")
        self.cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="OK", StateReason="down")
        self.assertEqual(self.composite()["StateValue"], "OK")
        self.assertEqual(self.error(self.cloudwatch.set_alarm_state, AlarmName="nothing", StateValue="OK",
                                    StateReason="x")[0], "ResourceNotFound")

    def test_json_protocol(self):
        def call(operation, payload):
            status, _, body = harness.signed_post(self.server.endpoint, "monitoring", json.dumps(payload).encode(), {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": f"GraniteServiceVersion20100801.{operation}"})
            return status, json.loads(body or b"{}")

        self.assertEqual(call("PutCompositeAlarm", {"AlarmName": "j", "AlarmRule": "OK(cpu)"}), (200, {}))
        status, body = call("DescribeAlarms", {"AlarmTypes": ["CompositeAlarm"]})
        self.assertEqual(status, 200)
        self.assertEqual(body["MetricAlarms"], [])
        [c] = body["CompositeAlarms"]
        self.assertEqual((c["AlarmName"], c["StateValue"], c["AlarmRule"]), ("j", "ALARM", "OK(cpu)"))
        self.assertIsInstance(c["StateUpdatedTimestamp"], float)
        status, body = call("DescribeAlarms", {"AlarmTypes": ["Composite"]})
        self.assertEqual((status, body["__type"]), (400, "com.amazon.coral.validate#ValidationException"))


if __name__ == "__main__":
    harness.main()
