"""Issue 12: the unsigned unsubscribe link must not remove a subscription
confirmed with AuthenticateOnUnsubscribe=true, against a real
`trailwatch serve`:

  * confirmed by a signed ConfirmSubscription (boto3) with
    AuthenticateOnUnsubscribe=true: GET <UnsubscribeURL> (unsigned, as a
    mail scanner or anyone the message reached would) is refused with SNS's
    AuthorizationError (403) and the subscription is still listed; the
    owner's signed Unsubscribe removes it (and the endpoint gets its
    UnsubscribeConfirmation);
  * confirmed by the plain SubscribeURL link: the UnsubscribeURL link still
    removes it;
  * the unsigned confirmation link cannot set the flag by adding
    AuthenticateOnUnsubscribe=true to its query (SNS honours it only on a
    signed request): the link still removes that one.

Before: GET <UnsubscribeURL> answered 200 and removed the subscription in
the first case too.
"""

import os
import sys
import urllib.parse
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.join(os.environ.get(
    "TW_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    "tests", "integration"))
import harness  # noqa: E402

import boto3  # noqa: E402
import botocore.config  # noqa: E402

NS = {"sns": "http://sns.amazonaws.com/doc/2010-03-31/"}


class UnsubscribeLinkTest(harness.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.receiver = self.start_receiver()
        # The receiver is on 127.0.0.1, which serve refuses as an endpoint by default.
        self.server = self.start_server(args=["--allow-endpoint", "127.0.0.1/32"])
        os.environ.update({k: v for k, v in harness.client_environment(self.workdir).items()
                           if k.startswith("AWS_")})
        self.sns = boto3.session.Session().client(
            "sns", endpoint_url=self.server.endpoint,
            config=botocore.config.Config(retries={"max_attempts": 0}))
        self.topic = self.sns.create_topic(Name="alerts")["TopicArn"]

    def subscribe(self, path):
        """Subscribes receiver.url(path); returns its SubscriptionConfirmation."""
        self.sns.subscribe(TopicArn=self.topic, Protocol="http", Endpoint=self.receiver.url(path))
        return self.receiver.wait_for(
            lambda r: harness.sns_type("SubscriptionConfirmation")(r) and r.path == path).json()

    def unsubscribe_url(self, arn, path):
        """The UnsubscribeURL of a notification delivered to receiver.url(path)."""
        message_id = self.sns.publish(TopicArn=self.topic, Message="hello")["MessageId"]
        note = self.receiver.wait_for(
            lambda r: harness.sns_type("Notification")(r) and r.path == path
            and r.json()["MessageId"] == message_id).json()
        self.assertEqual(note["UnsubscribeURL"],
                         f"{self.server.endpoint}/?Action=Unsubscribe&SubscriptionArn={arn}")
        return note["UnsubscribeURL"]

    def listed(self):
        return [s["SubscriptionArn"] for s in
                self.sns.list_subscriptions_by_topic(TopicArn=self.topic)["Subscriptions"]]

    def unsubscribe_confirmations(self, path):
        return self.receiver.received(
            lambda r: harness.sns_type("UnsubscribeConfirmation")(r) and r.path == path)

    def test_only_a_signed_unsubscribe_removes_an_authenticated_confirmation(self):
        # Three subscriptions: confirmed signed with the flag, by the plain
        # link, and by the plain link with the flag added to its query.
        guarded = self.subscribe("/guarded")
        guarded_arn = self.sns.confirm_subscription(
            TopicArn=self.topic, Token=guarded["Token"], AuthenticateOnUnsubscribe="true")["SubscriptionArn"]
        plain = self.subscribe("/plain")
        sneaky = self.subscribe("/sneaky")
        arns = {}
        for path, link in [("/plain", plain["SubscribeURL"]),
                           ("/sneaky", sneaky["SubscribeURL"] + "&"
                            + urllib.parse.urlencode({"AuthenticateOnUnsubscribe": "true"}))]:
            status, _, body = harness.http_get(link)
            self.assertEqual(status, 200, body)
            arns[path] = ElementTree.fromstring(body).findtext(
                "sns:ConfirmSubscriptionResult/sns:SubscriptionArn", namespaces=NS)
        # SNS honours the flag only on a signed request.
        for arn, authenticated in [(guarded_arn, "true"), (arns["/plain"], "false"),
                                   (arns["/sneaky"], "false")]:
            attributes = self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
            self.assertEqual(attributes["ConfirmationWasAuthenticated"], authenticated, arn)
        links = {path: self.unsubscribe_url(arn, path) for path, arn in
                 [("/guarded", guarded_arn), ("/plain", arns["/plain"]), ("/sneaky", arns["/sneaky"])]}

        # The unsigned link: refused for the guarded one, which stays.
        status, _, body = harness.http_get(links["/guarded"])
        self.assertEqual(status, 403, body)
        error = ElementTree.fromstring(body).find("sns:Error", NS)
        self.assertEqual(error.findtext("sns:Type", namespaces=NS), "Sender")
        self.assertEqual(error.findtext("sns:Code", namespaces=NS), "AuthorizationError")
        self.assertEqual(error.findtext("sns:Message", namespaces=NS),
                         "Subscription not removed: it was confirmed with AuthenticateOnUnsubscribe=true, "
                         "so only the topic or subscription owner can unsubscribe it, with an AWS signature "
                         f"(aws sns unsubscribe --subscription-arn {guarded_arn})")
        self.assertIn(guarded_arn, self.listed())
        self.assertEqual(self.unsubscribe_confirmations("/guarded"), [])

        # The other two are removed by their links, as before.
        for path in ("/plain", "/sneaky"):
            status, _, body = harness.http_get(links[path])
            self.assertEqual(status, 200, body)
        self.assertEqual(self.listed(), [guarded_arn])

        # The owner's signed call removes the guarded one.
        self.sns.unsubscribe(SubscriptionArn=guarded_arn)
        self.assertEqual(self.listed(), [])
        self.receiver.wait_for(
            lambda r: harness.sns_type("UnsubscribeConfirmation")(r) and r.path == "/guarded")

if __name__ == "__main__":
    harness.main()
