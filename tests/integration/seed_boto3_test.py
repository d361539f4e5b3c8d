"""Acceptance test 2: the seed tutorial with boto3, under whichever Python runs
this script (CTest runs it twice: Debian's /usr/bin/python3 with boto3 1.26,
and the pyenv python3 with boto3 1.43). See seed.py for what is checked.

  seed_boto3_test.py [--python debian|pyenv|PATH] --cloudwatch-protocol query|json

--cloudwatch-protocol states which CloudWatch protocol this interpreter's
botocore must speak (1.29: awsQuery; 1.43: awsJson1_0), so that the two runs
keep covering both.
"""

import argparse
import os
import sys

import harness
import seed

CONTENT_TYPES = {"query": "application/x-www-form-urlencoded; charset=utf-8",
                 "json": "application/x-amz-json-1.0"}

try:
    import boto3
    import botocore
    import botocore.config
except ImportError as e:  # a clear failure, not a skip: the issue needs both boto3s
    boto3 = None
    IMPORT_ERROR = f"{sys.executable} has no boto3 ({e}); install python3-boto3 / pip install boto3"


class Boto3Client:
    def __init__(self, endpoint, workdir):
        # No config or credentials of the machine, whatever this Python finds.
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ.update({k: v for k, v in harness.client_environment(workdir).items() if k.startswith("AWS_")})
        session = boto3.session.Session(aws_access_key_id=harness.ACCESS_KEY_ID,
                                        aws_secret_access_key=harness.SECRET_ACCESS_KEY,
                                        region_name=harness.REGION)
        config = botocore.config.Config(retries={"max_attempts": 2})
        self.logs = session.client("logs", endpoint_url=endpoint, config=config)
        self.cloudwatch = session.client("cloudwatch", endpoint_url=endpoint, config=config)
        self.sns = session.client("sns", endpoint_url=endpoint, config=config)
        self.content_types = []
        self.cloudwatch.meta.events.register("before-send.cloudwatch", self._record)

    def _record(self, request, **kwargs):
        value = request.headers.get("Content-Type")
        self.content_types.append(value.decode() if isinstance(value, bytes) else value)

    def describe(self):
        return f"boto3 {boto3.__version__} / botocore {botocore.__version__} on {sys.executable}"

    def cloudwatch_content_type(self):
        """The Content-Type of every CloudWatch request sent so far (one value)."""
        types = set(self.content_types)
        assert len(types) == 1, types
        return types.pop()

    def create_log_group(self, name):
        self.logs.create_log_group(logGroupName=name)

    def create_log_stream(self, group, stream):
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)

    def put_metric_filter(self, group, name, pattern, metric, namespace, value, default):
        self.logs.put_metric_filter(logGroupName=group, filterName=name, filterPattern=pattern,
                                    metricTransformations=[{"metricName": metric, "metricNamespace": namespace,
                                                            "metricValue": value,
                                                            "defaultValue": float(default)}])

    def describe_metric_filters(self, group):
        return self.logs.describe_metric_filters(logGroupName=group)["metricFilters"]

    def create_topic(self, name):
        return self.sns.create_topic(Name=name)["TopicArn"]

    def subscribe(self, topic, protocol, endpoint):
        return self.sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)["SubscriptionArn"]

    def list_subscriptions_by_topic(self, topic):
        return self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]

    def put_metric_alarm(self, name, metric, namespace, statistic, period, evaluation_periods, threshold,
                         comparison, treat_missing_data, actions):
        self.cloudwatch.put_metric_alarm(AlarmName=name, MetricName=metric, Namespace=namespace,
                                         Statistic=statistic, Period=period, EvaluationPeriods=evaluation_periods,
                                         Threshold=float(threshold), ComparisonOperator=comparison,
                                         TreatMissingData=treat_missing_data, AlarmActions=actions)

    def describe_alarms(self, name):
        return self.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]

    def describe_alarm_history(self, name):
        return self.cloudwatch.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]

    def put_log_events(self, group, stream, events):
        response = self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        response.pop("ResponseMetadata")
        return response


class SeedBoto3Test(seed.SeedTest):
    def test_seed_tutorial(self):
        if boto3 is None:
            self.fail(IMPORT_ERROR)
        self.run_seed(lambda server: Boto3Client(server.endpoint, self.workdir), True,
                      CONTENT_TYPES[harness.OPTIONS.cloudwatch_protocol])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", help="debian, pyenv or a path: the interpreter to run under")
    parser.add_argument("--cloudwatch-protocol", choices=sorted(CONTENT_TYPES), required=True)
    options, _ = parser.parse_known_args()
    if options.python:
        harness.run_under(options.python)
    harness.main(parser)
