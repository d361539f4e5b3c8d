"""Acceptance test 5: `aws logs test-metric-filter` (Debian's CLI v2, through
`trailwatch serve`) gives exactly the answers of `trailwatch test-pattern
--json` for JSON, space-delimited, term and regex patterns, with their
extracted values, over the same 50 messages: real CloudTrail records of the
shared corpus, compacted, and 50 access-log lines made from the same records.
An invalid pattern is refused by both with the same message.

Where a pattern is simple enough, an independent Python predicate also says
how many messages match, so that two equal wrong answers cannot pass.
"""

import glob
import json
import os
import re
import subprocess
import time

import harness

RECORDS = 50


def corpus_messages():
    """50 records of aws_dataset, deterministic: 31 spread over the corpus,
    4 IAM policy changes and 15 failed calls (errorCode set), compacted as
    CloudTrail delivers them to CloudWatch Logs."""
    records = []
    for path in sorted(glob.glob(os.path.join(harness.SHARED_DIR, "data", "cloudtrail", "aws_dataset", "*.json"))):
        with open(path) as f:
            records += json.load(f)["Records"]
    failed = [r for r in records if r.get("errorCode")]
    changes = [next(r for r in records if r["eventName"] == name)
               for name in ("AttachRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "CreatePolicy")]
    chosen = records[::len(records) // 31][:31] + changes + failed[::len(failed) // 15][:15]
    assert len(chosen) == RECORDS
    return chosen, [json.dumps(r, separators=(",", ":")) for r in chosen]


def access_log_line(record, message):
    """An Apache-style line about the same call: ip, -, user, [time], "request", status, bytes."""
    t = time.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
    user = record.get("userIdentity", {}).get("userName") or "-"
    code = record.get("errorCode") or ""
    status = 403 if ("AccessDenied" in code or "Unauthorized" in code) else 400 if code else 200
    return (f'{record.get("sourceIPAddress", "-")} - {user} [{time.strftime("%d/%b/%Y:%H:%M:%S +0000", t)}] '
            f'"POST /{record["eventSource"]}/{record["eventName"]} HTTP/1.1" {status} {len(message)}')


def records_where(records, predicate):
    return sum(1 for r in records if predicate(r))


class TestMetricFilterTest(harness.IntegrationTest):
    def test_same_answers_as_test_pattern(self):
        records, messages = corpus_messages()
        lines = [access_log_line(r, m) for r, m in zip(records, messages)]
        code = lambda r: r.get("errorCode") or ""
        # (pattern, messages, independent count of matches or None)
        cases = [
            (harness.iam_pattern(), "records",
             records_where(records, lambda r: r["eventName"] in re.findall(r"eventName=(\w+)", harness.iam_pattern()))),
            ('{ $.eventName = "Describe*" }', "records",
             records_where(records, lambda r: r["eventName"].startswith("Describe"))),
            ('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }', "records",
             records_where(records, lambda r: code(r).endswith("UnauthorizedOperation")
                           or code(r).startswith("AccessDenied"))),
            ('{ $.userIdentity.type = "IAMUser" && $.errorCode NOT EXISTS }', "records",
             records_where(records, lambda r: r["userIdentity"].get("type") == "IAMUser" and "errorCode" not in r)),
            ("{ $.readOnly IS FALSE }", "records", records_where(records, lambda r: r.get("readOnly") is False)),
            ('{ $.eventSource = "ec2.amazonaws.com" && $.readOnly IS TRUE }', "records",
             records_where(records, lambda r: r["eventSource"] == "ec2.amazonaws.com" and r.get("readOnly") is True)),
            ("ThrottlingException", "records", records_where(records, lambda r: "ThrottlingException"
                                                             in json.dumps(r, separators=(",", ":")))),
            ("?GetUser ?AssumeRole", "records", None),
            ("Describe -Vpcs", "records", None),
            ("%Describe[A-Z][a-z]+Tables%", "records", None),
            ("[ip, identity, user, timestamp, request, status_code = 4*, bytes]", "lines",
             records_where(records, lambda r: bool(code(r)))),
            ('[ip, identity, user = bert*, timestamp, request = "*Describe*", status_code, bytes > 1000]', "lines",
             None),
            ("[..., status_code = 200, bytes < 2000]", "lines", None),
            ("[ip = %^1[0-9]*\\.%, ...]", "lines", None),
            ('"HTTP/1.1\\" 403"', "lines", None),
            ("%iam\\.amazonaws\\.com/[GL]%", "lines", None),
            ('{ $.eventName = "GetUser" }', "lines", 0),
            ("[]", "lines", RECORDS),
        ]
        files = {}
        for name, values in (("records", messages), ("lines", lines)):
            self.assertTrue(all("\n" not in m for m in values))
            files[name] = os.path.join(self.workdir, f"{name}.txt")
            with open(files[name], "w") as f:
                f.write("".join(m + "\n" for m in values))
        server = self.start_server()
        cli = harness.AwsCli(harness.DEBIAN_AWS, server.endpoint, self.workdir)
        sets = {"records": messages, "lines": lines}
        with_extracted = 0
        for pattern, which, expected_count in cases:
            with self.subTest(pattern=pattern, messages=which):
                api = cli("logs", "test-metric-filter", "--cli-input-json",
                          cli.file_arg("input.json", {"filterPattern": pattern, "logEventMessages": sets[which]}))
                local = subprocess.run([harness.BINARY, "test-pattern", "--json", "--format", "lines", "--",
                                        pattern, files[which]], capture_output=True, text=True, timeout=60)
                self.assertEqual(local.returncode, 0, local.stderr)
                self.assertEqual(api, json.loads(local.stdout))
                matches = api["matches"]
                if expected_count is not None:
                    self.assertEqual(len(matches), expected_count)
                else:
                    self.assertTrue(0 < len(matches) < RECORDS, f"{len(matches)} matches: not a telling case")
                for m in matches:
                    self.assertEqual(m["eventMessage"], sets[which][m["eventNumber"] - 1])
                with_extracted += any(m["extractedValues"] for m in matches)
                print(f"{len(matches):3d} matches  {which:7s} {pattern[:90]}", flush=True)
        self.assertGreaterEqual(with_extracted, 8, "extracted values were compared for JSON and delimited patterns")

        # An invalid pattern: the same message (with its column) from both.
        bad = '{ $.eventName = "x" && status = 401 }'
        r = cli.run("logs", "test-metric-filter", "--filter-pattern", bad, "--log-event-messages", "a")
        self.assertEqual(r.returncode, 254, r.stderr)
        m = re.fullmatch(r"\nAn error occurred \(InvalidParameterException\) when calling the TestMetricFilter "
                         r"operation: (.*)\n", r.stderr, re.S)
        self.assertIsNotNone(m, r.stderr)
        local = subprocess.run([harness.BINARY, "test-pattern", "--json", "--", bad, files["lines"]],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(local.returncode, 2)
        self.assertTrue(m.group(1).startswith("Invalid metric filter pattern. Column 24: "), m.group(1))
        self.assertEqual(local.stderr.splitlines()[0], "trailwatch: " + m.group(1).splitlines()[0])
        server.stop()


if __name__ == "__main__":
    harness.main()
