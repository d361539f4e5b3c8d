#!/usr/bin/python3
"""A real SMTP server for the delivery tests: Debian's aiosmtpd on 127.0.0.1.

Run it with the system Python (/usr/bin/python3), which has aiosmtpd.
It listens on a free port, prints "READY <port>" on stdout once it accepts
connections, and exits with status 0 on SIGTERM or SIGINT.

Each accepted message n (1, 2, ...) is saved in --dir as:
  <n>.eml   the message bytes as received (after SMTP dot-unstuffing)
  <n>.json  {"mail_from", "rcpt_tos", "tls", "authenticated",
             "auth_mechanism", "auth_login", "peer"}
<n>.json is renamed into place after <n>.eml is complete, so a reader that
sees the JSON file sees the whole message.

Options:
  --dir DIR             where to save messages (required)
  --starttls CERT KEY   offer STARTTLS with this certificate and key
  --require-starttls    with --starttls: refuse mail until STARTTLS
  --smtps CERT KEY      implicit TLS on connect (smtps)
  --auth USER:PASS      require AUTH (PLAIN or LOGIN) with these credentials;
                        offered only over TLS when TLS is configured
  --reject-rcpt ADDR    answer 550 to RCPT TO for ADDR (repeatable)
  --tempfail N          answer 451 after DATA to the first N messages
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, args):
        self.dir = args.dir
        self.reject = {a.lower() for a in args.reject_rcpt}
        self.tempfail = args.tempfail
        self.data_count = 0
        self.saved = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        if self.data_count <= self.tempfail:
            return "451 4.3.0 Temporary failure, try again later"
        self.saved += 1
        n = self.saved
        with open(os.path.join(self.dir, f"{n}.eml"), "wb") as f:
            f.write(envelope.original_content)
        auth = session.auth_data if isinstance(session.auth_data, dict) else {}
        info = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated),
            "auth_mechanism": auth.get("mechanism", ""),
            "auth_login": auth.get("login", ""),
            "peer": list(session.peer) if session.peer else [],
        }
        tmp = os.path.join(self.dir, f".{n}.json.tmp")
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.rename(tmp, os.path.join(self.dir, f"{n}.json"))
        return f"250 2.0.0 OK: queued as {n}"


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode()
                and auth_data.password == password.encode()):
            return AuthResult(success=True,
                              auth_data={"mechanism": mechanism, "login": user})
        return AuthResult(success=False, handled=False)
    return authenticate


def server_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


async def serve(args):
    starttls = server_context(*args.starttls) if args.starttls else None
    smtps = server_context(*args.smtps) if args.smtps else None
    user = password = None
    if args.auth:
        user, _, password = args.auth.partition(":")

    handler = Handler(args)

    def factory():
        kwargs = dict(hostname="sink.trailwatch.test", tls_context=starttls,
                      require_starttls=bool(starttls and args.require_starttls))
        if user is not None:
            kwargs.update(authenticator=make_authenticator(user, password),
                          auth_required=True,
                          # Over implicit TLS aiosmtpd does not know the
                          # connection is encrypted; without any TLS, tests
                          # may exercise AUTH in the clear.
                          auth_require_tls=starttls is not None)
        return SMTP(handler, **kwargs)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host="127.0.0.1", port=0, ssl=smtps)
    port = server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY {port}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASS")
    parser.add_argument("--reject-rcpt", action="append", default=[], metavar="ADDR")
    parser.add_argument("--tempfail", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.starttls and args.smtps:
        parser.error("--starttls and --smtps exclude each other")

    # aiosmtpd warns about AUTH without TLS and about its own deprecated
    # attributes; only real errors should reach the test's output.
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
