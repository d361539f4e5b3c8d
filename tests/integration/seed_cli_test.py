"""Acceptance test 1: the seed tutorial with the real aws CLI against a fresh
`trailwatch serve` (see seed.py for what is checked).

  seed_cli_test.py --aws debian|pyenv|PATH [--early-alarm] [--cluster] --cloudwatch-protocol query|json

--aws debian is Debian's v2 (/usr/bin/aws, CloudWatch over awsQuery); pyenv is
the v1 of the machine's pyenv Python (botocore 1.43: CloudWatch over
awsJson1_0). --cloudwatch-protocol states which one the client must speak, so
that a changed client cannot silently stop covering its protocol. --cluster
(TW_TEST_STORE=postgresql): against node A of two nodes on one store, while
node B evaluates.
"""

import argparse

import harness
import seed

CONTENT_TYPES = {"query": "application/x-www-form-urlencoded; charset=utf-8",
                 "json": "application/x-amz-json-1.0"}


def resolve(which):
    if which == "debian":
        return harness.DEBIAN_AWS
    if which == "pyenv":
        found = harness.find_v1_cli()
        if found is None:
            raise AssertionError("no aws CLI v1 of a pyenv Python: neither an `aws` on PATH other than "
                                 f"{harness.DEBIAN_AWS} nor ~/.pyenv/shims/aws (pip install awscli in it)")
        return found
    return which


class SeedCliTest(seed.SeedTest):
    def test_seed_tutorial(self):
        options = harness.OPTIONS
        executable = resolve(options.aws)
        self.run_seed(lambda server: seed.CliClient(harness.AwsCli(executable, server.endpoint, self.workdir)),
                      options.early_alarm, CONTENT_TYPES[options.cloudwatch_protocol], options.cluster)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--aws", required=True)
    parser.add_argument("--early-alarm", action="store_true")
    parser.add_argument("--cluster", action="store_true")
    parser.add_argument("--cloudwatch-protocol", choices=sorted(CONTENT_TYPES), required=True)
    harness.main(parser)
