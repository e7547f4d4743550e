#!/usr/bin/env python3
"""Local receivers for the notifier tests (loopback only).

  notify_sink.py http PORT OUT_DIR   a webhook: each POST is appended to OUT_DIR/webhook.jsonl as
                                     {"path", "content_type", "body"}; the answer is the status in
                                     OUT_DIR/status (default 204)
  notify_sink.py smtp PORT OUT_DIR   an SMTP server (EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA):
                                     each mail is appended to OUT_DIR/mail.jsonl as {"from", "to",
                                     "auth", "data"}; AUTH must match $SINK_USER/$SINK_PASSWORD
                                     when those are set (else 535)
"""
import base64
import http.server
import json
import os
import socketserver
import sys

MODE, PORT, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def append(name, obj):
    with open(os.path.join(OUT, name), "a") as f:
        f.write(json.dumps(obj) + "\n")


class Hook(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        append("webhook.jsonl", {"path": self.path, "content_type": self.headers.get("Content-Type"), "body": body})
        status = 204
        try:
            with open(os.path.join(OUT, "status")) as f:
                status = int(f.read().strip())
        except OSError:
            pass
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Smtp(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.send("220 sink ESMTP")
        mail = {"from": None, "to": [], "auth": None, "data": None}
        want_user, want_pw = os.environ.get("SINK_USER"), os.environ.get("SINK_PASSWORD")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            cmd = line.upper()
            if cmd.startswith("EHLO"):
                self.wfile.write(b"250-sink\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
            elif cmd.startswith("HELO"):
                self.send("250 sink")
            elif cmd.startswith("AUTH PLAIN"):
                parts = line.split(" ", 2)
                if len(parts) < 3:
                    self.send("334 ")
                    parts.append(self.rfile.readline().decode().strip())
                _, user, pw = base64.b64decode(parts[2]).decode().split("\0")
                ok = want_user is None or (user == want_user and pw == want_pw)
                mail["auth"] = user
                self.send("235 ok" if ok else "535 5.7.8 authentication failed")
            elif cmd.startswith("AUTH LOGIN"):
                self.send("334 VXNlcm5hbWU6")
                user = base64.b64decode(self.rfile.readline().strip()).decode()
                self.send("334 UGFzc3dvcmQ6")
                pw = base64.b64decode(self.rfile.readline().strip()).decode()
                ok = want_user is None or (user == want_user and pw == want_pw)
                mail["auth"] = user
                self.send("235 ok" if ok else "535 5.7.8 authentication failed")
            elif cmd.startswith("MAIL FROM:"):
                mail["from"] = line[10:].strip()
                self.send("250 ok")
            elif cmd.startswith("RCPT TO:"):
                mail["to"].append(line[8:].strip())
                self.send("250 ok")
            elif cmd == "DATA":
                self.send("354 end with .")
                data = []
                while True:
                    l = self.rfile.readline().decode()
                    if l in (".\r\n", ".\n", ""):
                        break
                    data.append(l[1:] if l.startswith("..") else l)
                mail["data"] = "".join(data)
                append("mail.jsonl", mail)
                mail = {"from": None, "to": [], "auth": mail["auth"], "data": None}
                self.send("250 queued")
            elif cmd == "QUIT":
                self.send("221 bye")
                return
            elif cmd in ("RSET", "NOOP"):
                self.send("250 ok")
            else:
                self.send("502 unknown")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if MODE == "http":
    http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Hook).serve_forever()
else:
    Server(("127.0.0.1", PORT), Smtp).serve_forever()
