#!/usr/bin/env python3
"""A local stand-in for a joohoi/acme-dns server's HTTP API, strict about requests.

  POST /update    headers X-Api-User (a UUID) and X-Api-Key (40 characters), JSON body exactly
                  {"subdomain": str, "txt": str}. Wrong user, key or subdomain: 401
                  {"error": "forbidden"}; a txt that is not 43 characters: 400 {"error": "bad_txt"};
                  else 200 {"txt": value}. The last two values per subdomain are kept, as acme-dns
                  does.
  POST /register  optional JSON {"allowfrom": [...]}: 201 with username, password, fulldomain,
                  subdomain, allowfrom.
Anything else (other methods or paths, extra or mistyped JSON fields, a body that is not
JSON, no Content-Type: application/json on /update) is recorded as a violation and answered
with 400 {"error": "violation"}.
Test hooks: GET /_test/txt?subdomain=S (the values kept), GET /_test/violations.
"""
import argparse
import json
import secrets
import sys
import uuid
from urllib.parse import parse_qs, urlsplit

from fake_server import JsonHandler, serve


class Handler(JsonHandler):
    accounts = {}  # username -> {"password", "subdomain"}
    txt = {}  # subdomain -> [values], newest last
    domain = "auth.acme-dns.test"

    def do_GET(self):
        url = urlsplit(self.path)
        self.read_body()
        if url.path == "/_test/violations":
            with self.lock:
                return self.send_json(200, self.violations)
        if url.path == "/_test/txt":
            sub = parse_qs(url.query).get("subdomain", [""])[0]
            with self.lock:
                return self.send_json(200, self.txt.get(sub, []))
        return self.violation("no such endpoint")

    def do_POST(self):
        path = urlsplit(self.path).path
        raw = self.read_body()
        if path == "/register":
            return self.register(raw)
        if path != "/update":
            return self.violation("no such endpoint")
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return self.violation("no Content-Type: application/json")
        try:
            doc = json.loads(raw)
        except ValueError:
            return self.violation("body is not JSON")
        if not isinstance(doc, dict) or set(doc) != {"subdomain", "txt"} or \
                not all(isinstance(v, str) for v in doc.values()):
            return self.violation(f"body is not exactly {{subdomain: str, txt: str}}: {doc!r}")
        user, key = self.headers.get("X-Api-User", ""), self.headers.get("X-Api-Key", "")
        try:
            uuid.UUID(user)
        except ValueError:
            return self.send_json(401, {"error": "forbidden"})
        with self.lock:
            acct = self.accounts.get(user)
            if len(key) != 40 or acct is None or acct["password"] != key or acct["subdomain"] != doc["subdomain"]:
                return self.send_json(401, {"error": "forbidden"})
            if len(doc["txt"]) != 43:
                return self.send_json(400, {"error": "bad_txt"})
            vals = self.txt.setdefault(doc["subdomain"], [])
            vals.append(doc["txt"])
            del vals[:-2]
        return self.send_json(200, {"txt": doc["txt"]})

    def register(self, raw):
        allow = []
        if raw:
            try:
                doc = json.loads(raw)
            except ValueError:
                return self.send_json(400, {"error": "malformed_json_payload"})
            if not isinstance(doc, dict) or set(doc) - {"allowfrom"}:
                return self.violation(f"unexpected register body {doc!r}")
            allow = doc.get("allowfrom", [])
        user, sub = str(uuid.uuid4()), str(uuid.uuid4())
        pw = secrets.token_urlsafe(30)[:40]
        with self.lock:
            self.accounts[user] = {"password": pw, "subdomain": sub}
        return self.send_json(201, {"username": user, "password": pw, "fulldomain": f"{sub}.{self.domain}",
                                    "subdomain": sub, "allowfrom": allow})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--account-file", help="JSON {username, password, subdomain} to preload")
    a = ap.parse_args()
    if a.account_file:
        acct = json.load(open(a.account_file))
        Handler.accounts[acct["username"]] = {"password": acct["password"], "subdomain": acct["subdomain"]}
    serve(Handler, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
