"""Issue 12, the SMTP password: `--smtp smtp://user:password@host` shows the
password to every local user in `ps`. TRAILWATCH_SMTP_PASSWORD supplies it
instead (--smtp smtp://user@host), and the log never shows it either way.

Before the fix the variable was ignored: the server (which requires AUTH)
refused the unauthenticated mail, so this test failed."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

from datadir_secrets_support import SOURCE_DIR, harness, run

SEED_TEMPLATE = os.path.join(SOURCE_DIR, "examples", "iam-policy-change.yaml")
SEED_EVENTS = os.path.join(SOURCE_DIR, "examples", "sample-cloudtrail.json")
PASSWORD = "s3cret/pa55+word"


class SmtpPasswordTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tw-smtp-pw-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.mail = os.path.join(self.work, "mail")
        os.mkdir(self.mail)
        # The project's aiosmtpd sink, requiring AUTH (in the clear: no TLS).
        self.sink = subprocess.Popen([harness.SYSTEM_PYTHON, harness.SMTP_SINK, "--dir", self.mail,
                                      "--auth", "alice:" + PASSWORD],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(self.stop_sink)
        ready = re.match(r"READY (\d+)$", self.sink.stdout.readline().strip())
        self.assertIsNotNone(ready, "smtp_sink.py did not start")
        self.port = int(ready.group(1))

    def stop_sink(self):
        if self.sink.poll() is None:
            self.sink.send_signal(signal.SIGTERM)
            self.sink.wait(timeout=10)
        self.sink.stdout.close()

    def test_the_password_comes_from_the_environment_and_is_never_logged(self):
        env = dict(os.environ, TRAILWATCH_SMTP_PASSWORD=PASSWORD)
        r = run(["replay", "--notify", "--max-wait", "30", "--data-dir", os.path.join(self.work, "data"),
                 "--smtp", f"smtp://alice@127.0.0.1:{self.port}", "--smtp-from", "alarms@trailwatch.test",
                 "--template", SEED_TEMPLATE, SEED_EVENTS], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.mail, "1.json")) as f:
            info = json.load(f)
        self.assertEqual((info["authenticated"], info["auth_login"]), (True, "alice"))
        self.assertIn("delivered email security@example.com", r.stderr)
        self.assertNotIn(PASSWORD, r.stdout + r.stderr)
        self.assertNotIn("pa55", r.stdout + r.stderr)


if __name__ == "__main__":
    harness.main()  # unittest.main, with closed servers' sockets not reported
