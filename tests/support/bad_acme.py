#!/usr/bin/env python3
"""A misbehaving ACME server over TLS on loopback, for tests/integration/test_renew_resilience.sh.

  bad_acme.py PORT CERTFILE KEYFILE STATE_DIR

It answers the directory, new-nonce and new-account requests correctly (no JWS is checked),
so `certctl account register` works against it; orders get odd answers, chosen by the text
of STATE_DIR/mode (default "garbage"):

  garbage    new-order: 201 whose Replay-Nonce and Link headers carry bytes that are not
             UTF-8 and whose Retry-After is 2^63-1; the order body is valid and names an
             authorization (fetched with that nonce, or a fresh one), whose answer is
             malformed JSON.
  location   new-order: 201 whose Location carries bytes that are not UTF-8.
  ratelimit  new-order: 429 rateLimited with Retry-After: 9223372036854775807.

Every request is appended to STATE_DIR/access.log as "METHOD PATH". Loopback only.
"""
import http.server
import json
import os
import ssl
import sys
import threading

PORT, CERTFILE, KEYFILE, STATE = sys.argv[1:5]
BASE = "https://127.0.0.1:%s" % PORT
LOCK = threading.Lock()
COUNTER = [0]
HUGE = "9223372036854775807"
NOT_UTF8 = "\xff\xfe\xc0"  # sent as latin-1: the bytes FF FE C0


def nonce():
    with LOCK:
        COUNTER[0] += 1
        return "bm9uY2U%06d" % COUNTER[0]


def mode():
    try:
        with open(os.path.join(STATE, "mode")) as f:
            return f.read().strip() or "garbage"
    except FileNotFoundError:
        return "garbage"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        with LOCK, open(os.path.join(STATE, "access.log"), "a") as f:
            f.write("%s %s\n" % (self.command, self.path))

    def reply(self, status, body, headers=(), ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        has_nonce = any(k == "Replay-Nonce" for k, _ in headers)
        if not has_nonce:
            self.send_header("Replay-Nonce", nonce())
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.reply(200, b"")

    def do_GET(self):
        if self.path == "/dir":
            return self.reply(200, {
                "newNonce": BASE + "/nonce", "newAccount": BASE + "/acct", "newOrder": BASE + "/order",
                "revokeCert": BASE + "/revoke", "keyChange": BASE + "/key-change"})
        if self.path == "/nonce":
            return self.reply(204, b"")
        self.reply(404, {"type": "urn:ietf:params:acme:error:malformed", "detail": "no such thing"},
                   ctype="application/problem+json")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        if self.path.startswith("/acct"):
            return self.reply(201, {"status": "valid", "contact": [], "orders": BASE + "/orders"},
                              [("Location", BASE + "/acct/1")])
        if self.path == "/order":
            if mode() == "ratelimit":
                return self.reply(429, {"type": "urn:ietf:params:acme:error:rateLimited", "detail": "slow down"},
                                  [("Retry-After", HUGE)], ctype="application/problem+json")
            order = {
                "status": "pending", "expires": "2099-01-01T00:00:00Z",
                "identifiers": [{"type": "dns", "value": "odd.example.test"}],
                "authorizations": [BASE + "/authz/1"], "finalize": BASE + "/finalize/1"}
            if mode() == "location":
                return self.reply(201, order, [("Location", BASE + "/order/1" + NOT_UTF8)])
            return self.reply(201, order, [
                ("Replay-Nonce", "bm9uY2U" + NOT_UTF8), ("Location", BASE + "/order/1"),
                ("Link", "<" + BASE + "/dir" + NOT_UTF8 + '>;rel="index"'), ("Retry-After", HUGE)])
        if self.path.startswith("/authz/"):
            return self.reply(200, b'{"status": "pending", "identifier": {"type": "dns", "value": "odd.exa',
                              [("Retry-After", HUGE)])
        self.reply(404, {"type": "urn:ietf:params:acme:error:malformed", "detail": "no such thing"},
                   ctype="application/problem+json")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", int(PORT)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERTFILE, KEYFILE)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
