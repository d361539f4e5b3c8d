"""What happens when the PostgreSQL store goes away under `serve` (issue 16):
requests fail with 503 and a message that says to retry, without the
statement or the store's address (those are in serve's log); serve keeps
running; when PostgreSQL is back, the next request succeeds on a new
connection and nothing acknowledged before the outage is lost.

Runs with TW_TEST_STORE=postgresql only (CMake registers it so).
"""

import json
import time

import harness

GROUP = "outage"


class StoreOutageTest(harness.IntegrationTest):
    def call(self, operation, payload):
        status, _, body = harness.signed_post(self.server.endpoint, "logs", json.dumps(payload).encode(), {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Logs_20140328.{operation}"})
        return status, json.loads(body or b"{}")

    def put(self, message):
        return self.call("PutLogEvents", {"logGroupName": GROUP, "logStreamName": "s", "logEvents": [
            {"timestamp": int(time.time() * 1000), "message": message}]})

    def test_requests_fail_retryably_during_an_outage_and_work_after_it(self):
        if harness.STORE_ENGINE != "postgresql":
            self.skipTest("needs TW_TEST_STORE=postgresql")
        self.server = self.start_server()
        self.assertEqual(self.call("CreateLogGroup", {"logGroupName": GROUP})[0], 200)
        self.assertEqual(self.call("CreateLogStream", {"logGroupName": GROUP, "logStreamName": "s"})[0], 200)
        self.assertEqual(self.put("before")[0], 200)

        harness.ScratchPostgres.stop_server()
        status, body = self.put("during")
        self.assertEqual(status, 503, body)
        self.assertEqual(body, {"__type": "ServiceUnavailableException",
                                "message": "The service is unavailable; try again."})
        status, body = self.call("DescribeLogGroups", {})
        self.assertEqual(status, 503, body)
        self.assertNotIn("postgresql://", json.dumps(body))
        self.assertIsNone(self.server.proc.poll(), "serve exited during the outage")
        self.assertIn("failed with 503: ServiceUnavailableException: ", self.server.log())
        self.assertIn("PostgreSQL", self.server.log())  # the cause, for the operator

        harness.ScratchPostgres.start_server()
        status, body = self.put("after")
        self.assertEqual(status, 200, body)
        status, body = self.call("GetLogEvents", {"logGroupName": GROUP, "logStreamName": "s",
                                                  "startFromHead": True})
        self.assertEqual(status, 200, body)
        self.assertEqual([e["message"] for e in body["events"]], ["before", "after"])
        self.assertEqual(self.server.stop(), 0)


if __name__ == "__main__":
    harness.main()
