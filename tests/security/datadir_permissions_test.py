"""Issue 12, the data directory: it holds the SNS signing key, subscription
tokens, every log event and the access key pair, so only its owner may read
it and no one else may write it.

Before the fix, under a shell's umask 022: the directory was 0755 and
trailwatch.db/-wal/-shm 0644 (any local user could read the key and the
events); a directory others could write was used as is; and <dir>/credentials
was read through a symbolic link planted there, or replaced one with a new
file. Each test below failed then.

Run by CTest with TW_BINARY etc. in the environment; standard library and
Debian's python3 only."""

import os
import shutil
import stat
import tempfile
import unittest

from datadir_secrets_support import harness, modes, run, Serve, SOURCE_DIR, strip_log_prefix, umask

SEED_TEMPLATE = os.path.join(SOURCE_DIR, "examples", "iam-policy-change.yaml")
SEED_EVENTS = os.path.join(SOURCE_DIR, "examples", "sample-cloudtrail.json")


class DataDirectoryTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tw-datadir-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.data = os.path.join(self.work, "data")

    def serve(self, data_dir=None, args=()):
        server = Serve(self.work, data_dir or self.data, args)
        self.addCleanup(server.cleanup)
        return server

    def replay_notify(self):
        with umask(0o022):
            r = run(["replay", "--notify", "--data-dir", self.data, "--template", SEED_TEMPLATE,
                     SEED_EVENTS])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def assert_private(self, root):
        """Every directory 0700, every file 0600."""
        for name, mode in modes(root).items():
            path = os.path.join(root, name)
            self.assertEqual(mode, "0700" if os.path.isdir(path) else "0600", name)

    # Before: {".": "0755", "trailwatch.db": "0644", "-wal": "0644", "-shm": "0644", ...}
    def test_a_fresh_serve_start_makes_the_directory_and_every_file_private(self):
        with umask(0o022):
            server = self.serve().start()
        self.assertEqual(modes(self.data), {
            ".": "0700", "credentials": "0600", "lock": "0600", "trailwatch.db": "0600",
            "trailwatch.db-wal": "0600", "trailwatch.db-shm": "0600"})
        self.assertEqual(server.stop(), 0)
        self.assert_private(self.data)

    # Before: the directory 0755 and trailwatch.db 0644 after a replay --notify.
    def test_replay_notify_makes_the_directory_the_store_and_the_maildir_private(self):
        self.replay_notify()
        found = modes(self.data)
        mails = [n for n in found if n.startswith("maildir/new/")]
        self.assertEqual(len(mails), 1, found)
        self.assertEqual(found, {
            ".": "0700", "lock": "0600", "trailwatch.db": "0600", "maildir": "0700",
            "maildir/cur": "0700", "maildir/new": "0700", "maildir/tmp": "0700", mails[0]: "0600"})

    # Before: every command used such a directory (exit 0) and made its files in it.
    def test_a_directory_others_can_write_is_refused_by_every_command(self):
        for mode, who in ((0o770, "its group"), (0o707, "other users"),
                          (0o777, "its group and other users")):
            with self.subTest(mode=oct(mode)):
                data = os.path.join(self.work, "open-%o" % mode)
                os.mkdir(data)
                os.chmod(data, mode)
                refusal = (f"data directory {data} is writable by {who} (mode {mode:04o}): another "
                           "local user could replace its database or credentials, so trailwatch "
                           f"refuses to use it. Make it private with: chmod 700 {data} (and check "
                           "that no one else has added files to it)")
                r = run(["outbox", "list", "--data-dir", data])
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (2, "", f"trailwatch outbox: {refusal}\n"))
                r = run(["replay", "--notify", "--data-dir", data, "--template", SEED_TEMPLATE,
                         SEED_EVENTS])
                self.assertEqual(r.returncode, 2)
                self.assertIn(f"trailwatch replay: {refusal}\n", r.stderr)
                server = self.serve(data)
                self.assertEqual(server.start(expect_ready=False), 2)
                self.assertEqual(strip_log_prefix(server.log()), refusal + "\n")
                self.assertEqual(os.listdir(data), [])  # nothing was created in it
                self.assertEqual(stat.S_IMODE(os.stat(data).st_mode), mode)

    # Before: the legacy modes stayed as they were (and nothing was logged).
    def test_a_directory_others_can_read_is_made_private_and_the_change_logged_once(self):
        self.replay_notify()
        mail = os.listdir(os.path.join(self.data, "maildir", "new"))[0]
        # What earlier versions left (and worse: their Maildir was 0700/0600).
        legacy = {".": 0o755, "lock": 0o644, "trailwatch.db": 0o644, "maildir": 0o755,
                  "maildir/cur": 0o755, "maildir/new": 0o755, "maildir/tmp": 0o755,
                  "maildir/new/" + mail: 0o644}
        for name, mode in legacy.items():
            os.chmod(os.path.join(self.data, name), mode)
        outside = os.path.join(self.work, "not-ours.txt")
        with open(outside, "w") as f:
            f.write("a file elsewhere\n")
        os.chmod(outside, 0o644)
        os.symlink(outside, os.path.join(self.data, "link-to-elsewhere"))

        r = run(["outbox", "list", "--data-dir", self.data])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(
            strip_log_prefix(r.stderr),
            f"data directory {self.data} was readable by its group and other users (mode 0755); "
            f"made it private: {self.data} 0755 -> 0700, lock 0644 -> 0600, maildir 0755 -> 0700, "
            "maildir/cur 0755 -> 0700, maildir/new 0755 -> 0700, "
            f"maildir/new/{mail} 0644 -> 0600, maildir/tmp 0755 -> 0700, "
            "trailwatch.db 0644 -> 0600\n")
        self.assert_private(os.path.join(self.data, "maildir"))
        self.assertEqual(stat.S_IMODE(os.stat(self.data).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.data, "trailwatch.db")).st_mode), 0o600)
        # A symbolic link's target is not the data directory's to change.
        self.assertEqual(stat.S_IMODE(os.stat(outside).st_mode), 0o644)

        r = run(["outbox", "list", "--data-dir", self.data])
        self.assertEqual((r.returncode, r.stderr), (0, ""))  # once: nothing left to change

    # Before: a database put back by hand (0644 from the sqlite3 shell) stayed 0644.
    def test_a_loose_file_in_a_private_directory_is_made_private(self):
        self.replay_notify()
        os.chmod(os.path.join(self.data, "trailwatch.db"), 0o644)
        r = run(["outbox", "list", "--data-dir", self.data])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(strip_log_prefix(r.stderr),
                         f"files in data directory {self.data} were readable by other users; made "
                         "them private: trailwatch.db 0644 -> 0600\n")
        self.assert_private(self.data)

    # Before: an existing target was read as the credentials (and refused as
    # "holds no aws_access_key_id"); a dangling link was replaced by a new
    # file and serve started.
    def test_a_symbolic_link_planted_as_the_credentials_file_is_refused(self):
        target = os.path.join(self.work, "elsewhere")
        with open(target, "w") as f:
            f.write("do not touch\n")
        os.chmod(target, 0o644)
        before = os.stat(target)
        dangling = os.path.join(self.work, "does-not-exist")
        for pointee in (target, dangling):
            with self.subTest(pointee=pointee):
                shutil.rmtree(self.data, ignore_errors=True)
                os.mkdir(self.data, 0o700)
                link = os.path.join(self.data, "credentials")
                os.symlink(pointee, link)
                server = self.serve()
                self.assertEqual(server.start(expect_ready=False), 2)
                self.assertIn(
                    f"{link} is a symbolic link; trailwatch keeps its key pair only in a regular "
                    "file of the data directory and refuses to follow a link there. Remove the "
                    "link (a new key pair is then made), or give keys with --access-key-file\n",
                    strip_log_prefix(server.log()))
                self.assertTrue(os.path.islink(link))
                self.assertFalse(os.path.exists(dangling))
                with open(target) as f:
                    self.assertEqual(f.read(), "do not touch\n")
                after = os.stat(target)
                self.assertEqual((after.st_mode, after.st_mtime_ns, after.st_size),
                                 (before.st_mode, before.st_mtime_ns, before.st_size))


if __name__ == "__main__":
    harness.main()  # unittest.main, with closed servers' sockets not reported
