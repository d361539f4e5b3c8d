"""Muting an alarm through its tags with Debian's boto3 (issue 15,
"Silencing"), against a real `trailwatch serve` and a real HTTP subscriber.

A mute is the tag trailwatch:MutedUntil (an ISO 8601 time), set and removed
with TagResource / UntagResource as any tag: the alarm keeps changing state
and keeps its history, but runs no action until the time has passed; the
history says when it was muted and which action it did not run. A malformed
value is refused with InvalidParameterValue. (Reminders, trailwatch:RemindEvery,
wait at least 5 minutes: the engine's tests run them on a fake clock.)
"""

import datetime
import json

import botocore.exceptions

import harness


class SilencingTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.receiver = self.start_receiver()
        self.server = self.start_server(args=["--allow-endpoint", "127.0.0.1/32"])
        self.cloudwatch, self.sns = harness.boto3_clients(self.workdir, self.server.endpoint, "cloudwatch", "sns")

    def subscribed_topic(self):
        topic = self.sns.create_topic(Name="oncall")["TopicArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=self.receiver.url("/oncall"))
        confirmation = self.receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        self.sns.confirm_subscription(TopicArn=topic, Token=json.loads(confirmation.body)["Token"])
        return topic

    def put_alarm(self, name, topic):
        self.cloudwatch.put_metric_alarm(
            AlarmName=name, Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
            TreatMissingData="ignore", AlarmActions=[topic])
        return self.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]

    def notified(self, alarm):
        return [r for r in self.receiver.received(harness.sns_type("Notification"))
                if json.loads(json.loads(r.body)["Message"])["AlarmName"] == alarm]

    def summaries(self, alarm):
        items = self.cloudwatch.describe_alarm_history(AlarmName=alarm)["AlarmHistoryItems"]
        return [(i["HistoryItemType"], i["HistorySummary"]) for i in items]

    def test_a_muted_alarm_changes_state_and_sends_nothing(self):
        topic = self.subscribed_topic()
        muted_arn = self.put_alarm("muted", topic)
        self.put_alarm("loud", topic)
        until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)).replace(
            microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.cloudwatch.tag_resource(ResourceARN=muted_arn, Tags=[{"Key": "trailwatch:MutedUntil", "Value": until}])

        self.cloudwatch.set_alarm_state(AlarmName="muted", StateValue="ALARM", StateReason="during the window")
        self.cloudwatch.set_alarm_state(AlarmName="loud", StateValue="ALARM", StateReason="outside")
        # The unmuted alarm's message arrives; the muted one's never left.
        self.receiver.wait_for(lambda r: r.headers.get("x-amz-sns-message-type") == "Notification"
                               and b"loud" in r.body, what="the unmuted alarm's notification")
        self.assertEqual(self.notified("muted"), [])
        alarm = self.cloudwatch.describe_alarms(AlarmNames=["muted"])["MetricAlarms"][0]
        self.assertEqual(alarm["StateValue"], "ALARM")
        self.assertEqual(self.summaries("muted")[:3], [
            ("Action", f"Muted until {until}: did not execute action {topic}"),
            ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
            ("ConfigurationUpdate", f"Notifications muted until {until}"),
        ])

        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            self.cloudwatch.tag_resource(ResourceARN=muted_arn,
                                         Tags=[{"Key": "trailwatch:RemindEvery", "Value": "every hour"}])
        error = caught.exception.response["Error"]
        self.assertEqual((error["Code"], error["Message"]), (
            "InvalidParameterValue",
            "The tag trailwatch:RemindEvery must be an interval from 5m to 7d such as 30m, 4h or 1d, "
            "not 'every hour'."))

        # Unmuted, the next transition notifies again.
        self.cloudwatch.untag_resource(ResourceARN=muted_arn, TagKeys=["trailwatch:MutedUntil"])
        self.assertEqual(self.summaries("muted")[0], ("ConfigurationUpdate", "Notifications unmuted"))
        self.cloudwatch.set_alarm_state(AlarmName="muted", StateValue="OK", StateReason="fixed")
        self.cloudwatch.set_alarm_state(AlarmName="muted", StateValue="ALARM", StateReason="after the window")
        self.receiver.wait_for(lambda r: r.headers.get("x-amz-sns-message-type") == "Notification"
                               and b"after the window" in r.body, what="the unmuted notification")
        self.assertEqual(len(self.notified("muted")), 1)


if __name__ == "__main__":
    harness.main()
