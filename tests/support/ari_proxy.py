#!/usr/bin/env python3
"""A transparent HTTPS reverse proxy in front of pebble that adds ACME Renewal Information
(RFC 9773), which pebble 2.4 lacks.

  ari_proxy.py PORT UPSTREAM CAFILE CERTFILE KEYFILE STATE_DIR

- Every request is forwarded to UPSTREAM (https://127.0.0.1:N) with its Host header kept, so
  pebble builds its URLs (and checks each JWS "url") against the proxy's address.
- GET /dir: pebble's directory plus "renewalInfo": https://<host>/renewal-info.
- GET /renewal-info/<certID>: answered from STATE_DIR/window.json:
    {"status": 200, "start": RFC3339, "end": RFC3339, "explanationURL": U, "retry_after": N}
  and the certID appended to STATE_DIR/renewal-info.log.
- POST /order-plz: the JWS payload's "replaces" (or "-") is appended to STATE_DIR/replaces.log;
  when STATE_DIR/already-replaced exists and the order names "replaces", the answer is an
  alreadyReplaced problem (HTTP 409) with a fresh nonce from pebble.
Loopback only.
"""
import base64
import http.client
import http.server
import json
import os
import ssl
import sys
import threading

PORT, UPSTREAM, CAFILE, CERTFILE, KEYFILE, STATE = sys.argv[1:7]
UP_HOST, UP_PORT = UPSTREAM.split("://", 1)[1].split(":")
UP_CTX = ssl.create_default_context(cafile=CAFILE)
LOCK = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


def append(name, line):
    with LOCK, open(os.path.join(STATE, name), "a") as f:
        f.write(line + "\n")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        append("access.log", "%s %s" % (self.command, self.path))

    def upstream(self, method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection(UP_HOST, int(UP_PORT), context=UP_CTX, timeout=30)
        hdrs = {k: v for k, v in (headers or {}).items() if k.lower() not in HOP}
        hdrs["Host"] = self.headers.get("Host", "127.0.0.1:" + PORT)
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP], data

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def forward(self, body=None):
        status, headers, data = self.upstream(self.command, self.path, body, dict(self.headers))
        self.reply(status, headers, data)

    def do_HEAD(self):
        self.forward()

    def do_GET(self):
        host = self.headers.get("Host", "127.0.0.1:" + PORT)
        if self.path == "/dir":
            status, headers, data = self.upstream("GET", "/dir", None, dict(self.headers))
            d = json.loads(data)
            d["renewalInfo"] = "https://%s/renewal-info" % host
            self.reply(status, [h for h in headers if h[0].lower() != "content-type"] +
                       [("Content-Type", "application/json")], json.dumps(d).encode())
            return
        if self.path.startswith("/renewal-info/"):
            cert_id = self.path[len("/renewal-info/"):]
            append("renewal-info.log", cert_id)
            with open(os.path.join(STATE, "window.json")) as f:
                w = json.load(f)
            if w.get("status", 200) != 200:
                body = json.dumps({"type": "urn:ietf:params:acme:error:serverInternal",
                                   "detail": "renewal info unavailable"}).encode()
                self.reply(w["status"], [("Content-Type", "application/problem+json")], body)
                return
            out = {"suggestedWindow": {"start": w["start"], "end": w["end"]}}
            if w.get("explanationURL"):
                out["explanationURL"] = w["explanationURL"]
            headers = [("Content-Type", "application/json")]
            if w.get("retry_after"):
                headers.append(("Retry-After", str(w["retry_after"])))
            self.reply(200, headers, json.dumps(out).encode())
            return
        self.forward()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/order-plz":
            payload = json.loads(b64url_decode(json.loads(body)["payload"]))
            replaces = payload.get("replaces", "")
            append("replaces.log", replaces or "-")
            if replaces and os.path.exists(os.path.join(STATE, "already-replaced")):
                _, nh, _ = self.upstream("HEAD", "/nonce-plz")
                nonce = [v for k, v in nh if k.lower() == "replay-nonce"]
                problem = json.dumps({"type": "urn:ietf:params:acme:error:alreadyReplaced",
                                      "detail": "certificate already replaced", "status": 409}).encode()
                self.reply(409, [("Content-Type", "application/problem+json")] +
                           [("Replay-Nonce", n) for n in nonce], problem)
                return
        self.forward(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERTFILE, KEYFILE)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
