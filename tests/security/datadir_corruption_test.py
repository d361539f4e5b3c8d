"""Issue 12, corrupt pages: a damaged trailwatch.db is refused at start, with
the file named, the refusal said, and recovery steps that work.

Before the fix nothing checked the file: `outbox list` on a store whose
deliveries table had a page of garbage failed (or not) with SQLite's bare
"database disk image is malformed", and serve started on it. This test
failed then on the exact message.

Needs the sqlite3 shell (Debian's package sqlite3, installed by
scripts/dev.sh test) to follow the recovery steps."""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from datadir_secrets_support import harness, modes, run, Serve, SOURCE_DIR, strip_log_prefix, umask

SEED_TEMPLATE = os.path.join(SOURCE_DIR, "examples", "iam-policy-change.yaml")
SEED_EVENTS = os.path.join(SOURCE_DIR, "examples", "sample-cloudtrail.json")


def refusal_pattern(data, db, root_page):
    """The whole refusal; only SQLite's findings after the first are free."""
    return re.escape(
        f"the database {db} is damaged (SQLite's quick_check: Page {root_page}: btreeInitPage() "
        "returns error code 11") + r"(; [^\n]*)?" + re.escape(
        "). trailwatch refuses to start on a damaged database: using it could lose more data. To "
        f"recover, stop trailwatch, keep a copy of the data directory (cp -a {data} "
        f"{data}.damaged), then copy what SQLite can still read into a new database and put it in "
        "place:\n"
        f"  sqlite3 {db} \".recover\" | sqlite3 {data}/recovered.db\n"
        f"  mv {data}/recovered.db {db} && rm -f {db}-wal {db}-shm\n"
        "then start trailwatch again (sqlite3 is Debian's package sqlite3). What was on the damaged "
        "pages may be missing.")


class CorruptionTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tw-corrupt-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.data = os.path.join(self.work, "data")
        self.db = os.path.join(self.data, "trailwatch.db")

    def test_a_damaged_page_is_refused_with_the_file_and_a_recovery_that_works(self):
        self.assertIsNotNone(shutil.which("sqlite3"),
                             "the sqlite3 shell (Debian package sqlite3) is needed for the recovery")
        # Real data: a replay that queued and delivered the seed alarm's mail.
        r = run(["replay", "--notify", "--data-dir", self.data, "--template", SEED_TEMPLATE,
                 SEED_EVENTS])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.db + "-wal"))  # all of it is in the main file
        with sqlite3.connect(self.db) as db:
            root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'deliveries'").fetchone()[0]
            page_size = db.execute("PRAGMA page_size").fetchone()[0]
            pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.close()
        self.assertTrue(1 < root < pages, (root, pages))  # in the middle of the file
        with open(self.db, "r+b") as f:
            f.seek((root - 1) * page_size)
            f.write(b"\xab" * page_size)

        expected = refusal_pattern(self.data, self.db, root)
        r = run(["outbox", "list", "--data-dir", self.data])
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertRegex(r.stderr, "^trailwatch outbox: " + expected + "\n$")
        server = Serve(self.work, self.data, ["--access-key", "AKIDCORRUPT:corrupt-secret"])
        self.addCleanup(server.cleanup)
        self.assertEqual(server.start(expect_ready=False), 2)
        self.assertRegex(strip_log_prefix(server.log()), "^" + expected + "\n$")

        # The steps of the message, as a user would paste them.
        steps = re.search(r"\n  (sqlite3 .*)\n  (mv .*)\n", r.stderr)
        with umask(0o022):
            subprocess.run(["cp", "-a", self.data, self.data + ".damaged"], check=True)
            for step in steps.groups():
                subprocess.run(["sh", "-c", step], check=True, capture_output=True)
        r = run(["outbox", "list", "--data-dir", self.data])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "0 pending, 0 delivered, 0 dead\n")  # the damaged page's rows
        # The recovered file came from the sqlite3 shell (0644): made private again.
        self.assertEqual(strip_log_prefix(r.stderr),
                         f"files in data directory {self.data} were readable by other users; made "
                         "them private: trailwatch.db 0644 -> 0600\n")
        self.assertEqual(modes(self.data)["trailwatch.db"], "0600")
        self.assertEqual(run(["outbox", "list", "--data-dir", self.data]).stderr, "")


if __name__ == "__main__":
    harness.main()  # unittest.main, with closed servers' sockets not reported
