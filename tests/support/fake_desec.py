#!/usr/bin/env python3
"""A local stand-in for the deSEC API v1 endpoints certctl uses, strict about requests.

Serves on 127.0.0.1 (port 0 = any; the port is written to --port-file), under /api/v1:
  GET   /domains/?owns_qname=NAME              the domain that owns NAME: a list of 0 or 1
  GET   /domains/{name}/rrsets/{subname}/TXT/  one RRset, or 404 {"detail": "Not found."}
  POST  /domains/{name}/rrsets/                create an RRset (201); 400 when it exists
  PATCH /domains/{name}/rrsets/{subname}/TXT/  set its records (200), or delete it with [] (204)
"@" stands for the apex in a URL, "" in a body. A wrong token gets 401 {"detail": "Invalid
token."}; a TTL below the domain's minimum_ttl gets 400 {"ttl": [...]}, as deSEC answers.

Anything the public API documentation does not allow is a violation: a missing or non-"Token"
Authorization header, a body on GET, a write without Content-Type: application/json, unknown or
mistyped JSON fields, a subname that is absolute (a trailing dot, or ending in the domain), a
TXT record that is not a quoted character-string, a URL without its trailing slash, unknown
query parameters. Each is recorded and answered with 400.

Test hooks: GET /_test/records ({"domain", "subname", "records", "ttl"} per RRset),
GET /_test/violations, GET /_test/requests.
"""
import argparse
import re
import sys
import threading
from urllib.parse import parse_qs

from fake_server import JsonHandler, serve

PREFIX = "/api/v1"
TXT_RE = re.compile(r'^"([^"\\]|\\.)*"( "([^"\\]|\\.)*")*$')
CREATE_FIELDS = {"subname": str, "type": str, "ttl": int, "records": list}
PATCH_FIELDS = {"records": list, "ttl": int}
NOT_FOUND = {"detail": "Not found."}


class State:
    def __init__(self, token, domains):
        self.lock = threading.Lock()
        self.token = token
        self.domains = domains  # name -> minimum_ttl
        self.records = []       # RRsets: {"domain", "subname", "type", "records", "ttl"}
        self.requests = []


class Handler(JsonHandler):
    state = None

    @staticmethod
    def violation_body(what):
        return {"detail": "fake_desec: " + what}

    def handle_any(self):
        started = self.begin()
        if started is None:
            return None
        url, body = started
        auth = self.headers.get("Authorization")
        if auth is None or not auth.startswith("Token ") or len(auth) <= len("Token "):
            return self.violation(f"Authorization is not 'Token <token>': {auth!r}")
        if auth[len("Token "):] != self.state.token:
            return self.send_json(401, {"detail": "Invalid token."})
        if not url.path.startswith(PREFIX + "/"):
            return self.violation("path outside " + PREFIX)
        if not url.path.endswith("/"):
            return self.violation("URL without its trailing slash")
        if self.command == "GET" and body:
            return self.violation("a body on GET")
        path = url.path[len(PREFIX):]
        query = parse_qs(url.query, keep_blank_values=True)
        if path == "/domains/" and self.command == "GET":
            if set(query) != {"owns_qname"}:
                return self.violation(f"query {sorted(query)} (expected owns_qname)")
            qname = query["owns_qname"][0].lower()
            if qname.endswith("."):
                return self.violation(f"owns_qname {qname!r} has a trailing dot")
            owners = sorted((d for d in self.state.domains if qname == d or qname.endswith("." + d)), key=len)
            return self.send_json(200, [{"name": d, "minimum_ttl": self.state.domains[d]} for d in owners[-1:]])
        if query:
            return self.violation(f"unknown query parameters {sorted(query)}")
        m = re.fullmatch(r"/domains/([^/]+)/rrsets/(?:([^/]+)/TXT/)?", path)
        if not m:
            return self.violation("no such endpoint")
        domain, subname = m.group(1), m.group(2)
        if domain not in self.state.domains:
            return self.send_json(404, NOT_FOUND)
        if subname is None and self.command == "POST":
            return self.create(domain, body)
        if subname is None:
            return self.violation("no such endpoint")
        subname = "" if subname == "@" else subname
        if subname.endswith(".") or subname.endswith(domain):
            return self.violation(f"subname {subname!r} is not relative to {domain}")
        with self.state.lock:
            found = next((r for r in self.state.records if r["domain"] == domain and r["subname"] == subname), None)
        if self.command == "GET":
            return self.send_json(200, found) if found else self.send_json(404, NOT_FOUND)
        if self.command == "PATCH":
            return self.patch(found, body)
        return self.violation("no such endpoint")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any

    def check_records(self, records):
        for rr in records:
            if not isinstance(rr, str) or not TXT_RE.match(rr):
                return self.violation(f"TXT record {rr!r} is not quoted character-strings")
        return records

    def create(self, domain, body):
        rec = self.json_object(body, CREATE_FIELDS, ("subname", "type", "ttl", "records"))
        if rec is None or self.check_records(rec["records"]) is None:
            return None
        if rec["type"] != "TXT":
            return self.violation(f"type {rec['type']!r} (only TXT expected)")
        if rec["subname"].endswith(".") or rec["subname"].endswith(domain) or rec["subname"] == "@":
            return self.violation(f"subname {rec['subname']!r} is not relative to {domain} ('' for the apex)")
        if not rec["records"]:
            return self.send_json(400, {"records": ["This field may not be empty."]})
        if rec["ttl"] < self.state.domains[domain]:
            return self.send_json(400, {"ttl": [f"Ensure this value is greater than or equal to {self.state.domains[domain]}."]})
        with self.state.lock:
            if any(r["domain"] == domain and r["subname"] == rec["subname"] for r in self.state.records):
                return self.send_json(400, {"non_field_errors": ["Another RRset with the same subdomain and type exists for this domain."]})
            stored = {"domain": domain, "subname": rec["subname"], "type": "TXT", "records": rec["records"], "ttl": rec["ttl"]}
            self.state.records.append(stored)
        return self.send_json(201, stored)

    def patch(self, found, body):
        rec = self.json_object(body, PATCH_FIELDS, ("records",))
        if rec is None or self.check_records(rec["records"]) is None:
            return None
        if found is None:
            return self.send_json(404, NOT_FOUND)
        with self.state.lock:
            if not rec["records"]:
                self.state.records.remove(found)
            else:
                found["records"] = rec["records"]
        if not rec["records"]:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self.send_json(200, found)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token-file", required=True, help="file holding the one valid token")
    ap.add_argument("--domain", action="append", default=[], help="NAME=MINIMUM_TTL, a domain of the account")
    ap.add_argument("--rrset", action="append", default=[], help='DOMAIN:SUBNAME:"TXT", preloaded')
    a = ap.parse_args()
    domains = {d.split("=", 1)[0]: int(d.split("=", 1)[1]) for d in a.domain}
    state = State(open(a.token_file).read().strip(), domains)
    for spec in a.rrset:
        domain, subname, rr = spec.split(":", 2)
        state.records.append({"domain": domain, "subname": subname, "type": "TXT", "records": [rr], "ttl": 3600})
    Handler.state = state
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
