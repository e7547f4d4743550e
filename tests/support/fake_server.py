"""What the strict API fakes (fake_cloudflare.py, fake_acme_dns.py) share: a JSON-speaking
request handler that records violations, and serving on a free loopback port whose number is
written (atomically) to a file."""
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    violations = []  # "METHOD PATH: what", for GET /_test/violations
    violation_body = {"error": "violation"}

    def log_message(self, *args):
        pass

    def send_json(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def violation(self, what):
        """Record a request the real API's documentation does not allow; answer 400."""
        with self.lock:
            self.violations.append(f"{self.command} {self.path}: {what}")
        self.send_json(400, self.violation_body(what) if callable(self.violation_body) else self.violation_body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


def serve(handler, port_file):
    """Serve handler on 127.0.0.1 at a free port, written to port_file, until killed (over TLS
    when $FAKE_TLS_CERT and $FAKE_TLS_KEY name a certificate and its key)."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if os.environ.get("FAKE_TLS_CERT"):  # HTTPS with this certificate and key
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.environ["FAKE_TLS_CERT"], os.environ["FAKE_TLS_KEY"])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()
