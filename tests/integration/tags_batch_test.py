"""Tags and PublishBatch through Debian's boto3 (issue 14, theme 9): alarm tags
(PutMetricAlarm's Tags, TagResource, UntagResource, ListTagsForResource) over
CloudWatch's Query protocol, topic tags and PublishBatch over SNS's, against a
real `trailwatch serve`, the batch delivered to a real HTTP endpoint.

What AWS documents: PutMetricAlarm takes Tags only when it creates the alarm;
TagResource adds or overwrites, UntagResource removes (absent keys are no
error); ListTagsForResource lists {Key, Value}; an unknown ARN is
ResourceNotFoundException (CloudWatch) / ResourceNotFound (SNS); a resource
carries at most 50 tags. PublishBatch takes 1-10 entries with distinct Ids
(letters, digits, '-', '_', at most 80), answers each entry in Successful or
Failed, and refuses the whole request with EmptyBatchRequest,
TooManyEntriesInBatchRequest, BatchEntryIdsNotDistinct or InvalidBatchEntryId.
A person opening a SubscribeURL in a browser reads a "Subscription
confirmed!" page (API clients still get the XML).
"""

import html
import json
import re
import urllib.error
import urllib.request

import botocore.exceptions

import harness

ALARM = "TaggedAlarm"
ALARM_ARN = f"arn:aws:cloudwatch:{harness.REGION}:{harness.ACCOUNT_ID}:alarm:{ALARM}"


class TagsAndBatchTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.receiver = self.start_receiver()
        self.server = self.start_server(args=["--allow-endpoint", "127.0.0.1/32"])
        self.cloudwatch, self.sns = harness.boto3_clients(self.workdir, self.server.endpoint, "cloudwatch", "sns")

    def error(self, call, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call(**kwargs)
        e = caught.exception.response
        return e["Error"]["Code"], e["Error"].get("Message"), e["ResponseMetadata"]["HTTPStatusCode"]

    def put_alarm(self, tags):
        self.cloudwatch.put_metric_alarm(
            AlarmName=ALARM, Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", Tags=tags)

    def alarm_tags(self):
        return self.cloudwatch.list_tags_for_resource(ResourceARN=ALARM_ARN)["Tags"]

    def test_alarm_tags(self):
        self.put_alarm([{"Key": "team", "Value": "sec"}, {"Key": "env", "Value": "prod"}])
        self.assertEqual(self.alarm_tags(), [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "sec"}])
        # An update keeps the tags it was created with.
        self.put_alarm([{"Key": "ignored", "Value": "x"}])
        self.assertEqual([t["Key"] for t in self.alarm_tags()], ["env", "team"])

        self.cloudwatch.tag_resource(ResourceARN=ALARM_ARN, Tags=[
            {"Key": "team", "Value": "platform"}, {"Key": "owner", "Value": ""}])
        self.assertEqual(self.alarm_tags(), [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": ""},
                                             {"Key": "team", "Value": "platform"}])
        self.cloudwatch.untag_resource(ResourceARN=ALARM_ARN, TagKeys=["env", "never-there"])
        self.assertEqual([t["Key"] for t in self.alarm_tags()], ["owner", "team"])

        missing = ALARM_ARN + "-gone"
        self.assertEqual(self.error(self.cloudwatch.list_tags_for_resource, ResourceARN=missing),
                         ("ResourceNotFoundException", f"The resource {missing} does not exist.", 404))
        other_region = ALARM_ARN.replace(harness.REGION, "eu-west-3")
        self.assertEqual(self.error(self.cloudwatch.tag_resource, ResourceARN=other_region,
                                    Tags=[{"Key": "a", "Value": "b"}])[0], "ResourceNotFoundException")
        code, message, status = self.error(self.cloudwatch.tag_resource, ResourceARN=ALARM_ARN,
                                           Tags=[{"Key": "k" * 129, "Value": "v"}])
        self.assertEqual((code, status), ("ValidationError", 400))
        self.assertEqual(message, "1 validation error detected: Value '" + "k" * 129 + "' at "
                         "'tags.1.member.key' failed to satisfy constraint: Member must have length less "
                         "than or equal to 128")
        many = [{"Key": f"k{i}", "Value": "v"} for i in range(49)]
        code, message, _ = self.error(self.cloudwatch.tag_resource, ResourceARN=ALARM_ARN, Tags=many)
        self.assertEqual(code, "InvalidParameterValue")
        self.assertEqual(message, "The resource can have at most 50 tags; it would have 51.")
        self.assertEqual([t["Key"] for t in self.alarm_tags()], ["owner", "team"])  # nothing changed

        # Deleting the alarm deletes its tags: a new alarm of that name starts bare.
        self.cloudwatch.delete_alarms(AlarmNames=[ALARM])
        self.put_alarm([])
        self.assertEqual(self.alarm_tags(), [])

    def test_topic_tags(self):
        arn = self.sns.create_topic(Name="tagged", Tags=[{"Key": "team", "Value": "sec"}])["TopicArn"]
        self.assertEqual(self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "team", "Value": "sec"}])
        self.sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
        self.sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "env", "Value": "prod"}])
        gone = arn + "-gone"
        self.assertEqual(self.error(self.sns.list_tags_for_resource, ResourceArn=gone),
                         ("ResourceNotFound", "Resource does not exist", 404))
        code, _, status = self.error(self.sns.tag_resource, ResourceArn=arn,
                                     Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
        self.assertEqual((code, status), ("TagLimitExceeded", 400))
        self.assertEqual(self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "env", "Value": "prod"}])

    def test_publish_batch(self):
        arn = self.sns.create_topic(Name="batch")["TopicArn"]
        self.sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=self.receiver.url("/batch"))
        confirmation = self.receiver.wait_for(harness.sns_type("SubscriptionConfirmation"))
        self.sns.confirm_subscription(TopicArn=arn, Token=json.loads(confirmation.body)["Token"])

        answer = self.sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
            {"Id": "first", "Message": "one", "Subject": "s1"},
            {"Id": "bad-structure", "Message": "not json", "MessageStructure": "json"},
            {"Id": "third_3", "Message": "three",
             "MessageAttributes": {"severity": {"DataType": "String", "StringValue": "high"}}},
        ])
        self.assertEqual([s["Id"] for s in answer["Successful"]], ["first", "third_3"])
        self.assertEqual(answer["Failed"], [{
            "Id": "bad-structure", "Code": "InvalidParameter",
            "Message": "Invalid parameter: Message Structure - JSON message body failed to parse",
            "SenderFault": True}])
        notifications = harness.wait_until(
            lambda: (lambda got: got if len(got) == 2 else None)(self.receiver.received(harness.sns_type("Notification"))),
            what="both notifications")
        bodies = sorted((json.loads(r.body) for r in notifications), key=lambda b: b["Message"])
        self.assertEqual([(b["Message"], b.get("Subject")) for b in bodies], [("one", "s1"), ("three", None)])
        self.assertEqual({b["MessageId"] for b in bodies}, {s["MessageId"] for s in answer["Successful"]})
        self.assertEqual(bodies[1]["MessageAttributes"], {"severity": {"Type": "String", "Value": "high"}})

        entry = {"Id": "a", "Message": "m"}
        self.assertEqual(self.error(self.sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[]),
                         ("EmptyBatchRequest", "The batch request doesn't contain any entries.", 400))
        self.assertEqual(self.error(self.sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[
            dict(entry, Id=f"e{i}") for i in range(11)])[0], "TooManyEntriesInBatchRequest")
        self.assertEqual(self.error(self.sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[entry, entry]),
                         ("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.",
                          400))
        self.assertEqual(self.error(self.sns.publish_batch, TopicArn=arn,
                                    PublishBatchRequestEntries=[dict(entry, Id="no spaces")])[0],
                         "InvalidBatchEntryId")
        self.assertEqual(self.error(self.sns.publish_batch, TopicArn=arn + "-gone",
                                    PublishBatchRequestEntries=[entry])[:1], ("NotFound",))
        # Refused requests sent nothing.
        self.assertEqual(len(self.receiver.received(harness.sns_type("Notification"))), 2)

    def test_a_browser_following_the_links_reads_a_page(self):
        arn = self.sns.create_topic(Name="pages")["TopicArn"]
        self.sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=self.receiver.url("/pages"))
        confirmation = json.loads(self.receiver.wait_for(harness.sns_type("SubscriptionConfirmation")).body)
        browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

        status, headers, body = get(confirmation["SubscribeURL"], browser)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertEqual(headers["Content-Security-Policy"], "default-src 'none'")
        [subscription] = self.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        self.assertIn("<h1>Subscription confirmed!</h1>", body)
        self.assertIn(f"<code>{subscription['SubscriptionArn']}</code>", body)
        unsubscribe = re.search(r'<a href="([^"]+)">click here to unsubscribe</a>', body).group(1)
        self.assertEqual(html.unescape(unsubscribe),
                         f"{self.server.endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription['SubscriptionArn']}")

        # An API client following the same kind of link gets SNS's XML.
        status, headers, body = get(html.unescape(unsubscribe), {})
        self.assertEqual((status, headers["Content-Type"]), (200, "text/xml"))
        self.assertIn("<UnsubscribeResponse", body)
        # A refused link reads as a page too, the message escaped.
        status, headers, body = get(f"{self.server.endpoint}/?Action=ConfirmSubscription&TopicArn={arn}"
                                    f"&Token=%3Cscript%3E", browser)
        self.assertEqual((status, headers["Content-Type"]), (400, "text/html; charset=utf-8"))
        self.assertIn("<p>Invalid token</p>", body)
        self.assertNotIn("<script>", body)


def get(url, headers):
    """(status, headers, text) of an unsigned GET, as a browser or curl sends it."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


if __name__ == "__main__":
    harness.main()
