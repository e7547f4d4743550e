"""What the strict API fakes (fake_cloudflare.py, fake_acme_dns.py) share: a JSON-speaking
request handler that records violations, and serving on a free loopback port whose number is
written (atomically) to a file."""
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


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

    def begin(self):
        """Read the request, note it in state.requests and answer a test hook: (url, body), or
        None when it was a hook."""
        url = urlsplit(self.path)
        body = self.read_body()
        with self.state.lock:
            self.state.requests.append(f"{self.command} {self.path}")
        if url.path.startswith("/_test/"):
            self.test_hook(url.path)
            return None
        return url, body

    def bearer_token(self):
        """The token of 'Authorization: Bearer <token>'; None, with the violation recorded and
        answered, when the header is missing or another scheme."""
        auth = self.headers.get("Authorization")
        if auth is None or not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            return self.violation(f"Authorization is not 'Bearer <token>': {auth!r}")
        return auth[len("Bearer "):]

    def test_hook(self, path):
        """GET /_test/records, /_test/violations or /_test/requests, for a fake whose `state`
        keeps `records` and `requests` under its `lock`."""
        with self.state.lock:
            doc = {"/_test/records": self.state.records, "/_test/violations": self.violations,
                   "/_test/requests": self.state.requests}.get(path)
        if doc is None:
            return self.send_json(404, {})
        return self.send_json(200, doc)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def json_object(self, body, fields, required):
        """The JSON object a request body carries, after checking it against the API's
        documentation: Content-Type application/json, only `fields` (name -> type or tuple of
        types; a JSON true/false is only a bool), every name in `required`. None, with the
        violation recorded and answered, when it breaks any of that."""
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip() != "application/json":
            return self.violation(f"{self.command} without Content-Type: application/json ({ctype!r})")
        try:
            doc = json.loads(body)
        except ValueError:
            return self.violation("body is not JSON")
        if not isinstance(doc, dict):
            return self.violation("body is not a JSON object")
        for k, v in doc.items():
            if k not in fields:
                return self.violation(f"unknown field {k!r}")
            types = fields[k] if isinstance(fields[k], tuple) else (fields[k],)
            if not isinstance(v, types) or (isinstance(v, bool) and bool not in types):
                return self.violation(f"field {k!r} has the wrong JSON type: {v!r}")
        for k in required:
            if k not in doc:
                return self.violation(f"field {k!r} missing")
        return doc


def nsupdate(bind, tsig, action, fqdn, value):
    """Add or delete one TXT value at fqdn in the BIND at bind ("host:port") with nsupdate,
    signed with tsig ("algorithm:name:secret", given on nsupdate's stdin, never its argv): how a
    fake makes what it holds visible to a CA that resolves through that BIND."""
    host, port = bind.rsplit(":", 1)
    alg, name, secret = tsig.split(":", 2)
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    script = f"server {host} {port}\nkey {alg}:{name} {secret}\nupdate {action} {fqdn}. 60 TXT {quoted}\nsend\n"
    # A loaded machine (CI runs two suites at once) can make one nsupdate time out: try again
    # (an add or delete is idempotent), and fail loudly, never leave the zone silently behind.
    for attempt in range(3):
        try:
            subprocess.run(["nsupdate", "-t", "20"], input=script.encode(), check=True, timeout=30,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            if attempt == 2:
                raise


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
