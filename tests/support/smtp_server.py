#!/usr/bin/env python3
"""A real SMTP server for lango's tests: aiosmtpd (pip install aiosmtpd).

Listens on 127.0.0.1 (port 0 unless --port: the OS picks a free one),
optionally offers STARTTLS (--cert/--key) and a second, implicit-TLS
listener (--tls), optionally requires AUTH PLAIN/LOGIN with one user
(--user/--password; by aiosmtpd's default only after STARTTLS, or on the
plain connection too with --auth-on-plain), and refuses the recipients
given with --reject (550 5.1.1). Each message accepted is written to --out
as NNNN.eml (the bytes received) and NNNN.json (a summary parsed with
Python's email package: envelope, decoded headers, the MIME tree, each
leaf part's decoded bytes as base64, whether TLS and AUTH were used).

Prints one line when listening, which the Rust side waits for:
    ready port=<port> tls_port=<port or 0>
"""

import argparse
import asyncio
import base64
import email
import email.policy
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, out, reject):
        self.out = out
        self.reject = {r.lower() for r in reject}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(self.out, f"{self.count:04d}")
        raw = envelope.original_content or envelope.content
        tls = bool(session.ssl) or server.transport.get_extra_info("ssl_object") is not None
        summary = summarize(raw)
        summary.update(
            mail_from=envelope.mail_from,
            rcpt_tos=envelope.rcpt_tos,
            tls=tls,
            auth_user=session.auth_data if session.authenticated else None,
        )
        # The summary first, the .eml last: a reader that sees the .eml
        # finds its summary.
        with open(stem + ".json.tmp", "w") as f:
            json.dump(summary, f)
        os.replace(stem + ".json.tmp", stem + ".json")
        with open(stem + ".eml.tmp", "wb") as f:
            f.write(raw)
        os.replace(stem + ".eml.tmp", stem + ".eml")
        return "250 2.0.0 Ok: queued"


def summarize(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [[k, str(v)] for k, v in msg.items()]
    parts = []
    for depth, part in walk(msg, 0):
        entry = {
            "depth": depth,
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "disposition": part.get_content_disposition(),
            "filename": part.get_filename(),
        }
        if not part.is_multipart():
            body = part.get_payload(decode=True) or b""
            entry["bytes_b64"] = base64.b64encode(body).decode()
            if part.get_content_maintype() == "text":
                entry["text"] = part.get_content()
        parts.append(entry)
    return {"headers": headers, "parts": parts}


def walk(part, depth):
    yield depth, part
    if part.is_multipart():
        for sub in part.iter_parts():
            yield from walk(sub, depth + 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--tls", action="store_true", help="also listen with implicit TLS")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--auth-on-plain", action="store_true")
    p.add_argument("--reject", action="append", default=[])
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)

    ctx = None
    if a.starttls or a.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == a.user.encode()
            and auth_data.password == a.password.encode()
        ):
            return AuthResult(success=True, auth_data=a.user)
        return AuthResult(success=False, handled=False)

    handler = Handler(a.out, a.reject)

    def factory(implicit_tls):
        def make():
            kw = dict(hostname="smtp.test", ident="aiosmtpd (lango tests)")
            if a.starttls and not implicit_tls:
                kw["tls_context"] = ctx
            if a.user:
                kw["authenticator"] = authenticator
                kw["auth_required"] = True
                # On the implicit-TLS port the connection is already
                # encrypted, but aiosmtpd only counts STARTTLS.
                kw["auth_require_tls"] = not (implicit_tls or a.auth_on_plain)
            return SMTP(handler, **kw)

        return make

    async def serve():
        loop = asyncio.get_running_loop()
        plain = await loop.create_server(factory(False), "127.0.0.1", a.port)
        port = plain.sockets[0].getsockname()[1]
        tls_port = 0
        if a.tls:
            secure = await loop.create_server(factory(True), "127.0.0.1", 0, ssl=ctx)
            tls_port = secure.sockets[0].getsockname()[1]
        print(f"ready port={port} tls_port={tls_port}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
