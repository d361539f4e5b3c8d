"""Issue 12, the console's sign-in and its host names, against a real
`trailwatch serve`.

Before the fix (each reproduced on the old main):
  - sign-in had no rate limit: any number of guesses per second;
  - it accepted text/plain bodies with a foreign Origin (a form on another
    site could sign a victim's browser in: login CSRF);
  - any Host was served, so a DNS-rebinding page (attacker.example resolving
    to 127.0.0.1) read the console under its own origin.
"""

import json

import attack
from attack import harness


class ConsoleEdgeTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.server = self.start_server(args=["--public-url", "http://trailwatch.internal:4566"])
        self.port = self.server.port
        self.origin = f"http://127.0.0.1:{self.port}"

    def sign_in(self, secret, content_type="application/json", origin=None, source="127.0.0.1",
                host=None):
        body = json.dumps({"accessKeyId": harness.ACCESS_KEY_ID, "secretAccessKey": secret}).encode()
        headers = {"Host": host or f"127.0.0.1:{self.port}", "Content-Type": content_type,
                   "Content-Length": str(len(body))}
        if origin is not False:
            headers["Origin"] = origin or self.origin
        return attack.send_raw(self.port, attack.request_bytes("POST", "/console/api/session", headers, body),
                               source=source)

    def test_failed_sign_ins_are_rate_limited(self):
        for i in range(5):
            r = self.sign_in(f"guess-{i}", source="127.0.0.7")
            self.assertEqual(r.status, 401, r)
        r = self.sign_in(harness.SECRET_ACCESS_KEY, source="127.0.0.7")  # right, but too late
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.headers["retry-after"], "300")
        self.assertEqual(json.loads(r.body), {"error": "too many failed sign-ins; try again in 300 s"})
        self.assertNotIn("set-cookie", r.headers)
        # Another client is not locked out.
        self.assertEqual(self.sign_in(harness.SECRET_ACCESS_KEY, source="127.0.0.8").status, 200)

    def test_sign_in_is_json_from_the_consoles_own_origin(self):
        r = self.sign_in(harness.SECRET_ACCESS_KEY, content_type="text/plain")
        self.assertEqual(r.status, 415, r)
        r = self.sign_in(harness.SECRET_ACCESS_KEY, origin="https://evil.example")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(json.loads(r.body), {"error": "sign-in must come from this console's own page"})
        self.assertEqual(self.sign_in(harness.SECRET_ACCESS_KEY, origin=False).status, 403)
        self.assertEqual(self.sign_in(harness.SECRET_ACCESS_KEY).status, 200)

    def test_only_the_consoles_own_names_are_served(self):
        def get(host):
            return attack.send_raw(self.port, attack.request_bytes("GET", "/console/", {"Host": host}))

        r = get(f"attacker.example:{self.port}")
        self.assertEqual(r.status, 421, r)
        self.assertIn(b"does not answer to the host 'attacker.example:", r.body)
        for host in (f"127.0.0.1:{self.port}", f"localhost:{self.port}", "trailwatch.internal:4566"):
            self.assertEqual(get(host).status, 200, host)
        r = self.sign_in(harness.SECRET_ACCESS_KEY, origin="http://attacker.example", host="attacker.example")
        self.assertEqual(r.status, 421, r)


if __name__ == "__main__":
    harness.main()
