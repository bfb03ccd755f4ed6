"""A real SMTP submission server for tests: aiosmtpd as pinned in
requirements.txt, installed by setup.sh into .local-stack/venv.

It speaks STARTTLS (or implicit TLS with --implicit-tls) with the given
certificate and key, requires AUTH (PLAIN or LOGIN, only after TLS) with the
given credentials, and stores every message it accepts in --maildir as
NNNNNN.eml (the raw bytes received after DATA) with NNNNNN.json beside it
(the envelope: MAIL FROM, RCPT TO, the login used). Each pair is written
under a temporary name and renamed, so a reader never sees half a message.

Chosen recipients get chosen answers, to test a client's mapping of them:
  --reject ADDR    RCPT TO:<ADDR> is answered 550 5.1.1 (user unknown)
  --tempfail ADDR  RCPT TO:<ADDR> is answered 451 4.3.0 (try again later)
  --hang ADDR      a message for ADDR is stored, then its DATA is never
                   answered (the client's wait runs out)
  --drop ADDR      a message for ADDR is stored, then the connection is
                   closed without an answer to its DATA

Prints "ready <port>" on stdout once it listens. Runs until killed.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.reject = {a.lower() for a in args.reject}
        self.tempfail = {a.lower() for a in args.tempfail}
        self.hang = {a.lower() for a in args.hang}
        self.drop = {a.lower() for a in args.drop}
        os.makedirs(args.maildir, exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if address.lower() in self.tempfail:
            return "451 4.3.0 <%s>: Temporary failure, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = "%06d" % self.count
        login = None
        if isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": login,
        }
        self._write(name + ".eml", envelope.original_content)
        self._write(name + ".json", json.dumps(meta).encode())
        rcpts = {r.lower() for r in envelope.rcpt_tos}
        if rcpts & self.hang:
            await asyncio.Event().wait()  # never answers
        if rcpts & self.drop:
            server.transport.abort()
            return None
        return "250 2.0.0 OK queued as %s" % name

    def _write(self, name, data):
        path = os.path.join(self.args.maildir, name)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True, help="PEM certificate (chain)")
    p.add_argument("--key", required=True, help="PEM private key")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--implicit-tls", action="store_true",
                   help="TLS from the first byte (port 465 style) instead of STARTTLS")
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--tempfail", action="append", default=[])
    p.add_argument("--hang", action="append", default=[])
    p.add_argument("--drop", action="append", default=[])
    args = p.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    user, password = args.user.encode(), args.password.encode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user and auth_data.password == password)
        if not ok:
            # not handled here: aiosmtpd answers 535 5.7.8 itself
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)

    handler = Handler(args)

    def protocol():
        return SMTP(
            handler,
            hostname="mail.test",
            # STARTTLS: offered, and required before anything else; with
            # implicit TLS the socket itself is wrapped below.
            tls_context=None if args.implicit_tls else context,
            require_starttls=not args.implicit_tls,
            auth_required=True,
            auth_require_tls=not args.implicit_tls,
            authenticator=authenticator,
        )

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        protocol, host=args.host, port=args.port,
        ssl=context if args.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    print("ready %d" % port, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
