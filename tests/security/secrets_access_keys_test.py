"""Issue 12, access keys: no secret in the log, and ways to give keys that
`ps` does not show.

Before the fix: the first start logged "export AWS_ACCESS_KEY_ID=...
AWS_SECRET_ACCESS_KEY=<the secret>"; --access-key-file did not exist (a
usage error, exit 2) and TRAILWATCH_ACCESS_KEYS was ignored (requests signed
with its keys were refused); --access-key gave no warning. Each test below
failed then."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from datadir_secrets_support import client, harness, REGION, Serve, strip_log_prefix

import botocore.exceptions


class AccessKeysTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tw-keys-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.data = os.path.join(self.work, "data")

    def serve(self, args=(), env=None):
        server = Serve(self.work, self.data, args, env)
        self.addCleanup(server.cleanup)
        return server

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def assert_accepted(self, server, key_id, secret):
        topics = client("sns", server.url, key_id, secret).list_topics()
        self.assertEqual(topics["Topics"], [])

    def assert_refused(self, server, key_id, secret):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            client("sns", server.url, key_id, secret).list_topics()
        self.assertIn(caught.exception.response["Error"]["Code"],
                      ("InvalidClientTokenId", "SignatureDoesNotMatch"))

    def test_the_first_start_names_the_credentials_file_and_never_logs_the_secret(self):
        server = self.serve().start()
        credentials = os.path.join(self.data, "credentials")
        with open(credentials) as f:
            text = f.read()
        key_id = text.split("aws_access_key_id = ")[1].split("\n")[0]
        secret = text.split("aws_secret_access_key = ")[1].split("\n")[0]
        self.assertEqual(len(secret), 40)
        self.assertIn((
            f"\ncreated the access key {key_id} in {credentials} (mode 0600; an AWS "
            "shared-credentials file, profile trailwatch; the console's sign-in takes the ID and "
            "secret written there). Use it with\n"
            f"  export AWS_SHARED_CREDENTIALS_FILE={credentials} AWS_PROFILE=trailwatch "
            f"AWS_DEFAULT_REGION={REGION}\n"
            f"  aws --endpoint-url {server.url} logs describe-log-groups\n"),
            strip_log_prefix(server.log()))
        # The advice works: an SDK given only that environment signs with the key.
        env = {"PATH": os.environ["PATH"], "AWS_SHARED_CREDENTIALS_FILE": credentials,
               "AWS_PROFILE": "trailwatch", "AWS_DEFAULT_REGION": REGION,
               "AWS_CONFIG_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}
        probe = subprocess.run(
            [sys.executable, "-c", "import boto3, json, sys; print(json.dumps(boto3.client("
             "'logs', endpoint_url=sys.argv[1]).describe_log_groups()['logGroups']))", server.url],
            env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual((probe.returncode, probe.stdout), (0, "[]\n"), probe.stderr)
        self.assertEqual(server.stop(), 0)
        # A second start reads the file back, and still says nothing secret.
        again = self.serve().start()
        self.assert_accepted(again, key_id, secret)
        self.assertEqual(again.stop(), 0)
        self.assertNotIn(secret, server.log() + again.log())

    def test_keys_from_a_private_file_are_accepted(self):
        keys = self.write("keys", (
            "# trailwatch keys\n"
            "\n"
            "AKIDFILEONE:file/Secret+One\n"
            "[ci]\n"
            "region = eu-west-1\n"
            "aws_access_key_id = AKIDFILETWO\n"
            "aws_secret_access_key = file-secret-two\n"))
        server = self.serve(["--access-key-file", keys]).start()
        self.assert_accepted(server, "AKIDFILEONE", "file/Secret+One")
        self.assert_accepted(server, "AKIDFILETWO", "file-secret-two")
        self.assert_refused(server, "AKIDFILEONE", "file-secret-two")
        self.assertEqual(server.stop(), 0)
        log = server.log()
        for secret in ("file/Secret+One", "file-secret-two"):
            self.assertNotIn(secret, log)
        self.assertNotIn("--access-key puts", log)
        self.assertFalse(os.path.exists(os.path.join(self.data, "credentials")))

    def test_keys_from_the_environment_are_accepted(self):
        env = dict(os.environ, TRAILWATCH_ACCESS_KEYS="AKIDENVONE:env-secret-one, AKIDENVTWO:env/secret+two")
        server = self.serve(env=env).start()
        self.assert_accepted(server, "AKIDENVONE", "env-secret-one")
        self.assert_accepted(server, "AKIDENVTWO", "env/secret+two")
        self.assertEqual(server.stop(), 0)
        self.assertNotIn("env-secret-one", server.log())
        self.assertFalse(os.path.exists(os.path.join(self.data, "credentials")))

    def test_a_key_file_others_can_read_is_refused_as_ssh_refuses_one(self):
        for mode in (0o640, 0o604, 0o660):
            with self.subTest(mode=oct(mode)):
                keys = self.write("loose-keys", "AKIDLOOSE:loose-secret\n", mode)
                server = self.serve(["--access-key-file", keys])
                self.assertEqual(server.start(expect_ready=False), 2)
                self.assertIn(
                    f"{keys} is accessible by group or others (mode {mode:04o}); an access key file "
                    f"must be private. Fix it with: chmod 600 {keys}\n", strip_log_prefix(server.log()))
                self.assertNotIn("loose-secret", server.log())

    def test_a_malformed_key_is_refused_without_repeating_it(self):
        keys = self.write("bad-keys", "AKIDGOOD:good-secret\nnot-a-key-but-maybe-a-secret\n")
        server = self.serve(["--access-key-file", keys])
        self.assertEqual(server.start(expect_ready=False), 2)
        self.assertIn(f"{keys} line 2: expected ID:SECRET, a [profile] line or aws_access_key_id = / "
                      "aws_secret_access_key = settings\n", strip_log_prefix(server.log()))
        self.assertNotIn("maybe-a-secret", server.log())
        server = self.serve(["--access-key", "AKIDNOCOLON-secretish"])
        self.assertEqual(server.start(expect_ready=False), 2)
        self.assertIn("--access-key must be ID:SECRET; value 1 is not (it is not repeated here: it "
                      "may hold a secret)\n", strip_log_prefix(server.log()))
        self.assertNotIn("secretish", server.log())

    def test_a_key_on_the_command_line_still_works_with_a_warning(self):
        server = self.serve(["--access-key", "AKIDARGV:argv-secret"]).start()
        self.assert_accepted(server, "AKIDARGV", "argv-secret")
        self.assertEqual(server.stop(), 0)
        self.assertIn(
            "--access-key puts its secret on the command line, where every local user can read it "
            "(ps, /proc/<pid>/cmdline); prefer --access-key-file FILE (mode 0600) or the environment "
            "variable TRAILWATCH_ACCESS_KEYS\n", strip_log_prefix(server.log()))
        self.assertNotIn("argv-secret", server.log())


if __name__ == "__main__":
    harness.main()  # unittest.main, with closed servers' sockets not reported
