"""Issue 12, connections and the port: slow clients, many clients, and a
second server on the same port.

Before the fix (each reproduced on the old main, cpp-httplib 0.11):
  - 16 connections sending one header line every 2 s froze the whole server
    (16 worker threads, each held by a slow client for its 30 s read timeout);
  - 64 clients connecting at once saw resets and 1 s SYN retries (listen
    backlog 5);
  - a second `serve` on a port in use started (SO_REUSEPORT) and the kernel
    split requests between the two processes.
Other clients are other loopback addresses (127.0.0.2, ...), as the caps are
per client address.
"""

import concurrent.futures
import os
import subprocess
import threading

import attack
from attack import harness


class ConnectionsTest(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.server = self.start_server()
        self.port = self.server.port

    def list_topics(self, source="127.0.0.1", timeout=10):
        body = b"Action=ListTopics&Version=2010-03-31"
        headers = attack.signed(self.port, "sns", body, {"Content-Type": attack.FORM})
        headers["Content-Length"] = str(len(body))
        return attack.send_raw(self.port, attack.request_bytes("POST", "/", headers, body), source, timeout)

    def test_slow_clients_do_not_hold_the_server(self):
        slow = []
        for i in range(64):
            s = attack.connect(self.port, source=f"127.0.0.{2 + i // 16}")
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        stop = threading.Event()

        def trickle():
            n = 0
            while not stop.wait(2):
                for s in slow:
                    try:
                        s.sendall(b"X-Slow-%d: y\r\n" % n)
                    except OSError:
                        pass
                n += 1

        feeder = threading.Thread(target=trickle)
        feeder.start()
        try:
            # While 64 slow heads are open, other requests are answered.
            for _ in range(20):
                r = self.list_topics()
                self.assertIsNotNone(r)
                self.assertEqual(r.status, 200, r)
            # A head that has not arrived after 10 s is refused and closed.
            for s in slow:
                r = attack.read_response(s, timeout=30)
                self.assertIsNotNone(r, "a slow client was closed without an answer")
                self.assertEqual(r.status, 408, r)
                self.assertIn(b"the request head did not arrive within 10 s", r.body)
                self.assertTrue(attack.closed_by_peer(s, timeout=10))
        finally:
            stop.set()
            feeder.join()
            for s in slow:
                s.close()

    def test_connections_per_client_are_capped(self):
        held = []
        try:
            refused = 0
            for _ in range(40):
                s = attack.connect(self.port, source="127.0.0.20")
                held.append(s)
            # The connections over the cap (32) are answered 503 and closed.
            for s in held[32:]:
                r = attack.read_response(s, timeout=10)
                self.assertEqual(r.status, 503, r)
                self.assertEqual(r.headers["retry-after"], "1")
                self.assertEqual(r.body, b"too many connections from one client\r\n")
                refused += 1
            self.assertEqual(refused, 8)
            # Another client is served meanwhile.
            self.assertEqual(self.list_topics().status, 200)
        finally:
            for s in held:
                s.close()

    def test_the_listen_backlog_is_deep(self):
        # ss shows a listening socket's backlog as Send-Q (it was 5).
        out = subprocess.run(["ss", "-ltnH", f"sport = :{self.port}"], capture_output=True, text=True,
                             check=True).stdout.split()
        self.assertGreaterEqual(int(out[2]), 1024, out)

    def test_many_clients_at_once_are_all_answered(self):
        # 320 clients (10 addresses x 32) connect at the same moment: none is
        # reset (a backlog of 5 dropped most of them).
        def one(i):
            return self.list_topics(source=f"127.0.1.{1 + i % 10}", timeout=60)

        with concurrent.futures.ThreadPoolExecutor(max_workers=320) as pool:
            results = list(pool.map(one, range(320)))
        statuses = [r.status if r else None for r in results]
        self.assertEqual(statuses, [200] * 320)

    def test_a_second_server_on_the_port_refuses_to_start(self):
        import boto3
        sns = boto3.session.Session(aws_access_key_id=harness.ACCESS_KEY_ID,
                                    aws_secret_access_key=harness.SECRET_ACCESS_KEY,
                                    region_name=harness.REGION).client("sns", endpoint_url=self.server.endpoint)
        sns.create_topic(Name="only-on-the-first")
        second = subprocess.run(
            [harness.BINARY, "serve", "--data-dir", os.path.join(self.workdir, "second"), "--listen",
             f"127.0.0.1:{self.port}", "--access-key", f"{harness.ACCESS_KEY_ID}:{harness.SECRET_ACCESS_KEY}"],
            capture_output=True, text=True, timeout=30)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn(f"cannot listen on 127.0.0.1:{self.port}: address already in use", second.stderr)
        # Every request still reaches the first server.
        for _ in range(6):
            r = self.list_topics()
            self.assertEqual(r.status, 200, r)
            self.assertIn(b"only-on-the-first", r.body)


if __name__ == "__main__":
    harness.main()
