#!/usr/bin/env python3
"""A local stand-in for an endpoint of lego's httpreq protocol, strict about requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file), under --prefix (default
none, e.g. /acme/dns):
  POST {prefix}/present   {"fqdn": "_acme-challenge.example.com.", "value": "..."}: keep the value
  POST {prefix}/cleanup   the same body: drop exactly that value (gone already: still 200)
Both answer 200 with an empty JSON object. As lego's documentation describes the protocol (the
default mode), anything else is a violation (recorded, answered 400): another method or path, a
query string, no Content-Type: application/json, a body that is not a JSON object of exactly the
string fields fqdn and value, an fqdn that is not an absolute name (no trailing dot, a label
empty or over 63 octets), an empty value.

With --auth-file (a file holding USER:PASSWORD) every request must carry
"Authorization: Basic base64(USER:PASSWORD)"; a missing or other one gets 401 with the body
"unauthorized". --fail NAME answers 500 ("backend exploded") for that fqdn. --bind HOST:PORT with
--tsig-file (ALGORITHM:NAME:SECRET) mirrors every value kept into that BIND zone with nsupdate
(the key on its stdin), as an endpoint that publishes what it is given would.

Test hooks: GET /_test/records, /_test/violations, /_test/requests.
"""
import argparse
import base64
import json
import re
import sys
import threading

from fake_server import JsonHandler, nsupdate, serve


class State:
    def __init__(self, prefix, auth, fail, bind, tsig):
        self.lock = threading.Lock()
        self.prefix = prefix
        self.auth = auth  # "user:password" or None
        self.fail = fail
        self.bind = bind
        self.tsig = tsig
        self.records = []  # {"fqdn", "value"}
        self.requests = []


def absolute_name(name):
    if not name.endswith(".") or len(name) > 254:
        return False
    labels = name[:-1].split(".")
    return all(0 < len(label) <= 63 and re.fullmatch(r"[A-Za-z0-9_-]+", label) for label in labels)


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"error": "fake_httpreq: " + what}

    def send_text(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        verb = None
        for v in ("present", "cleanup"):
            if url.path == f"{self.state.prefix}/{v}":
                verb = v
        if verb is None:
            return self.violation(f"no such endpoint (expected {self.state.prefix}/present or /cleanup)")
        if self.command != "POST":
            return self.violation(f"{self.command} instead of POST")
        if url.query:
            return self.violation("a query string")
        if self.state.auth is not None:
            want = "Basic " + base64.b64encode(self.state.auth.encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.send_text(401, "unauthorized")
        doc = self.json_object(body, {"fqdn": str, "value": str}, ("fqdn", "value"))
        if doc is None:
            return None
        if not absolute_name(doc["fqdn"]):
            return self.violation(f"fqdn {doc['fqdn']!r} is not an absolute name with a trailing dot")
        if not doc["value"]:
            return self.violation("an empty value")
        fqdn, value = doc["fqdn"].lower(), doc["value"]
        if fqdn in self.state.fail:
            return self.send_text(500, "backend exploded")
        rec = {"fqdn": fqdn, "value": value}
        with self.state.lock:
            have = rec in self.state.records
            if verb == "present" and not have:
                self.state.records.append(rec)
            if verb == "cleanup" and have:
                self.state.records.remove(rec)
        changed = (verb == "present") != have
        if changed and self.state.bind:
            nsupdate(self.state.bind, self.state.tsig, "add" if verb == "present" else "delete", fqdn[:-1], value)
        return self.send_json(200, {})

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--prefix", default="", help="path the endpoint lives under, e.g. /acme/dns")
    ap.add_argument("--auth-file", help="file holding USER:PASSWORD for basic authentication")
    ap.add_argument("--record", action="append", default=[], help="FQDN:VALUE, preloaded")
    ap.add_argument("--fail", action="append", default=[], help="an fqdn (with its dot) answered with 500")
    ap.add_argument("--bind", help="HOST:PORT of a BIND to mirror TXT records into (with --tsig-file)")
    ap.add_argument("--tsig-file", help="file holding ALGORITHM:NAME:SECRET for --bind")
    a = ap.parse_args()
    auth = open(a.auth_file).read().strip() if a.auth_file else None
    tsig = open(a.tsig_file).read().strip() if a.tsig_file else None
    state = State(a.prefix.rstrip("/"), auth, set(a.fail), a.bind, tsig)
    for spec in a.record:
        fqdn, value = spec.split(":", 1)
        state.records.append({"fqdn": fqdn, "value": value})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
